-- =====================================================================
-- 02_clinic.sql -- tenant_guard fixture
--
-- App modelled: "clinic", a Django practice-management SaaS (patients,
-- appointments, visits, prescriptions, lab work, invoices). Django
-- connects as clinic_app, the same role that runs the migrations and so
-- owns every table; isolation therefore relies on FORCE ROW LEVEL
-- SECURITY. A database backend hook runs, at the start of every atomic
-- request, SELECT set_config('app.tenant_id', <clinic uuid>, true) and
-- set_config('app.user_email', <staff e-mail>, true). A "bypass" context
-- manager lets management commands write a magic value into the same
-- setting. Celery workers connect as clinic_worker; read-only dashboard
-- views switch to clinic_reporting with SET LOCAL ROLE.
--
-- Patterns studied (public sources read while writing this fixture):
--   alasco-tech/alasco-tech.github.io:src/content/blog/2024/04/05/django-and-row-level-security.md
--       (Django RowLevelSecurityConstraint: CASE policy, magic
--        SPECIAL_CASE_ALL value in app.account_id, ENABLE + FORCE RLS)
--   rhesis-ai/rhesis pull requests #2300 and #2311 (issues corpus)
--       (policies rewritten to "NULLIF(current_setting(..., true), '') IS
--        NULL OR organization_id = ..." so that an empty GUC sees all rows)
--   Arescoreadmin/fg-core:migrations/postgres/0005_tenant_rls_policy_enforcement.sql
--       ("current_setting(..., true) IS NOT NULL AND tenant_id = ..." guard)
--   stuysu/epsilon-database:DATABASE_FUNC_PERMS.sql
--       (ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC,
--        then EXECUTE granted role by role)
--   AOT-Technologies/m8flow:extensions/m8flow-backend/src/m8flow_backend/docs/rls_notes.md
--       (runtime / migration / admin-with-BYPASSRLS role split; workers
--        must set the tenant)
--   agenticsorg/volunteer-training-08-07-26 issue #52 and Cyoda/cyoda-go
--   issue #363 (issues corpus) (app connects as table owner, RLS not FORCEd)
--
-- Tenants: A = 11111111-1111-4111-8111-111111111111 (Northside Family Practice)
--          B = 22222222-2222-4222-8222-222222222222 (Harbor Pediatrics)
-- =====================================================================
-- CLIENT ROLES: anon,authenticated,clinic_app

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'clinic_app') THEN
    CREATE ROLE clinic_app LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'clinic_reporting') THEN
    CREATE ROLE clinic_reporting NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'clinic_worker') THEN
    CREATE ROLE clinic_worker LOGIN;
  END IF;
END
$$;

-- NEAR-MISS: login role owns tables without FORCE RLS — clinic_app logs in and owns the tables, but it is NOBYPASSRLS and every table it owns below gets FORCE ROW LEVEL SECURITY (except the one marked as a defect).
ALTER ROLE clinic_app NOSUPERUSER NOBYPASSRLS;
-- NEAR-MISS: BYPASSRLS worker — the reporting role is explicitly NOBYPASSRLS and only ever receives SELECT.
ALTER ROLE clinic_reporting NOBYPASSRLS;
-- DEFECT: BYPASSRLS worker — Celery tasks connect as clinic_worker, which skips every policy; a task such as "send lab results" that takes a lab_result id from a queue message reads and mails tenant B's results for a job enqueued by tenant A.
ALTER ROLE clinic_worker BYPASSRLS;

-- Dashboard views run SET LOCAL ROLE clinic_reporting.
GRANT clinic_reporting TO clinic_app;

DROP SCHEMA IF EXISTS clinic CASCADE;
CREATE SCHEMA clinic AUTHORIZATION clinic_app;
GRANT USAGE ON SCHEMA clinic TO clinic_reporting, clinic_worker;

-- Migrations run as the Django database user.
SET ROLE clinic_app;

-- Hardening step copied from a checklist: new functions are no longer
-- executable by PUBLIC; EXECUTE is granted one role at a time below.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- NEAR-MISS: fail-open predicate — NULLIF turns an unset or empty setting into NULL, so every comparison against current_org() is NULL (false) and the request sees nothing.
CREATE FUNCTION clinic.current_org() RETURNS uuid
LANGUAGE sql STABLE
AS $$
  SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;
