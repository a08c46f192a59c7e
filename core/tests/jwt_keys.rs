//! KeySet parsing: which JWKS entries are used, skipped or refused, the
//! allow-list each key gets, and that no message carries key material.

mod jwt_support;

use jwt_support::*;
use serde_json::{json, Value};
use tenant_guard_core::jwt::{KeyInfo, KeySet, KeySource};

fn parse(keys: &[Value]) -> Result<KeySet, String> {
    KeySet::new(None, Some(&jwks(keys))).map_err(|e| e.to_string())
}

fn refused(keys: &[Value]) -> String {
    parse(keys).expect_err("key set must be refused")
}

fn good_ec() -> Value {
    ec_jwk(p256(), Some("ec"), None)
}

#[test]
fn allow_lists_come_from_the_key() {
    let set = keyset(
        Some(SECRET),
        &[
            rsa_jwk(rsa(), Some("r"), None),
            rsa_jwk(rsa(), Some("r-ps"), Some("PS512")),
            ec_jwk(p256(), Some("e256"), None),
            ec_jwk(p384(), Some("e384"), None),
            ed_jwk(ed(), Some("ed"), None),
            oct_jwk(&[7; 32], Some("o"), Some("HS384")),
        ],
    );
    let info = set.describe();
    let algs: Vec<(Option<&str>, &str, Vec<&str>)> = info
        .iter()
        .map(|k| (k.kid.as_deref(), k.kind, k.algorithms.clone()))
        .collect();
    assert_eq!(
        algs,
        [
            (None, "oct", vec!["HS256", "HS384", "HS512"]),
            (
                Some("r"),
                "RSA",
                vec!["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
            ),
            (Some("r-ps"), "RSA", vec!["PS512"]),
            (Some("e256"), "EC P-256", vec!["ES256"]),
            (Some("e384"), "EC P-384", vec!["ES384"]),
            (Some("ed"), "OKP Ed25519", vec!["EdDSA"]),
            (Some("o"), "oct", vec!["HS384"]),
        ]
    );
    assert_eq!(info[0].source, KeySource::Secret);
    assert_eq!(info[3].source, KeySource::Jwks { index: 2 });
    assert_eq!(set.len(), 7);
    assert!(set.skipped().is_empty());
}

#[test]
fn supabase_style_jwks_is_accepted() {
    let mut key = ec_jwk(
        p256(),
        Some("b81269f1-21d8-4f2e-b719-c2240a840d90"),
        Some("ES256"),
    );
    key["key_ops"] = json!(["verify"]);
    key["ext"] = json!(true);
    key["use"] = json!("sig");
    let set = parse(&[key]).unwrap();
    assert_eq!(set.describe()[0].algorithms, ["ES256"]);
}

#[test]
fn entries_not_for_signatures_or_unsupported_are_skipped() {
    let mut enc = rsa_jwk(rsa(), Some("enc"), Some("RSA-OAEP-256"));
    enc["use"] = json!("enc");
    let mut ops = good_ec();
    ops["kid"] = json!("ops");
    ops["key_ops"] = json!(["sign"]);
    let p521 = json!({"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"});
    let x25519 = json!({"kty": "OKP", "crv": "X25519", "x": b64(&[1; 32])});
    let ed448 = json!({"kty": "OKP", "crv": "Ed448", "x": "AA"});
    let pq = json!({"kty": "AKP", "alg": "ML-DSA-44", "pub": "AA"});
    let oaep = rsa_jwk(rsa(), Some("oaep"), Some("RSA-OAEP"));
    let set = parse(&[enc, ops, p521, x25519, ed448, pq, oaep, good_ec()]).unwrap();
    assert_eq!(set.len(), 1);
    let skipped = set.skipped();
    assert_eq!(skipped.len(), 7, "{skipped:#?}");
    assert!(skipped[0].starts_with("JWKS key 0 (kid \"enc\") skipped: use is \"enc\""));
    assert!(skipped[1].contains("key_ops does not include \"verify\""));
    assert!(skipped[2].contains("curve \"P-521\" is not supported"));
    assert!(skipped[5].contains("kty \"AKP\" is not supported"));
    assert!(skipped[6].contains("alg \"RSA-OAEP\" is not a supported signature algorithm"));
    // Nothing usable at all is a configuration error that lists why.
    let err = refused(&[json!({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"})]);
    assert!(err.starts_with("JWKS has no usable signature verification key: JWKS key 0 skipped"));
    assert_eq!(
        refused(&[]),
        "JWKS has no usable signature verification key"
    );
}

#[test]
fn inconsistent_or_broken_keys_are_refused_by_index_and_kid() {
    let mut cases: Vec<(Value, &str)> = vec![
        (
            rsa_jwk(rsa(), Some("k"), Some("HS256")),
            "alg \"HS256\" does not fit a RSA key",
        ),
        (
            rsa_jwk(rsa(), Some("k"), Some("ES256")),
            "alg \"ES256\" does not fit a RSA key",
        ),
        (
            ec_jwk(p256(), Some("k"), Some("ES384")),
            "alg \"ES384\" does not fit a EC P-256 key",
        ),
        (
            ec_jwk(p384(), Some("k"), Some("RS256")),
            "alg \"RS256\" does not fit a EC P-384 key",
        ),
        (
            ed_jwk(ed(), Some("k"), Some("ES256")),
            "alg \"ES256\" does not fit a OKP Ed25519 key",
        ),
        (
            oct_jwk(&[1; 40], Some("k"), Some("RS256")),
            "alg \"RS256\" does not fit a oct key",
        ),
        (
            rsa_jwk(rsa(), Some("k"), Some("none")),
            "alg \"none\" is never accepted",
        ),
        (json!({"kid": "k", "n": "AA"}), "kty is missing"),
        (
            json!({"kid": "k", "kty": "EC", "x": "AA", "y": "AA"}),
            "kty EC needs crv",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "e": "AQAB"}),
            "\"n\" is missing",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "n": "A+B/", "e": "AQAB"}),
            "\"n\" is not unpadded base64url",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "n": 5, "e": "AQAB"}),
            "\"n\" must be a string",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "n": b64(&[0xc3; 128]), "e": "AQAB"}),
            "RSA modulus is 1024 bits",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "n": b64(&rsa().n), "e": "AA"}),
            "do not form a valid RSA public key",
        ),
        (
            json!({"kid": "k", "kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32])}),
            "are not a point on the curve",
        ),
        (
            json!({"kid": "k", "kty": "EC", "crv": "P-256", "x": b64(&p384().x), "y": b64(&p384().y)}),
            "must be 32 bytes each",
        ),
        (
            json!({"kid": "k", "kty": "OKP", "crv": "Ed25519", "x": b64(&[1; 31])}),
            "\"x\" must be 32 bytes",
        ),
        (
            oct_jwk(&[1; 31], Some("k"), None),
            "\"k\" is shorter than 32 bytes",
        ),
        (json!({"kid": "k", "kty": "oct"}), "\"k\" is missing"),
        (
            json!({"kid": "k", "kty": "RSA", "use": 1}),
            "use must be a string",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "key_ops": "verify"}),
            "key_ops must be an array of strings",
        ),
        (
            json!({"kid": "k", "kty": "RSA", "alg": 256}),
            "alg must be a string",
        ),
    ];
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        let mut key = rsa_jwk(rsa(), Some("k"), None);
        key[private] = json!("c2VjcmV0LXByaXZhdGUtcGFydA");
        cases.push((key, "configure public keys only"));
    }
    let mut ec_private = good_ec();
    ec_private["kid"] = json!("k");
    ec_private["d"] = json!("c2VjcmV0LXByaXZhdGUtcGFydA");
    cases.push((ec_private, "holds the private key parameter \"d\""));
    for (key, want) in cases {
        // The bad key is second: the message must say index 1 and its kid.
        let err = refused(&[good_ec(), key.clone()]);
        assert!(err.starts_with("JWKS key 1 (kid \"k\"): "), "{err}");
        assert!(err.contains(want), "{key}: {err}");
        assert!(!err.contains("c2VjcmV0"), "private material echoed: {err}");
        for member in ["n", "e", "x", "y", "k"] {
            if let Some(Value::String(material)) = key.get(member) {
                if material.len() > 4 {
                    assert!(!err.contains(material.as_str()), "{member} echoed: {err}");
                }
            }
        }
    }
    let err = refused(&[json!({"kty": "oct", "kid": 3, "k": b64(&[1; 40])})]);
    assert_eq!(err, "JWKS key 0: kid must be a string");
    let err = refused(&[json!("not an object")]);
    assert_eq!(err, "JWKS key 0: not a JSON object");
}

