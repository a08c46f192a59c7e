//! `#[pg_test]`s for the glue. They run as superuser inside a transaction that
//! is rolled back: every RLS test switches to a non-owner role first.
use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn org_id_from_claims() {
        Spi::run("SELECT set_config('request.jwt.claims', '{\"app_metadata\":{\"organization_id\":\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\"}}', true)").unwrap();
        let v = Spi::get_one::<String>("SELECT identity.get_current_org_id()::text").unwrap();
        assert_eq!(v.as_deref(), Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    }
}
