//! JWT verification: a valid token for every supported algorithm, and an
//! attack corpus in which each token is rejected with the right rule.
//! Keys are generated per run (see jwt_support).

mod jwt_support;

use jsonwebtoken::Algorithm;
use jwt_support::*;
use serde_json::{json, Value};
use tenant_guard_core::jwt::{verify, JwtError, KeySet, Rules};

// ---------------------------------------------------------------------------
// Valid tokens
// ---------------------------------------------------------------------------

#[test]
fn every_supported_algorithm_verifies() {
    let keys = all_keys();
    let oct = b"an-oct-jwk-secret-of-at-least-32-bytes!";
    let cases: Vec<(Algorithm, Option<&str>, jsonwebtoken::EncodingKey)> = vec![
        (Algorithm::HS256, None, hmac_signer(SECRET.as_bytes())),
        (Algorithm::HS384, None, hmac_signer(SECRET.as_bytes())),
        (Algorithm::HS512, None, hmac_signer(SECRET.as_bytes())),
        (Algorithm::HS256, Some("oct-1"), hmac_signer(oct)),
        (Algorithm::HS512, Some("oct-1"), hmac_signer(oct)),
        (Algorithm::RS256, Some("rsa-1"), rsa_signer(rsa())),
        (Algorithm::RS384, Some("rsa-1"), rsa_signer(rsa())),
        (Algorithm::RS512, Some("rsa-1"), rsa_signer(rsa())),
        (Algorithm::PS256, Some("rsa-1"), rsa_signer(rsa())),
        (Algorithm::PS384, Some("rsa-1"), rsa_signer(rsa())),
        (Algorithm::PS512, Some("rsa-1"), rsa_signer(rsa())),
        (Algorithm::ES256, Some("ec-256"), ec_signer(p256())),
        (Algorithm::ES384, Some("ec-384"), ec_signer(p384())),
        (Algorithm::EdDSA, Some("ed-1"), ed_signer(ed())),
        // Without kid every key allowing the alg is tried.
        (Algorithm::RS256, None, rsa_signer(rsa())),
        (Algorithm::ES256, None, ec_signer(p256())),
        (Algorithm::ES384, None, ec_signer(p384())),
        (Algorithm::EdDSA, None, ed_signer(ed())),
        (Algorithm::HS384, None, hmac_signer(oct)),
    ];
    let want = claims();
    for (alg, kid, key) in &cases {
        let t = token(*alg, *kid, &want, key);
        let got = verify(&t, &keys, &rules()).unwrap_or_else(|e| panic!("{alg:?} {kid:?}: {e}"));
        assert_eq!(Value::Object(got), want, "{alg:?}");
    }
}

#[test]
fn without_kid_the_right_key_among_several_is_found() {
    let keys = keyset(
        None,
        &[rsa_jwk(rsa_other(), None, None), rsa_jwk(rsa(), None, None)],
    );
    let t = token(Algorithm::RS256, None, &claims(), &rsa_signer(rsa()));
    assert!(verify(&t, &keys, &rules()).is_ok());
    let t = token(Algorithm::PS384, None, &claims(), &rsa_signer(rsa_other()));
    assert!(verify(&t, &keys, &rules()).is_ok());
}

#[test]
fn audience_array_with_a_match_and_unchecked_claims_pass() {
    let keys = all_keys();
    let t = hs256(&claims_with(json!({"aud": ["other", AUD]})));
    assert!(verify(&t, &keys, &rules()).is_ok());
    // Neither aud nor iss is looked at when none is configured.
    let open = Rules {
        audience: vec![],
        issuer: vec![],
        ..rules()
    };
    let t = hs256(&claims_with(json!({"aud": 7, "iss": null})));
    assert!(verify(&t, &keys, &open).is_ok());
    // Only exp is required.
    let t = hs256(&json!({"exp": NOW + 60}));
    assert!(verify(&t, &keys, &open).is_ok());
}

// ---------------------------------------------------------------------------
// Algorithm and key confusion
// ---------------------------------------------------------------------------

#[test]
fn alg_none_in_any_spelling_is_rejected() {
    let payload = claims().to_string();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "JWT"}).to_string();
        for sig in ["", "AAAA"] {
            let t = unsigned_token(&header, &payload, sig);
            expect_err(&t, &all_keys(), &rules(), not_allowed(alg, None));
        }
    }
    // Naming a real key does not help.
    let header = json!({"alg": "none", "kid": "rsa-1"}).to_string();
    let t = unsigned_token(&header, &payload, "");
    expect_err(
        &t,
        &all_keys(),
        &rules(),
        not_allowed("none", Some("rsa-1")),
    );
}

