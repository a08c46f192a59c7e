-- Row-level security with the identity helpers, queried as a role that is
-- neither superuser nor owner (superusers and owners bypass RLS).
--   A = 11111111-1111-4111-8111-111111111111
--   B = 22222222-2222-4222-8222-222222222222
--   C = 33333333-3333-4333-8333-333333333333
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
RESET client_min_messages;
\pset null '<NULL>'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END $$;

SET client_min_messages = warning;
DROP TABLE IF EXISTS public.docs, public.docs_wrapped, public.docs_big;
RESET client_min_messages;
CREATE TABLE public.docs (id int PRIMARY KEY, org_id uuid NOT NULL, body text NOT NULL);
INSERT INTO public.docs VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'a-1'),
  (2, '11111111-1111-4111-8111-111111111111', 'a-2'),
  (3, '22222222-2222-4222-8222-222222222222', 'b-1'),
  (4, '22222222-2222-4222-8222-222222222222', 'b-2'),
  (5, '22222222-2222-4222-8222-222222222222', 'b-3'),
  (6, '33333333-3333-4333-8333-333333333333', 'c-1');
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_tenant ON public.docs TO authenticated
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON public.docs TO authenticated;
-- the same data behind the (SELECT ...) wrapped form of the policy
CREATE TABLE public.docs_wrapped (LIKE public.docs INCLUDING ALL);
INSERT INTO public.docs_wrapped SELECT * FROM public.docs;
ALTER TABLE public.docs_wrapped ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_wrapped_tenant ON public.docs_wrapped TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON public.docs_wrapped TO authenticated;

-- The test role really is subject to RLS: not superuser, no BYPASSRLS, not the owner.
SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'authenticated';
SELECT relname, pg_get_userbyid(relowner) AS owner, relrowsecurity, relforcerowsecurity
FROM pg_class WHERE oid IN ('public.docs'::regclass, 'public.docs_wrapped'::regclass) ORDER BY relname;
-- the owner sees everything
SELECT count(*) AS rows_seen_by_owner FROM public.docs;

--------------------------------------------------------------------------
-- 1. Claims for tenant A: only A's rows, through both forms of the policy.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT current_user, identity.get_current_org_id();
SELECT id, org_id, body FROM public.docs ORDER BY id;
SELECT id, org_id, body FROM public.docs_wrapped ORDER BY id;
SELECT (SELECT identity.get_current_org_id()) = identity.get_current_org_id() AS wrapped_equals_bare;
-- filters cannot reach other tenants' rows
SELECT count(*) FROM public.docs WHERE org_id = '22222222-2222-4222-8222-222222222222';
SELECT count(*) FROM public.docs WHERE id = 3;
ROLLBACK;

-- Tenant B, then C: each sees its own rows only.
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT id, body FROM public.docs ORDER BY id;
SELECT id, body FROM public.docs_wrapped ORDER BY id;
ROLLBACK;
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","tenant_id":"{33333333-3333-4333-8333-333333333333}"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT id, body FROM public.docs ORDER BY id;
ROLLBACK;

