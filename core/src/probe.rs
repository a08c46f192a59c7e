//! The isolation probe's plan and verdicts, without PostgreSQL: which checks
//! run as the probed role, with which synthetic claims and which SQL, and how
//! each outcome (a row count, or an error's SQLSTATE) becomes a verdict.
//!
//! The extension runs every check in a subtransaction that is always rolled
//! back (`tenant_guard.probe_isolation`); nothing here touches a database.

use crate::audit::model::quote_ident;
use serde_json::{json, Map, Value};

/// The table probed, as the extension found it in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub schema: String,
    pub table: String,
    pub tenant_column: String,
    /// The tenant column's type as `format_type` writes it (`uuid`, `text`, ...):
    /// tenant ids travel as text and are cast to it.
    pub tenant_type: String,
    /// Columns an INSERT must name: NOT NULL, no default, not generated,
    /// the tenant column excluded.
    pub required_columns: Vec<String>,
    /// Claim keys that may hold the tenant (`tenant_guard.claim_keys`).
    pub claim_keys: Vec<String>,
}

/// How a check's result is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The query returns a count that must be 0.
    NoRows,
    /// The query returns a count that must equal this (tenant A's own rows).
    Rows(i64),
    /// A write that must be refused (42501) or touch no row.
    Refused,
}

/// The claims a check runs with.
#[derive(Debug, Clone, PartialEq)]
pub enum Claims {
    None,
    Json(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: &'static str,
    pub claims: Claims,
    /// Also set the backend-worker tenant setting (`app.tenant_id`) to tenant A.
    pub sets_tenant: bool,
    /// Returns one bigint: rows seen or rows written. Parameters, all text:
    /// `$1` tenant A, `$2` tenant B, `$3` the template row (`to_jsonb` of a row).
    pub sql: String,
    pub expect: Expect,
    /// What it tries, in words.
    pub what: &'static str,
}

/// What running a check produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Count(i64),
    Error { sqlstate: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

/// One result row of `probe_isolation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: &'static str,
    pub expected: String,
    pub observed: String,
    pub verdict: Verdict,
    pub detail: String,
}

/// Claims for `tenant` under every claim key, at the top level and in
/// `app_metadata`: whatever key or location a policy reads, it finds the
/// tenant, and every location agrees.
pub fn claims_for(target: &Target, tenant: &str, user: &str, role: &str) -> Value {
    let mut top = Map::new();
    let mut app = Map::new();
    for key in &target.claim_keys {
        top.insert(key.clone(), json!(tenant));
        app.insert(key.clone(), json!(tenant));
    }
    top.insert("sub".into(), json!(user));
    top.insert("role".into(), json!(role));
    top.insert("aud".into(), json!("authenticated"));
    top.insert("app_metadata".into(), Value::Object(app));
    Value::Object(top)
}

impl Target {
    fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    fn tenant(&self) -> String {
        quote_ident(&self.tenant_column)
    }

