//! Provider presets, claim paths and the active organization: token shapes
//! of every preset (valid, missing, wrongly nested), lists with and without
//! an active organization, an active organization outside the list, URL and
//! colon paths, user ids and roles.

use tenant_guard_core::claims::{
    parse_claim_paths, resolve, role, user_id, user_key, Config, Failure, IdKind, Inputs, Provider,
    Resolution, Status,
};

const A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
const B: &str = "5b9e3c4d-1f2a-4b6c-8d7e-9f0a1b2c3d4e";
const CLAIMS: &str = "request.jwt.claims";

fn config(provider: Provider) -> Config {
    Config {
        provider,
        ..Config::default()
    }
}

fn claims(json: &str) -> Inputs {
    Inputs::new().with(CLAIMS, json.replace("$A", A).replace("$B", B))
}

fn run(config: &Config, inputs: &Inputs, kind: IdKind) -> Resolution {
    resolve(config, inputs, kind)
}

fn key(provider: Provider, json: &str) -> Result<String, Failure> {
    run(&config(provider), &claims(json), IdKind::Key).tenant
}

fn statuses(r: &Resolution, path: &str) -> Vec<Status> {
    r.trail
        .iter()
        .filter(|s| s.path == path)
        .map(|s| s.status)
        .collect()
}

