-- =============================================================================
-- 05_invoicing.sql: "Ledgerly", multi-tenant B2B invoicing and billing on Supabase.
--
-- Organizations (tenants) invoice their own customers; the platform bills the
-- organizations themselves through Stripe subscriptions and metered usage. The
-- dashboard talks to PostgREST with an access token whose org claim (issued by an
-- auth hook) is read through identity.get_current_org_id(); members have a role
-- (owner / billing_admin / viewer) in invoicing.org_members. A finance back-office
-- tool, a metering worker and the Stripe webhook consumer reach the database as
-- members of authenticated and set custom settings per transaction.
-- Tenant column: org_id.
--
-- Patterns studied (written from scratch, nothing copied):
--   HiteshG/makerkit-clone:supabase/migrations/20240115111425_rls.sql
--     (subscriptions policy comparing memberships.organization_id with itself; users policy
--     with an uncorrelated EXISTS over memberships)
--   HiteshG/makerkit-clone:supabase/migrations/20240122221302_task.sql
--     (tasks policy correlated as tasks.organization_id = memberships.organization_id)
--   openoms-org/openoms:apps/api-server/migrations/000019_revoke_public_execute_security_definer.up.sql
--     and 000004_least_privilege_auth_role.up.sql (billing SECURITY DEFINER functions revoked
--     from PUBLIC and granted to the backend role only)
--   Cap-go/capgo.app issue #1737 and PR #1735 (definer RPCs taking orgid that leak plan and
--     usage figures; record_build_time / upsert_version_meta executable by anon)
--   virajdomadia/travelCRM:prisma/migrations/20260228083310_audit_log_rls/migration.sql
--     (tenant compare OR-ed with a custom "bypass" setting for SUPER_ADMIN operations)
--   tuii-dev/braille-dev:packages/prisma/prisma/migrations/20240320081119_bypasspolicy/migration.sql
--     (bypass_rls_policy keyed on a custom setting)
--   ivorscott/saas-core:internal/project/res/migrations/000001_init_db.up.sql
--     (child rows referencing the parent's bare primary key, tenant column not in the key)
--   point-source/supabase-tenant-rbac:examples/policies/role_centric.sql
--     (role-gated writes next to member reads)
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
  ('f1000000-0000-4000-8000-000000000001', 'olga@anvil.example',  '{"name": "Olga (A, owner)"}'),
  ('f1000000-0000-4000-8000-000000000002', 'vic@anvil.example',   '{"name": "Vic (A, viewer)"}'),
  ('f2000000-0000-4000-8000-000000000001', 'omar@bramble.example', '{"name": "Omar (B, owner)"}')
ON CONFLICT (id) DO NOTHING;

CREATE SCHEMA invoicing;
GRANT USAGE ON SCHEMA invoicing TO anon, authenticated;
ALTER DEFAULT PRIVILEGES IN SCHEMA invoicing GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;

-- -----------------------------------------------------------------------------
-- Organizations and members
-- -----------------------------------------------------------------------------
CREATE TABLE invoicing.organizations (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  legal_name text NOT NULL,
  tax_id     text,
  currency   char(3) NOT NULL DEFAULT 'EUR',
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE invoicing.organizations ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE ON invoicing.organizations TO authenticated;
CREATE POLICY organizations_current ON invoicing.organizations FOR SELECT TO authenticated
  USING (id = (SELECT identity.get_current_org_id()));

CREATE TABLE invoicing.org_members (
  org_id    uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  user_id   uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  role      text NOT NULL DEFAULT 'viewer' CHECK (role IN ('owner', 'billing_admin', 'viewer')),
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user_id_idx ON invoicing.org_members (user_id);
ALTER TABLE invoicing.org_members ENABLE ROW LEVEL SECURITY;
-- Memberships are written by the invitation RPCs (service side) only.
GRANT SELECT ON invoicing.org_members TO authenticated;
CREATE POLICY org_members_current ON invoicing.org_members FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));

-- The caller's role in the current organization.
CREATE FUNCTION invoicing.current_org_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT m.role FROM invoicing.org_members m
  WHERE m.org_id = (SELECT identity.get_current_org_id())
    AND m.user_id = (SELECT auth.uid());
$$;
REVOKE EXECUTE ON FUNCTION invoicing.current_org_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invoicing.current_org_role() TO authenticated;

CREATE POLICY organizations_owner_update ON invoicing.organizations FOR UPDATE TO authenticated
  USING (id = (SELECT identity.get_current_org_id()) AND (SELECT invoicing.current_org_role()) = 'owner')
  WITH CHECK (id = (SELECT identity.get_current_org_id()) AND (SELECT invoicing.current_org_role()) = 'owner');

-- -----------------------------------------------------------------------------
-- Customers, products, tax rates
-- -----------------------------------------------------------------------------
CREATE TABLE invoicing.customers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id          uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  name            text NOT NULL,
  email           text,
  billing_address jsonb NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (id, org_id)
);
CREATE INDEX customers_org_id_idx ON invoicing.customers (org_id);
ALTER TABLE invoicing.customers ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON invoicing.customers TO authenticated;
CREATE POLICY customers_tenant ON invoicing.customers FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

