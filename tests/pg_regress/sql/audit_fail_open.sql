-- tenant_guard.audit(), the fail-open family: policies that open without an
-- identity (fail_open_predicate) or with one SET of a custom setting
-- (settable_bypass_setting). Each fixture (triggers and near misses, captured
-- for the unit tests too) runs in a database of its own; its NOTICEs show
-- PostgreSQL reproducing each leak, and each near miss leaking nothing, as a
-- client role.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{fail_open_predicate,settable_bypass_setting}'
\set fixture fail_open
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture fail_open_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
