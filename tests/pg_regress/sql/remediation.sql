-- tenant_guard.enable_tenant_isolation: every table the probe fails passes
-- after one call; a second call changes nothing; dry_run changes nothing;
-- orphan rows are reported, not altered; bad arguments get clear errors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP SCHEMA IF EXISTS rx CASCADE;
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
CREATE SCHEMA rx;
GRANT USAGE ON SCHEMA rx TO authenticated, anon;
CREATE FUNCTION pg_temp.tenant_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE rx.%I (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                  org_id uuid NOT NULL, body text NOT NULL)', name);
  EXECUTE format($q$INSERT INTO rx.%I (org_id, body) VALUES
    ('11111111-1111-4111-8111-111111111111', 'a-1'), ('11111111-1111-4111-8111-111111111111', 'a-2'),
    ('22222222-2222-4222-8222-222222222222', 'b-1')$q$, name);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON rx.%I TO authenticated', name);
END $$;
-- Checks that do not pass, per table.
CREATE FUNCTION pg_temp.not_passing(tbl regclass) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg("check" || ':' || verdict, ', ' ORDER BY "check"), 'all pass')
  FROM tenant_guard.probe_isolation(tbl) WHERE verdict <> 'pass'
$$;

-- The seed defects: USING (true), an open INSERT policy, user_metadata, RLS off.
SELECT pg_temp.tenant_table(n) FROM unnest('{all_access,open_insert,from_user_metadata,rls_off}'::text[]) n;
ALTER TABLE rx.all_access ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_access ON rx.all_access TO authenticated USING (true);
ALTER TABLE rx.open_insert ENABLE ROW LEVEL SECURITY;
CREATE POLICY open_insert_read ON rx.open_insert FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY open_insert_write ON rx.open_insert FOR INSERT TO authenticated WITH CHECK (true);
ALTER TABLE rx.from_user_metadata ENABLE ROW LEVEL SECURITY;
CREATE POLICY from_user_metadata ON rx.from_user_metadata TO authenticated
  USING (org_id = (nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'user_metadata' ->> 'organization_id')::uuid);

SELECT t AS table_name, pg_temp.not_passing(t) AS before
FROM unnest('{rx.all_access,rx.open_insert,rx.from_user_metadata,rx.rls_off}'::regclass[]) t;

-- dry_run: says what it would do, does nothing.
SELECT step, statement, status FROM tenant_guard.enable_tenant_isolation('rx.all_access', dry_run => true);
SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'rx.all_access'::regclass) AS policies
FROM pg_class WHERE oid = 'rx.all_access'::regclass;

-- One call each; then every check passes.
SELECT t AS table_name, count(*) FILTER (WHERE r.status = 'done') AS done, count(*) FILTER (WHERE r.status = 'in place') AS in_place
FROM unnest('{rx.all_access,rx.open_insert,rx.from_user_metadata,rx.rls_off}'::regclass[]) t,
     LATERAL tenant_guard.enable_tenant_isolation(t) r
GROUP BY t ORDER BY t::text;
SELECT t AS table_name, pg_temp.not_passing(t) AS after
FROM unnest('{rx.all_access,rx.open_insert,rx.from_user_metadata,rx.rls_off}'::regclass[]) t;
-- The second call changes nothing.
SELECT status, count(*) FROM tenant_guard.enable_tenant_isolation('rx.all_access') GROUP BY status;
SELECT polname, polcmd, polpermissive, polroles::regrole[] AS roles
FROM pg_policy WHERE polrelid = 'rx.all_access'::regclass ORDER BY polname;
-- Other roles: the five policies are replaced, nothing else.
SELECT status, count(*) FROM tenant_guard.enable_tenant_isolation('rx.all_access', roles => '{authenticated,anon}') GROUP BY status ORDER BY status;

-- A text tenant column, nullable, with orphans and no index: reported, not altered.
CREATE TABLE rx.notes (id int PRIMARY KEY, tenant_id text, body text);
INSERT INTO rx.notes VALUES (1, 'org_a', 'x'), (2, NULL, 'orphan'), (3, NULL, 'orphan');
SELECT step, statement, status FROM tenant_guard.enable_tenant_isolation('rx.notes') WHERE status <> 'done' OR statement LIKE 'CREATE INDEX%';
SELECT count(*) AS orphans_still_there FROM rx.notes WHERE tenant_id IS NULL;
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'rx.notes'::regclass AND attname = 'tenant_id';

-- apply_grants: seed 000 §3, USAGE on the schema but no table privileges.
CREATE SCHEMA rg;
CREATE TABLE rg.projects (id bigserial PRIMARY KEY, org_id uuid NOT NULL, name text);
INSERT INTO rg.projects (org_id, name) VALUES ('11111111-1111-4111-8111-111111111111', 'p'), ('22222222-2222-4222-8222-222222222222', 'q');
SELECT status FROM tenant_guard.enable_tenant_isolation('rg.projects') WHERE status <> 'done';
SELECT "check", verdict, observed FROM tenant_guard.probe_isolation('rg.projects') WHERE "check" = 'read_own_tenant';
SELECT object, privilege, statement, status FROM tenant_guard.apply_grants('{rg}');
SELECT pg_temp.not_passing('rg.projects') AS after_grants;
SELECT status, count(*) FROM tenant_guard.apply_grants('{rg}') GROUP BY status;
-- A table created later by the same role is granted by default privileges.
CREATE TABLE rg.later (id int);
SELECT has_table_privilege('authenticated', 'rg.later', 'SELECT, INSERT, UPDATE, DELETE') AS later_granted;
SELECT * FROM tenant_guard.apply_grants('{rg}', 'authenticated', 'SELECT, bogus');
SELECT * FROM tenant_guard.apply_grants('{no_such_schema}');
SELECT * FROM tenant_guard.apply_grants('{rg}', 'nobody_here');
SELECT * FROM tenant_guard.apply_grants('{}');
ALTER DEFAULT PRIVILEGES IN SCHEMA rg REVOKE ALL ON TABLES FROM authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA rg REVOKE ALL ON SEQUENCES FROM authenticated;
DROP SCHEMA rg CASCADE;

-- Bad arguments.
CREATE VIEW rx.v AS SELECT * FROM rx.all_access;
SELECT * FROM tenant_guard.enable_tenant_isolation('rx.v');
CREATE TABLE rx.plain (id int);
SELECT * FROM tenant_guard.enable_tenant_isolation('rx.plain');
SELECT * FROM tenant_guard.enable_tenant_isolation('rx.plain', tenant_column => 'nope');
CREATE TABLE rx.numbered (id int, org_id bigint);
SELECT * FROM tenant_guard.enable_tenant_isolation('rx.numbered');
SELECT * FROM tenant_guard.enable_tenant_isolation('rx.all_access', roles => '{nobody_here}');
SELECT * FROM tenant_guard.enable_tenant_isolation('rx.all_access', roles => '{}');

DROP SCHEMA rx CASCADE;
