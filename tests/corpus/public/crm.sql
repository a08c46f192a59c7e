-- =============================================================================
-- 01_crm.sql: "Pipeline", a multi-tenant sales CRM on Supabase.
--
-- An organization (tenant) has members with a role (owner / admin / rep),
-- companies, contacts, deals with their activity feed, pipeline stages, saved
-- views, invitations, and deal attachments in a Storage bucket laid out as
-- '<org_id>/<deal_id>/<file>'. Tenant column: org_id. Access is decided by
-- membership look-ups through SECURITY DEFINER helpers (the basejump shape),
-- not by a tenant claim.
--
-- Patterns studied (written from scratch, nothing copied):
--   usebasejump/basejump:supabase/migrations/20240414161947_basejump-accounts.sql
--     (account_user membership table, has_role_on_account() / get_accounts_with_role()
--     definer helpers, "delete members except the primary owner" policy whose
--     sub-select names the outer column unqualified, update policy without WITH CHECK)
--   usebasejump/basejump:supabase/migrations/20240414162100_basejump-invitations.sql
--     (token invitations, accept_invitation() SECURITY DEFINER RPC keyed on auth.uid())
--   evd-psongs/boothbrain-website:supabase/migrations/018_simplify_add_member_policy.sql
--     (INSERT policy on organization_members checking only user_id = auth.uid())
--   supabase/supabase:apps/docs/content/guides/database/postgres/row-level-security.mdx
--     and the review thread of supabase/supabase PR #49017 (sub-select where the
--     unqualified team_id binds to the membership table itself)
--   HiteshG/makerkit-clone:supabase/migrations/20240122221302_task.sql
--     (explicit "grant truncate ... to anon / authenticated" of Supabase's default grants)
--   Kradores/novaluxe-docs-hub:integrations/supabase/migrations/20260102175541_add_policy_bucket_documents.sql
--     (storage SELECT policy that only checks bucket_id)
--   point-source/supabase-tenant-rbac:examples/policies/storage_rls.sql
--     (group id as the first path segment, checked through a membership helper)
--   AppleSeed95/Next-GenAI:apps/web/supabase/migrations/20240712072559_project_image_storage.sql
--     (makerkit storage policy keyed on an account id taken from the object name)
--
-- Assumes the prelude: roles anon / authenticated / service_role, schema auth
-- with auth.uid() / auth.jwt() / auth.role() / auth.email(), extension
-- tenant_guard (identity.get_current_org_id()).
-- Tenant A = 11111111-1111-4111-8111-111111111111, tenant B = 22222222-2222-4222-8222-222222222222.
-- =============================================================================
-- CLIENT ROLES: anon,authenticated

-- Supabase's auth.users, reduced to what this schema needs.
CREATE TABLE IF NOT EXISTS auth.users (
  id                 uuid PRIMARY KEY,
  email              text,
  raw_user_meta_data jsonb
);

INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES
  ('c1000000-0000-4000-8000-000000000001', 'alice@acme.example',   '{"full_name": "Alice (A, owner)"}'),
  ('c1000000-0000-4000-8000-000000000002', 'arno@acme.example',    '{"full_name": "Arno (A, rep)"}'),
  ('c2000000-0000-4000-8000-000000000001', 'bianca@bolt.example',  '{"full_name": "Bianca (B, owner)"}'),
  ('c2000000-0000-4000-8000-000000000002', 'bruno@bolt.example',   '{"full_name": "Bruno (B, rep)"}')
ON CONFLICT (id) DO NOTHING;

CREATE SCHEMA crm;
GRANT USAGE ON SCHEMA crm TO anon, authenticated;
-- New tables get the API privileges without anyone remembering a GRANT.
ALTER DEFAULT PRIVILEGES IN SCHEMA crm GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;

-- -----------------------------------------------------------------------------
-- Organizations and membership
-- -----------------------------------------------------------------------------
CREATE TABLE crm.organizations (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                  text NOT NULL,
  slug                  text NOT NULL UNIQUE,
  primary_owner_user_id uuid NOT NULL REFERENCES auth.users (id),
  created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE crm.org_members (
  org_id      uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  member_role text NOT NULL DEFAULT 'rep' CHECK (member_role IN ('owner', 'admin', 'rep')),
  joined_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
-- The primary key leads with org_id; policies also filter on user_id.
CREATE INDEX org_members_user_id_idx ON crm.org_members (user_id);

-- Membership helpers (basejump's get_accounts_with_role shape). SECURITY DEFINER
-- so that reading org_members inside a policy does not re-enter org_members' own
-- policies; search_path pinned. Policies use them as `org_id IN (SELECT ...)`,
-- an uncorrelated sub-query evaluated once per statement.
CREATE FUNCTION crm.get_orgs_for_user() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT m.org_id FROM crm.org_members m WHERE m.user_id = (SELECT auth.uid());
$$;

CREATE FUNCTION crm.get_orgs_with_role(p_roles text[]) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT m.org_id FROM crm.org_members m
  WHERE m.user_id = (SELECT auth.uid())
    AND m.member_role = ANY (p_roles);
$$;

-- Storage paths start with the org id as text.
CREATE FUNCTION crm.get_org_folders_for_user() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT m.org_id::text FROM crm.org_members m WHERE m.user_id = (SELECT auth.uid());
$$;

REVOKE EXECUTE ON FUNCTION crm.get_orgs_for_user(), crm.get_orgs_with_role(text[]), crm.get_org_folders_for_user() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.get_orgs_for_user(), crm.get_orgs_with_role(text[]), crm.get_org_folders_for_user() TO authenticated;

ALTER TABLE crm.organizations ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON crm.organizations TO authenticated;

CREATE POLICY organizations_select ON crm.organizations FOR SELECT TO authenticated
  USING (id IN (SELECT crm.get_orgs_for_user()));
CREATE POLICY organizations_insert ON crm.organizations FOR INSERT TO authenticated
  WITH CHECK (primary_owner_user_id = (SELECT auth.uid()));
CREATE POLICY organizations_update ON crm.organizations FOR UPDATE TO authenticated
  USING (id IN (SELECT crm.get_orgs_with_role('{owner}')))
  WITH CHECK (id IN (SELECT crm.get_orgs_with_role('{owner}')));

ALTER TABLE crm.org_members ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON crm.org_members TO authenticated;

CREATE POLICY org_members_select ON crm.org_members FOR SELECT TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()));
-- DEFECT: membership self-grant — the check pins only user_id, so a signed-in user of tenant A inserts (org_id = B, user_id = self, member_role = 'owner') and every policy built on crm.get_orgs_for_user() / crm.get_orgs_with_role() then opens tenant B's companies, deals and contacts to him.
CREATE POLICY org_members_insert ON crm.org_members FOR INSERT TO authenticated
  WITH CHECK (user_id = (SELECT auth.uid()));
-- NEAR-MISS: column capture — inside the sub-select the unqualified org_id cannot bind to crm.organizations (it has no org_id column), so it resolves to the org_members row being deleted; the comparison is o.id = org_members.org_id, as intended.
CREATE POLICY org_members_delete ON crm.org_members FOR DELETE TO authenticated
  USING (
    org_id IN (SELECT crm.get_orgs_with_role('{owner}'))
    AND user_id <> (SELECT o.primary_owner_user_id FROM crm.organizations o WHERE o.id = org_id)
  );

-- The creator of an organization becomes its owner (seeded rows, inserted
-- without a JWT, skip this: auth.uid() is NULL for them).
CREATE FUNCTION crm.add_creator_as_owner() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  IF NEW.primary_owner_user_id = auth.uid() THEN
    INSERT INTO crm.org_members (org_id, user_id, member_role)
    VALUES (NEW.id, NEW.primary_owner_user_id, 'owner');
  END IF;
  RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION crm.add_creator_as_owner() FROM PUBLIC;
CREATE TRIGGER organizations_add_owner AFTER INSERT ON crm.organizations
  FOR EACH ROW EXECUTE FUNCTION crm.add_creator_as_owner();

-- -----------------------------------------------------------------------------
-- Companies, contacts
-- -----------------------------------------------------------------------------
CREATE TABLE crm.companies (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  name          text NOT NULL,
  domain        text,
  owner_user_id uuid REFERENCES auth.users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_id)
);
CREATE INDEX companies_org_id_idx ON crm.companies (org_id);

ALTER TABLE crm.companies ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.companies TO authenticated;
CREATE POLICY companies_member_rw ON crm.companies FOR ALL TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()))
  WITH CHECK (org_id IN (SELECT crm.get_orgs_for_user()));

