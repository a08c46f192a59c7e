-- tenant_guard.audit(): the row-level-security family, each check with a
-- fixture that triggers it and a near miss that must not; suppressions;
-- assert_clean() gating a migration.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN BYPASSRLS; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tg_app_owner') THEN CREATE ROLE tg_app_owner LOGIN; END IF;
END $$;
RESET client_min_messages;
\pset null '<NULL>'

CREATE VIEW findings AS
  SELECT code, level, table_name, policy_name, detail, remediation
  FROM tenant_guard.audit(ARRAY['fx']) ORDER BY code, table_name, policy_name;

CREATE SCHEMA fx;
GRANT USAGE ON SCHEMA fx TO anon, authenticated;

-- rls_disabled: granted to authenticated, RLS off. Near miss: RLS off but no
-- client privilege and no tenant column (an internal table).
CREATE TABLE fx.invoices (id bigint, org_id uuid NOT NULL);
GRANT SELECT ON fx.invoices TO authenticated;
CREATE TABLE fx.internal_jobs (id bigint, payload text);
-- Shared, tenant-less data: read-only for clients, not reported (reference
-- data isolates nothing); writable by clients, reported (one tenant's user
-- changes what every tenant sees).
CREATE TABLE fx.currencies (code char(3) PRIMARY KEY, name text);
GRANT SELECT ON fx.currencies TO anon, authenticated;
CREATE TABLE fx.exchange_rates (code char(3), rate numeric);
GRANT SELECT, INSERT, UPDATE ON fx.exchange_rates TO authenticated;

-- policy_exists_rls_disabled: a policy, RLS never enabled.
CREATE TABLE fx.dormant (id bigint, org_id uuid NOT NULL);
CREATE POLICY dormant_tenant ON fx.dormant TO authenticated USING (org_id = identity.get_current_org_id());

-- rls_enabled_no_policy: RLS on, no policy.
CREATE TABLE fx.locked (id bigint);
ALTER TABLE fx.locked ENABLE ROW LEVEL SECURITY;

