//! Privileges around RLS: tables a client role was forgotten on, writes
//! granted to anon, schemas whose new tables will not be granted, SECURITY
//! DEFINER functions without a fixed search_path, and definer views that
//! read RLS tables with their owner's exemption.

use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{qualified, qualified_signature, quote_ident, Ctx, WRITE_PRIVILEGES};
use crate::audit::snapshot::{Function, Oid, Schema, Table, PUBLIC};
use std::collections::{BTreeMap, HashSet};

pub static MISSING_TABLE_GRANTS: Check = Check {
    code: "missing_table_grants",
    level: Level::Warn,
    category: Category::Correctness,
    title: "A client role can use the schema but not this table",
    why: "The role has USAGE on the schema and privileges on most of its tables (at least half of the others) but none on this one: requests fail with 42501 permission denied (seed 000 §3, workforce). Mostly private schemas are not reported, and anon is never told to gain privileges.",
};
pub static ANON_WRITE_GRANT: Check = Check {
    code: "anon_write_grant",
    level: Level::Error,
    category: Category::Security,
    title: "anon can write a tenant table",
    why: "Unauthenticated callers hold INSERT, UPDATE or DELETE on a tenant table (directly, through PUBLIC or an inherited role): only RLS stands between them and every tenant's rows, and with RLS off nothing does.",
};
pub static MISSING_DEFAULT_PRIVILEGES: Check = Check {
    code: "missing_default_privileges",
    level: Level::Warn,
    category: Category::Correctness,
    title: "New tables in the schema will not be granted to the client role",
    why: "The role uses the schema's tables (privileges on at least half of them), but no default privileges (ALTER DEFAULT PRIVILEGES, for the schema or global) of the roles that create tables there grant it anything: every new table fails with 42501 until someone remembers the GRANT.",
};
pub static SECURITY_DEFINER_SEARCH_PATH: Check = Check {
    code: "security_definer_search_path",
    level: Level::Warn,
    category: Category::Security,
    title: "SECURITY DEFINER function without a fixed search_path",
    why: "A SECURITY DEFINER function runs with its owner's rights but resolves unqualified names through the caller's search_path: a caller who can create objects in a schema on that path can make it run their code as the owner.",
};
pub static VIEW_BYPASSES_RLS: Check = Check {
    code: "view_bypasses_rls",
    level: Level::Error,
    category: Category::Security,
    title: "A view reads an RLS table with its owner's exemption",
    why: "A view without security_invoker reads its tables as the view owner; an owner exempt from RLS (superuser, BYPASSRLS, or the table owner without FORCE) sees every tenant's rows, and so does every client that may select from the view.",
};

pub const CHECKS: &[&Check] = &[
    &MISSING_TABLE_GRANTS,
    &ANON_WRITE_GRANT,
    &MISSING_DEFAULT_PRIVILEGES,
    &SECURITY_DEFINER_SEARCH_PATH,
    &VIEW_BYPASSES_RLS,
];

const DML: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "DELETE"];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut schemas: Vec<&Schema> = ctx
        .snap
        .schemas
        .iter()
        .filter(|s| ctx.schemas.contains(&s.name))
        .collect();
    schemas.sort_by(|a, b| a.name.cmp(&b.name));
    for s in &schemas {
        schema_grants(ctx, s, out);
    }
    for t in ctx.audited_tables() {
        match t.kind.as_str() {
            "r" | "p" => anon_write(ctx, t, out),
            "v" | "m" => view_bypass(ctx, t, out),
            _ => {}
        }
    }
    for f in &ctx.snap.functions {
        definer_search_path(ctx, f, out);
    }
}

/// The DML privileges `role` holds on a relation, in SQL order.
fn dml(ctx: &Ctx, t: &Table, role: Oid) -> Vec<&'static str> {
    let held = ctx.acl_privileges(&t.acl, role);
    DML.into_iter().filter(|p| held.contains(*p)).collect()
}

/// Client roles that may be told to gain privileges: not anon (keeping tables
/// from anonymous callers is usually deliberate), not superusers.
fn grantable_clients<'a>(ctx: &'a Ctx) -> impl Iterator<Item = Oid> + 'a {
    ctx.client_roles.iter().copied().filter(move |r| {
        ctx.roles
            .get(r)
            .is_some_and(|info| info.name != "anon" && !info.superuser)
    })
}