CREATE TABLE invoicing.products (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id           uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  sku              text NOT NULL,
  name             text NOT NULL,
  unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
  UNIQUE (org_id, sku),
  UNIQUE (id, org_id)
);
ALTER TABLE invoicing.products ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON invoicing.products TO authenticated;
CREATE POLICY products_tenant ON invoicing.products FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

CREATE TABLE invoicing.tax_rates (
  id     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  name   text NOT NULL,
  rate   numeric(5, 4) NOT NULL CHECK (rate >= 0 AND rate < 1)
);
CREATE INDEX tax_rates_org_id_idx ON invoicing.tax_rates (org_id);
ALTER TABLE invoicing.tax_rates ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON invoicing.tax_rates TO authenticated;
CREATE POLICY tax_rates_tenant ON invoicing.tax_rates FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

-- -----------------------------------------------------------------------------
-- Invoices, lines, payments
-- -----------------------------------------------------------------------------
CREATE TABLE invoicing.invoices (
  id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  customer_id uuid NOT NULL,
  number      text NOT NULL,
  status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'paid', 'void')),
  issued_on   date,
  due_on      date,
  total_cents bigint NOT NULL DEFAULT 0,
  UNIQUE (org_id, number),
  UNIQUE (id, org_id),
  FOREIGN KEY (customer_id, org_id) REFERENCES invoicing.customers (id, org_id)
);
ALTER TABLE invoicing.invoices ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON invoicing.invoices TO authenticated;
CREATE POLICY invoices_read ON invoicing.invoices FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
-- NEAR-MISS: column capture — the membership sub-select qualifies the checked row's column (m.org_id = invoices.org_id), so it correlates with the invoice, not with itself.
CREATE POLICY invoices_issue ON invoicing.invoices FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND EXISTS (SELECT 1 FROM invoicing.org_members m
                          WHERE m.org_id = invoices.org_id
                            AND m.user_id = (SELECT auth.uid())
                            AND m.role IN ('owner', 'billing_admin')));
CREATE POLICY invoices_edit ON invoicing.invoices FOR UPDATE TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id())
         AND (SELECT invoicing.current_org_role()) IN ('owner', 'billing_admin'))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id())
              AND (SELECT invoicing.current_org_role()) IN ('owner', 'billing_admin'));

CREATE TABLE invoicing.invoice_lines (
  id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  org_id           uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  -- DEFECT: cross-tenant foreign key — the line references the bare bigint invoice id, without org_id, and the line policy never reads invoices: any member of A, a viewer included, inserts lines against tenant B's invoice 3, which he cannot see, and since the key check ignores row-level security the sequential ids probe which of B's invoices exist.
  invoice_id       bigint NOT NULL REFERENCES invoicing.invoices (id) ON DELETE CASCADE,
  product_id       uuid,
  description      text NOT NULL,
  quantity         numeric(12, 3) NOT NULL DEFAULT 1,
  unit_price_cents bigint NOT NULL,
  FOREIGN KEY (product_id, org_id) REFERENCES invoicing.products (id, org_id)
);
CREATE INDEX invoice_lines_org_id_idx ON invoicing.invoice_lines (org_id);
CREATE INDEX invoice_lines_invoice_id_idx ON invoicing.invoice_lines (invoice_id);
ALTER TABLE invoicing.invoice_lines ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON invoicing.invoice_lines TO authenticated;
CREATE POLICY invoice_lines_tenant ON invoicing.invoice_lines FOR ALL TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (org_id = (SELECT identity.get_current_org_id()));

