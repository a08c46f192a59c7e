-- identity.require_org_id(): the tenant when there is one, else ERROR 42501
-- with a DETAIL naming every location inspected and a HINT specific to the
-- failure. Default verbosity shows DETAIL and HINT without source locations.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
\pset null '<NULL>'
-- The error fields as data, so SQLSTATE is visible too.
CREATE FUNCTION pg_temp.require_report() RETURNS TABLE (state text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM identity.require_org_id();
  state := '00000'; message := 'no error';
  RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RETURN NEXT;
END $$;

-- 1. A tenant: returned, no error.
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT identity.require_org_id();
SELECT identity.require_org_id() = identity.get_current_org_id() AS same_as_get;
SELECT state, message FROM pg_temp.require_report();
ROLLBACK;

-- 2. No claims at all: absent.
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE
SELECT state, message FROM pg_temp.require_report();

-- 3. Conflicting claims.
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SAVEPOINT s;
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
\x on
SELECT * FROM pg_temp.require_report();
\x off
ROLLBACK;

-- 4. An invalid value (not a UUID).
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"org_2abc"}}', true) \g /dev/null
SAVEPOINT s;
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
-- get_current_org_key() still has the key; require_org_id() is UUID-only
SELECT identity.get_current_org_key();
ROLLBACK;

-- 5. Malformed JSON.
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":', true) \g /dev/null
SAVEPOINT s;
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
ROLLBACK;

-- 6. The single id is not in the membership list.
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"33333333-3333-4333-8333-333333333333","organization_ids":["11111111-1111-4111-8111-111111111111"]}', true) \g /dev/null
SAVEPOINT s;
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
ROLLBACK;

-- 7. A membership list of several tenants and no single id: ambiguous.
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}', true) \g /dev/null
SAVEPOINT s;
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
ROLLBACK;

-- 8. Only untrusted user_metadata: absent, and the DETAIL says why it was ignored.
BEGIN;
SELECT set_config('request.jwt.claims', '{"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SAVEPOINT s;
SELECT identity.require_org_id();
ROLLBACK TO SAVEPOINT s;
ROLLBACK;

-- 9. Backend worker with SET LOCAL app.tenant_id, and after its transaction.
BEGIN;
SET LOCAL app.tenant_id = '33333333-3333-4333-8333-333333333333';
SELECT identity.require_org_id();
COMMIT;
SELECT identity.require_org_id();
\echo :LAST_ERROR_SQLSTATE

-- 10. Raised from inside a query (e.g. a DEFAULT or a policy): the statement fails.
CREATE TEMP TABLE t (id int, org_id uuid DEFAULT identity.require_org_id());
INSERT INTO t (id) VALUES (1);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
INSERT INTO t (id) VALUES (2);
SELECT * FROM t;
ROLLBACK;
SELECT count(*) FROM t;
