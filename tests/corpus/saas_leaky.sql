-- tenant_guard audit corpus: "ClinicFlow", a multi-tenant clinic-scheduling
-- SaaS on Supabase, as its migration history left it. Written for the audit
-- corpus test (tests/pg_regress/sql/audit_corpus.sql); reproduces, among
-- mostly-correct tables, the incident patterns of the seed reports:
--   seed 000: claim drift (org_id vs organization_id, top level vs
--             app_metadata), workforce schema with USAGE but no table grants;
--   seed 001: get_user_tenant_id() reading users whose policy calls it (54001),
--             the JWT-sync trigger, tenant_id vs org_id;
--   seed 002: organizations_all_access USING (true), policies on the top-level
--             organization_id claim, authorization from user_metadata;
--   seed 003: created_at timestamptz vs bigint epoch in the import pipeline.
--
-- Every deliberate defect carries a line
--   -- EXPECT: <code> <schema>[.<object>][ <policy>]
-- (object = table, view or function; a schema alone for schema-wide findings).
-- tests/corpus/check_expectations.py compares these lines with the findings
-- recorded in tests/pg_regress/expected/audit_corpus.out.
-- Audited as: tenant_guard.audit(ARRAY['public', 'workforce', 'crm']).
-- Tables: public 22, workforce 11, crm 12 (45), plus 2 views.

------------------------------------------------------------------------------
-- 20250106_000000_supabase_bootstrap.sql
-- What a Supabase project ships with, reproduced for plain PostgreSQL: the API
-- roles, and schema auth with its SQL helpers and the users table.
------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN BYPASSRLS;
  END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

