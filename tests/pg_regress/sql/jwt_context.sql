-- Verified request context: tenant_guard.authenticate() and
-- authenticate_request() make a token's claims the transaction's claims;
-- trusted_session_users, require_verified and require_transaction_scope
-- decide which claims in settings identity.* believe. RLS is checked as
-- `authenticated` (neither superuser nor owner).
--   A = 11111111-1111-4111-8111-111111111111
--   B = 22222222-2222-4222-8222-222222222222
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP TABLE IF EXISTS public.jdocs;
RESET client_min_messages;
\pset null '<NULL>'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END $$;

CREATE TABLE public.jdocs (id int PRIMARY KEY, org_id uuid NOT NULL, body text NOT NULL);
INSERT INTO public.jdocs VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'a-1'),
  (2, '11111111-1111-4111-8111-111111111111', 'a-2'),
  (3, '22222222-2222-4222-8222-222222222222', 'b-1');
ALTER TABLE public.jdocs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jdocs_tenant ON public.jdocs TO authenticated
  USING (org_id = identity.get_current_org_id());
GRANT SELECT ON public.jdocs TO authenticated;

\getenv abs_srcdir PG_ABS_SRCDIR
\set jws_sql :abs_srcdir '/include/jws.sql'
\i :jws_sql
-- An HS256 token for tenant `org` (exp in 2100), signed with the test secret.
CREATE FUNCTION pg_temp.token(org text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT pg_temp.jws('{"alg":"HS256","typ":"JWT"}', format(
    '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","role":"authenticated","exp":4102444800,"app_metadata":{"organization_id":"%s"}}',
    org), 'test-only-hmac-secret-0123456789abcdefgh')
$$;
-- What identity.* and RLS say now, as `authenticated`.
CREATE FUNCTION pg_temp.seen() RETURNS TABLE (org uuid, trust text, rows text)
LANGUAGE sql AS $$
  SELECT identity.get_current_org_id(),
         (SELECT status FROM identity.explain_claims() WHERE source = 'result' AND path = 'trust'),
         (SELECT coalesce(string_agg(body, ',' ORDER BY id), '-') FROM public.jdocs)
$$;
GRANT EXECUTE ON FUNCTION pg_temp.seen() TO authenticated;
SET tenant_guard.jwt_secret = 'test-only-hmac-secret-0123456789abcdefgh';
SET tenant_guard.jwks = '';
SET tenant_guard.jwt_audience = '';
SET tenant_guard.jwt_issuer = '';

--------------------------------------------------------------------------
-- 1. authenticate(): the token's tenant, over forged settings; gone at COMMIT.
--------------------------------------------------------------------------
BEGIN;
SET LOCAL ROLE authenticated;
-- Forged: any role can set these.
SELECT set_config('request.jwt.claims', '{"organization_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT * FROM pg_temp.seen();
SELECT tenant_guard.authenticate(pg_temp.token('11111111-1111-4111-8111-111111111111')) -> 'app_metadata' AS verified;
SELECT * FROM pg_temp.seen();
SELECT source, path, status, note FROM identity.explain_claims() WHERE status NOT IN ('absent');
SELECT identity.get_current_user_id(), identity.get_current_role(),
       identity.current_claims() -> 'app_metadata' AS claims;
-- A token for B in a savepoint that is rolled back: A again.
SAVEPOINT s1;
SELECT tenant_guard.authenticate(pg_temp.token('22222222-2222-4222-8222-222222222222')) IS NOT NULL AS switched;
SELECT * FROM pg_temp.seen();
ROLLBACK TO SAVEPOINT s1;
SELECT * FROM pg_temp.seen();
-- A rejected token changes nothing.
SELECT tenant_guard.authenticate(pg_temp.token('22222222-2222-4222-8222-222222222222') || 'x');
ROLLBACK TO SAVEPOINT s1;
SELECT * FROM pg_temp.seen();
COMMIT;
-- The next transaction: no claims, nothing visible.
SET ROLE authenticated;
SELECT * FROM pg_temp.seen();
RESET ROLE;

-- ROLLBACK clears them too.
BEGIN;
SELECT tenant_guard.authenticate(pg_temp.token('11111111-1111-4111-8111-111111111111')) IS NOT NULL;
ROLLBACK;
SET ROLE authenticated;
SELECT * FROM pg_temp.seen();
RESET ROLE;

-- Outside a transaction block the claims last for that one statement.
SELECT tenant_guard.authenticate(pg_temp.token('11111111-1111-4111-8111-111111111111')) IS NOT NULL AS authenticated,
       identity.get_current_org_id();
SELECT identity.get_current_org_id() AS next_statement;

--------------------------------------------------------------------------
-- 2. require_verified: claims in settings are set aside.
--------------------------------------------------------------------------
SET tenant_guard.require_verified = on;
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SET LOCAL app.tenant_id = '22222222-2222-4222-8222-222222222222';
SET LOCAL ROLE authenticated;
SELECT * FROM pg_temp.seen();
SELECT source, status, note FROM identity.explain_claims() WHERE status NOT IN ('absent');
SAVEPOINT before_error;
SELECT identity.require_org_id();
ROLLBACK TO SAVEPOINT before_error;
SELECT tenant_guard.authenticate(pg_temp.token('11111111-1111-4111-8111-111111111111')) IS NOT NULL AS authenticated;
SELECT * FROM pg_temp.seen();
ROLLBACK;
RESET tenant_guard.require_verified;

--------------------------------------------------------------------------
-- 3. trusted_session_users: settings believed only from the listed logins
--    (this session logged in as postgres).
--------------------------------------------------------------------------
SELECT session_user;
SET tenant_guard.trusted_session_users = 'authenticator';
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT * FROM pg_temp.seen();
SELECT source, status, note FROM identity.explain_claims() WHERE source = 'request.jwt.claims';
ROLLBACK;
SET tenant_guard.trusted_session_users = 'authenticator, postgres';
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT * FROM pg_temp.seen();
ROLLBACK;
-- SET ROLE does not change session_user: still trusted as postgres, never as the role.
SET tenant_guard.trusted_session_users = 'authenticated';
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT * FROM pg_temp.seen();
ROLLBACK;
RESET tenant_guard.trusted_session_users;

--------------------------------------------------------------------------
-- 4. Session-level SET: reported in the next transaction, ignored under
--    require_transaction_scope; SET LOCAL is transaction-scoped.
--------------------------------------------------------------------------
SET app.tenant_id = '22222222-2222-4222-8222-222222222222';
SET ROLE authenticated;
SELECT * FROM pg_temp.seen();
SELECT source, status FROM identity.explain_claims() WHERE status NOT IN ('absent');
RESET ROLE;
SET tenant_guard.require_transaction_scope = on;
SET ROLE authenticated;
SELECT * FROM pg_temp.seen();
SELECT source, status, note FROM identity.explain_claims() WHERE source = 'app.tenant_id';
RESET ROLE;
-- Set again at session level inside a transaction: that transaction's own value.
BEGIN;
SET app.tenant_id = '11111111-1111-4111-8111-111111111111';
SET LOCAL ROLE authenticated;
SELECT * FROM pg_temp.seen();
COMMIT;
-- ... and a leftover in the next one.
SET ROLE authenticated;
SELECT * FROM pg_temp.seen();
RESET ROLE;
-- SET LOCAL over the leftover: used.
BEGIN;
SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
SET LOCAL ROLE authenticated;
SELECT * FROM pg_temp.seen();
COMMIT;
RESET app.tenant_id;
RESET tenant_guard.require_transaction_scope;

--------------------------------------------------------------------------
-- 5. authenticate_request(): PostgREST's db-pre-request hook.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.headers', '{"accept":"*/*"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT tenant_guard.authenticate_request() AS anonymous_request;
SELECT * FROM pg_temp.seen();
SELECT set_config('request.headers', json_build_object('authorization',
  'Bearer ' || pg_temp.token('22222222-2222-4222-8222-222222222222'))::text, true) \g /dev/null
SELECT tenant_guard.authenticate_request() -> 'app_metadata' AS verified;
SELECT * FROM pg_temp.seen();
ROLLBACK;
BEGIN;
SELECT set_config('request.headers', '{"authorization":"Basic dXNlcjpwYXNz"}', true) \g /dev/null
SELECT tenant_guard.authenticate_request();
ROLLBACK;
BEGIN;
SELECT set_config('request.headers', '{"authorization":"Bearer not.a.token"}', true) \g /dev/null
SELECT tenant_guard.authenticate_request();
ROLLBACK;
BEGIN;
SELECT set_config('request.headers', 'not json', true) \g /dev/null
SELECT tenant_guard.authenticate_request();
ROLLBACK;
SELECT tenant_guard.authenticate_request() AS no_headers_at_all;

--------------------------------------------------------------------------
-- 6. Parallel workers see the leader's verified claims, and its verdict on
--    session-level leftovers (workers restore every setting as a session
--    value; without the leader's verdict they would drop a SET LOCAL tenant).
--------------------------------------------------------------------------
CREATE TABLE public.jbig AS
  SELECT i AS id, CASE WHEN i % 2 = 0 THEN '11111111-1111-4111-8111-111111111111'::uuid
                       ELSE '22222222-2222-4222-8222-222222222222'::uuid END AS org_id
  FROM generate_series(1, 60000) i;
ALTER TABLE public.jbig ENABLE ROW LEVEL SECURITY;
CREATE POLICY jbig_tenant ON public.jbig TO authenticated USING (org_id = identity.get_current_org_id());
GRANT SELECT ON public.jbig TO authenticated;
ANALYZE public.jbig;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
-- Only workers scan (the leader would otherwise race them through a small table).
SET parallel_leader_participation = off;
SET tenant_guard.require_transaction_scope = on;
BEGIN;
SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
SET LOCAL ROLE authenticated;
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.jbig;
SELECT count(*) AS rows_of_a, count(*) FILTER (WHERE org_id <> '11111111-1111-4111-8111-111111111111') AS others
FROM public.jbig;
COMMIT;
BEGIN;
SELECT tenant_guard.authenticate(pg_temp.token('22222222-2222-4222-8222-222222222222')) IS NOT NULL AS authenticated;
SET LOCAL ROLE authenticated;
SELECT count(*) AS rows_of_b, count(*) FILTER (WHERE org_id <> '22222222-2222-4222-8222-222222222222') AS others
FROM public.jbig;
COMMIT;
-- A leftover is ignored by the leader and by every worker.
SET app.tenant_id = '11111111-1111-4111-8111-111111111111';
SET ROLE authenticated;
SELECT count(*) AS leftover_rows FROM public.jbig;
RESET ROLE;
RESET app.tenant_id;
RESET tenant_guard.require_transaction_scope;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

SET tenant_guard.jwt_secret = '';
DROP TABLE public.jdocs, public.jbig;
