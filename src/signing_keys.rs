//! `tenant_guard.signing_keys`: verification keys by `kid`, added and retired
//! without a restart. Each backend keeps the parsed rows until the table
//! changes: a statement trigger queues a relcache invalidation for the table,
//! which every backend receives at its next transaction (PostgreSQL's shared
//! invalidation queue) and which bumps [`TABLE_GENERATION`] through the
//! callback registered in `_PG_init`. No query runs per verification.
//!
//! The table is readable by superusers only; the backends of ordinary roles
//! (PostgREST's request role calls `authenticate_request()`) read it as its
//! owner for the one fixed query, never handing rows to SQL.

use pgrx::pg_sys;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use tenant_guard_core::jwt::{KeyRow, KeySet};

extension_sql_file!(
    "../sql/signing_keys.sql",
    name = "signing_keys_sql",
    requires = [check_signing_key, invalidate_signing_keys, import_jwks]
);

/// Bumped when `tenant_guard.signing_keys` may have changed.
pub static TABLE_GENERATION: AtomicU64 = AtomicU64::new(1);
/// The table's OID once known (0: unknown, every invalidation counts).
static TABLE_OID: AtomicU32 = AtomicU32::new(0);

#[pg_guard]
unsafe extern "C-unwind" fn relcache_changed(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    let known = TABLE_OID.load(Ordering::Relaxed);
    if known == 0 || relid == pg_sys::InvalidOid || relid.to_u32() == known {
        TABLE_GENERATION.fetch_add(1, Ordering::Relaxed);
    }
}

pub fn init() {
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(relcache_changed), pg_sys::Datum::from(0));
    }
}

/// Runs `f` as `user` (the table owner), restoring the caller's identity
/// afterwards, also when `f` raises.
fn as_user<R>(user: pg_sys::Oid, f: impl FnOnce() -> R) -> R {
    let mut saved_user = pg_sys::InvalidOid;
    let mut saved_context = 0;
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut saved_user, &mut saved_context);
        pg_sys::SetUserIdAndSecContext(
            user,
            saved_context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .finally(|| unsafe { pg_sys::SetUserIdAndSecContext(saved_user, saved_context) })
        .execute()
}

const OWNER_SQL: &str = "SELECT c.oid::pg_catalog.int8, c.relowner::pg_catalog.int8 \
     FROM pg_catalog.pg_class c \
     WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('tenant_guard.signing_keys')";

// Whole seconds, rounded so that the window never widens: a key retired at
// 12.3 s is invalid from 12 s, one valid from 12.3 s is valid from 13 s.
const ROWS_SQL: &str = "SELECT kid, alg, key::pg_catalog.text, issuer, audience, \
     pg_catalog.ceil(EXTRACT(EPOCH FROM not_before))::pg_catalog.int8, \
     pg_catalog.floor(EXTRACT(EPOCH FROM not_after))::pg_catalog.int8 \
     FROM tenant_guard.signing_keys";

