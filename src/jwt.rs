//! Schema `tenant_guard`: JWT verification (`verify_jwt`) and verified
//! request context (`authenticate`, `authenticate_request`). The rules live in
//! `tenant_guard_core::jwt`; this module reads the key settings, keeps the
//! parsed key set until they change, and maps rejections to SQLSTATE 28000.

use crate::{gucs, signing_keys};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::{JsonB, PgSqlErrorCode};
use serde_json::Value;
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};
use tenant_guard_core::jwt::{self, JwtError, KeySet, Rules};

type Generation = (u64, u64);

thread_local! {
    /// (settings and table generations, parsed keys): parsing keys costs far
    /// more than a check, and the table is read only when it changed.
    static KEYS: RefCell<Option<(Generation, Result<KeySet, String>)>> = const { RefCell::new(None) };
}

/// The secret, the JWKS and the rows of `tenant_guard.signing_keys`.
fn load_keys() -> Result<KeySet, String> {
    let secret = gucs::string_value(&gucs::JWT_SECRET);
    let jwks = gucs::string_value(&gucs::JWKS);
    let mut keys = KeySet::new(Some(&secret), Some(&jwks)).map_err(|e| e.to_string())?;
    let rows = signing_keys::load_rows()?;
    keys.add_rows(&rows)
        .map_err(|e| format!("a row of tenant_guard.signing_keys cannot be used: {e}"))?;
    Ok(keys)
}

fn with_keys<R>(f: impl FnOnce(&Result<KeySet, String>) -> R) -> R {
    KEYS.with(|cell| {
        let generation = (
            gucs::KEY_GENERATION.load(Ordering::Relaxed),
            signing_keys::TABLE_GENERATION.load(Ordering::Relaxed),
        );
        let mut slot = cell.borrow_mut();
        if !matches!(slot.as_ref(), Some((g, _)) if *g == generation) {
            *slot = Some((generation, load_keys()));
        }
        f(&slot.as_ref().expect("just filled").1)
    })
}

fn rules() -> Rules {
    Rules {
        audience: gucs::list_setting(&gucs::JWT_AUDIENCE),
        issuer: gucs::list_setting(&gucs::JWT_ISSUER),
        leeway_secs: gucs::JWT_LEEWAY.get().max(0) as u64,
        now: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}

fn rejected(e: &JwtError, function: &'static str) -> ErrorReport {
    let hint = match e {
        JwtError::NoKeys => "A superuser sets tenant_guard.jwt_secret (HS256/384/512) or tenant_guard.jwks, or adds keys to tenant_guard.signing_keys (tenant_guard.import_jwks() loads a provider's JWKS).",
        JwtError::TooLarge { .. } | JwtError::Malformed(_) => {
            "Pass the compact token (header.payload.signature) without the \"Bearer \" prefix."
        }
        JwtError::AlgorithmNotAllowed { .. } | JwtError::UnknownKey { .. } => {
            "The algorithm comes from the configured key, never from the token: check tenant_guard.jwks and tenant_guard.signing_keys (kid, kty, alg) against the issuer's keys; after a provider's key rotation, import its new JWKS."
        }
        JwtError::KeyNotValid { .. } => {
            "The key is outside its not_before/not_after window in tenant_guard.signing_keys: the provider signs with a retired key, or the new key's window has not begun."
        }
        JwtError::BadSignature => {
            "The token was not signed by a configured key, or was altered after signing."
        }
        JwtError::Expired { .. } | JwtError::NotYetValid { .. } | JwtError::IssuedInFuture { .. } => {
            "Get a fresh token; tenant_guard.jwt_leeway sets the clock skew allowed."
        }
        JwtError::MissingClaim(_) | JwtError::InvalidClaim(_) => {
            "exp is required and must be a number of seconds since 1970 (RFC 7519 NumericDate)."
        }
        JwtError::WrongAudience | JwtError::WrongIssuer => {
            "Compare the token's aud and iss with tenant_guard.jwt_audience and tenant_guard.jwt_issuer, and with the issuer and audience of its key in tenant_guard.signing_keys."
        }
    };
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
        format!("JWT rejected: {e}"),
        function,
    )
    .set_detail(format!("rule: {}", e.rule()))
    .set_hint(hint)
}

thread_local! {
    /// The claims `authenticate()` last made the transaction's (as the text
    /// set), with the kid of the key that verified them: for `whoami()`.
    static LAST_VERIFIED: RefCell<Option<(String, Option<String>)>> = const { RefCell::new(None) };
}

