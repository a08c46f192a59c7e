-- =============================================================================
-- 03_helpdesk.sql: "Deskly", a multi-tenant customer-support desk on Supabase.
--
-- Each organization (tenant) runs a support site. Agents (helpdesk.agents, with a
-- role: admin / agent / light) and customers both sign in through Supabase Auth;
-- a custom access-token hook puts the organization of the site in app_metadata,
-- so identity.get_current_org_id() is the tenant for both. Agent-only data is
-- additionally gated on the caller having an agents row (helper in the private,
-- non-exposed schema helpdesk_private). Dashboards call RPCs over PostgREST.
-- Tenant column: org_id.
--
-- Patterns studied (written from scratch, nothing copied):
--   Cap-go/capgo.app issue #1737 (SECURITY DEFINER functions taking org_id, granted to
--     authenticated, that never check the caller belongs to that org: metrics, plan, usage)
--   ansvisor/ansvisor issues #115 and #779 / PR #780 (aggregate RPCs as SECURITY DEFINER
--     filtered only by a caller-supplied brand/org id; fix: an "allowed" membership guard)
--   supabase/agent-skills issue #499 and PR #409 (RLS helper in a private schema whose
--     EXECUTE was revoked from authenticated: "permission denied for function" on every query)
--   supabase/auth issue #944 (a documented policy sub-selecting auth.mfa_factors fails with
--     "permission denied" for authenticated; same failure for sub-selects on auth.users)
--   Dev-5804/ITAM:supabase/migrations/002_fix_invitation_rls.sql (matching the caller by
--     auth.email() instead of reading auth.users)
--   EvgeniiGolovanev/lockstock:supabase/migrations/202602240110_fix_is_org_member_rls.sql
--     (definer membership helper: revoke all from public, grant execute to authenticated)
--   tambo-ai/tambo-cloud:packages/db/migrations/0013_spooky_ultimo.sql
--     (FOR ALL policy on a member table using only user_id = auth.uid(), no WITH CHECK)
--   supabase/supabase:apps/docs/content/guides/database/postgres/row-level-security.mdx
--     (UPDATE policies need WITH CHECK; "security definer" helpers for policies)
--
-- Assumes the prelude: roles anon / authenticated / service_role, schema auth
-- with auth.uid() / auth.jwt() / auth.role() / auth.email(), extension
-- tenant_guard (identity.get_current_org_id()).
-- Tenant A = 11111111-1111-4111-8111-111111111111, tenant B = 22222222-2222-4222-8222-222222222222.
-- =============================================================================
-- CLIENT ROLES: anon,authenticated

-- Supabase's auth.users, reduced to what this schema needs. Never exposed to
-- the API roles (as on Supabase).
CREATE TABLE IF NOT EXISTS auth.users (
  id                 uuid PRIMARY KEY,
  email              text,
  raw_user_meta_data jsonb
);
REVOKE ALL ON auth.users FROM anon, authenticated;

INSERT INTO auth.users (id, email, raw_user_meta_data) VALUES
  ('d1000000-0000-4000-8000-000000000001', 'amy@alpha-support.example',  '{"name": "Amy (A, admin)"}'),
  ('d1000000-0000-4000-8000-000000000002', 'abe@alpha-support.example',  '{"name": "Abe (A, agent)"}'),
  ('d1000000-0000-4000-8000-000000000003', 'carla@customer.example',     '{"name": "Carla (customer of A)"}'),
  ('d2000000-0000-4000-8000-000000000001', 'ben@beta-support.example',   '{"name": "Ben (B, admin)"}'),
  ('d2000000-0000-4000-8000-000000000003', 'dora@customer.example',      '{"name": "Dora (customer of B)"}')
ON CONFLICT (id) DO NOTHING;

CREATE SCHEMA helpdesk;
GRANT USAGE ON SCHEMA helpdesk TO anon, authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA helpdesk GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;

