//! Supabase Storage: `storage.objects` holds every tenant's files in shared
//! buckets. A policy that scopes by bucket alone (`bucket_id = 'documents'`)
//! lets every client it applies to read, overwrite or delete every file in
//! the bucket. Scoping means the object's path (`name`, e.g.
//! `storage.foldername(name)`), or its owner (`owner`, `owner_id`).
//! Audited whatever the audited schemas are: storage is never in
//! `pgrst.db_schemas`, and it is where the files are.

use crate::audit::expr::own_columns;
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{command_name, qualified, quote_ident, Ctx};
use crate::audit::node::Value;
use crate::audit::snapshot::{Policy, Table, PUBLIC};

pub static UNSCOPED_STORAGE_POLICY: Check = Check {
    code: "unscoped_storage_policy",
    level: Level::Error,
    category: Category::Security,
    title: "A storage.objects policy scopes by bucket only",
    why: "Every tenant's files share the bucket: a policy that checks the bucket but neither the object's path (the tenant or user folder) nor its owner lets every client it applies to reach every file in the bucket.",
};

pub const CHECKS: &[&Check] = &[&UNSCOPED_STORAGE_POLICY];

/// Columns that tie an object to a user or tenant.
const SCOPING_COLUMNS: [&str; 4] = ["name", "owner", "owner_id", "path_tokens"];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(t) = ctx
        .snap
        .tables
        .iter()
        .find(|t| t.schema == "storage" && t.name == "objects" && t.kind == "r")
    else {
        return;
    };
    if !t.rls {
        return;
    }
    let scoping: Vec<i64> = t
        .columns
        .iter()
        .filter(|c| SCOPING_COLUMNS.contains(&c.name.as_str()))
        .map(|c| i64::from(c.num))
        .collect();
    let anon = ctx.snap.role_by_name("anon").map(|r| r.oid);
    for p in ctx.policies(t.oid).iter().filter(|p| p.permissive) {
        let targets: Vec<String> = ctx
            .policy_clients(p, t)
            .into_iter()
            .map(|r| ctx.role_name(r))
            .collect();
        if targets.is_empty() {
            continue;
        }
        // Reading a bucket open to anon (or PUBLIC) is a public bucket by design.
        let public_read = p.cmd == "r"
            && (p.roles.contains(&PUBLIC) || anon.is_some_and(|a| p.roles.contains(&a)));
        if public_read {
            continue;
        }
        let scoped = [&p.qual_tree, &p.with_check_tree]
            .into_iter()
            .filter_map(|tree| tree.as_ref().and_then(Value::as_node))
            .any(|root| own_columns(root).iter().any(|c| scoping.contains(c)));
        if scoped {
            continue;
        }
        out.push(finding(ctx, t, p, &targets));
    }
}

fn finding(ctx: &Ctx, t: &Table, p: &Policy, targets: &[String]) -> Finding {
    let table = qualified(&t.schema, &t.name);
    let text = p
        .qual_sql
        .clone()
        .or_else(|| p.with_check_sql.clone())
        .unwrap_or_else(|| "<no expression>".into());
    let cmd = command_name(&p.cmd);
    let reach = match p.cmd.as_str() {
        "r" => "read every file in the bucket, whoever uploaded it",
        "a" => "upload into any folder, another tenant's or user's included",
        "w" => "overwrite any file in the bucket",
        "d" => "delete any file in the bucket",
        _ => "read, overwrite and delete every file in the bucket",
    };
    let scope = "(storage.foldername(name))[1] = (SELECT identity.get_current_org_id())::text";
    let clause = match p.cmd.as_str() {
        "a" => format!("WITH CHECK (({text}) AND {scope})"),
        "r" | "d" => format!("USING (({text}) AND {scope})"),
        _ => format!("USING (({text}) AND {scope}) WITH CHECK (({text}) AND {scope})"),
    };
    ctx.finding(
        &UNSCOPED_STORAGE_POLICY,
        Some(t),
        Some(p),
        format!(
            "Policy {} FOR {cmd} on {table} applies to {} and checks only {text}: neither the object's path nor its owner, so each of them can {reach}.",
            p.name,
            targets.join(", ")
        ),
        format!(
            "-- keep each tenant's files under a folder named after it (or each user's under auth.uid()):\nALTER POLICY {} ON {table} {clause};",
            quote_ident(&p.name)
        ),
    )
}
