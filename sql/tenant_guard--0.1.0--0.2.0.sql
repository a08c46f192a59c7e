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
