-- =====================================================================
-- 01_forum.sql -- tenant_guard fixture
--
-- App modelled: "forum", a multi-tenant discussion-board product served
-- through PostGraphile. The layout follows the graphile-starter habits,
-- folded into one schema: a private sessions table that only a SECURITY
-- DEFINER current_user_id() may read (it trusts the per-request setting
-- jwt.claims.session_id that the pgSettings hook sets with set_config(...,
-- true)), organizations + organization_memberships, SECURITY DEFINER
-- helpers returning the caller's organization ids, and one visitor role
-- (forum_web) that every GraphQL request runs as. Tenancy is derived from
-- membership rows, not from a tenant GUC.
--
-- Patterns studied (public sources read while writing this fixture):
--   graphile/starter:@app/db/migrations/current/0020-schemas.sql
--       (visitor role; default privileges grant EXECUTE on every function)
--   graphile/starter:@app/db/migrations/current/1010-session-functions.sql
--       (current_session_id() from jwt.claims.session_id; SECURITY DEFINER
--        current_user_id() reading the sessions table)
--   graphile/starter:@app/db/migrations/current/2019-organization_memberships.sql
--   graphile/starter:@app/db/migrations/current/2040-create_organization.sql
--   graphile/starter:@app/db/migrations/current/2060-organization-permissions.sql
--       (current_user_member_organization_ids(); update_owner policy
--        without WITH CHECK, correlated on organizations.id)
--   graphile/starter:@app/db/migrations/current/2070-organization_for_invitation.sql
--   graphile/starter:@app/db/migrations/current/2090-remove_from_organization.sql
--       (parameters qualified with the function name to avoid capture)
--   jmarca/postgraphile_organizations:deploy/organization_memberships.sql
--   jmarca/postgraphile_organizations:deploy/current_user_member_organization_ids.sql
--   pyramation/launchql-example:packages/vybez/deploy/schemas/vybez_memberships_public/tables/group_memberships/policies/auth_ins_own/policy.sql
--       (INSERT on a membership table checked only against the actor id)
--   zarybnicky/Sirimbo:schema.split/tables/public.event_registration.sql
--       (PostGraphile app: single-column bigint FKs between tenant tables)
--   citusdata/interactive-tutorials:multi-tenant-applications/02-creating-tables.md
--       (composite (tenant, id) keys)
--
-- Tenants: A = 11111111-1111-4111-8111-111111111111 (acme)
--          B = 22222222-2222-4222-8222-222222222222 (bluebird)
-- =====================================================================
-- CLIENT ROLES: anon,authenticated,forum_web

-- ---------------------------------------------------------------------
-- Roles (idempotent)
-- ---------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'forum_owner') THEN
    CREATE ROLE forum_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'forum_web') THEN
    CREATE ROLE forum_web NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'forum_authenticator') THEN
    CREATE ROLE forum_authenticator LOGIN NOINHERIT;
  END IF;
END
$$;

-- PostGraphile connects as forum_authenticator and switches to forum_web
-- for each request (SET LOCAL ROLE forum_web).
GRANT forum_web TO forum_authenticator;

DROP SCHEMA IF EXISTS forum CASCADE;
CREATE SCHEMA forum AUTHORIZATION forum_owner;
GRANT USAGE ON SCHEMA forum TO forum_web;

-- Everything below is created by the owner role, exactly as the migration
-- runner does it.
SET ROLE forum_owner;

ALTER DEFAULT PRIVILEGES IN SCHEMA forum GRANT EXECUTE ON FUNCTIONS TO forum_web;
ALTER DEFAULT PRIVILEGES IN SCHEMA forum GRANT USAGE, SELECT ON SEQUENCES TO forum_web;

