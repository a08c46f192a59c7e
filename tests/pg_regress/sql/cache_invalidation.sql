-- The per-backend cache follows every change of the settings it reads:
-- set_config twice, SET LOCAL, RESET, savepoints, function SET clauses,
-- commit/abort, and changes of tenant_guard.* settings themselves.
--   A = 11111111-1111-4111-8111-111111111111
--   B = 22222222-2222-4222-8222-222222222222
--   C = 33333333-3333-4333-8333-333333333333
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
\pset null '<NULL>'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tg_plain_user') THEN
    CREATE ROLE tg_plain_user NOLOGIN NOSUPERUSER;
  END IF;
END $$;

--------------------------------------------------------------------------
-- 1. Claims changed twice inside one transaction.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT identity.get_current_org_id();
-- the same text set again: same answer
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT identity.get_current_org_id();
-- within one statement, before and after a change made by a volatile call
SELECT identity.get_current_org_id() AS before,
       set_config('request.jwt.claims', '{"org_id":"33333333-3333-4333-8333-333333333333"}', true) IS NOT NULL AS changed;
SELECT identity.get_current_org_id() AS after;
ROLLBACK;

--------------------------------------------------------------------------
-- 2. SET LOCAL twice, then RESET.
--------------------------------------------------------------------------
BEGIN;
SET LOCAL request.jwt.claims = '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}';
SELECT identity.get_current_org_id(), identity.get_current_org_key();
SET LOCAL request.jwt.claims = '{"app_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}';
SELECT identity.get_current_org_id(), identity.get_current_org_key();
RESET request.jwt.claims;
SELECT identity.get_current_org_id(), identity.get_current_org_key(),
       current_setting('request.jwt.claims', true) AS setting;
SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
SELECT identity.get_current_org_id();
SET LOCAL app.tenant_id = '33333333-3333-4333-8333-333333333333';
SELECT identity.get_current_org_id();
RESET app.tenant_id;
SELECT identity.get_current_org_id();
ROLLBACK;

--------------------------------------------------------------------------
-- 3. SAVEPOINT / ROLLBACK TO SAVEPOINT restores the previous tenant.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SAVEPOINT sp1;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SAVEPOINT sp2;
SET LOCAL app.tenant_id = '33333333-3333-4333-8333-333333333333';
-- claims B vs setting C: conflict
SELECT identity.get_current_org_id();
ROLLBACK TO SAVEPOINT sp2;
SELECT identity.get_current_org_id();
ROLLBACK TO SAVEPOINT sp1;
SELECT identity.get_current_org_id();
-- RELEASE keeps the inner value
SAVEPOINT sp3;
SELECT set_config('request.jwt.claims', '{"org_id":"33333333-3333-4333-8333-333333333333"}', true) \g /dev/null
RELEASE SAVEPOINT sp3;
SELECT identity.get_current_org_id();
-- an error inside a savepoint: the rollback restores the tenant too
SAVEPOINT sp4;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT 1/0;
ROLLBACK TO SAVEPOINT sp4;
SELECT identity.get_current_org_id();
-- a PL/pgSQL exception block is a subtransaction as well
DO $$
BEGIN
  PERFORM set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true);
  RAISE NOTICE 'inside: %', identity.get_current_org_id();
  RAISE division_by_zero;
EXCEPTION WHEN division_by_zero THEN
  RAISE NOTICE 'after the handler: %', identity.get_current_org_id();
END $$;
SELECT identity.get_current_org_id();
ROLLBACK;

