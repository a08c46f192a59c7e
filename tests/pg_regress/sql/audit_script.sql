-- tenant_guard.remediation_script(): every finding's remediation in a safe
-- order (grants, functions, policies, ENABLE, FORCE) in one transaction; run
-- as is, it leaves nothing to fix, and `authenticated` sees its tenant only.
--   A = 11111111-1111-4111-8111-111111111111, B = 22222222-2222-4222-8222-222222222222
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP SCHEMA IF EXISTS rs CASCADE;
RESET client_min_messages;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
END $$;
CREATE SCHEMA rs;
GRANT USAGE ON SCHEMA rs TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA rs GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
-- RLS off on a tenant table.
CREATE TABLE rs.notes (id int PRIMARY KEY, org_id uuid NOT NULL);
CREATE INDEX ON rs.notes (org_id);
-- An always-true policy.
CREATE TABLE rs.tasks (id int PRIMARY KEY, org_id uuid NOT NULL);
CREATE INDEX ON rs.tasks (org_id);
ALTER TABLE rs.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_all ON rs.tasks FOR SELECT TO authenticated USING (true);
-- A helper clients may not execute.
CREATE FUNCTION rs.my_org() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT identity.get_current_org_id() $$;
REVOKE EXECUTE ON FUNCTION rs.my_org() FROM PUBLIC;
CREATE TABLE rs.projects (id int PRIMARY KEY, org_id uuid NOT NULL);
CREATE INDEX ON rs.projects (org_id);
ALTER TABLE rs.projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant ON rs.projects FOR SELECT TO authenticated USING (org_id = rs.my_org());
INSERT INTO rs.notes VALUES (1, '11111111-1111-4111-8111-111111111111'), (2, '22222222-2222-4222-8222-222222222222');
INSERT INTO rs.tasks SELECT * FROM rs.notes;
INSERT INTO rs.projects SELECT * FROM rs.notes;

SELECT code, table_name FROM tenant_guard.audit(ARRAY['rs']) WHERE level IN ('error', 'warn') ORDER BY code, table_name;
SELECT tenant_guard.remediation_script(ARRAY['rs']) AS script \gset
\echo :script
-- Run it as generated.
:script
SELECT code, level, table_name, detail FROM tenant_guard.audit(ARRAY['rs']) WHERE level IN ('error', 'warn') ORDER BY code, table_name;
-- As authenticated with tenant A's claims: A's rows only, everywhere.
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}', true) IS NOT NULL AS claims_set;
SET LOCAL ROLE authenticated;
SELECT (SELECT count(*) FROM rs.notes) AS notes, (SELECT count(*) FROM rs.tasks) AS tasks, (SELECT count(*) FROM rs.projects) AS projects;
ROLLBACK;
-- Not for PUBLIC, like the other audit functions.
SELECT has_function_privilege('authenticated', 'tenant_guard.remediation_script(text[])', 'EXECUTE') AS authenticated_may_run;
DROP SCHEMA rs CASCADE;
