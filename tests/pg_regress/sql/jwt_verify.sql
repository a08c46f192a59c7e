-- tenant_guard.verify_jwt: the attack corpus through SQL, each rejected with
-- SQLSTATE 28000 and the rule that failed; key settings hidden from and
-- closed to non-superusers. Tokens are signed here with HMAC in plain SQL
-- (include/jws.sql, test-only secret); every asymmetric algorithm is covered by
-- core/tests/jwt_*.rs and tests/driver/test_jwt.py with keys made per run.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP ROLE IF EXISTS tg_jwt_user;
RESET client_min_messages;
CREATE ROLE tg_jwt_user LOGIN;
\pset null '<NULL>'

\getenv abs_srcdir PG_ABS_SRCDIR
\set jws_sql :abs_srcdir '/include/jws.sql'
\i :jws_sql
CREATE FUNCTION pg_temp.hs256(payload text) RETURNS text LANGUAGE sql AS
  $$ SELECT pg_temp.jws('{"alg":"HS256","typ":"JWT"}', payload, 'test-only-hmac-secret-0123456789abcdefgh') $$;
-- The SQLSTATE a statement fails with ('ok' if it does not): the same on every
-- PostgreSQL version, where the message wording differs (15 vs 18).
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
-- 'valid', or SQLSTATE, DETAIL (the rule) and message.
CREATE FUNCTION pg_temp.verdict(token text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text;
BEGIN
  PERFORM tenant_guard.verify_jwt(token);
  RETURN 'valid';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
  RETURN st || ' ' || det || ': ' || msg;
END $$;

-- Claims used below: exp in 2100, nbf/iat in 2020.
\set ok '{"sub":"7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f","role":"authenticated","aud":"authenticated","iss":"https://issuer.test/auth/v1","iat":1600000000,"nbf":1600000000,"exp":4102444800,"app_metadata":{"org_id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}}'

-- 1. No key configured (whatever the server configuration says): nothing verifies.
SET tenant_guard.jwt_secret = '';
SET tenant_guard.jwks = '';
SET tenant_guard.jwt_audience = '';
SET tenant_guard.jwt_issuer = '';
SET tenant_guard.jwt_leeway = 30;
SELECT pg_temp.verdict(pg_temp.hs256(:'ok'));
-- A short secret is refused when set (22023), without quoting it.
SET tenant_guard.jwt_secret = 'too-short';
SET tenant_guard.jwt_secret = 'test-only-hmac-secret-0123456789abcdefgh';

-- 2. Valid tokens: HS256, HS384, HS512; NULL in, NULL out.
SELECT tenant_guard.verify_jwt(pg_temp.hs256(:'ok')) ->> 'sub' AS sub;
SELECT pg_temp.verdict(pg_temp.jws('{"alg":"HS384"}', :'ok', 'test-only-hmac-secret-0123456789abcdefgh', 'sha384')) AS hs384,
       pg_temp.verdict(pg_temp.jws('{"alg":"HS512"}', :'ok', 'test-only-hmac-secret-0123456789abcdefgh', 'sha512')) AS hs512;
SELECT tenant_guard.verify_jwt(NULL) AS null_token;

-- 3. The attack corpus.
SELECT name, pg_temp.verdict(token) AS verdict FROM (VALUES
  ('alg none, empty signature',
     pg_temp.b64url('{"alg":"none"}') || '.' || pg_temp.b64url(convert_to(:'ok', 'UTF8')) || '.'),
  ('alg None (case)', pg_temp.jws('{"alg":"None"}', :'ok', 'test-only-hmac-secret-0123456789abcdefgh')),
  ('signed with another secret', pg_temp.jws('{"alg":"HS256"}', :'ok', 'attacker-secret-0123456789abcdefghijklmn')),
  ('expired', pg_temp.hs256('{"exp":1000000000}')),
  ('exp within the 30 s leeway', pg_temp.hs256(format('{"exp":%s}', extract(epoch FROM now())::bigint - 5))),
  ('nbf in the future', pg_temp.hs256('{"exp":4102444800,"nbf":4000000000}')),
  ('iat in the future', pg_temp.hs256('{"exp":4102444800,"iat":4000000000}')),
  ('no exp', pg_temp.hs256('{"sub":"x"}')),
  ('string exp (CVE-2026-25537)', pg_temp.hs256('{"exp":"4102444800"}')),
  ('string exp in the past', pg_temp.hs256('{"exp":"1000000000"}')),
  ('null exp', pg_temp.hs256('{"exp":null}')),
  ('string nbf', pg_temp.hs256('{"exp":4102444800,"nbf":"4000000000"}')),
  ('payload is an array', pg_temp.hs256('[1,2]')),
  ('payload is a string', pg_temp.hs256('"x"')),
  ('payload is not JSON', pg_temp.hs256('{"exp":')),
  ('duplicate claim', pg_temp.hs256('{"exp":4102444800,"sub":"a","sub":"b"}')),
  ('NUL in a claim', pg_temp.hs256('{"exp":4102444800,"sub":"a\u0000b"}')),
  ('header not JSON', pg_temp.jws('alg', :'ok', 'test-only-hmac-secret-0123456789abcdefgh')),
  ('header without alg', pg_temp.jws('{"typ":"JWT"}', :'ok', 'test-only-hmac-secret-0123456789abcdefgh')),
  ('crit header', pg_temp.jws('{"alg":"HS256","crit":["exp"]}', :'ok', 'test-only-hmac-secret-0123456789abcdefgh')),
  ('unknown kid', pg_temp.jws('{"alg":"HS256","kid":"nope"}', :'ok', 'test-only-hmac-secret-0123456789abcdefgh')),
  ('two parts', 'eyJhbGciOiJIUzI1NiJ9.e30'),
  ('four parts', pg_temp.hs256(:'ok') || '.x'),
  ('bad base64', '!!!.e30.e30'),
  ('padded base64', pg_temp.hs256(:'ok') || '='),
  ('empty', ''),
  ('a 1 MB token', repeat('a', 1048576))
) AS cases(name, token);

-- Tampering: a valid token with its payload swapped, or its signature changed.
SELECT pg_temp.verdict(split_part(t, '.', 1) || '.' ||
         pg_temp.b64url(convert_to(replace(:'ok', 'a0eebc99', 'b0eebc99'), 'UTF8')) || '.' ||
         split_part(t, '.', 3)) AS tampered_payload,
       pg_temp.verdict(left(t, -2) || CASE WHEN right(t, 2) = 'AA' THEN 'AB' ELSE 'AA' END) AS tampered_signature
FROM (SELECT pg_temp.hs256(:'ok') AS t) x;

-- 4. aud and iss, checked once configured.
SET tenant_guard.jwt_audience = 'authenticated';
SET tenant_guard.jwt_issuer = 'https://issuer.test/auth/v1';
SELECT name, pg_temp.verdict(pg_temp.hs256(claims)) AS verdict FROM (VALUES
  ('right aud and iss', :'ok'),
  ('aud in a list', replace(:'ok', '"aud":"authenticated"', '"aud":["x","authenticated"]')),
  ('wrong aud', replace(:'ok', '"aud":"authenticated"', '"aud":"service"')),
  ('no aud', replace(:'ok', '"aud":"authenticated",', '')),
  ('wrong iss', replace(:'ok', 'issuer.test', 'evil.test')),
  ('iss not a string', replace(:'ok', '"iss":"https://issuer.test/auth/v1"', '"iss":1'))
) AS cases(name, claims);
SET tenant_guard.jwt_audience = '';
SET tenant_guard.jwt_issuer = '';

-- 5. Key confusion: an RSA public key in the JWKS, and a token that says
-- HS256 and is HMAC-signed with that public key's modulus. The algorithm
-- comes from the key, never from the header: rejected either way.
SET tenant_guard.jwks = '{"keys":[{"kty":"RSA","kid":"rsa-1","use":"sig","alg":"RS256","e":"AQAB","n":"58avVE785K84lUsdGmKuKMSYcvz5Lk-UWjToJhDo1i1K8Lx3G8FXFQbLdrWzyem3vvdyvpvlu4DpGPh44Gu_5bZDgux2-BfRd_sb2sBx_husSOYEMcLz3ME0J9ofwVcnGWrPY98MLE_IG6j3RaolE33yoh2l6fenw76Cv-2sfOcSw4M2atCj6U4kPb9xVY4z-w-8nq7Xg14wkvddI3aZWpv9znXMOGMJhjSP48uvmkM5AvCC4TyJN2Rrtf3j_WOPZP2uxnt8ZmXCkPLHfLd3qhMgiqES4AfUDzmLdtSM8-udZLev-h4gJPITLSdVMeVb4o9b76Ds314ukCbhzQj5UQ"}]}';
\set n '58avVE785K84lUsdGmKuKMSYcvz5Lk-UWjToJhDo1i1K8Lx3G8FXFQbLdrWzyem3vvdyvpvlu4DpGPh44Gu_5bZDgux2-BfRd_sb2sBx_husSOYEMcLz3ME0J9ofwVcnGWrPY98MLE_IG6j3RaolE33yoh2l6fenw76Cv-2sfOcSw4M2atCj6U4kPb9xVY4z-w-8nq7Xg14wkvddI3aZWpv9znXMOGMJhjSP48uvmkM5AvCC4TyJN2Rrtf3j_WOPZP2uxnt8ZmXCkPLHfLd3qhMgiqES4AfUDzmLdtSM8-udZLev-h4gJPITLSdVMeVb4o9b76Ds314ukCbhzQj5UQ'
SELECT pg_temp.verdict(pg_temp.jws('{"alg":"HS256","kid":"rsa-1"}', :'ok', :'n')) AS hs256_with_rsa_kid,
       pg_temp.verdict(pg_temp.jws('{"alg":"HS256"}', :'ok', :'n')) AS hs256_without_kid,
       pg_temp.verdict(pg_temp.jws('{"alg":"RS256","kid":"rsa-1"}', :'ok', :'n')) AS rs256_forged;
-- With only the JWKS, an HS256 token has no key at all.
SET tenant_guard.jwt_secret = '';
SELECT pg_temp.verdict(pg_temp.hs256(:'ok')) AS hs256_without_secret;
-- A broken JWKS is refused when set, naming the key, never quoting it.
SET tenant_guard.jwks = '{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}';
SET tenant_guard.jwks = '{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}';
SET tenant_guard.jwks = '{"keys":[{"kty":"RSA","kid":"k","n":"x","e":"AQAB","d":"secret-part"}]}';
SET tenant_guard.jwks = 'not json';
SET tenant_guard.jwks = '{"keys":[{"kty":"oct","use":"enc","k":"c2VjcmV0"}]}';
SET tenant_guard.jwks = '';

-- 6. Key settings are superuser-only: a plain role can neither read nor set them.
SET tenant_guard.jwt_secret = 'test-only-hmac-secret-0123456789abcdefgh';
SET ROLE tg_jwt_user;
SELECT pg_temp.sqlstate_of('SHOW tenant_guard.jwt_secret') AS show_secret,
       pg_temp.sqlstate_of($$SELECT current_setting('tenant_guard.jwt_secret')$$) AS read_secret,
       pg_temp.sqlstate_of($$SELECT current_setting('tenant_guard.jwks')$$) AS read_jwks;
SELECT count(*) AS visible_in_pg_settings FROM pg_settings
WHERE name IN ('tenant_guard.jwt_secret', 'tenant_guard.jwks', 'tenant_guard.verified_claims');
SET tenant_guard.jwt_secret = 'attacker-secret-0123456789abcdefghijklmn';
SET tenant_guard.jwks = '{"keys":[]}';
SET tenant_guard.jwt_leeway = 100000;
SET tenant_guard.jwt_audience = '';
SET tenant_guard.require_verified = off;
SET tenant_guard.trusted_session_users = '';
SET tenant_guard.require_transaction_scope = off;
SET tenant_guard.verified_claims = '{"org_id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}';
SELECT set_config('tenant_guard.verified_claims', '{}', true);
-- ... but may verify tokens with them.
SELECT tenant_guard.verify_jwt(pg_temp.hs256(:'ok')) ->> 'role' AS role;
RESET ROLE;
-- Not even a superuser sets verified claims by hand.
SET tenant_guard.verified_claims = '{"org_id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}';
ALTER ROLE tg_jwt_user SET tenant_guard.verified_claims = '{}';

-- 7. Leeway: 0 rejects a token 5 s past exp; an out-of-range value is refused.
SET tenant_guard.jwt_leeway = 0;
SELECT pg_temp.verdict(pg_temp.hs256(format('{"exp":%s}', extract(epoch FROM now())::bigint - 5))) AS five_seconds_late;
SELECT pg_temp.sqlstate_of('SET tenant_guard.jwt_leeway = -1') AS negative_leeway;
SET tenant_guard.jwt_leeway = 30;
SET tenant_guard.jwt_secret = '';
DROP ROLE tg_jwt_user;