CREATE TABLE crm.contacts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  company_id  uuid,
  full_name   text NOT NULL,
  email       text,
  phone       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- NEAR-MISS: cross-tenant foreign key — the key carries org_id, so a contact can only point at a company of its own tenant.
  FOREIGN KEY (company_id, org_id) REFERENCES crm.companies (id, org_id) ON DELETE CASCADE
);
CREATE INDEX contacts_org_id_idx ON crm.contacts (org_id);

ALTER TABLE crm.contacts ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.contacts TO authenticated;
CREATE POLICY contacts_member_rw ON crm.contacts FOR ALL TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()))
  WITH CHECK (org_id IN (SELECT crm.get_orgs_for_user()));

-- -----------------------------------------------------------------------------
-- Pipeline and deals
-- -----------------------------------------------------------------------------
CREATE TABLE crm.pipeline_stages (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  name        text NOT NULL,
  position    integer NOT NULL,
  is_won      boolean NOT NULL DEFAULT false,
  UNIQUE (id, org_id)
);
CREATE INDEX pipeline_stages_org_id_idx ON crm.pipeline_stages (org_id);

ALTER TABLE crm.pipeline_stages ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.pipeline_stages TO authenticated;
CREATE POLICY pipeline_stages_select ON crm.pipeline_stages FOR SELECT TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()));
CREATE POLICY pipeline_stages_insert ON crm.pipeline_stages FOR INSERT TO authenticated
  WITH CHECK (org_id IN (SELECT crm.get_orgs_with_role('{owner,admin}')));