-- ---------------------------------------------------------------------
-- Users and sessions (global, not tenant-scoped)
-- ---------------------------------------------------------------------
CREATE TABLE forum.users (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username    text NOT NULL UNIQUE,
  email       text NOT NULL UNIQUE,
  is_verified boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE forum.sessions (
  uuid        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES forum.users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_active timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_id_idx ON forum.sessions (user_id);
-- NEAR-MISS: sub-select on table without SELECT — forum_web has no privilege on sessions, but policies reach it only through the SECURITY DEFINER current_user_id() owned by forum_owner, so no permission error is raised and the visitor can neither list nor guess other sessions.
ALTER TABLE forum.sessions ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION forum.current_session_id() RETURNS uuid
LANGUAGE sql STABLE
AS $$
  SELECT nullif(pg_catalog.current_setting('jwt.claims.session_id', true), '')::uuid
$$;

-- NEAR-MISS: SECURITY DEFINER by argument — current_user_id() takes no argument and only resolves the caller's own secret session uuid, so it cannot be pointed at another user.
CREATE FUNCTION forum.current_user_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT s.user_id FROM forum.sessions s WHERE s.uuid = forum.current_session_id()
$$;

-- ---------------------------------------------------------------------
-- Organizations and membership
-- ---------------------------------------------------------------------
CREATE TABLE forum.organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug       text NOT NULL UNIQUE,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE forum.organization_memberships (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id    uuid NOT NULL REFERENCES forum.organizations (id) ON DELETE CASCADE,
  user_id            uuid NOT NULL REFERENCES forum.users (id) ON DELETE CASCADE,
  is_owner           boolean NOT NULL DEFAULT false,
  is_billing_contact boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_memberships_user_id_idx ON forum.organization_memberships (user_id);

CREATE TABLE forum.organization_invitations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES forum.organizations (id) ON DELETE CASCADE,
  user_id         uuid REFERENCES forum.users (id) ON DELETE CASCADE,
  email           text,
  code            text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((user_id IS NULL) <> (email IS NULL)),
  CHECK ((code IS NULL) = (email IS NULL))
);
CREATE INDEX organization_invitations_org_idx ON forum.organization_invitations (organization_id);
CREATE INDEX organization_invitations_user_idx ON forum.organization_invitations (user_id);

-- Helper functions: SECURITY DEFINER so policies can consult the
-- membership table without recursing through its own policies.
CREATE FUNCTION forum.current_user_member_organization_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.organization_id
  FROM forum.organization_memberships m
  WHERE m.user_id = forum.current_user_id()
$$;

CREATE FUNCTION forum.current_user_owned_organization_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.organization_id
  FROM forum.organization_memberships m
  WHERE m.user_id = forum.current_user_id()
    AND m.is_owner
$$;

CREATE FUNCTION forum.current_user_invited_organization_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT i.organization_id
  FROM forum.organization_invitations i
  WHERE i.user_id = forum.current_user_id()
$$;

ALTER TABLE forum.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_self ON forum.users FOR SELECT
  USING (id = forum.current_user_id());
CREATE POLICY select_co_member ON forum.users FOR SELECT
  USING (id IN (
    SELECT m.user_id
    FROM forum.organization_memberships m
    WHERE m.organization_id IN (SELECT forum.current_user_member_organization_ids())
  ));
CREATE POLICY update_self ON forum.users FOR UPDATE
  USING (id = forum.current_user_id())
  WITH CHECK (id = forum.current_user_id());
GRANT SELECT ON forum.users TO forum_web;
GRANT UPDATE (username) ON forum.users TO forum_web;

ALTER TABLE forum.organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_member ON forum.organizations FOR SELECT
  USING (id IN (SELECT forum.current_user_member_organization_ids()));
CREATE POLICY select_invited ON forum.organizations FOR SELECT
  USING (id IN (SELECT forum.current_user_invited_organization_ids()));
-- NEAR-MISS: UPDATE without WITH CHECK — USING demands an owner membership correlated on the qualified organizations.id, and forum_web may update only the name column, so an owner cannot re-key or move the row.
CREATE POLICY update_owner ON forum.organizations FOR UPDATE
  USING (EXISTS (
    SELECT 1
    FROM forum.organization_memberships m
    WHERE m.organization_id = organizations.id
      AND m.user_id = forum.current_user_id()
      AND m.is_owner
  ));
GRANT SELECT ON forum.organizations TO forum_web;
GRANT UPDATE (name) ON forum.organizations TO forum_web;

ALTER TABLE forum.organization_memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_member ON forum.organization_memberships FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_member_organization_ids()));
CREATE POLICY select_invited ON forum.organization_memberships FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_invited_organization_ids()));
-- DEFECT: membership self-grant — the check looks only at user_id, so a tenant-A user runs a plain INSERT of (organization_id = B, user_id = self, is_owner = true) and current_user_member_organization_ids() then hands them every board, thread and post of tenant B.
CREATE POLICY insert_self ON forum.organization_memberships FOR INSERT
  WITH CHECK (user_id = forum.current_user_id());
