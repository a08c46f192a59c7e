-- =====================================================================
-- 04_billing_svc.sql -- tenant_guard fixture
--
-- App modelled: "billing_svc", a Go billing microservice (customers,
-- subscriptions, invoices, payments, metered usage) in a pooled
-- multi-tenant database. The service connects as billing_svc_app, which
-- inherits the request role billing_svc_web; each request begins a
-- transaction with SELECT set_config('app.tenant_id', $1, true). Most
-- tables belong to the NOLOGIN migration owner billing_svc_owner, but the
-- newer "exports" and "webhooks" features were added by the service's
-- own start-up auto-migration and are therefore owned by the login role.
-- A support console sets app.is_admin. Policies use the tenant_guard
-- helper identity.get_current_org_id(), which reads app.tenant_id.
--
-- Patterns studied (public sources read while writing this fixture):
--   ivorscott/saas-core:internal/project/res/migrations/000001_init_db.up.sql
--   ivorscott/saas-core:internal/project/res/migrations/000002_fix_rls_policies.up.sql
--       (Go SaaS: app.current_tenant policies, login user created in the
--        migration, broad table grants)
--   stremovsky/psql-row-level-security:setup-db.sql
--       (AWS-blog style tenant_policy on app.current_tenant, IAM login user)
--   nesterone/rls-multitenancy:README.md (pool model per the AWS SaaS lens)
--   Arescoreadmin/fg-core:migrations/postgres/0005_tenant_rls_policy_enforcement.sql
--   tuii-dev/braille-dev:packages/prisma/prisma/migrations/20240320081119_bypasspolicy/migration.sql
--       (override policy keyed on a custom setting)
--   graphile/starter:@app/db/migrations/current/2060-organization-permissions.sql
--       (SECURITY DEFINER helpers owned by the table owner skip RLS)
--   agenticsorg/volunteer-training-08-07-26 issue #52, Cyoda/cyoda-go issue
--   #363 (issues corpus) (service connects as table owner, RLS not forced)
--
-- Tenants: A = 11111111-1111-4111-8111-111111111111 (Acme Analytics)
--          B = 22222222-2222-4222-8222-222222222222 (Borealis Games)
-- =====================================================================
-- CLIENT ROLES: anon,authenticated,billing_svc_web,billing_svc_app

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'billing_svc_owner') THEN
    CREATE ROLE billing_svc_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'billing_svc_web') THEN
    CREATE ROLE billing_svc_web NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'billing_svc_app') THEN
    CREATE ROLE billing_svc_app LOGIN INHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'billing_svc_support') THEN
    CREATE ROLE billing_svc_support NOLOGIN;
  END IF;
END
$$;
GRANT billing_svc_web TO billing_svc_app;

DROP SCHEMA IF EXISTS billing_svc CASCADE;
CREATE SCHEMA billing_svc AUTHORIZATION billing_svc_owner;
GRANT USAGE ON SCHEMA billing_svc TO billing_svc_web, billing_svc_support;

-- NEAR-MISS: policy helper without EXECUTE — the tenant_guard helper is explicitly usable by every role whose queries evaluate the policies below.
GRANT USAGE ON SCHEMA identity TO billing_svc_owner, billing_svc_web, billing_svc_support;
GRANT EXECUTE ON FUNCTION identity.get_current_org_id() TO billing_svc_owner, billing_svc_web, billing_svc_support;

SET ROLE billing_svc_owner;

-- ---------------------------------------------------------------------
-- Internal / global tables
-- ---------------------------------------------------------------------
CREATE TABLE billing_svc.plans (
  code            text PRIMARY KEY,
  name            text NOT NULL,
  monthly_cents   integer NOT NULL CHECK (monthly_cents >= 0),
  included_units  bigint NOT NULL DEFAULT 0
);

CREATE TABLE billing_svc.fx_rates_staging (
  currency   char(3) NOT NULL,
  rate_date  date NOT NULL,
  usd_rate   numeric(18, 8) NOT NULL,
  PRIMARY KEY (currency, rate_date)
);

-- Internal switchboard maintained by the ops team; never granted to the
-- request role.
CREATE TABLE billing_svc.feature_flags (
  org_id   uuid NOT NULL,
  flag     text NOT NULL,
  enabled  boolean NOT NULL DEFAULT false,
  PRIMARY KEY (org_id, flag)
);

