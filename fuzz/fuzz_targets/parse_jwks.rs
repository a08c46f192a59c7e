//! JWKS parsing on arbitrary text: never panics, and an error message never
//! quotes key material from the input (the value of "d", "k", "n", "x", "y",
//! "p" or "q"). Public text may legitimately appear in a message (a `kid`,
//! a `kty`, a member name) and may contain the same characters as a secret
//! (a `kid` that repeats an `x`), so every public string of the document is
//! taken out of the message first; what remains must not contain a secret
//! value, unless it is the message's own wording (decided by difference: the
//! same document with that one value replaced).
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

/// Every string of the document that is not a secret member's value: keys,
/// and the values of public members, at any depth.
fn public_strings(v: &Value, parent_secret: bool, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !parent_secret => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| public_strings(i, false, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                public_strings(v, SECRET_MEMBERS.contains(&k.as_str()), out);
            }
        }
        _ => {}
    }
}

/// The message without any public text of `doc`.
fn stripped(msg: &str, doc: &Value) -> String {
    let mut public = Vec::new();
    public_strings(doc, false, &mut public);
    public.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = msg.to_owned();
    for p in public.iter().filter(|p| !p.is_empty()) {
        out = out.replace(p.as_str(), "\u{0}");
    }
    out
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
            if v.len() < 4 || !stripped(&msg, &doc).contains(v.as_str()) {
                continue;
            }
            let mut other = doc.clone();
            other["keys"][i][name] = Value::String("\u{1}".repeat(v.len()));
            let without = message(&other.to_string()).unwrap_or_default();
            assert!(
                stripped(&without, &other).contains(v.as_str()),
                "message quotes \"{name}\": {msg}"
            );
        }
    }
});