--------------------------------------------------------------------------
-- 4. A function with a SET clause: its value inside, the caller's after.
--------------------------------------------------------------------------
CREATE FUNCTION pg_temp.org_as_b() RETURNS uuid
LANGUAGE sql STABLE
SET request.jwt.claims = '{"org_id":"22222222-2222-4222-8222-222222222222"}'
AS 'SELECT identity.get_current_org_id()';
CREATE FUNCTION pg_temp.org_as_worker_c() RETURNS uuid
LANGUAGE plpgsql STABLE
SET app.tenant_id = '33333333-3333-4333-8333-333333333333'
AS $$ BEGIN RETURN identity.get_current_org_id(); END $$;
-- no claims outside: NULL, then the function's, then NULL again
SELECT identity.get_current_org_id() AS outside_before, pg_temp.org_as_b() AS inside,
       identity.get_current_org_id() AS outside_after;
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id() AS outside_before, pg_temp.org_as_b() AS inside,
       identity.get_current_org_id() AS outside_after;
-- claims A in the caller and app.tenant_id C in the function: conflict inside only
SELECT pg_temp.org_as_worker_c() AS inside, identity.get_current_org_id() AS outside_after;
-- many rows: every row sees the caller's tenant around the function calls
SELECT i, identity.get_current_org_id() = '11111111-1111-4111-8111-111111111111' AS a_outside,
       pg_temp.org_as_b() AS inside
FROM generate_series(1, 3) AS i;
ROLLBACK;
SELECT pg_temp.org_as_worker_c() AS inside, identity.get_current_org_id() AS outside_after;

--------------------------------------------------------------------------
-- 5. COMMIT ends transaction-local claims: the next transaction sees NULL.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT set_config('request.jwt.claim.sub', 'aaaaaaaa-0000-4000-8000-00000000000a', true) \g /dev/null
SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
SELECT identity.get_current_org_id(), identity.get_current_user_id();
COMMIT;
BEGIN;
SELECT current_setting('request.jwt.claims', true) AS claims_setting,
       current_setting('app.tenant_id', true) AS tenant_setting,
       identity.get_current_org_id(), identity.get_current_user_id(),
       identity.current_claims();
COMMIT;
-- and an aborted transaction leaves nothing either
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT 1/0;
COMMIT;
SELECT identity.get_current_org_id();

--------------------------------------------------------------------------
-- 6. Session-level (non-local) settings outlive the transaction: the unsafe
--    pattern behind a transaction-mode pooler. RESET / DISCARD ALL clear it.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', false) \g /dev/null
COMMIT;
SELECT identity.get_current_org_id() AS leaked_into_next_transaction;
-- SET LOCAL on top of it wins for its transaction only
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id();
COMMIT;
SELECT identity.get_current_org_id();
RESET request.jwt.claims;
SELECT identity.get_current_org_id();
SET app.tenant_id = '33333333-3333-4333-8333-333333333333';
SELECT identity.get_current_org_id();
DISCARD ALL;
SELECT identity.get_current_org_id();

--------------------------------------------------------------------------
-- 7. Switching role does not change the answer (the cache is not per role).
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SET LOCAL ROLE tg_plain_user;
SELECT current_user, identity.get_current_org_id();
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT current_user, identity.get_current_org_id();
RESET ROLE;
SELECT current_user, identity.get_current_org_id();
ROLLBACK;

