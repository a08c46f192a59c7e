//! `verify`: one compact JWS in, its claims out, or the rule that failed.
//!
//! Order: size limit, keys configured, structure (three base64url parts, a
//! header that is a JSON object with a string `alg`), algorithm and key
//! choice (from the keys' allow-lists, never the header alone), signature,
//! then the payload (a JSON object) and its registered claims. The payload's
//! JSON is only parsed once its signature has verified.

use super::b64url;
use super::error::JwtError;
use super::keys::{algorithm_named, Key, KeySet};
use super::MAX_TOKEN_BYTES;
use crate::claims::Json;
use serde_json::{Map, Value};

/// A verified token's payload.
pub type Claims = Map<String, Value>;

/// What a valid token must satisfy besides its signature. `now` is Unix
/// seconds, passed in so tests (and callers) control the clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Accepted audiences; empty means `aud` is not checked.
    pub audience: Vec<String>,
    /// Accepted issuers; empty means `iss` is not checked.
    pub issuer: Vec<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway_secs: u64,
    pub now: u64,
}

#[derive(Clone, Copy)]
enum Part {
    Header,
    Payload,
}

impl Part {
    fn not_base64(self) -> &'static str {
        match self {
            Part::Header => "header is not unpadded base64url",
            Part::Payload => "payload is not unpadded base64url",
        }
    }
    fn not_json(self) -> &'static str {
        match self {
            Part::Header => "header is not UTF-8 JSON",
            Part::Payload => "payload is not UTF-8 JSON",
        }
    }
    fn not_object(self) -> &'static str {
        match self {
            Part::Header => "header is not a JSON object",
            Part::Payload => "payload is not a JSON object",
        }
    }
    fn duplicate(self) -> &'static str {
        match self {
            Part::Header => "header has a duplicate member name",
            Part::Payload => "payload has a duplicate member name (parsers disagree on which wins)",
        }
    }
}

/// Verifies a compact JWS (`header.payload.signature`) against `keys` and
/// `rules`, returning its payload.
///
/// Key choice: a `kid` in the header selects the keys with that kid (none:
/// `UnknownKey`; keys without a kid are not candidates then); without a
/// `kid`, every key whose allow-list holds the header's `alg` is tried.
///
/// Time rules (RFC 7519), with `L` the leeway: valid while `now < exp + L`,
/// so `exp == now - L` is expired; `nbf` and `iat` are accepted up to and
/// including `now + L`. Non-integer NumericDates are compared exactly.
pub fn verify(token: &str, keys: &KeySet, rules: &Rules) -> Result<Claims, JwtError> {
    verify_with_key(token, keys, rules).map(|(claims, _)| claims)
}

/// [`verify`], also returning the `kid` of the key that verified the token
/// (`None` for the HMAC secret and JWKS keys without one).
///
/// Keys from `tenant_guard.signing_keys` are candidates only inside their
/// `not_before`/`not_after` window (a `kid` naming only keys outside it:
/// `KeyNotValid`), and a token they verify must also satisfy their own
/// issuer and audience, when set.
pub fn verify_with_key(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
) -> Result<(Claims, Option<String>), JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge { len: token.len() });
    }
    if keys.is_empty() {
        return Err(JwtError::NoKeys);
    }
    let mut parts = token.split('.');
    let (Some(head), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed(
            "a compact JWS has exactly three dot-separated parts",
        ));
    };

    let header = parse_object(
        &b64url(head).ok_or(JwtError::Malformed(Part::Header.not_base64()))?,
        Part::Header,
    )?;
    let alg_text = match header.get("alg") {
        Some(Value::String(alg)) => alg,
        Some(_) => return Err(JwtError::Malformed("header alg is not a string")),
        None => return Err(JwtError::Malformed("header has no alg")),
    };
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid),
        Some(_) => return Err(JwtError::Malformed("header kid is not a string")),
    };
    if header.contains_key("crit") {
        return Err(JwtError::Malformed(
            "header has crit; no critical extension is supported",
        ));
    }
    let not_allowed = || JwtError::AlgorithmNotAllowed {
        alg: alg_text.clone(),
        kid: kid.cloned(),
    };
    // `none`, unknown names and wrong case end here.
    let alg = algorithm_named(alg_text).ok_or_else(not_allowed)?;

    let payload = b64url(body).ok_or(JwtError::Malformed(Part::Payload.not_base64()))?;
    if b64url(sig).is_none() {
        return Err(JwtError::Malformed("signature is not unpadded base64url"));
    }

    let candidates: Vec<&Key> = match kid {
        Some(kid) => {
            let named: Vec<&Key> = keys
                .keys()
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                .collect();
            if named.is_empty() {
                return Err(JwtError::UnknownKey { kid: kid.clone() });
            }
            let current: Vec<&Key> = named
                .into_iter()
                .filter(|k| k.valid_at(rules.now))
                .collect();
            if current.is_empty() {
                return Err(JwtError::KeyNotValid { kid: kid.clone() });
            }
            current.into_iter().filter(|k| k.allows(alg)).collect()
        }
        None => keys
            .keys()
            .iter()
            .filter(|k| k.allows(alg) && k.valid_at(rules.now))
            .collect(),
    };
    if candidates.is_empty() {
        return Err(not_allowed());
    }

    let message = &token.as_bytes()[..head.len() + 1 + body.len()];
    let Some(key) = candidates.into_iter().find(|key| {
        matches!(
            jsonwebtoken::crypto::verify(sig, message, &key.decoding, alg),
            Ok(true)
        )
    }) else {
        return Err(JwtError::BadSignature);
    };

    let claims = parse_object(&payload, Part::Payload)?;
    check_claims(&claims, rules)?;
    // The key's own limits, on top of the global rules.
    if let Some(aud) = &key.limits.audience {
        if !audience_ok(&claims, std::slice::from_ref(aud))? {
            return Err(JwtError::WrongAudience);
        }
    }
    if let Some(iss) = &key.limits.issuer {
        issuer_ok(&claims, std::slice::from_ref(iss))?;
    }
    Ok((claims, key.kid.clone()))
}

