-- Hostile claims: huge, deeply nested, invalid escapes, NUL. The helpers
-- return NULL (or resolve, when the tenant part is fine) and the backend
-- survives: every case ends with SELECT 1.
--   A = 11111111-1111-4111-8111-111111111111
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
\pset null '<NULL>'

--------------------------------------------------------------------------
-- 1. 1 MB of claims (a padding string) still resolves.
--------------------------------------------------------------------------
BEGIN;
SELECT length(set_config('request.jwt.claims',
  '{"pad":"' || repeat('x', 1024 * 1024) || '","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}',
  true)) AS claims_bytes;
SELECT identity.get_current_org_id(), identity.get_current_org_key(), identity.get_current_org_ids();
SELECT length(identity.current_claims() ->> 'pad') AS pad_length;
-- explain_claims() does not print the megabyte: no raw value over 250 bytes
SELECT count(*) AS trail_rows, max(length(raw_value)) AS longest_raw_value FROM identity.explain_claims();
SELECT source, path, raw_value, status FROM identity.explain_claims() WHERE status <> 'absent';
ROLLBACK;
SELECT 1;

-- the megabyte in the tenant value itself: invalid, and its raw value is cut at 200 bytes
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"' || repeat('x', 1024 * 1024) || '"}', true) \g /dev/null
-- (as an opaque key the megabyte is valid: get_current_org_key() returns it)
SELECT identity.get_current_org_id(), length(identity.get_current_org_key()) AS key_length;
SELECT source, path, length(raw_value) AS raw_length, right(raw_value, 20) AS raw_tail, status, note
FROM identity.explain_claims() WHERE status <> 'absent';
-- the error DETAIL is bounded too
DO $$
DECLARE d text;
BEGIN
  PERFORM identity.require_org_id();
EXCEPTION WHEN insufficient_privilege THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'detail under 2 kB: %', length(d) < 2048;
END $$;
ROLLBACK;
SELECT 1;

-- a megabyte as the non-UUID key: get_current_org_key() returns it whole
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"org_' || repeat('k', 1024 * 1024) || '"}', true) \g /dev/null
SELECT identity.get_current_org_id(), length(identity.get_current_org_key()) AS key_length;
ROLLBACK;
SELECT 1;

--------------------------------------------------------------------------
-- 2. 1 MB that is not JSON: malformed -> NULL, raw value truncated.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', repeat('not json ', 116509), true) \g /dev/null
SELECT length(current_setting('request.jwt.claims')) AS setting_bytes;
SELECT identity.get_current_org_id(), identity.get_current_org_key(), identity.current_claims();
SELECT source, length(raw_value) AS raw_length, right(raw_value, 20) AS raw_tail, status, note
FROM identity.explain_claims() WHERE status <> 'absent' AND source <> 'result';
ROLLBACK;
SELECT 1;

