-- tenant_guard 0.1.0 -> 0.2.0
-- Rules for upgrade scripts (docs/releasing.md): policies, views and functions
-- of the application depend on our functions, so never DROP (or DROP and
-- CREATE) an existing function; CREATE OR REPLACE with the same signature,
-- ALTER FUNCTION for attributes, new functions for new signatures. The
-- upgrade test (scripts/upgrade_test.sh) requires the result to equal a fresh
-- install of 0.2.0.
\echo Use "ALTER EXTENSION tenant_guard UPDATE TO '0.2.0'" to load this file. \quit

-- User-written suppressions are now dumped by pg_dump (they were lost by a
-- dump and restore in 0.1.0).
SELECT pg_catalog.pg_extension_config_dump('tenant_guard.suppressions', '');

-- All findings' remediation in one script, in a safe order (src/audit.rs).
CREATE FUNCTION tenant_guard.remediation_script(
	"schemas" TEXT[] DEFAULT NULL
) RETURNS TEXT
STABLE
LANGUAGE c
AS 'MODULE_PATHNAME', 'remediation_script_wrapper';
-- Like the other audit functions: for the roles granted EXECUTE.
REVOKE EXECUTE ON FUNCTION tenant_guard.remediation_script(text[]) FROM PUBLIC;

-- The user id as text, for providers whose ids are not UUIDs (src/identity.rs).
CREATE FUNCTION identity."get_current_user_key"() RETURNS TEXT
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'get_current_user_key_wrapper';

-- Who this request is, in one call (src/identity.rs).
CREATE FUNCTION identity."whoami"() RETURNS jsonb
STRICT STABLE PARALLEL RESTRICTED
LANGUAGE c
AS 'MODULE_PATHNAME', 'whoami_wrapper';

-- The auto-grant event trigger no longer grants on an extension's own tables:
-- this update creates tenant_guard.signing_keys, which only superusers may
-- touch, so this comes first (sql/postgrest.sql).
CREATE OR REPLACE FUNCTION tenant_guard.notify_postgrest_after_ddl() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  grantee text := nullif(current_setting('tenant_guard.auto_grant_role', true), '');
  privs text := coalesce(nullif(current_setting('tenant_guard.auto_grant_privileges', true), ''),
                         'SELECT, INSERT, UPDATE, DELETE');
  r record;
  s oid;
BEGIN
  IF grantee IS NOT NULL THEN
    IF privs !~* '^\s*(SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER)(\s*,\s*(SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER))*\s*$' THEN
      RAISE EXCEPTION 'tenant_guard.auto_grant_privileges is not a list of table privileges: %', privs
        USING ERRCODE = '22023';
    END IF;
    FOR r IN
      SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
      WHERE c.classid = 'pg_class'::regclass AND c.objsubid = 0
        AND c.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'CREATE VIEW')
        -- never an extension's own tables (ALTER EXTENSION ... UPDATE creates
        -- tenant_guard.signing_keys, which only superusers may touch)
        AND NOT c.in_extension
    LOOP
      EXECUTE format('GRANT %s ON %s TO %I', privs, r.objid::regclass, grantee);
      IF privs ~* 'INSERT' THEN
        FOR s IN SELECT d.objid FROM pg_depend d JOIN pg_class q ON q.oid = d.objid
                 WHERE d.refobjid = r.objid AND d.classid = 'pg_class'::regclass
                   AND q.relkind = 'S' AND d.deptype IN ('a', 'i')
        LOOP
          EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', s::regclass, grantee);
        END LOOP;
      END IF;
    END LOOP;
  END IF;
  PERFORM pg_catalog.pg_notify('pgrst', 'reload schema');
END $$;

-- Verification keys in a table, by kid (src/signing_keys.rs, sql/signing_keys.sql).
CREATE FUNCTION tenant_guard."check_signing_key"(
	"kid" TEXT,
	"alg" TEXT,
	"key" jsonb,
	"not_before" double precision,
	"not_after" double precision
) RETURNS VOID
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'check_signing_key_wrapper';
CREATE FUNCTION tenant_guard."invalidate_signing_keys"(
	"rel" oid
) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'invalidate_signing_keys_wrapper';
CREATE FUNCTION tenant_guard."import_jwks"(
	"jwks" jsonb,
	"issuer" TEXT DEFAULT NULL,
	"audience" TEXT DEFAULT NULL
) RETURNS TABLE (
	"kid" TEXT,
	"alg" TEXT,
	"kind" TEXT,
	"status" TEXT
)
VOLATILE PARALLEL UNSAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'import_jwks_wrapper';
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
