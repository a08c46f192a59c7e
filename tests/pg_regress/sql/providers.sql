-- Identity-provider presets (tenant_guard.provider), claim paths
-- (tenant_guard.claim_paths) and the active organization (the x-org-id
-- request header, tenant_guard.active_org): token shapes of every preset,
-- wrong nesting, lists with and without an active organization, one outside
-- the list, URL and colon paths, and RLS as the authenticated role (neither
-- superuser nor owner) following the preset. Each case sets the claims for
-- its transaction, as PostgREST does, and rolls back.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
END $$;
RESET client_min_messages;
\pset null '<NULL>'
-- Load the library in this session (its settings exist from then on).
SELECT identity.get_current_org_id() IS NULL AS library_loaded;
-- A statement's error as (sqlstate, message, detail); NULL when it succeeds.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS TABLE (sqlstate text, message text, detail text)
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  EXECUTE stmt;
  RETURN QUERY SELECT NULL::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN QUERY SELECT st, msg, det;
END $$;
CREATE TEMP VIEW cur AS
SELECT identity.get_current_org_key()  AS org_key,
       identity.get_current_org_id()   AS org_id,
       identity.get_current_user_key() AS user_key,
       identity.get_current_role()     AS role;
-- What explain_claims() says about the locations that held something, and the result.
CREATE TEMP VIEW trail AS
SELECT source, path, raw_value, status, note FROM identity.explain_claims()
WHERE status <> 'absent' OR source = 'result';

-- Two tenants' rows: text keys (Clerk-style ids) and UUIDs (Entra/Keycloak).
CREATE SCHEMA pv;
CREATE TABLE pv.projects (id int PRIMARY KEY, org_key text NOT NULL, name text);
INSERT INTO pv.projects VALUES (1, 'org_2abc', 'A project'), (2, 'org_2xyz', 'B project');
ALTER TABLE pv.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant ON pv.projects FOR ALL TO authenticated
  USING (org_key = (SELECT identity.get_current_org_key()))
  WITH CHECK (org_key = (SELECT identity.get_current_org_key()));
CREATE TABLE pv.notes (id int PRIMARY KEY, org_id uuid NOT NULL, body text);
INSERT INTO pv.notes VALUES (1, '11111111-1111-4111-8111-111111111111', 'A note'),
                            (2, '22222222-2222-4222-8222-222222222222', 'B note');
ALTER TABLE pv.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON pv.notes FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
GRANT USAGE ON SCHEMA pv TO authenticated;
GRANT SELECT, INSERT ON pv.projects, pv.notes TO authenticated;
-- The policies run as the querying role: these must be executable by it.
SELECT has_function_privilege('authenticated', 'identity.get_current_org_key()', 'EXECUTE') AS key_ok,
       has_function_privilege('authenticated', 'identity.get_current_user_key()', 'EXECUTE') AS user_key_ok;

--------------------------------------------------------------------------
-- 1. The settings: superuser-only (the provider decides whose claims count),
-- and malformed values rejected when set (22023), never at query time.
--------------------------------------------------------------------------
SHOW tenant_guard.provider;
SET ROLE authenticated;
SELECT * FROM pg_temp.try($$SET tenant_guard.provider = 'clerk'$$);
SELECT * FROM pg_temp.try($$SET tenant_guard.claim_paths = 'o.id'$$);
-- the active organization is the request's to choose (among the token's)
SELECT * FROM pg_temp.try($$SET tenant_guard.active_org = 'org_2abc'$$);
RESET tenant_guard.active_org;
RESET ROLE;
SELECT * FROM pg_temp.try($$SET tenant_guard.provider = 'okta'$$);
SELECT * FROM pg_temp.try($$SET tenant_guard.claim_paths = 'custom:tenant_id'$$);
SELECT * FROM pg_temp.try($$SET tenant_guard.claim_paths = '"https://example.com/tenant_id'$$);
SELECT * FROM pg_temp.try($$SET tenant_guard.claim_paths = 'o..id'$$);
SELECT * FROM pg_temp.try($$SET tenant_guard.claim_paths = 'o.id x'$$);
SHOW tenant_guard.provider;
SHOW tenant_guard.claim_paths;

