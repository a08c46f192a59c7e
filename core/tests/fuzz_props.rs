//! Property tests (proptest) over generated input: the claim resolver and the
//! token verifier never panic on arbitrary input, and keep their promises on
//! generated claim documents and mutated tokens. The test command runs the
//! default 256 cases per property; a longer run:
//!   PROPTEST_CASES=100000 cargo test -p tenant_guard_core --release --test fuzz_props

mod jwt_support;

use jwt_support::{all_keys, claims, hs256, rules};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tenant_guard_core::claims::{resolve, uuid, Config, Failure, IdKind, Inputs, Status};
use tenant_guard_core::jwt::verify;

const CLAIMS: &str = "request.jwt.claims";
const KEYS: [&str; 3] = ["organization_id", "org_id", "tenant_id"];

/// Arbitrary JSON, a few levels deep, with the claim keys among the names.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-f0-9-]{0,40}".prop_map(Value::String),
        any::<u128>().prop_map(|n| Value::String(uuid::format(&n.to_be_bytes()))),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("app_metadata".to_owned()),
                        Just("user_metadata".to_owned()),
                        Just("organization_ids".to_owned()),
                        prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
                        "[a-z_]{1,8}",
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Where a tenant claim can sit that tenant_guard trusts by default.
fn trusted_location() -> impl Strategy<Value = (bool, &'static str)> {
    (any::<bool>(), prop::sample::select(KEYS.to_vec()))
}

fn place(doc: &mut Map<String, Value>, in_app: bool, key: &str, value: Value) {
    if in_app {
        let app = doc
            .entry("app_metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(app) = app {
            app.insert(key.to_owned(), value);
        }
    } else {
        doc.insert(key.to_owned(), value);
    }
}

proptest! {
    /// Any text in any watched setting: no panic; a resolved tenant is a
    /// canonical UUID that a `used` trail step holds.
    #[test]
    fn resolver_total_on_arbitrary_text(text in ".{0,300}", tenant in ".{0,60}") {
        let inputs = Inputs::new().with(CLAIMS, text).with("app.tenant_id", tenant);
        let r = resolve(&Config::default(), &inputs, IdKind::Uuid);
        if let Ok(id) = &r.tenant {
            let canonical = uuid::normalize(id);
            prop_assert_eq!(canonical.as_deref(), Some(id.as_str()));
            prop_assert!(r.trail.iter().any(|s| s.status == Status::Used));
        }
        let _ = resolve(&Config::default(), &inputs, IdKind::Key);
    }

    /// Any JSON document: no panic, and the UUID and key resolutions agree
    /// whenever the UUID one succeeds.
    #[test]
    fn resolver_total_on_arbitrary_json(doc in json_value()) {
        let inputs = Inputs::new().with(CLAIMS, doc.to_string());
        let by_uuid = resolve(&Config::default(), &inputs, IdKind::Uuid);
        let by_key = resolve(&Config::default(), &inputs, IdKind::Key);
        if let (Ok(u), Ok(k)) = (&by_uuid.tenant, &by_key.tenant) {
            let canonical = uuid::normalize(k);
            prop_assert_eq!(canonical.as_deref(), Some(u.as_str()));
        }
    }

    /// One tenant in one trusted location, whatever else the claims carry
    /// (no other tenant key): that tenant.
    #[test]
    fn one_trusted_tenant_resolves(
        id in any::<u128>(),
        (in_app, key) in trusted_location(),
        noise in prop::collection::vec(("[a-z]{1,6}", json_value()), 0..4),
    ) {
        let tenant = uuid::format(&id.to_be_bytes());
        let mut doc: Map<String, Value> = noise
            .into_iter()
            .filter(|(k, _)| !k.starts_with("org") && !k.starts_with("tenant") && !k.ends_with("metadata"))
            .collect();
        place(&mut doc, in_app, key, Value::String(tenant.to_uppercase()));
        let inputs = Inputs::new().with(CLAIMS, Value::Object(doc).to_string());
        let r = resolve(&Config::default(), &inputs, IdKind::Uuid);
        prop_assert_eq!(r.tenant, Ok(tenant));
    }

    /// Two different tenants in two trusted locations: conflict, never either.
    #[test]
    fn two_trusted_tenants_conflict(
        a in any::<u128>(),
        b in any::<u128>(),
        at in 0..6usize,
        offset in 1..6usize,
    ) {
        prop_assume!(a != b);
        // Two different locations of the six trusted ones.
        let location = |i: usize| (i.is_multiple_of(2), KEYS[i / 2]);
        let (first, second) = (location(at), location((at + offset) % 6));
        let mut doc = Map::new();
        place(&mut doc, first.0, first.1, Value::String(uuid::format(&a.to_be_bytes())));
        place(&mut doc, second.0, second.1, Value::String(uuid::format(&b.to_be_bytes())));
        let inputs = Inputs::new().with(CLAIMS, Value::Object(doc).to_string());
        let r = resolve(&Config::default(), &inputs, IdKind::Uuid);
        prop_assert_eq!(r.tenant, Err(Failure::Conflict));
    }

    /// A tenant only in user_metadata never resolves (untrusted by default).
    #[test]
    fn user_metadata_alone_never_resolves(id in any::<u128>(), key in prop::sample::select(KEYS.to_vec())) {
        let doc = json!({"user_metadata": {key: uuid::format(&id.to_be_bytes())}});
        let inputs = Inputs::new().with(CLAIMS, doc.to_string());
        prop_assert!(resolve(&Config::default(), &inputs, IdKind::Uuid).tenant.is_err());
    }

    /// Arbitrary text as a token: no panic, never valid.
    #[test]
    fn verifier_total_on_arbitrary_text(token in ".{0,400}") {
        prop_assert!(verify(&token, &all_keys(), &rules()).is_err());
    }

    /// Three arbitrary base64url parts: never valid.
    #[test]
    fn verifier_rejects_arbitrary_parts(
        head in "[A-Za-z0-9_-]{0,80}",
        body in "[A-Za-z0-9_-]{0,200}",
        sig in "[A-Za-z0-9_-]{0,120}",
    ) {
        let token = format!("{}.{}.{}", head, body, sig);
        prop_assert!(verify(&token, &all_keys(), &rules()).is_err());
    }

    /// Any change to one character of a valid token makes it invalid.
    #[test]
    fn any_mutation_of_a_valid_token_is_rejected(at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.=-]") {
        let good = hs256(&claims());
        prop_assert!(verify(&good, &all_keys(), &rules()).is_ok());
        let mut bytes = good.clone().into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = with.as_bytes()[0];
        let mutated = String::from_utf8(bytes).expect("ASCII");
        prop_assume!(mutated != good);
        prop_assert!(verify(&mutated, &all_keys(), &rules()).is_err(), "{}", mutated);
    }
}
