//! Graph unit tests: cycles, definer breaks, FORCE, per-role reachability.

use super::*;
use crate::audit::model::AuditConfig;
use crate::audit::snapshot::{Role, Schema, Snapshot};

const POSTGRES: Oid = 10;
const ANON: Oid = 100;
const AUTHENTICATED: Oid = 101;
const APP_OWNER: Oid = 102;
const SERVICE: Oid = 103;

fn role(oid: Oid, name: &str, superuser: bool, bypassrls: bool) -> Role {
    Role {
        oid,
        name: name.into(),
        superuser,
        bypassrls,
        login: false,
        inherit: true,
        member_of: vec![],
    }
}

fn table(oid: Oid, name: &str, owner: Oid, force: bool) -> Table {
    Table {
        oid,
        schema: "public".into(),
        name: name.into(),
        kind: "r".into(),
        owner,
        rls: true,
        force_rls: force,
        partition_of: None,
        extension_member: false,
        security_invoker: false,
        acl: vec![],
        own_acl: None,
        columns: vec![],
        indexes: vec![],
        foreign_keys: vec![],
        view_relations: vec![],
    }
}

fn view(oid: Oid, name: &str, owner: Oid, invoker: bool, rels: &[Oid]) -> Table {
    Table {
        kind: "v".into(),
        rls: false,
        security_invoker: invoker,
        view_relations: rels.to_vec(),
        ..table(oid, name, owner, false)
    }
}

fn policy(
    oid: Oid,
    table: Oid,
    name: &str,
    cmd: &str,
    roles: &[Oid],
    qual: Option<String>,
    check: Option<String>,
) -> Policy {
    Policy {
        oid,
        table,
        name: name.into(),
        cmd: cmd.into(),
        permissive: true,
        roles: roles.to_vec(),
        qual,
        with_check: check,
        qual_sql: None,
        with_check_sql: None,
        qual_tree: None,
        with_check_tree: None,
    }
}

fn func(oid: Oid, name: &str, owner: Oid, definer: bool, body: Option<String>) -> Function {
    Function {
        oid,
        schema: "public".into(),
        name: name.into(),
        signature: format!("{name}()"),
        language: "sql".into(),
        security_definer: definer,
        volatility: "s".into(),
        owner,
        kind: "f".into(),
        returns: "uuid".into(),
        config: None,
        arg_types: vec![],
        source: None,
        sql_body: body,
        analyzed_body: None,
        body_tree: None,
        extension_member: false,
        acl: vec![],
    }
}

/// `EXISTS (SELECT … FROM rel)`
fn sub(rel: Oid) -> String {
    format!("{{SUBLINK :subLinkType 0 :testexpr <> :subselect {{QUERY :commandType 1 :rtable ({{RANGETBLENTRY :rtekind 0 :relid {rel} :relkind r}}) :targetList <>}}}}")
}
/// `f()`
fn call(f: Oid) -> String {
    format!("{{FUNCEXPR :funcid {f} :funcformat 0 :args <>}}")
}
/// `(SELECT f())`: a sub-query without relations.
fn wrapped(f: Oid) -> String {
    format!("{{SUBLINK :subLinkType 4 :subselect {{QUERY :commandType 1 :rtable <> :targetList ({{TARGETENTRY :expr {} :resno 1}})}}}}", call(f))
}
/// A SQL body reading `rel`.
fn body(rel: Oid) -> String {
    format!("(({{QUERY :commandType 1 :resultRelation 0 :rtable ({{RANGETBLENTRY :rtekind 0 :relid {rel} :relkind r}}) :targetList <>}}))")
}

fn snapshot(tables: Vec<Table>, policies: Vec<Policy>, functions: Vec<Function>) -> Snapshot {
    let s = Snapshot {
        database_owner: POSTGRES,
        settings: Default::default(),
        roles: vec![
            role(POSTGRES, "postgres", true, true),
            role(ANON, "anon", false, false),
            role(AUTHENTICATED, "authenticated", false, false),
            role(APP_OWNER, "app_owner", false, false),
            role(SERVICE, "service_role", false, true),
        ],
        schemas: vec![Schema {
            oid: 2200,
            name: "public".into(),
            owner: POSTGRES,
            extension_member: false,
            acl: vec![],
        }],
        tables,
        policies,
        functions,
        default_acls: vec![],
        parse_errors: vec![],
    };
    // Round trip: parses the node trees as a captured snapshot would be.
    let s = Snapshot::from_json(&s.to_json()).unwrap();
    assert!(s.parse_errors.is_empty(), "{:?}", s.parse_errors);
    s
}

