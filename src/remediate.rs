//! `tenant_guard.enable_tenant_isolation(tbl, tenant_column, roles, dry_run)`:
//! reads what the table has, asks `tenant_guard_core::remediate::plan` what is
//! missing, and runs exactly that (or, with `dry_run`, only says it).

use crate::catalog::{with_search_path, SAFE_SEARCH_PATH};
use crate::{gucs, relation, subxact};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{PgRelation, PgSqlErrorCode};
use tenant_guard_core::audit::model::quote_ident;
use tenant_guard_core::remediate::{self, Facts, Policy, Status};

const FUNCTION: &str = "enable_tenant_isolation";

fn error(code: PgSqlErrorCode, msg: String, hint: &str) -> ErrorReport {
    ErrorReport::new(code, msg, FUNCTION).set_hint(hint.to_owned())
}

/// Runs SQL; a PostgreSQL error comes back as a clean report.
fn run(sql: &str) -> Result<(), ErrorReport> {
    match subxact::run(true, || Spi::run(sql)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("{FUNCTION}: {e}"),
            FUNCTION,
        )),
        Err(e) => Err(subxact::report(&e, FUNCTION)),
    }
}

fn spi<T>(r: Result<T, pgrx::spi::Error>) -> Result<T, ErrorReport> {
    r.map_err(|e| relation::query_failed(FUNCTION, e))
}

struct Table {
    kind: String,
    schema: String,
    name: String,
    rls_enabled: bool,
    rls_forced: bool,
}

fn table(oid: pg_sys::Oid) -> Result<Table, ErrorReport> {
    spi(Spi::connect(|c| {
        let r = c
            .select(
                "SELECT c.relkind::text, n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
                Some(1),
                &[oid.into()],
            )?
            .first();
        Ok(Table {
            kind: r.get::<String>(1)?.unwrap_or_default(),
            schema: r.get::<String>(2)?.unwrap_or_default(),
            name: r.get::<String>(3)?.unwrap_or_default(),
            rls_enabled: r.get::<bool>(4)?.unwrap_or(false),
            rls_forced: r.get::<bool>(5)?.unwrap_or(false),
        })
    }))
}

pub fn policies(oid: pg_sys::Oid) -> Result<Vec<Policy>, ErrorReport> {
    spi(Spi::connect(|c| {
        let rows = c.select(
            "SELECT p.polname::text, p.polcmd::text, p.polpermissive, \
                    ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END \
                          FROM pg_catalog.unnest(p.polroles) r ORDER BY 1), \
                    pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) \
             FROM pg_catalog.pg_policy p WHERE p.polrelid = $1",
            None,
            &[oid.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            out.push(Policy {
                name: r.get::<String>(1)?.unwrap_or_default(),
                cmd: r
                    .get::<String>(2)?
                    .unwrap_or_default()
                    .chars()
                    .next()
                    .unwrap_or('*'),
                permissive: r.get::<bool>(3)?.unwrap_or(true),
                roles: r.get::<Vec<String>>(4)?.unwrap_or_default(),
                using: r.get::<String>(5)?,
                with_check: r.get::<String>(6)?,
            });
        }
        Ok(out)
    }))
}

/// The predicate as PostgreSQL deparses it: created on the table under a
/// scratch name in a subtransaction that is rolled back.
fn canonical(facts: &Facts) -> Result<String, ErrorReport> {
    let t = format!(
        "{}.{}",
        quote_ident(&facts.schema),
        quote_ident(&facts.table)
    );
    let sql = format!(
        "CREATE POLICY tenant_guard_scratch ON {t} USING ({})",
        remediate::predicate(facts)
    );
    let result = subxact::run(false, || {
        Spi::run(&sql)?;
        Spi::get_one::<String>(&format!(
            "SELECT pg_catalog.pg_get_expr(polqual, polrelid) FROM pg_catalog.pg_policy \
             WHERE polrelid = '{t}'::pg_catalog.regclass AND polname = 'tenant_guard_scratch'"
        ))
    });
    match result {
        Ok(Ok(Some(text))) => Ok(text),
        Ok(Ok(None)) => Err(error(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            "could not read back the tenant predicate".into(),
            "",
        )),
        Ok(Err(e)) => spi(Err(e)),
        Err(e) => Err(subxact::report(&e, FUNCTION)),
    }
}

fn facts(oid: pg_sys::Oid, tenant_column: Option<&str>) -> Result<Facts, ErrorReport> {
    let t = table(oid)?;
    let shown = format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.name));
    if t.kind != "r" && t.kind != "p" {
        return Err(error(
            PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
            format!("{shown} is not a table"),
            "Row-level security applies to tables; isolate the tables a view reads and make the view security_invoker.",
        ));
    }
    let cols = spi(relation::columns(oid))?;
    let candidates: Vec<String> = match tenant_column {
        Some(c) => vec![c.to_owned()],
        None => gucs::list_setting(&gucs::TENANT_COLUMNS),
    };
    let Some(column) = candidates
        .iter()
        .find_map(|c| cols.iter().find(|col| col.name == *c))
    else {
        return Err(match tenant_column {
            Some(c) => error(
                PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN,
                format!("{shown} has no column {}", quote_ident(c)),
                "Name the column that holds the tenant id.",
            ),
            None => error(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                format!(
                    "{shown} has no tenant column (tenant_guard.tenant_columns: {})",
                    candidates.join(", ")
                ),
                "Pass tenant_column => '<column>'.",
            ),
        });
    };
    let (name, not_null, attnum) = (column.name.clone(), column.not_null, column.attnum);
    let uuid_tenant = match column.base_type.as_str() {
        "uuid" => true,
        "text" | "character varying" => false,
        other => {
            return Err(error(
                PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                format!("tenant column {} is of type {other}", quote_ident(&name)),
                "Tenant columns compare with identity.get_current_org_id() (uuid) or identity.get_current_org_key() (text).",
            ))
        }
    };
    let col = quote_ident(&name);
    let null_rows = spi(Spi::get_one::<i64>(&format!(
        "SELECT count(*) FROM {shown} WHERE {col} IS NULL"
    )))?
    .unwrap_or(0);
    let tenant_indexed = spi(Spi::get_one_with_args::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = $1 AND i.indkey[0] = $2)",
        &[oid.into(), attnum.into()],
    ))?
    .unwrap_or(false);
    Ok(Facts {
        schema: t.schema,
        table: t.name,
        tenant_column: name,
        uuid_tenant,
        rls_enabled: t.rls_enabled,
        rls_forced: t.rls_forced,
        tenant_not_null: not_null,
        null_rows,
        tenant_indexed,
        policies: policies(oid)?,
    })
}