CREATE TABLE invoicing.payments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  invoice_id   bigint NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  method       text NOT NULL CHECK (method IN ('card', 'sepa', 'wire', 'cash')),
  received_at  timestamptz NOT NULL DEFAULT now(),
  -- NEAR-MISS: cross-tenant foreign key — same parent as invoice_lines, but the key includes org_id.
  FOREIGN KEY (invoice_id, org_id) REFERENCES invoicing.invoices (id, org_id) ON DELETE CASCADE
);
CREATE INDEX payments_org_id_idx ON invoicing.payments (org_id);
ALTER TABLE invoicing.payments ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON invoicing.payments TO authenticated;
-- DEFECT: bypass flag in a custom setting — the back-office tool runs SET app.is_admin = 'true' to reconcile all tenants, but custom settings need no privilege: any session of authenticated (a viewer of A through a direct connection or a SQL-reachable RPC) sets it and reads and records payments of tenant B.
CREATE POLICY payments_tenant ON invoicing.payments FOR ALL TO authenticated
  USING (coalesce(nullif(current_setting('app.is_admin', true), '')::boolean, false)
         OR org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK (coalesce(nullif(current_setting('app.is_admin', true), '')::boolean, false)
              OR org_id = (SELECT identity.get_current_org_id()));

-- -----------------------------------------------------------------------------
-- Platform billing: subscriptions, usage, Stripe webhooks
-- -----------------------------------------------------------------------------
CREATE TABLE invoicing.subscriptions (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id                 uuid NOT NULL UNIQUE REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  plan                   text NOT NULL,
  status                 text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  current_period_end     timestamptz,
  stripe_subscription_id text UNIQUE
);
ALTER TABLE invoicing.subscriptions ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON invoicing.subscriptions TO authenticated;
-- DEFECT: column capture — the correlation was written as org_members.org_id = org_members.org_id (the membership column on both sides), which is always true: any user with a membership anywhere reads the plan, status and Stripe id of every tenant's subscription.
CREATE POLICY subscriptions_members_read ON invoicing.subscriptions FOR SELECT TO authenticated
  USING (EXISTS (
    SELECT 1 FROM invoicing.org_members
    WHERE org_members.user_id = (SELECT auth.uid())
      AND org_members.org_id = org_members.org_id
  ));

CREATE TABLE invoicing.usage_records (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  metric      text NOT NULL CHECK (metric IN ('invoices_sent', 'emails', 'api_calls')),
  quantity    bigint NOT NULL CHECK (quantity >= 0),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_records_org_id_idx ON invoicing.usage_records (org_id, recorded_at);
ALTER TABLE invoicing.usage_records ENABLE ROW LEVEL SECURITY;
REVOKE UPDATE, DELETE ON invoicing.usage_records FROM authenticated;
GRANT SELECT, INSERT ON invoicing.usage_records TO authenticated;
CREATE POLICY usage_records_read ON invoicing.usage_records FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));
-- NEAR-MISS: bypass flag in a custom setting — the metering worker sets app.tenant_id per batch; comparing that setting with org_id selects one tenant (fail closed when unset), it does not switch policies off.
CREATE POLICY usage_records_meter ON invoicing.usage_records FOR INSERT TO authenticated
  WITH CHECK (org_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

CREATE TABLE invoicing.webhook_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  provider     text NOT NULL DEFAULT 'stripe',
  event_type   text NOT NULL,
  payload      jsonb NOT NULL,
  processed_at timestamptz
);
CREATE INDEX webhook_events_org_id_idx ON invoicing.webhook_events (org_id);
ALTER TABLE invoicing.webhook_events ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON invoicing.webhook_events TO authenticated;
-- DEFECT: bypass flag in a custom setting — the webhook consumer marks itself with SET app.role = 'system'; the same SET from any authenticated session exposes every tenant's raw Stripe payloads (customer e-mails, card fingerprints) and lets it mark B's events processed.
CREATE POLICY webhook_events_tenant ON invoicing.webhook_events FOR ALL TO authenticated
  USING ((SELECT current_setting('app.role', true)) = 'system'
         OR org_id = (SELECT identity.get_current_org_id()))
  WITH CHECK ((SELECT current_setting('app.role', true)) = 'system'
              OR org_id = (SELECT identity.get_current_org_id()));