-- NEAR-MISS: membership self-grant — a DELETE keyed on user_id only lets a user leave an organization, never join one.
CREATE POLICY delete_self ON forum.organization_memberships FOR DELETE
  USING (user_id = forum.current_user_id() AND NOT is_owner);
GRANT SELECT, INSERT, DELETE ON forum.organization_memberships TO forum_web;

ALTER TABLE forum.organization_invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_own ON forum.organization_invitations FOR SELECT
  USING (user_id = forum.current_user_id());
CREATE POLICY select_owner ON forum.organization_invitations FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_owned_organization_ids()));
GRANT SELECT ON forum.organization_invitations TO forum_web;

-- ---------------------------------------------------------------------
-- Boards, threads, posts, reactions, moderation flags (tenant data)
-- ---------------------------------------------------------------------
CREATE TABLE forum.boards (
  id              bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES forum.organizations (id) ON DELETE CASCADE,
  slug            text NOT NULL,
  title           text NOT NULL,
  is_archived     boolean NOT NULL DEFAULT false,
  UNIQUE (organization_id, slug),
  UNIQUE (organization_id, id)
);

CREATE TABLE forum.threads (
  id              bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES forum.organizations (id) ON DELETE CASCADE,
  board_id        bigint NOT NULL,
  author_id       uuid NOT NULL DEFAULT forum.current_user_id() REFERENCES forum.users (id),
  title           text NOT NULL,
  body            text NOT NULL DEFAULT '',
  is_locked       boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  -- NEAR-MISS: FK without tenant column — the board reference carries organization_id, so a thread can only point at a board of its own organization.
  FOREIGN KEY (organization_id, board_id) REFERENCES forum.boards (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX threads_org_board_idx ON forum.threads (organization_id, board_id);
CREATE INDEX threads_author_idx ON forum.threads (author_id);

CREATE TABLE forum.posts (
  id              bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES forum.organizations (id) ON DELETE CASCADE,
  -- DEFECT: FK without tenant column — insert_member checks posts.organization_id only, so a tenant-A member inserts a post with organization_id = A and thread_id = one of B's sequential thread ids; the FK check ignores RLS, so the post hangs under B's thread, deleting that thread in B silently cascades into A's rows, and failed inserts reveal which B thread ids exist.
  thread_id       bigint NOT NULL REFERENCES forum.threads (id) ON DELETE CASCADE,
  author_id       uuid NOT NULL DEFAULT forum.current_user_id() REFERENCES forum.users (id),
  body            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id)
);
CREATE INDEX posts_thread_id_idx ON forum.posts (thread_id);
CREATE INDEX posts_author_idx ON forum.posts (author_id);

CREATE TABLE forum.reactions (
  organization_id uuid NOT NULL,
  post_id         bigint NOT NULL,
  user_id         uuid NOT NULL DEFAULT forum.current_user_id() REFERENCES forum.users (id) ON DELETE CASCADE,
  emoji           text NOT NULL CHECK (char_length(emoji) <= 16),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, post_id, user_id, emoji),
  -- NEAR-MISS: FK without tenant column — composite (organization_id, post_id) key, so a reaction cannot be attached to another tenant's post.
  FOREIGN KEY (organization_id, post_id) REFERENCES forum.posts (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX reactions_user_idx ON forum.reactions (user_id);

CREATE TABLE forum.moderation_flags (
  id              bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  organization_id uuid NOT NULL,
  post_id         bigint NOT NULL,
  reporter_id     uuid NOT NULL DEFAULT forum.current_user_id() REFERENCES forum.users (id),
  reason          text NOT NULL,
  resolved        boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (organization_id, post_id) REFERENCES forum.posts (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX moderation_flags_org_post_idx ON forum.moderation_flags (organization_id, post_id);

-- NEAR-MISS: login role owns tables without FORCE RLS — the tables belong to forum_owner, a NOLOGIN role that requests never run as (they run as forum_web), so leaving FORCE off does not let the web path skip the policies.
ALTER TABLE forum.boards ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_member ON forum.boards FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_member_organization_ids()));
CREATE POLICY manage_owner ON forum.boards FOR ALL
  USING (organization_id IN (SELECT forum.current_user_owned_organization_ids()))
  WITH CHECK (organization_id IN (SELECT forum.current_user_owned_organization_ids()));
GRANT SELECT, INSERT, UPDATE, DELETE ON forum.boards TO forum_web;

ALTER TABLE forum.threads ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_member ON forum.threads FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_member_organization_ids()));
CREATE POLICY insert_member ON forum.threads FOR INSERT
  WITH CHECK (
    author_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  );
