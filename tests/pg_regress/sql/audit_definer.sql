-- tenant_guard.audit(), definer_function_unscoped. Each fixture runs in a
-- database of its own; its NOTICEs show a member of tenant A reading and
-- changing B's invoices through SECURITY DEFINER functions as `authenticated`,
-- and each near miss keeping him to his own tenant.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{definer_function_unscoped}'
\set fixture definer
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture definer_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
