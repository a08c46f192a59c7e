//! `tenant_guard.probe_isolation(tbl, role, org_a, org_b)`: seed 002's "log in
//! as A, try to read B's data" in one call. The plan and the verdicts are in
//! `tenant_guard_core::probe`; this module finds the table's tenant column,
//! picks or creates two tenants, and runs each check as `role` with
//! synthetic claims, every check in its own subtransaction inside one outer
//! subtransaction, all rolled back: nothing the probe does persists.

use crate::catalog::{with_search_path, SAFE_SEARCH_PATH};
use crate::{gucs, relation, subxact};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{PgRelation, PgSqlErrorCode, Uuid};
use tenant_guard_core::audit::model::quote_ident;
use tenant_guard_core::claims::uuid;
use tenant_guard_core::probe::{self, Check, Claims, Finding, Outcome, Target};

/// A synthetic user for the claims (`sub`), fixed so runs compare; used when
/// no membership table is configured, or it has no member of A only.
const PROBE_USER: &str = "00000000-7e57-4000-8000-00000000a11a";

/// The user the probe acts as: with `tenant_guard.membership_table` set, a
/// real member of tenant A who is not a member of B (so policies that grant
/// access through memberships see a genuine tenant A user), else [`PROBE_USER`].
fn probe_user(a: &str, b: &str) -> String {
    if gucs::string_value(&gucs::MEMBERSHIP_TABLE).is_empty() {
        return PROBE_USER.to_owned();
    }
    let Ok(table) = crate::token_hook::membership_table() else {
        return PROBE_USER.to_owned();
    };
    let user = quote_ident(&gucs::string_value(&gucs::MEMBERSHIP_USER_COLUMN));
    let tenant = quote_ident(&gucs::string_value(&gucs::MEMBERSHIP_TENANT_COLUMN));
    let sql = format!(
        "SELECT {user}::text FROM {table} WHERE {tenant}::text = $1 AND {user} IS NOT NULL \
         AND {user} NOT IN (SELECT {user} FROM {table} WHERE {tenant}::text = $2 AND {user} IS NOT NULL) \
         ORDER BY 1 LIMIT 1"
    );
    match subxact::run(true, || {
        Spi::get_one_with_args::<String>(&sql, &[a.into(), b.into()])
    }) {
        Ok(Ok(Some(u))) => u,
        _ => PROBE_USER.to_owned(),
    }
}

type Row = (String, String, String, String, String);

fn fail(code: PgSqlErrorCode, msg: String, hint: &str) -> ErrorReport {
    ErrorReport::new(code, msg, "probe_isolation").set_hint(hint.to_owned())
}

fn spi_err(e: pgrx::spi::Error) -> ErrorReport {
    relation::query_failed("probe_isolation", e)
}

/// The caller must see every row to know what the truth is.
fn check_caller() -> Result<(), ErrorReport> {
    if relation::caller_bypasses_rls().map_err(spi_err)? {
        return Ok(());
    }
    Err(fail(
        PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        "probe_isolation must be run by a superuser or a role with BYPASSRLS".into(),
        "It compares what the probed role sees with every row of the table.",
    ))
}

fn check_role(role: &str) -> Result<(), ErrorReport> {
    if relation::role_exists(role).map_err(spi_err)? {
        return Ok(());
    }
    Err(ErrorReport::new(
        PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
        format!("role \"{role}\" does not exist"),
        "probe_isolation",
    )
    .set_hint("Pass the role your clients use, e.g. 'authenticated'."))
}