-- ---------------------------------------------------------------------
-- Tenant tables
-- ---------------------------------------------------------------------
CREATE TABLE billing_svc.customers (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL,
  name       text NOT NULL,
  email      text NOT NULL,
  tax_id     text,
  UNIQUE (org_id, id),
  UNIQUE (org_id, email)
);

CREATE TABLE billing_svc.subscriptions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL,
  customer_id uuid NOT NULL,
  plan_code   text NOT NULL REFERENCES billing_svc.plans (code),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  started_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, customer_id) REFERENCES billing_svc.customers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX subscriptions_org_customer_idx ON billing_svc.subscriptions (org_id, customer_id);

CREATE TABLE billing_svc.invoices (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL,
  customer_id   uuid NOT NULL,
  number        text NOT NULL,
  total_cents   bigint NOT NULL DEFAULT 0,
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'paid', 'void')),
  issued_at     timestamptz,
  UNIQUE (org_id, id),
  UNIQUE (org_id, number),
  FOREIGN KEY (org_id, customer_id) REFERENCES billing_svc.customers (org_id, id)
);
CREATE INDEX invoices_org_customer_idx ON billing_svc.invoices (org_id, customer_id);

CREATE TABLE billing_svc.invoice_lines (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL,
  invoice_id  uuid NOT NULL,
  description text NOT NULL,
  amount_cents bigint NOT NULL,
  FOREIGN KEY (org_id, invoice_id) REFERENCES billing_svc.invoices (org_id, id) ON DELETE CASCADE
);
CREATE INDEX invoice_lines_org_invoice_idx ON billing_svc.invoice_lines (org_id, invoice_id);

CREATE TABLE billing_svc.payments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL,
  invoice_id   uuid NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  provider_ref text NOT NULL,
  paid_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, invoice_id) REFERENCES billing_svc.invoices (org_id, id)
);
CREATE INDEX payments_org_invoice_idx ON billing_svc.payments (org_id, invoice_id);

