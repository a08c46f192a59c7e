-- tenant_guard.audit(), the tenancy family: each fixture (a trigger and its near
-- misses, captured for the unit tests too) in a database of its own.
-- Fixtures that query as a client role show PostgreSQL's own behaviour.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{tenant_column_nullable,tenant_column_unindexed,tenant_policy_missing_filter,inconsistent_tenant_policies,tenant_column_name_drift,timestamp_type_drift}'
\set fixture tenant_columns
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture tenant_columns_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture tenant_policies
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture policy_shapes
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture policy_shapes_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