--------------------------------------------------------------------------
-- 2. Clerk: v2 nests the organization (o.id), ids are text keys.
--------------------------------------------------------------------------
SET tenant_guard.provider = 'clerk';
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"user_2Nq","role":"authenticated","o":{"id":"org_2abc","rol":"admin","slg":"acme"}}', true) \g /dev/null
SELECT * FROM cur;
SELECT * FROM trail;
SET LOCAL ROLE authenticated;
SELECT id, name FROM pv.projects ORDER BY id;
INSERT INTO pv.projects VALUES (3, 'org_2xyz', 'planted in B');   -- refused: not the caller's org
ROLLBACK;
-- Wrong nesting: the organization under "org" (auth.jwt()->>'o.id' users
-- meet this as a silent NULL): no tenant, and the trail shows o.id empty.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"user_2Nq","org":{"id":"org_2abc"}}', true) \g /dev/null
SELECT org_key, org_id FROM cur;
SELECT source, path, status, note FROM identity.explain_claims() WHERE path IN ('o.id', 'org_id') OR source = 'result';
SET LOCAL ROLE authenticated;
SELECT count(*) AS projects_seen FROM pv.projects;
ROLLBACK;
-- v1 (org_id at the top) still works; v1 and v2 disagreeing fails closed.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"user_2Nq","org_id":"org_2xyz","org_role":"basic_member"}', true) \g /dev/null
SELECT org_key, role FROM cur;
SELECT set_config('request.jwt.claims', '{"o":{"id":"org_2abc"},"org_id":"org_2xyz"}', true) \g /dev/null
SELECT org_key FROM cur;
SELECT status, note FROM identity.explain_claims() WHERE path = 'org_key' AND source = 'result';
ROLLBACK;
-- get_current_org_id() is for UUIDs: Clerk's keys are not, and explain says so.
BEGIN;
SELECT set_config('request.jwt.claims', '{"o":{"id":"org_2abc"}}', true) \g /dev/null
SELECT identity.get_current_org_id() AS org_id;
SELECT raw_value, note FROM identity.explain_claims() WHERE path = 'provider';
ROLLBACK;