CREATE TABLE billing_svc.payment_methods (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL,
  customer_id  uuid NOT NULL,
  brand        text NOT NULL,
  last4        char(4) NOT NULL,
  is_default   boolean NOT NULL DEFAULT false,
  FOREIGN KEY (org_id, customer_id) REFERENCES billing_svc.customers (org_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_methods_org_customer_idx ON billing_svc.payment_methods (org_id, customer_id);

CREATE TABLE billing_svc.credit_notes (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL,
  invoice_id   uuid NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  reason       text NOT NULL,
  FOREIGN KEY (org_id, invoice_id) REFERENCES billing_svc.invoices (org_id, id)
);
CREATE INDEX credit_notes_org_invoice_idx ON billing_svc.credit_notes (org_id, invoice_id);

CREATE TABLE billing_svc.usage_events (
  id              bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1000) PRIMARY KEY,
  org_id          uuid NOT NULL,
  subscription_id uuid NOT NULL,
  metric          text NOT NULL,
  quantity        bigint NOT NULL CHECK (quantity >= 0),
  occurred_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, subscription_id) REFERENCES billing_svc.subscriptions (org_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_events_org_occurred_idx ON billing_svc.usage_events (org_id, occurred_at);

CREATE TABLE billing_svc.invoice_exports (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL,
  period      daterange NOT NULL,
  format      text NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'pdf', 'datev')),
  signed_url  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoice_exports_org_idx ON billing_svc.invoice_exports (org_id);

CREATE TABLE billing_svc.webhook_endpoints (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL,
  url         text NOT NULL,
  secret      text NOT NULL,
  active      boolean NOT NULL DEFAULT true
);
CREATE INDEX webhook_endpoints_org_idx ON billing_svc.webhook_endpoints (org_id);

-- ---------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------
ALTER TABLE billing_svc.plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY plans_read ON billing_svc.plans FOR SELECT USING (true);

ALTER TABLE billing_svc.feature_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY feature_flags_tenant ON billing_svc.feature_flags FOR SELECT
  USING (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customers_tenant ON billing_svc.customers
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY subscriptions_tenant ON billing_svc.subscriptions
  USING (org_id = current_setting('app.tenant_id', true)::uuid)
  WITH CHECK (org_id = current_setting('app.tenant_id', true)::uuid);

ALTER TABLE billing_svc.invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON billing_svc.invoices
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());
-- DEFECT: bypass flag in custom setting — app.is_admin is a placeholder GUC that the request role itself can set, so a tenant-A request that runs set_config('app.is_admin', 'true', true) (or smuggles it into the pgx RuntimeParams) sees and edits every tenant's invoices.
CREATE POLICY invoices_support_override ON billing_svc.invoices
  USING (current_setting('app.is_admin', true) = 'true')
  WITH CHECK (current_setting('app.is_admin', true) = 'true');
-- NEAR-MISS: bypass flag in custom setting — cross-tenant support reads are tied to membership in billing_svc_support, a role no request session can grant itself, instead of to a settable GUC.
CREATE POLICY invoices_support_role ON billing_svc.invoices FOR SELECT TO billing_svc_support
  USING (true);

ALTER TABLE billing_svc.invoice_lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoice_lines_tenant ON billing_svc.invoice_lines
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.payments ENABLE ROW LEVEL SECURITY;
CREATE POLICY payments_read ON billing_svc.payments FOR SELECT
  USING (org_id = identity.get_current_org_id());
CREATE POLICY payments_insert ON billing_svc.payments FOR INSERT
  WITH CHECK (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.payment_methods ENABLE ROW LEVEL SECURITY;
CREATE POLICY payment_methods_read ON billing_svc.payment_methods FOR SELECT
  USING (org_id = identity.get_current_org_id());
CREATE POLICY payment_methods_insert ON billing_svc.payment_methods FOR INSERT
  WITH CHECK (org_id = identity.get_current_org_id());
-- NEAR-MISS: UPDATE without WITH CHECK — the "make default" update states WITH CHECK on org_id and only is_default is updatable, so no row can change tenant.
CREATE POLICY payment_methods_update ON billing_svc.payment_methods FOR UPDATE
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());
CREATE POLICY payment_methods_delete ON billing_svc.payment_methods FOR DELETE
  USING (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.credit_notes ENABLE ROW LEVEL SECURITY;
-- DEFECT: sub-select on table without SELECT — the policy reads billing_svc.feature_flags, on which billing_svc_web has no privilege, so every read of credit_notes by the service (SELECT, UPDATE/DELETE, INSERT ... RETURNING) fails with "permission denied for table feature_flags" and the refunds screen is dead for every tenant.
CREATE POLICY credit_notes_tenant ON billing_svc.credit_notes
  USING (
    org_id = identity.get_current_org_id()
    AND EXISTS (
      SELECT 1 FROM billing_svc.feature_flags f
      WHERE f.org_id = credit_notes.org_id AND f.flag = 'credit_notes' AND f.enabled
    )
  )
  WITH CHECK (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.usage_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY usage_events_tenant ON billing_svc.usage_events
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_svc.webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_tenant ON billing_svc.webhook_endpoints
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());

ALTER TABLE billing_svc.invoice_exports ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoice_exports_tenant ON billing_svc.invoice_exports
  USING (org_id = identity.get_current_org_id())
  WITH CHECK (org_id = identity.get_current_org_id());

-- ---------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------
-- DEFECT: SECURITY DEFINER by argument — runs as billing_svc_owner, which owns invoices/payments without FORCE and so skips RLS, filters only on p_org_id and never compares it with the caller's tenant; billing_svc_web can EXECUTE it, so tenant A passes B's org id and gets B's customer names and balances.
CREATE FUNCTION billing_svc.outstanding_by_customer(p_org_id uuid)
RETURNS TABLE (customer_name text, customer_email text, outstanding_cents bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.name, c.email,
         coalesce(sum(i.total_cents), 0)::bigint
         - coalesce((SELECT sum(p.amount_cents)
                     FROM billing_svc.payments p
                     JOIN billing_svc.invoices i2 ON i2.id = p.invoice_id
                     WHERE i2.customer_id = c.id), 0)::bigint
  FROM billing_svc.customers c
  LEFT JOIN billing_svc.invoices i ON i.customer_id = c.id AND i.status IN ('open', 'paid')
  WHERE c.org_id = p_org_id
  GROUP BY c.id, c.name, c.email
$$;
GRANT EXECUTE ON FUNCTION billing_svc.outstanding_by_customer(uuid) TO billing_svc_web;

-- NEAR-MISS: SECURITY DEFINER by argument — looks up an invoice by id but raises unless the invoice's org_id equals identity.get_current_org_id().
CREATE FUNCTION billing_svc.invoice_number_for(p_invoice_id uuid) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_org uuid;
  v_number text;
BEGIN
  SELECT i.org_id, i.number INTO v_org, v_number
  FROM billing_svc.invoices i
  WHERE i.id = p_invoice_id;
  IF v_org IS NULL OR v_org IS DISTINCT FROM identity.get_current_org_id() THEN
    RAISE EXCEPTION 'invoice not found' USING ERRCODE = 'P0002';
  END IF;
  RETURN v_number;
END;
$$;
GRANT EXECUTE ON FUNCTION billing_svc.invoice_number_for(uuid) TO billing_svc_web;

-- ---------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------
GRANT SELECT ON billing_svc.plans TO billing_svc_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON billing_svc.customers, billing_svc.subscriptions,
  billing_svc.invoices, billing_svc.invoice_lines, billing_svc.webhook_endpoints,
  billing_svc.invoice_exports TO billing_svc_web;
GRANT SELECT, INSERT ON billing_svc.payments, billing_svc.credit_notes TO billing_svc_web;
GRANT SELECT, INSERT, DELETE ON billing_svc.payment_methods TO billing_svc_web;
GRANT UPDATE (is_default) ON billing_svc.payment_methods TO billing_svc_web;
GRANT SELECT, INSERT ON billing_svc.usage_events TO billing_svc_web;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA billing_svc TO billing_svc_web;
-- DEFECT: TRUNCATE granted — added so the nightly rollup could clear usage after aggregation, but TRUNCATE ignores row level security, so any request on billing_svc_web can erase tenant B's unbilled usage together with its own.
GRANT TRUNCATE ON billing_svc.usage_events TO billing_svc_web;
-- NEAR-MISS: TRUNCATE granted — fx_rates_staging holds only public exchange rates with no tenant column, so truncating it exposes or destroys no tenant's rows.
GRANT SELECT, INSERT, TRUNCATE ON billing_svc.fx_rates_staging TO billing_svc_web;
GRANT SELECT ON billing_svc.customers, billing_svc.invoices, billing_svc.payments TO billing_svc_support;

RESET ROLE;

-- Tables created by the service's own start-up migration end up owned by
-- the login role.
-- DEFECT: login role owns tables without FORCE RLS — the Go service connects as billing_svc_app, now the owner of invoice_exports, so the tenant policy is skipped and GET /exports/{id} with tenant B's id returns B's signed download URL to tenant A.
ALTER TABLE billing_svc.invoice_exports OWNER TO billing_svc_app;
-- NEAR-MISS: login role owns tables without FORCE RLS — webhook_endpoints is also owned by billing_svc_app but was created with FORCE ROW LEVEL SECURITY, so the owner is still filtered by the tenant policy.
ALTER TABLE billing_svc.webhook_endpoints OWNER TO billing_svc_app;

-- ---------------------------------------------------------------------
-- Seed data (superuser; RLS does not apply)
-- ---------------------------------------------------------------------
INSERT INTO billing_svc.plans (code, name, monthly_cents, included_units) VALUES
  ('starter', 'Starter', 2900, 10000),
  ('scale',   'Scale',  19900, 500000);

INSERT INTO billing_svc.fx_rates_staging (currency, rate_date, usd_rate) VALUES
  ('EUR', '2024-06-01', 1.08500000),
  ('GBP', '2024-06-01', 1.27300000);

INSERT INTO billing_svc.feature_flags (org_id, flag, enabled) VALUES
  ('11111111-1111-4111-8111-111111111111', 'credit_notes', true),
  ('22222222-2222-4222-8222-222222222222', 'credit_notes', false);

INSERT INTO billing_svc.customers (id, org_id, name, email, tax_id) VALUES
  ('c1a00000-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'Pinecrest Labs',   'ap@pinecrest.test', 'US-11-001'),
  ('c1a00000-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'Quarry Data',      'billing@quarry.test', NULL),
  ('c1b00000-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222', 'Nordlys Studio',   'finance@nordlys.test', 'NO-998877'),
  ('c1b00000-0000-4000-8000-000000000002', '22222222-2222-4222-8222-222222222222', 'Pixel Harbour',    'ap@pixelharbour.test', NULL);

INSERT INTO billing_svc.subscriptions (id, org_id, customer_id, plan_code, status) VALUES
  ('5ab00000-0000-4000-8000-0000000000a1', '11111111-1111-4111-8111-111111111111', 'c1a00000-0000-4000-8000-000000000001', 'scale',   'active'),
  ('5ab00000-0000-4000-8000-0000000000a2', '11111111-1111-4111-8111-111111111111', 'c1a00000-0000-4000-8000-000000000002', 'starter', 'trialing'),
  ('5ab00000-0000-4000-8000-0000000000b1', '22222222-2222-4222-8222-222222222222', 'c1b00000-0000-4000-8000-000000000001', 'scale',   'active'),
  ('5ab00000-0000-4000-8000-0000000000b2', '22222222-2222-4222-8222-222222222222', 'c1b00000-0000-4000-8000-000000000002', 'starter', 'past_due');

INSERT INTO billing_svc.invoices (id, org_id, customer_id, number, total_cents, status, issued_at) VALUES
  ('1a000000-0000-4000-8000-0000000000a1', '11111111-1111-4111-8111-111111111111', 'c1a00000-0000-4000-8000-000000000001', 'A-2024-0001', 19900, 'paid', '2024-05-01'),
  ('1a000000-0000-4000-8000-0000000000a2', '11111111-1111-4111-8111-111111111111', 'c1a00000-0000-4000-8000-000000000001', 'A-2024-0002', 21450, 'open', '2024-06-01'),
  ('1b000000-0000-4000-8000-0000000000b1', '22222222-2222-4222-8222-222222222222', 'c1b00000-0000-4000-8000-000000000001', 'B-2024-0001', 19900, 'open', '2024-06-01'),
  ('1b000000-0000-4000-8000-0000000000b2', '22222222-2222-4222-8222-222222222222', 'c1b00000-0000-4000-8000-000000000002', 'B-2024-0002',  2900, 'open', '2024-06-01');

INSERT INTO billing_svc.invoice_lines (org_id, invoice_id, description, amount_cents) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a1', 'Scale plan, May',        19900),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a2', 'Scale plan, June',       19900),
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a2', 'Overage 15,500 events',   1550),
  ('22222222-2222-4222-8222-222222222222', '1b000000-0000-4000-8000-0000000000b1', 'Scale plan, June',       19900),
  ('22222222-2222-4222-8222-222222222222', '1b000000-0000-4000-8000-0000000000b2', 'Starter plan, June',      2900);

INSERT INTO billing_svc.payments (org_id, invoice_id, amount_cents, provider_ref) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a1', 19900, 'ch_a_0001'),
  ('22222222-2222-4222-8222-222222222222', '1b000000-0000-4000-8000-0000000000b1', 10000, 'ch_b_0001');

INSERT INTO billing_svc.payment_methods (org_id, customer_id, brand, last4, is_default) VALUES
  ('11111111-1111-4111-8111-111111111111', 'c1a00000-0000-4000-8000-000000000001', 'visa',       '4242', true),
  ('22222222-2222-4222-8222-222222222222', 'c1b00000-0000-4000-8000-000000000001', 'mastercard', '5454', true);

INSERT INTO billing_svc.credit_notes (org_id, invoice_id, amount_cents, reason) VALUES
  ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000a2', 1550, 'overage waived'),
  ('22222222-2222-4222-8222-222222222222', '1b000000-0000-4000-8000-0000000000b2',  900, 'outage credit');

INSERT INTO billing_svc.usage_events (org_id, subscription_id, metric, quantity) VALUES
  ('11111111-1111-4111-8111-111111111111', '5ab00000-0000-4000-8000-0000000000a1', 'events', 515500),
  ('11111111-1111-4111-8111-111111111111', '5ab00000-0000-4000-8000-0000000000a2', 'events',   2300),
  ('22222222-2222-4222-8222-222222222222', '5ab00000-0000-4000-8000-0000000000b1', 'events', 480000),
  ('22222222-2222-4222-8222-222222222222', '5ab00000-0000-4000-8000-0000000000b2', 'events',  12000);

INSERT INTO billing_svc.invoice_exports (org_id, period, format, signed_url) VALUES
  ('11111111-1111-4111-8111-111111111111', '[2024-05-01,2024-06-01)', 'csv',   'https://exports.example/a/2024-05.csv?sig=aa11'),
  ('22222222-2222-4222-8222-222222222222', '[2024-05-01,2024-06-01)', 'datev', 'https://exports.example/b/2024-05.datev?sig=bb22');

INSERT INTO billing_svc.webhook_endpoints (org_id, url, secret) VALUES
  ('11111111-1111-4111-8111-111111111111', 'https://hooks.acme.test/billing',     'whsec_a_123'),
  ('22222222-2222-4222-8222-222222222222', 'https://hooks.borealis.test/billing', 'whsec_b_456');

-- ---------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- ---------------------------------------------------------------------
-- The service connects as billing_svc_app and opens every request with
-- set_config('app.tenant_id', <tenant>, true). rows_as rolls every write
-- back. A request of several statements is passed as one list; rows_as
-- counts the last statement.

-- NEAR-MISS (policy helper without EXECUTE, identity.get_current_org_id()):
-- tenant A's request reads its two customers without a permission error.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM billing_svc.customers', 2);

-- DEFECT (bypass flag in custom setting, invoices_support_override): a
-- tenant-A request sets app.is_admin itself, reads B's two invoices and
-- voids them.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT set_config('app.is_admin', 'true', true);
    SELECT count(*) FROM billing_svc.invoices WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 2);
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true),
           set_config('app.is_admin', 'true', true)$$,
  $$UPDATE billing_svc.invoices SET status = 'void' WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 2);

