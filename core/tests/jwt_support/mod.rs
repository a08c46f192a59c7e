//! Test keys and tokens for the JWT tests. Every key is generated here, per
//! test run, with aws-lc; no private key is stored in the repository.
#![allow(dead_code)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
    ECDSA_P384_SHA384_FIXED_SIGNING,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::OnceLock;
use tenant_guard_core::jwt::{verify, JwtError, KeySet, Rules};

pub const NOW: u64 = 1_750_000_000;
pub const LEEWAY: u64 = 30;
pub const AUD: &str = "authenticated";
pub const ISS: &str = "https://issuer.test/auth/v1";
/// The HMAC secret configured in tests (40 bytes).
pub const SECRET: &str = "test-only-hmac-secret-0123456789abcdefgh";

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text)
        .expect("test token part is base64url")
}

/// The rules every test uses unless it says otherwise.
pub fn rules() -> Rules {
    Rules {
        audience: vec![AUD.into()],
        issuer: vec![ISS.into()],
        leeway_secs: LEEWAY,
        now: NOW,
    }
}

/// Claims that pass `rules()`.
pub fn claims() -> Value {
    json!({
        "sub": "7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f",
        "role": "authenticated",
        "aud": AUD,
        "iss": ISS,
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "exp": NOW + 3600,
        "app_metadata": {"org_id": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}
    })
}

/// `claims()` with `changes` merged in (a `null` value removes the claim).
pub fn claims_with(changes: Value) -> Value {
    let mut c = claims();
    for (k, v) in changes.as_object().expect("changes object") {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

pub struct Rsa {
    /// PKCS#1 RSAPrivateKey DER (what jsonwebtoken's aws-lc signer takes).
    pub pkcs1: Vec<u8>,
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    /// SubjectPublicKeyInfo DER and PEM of the public key.
    pub spki_der: Vec<u8>,
    pub spki_pem: String,
}

pub struct Ec {
    pub pkcs8: Vec<u8>,
    pub x: Vec<u8>,
    pub y: Vec<u8>,
}

pub struct Ed {
    pub pkcs8: Vec<u8>,
    pub x: Vec<u8>,
}

fn new_rsa() -> Rsa {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA keygen");
    let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
        .expect("PKCS#8")
        .as_ref()
        .to_vec();
    let public = pair.public_key();
    let components = PublicKeyComponents::<Vec<u8>>::from(public);
    let spki_der = public.as_der().expect("SPKI").as_ref().to_vec();
    let body = STANDARD.encode(&spki_der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let spki_pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    Rsa {
        pkcs1: pkcs8_inner_key(&pkcs8),
        n: components.n,
        e: components.e,
        spki_der,
        spki_pem,
    }
}

pub fn rsa() -> &'static Rsa {
    static KEY: OnceLock<Rsa> = OnceLock::new();
    KEY.get_or_init(new_rsa)
}

/// A second, unrelated RSA key.
pub fn rsa_other() -> &'static Rsa {
    static KEY: OnceLock<Rsa> = OnceLock::new();
    KEY.get_or_init(new_rsa)
}

fn new_ec(p384: bool) -> Ec {
    let (alg, len) = if p384 {
        (&ECDSA_P384_SHA384_FIXED_SIGNING, 48)
    } else {
        (&ECDSA_P256_SHA256_FIXED_SIGNING, 32)
    };
    let pair = EcdsaKeyPair::generate(alg).expect("EC keygen");
    let point = pair.public_key().as_ref();
    assert_eq!(point[0], 4, "uncompressed point");
    Ec {
        pkcs8: pair.to_pkcs8v1().expect("PKCS#8").as_ref().to_vec(),
        x: point[1..1 + len].to_vec(),
        y: point[1 + len..].to_vec(),
    }
}

pub fn p256() -> &'static Ec {
    static KEY: OnceLock<Ec> = OnceLock::new();
    KEY.get_or_init(|| new_ec(false))
}

pub fn p384() -> &'static Ec {
    static KEY: OnceLock<Ec> = OnceLock::new();
    KEY.get_or_init(|| new_ec(true))
}

pub fn ed() -> &'static Ed {
    static KEY: OnceLock<Ed> = OnceLock::new();
    KEY.get_or_init(|| {
        let pair = Ed25519KeyPair::generate().expect("Ed25519 keygen");
        Ed {
            pkcs8: pair.to_pkcs8().expect("PKCS#8").as_ref().to_vec(),
            x: pair.public_key().as_ref().to_vec(),
        }
    })
}

/// The privateKey OCTET STRING of a PKCS#8 PrivateKeyInfo (for RSA: the
/// PKCS#1 RSAPrivateKey).
fn pkcs8_inner_key(der: &[u8]) -> Vec<u8> {
    fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
        let tag = der[0];
        let (len, header) = match der[1] {
            n if n < 0x80 => (n as usize, 2),
            n => {
                let count = (n & 0x7f) as usize;
                let len = der[2..2 + count]
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | *b as usize);
                (len, 2 + count)
            }
        };
        (tag, &der[header..header + len], &der[header + len..])
    }
    let (tag, info, _) = tlv(der);
    assert_eq!(tag, 0x30);
    let (_, _, rest) = tlv(info); // version
    let (_, _, rest) = tlv(rest); // algorithm
    let (tag, key, _) = tlv(rest);
    assert_eq!(tag, 0x04);
    key.to_vec()
}

