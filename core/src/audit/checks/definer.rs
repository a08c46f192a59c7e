//! SECURITY DEFINER functions that clients can call and that read or write
//! tenant tables without ever looking at the caller: RLS is the owner's
//! business inside them (the owner usually bypasses it), so the function's
//! arguments alone choose the tenant. PostgREST exposes every such function
//! as /rpc/<name>.

use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::graph::{function_refs, strip_literals, FuncRefs};
use crate::audit::model::{qualified, qualified_signature, quote_ident, Ctx};
use crate::audit::node::Node;
use crate::audit::snapshot::{Function, Oid};
use std::collections::HashSet;

pub static DEFINER_FUNCTION_UNSCOPED: Check = Check {
    code: "definer_function_unscoped",
    level: Level::Error,
    category: Category::Security,
    title: "A client-callable SECURITY DEFINER function reaches tenant tables without checking the caller",
    why: "A SECURITY DEFINER function runs as its owner, who usually bypasses RLS: if it never looks at the caller (auth.uid(), the claims, identity.*), any client that may EXECUTE it reads or writes whichever tenant's rows its arguments name.",
};

pub const CHECKS: &[&Check] = &[&DEFINER_FUNCTION_UNSCOPED];

/// Calls that look at the caller.
fn checks_caller_call(f: &Function) -> bool {
    matches!(
        (f.schema.as_str(), f.name.as_str()),
        ("auth", "uid" | "jwt" | "role" | "email")
            | (
                "pg_catalog",
                "current_setting" | "current_user" | "session_user"
            )
    ) || f.schema == "identity"
}

/// Words that look at the caller in a source text (PL/pgSQL, or an SQL body
/// that was not analysed), literals stripped.
const CALLER_WORDS: [&str; 8] = [
    "auth.uid",
    "auth.jwt",
    "auth.role",
    "auth.email",
    "current_setting",
    "current_user",
    "session_user",
    "identity.",
];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    for f in &ctx.snap.functions {
        if !f.security_definer
            || f.extension_member
            || f.kind != "f"
            || matches!(f.returns.as_str(), "trigger" | "event_trigger")
            || !ctx.schemas.contains(&f.schema)
        {
            continue;
        }
        let callers = ctx.function_callers(f);
        if callers.is_empty() {
            continue;
        }
        let refs = function_refs(ctx, f);
        let mut seen = HashSet::new();
        if looks_at_caller(ctx, f, &refs, &mut seen, 0) {
            continue;
        }
        let mut tables: Vec<String> = Vec::new();
        for read in &refs.reads {
            let Some(t) = ctx.tables.get(&read.rel) else {
                continue;
            };
            // With FORCE ROW LEVEL SECURITY and an owner that does not bypass
            // it, the policies apply inside the function too.
            if ctx.tenant_key_column(t).is_none() || !ctx.exempt(f.owner, t) {
                continue;
            }
            let name = format!("{} ({})", qualified(&t.schema, &t.name), read.cmd.as_str());
            if !tables.contains(&name) {
                tables.push(name);
            }
        }
        if tables.is_empty() {
            continue;
        }
        let who: Vec<String> = callers.iter().map(|&r| ctx.role_name(r)).collect();
        let signature = qualified_signature(f);
        let owner = ctx.role_name(f.owner);
        let mut finding = ctx.finding_on(
            &DEFINER_FUNCTION_UNSCOPED,
            None,
            None,
            Some(signature.clone()),
            format!(
                "{signature} is SECURITY DEFINER (runs as {owner}), {} may EXECUTE it, and it reaches the tenant tables {} without looking at the caller anywhere (no auth.uid(), claims, current_setting or identity.* on its path): its arguments alone decide whose rows it reads or writes.",
                who.join(", "),
                tables.join(", ")
            ),
            format!(
                "-- check the caller inside it (e.g. IF NOT identity.has_org(<tenant argument>) THEN RAISE EXCEPTION ... USING ERRCODE = '42501'; END IF;),\n-- or make it SECURITY INVOKER so RLS applies, or keep it from clients:\nREVOKE EXECUTE ON FUNCTION {signature} FROM {};",
                who.iter()
                    .map(|w| if w == "PUBLIC" { w.clone() } else { quote_ident(w) })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        finding.schema_name = Some(f.schema.clone());
        out.push(finding);
    }
}

/// Does the function (or a function it calls, a few levels deep) look at the
/// caller? `refs` is what the function's body reads and calls.
fn looks_at_caller(
    ctx: &Ctx,
    f: &Function,
    refs: &FuncRefs,
    seen: &mut HashSet<Oid>,
    depth: usize,
) -> bool {
    if depth > 6 || !seen.insert(f.oid) {
        return false;
    }
    if let Some(body) = &f.body_tree {
        let mut found = false;
        for root in crate::audit::graph::value_nodes(body) {
            root.walk(&mut |n: &Node| {
                // PostgreSQL 15: current_role, current_user, user, session_user
                // are SQLValueFunctions (ops 9-12); 16+ calls functions.
                if n.tag == "SQLVALUEFUNCTION" && matches!(n.int("op"), Some(9..=12)) {
                    found = true;
                }
            });
        }
        if found {
            return true;
        }
    } else if let Some(src) = &f.source {
        let text = strip_literals(src).to_ascii_lowercase();
        if CALLER_WORDS.iter().any(|w| text.contains(w)) {
            return true;
        }
    }
    refs.calls.iter().any(|c| {
        ctx.functions.get(&c.func).is_some_and(|g| {
            checks_caller_call(g)
                || (g.schema != "pg_catalog"
                    && looks_at_caller(ctx, g, &function_refs(ctx, g), seen, depth + 1))
        })
    })
}
