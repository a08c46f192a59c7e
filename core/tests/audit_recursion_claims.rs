//! Recursion and claims checks over catalog snapshots captured from
//! PostgreSQL 15: core/tests/fixtures/audit/<name>.sql, captured into
//! <name>.json by capture.sh (tenant_guard.audit_snapshot(), so LANGUAGE sql
//! bodies are analysed as audit() sees them). Each recursion fixture checked
//! the real 42P17 / 54001 (or their absence) as the role while it was captured.

use std::collections::BTreeSet;
use tenant_guard_core::audit::{self, AuditConfig, Finding, Snapshot};

const RECURSION: &[&str] = &["policy_recursion", "function_recursion"];
const CLAIMS: &[&str] = &[
    "user_metadata_in_policy",
    "raw_claim_access",
    "claim_key_drift",
    "per_row_claim_call",
    "untrusted_claim_source",
];

fn text(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(json: &str) -> Snapshot {
    let snap = Snapshot::from_json(json).expect("fixture parses");
    assert!(snap.parse_errors.is_empty(), "{:?}", snap.parse_errors);
    snap
}

fn load(name: &str) -> Snapshot {
    parse(&text(&format!("audit/{name}.json")))
}

/// The snapshot as `sql/queries/snapshot.sql` alone returns it: no analysed
/// LANGUAGE sql bodies (BEGIN ATOMIC bodies are in the catalog and stay).
fn without_analysed_bodies(json: &str) -> Snapshot {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    for f in v["functions"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("analyzed_body");
    }
    parse(&v.to_string())
}

fn run(snap: &Snapshot, config: &AuditConfig) -> Vec<Finding> {
    let findings = audit::run(snap, config);
    for f in &findings {
        println!(
            "{} {} {:?} {:?}\n   {}\n   {}",
            f.level.as_str(),
            f.code,
            f.table_name,
            f.policy_name,
            f.detail,
            f.remediation.replace('\n', "\n   ")
        );
    }
    findings
}

type Row = (String, Option<String>, Option<String>);

/// (code, table, policy) of the findings with one of `codes`.
fn rows(findings: &[Finding], codes: &[&str]) -> BTreeSet<Row> {
    findings
        .iter()
        .filter(|f| codes.contains(&f.code))
        .map(|f| {
            (
                f.code.to_owned(),
                f.table_name.clone(),
                f.policy_name.clone(),
            )
        })
        .collect()
}

fn expect(list: &[(&str, Option<&str>, Option<&str>)]) -> BTreeSet<Row> {
    list.iter()
        .map(|(c, t, p)| (c.to_string(), t.map(str::to_owned), p.map(str::to_owned)))
        .collect()
}

fn find<'a>(findings: &'a [Finding], code: &str, table: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == code && f.table_name.as_deref() == Some(table))
        .unwrap_or_else(|| panic!("no {code} on {table}"))
}

