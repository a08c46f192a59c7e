//! Policies that open without an identity: true when the caller's claims are
//! missing or empty (`auth.uid() IS NULL OR …`, `coalesce(…, true)`), or
//! when a custom setting any session can `SET` holds some value
//! (`current_setting('app.bypass_rls', true) = 'on'`). Decided by evaluating
//! the expression tree (audit/eval.rs), not by matching text.

use crate::audit::eval::{
    is_custom_setting, is_identity_setting, setting_reads, split_top_level_or, Evaluator, Identity,
    Scenario, A,
};
use crate::audit::expr::{own_column_equalities, own_columns, strip_casts};
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{command_name, qualified, qualified_signature, quote_ident, Ctx};
use crate::audit::node::{Node, Value};
use crate::audit::snapshot::{Oid, Policy, Table};

pub static FAIL_OPEN_PREDICATE: Check = Check {
    code: "fail_open_predicate",
    level: Level::Error,
    category: Category::Security,
    title: "A permissive policy is true when the caller has no identity",
    why: "Claims are missing for anon requests, for a backend that forgot SET LOCAL, and empty ('') after a SET LOCAL ends: a policy that is true then (auth.uid() IS NULL OR …, coalesce(…, true)) opens every row to exactly the callers who proved nothing.",
};
pub static SETTABLE_BYPASS_SETTING: Check = Check {
    code: "settable_bypass_setting",
    level: Level::Error,
    category: Category::Security,
    title: "A permissive policy grants every row when a custom setting holds a value",
    why: "Any session can SET a custom setting (app.bypass_rls, app.is_admin, app.role): a policy that opens when it holds some value lets every client bypass isolation with one SET.",
};

pub const CHECKS: &[&Check] = &[&FAIL_OPEN_PREDICATE, &SETTABLE_BYPASS_SETTING];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    for t in ctx.audited_tables() {
        if !t.rls || !matches!(t.kind.as_str(), "r" | "p") {
            continue;
        }
        for p in ctx.policies(t.oid).iter().filter(|p| p.permissive) {
            // Client roles only: a bypass a migration role may SET for itself
            // is its design, not a client's way around isolation.
            let targets: Vec<String> = ctx
                .policy_clients(p, t)
                .into_iter()
                .map(|r| ctx.role_name(r))
                .collect();
            if targets.is_empty() {
                continue;
            }
            for (clause, tree) in [("USING", &p.qual_tree), ("WITH CHECK", &p.with_check_tree)] {
                let Some(root) = tree.as_ref().and_then(Value::as_node) else {
                    continue;
                };
                check_expression(ctx, t, p, &targets, clause, root, out);
            }
        }
    }
    definer_guards(ctx, out);
}

/// SECURITY DEFINER functions (LANGUAGE sql, analysed) that clients may call:
/// a WHERE clause over a tenant table that is true for every row without an
/// identity is the function's guard failing open (RLS does not apply inside:
/// the owner usually bypasses it).
fn definer_guards(ctx: &Ctx, out: &mut Vec<Finding>) {
    for f in &ctx.snap.functions {
        if !f.security_definer
            || f.extension_member
            || f.kind != "f"
            || !ctx.schemas.contains(&f.schema)
        {
            continue;
        }
        let Some(body) = f.body_tree.as_ref() else {
            continue;
        };
        let callers: Vec<String> = ctx
            .function_callers(f)
            .into_iter()
            .map(|r| ctx.role_name(r))
            .collect();
        if callers.is_empty() {
            continue;
        }
        let mut queries: Vec<&Node> = Vec::new();
        for root in crate::audit::graph::value_nodes(body) {
            root.walk(&mut |n| {
                if n.tag == "QUERY" {
                    queries.push(n);
                }
            });
        }
        for q in queries {
            let reads_tenant_table = q.children("rtable").iter().any(|r| {
                r.int("relid")
                    .and_then(|o| u32::try_from(o).ok())
                    .and_then(|o| ctx.tables.get(&o))
                    .is_some_and(|t| ctx.tenant_key_column(t).is_some())
            });
            let Some(quals) = q.child("jointree").and_then(|j| j.child("quals")) else {
                continue;
            };
            if !reads_tenant_table {
                continue;
            }
            let value = |s: &Scenario| Evaluator::new(ctx, s).eval(quals);
            if value(&Scenario::identity(Identity::Unknown)) == A::Bool(true) {
                continue;
            }
            let open = [Identity::Null, Identity::Empty]
                .iter()
                .any(|&i| value(&Scenario::identity(i)) == A::Bool(true));
            if !open {
                continue;
            }
            let signature = qualified_signature(f);
            let mut finding = ctx.finding_on(
                &FAIL_OPEN_PREDICATE,
                None,
                None,
                Some(signature.clone()),
                format!(
                    "The guard of SECURITY DEFINER function {signature} (callable by {}) is true for every row when the caller's claims are missing or empty: it runs as its owner, so RLS does not stand behind it, and an anonymous caller reaches every tenant's rows.",
                    callers.join(", ")
                ),
                format!(
                    "-- drop the branch that is true without an identity from its WHERE clause (CREATE OR REPLACE FUNCTION {signature} …),\n-- or make it SECURITY INVOKER so RLS applies"
                ),
            );
            finding.schema_name = Some(f.schema.clone());
            out.push(finding);
            break;
        }
    }
}

