-- The audit corpus: two realistic Supabase-style schemas written as migration
-- series (tests/corpus/). saas_leaky.sql hides the seed incidents among
-- mostly-correct tables, each defect marked "-- EXPECT: <code> <target>";
-- saas_clean.sql follows every rule. Below: the leaky corpus's findings (the
-- reviewed list; tests/corpus/check_expectations.py compares it with the
-- EXPECT lines), the clean corpus's warn/error findings (none), and the
-- leaks shown live, as authenticated with tenant A's claims inside
-- BEGIN ... ROLLBACK: a cross-tenant read through USING (true), one through
-- the user_metadata policy after the user edits user_metadata, 42P17 from the
-- recursive policies, and seed 001's 54001. Everything is dropped at the end.
--   A = 11111111-1111-4111-8111-111111111111   B = 22222222-2222-4222-8222-222222222222
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
-- What exists in public before the corpus (dropped again at the end).
CREATE TEMP TABLE corpus_public_before AS
  SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT oid FROM pg_proc WHERE pronamespace = 'public'::regnamespace;
-- Load both corpora quietly. pg_regress feeds this file to psql on stdin, so
-- \ir would resolve against the working directory: use pg_regress's
-- PG_ABS_SRCDIR (tests/pg_regress) instead. Stop at the first error.
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus_leaky :abs_srcdir '/../corpus/saas_leaky.sql'
\set corpus_clean :abs_srcdir '/../corpus/saas_clean.sql'
\set ECHO none
\set ON_ERROR_STOP 1
\i :corpus_leaky
\i :corpus_clean
\set ON_ERROR_STOP 0
\set ECHO all
RESET client_min_messages;
\pset null '<NULL>'

-- The corpora are the size the issue asks for.
SELECT n.nspname AS schema, count(*) FILTER (WHERE c.relkind IN ('r', 'p')) AS tables,
       count(*) FILTER (WHERE c.relkind = 'v') AS views
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('public', 'workforce', 'crm', 'app', 'billing')
   AND c.relkind IN ('r', 'p', 'v')
   AND c.oid NOT IN (SELECT oid FROM corpus_public_before)
 GROUP BY n.nspname ORDER BY n.nspname;

-- corpus: saas_leaky findings
SELECT code, level, schema_name, table_name, policy_name,
       CASE WHEN table_name IS NULL THEN object END AS other_object
  FROM tenant_guard.audit(ARRAY['public', 'workforce', 'crm'])
 ORDER BY schema_name, table_name NULLS FIRST, code, policy_name NULLS FIRST, object;

-- corpus: saas_clean warn/error findings (must be none)
SELECT count(*) AS clean_warn_or_error
  FROM tenant_guard.audit(ARRAY['app', 'billing']) WHERE level IN ('error', 'warn');
SELECT code, level, schema_name, table_name, policy_name,
       CASE WHEN table_name IS NULL THEN object END AS other_object
  FROM tenant_guard.audit(ARRAY['app', 'billing'])
 WHERE level IN ('error', 'warn')
 ORDER BY schema_name, table_name NULLS FIRST, code, policy_name NULLS FIRST, object;
-- corpus: saas_clean info findings (each documented in saas_clean.sql)
SELECT code, level, schema_name, table_name, policy_name,
       CASE WHEN table_name IS NULL THEN object END AS other_object
  FROM tenant_guard.audit(ARRAY['app', 'billing'])
 WHERE level = 'info'
 ORDER BY schema_name, table_name NULLS FIRST, code, policy_name NULLS FIRST, object;

--------------------------------------------------------------------------
-- The leaks, live. Two clinics, one user each; "logging in" builds the
-- claims PostgREST would set from the user's auth.users row.
--------------------------------------------------------------------------
INSERT INTO public.organizations (id, name, slug) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Clinic A', 'clinic-a'),
  ('22222222-2222-4222-8222-222222222222', 'Clinic B', 'clinic-b');
INSERT INTO auth.users (id, email, raw_app_meta_data, raw_user_meta_data) VALUES
  ('aaaaaaaa-0000-4000-8000-00000000000a', 'ada@clinic-a.test',
   '{"provider": "email", "organization_id": "11111111-1111-4111-8111-111111111111"}',
   '{"full_name": "Ada", "organization_id": "11111111-1111-4111-8111-111111111111"}'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', 'bo@clinic-b.test',
   '{"provider": "email", "organization_id": "22222222-2222-4222-8222-222222222222"}',
   '{"full_name": "Bo", "organization_id": "22222222-2222-4222-8222-222222222222"}');
