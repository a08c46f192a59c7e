//! Tenancy and grants checks over catalog snapshots captured from
//! PostgreSQL 15: core/tests/fixtures/audit/{tenant_columns,tenant_columns_ok,
//! tenant_policies,policy_shapes,policy_shapes_ok,grants}.sql, captured with
//!
//!   TG_PORT=54371 CAPTURE=catalog core/tests/fixtures/audit/capture.sh -p 54371 \
//!     core/tests/fixtures/audit/{tenant_columns,tenant_columns_ok,tenant_policies,policy_shapes,policy_shapes_ok,grants}.sql
//!
//! (`psql -At -f sql/queries/snapshot.sql` after the fixture). Each test lists
//! the exact findings of one code: the triggers, and by their absence the
//! near-misses the fixture's comments name.

use tenant_guard_core::audit::{self, AuditConfig, Finding, Snapshot};

fn load(name: &str) -> Snapshot {
    let path = format!(
        "{}/tests/fixtures/audit/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let snap = Snapshot::from_json(&text).expect("fixture parses");
    assert!(snap.parse_errors.is_empty(), "{:?}", snap.parse_errors);
    snap
}

fn config(schemas: Option<&[&str]>) -> AuditConfig {
    AuditConfig {
        schemas: schemas.map(|s| s.iter().map(|x| x.to_string()).collect()),
        ..AuditConfig::default()
    }
}

fn run(fixture: &str, schemas: Option<&[&str]>) -> Vec<Finding> {
    audit::run(&load(fixture), &config(schemas))
}

/// Findings of one code, sorted.
fn of<'a>(findings: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    let mut v: Vec<&Finding> = findings.iter().filter(|f| f.code == code).collect();
    v.sort_by(|a, b| {
        (&a.schema_name, &a.table_name, &a.policy_name, &a.cache_key).cmp(&(
            &b.schema_name,
            &b.table_name,
            &b.policy_name,
            &b.cache_key,
        ))
    });
    for f in &v {
        println!(
            "{} {} {:?}\n   {}\n   {}",
            f.code,
            f.cache_key,
            f.policy_name,
            f.detail,
            f.remediation.replace('\n', "\n   ")
        );
    }
    v
}

