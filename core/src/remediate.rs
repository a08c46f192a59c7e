//! One-call remediation, planned without PostgreSQL: given what the catalog
//! says about a table, the statements that give it tenant isolation, each
//! marked as needed or already in place, so running it twice changes nothing
//! the second time.
//!
//! The isolation is a RESTRICTIVE policy for every command (ANDed with every
//! permissive policy, so a leftover `USING (true)` or `user_metadata` policy
//! can no longer cross tenants) plus one PERMISSIVE policy per command (so
//! the tenant's own rows stay reachable). All use the InitPlan form
//! `(SELECT identity.get_current_org_id())`, evaluated once per query.

use crate::audit::model::quote_ident;

/// A policy as it exists (from `pg_policy`, expressions via `pg_get_expr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    /// `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE, `*` ALL.
    pub cmd: char,
    pub permissive: bool,
    /// Role names, sorted; `public` for PUBLIC.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

/// What the catalog says about the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub schema: String,
    pub table: String,
    pub tenant_column: String,
    /// `uuid`: compare with `identity.get_current_org_id()`, else with
    /// `identity.get_current_org_key()`.
    pub uuid_tenant: bool,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub tenant_not_null: bool,
    /// Rows whose tenant is NULL (orphans).
    pub null_rows: i64,
    /// Some index leads with the tenant column.
    pub tenant_indexed: bool,
    pub policies: Vec<Policy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// To run (or ran).
    Needed,
    InPlace,
    /// Needs a decision about data: reported, never done for you.
    Attention,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub what: String,
    /// The SQL to run (for `Attention`: the SQL to run once the data is fixed).
    pub sql: String,
    pub status: Status,
}

pub const GUARD_POLICY: &str = "tenant_isolation_guard";

/// The tenant predicate in the form it is written (`canonical` is what
/// PostgreSQL deparses it to, for comparing with existing policies).
pub fn predicate(facts: &Facts) -> String {
    let function = if facts.uuid_tenant {
        "identity.get_current_org_id"
    } else {
        "identity.get_current_org_key"
    };
    format!(
        "{} = (SELECT {function}())",
        quote_ident(&facts.tenant_column)
    )
}

fn qualified(facts: &Facts) -> String {
    format!(
        "{}.{}",
        quote_ident(&facts.schema),
        quote_ident(&facts.table)
    )
}

