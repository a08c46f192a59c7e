//! The RLS semantics the checks rely on: who is exempt, which policies apply
//! to whom, who holds which privilege. Snapshots are written by hand here to
//! pin each rule; the check tests use snapshots captured from PostgreSQL.

use serde_json::json;
use tenant_guard_core::audit::snapshot::PUBLIC;
use tenant_guard_core::audit::{AuditConfig, Ctx, Snapshot};

fn role(
    oid: u32,
    name: &str,
    superuser: bool,
    bypass: bool,
    login: bool,
    inherit: bool,
    member_of: &[u32],
) -> serde_json::Value {
    json!({"oid": oid, "name": name, "superuser": superuser, "bypassrls": bypass, "login": login,
           "inherit": inherit, "member_of": member_of})
}

fn snapshot(force: bool) -> Snapshot {
    let doc = json!({
        "database_owner": 10,
        "roles": [
            role(10, "postgres", true, true, true, true, &[]),
            role(20, "owner_role", false, false, false, true, &[]),
            role(21, "authenticated", false, false, false, true, &[]),
            role(22, "anon", false, false, false, true, &[]),
            role(23, "service_role", false, true, false, true, &[]),
            role(24, "app_login", false, false, true, true, &[20]),       // inherits the owner
            role(25, "noinherit_login", false, false, true, false, &[20]), // member, NOINHERIT
            role(26, "staff", false, false, false, true, &[21]),          // member of authenticated
        ],
        "schemas": [{"oid": 100, "name": "public", "owner": 10, "extension_member": false,
                     "acl": [{"grantee": 10, "privilege": "USAGE"}, {"grantee": 0, "privilege": "USAGE"}]}],
        "tables": [{"oid": 1000, "schema": "public", "name": "docs", "kind": "r", "owner": 20, "rls": true,
                    "force_rls": force, "partition_of": null, "extension_member": false, "security_invoker": false,
                    "acl": [{"grantee": 20, "privilege": "SELECT"}, {"grantee": 21, "privilege": "SELECT"},
                            {"grantee": 0, "privilege": "INSERT"}],
                    "columns": [{"num": 1, "name": "org_id", "type": "uuid", "not_null": true}],
                    "indexes": [], "view_relations": []}],
        "policies": [
            {"oid": 5000, "table": 1000, "name": "to_auth", "cmd": "r", "permissive": true, "roles": [21],
             "qual": null, "with_check": null, "qual_sql": null, "with_check_sql": null},
            {"oid": 5001, "table": 1000, "name": "to_public", "cmd": "r", "permissive": true, "roles": [0],
             "qual": null, "with_check": null, "qual_sql": null, "with_check_sql": null}
        ],
        "functions": [],
        "default_acls": []
    });
    Snapshot::from_json(&doc.to_string()).unwrap()
}

#[test]
fn exemption_follows_postgresql() {
    for force in [false, true] {
        let snap = snapshot(force);
        let config = AuditConfig::default();
        let ctx = Ctx::new(&snap, &config);
        let t = ctx.tables[&1000];
        assert!(ctx.exempt(10, t), "superuser, force={force}");
        assert!(ctx.exempt(23, t), "BYPASSRLS, force={force}");
        assert_eq!(ctx.exempt(20, t), !force, "owner exempt only without FORCE");
        assert_eq!(ctx.exempt(24, t), !force, "member inheriting the owner");
        assert!(!ctx.exempt(25, t), "NOINHERIT member must SET ROLE first");
        assert!(!ctx.exempt(21, t) && !ctx.exempt(22, t) && !ctx.exempt(PUBLIC, t));
    }
}

#[test]
fn policies_apply_through_inherited_membership() {
    let snap = snapshot(false);
    let config = AuditConfig::default();
    let ctx = Ctx::new(&snap, &config);
    let to_auth = &snap.policies[0];
    let to_public = &snap.policies[1];
    assert!(ctx.policy_applies(to_auth, 21));
    assert!(
        ctx.policy_applies(to_auth, 26),
        "staff inherits authenticated"
    );
    assert!(
        !ctx.policy_applies(to_auth, 22),
        "anon is not authenticated"
    );
    assert!(ctx.policy_applies(to_public, 22) && ctx.policy_applies(to_public, PUBLIC));
}

#[test]
fn privileges_include_public_and_inherited_grants() {
    let snap = snapshot(false);
    let config = AuditConfig::default();
    let ctx = Ctx::new(&snap, &config);
    let t = ctx.tables[&1000];
    let anon = ctx.acl_privileges(&t.acl, 22);
    assert!(anon.contains("INSERT") && !anon.contains("SELECT"));
    let staff = ctx.acl_privileges(&t.acl, 26);
    assert!(staff.contains("SELECT") && staff.contains("INSERT"));
    assert!(ctx.schema_usage("public", 22), "USAGE through PUBLIC");
    let reach = ctx.client_privileges(t);
    let roles: Vec<u32> = reach.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        roles,
        [22, 21, PUBLIC],
        "configured order: anon, authenticated, then PUBLIC"
    );
}

#[test]
fn scope_follows_pgrst_db_schemas_and_skips_our_schemas() {
    let mut doc: serde_json::Value = serde_json::from_str(&snapshot(false).to_json()).unwrap();
    doc["schemas"]
        .as_array_mut()
        .unwrap()
        .push(json!({"oid": 101, "name": "identity", "owner": 10,
        "extension_member": false, "acl": []}));
    doc["schemas"]
        .as_array_mut()
        .unwrap()
        .push(json!({"oid": 102, "name": "api", "owner": 10,
        "extension_member": false, "acl": []}));
    let snap = Snapshot::from_json(&doc.to_string()).unwrap();
    let config = AuditConfig::default();
    let ctx = Ctx::new(&snap, &config);
    let mut s: Vec<&String> = ctx.schemas.iter().collect();
    s.sort();
    assert_eq!(s, ["api", "public"]);
    doc["settings"] = json!({"pgrst_db_schemas": "api, \"public\""});
    let snap = Snapshot::from_json(&doc.to_string()).unwrap();
    let ctx = Ctx::new(&snap, &config);
    let mut s: Vec<&String> = ctx.schemas.iter().collect();
    s.sort();
    assert_eq!(s, ["api", "public"]);
    doc["settings"] = json!({"pgrst_db_schemas": "api"});
    let snap = Snapshot::from_json(&doc.to_string()).unwrap();
    let ctx = Ctx::new(&snap, &config);
    assert_eq!(ctx.schemas.iter().collect::<Vec<_>>(), ["api"]);
}
