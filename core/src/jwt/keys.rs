//! The configured verification keys, parsed once. Each key carries the
//! algorithms it may verify, derived from the key itself (its JWK `alg` when
//! present and consistent with `kty`/`crv`, else every algorithm of its
//! family and curve): the token header can only pick among those.
//!
//! Keys are also checked with aws-lc at load time (RSA modulus and exponent,
//! EC point on the curve, Ed25519 point), so a broken key is reported here,
//! naming it, instead of as a bad signature on every token.

use super::b64url;
use super::error::{shown, KeyError};
use aws_lc_rs::signature::{
    ParsedPublicKey, RsaPublicKeyComponents, ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED,
    ED25519, RSA_PKCS1_2048_8192_SHA256,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use std::fmt;

/// Shortest accepted HMAC key (secret or JWK `oct`): 256 bits, RFC 7518 §3.2.
pub const MIN_SECRET_BYTES: usize = 32;
const MIN_RSA_BITS: usize = 2048;
const MAX_RSA_BITS: usize = 8192;

const HMAC: &[Algorithm] = &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
const RSA: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Every algorithm this verifier supports, by its JOSE name.
const NAMES: &[(&str, Algorithm)] = &[
    ("HS256", Algorithm::HS256),
    ("HS384", Algorithm::HS384),
    ("HS512", Algorithm::HS512),
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

/// The supported algorithm with this JOSE name (exact, case-sensitive).
pub(crate) fn algorithm_named(name: &str) -> Option<Algorithm> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

pub(crate) fn algorithm_name(alg: Algorithm) -> &'static str {
    NAMES
        .iter()
        .find(|(_, a)| *a == alg)
        .map_or("?", |(n, _)| n)
}

/// Where a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The HMAC secret (text, used as raw UTF-8 bytes).
    Secret,
    /// The JWKS, at this index of its `keys` array.
    Jwks { index: usize },
    /// A row of `tenant_guard.signing_keys`.
    Table,
}

/// A row of `tenant_guard.signing_keys`: a JWK, the algorithm it verifies,
/// and what it is limited to (times are Unix seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    /// The JWK as JSON text.
    pub jwk: String,
    /// When set, tokens verified by this key must have this `iss`.
    pub issuer: Option<String>,
    /// When set, tokens verified by this key must name this audience.
    pub audience: Option<String>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
}

/// What a table key is limited to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) not_before: Option<i64>,
    pub(crate) not_after: Option<i64>,
}

/// What a configured key is, without its material (for `explain`-style output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub source: KeySource,
    pub kid: Option<String>,
    /// `oct`, `RSA`, `EC P-256`, `EC P-384` or `OKP Ed25519`.
    pub kind: &'static str,
    /// JOSE names of the algorithms this key verifies.
    pub algorithms: Vec<&'static str>,
}

#[derive(Clone)]
pub(crate) struct Key {
    pub(crate) kid: Option<String>,
    pub(crate) source: KeySource,
    pub(crate) kind: &'static str,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) decoding: DecodingKey,
    pub(crate) limits: Limits,
}

impl Key {
    pub(crate) fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }

    /// Inside its validity window at `now` (Unix seconds): `not_before <=
    /// now < not_after`. Keys without a window always are.
    pub(crate) fn valid_at(&self, now: u64) -> bool {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        self.limits.not_before.is_none_or(|t| t <= now)
            && self.limits.not_after.is_none_or(|t| now < t)
    }
}

/// The verification keys: an optional HMAC secret and the usable keys of an
/// optional JWKS. Build once and reuse.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<Key>,
    skipped: Vec<String>,
}

impl KeySet {
    /// Parses the HMAC secret (HS256/384/512; at least [`MIN_SECRET_BYTES`]
    /// bytes) and the JWKS document (`{"keys": [...]}`). `None` or an empty
    /// string means "not configured"; an empty result is not an error here
    /// (verification then fails with `NoKeys`). JWKS entries that are not for
    /// signature verification or of an unsupported type are skipped and
    /// listed by [`KeySet::skipped`]; a JWKS with no usable key is an error.
    pub fn new(hmac_secret: Option<&str>, jwks: Option<&str>) -> Result<KeySet, KeyError> {
        let mut set = KeySet::default();
        if let Some(secret) = hmac_secret.filter(|s| !s.is_empty()) {
            if secret.len() < MIN_SECRET_BYTES {
                return Err(KeyError::new(format!(
                    "HMAC secret is shorter than {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2 requires \
                     a key at least as long as the hash output)"
                )));
            }
            set.keys.push(Key {
                kid: None,
                source: KeySource::Secret,
                kind: "oct",
                algorithms: HMAC.to_vec(),
                decoding: DecodingKey::from_secret(secret.as_bytes()),
                limits: Limits::default(),
            });
        }
        if let Some(text) = jwks.filter(|t| !t.trim().is_empty()) {
            set.add_jwks(text)?;
        }
        Ok(set)
    }