GRANT EXECUTE ON FUNCTION clinic.current_org() TO clinic_reporting, clinic_worker;

-- ---------------------------------------------------------------------
-- Tenant root and staff
-- ---------------------------------------------------------------------
CREATE TABLE clinic.clinics (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  timezone   text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE clinic.clinics ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.clinics FORCE ROW LEVEL SECURITY;
CREATE POLICY clinics_rls ON clinic.clinics
  USING (id = clinic.current_org())
  WITH CHECK (id = clinic.current_org());

CREATE TABLE clinic.staff (
  id         bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id     uuid NOT NULL REFERENCES clinic.clinics (id),
  email      text NOT NULL,
  full_name  text NOT NULL,
  role       text NOT NULL CHECK (role IN ('doctor', 'nurse', 'pharmacist', 'front_desk', 'admin')),
  is_active  boolean NOT NULL DEFAULT true,
  UNIQUE (org_id, email),
  UNIQUE (org_id, id)
);
ALTER TABLE clinic.staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.staff FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_rls ON clinic.staff
  USING (org_id = clinic.current_org())
  WITH CHECK (org_id = clinic.current_org());

CREATE FUNCTION clinic.current_staff_role() RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT s.role
  FROM clinic.staff s
  WHERE s.org_id = clinic.current_org()
    AND s.email = NULLIF(current_setting('app.user_email', true), '')
    AND s.is_active
$$;
-- Granted to the worker only; clinic_app owns it and can always execute it.
GRANT EXECUTE ON FUNCTION clinic.current_staff_role() TO clinic_worker;

-- ---------------------------------------------------------------------
-- Patients and scheduling
-- ---------------------------------------------------------------------
CREATE TABLE clinic.patients (
  id            bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES clinic.clinics (id),
  mrn           text NOT NULL,
  full_name     text NOT NULL,
  date_of_birth date NOT NULL,
  phone         text,
  UNIQUE (org_id, mrn),
  UNIQUE (org_id, id)
);
ALTER TABLE clinic.patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.patients FORCE ROW LEVEL SECURITY;
-- DEFECT: bypass flag in custom setting — app.tenant_id is an ordinary placeholder GUC that any session may SET, so a request that runs set_config('app.tenant_id', 'ALL_TENANTS', true) (the value the Django bypass context manager uses) makes the CASE return true and tenant A reads and edits tenant B's patients.
CREATE POLICY patients_rls ON clinic.patients
  USING (
    CASE
      WHEN NULLIF(current_setting('app.tenant_id', true), '') IS NULL THEN false
      WHEN current_setting('app.tenant_id', true) = 'ALL_TENANTS' THEN true
      ELSE org_id = current_setting('app.tenant_id', true)::uuid
    END
  )
  WITH CHECK (
    CASE
      WHEN NULLIF(current_setting('app.tenant_id', true), '') IS NULL THEN false
      WHEN current_setting('app.tenant_id', true) = 'ALL_TENANTS' THEN true
      ELSE org_id = current_setting('app.tenant_id', true)::uuid
    END
  );

CREATE TABLE clinic.appointments (
  id          bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id      uuid NOT NULL,
  patient_id  bigint NOT NULL,
  staff_id    bigint NOT NULL,
  starts_at   timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'arrived', 'no_show', 'cancelled')),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES clinic.patients (org_id, id),
  FOREIGN KEY (org_id, staff_id) REFERENCES clinic.staff (org_id, id)
);
CREATE INDEX appointments_org_starts_idx ON clinic.appointments (org_id, starts_at);
ALTER TABLE clinic.appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY appointments_rls ON clinic.appointments
  USING (org_id = clinic.current_org())
  WITH CHECK (org_id = clinic.current_org());