/// The table, its tenant column and the columns an INSERT must name, with
/// the catalog's columns (for making up rows).
fn target(oid: pg_sys::Oid) -> Result<(Target, Vec<relation::Column>), ErrorReport> {
    let (schema, table, kind) = Spi::connect(|c| {
        let row = c
            .select(
                "SELECT n.nspname::text, c.relname::text, c.relkind::text FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
                Some(1),
                &[oid.into()],
            )?
            .first();
        Ok::<_, pgrx::spi::Error>((
            row.get::<String>(1)?.unwrap_or_default(),
            row.get::<String>(2)?.unwrap_or_default(),
            row.get::<String>(3)?.unwrap_or_default(),
        ))
    })
    .map_err(spi_err)?;
    let shown = format!("{}.{}", quote_ident(&schema), quote_ident(&table));
    if kind != "r" && kind != "p" {
        let what = match kind.as_str() {
            "v" => "a view",
            "m" => "a materialized view",
            "f" => "a foreign table",
            _ => "not a table",
        };
        return Err(fail(
            PgSqlErrorCode::ERRCODE_WRONG_OBJECT_TYPE,
            format!("{shown} is {what}; probe_isolation probes tables"),
            "Probe the tables the view reads; tenant_guard.audit() reports views that bypass RLS.",
        ));
    }
    let columns = relation::columns(oid).map_err(spi_err)?;
    let tenant_names = gucs::list_setting(&gucs::TENANT_COLUMNS);
    let Some((tenant_column, tenant_type)) = tenant_names.iter().find_map(|name| {
        columns
            .iter()
            .find(|c| c.name == *name)
            .map(|c| (c.name.clone(), c.type_name.clone()))
    }) else {
        return Err(fail(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!(
                "{shown} has no tenant column (tenant_guard.tenant_columns: {})",
                tenant_names.join(", ")
            ),
            "Add your column name to tenant_guard.tenant_columns, e.g. SET tenant_guard.tenant_columns = 'account_id'.",
        ));
    };
    let required_columns = columns
        .iter()
        .filter(|c| c.required_on_insert && c.name != tenant_column)
        .map(|c| c.name.clone())
        .collect();
    let config = gucs::current_config();
    let target = Target {
        schema,
        table,
        tenant_column,
        tenant_type,
        required_columns,
        claim_keys: config.claim_keys,
    };
    Ok((target, columns))
}

/// A value of `type` for a synthetic row, as SQL; `None` for types we do not make up.
fn synthetic(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "smallint" | "integer" | "bigint" => "(1000000 + floor(random() * 1000000000))::int",
        "numeric" | "real" | "double precision" => "0",
        "uuid" => "gen_random_uuid()",
        "boolean" => "false",
        "jsonb" | "json" => "'{}'",
        "date" | "timestamp with time zone" | "timestamp without time zone" => "now()",
        t if t == "text" || t.starts_with("character varying") || t == "citext" => {
            "'tg_probe_' || gen_random_uuid()"
        }
        _ => return None,
    })
}

/// Inserts a synthetic row for `tenant`, as the caller (RLS bypassed).
fn insert_synthetic(
    t: &Target,
    columns: &[relation::Column],
    tenant: &str,
) -> Result<(), ErrorReport> {
    let mut names = vec![quote_ident(&t.tenant_column)];
    let mut values = vec![format!("($1)::{}", t.tenant_type)];
    for name in &t.required_columns {
        let ty = columns
            .iter()
            .find(|c| c.name == *name)
            .map(|c| c.type_name.as_str())
            .unwrap_or("");
        let Some(expr) = synthetic(ty) else {
            return Err(fail(
                PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
                format!(
                    "cannot make up a row: column {} has type {ty}",
                    quote_ident(name)
                ),
                "Pass org_a and org_b of two tenants that have rows in the table.",
            ));
        };
        names.push(quote_ident(name));
        // The cast fits the value to the column (an explicit cast to
        // varchar(n) truncates).
        values.push(format!("({expr})::{ty}"));
    }
    let sql = format!(
        "INSERT INTO {}.{} ({}) VALUES ({})",
        quote_ident(&t.schema),
        quote_ident(&t.table),
        names.join(", "),
        values.join(", ")
    );
    let why = match subxact::run(true, || Spi::run_with_args(&sql, &[tenant.into()])) {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(e) => subxact::message(&e),
    };
    Err(fail(
        PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("could not add a synthetic row for tenant {tenant}: {why}"),
        "Pass org_a and org_b of two tenants that have rows in the table.",
    ))
}

