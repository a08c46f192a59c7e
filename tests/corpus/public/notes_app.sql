-- =============================================================================
-- 04_notes_app.sql: "Quire", a Notion-like notes and wiki app on Supabase.
--
-- A workspace is the tenant (table notes_app.workspaces; tenant column
-- organization_id everywhere else). Members have a workspace role; inside a
-- workspace, teams own databases. Pages can be published, and logged-out
-- visitors read published pages. Images and uploads live in the Storage bucket
-- 'page-assets' under '<organization_id>/<page_id>/<file>'. The JWT carries the
-- list of the user's workspaces in app_metadata.workspaces (set by an auth hook).
--
-- Patterns studied (written from scratch, nothing copied):
--   supabase/supabase:apps/docs/content/guides/database/postgres/row-level-security.mdx and
--     the review thread of supabase/supabase PR #49017 (the docs' "team_user.team_id = team_id"
--     sub-select, where the unqualified team_id binds to team_user itself)
--   vewrite/vewrite:supabase/migrations/20250202093905_add_team_members_table.sql
--     (team_members policy letting any authenticated user upsert memberships)
--   perezstudio/civics-lab-engage:supabase/migrations/20250119053618_remote_schema.sql
--     ("Users can join workspaces" policy on workspace_users)
--   gurvirsinghdev/daddypdf.com:drizzle/0005_overrated_red_ghost.sql
--     (team_members insert/delete policies gated on owner/admin rows of team_members)
--   duan-li/tickbucket:supabase/migrations/20250330103615_policy_allow_updating_on_allowed_tenant.sql
--     (COALESCE(app_metadata.tenants ? tenant, false): membership list from the JWT, fail closed)
--   rafaelminatto1/fisioflow-51658291:supabase/migrations/20260120160155_add_rls_policies_to_documents_bucket.sql
--     (storage policies scoped by "auth.uid() = owner" next to a bucket-only one)
--   arthurlz/koiyuragi-api:supabase/migrations/20250721070815_add-authenticated-storage-policies.sql
--     (storage policies "bucket_id = … AND auth.role() = 'authenticated'")
--   point-source/supabase-tenant-rbac:examples/policies/storage_rls.sql
--     (group id as the first path segment, checked through a membership helper)
--   an "auth.uid() IS NULL OR user_id = auth.uid() OR user_id IS NULL" chat_messages policy
--     found through find_string (the public index did not name its repository)
--
-- Assumes the prelude: roles anon / authenticated / service_role, schema auth
-- with auth.uid() / auth.jwt() / auth.role() / auth.email(), extension
-- tenant_guard (identity.get_current_org_id()).
-- Tenant A = 11111111-1111-4111-8111-111111111111, tenant B = 22222222-2222-4222-8222-222222222222.
-- =============================================================================
-- CLIENT ROLES: anon,authenticated

CREATE TABLE IF NOT EXISTS auth.users (
  id                 uuid PRIMARY KEY,
  email              text,
  raw_user_meta_data jsonb
);

INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES
  ('e1000000-0000-4000-8000-000000000001', 'ana@atlas.example',  '{"name": "Ana (A, owner)"}'),
  ('e1000000-0000-4000-8000-000000000002', 'aki@atlas.example',  '{"name": "Aki (A, editor)"}'),
  ('e2000000-0000-4000-8000-000000000001', 'bo@borealis.example', '{"name": "Bo (B, owner)"}'),
  ('e2000000-0000-4000-8000-000000000002', 'bea@borealis.example', '{"name": "Bea (B, viewer)"}')
ON CONFLICT (id) DO NOTHING;

CREATE SCHEMA notes_app;
GRANT USAGE ON SCHEMA notes_app TO anon, authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA notes_app GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;