CREATE TABLE clinic.visits (
  id          bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id      uuid NOT NULL,
  patient_id  bigint NOT NULL,
  clinician_id bigint NOT NULL,
  visited_at  timestamptz NOT NULL DEFAULT now(),
  notes       text NOT NULL DEFAULT '',
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES clinic.patients (org_id, id),
  FOREIGN KEY (org_id, clinician_id) REFERENCES clinic.staff (org_id, id)
);
CREATE INDEX visits_org_patient_idx ON clinic.visits (org_id, patient_id);
ALTER TABLE clinic.visits ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.visits FORCE ROW LEVEL SECURITY;
-- NEAR-MISS: fail-open predicate — the IS NOT NULL test is ANDed with the equality, so a missing setting yields NULL/false and an empty one (what app.tenant_id reads when no set_config ran once tenant_guard has defined it, and after a SET LOCAL ends) raises a cast error; neither shows rows.
CREATE POLICY visits_rls ON clinic.visits
  USING (
    current_setting('app.tenant_id', true) IS NOT NULL
    AND org_id = current_setting('app.tenant_id', true)::uuid
  )
  WITH CHECK (
    current_setting('app.tenant_id', true) IS NOT NULL
    AND org_id = current_setting('app.tenant_id', true)::uuid
  );

-- ---------------------------------------------------------------------
-- Clinical data
-- ---------------------------------------------------------------------
CREATE TABLE clinic.prescriptions (
  id          bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id      uuid NOT NULL,
  visit_id    bigint NOT NULL,
  drug_name   text NOT NULL,
  dosage      text NOT NULL,
  controlled  boolean NOT NULL DEFAULT false,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  -- NEAR-MISS: FK without tenant column — the visit reference includes org_id, so a prescription can only point at a visit of the same clinic.
  FOREIGN KEY (org_id, visit_id) REFERENCES clinic.visits (org_id, id) ON DELETE CASCADE
);
CREATE INDEX prescriptions_org_visit_idx ON clinic.prescriptions (org_id, visit_id);
ALTER TABLE clinic.prescriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.prescriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY prescriptions_rls ON clinic.prescriptions
  USING (org_id = clinic.current_org())
  WITH CHECK (org_id = clinic.current_org());
-- DEFECT: policy helper without EXECUTE — default privileges stopped granting EXECUTE to PUBLIC and current_staff_role() was granted only to clinic_worker, so every query on prescriptions from the dashboard path (SET LOCAL ROLE clinic_reporting) fails with "permission denied for function current_staff_role".
CREATE POLICY prescriptions_clinical_only ON clinic.prescriptions AS RESTRICTIVE
  USING (clinic.current_staff_role() IN ('doctor', 'nurse', 'pharmacist'));

CREATE TABLE clinic.lab_orders (
  id          bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id      uuid NOT NULL,
  visit_id    bigint NOT NULL,
  panel       text NOT NULL,
  ordered_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, visit_id) REFERENCES clinic.visits (org_id, id) ON DELETE CASCADE
);
CREATE INDEX lab_orders_org_visit_idx ON clinic.lab_orders (org_id, visit_id);
ALTER TABLE clinic.lab_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.lab_orders FORCE ROW LEVEL SECURITY;
CREATE POLICY lab_orders_rls ON clinic.lab_orders
  USING (org_id = clinic.current_org())
  WITH CHECK (org_id = clinic.current_org());

CREATE TABLE clinic.lab_results (
  id            bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id        uuid NOT NULL,
  lab_order_id  bigint NOT NULL,
  analyte       text NOT NULL,
  value_text    text NOT NULL,
  abnormal      boolean NOT NULL DEFAULT false,
  received_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, lab_order_id) REFERENCES clinic.lab_orders (org_id, id) ON DELETE CASCADE
);
CREATE INDEX lab_results_org_order_idx ON clinic.lab_results (org_id, lab_order_id);
ALTER TABLE clinic.lab_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.lab_results FORCE ROW LEVEL SECURITY;
-- DEFECT: fail-open predicate — when app.tenant_id is unset or '' (the HL7 inbound webhook view never calls set_config, and after a SET LOCAL ends a pooled connection reads '') the first disjunct is true, so that path reads and writes lab results of every clinic, A and B alike.
CREATE POLICY lab_results_rls ON clinic.lab_results
  USING (
    NULLIF(current_setting('app.tenant_id', true), '') IS NULL
    OR org_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
  )
  WITH CHECK (
    NULLIF(current_setting('app.tenant_id', true), '') IS NULL
    OR org_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
  );

