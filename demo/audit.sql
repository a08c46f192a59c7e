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

\echo '== seed 002''s checklist in one call: log in as tenant A, try to reach tenant B (every change rolled back)'
SELECT table_name, "check", verdict, observed FROM tenant_guard.probe_all('{public}')
WHERE table_name IN ('public.patients', 'public.calendar_connections') ORDER BY 1, 2;
\echo '== the one-call fix, as a dry run'
SELECT step, status FROM tenant_guard.enable_tenant_isolation('public.calendar_connections', dry_run => true);
