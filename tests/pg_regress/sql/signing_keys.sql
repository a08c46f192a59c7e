-- tenant_guard.signing_keys: verification keys by kid in a table, superuser
-- only; import_jwks(); rotation with two keys live at once; a retired
-- (not_after past) and a future key rejected; unknown kid; keys limited to
-- an audience; array aud; identity.whoami(). Tokens are HMAC-signed in SQL
-- (include/jws.sql) with oct keys; the other algorithms go through the same
-- table in tests/jwt (Python, every algorithm) and the core tests.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
END $$;
RESET client_min_messages;
\pset null '<NULL>'
\getenv abs_srcdir PG_ABS_SRCDIR
\set jws_sql :abs_srcdir '/include/jws.sql'
\i :jws_sql
SELECT identity.get_current_org_id() IS NULL AS library_loaded;
-- A statement's error as (sqlstate, message, detail); NULLs when it succeeds.
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
-- An oct JWK for a secret, and an HS256 token with a kid, valid for an hour.
CREATE FUNCTION pg_temp.oct(secret text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT jsonb_build_object('kty', 'oct', 'k', pg_temp.b64url(convert_to(secret, 'UTF8'))) $$;
CREATE FUNCTION pg_temp.tok(kid text, secret text, aud text DEFAULT '"authenticated"') RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.jws(format('{"alg":"HS256","typ":"JWT","kid":"%s"}', kid),
    format('{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","role":"authenticated","aud":%s,"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"exp":%s}',
           aud, extract(epoch FROM now())::bigint + 3600), secret)
$$;
\set k1 'rotation-one-0123456789abcdef0123456789'
\set k2 'rotation-two-0123456789abcdef0123456789'
SELECT current_setting('tenant_guard.jwks') = '' AND current_setting('tenant_guard.jwt_secret') = '' AS no_other_keys;

--------------------------------------------------------------------------
-- 1. Superusers only: no other role reads or changes the keys.
--------------------------------------------------------------------------
SET ROLE authenticated;
SELECT * FROM pg_temp.try('SELECT count(*) FROM tenant_guard.signing_keys');
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('mine', 'HS256', '{"kty":"oct","k":"AAAA"}')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM tenant_guard.import_jwks('{"keys":[]}')$$);
RESET ROLE;
SELECT has_table_privilege('authenticated', 'tenant_guard.signing_keys', 'SELECT') AS auth_select,
       has_function_privilege('authenticated', 'tenant_guard.import_jwks(jsonb, text, text)', 'EXECUTE') AS auth_import;

--------------------------------------------------------------------------
-- 2. Rows that could never verify are refused when written (22023), the
-- message naming the kid and the rule, never the key material.
--------------------------------------------------------------------------
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('short', 'HS256', pg_temp.oct('too-short'))$$);
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('wrongalg', 'RS256', pg_temp.oct('rotation-one-0123456789abcdef0123456789'))$$);
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('none', 'none', pg_temp.oct('rotation-one-0123456789abcdef0123456789'))$$);
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('notjwk', 'HS256', '[1,2]')$$);
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key, not_before, not_after)
  VALUES ('window', 'HS256', pg_temp.oct('rotation-one-0123456789abcdef0123456789'), now(), now() - interval '1 day')$$);
SELECT * FROM pg_temp.try($$INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('', 'HS256', pg_temp.oct('rotation-one-0123456789abcdef0123456789'))$$);
SELECT count(*) AS rows_after_refusals FROM tenant_guard.signing_keys;

--------------------------------------------------------------------------
-- 3. import_jwks(): a provider's JWKS; entries not for signatures skipped;
-- importing again changes nothing.
--------------------------------------------------------------------------
SELECT * FROM tenant_guard.import_jwks(jsonb_build_object('keys', jsonb_build_array(
  pg_temp.oct(:'k1') || '{"kid":"k1","alg":"HS256"}',
  '{"kty":"RSA","use":"enc","kid":"enc-1","n":"AQAB","e":"AQAB"}'::jsonb)));
SELECT * FROM tenant_guard.import_jwks(jsonb_build_object('keys', jsonb_build_array(
  pg_temp.oct(:'k1') || '{"kid":"k1","alg":"HS256"}')));
SELECT * FROM pg_temp.try($$SELECT * FROM tenant_guard.import_jwks('{"keys":[{"kty":"EC","crv":"P-256","kid":"bad","x":"AAAA","y":"AAAA"}]}')$$);
SELECT kid, alg, key ? 'k' AS has_k, issuer, audience, not_before, not_after FROM tenant_guard.signing_keys ORDER BY kid;