    /// `$n` as the tenant column's type.
    fn param(&self, n: usize) -> String {
        format!("(${n})::{}", self.tenant_type)
    }
}

/// The checks, in the order they run. `a`/`b` are the two tenants (text),
/// `rows_a` the number of rows tenant A really has, `user` a synthetic user id.
pub fn plan(target: &Target, a: &str, b: &str, rows_a: i64, user: &str, role: &str) -> Vec<Check> {
    let t = target.qualified();
    let col = target.tenant();
    let (pa, pb) = (target.param(1), target.param(2));
    let claims_a = claims_for(target, a, user, role);

    // app_metadata says A, the top level says B (seed 000's drift). Reading
    // A's rows is consistent with app_metadata; reading B's trusts the copy
    // that disagrees with it.
    let mut conflicting = claims_for(target, a, user, role);
    for key in &target.claim_keys {
        conflicting[key.as_str()] = json!(b);
    }
    let mut edited = claims_for(target, a, user, role);
    let meta: Map<String, Value> = target
        .claim_keys
        .iter()
        .map(|k| (k.clone(), json!(b)))
        .collect();
    edited["user_metadata"] = Value::Object(meta);

    let mut insert_cols: Vec<String> = target
        .required_columns
        .iter()
        .map(|c| quote_ident(c))
        .collect();
    let insert_vals: Vec<String> = insert_cols.iter().map(|c| format!("r.{c}")).collect();
    insert_cols.push(col.clone());
    let insert = format!(
        "WITH w AS (INSERT INTO {t} ({}) SELECT {}{}{pb} FROM jsonb_populate_record(NULL::{t}, $3::jsonb) r RETURNING 1) SELECT count(*) FROM w",
        insert_cols.join(", "),
        insert_vals.join(", "),
        if insert_vals.is_empty() { "" } else { ", " },
    );

    vec![
        Check {
            name: "read_own_tenant",
            claims: Claims::Json(claims_a.clone()),
            sets_tenant: true,
            sql: format!("SELECT count(*) FROM {t} WHERE {col} = {pa}"),
            expect: Expect::Rows(rows_a),
            what: "tenant A reads its own rows",
        },
        Check {
            name: "read_other_tenant",
            claims: Claims::Json(claims_a.clone()),
            sets_tenant: true,
            sql: format!("SELECT count(*) FROM {t} WHERE {col} IS DISTINCT FROM {pa}"),
            expect: Expect::NoRows,
            what: "tenant A reads rows of any other tenant (or without one)",
        },
        Check {
            name: "insert_other_tenant",
            claims: Claims::Json(claims_a.clone()),
            sets_tenant: true,
            sql: insert,
            expect: Expect::Refused,
            what: "tenant A inserts a row for tenant B",
        },
        Check {
            name: "update_to_other_tenant",
            claims: Claims::Json(claims_a.clone()),
            sets_tenant: true,
            sql: format!(
                "WITH w AS (UPDATE {t} SET {col} = {pb} WHERE ctid = (SELECT ctid FROM {t} WHERE {col} = {pa} LIMIT 1) RETURNING 1) SELECT count(*) FROM w"
            ),
            expect: Expect::Refused,
            what: "tenant A moves one of its rows to tenant B",
        },
        Check {
            name: "delete_other_tenant",
            claims: Claims::Json(claims_a.clone()),
            sets_tenant: true,
            sql: format!(
                "WITH w AS (DELETE FROM {t} WHERE {col} IS DISTINCT FROM {pa} RETURNING 1) SELECT count(*) FROM w"
            ),
            expect: Expect::Refused,
            what: "tenant A deletes rows of other tenants",
        },
        Check {
            name: "read_without_claims",
            claims: Claims::None,
            sets_tenant: false,
            sql: format!("SELECT count(*) FROM {t}"),
            expect: Expect::NoRows,
            what: "a request without claims reads anything",
        },
        Check {
            name: "read_with_conflicting_claims",
            claims: Claims::Json(conflicting),
            sets_tenant: false,
            sql: format!("SELECT count(*) FROM {t} WHERE {col} = {pb}"),
            expect: Expect::NoRows,
            what: "claims whose locations disagree (A in app_metadata, B at the top level) read B's rows",
        },
        Check {
            name: "read_with_edited_user_metadata",
            claims: Claims::Json(edited),
            sets_tenant: true,
            sql: format!("SELECT count(*) FROM {t} WHERE {col} IS DISTINCT FROM {pa}"),
            expect: Expect::NoRows,
            what: "tenant A, having written tenant B into its own user_metadata, reads B's rows",
        },
    ]
}

/// The SQLSTATEs of recursion: 42P17 (a policy cycle) and 54001 (stack depth,
/// through functions).
fn recursion(sqlstate: &str) -> Option<&'static str> {
    match sqlstate {
        "42P17" => Some("infinite recursion in the table's policies (42P17)"),
        "54001" => Some(
            "stack depth exceeded, usually policies recursing through a helper function (54001)",
        ),
        _ => None,
    }
}