--------------------------------------------------------------------------
-- 3. Keycloak: the organization claim lists several; the active one comes
-- from the x-org-id header (PostgREST's request.headers) or SET LOCAL
-- tenant_guard.active_org, and must be one of the token's.
--------------------------------------------------------------------------
SET tenant_guard.provider = 'keycloak';
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","organization":{"acme":{"id":"11111111-1111-4111-8111-111111111111"},"globex":{"id":"22222222-2222-4222-8222-222222222222"}},"realm_access":{"roles":["member"]}}', true) \g /dev/null
-- two organizations, none selected: NULL, but the list is there
SELECT org_id, identity.get_current_org_ids() AS org_ids, role FROM cur;
SELECT status, note FROM identity.explain_claims() WHERE source = 'result' AND path = 'org_id';
-- the header selects B
SELECT set_config('request.headers', '{"accept":"application/json","x-org-id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT org_id FROM cur;
SET LOCAL ROLE authenticated;
SELECT id, body FROM pv.notes ORDER BY id;
RESET ROLE;
-- SET LOCAL agrees: fine; disagrees with the header: conflict, NULL
SET LOCAL tenant_guard.active_org = '22222222-2222-4222-8222-222222222222';
SELECT org_id FROM cur;
SET LOCAL tenant_guard.active_org = '11111111-1111-4111-8111-111111111111';
SELECT org_id FROM cur;
-- outside the list: fails closed, and the trail says why
SELECT set_config('request.headers', '{}', true) \g /dev/null
SET LOCAL tenant_guard.active_org = '33333333-3333-4333-8333-333333333333';
SELECT org_id, identity.get_current_org_ids() AS org_ids FROM cur;
SELECT source, status, note FROM identity.explain_claims() WHERE source IN ('tenant_guard.active_org', 'result') AND path IN ('', 'org_id');
SET LOCAL ROLE authenticated;
SELECT count(*) AS notes_seen FROM pv.notes;
ROLLBACK;
-- A selector never grants an organization by itself.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f"}', true) \g /dev/null
SELECT set_config('request.headers', '{"x-org-id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id FROM cur;
SET LOCAL ROLE authenticated;
SELECT count(*) AS notes_seen FROM pv.notes;
ROLLBACK;
-- The alias-list form: aliases are keys, not UUIDs.
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization":["acme"]}', true) \g /dev/null
SELECT org_key, org_id FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 4. The other presets: a valid token and one without the claim each.
--------------------------------------------------------------------------
CREATE TEMP TABLE shapes (provider text, token text);
INSERT INTO shapes VALUES
  ('auth0',    '{"sub":"auth0|42","org_id":"org_9XyZ","aud":"https://api.example.com"}'),
  ('auth0',    '{"sub":"auth0|42"}'),
  ('entra',    '{"tid":"11111111-1111-4111-8111-111111111111","oid":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","roles":["Reader"]}'),
  ('entra',    '{"oid":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f"}'),
  ('firebase', '{"sub":"Xk2pQ9rT","firebase":{"tenant":"tenant-one-x7k2p","sign_in_provider":"password"}}'),
  ('firebase', '{"sub":"Xk2pQ9rT","firebase":{"sign_in_provider":"password"}}'),
  ('cognito',  '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","custom:tenant_id":"acme-42","cognito:groups":["admin"]}'),
  ('cognito',  '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","tenant_id":"acme-42"}'),
  ('neon',     '{"sub":"u_1","o":{"id":"org_neon_1","rol":"member"}}'),
  ('neon',     '{"sub":"u_1","org":{"id":"org_neon_1"}}');
CREATE FUNCTION pg_temp.under(p text, token text) RETURNS TABLE (org_key text, org_id uuid, user_key text, role text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('tenant_guard.provider', p, true);
  PERFORM set_config('request.jwt.claims', token, true);
  RETURN QUERY SELECT * FROM cur;
END $$;
SELECT s.provider, u.* FROM shapes s, pg_temp.under(s.provider, s.token) u;

--------------------------------------------------------------------------
-- 5. claim_paths: a namespaced URL claim and a colon key; they replace the
-- preset's tenant paths, and every path holding a value must agree.
--------------------------------------------------------------------------
SET tenant_guard.provider = 'auth0';
SET tenant_guard.claim_paths = '"https://example.com/tenant_id", app_metadata."custom:org"';
SHOW tenant_guard.claim_paths;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"auth0|42","org_id":"org_ignored","https://example.com/tenant_id":"org_2abc"}', true) \g /dev/null
SELECT org_key FROM cur;
SELECT path, raw_value, status FROM identity.explain_claims() WHERE source = 'request.jwt.claims';
SET LOCAL ROLE authenticated;
SELECT id, name FROM pv.projects ORDER BY id;
RESET ROLE;
SELECT set_config('request.jwt.claims', '{"https://example.com/tenant_id":"org_2abc","app_metadata":{"custom:org":"org_2xyz"}}', true) \g /dev/null
SELECT org_key FROM cur;
ROLLBACK;
RESET tenant_guard.claim_paths;
RESET tenant_guard.provider;

--------------------------------------------------------------------------
-- 6. Supabase (the default) is unchanged, and takes the active organization
-- too when app_metadata lists several.
--------------------------------------------------------------------------
SHOW tenant_guard.provider;
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","role":"authenticated","app_metadata":{"organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}}', true) \g /dev/null
SELECT org_id FROM cur;
SELECT set_config('request.headers', '{"x-org-id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id, user_key FROM cur;
SET LOCAL ROLE authenticated;
SELECT id, body FROM pv.notes ORDER BY id;
ROLLBACK;
-- No provider row in explain_claims() for the default.
SELECT count(*) AS provider_rows FROM identity.explain_claims() WHERE path = 'provider';

DROP SCHEMA pv CASCADE;
