//! Trust rules: verified claims replace settings; `require_verified`,
//! `trusted_session_users` and `require_transaction_scope` set settings aside;
//! every set-aside value is in the trail with the reason.

use tenant_guard_core::claims::trust::VERIFIED_SOURCE;
use tenant_guard_core::claims::{
    current_claims, resolve, role, user_id, uuid, Config, Failure, IdKind, Inputs, Resolution,
    Status,
};

const A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
const B: &str = "5b9e3c4d-1f2a-4b6c-8d7e-9f0a1b2c3d4e";
const C: &str = "c3d2e1f0-a9b8-4c7d-9e6f-5a4b3c2d1e0f";
const USER: &str = "7c1f7a5e-3b1a-4d2c-9e8f-0a1b2c3d4e5f";
const VERIFIED: &str = "tenant_guard.verified_claims";
const CLAIMS: &str = "request.jwt.claims";
const TENANT: &str = "app.tenant_id";

fn token_claims(org: &str) -> String {
    format!(
        r#"{{"sub":"{USER}","role":"authenticated","app_metadata":{{"organization_id":"{org}"}}}}"#
    )
}

fn forged() -> Inputs {
    Inputs::new()
        .with(
            CLAIMS,
            format!(r#"{{"org_id":"{B}","sub":"{B}","role":"service_role"}}"#),
        )
        .with(TENANT, C)
        .with("app.role", "admin")
}

fn statuses(r: &Resolution, source: &str) -> Vec<Status> {
    r.trail
        .iter()
        .filter(|s| s.source == source)
        .map(|s| s.status)
        .collect()
}

fn note(r: &Resolution, source: &str) -> String {
    r.trail
        .iter()
        .find(|s| s.source == source)
        .map(|s| s.note.clone())
        .unwrap_or_default()
}

#[test]
fn verified_claims_replace_every_setting() {
    let config = Config::default();
    let inputs = forged().with(VERIFIED, token_claims(A));
    let r = resolve(&config, &inputs, IdKind::Uuid);
    assert_eq!(r.tenant, Ok(A.to_owned()));
    assert_eq!(statuses(&r, CLAIMS), [Status::Ignored]);
    assert_eq!(statuses(&r, TENANT), [Status::Ignored]);
    assert_eq!(statuses(&r, "app.role"), [Status::Ignored]);
    assert!(note(&r, CLAIMS).contains("take precedence"));
    let used: Vec<_> = r
        .trail
        .iter()
        .filter(|s| s.status == Status::Used)
        .map(|s| (s.source.as_str(), s.path.as_str()))
        .collect();
    assert_eq!(used, [(VERIFIED_SOURCE, "app_metadata.organization_id")]);
    // No legacy/worker rows: settings were already listed as ignored.
    assert!(r.trail.iter().all(|s| s.source != "request.jwt.claim.*"));

    assert_eq!(user_id(&config, &inputs), uuid::parse(USER));
    assert_eq!(role(&config, &inputs).as_deref(), Some("authenticated"));
    let claims = current_claims(&config, &inputs).expect("claims").to_text();
    assert!(claims.contains(A) && !claims.contains(B), "{claims}");
}

#[test]
fn verified_claims_follow_the_same_rules() {
    let config = Config::default();
    // user_metadata stays untrusted inside a verified token.
    let doc = format!(r#"{{"user_metadata":{{"org_id":"{A}"}}}}"#);
    let r = resolve(&config, &Inputs::new().with(VERIFIED, doc), IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Absent));
    assert!(r.trail.iter().any(|s| s.source == VERIFIED_SOURCE
        && s.path == "user_metadata.org_id"
        && s.status == Status::Untrusted));
    // Disagreeing locations inside a verified token still fail closed.
    let doc = format!(r#"{{"org_id":"{A}","app_metadata":{{"org_id":"{B}"}}}}"#);
    let r = resolve(&config, &Inputs::new().with(VERIFIED, doc), IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Conflict));
}

#[test]
fn require_verified_ignores_settings() {
    let config = Config {
        require_verified: true,
        ..Config::default()
    };
    let r = resolve(&config, &forged(), IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Untrusted));
    assert_eq!(r.tenant_ids, None);
    for source in [CLAIMS, TENANT, "app.role"] {
        assert_eq!(statuses(&r, source)[0], Status::Untrusted, "{source}");
        assert!(note(&r, source).contains("require_verified"), "{source}");
    }
    assert_eq!(user_id(&config, &forged()), None);
    assert_eq!(role(&config, &forged()), None);
    assert!(current_claims(&config, &forged()).is_none());

    let with_token = forged().with(VERIFIED, token_claims(A));
    assert_eq!(
        resolve(&config, &with_token, IdKind::Uuid).tenant,
        Ok(A.to_owned())
    );
    // Nothing at all: absent, not untrusted.
    assert_eq!(
        resolve(&config, &Inputs::new(), IdKind::Uuid).tenant,
        Err(Failure::Absent)
    );
}