/// Every row of the table (none when the extension's table does not exist
/// in this database). Errors are the query's.
pub fn load_rows() -> Result<Vec<KeyRow>, String> {
    let owner = Spi::connect(|c| {
        let rows = c.select(OWNER_SQL, None, &[])?;
        let mut out = None;
        for r in rows {
            let oid = r.get::<i64>(1)?.unwrap_or(0);
            let owner = r.get::<i64>(2)?.unwrap_or(0);
            out = Some((oid, owner));
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .map_err(|e| format!("looking up tenant_guard.signing_keys failed: {e}"))?;
    let Some((oid, owner)) = owner else {
        return Ok(Vec::new());
    };
    TABLE_OID.store(u32::try_from(oid).unwrap_or(0), Ordering::Relaxed);
    let owner = pg_sys::Oid::from(u32::try_from(owner).unwrap_or(0));
    as_user(owner, || {
        Spi::connect(|c| {
            let rows = c.select(ROWS_SQL, None, &[])?;
            let mut out = Vec::new();
            for r in rows {
                out.push(KeyRow {
                    kid: r.get::<String>(1)?.unwrap_or_default(),
                    alg: r.get::<String>(2)?.unwrap_or_default(),
                    jwk: r.get::<String>(3)?.unwrap_or_default(),
                    issuer: r.get::<String>(4)?,
                    audience: r.get::<String>(5)?,
                    not_before: r.get::<i64>(6)?,
                    not_after: r.get::<i64>(7)?,
                });
            }
            Ok::<_, pgrx::spi::Error>(out)
        })
    })
    .map_err(|e| format!("reading tenant_guard.signing_keys failed: {e}"))
}

/// The row trigger's check: a key that cannot verify anything (broken
/// material, an algorithm that does not fit, private parameters, a window
/// that ends before it starts) is refused with 22023, naming the kid and the
/// rule, never the material. Times are seconds since 1970.
#[pg_extern(volatile, parallel_unsafe)]
pub fn check_signing_key(
    kid: Option<&str>,
    alg: Option<&str>,
    key: Option<JsonB>,
    not_before: Option<f64>,
    not_after: Option<f64>,
) -> Result<(), ErrorReport> {
    let row = KeyRow {
        kid: kid.unwrap_or_default().to_owned(),
        alg: alg.unwrap_or_default().to_owned(),
        jwk: key.map(|k| k.0.to_string()).unwrap_or_default(),
        issuer: None,
        audience: None,
        // Whole seconds, never widening the window (the verifier's clock
        // is whole seconds too).
        not_before: not_before.map(|t| t.ceil() as i64),
        not_after: not_after.map(|t| t.floor() as i64),
    };
    KeySet::check_row(&row).map(|_| ()).map_err(|e| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("signing key rejected: {}", e.message()),
            "check_signing_key",
        )
        .set_hint("key is the provider's public JWK (RSA, EC P-256/P-384, Ed25519) or an oct JWK of at least 32 bytes, and alg must fit it; tenant_guard.import_jwks() loads a whole JWKS.")
    })
}

/// Called by the table's statement trigger: every backend's parsed keys are
/// stale once this transaction commits (a relcache invalidation of the
/// table, delivered through PostgreSQL's shared invalidation queue).
#[pg_extern(volatile, parallel_unsafe)]
pub fn invalidate_signing_keys(rel: pg_sys::Oid) {
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(rel) };
}

/// Loads a provider's JWKS document into `tenant_guard.signing_keys`: one
/// row per usable key (a key without `kid` is named `key-<n>`, one without
/// `alg` gets the first algorithm it allows), each limited to `issuer` and
/// `audience` when given. A kid already in the table is left as it is.
/// Returns one row per JWKS entry: `added`, `exists`, or `skipped: <why>`
/// (not for signatures, unsupported). A JWKS with a broken key is refused
/// (22023) before anything is added.
#[pg_extern(volatile, parallel_unsafe)]
#[allow(clippy::type_complexity)]
pub fn import_jwks(
    jwks: JsonB,
    issuer: default!(Option<&str>, "NULL"),
    audience: default!(Option<&str>, "NULL"),
) -> Result<
    TableIterator<
        'static,
        (
            name!(kid, Option<String>),
            name!(alg, Option<String>),
            name!(kind, Option<String>),
            name!(status, String),
        ),
    >,
    ErrorReport,
> {
    let refused = |message: String| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("JWKS rejected: {message}"),
            "import_jwks",
        )
        .set_hint("Pass the provider's JWKS document as published ({\"keys\": [...]}), e.g. from its /.well-known/jwks.json.")
    };
    let (rows, skipped) =
        KeySet::rows_from_jwks(&jwks.0.to_string()).map_err(|e| refused(e.message().to_owned()))?;
    let mut out = Vec::new();
    for mut row in rows {
        row.issuer = issuer.map(str::to_owned);
        row.audience = audience.map(str::to_owned);
        let kind = KeySet::check_row(&row)
            .map_err(|e| refused(e.message().to_owned()))?
            .kind
            .to_owned();
        // No row limit: a DML statement stopped after its first RETURNING row
        // never reaches its AFTER STATEMENT triggers (the change notice).
        let added = Spi::connect_mut(|c| {
            c.update(
                "INSERT INTO tenant_guard.signing_keys (kid, alg, key, issuer, audience) \
                 VALUES ($1, $2, $3::pg_catalog.jsonb, $4, $5) \
                 ON CONFLICT (kid) DO NOTHING RETURNING kid",
                None,
                &[
                    row.kid.as_str().into(),
                    row.alg.as_str().into(),
                    row.jwk.as_str().into(),
                    row.issuer.clone().into(),
                    row.audience.clone().into(),
                ],
            )
            .map(|t| !t.is_empty())
        })
        .map_err(|e| {
            ErrorReport::new(
                PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                format!("adding signing key failed: {e}"),
                "import_jwks",
            )
        })?;
        let status = if added { "added" } else { "exists" };
        out.push((Some(row.kid), Some(row.alg), Some(kind), status.to_owned()));
    }
    for why in skipped {
        out.push((None, None, None, format!("skipped: {why}")));
    }
    Ok(TableIterator::new(out))
}