-- Per-organization invoice numbering, advanced only through next_invoice_number().
CREATE TABLE invoicing.invoice_number_sequences (
  org_id     uuid PRIMARY KEY REFERENCES invoicing.organizations (id) ON DELETE CASCADE,
  prefix     text NOT NULL,
  next_value integer NOT NULL DEFAULT 1
);
ALTER TABLE invoicing.invoice_number_sequences ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON invoicing.invoice_number_sequences TO authenticated;
CREATE POLICY invoice_number_sequences_read ON invoicing.invoice_number_sequences FOR SELECT TO authenticated
  USING (org_id = (SELECT identity.get_current_org_id()));

-- -----------------------------------------------------------------------------
-- RPCs
-- -----------------------------------------------------------------------------
-- DEFECT: SECURITY DEFINER RPC without a caller check — the usage page calls it with the current org, but nothing compares p_org with the caller: any signed-in user passes tenant B's id and reads B's metered usage (its invoice and e-mail volumes).
CREATE FUNCTION invoicing.billing_usage_report(p_org uuid, p_from date, p_to date)
RETURNS TABLE (metric text, total bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT u.metric, sum(u.quantity)::bigint
  FROM invoicing.usage_records u
  WHERE u.org_id = p_org
    AND u.recorded_at >= p_from
    AND u.recorded_at < p_to + 1
  GROUP BY u.metric;
$$;
GRANT EXECUTE ON FUNCTION invoicing.billing_usage_report(uuid, date, date) TO authenticated;

-- NEAR-MISS: SECURITY DEFINER RPC — takes an org id, but refuses unless it is the caller's current organization and the caller is an owner or billing admin there.
CREATE FUNCTION invoicing.next_invoice_number(p_org uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  v_prefix text;
  v_value  integer;
BEGIN
  IF p_org IS DISTINCT FROM identity.get_current_org_id()
     OR invoicing.current_org_role() NOT IN ('owner', 'billing_admin')
     OR invoicing.current_org_role() IS NULL THEN
    RAISE EXCEPTION 'not allowed to number invoices for this organization' USING ERRCODE = '42501';
  END IF;
  UPDATE invoicing.invoice_number_sequences s
     SET next_value = s.next_value + 1
   WHERE s.org_id = p_org
  RETURNING s.prefix, s.next_value - 1 INTO v_prefix, v_value;
  RETURN v_prefix || lpad(v_value::text, 5, '0');
END
$$;
REVOKE EXECUTE ON FUNCTION invoicing.next_invoice_number(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invoicing.next_invoice_number(uuid) TO authenticated;

-- NEAR-MISS: SECURITY DEFINER RPC — it trusts its arguments completely, but no client role may execute it: EXECUTE is revoked from PUBLIC, anon and authenticated and granted to service_role only (the Stripe webhook edge function).
CREATE FUNCTION invoicing.apply_stripe_subscription(p_org uuid, p_stripe_id text, p_plan text, p_status text, p_period_end timestamptz)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$
  INSERT INTO invoicing.subscriptions (org_id, plan, status, current_period_end, stripe_subscription_id)
  VALUES (p_org, p_plan, p_status, p_period_end, p_stripe_id)
  ON CONFLICT (org_id) DO UPDATE
    SET plan = EXCLUDED.plan, status = EXCLUDED.status,
        current_period_end = EXCLUDED.current_period_end,
        stripe_subscription_id = EXCLUDED.stripe_subscription_id;
$$;
REVOKE EXECUTE ON FUNCTION invoicing.apply_stripe_subscription(uuid, text, text, text, timestamptz) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION invoicing.apply_stripe_subscription(uuid, text, text, text, timestamptz) TO service_role;

-- -----------------------------------------------------------------------------
-- Seed: tenants A and B
-- -----------------------------------------------------------------------------
INSERT INTO invoicing.organizations (id, name, legal_name, tax_id, currency) VALUES
  ('11111111-1111-4111-8111-111111111111', 'Anvil',   'Anvil Metalworks GmbH', 'DE123456789', 'EUR'),
  ('22222222-2222-4222-8222-222222222222', 'Bramble', 'Bramble Foods Ltd',     'GB987654321', 'GBP');

INSERT INTO invoicing.org_members (org_id, user_id, role) VALUES
  ('11111111-1111-4111-8111-111111111111', 'f1000000-0000-4000-8000-000000000001', 'owner'),
  ('11111111-1111-4111-8111-111111111111', 'f1000000-0000-4000-8000-000000000002', 'viewer'),
  ('22222222-2222-4222-8222-222222222222', 'f2000000-0000-4000-8000-000000000001', 'owner');

INSERT INTO invoicing.customers (id, org_id, name, email) VALUES
  ('1a000000-0000-4000-8000-0000000000c1', '11111111-1111-4111-8111-111111111111', 'Zeppelin Werft', 'ap@zeppelin.example'),
  ('2b000000-0000-4000-8000-0000000000c1', '22222222-2222-4222-8222-222222222222', 'Corner Deli',    'owner@deli.example');

INSERT INTO invoicing.products (id, org_id, sku, name, unit_price_cents) VALUES
  ('1a000000-0000-4000-8000-0000000000b1', '11111111-1111-4111-8111-111111111111', 'BRK-01', 'Steel bracket', 1250),
  ('2b000000-0000-4000-8000-0000000000b1', '22222222-2222-4222-8222-222222222222', 'JAM-12', 'Bramble jam, case of 12', 3600);

INSERT INTO invoicing.tax_rates (org_id, name, rate) VALUES
  ('11111111-1111-4111-8111-111111111111', 'USt 19%', 0.19),
  ('22222222-2222-4222-8222-222222222222', 'VAT 20%', 0.20);

INSERT INTO invoicing.invoices (id, org_id, customer_id, number, status, issued_on, due_on, total_cents) VALUES
  (1, '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'ANV-00001', 'paid', '2025-05-02', '2025-06-01', 125000),
  (2, '11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'ANV-00002', 'sent', '2025-06-02', '2025-07-02', 62500),
  (3, '22222222-2222-4222-8222-222222222222', '2b000000-0000-4000-8000-0000000000c1', 'BRM-00001', 'sent', '2025-06-10', '2025-07-10', 36000);
SELECT setval(pg_get_serial_sequence('invoicing.invoices', 'id'), 3);

INSERT INTO invoicing.invoice_lines (org_id, invoice_id, product_id, description, quantity, unit_price_cents) VALUES
  ('11111111-1111-4111-8111-111111111111', 1, '1a000000-0000-4000-8000-0000000000b1', 'Steel bracket', 100, 1250),
  ('11111111-1111-4111-8111-111111111111', 2, '1a000000-0000-4000-8000-0000000000b1', 'Steel bracket', 50,  1250),
  ('22222222-2222-4222-8222-222222222222', 3, '2b000000-0000-4000-8000-0000000000b1', 'Bramble jam, case of 12', 10, 3600);

INSERT INTO invoicing.payments (org_id, invoice_id, amount_cents, method) VALUES
  ('11111111-1111-4111-8111-111111111111', 1, 125000, 'sepa'),
  ('22222222-2222-4222-8222-222222222222', 3, 10000,  'card');

INSERT INTO invoicing.subscriptions (org_id, plan, status, current_period_end, stripe_subscription_id) VALUES
  ('11111111-1111-4111-8111-111111111111', 'growth',  'active',   '2025-12-31', 'sub_anvil_0001'),
  ('22222222-2222-4222-8222-222222222222', 'starter', 'past_due', '2025-07-31', 'sub_bramble_0001');

INSERT INTO invoicing.usage_records (org_id, metric, quantity, recorded_at) VALUES
  ('11111111-1111-4111-8111-111111111111', 'invoices_sent', 42,  '2025-06-15'),
  ('11111111-1111-4111-8111-111111111111', 'emails',        130, '2025-06-15'),
  ('22222222-2222-4222-8222-222222222222', 'invoices_sent', 7,   '2025-06-20');

INSERT INTO invoicing.webhook_events (org_id, event_type, payload) VALUES
  ('11111111-1111-4111-8111-111111111111', 'invoice.paid',            '{"customer_email": "olga@anvil.example"}'),
  ('22222222-2222-4222-8222-222222222222', 'invoice.payment_failed',  '{"customer_email": "omar@bramble.example", "card_fingerprint": "fp_9Q"}');

INSERT INTO invoicing.invoice_number_sequences (org_id, prefix, next_value) VALUES
  ('11111111-1111-4111-8111-111111111111', 'ANV-', 3),
  ('22222222-2222-4222-8222-222222222222', 'BRM-', 2);

-- -----------------------------------------------------------------------------
-- Confirmations: PostgreSQL reproduces each DEFECT and shows each NEAR-MISS holding.
-- -----------------------------------------------------------------------------
-- As authenticated with a user's claims (organization in app_metadata), or
-- with app.tenant_id alone for the metering worker; pg_temp helpers from the
-- prelude: every rows_as is rolled back, every expect below must fail.
\set olga_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"f1000000-0000-4000-8000-000000000001","role":"authenticated","app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}'', true)'
\set vic_claims 'SELECT set_config(''request.jwt.claims'', ''{"sub":"f1000000-0000-4000-8000-000000000002","role":"authenticated","app_metadata":{"org_id":"11111111-1111-4111-8111-111111111111"}}'', true)'
\set meter_a 'SET LOCAL app.tenant_id = ''11111111-1111-4111-8111-111111111111'''

-- NEAR-MISS column capture (invoices_issue): Olga, owner of A, issues an invoice ...
SELECT pg_temp.rows_as('authenticated', :'olga_claims',
  $$INSERT INTO invoicing.invoices (org_id, customer_id, number)
    VALUES ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'ANV-00003')$$, 1);
-- NEAR-MISS column capture (invoices_issue): ... Vic, a viewer of the same organization, cannot.
SELECT pg_temp.expect('authenticated', :'vic_claims' || $$;
  INSERT INTO invoicing.invoices (org_id, customer_id, number)
  VALUES ('11111111-1111-4111-8111-111111111111', '1a000000-0000-4000-8000-0000000000c1', 'ANV-00004')$$, '42501');

-- DEFECT cross-tenant foreign key (invoice_lines.invoice_id): B's invoice 3 is invisible to Vic ...
SELECT pg_temp.rows_as('authenticated', :'vic_claims', $$SELECT count(*) FROM invoicing.invoices WHERE id = 3$$, 0);
-- DEFECT cross-tenant foreign key (invoice_lines.invoice_id): ... yet his line attaches to it ...
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$INSERT INTO invoicing.invoice_lines (org_id, invoice_id, description, unit_price_cents)
    VALUES ('11111111-1111-4111-8111-111111111111', 3, 'Planted line', 1)$$, 1);
-- DEFECT cross-tenant foreign key (invoice_lines.invoice_id): ... while an unused id is refused, so the key check reveals B's ids.
SELECT pg_temp.expect('authenticated', :'vic_claims' || $$;
  INSERT INTO invoicing.invoice_lines (org_id, invoice_id, description, unit_price_cents)
  VALUES ('11111111-1111-4111-8111-111111111111', 4, 'Probe', 1)$$, '23503');

-- NEAR-MISS cross-tenant foreign key (payments): a payment of A cannot name B's invoice 3.
SELECT pg_temp.expect('authenticated', :'olga_claims' || $$;
  INSERT INTO invoicing.payments (org_id, invoice_id, amount_cents, method)
  VALUES ('11111111-1111-4111-8111-111111111111', 3, 100, 'card')$$, '23503');

-- DEFECT bypass flag in a custom setting (payments_tenant): Vic sets app.is_admin himself and reads B's payment ...
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$SET LOCAL app.is_admin = 'true';
    SELECT count(*) FROM invoicing.payments WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);
-- DEFECT bypass flag in a custom setting (payments_tenant): ... and records a payment for tenant B.
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$SET LOCAL app.is_admin = 'true';
    WITH recorded AS (INSERT INTO invoicing.payments (org_id, invoice_id, amount_cents, method)
                      VALUES ('22222222-2222-4222-8222-222222222222', 3, 26000, 'cash') RETURNING 1)
    SELECT count(*) FROM recorded$$, 1);

-- DEFECT column capture (subscriptions_members_read): Vic, a viewer of A, reads B's subscription.
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$SELECT count(*) FROM invoicing.subscriptions WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);

