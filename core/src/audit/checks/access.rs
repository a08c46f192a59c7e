//! What a policy needs the caller to be allowed: PostgreSQL evaluates a
//! policy with the privileges of the role running the query, so every
//! function it calls needs EXECUTE, and every table or view a sub-select
//! reads needs SELECT. Missing one, every query by that role fails with
//! 42501, a "bare 42501" that looks like an RLS denial. (Schema USAGE is not
//! needed: a stored policy refers to its objects by OID, and PostgreSQL checks
//! USAGE only when it looks a name up; shown by the access_ok fixture.)

use crate::audit::expr::{call_sites, subquery_relations};
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{qualified, quote_ident, Ctx};
use crate::audit::node::Value;
use crate::audit::snapshot::{Oid, Policy, Table, PUBLIC};

pub static POLICY_HELPER_NOT_EXECUTABLE: Check = Check {
    code: "policy_helper_not_executable",
    level: Level::Error,
    category: Category::Correctness,
    title: "A policy uses a function or table the role it applies to may not use",
    why: "Policies run with the caller's privileges: without EXECUTE on a helper, or SELECT on a table a policy sub-select reads, every query by that role on the table fails with 42501.",
};

pub const CHECKS: &[&Check] = &[&POLICY_HELPER_NOT_EXECUTABLE];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    for t in ctx.audited_tables() {
        if !t.rls || !matches!(t.kind.as_str(), "r" | "p") {
            continue;
        }
        for p in ctx.policies(t.oid) {
            check_policy(ctx, t, p, out);
        }
    }
}

/// What a role lacks, as (object, GRANT statement) pairs.
fn missing_for(ctx: &Ctx, p: &Policy, role: Oid) -> Vec<(String, String)> {
    let grantee = quote_ident(&ctx.role_name(role));
    let mut missing: Vec<(String, String)> = Vec::new();
    let mut add = |what: String, grant: String| {
        if !missing.iter().any(|(w, _)| *w == what) {
            missing.push((what, grant));
        }
    };
    for tree in [&p.qual_tree, &p.with_check_tree] {
        let Some(root) = tree.as_ref().and_then(Value::as_node) else {
            continue;
        };
        for site in call_sites(root) {
            let Some(f) = ctx.functions.get(&site.func) else {
                continue; // built-in: executable by PUBLIC
            };
            if f.schema == "pg_catalog" {
                continue;
            }
            if !ctx.acl_privileges(&f.acl, role).contains("EXECUTE") {
                add(
                    format!("EXECUTE on {}", f.signature),
                    format!("GRANT EXECUTE ON FUNCTION {} TO {grantee};", f.signature),
                );
            }
        }
        for rel in subquery_relations(root) {
            let Some(r) = ctx.tables.get(&rel) else {
                continue;
            };
            let name = qualified(&r.schema, &r.name);
            if !ctx.acl_privileges(&r.acl, role).contains("SELECT") {
                add(
                    format!("SELECT on {name}"),
                    format!("GRANT SELECT ON {name} TO {grantee};"),
                );
            }
        }
    }
    missing
}

fn check_policy(ctx: &Ctx, t: &Table, p: &Policy, out: &mut Vec<Finding>) {
    let table = qualified(&t.schema, &t.name);
    let mut lines = Vec::new();
    let mut grants = Vec::new();
    // The client roles, and every other role granted privileges on the table
    // (a reporting role the app switches to with SET ROLE): the policy fails
    // for any role it applies to that is subject to it.
    let mut roles = ctx.policy_clients(p, t);
    for a in &t.acl {
        if a.grantee != PUBLIC
            && !roles.contains(&a.grantee)
            && !ctx.exempt(a.grantee, t)
            && ctx.policy_applies(p, a.grantee)
        {
            roles.push(a.grantee);
        }
    }
    for role in roles {
        // A role that cannot reach the table at all fails earlier, elsewhere.
        if !ctx.schema_usage(&t.schema, role) || ctx.acl_privileges(&t.acl, role).is_empty() {
            continue;
        }
        let missing = missing_for(ctx, p, role);
        if missing.is_empty() {
            continue;
        }
        let what: Vec<&str> = missing.iter().map(|(w, _)| w.as_str()).collect();
        lines.push(format!("{} lacks {}", ctx.role_name(role), what.join(", ")));
        for (_, g) in missing {
            if !grants.contains(&g) {
                grants.push(g);
            }
        }
    }
    if lines.is_empty() {
        return;
    }
    out.push(ctx.finding(
        &POLICY_HELPER_NOT_EXECUTABLE,
        Some(t),
        Some(p),
        format!(
            "Policy {} on {table}: {}. PostgreSQL evaluates the policy as the querying role, so each of its queries on {table} fails with 42501 (permission denied).",
            p.name,
            lines.join("; ")
        ),
        grants.join("\n"),
    ));
}
