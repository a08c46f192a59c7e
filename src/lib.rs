//! tenant_guard: hardened tenant claim helpers (schema `identity`) and, in
//! schema `tenant_guard`, diagnostics for multi-tenant row-level security.
//! This crate is glue: decisions live in the pure `tenant_guard_core` crate.

// pgrx's own error type (208 bytes) is how a function raises SQLSTATE, DETAIL
// and HINT; it is built only on the error path.
#![allow(clippy::result_large_err)]

use pgrx::prelude::*;

mod audit;
mod catalog;
mod context;
mod error;
mod explain;
mod gucs;
mod identity;
mod jwt;
mod probe;
mod relation;
mod remediate;
mod scope;
mod signing_keys;
mod subxact;
mod token_hook;

::pgrx::pg_module_magic!();

// PostgREST schema-cache reload (SQL and PL/pgSQL only).
extension_sql_file!("../sql/postgrest.sql", name = "postgrest_sql");

// apply_grants (PL/pgSQL: privilege checks and GRANTs).
extension_sql_file!("../sql/grants.sql", name = "grants_sql");

// The hand-written get_current_org_id() and every schema privilege; runs last.
extension_sql_file!("../sql/finalize.sql", name = "finalize_sql", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    gucs::init();
    scope::init();
    signing_keys::init();
}

#[cfg(any(test, feature = "pg_test"))]
mod tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
