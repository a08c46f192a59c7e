-- tenant_guard.audit(), the grants family: each fixture (a trigger and its near
-- misses, captured for the unit tests too) in a database of its own.
-- Fixtures that query as a client role show PostgreSQL's own behaviour.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{missing_table_grants,anon_write_grant,missing_default_privileges,security_definer_search_path,view_bypasses_rls}'
\set fixture grants
\set runner :abs_srcdir /run_fixture.psql
\i :runner