-- Private helpers: not in the exposed schemas, no USAGE for the API roles.
CREATE SCHEMA helpdesk_private;

-- -----------------------------------------------------------------------------
-- Organizations and agents
-- -----------------------------------------------------------------------------
CREATE TABLE helpdesk.organizations (
  id            uuid PRIMARY KEY,
  name          text NOT NULL,
  support_email text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE helpdesk.organizations ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON helpdesk.organizations TO authenticated;
CREATE POLICY organizations_current ON helpdesk.organizations FOR SELECT TO authenticated
  USING (id = (SELECT identity.get_current_org_id()));

CREATE TABLE helpdesk.agents (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  user_id      uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  role         text NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent', 'light')),
  display_name text NOT NULL,
  signature    text,
  active       boolean NOT NULL DEFAULT true,
  UNIQUE (org_id, user_id),
  UNIQUE (id, org_id)
);
CREATE INDEX agents_user_id_idx ON helpdesk.agents (user_id);

-- The caller's agent role in the current organization (NULL for customers).
CREATE FUNCTION helpdesk_private.current_agent_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT a.role FROM helpdesk.agents a
  WHERE a.user_id = (SELECT auth.uid())
    AND a.org_id = (SELECT identity.get_current_org_id())
    AND a.active;
$$;
-- NEAR-MISS: policy helper privileges — EXECUTE is revoked from PUBLIC but granted back to authenticated, the role that evaluates the policies; that authenticated has no USAGE on helpdesk_private does not matter, since a stored policy refers to the function by OID.
REVOKE ALL ON FUNCTION helpdesk_private.current_agent_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION helpdesk_private.current_agent_role() TO authenticated;

CREATE FUNCTION helpdesk_private.is_org_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT coalesce((SELECT helpdesk_private.current_agent_role()) = 'admin', false);
$$;
-- DEFECT: policy helper without EXECUTE — a later "harden definer functions" migration revoked EXECUTE from every API role, but sla_policies' policy calls this helper as the querying role, so every read or write of sla_policies by authenticated (admins included) fails with 42501 "permission denied for function is_org_admin".
REVOKE EXECUTE ON FUNCTION helpdesk_private.is_org_admin() FROM PUBLIC, anon, authenticated;

ALTER TABLE helpdesk.agents ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON helpdesk.agents TO authenticated;
CREATE POLICY agents_same_org ON helpdesk.agents FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
-- DEFECT: UPDATE without WITH CHECK — meant for editing one's display name and signature, but USING checks only user_id and is reused as the check on the new row: an agent of A sets role = 'admin' on his own row, and an agent with no assigned tickets runs a bare UPDATE agents SET org_id = '22222222-…' (no WHERE, so the SELECT policy is not consulted), after which the access-token hook, which reads agents, issues him tenant B's org_id.
CREATE POLICY agents_edit_self ON helpdesk.agents FOR UPDATE TO authenticated
  USING (user_id = (SELECT auth.uid()));

-- -----------------------------------------------------------------------------
-- Customers and tickets
-- -----------------------------------------------------------------------------
CREATE TABLE helpdesk.customers (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  email      text NOT NULL,
  full_name  text,
  company    text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, email),
  UNIQUE (id, org_id)
);
ALTER TABLE helpdesk.customers ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON helpdesk.customers TO authenticated;
CREATE POLICY customers_agents ON helpdesk.customers FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL)
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL);

CREATE TABLE helpdesk.tickets (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id            uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  customer_id       uuid,
  requester_email   text NOT NULL,
  assignee_agent_id uuid,
  subject           text NOT NULL,
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'solved', 'closed', 'merged')),
  priority          text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_id),
  FOREIGN KEY (customer_id, org_id) REFERENCES helpdesk.customers (id, org_id),
  FOREIGN KEY (assignee_agent_id, org_id) REFERENCES helpdesk.agents (id, org_id)
);
CREATE INDEX tickets_org_id_status_idx ON helpdesk.tickets (org_id, status);
ALTER TABLE helpdesk.tickets ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON helpdesk.tickets TO authenticated;
-- NEAR-MISS: sub-select on a table authenticated cannot read — customers are matched by the e-mail claim (auth.email()), not by reading auth.users, so the policy needs no privilege on auth.users.
CREATE POLICY tickets_read ON helpdesk.tickets FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND ((SELECT helpdesk_private.current_agent_role()) IS NOT NULL
              OR requester_email = (SELECT auth.email())));