--------------------------------------------------------------------------
-- 4. The key verifies tokens for every role: the request role reads the
-- table through the extension only. whoami() names the key.
--------------------------------------------------------------------------
SELECT tenant_guard.verify_jwt(pg_temp.tok('k1', :'k1')) ->> 'sub' AS sub;
SELECT pg_temp.tok('k1', :'k1') AS t1 \gset
BEGIN;
SET LOCAL ROLE authenticated;
SELECT tenant_guard.authenticate(:'t1') ->> 'role' AS authenticated_as;
SELECT identity.get_current_org_id() AS org_id;
SELECT w ->> 'key_id' AS key_id, w ->> 'claims_source' AS claims_source, w ->> 'tenant' AS tenant,
       w ->> 'user_id' AS user_id, w ->> 'role' AS role, (w ->> 'expired')::boolean AS expired,
       w ->> 'expires_at' IS NOT NULL AS has_expiry
FROM identity.whoami() w;
ROLLBACK;

--------------------------------------------------------------------------
-- 5. Rotation with no failed request: the new key is added before the
-- provider signs with it (both live), then the old one is retired.
--------------------------------------------------------------------------
INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('k2', 'HS256', pg_temp.oct(:'k2'));
SELECT tenant_guard.verify_jwt(pg_temp.tok('k1', :'k1')) ->> 'sub' IS NOT NULL AS old_key_ok,
       tenant_guard.verify_jwt(pg_temp.tok('k2', :'k2')) ->> 'sub' IS NOT NULL AS new_key_ok;
UPDATE tenant_guard.signing_keys SET not_after = now() - interval '1 second' WHERE kid = 'k1';
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k1', :'k1')));
SELECT tenant_guard.verify_jwt(pg_temp.tok('k2', :'k2')) ->> 'sub' IS NOT NULL AS new_key_ok;
-- A key for later: not valid before its not_before.
INSERT INTO tenant_guard.signing_keys (kid, alg, key, not_before)
  VALUES ('k3', 'HS256', pg_temp.oct('rotation-three-0123456789abcdef01234567'), now() + interval '1 hour');
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k3', 'rotation-three-0123456789abcdef01234567')));
-- A kid no row has, and a token signed with another key under a known kid.
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k9', :'k2')));
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k2', :'k1')));
-- Deleting the key: its tokens stop at once.
DELETE FROM tenant_guard.signing_keys WHERE kid = 'k2';
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k2', :'k2')));

--------------------------------------------------------------------------
-- 6. Audiences: aud may be an array; jwt_audience takes a list; a key may
-- be limited to one audience of its own.
--------------------------------------------------------------------------
INSERT INTO tenant_guard.signing_keys (kid, alg, key) VALUES ('k4', 'HS256', pg_temp.oct(:'k2'));
INSERT INTO tenant_guard.signing_keys (kid, alg, key, audience) VALUES ('k5', 'HS256', pg_temp.oct(:'k1'), 'billing-api');
SET tenant_guard.jwt_audience = 'crm-api, authenticated';
SELECT tenant_guard.verify_jwt(pg_temp.tok('k4', :'k2', '["x","authenticated"]')) -> 'aud' AS aud_array_ok;
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k4', :'k2', '["x","y"]')));
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k5', :'k1', '"authenticated"')));
SELECT tenant_guard.verify_jwt(pg_temp.tok('k5', :'k1', '["authenticated","billing-api"]')) -> 'aud' AS key_audience_ok;
RESET tenant_guard.jwt_audience;

--------------------------------------------------------------------------
-- 7. whoami() without a token: NULLs with the reason.
--------------------------------------------------------------------------
SELECT identity.whoami() - 'claims_note' AS whoami;
-- Claims from a setting, with an exp no timestamp can hold: shown as it is, no error.
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","exp":1e300,"app_metadata":{"organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}}', true) \g /dev/null
SELECT w -> 'expires_at' AS expires_at, w -> 'expired' AS expired, w ->> 'claims_source' AS claims_source,
       w ->> 'key_id' AS key_id, w ->> 'tenant_reason' AS tenant_reason, w -> 'organizations' AS organizations
FROM identity.whoami() w;
SELECT set_config('request.jwt.claims', '{"exp":4102444800}', true) \g /dev/null
SELECT identity.whoami() -> 'expires_at' AS expires_at;
ROLLBACK;

TRUNCATE tenant_guard.signing_keys;
SELECT * FROM pg_temp.try(format('SELECT tenant_guard.verify_jwt(%L)', pg_temp.tok('k4', :'k2')));