-- -----------------------------------------------------------------------------
-- Workspaces and membership
-- -----------------------------------------------------------------------------
CREATE TABLE notes_app.workspaces (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL,
  slug       text NOT NULL UNIQUE,
  owner_id   uuid NOT NULL REFERENCES auth.users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notes_app.workspace_members (
  organization_id uuid NOT NULL REFERENCES notes_app.workspaces (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  role            text NOT NULL DEFAULT 'editor' CHECK (role IN ('owner', 'editor', 'viewer')),
  joined_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX workspace_members_user_id_idx ON notes_app.workspace_members (user_id);

CREATE TABLE notes_app.teams (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES notes_app.workspaces (id) ON DELETE CASCADE,
  name            text NOT NULL,
  UNIQUE (id, organization_id)
);
CREATE INDEX teams_organization_id_idx ON notes_app.teams (organization_id);

CREATE TABLE notes_app.team_members (
  organization_id uuid NOT NULL,
  team_id         uuid NOT NULL,
  user_id         uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  is_admin        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (organization_id, team_id, user_id),
  FOREIGN KEY (team_id, organization_id) REFERENCES notes_app.teams (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX team_members_user_id_idx ON notes_app.team_members (user_id);

-- Membership helpers: SECURITY DEFINER, pinned search_path, used as
-- `organization_id IN (SELECT ...)` so they run once per statement.
CREATE FUNCTION notes_app.my_workspace_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT wm.organization_id FROM notes_app.workspace_members wm WHERE wm.user_id = (SELECT auth.uid());
$$;

CREATE FUNCTION notes_app.my_owned_workspace_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT wm.organization_id FROM notes_app.workspace_members wm
  WHERE wm.user_id = (SELECT auth.uid()) AND wm.role = 'owner';
$$;

CREATE FUNCTION notes_app.my_admin_team_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT tm.team_id FROM notes_app.team_members tm
  WHERE tm.user_id = (SELECT auth.uid()) AND tm.is_admin;
$$;

CREATE FUNCTION notes_app.my_workspace_folders() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT wm.organization_id::text FROM notes_app.workspace_members wm WHERE wm.user_id = (SELECT auth.uid());
$$;

REVOKE EXECUTE ON FUNCTION notes_app.my_workspace_ids(), notes_app.my_owned_workspace_ids(),
  notes_app.my_admin_team_ids(), notes_app.my_workspace_folders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION notes_app.my_workspace_ids(), notes_app.my_owned_workspace_ids(),
  notes_app.my_admin_team_ids(), notes_app.my_workspace_folders() TO authenticated;
-- The public page view queries comments as anon; it failed with 42501 on this
-- helper until anon could execute it too (it returns nothing without a user).
GRANT EXECUTE ON FUNCTION notes_app.my_workspace_ids() TO anon;

ALTER TABLE notes_app.workspaces ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON notes_app.workspaces TO authenticated;
CREATE POLICY workspaces_members_read ON notes_app.workspaces FOR SELECT TO authenticated
  USING (id IN (SELECT notes_app.my_workspace_ids()));
CREATE POLICY workspaces_create ON notes_app.workspaces FOR INSERT TO authenticated
  WITH CHECK (owner_id = (SELECT auth.uid()));
CREATE POLICY workspaces_owner_update ON notes_app.workspaces FOR UPDATE TO authenticated
  USING (id IN (SELECT notes_app.my_owned_workspace_ids()))
  WITH CHECK (id IN (SELECT notes_app.my_owned_workspace_ids()));

ALTER TABLE notes_app.workspace_members ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON notes_app.workspace_members TO authenticated;
CREATE POLICY workspace_members_read ON notes_app.workspace_members FOR SELECT TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids()));
-- DEFECT: membership self-grant — "Users can join workspaces" was added so a creator could add his own first membership; WITH CHECK (true) lets any signed-in user insert (organization_id = B, user_id = self, role = 'owner') and every policy built on my_workspace_ids() then opens tenant B's pages and files.
CREATE POLICY workspace_members_join ON notes_app.workspace_members FOR INSERT TO authenticated
  WITH CHECK (true);
CREATE POLICY workspace_members_owner_remove ON notes_app.workspace_members FOR DELETE TO authenticated
  USING (organization_id IN (SELECT notes_app.my_owned_workspace_ids()));

ALTER TABLE notes_app.teams ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON notes_app.teams TO authenticated;
CREATE POLICY teams_members ON notes_app.teams FOR ALL TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids()))
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids()));

