-- Every identity.* helper over many claim shapes. Each case runs in its own
-- transaction with set_config(..., true), the way PostgREST sets the claims,
-- and is rolled back. Tenants used throughout:
--   A = 11111111-1111-4111-8111-111111111111
--   B = 22222222-2222-4222-8222-222222222222
--   C = 33333333-3333-4333-8333-333333333333
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
\pset null '<NULL>'
-- One row with every scalar helper, evaluated when selected.
CREATE TEMP VIEW cur AS
SELECT identity.get_current_org_id()  AS org_id,
       identity.get_current_org_key() AS org_key,
       identity.get_current_org_ids() AS org_ids,
       identity.get_current_user_id() AS user_id,
       identity.get_current_role()    AS role;
-- The non-absent locations explain_claims() reports, compactly.
CREATE TEMP VIEW trail AS
SELECT source, path, raw_value, status, note
FROM identity.explain_claims()
WHERE status <> 'absent' OR source = 'result';

--------------------------------------------------------------------------
-- 1. No claims at all: everything NULL, has_org false, a full trail of absents.
--------------------------------------------------------------------------
SELECT current_setting('request.jwt.claims', true) IS NULL
    OR current_setting('request.jwt.claims', true) = '' AS no_claims_setting;
SELECT * FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a,
       identity.has_org(NULL) AS has_null,
       identity.current_claims() AS claims;
SELECT * FROM identity.explain_claims();

--------------------------------------------------------------------------
-- 2. app_metadata.organization_id (the recommended location).
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"aaaaaaaa-0000-4000-8000-00000000000a","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT * FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a,
       identity.has_org('22222222-2222-4222-8222-222222222222') AS has_b;
SELECT identity.current_claims();
SELECT * FROM identity.explain_claims();
ROLLBACK;

--------------------------------------------------------------------------
-- 3. Top-level keys: organization_id, org_id, tenant_id each work alone.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"tenant_id":"33333333-3333-4333-8333-333333333333"}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"tenant_id":"33333333-3333-4333-8333-333333333333"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 4. org_id vs organization_id: agreeing -> the tenant; conflicting -> NULL.
--------------------------------------------------------------------------
BEGIN;
-- agree (top-level org_id, app_metadata.organization_id)
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
-- conflict (top-level org_id B, app_metadata.organization_id A)
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a,
       identity.has_org('22222222-2222-4222-8222-222222222222') AS has_b;
