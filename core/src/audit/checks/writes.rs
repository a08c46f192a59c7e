//! Write paths RLS does not close: an UPDATE policy whose check never looks
//! at the tenant (or role) column, so a caller moves rows into another
//! tenant or promotes himself; TRUNCATE granted to client roles (RLS does
//! not filter TRUNCATE).

use crate::audit::expr::own_columns;
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{command_name, qualified, quote_ident, Ctx};
use crate::audit::node::Value;
use crate::audit::snapshot::{Column, Oid, Policy, Table, PUBLIC};

pub static UPDATE_WITHOUT_WITH_CHECK: Check = Check {
    code: "update_without_with_check",
    level: Level::Warn,
    category: Category::Security,
    title: "An UPDATE policy lets the caller rewrite the tenant or role column",
    why: "Without WITH CHECK, PostgreSQL checks the new row with USING only: when USING does not involve the tenant column (or the role column), a caller who may update a row can set it to another tenant (moving the row there) or to 'admin' (promoting himself).",
};
pub static TRUNCATE_GRANT: Check = Check {
    code: "truncate_grant",
    level: Level::Warn,
    category: Category::Security,
    title: "TRUNCATE is granted to a client role on an RLS table",
    why: "Row-level security does not filter TRUNCATE: a client role that holds it can empty the table for every tenant, whatever the policies say.",
};

pub static RETURNING_NEEDS_SELECT: Check = Check {
    code: "returning_needs_select",
    level: Level::Warn,
    category: Category::Correctness,
    title: "A role may insert rows it may not read back (RETURNING fails)",
    why: "INSERT … RETURNING checks the new row against the SELECT policies: with none for the role, PostgREST's return=representation (supabase-js .insert().select()) fails with 42501 although the INSERT itself is allowed.",
};

pub const CHECKS: &[&Check] = &[
    &UPDATE_WITHOUT_WITH_CHECK,
    &TRUNCATE_GRANT,
    &RETURNING_NEEDS_SELECT,
];

/// Column names that carry a caller's privileges in a membership-like table.
const ROLE_COLUMNS: [&str; 5] = ["role", "member_role", "user_role", "is_admin", "is_owner"];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    for t in ctx.audited_tables() {
        if !t.rls || !matches!(t.kind.as_str(), "r" | "p") {
            continue;
        }
        update_check(ctx, t, out);
        truncate(ctx, t, out);
        returning(ctx, t, out);
    }
}

/// Client roles (PUBLIC included) that hold `privilege` on the table.
fn holders(ctx: &Ctx, t: &Table, privilege: &str) -> Vec<Oid> {
    ctx.client_privileges(t)
        .into_iter()
        .filter(|(_, p)| p.contains(privilege))
        .map(|(r, _)| r)
        .collect()
}

/// Client roles (PUBLIC included) that may UPDATE `col`: by a table-level
/// grant or a grant on the column.
fn column_updaters(ctx: &Ctx, t: &Table, col: &Column) -> Vec<Oid> {
    let table_level = t.own_acl.as_deref().unwrap_or(&t.acl);
    ctx.clients()
        .into_iter()
        .filter(|&r| ctx.schema_usage(&t.schema, r))
        .filter(|&r| {
            ctx.acl_privileges(table_level, r).contains("UPDATE")
                || ctx.acl_privileges(&col.acl, r).contains("UPDATE")
        })
        .collect()
}

