-- SQL the Rust macros cannot express, appended to the install script.

-- Hand-written fmgr function (see tg_get_current_org_id in src/identity.rs):
-- RLS policies call it once per row.
CREATE FUNCTION identity.get_current_org_id() RETURNS uuid
  STABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'tg_get_current_org_id';
COMMENT ON FUNCTION identity.get_current_org_id() IS
  'The tenant every trusted claim location agrees on, or NULL. See identity.explain_claims().';

-- Policies run the helpers as the requesting role: every role must reach them.
-- (Functions are EXECUTE to PUBLIC by default.)
GRANT USAGE ON SCHEMA identity TO PUBLIC;
COMMENT ON SCHEMA identity IS 'tenant_guard claim helpers: call these from RLS policies';