/// Runs one check as `role` with its claims, in a subtransaction that is
/// always rolled back.
fn run_check(check: &Check, role: &str, a: &str, b: &str, template: &str) -> Outcome {
    let result = subxact::run(false, || {
        Spi::run(&format!("SET LOCAL ROLE {}", quote_ident(role))).expect("SET ROLE");
        if let Claims::Json(doc) = &check.claims {
            let text = doc.to_string();
            // Verified claims too, so that identity.* see them whatever the
            // trust settings say; policies that read settings see the same.
            gucs::set_verified_claims(&text);
            Spi::run_with_args(
                "SELECT set_config('request.jwt.claims', $1, true)",
                &[text.as_str().into()],
            )
            .expect("set_config");
        }
        if check.sets_tenant {
            let setting = gucs::current_config().tenant_setting;
            Spi::run_with_args(
                "SELECT set_config($1, $2, true)",
                &[setting.as_str().into(), a.into()],
            )
            .expect("set_config");
        }
        Spi::get_one_with_args::<i64>(&check.sql, &[a.into(), b.into(), template.into()])
    });
    match result {
        Ok(Ok(n)) => Outcome::Count(n.unwrap_or(0)),
        Ok(Err(e)) => Outcome::Error {
            sqlstate: "XX000".into(),
            message: e.to_string(),
        },
        Err(e) => Outcome::Error {
            sqlstate: subxact::sqlstate(&e).unwrap_or_else(|| "XX000".into()),
            message: subxact::message(&e),
        },
    }
}

fn text_id(id: Option<Uuid>) -> Option<String> {
    id.map(|u| uuid::format(u.as_bytes()))
}

