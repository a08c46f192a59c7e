-- pgTAP, as a team would write its own RLS tests with tenant_guard:
-- tenant_guard.impersonate() for "log in as", probe_isolation() as one
-- assertion per table. Runs inside one transaction that is rolled back.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
CREATE EXTENSION IF NOT EXISTS pgtap;
RESET client_min_messages;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END $$;
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(12);

CREATE TABLE public.tap_docs (id int PRIMARY KEY, org_id uuid NOT NULL, body text NOT NULL);
INSERT INTO public.tap_docs VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'a-1'),
  (2, '11111111-1111-4111-8111-111111111111', 'a-2'),
  (3, '22222222-2222-4222-8222-222222222222', 'b-1');
ALTER TABLE public.tap_docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tap_docs_tenant ON public.tap_docs TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON public.tap_docs TO authenticated;
CREATE TABLE public.tap_open (LIKE public.tap_docs INCLUDING ALL);
INSERT INTO public.tap_open SELECT * FROM public.tap_docs;
ALTER TABLE public.tap_open ENABLE ROW LEVEL SECURITY;
CREATE POLICY tap_open_all ON public.tap_open TO authenticated USING (true);
GRANT SELECT ON public.tap_open TO authenticated;

SELECT is_empty(
  $$ SELECT "check" FROM tenant_guard.probe_isolation('public.tap_docs') WHERE verdict <> 'pass' $$,
  'tap_docs: every isolation check passes');
SELECT results_eq(
  $$ SELECT "check" FROM tenant_guard.probe_isolation('public.tap_open') WHERE verdict = 'fail' ORDER BY 1 $$,
  ARRAY['read_other_tenant', 'read_with_conflicting_claims', 'read_with_edited_user_metadata', 'read_without_claims'],
  'tap_open: USING (true) fails the read checks');
SELECT is((SELECT count(*) FROM public.tap_docs), 3::bigint, 'the probes left the rows as they were');

-- impersonate(): the rest of the transaction runs as authenticated, tenant A.
SAVEPOINT as_a;
SELECT lives_ok(
  $$ SELECT tenant_guard.impersonate('{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}') $$,
  'impersonate tenant A');
SELECT is(current_user::text, 'authenticated', 'running as authenticated');
SELECT is(identity.get_current_org_id(), '11111111-1111-4111-8111-111111111111'::uuid, 'tenant A resolved');
SELECT results_eq('SELECT body FROM public.tap_docs ORDER BY id', ARRAY['a-1', 'a-2'], 'A sees its rows only');
SELECT throws_ok(
  $$ INSERT INTO public.tap_docs VALUES (9, '22222222-2222-4222-8222-222222222222', 'x') $$,
  '42501', NULL, 'A cannot insert for B');
ROLLBACK TO SAVEPOINT as_a;
SELECT is(current_user::text, 'postgres', 'the savepoint rollback ended the impersonation');
SELECT is(identity.get_current_org_id(), NULL::uuid, 'and its claims');

SELECT throws_ok($$ SELECT tenant_guard.impersonate('[1]') $$, '22023', 'claims must be a JSON object',
  'impersonate wants a JSON object');
SELECT throws_ok($$ SELECT tenant_guard.impersonate('{}', 'no_such_role') $$, '22023', NULL,
  'impersonate names an unknown role');

SELECT * FROM finish();
ROLLBACK;
