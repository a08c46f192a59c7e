//! Past the signature: arbitrary header and payload bytes, HMAC-signed with
//! the configured secret, so the fuzzer reaches header, payload and claim
//! parsing. Never panics; whatever verifies is a JSON object with a numeric
//! `exp` in the future (leeway included), no `nbf`/`iat` in the future, an
//! accepted `aud`, and no member name twice.
#![no_main]

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tenant_guard_core::jwt::{verify, KeySet, Rules};

const SECRET: &str = "fuzz-only-hmac-secret-0123456789abcdefghij";
const NOW: u64 = 1_800_000_000;
const LEEWAY: u64 = 30;

fuzz_target!(|data: &[u8]| {
    // header \0 payload; an empty header becomes the usual one
    let (header, payload) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"{\"alg\":\"HS256\"}"[..], data),
    };
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes()),
        input.as_bytes(),
    );
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
    let keys = KeySet::new(Some(SECRET), None).expect("secret");
    let rules = Rules {
        audience: vec!["authenticated".into()],
        issuer: vec![],
        leeway_secs: LEEWAY,
        now: NOW,
    };
    let Ok(claims) = verify(&token, &keys, &rules) else {
        return;
    };
    let exp = claims
        .get("exp")
        .and_then(Value::as_f64)
        .expect("a numeric exp");
    assert!(
        exp + LEEWAY as f64 > NOW as f64,
        "expired token accepted: exp {exp}"
    );
    for name in ["nbf", "iat"] {
        if let Some(v) = claims.get(name) {
            let t = v.as_f64().expect("numeric nbf/iat");
            assert!(
                t <= (NOW + LEEWAY) as f64,
                "{name} in the future accepted: {t}"
            );
        }
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == "authenticated",
        Some(Value::Array(list)) => list.iter().any(|a| a == "authenticated"),
        _ => false,
    };
    assert!(aud_ok, "token without the accepted audience verified");
    // serde's map keeps the last duplicate: a verified payload must have had none
    let text = std::str::from_utf8(payload).expect("verified payload is UTF-8");
    let reparsed: serde_json::Map<String, Value> =
        serde_json::from_str(text).expect("verified payload is an object");
    assert_eq!(reparsed.len(), claims.len());
});