ALTER TABLE notes_app.team_members ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON notes_app.team_members TO authenticated;
CREATE POLICY team_members_read ON notes_app.team_members FOR SELECT TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids()));
-- NEAR-MISS: membership self-grant — an insert must name a team the caller already administers (my_admin_team_ids() reads team_members as definer) inside one of his workspaces; nobody can add himself to a team, or to another tenant's team.
CREATE POLICY team_members_admin_add ON notes_app.team_members FOR INSERT TO authenticated
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids())
              AND team_id IN (SELECT notes_app.my_admin_team_ids()));
CREATE POLICY team_members_admin_remove ON notes_app.team_members FOR DELETE TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids())
         AND team_id IN (SELECT notes_app.my_admin_team_ids()));

-- -----------------------------------------------------------------------------
-- Pages and their history
-- -----------------------------------------------------------------------------
CREATE TABLE notes_app.pages (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES notes_app.workspaces (id) ON DELETE CASCADE,
  parent_id       uuid,
  title           text NOT NULL DEFAULT 'Untitled',
  author_id       uuid REFERENCES auth.users (id),
  is_published    boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id),
  FOREIGN KEY (parent_id, organization_id) REFERENCES notes_app.pages (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX pages_organization_id_idx ON notes_app.pages (organization_id);

ALTER TABLE notes_app.pages ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON notes_app.pages TO authenticated;
-- DEFECT: column capture — inside the EXISTS the unqualified organization_id binds to wm.organization_id (workspace_members has that column), so the check degenerates to "the caller belongs to some workspace": a member of tenant A reads every page of tenant B.
CREATE POLICY pages_members_read ON notes_app.pages FOR SELECT TO authenticated
  USING (EXISTS (
    SELECT 1 FROM notes_app.workspace_members wm
    WHERE wm.organization_id = organization_id
      AND wm.user_id = (SELECT auth.uid())
  ));
CREATE POLICY pages_members_write ON notes_app.pages FOR INSERT TO authenticated
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids()));
CREATE POLICY pages_members_edit ON notes_app.pages FOR UPDATE TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids()))
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids()));
CREATE POLICY pages_members_delete ON notes_app.pages FOR DELETE TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids()));

CREATE TABLE notes_app.page_versions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL,
  page_id         uuid NOT NULL,
  body            text NOT NULL,
  saved_by        uuid REFERENCES auth.users (id),
  saved_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (page_id, organization_id) REFERENCES notes_app.pages (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX page_versions_organization_id_idx ON notes_app.page_versions (organization_id, page_id);

ALTER TABLE notes_app.page_versions ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON notes_app.page_versions TO authenticated;
-- DEFECT: fail-open predicate — coalesce(<membership test>, true): the history panel "must not break for sessions whose token predates the workspaces claim", but a token without app_metadata.workspaces makes the test NULL, the coalesce makes it true, and such a caller reads the page history of tenants A and B.
CREATE POLICY page_versions_read ON notes_app.page_versions FOR SELECT TO authenticated
  USING (coalesce((SELECT auth.jwt() -> 'app_metadata' -> 'workspaces') ? organization_id::text, true));
CREATE POLICY page_versions_write ON notes_app.page_versions FOR INSERT TO authenticated
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids()) AND saved_by = (SELECT auth.uid()));