-- ---------------------------------------------------------------------
-- Billing, reference data, audit
-- ---------------------------------------------------------------------
CREATE TABLE clinic.insurance_plans (
  id        bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id    uuid REFERENCES clinic.clinics (id),
  payer     text NOT NULL,
  plan_code text NOT NULL,
  UNIQUE (org_id, plan_code)
);
CREATE INDEX insurance_plans_org_idx ON clinic.insurance_plans (org_id);
ALTER TABLE clinic.insurance_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.insurance_plans FORCE ROW LEVEL SECURITY;
-- NEAR-MISS: fail-open predicate — the OR tests the row's own org_id (NULL marks the shared national payer catalogue), not the setting; an unset tenant still sees only shared rows, and writes are pinned to the tenant by the policies below.
CREATE POLICY insurance_plans_read ON clinic.insurance_plans FOR SELECT
  USING (org_id IS NULL OR org_id = clinic.current_org());
CREATE POLICY insurance_plans_insert ON clinic.insurance_plans FOR INSERT
  WITH CHECK (org_id = clinic.current_org());
CREATE POLICY insurance_plans_update ON clinic.insurance_plans FOR UPDATE
  USING (org_id = clinic.current_org())
  WITH CHECK (org_id = clinic.current_org());
CREATE POLICY insurance_plans_delete ON clinic.insurance_plans FOR DELETE
  USING (org_id = clinic.current_org());

CREATE TABLE clinic.invoices (
  id          bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id      uuid NOT NULL,
  patient_id  bigint NOT NULL,
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'void')),
  issued_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, patient_id) REFERENCES clinic.patients (org_id, id)
);
CREATE INDEX invoices_org_patient_idx ON clinic.invoices (org_id, patient_id);
-- DEFECT: login role owns tables without FORCE RLS — this later migration enabled RLS but forgot FORCE; Django connects as clinic_app, the owner, so the policy is skipped and a tenant-A request for /invoices/<id> with a tenant-B id returns and can edit B's invoice.
ALTER TABLE clinic.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_rls ON clinic.invoices
  USING (org_id = clinic.current_org())
  WITH CHECK (org_id = clinic.current_org());

CREATE TABLE clinic.audit_events (
  id          bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id      uuid NOT NULL DEFAULT clinic.current_org(),
  actor_email text NOT NULL DEFAULT coalesce(NULLIF(current_setting('app.user_email', true), ''), 'system'),
  action      text NOT NULL,
  object_ref  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_created_idx ON clinic.audit_events (org_id, created_at);
ALTER TABLE clinic.audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinic.audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON clinic.audit_events FOR SELECT
  USING (org_id = clinic.current_org());
CREATE POLICY audit_events_append ON clinic.audit_events FOR INSERT
  WITH CHECK (org_id = clinic.current_org());

-- ---------------------------------------------------------------------
-- Functions used by views
-- ---------------------------------------------------------------------
-- NEAR-MISS: SECURITY DEFINER by argument — the definer is clinic_app, whose tables carry FORCE ROW LEVEL SECURITY, so the lookup by patient id is still filtered to the caller's app.tenant_id.
CREATE FUNCTION clinic.patient_no_show_count(p_patient_id bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT count(*)
  FROM clinic.appointments a
  WHERE a.patient_id = p_patient_id
    AND a.status = 'no_show'
$$;
GRANT EXECUTE ON FUNCTION clinic.patient_no_show_count(bigint) TO clinic_reporting;

-- ---------------------------------------------------------------------
-- Grants for the non-owner roles
-- ---------------------------------------------------------------------
GRANT SELECT ON ALL TABLES IN SCHEMA clinic TO clinic_reporting;
GRANT SELECT ON ALL TABLES IN SCHEMA clinic TO clinic_worker;
GRANT INSERT, UPDATE ON clinic.lab_results, clinic.audit_events, clinic.appointments TO clinic_worker;

RESET ROLE;

-- ---------------------------------------------------------------------
-- Seed data (superuser; RLS does not apply)
-- ---------------------------------------------------------------------
INSERT INTO clinic.clinics (id, name, timezone) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Northside Family Practice', 'America/Chicago'),
  ('22222222-2222-4222-8222-222222222222', 'Harbor Pediatrics',        'America/Los_Angeles');

INSERT INTO clinic.staff (id, org_id, email, full_name, role) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'dr.ames@northside.test',  'Dana Ames',    'doctor'),
  (2, '11111111-1111-4111-8111-111111111111', 'desk@northside.test',     'Ari Lowe',     'front_desk'),
  (3, '22222222-2222-4222-8222-222222222222', 'dr.bell@harbor.test',     'Bo Bell',      'doctor'),
  (4, '22222222-2222-4222-8222-222222222222', 'rx@harbor.test',          'Bea Quinn',    'pharmacist');

INSERT INTO clinic.patients (id, org_id, mrn, full_name, date_of_birth, phone) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'N-0001', 'Alan Park',   '1980-02-14', '555-0101'),
  (2, '11111111-1111-4111-8111-111111111111', 'N-0002', 'Amy Stone',   '1975-09-30', '555-0102'),
  (3, '22222222-2222-4222-8222-222222222222', 'H-0001', 'Ben Ortiz',   '2016-06-01', '555-0201'),
  (4, '22222222-2222-4222-8222-222222222222', 'H-0002', 'Bella Nash',  '2019-11-11', '555-0202');

