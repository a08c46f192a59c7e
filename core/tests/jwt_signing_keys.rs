//! Keys from `tenant_guard.signing_keys`: selection by `kid` among the keys
//! valid now, rotation with two keys live at once, expired and future keys,
//! per-key issuer and audience, rows that must be refused, and importing a
//! provider's JWKS.

mod jwt_support;

use jsonwebtoken::Algorithm;
use jwt_support::*;
use serde_json::json;
use tenant_guard_core::jwt::{verify, verify_with_key, JwtError, KeyRow, KeySet, Rules};

fn row(kid: &str, alg: &str, jwk: serde_json::Value) -> KeyRow {
    KeyRow {
        kid: kid.into(),
        alg: alg.into(),
        jwk: jwk.to_string(),
        ..KeyRow::default()
    }
}

fn table(rows: &[KeyRow]) -> KeySet {
    let mut keys = KeySet::new(None, None).unwrap();
    keys.add_rows(rows).expect("rows are usable");
    keys
}

fn at(now: u64) -> Rules {
    Rules { now, ..rules() }
}

#[test]
fn kid_selects_among_keys_valid_now_and_rotation_has_no_gap() {
    let old = row("2025-old", "ES256", ec_jwk(p256(), None, None));
    let new = row("2026-new", "RS256", rsa_jwk(rsa(), None, None));
    // Day 0: only the old key. Day 1: the new key is added before the
    // provider signs with it; both are live. Day 2: the old one is retired.
    let both = table(&[old.clone(), new.clone()]);
    let by_old = token(
        Algorithm::ES256,
        Some("2025-old"),
        &claims(),
        &ec_signer(p256()),
    );
    let by_new = token(
        Algorithm::RS256,
        Some("2026-new"),
        &claims(),
        &rsa_signer(rsa()),
    );
    for t in [&by_old, &by_new] {
        assert!(verify(t, &both, &rules()).is_ok());
    }
    let (_, kid) = verify_with_key(&by_new, &both, &rules()).unwrap();
    assert_eq!(kid.as_deref(), Some("2026-new"));
    // Retiring: not_after in the past. Tokens of the old key fail, the new pass.
    let retired = KeyRow {
        not_after: Some(NOW as i64 - 1),
        ..old.clone()
    };
    let later = table(&[retired, new.clone()]);
    expect_err(
        &by_old,
        &later,
        &rules(),
        JwtError::KeyNotValid {
            kid: "2025-old".into(),
        },
    );
    assert!(verify(&by_new, &later, &rules()).is_ok());
    // A kid no row has: unknown.
    let stray = token(
        Algorithm::ES256,
        Some("nope"),
        &claims(),
        &ec_signer(p256()),
    );
    expect_err(
        &stray,
        &later,
        &rules(),
        JwtError::UnknownKey { kid: "nope".into() },
    );
}

#[test]
fn validity_window_is_half_open() {
    let k = KeyRow {
        not_before: Some(NOW as i64 - 100),
        not_after: Some(NOW as i64 + 100),
        ..row("w", "ES256", ec_jwk(p256(), None, None))
    };
    let keys = table(&[k]);
    // A token valid across the whole window, so only the key's window decides.
    let c = claims_with(json!({"iat": NOW - 500, "nbf": NOW - 500}));
    let t = token(Algorithm::ES256, Some("w"), &c, &ec_signer(p256()));
    assert!(verify(&t, &keys, &at(NOW - 100)).is_ok(), "from not_before");
    assert!(verify(&t, &keys, &at(NOW + 99)).is_ok());
    let not_valid = JwtError::KeyNotValid { kid: "w".into() };
    expect_err(
        &t,
        &keys,
        &Rules {
            now: NOW - 101,
            ..rules()
        },
        not_valid.clone(),
    );
    expect_err(
        &t,
        &keys,
        &Rules {
            now: NOW + 100,
            ..rules()
        },
        not_valid,
    );
}

#[test]
fn tokens_without_kid_try_every_valid_key_of_their_algorithm() {
    let a = row("a", "ES256", ec_jwk(p256(), None, None));
    let b = row("b", "HS256", oct_jwk(SECRET.as_bytes(), None, None));
    let keys = table(&[a.clone(), b]);
    let t = token(Algorithm::ES256, None, &claims(), &ec_signer(p256()));
    let (_, kid) = verify_with_key(&t, &keys, &rules()).unwrap();
    assert_eq!(kid.as_deref(), Some("a"));
    // The only ES256 key expired: no candidate.
    let expired = KeyRow {
        not_after: Some(NOW as i64 - 10),
        ..a
    };
    let keys = table(&[expired]);
    assert!(verify(&t, &keys, &rules()).is_err());
}

