//! Client roles that skip RLS altogether: superuser or BYPASSRLS (no
//! policy applies to them, FORCE or not), or the owner of RLS tables, or a
//! role inheriting the owner's privileges (`GRANT postgres TO app_user`),
//! while FORCE ROW LEVEL SECURITY is off. One finding per role: every policy
//! on those tables is skipped for it.

use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::model::{qualified, quote_ident, Ctx};
use crate::audit::snapshot::Oid;

pub static OWNER_BYPASS: Check = Check {
    code: "owner_bypass",
    level: Level::Error,
    category: Category::Security,
    title: "A client role bypasses row-level security",
    why: "Superusers and BYPASSRLS roles skip every policy, and so do a table's owner and roles inheriting its privileges unless FORCE ROW LEVEL SECURITY is set: requests made as such a role see and write every tenant's rows.",
};

pub const CHECKS: &[&Check] = &[&OWNER_BYPASS];

/// Login roles (not superusers, not the database owner) granted privileges on
/// audited RLS tables: the roles applications and workers connect as.
fn login_roles_with_grants(ctx: &Ctx) -> Vec<Oid> {
    let mut out: Vec<Oid> = Vec::new();
    for t in ctx.audited_tables().filter(|t| t.rls) {
        for a in &t.acl {
            let Some(role) = ctx.roles.get(&a.grantee) else {
                continue;
            };
            if role.login
                && !role.superuser
                && a.grantee != ctx.snap.database_owner
                && a.grantee != t.owner
                && !ctx.client_roles.contains(&a.grantee)
                && !out.contains(&a.grantee)
            {
                out.push(a.grantee);
            }
        }
    }
    out
}

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    // Connection roles: only BYPASSRLS is theirs to report (a login owner is
    // force_rls_missing's).
    for r in login_roles_with_grants(ctx) {
        let Some(role) = ctx.roles.get(&r) else {
            continue;
        };
        if !role.bypassrls {
            continue;
        }
        let name = ctx.role_name(r);
        let mut f = ctx.finding_on(
            &OWNER_BYPASS,
            None,
            None,
            Some(name.clone()),
            format!(
                "The login role {name} holds privileges on tables with row-level security and has BYPASSRLS: an application or worker connecting as {name} skips every policy, whatever tenant it serves."
            ),
            format!(
                "ALTER ROLE {} NOBYPASSRLS;\n-- workers: set the tenant per transaction (SET LOCAL app.tenant_id) and let the policies apply",
                quote_ident(&name)
            ),
        );
        f.cache_key = format!("owner_bypass:{name}");
        out.push(f);
    }
    for &r in &ctx.client_roles {
        let Some(role) = ctx.roles.get(&r) else {
            continue;
        };
        let name = ctx.role_name(r);
        if role.superuser || role.bypassrls {
            let attr = if role.superuser {
                "SUPERUSER"
            } else {
                "BYPASSRLS"
            };
            let mut f = ctx.finding_on(
                &OWNER_BYPASS,
                None,
                None,
                Some(name.clone()),
                format!(
                    "The client role {name} has {attr}: no row-level security policy applies to it on any table, FORCE or not. Every request made as {name} reads and writes every tenant's rows."
                ),
                format!(
                    "ALTER ROLE {} NOSUPERUSER NOBYPASSRLS;",
                    quote_ident(&name)
                ),
            );
            f.cache_key = format!("owner_bypass:{name}");
            out.push(f);
            continue;
        }
        let mine = ctx.privileges_of(r);
        let mut tables = Vec::new();
        let mut fixes = Vec::new();
        for t in ctx.audited_tables() {
            if !t.rls
                || t.force_rls
                || !matches!(t.kind.as_str(), "r" | "p")
                || ctx.policies(t.oid).is_empty()
            {
                continue;
            }
            if !mine.contains(&t.owner) {
                continue;
            }
            let table = qualified(&t.schema, &t.name);
            let how = if t.owner == r {
                "owns it".to_owned()
            } else {
                format!("inherits its owner {}", ctx.role_name(t.owner))
            };
            tables.push(format!("{table} ({how})"));
            fixes.push(format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY;"));
        }
        if tables.is_empty() {
            continue;
        }
        let mut f = ctx.finding_on(
            &OWNER_BYPASS,
            None,
            None,
            Some(name.clone()),
            format!(
                "The client role {name} skips the policies of {} table{} with row-level security not forced: {}. Requests made as {name} read and write every tenant's rows there.",
                tables.len(),
                if tables.len() == 1 { "" } else { "s" },
                tables.join("; ")
            ),
            format!(
                "{}\n-- better: let a role clients never use own the tables (ALTER TABLE … OWNER TO …), and REVOKE the owner role from {}",
                fixes.join("\n"),
                quote_ident(&name)
            ),
        );
        f.cache_key = format!("owner_bypass:{name}");
        out.push(f);
    }
}