CREATE TABLE IF NOT EXISTS auth.users (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email              text UNIQUE,
  encrypted_password text,
  raw_app_meta_data  jsonb NOT NULL DEFAULT '{}'::jsonb,
  raw_user_meta_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Never exposed to the API roles.
REVOKE ALL ON auth.users FROM PUBLIC, anon, authenticated;

CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

CREATE OR REPLACE FUNCTION auth.email() RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
-- The API roles get the tables created from now on; anon deliberately not
-- (it is granted table by table).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT ALL ON TABLES TO service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO authenticated, service_role;

------------------------------------------------------------------------------
-- 20250106_000100_enable_extensions.sql
------------------------------------------------------------------------------
-- Claims come from request.jwt.claims, a setting any session can set; the
-- audit says so once (informational until in-database JWT verification).
-- EXPECT: untrusted_claim_source identity.get_current_org_id
CREATE EXTENSION IF NOT EXISTS tenant_guard;

------------------------------------------------------------------------------
-- 20250107_093000_core_tenancy.sql
------------------------------------------------------------------------------
CREATE TABLE public.organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL,
  slug       text NOT NULL UNIQUE,
  status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  timezone   text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Seed 001's dual tenancy model: the app's users table carries tenant_id
-- (every other table says org_id, the CRM module organization_id).
-- EXPECT: tenant_column_name_drift public.users
CREATE TABLE public.users (
  id         uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  tenant_id  uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  email      text NOT NULL,
  full_name  text,
  avatar_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant_id_idx ON public.users (tenant_id);

CREATE TABLE public.memberships (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  role       text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON public.memberships (user_id);

CREATE TABLE public.invitations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  email       text NOT NULL,
  role        text NOT NULL DEFAULT 'member',
  token       text NOT NULL UNIQUE,
  invited_by  uuid REFERENCES auth.users (id),
  expires_at  timestamptz NOT NULL DEFAULT now() + interval '7 days',
  accepted_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_org_id_idx ON public.invitations (org_id);

------------------------------------------------------------------------------
-- 20250107_094500_core_tenancy_rls.sql
------------------------------------------------------------------------------
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;

-- "users only see their organization's users": the helper reads public.users,
-- whose policy calls the helper again (54001 stack depth limit exceeded).
CREATE OR REPLACE FUNCTION public.get_user_tenant_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT u.tenant_id FROM public.users u WHERE u.id = auth.uid()
$$;

-- (No TO, but anon holds no privilege on public.users here: this schema's
-- default privileges leave anon out, so the policy reaches authenticated
-- only and public_role_policy stays quiet.)
-- EXPECT: function_recursion public.users users_same_tenant
-- EXPECT: inconsistent_tenant_policies public.users
CREATE POLICY users_same_tenant ON public.users
  FOR SELECT USING (tenant_id = public.get_user_tenant_id());

CREATE POLICY users_update_own_profile ON public.users
  FOR UPDATE TO authenticated
  USING (id = (SELECT auth.uid()) AND tenant_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (id = (SELECT auth.uid()) AND tenant_id = (SELECT identity.get_current_org_id()));

-- "members see the other members of their organizations": the subquery reads
-- memberships itself, so expanding the policy recurses (42P17).
-- EXPECT: policy_recursion public.memberships memberships_select_same_org
-- EXPECT: inconsistent_tenant_policies public.memberships
CREATE POLICY memberships_select_same_org ON public.memberships
  FOR SELECT TO authenticated
  USING (org_id IN (SELECT m.org_id FROM public.memberships m WHERE m.user_id = (SELECT auth.uid())));

CREATE POLICY memberships_insert_own_org ON public.memberships
  FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

CREATE POLICY invitations_tenant ON public.invitations
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250115_120000_jwt_tenant_claim_sync.sql   (seed 001's "complete fix")
------------------------------------------------------------------------------
-- Copies users.tenant_id into the token's app_metadata. SECURITY DEFINER to
-- write auth.users, but no fixed search_path.
-- EXPECT: security_definer_search_path public.handle_user_tenant_claim
CREATE OR REPLACE FUNCTION public.handle_user_tenant_claim() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  UPDATE auth.users
     SET raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb)
                             || jsonb_build_object('tenant_id', NEW.tenant_id)
   WHERE id = NEW.id;
  RETURN NEW;
END
$$;

CREATE TRIGGER sync_user_tenant_claim
  AFTER INSERT OR UPDATE OF tenant_id ON public.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_user_tenant_claim();

-- The claim-reading helper of the same fix: app_metadata.tenant_id.
CREATE OR REPLACE FUNCTION public.get_auth_tenant_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT nullif(auth.jwt() -> 'app_metadata' ->> 'tenant_id', '')::uuid
$$;

------------------------------------------------------------------------------
-- 20250116_081500_org_admin_helper.sql
------------------------------------------------------------------------------
-- Pinned search_path (fine), but "admin" comes from raw_user_meta_data, which
-- every user can edit with supabase.auth.updateUser({ data: { role: 'admin' } }).
CREATE OR REPLACE FUNCTION public.is_org_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT coalesce(
    (SELECT u.raw_user_meta_data ->> 'role' IN ('owner', 'admin')
       FROM auth.users u
      WHERE u.id = auth.uid()),
    false)
$$;
REVOKE EXECUTE ON FUNCTION public.is_org_admin() FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.is_org_admin() TO authenticated;

------------------------------------------------------------------------------
-- 20250120_101500_clinic_locations_and_patients.sql
------------------------------------------------------------------------------
CREATE TABLE public.locations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  address    text,
  phone      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locations_org_id_idx ON public.locations (org_id);

-- EXPECT: cross_tenant_foreign_key public.rooms
CREATE TABLE public.rooms (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  location_id uuid NOT NULL REFERENCES public.locations (id) ON DELETE CASCADE,
  name        text NOT NULL,
  capacity    integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rooms_org_id_location_id_idx ON public.rooms (org_id, location_id);

CREATE TABLE public.patients (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  full_name     text NOT NULL,
  date_of_birth date,
  email         text,
  phone         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_org_id_idx ON public.patients (org_id);

-- EXPECT: cross_tenant_foreign_key public.patient_notes
CREATE TABLE public.patient_notes (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  patient_id uuid NOT NULL REFERENCES public.patients (id) ON DELETE CASCADE,
  author_id  uuid REFERENCES auth.users (id),
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patient_notes_org_id_patient_id_idx ON public.patient_notes (org_id, patient_id);

ALTER TABLE public.locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.patient_notes ENABLE ROW LEVEL SECURITY;

CREATE POLICY locations_tenant ON public.locations
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY rooms_tenant ON public.rooms
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY patients_tenant ON public.patients
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY patient_notes_tenant ON public.patient_notes
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250122_140000_services_catalog.sql
------------------------------------------------------------------------------
CREATE TABLE public.services (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id           uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name             text NOT NULL,
  duration_minutes integer NOT NULL DEFAULT 30,
  price_cents      integer NOT NULL DEFAULT 0,
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX services_org_id_idx ON public.services (org_id);
ALTER TABLE public.services ENABLE ROW LEVEL SECURITY;

-- Written right after the JWT-sync "fix": uses its helper, i.e. the
-- app_metadata.tenant_id claim, while every other policy reads organization_id.
-- EXPECT: raw_claim_access public.services services_tenant
-- EXPECT: claim_key_drift public.services services_tenant
-- EXPECT: inconsistent_tenant_policies public.services
CREATE POLICY services_tenant ON public.services
  FOR ALL TO authenticated
  USING (org_id = (SELECT public.get_auth_tenant_id()))
  WITH CHECK (org_id = (SELECT public.get_auth_tenant_id()));

------------------------------------------------------------------------------
-- 20250124_090000_appointments.sql
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key public.appointments
CREATE TABLE public.appointments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  patient_id  uuid NOT NULL REFERENCES public.patients (id) ON DELETE CASCADE,
  service_id  uuid REFERENCES public.services (id),
  room_id     uuid REFERENCES public.rooms (id),
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'scheduled',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointments_org_id_starts_at_idx ON public.appointments (org_id, starts_at);
ALTER TABLE public.appointments ENABLE ROW LEVEL SECURITY;

-- The right condition, TO public: it would apply to anon too, but anon holds
-- no privilege on the table (see the default privileges above), so only
-- authenticated reaches it: not a public_role_policy finding (compare
-- appointment_bookings below, which anon may INSERT into).
-- EXPECT: inconsistent_tenant_policies public.appointments
CREATE POLICY appointments_org_access ON public.appointments
  FOR ALL TO public
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- The calendar screen reads this view; it runs as its owner (postgres), so
-- the policies of appointments and patients are never applied.
-- EXPECT: view_bypasses_rls public.appointment_overview
CREATE VIEW public.appointment_overview AS
  SELECT a.id, a.org_id, a.starts_at, a.ends_at, a.status,
         p.full_name AS patient_name, p.phone AS patient_phone
    FROM public.appointments a
    JOIN public.patients p ON p.id = a.patient_id;
GRANT SELECT ON public.appointment_overview TO authenticated;

-- The same done right (near miss): security_invoker applies the caller's policies.
CREATE VIEW public.patient_directory WITH (security_invoker = true) AS
  SELECT p.id, p.org_id, p.full_name, p.email, p.phone FROM public.patients p;
GRANT SELECT ON public.patient_directory TO authenticated;

------------------------------------------------------------------------------
-- 20250201_110000_documents.sql
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key public.documents
CREATE TABLE public.documents (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  patient_id   uuid REFERENCES public.patients (id) ON DELETE SET NULL,
  created_by   uuid NOT NULL REFERENCES auth.users (id),
  storage_path text NOT NULL,
  mime_type    text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_org_id_idx ON public.documents (org_id);
ALTER TABLE public.documents ENABLE ROW LEVEL SECURITY;

CREATE POLICY documents_org_read ON public.documents
  FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
-- "uploaders must always see their own files": a second permissive SELECT
-- policy, OR-ed with the first, that ignores the tenant (a user who moved to
-- another organization keeps reading the old one's files).
-- EXPECT: multiple_permissive_policies public.documents
-- EXPECT: inconsistent_tenant_policies public.documents
-- EXPECT: tenant_policy_missing_filter public.documents documents_owner_read
CREATE POLICY documents_owner_read ON public.documents
  FOR SELECT TO authenticated
  USING (created_by = (SELECT auth.uid()));
CREATE POLICY documents_org_insert ON public.documents
  FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY documents_org_delete ON public.documents
  FOR DELETE TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250203_160000_notification_preferences.sql
------------------------------------------------------------------------------
CREATE TABLE public.notification_preferences (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  channel    text NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
  enabled    boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_preferences_org_id_idx ON public.notification_preferences (org_id);
ALTER TABLE public.notification_preferences ENABLE ROW LEVEL SECURITY;

-- auth.uid() not wrapped in (SELECT ...), on an unindexed column: called per row.
-- EXPECT: per_row_claim_call public.notification_preferences notification_preferences_own
-- EXPECT: inconsistent_tenant_policies public.notification_preferences
CREATE POLICY notification_preferences_own ON public.notification_preferences
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()) AND user_id = auth.uid())
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()) AND user_id = auth.uid());

------------------------------------------------------------------------------
-- 20250210_100000_billing.sql
------------------------------------------------------------------------------
CREATE TABLE public.plans (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  price_cents integer NOT NULL,
  is_public   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.plans ENABLE ROW LEVEL SECURITY;
-- The pricing page reads public plans without logging in.
CREATE POLICY plans_public_read ON public.plans
  FOR SELECT TO anon, authenticated
  USING (is_public);
GRANT SELECT ON public.plans TO anon;
REVOKE INSERT, UPDATE, DELETE ON public.plans FROM authenticated;

CREATE TABLE public.subscriptions (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id                 uuid NOT NULL UNIQUE REFERENCES public.organizations (id) ON DELETE CASCADE,
  plan_id                text NOT NULL REFERENCES public.plans (id),
  stripe_customer_id     text,
  stripe_subscription_id text,
  status                 text NOT NULL DEFAULT 'trialing',
  current_period_end     timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_tenant ON public.subscriptions
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

CREATE TABLE public.api_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name        text NOT NULL,
  key_hash    text NOT NULL,
  last_used   timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org_id_idx ON public.api_keys (org_id);
ALTER TABLE public.api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant ON public.api_keys
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250212_150000_audit_events.sql
------------------------------------------------------------------------------
CREATE TABLE public.audit_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  actor_id   uuid,
  action     text NOT NULL,
  payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_id_created_at_idx ON public.audit_events (org_id, created_at);
ALTER TABLE public.audit_events ENABLE ROW LEVEL SECURITY;
-- Written by triggers running as the owner; clients only read their tenant's.
CREATE POLICY audit_events_tenant_read ON public.audit_events
  FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
REVOKE INSERT, UPDATE, DELETE ON public.audit_events FROM authenticated;

------------------------------------------------------------------------------
-- 20250301_100000_recordings.sql   (the RecordingQueueWorker of seed 002)
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key public.recordings
CREATE TABLE public.recordings (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  appointment_id uuid REFERENCES public.appointments (id) ON DELETE SET NULL,
  storage_path   text NOT NULL,
  duration_secs  integer,
  transcript     text,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_org_id_idx ON public.recordings (org_id);
ALTER TABLE public.recordings ENABLE ROW LEVEL SECURITY;
CREATE POLICY recordings_tenant ON public.recordings
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- The worker's queue: only service_role (BYPASSRLS) touches it. Locked on
-- purpose: RLS on, no policy (the default grants stay, as Supabase leaves them).
-- EXPECT: rls_enabled_no_policy public.recording_queue
CREATE TABLE public.recording_queue (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recording_id uuid NOT NULL REFERENCES public.recordings (id) ON DELETE CASCADE,
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  locked_until timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.recording_queue ENABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------
-- 20250312_090000_calendar_integration.sql
------------------------------------------------------------------------------
CREATE TABLE public.calendar_connections (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id           uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  provider         text NOT NULL DEFAULT 'google',
  google_email     text NOT NULL,
  access_token     text,
  refresh_token    text,
  token_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendar_connections_org_id_idx ON public.calendar_connections (org_id);
ALTER TABLE public.calendar_connections ENABLE ROW LEVEL SECURITY;

-- Seed 002's backend advice: "org_id from session.user.user_metadata".
-- user_metadata is writable by the user: any user can point it at another tenant.
-- EXPECT: user_metadata_in_policy public.calendar_connections calendar_connections_user_metadata
-- EXPECT: raw_claim_access public.calendar_connections calendar_connections_user_metadata
-- EXPECT: claim_key_drift public.calendar_connections calendar_connections_user_metadata
-- EXPECT: inconsistent_tenant_policies public.calendar_connections
CREATE POLICY calendar_connections_user_metadata ON public.calendar_connections
  FOR ALL TO authenticated
  USING (org_id = ((auth.jwt() -> 'user_metadata') ->> 'organization_id')::uuid)
  WITH CHECK (org_id = ((auth.jwt() -> 'user_metadata') ->> 'organization_id')::uuid);

-- Settings per integration. The policy was written, ENABLE ROW LEVEL SECURITY
-- was not: the policy is dormant and every tenant reads every secret.
-- EXPECT: policy_exists_rls_disabled public.integration_settings
CREATE TABLE public.integration_settings (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  provider   text NOT NULL,
  settings   jsonb NOT NULL DEFAULT '{}'::jsonb,
  secret     text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, provider)
);
CREATE POLICY integration_settings_tenant ON public.integration_settings
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250313_120000_public_booking_widget.sql
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key public.appointment_bookings
CREATE TABLE public.appointment_bookings (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  service_id    uuid REFERENCES public.services (id),
  patient_name  text NOT NULL,
  patient_email text,
  patient_phone text,
  requested_at  timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'pending',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_bookings_org_id_idx ON public.appointment_bookings (org_id);

-- EXPECT: cross_tenant_foreign_key public.sms_confirmation_logs
CREATE TABLE public.sms_confirmation_logs (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  booking_id   uuid REFERENCES public.appointment_bookings (id) ON DELETE SET NULL,
  to_phone     text NOT NULL,
  provider_sid text,
  status       text NOT NULL DEFAULT 'queued',
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- EXPECT: tenant_column_unindexed public.sms_confirmation_logs
-- (no index on org_id: every policy evaluation scans the table)

-- The booking widget on the clinic's public website inserts as anon.
-- EXPECT: anon_write_grant public.appointment_bookings
GRANT INSERT ON public.appointment_bookings TO anon;

------------------------------------------------------------------------------
-- 20260114_enable_rls_on_remaining_tables.sql   (seed 002, verbatim in spirit)
------------------------------------------------------------------------------
-- EXPECT: always_true_policy public.organizations organizations_all_access
CREATE POLICY organizations_all_access ON public.organizations
  FOR ALL USING (true) WITH CHECK (true);

ALTER TABLE public.sms_confirmation_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.appointment_bookings ENABLE ROW LEVEL SECURITY;

-- Top-level organization_id claim, bare auth.jwt() per row, no TO. The
-- policies that read claims themselves mostly use this key (here, and
-- crm.email_campaigns): it is the reference claim_key_drift compares the
-- others with (user_metadata.organization_id, app_metadata.tenant_id,
-- app_metadata.org_id, top-level org_id).
-- EXPECT: raw_claim_access public.sms_confirmation_logs sms_confirmation_logs_org_isolation
-- EXPECT: per_row_claim_call public.sms_confirmation_logs sms_confirmation_logs_org_isolation
-- EXPECT: inconsistent_tenant_policies public.sms_confirmation_logs
CREATE POLICY sms_confirmation_logs_org_isolation ON public.sms_confirmation_logs
  FOR ALL
  USING (org_id = (auth.jwt() ->> 'organization_id')::uuid)
  WITH CHECK (org_id = (auth.jwt() ->> 'organization_id')::uuid);

-- EXPECT: public_role_policy public.appointment_bookings appointment_bookings_org_isolation
-- EXPECT: raw_claim_access public.appointment_bookings appointment_bookings_org_isolation
-- EXPECT: inconsistent_tenant_policies public.appointment_bookings
CREATE POLICY appointment_bookings_org_isolation ON public.appointment_bookings
  FOR ALL
  USING (org_id = (auth.jwt() ->> 'organization_id')::uuid)
  WITH CHECK (org_id = (auth.jwt() ->> 'organization_id')::uuid);

NOTIFY pgrst, 'reload schema';

------------------------------------------------------------------------------
-- 20250401_080000_workforce_schema.sql
------------------------------------------------------------------------------
-- No ALTER DEFAULT PRIVILEGES here: tables created by later migrations are not
-- granted to authenticated (seed 000 section 3).
-- EXPECT: missing_default_privileges workforce
CREATE SCHEMA workforce;
GRANT USAGE ON SCHEMA workforce TO authenticated, service_role;

CREATE TABLE workforce.departments (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX departments_org_id_idx ON workforce.departments (org_id);

-- EXPECT: cross_tenant_foreign_key workforce.positions
CREATE TABLE workforce.positions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  department_id uuid REFERENCES workforce.departments (id) ON DELETE SET NULL,
  title         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX positions_org_id_idx ON workforce.positions (org_id);

-- EXPECT: cross_tenant_foreign_key workforce.employees
CREATE TABLE workforce.employees (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id     uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  position_id uuid REFERENCES workforce.positions (id) ON DELETE SET NULL,
  location_id uuid REFERENCES public.locations (id) ON DELETE SET NULL,
  full_name   text NOT NULL,
  hourly_rate numeric(10, 2),
  hired_on    date,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX employees_org_id_idx ON workforce.employees (org_id);
CREATE INDEX employees_user_id_idx ON workforce.employees (user_id);

CREATE TABLE workforce.shift_templates (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  starts_at  time NOT NULL,
  ends_at    time NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shift_templates_org_id_idx ON workforce.shift_templates (org_id);

-- EXPECT: cross_tenant_foreign_key workforce.shifts
CREATE TABLE workforce.shifts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  employee_id uuid REFERENCES workforce.employees (id) ON DELETE SET NULL,
  location_id uuid REFERENCES public.locations (id) ON DELETE CASCADE,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shifts_org_id_starts_at_idx ON workforce.shifts (org_id, starts_at);

-- EXPECT: cross_tenant_foreign_key workforce.timesheets
CREATE TABLE workforce.timesheets (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  employee_id  uuid NOT NULL REFERENCES workforce.employees (id) ON DELETE CASCADE,
  week_start   date NOT NULL,
  hours        numeric(6, 2) NOT NULL DEFAULT 0,
  submitted_at timestamptz,
  approved_by  uuid,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX timesheets_org_id_week_start_idx ON workforce.timesheets (org_id, week_start);

CREATE TABLE workforce.payroll_runs (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  period_start date NOT NULL,
  period_end   date NOT NULL,
  status       text NOT NULL DEFAULT 'draft',
  total_cents  bigint NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payroll_runs_org_id_idx ON workforce.payroll_runs (org_id);

CREATE TABLE workforce.announcements (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  title        text NOT NULL,
  body         text NOT NULL,
  published_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX announcements_org_id_idx ON workforce.announcements (org_id);

-- The one-off "global grant" of seed 000: covers the tables that exist today.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA workforce TO authenticated;
GRANT ALL ON ALL TABLES IN SCHEMA workforce TO service_role;

------------------------------------------------------------------------------
-- 20250401_081500_workforce_rls.sql
------------------------------------------------------------------------------
ALTER TABLE workforce.departments ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.positions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.employees ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.shift_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.shifts ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.timesheets ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.payroll_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE workforce.announcements ENABLE ROW LEVEL SECURITY;

CREATE POLICY departments_tenant ON workforce.departments
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY positions_tenant ON workforce.positions
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY employees_tenant ON workforce.employees
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY shift_templates_tenant ON workforce.shift_templates
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY shifts_tenant ON workforce.shifts
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- Written by the mobile team against the top-level org_id claim.
-- EXPECT: raw_claim_access workforce.timesheets timesheets_org
-- EXPECT: claim_key_drift workforce.timesheets timesheets_org
-- EXPECT: inconsistent_tenant_policies workforce.timesheets
CREATE POLICY timesheets_org ON workforce.timesheets
  FOR ALL TO authenticated
  USING (org_id = (auth.jwt() ->> 'org_id')::uuid)
  WITH CHECK (org_id = (auth.jwt() ->> 'org_id')::uuid);

CREATE POLICY payroll_runs_read ON workforce.payroll_runs
  FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
-- Admin check through a helper that reads raw_user_meta_data.
-- EXPECT: user_metadata_in_policy workforce.payroll_runs payroll_runs_admin_update
-- EXPECT: inconsistent_tenant_policies workforce.payroll_runs
CREATE POLICY payroll_runs_admin_update ON workforce.payroll_runs
  FOR UPDATE TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()) AND (SELECT public.is_org_admin()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()) AND (SELECT public.is_org_admin()));

-- "Published announcements are readable by staff": by every tenant's staff.
-- EXPECT: tenant_policy_missing_filter workforce.announcements announcements_read
-- EXPECT: inconsistent_tenant_policies workforce.announcements
CREATE POLICY announcements_read ON workforce.announcements
  FOR SELECT TO authenticated
  USING (published_at IS NOT NULL AND published_at <= now());
CREATE POLICY announcements_insert ON workforce.announcements
  FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250415_093000_workforce_time_off.sql
------------------------------------------------------------------------------
-- Created after the global grant: authenticated has USAGE on workforce but no
-- privilege on the table ("permission denied for table time_off_requests").
-- EXPECT: missing_table_grants workforce.time_off_requests
CREATE TABLE workforce.time_off_requests (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  employee_id uuid NOT NULL REFERENCES workforce.employees (id) ON DELETE CASCADE,
  starts_on   date NOT NULL,
  ends_on     date NOT NULL,
  reason      text,
  status      text NOT NULL DEFAULT 'pending',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX time_off_requests_org_id_idx ON workforce.time_off_requests (org_id);
ALTER TABLE workforce.time_off_requests ENABLE ROW LEVEL SECURITY;
-- app_metadata, but the org_id key.
-- EXPECT: raw_claim_access workforce.time_off_requests time_off_requests_tenant
-- EXPECT: claim_key_drift workforce.time_off_requests time_off_requests_tenant
-- EXPECT: inconsistent_tenant_policies workforce.time_off_requests
CREATE POLICY time_off_requests_tenant ON workforce.time_off_requests
  FOR ALL TO authenticated
  USING (org_id = ((auth.jwt() -> 'app_metadata') ->> 'org_id')::uuid)
  WITH CHECK (org_id = ((auth.jwt() -> 'app_metadata') ->> 'org_id')::uuid);

------------------------------------------------------------------------------
-- 20250422_110000_workforce_certifications.sql
------------------------------------------------------------------------------
-- EXPECT: missing_table_grants workforce.certifications
CREATE TABLE workforce.certifications (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  employee_id uuid NOT NULL REFERENCES workforce.employees (id) ON DELETE CASCADE,
  name        text NOT NULL,
  expires_on  date,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certifications_org_id_idx ON workforce.certifications (org_id);
ALTER TABLE workforce.certifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY certifications_tenant ON workforce.certifications
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250505_140000_workforce_shift_swaps.sql
------------------------------------------------------------------------------
-- Granted by hand this time. org_id nullable ("backfilled later"), and a
-- timestamp without time zone, unlike every other created_at.
-- EXPECT: tenant_column_nullable workforce.shift_swaps
-- EXPECT: timestamp_type_drift workforce.shift_swaps
-- EXPECT: cross_tenant_foreign_key workforce.shift_swaps
CREATE TABLE workforce.shift_swaps (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid REFERENCES public.organizations (id) ON DELETE CASCADE,
  shift_id       uuid NOT NULL REFERENCES workforce.shifts (id) ON DELETE CASCADE,
  from_employee  uuid NOT NULL REFERENCES workforce.employees (id),
  to_employee    uuid REFERENCES workforce.employees (id),
  status         text NOT NULL DEFAULT 'requested',
  created_at     timestamp NOT NULL DEFAULT now()
);
CREATE INDEX shift_swaps_org_id_idx ON workforce.shift_swaps (org_id);
ALTER TABLE workforce.shift_swaps ENABLE ROW LEVEL SECURITY;
CREATE POLICY shift_swaps_tenant ON workforce.shift_swaps
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
GRANT SELECT, INSERT, UPDATE, DELETE ON workforce.shift_swaps TO authenticated;

------------------------------------------------------------------------------
-- 20250601_090000_crm_schema.sql   (the CRM module, ported from the import
-- service of seed 003: organization_id columns, bigint epoch timestamps)
------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'crm_importer') THEN
    -- The import worker's own login (seed 003: "SET LOCAL app.tenant_id").
    CREATE ROLE crm_importer LOGIN;
  END IF;
END
$$;

CREATE SCHEMA crm;
GRANT USAGE ON SCHEMA crm TO authenticated, service_role, crm_importer;
ALTER DEFAULT PRIVILEGES IN SCHEMA crm
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA crm
  GRANT ALL ON TABLES TO service_role;

-- EXPECT: tenant_column_name_drift crm.contacts
-- EXPECT: timestamp_type_drift crm.contacts
CREATE TABLE crm.contacts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  external_id     text,
  source          text NOT NULL DEFAULT 'manual',
  full_name       text NOT NULL,
  email           text,
  phone           text,
  created_at      bigint NOT NULL DEFAULT extract(epoch FROM now())::bigint,
  updated_at      bigint NOT NULL DEFAULT extract(epoch FROM now())::bigint,
  UNIQUE (organization_id, source, external_id)
);
ALTER TABLE crm.contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY contacts_tenant ON crm.contacts
  FOR ALL TO authenticated
  USING (organization_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (organization_id = (SELECT identity.get_current_org_id()));
-- The importer connects as the table's owner, so it skips every policy.
-- EXPECT: force_rls_missing crm.contacts
ALTER TABLE crm.contacts OWNER TO crm_importer;

-- EXPECT: tenant_column_name_drift crm.contact_notes
-- EXPECT: cross_tenant_foreign_key crm.contact_notes
CREATE TABLE crm.contact_notes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  contact_id      uuid NOT NULL REFERENCES crm.contacts (id) ON DELETE CASCADE,
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_notes_organization_id_idx ON crm.contact_notes (organization_id);
ALTER TABLE crm.contact_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY contact_notes_tenant ON crm.contact_notes
  FOR ALL TO authenticated
  USING (organization_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (organization_id = (SELECT identity.get_current_org_id()));

-- Import bookkeeping. RLS never enabled; the schema's default privileges
-- granted it to authenticated: every tenant lists every tenant's imports.
-- EXPECT: rls_disabled crm.import_batches
-- EXPECT: timestamp_type_drift crm.import_batches
CREATE TABLE crm.import_batches (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  provider      text NOT NULL CHECK (provider IN ('square', 'acuity', 'csv')),
  fetched_count integer NOT NULL DEFAULT 0,
  created_count integer NOT NULL DEFAULT 0,
  error         text,
  created_at    bigint NOT NULL DEFAULT extract(epoch FROM now())::bigint
);
CREATE INDEX import_batches_org_id_idx ON crm.import_batches (org_id);
GRANT SELECT, INSERT, UPDATE ON crm.import_batches TO crm_importer;

CREATE TABLE crm.pipelines (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  position   integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pipelines_org_id_idx ON crm.pipelines (org_id);

CREATE TABLE crm.lead_sources (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_sources_org_id_idx ON crm.lead_sources (org_id);

ALTER TABLE crm.pipelines ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.lead_sources ENABLE ROW LEVEL SECURITY;
CREATE POLICY pipelines_tenant ON crm.pipelines
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY lead_sources_tenant ON crm.lead_sources
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250610_100000_crm_deals.sql
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key crm.deals
CREATE TABLE crm.deals (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  pipeline_id uuid REFERENCES crm.pipelines (id) ON DELETE SET NULL,
  contact_id  uuid REFERENCES crm.contacts (id) ON DELETE SET NULL,
  owner_id    uuid NOT NULL REFERENCES auth.users (id),
  title       text NOT NULL,
  value_cents bigint NOT NULL DEFAULT 0,
  stage       text NOT NULL DEFAULT 'new',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_org_id_idx ON crm.deals (org_id);

CREATE TABLE crm.deal_collaborators (
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  deal_id    uuid NOT NULL REFERENCES crm.deals (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, deal_id, user_id)
);

ALTER TABLE crm.deals ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm.deal_collaborators ENABLE ROW LEVEL SECURITY;

-- "Deals are visible to their collaborators" and "collaborator rows are
-- visible to the deal's owner": each policy reads the other table, whose
-- policy reads the first again (42P17 on either table). One cycle: the audit
-- may report it on either policy, or on both. Both tables' policies also
-- differ from the common shape (membership subqueries, split commands).
-- EXPECT: inconsistent_tenant_policies crm.deals
-- EXPECT: inconsistent_tenant_policies crm.deal_collaborators
-- EXPECT: policy_recursion crm.deals deals_visible_to_collaborators | crm.deal_collaborators deal_collaborators_visible
CREATE POLICY deals_visible_to_collaborators ON crm.deals
  FOR SELECT TO authenticated
  USING (
    org_id = (SELECT identity.get_current_org_id())
    AND (owner_id = (SELECT auth.uid())
         OR EXISTS (SELECT 1 FROM crm.deal_collaborators dc
                     WHERE dc.deal_id = deals.id AND dc.user_id = (SELECT auth.uid())))
  );
CREATE POLICY deals_insert_own ON crm.deals
  FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()) AND owner_id = (SELECT auth.uid()));

CREATE POLICY deal_collaborators_visible ON crm.deal_collaborators
  FOR SELECT TO authenticated
  USING (
    org_id = (SELECT identity.get_current_org_id())
    AND EXISTS (SELECT 1 FROM crm.deals d
                 WHERE d.id = deal_collaborators.deal_id AND d.owner_id = (SELECT auth.uid()))
  );

------------------------------------------------------------------------------
-- 20250618_120000_crm_tasks_and_campaigns.sql
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key crm.tasks
CREATE TABLE crm.tasks (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  contact_id  uuid REFERENCES crm.contacts (id) ON DELETE CASCADE,
  assignee_id uuid REFERENCES auth.users (id),
  title       text NOT NULL,
  due_at      timestamptz,
  done        boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_org_id_due_at_idx ON crm.tasks (org_id, due_at);
ALTER TABLE crm.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_tenant ON crm.tasks
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

CREATE TABLE crm.email_campaigns (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  subject    text NOT NULL,
  body_html  text,
  send_at    timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_campaigns_org_id_idx ON crm.email_campaigns (org_id);
ALTER TABLE crm.email_campaigns ENABLE ROW LEVEL SECURITY;
-- PostgREST-docs style: the claims setting read by hand (the top-level
-- organization_id key, like seed 002's policies).
-- EXPECT: raw_claim_access crm.email_campaigns email_campaigns_tenant
-- EXPECT: inconsistent_tenant_policies crm.email_campaigns
CREATE POLICY email_campaigns_tenant ON crm.email_campaigns
  FOR ALL TO authenticated
  USING (org_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'organization_id')::uuid)
  WITH CHECK (org_id = (current_setting('request.jwt.claims', true)::jsonb ->> 'organization_id')::uuid);

-- EXPECT: cross_tenant_foreign_key crm.campaign_recipients
CREATE TABLE crm.campaign_recipients (
  org_id      uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  campaign_id uuid NOT NULL REFERENCES crm.email_campaigns (id) ON DELETE CASCADE,
  contact_id  uuid NOT NULL REFERENCES crm.contacts (id) ON DELETE CASCADE,
  sent_at     timestamptz,
  opened_at   timestamptz,
  PRIMARY KEY (org_id, campaign_id, contact_id)
);
ALTER TABLE crm.campaign_recipients ENABLE ROW LEVEL SECURITY;
CREATE POLICY campaign_recipients_tenant ON crm.campaign_recipients
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250702_090000_crm_activities.sql
------------------------------------------------------------------------------
-- EXPECT: cross_tenant_foreign_key crm.activities
CREATE TABLE crm.activities (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id uuid NOT NULL REFERENCES crm.contacts (id) ON DELETE CASCADE,
  kind       text NOT NULL,
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

------------------------------------------------------------------------------
-- 20250709_150000_crm_activities_tenant.sql
------------------------------------------------------------------------------
-- The tenant column arrived later; "SET NOT NULL after the backfill" never ran.
-- EXPECT: tenant_column_nullable crm.activities
ALTER TABLE crm.activities ADD COLUMN org_id uuid REFERENCES public.organizations (id) ON DELETE CASCADE;
CREATE INDEX activities_org_id_idx ON crm.activities (org_id);
ALTER TABLE crm.activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY activities_tenant ON crm.activities
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250715_100000_crm_saved_views.sql
------------------------------------------------------------------------------
CREATE TABLE crm.saved_views (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  filters    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saved_views_org_id_idx ON crm.saved_views (org_id);
ALTER TABLE crm.saved_views ENABLE ROW LEVEL SECURITY;
CREATE POLICY saved_views_tenant ON crm.saved_views
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

NOTIFY pgrst, 'reload schema';
