-- tenant_guard.audit(), cross_tenant_foreign_key (and rls_disabled for a
-- child table without tenant column, scoped through its parent). Each
-- fixture runs in a database of its own; its NOTICEs show a member of tenant
-- A linking a row to B's project and reading every tenant's child rows, and
-- the near misses refusing the link (23503, 42501) and scoping the children.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{cross_tenant_foreign_key,rls_disabled}'
\set fixture references
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture references_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
