-- tenant_guard.probe_isolation: seed 002's "log in as A, try to read B's
-- data" in one call. Passes on an isolated table; fails, naming the check, on
-- each classic defect; reports recursion as an error; leaves nothing behind.
--   A = 11111111-1111-4111-8111-111111111111, B = 22222222-2222-4222-8222-222222222222
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS tenant_guard;
DROP SCHEMA IF EXISTS px CASCADE;
DROP ROLE IF EXISTS tg_probe_plain;
RESET client_min_messages;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
END $$;
CREATE SCHEMA px;
GRANT USAGE ON SCHEMA px TO authenticated;
-- A table of tenant rows, its policies set per test.
CREATE FUNCTION pg_temp.tenant_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE px.%I (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                  org_id uuid NOT NULL, body text NOT NULL)', name);
  EXECUTE format($q$INSERT INTO px.%I (org_id, body) VALUES
    ('11111111-1111-4111-8111-111111111111', 'a-1'), ('11111111-1111-4111-8111-111111111111', 'a-2'),
    ('22222222-2222-4222-8222-222222222222', 'b-1')$q$, name);
  EXECUTE format('ALTER TABLE px.%I ENABLE ROW LEVEL SECURITY', name);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON px.%I TO authenticated', name);
END $$;
-- The verdicts only, one line per check.
CREATE FUNCTION pg_temp.verdicts(tbl regclass) RETURNS TABLE (check_name text, verdict text, observed text)
LANGUAGE sql AS $$ SELECT "check", verdict, observed FROM tenant_guard.probe_isolation(tbl) $$;

-- 1. Isolated: one policy per the recommended form. Every check passes.
SELECT pg_temp.tenant_table('isolated');
CREATE POLICY isolated_tenant ON px.isolated TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
SELECT * FROM tenant_guard.probe_isolation('px.isolated');
-- Nothing persisted, and the caller is itself again.
SELECT count(*) AS rows_after, current_user, current_setting('request.jwt.claims', true) AS claims,
       identity.get_current_org_id() AS org
FROM px.isolated;

-- 2. Seed 002's organizations_all_access: USING (true).
SELECT pg_temp.tenant_table('all_access');
CREATE POLICY all_access ON px.all_access TO authenticated USING (true);
SELECT * FROM pg_temp.verdicts('px.all_access');

-- 3. Reads isolated, but an INSERT policy without a tenant check.
SELECT pg_temp.tenant_table('open_insert');
CREATE POLICY open_insert_read ON px.open_insert FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY open_insert_write ON px.open_insert FOR INSERT TO authenticated WITH CHECK (true);
SELECT * FROM pg_temp.verdicts('px.open_insert');

-- 4. Seed 002's calendar policy: the tenant from user_metadata, which users edit.
SELECT pg_temp.tenant_table('from_user_metadata');
CREATE POLICY from_user_metadata ON px.from_user_metadata TO authenticated
  USING (org_id = (current_setting('request.jwt.claims', true)::jsonb -> 'user_metadata' ->> 'organization_id')::uuid);
SELECT * FROM pg_temp.verdicts('px.from_user_metadata') WHERE verdict <> 'pass';

-- 5. RLS off.
SELECT pg_temp.tenant_table('rls_off');
ALTER TABLE px.rls_off DISABLE ROW LEVEL SECURITY;
SELECT * FROM pg_temp.verdicts('px.rls_off') WHERE verdict <> 'pass';

-- 6. Claim drift: the policy reads org_id at the top level only (raw claims).
SELECT pg_temp.tenant_table('top_level_only');
CREATE POLICY top_level_only ON px.top_level_only TO authenticated
  USING (org_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'org_id')::uuid);
SELECT * FROM pg_temp.verdicts('px.top_level_only') WHERE verdict <> 'pass';

-- 7. A recursive membership policy: reported as an error on every check, no crash.
CREATE TABLE px.members (user_id uuid NOT NULL, org_id uuid NOT NULL);
INSERT INTO px.members VALUES ('00000000-7e57-4000-8000-00000000a11a', '11111111-1111-4111-8111-111111111111'),
                              ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-2222-4222-8222-222222222222');