#[test]
fn unknown_or_lowercase_alg_is_rejected() {
    let payload = claims().to_string();
    for alg in ["hs256", "RS1", "ES512", "HS256 ", ""] {
        let header = json!({"alg": alg}).to_string();
        let t = unsigned_token(&header, &payload, "AAAA");
        expect_err(&t, &all_keys(), &rules(), not_allowed(alg, None));
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_rejected() {
    let pem = rsa().spki_pem.as_bytes();
    let der = rsa().spki_der.as_slice();
    let n = b64(&rsa().n);
    let jwk_text = rsa_jwk(rsa(), None, None).to_string();
    for secret in [pem, der, n.as_bytes(), jwk_text.as_bytes()] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let t = token(alg, None, &claims(), &hmac_signer(secret));
            let name = format!("{alg:?}");
            // Only the RSA key configured: no key allows HMAC at all.
            expect_err(&t, &rsa_only(), &rules(), not_allowed(&name, None));
            // A secret configured too: HMAC is checked against it only.
            let both = keyset(Some(SECRET), &[rsa_jwk(rsa(), None, None)]);
            expect_err(&t, &both, &rules(), JwtError::BadSignature);
        }
    }
}

#[test]
fn kid_of_a_key_of_another_family_is_rejected() {
    let keys = all_keys();
    let pem = rsa().spki_pem.as_bytes();
    let cases = [
        (Algorithm::HS256, "rsa-1", hmac_signer(pem)),
        (Algorithm::ES256, "rsa-1", ec_signer(p256())),
        (Algorithm::RS256, "ec-256", rsa_signer(rsa())),
        (Algorithm::ES384, "ec-256", ec_signer(p384())),
        (Algorithm::ES256, "ec-384", ec_signer(p256())),
        (Algorithm::EdDSA, "ec-256", ed_signer(ed())),
        (Algorithm::HS256, "ed-1", hmac_signer(SECRET.as_bytes())),
        (Algorithm::RS256, "oct-1", rsa_signer(rsa())),
    ];
    for (alg, kid, key) in &cases {
        let t = token(*alg, Some(kid), &claims(), key);
        expect_err(
            &t,
            &keys,
            &rules(),
            not_allowed(&format!("{alg:?}"), Some(kid)),
        );
    }
}

#[test]
fn jwk_alg_pins_the_algorithm() {
    let keys = keyset(
        None,
        &[
            rsa_jwk(rsa(), Some("rs"), Some("RS256")),
            ec_jwk(p256(), Some("es"), Some("ES256")),
        ],
    );
    let ok = token(Algorithm::RS256, Some("rs"), &claims(), &rsa_signer(rsa()));
    assert!(verify(&ok, &keys, &rules()).is_ok());
    for alg in [Algorithm::PS256, Algorithm::RS512] {
        let t = token(alg, Some("rs"), &claims(), &rsa_signer(rsa()));
        expect_err(
            &t,
            &keys,
            &rules(),
            not_allowed(&format!("{alg:?}"), Some("rs")),
        );
        let t = token(alg, None, &claims(), &rsa_signer(rsa()));
        expect_err(&t, &keys, &rules(), not_allowed(&format!("{alg:?}"), None));
    }
}

#[test]
fn keys_embedded_in_the_header_are_ignored() {
    // The attacker signs with their own key and ships it in jwk / jku / x5u.
    let attacker = rsa_other();
    let header = json!({
        "alg": "RS256",
        "jwk": rsa_jwk(attacker, None, None),
        "jku": "https://attacker.test/jwks.json",
        "x5u": "https://attacker.test/cert.pem"
    })
    .to_string();
    let t = raw_token(
        &header,
        &claims().to_string(),
        Algorithm::RS256,
        &rsa_signer(attacker),
    );
    expect_err(&t, &rsa_only(), &rules(), JwtError::BadSignature);
}