fn update_check(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    if holders(ctx, t, "UPDATE").is_empty() {
        return;
    }
    let guarded: Vec<&Column> = ctx
        .tenant_column(t)
        .into_iter()
        .chain(
            t.columns
                .iter()
                .filter(|c| ROLE_COLUMNS.contains(&c.name.as_str())),
        )
        .collect();
    if guarded.is_empty() {
        return;
    }
    let policies = ctx.policies(t.oid);
    let applies_to = |p: &Policy, updaters: &[Oid]| {
        updaters.iter().any(|&r| {
            if r == PUBLIC {
                p.roles.contains(&PUBLIC)
            } else {
                !ctx.exempt(r, t) && ctx.policy_applies(p, r)
            }
        })
    };
    // The expression that checks the new row: WITH CHECK, else USING.
    let check_columns = |p: &Policy| -> Vec<i64> {
        let tree = p.with_check_tree.as_ref().or(p.qual_tree.as_ref());
        tree.and_then(Value::as_node)
            .map(own_columns)
            .unwrap_or_default()
    };
    for p in policies
        .iter()
        .filter(|p| p.permissive && matches!(p.cmd.as_str(), "w" | "*") && p.with_check.is_none())
    {
        let using_cols = check_columns(p);
        for col in &guarded {
            let updaters = column_updaters(ctx, t, col);
            let applies_to_updater = |p: &Policy| applies_to(p, &updaters);
            if !applies_to_updater(p) {
                continue;
            }
            if using_cols.contains(&i64::from(col.num)) {
                continue;
            }
            // A restrictive policy for UPDATE that checks the column closes it.
            let closed = policies.iter().any(|r| {
                !r.permissive
                    && matches!(r.cmd.as_str(), "w" | "*")
                    && applies_to_updater(r)
                    && check_columns(r).contains(&i64::from(col.num))
            });
            if closed {
                continue;
            }
            // PostgreSQL also checks the new row of an UPDATE that reads
            // columns (WHERE, RETURNING) against the SELECT policies.
            let select_checks = policies.iter().any(|r| {
                matches!(r.cmd.as_str(), "r" | "*")
                    && applies_to_updater(r)
                    && r.qual_tree
                        .as_ref()
                        .and_then(Value::as_node)
                        .is_some_and(|q| own_columns(q).contains(&i64::from(col.num)))
            });
            out.push(update_finding(ctx, t, p, col, select_checks));
        }
    }
}

fn update_finding(ctx: &Ctx, t: &Table, p: &Policy, col: &Column, select_checks: bool) -> Finding {
    let table = qualified(&t.schema, &t.name);
    let is_tenant = ctx.tenant_column(t).is_some_and(|c| c.name == col.name);
    let using = p.qual_sql.clone().unwrap_or_else(|| "<USING>".into());
    let (effect, remediation) = if is_tenant {
        (
            format!("set {} to another tenant's id and move the row into that tenant", col.name),
            format!(
                "ALTER POLICY {} ON {table} WITH CHECK ({using} AND {} = (SELECT identity.get_current_org_id()));",
                quote_ident(&p.name),
                quote_ident(&col.name)
            ),
        )
    } else {
        let others: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.name != col.name && !ROLE_COLUMNS.contains(&c.name.as_str()))
            .map(|c| quote_ident(&c.name))
            .collect();
        (
            format!("set {} on the rows it may update (its own membership: promote itself)", col.name),
            format!(
                "-- let clients update every column but {col}:\nREVOKE UPDATE ON {table} FROM {roles};\nGRANT UPDATE ({cols}) ON {table} TO {roles};",
                col = col.name,
                roles = p
                    .roles
                    .iter()
                    .map(|&r| if r == PUBLIC { "PUBLIC".to_owned() } else { quote_ident(&ctx.role_name(r)) })
                    .collect::<Vec<_>>()
                    .join(", "),
                cols = others.join(", ")
            ),
        )
    };
    ctx.finding_on(
        &UPDATE_WITHOUT_WITH_CHECK,
        Some(t),
        Some(p),
        Some(format!("{table}.{}", col.name)),
        format!(
            "Policy {} FOR {} on {table} has no WITH CHECK, and its USING ({using}) does not involve {}: a caller who may update a row can {}.{}",
            p.name,
            command_name(&p.cmd),
            col.name,
            effect,
            if select_checks {
                format!(" (An UPDATE with a WHERE clause is also checked against the SELECT policies, which involve {} here; an UPDATE without one, which needs no SELECT right, is not.)", col.name)
            } else {
                String::new()
            }
        ),
        remediation,
    )
}

