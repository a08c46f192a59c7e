//! `identity.custom_access_token_hook(event)`: what a Supabase Custom Access
//! Token hook returns. Reads the user's tenants from the membership table
//! named by the settings and rewrites the claims with
//! `tenant_guard_core::claims::token_hook::rewrite`.

use crate::catalog::{with_search_path, SAFE_SEARCH_PATH};
use crate::{gucs, subxact};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use serde_json::Value;
use tenant_guard_core::audit::model::quote_ident;
use tenant_guard_core::claims::token_hook;

const FUNCTION: &str = "custom_access_token_hook";

fn err(code: PgSqlErrorCode, msg: String, hint: &str) -> ErrorReport {
    ErrorReport::new(code, msg, FUNCTION).set_hint(hint.to_owned())
}

/// The membership table, schema-qualified and quoted, resolved with the
/// caller's search_path.
pub fn membership_table() -> Result<String, ErrorReport> {
    let name = gucs::string_value(&gucs::MEMBERSHIP_TABLE);
    if name.is_empty() {
        return Err(err(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "tenant_guard.membership_table is not set".into(),
            "ALTER SYSTEM SET tenant_guard.membership_table = 'public.memberships' (and membership_user_column, membership_tenant_column); SELECT pg_reload_conf();",
        ));
    }
    let found = Spi::get_one_with_args::<String>(
        "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.to_regclass($1)",
        &[name.as_str().into()],
    )
    .ok()
    .flatten();
    found.ok_or_else(|| {
        err(
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            format!("membership table \"{name}\" (tenant_guard.membership_table) does not exist"),
            "Name it schema-qualified, e.g. public.memberships.",
        )
    })
}

pub fn hook(event: JsonB) -> Result<JsonB, ErrorReport> {
    let JsonB(Value::Object(mut event)) = event else {
        return Err(err(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "the hook event must be a JSON object".into(),
            "Supabase Auth calls the hook with {\"user_id\": ..., \"claims\": {...}}.",
        ));
    };
    let user = match event.get("user_id") {
        Some(Value::String(u)) if !u.is_empty() => u.clone(),
        _ => {
            return Err(err(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                "the hook event has no user_id".into(),
                "Supabase Auth calls the hook with {\"user_id\": ..., \"claims\": {...}}.",
            ))
        }
    };
    let claims = match event.get("claims") {
        Some(c @ Value::Object(_)) => c.clone(),
        _ => {
            return Err(err(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                "the hook event has no claims object".into(),
                "Supabase Auth calls the hook with {\"user_id\": ..., \"claims\": {...}}.",
            ))
        }
    };
    let table = membership_table()?;
    let user_col = quote_ident(&gucs::string_value(&gucs::MEMBERSHIP_USER_COLUMN));
    let tenant_col = quote_ident(&gucs::string_value(&gucs::MEMBERSHIP_TENANT_COLUMN));
    let sql = format!(
        "SELECT DISTINCT {tenant_col}::text FROM {table} \
         WHERE {user_col}::text = $1 AND {tenant_col} IS NOT NULL ORDER BY 1"
    );
    let read = subxact::run(true, || {
        with_search_path(SAFE_SEARCH_PATH, || {
            Spi::connect(|c| {
                let rows = c.select(&sql, None, &[user.as_str().into()])?;
                let mut out = Vec::new();
                for r in rows {
                    if let Some(id) = r.get::<String>(1)? {
                        out.push(id);
                    }
                }
                Ok::<_, pgrx::spi::Error>(out)
            })
        })
    });
    let members = match read {
        Ok(Ok(members)) => members,
        Ok(Err(e)) => {
            return Err(err(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("reading the memberships failed: {e}"),
                "Check tenant_guard.membership_user_column and membership_tenant_column.",
            ))
        }
        Err(e) => {
            return Err(subxact::report(&e, FUNCTION).set_hint(
                "Check tenant_guard.membership_table, membership_user_column and membership_tenant_column.".to_owned(),
            ))
        }
    };
    let claims = token_hook::rewrite(&claims, &gucs::current_config(), &members);
    event.insert("claims".into(), claims);
    Ok(JsonB(Value::Object(event)))
}
