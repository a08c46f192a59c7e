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

/// `secs` since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (years 1970 to 9999), else `None`.
pub fn utc_text(secs: f64) -> Option<String> {
    if !(0.0..253_402_300_800.0).contains(&secs) {
        return None;
    }
    let secs = secs.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    ))
}

#[cfg(test)]
mod utc_tests {
    #[test]
    fn utc_text_formats_known_instants() {
        assert_eq!(
            super::utc_text(0.0).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(
            super::utc_text(951_782_400.0).as_deref(),
            Some("2000-02-29T00:00:00Z")
        );
        assert_eq!(
            super::utc_text(4_102_444_800.0).as_deref(),
            Some("2100-01-01T00:00:00Z")
        );
        assert_eq!(
            super::utc_text(1_767_225_599.5).as_deref(),
            Some("2025-12-31T23:59:59Z")
        );
        assert_eq!(super::utc_text(-1.0), None);
        assert_eq!(super::utc_text(1e300), None);
        assert_eq!(super::utc_text(f64::NAN), None);
    }
}