#[test]
fn policy_recursion_fixture() {
    let f = run(&load("policy_recursion"), &AuditConfig::default());
    assert_eq!(
        rows(&f, RECURSION),
        expect(&[
            (
                "policy_recursion",
                Some("audit_events"),
                Some("audit_events_owner_org")
            ),
            ("policy_recursion", Some("documents"), Some("documents_org")),
            (
                "policy_recursion",
                Some("invoices"),
                Some("invoices_insert_unique")
            ),
            (
                "policy_recursion",
                Some("memberships"),
                Some("members_see_members")
            ),
            (
                "policy_recursion",
                Some("project_members"),
                Some("project_members_same_project")
            ),
        ])
    );
    let m = find(&f, "policy_recursion", "memberships");
    assert!(
        m.detail.contains("as role authenticated raises 42P17"),
        "{}",
        m.detail
    );
    assert!(
        m.detail
            .contains("public.memberships [policy members_see_members] -> public.memberships."),
        "{}",
        m.detail
    );
    assert!(
        !m.detail.contains("anon"),
        "anon has its own policy: {}",
        m.detail
    );
    assert!(m.remediation.contains("SECURITY DEFINER SET search_path"));
    assert!(m.remediation.contains("OWNER TO postgres"));
    assert!(m.remediation.contains(
        "ALTER POLICY members_see_members ON public.memberships USING ((org_id IN (SELECT public.memberships_members_see_members_lookup())));"
    ), "{}", m.remediation);
    let pm = find(&f, "policy_recursion", "project_members");
    assert!(pm.detail.contains(
        "public.project_members [policy project_members_same_project] -> public.projects [policy projects_members] -> public.project_members"
    ), "{}", pm.detail);
    assert!(
        pm.remediation
            .contains("(p_project_id uuid) RETURNS boolean"),
        "a correlated EXISTS becomes a function of the outer columns: {}",
        pm.remediation
    );
    let d = find(&f, "policy_recursion", "documents");
    assert!(
        d.detail
            .contains("public.my_documents (security_invoker view)"),
        "{}",
        d.detail
    );
    let i = find(&f, "policy_recursion", "invoices");
    assert!(
        i.detail
            .starts_with("INSERT into public.invoices as role authenticated"),
        "{}",
        i.detail
    );
    let a = find(&f, "policy_recursion", "audit_events");
    assert!(
        a.detail.contains("as role app_owner"),
        "the FORCE owner: {}",
        a.detail
    );
    assert!(a.remediation.contains("BYPASSRLS"), "{}", a.remediation);
}

#[test]
fn policy_recursion_near_misses() {
    // A SECURITY DEFINER helper, a definer view, a policy for a BYPASSRLS
    // role, a loop split across roles, RLS off, sub-queries that do not lead back.
    let f = run(&load("policy_recursion_ok"), &AuditConfig::default());
    assert_eq!(rows(&f, RECURSION), BTreeSet::new());
}

#[test]
fn function_recursion_fixture() {
    let f = run(&load("function_recursion"), &AuditConfig::default());
    assert_eq!(
        rows(&f, RECURSION),
        expect(&[
            (
                "function_recursion",
                Some("account_members"),
                Some("account_members_visible")
            ),
            (
                "function_recursion",
                Some("team_members"),
                Some("team_members_org")
            ),
            ("function_recursion", Some("tickets"), Some("tickets_org")),
            (
                "function_recursion",
                Some("users"),
                Some("users_same_tenant")
            ),
        ])
    );
    let u = find(&f, "function_recursion", "users");
    assert!(u.detail.contains(
        "public.users [policy users_same_tenant] -> public.get_user_tenant_id() (SECURITY INVOKER) -> public.users"
    ), "{}", u.detail);
    assert!(u.detail.contains("anon, authenticated"), "{}", u.detail);
    assert!(u
        .remediation
        .contains("ALTER FUNCTION public.get_user_tenant_id() SECURITY DEFINER"));
    let a = find(&f, "function_recursion", "account_members");
    assert!(
        a.detail.contains("public.member_account_ids()"),
        "{}",
        a.detail
    );
    assert!(
        a.detail.contains("as role authenticated recurses"),
        "not anon (the policies are TO authenticated): {}",
        a.detail
    );
    let t = find(&f, "function_recursion", "tickets");
    assert!(t.detail.contains("[from PL/pgSQL source]"), "{}", t.detail);
    let tm = find(&f, "function_recursion", "team_members");
    assert!(
        tm.detail
            .contains("public.my_team_org_ids() (SECURITY DEFINER, runs as app_owner)"),
        "{}",
        tm.detail
    );
    assert!(tm
        .remediation
        .contains("ALTER POLICY team_members_org ON public.team_members TO"));
}

#[test]
fn function_recursion_near_misses() {
    // The definer fix, FORCE without a policy for the owner, a helper on
    // another table, a PL/pgSQL helper that mentions the table only in
    // comments and strings, a policy for service_role.
    let f = run(&load("function_recursion_ok"), &AuditConfig::default());
    assert_eq!(rows(&f, RECURSION), BTreeSet::new());
}

