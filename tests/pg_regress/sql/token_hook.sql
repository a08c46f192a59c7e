-- identity.custom_access_token_hook: a Supabase Custom Access Token hook
-- that gives every token one canonical tenant claim from the membership
-- table, and removes the drifted copies.
--   A = 11111111-1111-4111-8111-111111111111, B = 22222222-2222-4222-8222-222222222222
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP TABLE IF EXISTS public.hook_members;
DROP ROLE IF EXISTS tg_hook_admin;
RESET client_min_messages;
\pset null '<NULL>'
CREATE TABLE public.hook_members (user_id uuid NOT NULL, org uuid NOT NULL);
INSERT INTO public.hook_members VALUES
  ('aaaaaaaa-0000-4000-8000-00000000000a', '11111111-1111-4111-8111-111111111111'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', '11111111-1111-4111-8111-111111111111'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-2222-4222-8222-222222222222');
CREATE FUNCTION pg_temp.event(user_id text, claims jsonb) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT jsonb_build_object('user_id', user_id, 'claims', claims, 'authentication_method', 'password') $$;

-- Not configured yet: a clear error.
SELECT identity.custom_access_token_hook(pg_temp.event('aaaaaaaa-0000-4000-8000-00000000000a', '{}'));
SET tenant_guard.membership_table = 'public.hook_members';
SET tenant_guard.membership_tenant_column = 'org';

-- One membership: the canonical claim, drifted copies gone, other claims kept.
SELECT jsonb_pretty(identity.custom_access_token_hook(pg_temp.event('aaaaaaaa-0000-4000-8000-00000000000a',
  '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","role":"authenticated","org_id":"22222222-2222-4222-8222-222222222222",
    "app_metadata":{"provider":"email","tenant_id":"22222222-2222-4222-8222-222222222222"},
    "user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222","name":"Ada"}}')) -> 'claims');
-- ... and identity.* resolve it.
BEGIN;
SELECT set_config('request.jwt.claims', (identity.custom_access_token_hook(pg_temp.event(
  'aaaaaaaa-0000-4000-8000-00000000000a', '{"org_id":"22222222-2222-4222-8222-222222222222"}')) -> 'claims')::text, true) \g /dev/null
SELECT identity.get_current_org_id(), identity.get_current_org_ids();
ROLLBACK;

-- Two memberships: the tenant the token named stays active if still a member; else only the list.
SELECT identity.custom_access_token_hook(pg_temp.event('bbbbbbbb-0000-4000-8000-00000000000b',
  '{"app_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}')) -> 'claims' -> 'app_metadata' AS named_b;
SELECT identity.custom_access_token_hook(pg_temp.event('bbbbbbbb-0000-4000-8000-00000000000b', '{}')) -> 'claims' -> 'app_metadata' AS none_named;
-- No membership: no tenant in the token at all (fails closed).
SELECT identity.custom_access_token_hook(pg_temp.event('cccccccc-0000-4000-8000-00000000000c',
  '{"org_id":"11111111-1111-4111-8111-111111111111","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}')) -> 'claims' AS stranger;

-- Bad events and settings.
SELECT identity.custom_access_token_hook('[1]');
SELECT identity.custom_access_token_hook('{"claims":{}}');
SELECT identity.custom_access_token_hook('{"user_id":"x","claims":[]}');
SET tenant_guard.membership_table = 'public.no_such_table';
SELECT identity.custom_access_token_hook(pg_temp.event('aaaaaaaa-0000-4000-8000-00000000000a', '{}'));
SET tenant_guard.membership_table = 'public.hook_members';
SET tenant_guard.membership_tenant_column = 'no_such_column';
SELECT identity.custom_access_token_hook(pg_temp.event('aaaaaaaa-0000-4000-8000-00000000000a', '{}'));
SET tenant_guard.membership_tenant_column = 'org';

-- Not for every role: it reads anyone's memberships. Supabase Auth's role gets it explicitly.
CREATE ROLE tg_hook_admin;
SET ROLE tg_hook_admin;
SELECT identity.custom_access_token_hook(pg_temp.event('aaaaaaaa-0000-4000-8000-00000000000a', '{}'));
RESET ROLE;
GRANT EXECUTE ON FUNCTION identity.custom_access_token_hook(jsonb) TO tg_hook_admin;
GRANT SELECT ON public.hook_members TO tg_hook_admin;
SET ROLE tg_hook_admin;
SELECT identity.custom_access_token_hook(pg_temp.event('aaaaaaaa-0000-4000-8000-00000000000a', '{}')) -> 'claims' AS as_auth_admin;
RESET ROLE;
REVOKE ALL ON FUNCTION identity.custom_access_token_hook(jsonb) FROM tg_hook_admin;
REVOKE ALL ON public.hook_members FROM tg_hook_admin;
DROP ROLE tg_hook_admin;
RESET tenant_guard.membership_table;
RESET tenant_guard.membership_tenant_column;
DROP TABLE public.hook_members;
