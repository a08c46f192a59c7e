//! Reads the catalog into a `Snapshot`: one SPI query (sql/queries/snapshot.sql)
//! for the catalog, plus parse analysis of `LANGUAGE sql` function bodies,
//! which PostgreSQL stores as text (only `BEGIN ATOMIC` bodies are stored as
//! node trees). The analysed trees let the pure checks see which relations
//! and functions a helper reads, exactly as PostgreSQL resolves them.

use crate::subxact;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;
use std::ffi::{c_void, CStr, CString};
use tenant_guard_core::audit::snapshot::Oid;
use tenant_guard_core::audit::Snapshot;

const SNAPSHOT_SQL: &str = include_str!("../sql/queries/snapshot.sql");

unsafe extern "C-unwind" {
    // executor/functions.h, not in pgrx's bindings.
    fn prepare_sql_fn_parse_info(
        procedure_tuple: pg_sys::HeapTuple,
        call_expr: *mut pg_sys::Node,
        input_collation: pg_sys::Oid,
    ) -> *mut c_void;
    fn sql_fn_parser_setup(pstate: *mut pg_sys::ParseState, pinfo: *mut c_void);
}

/// The search path for the extension's own catalog SQL: operators resolve in
/// pg_catalog only, so an operator a user created in a schema on the
/// caller's path (CVE-2018-1058's pattern) can never run as the auditor.
pub const SAFE_SEARCH_PATH: &str = "pg_catalog, pg_temp";

/// Runs `f` with `search_path` set to `path`, restored afterwards (on error,
/// transaction or subtransaction abort restores it).
pub fn with_search_path<R>(path: &str, f: impl FnOnce() -> R) -> R {
    let name = c"search_path";
    let value = CString::new(path).expect("search_path without NUL");
    unsafe {
        let nest = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            name.as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        let r = f();
        pg_sys::AtEOXact_GUC(true, nest);
        r
    }
}

pub fn load() -> Result<Snapshot, String> {
    let json = with_search_path(SAFE_SEARCH_PATH, || Spi::get_one::<String>(SNAPSHOT_SQL))
        .map_err(|e| format!("reading the catalog snapshot failed: {e}"))?
        .ok_or("the catalog snapshot query returned NULL")?;
    let mut snap = Snapshot::from_json(&json)?;
    let paths: std::collections::HashMap<Oid, String> = snap
        .functions
        .iter()
        .filter_map(|f| {
            let cfg = f.config.as_ref()?;
            cfg.iter()
                .find_map(|c| c.strip_prefix("search_path="))
                .map(|p| (f.oid, p.to_owned()))
        })
        .collect();
    let bodies = snap
        .sql_bodies_to_analyze()
        .into_iter()
        .filter_map(|(oid, src, _)| {
            analyze_sql_function(oid, &src, paths.get(&oid).map(String::as_str)).map(|t| (oid, t))
        })
        .collect();
    snap.set_analyzed_bodies(bodies);
    Ok(snap)
}

/// SQLSTATE classes that mean "this body does not analyse" (a dropped table,
/// a polymorphic argument, a syntax the parser rejects): the body is skipped.
/// Anything else (a cancel, a statement or lock timeout, out of memory) is
/// raised: an audit must not pass on an analysis it did not finish.
fn analysis_failure(sqlstate: &str) -> bool {
    matches!(
        sqlstate.get(..2),
        Some("42" | "22" | "0A" | "3F" | "3D" | "2B" | "0L")
    )
}

/// Parse analysis (not rewriting: no policies are expanded, so a recursive
/// policy cannot raise here) of a SQL function's body, with its named
/// parameters resolved as PostgreSQL does when it runs the function. Done in
/// a subtransaction: a body that no longer analyses (a dropped table, a
/// polymorphic argument) yields `None` and leaves no trace.
fn analyze_sql_function(oid: Oid, src: &str, search_path: Option<&str>) -> Option<String> {
    let source = CString::new(src).ok()?;
    // Names resolve as when the function runs: with its own `SET search_path`
    // if it has one, else the caller's path.
    let analysed = subxact::run(true, || unsafe {
        match search_path {
            Some(path) => with_search_path(path, || analyze_in_subtransaction(oid, &source)),
            None => analyze_in_subtransaction(oid, &source),
        }
    });
    match analysed {
        Ok(text) => text,
        Err(e) if subxact::sqlstate(&e).is_some_and(|s| analysis_failure(&s)) => None,
        Err(e) => e.rethrow(),
    }
}

/// # Safety
/// Must run inside a subtransaction that is rolled back if this raises.
unsafe fn analyze_in_subtransaction(oid: Oid, source: &CStr) -> Option<String> {
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            pg_sys::Datum::from(pg_sys::Oid::from(oid)),
        );
        if tuple.is_null() {
            return None;
        }
        let pinfo = pg_sys::submodules::ffi::pg_guard_ffi_boundary(|| {
            prepare_sql_fn_parse_info(tuple, std::ptr::null_mut(), pg_sys::InvalidOid)
        });
        pg_sys::ReleaseSysCache(tuple);
        let raw = pg_sys::raw_parser(source.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let stmts = PgList::<pg_sys::RawStmt>::from_pg(raw);
        let mut parts = Vec::new();
        for stmt in stmts.iter_ptr() {
            let query = pg_sys::parse_analyze_withcb(
                stmt,
                source.as_ptr(),
                Some(sql_fn_parser_setup),
                pinfo,
                std::ptr::null_mut(),
            );
            let text = pg_sys::nodeToString(query as *const c_void);
            parts.push(CStr::from_ptr(text).to_string_lossy().into_owned());
        }
        Some(format!("({})", parts.join(" ")))
    }
}