-- NEAR-MISS bypass flag in a custom setting (usage_records_meter): the worker records usage for its batch's tenant ...
SELECT pg_temp.rows_as('authenticated', :'meter_a',
  $$INSERT INTO invoicing.usage_records (org_id, metric, quantity)
    VALUES ('11111111-1111-4111-8111-111111111111', 'emails', 5)$$, 1);
-- NEAR-MISS bypass flag in a custom setting (usage_records_meter): ... not for another tenant ...
SELECT pg_temp.expect('authenticated', :'meter_a' || $$;
  INSERT INTO invoicing.usage_records (org_id, metric, quantity)
  VALUES ('22222222-2222-4222-8222-222222222222', 'emails', 5)$$, '42501');
-- NEAR-MISS bypass flag in a custom setting (usage_records_meter): ... and for nobody without the setting.
SELECT pg_temp.expect('authenticated', $$
  INSERT INTO invoicing.usage_records (org_id, metric, quantity)
  VALUES ('11111111-1111-4111-8111-111111111111', 'emails', 5)$$, '42501');

-- DEFECT bypass flag in a custom setting (webhook_events_tenant): Vic sets app.role = 'system' and reads B's Stripe payload ...
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$SET LOCAL app.role = 'system';
    SELECT count(*) FROM invoicing.webhook_events WHERE org_id = '22222222-2222-4222-8222-222222222222'$$, 1);