/// Custom settings an expression reads, directly or in the bodies of the
/// LANGUAGE sql helpers it calls (a few levels), with the constants each is
/// compared to.
fn settings_read(ctx: &Ctx, root: &Node) -> Vec<(String, Vec<String>)> {
    let mut out = setting_reads(root);
    let mut todo: Vec<(Oid, usize)> = crate::audit::expr::call_sites(root)
        .iter()
        .map(|c| (c.func, 0))
        .collect();
    let mut seen: Vec<Oid> = Vec::new();
    while let Some((oid, depth)) = todo.pop() {
        if depth > 4 || seen.contains(&oid) {
            continue;
        }
        seen.push(oid);
        let Some(body) = ctx.functions.get(&oid).and_then(|f| f.body_tree.as_ref()) else {
            continue;
        };
        for q in crate::audit::graph::value_nodes(body) {
            for (name, values) in setting_reads(q) {
                match out.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, vs)) => vs.extend(
                        values
                            .into_iter()
                            .filter(|v| !vs.contains(v))
                            .collect::<Vec<_>>(),
                    ),
                    None => out.push((name, values)),
                }
            }
            todo.extend(
                crate::audit::expr::call_sites(q)
                    .iter()
                    .map(|c| (c.func, depth + 1)),
            );
        }
    }
    out
}

/// A finding on one clause of a policy: the cache key names the clause, so
/// the USING and WITH CHECK findings of one policy are suppressed apart.
fn keyed(mut f: Finding, clause: &str) -> Finding {
    if clause != "USING" {
        f.cache_key.push_str(":with_check");
    }
    f
}