-- NEAR-MISS (bypass flag in custom setting, invoices_support_role): the
-- service sees only A's two invoices, and cannot grant itself the support
-- role.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM billing_svc.invoices', 2);
-- (checked in the catalog: the wording of the GRANT error differs between
-- PostgreSQL versions) neither superuser, CREATEROLE, nor ADMIN on the role.
SELECT pg_temp.rows_as('billing_svc_app', '',
  $$SELECT count(*) FROM pg_roles r
    WHERE r.rolname = 'billing_svc_app'
      AND (r.rolsuper OR r.rolcreaterole
           OR pg_has_role('billing_svc_app', 'billing_svc_support', 'USAGE WITH ADMIN OPTION'))$$, 0);

-- NEAR-MISS (UPDATE without WITH CHECK, payment_methods_update): tenant A
-- changes the default flag of its own card only, and may not set org_id.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'UPDATE billing_svc.payment_methods SET is_default = false', 1);
SELECT pg_temp.expect('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true);
    UPDATE billing_svc.payment_methods SET org_id = '22222222-2222-4222-8222-222222222222'$$,
  '42501');

-- DEFECT (sub-select on table without SELECT, credit_notes_tenant): the
-- refunds screen's read fails with 42501 even for tenant A, whose
-- credit_notes flag is on.
SELECT pg_temp.expect('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true);
    SELECT count(*) FROM billing_svc.credit_notes$$,
  '42501');

