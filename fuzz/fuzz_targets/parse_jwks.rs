//! JWKS parsing on arbitrary text: never panics, and an error message never
//! quotes key material from the input (the value of "d", "k", "n", "x", "y",
//! "p" or "q"). Decided by difference: if the message contains such a value
//! but no longer does once that one value is replaced, it quoted it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tenant_guard_core::jwt::KeySet;

const SECRET_MEMBERS: [&str; 7] = ["d", "k", "n", "x", "y", "p", "q"];

fn message(text: &str) -> Option<String> {
    KeySet::new(None, Some(text))
        .err()
        .map(|e| e.message().to_owned())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Some(msg) = message(&text) else {
        return;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return;
    };
    let Some(entries) = doc.get("keys").and_then(Value::as_array) else {
        return;
    };
    for (i, entry) in entries.iter().enumerate() {
        let Some(obj) = entry.as_object() else {
            continue;
        };
        for name in SECRET_MEMBERS {
            let Some(Value::String(v)) = obj.get(name) else {
                continue;
            };
            if v.len() < 4 || !msg.contains(v.as_str()) {
                continue;
            }
            let mut other = doc.clone();
            other["keys"][i][name] = Value::String("\u{1}".repeat(v.len()));
            let without = message(&other.to_string()).unwrap_or_default();
            assert!(
                without.contains(v.as_str()),
                "message quotes \"{name}\": {msg}"
            );
        }
    }
});
