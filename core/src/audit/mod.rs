//! The policy audit: a catalog snapshot in, findings out. Pure Rust.

pub mod checks;
pub mod eval;
pub mod expr;
pub mod finding;
pub mod graph;
pub mod model;
pub mod node;
pub mod script;
pub mod snapshot;

pub use finding::{Category, Check, Finding, Level};
pub use model::{AuditConfig, Ctx};
pub use script::remediation_script;
pub use snapshot::Snapshot;

/// Runs every check; findings ordered by level, then object, then code.
pub fn run(snap: &Snapshot, config: &AuditConfig) -> Vec<Finding> {
    let ctx = Ctx::new(snap, config);
    let mut out = checks::run_all(&ctx);
    out.sort_by(|a, b| {
        (
            a.level,
            &a.schema_name,
            &a.table_name,
            a.code,
            &a.policy_name,
            &a.cache_key,
        )
            .cmp(&(
                b.level,
                &b.schema_name,
                &b.table_name,
                b.code,
                &b.policy_name,
                &b.cache_key,
            ))
    });
    out
}
