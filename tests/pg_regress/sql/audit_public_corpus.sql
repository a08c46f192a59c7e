-- tenant_guard.audit() over ten schemas written for this corpus after studying
-- public multi-tenant code (tests/corpus/public/*.sql; each file's header names
-- the repositories whose patterns it reproduces). Each file marks its defects
-- (-- DEFECT:) and safe look-alikes (-- NEAR-MISS:) and ends with PostgreSQL
-- confirming every one of them as a client role, neither superuser nor owner
-- except where the defect is the owner's own (the NOTICEs below); the findings
-- listed after each file are the audit's answer. Reviewed against the markers:
-- every DEFECT of the audit-part-two classes is found (the last two misses,
-- fleet route_stops falling back to one real tenant when the setting is
-- unset and the clinic helper a SET ROLE reporting role cannot execute, are
-- found since fail_open_predicate knows fixed-tenant fallbacks and
-- policy_helper_not_executable checks every role granted on the table).
-- Precision on these schemas (before the pass that made exposure follow real
-- grants): public_role_policy 69 -> 0 (policies without TO in apps whose
-- anonymous role cannot reach the table), multiple_permissive_policies 37
-- warn -> 13 info (roles that cannot run the command dropped; a performance
-- hint, not a defect), tenant_policy_missing_filter 17 -> 3 (a user's own
-- rows in membership and invitation tables; policies a more specific finding
-- explains), per_row_claim_call 26 -> 22 (uncorrelated sub-queries),
-- rls_disabled 1 -> 0 (shared FX rates only the app's backend role writes),
-- update_without_with_check 6 -> 4 (bypass policies, reported as such).
\getenv abs_srcdir PG_ABS_SRCDIR
\set runner :abs_srcdir /run_corpus_file.psql
\set corpus crm
\i :runner
\set corpus lms
\i :runner
\set corpus helpdesk
\i :runner
\set corpus notes_app
\i :runner
\set corpus invoicing
\i :runner
\set corpus forum
\i :runner
\set corpus clinic
\i :runner
\set corpus warehouse
\i :runner
\set corpus billing_svc
\i :runner
\set corpus fleet
\i :runner
-- The corpus's roles are cluster-wide: drop them for the tests that follow.
SET client_min_messages = warning;
DROP ROLE IF EXISTS billing_svc_owner, billing_svc_web, billing_svc_app, billing_svc_support,
  clinic_app, clinic_reporting, clinic_worker, fleet_owner, fleet_web, fleet_rails, fleet_migrator,
  forum_owner, forum_web, forum_authenticator, lms_api, lms_mailer, lms_grading_worker,
  warehouse_owner, warehouse_web, warehouse_api;
RESET client_min_messages;
