-- tenant_guard.audit(), write paths: update_without_with_check and
-- truncate_grant. Each fixture runs in a database of its own; its NOTICEs
-- show PostgreSQL letting a member move a row to another tenant, promote
-- himself, and TRUNCATE every tenant's rows, and refusing each near miss.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{update_without_with_check,truncate_grant}'
\set fixture writes
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture writes_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