INSERT INTO clinic.appointments (id, org_id, patient_id, staff_id, starts_at, status) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 1, '2024-05-01 09:00+00', 'arrived'),
  (2, '11111111-1111-4111-8111-111111111111', 2, 1, '2024-05-01 10:00+00', 'no_show'),
  (3, '22222222-2222-4222-8222-222222222222', 3, 3, '2024-05-02 09:30+00', 'arrived'),
  (4, '22222222-2222-4222-8222-222222222222', 4, 3, '2024-05-02 11:00+00', 'booked');

INSERT INTO clinic.visits (id, org_id, patient_id, clinician_id, visited_at, notes) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 1, '2024-05-01 09:05+00', 'Annual physical'),
  (2, '22222222-2222-4222-8222-222222222222', 3, 3, '2024-05-02 09:35+00', 'Ear infection');

INSERT INTO clinic.prescriptions (id, org_id, visit_id, drug_name, dosage, controlled) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 'Atorvastatin', '20 mg daily',       false),
  (2, '22222222-2222-4222-8222-222222222222', 2, 'Amoxicillin',  '250 mg three times', false);

INSERT INTO clinic.lab_orders (id, org_id, visit_id, panel) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 'Lipid panel'),
  (2, '22222222-2222-4222-8222-222222222222', 2, 'CBC');

INSERT INTO clinic.lab_results (id, org_id, lab_order_id, analyte, value_text, abnormal) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 'LDL', '162 mg/dL', true),
  (2, '11111111-1111-4111-8111-111111111111', 1, 'HDL', '48 mg/dL',  false),
  (3, '22222222-2222-4222-8222-222222222222', 2, 'WBC', '13.1 K/uL', true);

INSERT INTO clinic.insurance_plans (id, org_id, payer, plan_code) VALUES
  (1, NULL,                                   'Medicare',          'MCR-B'),
  (2, '11111111-1111-4111-8111-111111111111', 'Prairie Mutual',    'PM-GOLD'),
  (3, '22222222-2222-4222-8222-222222222222', 'Coastal Health',    'CH-KIDS');

INSERT INTO clinic.invoices (id, org_id, patient_id, amount_cents, status) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 18000, 'paid'),
  (2, '11111111-1111-4111-8111-111111111111', 2,  4500, 'open'),
  (3, '22222222-2222-4222-8222-222222222222', 3, 12500, 'open');

INSERT INTO clinic.audit_events (org_id, actor_email, action, object_ref) VALUES
  ('11111111-1111-4111-8111-111111111111', 'dr.ames@northside.test', 'visit.create',  'visit:1'),
  ('22222222-2222-4222-8222-222222222222', 'dr.bell@harbor.test',    'visit.create',  'visit:2'),
  ('22222222-2222-4222-8222-222222222222', 'rx@harbor.test',         'rx.dispense',   'prescription:2');

-- ---------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- ---------------------------------------------------------------------
-- Requests set app.tenant_id (and app.user_email) with set_config(..., true)
-- as Django's hook does; the dashboard path then runs SET LOCAL ROLE
-- clinic_reporting. clinic_app owns every table, so the defects are shown
-- as clinic_reporting or clinic_worker, except the one about the owner.
-- rows_as rolls every write back. A request of several statements is
-- passed as one list; rows_as counts the last statement.

-- NEAR-MISS (login role owns tables without FORCE RLS, clinic_app): the
-- owner's own request for clinic A sees A's two staff members, not four.
SELECT pg_temp.rows_as('clinic_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM clinic.staff', 2);

