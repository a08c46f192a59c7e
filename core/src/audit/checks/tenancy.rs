//! Tenant columns and the policies around them: is the tenant column
//! NOT NULL and indexed, does every client policy filter on it, and do the
//! tenant tables look alike (policy shape, column name, timestamp types)?

use super::rls::constant_truth;
use crate::audit::expr::{
    call_sites, caller_pinned_columns, const_text, own_columns, subquery_relations,
};
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{command_name, qualified, quote_ident, Ctx};
use crate::audit::node::Node;
use crate::audit::snapshot::{Column, Policy, Table, PUBLIC};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub static TENANT_COLUMN_NULLABLE: Check = Check {
    code: "tenant_column_nullable",
    level: Level::Warn,
    category: Category::Correctness,
    title: "The tenant column allows NULL",
    why: "A row whose tenant column is NULL belongs to no tenant: `col = <current tenant>` never matches it (an orphan no tenant sees), and fail-open policies (`col IS NULL OR …`, a NULL claim) can expose it to everyone.",
};
pub static TENANT_COLUMN_UNINDEXED: Check = Check {
    code: "tenant_column_unindexed",
    level: Level::Warn,
    category: Category::Performance,
    title: "No index leads with the tenant column",
    why: "Every tenant policy filters on the tenant column; without a valid, non-partial index whose first key column it is, each query scans the whole table (all tenants' rows).",
};
pub static TENANT_POLICY_MISSING_FILTER: Check = Check {
    code: "tenant_policy_missing_filter",
    level: Level::Error,
    category: Category::Security,
    title: "A client policy on a tenant table never looks at the tenant column",
    why: "Permissive policies are OR-ed: one that applies to a client role and does not constrain the tenant column (directly or in a correlated sub-query) lets its rows cross tenants, whatever the other policies say.",
};
pub static INCONSISTENT_TENANT_POLICIES: Check = Check {
    code: "inconsistent_tenant_policies",
    level: Level::Warn,
    category: Category::Consistency,
    title: "A tenant table's policies differ from the usual shape",
    why: "When most tenant tables isolate tenants the same way (same commands, roles and claim source), the odd ones out are where isolation leaks or breaks. Compared when at least 3 tenant tables have policies and more than half of them share one shape.",
};
pub static TENANT_COLUMN_NAME_DRIFT: Check = Check {
    code: "tenant_column_name_drift",
    level: Level::Warn,
    category: Category::Consistency,
    title: "Tenant tables name the tenant column differently",
    why: "org_id on some tables and organization_id on others invites policies, joins and claims that use the wrong name (seed 000 §5: standardize on one).",
};
pub static TIMESTAMP_TYPE_DRIFT: Check = Check {
    code: "timestamp_type_drift",
    level: Level::Info,
    category: Category::Consistency,
    title: "created_at / updated_at have different types across tables",
    why: "timestamptz in some tables and bigint epochs or timestamp without time zone in others forces adaptive writes and breaks comparisons (seed 003); timestamptz is the canonical type.",
};

pub const CHECKS: &[&Check] = &[
    &TENANT_COLUMN_NULLABLE,
    &TENANT_COLUMN_UNINDEXED,
    &TENANT_POLICY_MISSING_FILTER,
    &INCONSISTENT_TENANT_POLICIES,
    &TENANT_COLUMN_NAME_DRIFT,
    &TIMESTAMP_TYPE_DRIFT,
];

/// The tenant condition suggested in remediations.
fn tenant_condition(col: &str) -> String {
    format!(
        "{} = (SELECT identity.get_current_org_id())",
        quote_ident(col)
    )
}

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    let tenant_tables: Vec<(&Table, &Column)> = ctx
        .audited_tables()
        .filter(|t| matches!(t.kind.as_str(), "r" | "p"))
        .filter_map(|t| ctx.tenant_column(t).map(|c| (t, c)))
        .collect();
    let links = super::membership::link_tables(ctx);
    for &(t, c) in &tenant_tables {
        nullable(ctx, t, c, out);
        unindexed(ctx, t, c, out);
        missing_filter(ctx, t, c, links.contains(&t.oid), out);
    }
    inconsistent_policies(ctx, &tenant_tables, out);
    name_drift(ctx, &tenant_tables, out);
    timestamp_drift(ctx, out);
}

