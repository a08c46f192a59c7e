-- What the helpers return for several requests, each run the way PostgREST
-- runs one: a transaction, set_config(..., true), SET LOCAL ROLE, the query.
\pset footer off
\set ON_ERROR_STOP 0

\echo '== 1. Seed 000: org_id at the top and organization_id in app_metadata, the same tenant'
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"aaaaaaaa-0000-4000-8000-00000000000a","org_id":"11111111-1111-4111-8111-111111111111","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS org, identity.get_current_user_id() AS user_id, identity.get_current_role() AS role;
SELECT name AS "patients visible (the fix)" FROM public.patients ORDER BY name;
COMMIT;

\echo '== 2. Seed 000 drift gone wrong: org_id and organization_id disagree -> NULL (fails closed), and why'
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","org_id":"22222222-2222-4222-8222-222222222222","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() IS NULL AS "org is NULL", count(*) AS "patients visible" FROM public.patients;
SELECT source, path, raw_value, status FROM identity.explain_claims() WHERE status <> 'absent';
SELECT identity.require_org_id();
ROLLBACK;

\echo '== 3. Seed 001: tenant under app_metadata.tenant_id'
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"bbbbbbbb-0000-4000-8000-00000000000b","app_metadata":{"tenant_id":"{22222222-2222-4222-8222-222222222222}"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS org;
SELECT name AS "patients visible" FROM public.patients ORDER BY name;
\echo '   ... while the seed''s own helper recurses through the users policy (54001):'
\set VERBOSITY terse
SELECT count(*) FROM public.users;
\set VERBOSITY default
ROLLBACK;

\echo '== 4. Seed 002: a user edits user_metadata.organization_id to clinic B'
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","organization_id":"11111111-1111-4111-8111-111111111111","user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS "tenant_guard org (user_metadata untrusted)";
SELECT google_email AS "calendar_connections via user_metadata policy: LEAK" FROM public.calendar_connections;
SELECT count(*) AS "organizations visible via USING (true): LEAK" FROM public.organizations;
SELECT name AS "patients visible (tenant_guard policy)" FROM public.patients ORDER BY name;
ROLLBACK;

\echo '== 5. Recursive membership policy: 42P17 for authenticated, invisible to the owner'
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"aaaaaaaa-0000-4000-8000-00000000000a"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT count(*) FROM public.memberships;
ROLLBACK;

\echo '== 6. Backend worker: SET LOCAL app.tenant_id, no JWT'
BEGIN;
SET LOCAL app.tenant_id = '22222222222242228222222222222222';
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS org, count(*) AS "patients visible" FROM public.patients;
COMMIT;

\echo '== 7. Next transaction on the same connection: the settings read '''' and nothing leaks'
BEGIN;
SET LOCAL ROLE authenticated;
SELECT current_setting('request.jwt.claims', true) AS claims, identity.get_current_org_id() AS org, count(*) AS "patients visible" FROM public.patients;
ROLLBACK;

\echo '== 8. Malformed claims and a non-UUID value: NULL, never an error inside a policy'
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"not-a-uuid"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS org, count(*) AS "patients visible" FROM public.patients;
SELECT set_config('request.jwt.claims', '{"app_metadata": {', true) \g /dev/null
SELECT identity.get_current_org_id() AS org, count(*) AS "patients visible" FROM public.patients;
ROLLBACK;

\echo '== 9. A direct connection forges request.jwt.claims; with require_verified only a signed token counts'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
RESET client_min_messages;
-- Set per session for the demo; in production: postgresql.conf with shared_preload_libraries.
SET tenant_guard.jwt_secret = 'demo-only-hmac-secret-0123456789abcdefgh';
SET tenant_guard.require_verified = on;
-- An HS256 token for clinic A, as the auth server would sign it.
SELECT h || '.' || translate(rtrim(encode(hmac(h, 'demo-only-hmac-secret-0123456789abcdefgh', 'sha256'), 'base64'), '='), '+/', '-_') AS token
FROM (SELECT translate(rtrim(encode(convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8'), 'base64'), '='), '+/', '-_') || '.' ||
             translate(rtrim(replace(encode(convert_to('{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","role":"authenticated","exp":4102444800,"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', 'UTF8'), 'base64'), E'\n', ''), '='), '+/', '-_') AS h) x \gset
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","app_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT count(*) AS "patients visible with forged claims" FROM public.patients;
SELECT source, status, note FROM identity.explain_claims() WHERE source IN ('request.jwt.claims', 'result') AND path IN ('', 'trust');
SELECT tenant_guard.authenticate(:'token') -> 'app_metadata' AS "verified claims";
SELECT name AS "patients visible with the verified token" FROM public.patients ORDER BY name;
COMMIT;
RESET tenant_guard.require_verified;
RESET tenant_guard.jwt_secret;