-- DEFECT (SECURITY DEFINER by argument, outstanding_by_customer): tenant A
-- passes B's org id and gets B's two customers with their balances.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT count(*) FROM billing_svc.outstanding_by_customer('22222222-2222-4222-8222-222222222222')$$, 2);

-- NEAR-MISS (SECURITY DEFINER by argument, invoice_number_for): tenant A
-- gets the number of its own invoice, and "not found" for B's.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT count(*) WHERE billing_svc.invoice_number_for('1a000000-0000-4000-8000-0000000000a1') = 'A-2024-0001'$$, 1);
SELECT pg_temp.expect('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true);
    SELECT billing_svc.invoice_number_for('1b000000-0000-4000-8000-0000000000b1')$$,
  'P0002');

-- DEFECT (TRUNCATE granted, usage_events): B has two unbilled usage
-- events; after a tenant-A request runs TRUNCATE, B's next request finds
-- none.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '22222222-2222-4222-8222-222222222222', true)$$,
  'SELECT count(*) FROM billing_svc.usage_events', 2);
SELECT pg_temp.rows_as('billing_svc_app', '',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true);
    TRUNCATE billing_svc.usage_events;
    SELECT set_config('app.tenant_id', '22222222-2222-4222-8222-222222222222', true);
    SELECT count(*) FROM billing_svc.usage_events$$, 0);

-- NEAR-MISS (TRUNCATE granted, fx_rates_staging): the table the service may
-- truncate has no tenant column.
SELECT pg_temp.rows_as('billing_svc_app', '',
  $$SELECT count(*) FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = 'billing_svc.fx_rates_staging'::regclass
      AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname IN ('org_id', 'organization_id', 'tenant_id')$$, 0);

-- DEFECT (login role owns tables without FORCE RLS, invoice_exports): the
-- service, which owns the table, reads B's signed export URL from a
-- tenant-A request; the request role billing_svc_web alone sees none.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT count(*) FROM billing_svc.invoice_exports WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);
SELECT pg_temp.rows_as('billing_svc_web',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  $$SELECT count(*) FROM billing_svc.invoice_exports WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 0);

-- NEAR-MISS (login role owns tables without FORCE RLS, webhook_endpoints):
-- the owning service is still filtered to A's one endpoint.
SELECT pg_temp.rows_as('billing_svc_app',
  $$SELECT set_config('app.tenant_id', '11111111-1111-4111-8111-111111111111', true)$$,
  'SELECT count(*) FROM billing_svc.webhook_endpoints', 1);
