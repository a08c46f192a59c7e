-- tenant_guard.audit(), membership_self_grant. Each fixture runs in a database
-- of its own; its NOTICEs show a member of one tenant adding himself to
-- another's membership and reading its rows as `authenticated`, and each near
-- miss refusing that INSERT.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{membership_self_grant}'
\set fixture membership
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture membership_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