fn nullable(ctx: &Ctx, t: &Table, c: &Column, out: &mut Vec<Finding>) {
    if c.not_null {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let col = quote_ident(&c.name);
    out.push(ctx.finding(
        &TENANT_COLUMN_NULLABLE,
        Some(t),
        None,
        format!(
            "Tenant column {col} of {table} allows NULL: a row with {col} NULL belongs to no tenant (invisible under `{col} = <tenant>` policies, exposed by policies that fail open on NULL)."
        ),
        format!(
            "-- find the orphans first, and assign them to a tenant or delete them:\nSELECT count(*) FROM {table} WHERE {col} IS NULL;\nALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;"
        ),
    ));
}

fn unindexed(ctx: &Ctx, t: &Table, c: &Column, out: &mut Vec<Finding>) {
    let leads = |cols: &Option<Vec<Option<String>>>| {
        cols.as_ref()
            .and_then(|v| v.first())
            .and_then(|f| f.as_deref())
            == Some(c.name.as_str())
    };
    if t.indexes
        .iter()
        .any(|i| i.valid && !i.partial && leads(&i.columns))
    {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let col = quote_ident(&c.name);
    let mut detail = format!("No valid, non-partial index of {table} has {col} as its first key column, so tenant-filtered queries scan every tenant's rows.");
    let mut remediation = String::new();
    for i in t.indexes.iter().filter(|i| leads(&i.columns)) {
        if !i.valid {
            detail.push_str(&format!(
                " Index {} leads with {col} but is INVALID (a failed CREATE INDEX CONCURRENTLY).",
                i.name
            ));
            remediation.push_str(&format!(
                "DROP INDEX CONCURRENTLY {};\n",
                qualified(&t.schema, &i.name)
            ));
        } else if i.partial {
            detail.push_str(&format!(
                " Index {} leads with {col} but is partial, so it serves only queries that imply its predicate.",
                i.name
            ));
        }
    }
    let name = index_name(&t.name, &c.name);
    if t.kind == "p" {
        remediation.push_str(&format!(
            "-- {table} is partitioned: CONCURRENTLY is not supported here; this locks writes while it builds\n-- (or CREATE INDEX ON ONLY the parent, CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX ... ATTACH PARTITION)\nCREATE INDEX {name} ON {table} ({col});"
        ));
    } else {
        remediation.push_str(&format!(
            "CREATE INDEX CONCURRENTLY {name} ON {table} ({col});"
        ));
    }
    out.push(ctx.finding(&TENANT_COLUMN_UNINDEXED, Some(t), None, detail, remediation));
}

/// `<table>_<column>_idx`, cut to PostgreSQL's 63-byte identifier limit.
fn index_name(table: &str, col: &str) -> String {
    let mut base = format!("{table}_{col}");
    while base.len() > 63 - "_idx".len() {
        base.pop();
    }
    quote_ident(&format!("{base}_idx"))
}

/// Does this expression constrain (or at least read) the tenant column?
/// `None` when it cannot be told: a constant (reported elsewhere or granting
/// nothing), or the whole row passed on (`f(t)`).
fn references_column(ctx: &Ctx, t: &Table, tree: &Node, col: &str) -> Option<bool> {
    if constant_truth(tree).is_some() {
        return None;
    }
    let cols = own_columns(tree);
    if cols.contains(&0) {
        return None;
    }
    Some(cols.iter().any(|&n| ctx.column_name(t.oid, n) == Some(col)))
}

/// Which of a permissive policy's deciding expressions never reference the
/// tenant column: (USING, WITH CHECK). USING decides reads, updates and
/// deletes; WITH CHECK decides inserts (and updates, for ALL/UPDATE, when given).
fn unfiltered(ctx: &Ctx, t: &Table, col: &str, p: &Policy) -> (bool, bool) {
    let misses = |v: &Option<crate::audit::node::Value>| {
        v.as_ref()
            .and_then(|v| v.as_node())
            .is_some_and(|n| references_column(ctx, t, n, col) == Some(false))
    };
    match p.cmd.as_str() {
        "a" => (false, misses(&p.with_check_tree)),
        "r" | "d" => (misses(&p.qual_tree), false),
        _ => (misses(&p.qual_tree), misses(&p.with_check_tree)),
    }
}

/// Own columns (other than the tenant column) an expression pins to the
/// caller, by name: `created_by = auth.uid()` gives `["created_by"]`.
fn pinned_names(ctx: &Ctx, t: &Table, tree: Option<&crate::audit::node::Value>) -> Vec<String> {
    tree.and_then(|v| v.as_node())
        .map(caller_pinned_columns)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| ctx.column_name(t.oid, n).map(quote_ident))
        .collect()
}

fn missing_filter(ctx: &Ctx, t: &Table, c: &Column, link_table: bool, out: &mut Vec<Finding>) {
    let table = qualified(&t.schema, &t.name);
    let col = quote_ident(&c.name);
    for p in ctx.policies(t.oid).iter().filter(|p| p.permissive) {
        let roles: Vec<String> = ctx
            .clients()
            .into_iter()
            .filter(|&r| !ctx.exempt(r, t) && ctx.policy_applies(p, r))
            .map(|r| ctx.role_name(r))
            .collect();
        if roles.is_empty() {
            continue;
        }
        let (mut using_bad, check_bad) = unfiltered(ctx, t, &c.name, p);
        // The caller's own rows (`user_id = auth.uid()`): not every tenant's
        // rows, but his rows in every tenant, also those he has left. On a
        // table linking users to tenants (his memberships, invitations
        // addressed to him) that is the design.
        let using_pinned = pinned_names(ctx, t, p.qual_tree.as_ref());
        if using_bad && link_table && !using_pinned.is_empty() {
            using_bad = false;
        }
        if !using_bad && !check_bad {
            continue;
        }
        let check_pinned = pinned_names(ctx, t, p.with_check_tree.as_ref());
        let cond = tenant_condition(&c.name);
        let qual = p.qual_sql.as_deref().unwrap_or("<current USING>");
        let check = p
            .with_check_sql
            .as_deref()
            .unwrap_or("<current WITH CHECK>");
        let mut parts = Vec::new();
        if using_bad && !using_pinned.is_empty() {
            parts.push(format!(
                "USING ({qual}) pins {} to the caller but not the tenant: his own rows pass in every tenant, also in tenants he has left or was removed from",
                using_pinned.join(", ")
            ));
        } else if using_bad {
            parts.push(format!("USING ({qual}) lets through rows of every tenant"));
        }
        if check_bad && !check_pinned.is_empty() {
            parts.push(format!(
                "WITH CHECK ({check}) pins {} to the caller but not the tenant: he can write his rows into any tenant",
                check_pinned.join(", ")
            ));
        } else if check_bad {
            parts.push(format!("WITH CHECK ({check}) accepts rows for any tenant"));
        }
        let mut detail = format!(
            "Permissive policy {} FOR {} on tenant table {table} applies to {} and never references the tenant column {col}: {}.",
            p.name,
            command_name(&p.cmd),
            roles.join(", "),
            parts.join("; ")
        );
        if !t.rls {
            detail.push_str(" (Dormant while row-level security is off on the table; it leaks once RLS is enabled.)");
        }
        let mut alter = format!("ALTER POLICY {} ON {table}", quote_ident(&p.name));
        if using_bad {
            alter.push_str(&format!(" USING (({qual}) AND {cond})"));
        }
        if check_bad {
            alter.push_str(&format!(" WITH CHECK (({check}) AND {cond})"));
        }
        alter.push(';');
        let guard_roles: Vec<String> = roles
            .iter()
            .map(|r| {
                if r == "PUBLIC" {
                    "public".to_owned()
                } else {
                    quote_ident(r)
                }
            })
            .collect();
        let remediation = format!(
            "{alter}\n-- or keep the policy and AND a tenant guard onto every policy for these roles:\n-- CREATE POLICY {} ON {table} AS RESTRICTIVE FOR ALL TO {} USING ({cond}) WITH CHECK ({cond});",
            quote_ident(&format!("{}_tenant_guard", t.name)),
            guard_roles.join(", ")
        );
        out.push(ctx.finding(
            &TENANT_POLICY_MISSING_FILTER,
            Some(t),
            Some(p),
            detail,
            remediation,
        ));
    }
}

/// Claim sources an expression uses: functions outside pg_catalog, plus
/// `current_setting`, each marked with where it is evaluated.
fn claim_sources(ctx: &Ctx, tree: &Node, out: &mut BTreeSet<String>) {
    for site in call_sites(tree) {
        let Some(f) = ctx.functions.get(&site.func) else {
            continue;
        };
        if f.schema == "pg_catalog" && f.name != "current_setting" {
            continue;
        }
        let place = if site.place.in_initplan {
            "wrapped in (SELECT …)"
        } else if site.place.in_subquery {
            "in a sub-query"
        } else {
            "per row"
        };
        let arg = if f.name == "current_setting" {
            site.node
                .children("args")
                .first()
                .and_then(|a| const_text(a))
                .map(|k| format!("'{k}'"))
                .unwrap_or_default()
        } else {
            String::new()
        };
        out.insert(format!("{}.{}({arg}) {place}", f.schema, f.name));
    }
}

/// Marks a permissive policy that never references the tenant column.
const UNFILTERED: &str = "without the tenant column";

/// A policy's shape: command, kind, roles, claim sources, the relations its
/// sub-queries read (the policy's own table as `self`), and whether a
/// permissive policy ignores the tenant column.
fn policy_shape(ctx: &Ctx, t: &Table, col: &str, p: &Policy) -> String {
    let mut roles: Vec<String> = p
        .roles
        .iter()
        .map(|&r| {
            if r == PUBLIC {
                "public".to_owned()
            } else {
                ctx.role_name(r)
            }
        })
        .collect();
    roles.sort();
    let mut sources = BTreeSet::new();
    let mut reads = BTreeSet::new();
    for tree in [&p.qual_tree, &p.with_check_tree]
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_node())
    {
        claim_sources(ctx, tree, &mut sources);
        for rel in subquery_relations(tree) {
            reads.insert(if rel == t.oid {
                "self".to_owned()
            } else {
                ctx.tables
                    .get(&rel)
                    .map(|r| qualified(&r.schema, &r.name))
                    .unwrap_or_else(|| format!("relation {rel}"))
            });
        }
    }
    // The command is not part of the shape: a read-only table (SELECT
    // policy only) isolates tenants the same way as one with four policies.
    let mut s = format!("TO {}", roles.join(", "));
    if sources.is_empty() {
        s.push_str(", no claim function");
    } else {
        s.push_str(&format!(
            ", {}",
            sources.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !reads.is_empty() {
        s.push_str(&format!(
            ", reads {}",
            reads.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if p.permissive && unfiltered(ctx, t, col, p) != (false, false) {
        s.push_str(&format!(", {UNFILTERED}"));
    }
    s
}

/// `CREATE POLICY` text of an existing policy, for reference.
fn policy_ddl(ctx: &Ctx, t: &Table, p: &Policy) -> String {
    let roles: Vec<String> = p
        .roles
        .iter()
        .map(|&r| {
            if r == PUBLIC {
                "public".to_owned()
            } else {
                quote_ident(&ctx.role_name(r))
            }
        })
        .collect();
    let mut s = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        quote_ident(&p.name),
        qualified(&t.schema, &t.name),
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        command_name(&p.cmd),
        roles.join(", ")
    );
    if let Some(q) = &p.qual_sql {
        s.push_str(&format!(" USING ({q})"));
    }
    if let Some(c) = &p.with_check_sql {
        s.push_str(&format!(" WITH CHECK ({c})"));
    }
    s.push(';');
    s
}

/// The most common key, if it is strictly more common than every other and
/// shared by at least `min` items.
fn plurality<K: Ord + Clone>(counts: &BTreeMap<K, usize>, min: usize) -> Option<K> {
    let max = *counts.values().max()?;
    let mut top = counts.iter().filter(|(_, &n)| n == max);
    let (k, _) = top.next()?;
    (top.next().is_none() && max >= min).then(|| k.clone())
}

fn inconsistent_policies(ctx: &Ctx, tenant_tables: &[(&Table, &Column)], out: &mut Vec<Finding>) {
    let shaped: Vec<(&Table, Vec<String>)> = tenant_tables
        .iter()
        .filter(|(t, _)| ctx.policies(t.oid).iter().any(|p| p.permissive))
        .map(|&(t, c)| {
            // Permissive policies only: restrictive ones narrow access further
            // (admins only, author only) and are a table's own business.
            let mut shapes: Vec<String> = ctx
                .policies(t.oid)
                .iter()
                .filter(|p| p.permissive)
                .map(|p| policy_shape(ctx, t, &c.name, p))
                .collect();
            shapes.sort();
            shapes.dedup();
            (t, shapes)
        })
        .collect();
    if shaped.len() < 3 {
        return;
    }
    let mut counts: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
    for (_, s) in &shaped {
        *counts.entry(s).or_default() += 1;
    }
    // A real majority: more than half of the tables. A mere plurality (2 of
    // 5) may well be the legacy pattern, and the better tables must not be
    // told to copy it.
    let Some(majority) = plurality(&counts, 2).filter(|m| 2 * counts[m] > shaped.len()) else {
        return;
    };
    // Never hold up a shape that lets rows cross tenants as the standard
    // (tenant_policy_missing_filter reports those policies).
    if majority.iter().any(|s| s.ends_with(UNFILTERED)) {
        return;
    }
    let mut examples: Vec<&Table> = shaped
        .iter()
        .filter(|(_, s)| s == majority)
        .map(|(t, _)| *t)
        .collect();
    examples.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let example_names: Vec<String> = examples
        .iter()
        .map(|t| qualified(&t.schema, &t.name))
        .collect();
    let reference = examples[0];
    let reference_ddl: Vec<String> = ctx
        .policies(reference.oid)
        .iter()
        .map(|p| {
            format!(
                "--   {}",
                policy_ddl(ctx, reference, p).replace('\n', "\n--   ")
            )
        })
        .collect();
    for (t, shape) in &shaped {
        if shape == majority {
            continue;
        }
        let table = qualified(&t.schema, &t.name);
        let mut names: Vec<String> = ctx.policies(t.oid).iter().map(|p| p.name.clone()).collect();
        names.sort();
        let detail = format!(
            "Policies on {table} ({}) have the shape [{}]; {} of {} tenant tables with policies ({}) have the shape [{}].",
            names.join(", "),
            shape.join("; "),
            examples.len(),
            shaped.len(),
            example_names.join(", "),
            majority.join("; ")
        );
        let drops: Vec<String> = ctx
            .policies(t.oid)
            .iter()
            .map(|p| format!("DROP POLICY {} ON {table};", quote_ident(&p.name)))
            .collect();
        let remediation = format!(
            "-- rewrite the policies of {table} in the common shape, e.g. as on {} (adapt the table name and the tenant column):\n{}\n-- then drop the old ones:\n-- {}",
            example_names[0],
            reference_ddl.join("\n"),
            drops.join("\n-- ")
        );
        out.push(ctx.finding(
            &INCONSISTENT_TENANT_POLICIES,
            Some(t),
            None,
            detail,
            remediation,
        ));
    }
}

fn name_drift(ctx: &Ctx, tenant_tables: &[(&Table, &Column)], out: &mut Vec<Finding>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, c) in tenant_tables {
        *counts.entry(c.name.as_str()).or_default() += 1;
    }
    if counts.len() < 2 {
        return;
    }
    // Most common name; ties go to the earlier name in tenant_columns.
    let rank = |n: &str| {
        ctx.config
            .tenant_columns
            .iter()
            .position(|c| c == n)
            .unwrap_or(usize::MAX)
    };
    let Some((&majority, &count)) = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(rank(b.0).cmp(&rank(a.0))))
    else {
        return;
    };
    let summary: Vec<String> = counts.iter().map(|(n, k)| format!("{n}: {k}")).collect();
    for &(t, c) in tenant_tables {
        if c.name == majority {
            continue;
        }
        let table = qualified(&t.schema, &t.name);
        let col = quote_ident(&c.name);
        let target = quote_ident(majority);
        out.push(ctx.finding(
            &TENANT_COLUMN_NAME_DRIFT,
            Some(t),
            None,
            format!(
                "{table} names its tenant column {col}, while {count} of {} tenant tables use {majority} ({}).",
                tenant_tables.len(),
                summary.join(", ")
            ),
            format!(
                "-- WARNING: update everything that names {table}.{col} in the same migration: application\n-- code, function bodies and triggers written as text, and JWT claim keys. Policies, views and\n-- indexes follow the rename (they store column numbers), but a view's output column keeps the old name.\nALTER TABLE {table} RENAME COLUMN {col} TO {target};"
            ),
        ));
    }
}

/// The type of a timestamp column without its precision: `timestamp(3) with
/// time zone` is `timestamp with time zone`.
fn base_type(type_name: &str) -> String {
    match (type_name.find('('), type_name.find(')')) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{}", &type_name[..a], &type_name[b + 1..])
        }
        _ => type_name.to_owned(),
    }
}

const TIMESTAMPTZ: &str = "timestamp with time zone";

/// `USING` expression converting `col` of type `ty` to timestamptz, with a
/// note on the assumption it makes.
fn to_timestamptz(col: &str, ty: &str) -> (String, &'static str) {
    match ty {
        "bigint" | "integer" | "smallint" | "numeric" | "double precision" | "real" => (
            format!("to_timestamp({col})"),
            "assumes epoch seconds; use to_timestamp({col} / 1000.0) for milliseconds",
        ),
        "timestamp without time zone" => (
            format!("{col} AT TIME ZONE 'UTC'"),
            "assumes the stored local times are UTC",
        ),
        "date" => (
            format!("{col}::timestamp AT TIME ZONE 'UTC'"),
            "midnight UTC of each date",
        ),
        _ => (
            format!("{col}::timestamptz"),
            "assumes every value parses as a timestamp",
        ),
    }
}

fn timestamp_drift(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut cols: Vec<(&Table, &Column, String)> = Vec::new();
    for t in ctx
        .audited_tables()
        .filter(|t| matches!(t.kind.as_str(), "r" | "p"))
    {
        for c in &t.columns {
            if c.name == "created_at" || c.name == "updated_at" {
                cols.push((t, c, base_type(&c.type_name)));
            }
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, ty) in &cols {
        *counts.entry(ty.as_str()).or_default() += 1;
    }
    if counts.len() < 2 {
        return;
    }
    // Most common type; ties go to timestamptz, the canonical type.
    let Some((&majority, &count)) = counts.iter().max_by(|a, b| {
        a.1.cmp(b.1)
            .then((*a.0 == TIMESTAMPTZ).cmp(&(*b.0 == TIMESTAMPTZ)))
            .then(b.0.cmp(a.0))
    }) else {
        return;
    };
    let summary: Vec<String> = counts.iter().map(|(ty, n)| format!("{ty}: {n}")).collect();
    let by_table: HashMap<(&str, &str), Vec<&str>> =
        cols.iter().fold(HashMap::new(), |mut m, (t, c, ty)| {
            if ty == majority {
                m.entry((t.schema.as_str(), t.name.as_str()))
                    .or_default()
                    .push(c.name.as_str());
            }
            m
        });
    for (t, c, ty) in &cols {
        if ty == majority {
            continue;
        }
        let table = qualified(&t.schema, &t.name);
        let col = quote_ident(&c.name);
        let detail = format!(
            "{table}.{col} is {} while {count} of {} created_at/updated_at columns in the audited schemas are {majority} ({}).",
            c.type_name,
            cols.len(),
            summary.join(", ")
        );
        let remediation = if ty == TIMESTAMPTZ {
            // The odd one out is already canonical: convert the others instead.
            let mut tables: Vec<String> = by_table
                .iter()
                .map(|((s, n), cs)| {
                    let cs: Vec<String> = cs.iter().map(|c| quote_ident(c)).collect();
                    format!("{} ({})", qualified(s, n), cs.join(", "))
                })
                .collect();
            tables.sort();
            format!(
                "-- {table}.{col} already has the recommended type timestamptz: keep it, and convert the {majority} columns instead\n-- (each: ALTER TABLE ... ALTER COLUMN ... TYPE timestamptz USING ...): {}",
                tables.join(", ")
            )
        } else {
            let (using, note) = to_timestamptz(&col, ty);
            format!(
                "-- {}; rewrites the table under an ACCESS EXCLUSIVE lock. A DEFAULT that cannot be cast\n-- (e.g. extract(epoch FROM now())::bigint) must be dropped first and replaced:\n--   ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT, ALTER COLUMN {col} TYPE timestamptz USING {using}, ALTER COLUMN {col} SET DEFAULT now();\n-- Application code writing epochs must change in the same release.\nALTER TABLE {table} ALTER COLUMN {col} TYPE timestamptz USING {using};",
                note.replace("{col}", &col)
            )
        };
        let mut f = ctx.finding(&TIMESTAMP_TYPE_DRIFT, Some(t), None, detail, remediation);
        f.cache_key.push(':');
        f.cache_key.push_str(&c.name);
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_fit_and_are_quoted() {
        assert_eq!(index_name("invoices", "org_id"), "invoices_org_id_idx");
        assert_eq!(index_name("Invoices", "org_id"), "\"Invoices_org_id_idx\"");
        let long = index_name(&"t".repeat(70), "org_id");
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("_idx"));
    }

    #[test]
    fn precision_is_not_a_type() {
        assert_eq!(base_type("timestamp(3) with time zone"), TIMESTAMPTZ);
        assert_eq!(
            base_type("timestamp(0) without time zone"),
            "timestamp without time zone"
        );
        assert_eq!(base_type("bigint"), "bigint");
    }

    #[test]
    fn conversions_to_timestamptz() {
        assert_eq!(
            to_timestamptz("created_at", "bigint").0,
            "to_timestamp(created_at)"
        );
        assert_eq!(
            to_timestamptz("updated_at", "timestamp without time zone").0,
            "updated_at AT TIME ZONE 'UTC'"
        );
        assert_eq!(
            to_timestamptz("d", "date").0,
            "d::timestamp AT TIME ZONE 'UTC'"
        );
        assert_eq!(to_timestamptz("t", "text").0, "t::timestamptz");
    }

    #[test]
    fn plurality_needs_a_unique_winner() {
        let counts = |v: &[(&'static str, usize)]| v.iter().copied().collect::<BTreeMap<_, _>>();
        assert_eq!(
            plurality(&counts(&[("a", 3), ("b", 1), ("c", 1)]), 2),
            Some("a")
        );
        assert_eq!(plurality(&counts(&[("a", 2), ("b", 2)]), 2), None, "a tie");
        assert_eq!(plurality(&counts(&[("a", 1), ("b", 1), ("c", 1)]), 2), None);
        assert_eq!(plurality(&counts(&[]), 2), None);
    }
}