fn check_expression(
    ctx: &Ctx,
    t: &Table,
    p: &Policy,
    targets: &[String],
    clause: &str,
    root: &Node,
    out: &mut Vec<Finding>,
) {
    let value = |s: &Scenario| Evaluator::new(ctx, s).eval(root);
    // Always true: always_true_policy reports it (or it is beyond our
    // evaluation); nothing here depends on the identity then.
    if value(&Scenario::identity(Identity::Unknown)) == A::Bool(true) {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let text = expression_text(p, clause);
    let cmd = command_name(&p.cmd);
    let null_open = value(&Scenario::identity(Identity::Null)) == A::Bool(true);
    let empty_open = value(&Scenario::identity(Identity::Empty)) == A::Bool(true);
    if null_open || empty_open {
        let when = match (null_open, empty_open) {
            (true, true) => "when the caller's claims and tenant setting are missing (NULL) and when they are empty ('')",
            (true, false) => "when the caller's claims and tenant setting are missing (NULL)",
            _ => "when the caller's claims and tenant setting are empty ('', what a SET LOCAL leaves behind)",
        };
        out.push(keyed(ctx.finding(
            &FAIL_OPEN_PREDICATE,
            Some(t),
            Some(p),
            format!(
                "{clause} of permissive policy {} FOR {cmd} on {table} (applies to {}) is true for every row {when}: {text}. An anonymous request, or a backend connection without SET LOCAL, {}.",
                p.name,
                targets.join(", "),
                if clause == "USING" { "reads every tenant's rows" } else { "may write rows for any tenant" }
            ),
            remediation(
                ctx,
                t,
                p,
                clause,
                root,
                &|n: &Node| {
                    [Identity::Null, Identity::Empty]
                        .iter()
                        .any(|&i| Evaluator::new(ctx, &Scenario::identity(i)).eval(n) == A::Bool(true))
                },
                "-- keep only what checks the caller: drop the branch that is true without an identity",
            ),
        ), clause));
        // A fail-open expression is open whatever a setting holds.
        return;
    }
    if let Some((compare, tenant, when)) = fixed_tenant_fallback(ctx, t, root) {
        out.push(keyed(ctx.finding(
            &FAIL_OPEN_PREDICATE,
            Some(t),
            Some(p),
            format!(
                "{clause} of permissive policy {} FOR {cmd} on {table} (applies to {}) falls back to the fixed tenant '{tenant}' {when}: the value compared with the tenant column {compare} no longer depends on the caller then ({text}). An anonymous request, or a backend connection without SET LOCAL, {} that tenant's rows.",
                p.name,
                targets.join(", "),
                if clause == "USING" { "reads" } else { "writes" }
            ),
            format!(
                "-- no identity must mean no rows: compare with the caller's tenant, NULL when unset\nALTER POLICY {} ON {table} {clause} ({});",
                quote_ident(&p.name),
                ctx.tenant_condition(t)
            ),
        ), clause));
        return;
    }
    for (name, compared) in settings_read(ctx, root) {
        // The claims documents are JSON (their keys are claims, not flags);
        // a scalar identity setting compared with a constant is a magic value.
        if matches!(
            name.as_str(),
            "request.jwt.claims" | "request.jwt.claim" | "request.headers"
        ) || !is_custom_setting(&name)
            || (is_identity_setting(&name) && compared.is_empty())
        {
            continue;
        }
        let mut candidates = compared.clone();
        for v in ["on", "true", "1"] {
            if !candidates.iter().any(|c| c == v) {
                candidates.push(v.to_owned());
            }
        }
        let opens = candidates.into_iter().find(|v| {
            value(&Scenario::identity(Identity::Null).with_setting(&name, v)) == A::Bool(true)
        });
        let Some(v) = opens else {
            continue;
        };
        out.push(keyed(ctx.finding(
            &SETTABLE_BYPASS_SETTING,
            Some(t),
            Some(p),
            format!(
                "{clause} of permissive policy {} FOR {cmd} on {table} (applies to {}) is true for every row, with no identity at all, once {name} = '{v}': {text}. Any client can run SET {name} = '{v}' (custom settings need no privilege) and {}.",
                p.name,
                targets.join(", "),
                if clause == "USING" { "read every tenant's rows" } else { "write rows for any tenant" }
            ),
            remediation(
                ctx,
                t,
                p,
                clause,
                root,
                &|n: &Node| {
                    let s = Scenario::identity(Identity::Null).with_setting(&name, &v);
                    Evaluator::new(ctx, &s).eval(n) == A::Bool(true)
                },
                &format!("-- drop the {name} branch; give trusted jobs a role of their own instead (CREATE ROLE … BYPASSRLS, or a policy TO that role)"),
            ),
        ), clause));
    }
}

/// A comparison of the tenant column with an expression that depends on the
/// caller but yields a value of its own when the identity is missing or
/// empty: `company_id = coalesce(nullif(current_setting('rls.tenant_id',
/// true), ''), '<company A>')::uuid`. Not "true for every row", but every
/// caller without a tenant gets that tenant's rows. Returns the tenant
/// column, the fixed tenant and when it happens.
fn fixed_tenant_fallback(
    ctx: &Ctx,
    t: &Table,
    root: &Node,
) -> Option<(String, String, &'static str)> {
    let column = ctx.tenant_key_column(t)?;
    let mut found = None;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.tag == "SUBLINK" {
            continue; // the row's own tenant column is compared at the top
        }
        stack.extend(n.direct_children());
        for (col, e) in own_column_equalities(n) {
            let is_tenant = ctx.column_name(t.oid, col) == Some(column);
            if !is_tenant || strip_casts(e).tag == "CONST" || !own_columns(e).is_empty() {
                continue;
            }
            let value = |i: Identity| Evaluator::new(ctx, &Scenario::identity(i)).eval(e);
            // It must depend on the caller (unknown in general)...
            if matches!(
                value(Identity::Unknown),
                A::Str(_) | A::NonNull | A::Bool(_)
            ) {
                continue;
            }
            // ...and still hold a value without an identity.
            let fixed = |v: A| matches!(v, A::Str(_) | A::NonNull);
            // A sentinel no tenant has ('00000000-…', '', '-1') closes; a
            // real tenant's id opens that tenant.
            let Some(tenant) = fallback_constants(e).into_iter().find(|c| !is_sentinel(c)) else {
                continue;
            };
            let when = match (fixed(value(Identity::Null)), fixed(value(Identity::Empty))) {
                (true, true) => "when the caller's tenant setting is missing (NULL) or empty ('')",
                (true, false) => "when the caller's tenant setting is missing (NULL)",
                (false, true) => "when the caller's tenant setting is empty ('')",
                (false, false) => continue,
            };
            found = Some((quote_ident(column), tenant, when));
        }
    }
    found
}