-- DEFECT: UPDATE without WITH CHECK — USING (reused as the check) looks only at author_id and forum_web holds table-wide UPDATE, so an author in tenant A who runs UPDATE forum.threads SET organization_id = B, board_id = <one of B's sequential board ids> with no WHERE/RETURNING (so no SELECT policy is applied to the new row) plants their threads in tenant B.
CREATE POLICY update_author ON forum.threads FOR UPDATE
  USING (author_id = forum.current_user_id());
CREATE POLICY delete_author ON forum.threads FOR DELETE
  USING (
    author_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  );
GRANT SELECT, INSERT, UPDATE, DELETE ON forum.threads TO forum_web;

ALTER TABLE forum.posts ENABLE ROW LEVEL SECURITY;
-- DEFECT: column capture — inside the sub-select the bare organization_id binds to m.organization_id, so the test is m.organization_id = m.organization_id and anyone holding a membership in tenant A reads every post of tenant B.
CREATE POLICY select_member ON forum.posts FOR SELECT
  USING (EXISTS (
    SELECT 1
    FROM forum.organization_memberships m
    WHERE m.user_id = forum.current_user_id()
      AND m.organization_id = organization_id
  ));
CREATE POLICY insert_member ON forum.posts FOR INSERT
  WITH CHECK (
    author_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  );
-- NEAR-MISS: UPDATE without WITH CHECK — here the WITH CHECK repeats the tenant test and forum_web may update only the body column.
CREATE POLICY update_author ON forum.posts FOR UPDATE
  USING (
    author_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  )
  WITH CHECK (
    author_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  );
GRANT SELECT, INSERT ON forum.posts TO forum_web;
GRANT UPDATE (body) ON forum.posts TO forum_web;

ALTER TABLE forum.reactions ENABLE ROW LEVEL SECURITY;
CREATE POLICY select_member ON forum.reactions FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_member_organization_ids()));
CREATE POLICY insert_own ON forum.reactions FOR INSERT
  WITH CHECK (
    user_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  );
CREATE POLICY delete_own ON forum.reactions FOR DELETE
  USING (user_id = forum.current_user_id());
GRANT SELECT, INSERT, DELETE ON forum.reactions TO forum_web;

ALTER TABLE forum.moderation_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY insert_member ON forum.moderation_flags FOR INSERT
  WITH CHECK (
    reporter_id = forum.current_user_id()
    AND organization_id IN (SELECT forum.current_user_member_organization_ids())
  );
CREATE POLICY select_owner ON forum.moderation_flags FOR SELECT
  USING (organization_id IN (SELECT forum.current_user_owned_organization_ids()));