/// The most common privilege list among `sets`, or all four DML privileges.
fn usual_privileges(sets: &[Vec<&'static str>]) -> String {
    let mut counts: BTreeMap<&Vec<&str>, usize> = BTreeMap::new();
    for s in sets.iter().filter(|s| !s.is_empty()) {
        *counts.entry(s).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(s, _)| s.join(", "))
        .unwrap_or_else(|| DML.join(", "))
}

fn schema_grants(ctx: &Ctx, s: &Schema, out: &mut Vec<Finding>) {
    let mut rels: Vec<&Table> = ctx
        .audited_tables()
        .filter(|t| t.schema == s.name && matches!(t.kind.as_str(), "r" | "p" | "v" | "m" | "f"))
        .collect();
    if rels.is_empty() {
        return;
    }
    rels.sort_by(|a, b| a.name.cmp(&b.name));
    for role in grantable_clients(ctx) {
        if !ctx.schema_usage(&s.name, role) {
            continue;
        }
        let held: Vec<Vec<&'static str>> = rels.iter().map(|t| dml(ctx, t, role)).collect();
        let granted = held.iter().filter(|p| !p.is_empty()).count();
        missing_grants(ctx, s, role, &rels, &held, granted, out);
        if granted > 0 && 2 * granted >= rels.len() {
            default_privileges(ctx, s, role, &rels, &held, granted, out);
        }
    }
}

fn missing_grants(
    ctx: &Ctx,
    s: &Schema,
    role: Oid,
    rels: &[&Table],
    held: &[Vec<&'static str>],
    granted: usize,
    out: &mut Vec<Finding>,
) {
    let role_name = ctx.role_name(role);
    let schema = quote_ident(&s.name);
    for (t, privs) in rels.iter().zip(held) {
        if !privs.is_empty() {
            continue;
        }
        let others = rels.len() - 1;
        if granted == 0 || 2 * granted < others {
            continue;
        }
        let table = qualified(&t.schema, &t.name);
        let examples: Vec<String> = rels
            .iter()
            .zip(held)
            .filter(|(_, p)| !p.is_empty())
            .take(3)
            .map(|(o, _)| qualified(&o.schema, &o.name))
            .collect();
        let privileges = if matches!(t.kind.as_str(), "v" | "m") {
            "SELECT".to_owned()
        } else {
            let table_sets: Vec<Vec<&'static str>> = rels
                .iter()
                .zip(held)
                .filter(|(o, _)| matches!(o.kind.as_str(), "r" | "p" | "f"))
                .map(|(_, p)| p.clone())
                .collect();
            usual_privileges(&table_sets)
        };
        let mut remediation = String::new();
        if matches!(t.kind.as_str(), "r" | "p") {
            if !t.rls {
                remediation.push_str(&format!("-- RLS is off on {table}: enable it (with tenant policies) before granting, or {role_name} sees every row\n"));
            } else if ctx.policies(t.oid).is_empty() {
                remediation.push_str(&format!("-- {table} has RLS on and no policy: {role_name} will see no rows until a policy applies to it\n"));
            }
        }
        remediation.push_str(&format!(
            "GRANT {privileges} ON {table} TO {};",
            quote_ident(&role_name)
        ));
        let mut f = ctx.finding(
            &MISSING_TABLE_GRANTS,
            Some(t),
            None,
            format!(
                "{role_name} has USAGE on schema {schema} and privileges on {granted} of its other {others} relations (e.g. {}), but none on {table}: its requests fail with 42501 permission denied.",
                examples.join(", ")
            ),
            remediation,
        );
        f.cache_key.push(':');
        f.cache_key.push_str(&role_name);
        out.push(f);
    }
}

fn default_privileges(
    ctx: &Ctx,
    s: &Schema,
    role: Oid,
    rels: &[&Table],
    held: &[Vec<&'static str>],
    granted: usize,
    out: &mut Vec<Finding>,
) {
    // Likely creators of new tables: the schema owner (pg_database_owner
    // stands for the database owner), the database owner, and the owners of
    // the schema's existing tables, most common first.
    let db_owner = ctx.snap.database_owner;
    let real = |r: Oid| {
        if ctx
            .roles
            .get(&r)
            .is_some_and(|i| i.name == "pg_database_owner")
        {
            db_owner
        } else {
            r
        }
    };
    let mut owner_counts: BTreeMap<Oid, usize> = BTreeMap::new();
    for t in rels {
        *owner_counts.entry(real(t.owner)).or_default() += 1;
    }
    let mut table_owners: Vec<(Oid, usize)> = owner_counts.into_iter().collect();
    table_owners.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut creators: Vec<Oid> = table_owners.iter().map(|(o, _)| *o).collect();
    for r in [real(s.owner), db_owner] {
        if !creators.contains(&r) {
            creators.push(r);
        }
    }
    let mine: HashSet<Oid> = {
        let mut m = ctx.privileges_of(role);
        m.insert(PUBLIC);
        m
    };
    let covered = ctx.snap.default_acls.iter().any(|d| {
        d.objtype == "r"
            && creators.contains(&d.role)
            && d.schema.is_none_or(|o| o == s.oid)
            && d.acl
                .iter()
                .any(|a| mine.contains(&a.grantee) && DML.contains(&a.privilege.as_str()))
    });
    if covered {
        return;
    }
    let role_name = ctx.role_name(role);
    let schema = quote_ident(&s.name);
    let creator_names: Vec<String> = creators.iter().map(|&r| ctx.role_name(r)).collect();
    let privileges = usual_privileges(held);
    let statements: Vec<String> = table_owners
        .iter()
        .map(|(o, _)| *o)
        .chain((table_owners.is_empty()).then(|| real(s.owner)))
        .map(|o| {
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {schema} GRANT {privileges} ON TABLES TO {};",
                quote_ident(&ctx.role_name(o)),
                quote_ident(&role_name)
            )
        })
        .collect();
    let mut f = ctx.finding_on(
        &MISSING_DEFAULT_PRIVILEGES,
        None,
        None,
        Some(schema.clone()),
        format!(
            "{role_name} has USAGE on schema {schema} and privileges on {granted} of its {} relations, but no default privileges of the roles likely to create tables there ({}) grant it table privileges: tables created from now on will fail with 42501 for {role_name}.",
            rels.len(),
            creator_names.join(", ")
        ),
        format!(
            "-- run for every role that creates tables in {schema} (here: the owners of its tables)\n{}",
            statements.join("\n")
        ),
    );
    f.schema_name = Some(s.name.clone());
    f.cache_key.push(':');
    f.cache_key.push_str(&role_name);
    out.push(f);
}

fn anon_write(ctx: &Ctx, t: &Table, out: &mut Vec<Finding>) {
    let Some(col) = ctx.tenant_column(t) else {
        return;
    };
    let anon = ctx
        .snap
        .role_by_name("anon")
        .map(|r| r.oid)
        .unwrap_or(PUBLIC);
    if !ctx.schema_usage(&t.schema, anon) {
        return;
    }
    let mut reach = ctx.privileges_of(anon);
    reach.insert(PUBLIC);
    // Write privileges by grantee, in SQL order.
    // A grant that RLS blocks completely (RLS on, no permissive policy for
    // that command applies to anon) lets anon write nothing: defence in
    // depth, not a leak, and Supabase grants it by default. Not reported.
    let effective = |p: &str| {
        let cmd = match p {
            "INSERT" => "a",
            "UPDATE" => "w",
            _ => "d",
        };
        !t.rls
            || ctx.exempt(anon, t)
            || ctx.policies(t.oid).iter().any(|pol| {
                pol.permissive
                    && (pol.cmd == cmd || pol.cmd == "*")
                    && ctx.policy_applies(pol, anon)
            })
    };
    let mut by_grantee: BTreeMap<Oid, Vec<&str>> = BTreeMap::new();
    for p in WRITE_PRIVILEGES.into_iter().filter(|p| effective(p)) {
        for a in t
            .acl
            .iter()
            .filter(|a| a.privilege == p && reach.contains(&a.grantee))
        {
            let v = by_grantee.entry(a.grantee).or_default();
            if !v.contains(&p) {
                v.push(p);
            }
        }
    }
    if by_grantee.is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let privs: Vec<&str> = WRITE_PRIVILEGES
        .into_iter()
        .filter(|p| by_grantee.values().any(|v| v.contains(p)))
        .collect();
    let who: Vec<String> = by_grantee
        .iter()
        .map(|(&g, p)| {
            let how = if g == anon {
                "granted to anon".to_owned()
            } else if g == PUBLIC {
                "granted to PUBLIC".to_owned()
            } else {
                format!("inherited from role {}", ctx.role_name(g))
            };
            format!("{} ({how})", p.join(", "))
        })
        .collect();
    let rls = if t.rls {
        "RLS is on, so the policies that apply to anon decide which rows".to_owned()
    } else {
        "RLS is off, so anon can write every tenant's rows".to_owned()
    };
    let mut remediation = Vec::new();
    for (&g, p) in &by_grantee {
        let from = if g == PUBLIC {
            "PUBLIC".to_owned()
        } else {
            quote_ident(&ctx.role_name(g))
        };
        if g != anon && g != PUBLIC {
            remediation.push(format!(
                "-- anon inherits these from {from}: revoke them there (affects every member of {from}), or REVOKE {from} FROM anon;"
            ));
        }
        remediation.push(format!("REVOKE {} ON {table} FROM {from};", p.join(", ")));
    }
    out.push(ctx.finding(
        &ANON_WRITE_GRANT,
        Some(t),
        None,
        format!(
            "anon can {} tenant table {table} (tenant column {}): {}; {rls}.",
            privs.join(", "),
            col.name,
            who.join("; ")
        ),
        remediation.join("\n"),
    ));
}

/// Why `role` is exempt from RLS on `t` (`None`: it is not).
fn exemption(ctx: &Ctx, role: Oid, t: &Table) -> Option<String> {
    if !ctx.exempt(role, t) {
        return None;
    }
    let name = ctx.role_name(role);
    let info = ctx.roles.get(&role);
    Some(if info.is_some_and(|r| r.superuser) {
        format!("{name} is a superuser")
    } else if info.is_some_and(|r| r.bypassrls) {
        format!("{name} has BYPASSRLS")
    } else if role == t.owner {
        format!("{name} owns it and FORCE ROW LEVEL SECURITY is off")
    } else {
        format!(
            "{name} has the privileges of its owner {} and FORCE ROW LEVEL SECURITY is off",
            ctx.role_name(t.owner)
        )
    })
}

fn view_bypass(ctx: &Ctx, v: &Table, out: &mut Vec<Finding>) {
    // A materialized view has no security_invoker: its rows are computed by
    // its owner at REFRESH and stored, and it has no RLS of its own.
    if v.kind == "v" && v.security_invoker {
        return;
    }
    let readers: Vec<Oid> = ctx
        .clients()
        .into_iter()
        .filter(|&r| {
            ctx.schema_usage(&v.schema, r) && ctx.acl_privileges(&v.acl, r).contains("SELECT")
        })
        .collect();
    if readers.is_empty() {
        return;
    }
    // Walk the view's relations with the role each is read as: a definer view
    // reads its relations as its owner; a security_invoker view, even inside a
    // definer view, checks them as the caller (PostgreSQL: "as if accessed
    // directly from the original query"), whose own policies apply: no bypass.
    struct Bypass<'a> {
        table: &'a Table,
        why: String,
        via: Vec<&'a Table>,
    }
    let mut bypassed: Vec<Bypass> = Vec::new();
    let mut seen: HashSet<Oid> = HashSet::from([v.oid]);
    let mut stack: Vec<(Oid, Oid, Vec<&Table>)> = v
        .view_relations
        .iter()
        .map(|&r| (r, v.owner, Vec::new()))
        .collect();
    while let Some((rel, acting, via)) = stack.pop() {
        if !seen.insert(rel) {
            continue;
        }
        let Some(&t) = ctx.tables.get(&rel) else {
            continue;
        };
        match t.kind.as_str() {
            "r" | "p" if t.rls => {
                if let Some(why) = exemption(ctx, acting, t) {
                    bypassed.push(Bypass { table: t, why, via });
                }
            }
            "v" if !t.security_invoker => {
                let mut via = via.clone();
                via.push(t);
                for &r in &t.view_relations {
                    stack.push((r, t.owner, via.clone()));
                }
            }
            _ => {}
        }
    }
    if bypassed.is_empty() {
        return;
    }
    bypassed
        .sort_by(|a, b| (&a.table.schema, &a.table.name).cmp(&(&b.table.schema, &b.table.name)));
    let view = qualified(&v.schema, &v.name);
    let reader_names: Vec<String> = readers.iter().map(|&r| ctx.role_name(r)).collect();
    if v.kind == "m" {
        let tables: Vec<String> = bypassed
            .iter()
            .map(|b| format!("{} ({})", qualified(&b.table.schema, &b.table.name), b.why))
            .collect();
        let revoke: Vec<String> = readers
            .iter()
            .map(|&r| {
                let who = if r == PUBLIC {
                    "PUBLIC".to_owned()
                } else {
                    quote_ident(&ctx.role_name(r))
                };
                format!("REVOKE SELECT ON {view} FROM {who};")
            })
            .collect();
        out.push(ctx.finding(
            &VIEW_BYPASSES_RLS,
            Some(v),
            None,
            format!(
                "Materialized view {view} stores the rows of {} as computed by its owner at REFRESH; it has no row-level security, and {} can read it: every tenant's rows.",
                tables.join(", "),
                reader_names.join(", ")
            ),
            format!(
                "{}\n-- expose it through a security_invoker view that filters by tenant, or keep it in a schema clients cannot use",
                revoke.join("\n")
            ),
        ));
        return;
    }
    let tables: Vec<String> = bypassed
        .iter()
        .map(|b| {
            let through: String = b
                .via
                .iter()
                .map(|w| format!(" through view {}", qualified(&w.schema, &w.name)))
                .collect();
            format!(
                "{}{through} ({})",
                qualified(&b.table.schema, &b.table.name),
                b.why
            )
        })
        .collect();
    // Every definer view on a path to a bypassed table becomes security_invoker.
    let mut switch: Vec<&Table> = vec![v];
    for b in &bypassed {
        for &w in &b.via {
            if !switch.iter().any(|s| s.oid == w.oid) {
                switch.push(w);
            }
        }
    }
    let mut remediation: Vec<String> = switch
        .iter()
        .map(|w| {
            format!(
                "ALTER VIEW {} SET (security_invoker = true);",
                qualified(&w.schema, &w.name)
            )
        })
        .collect();
    // Then the caller reads what those views read, with its own privileges.
    let mut read: Vec<&Table> = Vec::new();
    let mut stack: Vec<Oid> = v.view_relations.clone();
    let mut seen: HashSet<Oid> = HashSet::from([v.oid]);
    while let Some(rel) = stack.pop() {
        if !seen.insert(rel) {
            continue;
        }
        let Some(&t) = ctx.tables.get(&rel) else {
            continue;
        };
        read.push(t);
        if t.kind == "v" && (t.security_invoker || switch.iter().any(|w| w.oid == t.oid)) {
            stack.extend(t.view_relations.iter().copied());
        }
    }
    read.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for t in &read {
        let rel = qualified(&t.schema, &t.name);
        for &r in readers.iter().filter(|&&r| r != PUBLIC) {
            if !ctx.acl_privileges(&t.acl, r).contains("SELECT") {
                let name = ctx.role_name(r);
                let policies = if t.rls {
                    ", and its policies then apply"
                } else {
                    ""
                };
                remediation.push(format!(
                    "-- {view} then reads {rel} as the caller: {name} needs SELECT on it{policies}\n-- GRANT SELECT ON {rel} TO {};",
                    quote_ident(&name)
                ));
            }
        }
    }
    if readers.contains(&PUBLIC) {
        remediation.push(format!(
            "-- {view} is granted to PUBLIC: grant it to the roles that need it instead\n-- REVOKE SELECT ON {view} FROM PUBLIC;"
        ));
    }
    out.push(ctx.finding(
        &VIEW_BYPASSES_RLS,
        Some(v),
        None,
        format!(
            "View {view} is not security_invoker, so it reads its relations as its owner {}; that bypasses row-level security on {}. {} may select from it: every tenant's rows are visible through it.",
            ctx.role_name(v.owner),
            tables.join(", "),
            reader_names.join(", ")
        ),
        remediation.join("\n"),
    ));
}

fn definer_search_path(ctx: &Ctx, f: &Function, out: &mut Vec<Finding>) {
    if !f.security_definer
        || f.extension_member
        || !ctx.schemas.contains(&f.schema)
        || !matches!(f.kind.as_str(), "f" | "p")
    {
        return;
    }
    let fixed = f.config.iter().flatten().any(|c| {
        c.split_once('=')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("search_path"))
    });
    if fixed {
        return;
    }
    let signature = qualified_signature(f);
    let owner = ctx.role_name(f.owner);
    let owner_info = ctx.roles.get(&f.owner);
    let power = if owner_info.is_some_and(|r| r.superuser) {
        " (a superuser)"
    } else if owner_info.is_some_and(|r| r.bypassrls) {
        " (BYPASSRLS)"
    } else {
        ""
    };
    let callers: Vec<String> = ctx
        .function_callers(f)
        .into_iter()
        .map(|r| ctx.role_name(r))
        .collect();
    let mut detail = format!(
        "SECURITY DEFINER {} {signature} runs as {owner}{power} without SET search_path",
        if f.kind == "p" {
            "procedure"
        } else {
            "function"
        },
    );
    if let Some(c) = &f.config {
        detail.push_str(&format!(" (its settings: {})", c.join(", ")));
    }
    if callers.is_empty() {
        detail.push_str(": unqualified names resolve through the caller's search_path.");
    } else {
        detail.push_str(&format!(
            ": unqualified names resolve through the caller's search_path, and {} may execute it.",
            callers.join(", ")
        ));
    }
    let mut finding = ctx.finding_on(
        &SECURITY_DEFINER_SEARCH_PATH,
        None,
        None,
        Some(signature.clone()),
        detail,
        format!(
            "-- pg_temp last: otherwise the caller's temporary tables are searched first\nALTER {} {signature} SET search_path = pg_catalog, {}, pg_temp;",
            if f.kind == "p" { "PROCEDURE" } else { "FUNCTION" },
            quote_ident(&f.schema)
        ),
    );
    finding.schema_name = Some(f.schema.clone());
    out.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(schema: &str, signature: &str) -> Function {
        serde_json::from_value(serde_json::json!({
            "oid": 1, "schema": schema, "name": "f", "signature": signature, "language": "sql",
            "security_definer": true, "volatility": "v", "owner": 10, "kind": "f", "returns": "void",
            "config": null, "source": null, "sql_body": null, "extension_member": false, "acl": []
        }))
        .unwrap()
    }

    #[test]
    fn signatures_always_name_the_schema() {
        // regprocedure omits the schema when it is on the search_path.
        assert_eq!(
            qualified_signature(&function("public", "sd_no_path()")),
            "public.sd_no_path()"
        );
        assert_eq!(
            qualified_signature(&function("private", "private.sd_private()")),
            "private.sd_private()"
        );
        assert_eq!(
            qualified_signature(&function("My App", "\"a.b\"(integer, text)")),
            "\"My App\".\"a.b\"(integer, text)"
        );
        assert_eq!(
            qualified_signature(&function("workforce", "workforce.\"Close Shift\"(bigint)")),
            "workforce.\"Close Shift\"(bigint)"
        );
    }

    #[test]
    fn usual_privileges_are_the_most_common_set() {
        let select = vec!["SELECT"];
        let all = DML.to_vec();
        assert_eq!(
            usual_privileges(&[select.clone(), select.clone(), all.clone(), vec![]]),
            "SELECT"
        );
        assert_eq!(
            usual_privileges(&[vec![]]),
            "SELECT, INSERT, UPDATE, DELETE"
        );
    }
}
