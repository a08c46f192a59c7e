-- tenant_guard.audit(), privileges a policy needs: policy_helper_not_executable
-- and returning_needs_select. Each fixture runs in a database of its own; its
-- NOTICEs show each query failing as `authenticated` (42501), and each near
-- miss working, including a helper in a schema without USAGE.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{policy_helper_not_executable,returning_needs_select}'
\set fixture access
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture access_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