-- Personal favorites, keyed on the workspaces claim.
CREATE TABLE notes_app.favorites (
  organization_id uuid NOT NULL,
  user_id         uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  page_id         uuid NOT NULL,
  position        integer NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, user_id, page_id),
  FOREIGN KEY (page_id, organization_id) REFERENCES notes_app.pages (id, organization_id) ON DELETE CASCADE
);
ALTER TABLE notes_app.favorites ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON notes_app.favorites TO authenticated;
-- NEAR-MISS: fail-open predicate — the same claim test as page_versions, but coalesced to false: a token without the workspaces claim matches nothing.
CREATE POLICY favorites_own ON notes_app.favorites FOR ALL TO authenticated
  USING (user_id = (SELECT auth.uid())
         AND coalesce((SELECT auth.jwt() -> 'app_metadata' -> 'workspaces') ? organization_id::text, false))
  WITH CHECK (user_id = (SELECT auth.uid())
              AND coalesce((SELECT auth.jwt() -> 'app_metadata' -> 'workspaces') ? organization_id::text, false));

-- -----------------------------------------------------------------------------
-- Comments (readable by logged-out visitors of published pages)
-- -----------------------------------------------------------------------------
CREATE TABLE notes_app.comments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  page_id         uuid NOT NULL,
  author_id       uuid NOT NULL REFERENCES auth.users (id),
  body            text NOT NULL,
  resolved        boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (page_id, organization_id) REFERENCES notes_app.pages (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX comments_organization_id_idx ON notes_app.comments (organization_id, page_id);

ALTER TABLE notes_app.comments ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON notes_app.comments TO anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON notes_app.comments TO authenticated;
-- DEFECT: fail-open predicate — "visitors of published pages see the discussion": the auth.uid() IS NULL branch never looks at the page, so every anonymous request (and any request whose JWT lost its sub) reads all comments of tenants A and B, unpublished pages included.
CREATE POLICY comments_read ON notes_app.comments FOR SELECT TO anon, authenticated
  USING ((SELECT auth.uid()) IS NULL
         OR organization_id IN (SELECT notes_app.my_workspace_ids()));
-- NEAR-MISS: fail-open predicate — here the identity test is ANDed (auth.uid() IS NOT NULL), so a request without a user matches nothing.
CREATE POLICY comments_write ON notes_app.comments FOR INSERT TO authenticated
  WITH CHECK ((SELECT auth.uid()) IS NOT NULL
              AND author_id = (SELECT auth.uid())
              AND organization_id IN (SELECT notes_app.my_workspace_ids()));
CREATE POLICY comments_edit_own ON notes_app.comments FOR UPDATE TO authenticated
  USING (author_id = (SELECT auth.uid()) AND organization_id IN (SELECT notes_app.my_workspace_ids()))
  WITH CHECK (author_id = (SELECT auth.uid()) AND organization_id IN (SELECT notes_app.my_workspace_ids()));
CREATE POLICY comments_delete_own ON notes_app.comments FOR DELETE TO authenticated
  USING (author_id = (SELECT auth.uid()) AND organization_id IN (SELECT notes_app.my_workspace_ids()));

-- -----------------------------------------------------------------------------
-- Team databases (Notion-style tables)
-- -----------------------------------------------------------------------------
CREATE TABLE notes_app.databases (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  team_id         uuid NOT NULL,
  title           text NOT NULL,
  schema_def      jsonb NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (id, organization_id),
  FOREIGN KEY (team_id, organization_id) REFERENCES notes_app.teams (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX databases_organization_id_idx ON notes_app.databases (organization_id);

ALTER TABLE notes_app.databases ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON notes_app.databases TO authenticated;
-- NEAR-MISS: column capture — the docs' team look-up, written with the checked row's column qualified (tm.team_id = databases.team_id), next to an organization_id check through the helper.
CREATE POLICY databases_team_read ON notes_app.databases FOR SELECT TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids())
         AND (SELECT auth.uid()) IN (SELECT tm.user_id FROM notes_app.team_members tm
                                     WHERE tm.team_id = databases.team_id));
CREATE POLICY databases_team_admin_write ON notes_app.databases FOR INSERT TO authenticated
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids())
              AND team_id IN (SELECT notes_app.my_admin_team_ids()));
