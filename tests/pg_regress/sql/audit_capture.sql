-- tenant_guard.audit(), captured columns (tenant_column_capture): a policy's
-- sub-select whose unqualified column bound to its own table. Each fixture
-- runs in a database of its own; its NOTICEs show PostgreSQL letting a member
-- of one tenant see the other's rows, and the near misses not.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{tenant_column_capture}'
\set fixture capture
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture capture_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
