//! `tenant_guard.explain_access(tbl, cmd, role, claims)`: the answer to "why
//! was I denied". Which policies apply is decided in
//! `tenant_guard_core::explain`; here each applicable expression is evaluated
//! alone, as `role` with `claims`, over the table's rows: in a subtransaction
//! that is rolled back, every other policy is dropped and the expression
//! becomes the only (permissive, SELECT) policy, so the count is exactly the
//! rows that expression lets through.

use crate::catalog::{with_search_path, SAFE_SEARCH_PATH};
use crate::{gucs, relation, subxact};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation, PgSqlErrorCode};
use tenant_guard_core::audit::model::quote_ident;
use tenant_guard_core::explain::{self, Command};
use tenant_guard_core::remediate::Policy;

const FUNCTION: &str = "explain_access";

type Row = (String, String, bool, String, String);

fn err(code: PgSqlErrorCode, msg: String, hint: &str) -> ErrorReport {
    ErrorReport::new(code, msg, FUNCTION).set_hint(hint.to_owned())
}

fn spi<T>(r: Result<T, pgrx::spi::Error>) -> Result<T, ErrorReport> {
    r.map_err(|e| relation::query_failed(FUNCTION, e))
}

struct Subject {
    table: String,
    rls_enabled: bool,
    bypasses: bool,
    member_of: Vec<String>,
    total: i64,
    policies: Vec<Policy>,
}

