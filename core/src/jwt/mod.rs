//! JWT verification (RFC 7519 / RFC 8725) for `tenant_guard.verify_jwt` and
//! `authenticate`: a [`KeySet`] parsed once from the HMAC secret and the JWKS,
//! and [`verify`], which checks a compact JWS against it and [`Rules`].
//!
//! Signatures are checked by the `jsonwebtoken` crate (>= 10.3, aws-lc
//! backend); everything around them (key choice, structure, claims, time) is
//! decided here, so that the algorithm always comes from the key's allow-list,
//! `exp` is required and numeric, and `now` is an input.

mod error;
mod keys;
mod verify;

pub use error::{JwtError, KeyError};
pub use keys::{KeyInfo, KeyRow, KeySet, KeySource, MIN_SECRET_BYTES};
pub use verify::{verify, verify_with_key, Claims, Rules};

/// Longest token accepted (bytes); longer ones are rejected before decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Strict base64url: the URL-safe alphabet, no padding, no non-zero trailing
/// bits (so one signature has exactly one encoding).
pub(crate) fn b64url(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    URL_SAFE_NO_PAD.decode(text).ok()
}