fn truncate(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    // The owner (and roles with its privileges) holds TRUNCATE by owning the
    // table: owner_bypass and force_rls_missing are about that role.
    let who: Vec<Oid> = holders(ctx, t, "TRUNCATE")
        .into_iter()
        .filter(|&r| r == PUBLIC || (!ctx.exempt(r, t) && !ctx.privileges_of(r).contains(&t.owner)))
        .filter(|&r| {
            t.acl.iter().any(|a| {
                a.privilege == "TRUNCATE"
                    && a.grantee != t.owner
                    && (a.grantee == r
                        || (r != PUBLIC && ctx.privileges_of(r).contains(&a.grantee)))
            })
        })
        .collect();
    if who.is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let names: Vec<String> = who
        .iter()
        .map(|&r| {
            if r == PUBLIC {
                "PUBLIC".to_owned()
            } else {
                ctx.role_name(r)
            }
        })
        .collect();
    // The grant may come through a role the client inherits: revoke where it is.
    let grantees: Vec<String> = t
        .acl
        .iter()
        .filter(|a| a.privilege == "TRUNCATE")
        .filter(|a| {
            who.iter()
                .any(|&r| a.grantee == r || ctx.privileges_of(r).contains(&a.grantee))
        })
        .map(|a| {
            if a.grantee == PUBLIC {
                "PUBLIC".to_owned()
            } else {
                quote_ident(&ctx.role_name(a.grantee))
            }
        })
        .collect();
    out.push(ctx.finding(
        &TRUNCATE_GRANT,
        Some(t),
        None,
        format!(
            "{table} has row-level security, but {} may TRUNCATE it: TRUNCATE is not filtered by policies and empties the table for every tenant.",
            names.join(", ")
        ),
        format!("REVOKE TRUNCATE ON {table} FROM {};", grantees.join(", ")),
    ));
}

fn returning(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    let table = qualified(&t.schema, &t.name);
    let policies = ctx.policies(t.oid);
    for &r in &ctx.client_roles {
        if ctx.exempt(r, t) || !ctx.schema_usage(&t.schema, r) {
            continue;
        }
        let privs = ctx.acl_privileges(&t.acl, r);
        if !privs.contains("SELECT") {
            continue; // missing_table_grants' business
        }
        let permitted = |cmds: &[&str]| -> Vec<&Policy> {
            policies
                .iter()
                .copied()
                .filter(|p| {
                    p.permissive && cmds.contains(&p.cmd.as_str()) && ctx.policy_applies(p, r)
                })
                .collect()
        };
        if !permitted(&["r", "*"]).is_empty() {
            continue;
        }
        if !privs.contains("INSERT") {
            continue;
        }
        // (UPDATE is not reported here: without a SELECT policy an UPDATE
        // that reads columns finds no rows at all.)
        let Some(example) = permitted(&["a"]).first().copied() else {
            continue;
        };
        let role = ctx.role_name(r);
        let condition = example
            .with_check_sql
            .clone()
            .unwrap_or_else(|| "<who may read the row>".into());
        out.push(ctx.finding_on(
            &RETURNING_NEEDS_SELECT,
            Some(t),
            None,
            Some(format!("{table} ({role})")),
            format!(
                "{role} may INSERT into {table} (policy {}) but no SELECT policy applies to it: the INSERT succeeds, INSERT … RETURNING fails with 42501 (new row violates row-level security policy), and so does PostgREST's return=representation (supabase-js .insert().select()).",
                example.name
            ),
            format!(
                "CREATE POLICY {} ON {table} FOR SELECT TO {} USING ({condition});",
                quote_ident(&format!("{}_select", t.name)),
                quote_ident(&role)
            ),
        ));
    }
}
