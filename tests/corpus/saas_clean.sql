-- tenant_guard audit corpus: "Trellis", a multi-tenant project-management
-- SaaS whose migrations follow every rule tenant_guard checks. Written for
-- the audit corpus test (tests/pg_regress/sql/audit_corpus.sql):
--   tenant_guard.audit(ARRAY['app', 'billing'])
-- must report no finding at level warn or error. Info findings are allowed
-- only where a line below documents them:
--   -- EXPECT: <code> <schema>[.<object>][ <policy>]
-- (tests/corpus/check_expectations.py checks both directions).
--
-- The rules followed:
--   * one tenant column name, org_id uuid NOT NULL, FK to app.organizations,
--     and an index leading with it on every tenant table;
--   * RLS enabled on every table; one permissive policy per table,
--     FOR ALL TO authenticated, with the same shape everywhere:
--       USING / WITH CHECK (org_id = (SELECT identity.get_current_org_id()))
--     (narrowing rules are AS RESTRICTIVE, never a second permissive policy);
--   * claims are read only through identity.*, wrapped in (SELECT ...);
--   * grants: USAGE plus table privileges for authenticated on every table,
--     also through ALTER DEFAULT PRIVILEGES for tables created later; anon
--     gets nothing (no anonymous feature);
--   * created_at / updated_at are timestamptz everywhere;
--   * views are security_invoker; SECURITY DEFINER functions pin search_path.
-- Accepted: foreign keys between tenant tables reference uuid ids without the
-- tenant column (info cross_tenant_foreign_key: linking another tenant's row
-- needs its leaked id; composite keys would close it).
-- Tables: app 12, billing 7 (19), plus 1 view.

------------------------------------------------------------------------------
-- 20250201_000000_roles.sql
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

-- Claims come from request.jwt.claims (PostgREST), a setting any session can
-- set: reported once, as info, until in-database JWT verification lands.
-- EXPECT: untrusted_claim_source identity.get_current_org_id
CREATE EXTENSION IF NOT EXISTS tenant_guard;

------------------------------------------------------------------------------
-- 20250201_000100_schemas.sql
------------------------------------------------------------------------------
CREATE SCHEMA app;
CREATE SCHEMA billing;
GRANT USAGE ON SCHEMA app, billing TO authenticated, service_role;

ALTER DEFAULT PRIVILEGES IN SCHEMA app
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA app
  GRANT ALL ON TABLES TO service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA billing
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA billing
  GRANT ALL ON TABLES TO service_role;

------------------------------------------------------------------------------
-- 20250202_090000_organizations_and_members.sql
------------------------------------------------------------------------------
CREATE TABLE app.organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL,
  slug       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE app.organizations ENABLE ROW LEVEL SECURITY;
-- The tenant root: a member reads and renames its own organization only;
-- organizations are created by app.create_organization() below.
CREATE POLICY organizations_tenant ON app.organizations
  FOR ALL TO authenticated
  USING (id = (SELECT identity.get_current_org_id()))
  WITH CHECK (id = (SELECT identity.get_current_org_id()));
REVOKE INSERT, DELETE ON app.organizations FROM authenticated;

CREATE TABLE app.members (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL,
  role       text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, user_id)
);
ALTER TABLE app.members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_tenant ON app.members
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
-- Only owners and admins change the member list (narrowing rules: restrictive).
-- The caller's member role comes from app.members through a definer helper:
-- it runs as the owner (exempt from RLS), so it does not recurse into these
-- policies, and it pins search_path.
CREATE FUNCTION app.current_member_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
  SELECT m.role FROM app.members m
   WHERE m.org_id = identity.get_current_org_id()
     AND m.user_id = identity.get_current_user_id()
$$;
REVOKE EXECUTE ON FUNCTION app.current_member_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.current_member_role() TO authenticated;

CREATE POLICY members_admins_insert ON app.members
  AS RESTRICTIVE FOR INSERT TO authenticated
  WITH CHECK ((SELECT app.current_member_role()) IN ('owner', 'admin'));
CREATE POLICY members_admins_update ON app.members
  AS RESTRICTIVE FOR UPDATE TO authenticated
  USING ((SELECT app.current_member_role()) IN ('owner', 'admin'));
CREATE POLICY members_admins_delete ON app.members
  AS RESTRICTIVE FOR DELETE TO authenticated
  USING ((SELECT app.current_member_role()) IN ('owner', 'admin'));

