-- =============================================================================
-- 02_lms.sql: "Campus", a multi-tenant learning-management system (schools and
-- training companies as tenants) with a Node/Prisma backend.
--
-- The API connects as the login role lms_api, and per request runs
--   BEGIN; SET LOCAL ROLE authenticated; SET LOCAL app.tenant_id = '<tenant>'; …; COMMIT;
-- so every policy is written TO authenticated and reads the tenant from the
-- custom setting (identity.get_current_org_id() resolves it). Background jobs
-- (grading, e-mail) connect with login roles of their own. Prisma migrations
-- ran as lms_api, so some tables are owned by the application's login role.
-- Tenant column: tenant_id.
--
-- Patterns studied (written from scratch, nothing copied):
--   tuii-dev/braille-dev:packages/prisma/prisma/migrations/20240320081119_bypasspolicy/migration.sql
--     (tenant_isolation_policy + bypass_rls_policy on current_setting('app.bypass_rls'),
--     ENABLE + FORCE ROW LEVEL SECURITY on every Prisma table)
--   virajdomadia/travelCRM:prisma/migrations/20260228083310_audit_log_rls/migration.sql
--     (tenant compare OR-ed with current_setting('app.bypass_rls', TRUE) = 'true')
--   sweetr-dev/sweetr.dev:apps/api/prisma/migrations/20241201000001_row_level_security/migration.sql
--     (per-table bypass policies next to the tenant policy, app.current_workspace_id setting)
--   Fahrizal0112/Row-Level-Security-Backend:migrations/001_create_tenants_table.up.sql
--     (USING (id = COALESCE(current_setting('app.current_tenant_id', true)::INTEGER, id)))
--   openoms-org/openoms:apps/api-server/migrations/000038_fix_warehouse_doc_rls.up.sql and
--     000003_fix_rls_missing_ok.up.sql (COALESCE fallback that degenerates to tenant_id = tenant_id
--     when the setting is unset, and its fix; current_setting(..., true) everywhere)
--   Arescoreadmin/fg-core:migrations/postgres/0005_tenant_rls_policy_enforcement.sql
--     (fail-closed: setting IS NOT NULL AND tenant_id = setting)
--   ivorscott/saas-core:internal/project/res/migrations/000001_init_db.up.sql
--     (child tables referencing projects(project_id) without tenant_id in the key; tables
--     owned by / GRANT ALL to the application's login user, RLS enabled but not forced)
--   supabase/supabase:apps/docs/content/guides/database/postgres/row-level-security.mdx
--     ("alter role ... with bypassrls ... never share login credentials for such a role")
--
-- Assumes the prelude: roles anon / authenticated / service_role, schema auth,
-- extension tenant_guard (identity.get_current_org_id()).
-- Tenant A = 11111111-1111-4111-8111-111111111111, tenant B = 22222222-2222-4222-8222-222222222222.
-- =============================================================================
-- CLIENT ROLES: anon,authenticated,lms_api

-- Application and worker roles (cluster-wide, so created idempotently).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lms_api') THEN
    CREATE ROLE lms_api LOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lms_mailer') THEN
    CREATE ROLE lms_mailer LOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lms_grading_worker') THEN
    CREATE ROLE lms_grading_worker NOLOGIN;
  END IF;
END
$$;
-- DEFECT: BYPASSRLS login role — the auto-grader connects with its own login role that skips every policy (it "needs to see all queues"), so one bug or a leaked DATABASE_URL of the worker reads and rewrites the submissions and grades of tenants A and B alike.
ALTER ROLE lms_grading_worker WITH LOGIN BYPASSRLS;
-- The API switches to authenticated per transaction; the mailer is a plain
-- member of it, so the policies below apply to the mailer too.
GRANT authenticated TO lms_api;
GRANT authenticated TO lms_mailer;

CREATE SCHEMA lms;
GRANT USAGE ON SCHEMA lms TO authenticated, lms_grading_worker;
GRANT USAGE, CREATE ON SCHEMA lms TO lms_api;   -- prisma migrate runs as lms_api
ALTER DEFAULT PRIVILEGES IN SCHEMA lms GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
ALTER DEFAULT PRIVILEGES FOR ROLE lms_api IN SCHEMA lms GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;

-- -----------------------------------------------------------------------------
-- Tenants and learners
-- -----------------------------------------------------------------------------
CREATE TABLE lms.tenants (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  slug       text NOT NULL UNIQUE,
  plan       text NOT NULL DEFAULT 'starter',
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE lms.tenants ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON lms.tenants TO authenticated;
CREATE POLICY tenants_self ON lms.tenants FOR SELECT TO authenticated
  USING (id = (SELECT identity.get_current_org_id()));

CREATE TABLE lms.learners (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  email        text NOT NULL,
  display_name text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, tenant_id),
  UNIQUE (tenant_id, email)
);
ALTER TABLE lms.learners ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.learners TO authenticated;
CREATE POLICY learners_tenant ON lms.learners FOR ALL TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));