-- NEAR-MISS: column capture — the correlated column is written moderation_flags.organization_id, so it binds to the outer row and only owners of that flag's organization match.
CREATE POLICY resolve_owner ON forum.moderation_flags FOR UPDATE
  USING (EXISTS (
    SELECT 1
    FROM forum.organization_memberships m
    WHERE m.user_id = forum.current_user_id()
      AND m.is_owner
      AND m.organization_id = moderation_flags.organization_id
  ))
  WITH CHECK (EXISTS (
    SELECT 1
    FROM forum.organization_memberships m
    WHERE m.user_id = forum.current_user_id()
      AND m.is_owner
      AND m.organization_id = moderation_flags.organization_id
  ));
GRANT SELECT, INSERT ON forum.moderation_flags TO forum_web;
GRANT UPDATE (resolved) ON forum.moderation_flags TO forum_web;

-- ---------------------------------------------------------------------
-- GraphQL mutations / computed queries (SECURITY DEFINER)
-- ---------------------------------------------------------------------

-- NEAR-MISS: membership self-grant — create_organization inserts an owner membership only for the organization it has just created, keyed to current_user_id(), never to a caller-supplied organization.
CREATE FUNCTION forum.create_organization(p_slug text, p_name text)
RETURNS forum.organizations
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_org forum.organizations;
BEGIN
  IF forum.current_user_id() IS NULL THEN
    RAISE EXCEPTION 'You must log in to create an organization' USING ERRCODE = '28000';
  END IF;
  INSERT INTO forum.organizations (slug, name)
    VALUES (p_slug, p_name)
    RETURNING * INTO v_org;
  INSERT INTO forum.organization_memberships (organization_id, user_id, is_owner, is_billing_contact)
    VALUES (v_org.id, forum.current_user_id(), true, true);
  RETURN v_org;
END;
$$;

-- NEAR-MISS: SECURITY DEFINER by argument — selects by invitation id but refuses unless the invitation names the caller or the caller presents its secret code.
CREATE FUNCTION forum.organization_for_invitation(p_invitation_id uuid, p_code text DEFAULT NULL)
RETURNS forum.organizations
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_invitation forum.organization_invitations;
  v_org forum.organizations;
BEGIN
  IF forum.current_user_id() IS NULL THEN
    RAISE EXCEPTION 'You must log in to view an invitation' USING ERRCODE = '28000';
  END IF;
  SELECT * INTO v_invitation FROM forum.organization_invitations i WHERE i.id = p_invitation_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Invitation not found' USING ERRCODE = 'P0002';
  END IF;
  IF v_invitation.user_id IS NOT NULL THEN
    IF v_invitation.user_id IS DISTINCT FROM forum.current_user_id() THEN
      RAISE EXCEPTION 'That invitation is not for you' USING ERRCODE = '42501';
    END IF;
  ELSIF v_invitation.code IS DISTINCT FROM p_code THEN
    RAISE EXCEPTION 'Incorrect invitation code' USING ERRCODE = '42501';
  END IF;
  SELECT * INTO v_org FROM forum.organizations o WHERE o.id = v_invitation.organization_id;
  RETURN v_org;
END;
$$;

-- DEFECT: SECURITY DEFINER by argument — runs as forum_owner (which skips RLS on tables it owns), filters only on the argument and never checks the caller's membership, and forum_web can EXECUTE it, so a tenant-A user passes B's organization id and reads B's thread titles and author e-mails.
CREATE FUNCTION forum.board_activity_report(p_organization_id uuid)
RETURNS TABLE (board_slug text, thread_title text, author_email text, post_count bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT b.slug, t.title, u.email, count(p.id)
  FROM forum.threads t
  JOIN forum.boards b ON b.id = t.board_id
  JOIN forum.users u ON u.id = t.author_id
  LEFT JOIN forum.posts p ON p.thread_id = t.id
  WHERE t.organization_id = p_organization_id
  GROUP BY b.slug, t.title, u.email
$$;

GRANT EXECUTE ON FUNCTION forum.create_organization(text, text) TO forum_web;
GRANT EXECUTE ON FUNCTION forum.organization_for_invitation(uuid, text) TO forum_web;
GRANT EXECUTE ON FUNCTION forum.board_activity_report(uuid) TO forum_web;

RESET ROLE;

-- ---------------------------------------------------------------------
-- Seed data (loaded by the superuser running this file)
-- ---------------------------------------------------------------------
INSERT INTO forum.users (id, username, email, is_verified) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'alice',  'alice@acme.test',     true),
  ('a0000000-0000-4000-8000-000000000002', 'arnold', 'arnold@acme.test',    true),
  ('b0000000-0000-4000-8000-000000000001', 'bianca', 'bianca@bluebird.test', true),
  ('b0000000-0000-4000-8000-000000000002', 'bruno',  'bruno@bluebird.test',  true);