// ---------------------------------------------------------------------------
// JWKs (public parts only)
// ---------------------------------------------------------------------------

fn with(mut jwk: Value, kid: Option<&str>, alg: Option<&str>) -> Value {
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    if let Some(alg) = alg {
        jwk["alg"] = json!(alg);
    }
    jwk
}

pub fn rsa_jwk(key: &Rsa, kid: Option<&str>, alg: Option<&str>) -> Value {
    with(
        json!({"kty": "RSA", "use": "sig", "n": b64(&key.n), "e": b64(&key.e)}),
        kid,
        alg,
    )
}

pub fn ec_jwk(key: &Ec, kid: Option<&str>, alg: Option<&str>) -> Value {
    let crv = if key.x.len() == 48 { "P-384" } else { "P-256" };
    with(
        json!({"kty": "EC", "crv": crv, "x": b64(&key.x), "y": b64(&key.y)}),
        kid,
        alg,
    )
}

pub fn ed_jwk(key: &Ed, kid: Option<&str>, alg: Option<&str>) -> Value {
    with(
        json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&key.x)}),
        kid,
        alg,
    )
}

pub fn oct_jwk(secret: &[u8], kid: Option<&str>, alg: Option<&str>) -> Value {
    with(json!({"kty": "oct", "k": b64(secret)}), kid, alg)
}

pub fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

pub fn keyset(secret: Option<&str>, keys: &[Value]) -> KeySet {
    let doc = (!keys.is_empty()).then(|| jwks(keys));
    KeySet::new(secret, doc.as_deref()).expect("test key set is valid")
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

pub fn rsa_signer(key: &Rsa) -> EncodingKey {
    EncodingKey::from_rsa_der(&key.pkcs1)
}

pub fn ec_signer(key: &Ec) -> EncodingKey {
    EncodingKey::from_ec_der(&key.pkcs8)
}

pub fn ed_signer(key: &Ed) -> EncodingKey {
    EncodingKey::from_ed_der(&key.pkcs8)
}

pub fn hmac_signer(secret: &[u8]) -> EncodingKey {
    EncodingKey::from_secret(secret)
}

/// A token made by `jsonwebtoken::encode`.
pub fn token(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("encode")
}

/// A token from raw header and payload text, signed as `alg` with `key`.
pub fn raw_token(header: &str, payload: &str, alg: Algorithm, key: &EncodingKey) -> String {
    let message = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).expect("sign");
    format!("{message}.{sig}")
}

/// A token with an arbitrary (unsigned) signature part.
pub fn unsigned_token(header: &str, payload: &str, sig: &str) -> String {
    format!(
        "{}.{}.{sig}",
        b64(header.as_bytes()),
        b64(payload.as_bytes())
    )
}

// ---------------------------------------------------------------------------
// Shared fixtures and assertions
// ---------------------------------------------------------------------------

/// Secret + one key of every asymmetric type, all with kids.
pub fn all_keys() -> KeySet {
    keyset(
        Some(SECRET),
        &[
            rsa_jwk(rsa(), Some("rsa-1"), None),
            ec_jwk(p256(), Some("ec-256"), None),
            ec_jwk(p384(), Some("ec-384"), None),
            ed_jwk(ed(), Some("ed-1"), None),
            oct_jwk(
                b"an-oct-jwk-secret-of-at-least-32-bytes!",
                Some("oct-1"),
                None,
            ),
        ],
    )
}

/// Only the RSA key, without kid.
pub fn rsa_only() -> KeySet {
    keyset(None, &[rsa_jwk(rsa(), None, None)])
}

/// An HS256 token signed with `SECRET`.
pub fn hs256(claims: &Value) -> String {
    token(
        Algorithm::HS256,
        None,
        claims,
        &hmac_signer(SECRET.as_bytes()),
    )
}

/// Asserts the exact error, and that its message shows neither the secret
/// nor the token's payload.
pub fn expect_err(token: &str, keys: &KeySet, rules: &Rules, want: JwtError) {
    let got = verify(token, keys, rules);
    assert_eq!(got, Err(want.clone()), "token {:.80}...", token);
    // No message echoes the secret or the token's payload.
    let message = want.message();
    assert!(!message.contains(SECRET));
    if let Some(payload) = token.split('.').nth(1).filter(|p| p.len() > 8) {
        assert!(!message.contains(payload), "{message}");
    }
}

pub fn not_allowed(alg: &str, kid: Option<&str>) -> JwtError {
    JwtError::AlgorithmNotAllowed {
        alg: alg.into(),
        kid: kid.map(str::to_owned),
    }
}