-- -----------------------------------------------------------------------------
-- Courses and lessons (Prisma-era integer keys)
-- -----------------------------------------------------------------------------
CREATE TABLE lms.courses (
  id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  title      text NOT NULL,
  published  boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, tenant_id)
);
CREATE INDEX courses_tenant_id_idx ON lms.courses (tenant_id);
ALTER TABLE lms.courses ENABLE ROW LEVEL SECURITY;
-- NEAR-MISS: owner without FORCE — courses is owned by the application's login role like certificates below, but row-level security is forced, so lms_api's own connections are filtered by the policy too.
ALTER TABLE lms.courses FORCE ROW LEVEL SECURITY;
ALTER TABLE lms.courses OWNER TO lms_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.courses TO authenticated;
CREATE POLICY courses_tenant ON lms.courses FOR ALL TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));

CREATE TABLE lms.lessons (
  id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  -- DEFECT: cross-tenant foreign key — the key is the bare integer course id, without tenant_id, and the insert policy never reads courses: an author of tenant A attaches lessons to tenant B's course 3, which his own SELECT cannot see, and the key check (which row-level security does not filter) tells him which of B's guessable integer ids exist.
  course_id  bigint NOT NULL REFERENCES lms.courses (id) ON DELETE CASCADE,
  title      text NOT NULL,
  body       text,
  position   integer NOT NULL DEFAULT 0,
  UNIQUE (id, tenant_id)
);
CREATE INDEX lessons_tenant_id_idx ON lms.lessons (tenant_id);
CREATE INDEX lessons_course_id_idx ON lms.lessons (course_id);
ALTER TABLE lms.lessons ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.lessons TO authenticated;
CREATE POLICY lessons_tenant ON lms.lessons FOR ALL TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));

-- -----------------------------------------------------------------------------
-- Cohorts and enrollments
-- -----------------------------------------------------------------------------
CREATE TABLE lms.cohorts (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  course_id  bigint NOT NULL,
  name       text NOT NULL,
  starts_on  date NOT NULL,
  UNIQUE (id, tenant_id),
  -- NEAR-MISS: cross-tenant foreign key — unlike lessons, the cohort's key to courses includes tenant_id, so it can only name a course of its own tenant.
  FOREIGN KEY (course_id, tenant_id) REFERENCES lms.courses (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX cohorts_tenant_id_idx ON lms.cohorts (tenant_id);
ALTER TABLE lms.cohorts ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.cohorts TO authenticated;
-- NEAR-MISS: fail-open predicate — the raw setting is read directly, but the empty/unset case is tested with AND (fail closed): without app.tenant_id no cohort matches.
CREATE POLICY cohorts_tenant ON lms.cohorts FOR ALL TO authenticated
  USING (nullif(current_setting('app.tenant_id', true), '') IS NOT NULL
         AND tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (nullif(current_setting('app.tenant_id', true), '') IS NOT NULL
              AND tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

CREATE TABLE lms.enrollments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  cohort_id   uuid NOT NULL,
  learner_id  uuid NOT NULL,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'dropped')),
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (cohort_id, tenant_id) REFERENCES lms.cohorts (id, tenant_id) ON DELETE CASCADE,
  FOREIGN KEY (learner_id, tenant_id) REFERENCES lms.learners (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX enrollments_tenant_id_idx ON lms.enrollments (tenant_id);
ALTER TABLE lms.enrollments ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.enrollments TO authenticated;
-- DEFECT: fail-open predicate — "no tenant set means single-tenant dev mode": a request path or job that forgets SET LOCAL app.tenant_id (or runs after the SET LOCAL ended, when the setting reads '') sees the enrollments of tenants A and B together.
CREATE POLICY enrollments_tenant ON lms.enrollments FOR ALL TO authenticated
  USING (coalesce(current_setting('app.tenant_id', true), '') = ''
         OR tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);

-- -----------------------------------------------------------------------------
-- Assignments, submissions, grades
-- -----------------------------------------------------------------------------
CREATE TABLE lms.assignments (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  lesson_id  bigint NOT NULL,
  title      text NOT NULL,
  due_at     timestamptz,
  UNIQUE (id, tenant_id),
  FOREIGN KEY (lesson_id, tenant_id) REFERENCES lms.lessons (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX assignments_tenant_id_idx ON lms.assignments (tenant_id);
ALTER TABLE lms.assignments ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.assignments TO authenticated;
CREATE POLICY assignments_tenant ON lms.assignments FOR ALL TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));

CREATE TABLE lms.submissions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  assignment_id uuid NOT NULL,
  learner_id    uuid NOT NULL,
  body          text NOT NULL,
  submitted_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, tenant_id),
  FOREIGN KEY (assignment_id, tenant_id) REFERENCES lms.assignments (id, tenant_id) ON DELETE CASCADE,
  FOREIGN KEY (learner_id, tenant_id) REFERENCES lms.learners (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX submissions_tenant_id_idx ON lms.submissions (tenant_id);
ALTER TABLE lms.submissions ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.submissions TO authenticated;
GRANT SELECT, UPDATE ON lms.submissions TO lms_grading_worker;
-- DEFECT: fail-open predicate — coalesce(<tenant compare>, true) was meant to keep the review screen from "erroring on NULL"; with no tenant resolved the comparison is NULL, the coalesce turns it into true, and the caller reads every tenant's submissions.
CREATE POLICY submissions_read ON lms.submissions FOR SELECT TO authenticated
  USING (coalesce(tenant_id = (SELECT identity.get_current_org_id()), true));
CREATE POLICY submissions_write ON lms.submissions FOR INSERT TO authenticated
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));
CREATE POLICY submissions_edit ON lms.submissions FOR UPDATE TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));
CREATE POLICY submissions_remove ON lms.submissions FOR DELETE TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()));