/// The kid that verified the current transaction's verified claims, if
/// `authenticate()` set them in this backend: `Some(None)` for a key
/// without kid (the HMAC secret).
pub fn verified_kid(current_claims: &str) -> Option<Option<String>> {
    LAST_VERIFIED.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(claims, _)| claims == current_claims)
            .map(|(_, kid)| kid.clone())
    })
}

/// Verifies `token`; its claims, or the error to raise.
fn verified(token: &str, function: &'static str) -> Result<Value, ErrorReport> {
    verified_with_key(token, function).map(|(claims, _)| claims)
}

/// [`verified`], with the kid of the key that verified the token.
fn verified_with_key(
    token: &str,
    function: &'static str,
) -> Result<(Value, Option<String>), ErrorReport> {
    if let Some(why) = gucs::secret_exposure() {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "tenant_guard.jwt_secret is not protected: tenant_guard must be preloaded",
            function,
        )
        .set_detail(why)
        .set_hint("Add tenant_guard to shared_preload_libraries and restart, then rotate the secret: it may have been read."));
    }
    let (claims, kid) = with_keys(|keys| {
        match keys {
        Ok(keys) => {
            jwt::verify_with_key(token, keys, &rules()).map_err(|e| rejected(&e, function))
        }
        Err(config) => Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("the configured JWT keys cannot be used: {config}"),
            function,
        )
        .set_hint("A superuser corrects tenant_guard.jwt_secret, tenant_guard.jwks or the row of tenant_guard.signing_keys named.")),
    }
    })?;
    Ok((Value::Object(claims), kid))
}

/// Makes verified claims the transaction's and returns them.
fn adopt((claims, kid): (Value, Option<String>)) -> JsonB {
    let text = claims.to_string();
    gucs::set_verified_claims(&text);
    LAST_VERIFIED.with(|c| *c.borrow_mut() = Some((text, kid)));
    JsonB(claims)
}

/// The bearer token of an `Authorization` header value; `Err` for another scheme.
fn bearer(header: &str) -> Result<&str, ErrorReport> {
    let header = header.trim();
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        _ => Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
            "JWT rejected: the Authorization header is not \"Bearer <token>\"",
            "authenticate_request",
        )
        .set_detail("rule: malformed")
        .set_hint("Send Authorization: Bearer <token>, or no Authorization header for anonymous requests.")),
    }
}

/// Verifies a compact JWS with the configured keys and rules and returns
/// its claims. Raises 28000 naming the rule that failed (the DETAIL holds
/// its code: `expired`, `bad_signature`, ...); never shows key material.
/// NULL for a NULL token.
#[pg_extern(volatile, parallel_safe, strict)]
pub fn verify_jwt(token: &str) -> Result<JsonB, ErrorReport> {
    verified(token, "verify_jwt").map(JsonB)
}

/// Verifies `token` and makes its claims the current transaction's
/// verified claims: `identity.*` then read them instead of any setting,
/// until COMMIT or ROLLBACK (or ROLLBACK TO an earlier savepoint).
/// Returns the claims.
#[pg_extern(volatile, parallel_unsafe, strict)]
pub fn authenticate(token: &str) -> Result<JsonB, ErrorReport> {
    verified_with_key(token, "authenticate").map(adopt)
}

/// For PostgREST's `db-pre-request`: authenticates the bearer token of the
/// request's `Authorization` header (from `request.headers`). Without the
/// header (an anonymous request) it does nothing and returns NULL.
#[pg_extern(volatile, parallel_unsafe)]
pub fn authenticate_request() -> Result<Option<JsonB>, ErrorReport> {
    let Some(headers) = gucs::read_setting("request.headers") else {
        return Ok(None);
    };
    let headers: Value = serde_json::from_str(&headers).map_err(|_| {
        ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "request.headers is not a JSON object",
            "authenticate_request",
        )
        .set_hint("PostgREST sets request.headers as a JSON object with lower-case names.")
    })?;
    let Some(headers) = headers.as_object() else {
        return Err(ErrorReport::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "request.headers is not a JSON object",
            "authenticate_request",
        ));
    };
    let header = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v);
    match header {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(h)) => {
            let token = bearer(h)?;
            verified_with_key(token, "authenticate_request").map(|claims| Some(adopt(claims)))
        }
        Some(_) => Err(bearer("").unwrap_err()),
    }
}