    fn add_jwks(&mut self, text: &str) -> Result<(), KeyError> {
        let list = jwks_entries(text)?;
        let before = self.keys.len();
        for (index, entry) in list.iter().enumerate() {
            match parse_jwk(KeySource::Jwks { index }, entry)? {
                Parsed::Key(key) => self.keys.push(*key),
                Parsed::Skipped(why) => self.skipped.push(why),
            }
        }
        if self.keys.len() == before {
            let mut message = String::from("JWKS has no usable signature verification key");
            if !self.skipped.is_empty() {
                message.push_str(": ");
                message.push_str(&self.skipped.join("; "));
            }
            return Err(KeyError::new(message));
        }
        Ok(())
    }

    /// Adds the rows of `tenant_guard.signing_keys`. A row that cannot be
    /// used is an error naming its kid (never its material).
    pub fn add_rows(&mut self, rows: &[KeyRow]) -> Result<(), KeyError> {
        for row in rows {
            self.keys.push(table_key(row)?);
        }
        Ok(())
    }

    /// Checks one row as `tenant_guard.signing_keys` would use it.
    pub fn check_row(row: &KeyRow) -> Result<KeyInfo, KeyError> {
        let key = table_key(row)?;
        Ok(KeyInfo {
            source: key.source,
            kid: key.kid,
            kind: key.kind,
            algorithms: key.algorithms.iter().map(|a| algorithm_name(*a)).collect(),
        })
    }