CREATE POLICY tickets_open ON helpdesk.tickets FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND ((SELECT helpdesk_private.current_agent_role()) IS NOT NULL
                   OR requester_email = (SELECT auth.email())));
CREATE POLICY tickets_work ON helpdesk.tickets FOR UPDATE TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND (SELECT helpdesk_private.current_agent_role()) IN ('admin', 'agent'))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND (SELECT helpdesk_private.current_agent_role()) IN ('admin', 'agent'));

CREATE TABLE helpdesk.ticket_comments (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  ticket_id      uuid NOT NULL,
  author_user_id uuid NOT NULL REFERENCES auth.users (id),
  body           text NOT NULL,
  internal       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (ticket_id, org_id) REFERENCES helpdesk.tickets (id, org_id) ON DELETE CASCADE
);
CREATE INDEX ticket_comments_org_id_idx ON helpdesk.ticket_comments (org_id, ticket_id);
ALTER TABLE helpdesk.ticket_comments ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON helpdesk.ticket_comments TO authenticated;
-- Customers see the public replies on tickets they can see (the sub-select runs
-- under tickets' own policy); agents see everything of their organization.
CREATE POLICY ticket_comments_read ON helpdesk.ticket_comments FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND ((SELECT helpdesk_private.current_agent_role()) IS NOT NULL
              OR (NOT internal AND ticket_id IN (SELECT t.id FROM helpdesk.tickets t))));
CREATE POLICY ticket_comments_write ON helpdesk.ticket_comments FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND author_user_id = (SELECT auth.uid())
              AND ((SELECT helpdesk_private.current_agent_role()) IS NOT NULL
                   OR (NOT internal AND ticket_id IN (SELECT t.id FROM helpdesk.tickets t))));

-- -----------------------------------------------------------------------------
-- Tags, macros, SLA policies, satisfaction surveys
-- -----------------------------------------------------------------------------
CREATE TABLE helpdesk.tags (
  id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  name   text NOT NULL,
  UNIQUE (org_id, name),
  UNIQUE (id, org_id)
);
ALTER TABLE helpdesk.tags ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON helpdesk.tags TO authenticated;
CREATE POLICY tags_agents ON helpdesk.tags FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL)
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL);

CREATE TABLE helpdesk.ticket_tags (
  org_id    uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  ticket_id uuid NOT NULL,
  tag_id    uuid NOT NULL,
  PRIMARY KEY (org_id, ticket_id, tag_id),
  FOREIGN KEY (ticket_id, org_id) REFERENCES helpdesk.tickets (id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (tag_id, org_id) REFERENCES helpdesk.tags (id, org_id) ON DELETE CASCADE
);
ALTER TABLE helpdesk.ticket_tags ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON helpdesk.ticket_tags TO authenticated;
CREATE POLICY ticket_tags_agents ON helpdesk.ticket_tags FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL)
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL);

CREATE TABLE helpdesk.macros (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  title      text NOT NULL,
  body       text NOT NULL,
  created_by uuid REFERENCES auth.users (id)
);
CREATE INDEX macros_org_id_idx ON helpdesk.macros (org_id);
ALTER TABLE helpdesk.macros ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON helpdesk.macros TO authenticated;
CREATE POLICY macros_agents ON helpdesk.macros FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL)
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL);

