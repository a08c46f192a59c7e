//! Errors of token verification (`JwtError`) and of key configuration
//! (`KeyError`). Messages say which rule failed; they never contain key
//! material, and of the token they show at most the header's `alg` and `kid`
//! (truncated, control characters escaped).

use std::fmt;

/// Longest piece of header text (`alg`, `kid`) shown in a message.
const SHOWN_CHARS: usize = 64;

/// Why a token was rejected. `rule()` is a stable short code for logs and
/// tests; `Display` is the human message (safe to send to the client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Neither a secret nor a JWKS is configured.
    NoKeys,
    /// The token is longer than [`super::MAX_TOKEN_BYTES`]; nothing was decoded.
    TooLarge { len: usize },
    /// Not three base64url parts, bad JSON, a header or payload that is not a
    /// JSON object, duplicate member names, `crit`, ... The reason is fixed text.
    Malformed(&'static str),
    /// `alg` is `none`, unknown, or allowed by no candidate key.
    AlgorithmNotAllowed { alg: String, kid: Option<String> },
    /// The header's `kid` names no configured key.
    UnknownKey { kid: String },
    /// The keys with the header's `kid` (in `tenant_guard.signing_keys`) are
    /// outside their `not_before`/`not_after` window now.
    KeyNotValid { kid: String },
    /// No candidate key verifies the signature.
    BadSignature,
    /// A required registered claim (`exp`) is absent.
    MissingClaim(&'static str),
    /// A registered claim has the wrong JSON type (e.g. a string `exp`).
    InvalidClaim(&'static str),
    /// `exp + leeway <= now`.
    Expired { leeway_secs: u64 },
    /// `nbf > now + leeway`.
    NotYetValid { leeway_secs: u64 },
    /// `iat > now + leeway`.
    IssuedInFuture { leeway_secs: u64 },
    /// An audience is configured and `aud` is absent or names none of it.
    WrongAudience,
    /// An issuer is configured and `iss` is absent or not one of it.
    WrongIssuer,
}

impl JwtError {
    /// Short stable code naming the rule that failed.
    pub fn rule(&self) -> &'static str {
        match self {
            JwtError::NoKeys => "no_keys",
            JwtError::TooLarge { .. } => "token_too_large",
            JwtError::Malformed(_) => "malformed",
            JwtError::AlgorithmNotAllowed { .. } => "alg_not_allowed",
            JwtError::UnknownKey { .. } => "unknown_kid",
            JwtError::KeyNotValid { .. } => "key_not_valid",
            JwtError::BadSignature => "bad_signature",
            JwtError::MissingClaim(_) => "missing_claim",
            JwtError::InvalidClaim(_) => "invalid_claim",
            JwtError::Expired { .. } => "expired",
            JwtError::NotYetValid { .. } => "not_yet_valid",
            JwtError::IssuedInFuture { .. } => "issued_in_future",
            JwtError::WrongAudience => "wrong_audience",
            JwtError::WrongIssuer => "wrong_issuer",
        }
    }

    /// The human message (same as `to_string()`).
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::NoKeys => f.write_str(
                "no verification key is configured (set tenant_guard.jwt_secret or tenant_guard.jwks, or add keys to tenant_guard.signing_keys)",
            ),
            JwtError::TooLarge { len } => write!(
                f,
                "token is {len} bytes, over the {} byte limit; it was not decoded",
                super::MAX_TOKEN_BYTES
            ),
            JwtError::Malformed(reason) => write!(f, "malformed token: {reason}"),
            JwtError::AlgorithmNotAllowed { alg, kid: None } => write!(
                f,
                "algorithm {} is not allowed by any configured key",
                shown(alg)
            ),
            JwtError::AlgorithmNotAllowed { alg, kid: Some(kid) } => write!(
                f,
                "algorithm {} is not allowed by the key with kid {}",
                shown(alg),
                shown(kid)
            ),
            JwtError::UnknownKey { kid } => write!(
                f,
                "no configured key has kid {} (a key without kid, such as the HMAC secret, \
                 is never chosen for a token that names a kid)",
                shown(kid)
            ),
            JwtError::KeyNotValid { kid } => write!(
                f,
                "the key with kid {} is not valid now (before its not_before or after its not_after)",
                shown(kid)
            ),
            JwtError::BadSignature => f.write_str("signature does not verify"),
            JwtError::MissingClaim(claim) => write!(f, "claim \"{claim}\" is required"),
            JwtError::InvalidClaim(claim) => match *claim {
                "aud" => f.write_str("claim \"aud\" must be a string or an array of strings"),
                "iss" => f.write_str("claim \"iss\" must be a string"),
                _ => write!(f, "claim \"{claim}\" must be a number (NumericDate)"),
            },
            JwtError::Expired { leeway_secs } => write!(
                f,
                "token has expired (exp is not after now minus the {leeway_secs} s leeway)"
            ),
            JwtError::NotYetValid { leeway_secs } => write!(
                f,
                "token is not valid yet (nbf is more than the {leeway_secs} s leeway in the future)"
            ),
            JwtError::IssuedInFuture { leeway_secs } => write!(
                f,
                "token was issued in the future (iat is more than the {leeway_secs} s leeway ahead)"
            ),
            JwtError::WrongAudience => {
                f.write_str("claim \"aud\" is absent or names no accepted audience")
            }
            JwtError::WrongIssuer => f.write_str("claim \"iss\" is absent or not an accepted issuer"),
        }
    }
}

impl std::error::Error for JwtError {}

/// A key configuration that cannot be used. The message names the source
/// (the HMAC secret, or the JWKS and the key's index and kid) and never
/// contains key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    message: String,
}

impl KeyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        KeyError {
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeyError {}

/// Header text as shown in messages: quoted, at most `SHOWN_CHARS`
/// characters, control characters escaped.
pub(crate) fn shown(text: &str) -> String {
    let mut cut: String = text.chars().take(SHOWN_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_truncates_and_escapes() {
        assert_eq!(shown("RS256"), "\"RS256\"");
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(1000);
        assert_eq!(shown(&long).chars().count(), SHOWN_CHARS + 3);
    }

    #[test]
    fn every_rule_code_is_distinct() {
        let all = [
            JwtError::NoKeys,
            JwtError::TooLarge { len: 1 },
            JwtError::Malformed("x"),
            JwtError::AlgorithmNotAllowed {
                alg: "none".into(),
                kid: None,
            },
            JwtError::UnknownKey { kid: "k".into() },
            JwtError::BadSignature,
            JwtError::MissingClaim("exp"),
            JwtError::InvalidClaim("exp"),
            JwtError::Expired { leeway_secs: 0 },
            JwtError::NotYetValid { leeway_secs: 0 },
            JwtError::IssuedInFuture { leeway_secs: 0 },
            JwtError::WrongAudience,
            JwtError::WrongIssuer,
        ];
        let mut codes: Vec<_> = all.iter().map(JwtError::rule).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|e| !e.message().is_empty()));
    }
}