CREATE TABLE app.invitations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  email       text NOT NULL,
  role        text NOT NULL DEFAULT 'member',
  token_hash  text NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL DEFAULT now() + interval '7 days',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_org_id_idx ON app.invitations (org_id);
ALTER TABLE app.invitations ENABLE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant ON app.invitations
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- Sign-up creates the organization and its first member before the caller
-- has a tenant claim: a definer function, pinned search_path, executable by
-- authenticated only.
CREATE FUNCTION app.create_organization(p_name text, p_slug text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_org  uuid;
  v_user uuid := identity.get_current_user_id();
BEGIN
  IF v_user IS NULL THEN
    RAISE EXCEPTION 'not signed in' USING ERRCODE = '42501';
  END IF;
  INSERT INTO app.organizations (name, slug) VALUES (p_name, p_slug) RETURNING id INTO v_org;
  INSERT INTO app.members (org_id, user_id, role) VALUES (v_org, v_user, 'owner');
  RETURN v_org;
END
$$;
REVOKE EXECUTE ON FUNCTION app.create_organization(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.create_organization(text, text) TO authenticated;

------------------------------------------------------------------------------
-- 20250203_100000_projects_and_tasks.sql
------------------------------------------------------------------------------
CREATE TABLE app.projects (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  name        text NOT NULL,
  description text,
  archived    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_org_id_idx ON app.projects (org_id);

-- EXPECT: cross_tenant_foreign_key app.project_members
CREATE TABLE app.project_members (
  org_id     uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, project_id, user_id)
);

-- EXPECT: cross_tenant_foreign_key app.tasks
CREATE TABLE app.tasks (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  project_id  uuid NOT NULL REFERENCES app.projects (id) ON DELETE CASCADE,
  title       text NOT NULL,
  status      text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'doing', 'done')),
  assignee_id uuid,
  due_at      timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_org_id_project_id_idx ON app.tasks (org_id, project_id);

-- EXPECT: cross_tenant_foreign_key app.task_comments
CREATE TABLE app.task_comments (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  task_id    uuid NOT NULL REFERENCES app.tasks (id) ON DELETE CASCADE,
  author_id  uuid NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_comments_org_id_task_id_idx ON app.task_comments (org_id, task_id);

ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.project_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.task_comments ENABLE ROW LEVEL SECURITY;

CREATE POLICY projects_tenant ON app.projects
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY project_members_tenant ON app.project_members
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY tasks_tenant ON app.tasks
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY task_comments_tenant ON app.task_comments
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
-- Comments are edited and deleted by their author only.
CREATE POLICY task_comments_author_update ON app.task_comments
  AS RESTRICTIVE FOR UPDATE TO authenticated
  USING (author_id = (SELECT identity.get_current_user_id()));
CREATE POLICY task_comments_author_delete ON app.task_comments
  AS RESTRICTIVE FOR DELETE TO authenticated
  USING (author_id = (SELECT identity.get_current_user_id()));

-- The board screen: security_invoker, so the caller's policies apply.
CREATE VIEW app.task_board WITH (security_invoker = true) AS
  SELECT t.id, t.org_id, t.project_id, p.name AS project_name, t.title, t.status,
         t.assignee_id, t.due_at
    FROM app.tasks t
    JOIN app.projects p ON p.id = t.project_id AND p.org_id = t.org_id;
GRANT SELECT ON app.task_board TO authenticated;

------------------------------------------------------------------------------
-- 20250210_110000_labels_and_attachments.sql
------------------------------------------------------------------------------
CREATE TABLE app.labels (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  name       text NOT NULL,
  color      text NOT NULL DEFAULT '#888888',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

-- EXPECT: cross_tenant_foreign_key app.task_labels
CREATE TABLE app.task_labels (
  org_id     uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  task_id    uuid NOT NULL REFERENCES app.tasks (id) ON DELETE CASCADE,
  label_id   uuid NOT NULL REFERENCES app.labels (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, task_id, label_id)
);

-- EXPECT: cross_tenant_foreign_key app.attachments
CREATE TABLE app.attachments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  task_id      uuid NOT NULL REFERENCES app.tasks (id) ON DELETE CASCADE,
  storage_path text NOT NULL,
  size_bytes   bigint NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_org_id_task_id_idx ON app.attachments (org_id, task_id);

ALTER TABLE app.labels ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.task_labels ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.attachments ENABLE ROW LEVEL SECURITY;

CREATE POLICY labels_tenant ON app.labels
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY task_labels_tenant ON app.task_labels
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY attachments_tenant ON app.attachments
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

------------------------------------------------------------------------------
-- 20250215_090000_activity_log.sql
------------------------------------------------------------------------------
-- Append-only for clients: read and insert, never update or delete.
CREATE TABLE app.activity_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id     uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  actor_id   uuid,
  action     text NOT NULL,
  payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_log_org_id_created_at_idx ON app.activity_log (org_id, created_at);
ALTER TABLE app.activity_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY activity_log_tenant ON app.activity_log
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
REVOKE UPDATE, DELETE ON app.activity_log FROM authenticated;

------------------------------------------------------------------------------
-- 20250220_140000_job_queue.sql
------------------------------------------------------------------------------
-- Background jobs, processed by workers connecting as service_role
-- (BYPASSRLS). Locked on purpose: RLS on and no policy, so the API roles get
-- no row even though the schema's default privileges granted the table.
-- EXPECT: rls_enabled_no_policy app.job_queue
CREATE TABLE app.job_queue (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  attempts     integer NOT NULL DEFAULT 0,
  run_after    timestamptz NOT NULL DEFAULT now(),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_queue_run_after_idx ON app.job_queue (run_after);
ALTER TABLE app.job_queue ENABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------
-- 20250301_100000_billing.sql
------------------------------------------------------------------------------
-- The plan catalog: no tenant column; every signed-in user reads active plans,
-- only service_role writes them.
CREATE TABLE billing.plans (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  price_cents integer NOT NULL,
  is_active   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE billing.plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY plans_read_active ON billing.plans
  FOR SELECT TO authenticated
  USING (is_active);
REVOKE INSERT, UPDATE, DELETE ON billing.plans FROM authenticated;

CREATE TABLE billing.customers (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id             uuid NOT NULL UNIQUE REFERENCES app.organizations (id) ON DELETE CASCADE,
  stripe_customer_id text NOT NULL UNIQUE,
  billing_email      text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing.subscriptions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id             uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  plan_id            text NOT NULL REFERENCES billing.plans (id),
  status             text NOT NULL DEFAULT 'trialing',
  current_period_end timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_org_id_idx ON billing.subscriptions (org_id);

CREATE TABLE billing.invoices (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  number       text NOT NULL,
  total_cents  bigint NOT NULL,
  currency     text NOT NULL DEFAULT 'usd',
  issued_at    timestamptz NOT NULL,
  paid_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, number)
);

CREATE TABLE billing.invoice_lines (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  invoice_id   uuid NOT NULL REFERENCES billing.invoices (id) ON DELETE CASCADE,
  description  text NOT NULL,
  amount_cents bigint NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoice_lines_org_id_invoice_id_idx ON billing.invoice_lines (org_id, invoice_id);

CREATE TABLE billing.payment_methods (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  brand        text NOT NULL,
  last4        text NOT NULL,
  exp_month    integer NOT NULL,
  exp_year     integer NOT NULL,
  is_default   boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_methods_org_id_idx ON billing.payment_methods (org_id);

CREATE TABLE billing.usage_records (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES app.organizations (id) ON DELETE CASCADE,
  metric      text NOT NULL,
  quantity    bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_records_org_id_recorded_at_idx ON billing.usage_records (org_id, recorded_at);

ALTER TABLE billing.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.invoice_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.payment_methods ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.usage_records ENABLE ROW LEVEL SECURITY;

CREATE POLICY customers_tenant ON billing.customers
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY subscriptions_tenant ON billing.subscriptions
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY invoices_tenant ON billing.invoices
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY invoice_lines_tenant ON billing.invoice_lines
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY payment_methods_tenant ON billing.payment_methods
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));
CREATE POLICY usage_records_tenant ON billing.usage_records
  FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- Invoices, their lines and usage are written by the Stripe webhook
-- (service_role); clients read them.
REVOKE INSERT, UPDATE, DELETE ON billing.invoices, billing.invoice_lines, billing.usage_records,
  billing.subscriptions, billing.customers FROM authenticated;
