-- tenant_guard.audit(), the recursion family: each fixture (a trigger and its near
-- misses, captured for the unit tests too) in a database of its own.
-- Fixtures that query as a client role show PostgreSQL's own behaviour.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{policy_recursion,function_recursion}'
\set fixture policy_recursion
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture policy_recursion_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture function_recursion
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture function_recursion_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