    /// The JWKs of a JWKS document as table rows to store, with what was
    /// skipped (not for signatures, unsupported) and why. Errors as for
    /// `tenant_guard.jwks`. A usable key without `kid` or `alg` is given
    /// them: `key-<n>` after its place in the document, and the first
    /// algorithm it allows (RSA keys without `alg`: RS256).
    pub fn rows_from_jwks(text: &str) -> Result<(Vec<KeyRow>, Vec<String>), KeyError> {
        let list = jwks_entries(text)?;
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        for (index, entry) in list.iter().enumerate() {
            match parse_jwk(KeySource::Jwks { index }, entry)? {
                Parsed::Skipped(why) => skipped.push(why),
                Parsed::Key(key) => {
                    let mut jwk = entry.clone();
                    let alg = match entry.get("alg").and_then(Value::as_str) {
                        Some(a) => a.to_owned(),
                        None => algorithm_name(key.algorithms[0]).to_owned(),
                    };
                    let kid = key.kid.clone().unwrap_or_else(|| format!("key-{index}"));
                    if let Some(obj) = jwk.as_object_mut() {
                        obj.insert("kid".into(), Value::String(kid.clone()));
                        obj.insert("alg".into(), Value::String(alg.clone()));
                    }
                    rows.push(KeyRow {
                        kid,
                        alg,
                        jwk: jwk.to_string(),
                        ..KeyRow::default()
                    });
                }
            }
        }
        Ok((rows, skipped))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Each usable key, without material.
    pub fn describe(&self) -> Vec<KeyInfo> {
        self.keys
            .iter()
            .map(|k| KeyInfo {
                source: k.source,
                kid: k.kid.clone(),
                kind: k.kind,
                algorithms: k.algorithms.iter().map(|a| algorithm_name(*a)).collect(),
            })
            .collect()
    }

    /// One line per JWKS entry that was skipped, and why.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    pub(crate) fn keys(&self) -> &[Key] {
        &self.keys
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("keys", &self.describe())
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// The entries of a JWKS document's `keys` array. Only the position of a
/// JSON error is reported: serde_json's message could quote input.
fn jwks_entries(text: &str) -> Result<Vec<Value>, KeyError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        KeyError::new(format!(
            "JWKS is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let keys = match doc {
        Value::Object(mut members) => members.remove("keys"),
        _ => None,
    };
    match keys {
        Some(Value::Array(entries)) => Ok(entries),
        Some(_) => Err(KeyError::new("JWKS \"keys\" must be an array")),
        None => Err(KeyError::new(
            "JWKS must be a JSON object with a \"keys\" array",
        )),
    }
}

enum Parsed {
    Key(Box<Key>),
    Skipped(String),
}

/// A `tenant_guard.signing_keys` row as a key: its JWK with the row's kid
/// and alg (a JWK that says otherwise is an error), limited as the row says.
fn table_key(row: &KeyRow) -> Result<Key, KeyError> {
    let label = format!("signing key (kid {})", shown(&row.kid));
    let fail = |why: &str| Err(KeyError::new(format!("{label}: {why}")));
    if row.kid.is_empty() {
        return fail("kid must not be empty");
    }
    let Ok(mut jwk) = serde_json::from_str::<Value>(&row.jwk) else {
        return fail("key is not valid JSON");
    };
    let Some(obj) = jwk.as_object_mut() else {
        return fail("key must be a JWK (a JSON object)");
    };
    for (member, value) in [("kid", &row.kid), ("alg", &row.alg)] {
        match obj.get(member) {
            None => {
                obj.insert(member.into(), Value::String(value.clone()));
            }
            Some(Value::String(v)) if v == value => {}
            Some(_) => {
                return fail(&format!(
                    "the JWK's {member} differs from the row's {member}"
                ))
            }
        }
    }
    if let (Some(nb), Some(na)) = (row.not_before, row.not_after) {
        if na <= nb {
            return fail("not_after must be later than not_before");
        }
    }
    match parse_jwk(KeySource::Table, &jwk)? {
        Parsed::Skipped(why) => fail(&format!("not usable: {why}")),
        Parsed::Key(mut key) => {
            key.limits = Limits {
                issuer: row.issuer.clone().filter(|s| !s.is_empty()),
                audience: row.audience.clone().filter(|s| !s.is_empty()),
                not_before: row.not_before,
                not_after: row.not_after,
            };
            Ok(*key)
        }
    }
}

/// One JWK. Skipped: not for signatures, or a type, curve or algorithm this
/// verifier does not support. Error: anything inconsistent or broken in a key
/// that claims to be usable.
fn parse_jwk(source: KeySource, entry: &Value) -> Result<Parsed, KeyError> {
    let place = match source {
        KeySource::Jwks { index } => format!("JWKS key {index}"),
        _ => "signing key".to_owned(),
    };
    let Some(obj) = entry.as_object() else {
        return Err(KeyError::new(format!("{place}: not a JSON object")));
    };
    let kid = match obj.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(KeyError::new(format!("{place}: kid must be a string"))),
    };
    let label = match &kid {
        Some(kid) => format!("{place} (kid {})", shown(kid)),
        None => place,
    };
    let fail = |why: String| Err(KeyError::new(format!("{label}: {why}")));
    let skip = |why: String| Ok(Parsed::Skipped(format!("{label} skipped: {why}")));

    match obj.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(Value::String(u)) => return skip(format!("use is {}, not \"sig\"", shown(u))),
        Some(_) => return fail("use must be a string".into()),
    }
    match obj.get("key_ops") {
        None => {}
        Some(Value::Array(ops)) => {
            if !ops.iter().all(Value::is_string) {
                return fail("key_ops must be an array of strings".into());
            }
            if !ops.iter().any(|op| op == "verify") {
                return skip("key_ops does not include \"verify\"".into());
            }
        }
        Some(_) => return fail("key_ops must be an array of strings".into()),
    }
    let kty = match obj.get("kty") {
        Some(Value::String(kty)) => kty.as_str(),
        Some(_) => return fail("kty must be a string".into()),
        None => return fail("kty is missing".into()),
    };
    let crv = match obj.get("crv") {
        None => None,
        Some(Value::String(crv)) => Some(crv.as_str()),
        Some(_) => return fail("crv must be a string".into()),
    };
    let (kind, family): (&'static str, &[Algorithm]) = match (kty, crv) {
        ("oct", _) => ("oct", HMAC),
        ("RSA", _) => ("RSA", RSA),
        ("EC", Some("P-256")) => ("EC P-256", &[Algorithm::ES256]),
        ("EC", Some("P-384")) => ("EC P-384", &[Algorithm::ES384]),
        ("OKP", Some("Ed25519")) => ("OKP Ed25519", &[Algorithm::EdDSA]),
        ("EC" | "OKP", None) => return fail(format!("kty {kty} needs crv")),
        ("EC" | "OKP", Some(crv)) => return skip(format!("curve {} is not supported", shown(crv))),
        _ => return skip(format!("kty {} is not supported", shown(kty))),
    };
    let algorithms = match obj.get("alg") {
        None => family.to_vec(),
        Some(Value::String(name)) if name == "none" => {
            return fail("alg \"none\" is never accepted".into())
        }
        Some(Value::String(name)) => match algorithm_named(name) {
            Some(alg) if family.contains(&alg) => vec![alg],
            Some(_) => return fail(format!("alg {} does not fit a {kind} key", shown(name))),
            None => {
                return skip(format!(
                    "alg {} is not a supported signature algorithm",
                    shown(name)
                ))
            }
        },
        Some(_) => return fail("alg must be a string".into()),
    };
    if kty != "oct" {
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
            if obj.contains_key(private) {
                return fail(format!(
                    "holds the private key parameter \"{private}\"; configure public keys only"
                ));
            }
        }
    }
    let decoding = match material(kind, obj) {
        Ok(decoding) => decoding,
        Err(why) => return fail(why),
    };
    Ok(Parsed::Key(Box::new(Key {
        kid,
        source,
        kind,
        algorithms,
        decoding,
        limits: Limits::default(),
    })))
}

