//! Every check, one file per family. Each family exports its checks'
//! metadata (`CHECKS`) and a `run` over the derived model.

use super::finding::{Check, Finding};
use super::model::Ctx;
use std::collections::HashSet;

pub mod access;
pub mod capture;
pub mod claims;
pub mod definer;
pub mod fail_open;
pub mod grants;
pub mod membership;
pub mod owner;
pub mod recursion;
pub mod references;
pub mod rls;
pub mod storage;
pub mod tenancy;
pub mod writes;

type Run = fn(&Ctx, &mut Vec<Finding>);

/// (metadata, runner) of every family, in report order.
const FAMILIES: &[(&[&Check], Run)] = &[
    (rls::CHECKS, rls::run),
    (fail_open::CHECKS, fail_open::run),
    (capture::CHECKS, capture::run),
    (writes::CHECKS, writes::run),
    (access::CHECKS, access::run),
    (membership::CHECKS, membership::run),
    (storage::CHECKS, storage::run),
    (definer::CHECKS, definer::run),
    (owner::CHECKS, owner::run),
    (references::CHECKS, references::run),
    (tenancy::CHECKS, tenancy::run),
    (grants::CHECKS, grants::run),
    (recursion::CHECKS, recursion::run),
    (claims::CHECKS, claims::run),
];

/// Metadata of every check code (docs are tested against this list).
pub fn all() -> Vec<&'static Check> {
    FAMILIES
        .iter()
        .flat_map(|(c, _)| c.iter().copied())
        .collect()
}

/// A general finding that a more specific one on the same policy already
/// explains, with a better fix: (general code, specific codes). A policy
/// `USING (current_setting('app.bypass_rls') = 'on')` never references the
/// tenant column, but settable_bypass_setting says why and how to fix it.
const SUBSUMED: &[(&str, &[&str])] = &[
    (
        "tenant_policy_missing_filter",
        &[
            "tenant_column_capture",
            "settable_bypass_setting",
            "fail_open_predicate",
            "membership_self_grant",
        ],
    ),
    // A policy open to everyone (without identity, or with a SET) lets the
    // caller write any row anyway: moving rows is the lesser consequence.
    (
        "update_without_with_check",
        &["settable_bypass_setting", "fail_open_predicate"],
    ),
];

pub fn run_all(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for (_, run) in FAMILIES {
        run(ctx, &mut out);
    }
    drop_subsumed(&mut out);
    out
}

fn drop_subsumed(out: &mut Vec<Finding>) {
    type Key = (Option<String>, Option<String>, Option<String>);
    let key = |f: &Finding| -> Key {
        (
            f.schema_name.clone(),
            f.table_name.clone(),
            f.policy_name.clone(),
        )
    };
    for (general, specific) in SUBSUMED {
        let explained: HashSet<Key> = out
            .iter()
            .filter(|f| specific.contains(&f.code) && f.policy_name.is_some())
            .map(key)
            .collect();
        out.retain(|f| f.code != *general || !explained.contains(&key(f)));
    }
}
