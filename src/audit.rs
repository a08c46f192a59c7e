//! Schema `tenant_guard`: the policy audit. Loads one catalog snapshot with
//! `sql/queries/snapshot.sql`, runs the pure checks of `tenant_guard_core`,
//! and applies the suppressions table.

use crate::gucs;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use std::collections::HashMap;
use tenant_guard_core::audit::{self, AuditConfig, Finding, Level};

extension_sql_file!("../sql/audit.sql", name = "audit_sql");

fn config(schemas: Option<Vec<Option<String>>>) -> AuditConfig {
    let mut c = AuditConfig {
        schemas: schemas.map(|v| v.into_iter().flatten().collect()),
        ..AuditConfig::default()
    };
    c.client_roles = gucs::list_setting(&gucs::CLIENT_ROLES);
    c.tenant_columns = gucs::list_setting(&gucs::TENANT_COLUMNS);
    c.require_verified = gucs::REQUIRE_VERIFIED.get();
    c.trusted_session_users = gucs::list_setting(&gucs::TRUSTED_SESSION_USERS);
    c
}

fn internal(msg: String) -> ErrorReport {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        msg,
        "tenant_guard.audit",
    )
}

/// Findings with whether each is suppressed (unexpired row in tenant_guard.suppressions).
fn findings(schemas: Option<Vec<Option<String>>>) -> Result<Vec<(Finding, bool)>, ErrorReport> {
    let snap = crate::catalog::load().map_err(internal)?;
    let found = audit::run(&snap, &config(schemas));
    let suppressed: HashMap<String, ()> = crate::catalog::with_search_path(crate::catalog::SAFE_SEARCH_PATH, || Spi::connect(|client| {
        let rows = client.select(
            "SELECT cache_key FROM tenant_guard.suppressions WHERE expires_at IS NULL OR expires_at > pg_catalog.now()",
            None,
            &[],
        )?;
        let mut m = HashMap::new();
        for row in rows {
            if let Some(k) = row.get::<String>(1)? {
                m.insert(k, ());
            }
        }
        Ok::<_, pgrx::spi::Error>(m)
    }))
    .map_err(|e| internal(format!("reading tenant_guard.suppressions failed: {e}")))?;
    Ok(found
        .into_iter()
        .map(|f| {
            let s = suppressed.contains_key(&f.cache_key);
            (f, s)
        })
        .collect())
}

/// Audits RLS policies, grants and isolation. One row per finding, most
/// severe first. `schemas` defaults to `pgrst.db_schemas` if set, else every
/// non-system schema. Suppressed findings are hidden unless `include_suppressed`.
#[pg_extern(stable)]
#[allow(clippy::type_complexity)]
pub fn audit(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
    include_suppressed: default!(bool, false),
) -> Result<
    TableIterator<
        'static,
        (
            name!(code, String),
            name!(level, String),
            name!(category, String),
            name!(schema_name, Option<String>),
            name!(table_name, Option<String>),
            name!(policy_name, Option<String>),
            name!(object, Option<String>),
            name!(title, String),
            name!(detail, String),
            name!(remediation, String),
            name!(cache_key, String),
            name!(suppressed, bool),
        ),
    >,
    ErrorReport,
> {
    let rows: Vec<_> = findings(schemas)?
        .into_iter()
        .filter(|(_, s)| include_suppressed || !s)
        .map(|(f, s)| {
            (
                f.code.to_owned(),
                f.level.as_str().to_owned(),
                f.category.as_str().to_owned(),
                f.schema_name,
                f.table_name,
                f.policy_name,
                f.object,
                f.title,
                f.detail,
                f.remediation,
                f.cache_key,
                s,
            )
        })
        .collect();
    Ok(TableIterator::new(rows))
}

/// The unsuppressed findings as one JSON array (for CI and dashboards).
#[pg_extern(stable)]
pub fn audit_json(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> Result<JsonB, ErrorReport> {
    let list: Vec<Finding> = findings(schemas)?
        .into_iter()
        .filter(|(_, s)| !s)
        .map(|(f, _)| f)
        .collect();
    let value = serde_json::to_value(&list).map_err(|e| internal(e.to_string()))?;
    Ok(JsonB(value))
}

/// Every unsuppressed finding's remediation in one script, in a safe order
/// (grants, functions, policies, ENABLE, FORCE), wrapped in one transaction;
/// configuration and placeholders commented out. Review it, then run it.
#[pg_extern(stable)]
pub fn remediation_script(
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> Result<String, ErrorReport> {
    let list: Vec<Finding> = findings(schemas)?
        .into_iter()
        .filter(|(_, s)| !s)
        .map(|(f, _)| f)
        .collect();
    Ok(audit::remediation_script(&list))
}

/// Raises (SQLSTATE P0001, the findings in DETAIL) when an unsuppressed
/// finding at `min_level` or more severe exists: gate a migration on it.
#[pg_extern(stable)]
pub fn assert_clean(
    min_level: default!(&str, "'warn'"),
    schemas: default!(Option<Vec<Option<String>>>, "NULL"),
) -> Result<bool, ErrorReport> {
    let Some(min) = Level::parse(min_level) else {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("invalid level \"{min_level}\""),
            "tenant_guard.assert_clean",
        )
        .set_hint("Use 'error', 'warn' or 'info'."));
    };
    let bad: Vec<Finding> = findings(schemas)?
        .into_iter()
        .filter(|(f, s)| !s && f.level <= min)
        .map(|(f, _)| f)
        .collect();
    if bad.is_empty() {
        return Ok(true);
    }
    let detail: Vec<String> = bad
        .iter()
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f.level.as_str(),
                f.code,
                f.object.as_deref().unwrap_or("-"),
                f.detail
            )
        })
        .collect();
    Err(ErrorReport::new(
        PgSqlErrorCode::ERRCODE_RAISE_EXCEPTION,
        format!(
            "tenant_guard.assert_clean: {} finding{} at level {} or above",
            bad.len(),
            if bad.len() == 1 { "" } else { "s" },
            min.as_str()
        ),
        "tenant_guard.assert_clean",
    )
    .set_detail(detail.join("\n"))
    .set_hint("SELECT * FROM tenant_guard.audit() shows each finding with its remediation; suppress accepted ones in tenant_guard.suppressions with a reason."))
}

/// The catalog snapshot the audit analyses, as JSON (with analysed SQL
/// function bodies): attach it to a bug report, or use it as a test fixture.
#[pg_extern(stable)]
pub fn audit_snapshot() -> Result<String, ErrorReport> {
    Ok(crate::catalog::load().map_err(internal)?.to_json())
}
