//! JWT verification, attack corpus part 2: time claims and leeway
//! boundaries, audience and issuer, malformed tokens, the size limit and
//! what messages may show. Keys are generated per run (see jwt_support).

mod jwt_support;

use jsonwebtoken::Algorithm;
use jwt_support::*;
use serde_json::json;
use tenant_guard_core::jwt::{verify, JwtError, Rules, MAX_TOKEN_BYTES};

// ---------------------------------------------------------------------------
// Time, audience, issuer
// ---------------------------------------------------------------------------

#[test]
fn time_claims_and_leeway_boundaries() {
    let keys = all_keys();
    let r = rules();
    let expired = JwtError::Expired {
        leeway_secs: LEEWAY,
    };
    let future = JwtError::NotYetValid {
        leeway_secs: LEEWAY,
    };
    let issued = JwtError::IssuedInFuture {
        leeway_secs: LEEWAY,
    };
    // exp: valid while now < exp + leeway.
    assert!(verify(
        &hs256(&claims_with(json!({"exp": NOW - LEEWAY + 1}))),
        &keys,
        &r
    )
    .is_ok());
    expect_err(
        &hs256(&claims_with(json!({"exp": NOW - LEEWAY}))),
        &keys,
        &r,
        expired.clone(),
    );
    expect_err(
        &hs256(&claims_with(json!({"exp": NOW - 86_400}))),
        &keys,
        &r,
        expired,
    );
    // nbf and iat: accepted up to now + leeway.
    assert!(verify(
        &hs256(&claims_with(json!({"nbf": NOW + LEEWAY}))),
        &keys,
        &r
    )
    .is_ok());
    expect_err(
        &hs256(&claims_with(json!({"nbf": NOW + LEEWAY + 1}))),
        &keys,
        &r,
        future,
    );
    assert!(verify(
        &hs256(&claims_with(json!({"iat": NOW + LEEWAY}))),
        &keys,
        &r
    )
    .is_ok());
    expect_err(
        &hs256(&claims_with(json!({"iat": NOW + LEEWAY + 1}))),
        &keys,
        &r,
        issued,
    );
    // Leeway zero.
    let strict = Rules {
        leeway_secs: 0,
        ..rules()
    };
    expect_err(
        &hs256(&claims_with(json!({"exp": NOW}))),
        &keys,
        &strict,
        JwtError::Expired { leeway_secs: 0 },
    );
    assert!(verify(
        &hs256(&claims_with(json!({"exp": NOW + 1}))),
        &keys,
        &strict
    )
    .is_ok());
}

#[test]
fn exp_must_be_present_and_numeric() {
    let keys = all_keys();
    let r = rules();
    // CVE-2026-25537 shape: a string exp must not skip validation.
    for exp in [
        json!("1"),
        json!(format!("{}", NOW + 3600)),
        json!(true),
        json!([NOW + 3600]),
        json!({}),
    ] {
        let t = hs256(&claims_with(json!({ "exp": exp })));
        expect_err(&t, &keys, &r, JwtError::InvalidClaim("exp"));
    }
    let t = hs256(&claims_with(json!({"exp": null})));
    expect_err(&t, &keys, &r, JwtError::MissingClaim("exp"));
    let t = raw_token(
        r#"{"alg":"HS256"}"#,
        r#"{"exp":null}"#,
        Algorithm::HS256,
        &hmac_signer(SECRET.as_bytes()),
    );
    let open = Rules {
        audience: vec![],
        issuer: vec![],
        ..rules()
    };
    expect_err(&t, &keys, &open, JwtError::InvalidClaim("exp"));
    for (claim, value) in [("nbf", json!("0")), ("iat", json!("0"))] {
        let t = hs256(&claims_with(json!({ claim: value })));
        let name = if claim == "nbf" { "nbf" } else { "iat" };
        expect_err(&t, &keys, &r, JwtError::InvalidClaim(name));
    }
}