#[test]
fn function_recursion_from_the_catalog_snapshot_alone() {
    // Without analysed bodies the LANGUAGE sql helper is scanned as text;
    // BEGIN ATOMIC bodies are node trees in the catalog itself.
    let snap = without_analysed_bodies(&text("audit/function_recursion.json"));
    let f = run(&snap, &AuditConfig::default());
    assert_eq!(
        rows(&f, RECURSION),
        expect(&[
            (
                "function_recursion",
                Some("account_members"),
                Some("account_members_visible")
            ),
            (
                "function_recursion",
                Some("team_members"),
                Some("team_members_org")
            ),
            ("function_recursion", Some("tickets"), Some("tickets_org")),
            (
                "function_recursion",
                Some("users"),
                Some("users_same_tenant")
            ),
        ])
    );
    let u = find(&f, "function_recursion", "users");
    assert!(
        u.detail.contains("[from SQL source text, not analysed]"),
        "{}",
        u.detail
    );
    let a = find(&f, "function_recursion", "account_members");
    assert!(
        !a.detail.contains("source"),
        "BEGIN ATOMIC is a tree: {}",
        a.detail
    );
}

#[test]
fn demo_snapshot_recursion() {
    for snap in [
        parse(&text("demo_snapshot.json")),
        without_analysed_bodies(&text("demo_snapshot.json")),
    ] {
        let f = run(&snap, &AuditConfig::default());
        assert_eq!(
            rows(&f, RECURSION),
            expect(&[
                (
                    "function_recursion",
                    Some("users"),
                    Some("users_same_tenant")
                ),
                (
                    "policy_recursion",
                    Some("memberships"),
                    Some("memberships_members_see_members")
                ),
            ])
        );
        let m = find(&f, "policy_recursion", "memberships");
        assert!(m.detail.contains("as role authenticated"), "{}", m.detail);
    }
}