/// `schema.table` of each finding of `code`.
fn tables(findings: &[Finding], code: &str) -> Vec<String> {
    of(findings, code)
        .iter()
        .map(|f| {
            format!(
                "{}.{}",
                f.schema_name.as_deref().unwrap_or("-"),
                f.table_name.as_deref().unwrap_or("-")
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

// ---- tenancy ----------------------------------------------------------------

#[test]
fn tenant_column_nullable() {
    let f = run("tenant_columns", None);
    // Not: projects/tasks/invoices/notes/events/measurements (NOT NULL),
    // countries (no tenant column), comment_counts (a view).
    assert_eq!(tables(&f, "tenant_column_nullable"), ["public.comments"]);
    let c = find(&f, "tenant_column_nullable", "comments");
    assert!(c
        .remediation
        .contains("SELECT count(*) FROM public.comments WHERE org_id IS NULL;"));
    assert!(c
        .remediation
        .ends_with("ALTER TABLE public.comments ALTER COLUMN org_id SET NOT NULL;"));

    let ok = run("tenant_columns_ok", Some(&["public"]));
    assert!(tables(&ok, "tenant_column_nullable").is_empty());
    // The same snapshot with every schema: legacy's nullable columns show.
    let all = run("tenant_columns_ok", None);
    assert_eq!(
        tables(&all, "tenant_column_nullable"),
        [
            "legacy.calls",
            "legacy.contacts",
            "legacy.deals",
            "legacy.notes"
        ]
    );
}

#[test]
fn tenant_column_unindexed() {
    let f = run("tenant_columns", None);
    // comments: partial index only; events: invalid index; invoices: org_id
    // second in its index; metrics: partitioned, no index. Not: projects
    // (composite primary key leading with org_id), tasks, notes, measurements
    // (index on the partitioned parent), measurements_2024 / metrics_2024
    // (partitions), countries, comment_counts.
    assert_eq!(
        tables(&f, "tenant_column_unindexed"),
        [
            "public.comments",
            "public.events",
            "public.invoices",
            "public.metrics"
        ]
    );
    let partial = find(&f, "tenant_column_unindexed", "comments");
    assert!(partial.detail.contains("comments_org_id_live_idx"));
    assert!(partial.detail.contains("partial"));
    let invalid = find(&f, "tenant_column_unindexed", "events");
    assert!(invalid.detail.contains("INVALID"));
    assert!(invalid
        .remediation
        .starts_with("DROP INDEX CONCURRENTLY public.events_org_id_key;\n"));
    assert_eq!(
        find(&f, "tenant_column_unindexed", "invoices").remediation,
        "CREATE INDEX CONCURRENTLY invoices_org_id_idx ON public.invoices (org_id);"
    );
    let partitioned = find(&f, "tenant_column_unindexed", "metrics");
    assert!(partitioned
        .remediation
        .ends_with("\nCREATE INDEX metrics_org_id_idx ON public.metrics (org_id);"));

    let ok = run("tenant_columns_ok", Some(&["public"]));
    assert!(tables(&ok, "tenant_column_unindexed").is_empty());
}

#[test]
fn tenant_policy_missing_filter() {
    let f = run("tenant_policies", None);
    let got: Vec<(String, String)> = of(&f, "tenant_policy_missing_filter")
        .iter()
        .map(|f| {
            (
                f.table_name.clone().unwrap(),
                f.policy_name.clone().unwrap(),
            )
        })
        .collect();
    // Not: projects_tenant, messages_read, documents_member (correlated
    // EXISTS on org_id), audit_log_service (service_role: BYPASSRLS),
    // settings_read_all / settings_no_write (constant), tags_not_archived
    // (restrictive), reports_auditor (not a client role), sessions_visible
    // (whole row to a function), scratch_mine (authenticated owns the table),
    // faq_published (no tenant column), memberships_leave and
    // invitations_mine (a user's own rows in tables linking users to
    // tenants), boards_member and boards_bypass (tenant_column_capture and
    // settable_bypass_setting explain them).
    assert_eq!(
        got,
        [
            ("archive".into(), "archive_read".into()),
            ("invoices".into(), "invoices_tenant".into()),
            ("messages".into(), "messages_insert".into()),
            ("notes".into(), "notes_author_read".into()),
            ("tickets".into(), "tickets_open".into()),
        ]
    );
    let notes = find(&f, "tenant_policy_missing_filter", "notes");
    assert!(notes.detail.contains("applies to authenticated"));
    assert!(
        notes
            .detail
            .contains("pins author_id to the caller but not the tenant"),
        "{}",
        notes.detail
    );
    let codes_on = |policy: &str| -> Vec<&str> {
        f.iter()
            .filter(|x| x.policy_name.as_deref() == Some(policy))
            .map(|x| x.code)
            .collect()
    };
    assert_eq!(codes_on("boards_member"), ["tenant_column_capture"]);
    assert!(codes_on("boards_bypass").contains(&"settable_bypass_setting"));
    assert!(!codes_on("boards_bypass").contains(&"tenant_policy_missing_filter"));
    assert!(notes
        .detail
        .contains("USING ((author_id = ( SELECT auth.uid() AS uid)))"));
    assert!(notes.remediation.starts_with(
        "ALTER POLICY notes_author_read ON public.notes USING (((author_id = ( SELECT auth.uid() AS uid))) AND org_id = (SELECT identity.get_current_org_id()));"
    ));
    // INSERT: only WITH CHECK is altered.
    let insert = find(&f, "tenant_policy_missing_filter", "messages");
    assert!(insert.remediation.starts_with(
        "ALTER POLICY messages_insert ON public.messages WITH CHECK (((sender_id = ( SELECT auth.uid() AS uid))) AND org_id = (SELECT identity.get_current_org_id()));"
    ));
    // FOR ALL whose USING filters: only its WITH CHECK is reported and altered.
    let all = find(&f, "tenant_policy_missing_filter", "invoices");
    assert!(all.detail.contains("WITH CHECK ((created_by"));
    assert!(!all.detail.contains("USING ("));
    assert!(all
        .remediation
        .starts_with("ALTER POLICY invoices_tenant ON public.invoices WITH CHECK ("));
    // TO PUBLIC: anon included.
    assert!(find(&f, "tenant_policy_missing_filter", "tickets")
        .detail
        .contains("applies to anon, authenticated, PUBLIC"));
    // RLS off: reported, marked dormant.
    assert!(find(&f, "tenant_policy_missing_filter", "archive")
        .detail
        .contains("Dormant"));

    // Every policy in the shapes fixtures filters on the tenant column.
    for fixture in ["policy_shapes", "policy_shapes_ok"] {
        assert!(tables(&run(fixture, None), "tenant_policy_missing_filter").is_empty());
    }
}

#[test]
fn inconsistent_tenant_policies() {
    let f = run("policy_shapes", None);
    // Majority (4 of 7): projects, tasks, files, labels. Not: drafts (no
    // policies), countries (no tenant column).
    assert_eq!(
        tables(&f, "inconsistent_tenant_policies"),
        ["public.contacts", "public.customers", "public.invoices"]
    );
    let majority = "[TO authenticated, identity.get_current_org_id() wrapped in (SELECT …)]";
    for t in ["contacts", "customers", "invoices"] {
        let x = find(&f, "inconsistent_tenant_policies", t);
        assert!(x.detail.contains(majority), "{}", x.detail);
        assert!(x.detail.contains("4 of 7 tenant tables"));
        assert!(x
            .remediation
            .contains("CREATE POLICY files_tenant ON public.files"));
    }
    assert!(find(&f, "inconsistent_tenant_policies", "contacts")
        .detail
        .contains("identity.get_current_org_id() per row"));
    assert!(find(&f, "inconsistent_tenant_policies", "invoices")
        .detail
        .contains("auth.jwt() per row"));
    let customers = find(&f, "inconsistent_tenant_policies", "customers");
    assert!(customers
        .detail
        .contains("pg_catalog.current_setting('app.tenant_id') wrapped in (SELECT …)"));
    assert!(customers
        .remediation
        .contains("DROP POLICY customers_read ON public.customers;"));

    // Names, creation order and operand order do not change the shape.
    let ok = run("policy_shapes_ok", Some(&["public"]));
    assert!(tables(&ok, "inconsistent_tenant_policies").is_empty());
    // Two tenant tables with policies are too few to compare.
    let crm = run("policy_shapes_ok", Some(&["crm"]));
    assert!(tables(&crm, "inconsistent_tenant_policies").is_empty());
    // Every schema: crm.deals is the odd one out of six.
    let all = run("policy_shapes_ok", None);
    assert_eq!(tables(&all, "inconsistent_tenant_policies"), ["crm.deals"]);
    // No majority: the most common shape lets rows cross tenants anyway.
    assert!(tables(
        &run("tenant_policies", None),
        "inconsistent_tenant_policies"
    )
    .is_empty());
    // The demo: the most common shape (2 of 5: TO public, auth.jwt() per row)
    // is a plurality, not a majority; patients (identity helper, wrapped) must
    // not be told to copy it.
    let demo = Snapshot::from_json(include_str!("fixtures/demo_snapshot.json")).unwrap();
    let demo = audit::run(&demo, &AuditConfig::default());
    assert!(tables(&demo, "inconsistent_tenant_policies").is_empty());
}

#[test]
fn tenant_column_name_drift() {
    let f = run("tenant_columns", None);
    assert_eq!(tables(&f, "tenant_column_name_drift"), ["public.notes"]);
    let n = find(&f, "tenant_column_name_drift", "notes");
    assert!(n.detail.contains("7 of 8 tenant tables use org_id"));
    assert!(n.remediation.contains("WARNING"));
    assert!(n
        .remediation
        .ends_with("ALTER TABLE public.notes RENAME COLUMN organization_id TO org_id;"));

    // In the grants fixture org_id is the majority too.
    assert_eq!(
        tables(&run("grants", None), "tenant_column_name_drift"),
        ["public.orders"]
    );
    // Near-miss: public is consistent; legacy (organization_id) is not audited.
    let ok = run("tenant_columns_ok", Some(&["public"]));
    assert!(tables(&ok, "tenant_column_name_drift").is_empty());
    let legacy = run("tenant_columns_ok", Some(&["legacy"]));
    assert!(tables(&legacy, "tenant_column_name_drift").is_empty());
}

#[test]
fn timestamp_type_drift() {
    let f = run("tenant_columns", None);
    let got: Vec<&str> = of(&f, "timestamp_type_drift")
        .iter()
        .map(|f| f.cache_key.as_str())
        .collect();
    // timestamp(3) with time zone (tasks) counts as timestamptz.
    assert_eq!(
        got,
        [
            "timestamp_type_drift:public.comments:created_at",
            "timestamp_type_drift:public.invoices:updated_at"
        ]
    );
    let epoch = find(&f, "timestamp_type_drift", "comments");
    assert!(epoch.detail.contains("is bigint"));
    assert!(epoch.detail.contains("timestamp with time zone"));
    assert!(epoch.remediation.ends_with(
        "ALTER TABLE public.comments ALTER COLUMN created_at TYPE timestamptz USING to_timestamp(created_at);"
    ));
    assert!(find(&f, "timestamp_type_drift", "invoices").remediation.ends_with(
        "ALTER TABLE public.invoices ALTER COLUMN updated_at TYPE timestamptz USING updated_at AT TIME ZONE 'UTC';"
    ));

    let ok = run("tenant_columns_ok", Some(&["public"]));
    assert!(tables(&ok, "timestamp_type_drift").is_empty());
    // legacy: bigint is the majority (3 of 5); the timestamptz column is the
    // odd one out, and the advice is to convert the others.
    let legacy = run("tenant_columns_ok", Some(&["legacy"]));
    let got: Vec<&str> = of(&legacy, "timestamp_type_drift")
        .iter()
        .map(|f| f.cache_key.as_str())
        .collect();
    assert_eq!(
        got,
        [
            "timestamp_type_drift:legacy.deals:updated_at",
            "timestamp_type_drift:legacy.notes:created_at"
        ]
    );
    let tz = find(&legacy, "timestamp_type_drift", "notes");
    assert!(tz
        .remediation
        .contains("keep it, and convert the bigint columns instead"));
    assert!(tz
        .remediation
        .contains("legacy.calls (created_at, updated_at)"));
    assert!(!tz.remediation.contains("\nALTER TABLE"));
}

// ---- grants -------------------------------------------------------------------

#[test]
fn missing_table_grants() {
    let f = run("grants", None);
    // Not: reports (authenticated may read 1 of 4: mostly private), public
    // (a third), crm and billing (everything granted), anon anywhere.
    assert_eq!(tables(&f, "missing_table_grants"), ["workforce.payroll"]);
    let p = find(&f, "missing_table_grants", "payroll");
    assert_eq!(
        p.cache_key,
        "missing_table_grants:workforce.payroll:authenticated"
    );
    assert!(p
        .detail
        .contains("privileges on 3 of its other 3 relations"));
    assert!(p
        .remediation
        .ends_with("GRANT SELECT, INSERT, UPDATE, DELETE ON workforce.payroll TO authenticated;"));
    assert!(p.remediation.contains("RLS is off on workforce.payroll"));
}

#[test]
fn anon_write_grant() {
    let f = run("grants", None);
    // Not: leads (SELECT only), feedback (no tenant column), private.secrets
    // (anon has no USAGE on private), contacts (anon's INSERT grant is
    // blocked by RLS: no INSERT policy applies to anon).
    assert_eq!(
        tables(&f, "anon_write_grant"),
        ["public.orders", "public.tickets"]
    );
    let public = find(&f, "anon_write_grant", "tickets");
    assert_eq!(
        public.remediation,
        "REVOKE UPDATE, DELETE ON public.tickets FROM PUBLIC;"
    );
    assert!(public.detail.contains("granted to PUBLIC"));
    let inherited = find(&f, "anon_write_grant", "orders");
    assert!(inherited.detail.contains("inherited from role web_writer"));
    assert!(inherited
        .remediation
        .contains("REVOKE web_writer FROM anon;"));
    assert!(inherited
        .remediation
        .ends_with("REVOKE INSERT ON public.orders FROM web_writer;"));
}

#[test]
fn missing_default_privileges() {
    let f = run("grants", None);
    let got: Vec<&str> = of(&f, "missing_default_privileges")
        .iter()
        .map(|f| f.cache_key.as_str())
        .collect();
    // Not: crm (default privileges IN SCHEMA crm for postgres), billing
    // (global default privileges of its owner app_owner), reports (mostly
    // private), public (a third).
    assert_eq!(got, ["missing_default_privileges:workforce:authenticated"]);
    let w = &of(&f, "missing_default_privileges")[0];
    assert_eq!(w.schema_name.as_deref(), Some("workforce"));
    assert_eq!(w.table_name, None);
    assert!(w.remediation.ends_with(
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA workforce GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;"
    ));
}

#[test]
fn security_definer_search_path() {
    let f = run("grants", None);
    let got: Vec<&str> = of(&f, "security_definer_search_path")
        .iter()
        .map(|f| f.object.as_deref().unwrap())
        .collect();
    // Not: sd_with_path, sd_empty_path (search_path="" is fixed),
    // invoker_no_path (SECURITY INVOKER), tenant_guard's own functions.
    assert_eq!(
        got,
        [
            "private.sd_private()",
            "public.sd_no_path()",
            "public.sd_other_setting()",
            "public.sd_proc(integer)",
            "workforce.\"Close Shift\"(bigint)"
        ]
    );
    let by = |o: &str| {
        f.iter()
            .find(|x| x.code == "security_definer_search_path" && x.object.as_deref() == Some(o))
            .unwrap()
    };
    assert!(by("public.sd_proc(integer)").remediation.ends_with(
        "ALTER PROCEDURE public.sd_proc(integer) SET search_path = pg_catalog, public, pg_temp;"
    ));
    assert!(by("workforce.\"Close Shift\"(bigint)").remediation.ends_with(
        "ALTER FUNCTION workforce.\"Close Shift\"(bigint) SET search_path = pg_catalog, workforce, pg_temp;"
    ));
    assert!(by("public.sd_other_setting()")
        .detail
        .contains("statement_timeout=5s"));
    assert!(by("public.sd_no_path()")
        .detail
        .contains("anon, authenticated, PUBLIC may execute it"));
    // No client role has USAGE on schema private.
    assert!(!by("private.sd_private()").detail.contains("may execute"));
}

#[test]
fn view_bypasses_rls() {
    let f = run("grants", None);
    // Not: contacts_invoker (security_invoker), contacts_export (a definer
    // view over an invoker view: checked as the caller), contacts_internal
    // (no client may read it), contacts_reporter (its owner is subject to
    // RLS), leads_view (RLS off on leads), forced_docs_view (FORCE: the owner
    // is subject to its policies). Verified against the server at capture.
    assert_eq!(
        tables(&f, "view_bypasses_rls"),
        ["public.contacts_names", "public.contacts_summary"]
    );
    let summary = find(&f, "view_bypasses_rls", "contacts_summary");
    assert!(summary
        .detail
        .contains("public.contacts (postgres is a superuser)"));
    assert!(summary.detail.contains("authenticated may select from it"));
    assert_eq!(
        summary.remediation,
        "ALTER VIEW public.contacts_summary SET (security_invoker = true);"
    );
    let nested = find(&f, "view_bypasses_rls", "contacts_names");
    assert!(nested
        .detail
        .contains("public.contacts through view public.contacts_internal"));
    assert!(nested.remediation.starts_with(
        "ALTER VIEW public.contacts_names SET (security_invoker = true);\nALTER VIEW public.contacts_internal SET (security_invoker = true);"
    ));
    assert!(nested
        .remediation
        .contains("-- GRANT SELECT ON public.contacts_internal TO anon;"));
}

#[test]
fn every_finding_is_specific() {
    const MINE: [&str; 11] = [
        "tenant_column_nullable",
        "tenant_column_unindexed",
        "tenant_policy_missing_filter",
        "inconsistent_tenant_policies",
        "tenant_column_name_drift",
        "timestamp_type_drift",
        "missing_table_grants",
        "anon_write_grant",
        "missing_default_privileges",
        "security_definer_search_path",
        "view_bypasses_rls",
    ];
    let mut seen = std::collections::HashSet::new();
    for fixture in [
        "tenant_columns",
        "tenant_columns_ok",
        "tenant_policies",
        "policy_shapes",
        "policy_shapes_ok",
        "grants",
    ] {
        let f = run(fixture, None);
        let mut keys = std::collections::HashSet::new();
        for x in f.iter().filter(|x| MINE.contains(&x.code)) {
            seen.insert(x.code);
            assert!(
                keys.insert(x.cache_key.clone()),
                "duplicate {}",
                x.cache_key
            );
            let object = x.object.as_deref().unwrap();
            assert!(
                x.detail.contains(object),
                "{}: detail must name {object}",
                x.cache_key
            );
            assert!(
                x.remediation.contains(object),
                "{}: remediation must name {object}",
                x.cache_key
            );
        }
    }
    assert_eq!(seen.len(), MINE.len(), "every check triggers somewhere");
}
