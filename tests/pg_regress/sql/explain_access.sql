-- tenant_guard.explain_access: "why was I denied?" Which policies apply to
-- the role and command, what each expression lets through with the given
-- claims, and how they combine. Nothing it does persists.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP SCHEMA IF EXISTS ex CASCADE;
RESET client_min_messages;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
END $$;
CREATE SCHEMA ex;
GRANT USAGE ON SCHEMA ex TO authenticated, anon;
CREATE TABLE ex.docs (id int PRIMARY KEY, org_id uuid NOT NULL, owner uuid, body text);
INSERT INTO ex.docs VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'aaaaaaaa-0000-4000-8000-00000000000a', 'a-1'),
  (2, '11111111-1111-4111-8111-111111111111', NULL, 'a-2'),
  (3, '22222222-2222-4222-8222-222222222222', NULL, 'b-1');
ALTER TABLE ex.docs ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON ex.docs TO authenticated;
-- The seed 000 shape: the policy reads organization_id, the token carries org_id.
CREATE POLICY docs_by_org ON ex.docs FOR SELECT TO authenticated
  USING (org_id = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata' ->> 'organization_id')::uuid);
CREATE POLICY docs_own ON ex.docs FOR SELECT TO authenticated
  USING (owner = identity.get_current_user_id());
CREATE POLICY docs_guard ON ex.docs AS RESTRICTIVE TO authenticated
  USING (org_id IS NOT NULL);
CREATE POLICY docs_anon ON ex.docs FOR SELECT TO anon USING (false);
CREATE POLICY docs_insert ON ex.docs FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- 1. The token says org_id, the policy wants organization_id: denied, and why.
SELECT policy, kind, applies, expression, verdict
FROM tenant_guard.explain_access('ex.docs', 'SELECT', 'authenticated',
  '{"sub":"bbbbbbbb-0000-4000-8000-00000000000b","app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}');

-- 2. The key the policy reads: two rows through docs_by_org.
SELECT policy, verdict
FROM tenant_guard.explain_access('ex.docs', 'SELECT', 'authenticated',
  '{"sub":"aaaaaaaa-0000-4000-8000-00000000000a","app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}')
WHERE applies;

-- 3. INSERT: only WITH CHECK expressions count; no claims at all.
SELECT policy, applies, expression, verdict FROM tenant_guard.explain_access('ex.docs', 'insert', 'authenticated');

-- 4. A role no permissive policy is for; RLS off; a role that bypasses RLS.
SELECT policy, applies, verdict FROM tenant_guard.explain_access('ex.docs', 'DELETE', 'anon') WHERE policy = '(all policies)';
CREATE TABLE ex.open (id int, org_id uuid);
SELECT verdict FROM tenant_guard.explain_access('ex.open', 'SELECT', 'authenticated');
SELECT verdict FROM tenant_guard.explain_access('ex.docs', 'SELECT', 'postgres');

-- Nothing persisted: the policies and grants are as they were.
SELECT polname FROM pg_policy WHERE polrelid = 'ex.docs'::regclass ORDER BY 1;
SELECT has_table_privilege('anon', 'ex.docs', 'SELECT') AS anon_can_select;

-- 5. Bad arguments.
SELECT * FROM tenant_guard.explain_access('ex.docs', 'MERGE', 'authenticated');
SELECT * FROM tenant_guard.explain_access('ex.docs', 'SELECT', 'nobody_here');
SELECT * FROM tenant_guard.explain_access('ex.docs', 'SELECT', 'authenticated', '[1]');
CREATE VIEW ex.v AS SELECT * FROM ex.docs;
SELECT * FROM tenant_guard.explain_access('ex.v', 'SELECT', 'authenticated');

DROP SCHEMA ex CASCADE;