/// Probes one table: one row per check (`check`, `expected`, `observed`,
/// `verdict` pass/fail/error, `detail`). Runs as `role` with synthetic claims
/// for tenant A (`org_a`, else the tenant with the most rows, else a new one)
/// against tenant B; every write is rolled back. Needs a superuser or a
/// BYPASSRLS role that may `SET ROLE` to `role`.
#[pg_extern(volatile, parallel_unsafe)]
#[allow(clippy::type_complexity)]
fn probe_isolation(
    tbl: PgRelation,
    role: default!(&str, "'authenticated'"),
    org_a: default!(Option<Uuid>, "NULL"),
    org_b: default!(Option<Uuid>, "NULL"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(check, String),
            name!(expected, String),
            name!(observed, String),
            name!(verdict, String),
            name!(detail, String),
        ),
    >,
    ErrorReport,
> {
    let rows = probe_rows(tbl.oid(), role, text_id(org_a), text_id(org_b))?;
    Ok(TableIterator::new(rows))
}

fn probe_rows(
    tbl: pg_sys::Oid,
    role: &str,
    org_a: Option<String>,
    org_b: Option<String>,
) -> Result<Vec<Row>, ErrorReport> {
    let (target, columns) = with_search_path(SAFE_SEARCH_PATH, || {
        check_caller()?;
        check_role(role)?;
        target(tbl)
    })?;
    if org_a.is_some() && org_a == org_b {
        return Err(fail(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "org_a and org_b must be two different tenants".into(),
            "Pass two tenant ids, or neither to let the probe choose.",
        ));
    }
    // Everything below, synthetic rows included, is rolled back.
    let outcome = subxact::run(false, || -> Result<Vec<Finding>, ErrorReport> {
        with_search_path(SAFE_SEARCH_PATH, || {
            let (a, b) = pick_tenants(&target, &columns, org_a, org_b)?;
            let qualified = format!(
                "{}.{}",
                quote_ident(&target.schema),
                quote_ident(&target.table)
            );
            let col = quote_ident(&target.tenant_column);
            let rows_a = Spi::get_one_with_args::<i64>(
                &format!(
                    "SELECT count(*) FROM {qualified} WHERE {col} = ($1)::{}",
                    target.tenant_type
                ),
                &[a.as_str().into()],
            )
            .map_err(spi_err)?
            .unwrap_or(0);
            let template = Spi::get_one::<pgrx::JsonB>(&format!(
                "SELECT to_jsonb(t) FROM {qualified} t WHERE {col} IS NOT NULL LIMIT 1"
            ))
            .map_err(spi_err)?
            .map(|j| j.0.to_string())
            .unwrap_or_else(|| "{}".into());
            let user = probe_user(&a, &b);
            let checks = probe::plan(&target, &a, &b, rows_a, &user, role);
            let outcomes: Vec<Outcome> = checks
                .iter()
                .map(|check| run_check(check, role, &a, &b, &template))
                .collect();
            Ok(probe::judge_all(&checks, &outcomes))
        })
    });
    let findings = match outcome {
        Ok(result) => result?,
        Err(e) => return Err(subxact::report(&e, "probe_isolation")),
    };
    Ok(findings
        .into_iter()
        .map(|f| {
            (
                f.check.to_owned(),
                f.expected,
                f.observed,
                f.verdict.as_str().to_owned(),
                f.detail,
            )
        })
        .collect())
}

/// Tenant A and B: as given, else the tenants with the most rows, else new
/// ids; each gets a synthetic row if it has none (rolled back with the probe).
fn pick_tenants(
    t: &Target,
    columns: &[relation::Column],
    org_a: Option<String>,
    org_b: Option<String>,
) -> Result<(String, String), ErrorReport> {
    let qualified = format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.table));
    let col = quote_ident(&t.tenant_column);
    let present: Vec<String> = Spi::connect(|c| {
        let rows = c.select(
            &format!(
                "SELECT {col}::text FROM {qualified} WHERE {col} IS NOT NULL \
                 GROUP BY {col} ORDER BY count(*) DESC, {col}::text LIMIT 3"
            ),
            None,
            &[],
        )?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(v) = r.get::<String>(1)? {
                out.push(v);
            }
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .map_err(spi_err)?;
    let pool: Vec<&String> = present
        .iter()
        .filter(|p| Some(*p) != org_a.as_ref() && Some(*p) != org_b.as_ref())
        .collect();
    let fresh = |n: u8| -> String {
        if t.tenant_type == "uuid" {
            format!("00000000-7e57-4000-8000-0000000000{n:02x}")
        } else {
            format!("tg_probe_tenant_{n}")
        }
    };
    let a = match org_a {
        Some(a) => a,
        None => pool
            .first()
            .map(|s| (*s).clone())
            .unwrap_or_else(|| fresh(0xa)),
    };
    let b = match org_b {
        Some(b) => b,
        None => pool
            .iter()
            .find(|p| ***p != a)
            .map(|s| (*s).clone())
            .unwrap_or_else(|| fresh(0xb)),
    };
    for tenant in [&a, &b] {
        if !present.contains(tenant) {
            let has = Spi::get_one_with_args::<bool>(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {qualified} WHERE {col} = ($1)::{})",
                    t.tenant_type
                ),
                &[tenant.as_str().into()],
            )
            .map_err(spi_err)?
            .unwrap_or(false);
            if !has {
                insert_synthetic(t, columns, tenant)?;
            }
        }
    }
    Ok((a, b))
}