/// The constants of an expression other than the names of the settings it
/// reads: uuid constants as text, text constants as they are.
fn fallback_constants(e: &Node) -> Vec<String> {
    let names: Vec<String> = setting_reads(e).into_iter().map(|(n, _)| n).collect();
    let mut out = Vec::new();
    e.walk(&mut |n| {
        if n.tag != "CONST" || n.flag("constisnull") == Some(true) {
            return;
        }
        let text = if n.int("consttype") == Some(2950) {
            match n.get("constvalue") {
                Some(Value::Bytes(b)) if b.len() >= 16 => {
                    let h: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
                    Some(format!(
                        "{}-{}-{}-{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[12..16],
                        &h[16..20],
                        &h[20..]
                    ))
                }
                _ => None,
            }
        } else {
            crate::audit::expr::const_text(n)
        };
        if let Some(t) = text {
            if !names.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                out.push(t);
            }
        }
    });
    out
}

/// Values that name no tenant: the nil and max uuids, '', '0', '-1'.
fn is_sentinel(v: &str) -> bool {
    let v = v.trim();
    let digits: String = v.chars().filter(|c| *c != '-').collect();
    v.is_empty()
        || v == "-1"
        || (!digits.is_empty() && digits.chars().all(|c| c == '0'))
        || (digits.len() == 32 && digits.chars().all(|c| c == 'f' || c == 'F'))
}

fn expression_text(p: &Policy, clause: &str) -> String {
    let sql = if clause == "USING" {
        &p.qual_sql
    } else {
        &p.with_check_sql
    };
    sql.clone().unwrap_or_else(|| "<expression>".into())
}

/// The policy without the operands of its top-level OR that `open` says are
/// true on their own; else (no such OR) the tenant condition.
fn remediation(
    ctx: &Ctx,
    t: &Table,
    p: &Policy,
    clause: &str,
    root: &Node,
    open: &dyn Fn(&Node) -> bool,
    note: &str,
) -> String {
    let table = qualified(&t.schema, &t.name);
    let kept = (root.tag == "BOOLEXPR" && root.get("boolop").and_then(Value::as_str) == Some("or"))
        .then(|| {
            let args = root.children("args");
            let parts = split_top_level_or(&expression_text(p, clause))?;
            (parts.len() == args.len()).then(|| {
                args.iter()
                    .zip(parts)
                    .filter(|(a, _)| !open(a))
                    .map(|(_, text)| text)
                    .collect::<Vec<String>>()
            })
        })
        .flatten()
        .filter(|k| !k.is_empty());
    let condition = match kept {
        Some(k) => k.join(" OR "),
        None => ctx.tenant_condition(t),
    };
    format!(
        "{note}\nALTER POLICY {} ON {table} {clause} ({condition});",
        quote_ident(&p.name)
    )
}
