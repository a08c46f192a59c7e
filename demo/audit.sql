-- The audit of the demo schema: every finding, then the remediation of the
-- errors, as a DBA would read them.
\pset footer off
\echo '== tenant_guard.audit(): findings'
SELECT level, code, coalesce(schema_name || '.' || table_name, object) AS object, policy_name, title
FROM tenant_guard.audit();
\echo '== remediation for the errors'
SELECT code, coalesce(policy_name, table_name) AS target, remediation
FROM tenant_guard.audit() WHERE level = 'error';
\echo '== gate a migration on it (raises while errors remain)'
\set VERBOSITY terse
SELECT tenant_guard.assert_clean('error');
\set VERBOSITY default