/// Does `aud` (a string or an array of strings) name one of `accepted`?
fn audience_ok(claims: &Claims, accepted: &[String]) -> Result<bool, JwtError> {
    let accepted = |aud: &str| accepted.iter().any(|a| a == aud);
    Ok(match claims.get("aud") {
        None => false,
        Some(Value::String(aud)) => accepted(aud),
        Some(Value::Array(items)) => {
            let mut any = false;
            for item in items {
                let Value::String(aud) = item else {
                    return Err(JwtError::InvalidClaim("aud"));
                };
                any |= accepted(aud);
            }
            any
        }
        Some(_) => return Err(JwtError::InvalidClaim("aud")),
    })
}

/// Is `iss` one of `accepted`?
fn issuer_ok(claims: &Claims, accepted: &[String]) -> Result<(), JwtError> {
    match claims.get("iss") {
        None => Err(JwtError::WrongIssuer),
        Some(Value::String(iss)) if accepted.iter().any(|i| i == iss) => Ok(()),
        Some(Value::String(_)) => Err(JwtError::WrongIssuer),
        Some(_) => Err(JwtError::InvalidClaim("iss")),
    }
}

/// Strict JSON object: UTF-8, no duplicate member names at any depth, no
/// U+0000 (which `jsonb` cannot store).
fn parse_object(bytes: &[u8], part: Part) -> Result<Map<String, Value>, JwtError> {
    let text = std::str::from_utf8(bytes).map_err(|_| JwtError::Malformed(part.not_json()))?;
    let json = Json::parse(text).map_err(|_| JwtError::Malformed(part.not_json()))?;
    if !matches!(json, Json::Obj(_)) {
        return Err(JwtError::Malformed(part.not_object()));
    }
    if json.contains_nul() {
        return Err(JwtError::Malformed(match part {
            Part::Header => "header contains U+0000",
            Part::Payload => "payload contains U+0000, which jsonb cannot store",
        }));
    }
    match to_value(json) {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed(part.duplicate())),
    }
}

/// `Json` -> `serde_json::Value`; `None` on a duplicate member name.
fn to_value(json: Json) -> Option<Value> {
    Some(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Num(n) => Value::Number(n),
        Json::Str(s) => Value::String(s),
        Json::Arr(items) => Value::Array(items.into_iter().map(to_value).collect::<Option<_>>()?),
        Json::Obj(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (k, v) in entries {
                if map.insert(k, to_value(v)?).is_some() {
                    return None;
                }
            }
            Value::Object(map)
        }
    })
}

/// A NumericDate: any finite JSON number (strings, `null`, ... are not).
fn numeric(value: &Value) -> Option<f64> {
    value.as_f64().filter(|f| f.is_finite())
}