CREATE POLICY databases_team_admin_edit ON notes_app.databases FOR UPDATE TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids())
         AND team_id IN (SELECT notes_app.my_admin_team_ids()))
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids())
              AND team_id IN (SELECT notes_app.my_admin_team_ids()));
CREATE POLICY databases_team_admin_delete ON notes_app.databases FOR DELETE TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids())
         AND team_id IN (SELECT notes_app.my_admin_team_ids()));

CREATE TABLE notes_app.database_rows (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  database_id     uuid NOT NULL,
  properties      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (database_id, organization_id) REFERENCES notes_app.databases (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX database_rows_organization_id_idx ON notes_app.database_rows (organization_id, database_id);

ALTER TABLE notes_app.database_rows ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON notes_app.database_rows TO authenticated;
-- Rows follow their database: the sub-select runs under databases' own policy.
CREATE POLICY database_rows_via_database ON notes_app.database_rows FOR ALL TO authenticated
  USING (organization_id IN (SELECT notes_app.my_workspace_ids())
         AND database_id IN (SELECT d.id FROM notes_app.databases d))
  WITH CHECK (organization_id IN (SELECT notes_app.my_workspace_ids())
              AND database_id IN (SELECT d.id FROM notes_app.databases d));

-- -----------------------------------------------------------------------------
-- Storage: bucket 'page-assets', objects under '<organization_id>/<page_id>/<file>'
-- -----------------------------------------------------------------------------
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

-- DEFECT: unscoped storage policy — auth.role() = 'authenticated' holds for every signed-in user of every tenant, so this "members read" policy lets a user of tenant A list and download everything under tenant B's folder '22222222-…/' (B's unpublished budget sheet included).
CREATE POLICY "page-assets: read" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'page-assets' AND (SELECT auth.role()) = 'authenticated');
-- NEAR-MISS: unscoped storage policy — uploads must go under a folder named after one of the caller's workspaces.
CREATE POLICY "page-assets: upload" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'page-assets'
              AND (storage.foldername(name))[1] IN (SELECT notes_app.my_workspace_folders()));
-- NEAR-MISS: unscoped storage policy — deletion is limited to the uploader's own objects (owner_id) inside his workspaces' folders.
CREATE POLICY "page-assets: delete own" ON storage.objects FOR DELETE TO authenticated
  USING (bucket_id = 'page-assets'
         AND owner_id = (SELECT auth.uid())::text
         AND (storage.foldername(name))[1] IN (SELECT notes_app.my_workspace_folders()));

-- -----------------------------------------------------------------------------
-- Seed: tenants A and B
-- -----------------------------------------------------------------------------
INSERT INTO notes_app.workspaces (id, name, slug, owner_id) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Atlas Studio', 'atlas',    'e1000000-0000-4000-8000-000000000001'),
  ('22222222-2222-4222-8222-222222222222', 'Borealis Labs', 'borealis', 'e2000000-0000-4000-8000-000000000001');

INSERT INTO notes_app.workspace_members (organization_id, user_id, role) VALUES
  ('11111111-1111-4111-8111-111111111111', 'e1000000-0000-4000-8000-000000000001', 'owner'),
  ('11111111-1111-4111-8111-111111111111', 'e1000000-0000-4000-8000-000000000002', 'editor'),
  ('22222222-2222-4222-8222-222222222222', 'e2000000-0000-4000-8000-000000000001', 'owner'),
  ('22222222-2222-4222-8222-222222222222', 'e2000000-0000-4000-8000-000000000002', 'viewer');