/// Judges every check; `outcomes[i]` is what `checks[i]` produced. Checks
/// that depend on each other are judged together: an UPDATE that moved
/// nothing is a pass when tenant A can read its rows (no policy lets it
/// update them), and inconclusive when it cannot.
pub fn judge_all(checks: &[Check], outcomes: &[Outcome]) -> Vec<Finding> {
    let own_visible = checks
        .iter()
        .zip(outcomes)
        .any(|(c, o)| c.name == "read_own_tenant" && matches!(o, Outcome::Count(n) if *n > 0));
    checks
        .iter()
        .zip(outcomes)
        .map(|(check, outcome)| {
            let mut f = judge(check, outcome);
            if check.name == "update_to_other_tenant"
                && *outcome == Outcome::Count(0)
                && own_visible
            {
                f.verdict = Verdict::Pass;
                f.detail = "tenant A can read its rows but no policy lets it update them".into();
            }
            f
        })
        .collect()
}

/// Judges one check's outcome.
pub fn judge(check: &Check, outcome: &Outcome) -> Finding {
    let expected = match check.expect {
        Expect::NoRows => "0 rows".to_owned(),
        Expect::Rows(n) => format!("{n} rows"),
        Expect::Refused => "refused".to_owned(),
    };
    let (observed, verdict, detail) = match (check.expect, outcome) {
        (_, Outcome::Error { sqlstate, message }) if recursion(sqlstate).is_some() => (
            format!("ERROR {sqlstate}"),
            Verdict::Error,
            format!("{}: {message}", recursion(sqlstate).unwrap_or_default()),
        ),
        (Expect::Refused | Expect::NoRows, Outcome::Error { sqlstate, message })
            if sqlstate == "42501" =>
        {
            ("refused (42501)".to_owned(), Verdict::Pass, message.clone())
        }
        (Expect::Rows(_), Outcome::Error { sqlstate, message }) if sqlstate == "42501" => (
            "refused (42501)".to_owned(),
            Verdict::Fail,
            format!("tenant A cannot read its own rows: {message} (missing grants?)"),
        ),
        (Expect::Refused, Outcome::Error { sqlstate, message }) if sqlstate.starts_with("23") => (
            format!("ERROR {sqlstate}"),
            Verdict::Fail,
            format!(
                "the row policies accepted it; only a constraint stopped it ({message}). Row-level security checks a new row before constraints, so with a valid row this {} would succeed",
                if check.name == "insert_other_tenant" { "insert" } else { "update" }
            ),
        ),
        (Expect::NoRows, Outcome::Error { sqlstate, message }) => (
            format!("ERROR {sqlstate}"),
            Verdict::Error,
            format!("no rows leaked, but the query fails for this request: {message}"),
        ),
        (_, Outcome::Error { sqlstate, message }) => (
            format!("ERROR {sqlstate}"),
            Verdict::Error,
            format!("inconclusive: {message}"),
        ),
        (Expect::NoRows, Outcome::Count(0)) => ("0 rows".into(), Verdict::Pass, String::new()),
        (Expect::NoRows, Outcome::Count(n)) => (
            format!("{n} rows"),
            Verdict::Fail,
            format!("{}: it did ({n} rows)", check.what),
        ),
        (Expect::Rows(want), Outcome::Count(n)) if *n == want => {
            (format!("{n} rows"), Verdict::Pass, String::new())
        }
        (Expect::Rows(want), Outcome::Count(n)) => (
            format!("{n} rows"),
            Verdict::Fail,
            format!(
                "tenant A sees {n} of its {want} rows: the policy does not recognise the claims (claim key or location drift?), so users get empty results. If access goes through a membership table, set tenant_guard.membership_table so the probe acts as a real member of A"
            ),
        ),
        (Expect::Refused, Outcome::Count(0)) if check.name == "update_to_other_tenant" => (
            "0 rows".into(),
            Verdict::Error,
            "inconclusive: tenant A sees none of its own rows, so there was nothing to move (see read_own_tenant)".into(),
        ),
        (Expect::Refused, Outcome::Count(0)) => ("0 rows".into(), Verdict::Pass, String::new()),
        (Expect::Refused, Outcome::Count(n)) => (
            format!("{n} rows written"),
            Verdict::Fail,
            format!("{}: it did ({n} rows; rolled back)", check.what),
        ),
    };
    Finding {
        check: check.name,
        expected,
        observed,
        verdict,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            schema: "public".into(),
            table: "Docs".into(),
            tenant_column: "org_id".into(),
            tenant_type: "uuid".into(),
            required_columns: vec!["body".into()],
            claim_keys: vec!["organization_id".into(), "org_id".into()],
        }
    }

    #[test]
    fn claims_put_the_tenant_everywhere() {
        let c = claims_for(&target(), "A", "U", "authenticated");
        assert_eq!(c["organization_id"], "A");
        assert_eq!(c["app_metadata"]["org_id"], "A");
        assert_eq!(c["sub"], "U");
    }

    #[test]
    fn plan_quotes_and_casts() {
        let checks = plan(&target(), "a", "b", 3, "u", "authenticated");
        let names: Vec<_> = checks.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), 8);
        let insert = checks
            .iter()
            .find(|c| c.name == "insert_other_tenant")
            .unwrap();
        assert!(insert
            .sql
            .contains("INSERT INTO public.\"Docs\" (body, org_id) SELECT r.body, ($2)::uuid"));
        let conflicting = checks
            .iter()
            .find(|c| c.name == "read_with_conflicting_claims")
            .unwrap();
        let Claims::Json(doc) = &conflicting.claims else {
            panic!()
        };
        assert_eq!(doc["organization_id"], "b");
        assert_eq!(doc["org_id"], "b");
        assert_eq!(doc["app_metadata"]["organization_id"], "a");
        assert!(conflicting.sql.ends_with("WHERE org_id = ($2)::uuid"));
    }

    #[test]
    fn verdicts() {
        let checks = plan(&target(), "a", "b", 3, "u", "authenticated");
        let by = |n: &str| checks.iter().find(|c| c.name == n).unwrap();
        let err = |s: &str| Outcome::Error {
            sqlstate: s.into(),
            message: "m".into(),
        };
        let v = |n: &str, o: Outcome| judge(by(n), &o).verdict;
        assert_eq!(v("read_own_tenant", Outcome::Count(3)), Verdict::Pass);
        assert_eq!(v("read_own_tenant", Outcome::Count(0)), Verdict::Fail);
        assert_eq!(v("read_own_tenant", err("42501")), Verdict::Fail);
        assert_eq!(v("read_other_tenant", err("42501")), Verdict::Pass);
        assert_eq!(v("read_other_tenant", Outcome::Count(0)), Verdict::Pass);
        assert_eq!(v("read_other_tenant", Outcome::Count(2)), Verdict::Fail);
        assert_eq!(v("insert_other_tenant", err("42501")), Verdict::Pass);
        assert_eq!(v("insert_other_tenant", Outcome::Count(1)), Verdict::Fail);
        assert_eq!(v("insert_other_tenant", err("23505")), Verdict::Fail);
        assert_eq!(v("insert_other_tenant", err("22P02")), Verdict::Error);
        assert_eq!(
            v("update_to_other_tenant", Outcome::Count(0)),
            Verdict::Error
        );
        let all = |own: i64| {
            let outcomes: Vec<Outcome> = checks
                .iter()
                .map(|c| match c.name {
                    "read_own_tenant" => Outcome::Count(own),
                    _ => Outcome::Count(0),
                })
                .collect();
            judge_all(&checks, &outcomes)
                .into_iter()
                .find(|f| f.check == "update_to_other_tenant")
                .unwrap()
                .verdict
        };
        assert_eq!(all(3), Verdict::Pass);
        assert_eq!(all(0), Verdict::Error);
        assert_eq!(v("update_to_other_tenant", err("42501")), Verdict::Pass);
        assert_eq!(v("delete_other_tenant", Outcome::Count(0)), Verdict::Pass);
        assert_eq!(v("delete_other_tenant", Outcome::Count(4)), Verdict::Fail);
        assert_eq!(v("read_without_claims", err("42P17")), Verdict::Error);
        assert!(judge(by("read_without_claims"), &err("54001"))
            .detail
            .contains("54001"));
    }
}
