-- Hardening found in review: the audit cannot be hijacked through the
-- caller's search_path; partitions, materialized views and column grants are
-- seen; function bodies resolve names with their own search_path; a watched
-- setting owned by another module does not stop the library from loading.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tg_evil') THEN CREATE ROLE tg_evil NOLOGIN; END IF;
END $$;
RESET client_min_messages;

-- 1. CVE-2018-1058 pattern: a user who can create in a schema on the
-- auditor's search_path defines operators that match the audit's catalog
-- query better than pg_catalog's; they must never run as the auditor.
CREATE SCHEMA trap;
GRANT CREATE, USAGE ON SCHEMA trap TO tg_evil;
CREATE TABLE trap.calls (who name, at timestamptz DEFAULT now());
GRANT INSERT ON trap.calls TO PUBLIC;
SET ROLE tg_evil;
CREATE FUNCTION trap.oid_eq_regclass(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO trap.calls(who) VALUES (current_user); RETURN $1 = $2::oid; END $$;
CREATE OPERATOR trap.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = trap.oid_eq_regclass);
CREATE FUNCTION trap.name_like(name, name) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO trap.calls(who) VALUES (current_user); RETURN $1::text LIKE $2::text; END $$;
CREATE OPERATOR trap.~~ (LEFTARG = name, RIGHTARG = name, FUNCTION = trap.name_like);
RESET ROLE;
SET search_path = trap, public;
SELECT count(*) >= 0 AS audit_ran FROM tenant_guard.audit();
SELECT count(*) >= 0 AS assert_ran FROM (SELECT tenant_guard.audit_json()) j;
RESET search_path;
SELECT count(*) AS operator_calls_as_auditor FROM trap.calls;

-- 2. A partition with RLS off that clients can query directly (RLS is not
-- inherited); 3. a materialized view over an RLS table, readable by clients;
-- 4. a column grant reaches the table.
CREATE SCHEMA hx;
GRANT USAGE ON SCHEMA hx TO anon, authenticated;
CREATE TABLE hx.orders (id bigint, org_id uuid NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE INDEX ON hx.orders (org_id);
CREATE TABLE hx.orders_2024 PARTITION OF hx.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE hx.orders_2025 PARTITION OF hx.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE hx.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_tenant ON hx.orders FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())) WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
GRANT SELECT ON hx.orders TO authenticated;
GRANT SELECT ON hx.orders_2024 TO anon;                  -- reachable directly, RLS off
CREATE TABLE hx.secrets (id bigint, org_id uuid NOT NULL, token text);
CREATE INDEX ON hx.secrets (org_id);
ALTER TABLE hx.secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY secrets_tenant ON hx.secrets FOR SELECT TO authenticated USING (org_id = (SELECT identity.get_current_org_id()));
CREATE MATERIALIZED VIEW hx.secrets_mv AS SELECT org_id, token FROM hx.secrets;
GRANT SELECT ON hx.secrets_mv TO authenticated;
CREATE TABLE hx.notes (id bigint, org_id uuid, body text);
GRANT SELECT (id, body) ON hx.notes TO anon;              -- column grant only, RLS off
SELECT code, table_name, detail FROM tenant_guard.audit(ARRAY['hx'])
WHERE code IN ('rls_disabled', 'view_bypasses_rls') ORDER BY code, table_name;

-- 5. A SQL helper with its own search_path: analysed against that schema's
-- table (sx.members), so the loop through it is found although public.members
-- is what the auditor's search_path would resolve.
CREATE SCHEMA sx;
CREATE TABLE public.members (user_id uuid, org_id uuid);
CREATE TABLE sx.members (user_id uuid, org_id uuid NOT NULL);
CREATE INDEX ON sx.members (org_id);
CREATE FUNCTION sx.my_org() RETURNS uuid LANGUAGE sql STABLE SET search_path = sx
  AS $$ SELECT org_id FROM members WHERE user_id = identity.get_current_user_id() $$;
ALTER TABLE sx.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_same_org ON sx.members FOR SELECT TO authenticated USING (org_id = sx.my_org());
GRANT USAGE ON SCHEMA sx TO authenticated;
GRANT SELECT ON sx.members TO authenticated;
SELECT code, table_name, policy_name FROM tenant_guard.audit(ARRAY['sx']) WHERE code = 'function_recursion';
BEGIN;
SET LOCAL ROLE authenticated;
\set VERBOSITY terse
SELECT count(*) FROM sx.members;
\set VERBOSITY default
ROLLBACK;

-- 6. A watched setting that another module defines (auto_explain's, with no
-- GUC flags): tenant_guard loads, and reads it on each call instead.
\c
LOAD 'auto_explain';
SET tenant_guard.tenant_setting = 'auto_explain.log_format';
SELECT identity.get_current_org_id() IS NULL AS text_is_not_a_tenant;
SELECT source, raw_value, status FROM identity.explain_claims() WHERE source = 'auto_explain.log_format';
RESET tenant_guard.tenant_setting;

SET client_min_messages = warning;
DROP SCHEMA trap, hx, sx CASCADE;
DROP TABLE public.members;
DROP ROLE tg_evil;