-- always_true_policy (seed 002). Near misses: TO service_role (BYPASSRLS),
-- a NULL constant, and a restrictive true.
CREATE TABLE fx.organizations (id uuid PRIMARY KEY, name text);
ALTER TABLE fx.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_all_access ON fx.organizations FOR ALL USING (true) WITH CHECK (true);
CREATE POLICY service_all ON fx.organizations FOR ALL TO service_role USING (true);
CREATE POLICY null_is_not_true ON fx.organizations FOR SELECT TO authenticated USING (NULL);
CREATE POLICY restrictive_true ON fx.organizations AS RESTRICTIVE FOR SELECT TO authenticated USING (true);
CREATE TABLE fx.notes (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_insert_anything ON fx.notes FOR INSERT TO authenticated WITH CHECK (true OR org_id IS NULL);

-- public_role_policy: no TO on a tenant table anon can read (Supabase's
-- default privileges grant it), and on one where PUBLIC holds INSERT.
-- Near misses: TO authenticated; no TO where only authenticated can reach
-- the table (the policy is authenticated's); no TO for a command anon may
-- not run (anon reads only).
CREATE TABLE fx.appointments (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.appointments ENABLE ROW LEVEL SECURITY;
CREATE POLICY appointments_public ON fx.appointments USING (org_id = identity.get_current_org_id());
GRANT SELECT ON fx.appointments TO anon, authenticated;
CREATE TABLE fx.signups (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.signups ENABLE ROW LEVEL SECURITY;
CREATE POLICY signups_insert ON fx.signups FOR INSERT WITH CHECK (org_id = identity.get_current_org_id());
GRANT INSERT ON fx.signups TO PUBLIC;
CREATE TABLE fx.patients (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY patients_tenant ON fx.patients FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())) WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
GRANT SELECT ON fx.patients TO anon, authenticated;
CREATE TABLE fx.rooms (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.rooms ENABLE ROW LEVEL SECURITY;
CREATE POLICY rooms_tenant ON fx.rooms USING (org_id = identity.get_current_org_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON fx.rooms TO authenticated;
CREATE TABLE fx.visits (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.visits ENABLE ROW LEVEL SECURITY;
CREATE POLICY visits_update ON fx.visits FOR UPDATE USING (org_id = identity.get_current_org_id());
GRANT SELECT ON fx.visits TO anon;
GRANT SELECT, UPDATE ON fx.visits TO authenticated;

-- multiple_permissive_policies: two permissive SELECT policies for authenticated.
-- Near misses: the second one restrictive; two permissive policies on a
-- table authenticated may not read (never evaluated for it).
CREATE TABLE fx.docs (id bigint, org_id uuid NOT NULL, owner_id uuid);
ALTER TABLE fx.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read_own ON fx.docs FOR SELECT TO authenticated USING (owner_id = identity.get_current_user_id());
CREATE POLICY docs_read_org ON fx.docs FOR SELECT TO authenticated USING (org_id = identity.get_current_org_id());
GRANT SELECT ON fx.docs TO authenticated;
CREATE TABLE fx.files (id bigint, org_id uuid NOT NULL, owner_id uuid);
ALTER TABLE fx.files ENABLE ROW LEVEL SECURITY;
CREATE POLICY files_read_org ON fx.files FOR SELECT TO authenticated USING (org_id = identity.get_current_org_id());
CREATE POLICY files_only_own ON fx.files AS RESTRICTIVE FOR SELECT TO authenticated USING (owner_id = identity.get_current_user_id());
GRANT SELECT ON fx.files TO authenticated;
CREATE TABLE fx.drafts (id bigint, org_id uuid NOT NULL, owner_id uuid);
ALTER TABLE fx.drafts ENABLE ROW LEVEL SECURITY;
CREATE POLICY drafts_read_own ON fx.drafts FOR SELECT TO authenticated USING (owner_id = identity.get_current_user_id());
CREATE POLICY drafts_read_org ON fx.drafts FOR SELECT TO authenticated USING (org_id = identity.get_current_org_id());

-- force_rls_missing: owned by a login role the app may connect as. Near miss: the same with FORCE.
CREATE TABLE fx.orders (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON fx.orders TO authenticated USING (org_id = identity.get_current_org_id());
ALTER TABLE fx.orders OWNER TO tg_app_owner;
CREATE TABLE fx.orders_forced (id bigint, org_id uuid NOT NULL);
ALTER TABLE fx.orders_forced ENABLE ROW LEVEL SECURITY;
ALTER TABLE fx.orders_forced FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_forced_tenant ON fx.orders_forced TO authenticated USING (org_id = identity.get_current_org_id());
ALTER TABLE fx.orders_forced OWNER TO tg_app_owner;

SELECT code, level, table_name, policy_name FROM findings
WHERE code IN ('rls_disabled', 'policy_exists_rls_disabled', 'rls_enabled_no_policy', 'always_true_policy',
               'public_role_policy', 'multiple_permissive_policies', 'force_rls_missing');

-- details and remediation are specific
SELECT detail, remediation FROM findings WHERE code = 'always_true_policy' AND policy_name = 'organizations_all_access';
SELECT detail, remediation FROM findings WHERE code = 'rls_disabled';
SELECT detail FROM findings WHERE code = 'multiple_permissive_policies';
SELECT detail, remediation FROM findings WHERE code = 'public_role_policy';

-- the always-true policy really leaks, as a role subject to RLS
INSERT INTO fx.organizations VALUES ('11111111-1111-4111-8111-111111111111', 'A'), ('22222222-2222-4222-8222-222222222222', 'B');
GRANT SELECT ON fx.organizations TO authenticated;
BEGIN;
SELECT set_config('request.jwt.claims', '{"app_metadata":{"organization_id":"11111111-1111-4111-8111-111111111111"}}', true) \g /dev/null
SET LOCAL ROLE authenticated;
SELECT count(*) AS organizations_seen_by_tenant_a FROM fx.organizations;
ROLLBACK;

-- Suppressions: hidden until they expire; include_suppressed shows them marked.
INSERT INTO tenant_guard.suppressions (cache_key, reason)
  VALUES ('rls_enabled_no_policy:fx.locked', 'locked on purpose: written by a SECURITY DEFINER job only');
INSERT INTO tenant_guard.suppressions (cache_key, reason, expires_at)
  VALUES ('force_rls_missing:fx.orders', 'expired acceptance', now() - interval '1 day');
SELECT code, table_name FROM tenant_guard.audit(ARRAY['fx']) WHERE code IN ('rls_enabled_no_policy', 'force_rls_missing');
SELECT code, table_name, suppressed FROM tenant_guard.audit(ARRAY['fx'], include_suppressed => true)
WHERE code IN ('rls_enabled_no_policy', 'force_rls_missing');
\set VERBOSITY terse
INSERT INTO tenant_guard.suppressions (cache_key, reason) VALUES ('x', '  ');
\set VERBOSITY default
SELECT jsonb_array_length(tenant_guard.audit_json(ARRAY['fx'])) = (SELECT count(*) FROM tenant_guard.audit(ARRAY['fx'])) AS json_matches_rows;

-- assert_clean gates a migration: the bad migration fails and leaves nothing behind.
CREATE SCHEMA mig;
GRANT USAGE ON SCHEMA mig TO authenticated;
BEGIN;
CREATE TABLE mig.leaky (id bigint, org_id uuid NOT NULL);
GRANT SELECT ON mig.leaky TO authenticated;
SELECT tenant_guard.assert_clean('error', ARRAY['mig']);
COMMIT;
SELECT to_regclass('mig.leaky') AS leaky_table_after_failed_migration;
BEGIN;
CREATE TABLE mig.safe (id bigint, org_id uuid NOT NULL);
CREATE INDEX ON mig.safe (org_id);
CREATE POLICY safe_tenant ON mig.safe FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())) WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
ALTER TABLE mig.safe ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON mig.safe TO authenticated;
SELECT tenant_guard.assert_clean('error', ARRAY['mig']);
COMMIT;
SELECT to_regclass('mig.safe') AS safe_table_after_migration;
SELECT tenant_guard.assert_clean('loud');

SET client_min_messages = warning;
DROP SCHEMA fx CASCADE;
DROP SCHEMA mig CASCADE;
DROP VIEW findings;
DELETE FROM tenant_guard.suppressions;