#[test]
fn every_preset_reads_its_tenant_claim() {
    let cases: &[(Provider, &str, &str)] = &[
        (
            Provider::Clerk,
            r#"{"sub":"user_2x","o":{"id":"org_2abc","rol":"admin","slg":"acme"}}"#,
            "org_2abc",
        ),
        (
            Provider::Clerk,
            r#"{"sub":"user_2x","org_id":"org_2abc","org_role":"org:admin"}"#,
            "org_2abc",
        ),
        (
            Provider::Auth0,
            r#"{"sub":"auth0|42","org_id":"org_9XyZ","aud":"api"}"#,
            "org_9XyZ",
        ),
        (
            Provider::Entra,
            r#"{"tid":"$A","oid":"$B","roles":["Reader"]}"#,
            A,
        ),
        (
            Provider::Firebase,
            r#"{"sub":"Xk2pQ","firebase":{"tenant":"tenant-one-x7k2p","sign_in_provider":"password"}}"#,
            "tenant-one-x7k2p",
        ),
        (
            Provider::Cognito,
            r#"{"sub":"$B","custom:tenant_id":"acme-42","cognito:groups":["admin"]}"#,
            "acme-42",
        ),
        (
            Provider::Keycloak,
            r#"{"sub":"$B","organization":{"acme":{"id":"$A"}}}"#,
            A,
        ),
        (
            Provider::Keycloak,
            r#"{"sub":"$B","organization":["acme"]}"#,
            "acme",
        ),
        (
            Provider::Neon,
            r#"{"sub":"u1","o":{"id":"org_neon_1","rol":"member"}}"#,
            "org_neon_1",
        ),
    ];
    for (p, token, want) in cases {
        assert_eq!(key(*p, token), Ok(want.to_string()), "{} {token}", p.name());
    }
    // UUID mode: Entra's tid and Keycloak's ids are UUIDs; Clerk's keys are not.
    let uuid = |p: Provider, json: &str| run(&config(p), &claims(json), IdKind::Uuid).tenant;
    assert_eq!(uuid(Provider::Entra, r#"{"tid":"$A"}"#), Ok(A.into()));
    assert_eq!(
        uuid(
            Provider::Keycloak,
            r#"{"organization":{"acme":{"id":"$A"}}}"#
        ),
        Ok(A.into())
    );
    assert_eq!(
        uuid(Provider::Clerk, r#"{"o":{"id":"org_2abc"}}"#),
        Err(Failure::Invalid)
    );
}

#[test]
fn missing_and_misnested_claims_are_absent_and_explained() {
    for p in [
        Provider::Clerk,
        Provider::Auth0,
        Provider::Entra,
        Provider::Firebase,
        Provider::Cognito,
        Provider::Keycloak,
        Provider::Neon,
    ] {
        let r = run(&config(p), &claims(r#"{"sub":"x"}"#), IdKind::Key);
        assert_eq!(r.tenant, Err(Failure::Absent), "{}", p.name());
        for path in p.preset().tenant_paths.as_ref().unwrap() {
            assert_eq!(
                statuses(&r, &path.to_string()),
                [Status::Absent],
                "{} shows {path}",
                p.name()
            );
        }
    }
    // Clerk's organization under `org` instead of `o`: nothing at o.id.
    let r = run(
        &config(Provider::Clerk),
        &claims(r#"{"org":{"id":"org_2abc"}}"#),
        IdKind::Key,
    );
    assert_eq!(r.tenant, Err(Failure::Absent));
    assert_eq!(statuses(&r, "o.id"), [Status::Absent]);
    // `o` a string, not an object: reported, and nothing resolved.
    let r = run(
        &config(Provider::Clerk),
        &claims(r#"{"o":"org_2abc"}"#),
        IdKind::Key,
    );
    assert_eq!(r.tenant, Err(Failure::Absent));
    let o = r.trail.iter().find(|s| s.path == "o").expect("o reported");
    assert_eq!(o.status, Status::Ignored);
    assert!(o.note.contains("not an object"), "{}", o.note);
    // An empty or null id is absent; a non-string is invalid.
    assert_eq!(
        key(Provider::Auth0, r#"{"org_id":""}"#),
        Err(Failure::Absent)
    );
    assert_eq!(
        key(Provider::Auth0, r#"{"org_id":null}"#),
        Err(Failure::Absent)
    );
    assert_eq!(
        key(Provider::Auth0, r#"{"org_id":{"x":1}}"#),
        Err(Failure::Invalid)
    );
}

#[test]
fn clerk_v1_and_v2_must_agree() {
    // Both spellings present and equal: fine; different: conflict.
    assert_eq!(
        key(Provider::Clerk, r#"{"o":{"id":"org_1"},"org_id":"org_1"}"#),
        Ok("org_1".into())
    );
    assert_eq!(
        key(Provider::Clerk, r#"{"o":{"id":"org_1"},"org_id":"org_2"}"#),
        Err(Failure::Conflict)
    );
    // v1's orgs map ({id: role}) is the membership list: the token's org must be in it.
    assert_eq!(
        key(
            Provider::Clerk,
            r#"{"org_id":"org_1","orgs":{"org_1":"admin","org_2":"basic_member"}}"#
        ),
        Ok("org_1".into())
    );
    assert_eq!(
        key(
            Provider::Clerk,
            r#"{"org_id":"org_3","orgs":{"org_1":"admin"}}"#
        ),
        Err(Failure::NotMember)
    );
    // A repeated `o` whose copies disagree: parsers disagree, fail closed.
    assert_eq!(
        key(
            Provider::Clerk,
            r#"{"o":{"id":"org_1"},"o":{"id":"org_2"}}"#
        ),
        Err(Failure::Conflict)
    );
    assert_eq!(
        key(
            Provider::Clerk,
            r#"{"o":{"id":"org_1"},"o":{"rol":"admin"}}"#
        ),
        Err(Failure::Conflict)
    );
}

#[test]
fn several_organizations_need_an_active_one() {
    let kc = config(Provider::Keycloak);
    let two = r#"{"sub":"$B","organization":{"acme":{"id":"$A"},"globex":{"id":"$B"}}}"#;
    // A list of two and nothing selecting: ambiguous, but the list is known.
    let r = run(&kc, &claims(two), IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Ambiguous));
    assert_eq!(r.tenant_ids, Some(vec![A.to_string(), B.to_string()]));
    // Named by tenant_guard.active_org, or by the x-org-id header.
    let r = run(
        &kc,
        &claims(two).with("tenant_guard.active_org", B),
        IdKind::Uuid,
    );
    assert_eq!(r.tenant, Ok(B.into()));
    assert_eq!(r.tenant_ids, Some(vec![A.to_string(), B.to_string()]));
    let headers = format!(r#"{{"x-org-id":"{}","accept":"*/*"}}"#, A.to_uppercase());
    let r = run(
        &kc,
        &claims(two).with("request.headers", &headers),
        IdKind::Uuid,
    );
    assert_eq!(r.tenant, Ok(A.into()));
    assert_eq!(statuses(&r, "x-org-id"), [Status::Used]);
    // Both, agreeing: fine; disagreeing: conflict.
    let both = claims(two)
        .with("tenant_guard.active_org", A)
        .with("request.headers", &headers);
    assert_eq!(run(&kc, &both, IdKind::Uuid).tenant, Ok(A.into()));
    let split = claims(two)
        .with("tenant_guard.active_org", B)
        .with("request.headers", &headers);
    assert_eq!(
        run(&kc, &split, IdKind::Uuid).tenant,
        Err(Failure::Conflict)
    );
    // Outside the list: fails closed, and the trail says why.
    let other = "c3d2e1f0-a9b8-4c7d-9e6f-5a4b3c2d1e0f";
    let r = run(
        &kc,
        &claims(two).with("tenant_guard.active_org", other),
        IdKind::Uuid,
    );
    assert_eq!(r.tenant, Err(Failure::ActiveNotMember));
    assert_eq!(r.tenant_ids, None);
    let step = r
        .trail
        .iter()
        .find(|s| s.source == "tenant_guard.active_org")
        .unwrap();
    assert_eq!(step.status, Status::NotMember);
    assert!(
        step.note.contains("not one of the token's"),
        "{}",
        step.note
    );
    // A selector never grants an organization by itself.
    let none = claims(r#"{"sub":"$B"}"#).with("tenant_guard.active_org", A);
    assert_eq!(
        run(&kc, &none, IdKind::Uuid).tenant,
        Err(Failure::ActiveNotMember)
    );
    // Not a UUID where UUIDs are expected: invalid, fails closed.
    let bad = claims(two).with("tenant_guard.active_org", "acme");
    assert_eq!(run(&kc, &bad, IdKind::Uuid).tenant, Err(Failure::Invalid));
    // One organization in the list: no selector needed; a matching one is fine.
    let one = r#"{"organization":{"acme":{"id":"$A"}}}"#;
    assert_eq!(run(&kc, &claims(one), IdKind::Uuid).tenant, Ok(A.into()));
    // The token names its organization (Clerk's o.id): a selector may only agree.
    let clerk = config(Provider::Clerk);
    let named = claims(r#"{"o":{"id":"org_1"},"orgs":{"org_1":"admin","org_2":"admin"}}"#);
    assert_eq!(
        run(
            &clerk,
            &named.clone().with("tenant_guard.active_org", "org_1"),
            IdKind::Key
        )
        .tenant,
        Ok("org_1".into())
    );
    assert_eq!(
        run(
            &clerk,
            &named.with("tenant_guard.active_org", "org_2"),
            IdKind::Key
        )
        .tenant,
        Err(Failure::ActiveNotMember)
    );
    // The Supabase default: organization_ids with an active one.
    let supa = Config::default();
    let list = claims(r#"{"app_metadata":{"organization_ids":["$A","$B"]}}"#);
    assert_eq!(
        run(&supa, &list, IdKind::Uuid).tenant,
        Err(Failure::Ambiguous)
    );
    assert_eq!(
        run(
            &supa,
            &list.with("tenant_guard.active_org", B),
            IdKind::Uuid
        )
        .tenant,
        Ok(B.into())
    );
}

#[test]
fn selectors_pass_every_trust_rule() {
    // require_verified sets claim settings aside but not the selector, and
    // the selector alone still grants nothing.
    let mut c = Config {
        require_verified: true,
        ..Config::default()
    };
    let inputs = Inputs::new().with("tenant_guard.active_org", A);
    let r = run(&c, &inputs, IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::ActiveNotMember));
    // With verified claims listing two organizations, the selector picks one.
    let verified = format!(r#"{{"app_metadata":{{"organization_ids":["{A}","{B}"]}}}}"#);
    let inputs = Inputs::new()
        .with("tenant_guard.verified_claims", &verified)
        .with("request.headers", format!(r#"{{"x-org-id":"{B}"}}"#));
    assert_eq!(run(&c, &inputs, IdKind::Uuid).tenant, Ok(B.into()));
    c.require_verified = false;
    // A selector left over from a session-level SET (behind a pooler, another
    // client's) is ignored when require_transaction_scope is on.
    let two = format!(r#"{{"app_metadata":{{"organization_ids":["{A}","{B}"]}}}}"#);
    let mut leftover = Inputs::new()
        .with(CLAIMS, &two)
        .with("tenant_guard.active_org", B);
    leftover.mark_session_scoped("tenant_guard.active_org");
    assert_eq!(run(&c, &leftover, IdKind::Uuid).tenant, Ok(B.into()));
    c.require_transaction_scope = true;
    let r = run(&c, &leftover, IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Ambiguous));
    assert!(r
        .trail
        .iter()
        .any(|s| s.source == "tenant_guard.active_org" && s.status == Status::Ignored));
    c.require_transaction_scope = false;
    // request.headers is not a claims source: it is never reported as unverified claims.
    let r = run(
        &c,
        &Inputs::new().with("request.headers", "{}"),
        IdKind::Uuid,
    );
    assert_eq!(r.tenant, Err(Failure::Absent));
}

#[test]
fn claim_paths_replace_the_preset_and_take_url_and_colon_keys() {
    let mut c = config(Provider::Auth0);
    c.claim_paths = Some(
        parse_claim_paths(r#""https://example.com/tenant_id", app_metadata."custom:org""#).unwrap(),
    );
    let token = r#"{"org_id":"org_ignored","https://example.com/tenant_id":"t-1"}"#;
    let r = run(&c, &claims(token), IdKind::Key);
    assert_eq!(r.tenant, Ok("t-1".into()), "{:?}", r.trail);
    assert_eq!(
        statuses(&r, "\"https://example.com/tenant_id\""),
        [Status::Used]
    );
    assert_eq!(
        statuses(&r, "app_metadata.\"custom:org\""),
        [Status::Absent]
    );
    assert!(
        r.trail.iter().all(|s| s.path != "org_id"),
        "the preset's path is replaced"
    );
    // Every path that holds a value must agree.
    let token = r#"{"https://example.com/tenant_id":"t-1","app_metadata":{"custom:org":"t-2"}}"#;
    assert_eq!(
        run(&c, &claims(token), IdKind::Key).tenant,
        Err(Failure::Conflict)
    );
    // A path into user_metadata is not trusted unless told so.
    let mut u = Config {
        claim_paths: Some(parse_claim_paths("user_metadata.org").unwrap()),
        ..Config::default()
    };
    let r = run(
        &u,
        &claims(r#"{"user_metadata":{"org":"$A"}}"#),
        IdKind::Uuid,
    );
    assert_eq!(r.tenant, Err(Failure::Absent));
    assert_eq!(statuses(&r, "user_metadata.org"), [Status::Untrusted]);
    u.trust_user_metadata = true;
    assert_eq!(
        run(
            &u,
            &claims(r#"{"user_metadata":{"org":"$A"}}"#),
            IdKind::Uuid
        )
        .tenant,
        Ok(A.into())
    );
    // With claim_paths on Supabase, the claim_keys search is replaced too.
    let s = Config {
        claim_paths: Some(parse_claim_paths("tenant.id").unwrap()),
        ..Config::default()
    };
    let token = r#"{"app_metadata":{"organization_id":"$B"},"tenant":{"id":"$A"}}"#;
    assert_eq!(run(&s, &claims(token), IdKind::Uuid).tenant, Ok(A.into()));
}

#[test]
fn legacy_settings_carry_nested_claims() {
    // PostgREST 9-11 sends object claims as JSON text in request.jwt.claim.<name>.
    let c = config(Provider::Clerk);
    let inputs = Inputs::new().with("request.jwt.claim.o", r#"{"id":"org_7","rol":"admin"}"#);
    assert_eq!(run(&c, &inputs, IdKind::Key).tenant, Ok("org_7".into()));
    assert_eq!(role(&c, &inputs).as_deref(), Some("admin"));
    // A plain string that starts with a brace is still a string.
    let inputs = Inputs::new().with("request.jwt.claim.org_id", "{not json");
    assert_eq!(run(&c, &inputs, IdKind::Key).tenant, Ok("{not json".into()));
    assert!(Config::default()
        .settings_read()
        .iter()
        .any(|n| n == "request.jwt.claim.o"));
    // Names PostgreSQL refuses as settings are not watched.
    assert!(!Config::default()
        .settings_read()
        .iter()
        .any(|n| n.contains(':') || n.contains('/')));
}

#[test]
fn user_ids_and_roles_per_preset() {
    let entra = config(Provider::Entra);
    let t = claims(r#"{"tid":"$A","oid":"$B","sub":"pairwise-xyz","roles":["Reader"]}"#);
    assert_eq!(user_key(&entra, &t).as_deref(), Some(B));
    assert!(user_id(&entra, &t).is_some());
    assert_eq!(role(&entra, &t).as_deref(), Some("Reader"));
    // Two roles: none chosen, the role setting is the fallback.
    let t = claims(r#"{"tid":"$A","roles":["Reader","Writer"]}"#).with("app.role", "worker");
    assert_eq!(role(&entra, &t).as_deref(), Some("worker"));
    // Clerk ids are text keys: no UUID user id, the key is there.
    let clerk = config(Provider::Clerk);
    let t = claims(r#"{"sub":"user_2abc","o":{"id":"org_1","rol":"admin"}}"#);
    assert_eq!(user_key(&clerk, &t).as_deref(), Some("user_2abc"));
    assert_eq!(user_id(&clerk, &t), None);
    assert_eq!(role(&clerk, &t).as_deref(), Some("admin"));
    // Cognito groups and Keycloak realm roles.
    let t = claims(r#"{"sub":"$B","cognito:groups":["admins"]}"#);
    assert_eq!(
        role(&config(Provider::Cognito), &t).as_deref(),
        Some("admins")
    );
    let t = claims(r#"{"sub":"$B","realm_access":{"roles":["app-user"]}}"#);
    assert_eq!(
        role(&config(Provider::Keycloak), &t).as_deref(),
        Some("app-user")
    );
    // Supabase: unchanged (top-level role first).
    let t = claims(r#"{"sub":"$A","role":"authenticated","app_metadata":{"role":"admin"}}"#);
    assert_eq!(
        role(&Config::default(), &t).as_deref(),
        Some("authenticated")
    );
    assert_eq!(user_key(&Config::default(), &t).as_deref(), Some(A));
}