SELECT * FROM trail;
-- conflict between two top-level keys
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111","tenant_id":"33333333-3333-4333-8333-333333333333"}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
-- conflict between top level and app_metadata for the same key
SELECT set_config('request.jwt.claims', '{"organization_id":"11111111-1111-4111-8111-111111111111","app_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
-- duplicate key in one object: same value -> fine, different values -> NULL
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111","org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111","org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT * FROM trail;
-- duplicate key where one copy is empty or null: json and jsonb disagree on
-- which copy wins, so the helpers pick none
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111","org_id":""}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":null,"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT * FROM trail;
-- duplicate app_metadata objects: the second one without the key, or with another id
SELECT set_config('request.jwt.claims', '{"app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"},"app_metadata":{}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"},"app_metadata":{"org_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"},"app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- both copies empty: simply absent
SELECT set_config('request.jwt.claims', '{"org_id":null,"org_id":"","tenant_id":"33333333-3333-4333-8333-333333333333"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- keys are case-sensitive: ORG_ID is not a tenant key
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111","ORG_ID":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 5. UUID spellings uuid_in accepts are normalized, and compare equal.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"a0eebc999c0b4ef8bb6d6bb9bd380a11"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- upper-case in one location, braced lower-case in another: the same tenant
SELECT set_config('request.jwt.claims', '{"org_id":"{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}","app_metadata":{"organization_id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
-- forms uuid_in rejects are invalid: surrounding space, missing digit, one brace
SELECT set_config('request.jwt.claims', '{"org_id":" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}', true) \g /dev/null
SELECT org_id FROM cur;
SELECT set_config('request.jwt.claims', '{"org_id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"}', true) \g /dev/null
SELECT org_id FROM cur;
SELECT set_config('request.jwt.claims', '{"org_id":"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}', true) \g /dev/null
SELECT org_id FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 6. '' and null mean absent; they never veto a valid value elsewhere.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":""}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"organization_id":null}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"organization_id":"","org_id":null,"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
-- app_metadata itself null: ignored silently
SELECT set_config('request.jwt.claims', '{"app_metadata":null,"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id FROM cur;
-- the whole setting empty, or the JSON literal null: absent
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT org_id, identity.current_claims() AS claims FROM cur;
SELECT set_config('request.jwt.claims', 'null', true) \g /dev/null
SELECT org_id, identity.current_claims() AS claims FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 7. Invalid values fail closed, even next to a valid value.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"not-a-uuid"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
SELECT set_config('request.jwt.claims', '{"org_id":"not-a-uuid","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a;
-- wrong JSON types under a tenant key
SELECT set_config('request.jwt.claims', '{"organization_id":true}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"organization_id":{"id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"organization_id":["11111111-1111-4111-8111-111111111111"]}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT * FROM trail;
-- app_metadata that is not an object: ignored (reported), not a veto
SELECT set_config('request.jwt.claims', '{"app_metadata":"x","org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id FROM cur;
SELECT * FROM trail;
ROLLBACK;

--------------------------------------------------------------------------
-- 8. Numbers: never a UUID; an integer is a valid key, a fraction is not.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"organization_id":42}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
SELECT set_config('request.jwt.claims', '{"organization_id":4.2}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- the integer 42 and the string "42" are the same key
SELECT set_config('request.jwt.claims', '{"org_id":42,"app_metadata":{"org_id":"42"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 9. Malformed claims: everything NULL, never an error.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata": {', true) \g /dev/null
SELECT * FROM cur;
SELECT identity.current_claims() AS claims,
       identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a;
SELECT * FROM trail;
-- valid JSON that is not an object
SELECT set_config('request.jwt.claims', '["11111111-1111-4111-8111-111111111111"]', true) \g /dev/null
SELECT org_id, org_key, identity.current_claims() AS claims FROM cur;
SELECT set_config('request.jwt.claims', '"11111111-1111-4111-8111-111111111111"', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- trailing garbage after an object
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"} x', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- malformed claims veto an otherwise valid app.tenant_id
SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
SELECT set_config('request.jwt.claims', '{not json', true) \g /dev/null
SELECT org_id, org_key FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 10. Membership lists (organization_ids, org_ids, tenant_ids) and has_org().
--------------------------------------------------------------------------
BEGIN;
-- a list of two, no single id: ambiguous -> no org_id, but the list is usable
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a,
       identity.has_org('22222222-2222-4222-8222-222222222222') AS has_b,
       identity.has_org('33333333-3333-4333-8333-333333333333') AS has_c;
SELECT * FROM trail;
-- a list of one: that tenant
SELECT set_config('request.jwt.claims', '{"org_ids":["11111111-1111-4111-8111-111111111111"]}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
-- a single id selected from the list
SELECT set_config('request.jwt.claims', '{"organization_id":"22222222-2222-4222-8222-222222222222","organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a,
       identity.has_org('33333333-3333-4333-8333-333333333333') AS has_c;
-- a single id outside the list: not_member -> NULL, no memberships
SELECT set_config('request.jwt.claims', '{"organization_id":"33333333-3333-4333-8333-333333333333","organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a,
       identity.has_org('33333333-3333-4333-8333-333333333333') AS has_c;
SELECT * FROM trail;
-- the same list in two locations, different order and case, duplicates: agree
SELECT set_config('request.jwt.claims', '{"organization_ids":["22222222-2222-4222-8222-222222222222","11111111-1111-4111-8111-111111111111","11111111-1111-4111-8111-111111111111"],"app_metadata":{"organization_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}}', true) \g /dev/null
SELECT org_id, org_ids FROM cur;
-- two lists that differ: conflict
SELECT set_config('request.jwt.claims', '{"organization_ids":["11111111-1111-4111-8111-111111111111"],"app_metadata":{"org_ids":["11111111-1111-4111-8111-111111111111","22222222-2222-4222-8222-222222222222"]}}', true) \g /dev/null
SELECT org_id, org_ids FROM cur;
SELECT identity.has_org('11111111-1111-4111-8111-111111111111') AS has_a;
-- an invalid element, or a list that is not an array: invalid
SELECT set_config('request.jwt.claims', '{"organization_ids":["11111111-1111-4111-8111-111111111111","nope"]}', true) \g /dev/null
SELECT org_id, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"organization_ids":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id, org_ids FROM cur;
SELECT * FROM trail;
-- an empty list and no single id: absent
SELECT set_config('request.jwt.claims', '{"organization_ids":[]}', true) \g /dev/null
SELECT org_id, org_ids FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 11. get_current_org_key(): non-UUID provider ids such as org_2abc.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"org_id":"org_2abc"}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
SELECT set_config('request.jwt.claims', '{"org_id":"org_2abc","app_metadata":{"organization_id":"org_2abc"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"org_id":"org_2abc","app_metadata":{"organization_id":"org_9xyz"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- keys are compared exactly: case matters for non-UUID keys
SELECT set_config('request.jwt.claims', '{"org_id":"org_2abc","organization_id":"ORG_2ABC"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- a UUID is kept verbatim in key mode (not normalized)
SELECT set_config('request.jwt.claims', '{"org_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- key mode compares exact text: the same UUID spelled two ways agrees for
-- get_current_org_id() but conflicts for get_current_org_key()
SELECT set_config('request.jwt.claims', '{"org_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11","app_metadata":{"org_id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 12. get_current_user_id(): the sub claim, UUID only.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"AAAAAAAA-0000-4000-8000-00000000000A"}', true) \g /dev/null
SELECT user_id FROM cur;
SELECT set_config('request.jwt.claims', '{"sub":"user_2abc"}', true) \g /dev/null
SELECT user_id FROM cur;
SELECT set_config('request.jwt.claims', '{"sub":12345}', true) \g /dev/null
SELECT user_id FROM cur;
SELECT set_config('request.jwt.claims', '{"sub":""}', true) \g /dev/null
SELECT user_id FROM cur;
SELECT set_config('request.jwt.claims', '{"role":"anon"}', true) \g /dev/null
SELECT user_id FROM cur;
-- a duplicated sub that disagrees: NULL
SELECT set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","sub":"bbbbbbbb-0000-4000-8000-00000000000b"}', true) \g /dev/null
SELECT user_id FROM cur;
-- a duplicated sub with one null copy fails closed (jsonb, and so
-- auth.uid(), would see the null), as the tenant keys do
SELECT set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","sub":null}', true) \g /dev/null
SELECT user_id FROM cur;
-- the claims and the legacy setting must agree
SELECT set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a"}', true) \g /dev/null
SELECT set_config('request.jwt.claim.sub', 'AAAAAAAA-0000-4000-8000-00000000000A', true) \g /dev/null
SELECT user_id FROM cur;
SELECT set_config('request.jwt.claim.sub', 'bbbbbbbb-0000-4000-8000-00000000000b', true) \g /dev/null
SELECT user_id FROM cur;
SELECT set_config('request.jwt.claim.sub', '', true) \g /dev/null
-- the sub claim does not depend on the tenant claims being valid
SELECT set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","org_id":"not-a-uuid"}', true) \g /dev/null
SELECT org_id, user_id FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 13. get_current_role(): role claim, else app_metadata.role, else app.role.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","app_metadata":{"role":"admin"}}', true) \g /dev/null
SELECT role FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"role":"admin"}}', true) \g /dev/null
SELECT role FROM cur;
SET LOCAL app.role = 'worker';
SELECT role FROM cur;
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SELECT role FROM cur;
SELECT set_config('request.jwt.claims', '{"role":""}', true) \g /dev/null
SELECT role FROM cur;
SELECT set_config('request.jwt.claims', '{"role":7}', true) \g /dev/null
SELECT role FROM cur;
-- malformed claims: NULL, even though app.role is set
SELECT set_config('request.jwt.claims', '{"role":', true) \g /dev/null
SELECT role FROM cur;
-- a duplicated role claim with different copies fails closed (jsonb takes the last)
SELECT set_config('request.jwt.claims', '{"role":"authenticated","role":"service_role"}', true) \g /dev/null
SELECT role, (current_setting('request.jwt.claims')::jsonb ->> 'role') AS jsonb_role FROM cur;
ROLLBACK;

--------------------------------------------------------------------------
-- 14. current_claims(): the claims as jsonb.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"n":[1,2.5,null,true]}', true) \g /dev/null
SELECT identity.current_claims();
SELECT identity.current_claims() -> 'app_metadata' ->> 'organization_id' AS org_text;
ROLLBACK;

--------------------------------------------------------------------------
-- 15. user_metadata is not trusted by default (users can edit it).
--------------------------------------------------------------------------
SHOW tenant_guard.trust_user_metadata;
BEGIN;
SELECT set_config('request.jwt.claims', '{"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
-- next to a trusted value it neither wins nor conflicts
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222","organization_ids":["22222222-2222-4222-8222-222222222222"]}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT identity.has_org('22222222-2222-4222-8222-222222222222') AS has_b;
SELECT * FROM trail;
-- an invalid value in untrusted user_metadata does not veto either
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"user_metadata":{"organization_id":"garbage"}}', true) \g /dev/null
SELECT org_id FROM cur;
-- untrusted means ignored: even a repeated user_metadata object, or a repeated
-- key inside it, must not change the result while trust_user_metadata is off
-- (EXPECTED TO FAIL with the current build, reported: it vetoes the trusted value)
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"},"user_metadata":{}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222","organization_id":""}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
-- trusted (superuser-only setting): user_metadata counts, and can conflict
SET LOCAL tenant_guard.trust_user_metadata = on;
SELECT set_config('request.jwt.claims', '{"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"},"user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
ROLLBACK;
SHOW tenant_guard.trust_user_metadata;

--------------------------------------------------------------------------
-- 16. PostgREST 9-11 legacy per-claim settings request.jwt.claim.<key>.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claim.org_id', '11111111-1111-4111-8111-111111111111', true) \g /dev/null
SELECT set_config('request.jwt.claim.sub', 'aaaaaaaa-0000-4000-8000-00000000000a', true) \g /dev/null
SELECT set_config('request.jwt.claim.role', 'authenticated', true) \g /dev/null
SELECT * FROM cur;
SELECT identity.current_claims();
SELECT * FROM trail;
-- agreeing with the JSON setting
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SELECT org_id FROM cur;
-- disagreeing with the JSON setting: NULL
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT * FROM trail;
ROLLBACK;
BEGIN;
-- object-valued legacy claims arrive as JSON text
SELECT set_config('request.jwt.claim.app_metadata', '{"organization_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT set_config('request.jwt.claim.organization_ids', '["22222222-2222-4222-8222-222222222222","33333333-3333-4333-8333-333333333333"]', true) \g /dev/null
SELECT org_id, org_ids FROM cur;
-- a legacy object claim that is not JSON: malformed -> NULL
SELECT set_config('request.jwt.claim.app_metadata', '{"organization_id":', true) \g /dev/null
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
ROLLBACK;
BEGIN;
-- an invalid legacy tenant claim: NULL
SELECT set_config('request.jwt.claim.tenant_id', 'not-a-uuid', true) \g /dev/null
SELECT org_id, org_key FROM cur;
ROLLBACK;
BEGIN;
-- a malformed legacy JSON claim makes the claims malformed: every helper is
-- NULL, exactly as for malformed request.jwt.claims (section 9)
-- (EXPECTED TO FAIL with the current build, reported: user_id and role resolve)
SELECT set_config('request.jwt.claim.app_metadata', '{bad', true) \g /dev/null
SELECT set_config('request.jwt.claim.sub', 'aaaaaaaa-0000-4000-8000-00000000000a', true) \g /dev/null
SELECT set_config('request.jwt.claim.role', 'authenticated', true) \g /dev/null
SELECT * FROM cur;
SELECT identity.current_claims();
ROLLBACK;

--------------------------------------------------------------------------
-- 17. Backend workers: SET LOCAL app.tenant_id.
--------------------------------------------------------------------------
BEGIN;
SET LOCAL app.tenant_id = '{33333333-3333-4333-8333-333333333333}';
SELECT org_id, org_key, org_ids FROM cur;
SELECT * FROM trail;
-- agreeing claims are fine, disagreeing claims are a conflict
SELECT set_config('request.jwt.claims', '{"org_id":"33333333-3333-4333-8333-333333333333"}', true) \g /dev/null
SELECT org_id FROM cur;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT org_id, org_key FROM cur;
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
-- a non-UUID worker tenant: key only
SET LOCAL app.tenant_id = 'org_2abc';
SELECT org_id, org_key FROM cur;
SET LOCAL app.tenant_id = '';
SELECT org_id, org_key FROM cur;
ROLLBACK;
-- after the rollback nothing is left
SELECT org_id, org_key, org_ids, user_id, role FROM cur;