INSERT INTO forum.sessions (uuid, user_id) VALUES
  ('5e551000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000001'),
  ('5e551000-0000-4000-8000-0000000000a2', 'a0000000-0000-4000-8000-000000000002'),
  ('5e551000-0000-4000-8000-0000000000b1', 'b0000000-0000-4000-8000-000000000001'),
  ('5e551000-0000-4000-8000-0000000000b2', 'b0000000-0000-4000-8000-000000000002');

INSERT INTO forum.organizations (id, slug, name) VALUES
  ('11111111-1111-4111-8111-111111111111', 'acme',     'Acme Rockets'),
  ('22222222-2222-4222-8222-222222222222', 'bluebird', 'Bluebird Bakery');

INSERT INTO forum.organization_memberships (organization_id, user_id, is_owner, is_billing_contact) VALUES
  ('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000001', true,  true),
  ('11111111-1111-4111-8111-111111111111', 'a0000000-0000-4000-8000-000000000002', false, false),
  ('22222222-2222-4222-8222-222222222222', 'b0000000-0000-4000-8000-000000000001', true,  true),
  ('22222222-2222-4222-8222-222222222222', 'b0000000-0000-4000-8000-000000000002', false, false);

INSERT INTO forum.organization_invitations (id, organization_id, email, code) VALUES
  ('1a000000-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'newhire@acme.test',     'acme-7f3a9c'),
  ('1b000000-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'newhire@bluebird.test', 'blue-02be4d');

INSERT INTO forum.boards (id, organization_id, slug, title) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 'general', 'General'),
  (2, '11111111-1111-4111-8111-111111111111', 'launch',  'Launch planning'),
  (3, '22222222-2222-4222-8222-222222222222', 'general', 'General'),
  (4, '22222222-2222-4222-8222-222222222222', 'recipes', 'Secret recipes');

INSERT INTO forum.threads (id, organization_id, board_id, author_id, title, body) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 'a0000000-0000-4000-8000-000000000001', 'Welcome to Acme',   'Say hi.'),
  (2, '11111111-1111-4111-8111-111111111111', 2, 'a0000000-0000-4000-8000-000000000002', 'Fuel budget Q3',    'Numbers inside.'),
  (3, '22222222-2222-4222-8222-222222222222', 3, 'b0000000-0000-4000-8000-000000000001', 'Welcome bakers',    'Flour everywhere.'),
  (4, '22222222-2222-4222-8222-222222222222', 4, 'b0000000-0000-4000-8000-000000000002', 'Sourdough starter', 'Do not share.');

INSERT INTO forum.posts (id, organization_id, thread_id, author_id, body) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 1, 'a0000000-0000-4000-8000-000000000002', 'Hello from arnold'),
  (2, '11111111-1111-4111-8111-111111111111', 2, 'a0000000-0000-4000-8000-000000000001', 'Budget approved'),
  (3, '11111111-1111-4111-8111-111111111111', 2, 'a0000000-0000-4000-8000-000000000002', 'Thanks'),
  (4, '22222222-2222-4222-8222-222222222222', 3, 'b0000000-0000-4000-8000-000000000002', 'Hello from bruno'),
  (5, '22222222-2222-4222-8222-222222222222', 4, 'b0000000-0000-4000-8000-000000000001', 'Hydration 78 percent'),
  (6, '22222222-2222-4222-8222-222222222222', 4, 'b0000000-0000-4000-8000-000000000002', 'Feed it rye');