-- NEAR-MISS: update without with check — USING already compares org_id with the caller's admin organizations, and PostgreSQL reuses USING as the check on the new row, so an admin of A cannot move a stage into tenant B.
CREATE POLICY pipeline_stages_update ON crm.pipeline_stages FOR UPDATE TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_with_role('{owner,admin}')));
CREATE POLICY pipeline_stages_delete ON crm.pipeline_stages FOR DELETE TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_with_role('{owner,admin}')));

CREATE TABLE crm.deals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  company_id    uuid,
  stage_id      uuid,
  title         text NOT NULL,
  amount_cents  bigint NOT NULL DEFAULT 0,
  owner_user_id uuid REFERENCES auth.users (id),
  closes_on     date,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_id),
  FOREIGN KEY (company_id, org_id) REFERENCES crm.companies (id, org_id),
  FOREIGN KEY (stage_id, org_id) REFERENCES crm.pipeline_stages (id, org_id)
);
CREATE INDEX deals_org_id_idx ON crm.deals (org_id);

ALTER TABLE crm.deals ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.deals TO authenticated;
-- DEFECT: column capture — the unqualified org_id binds to m.org_id (org_members has that column), so the sub-select asks only "is the caller a member of some organization": any member of tenant A reads every deal of tenant B.
CREATE POLICY deals_select ON crm.deals FOR SELECT TO authenticated
  USING (EXISTS (
    SELECT 1 FROM crm.org_members m
    WHERE m.org_id = org_id
      AND m.user_id = (SELECT auth.uid())
  ));
