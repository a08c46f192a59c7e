//! Self-service membership: a membership table decides tenant access for
//! other tables (their policies read it, directly or through a helper), and
//! its INSERT policy lets a caller add himself to any tenant
//! (`WITH CHECK (user_id = auth.uid())`, `WITH CHECK (true)`). One INSERT,
//! and every tenant's rows are his.

use crate::audit::expr::{call_sites, own_columns, subquery_relations};
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::graph::function_refs;
use crate::audit::model::{command_name, qualified, quote_ident, Ctx};
use crate::audit::node::{Node, Value};
use crate::audit::snapshot::{Column, Oid, Policy, Table};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

pub static MEMBERSHIP_SELF_GRANT: Check = Check {
    code: "membership_self_grant",
    level: Level::Error,
    category: Category::Security,
    title: "A client can add himself to any tenant's membership",
    why: "Other tables' policies trust the membership table; an INSERT policy that only checks the user column (or nothing) lets any signed-in user insert a membership for any tenant and then read and write that tenant's rows.",
};

pub const CHECKS: &[&Check] = &[&MEMBERSHIP_SELF_GRANT];

const USER_COLUMNS: [&str; 6] = [
    "user_id",
    "profile_id",
    "member_id",
    "auth_user_id",
    "account_user_id",
    "uid",
];
const GROUP_COLUMNS: [&str; 6] = [
    "team_id",
    "workspace_id",
    "project_id",
    "group_id",
    "company_id",
    "account_id",
];

/// Relations each helper function's body reads, worked out once per function
/// (policies on many tables call the same few helpers).
struct HelperReads<'c, 'a> {
    ctx: &'c Ctx<'a>,
    memo: RefCell<HashMap<Oid, Vec<Oid>>>,
}

impl<'c, 'a> HelperReads<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>) -> Self {
        HelperReads {
            ctx,
            memo: RefCell::new(HashMap::new()),
        }
    }

    /// What `func` reads; nothing for built-ins and unknown functions.
    fn of(&self, func: Oid) -> Vec<Oid> {
        if let Some(rels) = self.memo.borrow().get(&func) {
            return rels.clone();
        }
        let rels: Vec<Oid> = match self.ctx.functions.get(&func) {
            Some(f) if f.schema != "pg_catalog" => function_refs(self.ctx, f)
                .reads
                .iter()
                .map(|r| r.rel)
                .collect(),
            _ => Vec::new(),
        };
        self.memo.borrow_mut().insert(func, rels.clone());
        rels
    }
}

/// Tables other tables' policies read (in sub-selects, or in the bodies of
/// the helpers they call), each with the tables that rely on it; worked out
/// once per audit.
pub fn relied_on<'c>(ctx: &'c Ctx) -> &'c BTreeMap<Oid, Vec<String>> {
    ctx.relied_on.get_or_init(|| {
        let helpers = HelperReads::new(ctx);
        let mut relied_on: BTreeMap<Oid, Vec<String>> = BTreeMap::new();
        for t in ctx.audited_tables() {
            for p in ctx.policies(t.oid) {
                for rel in policy_reads(&helpers, p) {
                    if rel != t.oid {
                        let entry = relied_on.entry(rel).or_default();
                        let name = qualified(&t.schema, &t.name);
                        if !entry.contains(&name) {
                            entry.push(name);
                        }
                    }
                }
            }
        }
        relied_on
    })
}

/// Tables that link users to tenants: membership tables (relied on by other
/// tables' policies, with a user column) and invitation tables. A user's
/// own rows there (his memberships, invitations addressed to him) span
/// tenants by design.
pub fn link_tables(ctx: &Ctx) -> HashSet<Oid> {
    let mut out: HashSet<Oid> = relied_on(ctx)
        .keys()
        .filter(|rel| {
            ctx.tables.get(rel).is_some_and(|m| {
                m.columns
                    .iter()
                    .any(|c| USER_COLUMNS.contains(&c.name.as_str()))
            })
        })
        .copied()
        .collect();
    out.extend(
        ctx.snap
            .tables
            .iter()
            .filter(|t| t.name.contains("invitation") || t.name.contains("invite"))
            .map(|t| t.oid),
    );
    out
}

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    let helpers = HelperReads::new(ctx);
    for (&rel, users) in relied_on(ctx) {
        let Some(m) = ctx.tables.get(&rel).copied() else {
            continue;
        };
        if !m.rls || !ctx.schemas.contains(&m.schema) {
            continue;
        }
        let Some(user) = m
            .columns
            .iter()
            .find(|c| USER_COLUMNS.contains(&c.name.as_str()))
        else {
            continue;
        };
        let Some(group) = ctx.tenant_column(m).or_else(|| {
            m.columns
                .iter()
                .find(|c| GROUP_COLUMNS.contains(&c.name.as_str()))
        }) else {
            continue;
        };
        check_table(ctx, &helpers, m, user, group, users, out);
    }
}