ALTER TABLE px.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_same_org ON px.members TO authenticated
  USING (org_id IN (SELECT m.org_id FROM px.members m WHERE m.user_id = identity.get_current_user_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON px.members TO authenticated;
SELECT check_name, verdict, observed FROM pg_temp.verdicts('px.members') ORDER BY 1;
SELECT detail FROM tenant_guard.probe_isolation('px.members') WHERE "check" = 'read_own_tenant';

-- 7b. Access through a membership table: the probe needs a real member of A.
CREATE TABLE px.team (user_id uuid NOT NULL, org_id uuid NOT NULL);
INSERT INTO px.team VALUES ('aaaaaaaa-0000-4000-8000-00000000000a', '11111111-1111-4111-8111-111111111111'),
                           ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-2222-4222-8222-222222222222');
GRANT SELECT ON px.team TO authenticated;
SELECT pg_temp.tenant_table('by_membership');
CREATE POLICY by_membership ON px.by_membership TO authenticated
  USING (org_id IN (SELECT t.org_id FROM px.team t WHERE t.user_id = identity.get_current_user_id()))
  WITH CHECK (org_id IN (SELECT t.org_id FROM px.team t WHERE t.user_id = identity.get_current_user_id()));
SELECT check_name, verdict, observed FROM pg_temp.verdicts('px.by_membership') WHERE verdict <> 'pass';
SET tenant_guard.membership_table = 'px.team';
SET tenant_guard.membership_tenant_column = 'org_id';
SELECT check_name, verdict, observed FROM pg_temp.verdicts('px.by_membership') WHERE verdict <> 'pass';
RESET tenant_guard.membership_table;
RESET tenant_guard.membership_tenant_column;

-- 8. An empty table: the probe makes up rows for two tenants (rolled back).
CREATE TABLE px.empty (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id text NOT NULL,
                       title varchar(40) NOT NULL, n integer NOT NULL, done boolean NOT NULL);
ALTER TABLE px.empty ENABLE ROW LEVEL SECURITY;
CREATE POLICY empty_tenant ON px.empty TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_key()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_key()));
GRANT SELECT, INSERT, UPDATE, DELETE ON px.empty TO authenticated;
SELECT * FROM pg_temp.verdicts('px.empty');
SELECT count(*) AS rows_left FROM px.empty;
-- A column the probe cannot make a value for: a clear error, nothing left behind.
CREATE TABLE px.empty_inet (org_id uuid NOT NULL, addr inet NOT NULL);
SELECT * FROM tenant_guard.probe_isolation('px.empty_inet');

-- 9. Given tenants: A = B's data owner and the other way round.
SELECT "check", expected, observed, verdict FROM tenant_guard.probe_isolation('px.isolated', 'authenticated',
  '22222222-2222-4222-8222-222222222222', '11111111-1111-4111-8111-111111111111') WHERE "check" = 'read_own_tenant';

-- 10. Bad arguments: clear errors.
CREATE VIEW px.a_view AS SELECT * FROM px.isolated;
SELECT * FROM tenant_guard.probe_isolation('px.a_view');
CREATE TABLE px.no_tenant (id int);
SELECT * FROM tenant_guard.probe_isolation('px.no_tenant');
SELECT * FROM tenant_guard.probe_isolation('px.isolated', 'no_such_role');
SELECT * FROM tenant_guard.probe_isolation('px.isolated', 'authenticated',
  '11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111');
SELECT * FROM tenant_guard.probe_isolation('px.missing');
-- Not for everyone: a plain role may not run it at all, and a role that
-- cannot bypass RLS could not know the truth.
CREATE ROLE tg_probe_plain;
GRANT USAGE ON SCHEMA px TO tg_probe_plain;
SET ROLE tg_probe_plain;
SELECT * FROM tenant_guard.probe_isolation('px.isolated');
RESET ROLE;
GRANT EXECUTE ON FUNCTION tenant_guard.probe_isolation(regclass, text, uuid, uuid) TO tg_probe_plain;
SET ROLE tg_probe_plain;
SELECT * FROM tenant_guard.probe_isolation('px.isolated');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION tenant_guard.probe_isolation(regclass, text, uuid, uuid) FROM tg_probe_plain;
REVOKE USAGE ON SCHEMA px FROM tg_probe_plain;
DROP ROLE tg_probe_plain;

-- 11. probe_all: every tenant table of the schema (views and tables without
-- a tenant column are not tenant tables); a table the probe cannot run on
-- gets one error row and the others go on.
SELECT table_name, count(*) AS checks, count(*) FILTER (WHERE verdict = 'fail') AS fails,
       count(*) FILTER (WHERE verdict = 'error') AS errors
FROM tenant_guard.probe_all('{px}') GROUP BY table_name ORDER BY table_name;
SELECT detail FROM tenant_guard.probe_all('{px}') WHERE "check" = 'probe';
SELECT count(*) AS rows_everywhere FROM (SELECT * FROM px.isolated UNION ALL SELECT * FROM px.all_access) x;

DROP SCHEMA px CASCADE;