-- NEAR-MISS: column capture — same sub-select shape as deals_select, but the checked row's column is qualified (deals.org_id).
CREATE POLICY deals_insert ON crm.deals FOR INSERT TO authenticated
  WITH CHECK (EXISTS (
    SELECT 1 FROM crm.org_members m
    WHERE m.org_id = deals.org_id
      AND m.user_id = (SELECT auth.uid())
  ));
CREATE POLICY deals_update ON crm.deals FOR UPDATE TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()))
  WITH CHECK (org_id IN (SELECT crm.get_orgs_for_user()));
CREATE POLICY deals_delete ON crm.deals FOR DELETE TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_with_role('{owner,admin}')));

CREATE TABLE crm.activities (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  deal_id     uuid NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('call', 'email', 'meeting', 'note')),
  body        text,
  created_by  uuid REFERENCES auth.users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (deal_id, org_id) REFERENCES crm.deals (id, org_id) ON DELETE CASCADE
);
CREATE INDEX activities_org_id_idx ON crm.activities (org_id);

ALTER TABLE crm.activities ENABLE ROW LEVEL SECURITY;
-- DEFECT: truncate grant — the table-editor style "grant all" hands TRUNCATE to anon and authenticated; TRUNCATE ignores row-level security, so any signed-in user (or anon) empties the activity feed of tenants A and B alike.
GRANT ALL ON TABLE crm.activities TO anon, authenticated;
CREATE POLICY activities_member_rw ON crm.activities FOR ALL TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()))
  WITH CHECK (org_id IN (SELECT crm.get_orgs_for_user()));

-- Per-user saved list views, visible only to their author inside the tenant.
CREATE TABLE crm.saved_views (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  name       text NOT NULL,
  filters    jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX saved_views_org_id_idx ON crm.saved_views (org_id);

ALTER TABLE crm.saved_views ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.saved_views TO authenticated;
CREATE POLICY saved_views_own ON crm.saved_views FOR ALL TO authenticated
  USING (user_id = (SELECT auth.uid()) AND org_id IN (SELECT crm.get_orgs_for_user()))
  WITH CHECK (user_id = (SELECT auth.uid()) AND org_id IN (SELECT crm.get_orgs_for_user()));

-- -----------------------------------------------------------------------------
-- Invitations
-- -----------------------------------------------------------------------------
CREATE TABLE crm.invitations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  email       text NOT NULL,
  member_role text NOT NULL DEFAULT 'rep' CHECK (member_role IN ('admin', 'rep')),
  token       text NOT NULL UNIQUE DEFAULT replace(gen_random_uuid()::text, '-', ''),
  invited_by  uuid REFERENCES auth.users (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_org_id_idx ON crm.invitations (org_id);

ALTER TABLE crm.invitations ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON crm.invitations TO authenticated;
CREATE POLICY invitations_owner_select ON crm.invitations FOR SELECT TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_with_role('{owner}')));
CREATE POLICY invitations_owner_insert ON crm.invitations FOR INSERT TO authenticated
  WITH CHECK (org_id IN (SELECT crm.get_orgs_with_role('{owner}')));
CREATE POLICY invitations_owner_delete ON crm.invitations FOR DELETE TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_with_role('{owner}')));

