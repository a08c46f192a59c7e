-- tenant_guard.audit(), the claims family: each fixture (a trigger and its near
-- misses, captured for the unit tests too) in a database of its own.
-- Fixtures that query as a client role show PostgreSQL's own behaviour.
\getenv abs_srcdir PG_ABS_SRCDIR
\set codes '{user_metadata_in_policy,raw_claim_access,claim_key_drift,per_row_claim_call,untrusted_claim_source}'
\set fixture claims
\set runner :abs_srcdir /run_fixture.psql
\i :runner
\set fixture claims_ok
\set runner :abs_srcdir /run_fixture.psql
\i :runner
