//! Prints the findings of the given codes over captured snapshot files:
//!   cargo run -p tenant_guard_core --example audit_scan -- CODE[,CODE] FILE.json...
use tenant_guard_core::audit::{self, AuditConfig, Snapshot};

fn main() {
    let mut args = std::env::args().skip(1);
    let codes: Vec<String> = args
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect();
    for path in args {
        let text = std::fs::read_to_string(&path).expect("snapshot file");
        let snap = Snapshot::from_json(&text).expect("snapshot parses");
        for f in audit::run(&snap, &AuditConfig::default()) {
            if codes.iter().any(|c| c == f.code) {
                println!(
                    "{path}: {} {:?} {:?}\n    {}",
                    f.code, f.table_name, f.policy_name, f.detail
                );
            }
        }
    }
}
