//! Running a piece of work in an internal subtransaction, the way PL/pgSQL's
//! `BEGIN ... EXCEPTION` does: an error inside rolls the subtransaction back
//! and comes back as a value instead of aborting the caller's transaction.

use pgrx::pg_sys;
pub use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;

/// Runs `f` in a subtransaction. `keep`: release (commit) it when `f`
/// succeeds; otherwise it is always rolled back, so nothing `f` wrote or set
/// survives. An error raised by `f` rolls back and is returned; query cancel,
/// shutdown and resource errors are raised again (never swallowed).
pub fn run<R>(keep: bool, f: impl FnOnce() -> R) -> Result<R, CaughtError> {
    // The caller's state is only touched again after a rollback, as with
    // PL/pgSQL's exception blocks.
    let f = std::panic::AssertUnwindSafe(f);
    unsafe {
        let old_context = pg_sys::CurrentMemoryContext;
        let old_owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(old_context);
        PgTryBuilder::new(|| {
            let r = f();
            if keep {
                pg_sys::ReleaseCurrentSubTransaction();
            } else {
                pg_sys::RollbackAndReleaseCurrentSubTransaction();
            }
            pg_sys::MemoryContextSwitchTo(old_context);
            pg_sys::CurrentResourceOwner = old_owner;
            Ok(r)
        })
        .catch_others(|e| {
            pg_sys::MemoryContextSwitchTo(old_context);
            pg_sys::FlushErrorState();
            pg_sys::RollbackAndReleaseCurrentSubTransaction();
            pg_sys::MemoryContextSwitchTo(old_context);
            pg_sys::CurrentResourceOwner = old_owner;
            match sqlstate(&e) {
                Some(code) if must_propagate(&code) => e.rethrow(),
                _ => Err(e),
            }
        })
        .execute()
    }
}

/// The five-character SQLSTATE of a caught PostgreSQL error; `None` for a panic.
pub fn sqlstate(e: &CaughtError) -> Option<String> {
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
            Some(sqlstate_text(r.sql_error_code()))
        }
        CaughtError::RustPanic { .. } => None,
    }
}

/// `42P17` for ERRCODE_INVALID_RECURSION: MAKE_SQLSTATE packs each character
/// in 6 bits, first character lowest.
pub fn sqlstate_text(code: pgrx::PgSqlErrorCode) -> String {
    let packed = code as i32;
    (0..5)
        .map(|i| (((packed >> (6 * i)) & 0x3F) as u8 + b'0') as char)
        .collect()
}

/// The error's message (a panic's too).
pub fn message(e: &CaughtError) -> String {
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => r.message().to_owned(),
        CaughtError::RustPanic { ereport, .. } => ereport.message().to_owned(),
    }
}

/// Classes that must reach the client: 53 (insufficient resources), 57
/// (operator intervention: cancel, shutdown), 58 (system error).
fn must_propagate(sqlstate: &str) -> bool {
    matches!(sqlstate.get(..2), Some("53" | "57" | "58"))
}

/// The caught error as a clean report for the client: its SQLSTATE, message
/// and hint (pgrx puts a Rust backtrace in the DETAIL of errors that passed
/// through Rust as panics; that is not for users).
pub fn report(e: &CaughtError, function: &'static str) -> pgrx::pg_sys::panic::ErrorReport {
    use pgrx::pg_sys::panic::ErrorReport;
    match e {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
            let mut out = ErrorReport::new(r.sql_error_code(), r.message().to_owned(), function);
            if let Some(hint) = r.hint() {
                out = out.set_hint(hint.to_owned());
            }
            out
        }
        CaughtError::RustPanic { ereport, .. } => ErrorReport::new(
            ereport.sql_error_code(),
            ereport.message().to_owned(),
            function,
        ),
    }
}