CREATE TABLE helpdesk.sla_policies (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id                 uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  priority               text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  first_response_minutes integer NOT NULL,
  resolution_minutes     integer NOT NULL,
  UNIQUE (org_id, priority)
);
ALTER TABLE helpdesk.sla_policies ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON helpdesk.sla_policies TO authenticated;
-- (the helper call here is what fails; see the DEFECT on is_org_admin above)
CREATE POLICY sla_policies_admins ON helpdesk.sla_policies FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()) AND (SELECT helpdesk_private.is_org_admin()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()) AND (SELECT helpdesk_private.is_org_admin()));

CREATE TABLE helpdesk.satisfaction_surveys (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id             uuid NOT NULL REFERENCES helpdesk.organizations (id) ON DELETE CASCADE,
  ticket_id          uuid NOT NULL,
  rating             smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
  comment            text,
  submitted_by_email text NOT NULL,
  submitted_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (ticket_id, org_id) REFERENCES helpdesk.tickets (id, org_id) ON DELETE CASCADE
);
CREATE INDEX satisfaction_surveys_org_id_idx ON helpdesk.satisfaction_surveys (org_id);
ALTER TABLE helpdesk.satisfaction_surveys ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON helpdesk.satisfaction_surveys TO authenticated;
-- DEFECT: sub-select on a table authenticated cannot SELECT — the policy reads auth.users with the caller's privileges, and authenticated has none there, so every survey query (agents' reports and customers' submissions alike) fails with 42501 "permission denied for table users".
CREATE POLICY satisfaction_surveys_rw ON helpdesk.satisfaction_surveys FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND ((SELECT helpdesk_private.current_agent_role()) IS NOT NULL
              OR submitted_by_email = (SELECT u.email FROM auth.users u WHERE u.id = (SELECT auth.uid()))))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND submitted_by_email = (SELECT u.email FROM auth.users u WHERE u.id = (SELECT auth.uid())));

