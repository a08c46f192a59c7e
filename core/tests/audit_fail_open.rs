//! fail_open_predicate, settable_bypass_setting and tenant_column_capture
//! over catalog snapshots captured from PostgreSQL 15
//! (core/tests/fixtures/audit/{fail_open,capture}*.sql, captured by
//! capture.sh). Every flagged leak was reproduced at capture time as a client
//! role (no identity, or a member of one tenant only); every near miss was
//! shown to leak nothing.

use std::collections::BTreeSet;
use tenant_guard_core::audit::{self, AuditConfig, Finding, Snapshot};

const CODES: &[&str] = &[
    "fail_open_predicate",
    "settable_bypass_setting",
    "tenant_column_capture",
];

fn load(name: &str) -> Vec<Finding> {
    load_codes(name, CODES)
}

fn load_codes(name: &str, codes: &[&str]) -> Vec<Finding> {
    let path = format!(
        "{}/tests/fixtures/audit/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let snap = Snapshot::from_json(&text).expect("fixture parses");
    assert!(snap.parse_errors.is_empty(), "{:?}", snap.parse_errors);
    let findings = audit::run(&snap, &AuditConfig::default());
    for f in findings.iter().filter(|f| codes.contains(&f.code)) {
        println!(
            "{} {:?} {:?}\n   {}\n   {}",
            f.code, f.table_name, f.policy_name, f.detail, f.remediation
        );
    }
    findings
}

fn rows(findings: &[Finding]) -> BTreeSet<(String, String, String)> {
    findings
        .iter()
        .filter(|f| CODES.contains(&f.code))
        .map(|f| {
            (
                f.code.to_owned(),
                f.table_name.clone().unwrap_or_default(),
                f.policy_name.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn find<'a>(findings: &'a [Finding], code: &str, table: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == code && f.table_name.as_deref() == Some(table))
        .unwrap_or_else(|| panic!("no {code} on {table}"))
}

#[test]
fn fail_open_fixture() {
    let f = load("fail_open");
    let expected: BTreeSet<(String, String, String)> = [
        ("fail_open_predicate", "documents", "documents_read"),
        ("fail_open_predicate", "notes", "notes_tenant"),
        ("fail_open_predicate", "reports", "reports_tenant"),
        ("fail_open_predicate", "invoices", "invoices_tenant"),
        ("fail_open_predicate", "projects", "projects_tenant"),
        ("fail_open_predicate", "comments", "comments_insert"),
        ("settable_bypass_setting", "orders", "orders_tenant"),
        ("settable_bypass_setting", "payments", "payments_tenant"),
        (
            "settable_bypass_setting",
            "audit_events",
            "audit_events_tenant",
        ),
        // the guard of a SECURITY DEFINER function (no table, no policy)
        ("fail_open_predicate", "", ""),
        // coalesce(<unset setting>, org_id) = org_id
        ("fail_open_predicate", "skus", "skus_tenant"),
        // a magic value of the tenant setting; a flag read in a sub-select
        ("settable_bypass_setting", "patients", "patients_tenant"),
        ("settable_bypass_setting", "ledgers", "ledgers_tenant"),
        // the flag read inside a LANGUAGE sql helper
        ("settable_bypass_setting", "trips", "trips_tenant"),
        // falls back to one real tenant without a setting
        ("fail_open_predicate", "routes", "routes_tenant"),
    ]
    .iter()
    .map(|(c, t, p)| (c.to_string(), t.to_string(), p.to_string()))
    .collect();
    assert_eq!(rows(&f), expected);
    let routes = f
        .iter()
        .find(|x| x.policy_name.as_deref() == Some("routes_tenant"))
        .unwrap();
    assert!(
        routes.detail.contains(
            "falls back to the fixed tenant '11111111-1111-4111-8111-111111111111' when the caller's tenant setting is missing (NULL) or empty ('')"
        ),
        "{}",
        routes.detail
    );
    assert!(
        routes.remediation.ends_with(
            "ALTER POLICY routes_tenant ON public.routes USING (org_id = (SELECT identity.get_current_org_id()));"
        ),
        "{}",
        routes.remediation
    );
    let guard = f
        .iter()
        .find(|x| x.object.as_deref() == Some("public.visible_documents()"))
        .expect("the definer guard");
    assert!(
        guard
            .detail
            .contains("callable by anon, authenticated, PUBLIC"),
        "{}",
        guard.detail
    );

    let docs = find(&f, "fail_open_predicate", "documents");
    assert!(
        docs.detail.contains("applies to anon, authenticated"),
        "{}",
        docs.detail
    );
    assert!(
        docs.detail
            .contains("missing (NULL) and when they are empty"),
        "{}",
        docs.detail
    );
    // the remediation keeps what checks the caller: the OR branch that is not open
    assert!(
        docs.remediation.ends_with(
            "ALTER POLICY documents_read ON public.documents USING ((owner_id = auth.uid()));"
        ),
        "{}",
        docs.remediation
    );
    // NULL only: an empty setting makes the uuid cast fail (an error, no rows)
    let notes = find(&f, "fail_open_predicate", "notes");
    assert!(
        notes.detail.contains("are missing (NULL):"),
        "{}",
        notes.detail
    );
    let reports = find(&f, "fail_open_predicate", "reports");
    assert!(reports.detail.contains("empty ('')"), "{}", reports.detail);
    let comments = find(&f, "fail_open_predicate", "comments");
    assert!(
        comments
            .detail
            .starts_with("WITH CHECK of permissive policy comments_insert FOR INSERT"),
        "{}",
        comments.detail
    );

    let orders = find(&f, "settable_bypass_setting", "orders");
    assert!(
        orders.detail.contains("SET app.bypass_rls = 'on'"),
        "{}",
        orders.detail
    );
    let payments = find(&f, "settable_bypass_setting", "payments");
    assert!(
        payments.detail.contains("app.is_admin"),
        "{}",
        payments.detail
    );
    let events = find(&f, "settable_bypass_setting", "audit_events");
    assert!(
        events.detail.contains("SET app.role = 'system'"),
        "{}",
        events.detail
    );
}

#[test]
fn fail_open_near_misses_are_quiet() {
    let f = load("fail_open_ok");
    assert_eq!(rows(&f), BTreeSet::new());
}

#[test]
fn capture_fixture() {
    let f = load("capture");
    let expected: BTreeSet<(String, String, String)> = [
        ("tenant_column_capture", "documents", "documents_members"),
        ("tenant_column_capture", "documents", "documents_insert"),
        ("tenant_column_capture", "projects", "projects_team"),
        ("tenant_column_capture", "invoices", "invoices_tenant"),
    ]
    .iter()
    .map(|(c, t, p)| (c.to_string(), t.to_string(), p.to_string()))
    .collect();
    assert_eq!(rows(&f), expected);
    let docs = f
        .iter()
        .find(|x| x.policy_name.as_deref() == Some("documents_members"))
        .unwrap();
    assert!(
        docs.detail.contains("(m.org_id = m.org_id)"),
        "{}",
        docs.detail
    );
    assert!(
        docs.detail.contains("Meant: m.org_id = documents.org_id"),
        "{}",
        docs.detail
    );
    assert!(
        docs.remediation
            .contains("WHERE ((m.org_id = documents.org_id) AND (m.user_id = auth.uid()))"),
        "{}",
        docs.remediation
    );
    let projects = find(&f, "tenant_column_capture", "projects");
    assert!(
        projects.detail.contains("(tm.team_id = tm.team_id)"),
        "{}",
        projects.detail
    );
    let invoices = find(&f, "tenant_column_capture", "invoices");
    assert!(
        invoices
            .detail
            .contains("with itself (invoices.org_id = invoices.org_id)"),
        "{}",
        invoices.detail
    );
}

#[test]
fn capture_near_misses_are_quiet() {
    let f = load("capture_ok");
    assert_eq!(rows(&f), BTreeSet::new());
}

#[test]
fn writes_fixture() {
    let f = load_codes("writes", &["update_without_with_check", "truncate_grant"]);
    let got: BTreeSet<(String, String, String)> = f
        .iter()
        .filter(|x| x.code == "update_without_with_check" || x.code == "truncate_grant")
        .map(|x| {
            (
                x.code.to_owned(),
                x.object.clone().unwrap_or_default(),
                x.policy_name.clone().unwrap_or_default(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = [
        (
            "update_without_with_check",
            "public.documents.org_id",
            "documents_owner_update",
        ),
        (
            "update_without_with_check",
            "public.memberships.org_id",
            "memberships_own",
        ),
        (
            "update_without_with_check",
            "public.memberships.role",
            "memberships_own",
        ),
        ("truncate_grant", "public.invoices", ""),
    ]
    .iter()
    .map(|(c, o, p)| (c.to_string(), o.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, expected);
    let doc = f
        .iter()
        .find(|x| x.object.as_deref() == Some("public.documents.org_id"))
        .unwrap();
    assert!(
        doc.detail
            .contains("an UPDATE without one, which needs no SELECT right, is not"),
        "{}",
        doc.detail
    );
    assert!(doc.remediation.contains(
        "WITH CHECK ((owner_id = auth.uid()) AND org_id = (SELECT identity.get_current_org_id()));"
    ), "{}", doc.remediation);
    let role = f
        .iter()
        .find(|x| x.object.as_deref() == Some("public.memberships.role"))
        .unwrap();
    assert!(role.detail.contains("promote itself"), "{}", role.detail);
    assert!(
        role.remediation.contains(
            "GRANT UPDATE (user_id, org_id, display_name) ON public.memberships TO authenticated;"
        ),
        "{}",
        role.remediation
    );
    let trunc = f.iter().find(|x| x.code == "truncate_grant").unwrap();
    assert_eq!(
        trunc.remediation,
        "REVOKE TRUNCATE ON public.invoices FROM authenticated;"
    );
}

#[test]
fn writes_near_misses_are_quiet() {
    let f = load_codes(
        "writes_ok",
        &["update_without_with_check", "truncate_grant"],
    );
    assert!(
        !f.iter()
            .any(|x| x.code == "update_without_with_check" || x.code == "truncate_grant"),
        "{f:#?}"
    );
}

const ACCESS: &[&str] = &["policy_helper_not_executable", "returning_needs_select"];

#[test]
fn access_fixture() {
    let f = load_codes("access", ACCESS);
    let got: BTreeSet<(String, String, String)> = f
        .iter()
        .filter(|x| ACCESS.contains(&x.code))
        .map(|x| {
            (
                x.code.to_owned(),
                x.table_name.clone().unwrap_or_default(),
                x.policy_name.clone().unwrap_or_default(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = [
        ("policy_helper_not_executable", "tasks", "tasks_member"),
        (
            "policy_helper_not_executable",
            "documents",
            "documents_member",
        ),
        ("returning_needs_select", "feedback", ""),
        // a role the app switches to, not a client role
        (
            "policy_helper_not_executable",
            "prescriptions",
            "prescriptions_clinical",
        ),
    ]
    .iter()
    .map(|(c, t, p)| (c.to_string(), t.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, expected);
    let tasks = find(&f, "policy_helper_not_executable", "tasks");
    assert!(
        tasks
            .detail
            .contains("authenticated lacks EXECUTE on public.is_member(uuid)"),
        "{}",
        tasks.detail
    );
    assert_eq!(
        tasks.remediation,
        "GRANT EXECUTE ON FUNCTION public.is_member(uuid) TO authenticated;"
    );
    let rx = find(&f, "policy_helper_not_executable", "prescriptions");
    assert!(
        rx.detail
            .contains("reporter lacks EXECUTE on public.current_staff_role()")
            && !rx.detail.contains("authenticated lacks"),
        "{}",
        rx.detail
    );
    let docs = find(&f, "policy_helper_not_executable", "documents");
    assert_eq!(
        docs.remediation,
        "GRANT SELECT ON public.memberships TO authenticated;"
    );
    let ret = find(&f, "returning_needs_select", "feedback");
    assert!(
        ret.remediation.starts_with(
            "CREATE POLICY feedback_select ON public.feedback FOR SELECT TO authenticated USING ("
        ),
        "{}",
        ret.remediation
    );
}

#[test]
fn access_near_misses_are_quiet() {
    let f = load_codes("access_ok", ACCESS);
    assert!(!f.iter().any(|x| ACCESS.contains(&x.code)), "{f:#?}");
}

#[test]
fn membership_fixture() {
    let codes = &["membership_self_grant"];
    let f = load_codes("membership", codes);
    let got: BTreeSet<(String, String)> = f
        .iter()
        .filter(|x| x.code == "membership_self_grant")
        .map(|x| {
            (
                x.table_name.clone().unwrap_or_default(),
                x.policy_name.clone().unwrap_or_default(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("memberships", "memberships_join"),
        ("team_members", "team_members_own"),
        ("workspace_members", "workspace_members_insert"),
    ]
    .iter()
    .map(|(t, p)| (t.to_string(), p.to_string()))
    .collect();
    assert_eq!(got, expected);
    // the helper path: projects rely on team_members through my_team_ids()
    let team = find(&f, "membership_self_grant", "team_members");
    assert!(
        team.detail
            .contains("decides tenant access for public.projects"),
        "{}",
        team.detail
    );
    assert!(
        team.detail.contains("never looks at team_id"),
        "{}",
        team.detail
    );
    let near = load_codes("membership_ok", codes);
    assert!(
        !near.iter().any(|x| x.code == "membership_self_grant"),
        "{near:#?}"
    );
}

#[test]
fn storage_fixture() {
    let codes = &["unscoped_storage_policy"];
    let f = load_codes("storage", codes);
    let got: BTreeSet<String> = f
        .iter()
        .filter(|x| x.code == "unscoped_storage_policy")
        .map(|x| x.policy_name.clone().unwrap_or_default())
        .collect();
    let expected: BTreeSet<String> = ["documents read", "documents delete", "documents upload"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, expected);
    let upload = f
        .iter()
        .find(|x| x.policy_name.as_deref() == Some("documents upload"))
        .unwrap();
    assert!(upload.remediation.contains(
        "ALTER POLICY \"documents upload\" ON storage.objects WITH CHECK (((bucket_id = 'documents'::text)) AND (storage.foldername(name))[1] = (SELECT identity.get_current_org_id())::text);"
    ), "{}", upload.remediation);
    let near = load_codes("storage_ok", codes);
    assert!(
        !near.iter().any(|x| x.code == "unscoped_storage_policy"),
        "{near:#?}"
    );
}

#[test]
fn definer_fixture() {
    let codes = &["definer_function_unscoped"];
    let f = load_codes("definer", codes);
    let got: BTreeSet<String> = f
        .iter()
        .filter(|x| x.code == "definer_function_unscoped")
        .map(|x| x.object.clone().unwrap_or_default())
        .collect();
    let expected: BTreeSet<String> = [
        "public.get_org_invoices(uuid)",
        "public.void_invoice(integer)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, expected);
    let void = f
        .iter()
        .find(|x| x.object.as_deref() == Some("public.void_invoice(integer)"))
        .unwrap();
    assert!(
        void.detail.contains("public.invoices (UPDATE)"),
        "{}",
        void.detail
    );
    assert!(void.remediation.ends_with("REVOKE EXECUTE ON FUNCTION public.void_invoice(integer) FROM anon, authenticated, PUBLIC;"), "{}", void.remediation);
    let near = load_codes("definer_ok", codes);
    assert!(
        !near.iter().any(|x| x.code == "definer_function_unscoped"),
        "{near:#?}"
    );
}

#[test]
fn owner_fixture() {
    let config = AuditConfig {
        client_roles: vec!["anon".into(), "authenticated".into(), "web_client".into()],
        ..AuditConfig::default()
    };
    let run = |name: &str| {
        let path = format!(
            "{}/tests/fixtures/audit/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let snap = Snapshot::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        audit::run(&snap, &config)
    };
    let f = run("owner");
    let got: BTreeSet<String> = f
        .iter()
        .filter(|x| x.code == "owner_bypass")
        .map(|x| x.object.clone().unwrap_or_default())
        .collect();
    let expected: BTreeSet<String> = ["authenticated", "web_client", "app_worker"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, expected);
    let auth = f
        .iter()
        .find(|x| x.code == "owner_bypass" && x.object.as_deref() == Some("authenticated"))
        .unwrap();
    assert!(
        auth.detail
            .contains("public.reports (inherits its owner reports_owner)"),
        "{}",
        auth.detail
    );
    assert!(
        auth.remediation
            .starts_with("ALTER TABLE public.reports FORCE ROW LEVEL SECURITY;"),
        "{}",
        auth.remediation
    );
    // reported once, as owner_bypass, not again as force_rls_missing
    assert!(!f.iter().any(|x| x.code == "force_rls_missing"), "{f:#?}");
    let web = f
        .iter()
        .find(|x| x.code == "owner_bypass" && x.object.as_deref() == Some("web_client"))
        .unwrap();
    assert_eq!(
        web.remediation,
        "ALTER ROLE web_client NOSUPERUSER NOBYPASSRLS;"
    );
    let near = run("owner_ok");
    assert!(!near.iter().any(|x| x.code == "owner_bypass"), "{near:#?}");
}

#[test]
fn references_fixture() {
    let codes = &["cross_tenant_foreign_key", "rls_disabled"];
    let f = load_codes("references", codes);
    let got: BTreeSet<(String, String)> = f
        .iter()
        .filter(|x| codes.contains(&x.code))
        .map(|x| (x.code.to_owned(), x.object.clone().unwrap_or_default()))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (
            "cross_tenant_foreign_key",
            "public.tasks.tasks_project_id_fkey",
        ),
        // the child without tenant column and RLS: rls_disabled, scoped through its parent
        ("rls_disabled", "public.project_comments"),
    ]
    .iter()
    .map(|(c, o)| (c.to_string(), o.to_string()))
    .collect();
    assert_eq!(got, expected);
    let tasks = find(&f, "cross_tenant_foreign_key", "tasks");
    // an integer key can be guessed: warn
    assert_eq!(tasks.level.as_str(), "warn");
    assert!(tasks.remediation.contains(
        "ALTER TABLE public.tasks DROP CONSTRAINT tasks_project_id_fkey, ADD CONSTRAINT tasks_project_id_fkey FOREIGN KEY (project_id, org_id) REFERENCES public.projects (id, org_id);"
    ), "{}", tasks.remediation);
    let comments = find(&f, "rls_disabled", "project_comments");
    assert!(
        comments.remediation.contains("USING (EXISTS (SELECT 1 FROM public.projects p WHERE p.id = project_comments.project_id));"),
        "{}",
        comments.remediation
    );
    let near = load_codes("references_ok", codes);
    assert!(!near.iter().any(|x| codes.contains(&x.code)), "{near:#?}");
}
