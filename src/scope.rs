//! Which claim settings are left over from a session-level `SET` in an
//! earlier transaction (behind a transaction-mode pooler: possibly another
//! client's), read from PostgreSQL's own record of each setting.
//!
//! A parallel worker cannot tell: it restores the leader's settings as
//! session values. So, when `tenant_guard.require_transaction_scope` is on,
//! the leader publishes its verdict at ExecutorStart of every parallel plan
//! (an internal, transaction-local setting, which workers receive like any
//! other), and workers read that.

use crate::gucs;
use pgrx::pg_sys;
#[cfg(feature = "pg15")]
use std::ffi::CStr;
use std::sync::OnceLock;

static PREV_EXECUTOR_START: OnceLock<pg_sys::ExecutorStart_hook_type> = OnceLock::new();

/// Called from `_PG_init`.
pub fn init() {
    unsafe {
        let _ = PREV_EXECUTOR_START.set(pg_sys::ExecutorStart_hook);
        pg_sys::ExecutorStart_hook = Some(executor_start);
    }
}

extern "C-unwind" {
    // The plain symbol, not pgrx's guarded wrapper: see `executor_start`.
    #[link_name = "standard_ExecutorStart"]
    fn standard_executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: i32);
}

/// Deliberately not `#[pg_guard]`: the executor's own errors (permission
/// denied, ...) must reach PostgreSQL untouched, not be turned into a Rust
/// panic and back (which changes what the client sees). Our part runs inside
/// pgrx's guard; this frame owns nothing that needs dropping, so an error
/// raised by the next hook may pass through it.
unsafe extern "C-unwind" fn executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: i32) {
    unsafe {
        pg_sys::submodules::panic::pgrx_extern_c_guard(|| before_executor_start(query_desc));
        match PREV_EXECUTOR_START.get().copied().flatten() {
            Some(prev) => prev(query_desc, eflags),
            None => standard_executor_start(query_desc, eflags),
        }
    }
}

/// Publishes the leader's verdict before a parallel plan starts its workers.
fn before_executor_start(query_desc: *mut pg_sys::QueryDesc) {
    unsafe {
        let parallel_plan = !query_desc.is_null()
            && !(*query_desc).plannedstmt.is_null()
            && (*(*query_desc).plannedstmt).parallelModeNeeded;
        if parallel_plan
            && gucs::REQUIRE_TRANSACTION_SCOPE.get()
            && !in_worker()
            && !pg_sys::IsInParallelMode()
        {
            publish();
        }
    }
}

fn in_worker() -> bool {
    unsafe { pg_sys::ParallelWorkerNumber >= 0 }
}

/// The leader's list, as `,name,name,` (never empty once published).
fn publish() {
    let leftovers: Vec<String> = gucs::current_config()
        .settings_read()
        .into_iter()
        .filter(|n| gucs::read_setting(n).is_some() && from_record(n))
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let value = format!(",{},", leftovers.join(","));
    if gucs::string_value(&gucs::SESSION_SCOPED) != value {
        gucs::set_internal_local(c"tenant_guard.session_scoped_settings", &value);
    }
}

/// True when the setting's value was set at session level and is left over
/// from an earlier transaction (see [`from_record`]); in a parallel worker,
/// what the leader published.
pub fn is_session_scoped(name: &str) -> bool {
    if in_worker() {
        let published = gucs::string_value(&gucs::SESSION_SCOPED);
        if !published.is_empty() {
            return published.contains(&format!(",{},", name.to_ascii_lowercase()));
        }
        // Nothing published (the library was not loaded when the query
        // started): every session-level value looks left over here, which
        // fails closed.
    }
    from_record(name)
}

/// From PostgreSQL's record of the setting: its value was set at session level
/// (`SET` without `LOCAL`, `set_config(..., false)`, or the connection's
/// startup options) and has not been changed in this transaction (no stack
/// entry): a value a transaction-mode pooler can hand to the next client.
fn from_record(name: &str) -> bool {
    let Some(gconf) = find_guc(name) else {
        return false;
    };
    // SAFETY: PostgreSQL's GUC records live as long as the backend.
    let gconf = unsafe { &*gconf };
    gconf.stack.is_null()
        && matches!(
            gconf.source,
            pg_sys::GucSource::PGC_S_SESSION | pg_sys::GucSource::PGC_S_CLIENT
        )
}

#[cfg(feature = "pg15")]
pub fn find_guc(name: &str) -> Option<*mut pg_sys::config_generic> {
    // find_option() is static in PostgreSQL 15: scan the (small) array.
    let vars = unsafe { pg_sys::get_guc_variables() };
    let count = unsafe { pg_sys::GetNumConfigOptions() };
    (0..count.max(0) as usize)
        .map(|i| unsafe { *vars.add(i) })
        .find(|&g| {
            !g.is_null()
                && unsafe { CStr::from_ptr((*g).name) }
                    .to_bytes()
                    .eq_ignore_ascii_case(name.as_bytes())
        })
}

#[cfg(not(feature = "pg15"))]
pub fn find_guc(name: &str) -> Option<*mut pg_sys::config_generic> {
    let cname = std::ffi::CString::new(name).ok()?;
    let g = unsafe { pg_sys::find_option(cname.as_ptr(), false, true, pg_sys::DEBUG1 as i32) };
    (!g.is_null()).then_some(g)
}
