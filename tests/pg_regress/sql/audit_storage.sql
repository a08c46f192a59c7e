-- tenant_guard.audit(), unscoped_storage_policy on a storage schema shaped
-- like Supabase's. Each fixture runs in a database of its own; its NOTICEs
-- show a member of tenant A reading, deleting and planting files in B's
-- folder as `authenticated`, and the near misses keeping him out.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{unscoped_storage_policy}'
\set fixture storage
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture storage_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