/// A base64url (unpadded) member, decoded. The message names the member only.
fn member(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    match obj.get(name) {
        None => Err(format!("\"{name}\" is missing")),
        Some(Value::String(text)) => {
            b64url(text).ok_or_else(|| format!("\"{name}\" is not unpadded base64url"))
        }
        Some(_) => Err(format!("\"{name}\" must be a string")),
    }
}

fn material(kind: &'static str, obj: &Map<String, Value>) -> Result<DecodingKey, String> {
    match kind {
        "oct" => {
            let k = member(obj, "k")?;
            if k.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "\"k\" is shorter than {MIN_SECRET_BYTES} bytes (RFC 7518 §3.2)"
                ));
            }
            Ok(DecodingKey::from_secret(&k))
        }
        "RSA" => {
            let n = member(obj, "n")?;
            let e = member(obj, "e")?;
            let bits = bit_length(&n);
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                return Err(format!(
                    "RSA modulus is {bits} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"
                ));
            }
            let components = RsaPublicKeyComponents {
                n: n.as_slice(),
                e: e.as_slice(),
            };
            components
                .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
                .map_err(|_| "\"n\"/\"e\" do not form a valid RSA public key".to_string())?;
            Ok(DecodingKey::from_rsa_raw_components(&n, &e))
        }
        "EC P-256" | "EC P-384" => {
            let (len, alg) = if kind == "EC P-256" {
                (32, &ECDSA_P256_SHA256_FIXED)
            } else {
                (48, &ECDSA_P384_SHA384_FIXED)
            };
            let x = member(obj, "x")?;
            let y = member(obj, "y")?;
            if x.len() != len || y.len() != len {
                return Err(format!("\"x\" and \"y\" must be {len} bytes each"));
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            ParsedPublicKey::new(alg, &point)
                .map_err(|_| "\"x\"/\"y\" are not a point on the curve".to_string())?;
            Ok(DecodingKey::from_ec_der(&point))
        }
        "OKP Ed25519" => {
            let x = member(obj, "x")?;
            if x.len() != 32 {
                return Err("\"x\" must be 32 bytes".into());
            }
            ParsedPublicKey::new(&ED25519, &x)
                .map_err(|_| "\"x\" is not a valid Ed25519 public key".to_string())?;
            Ok(DecodingKey::from_ed_der(&x))
        }
        _ => Err(format!("key type {kind} has no parser")),
    }
}

/// Bits of a big-endian unsigned integer, leading zero bytes ignored.
fn bit_length(bytes: &[u8]) -> usize {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    match bytes.get(start) {
        None => 0,
        Some(first) => (bytes.len() - start) * 8 - first.leading_zeros() as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, alg) in NAMES {
            assert_eq!(algorithm_named(name), Some(*alg));
            assert_eq!(algorithm_name(*alg), *name);
        }
        assert_eq!(algorithm_named("none"), None);
        assert_eq!(algorithm_named("hs256"), None);
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f; 256]), 2047);
    }

    #[test]
    fn secret_length_and_absence() {
        assert!(KeySet::new(None, None).unwrap().is_empty());
        assert!(KeySet::new(Some(""), Some("  ")).unwrap().is_empty());
        let err = KeySet::new(Some("short-secret"), None).unwrap_err();
        assert!(!err.message().contains("short-secret"), "{err}");
        let set = KeySet::new(Some(&"s".repeat(32)), None).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.describe()[0].algorithms, ["HS256", "HS384", "HS512"]);
        assert!(!format!("{set:?}").contains("sss"));
    }
}