INSERT INTO forum.reactions (organization_id, post_id, user_id, emoji) VALUES
  ('11111111-1111-4111-8111-111111111111', 1, 'a0000000-0000-4000-8000-000000000001', 'wave'),
  ('11111111-1111-4111-8111-111111111111', 2, 'a0000000-0000-4000-8000-000000000002', 'tada'),
  ('22222222-2222-4222-8222-222222222222', 4, 'b0000000-0000-4000-8000-000000000001', 'wave'),
  ('22222222-2222-4222-8222-222222222222', 5, 'b0000000-0000-4000-8000-000000000002', 'bread');

INSERT INTO forum.moderation_flags (id, organization_id, post_id, reporter_id, reason) VALUES
  (1, '11111111-1111-4111-8111-111111111111', 3, 'a0000000-0000-4000-8000-000000000001', 'off topic'),
  (2, '22222222-2222-4222-8222-222222222222', 6, 'b0000000-0000-4000-8000-000000000001', 'leaks the recipe');

-- ---------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- ---------------------------------------------------------------------
-- Every request runs as forum_web with the session uuid that the pgSettings
-- hook puts in jwt.claims.session_id: 5e551000-...-a1 is alice (owner in
-- A), ...-a2 arnold (member in A), ...-b1 bianca (owner in B), ...-b2 bruno
-- (member in B). rows_as rolls every write back. A request of several
-- statements is passed as one list that opens with the request's own
-- set_config; rows_as counts the last statement.

-- NEAR-MISS (sub-select on table without SELECT, sessions): alice's request
-- resolves her user through current_user_id() without a permission error
-- (she sees herself and arnold), yet reading sessions directly is refused.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true)$$,
  'SELECT count(*) FROM forum.users', 2);
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true); SELECT count(*) FROM forum.sessions$$,
  '42501');

-- NEAR-MISS (SECURITY DEFINER by argument, current_user_id()): it resolves
-- alice's own session to alice, and a guessed session uuid to nobody.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true)$$,
  $$SELECT count(*) WHERE forum.current_user_id() = 'a0000000-0000-4000-8000-000000000001'$$, 1);
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000ff', true)$$,
  'SELECT count(forum.current_user_id())', 0);

-- NEAR-MISS (UPDATE without WITH CHECK, organizations update_owner): the
-- owner alice renames only her own organization, the member arnold none,
-- and no one may touch the key.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true)$$,
  $$UPDATE forum.organizations SET name = 'Acme Rockets Inc'$$, 1);
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true)$$,
  $$UPDATE forum.organizations SET name = 'Acme Rockets Inc'$$, 0);
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true); UPDATE forum.organizations SET id = '22222222-2222-4222-8222-222222222222'$$,
  '42501');

-- DEFECT (membership self-grant, insert_self): alice (tenant A) inserts an
-- owner membership in B and her next statement lists B's two threads.
SELECT pg_temp.rows_as('forum_web', '',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true);
    INSERT INTO forum.organization_memberships (organization_id, user_id, is_owner)
      VALUES ('22222222-2222-4222-8222-222222222222', 'a0000000-0000-4000-8000-000000000001', true);
    SELECT count(*) FROM forum.threads WHERE organization_id = '22222222-2222-4222-8222-222222222222'$$, 2);

-- NEAR-MISS (membership self-grant, delete_self): arnold's unfiltered
-- DELETE removes only his own membership; the owner alice removes none.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true)$$,
  'DELETE FROM forum.organization_memberships', 1);
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true)$$,
  'DELETE FROM forum.organization_memberships', 0);

-- NEAR-MISS (FK without tenant column, threads -> boards): arnold cannot
-- open a tenant-A thread on B's board 3.
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true);
    INSERT INTO forum.threads (organization_id, board_id, title)
      VALUES ('11111111-1111-4111-8111-111111111111', 3, 'Hello bakers')$$,
  '23503');