--------------------------------------------------------------------------
-- 2. No tenant: nothing visible, for every way of having no tenant.
--------------------------------------------------------------------------
-- no claims at all
BEGIN;
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;
-- claims without a tenant
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"aaaaaaaa-0000-4000-8000-00000000000a"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;
-- conflicting claims (A in app_metadata, B at the top level)
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","org_id":"22222222-2222-4222-8222-222222222222","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;
-- malformed claims
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;
-- an invalid value next to a valid one
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","org_id":"not-a-uuid","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;
-- only untrusted user_metadata
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","user_metadata":{"organization_id":"22222222-2222-4222-8222-222222222222"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;
-- '' left behind by an earlier transaction
BEGIN;
SELECT set_config('request.jwt.claims', '', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT identity.get_current_org_id(), count(*) AS docs, (SELECT count(*) FROM public.docs_wrapped) AS docs_wrapped FROM public.docs;
ROLLBACK;

--------------------------------------------------------------------------
-- 3. Writes: WITH CHECK rejects other tenants' rows (42501).
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
INSERT INTO public.docs VALUES (10, '11111111-1111-4111-8111-111111111111', 'a-new');
SAVEPOINT s;
INSERT INTO public.docs VALUES (11, '22222222-2222-4222-8222-222222222222', 'planted in b');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
INSERT INTO public.docs_wrapped VALUES (11, '22222222-2222-4222-8222-222222222222', 'planted in b');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
-- moving an own row to another tenant
UPDATE public.docs SET org_id = '22222222-2222-4222-8222-222222222222' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
-- other tenants' rows are not even visible to UPDATE and DELETE
UPDATE public.docs SET body = 'defaced' WHERE id = 3;
DELETE FROM public.docs WHERE org_id = '22222222-2222-4222-8222-222222222222';
UPDATE public.docs SET body = body || '!' RETURNING id, body;
SELECT id, body FROM public.docs ORDER BY id;
RESET ROLE;
-- as the owner: B's rows are intact, A's row was added
SELECT id, org_id, body FROM public.docs ORDER BY id;
ROLLBACK;
-- without a tenant nothing can be inserted at all
BEGIN;
SET LOCAL ROLE authenticated;
INSERT INTO public.docs VALUES (12, '11111111-1111-4111-8111-111111111111', 'no tenant');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

--------------------------------------------------------------------------
-- 4. The legacy PostgREST 9-11 setting and the backend-worker setting.
--------------------------------------------------------------------------
BEGIN;
SELECT set_config('request.jwt.claim.role', 'authenticated', true) \g /dev/null
SELECT set_config('request.jwt.claim.org_id', '22222222-2222-4222-8222-222222222222', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT id, body FROM public.docs ORDER BY id;
SELECT id, body FROM public.docs_wrapped ORDER BY id;
ROLLBACK;
BEGIN;
SET LOCAL app.tenant_id = '33333333-3333-4333-8333-333333333333';
SET LOCAL ROLE authenticated;
SELECT id, body FROM public.docs ORDER BY id;
SELECT id, body FROM public.docs_wrapped ORDER BY id;
INSERT INTO public.docs VALUES (13, '33333333-3333-4333-8333-333333333333', 'c-worker');
SELECT id, body FROM public.docs ORDER BY id;
ROLLBACK;
-- after those transactions: nothing visible
BEGIN;
SET LOCAL ROLE authenticated;
SELECT count(*) FROM public.docs;
ROLLBACK;

--------------------------------------------------------------------------
-- 5. Changing tenant inside one transaction changes the rows at once.
--------------------------------------------------------------------------
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"org_id":"11111111-1111-4111-8111-111111111111"}', true) \g /dev/null
SELECT string_agg(body, ',' ORDER BY id) FROM public.docs;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SELECT string_agg(body, ',' ORDER BY id) FROM public.docs;
SELECT string_agg(body, ',' ORDER BY id) FROM public.docs_wrapped;
ROLLBACK;

--------------------------------------------------------------------------
-- 6. Parallel query: workers resolve the leader's claims.
--------------------------------------------------------------------------
CREATE TABLE public.docs_big (id int, org_id uuid);
INSERT INTO public.docs_big
SELECT g, (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
                 '33333333-3333-4333-8333-333333333333'])[g % 3 + 1]::uuid
FROM generate_series(1, 30000) AS g;
ANALYZE public.docs_big;
ALTER TABLE public.docs_big ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_big_tenant ON public.docs_big TO authenticated
  USING (org_id = identity.get_current_org_id());
GRANT SELECT ON public.docs_big TO authenticated;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT set_config('request.jwt.claims', '{"org_id":"22222222-2222-4222-8222-222222222222"}', true) \g /dev/null
SET LOCAL ROLE authenticated;
EXPLAIN (COSTS OFF) SELECT count(*) FROM public.docs_big;
SELECT count(*), min(id), max(id), count(DISTINCT org_id) FROM public.docs_big;
SET LOCAL app.tenant_id = '22222222-2222-4222-8222-222222222222';
SELECT count(*) FROM public.docs_big;
SET LOCAL app.tenant_id = '33333333-3333-4333-8333-333333333333';
SELECT count(*) FROM public.docs_big;
ROLLBACK;

DROP TABLE public.docs, public.docs_wrapped, public.docs_big;