/// (rendered path, role names, command) of each loop.
fn loops(snap: &Snapshot, functions: bool) -> Vec<(String, Vec<String>, Cmd)> {
    let config = AuditConfig::default();
    let ctx = Ctx::new(snap, &config);
    let g = Graph::new(&ctx);
    let roles = g.seed_roles();
    let cycles = if functions {
        g.function_cycles(&roles)
    } else {
        g.policy_cycles(&roles)
    };
    cycles
        .iter()
        .map(|c| {
            (
                g.render(c),
                c.roles.iter().map(|&r| ctx.role_name(r)).collect(),
                c.cmd,
            )
        })
        .collect()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn direct_self_reference_for_one_role() {
    let snap = snapshot(
        vec![table(1, "memberships", POSTGRES, false)],
        vec![policy(
            11,
            1,
            "members",
            "r",
            &[AUTHENTICATED],
            Some(sub(1)),
            None,
        )],
        vec![],
    );
    assert_eq!(
        loops(&snap, false),
        [(
            "public.memberships [policy members] -> public.memberships".to_owned(),
            names(&["authenticated"]),
            Cmd::Select
        )],
        "a cycle for authenticated, not for anon"
    );
    assert!(loops(&snap, true).is_empty());
}

#[test]
fn mutual_recursion_has_its_path() {
    let snap = snapshot(
        vec![
            table(1, "a", POSTGRES, false),
            table(2, "b", POSTGRES, false),
        ],
        vec![
            policy(11, 1, "pa", "*", &[PUBLIC], Some(sub(2)), None),
            policy(12, 2, "pb", "r", &[PUBLIC], Some(sub(1)), None),
        ],
        vec![],
    );
    assert_eq!(
        loops(&snap, false),
        [(
            "public.a [policy pa] -> public.b [policy pb] -> public.a".to_owned(),
            names(&["anon", "authenticated", "PUBLIC"]),
            Cmd::Select
        )]
    );
}

#[test]
fn per_role_reachability() {
    // a -> b only for authenticated, b -> a only for anon: no role has the loop.
    let split = snapshot(
        vec![
            table(1, "a", POSTGRES, false),
            table(2, "b", POSTGRES, false),
        ],
        vec![
            policy(11, 1, "pa", "r", &[AUTHENTICATED], Some(sub(2)), None),
            policy(12, 2, "pb", "r", &[ANON], Some(sub(1)), None),
        ],
        vec![],
    );
    assert!(loops(&split, false).is_empty());
    // Exempt roles never expand policies: service_role (BYPASSRLS).
    let service = snapshot(
        vec![table(1, "jobs", POSTGRES, false)],
        vec![policy(11, 1, "svc", "*", &[SERVICE], Some(sub(1)), None)],
        vec![],
    );
    assert!(loops(&service, false).is_empty());
    // RLS off: policies are dormant.
    let mut off = table(1, "tags", POSTGRES, false);
    off.rls = false;
    let dormant = snapshot(
        vec![off],
        vec![policy(11, 1, "tree", "*", &[PUBLIC], Some(sub(1)), None)],
        vec![],
    );
    assert!(loops(&dormant, false).is_empty());
}

#[test]
fn write_only_loop_needs_a_select_sublink() {
    let t = || table(1, "invoices", POSTGRES, false);
    let insert = || {
        policy(
            11,
            1,
            "unique_number",
            "a",
            &[AUTHENTICATED],
            None,
            Some(sub(1)),
        )
    };
    // The SELECT policy has a sub-query ((SELECT f())): INSERT raises 42P17.
    let with = snapshot(
        vec![t()],
        vec![
            policy(
                12,
                1,
                "read",
                "r",
                &[AUTHENTICATED],
                Some(wrapped(50)),
                None,
            ),
            insert(),
        ],
        vec![func(50, "org", POSTGRES, false, None)],
    );
    assert_eq!(
        loops(&with, false),
        [(
            "public.invoices (INSERT) [policy unique_number] -> public.invoices".to_owned(),
            names(&["authenticated"]),
            Cmd::Insert
        )]
    );
    // A SELECT policy without sub-query: PostgreSQL does not check again.
    let without = snapshot(
        vec![t()],
        vec![
            policy(12, 1, "read", "r", &[AUTHENTICATED], Some(call(50)), None),
            insert(),
        ],
        vec![func(50, "org", POSTGRES, false, None)],
    );
    assert!(loops(&without, false).is_empty());
}

#[test]
fn views_invoker_transparent_definer_runs_as_owner() {
    let policies = |v: Oid| vec![policy(11, 1, "docs", "r", &[PUBLIC], Some(sub(v)), None)];
    let invoker = snapshot(
        vec![
            table(1, "documents", POSTGRES, false),
            view(2, "mine", POSTGRES, true, &[1]),
        ],
        policies(2),
        vec![],
    );
    assert_eq!(
        loops(&invoker, false)[0].0,
        "public.documents [policy docs] -> public.mine (security_invoker view) -> public.documents"
    );
    let definer = snapshot(
        vec![
            table(1, "documents", POSTGRES, false),
            view(2, "all_docs", POSTGRES, false, &[1]),
        ],
        policies(2),
        vec![],
    );
    assert!(
        loops(&definer, false).is_empty(),
        "the exempt owner breaks the chain"
    );
    // A definer view owned by a role subject to RLS: the loop continues as that role.
    let owned = snapshot(
        vec![
            table(1, "documents", POSTGRES, false),
            view(2, "all_docs", APP_OWNER, false, &[1]),
        ],
        policies(2),
        vec![],
    );
    let l = loops(&owned, false);
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(l[0].0.contains("view running as app_owner"), "{}", l[0].0);
}

#[test]
fn functions_break_the_rewrite_chain_and_recurse_at_run_time() {
    let users = || table(1, "users", POSTGRES, false);
    let pol = || {
        vec![policy(
            11,
            1,
            "same_tenant",
            "r",
            &[PUBLIC],
            Some(call(50)),
            None,
        )]
    };
    let invoker = snapshot(
        vec![users()],
        pol(),
        vec![func(50, "tenant_id", POSTGRES, false, Some(body(1)))],
    );
    assert!(loops(&invoker, false).is_empty(), "not a 42P17");
    assert_eq!(
            loops(&invoker, true),
            [(
                "public.users [policy same_tenant] -> public.tenant_id() (SECURITY INVOKER) -> public.users".to_owned(),
                names(&["anon", "authenticated", "PUBLIC"]),
                Cmd::Select
            )]
        );
    // Wrapped in a sub-query it is still a function call, not a sub-query read.
    let sub_call = snapshot(
        vec![users()],
        vec![policy(
            11,
            1,
            "same_tenant",
            "r",
            &[PUBLIC],
            Some(wrapped(50)),
            None,
        )],
        vec![func(50, "tenant_id", POSTGRES, false, Some(body(1)))],
    );
    assert!(loops(&sub_call, false).is_empty());
    assert_eq!(loops(&sub_call, true).len(), 1);
}

#[test]
fn definer_breaks_the_chain_and_force_restores_it() {
    let pol = |roles: &[Oid]| vec![policy(11, 1, "org", "*", roles, Some(wrapped(50)), None)];
    // Owned by the superuser: exempt.
    let superuser = snapshot(
        vec![table(1, "team_members", POSTGRES, false)],
        pol(&[PUBLIC]),
        vec![func(50, "my_orgs", POSTGRES, true, Some(body(1)))],
    );
    assert!(loops(&superuser, true).is_empty());
    // Owned by the (non-superuser) table owner, no FORCE: exempt.
    let owner = snapshot(
        vec![table(1, "team_members", APP_OWNER, false)],
        pol(&[PUBLIC]),
        vec![func(50, "my_orgs", APP_OWNER, true, Some(body(1)))],
    );
    assert!(loops(&owner, true).is_empty());
    // FORCE and a policy that applies to the owner: the loop is back.
    let forced = snapshot(
        vec![table(1, "team_members", APP_OWNER, true)],
        pol(&[PUBLIC]),
        vec![func(50, "my_orgs", APP_OWNER, true, Some(body(1)))],
    );
    let l = loops(&forced, true);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(
            l[0].0,
            "public.team_members [policy org] -> public.my_orgs() (SECURITY DEFINER, runs as app_owner) -> public.team_members"
        );
    assert!(
        l[0].1.contains(&"authenticated".to_owned()) && l[0].1.contains(&"app_owner".to_owned())
    );
    // FORCE, but the policy is for authenticated only: the owner gets default deny.
    let scoped = snapshot(
        vec![table(1, "team_members", APP_OWNER, true)],
        pol(&[AUTHENTICATED]),
        vec![func(50, "my_orgs", APP_OWNER, true, Some(body(1)))],
    );
    assert!(loops(&scoped, true).is_empty());
    // A definer owned by a role that is not the owner and not exempt.
    let other = snapshot(
        vec![table(1, "team_members", POSTGRES, false)],
        pol(&[PUBLIC]),
        vec![func(50, "my_orgs", APP_OWNER, true, Some(body(1)))],
    );
    assert_eq!(loops(&other, true).len(), 1);
}

#[test]
fn source_scan_skips_comments_strings_and_dynamic_sql() {
    let snap = snapshot(
        vec![
            table(1, "tickets", POSTGRES, false),
            table(2, "organizations", POSTGRES, false),
            table(3, "audit_log", POSTGRES, false),
            table(4, "users", POSTGRES, false),
        ],
        vec![],
        vec![],
    );
    let config = AuditConfig::default();
    let ctx = Ctx::new(&snap, &config);
    let mut f = func(60, "f", POSTGRES, false, None);
    f.language = "plpgsql".into();
    let src = r#"
DECLARE note text := 'SELECT 1 FROM public.tickets';
BEGIN
  -- SELECT * FROM tickets
  /* FROM tickets /* nested */ JOIN tickets */
  EXECUTE $q$SELECT * FROM public.tickets$q$;
  SELECT o.id INTO v FROM public.organizations o, "users" AS u WHERE o.id = $1;
  INSERT INTO audit_log VALUES (1);
  PERFORM extract(epoch FROM now());
END"#;
    let refs = scan_source(&ctx, &f, src);
    let reads: Vec<(Oid, Cmd)> = refs.reads.iter().map(|r| (r.rel, r.cmd)).collect();
    assert_eq!(
        reads,
        [(2, Cmd::Select), (4, Cmd::Select), (3, Cmd::Insert)]
    );
    assert!(refs.reads.iter().all(|r| r.from_source));
}