-- NEAR-MISS: SECURITY DEFINER RPC — it writes org_members as its owner, but the tenant comes from a secret token and the member is always auth.uid(), whose e-mail must match the invitation; no argument names a tenant.
CREATE FUNCTION crm.accept_invitation(p_token text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  v_uid uuid := auth.uid();
  v_inv crm.invitations%ROWTYPE;
BEGIN
  IF v_uid IS NULL THEN
    RAISE EXCEPTION 'sign in first' USING ERRCODE = '42501';
  END IF;
  SELECT * INTO v_inv FROM crm.invitations i
  WHERE i.token = p_token AND i.created_at > now() - interval '7 days';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invitation not found or expired' USING ERRCODE = 'P0002';
  END IF;
  IF lower(v_inv.email) <> lower(coalesce(auth.email(), '')) THEN
    RAISE EXCEPTION 'this invitation was sent to another address' USING ERRCODE = '42501';
  END IF;
  INSERT INTO crm.org_members (org_id, user_id, member_role)
  VALUES (v_inv.org_id, v_uid, v_inv.member_role)
  ON CONFLICT (org_id, user_id) DO NOTHING;
  DELETE FROM crm.invitations WHERE id = v_inv.id;
  RETURN v_inv.org_id;
END
$$;
REVOKE EXECUTE ON FUNCTION crm.accept_invitation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.accept_invitation(text) TO authenticated;

-- -----------------------------------------------------------------------------
-- Attachments: metadata here, bytes in Storage under '<org_id>/<deal_id>/<file>'
-- -----------------------------------------------------------------------------
CREATE TABLE crm.attachments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES crm.organizations (id) ON DELETE CASCADE,
  deal_id      uuid NOT NULL,
  storage_path text NOT NULL,
  uploaded_by  uuid REFERENCES auth.users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (deal_id, org_id) REFERENCES crm.deals (id, org_id) ON DELETE CASCADE
);
CREATE INDEX attachments_org_id_idx ON crm.attachments (org_id);

ALTER TABLE crm.attachments ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON crm.attachments TO authenticated;
CREATE POLICY attachments_select ON crm.attachments FOR SELECT TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()));
CREATE POLICY attachments_insert ON crm.attachments FOR INSERT TO authenticated
  WITH CHECK (org_id IN (SELECT crm.get_orgs_for_user()) AND uploaded_by = (SELECT auth.uid()));
CREATE POLICY attachments_delete ON crm.attachments FOR DELETE TO authenticated
  USING (org_id IN (SELECT crm.get_orgs_for_user()));

-- Supabase Storage, reduced to what the policies below need.
CREATE SCHEMA IF NOT EXISTS storage;
CREATE TABLE IF NOT EXISTS storage.objects (
  id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id text,
  name      text,
  owner_id  text
);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION storage.foldername(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE
AS $$
  SELECT (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1];
$$;
GRANT USAGE ON SCHEMA storage TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.objects TO authenticated;

-- DEFECT: unscoped storage policy — it checks only the bucket, and every tenant's files share 'crm-attachments': a rep of tenant A lists and downloads tenant B's contracts under '22222222-…/'.
CREATE POLICY "crm attachments: read" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'crm-attachments');
-- NEAR-MISS: unscoped storage policy — the first path segment must be one of the caller's organizations (crm.get_org_folders_for_user()), so uploads land only in the caller's own tenant folder.
CREATE POLICY "crm attachments: upload" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (
    bucket_id = 'crm-attachments'
    AND (storage.foldername(name))[1] IN (SELECT crm.get_org_folders_for_user())
  );
CREATE POLICY "crm attachments: delete own" ON storage.objects FOR DELETE TO authenticated
  USING (
    bucket_id = 'crm-attachments'
    AND owner_id = (SELECT auth.uid())::text
    AND (storage.foldername(name))[1] IN (SELECT crm.get_org_folders_for_user())
  );

-- -----------------------------------------------------------------------------
-- Seed: tenants A and B
-- -----------------------------------------------------------------------------
INSERT INTO crm.organizations (id, name, slug, primary_owner_user_id) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Acme Robotics', 'acme', 'c1000000-0000-4000-8000-000000000001'),
  ('22222222-2222-4222-8222-222222222222', 'Bolt Logistics', 'bolt', 'c2000000-0000-4000-8000-000000000001');

