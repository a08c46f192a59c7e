-- SQL the Rust macros cannot express, appended to the install script (it runs
-- last, so every object it grants on exists).

-- Hand-written fmgr function (see tg_get_current_org_id in src/identity.rs):
-- RLS policies call it once per row.
CREATE FUNCTION identity.get_current_org_id() RETURNS uuid
  STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'tg_get_current_org_id';
COMMENT ON FUNCTION identity.get_current_org_id() IS
  'The tenant every trusted claim location agrees on, or NULL. See identity.explain_claims().';

-- Policies run the helpers as the requesting role: every role must reach them.
-- (Functions are EXECUTE to PUBLIC by default.)
GRANT USAGE ON SCHEMA identity TO PUBLIC;
-- Except the token hook: it reads anyone's memberships. Supabase Auth calls it
-- as supabase_auth_admin: GRANT EXECUTE ... TO supabase_auth_admin.
REVOKE EXECUTE ON FUNCTION identity.custom_access_token_hook(jsonb) FROM PUBLIC;
COMMENT ON SCHEMA identity IS 'tenant_guard claim helpers: call these from RLS policies';

-- Schema tenant_guard: everyone may verify and authenticate (PostgREST runs
-- db-pre-request as the request role, anon or authenticated); the audit reads
-- the whole catalog, and the probe acts as other roles: both are granted explicitly:
--   GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tenant_guard TO migrator;
--   GRANT SELECT ON tenant_guard.suppressions TO migrator;
GRANT USAGE ON SCHEMA tenant_guard TO PUBLIC;
REVOKE EXECUTE ON FUNCTION
  tenant_guard.audit(text[], boolean),
  tenant_guard.audit_json(text[]),
  tenant_guard.remediation_script(text[]),
  tenant_guard.assert_clean(text, text[]),
  tenant_guard.audit_snapshot(),
  tenant_guard.probe_isolation(regclass, text, uuid, uuid),
  tenant_guard.probe_all(text[], text),
  tenant_guard.impersonate(jsonb, text),
  tenant_guard.enable_tenant_isolation(regclass, text, text[], boolean),
  tenant_guard.apply_grants(text[], name, text),
  tenant_guard.explain_access(regclass, text, text, jsonb)
  FROM PUBLIC;
COMMENT ON SCHEMA tenant_guard IS
  'tenant_guard: token verification (verify_jwt, authenticate, authenticate_request) for every role; the RLS audit for roles granted EXECUTE';