-- -----------------------------------------------------------------------------
-- Dashboard RPCs (PostgREST /rpc/...)
-- -----------------------------------------------------------------------------
-- DEFECT: SECURITY DEFINER RPC without a caller check — runs as its owner (RLS skipped) and filters only by the org id the caller passes: any signed-in user, a customer of A included, posts {"p_org_id": "22222222-…"} and reads tenant B's ticket volumes and backlog age.
CREATE FUNCTION helpdesk.org_ticket_metrics(p_org_id uuid)
RETURNS TABLE (status text, tickets bigint, oldest_created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT t.status, count(*), min(t.created_at)
  FROM helpdesk.tickets t
  WHERE t.org_id = p_org_id
  GROUP BY t.status;
$$;
GRANT EXECUTE ON FUNCTION helpdesk.org_ticket_metrics(uuid) TO authenticated;

-- DEFECT: SECURITY DEFINER RPC without a caller check — nothing ties either ticket to the caller: an agent of A merges a ticket of B into one of his own, which copies B's whole conversation (internal notes included) into tenant A and closes B's ticket.
CREATE FUNCTION helpdesk.merge_tickets(p_source uuid, p_target uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  v_target_org uuid;
BEGIN
  SELECT t.org_id INTO v_target_org FROM helpdesk.tickets t WHERE t.id = p_target;
  IF v_target_org IS NULL THEN
    RAISE EXCEPTION 'target ticket % not found', p_target;
  END IF;
  INSERT INTO helpdesk.ticket_comments (org_id, ticket_id, author_user_id, body, internal, created_at)
  SELECT v_target_org, p_target, c.author_user_id, c.body, c.internal, c.created_at
  FROM helpdesk.ticket_comments c
  WHERE c.ticket_id = p_source;
  UPDATE helpdesk.tickets SET status = 'merged' WHERE id = p_source;
END
$$;
GRANT EXECUTE ON FUNCTION helpdesk.merge_tickets(uuid, uuid) TO authenticated;

-- NEAR-MISS: SECURITY DEFINER RPC — same shape as org_ticket_metrics, but the WHERE pins the argument to the caller's organization and requires an agent role, so another tenant's id returns no rows.
CREATE FUNCTION helpdesk.agent_workload(p_org_id uuid)
RETURNS TABLE (agent_id uuid, display_name text, open_tickets bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT a.id, a.display_name, count(t.id)
  FROM helpdesk.agents a
  LEFT JOIN helpdesk.tickets t
    ON t.assignee_agent_id = a.id AND t.org_id = a.org_id AND t.status IN ('open', 'pending')
  WHERE a.org_id = p_org_id
    AND p_org_id = (SELECT identity.get_current_org_id())
    AND (SELECT helpdesk_private.current_agent_role()) IS NOT NULL
  GROUP BY a.id, a.display_name;
$$;
REVOKE EXECUTE ON FUNCTION helpdesk.agent_workload(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION helpdesk.agent_workload(uuid) TO authenticated;

-- -----------------------------------------------------------------------------
-- Seed: tenants A and B
-- -----------------------------------------------------------------------------
INSERT INTO helpdesk.organizations (id, name, support_email) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Alpha Appliances', 'help@alpha-support.example'),
  ('22222222-2222-4222-8222-222222222222', 'Beta Bikes',       'help@beta-support.example');

INSERT INTO helpdesk.agents (id, org_id, user_id, role, display_name) VALUES
  ('1a000000-0000-4000-8000-0000000000a1', '11111111-1111-4111-8111-111111111111', 'd1000000-0000-4000-8000-000000000001', 'admin', 'Amy'),
  ('1a000000-0000-4000-8000-0000000000a2', '11111111-1111-4111-8111-111111111111', 'd1000000-0000-4000-8000-000000000002', 'agent', 'Abe'),
  ('2b000000-0000-4000-8000-0000000000a1', '22222222-2222-4222-8222-222222222222', 'd2000000-0000-4000-8000-000000000001', 'admin', 'Ben');

INSERT INTO helpdesk.customers (id, org_id, email, full_name, company) VALUES
  ('1a000000-0000-4000-8000-0000000000c1', '11111111-1111-4111-8111-111111111111', 'carla@customer.example', 'Carla', 'Carla''s Cafe'),
  ('2b000000-0000-4000-8000-0000000000c1', '22222222-2222-4222-8222-222222222222', 'dora@customer.example',  'Dora',  NULL);

INSERT INTO helpdesk.tickets (id, org_id, customer_id, requester_email, assignee_agent_id, subject, status, priority) VALUES
  ('1a000000-0000-4000-8000-0000000000f1', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'carla@customer.example', '1a000000-0000-4000-8000-0000000000a2', 'Espresso machine leaks', 'open',    'high'),
  ('1a000000-0000-4000-8000-0000000000f2', '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'carla@customer.example', NULL,                                   'Invoice copy',           'pending', 'low'),
  ('2b000000-0000-4000-8000-0000000000f1', '22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000c1', 'dora@customer.example',  '2b000000-0000-4000-8000-0000000000a1', 'Warranty claim, frame crack', 'open', 'urgent');

INSERT INTO helpdesk.ticket_comments (org_id, ticket_id, author_user_id, body, internal) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000f1', 'd1000000-0000-4000-8000-000000000003', 'Water under the machine every morning.', false),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000f1', 'd1000000-0000-4000-8000-000000000002', 'Gasket batch 42, known issue.', true),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000f1', 'd2000000-0000-4000-8000-000000000001', 'Customer is a lawyer, escalate.', true);

INSERT INTO helpdesk.tags (id, org_id, name) VALUES
  ('1a000000-0000-4000-8000-0000000000e1', '11111111-1111-4111-8111-111111111111', 'hardware'),
  ('2b000000-0000-4000-8000-0000000000e1', '22222222-2222-4222-8222-222222222222', 'warranty');

INSERT INTO helpdesk.ticket_tags (org_id, ticket_id, tag_id) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000f1', '1a000000-0000-4000-8000-0000000000e1'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000f1', '2b000000-0000-4000-8000-0000000000e1');

INSERT INTO helpdesk.macros (org_id, title, body, created_by) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Gasket recall', 'We will ship a replacement gasket within 3 days.', 'd1000000-0000-4000-8000-000000000001'),
  ('22222222-2222-4222-8222-222222222222', 'Warranty intake', 'Please send photos of the frame and the serial number.', 'd2000000-0000-4000-8000-000000000001');

INSERT INTO helpdesk.sla_policies (org_id, priority, first_response_minutes, resolution_minutes) VALUES
  ('11111111-1111-4111-8111-111111111111', 'high',   60,  1440),
  ('11111111-1111-4111-8111-111111111111', 'normal', 240, 4320),
  ('22222222-2222-4222-8222-222222222222', 'urgent', 15,  480);

INSERT INTO helpdesk.satisfaction_surveys (org_id, ticket_id, rating, comment, submitted_by_email) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000f2', 4, 'Quick answer', 'carla@customer.example'),
  ('22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000f1', 2, 'Slow',         'dora@customer.example');

-- -----------------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- -----------------------------------------------------------------------------
-- As authenticated with the claims the access-token hook issues (organization in
-- app_metadata); pg_temp helpers from the prelude: every rows_as is rolled
-- back, every expect below must fail.
\set amy_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"d1000000-0000-4000-8000-000000000001","role":"authenticated","email":"amy@alpha-support.example","app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}'', true)'
\set abe_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"d1000000-0000-4000-8000-000000000002","role":"authenticated","email":"abe@alpha-support.example","app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}'', true)'
\set carla_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"d1000000-0000-4000-8000-000000000003","role":"authenticated","email":"carla@customer.example","app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}'', true)'

-- NEAR-MISS policy helper privileges (current_agent_role): an agent's customer list works without USAGE on helpdesk_private.
SELECT pg_temp.rows_as('authenticated', :'abe_claims', $$SELECT count(*) FROM helpdesk.customers$$, 1);

-- DEFECT policy helper without EXECUTE (is_org_admin): even A's admin cannot read sla_policies ...
SELECT pg_temp.expect('authenticated', :'amy_claims' || $$;
  SELECT count(*) FROM helpdesk.sla_policies$$, '42501');
-- DEFECT policy helper without EXECUTE (is_org_admin): ... nor write them.
SELECT pg_temp.expect('authenticated', :'amy_claims' || $$;
  INSERT INTO helpdesk.sla_policies (org_id, priority, first_response_minutes, resolution_minutes)
  VALUES ('11111111-1111-4111-8111-111111111111', 'urgent', 30, 720)$$, '42501');

-- DEFECT UPDATE without WITH CHECK (agents_edit_self): Abe, a plain agent of A, promotes himself to admin.
SELECT pg_temp.rows_as('authenticated', :'abe_claims',
  $$UPDATE helpdesk.agents SET role = 'admin' WHERE user_id = 'd1000000-0000-4000-8000-000000000002'$$, 1);
-- DEFECT UPDATE without WITH CHECK (agents_edit_self): with a WHERE, the SELECT policy stops the move to B ...
SELECT pg_temp.expect('authenticated', :'amy_claims' || $$;
  UPDATE helpdesk.agents SET org_id = '22222222-2222-4222-8222-222222222222'
  WHERE user_id = 'd1000000-0000-4000-8000-000000000001'$$, '42501');
-- DEFECT UPDATE without WITH CHECK (agents_edit_self): ... the bare UPDATE by Amy (no assigned tickets) moves her agent row into B ...
SELECT pg_temp.rows_as('authenticated', :'amy_claims',
  $$UPDATE helpdesk.agents SET org_id = '22222222-2222-4222-8222-222222222222'$$, 1);
-- DEFECT UPDATE without WITH CHECK (agents_edit_self): ... and once her token names B (simulated here), she edits B's customers.
SELECT pg_temp.rows_as('authenticated', :'amy_claims',
  $$UPDATE helpdesk.agents SET org_id = '22222222-2222-4222-8222-222222222222';
    SELECT set_config('request.jwt.claims', '{"sub":"d1000000-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"org_id":"22222222-2222-4222-8222-222222222222"}}', true);
    UPDATE helpdesk.customers SET company = 'Planted' WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- NEAR-MISS sub-select on a table authenticated cannot read (tickets_read): Carla, a customer, reads her two tickets, no 42501.
SELECT pg_temp.rows_as('authenticated', :'carla_claims', $$SELECT count(*) FROM helpdesk.tickets$$, 2);

-- DEFECT sub-select on a table authenticated cannot SELECT (satisfaction_surveys_rw): A's admin gets 42501 on the reports ...
SELECT pg_temp.expect('authenticated', :'amy_claims' || $$;
  SELECT count(*) FROM helpdesk.satisfaction_surveys$$, '42501');
-- DEFECT sub-select on a table authenticated cannot SELECT (satisfaction_surveys_rw): ... and Carla on her own survey.
SELECT pg_temp.expect('authenticated', :'carla_claims' || $$;
  INSERT INTO helpdesk.satisfaction_surveys (org_id, ticket_id, rating, submitted_by_email)
  VALUES ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000f1', 5, 'carla@customer.example')$$, '42501');

-- DEFECT SECURITY DEFINER RPC without a caller check (org_ticket_metrics): Carla, a customer of A, reads B's ticket volume.
SELECT pg_temp.rows_as('authenticated', :'carla_claims',
  $$SELECT sum(tickets)::bigint FROM helpdesk.org_ticket_metrics('22222222-2222-4222-8222-222222222222')$$, 1);

-- DEFECT SECURITY DEFINER RPC without a caller check (merge_tickets): Abe merges B's ticket into his own and reads B's internal note ...
SELECT pg_temp.rows_as('authenticated', :'abe_claims',
  $$SELECT helpdesk.merge_tickets('2b000000-0000-4000-8000-0000000000f1', '1a000000-0000-4000-8000-0000000000f1');
    SELECT count(*) FROM helpdesk.ticket_comments
    WHERE ticket_id = '1a000000-0000-4000-8000-0000000000f1' AND internal AND body = 'Customer is a lawyer, escalate.'$$, 1);
-- DEFECT SECURITY DEFINER RPC without a caller check (merge_tickets): ... and Ben, B's admin, finds that ticket merged.
SELECT pg_temp.rows_as('authenticated', :'abe_claims',
  $$SELECT helpdesk.merge_tickets('2b000000-0000-4000-8000-0000000000f1', '1a000000-0000-4000-8000-0000000000f1');
    SELECT set_config('request.jwt.claims', '{"sub":"d2000000-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"org_id":"22222222-2222-4222-8222-222222222222"}}', true);
    SELECT count(*) FROM helpdesk.tickets WHERE id = '2b000000-0000-4000-8000-0000000000f1' AND status = 'merged'$$, 1);

-- NEAR-MISS SECURITY DEFINER RPC (agent_workload): Abe gets A's two agents ...
SELECT pg_temp.rows_as('authenticated', :'abe_claims',
  $$SELECT count(*) FROM helpdesk.agent_workload('11111111-1111-4111-8111-111111111111')$$, 2);
-- NEAR-MISS SECURITY DEFINER RPC (agent_workload): ... nothing for B's id ...
SELECT pg_temp.rows_as('authenticated', :'abe_claims',
  $$SELECT count(*) FROM helpdesk.agent_workload('22222222-2222-4222-8222-222222222222')$$, 0);
-- NEAR-MISS SECURITY DEFINER RPC (agent_workload): ... and nothing for a customer.
SELECT pg_temp.rows_as('authenticated', :'carla_claims',
  $$SELECT count(*) FROM helpdesk.agent_workload('11111111-1111-4111-8111-111111111111')$$, 0);