INSERT INTO notes_app.teams (id, organization_id, name) VALUES
  ('1a000000-0000-4000-8000-0000000000a1', '11111111-1111-4111-8111-111111111111', 'Design'),
  ('1a000000-0000-4000-8000-0000000000a2', '11111111-1111-4111-8111-111111111111', 'Marketing'),
  ('2b000000-0000-4000-8000-0000000000a1', '22222222-2222-4222-8222-222222222222', 'Research');

INSERT INTO notes_app.team_members (organization_id, team_id, user_id, is_admin) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a1', 'e1000000-0000-4000-8000-000000000001', true),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a1', 'e1000000-0000-4000-8000-000000000002', false),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a2', 'e1000000-0000-4000-8000-000000000001', true),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000a1', 'e2000000-0000-4000-8000-000000000001', true);

INSERT INTO notes_app.pages (id, organization_id, parent_id, title, author_id, is_published) VALUES
  ('1a000000-0000-4000-8000-0000000000b1', '11111111-1111-4111-8111-111111111111', NULL, 'Brand guidelines', 'e1000000-0000-4000-8000-000000000001', true),
  ('1a000000-0000-4000-8000-0000000000b2', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b1', 'Logo drafts (internal)', 'e1000000-0000-4000-8000-000000000002', false),
  ('2b000000-0000-4000-8000-0000000000b1', '22222222-2222-4222-8222-222222222222', NULL, 'Grant proposal 2026 (confidential)', 'e2000000-0000-4000-8000-000000000001', false);

INSERT INTO notes_app.page_versions (organization_id, page_id, body, saved_by) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b1', 'v1: colours and type', 'e1000000-0000-4000-8000-000000000001'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000b1', 'v1: budget 1.2M', 'e2000000-0000-4000-8000-000000000001');

INSERT INTO notes_app.favorites (organization_id, user_id, page_id) VALUES
  ('11111111-1111-4111-8111-111111111111', 'e1000000-0000-4000-8000-000000000002', '1a000000-0000-4000-8000-0000000000b1'),
  ('22222222-2222-4222-8222-222222222222', 'e2000000-0000-4000-8000-000000000002', '2b000000-0000-4000-8000-0000000000b1');

INSERT INTO notes_app.comments (organization_id, page_id, author_id, body) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b1', 'e1000000-0000-4000-8000-000000000002', 'Can we use the darker teal?'),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b2', 'e1000000-0000-4000-8000-000000000001', 'Not for the client yet.'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000b1', 'e2000000-0000-4000-8000-000000000002', 'Reviewer 2 will object to section 4.');

INSERT INTO notes_app.databases (id, organization_id, team_id, title) VALUES
  ('1a000000-0000-4000-8000-0000000000d1', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a1', 'Asset tracker'),
  ('1a000000-0000-4000-8000-0000000000d2', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a2', 'Campaign budget'),
  ('2b000000-0000-4000-8000-0000000000d1', '22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000a1', 'Interview log');

INSERT INTO notes_app.database_rows (organization_id, database_id, properties) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000d1', '{"asset": "logo.svg", "status": "draft"}'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000d1', '{"participant": "P7", "notes": "declined recording"}');

INSERT INTO storage.objects (bucket_id, name, owner_id) VALUES
  ('page-assets', '11111111-1111-4111-8111-111111111111/1a000000-0000-4000-8000-0000000000b1/palette.png', 'e1000000-0000-4000-8000-000000000001'),
  ('page-assets', '22222222-2222-4222-8222-222222222222/2b000000-0000-4000-8000-0000000000b1/budget.xlsx', 'e2000000-0000-4000-8000-000000000001');

-- -----------------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- -----------------------------------------------------------------------------
-- As anon, or authenticated with a user's claims (the auth hook lists his
-- workspaces in app_metadata.workspaces; aki_old_claims is a token from before
-- that claim existed); pg_temp helpers from the prelude: every rows_as is
-- rolled back, every expect below must fail.
\set ana_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"e1000000-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"workspaces":["11111111-1111-4111-8111-111111111111"]}}'', true)'
\set aki_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"e1000000-0000-4000-8000-000000000002","role":"authenticated","app_metadata":{"workspaces":["11111111-1111-4111-8111-111111111111"]}}'', true)'
\set aki_old_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"e1000000-0000-4000-8000-000000000002","role":"authenticated"}'', true)'
\set bea_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"e2000000-0000-4000-8000-000000000002","role":"authenticated","app_metadata":{"workspaces":["22222222-2222-4222-8222-222222222222"]}}'', true)'
\set no_sub_claims 'SELECT set_config(''request.jwt.claims'', ''{"role":"authenticated"}'', true)'