#[test]
fn audience_and_issuer() {
    let keys = all_keys();
    let r = rules();
    for aud in [
        json!("other"),
        json!(["other", "authenticated-not"]),
        json!([]),
        json!(null),
    ] {
        let t = hs256(&claims_with(json!({ "aud": aud })));
        expect_err(&t, &keys, &r, JwtError::WrongAudience);
    }
    for aud in [json!(1), json!([AUD, 1]), json!({"aud": AUD})] {
        let t = hs256(&claims_with(json!({ "aud": aud })));
        expect_err(&t, &keys, &r, JwtError::InvalidClaim("aud"));
    }
    for iss in [json!("https://evil.test/auth/v1"), json!(null), json!("")] {
        let t = hs256(&claims_with(json!({ "iss": iss })));
        expect_err(&t, &keys, &r, JwtError::WrongIssuer);
    }
    let t = hs256(&claims_with(json!({ "iss": [ISS] })));
    expect_err(&t, &keys, &r, JwtError::InvalidClaim("iss"));
    // Several accepted values.
    let multi = Rules {
        audience: vec!["a".into(), AUD.into()],
        issuer: vec!["x".into(), ISS.into()],
        ..rules()
    };
    assert!(verify(&hs256(&claims()), &keys, &multi).is_ok());
}

// ---------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------

#[test]
fn malformed_structure_and_base64() {
    let keys = all_keys();
    let r = rules();
    let good = hs256(&claims());
    let parts: Vec<&str> = good.split('.').collect();
    let three = JwtError::Malformed("a compact JWS has exactly three dot-separated parts");
    for t in [
        "",
        ".",
        "abc",
        "a.b",
        &format!("{good}.x"),
        &format!("{}.{}", parts[0], parts[1]),
    ] {
        expect_err(t, &keys, &r, three.clone());
    }
    let bad_header = JwtError::Malformed("header is not unpadded base64url");
    for h in ["!!!", "eyJhbGciOiJIUzI1NiJ9=", "eyJhbGciOiJIUzI1NiJ9+", "a"] {
        expect_err(
            &format!("{h}.{}.{}", parts[1], parts[2]),
            &keys,
            &r,
            bad_header.clone(),
        );
    }
    let bad_payload = JwtError::Malformed("payload is not unpadded base64url");
    expect_err(
        &format!("{}.%%%.{}", parts[0], parts[2]),
        &keys,
        &r,
        bad_payload,
    );
    let bad_sig = JwtError::Malformed("signature is not unpadded base64url");
    expect_err(
        &format!("{}.{}.a/b", parts[0], parts[1]),
        &keys,
        &r,
        bad_sig,
    );
}

#[test]
fn malformed_header_json() {
    let keys = all_keys();
    let payload = claims().to_string();
    for (header, reason) in [
        ("{", "header is not UTF-8 JSON"),
        ("", "header is not UTF-8 JSON"),
        ("\u{feff}{\"alg\":\"HS256\"}", "header is not UTF-8 JSON"),
        ("[\"HS256\"]", "header is not a JSON object"),
        ("\"HS256\"", "header is not a JSON object"),
        ("{}", "header has no alg"),
        ("{\"alg\":256}", "header alg is not a string"),
        (
            "{\"alg\":\"none\",\"alg\":\"HS256\"}",
            "header has a duplicate member name",
        ),
        (
            "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
            "header has crit; no critical extension is supported",
        ),
    ] {
        let t = raw_token(
            header,
            &payload,
            Algorithm::HS256,
            &hmac_signer(SECRET.as_bytes()),
        );
        expect_err(&t, &keys, &rules(), JwtError::Malformed(reason));
    }
    let mut bytes = br#"{"alg":"HS256"}"#.to_vec();
    bytes.push(0xff);
    let t = format!("{}.{}.AAAA", b64(&bytes), b64(payload.as_bytes()));
    expect_err(
        &t,
        &keys,
        &rules(),
        JwtError::Malformed("header is not UTF-8 JSON"),
    );
}

