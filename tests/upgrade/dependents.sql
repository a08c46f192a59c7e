-- Objects an application builds on tenant_guard at the previous version:
-- policies, a view and a SQL-standard function body that depend on its
-- functions (PostgreSQL records each dependency), and a suppression row.
-- ALTER EXTENSION ... UPDATE must keep all of them, with the same OIDs.
--   A = 11111111-1111-4111-8111-111111111111, B = 22222222-2222-4222-8222-222222222222
CREATE SCHEMA app;
CREATE TABLE app.docs (id int PRIMARY KEY, org_id uuid NOT NULL, body text NOT NULL);
INSERT INTO app.docs VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'a-1'),
  (2, '11111111-1111-4111-8111-111111111111', 'a-2'),
  (3, '22222222-2222-4222-8222-222222222222', 'b-1');
ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON app.docs FOR SELECT TO authenticated
  USING (org_id = identity.get_current_org_id());
CREATE POLICY docs_write ON app.docs FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY docs_update ON app.docs FOR UPDATE TO authenticated
  USING (org_id = ANY (identity.get_current_org_ids()))
  WITH CHECK (org_id = ANY (identity.get_current_org_ids()));
GRANT USAGE ON SCHEMA app TO authenticated;
GRANT SELECT, INSERT, UPDATE ON app.docs TO authenticated;
CREATE VIEW app.me WITH (security_invoker = true) AS
  SELECT identity.get_current_org_id() AS org, identity.get_current_user_id() AS usr;
GRANT SELECT ON app.me TO authenticated;
CREATE FUNCTION app.tenant_or_error() RETURNS uuid LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT identity.require_org_id();
END;
GRANT EXECUTE ON FUNCTION app.tenant_or_error() TO authenticated;
INSERT INTO tenant_guard.suppressions (cache_key, reason)
  VALUES ('upgrade-test:kept', 'a suppression written before the upgrade must survive it');

-- What depends on the extension's objects, by OID (compared after the update).
CREATE TABLE app.deps_before AS
  SELECT d.classid::regclass::text AS kind, d.objid, d.refobjid
  FROM pg_depend d
  JOIN pg_depend e ON e.classid = d.refclassid AND e.objid = d.refobjid
   AND e.refclassid = 'pg_extension'::regclass AND e.deptype = 'e'
   AND e.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tenant_guard')
  WHERE d.deptype = 'n';

-- The application reloads PostgREST after DDL and auto-grants new tables to
-- authenticated (for every session of this database): the update must not
-- hand authenticated the tables the extension itself creates (the footprint
-- compares their ACLs with a fresh install's).
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET tenant_guard.auto_grant_role = %L', current_database(), 'authenticated');
END $$;
SELECT tenant_guard.enable_auto_reload();
