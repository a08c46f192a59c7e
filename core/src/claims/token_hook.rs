//! Claims for a token about to be issued (a Supabase Custom Access Token
//! hook): one canonical tenant claim, `app_metadata.<first claim key>`, and the
//! membership list beside it, `app_metadata.<first claim key>s`, both taken
//! from the membership table; every drifted copy (other keys, the top level,
//! user-editable `user_metadata`) removed, so tokens cannot disagree with
//! themselves (seed 000 §1, seed 001's sync trigger).

use super::config::Config;
use super::uuid;
use serde_json::{Map, Value};

/// The tenants from the membership table, canonical (UUIDs lower-case and
/// hyphenated) and without repeats, in their order.
pub fn canonical_ids(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = uuid::normalize(id).unwrap_or_else(|| id.clone());
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// `claims` rewritten for `memberships` (see the module doc). The active
/// tenant is the one the token named before, if the user is still a member
/// of it, else the only membership; with several and none named, only the
/// list is set (`identity.get_current_org_id()` is then NULL: ambiguous).
pub fn rewrite(claims: &Value, config: &Config, memberships: &[String]) -> Value {
    let mut claims = match claims {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let members = canonical_ids(memberships);
    let Some(canonical) = config.claim_keys.first().cloned() else {
        return Value::Object(claims);
    };
    let list_key = Config::list_key(&canonical);
    let mut drifted: Vec<String> = Vec::new();
    for key in &config.claim_keys {
        drifted.push(key.clone());
        drifted.push(Config::list_key(key));
    }

    // What the token named before, wherever it was: app_metadata first.
    let mut app = match claims.remove("app_metadata") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let named: Vec<String> = config
        .claim_keys
        .iter()
        .filter_map(|k| app.get(k).or_else(|| claims.get(k)))
        .filter_map(|v| v.as_str())
        .map(|s| uuid::normalize(s).unwrap_or_else(|| s.to_owned()))
        .collect();

    for key in &drifted {
        app.remove(key);
        claims.remove(key);
    }
    if let Some(Value::Object(user)) = claims.get_mut("user_metadata") {
        for key in &drifted {
            user.remove(key);
        }
    }

    let active = named
        .iter()
        .find(|n| members.contains(n))
        .cloned()
        .or_else(|| (members.len() == 1).then(|| members[0].clone()));
    if let Some(active) = active {
        app.insert(canonical, Value::String(active));
    }
    if !members.is_empty() {
        app.insert(
            list_key,
            Value::Array(members.into_iter().map(Value::String).collect()),
        );
    }
    claims.insert("app_metadata".into(), Value::Object(app));
    Value::Object(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{resolve, IdKind, Inputs};
    use serde_json::json;

    const A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
    const B: &str = "5b9e3c4d-1f2a-4b6c-8d7e-9f0a1b2c3d4e";

    fn resolved(claims: &Value) -> Option<String> {
        let inputs = Inputs::new().with("request.jwt.claims", claims.to_string());
        resolve(&Config::default(), &inputs, IdKind::Uuid)
            .tenant
            .ok()
    }

    #[test]
    fn one_membership_becomes_the_one_claim() {
        let before = json!({
            "sub": "u", "org_id": B, "tenant_id": B,
            "app_metadata": {"provider": "email", "org_id": B},
            "user_metadata": {"organization_id": B, "name": "Ada"}
        });
        let after = rewrite(&before, &Config::default(), &[A.to_uppercase()]);
        assert_eq!(after["app_metadata"]["organization_id"], A);
        assert_eq!(after["app_metadata"]["organization_ids"], json!([A]));
        assert_eq!(after["app_metadata"]["provider"], "email");
        assert_eq!(after["user_metadata"], json!({"name": "Ada"}));
        assert!(after.get("org_id").is_none() && after.get("tenant_id").is_none());
        assert!(after["app_metadata"].get("org_id").is_none());
        assert_eq!(resolved(&after).as_deref(), Some(A));
    }

    #[test]
    fn several_memberships_keep_the_named_one_if_still_a_member() {
        let config = Config::default();
        let named_a = json!({"app_metadata": {"organization_id": A}});
        let after = rewrite(&named_a, &config, &[B.into(), A.into()]);
        assert_eq!(after["app_metadata"]["organization_id"], A);
        assert_eq!(resolved(&after).as_deref(), Some(A));

        let none = rewrite(&json!({}), &config, &[A.into(), B.into()]);
        assert!(none["app_metadata"].get("organization_id").is_none());
        assert_eq!(resolved(&none), None, "ambiguous, not a guess");

        let gone = json!({"org_id": "c3d2e1f0-a9b8-4c7d-9e6f-5a4b3c2d1e0f"});
        let after = rewrite(&gone, &config, &[A.into(), B.into()]);
        assert!(after["app_metadata"].get("organization_id").is_none());
    }

    #[test]
    fn no_membership_no_tenant() {
        let after = rewrite(
            &json!({"app_metadata": {"organization_id": A, "organization_ids": [A]}}),
            &Config::default(),
            &[],
        );
        assert_eq!(after["app_metadata"], json!({}));
        assert_eq!(resolved(&after), None);
        assert_eq!(
            rewrite(&json!([1]), &Config::default(), &[])["app_metadata"],
            json!({})
        );
    }
}