#[test]
fn malformed_payload_json_and_non_objects() {
    let keys = all_keys();
    let signer = hmac_signer(SECRET.as_bytes());
    let header = r#"{"alg":"HS256","typ":"JWT"}"#;
    let exp = NOW + 60;
    for (payload, reason) in [
        ("{\"exp\":", "payload is not UTF-8 JSON"),
        ("not json", "payload is not UTF-8 JSON"),
        ("", "payload is not UTF-8 JSON"),
        (
            &*format!("[{{\"exp\":{exp}}}]"),
            "payload is not a JSON object",
        ),
        ("\"a string\"", "payload is not a JSON object"),
        ("42", "payload is not a JSON object"),
        ("null", "payload is not a JSON object"),
        (
            &*format!("{{\"exp\":{exp},\"exp\":\"x\"}}"),
            "payload has a duplicate member name (parsers disagree on which wins)",
        ),
        (
            &*format!("{{\"exp\":{exp},\"sub\":\"a\\u0000b\"}}"),
            "payload contains U+0000, which jsonb cannot store",
        ),
    ] {
        let t = raw_token(header, payload, Algorithm::HS256, &signer);
        let open = Rules {
            audience: vec![],
            issuer: vec![],
            ..rules()
        };
        expect_err(&t, &keys, &open, JwtError::Malformed(reason));
    }
    // Unsigned garbage is a bad signature: the payload is parsed only after
    // the signature verifies.
    let t = unsigned_token(header, "[1,2,3]", "AAAA");
    expect_err(&t, &keys, &rules(), JwtError::BadSignature);
}

#[test]
fn size_limit_applies_before_decoding() {
    let keys = all_keys();
    let big = "a".repeat(1024 * 1024);
    let t = format!("{big}.{big}.{big}");
    expect_err(&t, &keys, &rules(), JwtError::TooLarge { len: t.len() });
    // A signed, otherwise valid 1 MB token is rejected the same way.
    let t = hs256(&claims_with(json!({ "pad": "x".repeat(1024 * 1024) })));
    expect_err(&t, &keys, &rules(), JwtError::TooLarge { len: t.len() });
    // The limit itself: a valid token of exactly MAX_TOKEN_BYTES passes.
    let signer = hmac_signer(SECRET.as_bytes());
    let exact = (0..4)
        .flat_map(|h| {
            (MAX_TOKEN_BYTES * 3 / 4 - 1000..MAX_TOKEN_BYTES * 3 / 4).map(move |p| (h, p))
        })
        .map(|(h, p)| {
            let header = json!({"alg": "HS256", "h": "x".repeat(h)}).to_string();
            let payload = claims_with(json!({ "pad": "x".repeat(p) })).to_string();
            raw_token(&header, &payload, Algorithm::HS256, &signer)
        })
        .find(|t| t.len() == MAX_TOKEN_BYTES)
        .expect("some padding gives exactly the limit");
    assert!(verify(&exact, &keys, &rules()).is_ok());
    let t = exact;
    let over = format!("{t}A");
    let len = over.len();
    assert!(len > MAX_TOKEN_BYTES);
    expect_err(&over, &keys, &rules(), JwtError::TooLarge { len });
    assert!(JwtError::TooLarge { len }.message().contains("16384"));
}

#[test]
fn messages_name_the_rule_and_only_alg_and_kid() {
    let e = JwtError::AlgorithmNotAllowed {
        alg: "HS256".into(),
        kid: Some("rsa-1".into()),
    };
    assert_eq!(e.rule(), "alg_not_allowed");
    assert!(e.message().contains("\"HS256\"") && e.message().contains("\"rsa-1\""));
    let long_kid = format!("{}\u{7}", "k".repeat(500));
    let t = token(
        Algorithm::HS256,
        Some(&long_kid),
        &claims(),
        &hmac_signer(SECRET.as_bytes()),
    );
    let err = verify(&t, &all_keys(), &rules()).unwrap_err();
    assert_eq!(err.rule(), "unknown_kid");
    assert!(err.message().len() < 300, "{}", err.message());
    assert!(!err.message().contains('\u{7}'));
}