/// The tenant tables of `schemas` (default: `pgrst.db_schemas` if set, else
/// every schema but the system's and tenant_guard's), partitions left to their
/// parent, extension members skipped.
fn tenant_tables(schemas: Option<Vec<String>>) -> Result<Vec<(pg_sys::Oid, String)>, ErrorReport> {
    let schemas = schemas.or_else(|| {
        gucs::read_setting("pgrst.db_schemas").map(|s| {
            s.split(',')
                .map(|x| x.trim().trim_matches('"').to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
    });
    let columns = gucs::list_setting(&gucs::TENANT_COLUMNS);
    with_search_path(SAFE_SEARCH_PATH, || {
        Spi::connect(|c| {
            let rows = c.select(
                "SELECT c.oid, pg_catalog.format('%I.%I', n.nspname, c.relname) \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'identity', 'tenant_guard') \
                   AND n.nspname !~ '^pg_' \
                   AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[])) \
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                                   AND d.objid = c.oid AND d.deptype = 'e') \
                   AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 \
                               AND NOT a.attisdropped AND a.attname::text = ANY ($2::text[])) \
                 ORDER BY 2",
                None,
                &[schemas.into(), columns.into()],
            )?;
            let mut out = Vec::new();
            for r in rows {
                if let (Some(oid), Some(name)) = (r.get::<pg_sys::Oid>(1)?, r.get::<String>(2)?) {
                    out.push((oid, name));
                }
            }
            Ok::<_, pgrx::spi::Error>(out)
        })
    })
    .map_err(spi_err)
}

/// `probe_isolation` over every tenant table of `schemas`, as `role`: one row
/// per table and check. A table the probe cannot run on gets one `error` row
/// (check `probe`) saying why, and the others go on.
#[pg_extern(volatile, parallel_unsafe)]
#[allow(clippy::type_complexity)]
fn probe_all(
    schemas: default!(Option<Vec<String>>, "NULL"),
    role: default!(&str, "'authenticated'"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(table_name, String),
            name!(check, String),
            name!(expected, String),
            name!(observed, String),
            name!(verdict, String),
            name!(detail, String),
        ),
    >,
    ErrorReport,
> {
    with_search_path(SAFE_SEARCH_PATH, || {
        check_caller()?;
        check_role(role)
    })?;
    let mut out = Vec::new();
    for (oid, name) in tenant_tables(schemas)? {
        let rows = match subxact::run(false, || probe_rows(oid, role, None, None)) {
            Ok(Ok(rows)) => rows,
            Ok(Err(report)) => vec![probe_error(report.message())],
            Err(e) => vec![probe_error(&subxact::message(&e))],
        };
        out.extend(
            rows.into_iter()
                .map(|(c, e, o, v, d)| (name.clone(), c, e, o, v, d)),
        );
    }
    Ok(TableIterator::new(out))
}

fn probe_error(message: &str) -> Row {
    (
        "probe".into(),
        String::new(),
        String::new(),
        "error".into(),
        format!("the probe could not run: {message}"),
    )
}

/// For pgTAP and other SQL tests: makes the rest of the current transaction
/// run as `role` with `claims` (a JSON object) in `request.jwt.claims`, as
/// PostgREST would; for a superuser also as verified claims, so that
/// `identity.*` see them whatever `tenant_guard.require_verified` says.
/// Transaction-local: gone at COMMIT or ROLLBACK.
#[pg_extern(volatile, parallel_unsafe)]
fn impersonate(
    claims: pgrx::JsonB,
    role: default!(&str, "'authenticated'"),
) -> Result<(), ErrorReport> {
    if !claims.0.is_object() {
        return Err(fail(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "claims must be a JSON object".into(),
            "Pass the token's claims, e.g. '{\"sub\": \"...\", \"app_metadata\": {\"organization_id\": \"...\"}}'.",
        )
        .set_detail(format!("got a JSON {}", json_kind(&claims.0))));
    }
    let text = claims.0.to_string();
    let superuser = unsafe { pg_sys::superuser() };
    let applied = subxact::run(true, || {
        Spi::run_with_args(
            "SELECT set_config('request.jwt.claims', $1, true), set_config('role', $2, true)",
            &[text.as_str().into(), role.into()],
        )
    });
    match applied {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(spi_err(e)),
        Err(e) => return Err(subxact::report(&e, "impersonate")),
    }
    if superuser {
        gucs::set_verified_claims(&text);
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
