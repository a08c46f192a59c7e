//! Is row-level security on, forced where it must be, and do the policies
//! mean what they seem to (a permissive `true`, `TO PUBLIC`, several
//! permissive policies OR-ed together)?

use crate::audit::expr::const_bool;
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{command_name, qualified, quote_ident, Ctx, WRITE_PRIVILEGES};
use crate::audit::node::Node;
use crate::audit::snapshot::{Oid, Policy, Table, PUBLIC};
use std::collections::HashSet;

pub static RLS_DISABLED: Check = Check {
    code: "rls_disabled",
    level: Level::Error,
    category: Category::Security,
    title: "Row-level security is off on a table clients can reach",
    why: "With RLS off, every row is visible (and writable, with the grants) to every client role: no policy is consulted.",
};
pub static POLICY_EXISTS_RLS_DISABLED: Check = Check {
    code: "policy_exists_rls_disabled",
    level: Level::Error,
    category: Category::Security,
    title: "Policies exist but row-level security is off",
    why: "Policies on a table without ENABLE ROW LEVEL SECURITY are dormant: they look like isolation and do nothing.",
};
pub static RLS_ENABLED_NO_POLICY: Check = Check {
    code: "rls_enabled_no_policy",
    level: Level::Info,
    category: Category::Correctness,
    title: "Row-level security is on but no policy exists (deny-all)",
    why: "Every non-exempt role sees no rows and every write fails: fine for a locked table, a bug if clients should use it.",
};
pub static ALWAYS_TRUE_POLICY: Check = Check {
    code: "always_true_policy",
    level: Level::Error,
    category: Category::Security,
    title: "A permissive policy is always true",
    why: "Permissive policies are OR-ed: one USING (true) or WITH CHECK (true) opens every row to the roles it applies to, whatever the other policies say.",
};
pub static PUBLIC_ROLE_POLICY: Check = Check {
    code: "public_role_policy",
    level: Level::Warn,
    category: Category::Security,
    title: "A tenant table's policy applies to PUBLIC (anon included)",
    why: "A policy without TO (or TO public) applies to every role, anon included, and is evaluated for it on every request.",
};
pub static MULTIPLE_PERMISSIVE_POLICIES: Check = Check {
    code: "multiple_permissive_policies",
    level: Level::Info,
    category: Category::Performance,
    title: "Several permissive policies for the same role and command",
    why: "PostgreSQL evaluates every applicable permissive policy and ORs them: each is paid on every row, and any one of them can widen access.",
};
pub static FORCE_RLS_MISSING: Check = Check {
    code: "force_rls_missing",
    level: Level::Warn,
    category: Category::Security,
    title: "RLS is not forced while clients can act as the table owner",
    why: "The table owner (and roles inheriting its privileges) skip every policy unless FORCE ROW LEVEL SECURITY is set.",
};

pub const CHECKS: &[&Check] = &[
    &RLS_DISABLED,
    &POLICY_EXISTS_RLS_DISABLED,
    &RLS_ENABLED_NO_POLICY,
    &ALWAYS_TRUE_POLICY,
    &PUBLIC_ROLE_POLICY,
    &MULTIPLE_PERMISSIVE_POLICIES,
    &FORCE_RLS_MISSING,
];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    // Partitions are audited at their parent, except that a client can query
    // a partition directly, and RLS is not inherited from the parent.
    for t in ctx.snap.tables.iter().filter(|t| {
        t.partition_of.is_some() && ctx.schemas.contains(&t.schema) && !t.extension_member
    }) {
        partition_off(ctx, t, out);
    }
    for t in ctx.audited_tables() {
        if !matches!(t.kind.as_str(), "r" | "p") {
            continue;
        }
        rls_off(ctx, t, out);
        if t.rls {
            no_policy(ctx, t, out);
            always_true(ctx, t, out);
            public_role(ctx, t, out);
            multiple_permissive(ctx, t, out);
            force_missing(ctx, t, out);
        }
    }
}