INSERT INTO crm.org_members (org_id, user_id, member_role) VALUES
  ('11111111-1111-4111-8111-111111111111', 'c1000000-0000-4000-8000-000000000001', 'owner'),
  ('11111111-1111-4111-8111-111111111111', 'c1000000-0000-4000-8000-000000000002', 'rep'),
  ('22222222-2222-4222-8222-222222222222', 'c2000000-0000-4000-8000-000000000001', 'owner'),
  ('22222222-2222-4222-8222-222222222222', 'c2000000-0000-4000-8000-000000000002', 'rep');

INSERT INTO crm.companies (id, org_id, name, domain, owner_user_id) VALUES
  ('1a000000-0000-4000-8000-0000000000c1', '11111111-1111-4111-8111-111111111111', 'Globex',   'globex.example',   'c1000000-0000-4000-8000-000000000002'),
  ('1a000000-0000-4000-8000-0000000000c2', '11111111-1111-4111-8111-111111111111', 'Initech',  'initech.example',  'c1000000-0000-4000-8000-000000000002'),
  ('2b000000-0000-4000-8000-0000000000c1', '22222222-2222-4222-8222-222222222222', 'Umbrella', 'umbrella.example', 'c2000000-0000-4000-8000-000000000002');

INSERT INTO crm.contacts (org_id, company_id, full_name, email) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'Hank Scorpio', 'hank@globex.example'),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c2', 'Bill Lumbergh', 'bill@initech.example'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000c1', 'Albert Wesker', 'wesker@umbrella.example');

INSERT INTO crm.pipeline_stages (id, org_id, name, position, is_won) VALUES
  ('1a000000-0000-4000-8000-0000000000e1', '11111111-1111-4111-8111-111111111111', 'Qualified', 1, false),
  ('1a000000-0000-4000-8000-0000000000e2', '11111111-1111-4111-8111-111111111111', 'Won',       2, true),
  ('2b000000-0000-4000-8000-0000000000e1', '22222222-2222-4222-8222-222222222222', 'Discovery', 1, false);