-- NEAR-MISS (BYPASSRLS worker, clinic_reporting): the dashboard role is
-- filtered to clinic A's two appointments and may not write them.
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM clinic.appointments', 2);
SELECT pg_temp.expect('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true);
    UPDATE clinic.appointments SET status = 'cancelled'$$,
  '42501');

-- DEFECT (BYPASSRLS worker, clinic_worker): a task running for clinic A
-- reads lab result 3 of clinic B, and every appointment of B.
SELECT pg_temp.rows_as('clinic_worker',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM clinic.lab_results WHERE id = 3', 1);
SELECT pg_temp.rows_as('clinic_worker',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT count(*) FROM clinic.appointments WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 2);

-- NEAR-MISS (fail-open predicate, current_org()): without a tenant, or with
-- an empty one, the staff list is empty.
SELECT pg_temp.rows_as('clinic_reporting', '', 'SELECT count(*) FROM clinic.staff', 0);
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '', true)$$,
  'SELECT count(*) FROM clinic.staff', 0);

-- DEFECT (bypass flag in custom setting, patients): a clinic-A request sets
-- app.tenant_id to ALL_TENANTS itself and reads B's two patients.
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT set_config('app.tenant_id', 'ALL_TENANTS', true);
    SELECT count(*) FROM clinic.patients WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 2);

-- NEAR-MISS (fail-open predicate, visits): an empty tenant raises a cast
-- error instead of returning visits.
SELECT pg_temp.expect('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '', true); SELECT count(*) FROM clinic.visits$$,
  '22P02');

-- NEAR-MISS (FK without tenant column, prescriptions -> visits): Dr Ames
-- (clinic A) cannot prescribe against B's visit 2.
SELECT pg_temp.expect('clinic_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true),
           set_config('app.user_email', 'dr.ames@northside.test', true);
    INSERT INTO clinic.prescriptions (org_id, visit_id, drug_name, dosage)
      VALUES ('11111111-1111-4111-8111-111111111111', 2, 'Amoxicillin', '500 mg twice')$$,
  '23503');

-- DEFECT (policy helper without EXECUTE, prescriptions_clinical_only): on
-- the dashboard path even Dr Ames's own prescriptions fail with 42501.
SELECT pg_temp.expect('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true),
           set_config('app.user_email', 'dr.ames@northside.test', true);
    SELECT count(*) FROM clinic.prescriptions$$,
  '42501');

-- DEFECT (fail-open predicate, lab_results): with app.tenant_id unset or
-- empty, the request reads the lab results of both clinics.
SELECT pg_temp.rows_as('clinic_reporting', '', 'SELECT count(*) FROM clinic.lab_results', 3);
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '', true)$$,
  $$SELECT count(*) FROM clinic.lab_results WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- NEAR-MISS (fail-open predicate, insurance_plans): without a tenant only
-- the shared payer row shows, and clinic A cannot write a plan for B.
SELECT pg_temp.rows_as('clinic_reporting', '', 'SELECT count(*) FROM clinic.insurance_plans', 1);
SELECT pg_temp.expect('clinic_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true);
    INSERT INTO clinic.insurance_plans (org_id, payer, plan_code)
      VALUES ('22222222-2222-4222-8222-222222222222', 'Coastal Health', 'CH-ADULT')$$,
  '42501');

-- DEFECT (login role owns tables without FORCE RLS, invoices): Django's
-- clinic_app, the owner, reads and voids B's invoice 3 from a clinic-A
-- request; the same request as clinic_reporting (not the owner) sees nothing.
SELECT pg_temp.rows_as('clinic_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM clinic.invoices WHERE id = 3', 1);
SELECT pg_temp.rows_as('clinic_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$UPDATE clinic.invoices SET status = 'void' WHERE id = 3$$, 1);
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM clinic.invoices WHERE id = 3', 0);

-- NEAR-MISS (SECURITY DEFINER by argument, patient_no_show_count): clinic A
-- counts its patient 2's no-show; clinic B asking about patient 2 gets 0.
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT clinic.patient_no_show_count(2)', 1);
SELECT pg_temp.rows_as('clinic_reporting',
  $$SELECT set_config('app.tenant_id', '22222222-2222-4222-8222-222222222222', true)$$,
  'SELECT clinic.patient_no_show_count(2)', 0);