/// Relations a policy reads: in its sub-selects and in the bodies of the
/// functions it calls (one level: helpers are where membership look-ups live).
fn policy_reads(helpers: &HelperReads, p: &Policy) -> HashSet<Oid> {
    let mut out = HashSet::new();
    for tree in [&p.qual_tree, &p.with_check_tree] {
        let Some(root) = tree.as_ref().and_then(Value::as_node) else {
            continue;
        };
        out.extend(subquery_relations(root));
        for site in call_sites(root) {
            out.extend(helpers.of(site.func));
        }
    }
    out
}

/// The expression that checks a new row: WITH CHECK, or USING of a FOR ALL
/// policy without one.
fn check_of(p: &Policy) -> Option<&Node> {
    p.with_check_tree
        .as_ref()
        .or(if p.cmd == "*" {
            p.qual_tree.as_ref()
        } else {
            None
        })
        .and_then(Value::as_node)
}

/// Does the expression look up something that can authorize the tenant: a
/// table with the group column (the membership table itself, an admin's
/// membership, an invitation for that tenant) or an invitations table, in a
/// sub-select or in a helper's body? A helper that only reads who the caller
/// is (a sessions or users table) authorizes nothing.
fn looks_up(ctx: &Ctx, helpers: &HelperReads, root: &Node, group: &str) -> bool {
    let authorizes = |rel: Oid| {
        ctx.tables.get(&rel).is_some_and(|t| {
            t.name.contains("invitation") || t.columns.iter().any(|c| c.name == group)
        })
    };
    subquery_relations(root).into_iter().any(authorizes)
        || call_sites(root)
            .iter()
            .any(|site| helpers.of(site.func).into_iter().any(authorizes))
}

fn check_table(
    ctx: &Ctx,
    helpers: &HelperReads,
    m: &Table,
    user: &Column,
    group: &Column,
    users: &[String],
    out: &mut Vec<Finding>,
) {
    let table = qualified(&m.schema, &m.name);
    let inserters: Vec<Oid> = ctx
        .client_roles
        .iter()
        .copied()
        .filter(|&r| {
            !ctx.exempt(r, m)
                && ctx.schema_usage(&m.schema, r)
                && ctx.acl_privileges(&m.acl, r).contains("INSERT")
        })
        .collect();
    if inserters.is_empty() {
        return;
    }
    let policies = ctx.policies(m.oid);
    let group_num = i64::from(group.num);
    // A restrictive INSERT policy that pins the group or looks something up closes every path.
    let closed = policies.iter().any(|r| {
        !r.permissive
            && matches!(r.cmd.as_str(), "a" | "*")
            && inserters.iter().any(|&i| ctx.policy_applies(r, i))
            && check_of(r).is_some_and(|e| {
                own_columns(e).contains(&group_num) || looks_up(ctx, helpers, e, &group.name)
            })
    });
    if closed {
        return;
    }
    for p in policies
        .iter()
        .filter(|p| p.permissive && matches!(p.cmd.as_str(), "a" | "*"))
    {
        let who: Vec<String> = inserters
            .iter()
            .filter(|&&r| ctx.policy_applies(p, r))
            .map(|&r| ctx.role_name(r))
            .collect();
        if who.is_empty() {
            continue;
        }
        let Some(check) = check_of(p) else {
            continue;
        };
        if own_columns(check).contains(&group_num) || looks_up(ctx, helpers, check, &group.name) {
            continue;
        }
        let text = p
            .with_check_sql
            .clone()
            .or_else(|| p.qual_sql.clone())
            .unwrap_or_else(|| "<expression>".into());
        out.push(ctx.finding(
            &MEMBERSHIP_SELF_GRANT,
            Some(m),
            Some(p),
            format!(
                "{table} decides tenant access for {} (their policies read it), and policy {} FOR {} lets {} insert a row whose {} is anything: the check ({text}) never looks at {}. Any signed-in user runs INSERT INTO {table} ({}, {}) VALUES (<his id>, <any tenant>) and gets that tenant's rows.",
                users.join(", "),
                p.name,
                command_name(&p.cmd),
                who.join(", "),
                group.name,
                group.name,
                user.name,
                group.name
            ),
            format!(
                "-- add members through an invitation or an admin's action, e.g. require an existing admin membership:\nALTER POLICY {} ON {table} WITH CHECK ({text} AND EXISTS (SELECT 1 FROM {table} x WHERE x.{g} = {m}.{g} AND x.{u} = auth.uid() AND x.role = 'admin'));\n-- (reading {table} in its own policy recurses: put that look-up in a SECURITY DEFINER function)",
                quote_ident(&p.name),
                g = quote_ident(&group.name),
                u = quote_ident(&user.name),
                m = quote_ident(&m.name)
            ),
        ));
    }
}