--------------------------------------------------------------------------
-- 8. tenant_guard.claim_keys (superuser): a change applies immediately.
--------------------------------------------------------------------------
SHOW tenant_guard.claim_keys;
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111","tenant_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
-- default keys: organization_id and tenant_id disagree
SELECT identity.get_current_org_id();
SET LOCAL tenant_guard.claim_keys = 'tenant_id';
SELECT identity.get_current_org_id(), identity.get_current_org_ids();
SELECT source, path, raw_value, status FROM identity.explain_claims() WHERE status <> 'absent';
SET LOCAL tenant_guard.claim_keys = 'organization_id';
SELECT identity.get_current_org_id();
SET LOCAL tenant_guard.claim_keys = ' organization_id , tenant_id ';
SELECT identity.get_current_org_id();
SHOW tenant_guard.claim_keys;
-- a custom key; its list form is <key>s
SET LOCAL tenant_guard.claim_keys = 'workspace_id';
SELECT identity.get_current_org_id();
SELECT set_config('request.jwt.claims', '{"workspace_ids":["33333333-3333-4333-8333-333333333333"],"organization_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_ids();
-- the legacy setting for a custom key is not a hooked setting: still followed
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT set_config('request.jwt.claim.workspace_id', '11111111-1111-4111-8111-111111111111', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT set_config('request.jwt.claim.workspace_id', '22222222-2222-4222-8222-222222222222', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT set_config('request.jwt.claim.workspace_id', '', true) \g /dev/null
SELECT identity.get_current_org_id();
ROLLBACK;
-- back to the default after the rollback
SHOW tenant_guard.claim_keys;
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111","tenant_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT identity.get_current_org_id();
ROLLBACK;

-- tenant_guard.tenant_setting: another setting name, followed on every change
BEGIN;
SET LOCAL tenant_guard.tenant_setting = 'my.tenant';
SET LOCAL my.tenant = '11111111-1111-4111-8111-111111111111';
SELECT identity.get_current_org_id();
SET LOCAL my.tenant = '22222222-2222-4222-8222-222222222222';
SELECT identity.get_current_org_id();
-- the default setting is no longer read
SET LOCAL app.tenant_id = '33333333-3333-4333-8333-333333333333';
SELECT identity.get_current_org_id();
RESET my.tenant;
SELECT identity.get_current_org_id();
ROLLBACK;

--------------------------------------------------------------------------
-- 9. Invalid values for tenant_guard.* settings are rejected (22023).
--------------------------------------------------------------------------
SET tenant_guard.claim_keys = '';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.claim_keys = 'org_id,,tenant_id';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.claim_keys = 'org id';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.claim_keys = 'app_metadata.org_id';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.claim_keys = 'k1,k2,k3,k4,k5,k6,k7,k8,k9,k10,k11,k12,k13,k14,k15,k16,k17';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('tenant_guard.claim_keys', repeat('k', 64), false);
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.tenant_setting = 'tenant_id';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.role_setting = 'app.role name';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.trust_user_metadata = 'maybe';
\echo :LAST_ERROR_SQLSTATE
-- nothing changed
SHOW tenant_guard.claim_keys;
SHOW tenant_guard.tenant_setting;
SHOW tenant_guard.role_setting;
SHOW tenant_guard.trust_user_metadata;

--------------------------------------------------------------------------
-- 10. Non-superusers cannot change tenant_guard.* settings (42501) but can
--     set the claim settings (that is how PostgREST works).
--------------------------------------------------------------------------
SET ROLE tg_plain_user;
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
SET tenant_guard.trust_user_metadata = on;
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.claim_keys = 'tenant_id';
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('tenant_guard.claim_keys', 'tenant_id', true);
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.tenant_setting = 'my.tenant';
\echo :LAST_ERROR_SQLSTATE
SET tenant_guard.role_setting = 'my.role';
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT set_config('request.jwt.claims', '{"user_metadata":{"org_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SET LOCAL tenant_guard.trust_user_metadata = on;
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT current_user, identity.get_current_org_id();
ROLLBACK;
RESET ROLE;
SHOW tenant_guard.trust_user_metadata;
SHOW tenant_guard.claim_keys;

--------------------------------------------------------------------------
-- 11. Set before the library is loaded (a placeholder): when tenant_guard
--     loads, PostgreSQL re-checks the privilege; a non-superuser's values for
--     superuser-only settings are dropped with a WARNING.
--------------------------------------------------------------------------
\c
SET ROLE tg_plain_user;
SET tenant_guard.trust_user_metadata = on;
SET tenant_guard.claim_keys = 'user_metadata';
SELECT set_config('request.jwt.claims', '{"user_metadata":{"org_id":"22222222-2222-4222-8222-222222222222"}}', false) \g /dev/null
-- the first call loads tenant_guard
SELECT identity.get_current_org_id();
SHOW tenant_guard.trust_user_metadata;
SHOW tenant_guard.claim_keys;
RESET request.jwt.claims;
RESET ROLE;