INSERT INTO crm.deals (id, org_id, company_id, stage_id, title, amount_cents, owner_user_id, closes_on) VALUES
  ('1a000000-0000-4000-8000-0000000000d1', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', '1a000000-0000-4000-8000-0000000000e1', 'Globex arm retrofit',  4200000, 'c1000000-0000-4000-8000-000000000002', '2025-09-30'),
  ('1a000000-0000-4000-8000-0000000000d2', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c2', '1a000000-0000-4000-8000-0000000000e2', 'Initech stapler line', 990000,  'c1000000-0000-4000-8000-000000000001', '2025-07-01'),
  ('2b000000-0000-4000-8000-0000000000d1', '22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000c1', '2b000000-0000-4000-8000-0000000000e1', 'Umbrella cold chain',  12500000, 'c2000000-0000-4000-8000-000000000002', '2025-12-15');

INSERT INTO crm.activities (org_id, deal_id, kind, body, created_by) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000d1', 'call',    'Discussed payload limits', 'c1000000-0000-4000-8000-000000000002'),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000d2', 'email',   'Sent the signed order',    'c1000000-0000-4000-8000-000000000001'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000d1', 'meeting', 'Site visit, Raccoon City', 'c2000000-0000-4000-8000-000000000002');

INSERT INTO crm.saved_views (org_id, user_id, name, filters) VALUES
  ('11111111-1111-4111-8111-111111111111', 'c1000000-0000-4000-8000-000000000002', 'My open deals', '{"owner": "me", "won": false}'),
  ('22222222-2222-4222-8222-222222222222', 'c2000000-0000-4000-8000-000000000002', 'Q4 pipeline',   '{"closes_before": "2025-12-31"}');

-- Fixed tokens (normally random) so that the confirmations below can replay a
-- leaked invitation link.
INSERT INTO crm.invitations (org_id, email, member_role, invited_by, token) VALUES
  ('11111111-1111-4111-8111-111111111111', 'new.rep@acme.example', 'rep',   'c1000000-0000-4000-8000-000000000001', '0c5e7a1d9b3f4e2a8c6d0b1f3e5a7c9d'),
  ('22222222-2222-4222-8222-222222222222', 'ops@bolt.example',     'admin', 'c2000000-0000-4000-8000-000000000001', '7f2b9d4e1a6c4f3b8e0d2a5c7b9e1f4a');

INSERT INTO crm.attachments (org_id, deal_id, storage_path, uploaded_by) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000d1', '11111111-1111-4111-8111-111111111111/1a000000-0000-4000-8000-0000000000d1/quote.pdf', 'c1000000-0000-4000-8000-000000000002'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000d1', '22222222-2222-4222-8222-222222222222/2b000000-0000-4000-8000-0000000000d1/contract.pdf', 'c2000000-0000-4000-8000-000000000002');

INSERT INTO storage.objects (bucket_id, name, owner_id) VALUES
  ('crm-attachments', '11111111-1111-4111-8111-111111111111/1a000000-0000-4000-8000-0000000000d1/quote.pdf',    'c1000000-0000-4000-8000-000000000002'),
  ('crm-attachments', '22222222-2222-4222-8222-222222222222/2b000000-0000-4000-8000-0000000000d1/contract.pdf', 'c2000000-0000-4000-8000-000000000002');

-- -----------------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- -----------------------------------------------------------------------------
-- Run as the API role authenticated with a user's claims (pg_temp helpers from
-- the prelude); every rows_as is rolled back, every expect below must fail.
\set alice_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"c1000000-0000-4000-8000-000000000001","role":"authenticated","email":"alice@acme.example"}'', true)'
\set arno_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"c1000000-0000-4000-8000-000000000002","role":"authenticated","email":"arno@acme.example"}'', true)'
\set bianca_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"c2000000-0000-4000-8000-000000000001","role":"authenticated","email":"bianca@bolt.example"}'', true)'

-- DEFECT membership self-grant (org_members_insert): Arno, a rep of A, enrolls himself as owner of tenant B.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$INSERT INTO crm.org_members (org_id, user_id, member_role)
    VALUES ('22222222-2222-4222-8222-222222222222', 'c1000000-0000-4000-8000-000000000002', 'owner')$$, 1);
-- DEFECT membership self-grant: before that, Arno cannot touch B's companies ...
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$UPDATE crm.companies SET name = name WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 0);
-- DEFECT membership self-grant: ... right after it, the helper-based policies let him rewrite them.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$INSERT INTO crm.org_members (org_id, user_id, member_role)
    VALUES ('22222222-2222-4222-8222-222222222222', 'c1000000-0000-4000-8000-000000000002', 'owner');
    UPDATE crm.companies SET name = name WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- NEAR-MISS column capture (org_members_delete): the primary owner's own row is protected (o.id = org_members.org_id) ...
SELECT pg_temp.rows_as('authenticated', :'alice_claims',
  $$DELETE FROM crm.org_members WHERE user_id = 'c1000000-0000-4000-8000-000000000001'$$, 0);
-- NEAR-MISS column capture (org_members_delete): ... while the owner of A removes A's other member, and only A's.
SELECT pg_temp.rows_as('authenticated', :'alice_claims', $$DELETE FROM crm.org_members$$, 1);

-- NEAR-MISS cross-tenant foreign key (contacts): a contact of A cannot point at B's company.
SELECT pg_temp.expect('authenticated', :'arno_claims' || $$;
  INSERT INTO crm.contacts (org_id, company_id, full_name)
  VALUES ('11111111-1111-4111-8111-111111111111', '2b000000-0000-4000-8000-0000000000c1', 'Planted contact')$$, '23503');

