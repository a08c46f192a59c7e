//! Catalog reads shared by the probe, the remediation and `explain_access`:
//! a table's columns, whether a role exists, whether the caller bypasses
//! row-level security. Callers run them under `SAFE_SEARCH_PATH`.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::Error;
use pgrx::PgSqlErrorCode;

pub struct Column {
    pub name: String,
    /// `format_type` with the modifier (`character varying(40)`): for casts.
    pub type_name: String,
    /// Without the modifier (`character varying`): for deciding by type.
    pub base_type: String,
    pub not_null: bool,
    /// An INSERT must name it: NOT NULL, no default, not identity or generated.
    pub required_on_insert: bool,
    pub attnum: i16,
}

/// The table's live columns, in order.
pub fn columns(oid: pg_sys::Oid) -> Result<Vec<Column>, Error> {
    Spi::connect(|c| {
        let rows = c.select(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
                    pg_catalog.format_type(a.atttypid, NULL), a.attnotnull, \
                    a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '', \
                    a.attnum \
             FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            None,
            &[oid.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            out.push(Column {
                name: r.get::<String>(1)?.unwrap_or_default(),
                type_name: r.get::<String>(2)?.unwrap_or_default(),
                base_type: r.get::<String>(3)?.unwrap_or_default(),
                not_null: r.get::<bool>(4)?.unwrap_or(false),
                required_on_insert: r.get::<bool>(5)?.unwrap_or(false),
                attnum: r.get::<i16>(6)?.unwrap_or(0),
            });
        }
        Ok(out)
    })
}

pub fn role_exists(role: &str) -> Result<bool, Error> {
    Spi::get_one_with_args::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)",
        &[role.into()],
    )
    .map(|b| b.unwrap_or(false))
}

/// The current user is a superuser or has BYPASSRLS: it sees every row.
pub fn caller_bypasses_rls() -> Result<bool, Error> {
    Spi::get_one::<bool>(
        "SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .map(|b| b.unwrap_or(false))
}

/// A failed catalog query of `function`, as the error the client sees.
pub fn query_failed(function: &'static str, e: Error) -> ErrorReport {
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
        format!("{function}: catalog query failed: {e}"),
        function,
    )
}
