//! Foreign keys across tenants. A foreign key between two tenant tables that
//! does not include the tenant column lets a row of tenant A point at tenant
//! B's row (referential checks run without RLS, so the insert succeeds; its
//! success or failure tells whether B's id exists; and B can no longer delete
//! its row). Reported when a client can write the link without a check that
//! reads the parent; warn for guessable keys, info for uuid keys. (A child
//! without tenant column and without RLS is rls_disabled's, which proposes a
//! policy through the parent.)

use crate::audit::expr::subquery_relations;
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{qualified, quote_ident, Ctx};
use crate::audit::node::Value;
use crate::audit::snapshot::{Policy, Table, PUBLIC};

pub static CROSS_TENANT_FOREIGN_KEY: Check = Check {
    code: "cross_tenant_foreign_key",
    level: Level::Warn,
    category: Category::Security,
    title: "A foreign key can link rows of different tenants",
    why: "Referential checks bypass RLS: a foreign key between tenant tables without the tenant column lets tenant A's row reference tenant B's (and probe which ids exist); a child table without tenant column or RLS exposes every tenant's children.",
};

pub const CHECKS: &[&Check] = &[&CROSS_TENANT_FOREIGN_KEY];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    for c in ctx.audited_tables() {
        if !matches!(c.kind.as_str(), "r" | "p") {
            continue;
        }
        for fk in &c.foreign_keys {
            let Some(p) = ctx.tables.get(&fk.ref_table).copied() else {
                continue;
            };
            if p.oid == c.oid {
                continue;
            }
            let (Some(ct), Some(pt)) = (ctx.tenant_column(c), ctx.tenant_column(p)) else {
                // A child without tenant column: rls_disabled reports it when
                // RLS is off, with a policy through its parent.
                continue;
            };
            if fk.columns.contains(&ct.num) {
                continue; // the tenant column is part of the key (or the key is the tenant itself)
            }
            if !client_can_link(ctx, c, p) {
                continue;
            }
            let names = |t: &Table, cols: &[i32]| -> Vec<String> {
                cols.iter()
                    .filter_map(|&n| ctx.column_name(t.oid, i64::from(n)))
                    .map(quote_ident)
                    .collect()
            };
            let child = qualified(&c.schema, &c.name);
            let parent = qualified(&p.schema, &p.name);
            let cols = names(c, &fk.columns);
            let ref_cols = names(p, &fk.ref_columns);
            // uuid keys cannot be guessed: linking needs a leaked id (info);
            // other keys can be enumerated (warn).
            let guessable = fk.ref_columns.iter().any(|&n| {
                p.columns
                    .iter()
                    .find(|col| col.num == n)
                    .is_none_or(|col| col.type_name != "uuid")
            });
            let mut finding = ctx.finding_on(
                &CROSS_TENANT_FOREIGN_KEY,
                Some(c),
                None,
                Some(format!("{child}.{}", fk.name)),
                format!(
                    "Foreign key {} on {child} ({}) references {parent} ({}) without the tenant column: a row of one tenant may reference another tenant's {parent} row. The referential check runs without RLS, so such an insert succeeds, and whether it fails tells the caller if the other tenant's id exists.",
                    fk.name,
                    cols.join(", "),
                    ref_cols.join(", ")
                ),
                format!(
                    "ALTER TABLE {parent} ADD CONSTRAINT {} UNIQUE ({}, {pcol});\nALTER TABLE {child} DROP CONSTRAINT {}, ADD CONSTRAINT {} FOREIGN KEY ({}, {ccol}) REFERENCES {parent} ({}, {pcol});",
                    quote_ident(&format!("{}_tenant_key", p.name)),
                    ref_cols.join(", "),
                    quote_ident(&fk.name),
                    quote_ident(&fk.name),
                    cols.join(", "),
                    ref_cols.join(", "),
                    pcol = quote_ident(&pt.name),
                    ccol = quote_ident(&ct.name)
                ),
            );
            if !guessable {
                finding.level = Level::Info;
                finding.detail.push_str(" The referenced key is a uuid, so another tenant's ids cannot be guessed: reported as info.");
            }
            out.push(finding);
        }
    }
}

/// Can a client role write the child (INSERT or UPDATE privilege and a
/// permissive policy for it) without its check reading the parent? A check
/// that reads the parent in a sub-select sees only parent rows RLS lets the
/// caller see: the same tenant's.
fn client_can_link(ctx: &Ctx, c: &Table, p: &Table) -> bool {
    let policies = ctx.policies(c.oid);
    let reads_parent = |pol: &Policy| {
        pol.with_check_tree
            .as_ref()
            .or(pol.qual_tree.as_ref())
            .and_then(Value::as_node)
            .is_some_and(|e| subquery_relations(e).contains(&p.oid))
    };
    ctx.client_privileges(c).into_iter().any(|(r, privs)| {
        [("INSERT", "a"), ("UPDATE", "w")]
            .iter()
            .any(|(privilege, cmd)| {
                privs.contains(*privilege)
                    && (!c.rls
                        || ctx.exempt(r, c)
                        || policies.iter().any(|pol| {
                            pol.permissive
                                && (pol.cmd == *cmd || pol.cmd == "*")
                                && (r == PUBLIC && pol.roles.contains(&PUBLIC)
                                    || r != PUBLIC && ctx.policy_applies(pol, r))
                                && !reads_parent(pol)
                        }))
            })
    })
}
