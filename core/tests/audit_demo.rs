//! The audit over the demo schema's catalog snapshot (captured from
//! PostgreSQL 15 with sql/queries/snapshot.sql after loading demo/schema.sql).

use tenant_guard_core::audit::{self, AuditConfig, Snapshot};

fn demo() -> Snapshot {
    Snapshot::from_json(include_str!("fixtures/demo_snapshot.json")).expect("fixture parses")
}

#[test]
fn demo_findings() {
    let snap = demo();
    assert!(snap.parse_errors.is_empty(), "{:?}", snap.parse_errors);
    let findings = audit::run(&snap, &AuditConfig::default());
    for f in &findings {
        println!(
            "{} {} {:?} {:?}\n   {}\n   {}",
            f.level.as_str(),
            f.code,
            f.table_name,
            f.policy_name,
            f.detail,
            f.remediation
        );
    }
    let codes: Vec<(&str, Option<&str>, Option<&str>)> = findings
        .iter()
        .map(|f| (f.code, f.table_name.as_deref(), f.policy_name.as_deref()))
        .collect();
    assert!(codes.contains(&(
        "always_true_policy",
        Some("organizations"),
        Some("organizations_all_access")
    )));
}
