-- Demo schema: a small Supabase-style multi-tenant app that reproduces the
-- incidents tenant_guard was born from (../shared/seeds/ in the project notes).
-- Loaded by scripts/demo.sh into a throwaway cluster.

-- Supabase's roles and auth helpers, as a plain PostgreSQL reproduction.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN BYPASSRLS; END IF;
END $$;

CREATE SCHEMA IF NOT EXISTS auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;

CREATE EXTENSION IF NOT EXISTS tenant_guard;

CREATE TABLE public.organizations (id uuid PRIMARY KEY, name text NOT NULL);
INSERT INTO public.organizations VALUES
  ('11111111-1111-4111-8111-111111111111', 'Clinic A'),
  ('22222222-2222-4222-8222-222222222222', 'Clinic B');

-- Seed 002: "organizations_all_access" USING (true): every tenant sees every organization.
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_all_access ON public.organizations FOR ALL USING (true) WITH CHECK (true);

-- Seed 002: a policy on the top-level organization_id claim (drifts from app_metadata).
CREATE TABLE public.appointment_bookings (
  id bigserial PRIMARY KEY, org_id uuid NOT NULL REFERENCES public.organizations, patient text);
ALTER TABLE public.appointment_bookings ENABLE ROW LEVEL SECURITY;
CREATE POLICY appointment_bookings_org_isolation ON public.appointment_bookings FOR ALL
  USING (org_id = (auth.jwt() ->> 'organization_id')::uuid)
  WITH CHECK (org_id = (auth.jwt() ->> 'organization_id')::uuid);

-- Seed 002's backend: authorization from user_metadata, which the user can edit.
CREATE TABLE public.calendar_connections (
  id bigserial PRIMARY KEY, org_id uuid NOT NULL REFERENCES public.organizations, google_email text);
ALTER TABLE public.calendar_connections ENABLE ROW LEVEL SECURITY;
CREATE POLICY calendar_connections_user_metadata ON public.calendar_connections FOR ALL
  USING (org_id = (auth.jwt() -> 'user_metadata' ->> 'organization_id')::uuid);

-- Seed 001: the tenant under app_metadata.tenant_id, and a helper that reads
-- the users table whose own policy calls the helper: 54001 at run time.
CREATE TABLE public.users (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES public.organizations, email text);
CREATE OR REPLACE FUNCTION public.get_user_tenant_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT tenant_id FROM public.users WHERE id = auth.uid()
$$;
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_same_tenant ON public.users FOR SELECT USING (tenant_id = public.get_user_tenant_id());

-- A recursive membership policy (the policy queries its own table): 42P17.
CREATE TABLE public.memberships (user_id uuid NOT NULL, org_id uuid NOT NULL REFERENCES public.organizations, role text);
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY memberships_members_see_members ON public.memberships FOR SELECT TO authenticated
  USING (org_id IN (SELECT m.org_id FROM public.memberships m WHERE m.user_id = auth.uid()));

-- The fix, with tenant_guard: one helper, one shape, the initPlan form.
CREATE TABLE public.patients (
  id bigserial PRIMARY KEY, org_id uuid NOT NULL REFERENCES public.organizations, name text);
CREATE INDEX ON public.patients (org_id);
ALTER TABLE public.patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY patients_tenant ON public.patients FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

INSERT INTO public.appointment_bookings (org_id, patient) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Ada (A)'), ('22222222-2222-4222-8222-222222222222', 'Bo (B)');
INSERT INTO public.calendar_connections (org_id, google_email) VALUES
  ('11111111-1111-4111-8111-111111111111', 'a@clinic-a.test'), ('22222222-2222-4222-8222-222222222222', 'b@clinic-b.test');
INSERT INTO public.users VALUES
  ('aaaaaaaa-0000-4000-8000-00000000000a', '11111111-1111-4111-8111-111111111111', 'ada@clinic-a.test'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-2222-4222-8222-222222222222', 'bo@clinic-b.test');
INSERT INTO public.memberships VALUES
  ('aaaaaaaa-0000-4000-8000-00000000000a', '11111111-1111-4111-8111-111111111111', 'owner'),
  ('bbbbbbbb-0000-4000-8000-00000000000b', '22222222-2222-4222-8222-222222222222', 'owner');
INSERT INTO public.patients (org_id, name) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Ada'), ('11111111-1111-4111-8111-111111111111', 'Al'),
  ('22222222-2222-4222-8222-222222222222', 'Bo');

GRANT USAGE ON SCHEMA public TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO authenticated;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO authenticated;
GRANT SELECT ON public.organizations TO anon;