#[test]
fn demo_snapshot_claims() {
    let f = run(&parse(&text("demo_snapshot.json")), &AuditConfig::default());
    assert_eq!(
        rows(&f, CLAIMS),
        expect(&[
            (
                "user_metadata_in_policy",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            (
                "raw_claim_access",
                Some("appointment_bookings"),
                Some("appointment_bookings_org_isolation")
            ),
            (
                "raw_claim_access",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            (
                "claim_key_drift",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            (
                "per_row_claim_call",
                Some("appointment_bookings"),
                Some("appointment_bookings_org_isolation")
            ),
            (
                "per_row_claim_call",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            // (memberships_members_see_members calls auth.uid() inside an
            // uncorrelated IN (SELECT …): run once per statement, not flagged)
            (
                "per_row_claim_call",
                Some("users"),
                Some("users_same_tenant")
            ),
            ("untrusted_claim_source", None, None),
        ])
    );
}

#[test]
fn claims_fixture() {
    let f = run(&load("claims"), &AuditConfig::default());
    assert_eq!(
        rows(&f, &["user_metadata_in_policy"]),
        expect(&[
            (
                "user_metadata_in_policy",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            (
                "user_metadata_in_policy",
                Some("invoices"),
                Some("invoices_user_org")
            ),
            (
                "user_metadata_in_policy",
                Some("preferences"),
                Some("preferences_user_org")
            ),
            (
                "user_metadata_in_policy",
                Some("reports"),
                Some("reports_user_meta")
            ),
        ])
    );
    assert_eq!(
        rows(&f, &["raw_claim_access"]),
        expect(&[
            (
                "raw_claim_access",
                Some("appointment_bookings"),
                Some("appointment_bookings_org_isolation")
            ),
            (
                "raw_claim_access",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            ("raw_claim_access", Some("contacts"), Some("contacts_org")),
            (
                "raw_claim_access",
                Some("invoices"),
                Some("invoices_user_org")
            ),
            (
                "raw_claim_access",
                Some("legacy_notes"),
                Some("legacy_notes_org")
            ),
            ("raw_claim_access", Some("patients"), Some("patients_org")),
            ("raw_claim_access", Some("sms_logs"), Some("sms_logs_org")),
            (
                "raw_claim_access",
                Some("work_orders"),
                Some("work_orders_tenant")
            ),
        ])
    );
    // organization_id at the top level is the majority (3 policies).
    assert_eq!(
        rows(&f, &["claim_key_drift"]),
        expect(&[
            (
                "claim_key_drift",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            ("claim_key_drift", Some("contacts"), Some("contacts_org")),
            (
                "claim_key_drift",
                Some("invoices"),
                Some("invoices_user_org")
            ),
            (
                "claim_key_drift",
                Some("legacy_notes"),
                Some("legacy_notes_org")
            ),
            (
                "claim_key_drift",
                Some("work_orders"),
                Some("work_orders_tenant")
            ),
        ])
    );
    assert_eq!(
        rows(&f, &["per_row_claim_call"]),
        expect(&[
            (
                "per_row_claim_call",
                Some("admin_notes"),
                Some("admin_notes_admins")
            ),
            (
                "per_row_claim_call",
                Some("appointment_bookings"),
                Some("appointment_bookings_org_isolation")
            ),
            (
                "per_row_claim_call",
                Some("calendar_connections"),
                Some("calendar_connections_user_metadata")
            ),
            (
                "per_row_claim_call",
                Some("comments"),
                Some("comments_members")
            ),
            ("per_row_claim_call", Some("contacts"), Some("contacts_org")),
            (
                "per_row_claim_call",
                Some("legacy_notes"),
                Some("legacy_notes_org")
            ),
            (
                "per_row_claim_call",
                Some("preferences"),
                Some("preferences_user_org")
            ),
            ("per_row_claim_call", Some("profiles"), Some("profiles_own")),
            ("per_row_claim_call", Some("sms_logs"), Some("sms_logs_org")),
            (
                "per_row_claim_call",
                Some("work_orders"),
                Some("work_orders_tenant")
            ),
        ])
    );
    assert_eq!(
        rows(&f, &["untrusted_claim_source"]),
        expect(&[("untrusted_claim_source", None, None)])
    );

    let cal = find(&f, "user_metadata_in_policy", "calendar_connections");
    assert!(
        cal.detail
            .contains("auth.jwt() -> 'user_metadata' ->> 'organization_id'"),
        "the #>> path: {}",
        cal.detail
    );
    let inv = find(&f, "user_metadata_in_policy", "invoices");
    assert!(
        inv.detail.contains("in public.user_org()"),
        "{}",
        inv.detail
    );
    let pref = find(&f, "user_metadata_in_policy", "preferences");
    assert!(pref.detail.contains("text scan"), "{}", pref.detail);
    let rep = find(&f, "user_metadata_in_policy", "reports");
    assert!(
        rep.detail.contains("auth.users.raw_user_meta_data"),
        "{}",
        rep.detail
    );

    let wo = find(&f, "raw_claim_access", "work_orders");
    assert!(
        wo.detail.contains("in public.get_auth_tenant_id()"),
        "{}",
        wo.detail
    );
    assert!(wo.remediation.contains(
        "ALTER POLICY work_orders_tenant ON public.work_orders USING (tenant_id = (SELECT identity.get_current_org_id()));"
    ), "{}", wo.remediation);
    let ab = find(&f, "raw_claim_access", "appointment_bookings");
    assert!(ab
        .remediation
        .contains("WITH CHECK (org_id = (SELECT identity.get_current_org_id()))"));

    let drift = find(&f, "claim_key_drift", "contacts");
    for variant in [
        "organization_id (top level) in 3 policies",
        "org_id (top level) in 1 policy",
        "app_metadata.tenant_id in 1 policy",
        "request.jwt.claim.org_id (PostgREST 9-11 setting) in 1 policy",
    ] {
        assert!(
            drift.detail.contains(variant),
            "{variant}: {}",
            drift.detail
        );
    }

    let prof = find(&f, "per_row_claim_call", "profiles");
    assert_eq!(
        prof.remediation,
        "ALTER POLICY profiles_own ON public.profiles USING ((user_id = (SELECT auth.uid()))) WITH CHECK ((user_id = (SELECT auth.uid())));"
    );
    let com = find(&f, "per_row_claim_call", "comments");
    assert!(
        com.detail
            .contains("in a sub-query that is not an InitPlan"),
        "{}",
        com.detail
    );
    let wo = find(&f, "per_row_claim_call", "work_orders");
    assert!(
        wo.detail
            .contains("public.get_auth_tenant_id() in USING, once per row (it calls auth.jwt())"),
        "{}",
        wo.detail
    );

    let u = find_untrusted(&f);
    assert_eq!(u.object.as_deref(), Some("identity.get_current_org_id()"));
    assert!(u.detail.contains("SET request.jwt.claims"), "{}", u.detail);
    assert!(
        u.detail.contains("tenant_guard.authenticate"),
        "{}",
        u.detail
    );
    assert_eq!(u.level.as_str(), "info");
}

fn find_untrusted(f: &[Finding]) -> &Finding {
    f.iter()
        .find(|f| f.code == "untrusted_claim_source")
        .expect("untrusted_claim_source")
}

#[test]
fn claims_near_misses() {
    let f = run(&load("claims_ok"), &AuditConfig::default());
    // identity.* (bare or wrapped), wrapped auth.uid(), non-tenant claims,
    // raw_app_meta_data, a user_metadata column of the row, a function that
    // no policy calls, a helper in `IN (SELECT f())` (computed once): only
    // the consistent raw reads remain, without drift; a bare read compared with
    // an indexed tenant column is an index condition, not a per-row call.
    assert_eq!(
        rows(&f, CLAIMS),
        expect(&[
            (
                "raw_claim_access",
                Some("invoices_indexed"),
                Some("invoices_indexed_org")
            ),
            ("raw_claim_access", Some("labels"), Some("labels_org")),
            ("raw_claim_access", Some("sms_logs"), Some("sms_logs_org")),
            (
                "raw_claim_access",
                Some("sms_templates"),
                Some("sms_templates_org")
            ),
            ("untrusted_claim_source", None, None),
        ])
    );
    // A schema whose policies read no claims: nothing to distrust.
    let internal = AuditConfig {
        schemas: Some(vec!["internal".into()]),
        ..AuditConfig::default()
    };
    let f = run(&load("claims_ok"), &internal);
    assert_eq!(rows(&f, CLAIMS), BTreeSet::new());
}

#[test]
fn untrusted_claim_source_follows_the_trust_settings() {
    let snap = load("claims_ok");
    let open = run(&snap, &AuditConfig::default());
    let open = find_untrusted(&open);
    assert!(open.detail.starts_with("10 policies"), "{}", open.detail);
    assert!(open.detail.contains("documents_org"), "{}", open.detail);

    for protected in [
        AuditConfig {
            require_verified: true,
            ..AuditConfig::default()
        },
        AuditConfig {
            trusted_session_users: vec!["authenticator".into()],
            ..AuditConfig::default()
        },
    ] {
        let f = run(&snap, &protected);
        let u = find_untrusted(&f);
        // identity.* are protected now: only policies that read settings
        // themselves remain, and that is a warning (they opt out silently).
        assert_eq!(u.level.as_str(), "warn");
        assert!(!u.detail.contains("patients_org"), "{}", u.detail);
        assert!(!u.detail.contains("documents_org"), "{}", u.detail);
        assert!(u.detail.contains("but 7 policies"), "{}", u.detail);
        assert!(u.detail.contains("labels_org"), "{}", u.detail);
        assert!(u.remediation.contains("identity.get_current_org_id()"));
    }

    // Protected, and no policy reads settings itself: nothing to report.
    let only_identity = AuditConfig {
        require_verified: true,
        schemas: Some(vec!["public".into()]),
        ..AuditConfig::default()
    };
    let mut snap = load("claims_ok");
    let direct: Vec<String> = [
        "sms_logs_org",
        "sms_templates_org",
        "invoices_indexed_org",
        "labels_org",
        "profiles_own",
        "admin_notes_admins",
        "reports_app_meta",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    snap.policies.retain(|p| !direct.contains(&p.name));
    let f = run(&snap, &only_identity);
    assert!(
        f.iter().all(|f| f.code != "untrusted_claim_source"),
        "{:?}",
        f.iter()
            .find(|f| f.code == "untrusted_claim_source")
            .map(|f| &f.detail)
    );
}
