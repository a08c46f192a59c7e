-- Suppressions for tenant_guard.audit(): one row per accepted finding, by its
-- stable cache_key, with the reason. An expired suppression no longer hides.
CREATE TABLE tenant_guard.suppressions (
  cache_key  text PRIMARY KEY,
  reason     text NOT NULL CHECK (pg_catalog.length(pg_catalog.btrim(reason)) > 0),
  created_by name NOT NULL DEFAULT CURRENT_USER,
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  expires_at timestamptz
);
COMMENT ON TABLE tenant_guard.suppressions IS
  'Accepted tenant_guard.audit() findings: cache_key, why, who, until when';
-- The audit reads it as the caller: grant SELECT with the audit functions.
REVOKE ALL ON tenant_guard.suppressions FROM PUBLIC;
-- Rows are the user's data, not the extension's: pg_dump must keep them.
SELECT pg_catalog.pg_extension_config_dump('tenant_guard.suppressions', '');