-- DEFECT membership self-grant (workspace_members_join): Aki, an editor of A, makes himself owner of workspace B ...
SELECT pg_temp.rows_as('authenticated', :'aki_claims',
  $$INSERT INTO notes_app.workspace_members (organization_id, user_id, role)
    VALUES ('22222222-2222-4222-8222-222222222222', 'e1000000-0000-4000-8000-000000000002', 'owner')$$, 1);
-- DEFECT membership self-grant (workspace_members_join): ... after which the my_workspace_ids() policies let him delete B's page.
SELECT pg_temp.rows_as('authenticated', :'aki_claims',
  $$INSERT INTO notes_app.workspace_members (organization_id, user_id, role)
    VALUES ('22222222-2222-4222-8222-222222222222', 'e1000000-0000-4000-8000-000000000002', 'owner');
    DELETE FROM notes_app.pages WHERE organization_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- NEAR-MISS membership self-grant (team_members_admin_add): Bea, a member of B, cannot add herself to B's team ...
SELECT pg_temp.expect('authenticated', :'bea_claims' || $$;
  INSERT INTO notes_app.team_members (organization_id, team_id, user_id, is_admin)
  VALUES ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000a1', 'e2000000-0000-4000-8000-000000000002', true)$$, '42501');
-- NEAR-MISS membership self-grant (team_members_admin_add): ... nor can Ana, admin of A's team, join B's.
SELECT pg_temp.expect('authenticated', :'ana_claims' || $$;
  INSERT INTO notes_app.team_members (organization_id, team_id, user_id, is_admin)
  VALUES ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000a1', 'e1000000-0000-4000-8000-000000000001', true)$$, '42501');

-- DEFECT column capture (pages_members_read): Aki, member of A only, reads B's confidential page.
SELECT pg_temp.rows_as('authenticated', :'aki_claims',
  $$SELECT count(*) FROM notes_app.pages WHERE organization_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- DEFECT fail-open predicate (page_versions_read): with the workspaces claim Aki sees A's history only ...
SELECT pg_temp.rows_as('authenticated', :'aki_claims', $$SELECT count(*) FROM notes_app.page_versions$$, 1);
-- DEFECT fail-open predicate (page_versions_read): ... with an older token, A's and B's.
SELECT pg_temp.rows_as('authenticated', :'aki_old_claims', $$SELECT count(*) FROM notes_app.page_versions$$, 2);

-- NEAR-MISS fail-open predicate (favorites_own): with the workspaces claim Aki sees his favorite ...
SELECT pg_temp.rows_as('authenticated', :'aki_claims', $$SELECT count(*) FROM notes_app.favorites$$, 1);
-- NEAR-MISS fail-open predicate (favorites_own): ... with an older token, nothing.
SELECT pg_temp.rows_as('authenticated', :'aki_old_claims', $$SELECT count(*) FROM notes_app.favorites$$, 0);

-- DEFECT fail-open predicate (comments_read): an anonymous request reads every comment of A and B ...
SELECT pg_temp.rows_as('anon', '', $$SELECT count(*) FROM notes_app.comments$$, 3);
-- DEFECT fail-open predicate (comments_read): ... B's comment on its unpublished page included ...
SELECT pg_temp.rows_as('anon', '',
  $$SELECT count(*) FROM notes_app.comments c
    WHERE c.page_id = '2b000000-0000-4000-8000-0000000000b1'$$, 1);
-- DEFECT fail-open predicate (comments_read): ... and so does a signed-in request whose JWT has no sub.
SELECT pg_temp.rows_as('authenticated', :'no_sub_claims', $$SELECT count(*) FROM notes_app.comments$$, 3);

-- NEAR-MISS fail-open predicate (comments_write): a request without a user cannot comment ...
SELECT pg_temp.expect('authenticated', :'no_sub_claims' || $$;
  INSERT INTO notes_app.comments (organization_id, page_id, author_id, body)
  VALUES ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b1', 'e1000000-0000-4000-8000-000000000002', 'Ghost comment')$$, '42501');
-- NEAR-MISS fail-open predicate (comments_write): ... Aki, signed in, can.
SELECT pg_temp.rows_as('authenticated', :'aki_claims',
  $$INSERT INTO notes_app.comments (organization_id, page_id, author_id, body)
    VALUES ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000b1', 'e1000000-0000-4000-8000-000000000002', 'Looks good')$$, 1);

-- NEAR-MISS column capture (databases_team_read): Ana, in both of A's teams, sees both of A's databases ...
SELECT pg_temp.rows_as('authenticated', :'ana_claims', $$SELECT count(*) FROM notes_app.databases$$, 2);
-- NEAR-MISS column capture (databases_team_read): ... Aki, in Design only, sees Design's database, not Marketing's and not B's ...
SELECT pg_temp.rows_as('authenticated', :'aki_claims', $$SELECT count(*) FROM notes_app.databases$$, 1);
-- NEAR-MISS column capture (databases_team_read): ... Bea, in workspace B but not in its team, sees none.
SELECT pg_temp.rows_as('authenticated', :'bea_claims', $$SELECT count(*) FROM notes_app.databases$$, 0);

-- DEFECT unscoped storage policy ("page-assets: read"): Aki lists B's budget sheet.
SELECT pg_temp.rows_as('authenticated', :'aki_claims',
  $$SELECT count(*) FROM storage.objects WHERE name LIKE '22222222-2222-4222-8222-222222222222/%'$$, 1);

-- NEAR-MISS unscoped storage policy ("page-assets: upload"): an upload into B's folder fails ...
SELECT pg_temp.expect('authenticated', :'aki_claims' || $$;
  INSERT INTO storage.objects (bucket_id, name, owner_id)
  VALUES ('page-assets', '22222222-2222-4222-8222-222222222222/2b000000-0000-4000-8000-0000000000b1/planted.png',
          'e1000000-0000-4000-8000-000000000002')$$, '42501');
-- NEAR-MISS unscoped storage policy ("page-assets: upload"): ... one into A's folder succeeds.
SELECT pg_temp.rows_as('authenticated', :'aki_claims',
  $$INSERT INTO storage.objects (bucket_id, name, owner_id)
    VALUES ('page-assets', '11111111-1111-4111-8111-111111111111/1a000000-0000-4000-8000-0000000000b1/logo.svg',
            'e1000000-0000-4000-8000-000000000002')$$, 1);

-- NEAR-MISS unscoped storage policy ("page-assets: delete own"): Aki, who uploaded nothing, deletes nothing ...
SELECT pg_temp.rows_as('authenticated', :'aki_claims', $$DELETE FROM storage.objects WHERE bucket_id = 'page-assets'$$, 0);
-- NEAR-MISS unscoped storage policy ("page-assets: delete own"): ... Ana deletes her own file of A, not B's.
SELECT pg_temp.rows_as('authenticated', :'ana_claims', $$DELETE FROM storage.objects WHERE bucket_id = 'page-assets'$$, 1);
