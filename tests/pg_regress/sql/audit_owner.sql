-- tenant_guard.audit(), owner_bypass (and force_rls_missing not repeating
-- it). Each fixture runs in a database of its own; its NOTICEs show each
-- client or connection role reading both tenants' rows, and with FORCE and
-- without BYPASSRLS reading its own tenant's only.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{owner_bypass,force_rls_missing}'
\set fixture owner
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture owner_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