/// `role (PRIV, …)` for each client role holding privileges (as
/// `Ctx::client_privileges` gives them).
fn privilege_list(ctx: &Ctx, clients: &[(Oid, HashSet<String>)]) -> Vec<String> {
    clients
        .iter()
        .map(|(r, p)| {
            let mut p: Vec<&str> = p.iter().map(String::as_str).collect();
            p.sort_unstable();
            format!("{} ({})", ctx.role_name(*r), p.join(", "))
        })
        .collect()
}

fn tenant_policy_sql(ctx: &Ctx, t: &Table) -> String {
    let table = qualified(&t.schema, &t.name);
    match ctx.tenant_column(t) {
        Some(c) => format!(
            "CREATE POLICY tenant_isolation ON {table} FOR ALL TO authenticated\n  USING ({col} = (SELECT identity.get_current_org_id()))\n  WITH CHECK ({col} = (SELECT identity.get_current_org_id()));\n",
            col = quote_ident(&c.name)
        ),
        None => match through_parent(ctx, t) {
            Some(sql) => sql,
            None => format!("-- create the policies {table} needs first, e.g. CREATE POLICY ... ON {table} TO authenticated USING (...);\n"),
        },
    }
}

/// A child of a tenant table without a tenant column of its own: a policy
/// through its parent (whose RLS applies inside the sub-select).
fn through_parent(ctx: &Ctx, t: &Table) -> Option<String> {
    let table = qualified(&t.schema, &t.name);
    t.foreign_keys.iter().find_map(|fk| {
        let p = ctx.tables.get(&fk.ref_table)?;
        ctx.tenant_column(p)?;
        let pairs: Option<Vec<String>> = fk
            .ref_columns
            .iter()
            .zip(&fk.columns)
            .map(|(&pc, &cc)| {
                Some(format!(
                    "p.{} = {}.{}",
                    quote_ident(ctx.column_name(p.oid, i64::from(pc))?),
                    quote_ident(&t.name),
                    quote_ident(ctx.column_name(t.oid, i64::from(cc))?)
                ))
            })
            .collect();
        Some(format!(
            "-- {table} has no tenant column; it belongs to its parent {}: scope it through the parent (whose RLS applies in the sub-select)\nCREATE POLICY {} ON {table} FOR ALL TO authenticated\n  USING (EXISTS (SELECT 1 FROM {} p WHERE {}));\n",
            qualified(&p.schema, &p.name),
            quote_ident(&format!("{}_through_parent", t.name)),
            qualified(&p.schema, &p.name),
            pairs?.join(" AND ")
        ))
    })
}