INSERT INTO public.users (id, tenant_id, email) VALUES
  ('aaaaaaaa-0000-4000-8000-00000000000a', '11111111-1111-4111-8111-111111111111', 'ada@clinic-a.test'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-2222-4222-8222-222222222222', 'bo@clinic-b.test');
INSERT INTO public.memberships (org_id, user_id, role) VALUES
  ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-00000000000a', 'owner'),
  ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-00000000000b', 'owner');
INSERT INTO public.patients (org_id, full_name) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Alma (A)'),
  ('22222222-2222-4222-8222-222222222222', 'Bruno (B)');
INSERT INTO public.calendar_connections (org_id, user_id, google_email, access_token) VALUES
  ('11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-00000000000a', 'desk@clinic-a.test', 'ya29.token-of-a'),
  ('22222222-2222-4222-8222-222222222222', 'bbbbbbbb-0000-4000-8000-00000000000b', 'desk@clinic-b.test', 'ya29.token-of-b');
-- The JWT-sync trigger copied tenant_id into app_metadata.
SELECT email, raw_app_meta_data ->> 'tenant_id' AS app_metadata_tenant_id FROM auth.users ORDER BY email;

CREATE FUNCTION pg_temp.login(p_email text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('request.jwt.claims',
           jsonb_build_object('aud', 'authenticated', 'role', 'authenticated', 'sub', u.id,
                              'email', u.email, 'app_metadata', u.raw_app_meta_data,
                              'user_metadata', u.raw_user_meta_data)::text,
           true)
    FROM auth.users u WHERE u.email = p_email
$$;

-- 1. organizations_all_access USING (true): tenant A reads tenant B's
--    organization. Positive control: patients (the correct policy) shows A's only.
BEGIN;
SELECT pg_temp.login('ada@clinic-a.test') \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS tenant;
SELECT full_name AS patients_seen_by_a FROM public.patients ORDER BY 1;
SELECT name AS organizations_seen_by_a FROM public.organizations ORDER BY 1;
ROLLBACK;

-- 2. The user_metadata policy: Ada sees her clinic's calendar connection ...
BEGIN;
SELECT pg_temp.login('ada@clinic-a.test') \g /dev/null
SET LOCAL ROLE authenticated;
SELECT google_email, access_token FROM public.calendar_connections ORDER BY 1;
ROLLBACK;
-- ... then edits her own user_metadata (supabase.auth.updateUser({ data:
-- { organization_id: B } }) writes raw_user_meta_data) and logs in again:
-- tenant B's Google token. identity.get_current_org_id() still says A
-- (user_metadata is not trusted), the raw policy follows the edit.
BEGIN;
UPDATE auth.users
   SET raw_user_meta_data = raw_user_meta_data || '{"organization_id": "22222222-2222-4222-8222-222222222222"}'
 WHERE email = 'ada@clinic-a.test';
SELECT pg_temp.login('ada@clinic-a.test') \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id() AS tenant;
SELECT google_email, access_token FROM public.calendar_connections ORDER BY 1;
ROLLBACK;

-- 3. The recursive membership policy: fine as the owner (postgres, exempt
--    from RLS, which is why it shipped), 42P17 as authenticated.
SELECT count(*) AS memberships_seen_by_owner FROM public.memberships;
BEGIN;
SELECT pg_temp.login('ada@clinic-a.test') \g /dev/null
SET LOCAL ROLE authenticated;
SELECT count(*) FROM public.memberships;
ROLLBACK;
-- The mutual cycle crm.deals <-> crm.deal_collaborators, the same way.
BEGIN;
SELECT pg_temp.login('ada@clinic-a.test') \g /dev/null
SET LOCAL ROLE authenticated;
SELECT count(*) FROM crm.deals;
ROLLBACK;
-- And seed 001: get_user_tenant_id() reads users, whose policy calls it: 54001.
\set VERBOSITY terse
\set SHOW_CONTEXT never
BEGIN;
SELECT pg_temp.login('ada@clinic-a.test') \g /dev/null
SET LOCAL ROLE authenticated;
SELECT count(*) FROM public.users;
ROLLBACK;
\set VERBOSITY default
\set SHOW_CONTEXT errors

--------------------------------------------------------------------------
-- Drop everything the corpora created.
--------------------------------------------------------------------------
SET client_min_messages = warning;
DROP SCHEMA workforce, crm, app, billing, auth CASCADE;
DO $$
DECLARE
  stmts text[];
  stmt text;
BEGIN
  -- Names first, then drops (views before tables, then functions).
  SELECT array_agg(d.stmt ORDER BY d.ord, d.stmt) INTO stmts FROM (
    SELECT CASE c.relkind WHEN 'v' THEN 1 ELSE 2 END AS ord,
           format('DROP %s IF EXISTS %s CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                  c.oid::regclass) AS stmt
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
       AND c.oid NOT IN (SELECT oid FROM corpus_public_before)
    UNION ALL
    SELECT 3, format('DROP FUNCTION IF EXISTS %s CASCADE', p.oid::regprocedure)
      FROM pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace
       AND p.oid NOT IN (SELECT oid FROM corpus_public_before)) d;
  FOREACH stmt IN ARRAY coalesce(stmts, '{}') LOOP
    EXECUTE stmt;
  END LOOP;
END
$$;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM authenticated, service_role;
REVOKE USAGE ON SCHEMA public FROM anon, authenticated, service_role;
DROP OWNED BY crm_importer;
DROP ROLE crm_importer;
RESET client_min_messages;
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace
           AND oid NOT IN (SELECT oid FROM corpus_public_before))
     + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
           AND oid NOT IN (SELECT oid FROM corpus_public_before))
     + (SELECT count(*) FROM pg_default_acl WHERE defaclnamespace = 'public'::regnamespace) AS corpus_leftovers;