#[test]
fn trusted_session_users_gate_settings() {
    let config = Config {
        trusted_session_users: vec!["authenticator".into(), "worker".into()],
        ..Config::default()
    };
    let only_tenant = || Inputs::new().with(TENANT, A);

    let mut inputs = only_tenant();
    inputs.set_session_user("authenticator");
    assert_eq!(
        resolve(&config, &inputs, IdKind::Uuid).tenant,
        Ok(A.to_owned())
    );

    for user in [Some("bob"), Some("Authenticator"), None] {
        let mut inputs = only_tenant();
        if let Some(u) = user {
            inputs.set_session_user(u);
        }
        let r = resolve(&config, &inputs, IdKind::Uuid);
        assert_eq!(r.tenant, Err(Failure::Untrusted), "{user:?}");
        assert_eq!(statuses(&r, TENANT)[0], Status::Untrusted);
        assert!(
            note(&r, TENANT).contains("trusted_session_users"),
            "{user:?}"
        );
        assert_eq!(resolve(&config, &inputs, IdKind::Key).tenant_ids, None);
    }

    // A verified token works whoever logged in.
    let mut inputs = only_tenant().with(VERIFIED, token_claims(B));
    inputs.set_session_user("bob");
    assert_eq!(
        resolve(&config, &inputs, IdKind::Uuid).tenant,
        Ok(B.to_owned())
    );

    // Empty list: everyone is trusted (the default).
    let mut inputs = only_tenant();
    inputs.set_session_user("bob");
    assert_eq!(
        resolve(&Config::default(), &inputs, IdKind::Uuid).tenant,
        Ok(A.to_owned())
    );
}

#[test]
fn session_level_leftovers_are_reported_then_ignored_on_request() {
    let mut inputs = Inputs::new().with(TENANT, A);
    inputs.mark_session_scoped(TENANT);

    let r = resolve(&Config::default(), &inputs, IdKind::Uuid);
    assert_eq!(r.tenant, Ok(A.to_owned()));
    assert_eq!(statuses(&r, TENANT), [Status::SessionScoped, Status::Used]);
    assert!(note(&r, TENANT).contains("SET LOCAL"));

    let strict = Config {
        require_transaction_scope: true,
        ..Config::default()
    };
    let r = resolve(&strict, &inputs, IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Untrusted));
    assert_eq!(statuses(&r, TENANT), [Status::Untrusted]);
    assert!(note(&r, TENANT).contains("require_transaction_scope"));

    // A transaction-scoped value beside the leftover is used alone.
    let mut inputs = Inputs::new()
        .with(TENANT, A)
        .with(CLAIMS, format!(r#"{{"org_id":"{B}"}}"#));
    inputs.mark_session_scoped(TENANT);
    assert_eq!(
        resolve(&strict, &inputs, IdKind::Uuid).tenant,
        Ok(B.to_owned())
    );
    // Without the setting both are read, and they conflict.
    assert_eq!(
        resolve(&Config::default(), &inputs, IdKind::Uuid).tenant,
        Err(Failure::Conflict)
    );

    // A leftover request.jwt.claims takes user id and role with it.
    let mut inputs = Inputs::new().with(CLAIMS, token_claims(A));
    inputs.mark_session_scoped(CLAIMS);
    assert_eq!(user_id(&strict, &inputs), None);
    assert_eq!(role(&strict, &inputs), None);
    assert_eq!(user_id(&Config::default(), &inputs), uuid::parse(USER));
}

#[test]
fn set_aside_values_are_shown_as_json_text_and_cut() {
    let config = Config {
        require_verified: true,
        ..Config::default()
    };
    let long = format!(r#"{{"org_id":"{A}","pad":"{}"}}"#, "x".repeat(5000));
    let r = resolve(&config, &Inputs::new().with(CLAIMS, long), IdKind::Uuid);
    let raw = r.trail[0].raw.clone().expect("raw");
    assert!(raw.starts_with("\"{\\\"org_id\\\""), "{raw}");
    assert!(raw.len() < 300 && raw.ends_with("bytes)"), "{raw}");
    assert!(r.detail().contains("[untrusted]"));
}