/// The statements, in order. `roles` are the client roles the policies are
/// for (sorted, as `pg_policy` lists them); `canonical` is the predicate as
/// PostgreSQL deparses it (`pg_get_expr` of a policy using [`predicate`]).
pub fn plan(facts: &Facts, roles: &[String], canonical: &str) -> Vec<Step> {
    let t = qualified(facts);
    let col = quote_ident(&facts.tenant_column);
    let pred = predicate(facts);
    let to = roles
        .iter()
        .map(|r| {
            if r == "public" {
                "PUBLIC".to_owned()
            } else {
                quote_ident(r)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut steps = Vec::new();
    let step = |what: String, sql: String, done: bool| Step {
        what,
        sql,
        status: if done {
            Status::InPlace
        } else {
            Status::Needed
        },
    };

    steps.push(step(
        "enable row level security".into(),
        format!("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"),
        facts.rls_enabled,
    ));
    steps.push(step(
        "force row level security (the owner too)".into(),
        format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY"),
        facts.rls_forced,
    ));

    let has = |c: Option<&str>| c.map(str::to_owned);
    let wanted = [
        (
            GUARD_POLICY.to_owned(),
            '*',
            false,
            has(Some(canonical)),
            has(Some(canonical)),
        ),
        (
            "tenant_isolation_select".into(),
            'r',
            true,
            has(Some(canonical)),
            None,
        ),
        (
            "tenant_isolation_insert".into(),
            'a',
            true,
            None,
            has(Some(canonical)),
        ),
        (
            "tenant_isolation_update".into(),
            'w',
            true,
            has(Some(canonical)),
            has(Some(canonical)),
        ),
        (
            "tenant_isolation_delete".into(),
            'd',
            true,
            has(Some(canonical)),
            None,
        ),
    ];
    for (name, cmd, permissive, using, with_check) in wanted {
        let desired = Policy {
            name: name.clone(),
            cmd,
            permissive,
            roles: roles.to_vec(),
            using: using.clone(),
            with_check: with_check.clone(),
        };
        let create = format!(
            "CREATE POLICY {} ON {t} AS {} FOR {} TO {to}{}{}",
            quote_ident(&name),
            if permissive {
                "PERMISSIVE"
            } else {
                "RESTRICTIVE"
            },
            match cmd {
                'r' => "SELECT",
                'a' => "INSERT",
                'w' => "UPDATE",
                'd' => "DELETE",
                _ => "ALL",
            },
            using
                .as_ref()
                .map_or(String::new(), |_| format!(" USING ({pred})")),
            with_check
                .as_ref()
                .map_or(String::new(), |_| format!(" WITH CHECK ({pred})")),
        );
        let what = if permissive {
            format!("permissive policy {name}: the tenant's own rows")
        } else {
            format!("restrictive policy {name}: no command crosses tenants, whatever other policies allow")
        };
        match facts.policies.iter().find(|p| p.name == name) {
            Some(existing) if *existing == desired => steps.push(step(what, create, true)),
            Some(_) => steps.push(step(
                format!("{what} (replacing a different policy of that name)"),
                format!("DROP POLICY {} ON {t}; {create}", quote_ident(&name)),
                false,
            )),
            None => steps.push(step(what, create, false)),
        }
    }

    let index_name = quote_ident(&index_name(&facts.table, &facts.tenant_column));
    steps.push(step(
        format!("an index leading with {col}"),
        format!("CREATE INDEX {index_name} ON {t} ({col})"),
        facts.tenant_indexed,
    ));

    let not_null = format!("ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL");
    if facts.tenant_not_null {
        steps.push(step(format!("{col} NOT NULL"), not_null, true));
    } else if facts.null_rows == 0 {
        steps.push(step(
            format!("{col} NOT NULL (no row lacks a tenant)"),
            not_null,
            false,
        ));
    } else {
        steps.push(Step {
            what: format!(
                "{} rows have no tenant ({col} IS NULL): no policy shows them to anyone. Assign them to their tenant (or delete them), then run the SQL",
                facts.null_rows
            ),
            sql: not_null,
            status: Status::Attention,
        });
    }
    steps
}

/// `<table>_<column>_tenant_idx`, cut to PostgreSQL's 63 bytes.
fn index_name(table: &str, column: &str) -> String {
    let mut name = format!("{table}_{column}_tenant_idx");
    while name.len() > 63 {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANON: &str = "(org_id = ( SELECT identity.get_current_org_id() AS get_current_org_id))";

    fn facts() -> Facts {
        Facts {
            schema: "public".into(),
            table: "docs".into(),
            tenant_column: "org_id".into(),
            uuid_tenant: true,
            rls_enabled: false,
            rls_forced: false,
            tenant_not_null: false,
            null_rows: 0,
            tenant_indexed: false,
            policies: Vec::new(),
        }
    }

    fn roles() -> Vec<String> {
        vec!["authenticated".into()]
    }

    #[test]
    fn a_bare_table_needs_everything() {
        let steps = plan(&facts(), &roles(), CANON);
        assert!(steps.iter().all(|s| s.status == Status::Needed));
        assert_eq!(steps.len(), 9);
        assert!(steps.iter().any(|s| s.sql
            == "CREATE POLICY tenant_isolation_guard ON public.docs AS RESTRICTIVE FOR ALL TO authenticated USING (org_id = (SELECT identity.get_current_org_id())) WITH CHECK (org_id = (SELECT identity.get_current_org_id()))"));
        assert!(steps
            .iter()
            .any(|s| s.sql == "CREATE INDEX docs_org_id_tenant_idx ON public.docs (org_id)"));
    }

    #[test]
    fn second_run_changes_nothing() {
        let mut f = facts();
        f.rls_enabled = true;
        f.rls_forced = true;
        f.tenant_not_null = true;
        f.tenant_indexed = true;
        for (name, cmd, permissive, u, c) in [
            (GUARD_POLICY, '*', false, true, true),
            ("tenant_isolation_select", 'r', true, true, false),
            ("tenant_isolation_insert", 'a', true, false, true),
            ("tenant_isolation_update", 'w', true, true, true),
            ("tenant_isolation_delete", 'd', true, true, false),
        ] {
            f.policies.push(Policy {
                name: name.into(),
                cmd,
                permissive,
                roles: roles(),
                using: u.then(|| CANON.to_owned()),
                with_check: c.then(|| CANON.to_owned()),
            });
        }
        assert!(plan(&f, &roles(), CANON)
            .iter()
            .all(|s| s.status == Status::InPlace));
        // Another role set: the policies are replaced.
        let more = vec!["anon".to_owned(), "authenticated".to_owned()];
        let steps = plan(&f, &more, CANON);
        assert_eq!(
            steps.iter().filter(|s| s.status == Status::Needed).count(),
            5
        );
        assert!(steps.iter().any(|s| s
            .sql
            .starts_with("DROP POLICY tenant_isolation_guard ON public.docs; CREATE POLICY")));
    }

    #[test]
    fn orphans_are_reported_not_fixed() {
        let mut f = facts();
        f.null_rows = 3;
        let last = plan(&f, &roles(), CANON).pop().unwrap();
        assert_eq!(last.status, Status::Attention);
        assert!(last.what.starts_with("3 rows have no tenant"));
        f.uuid_tenant = false;
        assert!(predicate(&f).contains("get_current_org_key"));
        assert_eq!(index_name(&"t".repeat(70), "org_id").len(), 63);
    }
}