#[test]
fn document_errors_do_not_quote_the_document() {
    let secretish = "c3VwZXItc2VjcmV0LWtleS1tYXRlcmlhbA";
    for (doc, want) in [
        (
            format!("{{\"keys\": [{{\"k\": \"{secretish}\" oops"),
            "JWKS is not valid JSON (line 1, column",
        ),
        (
            format!("[\"{secretish}\"]"),
            "JWKS must be a JSON object with a \"keys\" array",
        ),
        (
            format!("{{\"kty\": \"oct\", \"k\": \"{secretish}\"}}"),
            "JWKS must be a JSON object with a \"keys\" array",
        ),
        (
            format!("{{\"keys\": {{\"k\": \"{secretish}\"}}}}"),
            "JWKS \"keys\" must be an array",
        ),
    ] {
        let err = KeySet::new(None, Some(&doc)).unwrap_err().to_string();
        assert!(err.starts_with(want), "{err}");
        assert!(!err.contains(secretish), "{err}");
    }
}

#[test]
fn hmac_secret_rules() {
    let err = KeySet::new(Some("0123456789abcdef0123456789abcde"), None).unwrap_err();
    assert!(err
        .message()
        .starts_with("HMAC secret is shorter than 32 bytes"));
    assert!(!err.message().contains("0123456789"));
    // Exactly 32 bytes is enough; multi-byte characters count as bytes.
    assert_eq!(KeySet::new(Some(&"x".repeat(32)), None).unwrap().len(), 1);
    assert_eq!(KeySet::new(Some(&"é".repeat(16)), None).unwrap().len(), 1);
    // Empty means not configured; the JWKS alone is fine, and so is nothing.
    let set = KeySet::new(Some(""), Some(&jwks(&[good_ec()]))).unwrap();
    assert_eq!(set.len(), 1);
    assert!(KeySet::new(Some(""), Some("")).unwrap().is_empty());
}

#[test]
fn debug_output_has_no_material() {
    let set = keyset(
        Some(SECRET),
        &[
            oct_jwk(&[0x41; 40], Some("o"), None),
            rsa_jwk(rsa(), None, None),
        ],
    );
    let text = format!("{set:?}");
    assert!(!text.contains(SECRET));
    assert!(!text.contains(&b64(&[0x41; 40])));
    assert!(!text.contains(&b64(&rsa().n)[..40]));
    assert!(text.contains("\"o\""), "{text}");
    let info: Vec<KeyInfo> = set.describe();
    assert_eq!(info.len(), 3);
}