#[test]
fn unknown_kid_is_rejected() {
    let keys = all_keys();
    let t = token(
        Algorithm::RS256,
        Some("rsa-2"),
        &claims(),
        &rsa_signer(rsa()),
    );
    expect_err(
        &t,
        &keys,
        &rules(),
        JwtError::UnknownKey {
            kid: "rsa-2".into(),
        },
    );
    // A kid never falls back to a key without kid (here: the HMAC secret).
    let t = token(
        Algorithm::HS256,
        Some("legacy"),
        &claims(),
        &hmac_signer(SECRET.as_bytes()),
    );
    expect_err(
        &t,
        &keys,
        &rules(),
        JwtError::UnknownKey {
            kid: "legacy".into(),
        },
    );
    let header = json!({"alg": "HS256", "kid": 7}).to_string();
    let t = raw_token(
        &header,
        &claims().to_string(),
        Algorithm::HS256,
        &hmac_signer(SECRET.as_bytes()),
    );
    expect_err(
        &t,
        &keys,
        &rules(),
        JwtError::Malformed("header kid is not a string"),
    );
}

#[test]
fn no_keys_configured() {
    let t = hs256(&claims());
    expect_err(
        &t,
        &KeySet::new(None, None).unwrap(),
        &rules(),
        JwtError::NoKeys,
    );
    expect_err(&t, &KeySet::default(), &rules(), JwtError::NoKeys);
}

// ---------------------------------------------------------------------------
// Signature tampering
// ---------------------------------------------------------------------------

#[test]
fn tampered_payload_is_rejected() {
    for (alg, key) in [
        (Algorithm::HS256, hmac_signer(SECRET.as_bytes())),
        (Algorithm::RS256, rsa_signer(rsa())),
        (Algorithm::ES256, ec_signer(p256())),
        (Algorithm::EdDSA, ed_signer(ed())),
    ] {
        let t = token(alg, None, &claims(), &key);
        let parts: Vec<&str> = t.split('.').collect();
        let forged = claims_with(
            json!({"app_metadata": {"org_id": "5b9e3c4d-1f2a-4b6c-8d7e-9f0a1b2c3d4e"}}),
        );
        let t2 = format!(
            "{}.{}.{}",
            parts[0],
            b64(forged.to_string().as_bytes()),
            parts[2]
        );
        expect_err(&t2, &all_keys(), &rules(), JwtError::BadSignature);
        // Header swapped (alg kept): the signature covers the header too.
        let header = json!({"alg": format!("{alg:?}"), "typ": "JWT", "x": 1}).to_string();
        let t3 = format!("{}.{}.{}", b64(header.as_bytes()), parts[1], parts[2]);
        expect_err(&t3, &all_keys(), &rules(), JwtError::BadSignature);
    }
}

#[test]
fn tampered_signature_is_rejected() {
    for (alg, key) in [
        (Algorithm::HS256, hmac_signer(SECRET.as_bytes())),
        (Algorithm::RS256, rsa_signer(rsa())),
        (Algorithm::PS256, rsa_signer(rsa())),
        (Algorithm::ES384, ec_signer(p384())),
        (Algorithm::EdDSA, ed_signer(ed())),
    ] {
        let t = token(alg, None, &claims(), &key);
        let (message, sig) = t.rsplit_once('.').unwrap();
        let bad_sig = JwtError::Malformed("signature is not unpadded base64url");
        let mut bytes = unb64(sig);
        let sig_len = bytes.len();
        bytes[0] ^= 1;
        expect_err(
            &format!("{message}.{}", b64(&bytes)),
            &all_keys(),
            &rules(),
            JwtError::BadSignature,
        );
        bytes[0] ^= 1;
        bytes.pop();
        expect_err(
            &format!("{message}.{}", b64(&bytes)),
            &all_keys(),
            &rules(),
            JwtError::BadSignature,
        );
        expect_err(
            &format!("{message}."),
            &all_keys(),
            &rules(),
            JwtError::BadSignature,
        );
        // Another spelling of the same bytes (non-zero trailing bits, or
        // padding) is not base64url as JWS defines it: one signature, one
        // encoding.
        if !sig_len.is_multiple_of(3) {
            let respelled = format!("{message}.{}", flip_trailing_bit(sig));
            assert_ne!(respelled, t);
            expect_err(&respelled, &all_keys(), &rules(), bad_sig.clone());
        }
        expect_err(
            &format!("{message}.{sig}="),
            &all_keys(),
            &rules(),
            bad_sig.clone(),
        );
    }
}

/// `text` with the lowest bit of its last base64url character flipped: for
/// a length not a multiple of 3 bytes that bit is padding, so the decoded
/// bytes would be the same.
fn flip_trailing_bit(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *text.as_bytes().last().unwrap();
    let index = ALPHABET.iter().position(|c| *c == last).unwrap();
    let mut out = text[..text.len() - 1].to_string();
    out.push(ALPHABET[index ^ 1] as char);
    out
}