CREATE TABLE lms.grades (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  submission_id uuid NOT NULL,
  score         numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
  feedback      text,
  graded_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (submission_id, tenant_id) REFERENCES lms.submissions (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX grades_tenant_id_idx ON lms.grades (tenant_id);
ALTER TABLE lms.grades ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON lms.grades TO authenticated;
GRANT SELECT, INSERT, UPDATE ON lms.grades TO lms_grading_worker;
-- DEFECT: bypass flag in a custom setting — custom settings need no privilege, so any session of the API (or anything that reaches SQL through it) runs SET app.bypass_rls = 'on' and reads and rewrites the grades of every tenant.
CREATE POLICY grades_tenant ON lms.grades FOR ALL TO authenticated
  USING (current_setting('app.bypass_rls', true) = 'on'
         OR tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (current_setting('app.bypass_rls', true) = 'on'
              OR tenant_id = (SELECT identity.get_current_org_id()));
-- NEAR-MISS: bypass flag — an unconditional policy, but only for service_role, which has BYPASSRLS anyway; no client role can use it.
CREATE POLICY grades_service ON lms.grades FOR SELECT TO service_role
  USING (true);

-- -----------------------------------------------------------------------------
-- Certificates (added later by a Prisma migration run as lms_api)
-- -----------------------------------------------------------------------------
CREATE TABLE lms.certificates (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  learner_id uuid NOT NULL,
  course_id  bigint NOT NULL,
  serial     text NOT NULL UNIQUE,
  issued_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (learner_id, tenant_id) REFERENCES lms.learners (id, tenant_id) ON DELETE CASCADE,
  FOREIGN KEY (course_id, tenant_id) REFERENCES lms.courses (id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX certificates_tenant_id_idx ON lms.certificates (tenant_id);
ALTER TABLE lms.certificates ENABLE ROW LEVEL SECURITY;
-- DEFECT: table owned by the client login role without FORCE — lms_api owns certificates and RLS is not forced, so every statement the API runs before (or without) SET LOCAL ROLE authenticated, e.g. the public "verify a certificate" endpoint, reads and issues certificates across tenants A and B.
ALTER TABLE lms.certificates OWNER TO lms_api;
GRANT SELECT, INSERT ON lms.certificates TO authenticated;
CREATE POLICY certificates_tenant ON lms.certificates FOR ALL TO authenticated
  USING (tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));

-- -----------------------------------------------------------------------------
-- Audit trail (insert + read own tenant)
-- -----------------------------------------------------------------------------
CREATE TABLE lms.audit_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES lms.tenants (id) ON DELETE CASCADE,
  actor      text NOT NULL,
  action     text NOT NULL,
  payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_tenant_id_idx ON lms.audit_events (tenant_id, created_at DESC);
ALTER TABLE lms.audit_events ENABLE ROW LEVEL SECURITY;
REVOKE UPDATE, DELETE ON lms.audit_events FROM authenticated;
GRANT SELECT, INSERT ON lms.audit_events TO authenticated;
-- NEAR-MISS: fail-open predicate — this coalesce substitutes a sentinel tenant that no row carries, so an unset or empty app.tenant_id matches nothing (fail closed).
CREATE POLICY audit_events_read ON lms.audit_events FOR SELECT TO authenticated
  USING (tenant_id = coalesce(nullif(current_setting('app.tenant_id', true), ''),
                              '00000000-0000-0000-0000-000000000000')::uuid);
CREATE POLICY audit_events_append ON lms.audit_events FOR INSERT TO authenticated
  WITH CHECK (tenant_id = (SELECT identity.get_current_org_id()));

-- NEAR-MISS: worker role — the reminder mailer logs in as lms_mailer, which is NOBYPASSRLS and a member of authenticated: each job runs SET LOCAL app.tenant_id and sees one tenant at a time through the same policies.
GRANT SELECT ON lms.learners, lms.enrollments, lms.cohorts, lms.courses TO lms_mailer;

-- -----------------------------------------------------------------------------
-- Seed: tenants A and B (loaded as the migration superuser)
-- -----------------------------------------------------------------------------
INSERT INTO lms.tenants (id, name, slug, plan) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Alder Academy', 'alder', 'school'),
  ('22222222-2222-4222-8222-222222222222', 'Birch Training', 'birch', 'business');

INSERT INTO lms.learners (id, tenant_id, email, display_name) VALUES
  ('1a000000-0000-4000-8000-00000000001e', '11111111-1111-4111-8111-111111111111', 'ada@alder.example',   'Ada'),
  ('1a000000-0000-4000-8000-00000000002e', '11111111-1111-4111-8111-111111111111', 'alan@alder.example',  'Alan'),
  ('2b000000-0000-4000-8000-00000000001e', '22222222-2222-4222-8222-222222222222', 'bea@birch.example',   'Bea');

INSERT INTO lms.courses (id, tenant_id, title, published) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'Algebra I', true),
  (2, '11111111-1111-4111-8111-111111111111', 'Chemistry', false),
  (3, '22222222-2222-4222-8222-222222222222', 'Forklift safety', true);
SELECT setval(pg_get_serial_sequence('lms.courses', 'id'), 3);

INSERT INTO lms.lessons (id, tenant_id, course_id, title, position) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 'Variables', 1),
  (2, '11111111-1111-4111-8111-111111111111', 1, 'Equations', 2),
  (3, '22222222-2222-4222-8222-222222222222', 3, 'Load limits', 1);
SELECT setval(pg_get_serial_sequence('lms.lessons', 'id'), 3);

INSERT INTO lms.cohorts (id, tenant_id, course_id, name, starts_on) VALUES
  ('1a000000-0000-4000-8000-0000000000c1', '11111111-1111-4111-8111-111111111111', 1, 'Algebra, autumn', '2025-09-01'),
  ('2b000000-0000-4000-8000-0000000000c1', '22222222-2222-4222-8222-222222222222', 3, 'Warehouse crew 7', '2025-10-06');

INSERT INTO lms.enrollments (tenant_id, cohort_id, learner_id) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', '1a000000-0000-4000-8000-00000000001e'),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', '1a000000-0000-4000-8000-00000000002e'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000c1', '2b000000-0000-4000-8000-00000000001e');

INSERT INTO lms.assignments (id, tenant_id, lesson_id, title, due_at) VALUES
  ('1a000000-0000-4000-8000-0000000000a1', '11111111-1111-4111-8111-111111111111', 2, 'Solve for x', '2025-09-15'),
  ('2b000000-0000-4000-8000-0000000000a1', '22222222-2222-4222-8222-222222222222', 3, 'Quiz: load charts', '2025-10-10');

INSERT INTO lms.submissions (id, tenant_id, assignment_id, learner_id, body) VALUES
  ('1a000000-0000-4000-8000-0000000000b1', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a1', '1a000000-0000-4000-8000-00000000001e', 'x = 4'),
  ('2b000000-0000-4000-8000-0000000000b1', '22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000a1', '2b000000-0000-4000-8000-00000000001e', 'Max 1.5 t at 600 mm');

INSERT INTO lms.grades (tenant_id, submission_id, score, feedback) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b1', 95, 'Show your steps'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000b1', 80, 'Check the derating');

INSERT INTO lms.certificates (tenant_id, learner_id, course_id, serial) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-00000000001e', 1, 'ALD-2025-0001'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-00000000001e', 3, 'BRC-2025-0001');

INSERT INTO lms.audit_events (tenant_id, actor, action, payload) VALUES
  ('11111111-1111-4111-8111-111111111111', 'ada@alder.example', 'submission.created', '{"assignment": "Solve for x"}'),
  ('22222222-2222-4222-8222-222222222222', 'grader',            'grade.recorded',     '{"score": 80}');

-- -----------------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- -----------------------------------------------------------------------------
-- The API's request shape (authenticated plus SET LOCAL app.tenant_id), the
-- login roles themselves where the text is about them; pg_temp helpers from the
-- prelude: every rows_as is rolled back, every expect below must fail.
\set tenant_a 'SET LOCAL app.tenant_id = ''11111111-1111-4111-8111-111111111111'''
\set tenant_none 'SET LOCAL app.tenant_id = '''''

-- DEFECT BYPASSRLS login role (lms_grading_worker): with tenant A set, the worker still reads B's submission ...
SELECT pg_temp.rows_as('lms_grading_worker', :'tenant_a',
  $$SELECT count(*) FROM lms.submissions WHERE tenant_id = '22222222-2222-4222-8222-222222222222'$$, 1);
-- DEFECT BYPASSRLS login role (lms_grading_worker): ... and rewrites the grades of A and B in one statement.
SELECT pg_temp.rows_as('lms_grading_worker', :'tenant_a', $$UPDATE lms.grades SET score = 0$$, 2);

-- NEAR-MISS owner without FORCE (courses): lms_api owns courses, yet with tenant A it sees A's two courses only ...
SELECT pg_temp.rows_as('lms_api', :'tenant_a', $$SELECT count(*) FROM lms.courses$$, 2);
-- NEAR-MISS owner without FORCE (courses): ... and none at all without a tenant.
SELECT pg_temp.rows_as('lms_api', '', $$SELECT count(*) FROM lms.courses$$, 0);

-- DEFECT cross-tenant foreign key (lessons.course_id): B's course 3 is invisible to an author of A ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a', $$SELECT count(*) FROM lms.courses WHERE id = 3$$, 0);
-- DEFECT cross-tenant foreign key (lessons.course_id): ... yet his lesson attaches to it ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a',
  $$INSERT INTO lms.lessons (tenant_id, course_id, title)
    VALUES ('11111111-1111-4111-8111-111111111111', 3, 'Planted lesson')$$, 1);
-- DEFECT cross-tenant foreign key (lessons.course_id): ... while an unused id is refused, so the key check reveals B's ids.
SELECT pg_temp.expect('authenticated', $$SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
  INSERT INTO lms.lessons (tenant_id, course_id, title)
  VALUES ('11111111-1111-4111-8111-111111111111', 4, 'Probe')$$, '23503');

-- NEAR-MISS cross-tenant foreign key (cohorts): a cohort of A cannot name B's course 3.
SELECT pg_temp.expect('authenticated', $$SET LOCAL app.tenant_id = '11111111-1111-4111-8111-111111111111';
  INSERT INTO lms.cohorts (tenant_id, course_id, name, starts_on)
  VALUES ('11111111-1111-4111-8111-111111111111', 3, 'Planted cohort', '2025-11-01')$$, '23503');

-- NEAR-MISS fail-open predicate (cohorts_tenant): with tenant A, A's cohort ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a', $$SELECT count(*) FROM lms.cohorts$$, 1);
-- NEAR-MISS fail-open predicate (cohorts_tenant): ... with no tenant, nothing ...
SELECT pg_temp.rows_as('authenticated', '', $$SELECT count(*) FROM lms.cohorts$$, 0);
-- NEAR-MISS fail-open predicate (cohorts_tenant): ... and with an empty one, nothing.
SELECT pg_temp.rows_as('authenticated', :'tenant_none', $$SELECT count(*) FROM lms.cohorts$$, 0);

-- DEFECT fail-open predicate (enrollments_tenant): a request without app.tenant_id sees the enrollments of A and B ...
SELECT pg_temp.rows_as('authenticated', '', $$SELECT count(*) FROM lms.enrollments$$, 3);
-- DEFECT fail-open predicate (enrollments_tenant): ... so does one where the setting reads '' ...
SELECT pg_temp.rows_as('authenticated', :'tenant_none', $$SELECT count(*) FROM lms.enrollments$$, 3);
-- DEFECT fail-open predicate (enrollments_tenant): ... and a mailer job that forgot the SET LOCAL.
SELECT pg_temp.rows_as('lms_mailer', '', $$SELECT count(*) FROM lms.enrollments$$, 3);

-- DEFECT fail-open predicate (submissions_read): with no tenant resolved, every tenant's submissions.
SELECT pg_temp.rows_as('authenticated', '', $$SELECT count(*) FROM lms.submissions$$, 2);

-- DEFECT bypass flag in a custom setting (grades_tenant): a request of tenant A sets the flag itself and reads B's grade ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a',
  $$SET LOCAL app.bypass_rls = 'on';
    SELECT count(*) FROM lms.grades WHERE tenant_id = '22222222-2222-4222-8222-222222222222'$$, 1);
-- DEFECT bypass flag in a custom setting (grades_tenant): ... and rewrites it.
SELECT pg_temp.rows_as('authenticated', :'tenant_a',
  $$SET LOCAL app.bypass_rls = 'on';
    WITH changed AS (UPDATE lms.grades SET score = 100
                     WHERE tenant_id = '22222222-2222-4222-8222-222222222222' RETURNING 1)
    SELECT count(*) FROM changed$$, 1);

-- NEAR-MISS bypass flag (grades_service): the unconditional policy is service_role's; authenticated with tenant A gets no grade of B ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a',
  $$SELECT count(*) FROM lms.grades WHERE tenant_id = '22222222-2222-4222-8222-222222222222'$$, 0);
-- NEAR-MISS bypass flag (grades_service): ... and none at all without a tenant.
SELECT pg_temp.rows_as('authenticated', '', $$SELECT count(*) FROM lms.grades$$, 0);

-- DEFECT table owned by the client login role without FORCE (certificates): through authenticated, tenant A sees its one certificate ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a', $$SELECT count(*) FROM lms.certificates$$, 1);
-- DEFECT table owned by the client login role without FORCE (certificates): ... lms_api's own statements (no tenant, no SET ROLE) read A's and B's ...
SELECT pg_temp.rows_as('lms_api', '', $$SELECT count(*) FROM lms.certificates$$, 2);
-- DEFECT table owned by the client login role without FORCE (certificates): ... and issue one for tenant B during a request of tenant A.
SELECT pg_temp.rows_as('lms_api', :'tenant_a',
  $$INSERT INTO lms.certificates (tenant_id, learner_id, course_id, serial)
    VALUES ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-00000000001e', 3, 'BRC-2025-0999')$$, 1);

-- NEAR-MISS fail-open predicate (audit_events_read): with tenant A, A's event ...
SELECT pg_temp.rows_as('authenticated', :'tenant_a', $$SELECT count(*) FROM lms.audit_events$$, 1);
-- NEAR-MISS fail-open predicate (audit_events_read): ... unset, nothing ...
SELECT pg_temp.rows_as('authenticated', '', $$SELECT count(*) FROM lms.audit_events$$, 0);
-- NEAR-MISS fail-open predicate (audit_events_read): ... empty, nothing.
SELECT pg_temp.rows_as('authenticated', :'tenant_none', $$SELECT count(*) FROM lms.audit_events$$, 0);

-- NEAR-MISS worker role (lms_mailer): a job for tenant A reads A's learners, enrollments, cohorts and courses ...
SELECT pg_temp.rows_as('lms_mailer', :'tenant_a',
  $$SELECT (SELECT count(*) FROM lms.learners) + (SELECT count(*) FROM lms.enrollments)
         + (SELECT count(*) FROM lms.cohorts) + (SELECT count(*) FROM lms.courses)$$, 7);
-- NEAR-MISS worker role (lms_mailer): ... and not one row of tenant B.
SELECT pg_temp.rows_as('lms_mailer', :'tenant_a',
  $$SELECT count(*) FROM (SELECT tenant_id FROM lms.learners UNION ALL SELECT tenant_id FROM lms.enrollments
                          UNION ALL SELECT tenant_id FROM lms.cohorts UNION ALL SELECT tenant_id FROM lms.courses) r
    WHERE r.tenant_id = '22222222-2222-4222-8222-222222222222'$$, 0);
