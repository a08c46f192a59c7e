//! `#[pg_test]`s for the glue. Each runs as superuser inside a transaction
//! that is rolled back, so every RLS test switches to a non-owner,
//! non-superuser role first (`SET LOCAL ROLE`), or RLS would be skipped.
use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    const A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
    const B: &str = "b1ffbc99-9c0b-4ef8-bb6d-6bb9bd380b22";

    fn set_claims(json: &str) {
        Spi::run_with_args(
            "SELECT set_config('request.jwt.claims', $1, true)",
            &[json.into()],
        )
        .unwrap();
    }

    fn org() -> Option<String> {
        Spi::get_one::<String>("SELECT identity.get_current_org_id()::text").unwrap()
    }

    fn one<T: pgrx::datum::FromDatum + pgrx::datum::IntoDatum>(sql: &str) -> Option<T> {
        Spi::get_one::<T>(sql).unwrap()
    }

    #[pg_test]
    fn org_id_from_claims_normalized() {
        set_claims(&format!(
            r#"{{"app_metadata":{{"organization_id":"{}"}}}}"#,
            A.to_uppercase()
        ));
        assert_eq!(org().as_deref(), Some(A));
    }

    #[pg_test]
    fn cache_follows_every_change_in_one_transaction() {
        set_claims(&format!(r#"{{"org_id":"{A}"}}"#));
        assert_eq!(org().as_deref(), Some(A));
        set_claims(&format!(r#"{{"org_id":"{B}"}}"#));
        assert_eq!(org().as_deref(), Some(B));
        Spi::run(&format!(
            "SET LOCAL request.jwt.claims = '{{\"tenant_id\":\"{A}\"}}'"
        ))
        .unwrap();
        assert_eq!(org().as_deref(), Some(A));
        Spi::run("RESET request.jwt.claims").unwrap();
        assert_eq!(org(), None);
        Spi::run(&format!("SET LOCAL app.tenant_id = '{B}'")).unwrap();
        assert_eq!(org().as_deref(), Some(B));
        // Conflict with the worker setting fails closed.
        set_claims(&format!(r#"{{"org_id":"{A}"}}"#));
        assert_eq!(org(), None);
    }

    #[pg_test]
    fn configuration_changes_take_effect_at_once() {
        set_claims(&format!(r#"{{"org_id":"{A}","tenant_id":"{B}"}}"#));
        assert_eq!(org(), None, "conflict between org_id and tenant_id");
        Spi::run("SET LOCAL tenant_guard.claim_keys = 'tenant_id'").unwrap();
        assert_eq!(org().as_deref(), Some(B));
        Spi::run("SET LOCAL tenant_guard.tenant_setting = 'my.tenant'").unwrap();
        Spi::run(&format!("SET LOCAL my.tenant = '{B}'")).unwrap();
        assert_eq!(org().as_deref(), Some(B));
        // my.tenant is not hooked (defined after load): read on every call.
        Spi::run(&format!("SET LOCAL my.tenant = '{A}'")).unwrap();
        assert_eq!(org(), None, "my.tenant now conflicts with the claims");
    }

    #[pg_test]
    fn user_metadata_only_when_trusted() {
        set_claims(&format!(
            r#"{{"user_metadata":{{"organization_id":"{A}"}}}}"#
        ));
        assert_eq!(org(), None);
        Spi::run("SET LOCAL tenant_guard.trust_user_metadata = on").unwrap();
        assert_eq!(org().as_deref(), Some(A));
    }

    #[pg_test]
    fn helpers_return_lists_keys_users_roles_and_claims() {
        set_claims(&format!(
            r#"{{"sub":"{A}","role":"authenticated","app_metadata":{{"organization_ids":["{A}","{B}"],"organization_id":"{B}"}}}}"#
        ));
        assert_eq!(org().as_deref(), Some(B));
        assert_eq!(
            one::<String>("SELECT identity.get_current_org_ids()::text").as_deref(),
            Some(format!("{{{A},{B}}}").as_str())
        );
        assert_eq!(
            one::<bool>(&format!("SELECT identity.has_org('{A}')")),
            Some(true)
        );
        assert_eq!(
            one::<bool>("SELECT identity.has_org('00000000-0000-0000-0000-000000000000')"),
            Some(false)
        );
        assert_eq!(one::<bool>("SELECT identity.has_org(NULL)"), None);
        assert_eq!(
            one::<String>("SELECT identity.get_current_user_id()::text").as_deref(),
            Some(A)
        );
        assert_eq!(
            one::<String>("SELECT identity.get_current_role()").as_deref(),
            Some("authenticated")
        );
        assert_eq!(
            one::<String>("SELECT identity.current_claims() #>> '{app_metadata,organization_id}'")
                .as_deref(),
            Some(B)
        );
        set_claims(r#"{"app_metadata":{"org_id":"org_2abcDEF"}}"#);
        assert_eq!(org(), None);
        assert_eq!(
            one::<String>("SELECT identity.get_current_org_key()").as_deref(),
            Some("org_2abcDEF")
        );
    }

    #[pg_test]
    fn explain_claims_names_the_conflict() {
        set_claims(&format!(
            r#"{{"org_id":"{A}","app_metadata":{{"organization_id":"{B}"}}}}"#
        ));
        let conflicts = one::<i64>(
            "SELECT count(*) FROM identity.explain_claims() WHERE status = 'conflict' AND source = 'request.jwt.claims'",
        );
        assert_eq!(conflicts, Some(2));
        let summary = one::<String>(
            "SELECT status FROM identity.explain_claims() WHERE source = 'result' AND path = 'org_id'",
        );
        assert_eq!(summary.as_deref(), Some("conflict"));
    }

    #[pg_test(error = "no tenant for this request: no tenant claim or setting is present")]
    fn require_org_id_raises_without_claims() {
        one::<String>("SELECT identity.require_org_id()::text");
    }

    #[pg_test]
    fn rls_as_non_owner_role() {
        Spi::run(
            "CREATE ROLE tg_pgtest_client NOLOGIN NOSUPERUSER NOBYPASSRLS;
             CREATE TABLE tg_docs (id int, org_id uuid);
             ALTER TABLE tg_docs ENABLE ROW LEVEL SECURITY;
             CREATE POLICY tg_docs_tenant ON tg_docs TO tg_pgtest_client
               USING (org_id = identity.get_current_org_id());
             GRANT SELECT ON tg_docs TO tg_pgtest_client;",
        )
        .unwrap();
        Spi::run(&format!(
            "INSERT INTO tg_docs VALUES (1, '{A}'), (2, '{A}'), (3, '{B}')"
        ))
        .unwrap();
        Spi::run("SET LOCAL ROLE tg_pgtest_client").unwrap();
        assert_eq!(
            one::<bool>("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"),
            Some(false)
        );
        let count = || one::<i64>("SELECT count(*) FROM tg_docs");
        assert_eq!(count(), Some(0), "no claims: nothing");
        set_claims(&format!(
            r#"{{"app_metadata":{{"organization_id":"{A}"}}}}"#
        ));
        assert_eq!(count(), Some(2));
        set_claims(&format!(r#"{{"organization_id":"{B}"}}"#));
        assert_eq!(count(), Some(1));
        set_claims(&format!(r#"{{"organization_id":"{B}","org_id":"{A}"}}"#));
        assert_eq!(count(), Some(0), "conflict: nothing");
        set_claims(r#"{"organization_id":"#);
        assert_eq!(count(), Some(0), "malformed: nothing");
        set_claims(r#"{"organization_id":42}"#);
        assert_eq!(count(), Some(0), "invalid: nothing");
    }

    #[pg_test]
    fn hostile_claims_are_null_not_errors() {
        let big = format!(
            r#"{{"pad":"{}","app_metadata":{{"organization_id":"{A}"}}}}"#,
            "x".repeat(1 << 20)
        );
        set_claims(&big);
        assert_eq!(org().as_deref(), Some(A));
        set_claims(&"[".repeat(200_000));
        assert_eq!(org(), None);
        set_claims(r#"{"org_id":"\ud800"}"#);
        assert_eq!(org(), None);
        set_claims(&format!(r#"{{"org_id":"{A}\u0000"}}"#));
        assert_eq!(org(), None);
        assert_eq!(one::<String>("SELECT identity.get_current_org_key()"), None);
        set_claims(r#"{"org_id":"x\u0000y"}"#);
        assert_eq!(one::<String>("SELECT identity.get_current_org_key()"), None);
        assert_eq!(
            one::<bool>("SELECT identity.current_claims() IS NULL"),
            Some(true)
        );
    }

    /// A function that panics, only in the test build: what a Rust bug in any
    /// of our functions would do.
    #[pg_extern]
    fn tg_test_panic() -> i32 {
        panic!("deliberate panic for the test")
    }

    #[pg_test]
    fn a_rust_panic_is_an_error_not_a_crash() {
        let caught = crate::subxact::run(false, || Spi::run("SELECT tests.tg_test_panic()"));
        let Err(e) = caught else {
            panic!("the panicking function returned")
        };
        assert_eq!(crate::subxact::sqlstate(&e).as_deref(), Some("XX000"));
        assert!(
            crate::subxact::message(&e).contains("deliberate panic"),
            "{}",
            crate::subxact::message(&e)
        );
        // The backend is alive and the transaction usable.
        assert_eq!(one::<i32>("SELECT 41 + 1"), Some(42));
        set_claims(&format!(r#"{{"org_id":"{A}"}}"#));
        assert_eq!(org().as_deref(), Some(A));
    }
}
