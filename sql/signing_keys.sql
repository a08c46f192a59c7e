-- Verification keys by kid (src/signing_keys.rs): add a provider's new key
-- before it signs with it, retire the old one with not_after; every backend
-- picks up the change at its next transaction, without a restart.
CREATE TABLE tenant_guard.signing_keys (
  kid        text PRIMARY KEY CHECK (kid <> ''),
  alg        text NOT NULL,
  key        jsonb NOT NULL,
  issuer     text,
  audience   text,
  not_before timestamptz,
  not_after  timestamptz,
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tenant_guard.signing_keys IS
  'JWT verification keys: kid, alg, the JWK, optional issuer/audience the key is limited to, validity window';
-- Superusers only: oct keys are secrets, and whoever adds a key can mint tokens.
REVOKE ALL ON tenant_guard.signing_keys FROM PUBLIC;
-- The rows are the user's configuration: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('tenant_guard.signing_keys', '');

CREATE FUNCTION tenant_guard.signing_keys_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  PERFORM tenant_guard.check_signing_key(NEW.kid, NEW.alg, NEW.key,
    EXTRACT(EPOCH FROM NEW.not_before)::float8, EXTRACT(EPOCH FROM NEW.not_after)::float8);
  RETURN NEW;
END $$;
CREATE FUNCTION tenant_guard.signing_keys_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  PERFORM tenant_guard.invalidate_signing_keys(TG_RELID);
  RETURN NULL;
END $$;
CREATE TRIGGER signing_keys_check BEFORE INSERT OR UPDATE ON tenant_guard.signing_keys
  FOR EACH ROW EXECUTE FUNCTION tenant_guard.signing_keys_check();
CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_guard.signing_keys
  FOR EACH STATEMENT EXECUTE FUNCTION tenant_guard.signing_keys_changed();
REVOKE EXECUTE ON FUNCTION tenant_guard.signing_keys_check(), tenant_guard.signing_keys_changed(),
  tenant_guard.check_signing_key(text, text, jsonb, float8, float8),
  tenant_guard.invalidate_signing_keys(oid),
  tenant_guard.import_jwks(jsonb, text, text) FROM PUBLIC;