-- DEFECT bypass flag in a custom setting (webhook_events_tenant): ... and marks B's event processed.
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$SET LOCAL app.role = 'system';
    WITH marked AS (UPDATE invoicing.webhook_events SET processed_at = now()
                    WHERE org_id = '22222222-2222-4222-8222-222222222222' RETURNING 1)
    SELECT count(*) FROM marked$$, 1);

-- DEFECT SECURITY DEFINER RPC without a caller check (billing_usage_report): Vic reads B's 7 sent invoices.
SELECT pg_temp.rows_as('authenticated', :'vic_claims',
  $$SELECT sum(total)::bigint FROM invoicing.billing_usage_report('22222222-2222-4222-8222-222222222222', '2025-01-01', '2025-12-31')$$, 7);

-- NEAR-MISS SECURITY DEFINER RPC (next_invoice_number): Olga numbers A's next invoice ...
SELECT pg_temp.rows_as('authenticated', :'olga_claims',
  $$SELECT count(*) FROM invoicing.next_invoice_number('11111111-1111-4111-8111-111111111111') AS n(number)
    WHERE n.number = 'ANV-00003'$$, 1);
-- NEAR-MISS SECURITY DEFINER RPC (next_invoice_number): ... not B's ...
SELECT pg_temp.expect('authenticated', :'olga_claims' || $$;
  SELECT invoicing.next_invoice_number('22222222-2222-4222-8222-222222222222')$$, '42501');
-- NEAR-MISS SECURITY DEFINER RPC (next_invoice_number): ... and Vic, a viewer, not even A's.
SELECT pg_temp.expect('authenticated', :'vic_claims' || $$;
  SELECT invoicing.next_invoice_number('11111111-1111-4111-8111-111111111111')$$, '42501');

-- NEAR-MISS SECURITY DEFINER RPC (apply_stripe_subscription): authenticated may not execute it ...
SELECT pg_temp.expect('authenticated', :'olga_claims' || $$;
  SELECT invoicing.apply_stripe_subscription('22222222-2222-4222-8222-222222222222', 'sub_planted', 'enterprise', 'active', now())$$, '42501');
-- NEAR-MISS SECURITY DEFINER RPC (apply_stripe_subscription): ... nor may anon.
SELECT pg_temp.expect('anon',
  $$SELECT invoicing.apply_stripe_subscription('22222222-2222-4222-8222-222222222222', 'sub_planted', 'enterprise', 'active', now())$$, '42501');
