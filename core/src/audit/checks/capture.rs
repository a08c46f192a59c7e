//! Captured columns: a policy's sub-select compares a column with itself
//! (`m.org_id = m.org_id`), most often because an unqualified name
//! (`org_id`) bound to the sub-select's own table instead of the row being
//! checked. The condition then holds for any row of the inner table, and the
//! tenant check looks at an arbitrary row. Found from the expression tree:
//! both operands are the same column of the same range-table entry.

use crate::audit::expr::strip_casts;
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{command_name, qualified, quote_ident, Ctx};
use crate::audit::node::{Node, Value};
use crate::audit::snapshot::{Oid, Policy, Table};

pub static TENANT_COLUMN_CAPTURE: Check = Check {
    code: "tenant_column_capture",
    level: Level::Error,
    category: Category::Security,
    title: "A policy compares a column with itself (a name bound to the wrong table)",
    why: "Inside a sub-select an unqualified column name binds to the sub-select's own table first: `m.org_id = org_id` becomes `m.org_id = m.org_id`, true for every membership row, so the tenant check no longer looks at the row being checked.",
};

pub const CHECKS: &[&Check] = &[&TENANT_COLUMN_CAPTURE];

/// One range-table entry: the relation (if any) and the name it goes by.
#[derive(Clone)]
struct Rte {
    relid: Option<Oid>,
    alias: String,
}

/// A column compared with itself.
struct SelfCompare {
    /// `m.org_id`
    column: String,
    /// Column name alone.
    name: String,
    /// In a sub-select (else at the policy's own level).
    nested: bool,
}

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    for t in ctx.audited_tables() {
        if !matches!(t.kind.as_str(), "r" | "p") {
            continue;
        }
        for p in ctx.policies(t.oid) {
            for (clause, tree) in [("USING", &p.qual_tree), ("WITH CHECK", &p.with_check_tree)] {
                let Some(root) = tree.as_ref().and_then(Value::as_node) else {
                    continue;
                };
                let own = Rte {
                    relid: Some(t.oid),
                    alias: t.name.clone(),
                };
                let mut found = Vec::new();
                visit(ctx, root, &mut vec![vec![own]], &mut found);
                for sc in found {
                    out.push(finding(ctx, t, p, clause, &sc));
                }
            }
        }
    }
}

fn rtable(q: &Node) -> Vec<Rte> {
    q.children("rtable")
        .into_iter()
        .map(|r| Rte {
            relid: (r.int("rtekind") == Some(0))
                .then(|| r.int("relid").and_then(|o| u32::try_from(o).ok()))
                .flatten(),
            alias: r
                .child("alias")
                .or_else(|| r.child("eref"))
                .and_then(|a| a.get("aliasname"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned(),
        })
        .collect()
}

fn visit(ctx: &Ctx, n: &Node, scopes: &mut Vec<Vec<Rte>>, out: &mut Vec<SelfCompare>) {
    if n.tag == "QUERY" {
        scopes.push(rtable(n));
        for c in n.direct_children() {
            visit(ctx, c, scopes, out);
        }
        scopes.pop();
        return;
    }
    if n.tag == "OPEXPR" {
        let args = n.children("args");
        if args.len() == 2 {
            let (a, b) = (strip_casts(args[0]), strip_casts(args[1]));
            let key = |v: &Node| {
                (v.tag == "VAR").then(|| {
                    (
                        v.int("varno"),
                        v.int("varattno"),
                        v.int("varlevelsup").unwrap_or(0),
                    )
                })
            };
            if let (Some(ka), Some(kb)) = (key(a), key(b)) {
                if ka == kb && ka.1.unwrap_or(0) > 0 {
                    if let Some(sc) = describe(ctx, scopes, ka) {
                        out.push(sc);
                    }
                }
            }
        }
    }
    for c in n.direct_children() {
        visit(ctx, c, scopes, out);
    }
}

fn describe(
    ctx: &Ctx,
    scopes: &[Vec<Rte>],
    (varno, attno, up): (Option<i64>, Option<i64>, i64),
) -> Option<SelfCompare> {
    let level = scopes.len().checked_sub(1 + usize::try_from(up).ok()?)?;
    let rte = scopes[level].get(usize::try_from(varno? - 1).ok()?)?;
    let name = ctx.column_name(rte.relid?, attno?)?.to_owned();
    Some(SelfCompare {
        column: format!("{}.{}", rte.alias, name),
        name,
        nested: level > 0,
    })
}

fn finding(ctx: &Ctx, t: &Table, p: &Policy, clause: &str, sc: &SelfCompare) -> Finding {
    let table = qualified(&t.schema, &t.name);
    let meant_col = t.columns.iter().any(|c| c.name == sc.name);
    let meant = if meant_col {
        format!(
            "{} = {}.{}",
            sc.column,
            quote_ident(&t.name),
            quote_ident(&sc.name)
        )
    } else {
        format!(
            "{} = <the {} column of the row being checked>",
            sc.column, table
        )
    };
    let captured = format!("{} = {}", sc.column, sc.column);
    let detail = if sc.nested {
        format!(
            "{clause} of policy {} FOR {} on {table} compares {} with itself inside a sub-select ({captured}): the unqualified {} bound to the sub-select's own table, so the condition holds for any of its rows with a non-NULL {} and no longer refers to the row of {table} being checked. Meant: {meant}.",
            p.name,
            command_name(&p.cmd),
            sc.column,
            sc.name,
            sc.name
        )
    } else {
        format!(
            "{clause} of policy {} FOR {} on {table} compares {} with itself ({captured}): true for every row where it is not NULL.",
            p.name,
            command_name(&p.cmd),
            sc.column
        )
    };
    let sql = if clause == "USING" {
        &p.qual_sql
    } else {
        &p.with_check_sql
    };
    // PostgreSQL's deparse writes the comparison as `(m.org_id = m.org_id)`.
    let fixed = sql
        .as_deref()
        .filter(|s| meant_col && s.contains(&format!("({captured})")))
        .map(|s| s.replacen(&format!("({captured})"), &format!("({meant})"), 1));
    let remediation = match fixed.filter(|_| sc.nested) {
        None if !sc.nested => format!(
            "ALTER POLICY {} ON {table} {clause} ({});",
            quote_ident(&p.name),
            ctx.tenant_condition(t)
        ),
        Some(expr) => format!(
            "-- qualify the outer column with the table name\nALTER POLICY {} ON {table} {clause} ({expr});",
            quote_ident(&p.name)
        ),
        None => format!(
            "-- qualify every column in the sub-select: inner ones with their alias, the checked row's with {table}\nALTER POLICY {} ON {table} {clause} (<the expression with {meant}>);",
            quote_ident(&p.name)
        ),
    };
    ctx.finding(
        &TENANT_COLUMN_CAPTURE,
        Some(t),
        Some(p),
        detail,
        remediation,
    )
}