-- DEFECT (FK without tenant column, posts.thread_id): arnold's tenant-A
-- post is accepted under B's thread 4, while an unused thread id is
-- rejected, which tells him which of B's thread ids exist.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true)$$,
  $$INSERT INTO forum.posts (organization_id, thread_id, body)
      VALUES ('11111111-1111-4111-8111-111111111111', 4, 'Nice starter')$$, 1);
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true);
    INSERT INTO forum.posts (organization_id, thread_id, body)
      VALUES ('11111111-1111-4111-8111-111111111111', 999, 'Anyone here?')$$,
  '23503');

-- NEAR-MISS (FK without tenant column, reactions -> posts): alice cannot
-- react, as tenant A, to B's post 4.
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true);
    INSERT INTO forum.reactions (organization_id, post_id, emoji)
      VALUES ('11111111-1111-4111-8111-111111111111', 4, 'eyes')$$,
  '23503');

-- NEAR-MISS (login role owns tables without FORCE RLS, forum_owner): the
-- web path is filtered (arnold sees A's two boards of four), and the owner
-- can neither log in nor be reached from the role PostGraphile logs in as.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true)$$,
  'SELECT count(*) FROM forum.boards', 2);
SELECT pg_temp.rows_as('forum_authenticator', '',
  $$SELECT count(*) FROM pg_catalog.pg_roles r
    WHERE r.rolname = 'forum_owner'
      AND (r.rolcanlogin OR pg_catalog.pg_has_role('forum_authenticator', r.oid, 'MEMBER'))$$, 0);

-- DEFECT (UPDATE without WITH CHECK, threads update_author): arnold moves
-- his thread onto B's board 3 with an unfiltered UPDATE; bianca's next
-- request in B then lists three threads instead of two.
SELECT pg_temp.rows_as('forum_web', '',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true);
    UPDATE forum.threads SET organization_id = '22222222-2222-4222-8222-222222222222', board_id = 3;
    SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000b1', true);
    SELECT count(*) FROM forum.threads WHERE organization_id = '22222222-2222-4222-8222-222222222222'$$, 3);

-- DEFECT (column capture, posts select_member): arnold, a member of A only,
-- reads all three of B's posts.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true)$$,
  $$SELECT count(*) FROM forum.posts WHERE organization_id = '22222222-2222-4222-8222-222222222222'$$, 3);

-- NEAR-MISS (UPDATE without WITH CHECK, posts update_author): arnold edits
-- only his own two posts in A, and may not touch organization_id.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true)$$,
  $$UPDATE forum.posts SET body = body || ' (edited)'$$, 2);
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a2', true);
    UPDATE forum.posts SET organization_id = '22222222-2222-4222-8222-222222222222'$$,
  '42501');

-- NEAR-MISS (column capture, moderation_flags resolve_owner): alice, owner
-- of A, resolves A's flag only, not B's.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true)$$,
  'UPDATE forum.moderation_flags SET resolved = true', 1);

-- NEAR-MISS (membership self-grant, create_organization): after creating
-- an organization alice sees A and the new one; B stays hidden.
SELECT pg_temp.rows_as('forum_web', '',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true);
    SELECT forum.create_organization('acme-labs', 'Acme Labs');
    SELECT count(*) FROM forum.organizations$$, 2);

-- NEAR-MISS (SECURITY DEFINER by argument, organization_for_invitation):
-- alice cannot open B's e-mail invitation without its code.
SELECT pg_temp.expect('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true);
    SELECT forum.organization_for_invitation('1b000000-0000-4000-8000-000000000001', 'blue-000000')$$,
  '42501');

-- DEFECT (SECURITY DEFINER by argument, board_activity_report): alice
-- passes B's id and gets B's two thread titles and author e-mails.
SELECT pg_temp.rows_as('forum_web',
  $$SELECT set_config('jwt.claims.session_id', '5e551000-0000-4000-8000-0000000000a1', true)$$,
  $$SELECT count(*) FROM forum.board_activity_report('22222222-2222-4222-8222-222222222222')$$, 2);