fn check_claims(claims: &Claims, rules: &Rules) -> Result<(), JwtError> {
    let now = rules.now as f64;
    let leeway = rules.leeway_secs as f64;
    let leeway_secs = rules.leeway_secs;

    let exp = claims.get("exp").ok_or(JwtError::MissingClaim("exp"))?;
    let exp = numeric(exp).ok_or(JwtError::InvalidClaim("exp"))?;
    if now >= exp + leeway {
        return Err(JwtError::Expired { leeway_secs });
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = numeric(nbf).ok_or(JwtError::InvalidClaim("nbf"))?;
        if nbf > now + leeway {
            return Err(JwtError::NotYetValid { leeway_secs });
        }
    }
    if let Some(iat) = claims.get("iat") {
        let iat = numeric(iat).ok_or(JwtError::InvalidClaim("iat"))?;
        if iat > now + leeway {
            return Err(JwtError::IssuedInFuture { leeway_secs });
        }
    }

    if !rules.audience.is_empty() && !audience_ok(claims, &rules.audience)? {
        return Err(JwtError::WrongAudience);
    }
    if !rules.issuer.is_empty() {
        issuer_ok(claims, &rules.issuer)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(now: u64, leeway: u64) -> Rules {
        Rules {
            leeway_secs: leeway,
            now,
            ..Rules::default()
        }
    }

    fn check(claims: Value, rules: &Rules) -> Result<(), JwtError> {
        let Value::Object(map) = claims else {
            panic!("test claims must be an object")
        };
        check_claims(&map, rules)
    }

    #[test]
    fn exp_boundary_is_exclusive() {
        let r = rules(1000, 30);
        assert!(check(json!({"exp": 971}), &r).is_ok());
        assert_eq!(
            check(json!({"exp": 970}), &r),
            Err(JwtError::Expired { leeway_secs: 30 })
        );
        assert!(check(json!({"exp": 970.5}), &r).is_ok());
        assert!(check(json!({"exp": -1}), &r).is_err());
    }

    #[test]
    fn nbf_and_iat_boundaries_are_inclusive() {
        let r = rules(1000, 30);
        assert!(check(json!({"exp": 2000, "nbf": 1030, "iat": 1030}), &r).is_ok());
        assert_eq!(
            check(json!({"exp": 2000, "nbf": 1031}), &r),
            Err(JwtError::NotYetValid { leeway_secs: 30 })
        );
        assert_eq!(
            check(json!({"exp": 2000, "iat": 1031}), &r),
            Err(JwtError::IssuedInFuture { leeway_secs: 30 })
        );
    }

    #[test]
    fn claim_types() {
        let r = rules(1000, 0);
        for (claims, claim) in [
            (json!({}), JwtError::MissingClaim("exp")),
            (json!({"exp": "2000"}), JwtError::InvalidClaim("exp")),
            (json!({"exp": null}), JwtError::InvalidClaim("exp")),
            (
                json!({"exp": 2000, "nbf": "1"}),
                JwtError::InvalidClaim("nbf"),
            ),
            (
                json!({"exp": 2000, "iat": true}),
                JwtError::InvalidClaim("iat"),
            ),
        ] {
            assert_eq!(check(claims, &r), Err(claim));
        }
    }

    #[test]
    fn audience_and_issuer_only_when_configured() {
        let open = rules(1000, 0);
        assert!(check(json!({"exp": 2000, "aud": 5, "iss": []}), &open).is_ok());
        let r = Rules {
            audience: vec!["authenticated".into()],
            issuer: vec!["https://a.example/auth/v1".into()],
            ..rules(1000, 0)
        };
        let iss = "https://a.example/auth/v1";
        assert!(check(json!({"exp": 2000, "aud": "authenticated", "iss": iss}), &r).is_ok());
        assert!(check(
            json!({"exp": 2000, "aud": ["x", "authenticated"], "iss": iss}),
            &r
        )
        .is_ok());
        for (claims, err) in [
            (json!({"exp": 2000, "iss": iss}), JwtError::WrongAudience),
            (
                json!({"exp": 2000, "aud": [], "iss": iss}),
                JwtError::WrongAudience,
            ),
            (
                json!({"exp": 2000, "aud": ["x"], "iss": iss}),
                JwtError::WrongAudience,
            ),
            (
                json!({"exp": 2000, "aud": ["authenticated", 1], "iss": iss}),
                JwtError::InvalidClaim("aud"),
            ),
            (
                json!({"exp": 2000, "aud": "authenticated"}),
                JwtError::WrongIssuer,
            ),
            (
                json!({"exp": 2000, "aud": "authenticated", "iss": "x"}),
                JwtError::WrongIssuer,
            ),
            (
                json!({"exp": 2000, "aud": "authenticated", "iss": [iss]}),
                JwtError::InvalidClaim("iss"),
            ),
        ] {
            assert_eq!(check(claims.clone(), &r), Err(err), "{claims}");
        }
    }

    #[test]
    fn strict_objects() {
        let ok = parse_object(br#"{"a":{"b":1}}"#, Part::Payload).unwrap();
        assert_eq!(ok["a"]["b"], 1);
        for (text, reason) in [
            (&br#"{"a":1,"a":2}"#[..], Part::Payload.duplicate()),
            (br#"{"a":{"b":1,"b":1}}"#, Part::Payload.duplicate()),
            (br#"[1]"#, Part::Payload.not_object()),
            (
                br#"{"a":"\u0000"}"#,
                "payload contains U+0000, which jsonb cannot store",
            ),
            (b"{\"a\":\xff}", Part::Payload.not_json()),
            (b"{", Part::Payload.not_json()),
        ] {
            assert_eq!(
                parse_object(text, Part::Payload),
                Err(JwtError::Malformed(reason))
            );
        }
    }
}
