//! Times the pure part of the audit on a snapshot captured with
//! `SELECT tenant_guard.audit_snapshot()`:
//!   cargo run --release -p tenant_guard_core --example audit_timing -- snapshot.json
use std::time::Instant;
use tenant_guard_core::audit::{self, AuditConfig, Snapshot};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: audit_timing <snapshot.json>");
    let text = std::fs::read_to_string(&path).expect("readable snapshot");
    let t0 = Instant::now();
    let snap = Snapshot::from_json(&text).expect("valid snapshot");
    let t1 = Instant::now();
    let findings = audit::run(&snap, &AuditConfig::default());
    let t2 = Instant::now();
    println!(
        "{} bytes, {} tables, {} policies: parse {:.1} ms, checks {:.1} ms, {} findings",
        text.len(),
        snap.tables.len(),
        snap.policies.len(),
        (t1 - t0).as_secs_f64() * 1e3,
        (t2 - t1).as_secs_f64() * 1e3,
        findings.len()
    );
}