fn subject(oid: pg_sys::Oid, role: &str) -> Result<Subject, ErrorReport> {
    if !spi(relation::caller_bypasses_rls())? {
        return Err(err(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "explain_access must be run by a superuser or a role with BYPASSRLS".into(),
            "It evaluates each policy over every row of the table.",
        ));
    }
    let (table, kind, rls_enabled, forced, owner) = spi(Spi::connect(|c| {
        let r = c
            .select(
                "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind::text, c.relrowsecurity, \
                        c.relforcerowsecurity, pg_catalog.pg_get_userbyid(c.relowner)::text \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
                Some(1),
                &[oid.into()],
            )?
            .first();
        Ok((
            r.get::<String>(1)?.unwrap_or_default(),
            r.get::<String>(2)?.unwrap_or_default(),
            r.get::<bool>(3)?.unwrap_or(false),
            r.get::<bool>(4)?.unwrap_or(false),
            r.get::<String>(5)?.unwrap_or_default(),
        ))
    }))?;
    if kind != "r" && kind != "p" {
        return Err(err(
            PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
            format!("{table} is not a table"),
            "Policies belong to tables; explain the tables the view reads.",
        ));
    }
    let (exists, role_bypasses) = spi(Spi::get_two_with_args::<bool, bool>(
        "SELECT count(*) > 0, coalesce(bool_or(rolsuper OR rolbypassrls), false) \
         FROM pg_catalog.pg_roles WHERE rolname = $1",
        &[role.into()],
    ))?;
    if exists != Some(true) {
        return Err(err(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("role \"{role}\" does not exist"),
            "Pass the role the request runs as, e.g. 'authenticated'.",
        ));
    }
    let member_of = spi(Spi::connect(|c| {
        let rows = c.select(
            "SELECT r.rolname::text FROM pg_catalog.pg_roles r \
             WHERE pg_catalog.pg_has_role($1, r.oid, 'USAGE')",
            None,
            &[role.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(n) = r.get::<String>(1)? {
                out.push(n);
            }
        }
        Ok(out)
    }))?;
    let bypasses = role_bypasses == Some(true) || (member_of.contains(&owner) && !forced);
    let total = spi(Spi::get_one::<i64>(&format!(
        "SELECT count(*) FROM {table}"
    )))?
    .unwrap_or(0);
    Ok(Subject {
        table,
        rls_enabled,
        bypasses,
        member_of,
        total,
        policies: crate::remediate::policies(oid)?,
    })
}

/// Sets `role` and the claims for the rest of the current subtransaction.
fn become_role(role: &str, claims: Option<&str>) -> Result<(), pgrx::spi::Error> {
    Spi::run(&format!("SET LOCAL ROLE {}", quote_ident(role)))?;
    if let Some(text) = claims {
        gucs::set_verified_claims(text);
        Spi::run_with_args(
            "SELECT set_config('request.jwt.claims', $1, true)",
            &[text.into()],
        )?;
    }
    Ok(())
}

fn outcome(
    r: Result<Result<Option<i64>, pgrx::spi::Error>, subxact::CaughtError>,
) -> Result<i64, String> {
    match r {
        Ok(Ok(n)) => Ok(n.unwrap_or(0)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!(
            "ERROR {}: {}",
            subxact::sqlstate(&e).unwrap_or_default(),
            subxact::message(&e)
        )),
    }
}

/// Rows `expr` alone lets through, as `role` with `claims`.
fn passing(s: &Subject, expr: &str, role: &str, claims: Option<&str>) -> Result<i64, String> {
    outcome(subxact::run(false, || {
        for p in &s.policies {
            Spi::run(&format!(
                "DROP POLICY {} ON {}",
                quote_ident(&p.name),
                s.table
            ))?;
        }
        Spi::run(&format!(
            "ALTER TABLE {} ENABLE ROW LEVEL SECURITY",
            s.table
        ))?;
        Spi::run(&format!(
            "CREATE POLICY tenant_guard_explain ON {} FOR SELECT TO {} USING ({expr})",
            s.table,
            quote_ident(role)
        ))?;
        Spi::run(&format!(
            "GRANT SELECT ON {} TO {}",
            s.table,
            quote_ident(role)
        ))?;
        become_role(role, claims)?;
        Spi::get_one::<i64>(&format!("SELECT count(*) FROM {}", s.table))
    }))
}

/// Rows `role` really sees with `claims` (every policy as it is).
fn visible(s: &Subject, role: &str, claims: Option<&str>) -> Result<i64, String> {
    outcome(subxact::run(false, || {
        become_role(role, claims)?;
        Spi::get_one::<i64>(&format!("SELECT count(*) FROM {}", s.table))
    }))
}

/// Why `role` gets (or does not get) rows of `tbl` for `cmd` with `claims`:
/// one row per policy (`applies`, and for each expression PostgreSQL checks,
/// how many of the table's rows it lets through with these claims), then an
/// `(all policies)` row with the combination and the verdict. Nothing it does
/// persists. Needs a superuser or a BYPASSRLS role that owns the table.
#[pg_extern(volatile, parallel_unsafe)]
#[allow(clippy::type_complexity)]
fn explain_access(
    tbl: PgRelation,
    cmd: &str,
    role: default!(&str, "'authenticated'"),
    claims: default!(Option<JsonB>, "NULL"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(policy, String),
            name!(kind, String),
            name!(applies, bool),
            name!(expression, String),
            name!(verdict, String),
        ),
    >,
    ErrorReport,
> {
    let Some(command) = Command::parse(cmd) else {
        return Err(err(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("unknown command \"{cmd}\""),
            "One of SELECT, INSERT, UPDATE, DELETE.",
        ));
    };
    let claims_text = match &claims {
        Some(JsonB(v)) if !v.is_object() => {
            return Err(err(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                "claims must be a JSON object".into(),
                "Pass the token's claims, or NULL for a request without claims.",
            ))
        }
        Some(JsonB(v)) => Some(v.to_string()),
        None => None,
    };
    let oid = tbl.oid();
    drop(tbl);
    let rows = with_search_path(SAFE_SEARCH_PATH, || {
        let s = subject(oid, role)?;
        Ok::<_, ErrorReport>(rows(&s, command, role, claims_text.as_deref()))
    })?;
    Ok(TableIterator::new(rows))
}

fn rows(s: &Subject, command: Command, role: &str, claims: Option<&str>) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    let mut applicable: Vec<&Policy> = Vec::new();
    let mut policies: Vec<&Policy> = s.policies.iter().collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name));
    for p in policies {
        let kind = if p.permissive {
            "permissive"
        } else {
            "restrictive"
        };
        if let Some(why) = explain::not_applying(p, command, &s.member_of) {
            out.push((
                p.name.clone(),
                kind.into(),
                false,
                String::new(),
                format!("does not apply: {why}"),
            ));
            continue;
        }
        applicable.push(p);
        for (which, expr) in explain::expressions(p, command) {
            let verdict = if s.bypasses || !s.rls_enabled {
                "not evaluated: the policy is not enforced for this role".into()
            } else {
                match passing(s, &expr, role, claims) {
                    Ok(n) => explain::expression_verdict(which, n, s.total),
                    Err(e) => e,
                }
            };
            out.push((
                p.name.clone(),
                kind.into(),
                true,
                format!("{which} {expr}"),
                verdict,
            ));
        }
    }
    let seen = if s.rls_enabled && !s.bypasses && command == Command::Select {
        visible(s, role, claims).ok()
    } else {
        None
    };
    out.push((
        "(all policies)".into(),
        String::new(),
        applicable.iter().any(|p| p.permissive),
        explain::combination(&applicable),
        explain::summary(
            command,
            role,
            s.rls_enabled,
            s.bypasses,
            &applicable,
            seen,
            s.total,
        ),
    ));
    out
}