-- NEAR-MISS update without with check (pipeline_stages_update): USING doubles as the check, moving A's stage into B fails.
SELECT pg_temp.expect('authenticated', :'alice_claims' || $$;
  UPDATE crm.pipeline_stages SET org_id = '22222222-2222-4222-8222-222222222222'
  WHERE id = '1a000000-0000-4000-8000-0000000000e1'$$, '42501');

-- DEFECT column capture (deals_select): Arno, member of A only, reads tenant B's deal.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$SELECT count(*) FROM crm.deals WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- NEAR-MISS column capture (deals_insert): the qualified sub-select rejects a deal in B ...
SELECT pg_temp.expect('authenticated', :'arno_claims' || $$;
  INSERT INTO crm.deals (org_id, title) VALUES ('22222222-2222-4222-8222-222222222222', 'Planted deal')$$, '42501');
-- NEAR-MISS column capture (deals_insert): ... and accepts one in Arno's own tenant.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$INSERT INTO crm.deals (org_id, title) VALUES ('11111111-1111-4111-8111-111111111111', 'New deal')$$, 1);

-- DEFECT truncate grant (activities): Bianca, owner of B, sees B's one activity ...
SELECT pg_temp.rows_as('authenticated', :'bianca_claims', $$SELECT count(*) FROM crm.activities$$, 1);
-- DEFECT truncate grant: ... until Arno (tenant A) runs TRUNCATE: then B's owner finds none.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$TRUNCATE crm.activities;
    SELECT set_config('request.jwt.claims', '{"sub":"c2000000-0000-4000-8000-000000000001","role":"authenticated"}', true);
    SELECT count(*) FROM crm.activities$$, 0);
-- DEFECT truncate grant: anon's TRUNCATE empties it too (the count is then taken as B's owner).
SELECT pg_temp.rows_as('anon', '',
  $$TRUNCATE crm.activities;
    SET LOCAL ROLE authenticated;
    SELECT set_config('request.jwt.claims', '{"sub":"c2000000-0000-4000-8000-000000000001","role":"authenticated"}', true);
    SELECT count(*) FROM crm.activities$$, 0);

-- NEAR-MISS SECURITY DEFINER RPC (accept_invitation): even holding B's leaked token, Arno's e-mail does not match: 42501.
SELECT pg_temp.expect('authenticated', :'arno_claims' || $$;
  SELECT crm.accept_invitation('7f2b9d4e1a6c4f3b8e0d2a5c7b9e1f4a')$$, '42501');
-- NEAR-MISS SECURITY DEFINER RPC (accept_invitation): a guessed token names no tenant: P0002.
SELECT pg_temp.expect('authenticated', :'arno_claims' || $$;
  SELECT crm.accept_invitation('22222222222242228222222222222222')$$, 'P0002');

-- DEFECT unscoped storage policy ("crm attachments: read"): Arno lists B's contract.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$SELECT count(*) FROM storage.objects WHERE name LIKE '22222222-2222-4222-8222-222222222222/%'$$, 1);

-- NEAR-MISS unscoped storage policy ("crm attachments: upload"): an upload into B's folder fails ...
SELECT pg_temp.expect('authenticated', :'arno_claims' || $$;
  INSERT INTO storage.objects (bucket_id, name, owner_id)
  VALUES ('crm-attachments', '22222222-2222-4222-8222-222222222222/2b000000-0000-4000-8000-0000000000d1/planted.pdf',
          'c1000000-0000-4000-8000-000000000002')$$, '42501');
-- NEAR-MISS unscoped storage policy ("crm attachments: upload"): ... one into A's folder succeeds.
SELECT pg_temp.rows_as('authenticated', :'arno_claims',
  $$INSERT INTO storage.objects (bucket_id, name, owner_id)
    VALUES ('crm-attachments', '11111111-1111-4111-8111-111111111111/1a000000-0000-4000-8000-0000000000d1/notes.pdf',
            'c1000000-0000-4000-8000-000000000002')$$, 1);
