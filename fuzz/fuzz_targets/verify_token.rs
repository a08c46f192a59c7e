//! Token verification on arbitrary text: never panics, and nothing verifies
//! that was not signed with the key (the fuzzer cannot forge an HMAC, so any
//! `Ok` here is a bug).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_guard_core::jwt::{verify, KeySet, Rules};

const SECRET: &str = "fuzz-only-hmac-secret-0123456789abcdefghij";

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let keys = KeySet::new(Some(SECRET), None).expect("secret");
    let rules = Rules {
        audience: vec!["authenticated".into()],
        issuer: vec![],
        leeway_secs: 30,
        now: 1_800_000_000,
    };
    if let Ok(claims) = verify(&token, &keys, &rules) {
        panic!("an unsigned input verified: {claims:?}");
    }
});