#[test]
fn a_key_limited_to_an_issuer_and_audience() {
    let k = KeyRow {
        issuer: Some("https://tenant-a.example.com".into()),
        audience: Some("api-a".into()),
        ..row("lim", "ES256", ec_jwk(p256(), None, None))
    };
    let keys = table(&[k]);
    let sign = |c: &serde_json::Value| token(Algorithm::ES256, Some("lim"), c, &ec_signer(p256()));
    let open = Rules {
        audience: vec![],
        issuer: vec![],
        ..rules()
    };
    let good = claims_with(json!({"iss": "https://tenant-a.example.com", "aud": ["x", "api-a"]}));
    assert!(verify(&sign(&good), &keys, &open).is_ok());
    let wrong_iss = claims_with(json!({"iss": "https://tenant-b.example.com", "aud": "api-a"}));
    expect_err(&sign(&wrong_iss), &keys, &open, JwtError::WrongIssuer);
    let wrong_aud = claims_with(json!({"iss": "https://tenant-a.example.com", "aud": "api-b"}));
    expect_err(&sign(&wrong_aud), &keys, &open, JwtError::WrongAudience);
}

#[test]
fn unusable_rows_are_refused_without_quoting_material() {
    let jwk = ec_jwk(p256(), None, None);
    let x = jwk["x"].as_str().unwrap().to_owned();
    let cases: Vec<(KeyRow, &str)> = vec![
        (row("", "ES256", jwk.clone()), "kid must not be empty"),
        (row("k", "RS256", jwk.clone()), "does not fit"),
        (
            row("k", "ES256", json!({"kty":"EC","crv":"P-256","x": x})),
            "\"y\"",
        ),
        (
            KeyRow {
                jwk: "{not json".into(),
                ..row("k", "ES256", jwk.clone())
            },
            "not valid JSON",
        ),
        (
            row("k", "ES256", ec_jwk(p256(), Some("other"), None)),
            "kid differs",
        ),
        (row("k", "none", jwk.clone()), "never accepted"),
        (
            KeyRow {
                not_before: Some(10),
                not_after: Some(10),
                ..row("k", "ES256", jwk.clone())
            },
            "later than not_before",
        ),
        (
            row(
                "k",
                "ES256",
                json!({"kty":"EC","crv":"P-256","x": x, "y": x, "d": x}),
            ),
            "private",
        ),
    ];
    for (r, want) in cases {
        let e = KeySet::check_row(&r).expect_err(want).message().to_owned();
        assert!(e.contains(want), "{want}: {e}");
        assert!(!e.contains(&x), "quotes key material: {e}");
    }
    let ok = KeySet::check_row(&row("k", "ES256", jwk)).unwrap();
    assert_eq!(ok.algorithms, ["ES256"]);
}

#[test]
fn a_provider_jwks_becomes_rows() {
    let doc = jwks(&[
        rsa_jwk(rsa(), Some("r1"), Some("RS256")),
        ec_jwk(p256(), Some("e1"), None),
        ed_jwk(ed(), None, None),
        json!({"kty": "RSA", "use": "enc", "kid": "enc1", "n": "AQAB", "e": "AQAB"}),
    ]);
    let (rows, skipped) = KeySet::rows_from_jwks(&doc).unwrap();
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.kid.as_str(), r.alg.as_str()))
        .collect();
    assert_eq!(got, [("r1", "RS256"), ("e1", "ES256"), ("key-2", "EdDSA")]);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0].contains("enc"), "{skipped:?}");
    // The rows verify what the provider signs.
    let keys = table(&rows);
    let t = token(Algorithm::EdDSA, Some("key-2"), &claims(), &ed_signer(ed()));
    assert!(verify(&t, &keys, &rules()).is_ok());
    // A broken JWKS is an error, as for tenant_guard.jwks.
    assert!(KeySet::rows_from_jwks("{\"keys\": 1}").is_err());
    assert!(KeySet::rows_from_jwks("[").is_err());
}