--------------------------------------------------------------------------
-- 3. Deep nesting: 100,000 levels -> malformed, no stack overflow.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', repeat('[', 100000), true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_key(), identity.current_claims();
SELECT status, note FROM identity.explain_claims() WHERE source = 'request.jwt.claims';
SELECT set_config('request.jwt.claims', repeat('[', 100000) || repeat(']', 100000), true) \g /dev/null
SELECT identity.get_current_org_id(), identity.current_claims();
-- nested inside an otherwise valid document, next to a valid tenant
SELECT set_config('request.jwt.claims',
  '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"x":' || repeat('{"a":', 100000) || '1' || repeat('}', 100000) || '}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_user_id(), identity.get_current_role(), identity.current_claims();
SELECT status, note FROM identity.explain_claims() WHERE source = 'request.jwt.claims';
-- in a legacy per-claim setting
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT set_config('request.jwt.claim.app_metadata', repeat('[', 100000), true) \g /dev/null
SELECT set_config('request.jwt.claim.org_id', '11111111-1111-4111-8111-111111111111', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.current_claims();
-- 100 levels is fine (the limit is 128)
SELECT set_config('request.jwt.claim.app_metadata', '', true) \g /dev/null
SELECT set_config('request.jwt.claims',
  '{"org_id":"11111111-1111-4111-8111-111111111111","x":' || repeat('[', 100) || repeat(']', 100) || '}', true) \g /dev/null
SELECT identity.get_current_org_id();
ROLLBACK;
SELECT 1;

--------------------------------------------------------------------------
-- 4. Invalid UTF-16 escapes: a lone surrogate is malformed -> NULL.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"\ud800"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_key(), identity.current_claims();
SELECT source, raw_value, status, note FROM identity.explain_claims() WHERE source = 'request.jwt.claims';
-- in an unrelated claim, next to a valid tenant: the whole document is malformed
SELECT set_config('request.jwt.claims', '{"name":"\udc00x","organization_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_user_id(), identity.current_claims();
-- a valid surrogate pair is fine
SELECT set_config('request.jwt.claims', '{"name":"\ud83d\ude00","organization_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.current_claims() ->> 'name' AS name;
ROLLBACK;
-- PostgreSQL's own jsonb rejects it as well
SELECT '{"name":"\ud800"}'::jsonb;
SELECT 1;

--------------------------------------------------------------------------
-- 5. \u0000 (NUL), which PostgreSQL text and jsonb cannot hold.
--------------------------------------------------------------------------
BEGIN;
-- inside the tenant value: invalid -> NULL
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111\u0000"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_key(), identity.get_current_org_ids(), identity.current_claims();
SELECT source, path, raw_value, status, note FROM identity.explain_claims() WHERE status <> 'absent';
SELECT set_config('request.jwt.claims', '{"org_id":"org_\u0000abc"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_key();
SELECT set_config('request.jwt.claims', '{"org_ids":["org_a","org_\u0000a"]}', true) \g /dev/null
SELECT identity.get_current_org_ids(), identity.get_current_org_key();
-- in the role or sub claim
SELECT set_config('request.jwt.claims', '{"role":"auth\u0000enticated","sub":"aaaaaaaa-0000-4000-8000-00000000000a\u0000"}', true) \g /dev/null
SELECT identity.get_current_role(), identity.get_current_user_id();
-- in an unrelated claim: the tenant resolves, current_claims() is NULL (jsonb cannot store it)
SELECT set_config('request.jwt.claims', '{"name":"a\u0000b","organization_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.current_claims();
ROLLBACK;
SELECT 1;

--------------------------------------------------------------------------
-- 6. Other odd input.
--------------------------------------------------------------------------
BEGIN;
-- numbers out of range and huge integers
SELECT set_config('request.jwt.claims', '{"organization_id":1e400}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_key();
SELECT source, path, status, note FROM identity.explain_claims() WHERE status <> 'absent' AND source <> 'result';
SELECT set_config('request.jwt.claims', '{"org_id":123456789012345678901234567890}', true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_key();
SELECT source, path, raw_value, status, note FROM identity.explain_claims() WHERE status <> 'absent' AND source <> 'result';
-- many repeated keys
SELECT set_config('request.jwt.claims', '{' || string_agg('"org_id":"11111111-1111-4111-8111-111111111111"', ',') || '}', true)
FROM generate_series(1, 10000) \g /dev/null
SELECT identity.get_current_org_id(), (SELECT count(*) FROM identity.explain_claims()) AS trail_rows;
-- a long membership list
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111","organization_ids":['
  || string_agg(format('"%s"', md5(g::text)::uuid), ',') || ',"11111111-1111-4111-8111-111111111111"]}', true)
FROM generate_series(1, 10000) AS g \g /dev/null
SELECT identity.get_current_org_id(), cardinality(identity.get_current_org_ids()) AS memberships,
       identity.has_org(md5('5000')::uuid) AS has_5000, identity.has_org(md5('x')::uuid) AS has_x;
-- a BOM, white space around the document, and control characters
SELECT set_config('request.jwt.claims', E'\uFEFF{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT set_config('request.jwt.claims', E' \n\t{"org_id":"11111111-1111-4111-8111-111111111111"}\n ', true) \g /dev/null
SELECT identity.get_current_org_id();
SELECT set_config('request.jwt.claims', E'{"org_id":"11111111-1111-4111-8111-111111111111\t"}', true) \g /dev/null
SELECT identity.get_current_org_id();
ROLLBACK;
SELECT 1;

-- the backend is still the same one, and healthy
SELECT count(*) FROM generate_series(1, 1000);