fn roles_checked(roles: Vec<String>) -> Result<Vec<String>, ErrorReport> {
    let mut out = Vec::new();
    for role in roles {
        let role = if role.eq_ignore_ascii_case("public") {
            "public".to_owned()
        } else {
            role
        };
        if role != "public" && !spi(relation::role_exists(&role))? {
            return Err(error(
                PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
                format!("role \"{role}\" does not exist"),
                "Pass the roles your clients use, e.g. '{authenticated}'.",
            ));
        }
        if !out.contains(&role) {
            out.push(role);
        }
    }
    if out.is_empty() {
        return Err(error(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "roles is empty".into(),
            "Pass the roles your clients use, e.g. '{authenticated}'.",
        ));
    }
    out.sort();
    Ok(out)
}

/// Gives `tbl` tenant isolation, idempotently: RLS enabled and forced; a
/// RESTRICTIVE policy for every command and a PERMISSIVE one per command, all
/// on `(SELECT identity.get_current_org_id())` (`get_current_org_key()` for a
/// text tenant column); an index leading with the tenant column; the column
/// NOT NULL when no row lacks a tenant (rows that do are reported, never
/// changed). One row per step: `step`, `statement`, `status` (`done`,
/// `would run` with `dry_run`, `in place`, `attention`).
#[pg_extern(volatile, parallel_unsafe)]
#[allow(clippy::type_complexity)]
fn enable_tenant_isolation(
    tbl: PgRelation,
    tenant_column: default!(Option<&str>, "NULL"),
    roles: default!(Vec<String>, "'{authenticated}'"),
    dry_run: default!(bool, false),
) -> Result<
    TableIterator<
        'static,
        (
            name!(step, String),
            name!(statement, String),
            name!(status, String),
        ),
    >,
    ErrorReport,
> {
    let oid = tbl.oid();
    drop(tbl);
    let steps = with_search_path(SAFE_SEARCH_PATH, || {
        let roles = roles_checked(roles)?;
        let facts = facts(oid, tenant_column)?;
        let canonical = canonical(&facts)?;
        let steps = remediate::plan(&facts, &roles, &canonical);
        if !dry_run {
            for s in steps.iter().filter(|s| s.status == Status::Needed) {
                run(&s.sql)?;
            }
        }
        Ok::<_, ErrorReport>(steps)
    })?;
    Ok(TableIterator::new(steps.into_iter().map(move |s| {
        let status = match (s.status, dry_run) {
            (Status::Needed, true) => "would run",
            (Status::Needed, false) => "done",
            (Status::InPlace, _) => "in place",
            (Status::Attention, _) => "attention",
        };
        (s.what, s.sql, status.to_owned())
    })))
}