fn rls_off(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    if t.rls {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let policies = ctx.policies(t.oid);
    if !policies.is_empty() {
        let names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
        out.push(ctx.finding(
            &POLICY_EXISTS_RLS_DISABLED,
            Some(t),
            None,
            format!(
                "{table} has {} polic{} ({}) but row-level security is disabled, so none of them is applied.",
                names.len(),
                if names.len() == 1 { "y" } else { "ies" },
                names.join(", ")
            ),
            format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;"),
        ));
        return;
    }
    let clients = ctx.client_privileges(t);
    let reach = privilege_list(ctx, &clients);
    let tenant = ctx.tenant_column(t);
    // A table without tenant column is shared by every tenant: read-only for
    // clients (reference data: plans, currencies) it isolates nothing. If the
    // API roles, whose SQL the end users write (anon, authenticated, PUBLIC),
    // can change it, any user changes what every tenant sees; an app's own
    // backend role writing shared data (an FX-rate import) is its design.
    let writers: Vec<String> = clients
        .iter()
        .filter(|(r, p)| {
            ctx.is_api_role(*r)
                && p.iter()
                    .any(|x| WRITE_PRIVILEGES.contains(&x.as_str()) || x == "TRUNCATE")
        })
        .map(|(r, _)| ctx.role_name(*r))
        .collect();
    let client_writes = !writers.is_empty();
    let parent = t.foreign_keys.iter().find_map(|fk| {
        ctx.tables
            .get(&fk.ref_table)
            .filter(|p| ctx.tenant_column(p).is_some())
    });
    if tenant.is_none() && parent.is_none() && !client_writes {
        return;
    }
    let mut detail = format!("{table} has row-level security disabled");
    if !reach.is_empty() {
        detail.push_str(&format!(
            "; client roles can reach it: {}",
            reach.join("; ")
        ));
    }
    match (tenant, parent) {
        (Some(c), _) => detail.push_str(&format!("; it has the tenant column {}", c.name)),
        (None, Some(p)) => detail.push_str(&format!(
            "; it has no tenant column but its rows belong to tenant table {} through a foreign key",
            qualified(&p.schema, &p.name)
        )),
        (None, None) => detail.push_str(
            &format!("; it has no tenant column, so its rows are shared by every tenant, and {} (roles whose queries end users write) can change them for all", writers.join(", ")),
        ),
    }
    detail.push('.');
    out.push(ctx.finding(
        &RLS_DISABLED,
        Some(t),
        None,
        detail,
        format!(
            "{}ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;",
            tenant_policy_sql(ctx, t)
        ),
    ));
}

fn partition_off(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    if t.rls {
        return;
    }
    let clients = ctx.client_privileges(t);
    let reach = privilege_list(ctx, &clients);
    if reach.is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let parent = t
        .partition_of
        .and_then(|p| ctx.tables.get(&p))
        .map(|p| qualified(&p.schema, &p.name))
        .unwrap_or_else(|| "its parent".into());
    let revokes: Vec<String> = clients
        .iter()
        .map(|&(r, _)| {
            let who = if r == PUBLIC {
                "PUBLIC".to_owned()
            } else {
                quote_ident(&ctx.role_name(r))
            };
            format!("REVOKE ALL ON {table} FROM {who};")
        })
        .collect();
    out.push(ctx.finding(
        &RLS_DISABLED,
        Some(t),
        None,
        format!(
            "{table} is a partition of {parent} with row-level security off, and client roles can query it directly: {}. RLS is not inherited: the parent's policies do not apply to a query on the partition.",
            reach.join("; ")
        ),
        format!(
            "{}\n-- clients read through {parent}; or give the partition the parent's policies and ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;",
            revokes.join("\n")
        ),
    ));
}

fn no_policy(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    if !ctx.policies(t.oid).is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let reach = privilege_list(ctx, &ctx.client_privileges(t));
    let who = if reach.is_empty() {
        "no client role has privileges on it".to_owned()
    } else {
        format!(
            "client roles with privileges get nothing: {}",
            reach.join("; ")
        )
    };
    out.push(ctx.finding(
        &RLS_ENABLED_NO_POLICY,
        Some(t),
        None,
        format!("{table} has row-level security enabled and no policy, so it denies every non-exempt role; {who}."),
        format!(
            "{}-- or, if the table is meant to be locked, suppress this finding.",
            tenant_policy_sql(ctx, t)
        ),
    ));
}

/// Constant truth of a policy expression, folding AND/OR/NOT over constants.
/// `None`: depends on the row or the caller.
pub fn constant_truth(n: &Node) -> Option<Option<bool>> {
    if let Some(b) = const_bool(n) {
        return Some(b);
    }
    if n.tag != "BOOLEXPR" {
        return None;
    }
    let args: Vec<Option<Option<bool>>> =
        n.children("args").into_iter().map(constant_truth).collect();
    match n.get("boolop").and_then(|v| v.as_str()) {
        // SQL three-valued logic.
        Some("or") if args.contains(&Some(Some(true))) => Some(Some(true)),
        Some("or") if args.iter().all(|a| *a == Some(Some(false))) => Some(Some(false)),
        Some("and") if args.contains(&Some(Some(false))) => Some(Some(false)),
        Some("and") if args.iter().all(|a| *a == Some(Some(true))) => Some(Some(true)),
        Some("not") => match args.first() {
            Some(Some(Some(b))) => Some(Some(!b)),
            Some(Some(None)) => Some(None),
            _ => None,
        },
        _ => None,
    }
}

/// Non-exempt roles a policy applies to, by name (PUBLIC reported as PUBLIC).
fn non_exempt_targets(ctx: &Ctx, t: &Table, p: &Policy) -> Vec<String> {
    p.roles
        .iter()
        .filter(|&&r| !ctx.exempt(r, t))
        .map(|&r| ctx.role_name(r))
        .collect()
}

fn always_true(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    let table = qualified(&t.schema, &t.name);
    for p in ctx.policies(t.oid).iter().filter(|p| p.permissive) {
        let qual_true = p
            .qual_tree
            .as_ref()
            .and_then(|v| v.as_node())
            .and_then(constant_truth)
            == Some(Some(true));
        let check_true = p
            .with_check_tree
            .as_ref()
            .and_then(|v| v.as_node())
            .and_then(constant_truth)
            == Some(Some(true));
        // FOR ALL / UPDATE without WITH CHECK reuse USING as the check.
        let check_inherits = p.with_check.is_none() && matches!(p.cmd.as_str(), "*" | "w");
        if !qual_true && !check_true {
            continue;
        }
        let targets = non_exempt_targets(ctx, t, p);
        if targets.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if qual_true {
            parts.push("USING is always true: every row is visible".to_owned());
        }
        if check_true || (qual_true && check_inherits) {
            parts.push("WITH CHECK is always true: any row can be written".to_owned());
        }
        let cmd = command_name(&p.cmd);
        let using = ctx.tenant_condition(t);
        let mut remediation = format!(
            "ALTER POLICY {} ON {table} USING ({using})",
            quote_ident(&p.name)
        );
        if p.cmd != "r" && p.cmd != "d" {
            remediation.push_str(&format!(" WITH CHECK ({using})"));
        }
        remediation.push(';');
        if p.cmd == "a" {
            remediation = format!(
                "ALTER POLICY {} ON {table} WITH CHECK ({using});",
                quote_ident(&p.name)
            );
        }
        out.push(ctx.finding(
            &ALWAYS_TRUE_POLICY,
            Some(t),
            Some(p),
            format!(
                "Permissive policy {} FOR {cmd} on {table} applies to {}: {}.",
                p.name,
                targets.join(", "),
                parts.join("; ")
            ),
            remediation,
        ));
    }
}

/// A policy without TO matters where the anonymous role (`anon`, PostgREST's
/// and Supabase's) can run its command on the table, or PUBLIC itself holds
/// the privilege (every role, also ones created later): then it applies to
/// callers it was not written for. Where only the app's own roles can reach
/// the table, TO PUBLIC means those roles (graphile-style and plain
/// PostgreSQL apps write policies without TO).
fn public_role(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    if ctx.tenant_column(t).is_none() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    for p in ctx
        .policies(t.oid)
        .iter()
        .filter(|p| p.roles.contains(&PUBLIC))
    {
        let reached: Vec<Oid> = ctx
            .clients()
            .into_iter()
            .filter(|&r| !ctx.exempt(r, t) && ctx.can_run(t, r, &p.cmd))
            .collect();
        let anonymous = |r: Oid| r == PUBLIC || ctx.role_name(r) == "anon";
        if !reached.iter().any(|&r| anonymous(r)) {
            continue;
        }
        let names: Vec<String> = reached
            .iter()
            .map(|&r| {
                let mut held: Vec<String> = ctx
                    .acl_privileges(&t.acl, r)
                    .into_iter()
                    .filter(|x| ["SELECT", "INSERT", "UPDATE", "DELETE"].contains(&x.as_str()))
                    .collect();
                held.sort();
                format!("{} ({})", ctx.role_name(r), held.join(", "))
            })
            .collect();
        let mut meant: Vec<String> = reached
            .iter()
            .filter(|&&r| r != PUBLIC)
            .map(|&r| ctx.role_name(r))
            .collect();
        if meant.len() > 1 {
            meant.retain(|n| n != "anon");
        }
        if meant.is_empty() {
            meant.push("authenticated".into());
        }
        let mut remediation = format!(
            "ALTER POLICY {} ON {table} TO {};",
            quote_ident(&p.name),
            meant
                .iter()
                .map(|n| quote_ident(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if reached.contains(&PUBLIC) {
            remediation.push_str(&format!(
                "\n-- PUBLIC holds privileges on {table}: every role, including ones created later, can use it\nREVOKE ALL ON {table} FROM PUBLIC;"
            ));
        }
        out.push(ctx.finding(
            &PUBLIC_ROLE_POLICY,
            Some(t),
            Some(p),
            format!(
                "Policy {} FOR {} on tenant table {table} has no TO clause (TO PUBLIC): it applies to every role, and the anonymous role reaches the table: {}.",
                p.name,
                command_name(&p.cmd),
                names.join("; "),
            ),
            remediation,
        ));
    }
}

fn multiple_permissive(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    let table = qualified(&t.schema, &t.name);
    let policies = ctx.policies(t.oid);
    for role in ctx.clients() {
        if ctx.exempt(role, t) {
            continue;
        }
        let mut per_cmd = Vec::new();
        for (cmd, name) in [
            ("r", "SELECT"),
            ("a", "INSERT"),
            ("w", "UPDATE"),
            ("d", "DELETE"),
        ] {
            // A role that cannot run the command never has the policies evaluated.
            if !ctx.can_run(t, role, cmd) {
                continue;
            }
            let mut names: Vec<&str> = policies
                .iter()
                .filter(|p| p.permissive && (p.cmd == cmd || p.cmd == "*"))
                .filter(|p| ctx.policy_applies(p, role))
                .map(|p| p.name.as_str())
                .collect();
            names.sort_unstable();
            if names.len() > 1 {
                per_cmd.push(format!("{name}: {}", names.join(", ")));
            }
        }
        if per_cmd.is_empty() {
            continue;
        }
        let role_name = ctx.role_name(role);
        let mut f = ctx.finding(
            &MULTIPLE_PERMISSIVE_POLICIES,
            Some(t),
            None,
            format!(
                "For role {role_name} on {table} several permissive policies are OR-ed: {}.",
                per_cmd.join("; ")
            ),
            format!("-- merge the policies for {role_name} into one per command (OR the conditions), or make the extra ones AS RESTRICTIVE if they are meant to narrow access, or scope them with TO to the roles that need them."),
        );
        f.cache_key.push(':');
        f.cache_key.push_str(&role_name);
        out.push(f);
    }
}

fn force_missing(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    if t.force_rls || ctx.policies(t.oid).is_empty() {
        return;
    }
    let owner = ctx.role_name(t.owner);
    let Some(owner_role) = ctx.roles.get(&t.owner) else {
        return;
    };
    if owner_role.superuser {
        // Superusers bypass RLS even with FORCE: nothing FORCE would change.
        return;
    }
    let mut why = Vec::new();
    for &c in &ctx.client_roles {
        // A client role that owns the table or inherits its owner is
        // owner_bypass's (error): every policy is skipped for it.
        if c == t.owner || ctx.privileges_of(c).contains(&t.owner) {
            continue;
        } else if ctx
            .roles
            .get(&c)
            .is_some_and(|r| r.member_of.contains(&t.owner))
        {
            why.push(format!(
                "client role {} can SET ROLE {owner}",
                ctx.role_name(c)
            ));
        }
    }
    if why.is_empty() && owner_role.login && t.owner != ctx.snap.database_owner {
        why.push(format!(
            "the owner {owner} can log in: an application connecting as {owner} skips every policy"
        ));
    }
    if why.is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    out.push(ctx.finding(
        &FORCE_RLS_MISSING,
        Some(t),
        None,
        format!("{table} has policies but not FORCE ROW LEVEL SECURITY, and {}.", why.join("; ")),
        format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n-- better still: let a non-login role own the table, and connect as a role that does not own it"),
    ));
}
