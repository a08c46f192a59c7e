//! Where policies get the caller's identity from: user-editable metadata,
//! raw JWT claims instead of the `identity.*` helpers, drifting claim keys,
//! claim functions evaluated per row, and settings anyone can set.
//!
//! Claim reads are found in the policy expression trees and, transitively, in
//! the functions they call (SQL bodies from their node trees; PL/pgSQL bodies
//! only by a text scan for `user_metadata` and for the functions they call,
//! which is said in the detail). Functions are identified by schema and name:
//! `auth.jwt/uid/role/email`, `pg_catalog.current_setting`, `identity.*`.

use crate::audit::expr::{self, call_sites, const_text, json_paths, strip_casts};
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::graph::{function_refs, function_sig, value_nodes};
use crate::audit::model::{qualified, quote_ident, Ctx};
use crate::audit::node::{Node, Value};
use crate::audit::snapshot::{Oid, Policy, Table};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::recursion::wrap_calls;

pub static USER_METADATA_IN_POLICY: Check = Check {
    code: "user_metadata_in_policy",
    level: Level::Error,
    category: Category::Security,
    title: "A policy authorizes from user_metadata, which users can edit",
    why: "user_metadata (auth.users.raw_user_meta_data) is writable by the user it describes (supabase.auth.updateUser({ data })): a user can name any tenant and the policy believes it.",
};
pub static RAW_CLAIM_ACCESS: Check = Check {
    code: "raw_claim_access",
    level: Level::Warn,
    category: Category::Consistency,
    title: "A policy reads the tenant from raw JWT claims instead of identity.*",
    why: "Each policy that parses claims itself hard-codes one key and location, handles a missing or malformed claim its own way, and skips the validation identity.get_current_org_id() does (UUID form, agreement between locations, user_metadata distrust).",
};
pub static CLAIM_KEY_DRIFT: Check = Check {
    code: "claim_key_drift",
    level: Level::Warn,
    category: Category::Consistency,
    title: "Policies read the tenant from different claim keys or locations",
    why: "A token that carries org_id but not organization_id (or only under app_metadata) is isolated by some tables and locked out of, or let into, others (seed 000: the frontend had to check both keys in two places).",
};
pub static PER_ROW_CLAIM_CALL: Check = Check {
    code: "per_row_claim_call",
    level: Level::Warn,
    category: Category::Performance,
    title: "A claim function is evaluated once per row",
    why: "Outside an InitPlan `(SELECT f())` a claim function (auth.uid(), auth.jwt(), current_setting(), or a helper that calls them) runs for every row scanned: 179 ms instead of 9 ms on 100K rows in Supabase's measurements.",
};
pub static UNTRUSTED_CLAIM_SOURCE: Check = Check {
    code: "untrusted_claim_source",
    level: Level::Info,
    category: Category::Security,
    title: "Claims come from settings any session can set",
    why: "request.jwt.claims and app.tenant_id are ordinary settings: on a direct connection any user can SET them, and every policy that reads them, identity.* included, believes it.",
};

pub const CHECKS: &[&Check] = &[
    &USER_METADATA_IN_POLICY,
    &RAW_CLAIM_ACCESS,
    &CLAIM_KEY_DRIFT,
    &PER_ROW_CLAIM_CALL,
    &UNTRUSTED_CLAIM_SOURCE,
];

/// Where a tenant claim is read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Loc {
    /// The claims document (`auth.jwt()`, `request.jwt.claims`), under these keys.
    Claims(Vec<String>),
    /// `request.jwt.claim.<key>` (PostgREST 9-11, one setting per claim).
    Legacy,
}

/// A claim location and key: what `claim_key_drift` compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Variant {
    loc: Loc,
    key: String,
}

impl Variant {
    fn label(&self) -> String {
        match &self.loc {
            Loc::Claims(p) if p.is_empty() => format!("{} (top level)", self.key),
            Loc::Claims(p) => format!("{}.{}", p.join("."), self.key),
            Loc::Legacy => format!("request.jwt.claim.{} (PostgREST 9-11 setting)", self.key),
        }
    }
}

/// A tenant claim read: the variant, how it reads, and the function it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TenantRead {
    variant: Variant,
    text: String,
    via: Option<Oid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Evidence {
    text: String,
    via: Option<Oid>,
}

/// What an expression (or a function, transitively) reads of the caller's identity.
#[derive(Debug, Clone, Default)]
struct Facts {
    tenant: Vec<TenantRead>,
    user_meta: Vec<Evidence>,
    /// Settings read (names), directly or through auth.* / identity.*.
    settings: Vec<String>,
    /// identity.* functions called.
    identity: Vec<Oid>,
    /// Claim functions reached (auth.*, current_setting), identity.* aside.
    claim_calls: Vec<Oid>,
}

impl Facts {
    fn merge(&mut self, other: &Facts, via: Option<Oid>) {
        for t in &other.tenant {
            let t = TenantRead {
                via: t.via.or(via),
                ..t.clone()
            };
            if !self.tenant.contains(&t) {
                self.tenant.push(t);
            }
        }
        for e in &other.user_meta {
            let e = Evidence {
                via: e.via.or(via),
                ..e.clone()
            };
            if !self.user_meta.contains(&e) {
                self.user_meta.push(e);
            }
        }
        for s in &other.settings {
            if !self.settings.contains(s) {
                self.settings.push(s.clone());
            }
        }
        for &f in &other.identity {
            if !self.identity.contains(&f) {
                self.identity.push(f);
            }
        }
        for &f in &other.claim_calls {
            if !self.claim_calls.contains(&f) {
                self.claim_calls.push(f);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// auth.jwt / auth.uid / auth.role / auth.email
    Auth,
    CurrentSetting,
    Identity,
    /// A function with a body we can look into.
    User,
    Other,
}

struct Claims<'c, 'a: 'c> {
    ctx: &'c Ctx<'a>,
    field: Vec<Oid>,
    path: Vec<Oid>,
    tenant_keys: Vec<String>,
    memo: RefCell<HashMap<Oid, Facts>>,
    visiting: RefCell<HashSet<Oid>>,
}

const METADATA_KEYS: [&str; 2] = ["user_metadata", "raw_user_meta_data"];

impl<'c, 'a> Claims<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>) -> Self {
        let builtin = |names: &[&str], fallback: &[Oid]| -> Vec<Oid> {
            let mut v: Vec<Oid> = ctx
                .snap
                .functions
                .iter()
                .filter(|f| f.schema == "pg_catalog" && names.contains(&f.name.as_str()))
                .map(|f| f.oid)
                .collect();
            // Built-in OIDs are fixed: older snapshots without these rows still work.
            for &o in fallback {
                if !v.contains(&o) {
                    v.push(o);
                }
            }
            v
        };
        let mut tenant_keys = ctx.config.tenant_columns.clone();
        for k in ["organization_id", "org_id", "tenant_id"] {
            if !tenant_keys.iter().any(|x| x == k) {
                tenant_keys.push(k.to_owned());
            }
        }
        Claims {
            ctx,
            field: builtin(
                &[
                    "jsonb_object_field",
                    "jsonb_object_field_text",
                    "json_object_field",
                    "json_object_field_text",
                ],
                &[3478, 3214, 3947, 3948],
            ),
            path: builtin(
                &[
                    "jsonb_extract_path",
                    "jsonb_extract_path_text",
                    "json_extract_path",
                    "json_extract_path_text",
                ],
                &[3217, 3940, 3951, 3953],
            ),
            tenant_keys,
            memo: RefCell::new(HashMap::new()),
            visiting: RefCell::new(HashSet::new()),
        }
    }

    fn kind(&self, oid: Oid) -> Kind {
        let Some(f) = self.ctx.functions.get(&oid) else {
            return Kind::Other;
        };
        match (f.schema.as_str(), f.name.as_str()) {
            ("auth", "jwt" | "uid" | "role" | "email") => Kind::Auth,
            ("pg_catalog", "current_setting") => Kind::CurrentSetting,
            ("identity", _) => Kind::Identity,
            ("pg_catalog", _) => Kind::Other,
            _ if f.body_tree.is_some() || f.source.is_some() => Kind::User,
            _ => Kind::Other,
        }
    }

    fn sig(&self, oid: Oid) -> String {
        self.ctx
            .functions
            .get(&oid)
            .map(|f| function_sig(f))
            .unwrap_or_else(|| format!("function {oid}"))
    }

    /// A description of `n` if it is the claims document: `auth.jwt()`,
    /// `current_setting('request.jwt.claims')`, through casts, NULLIF,
    /// COALESCE and `(SELECT …)`.
    fn claims_doc(&self, n: &Node) -> Option<String> {
        let n = strip_casts(n);
        match n.tag.as_str() {
            "FUNCEXPR" => {
                let f = expr::called_function(n)?;
                let func = self.ctx.functions.get(&f)?;
                match self.kind(f) {
                    Kind::Auth if func.name == "jwt" => {
                        Some(format!("{}()", qualified(&func.schema, &func.name)))
                    }
                    Kind::CurrentSetting => {
                        let name = n.children("args").first().and_then(|a| const_text(a))?;
                        matches!(name.as_str(), "request.jwt.claims" | "request.jwt.claim")
                            .then(|| format!("current_setting('{name}')"))
                    }
                    _ => None,
                }
            }
            "NULLIFEXPR" => self.claims_doc(n.children("args").first()?),
            "COALESCEEXPR" => n
                .children("args")
                .into_iter()
                .find_map(|a| self.claims_doc(a)),
            "SUBLINK" if n.int("subLinkType") == Some(4) => {
                let q = n.child("subselect")?;
                let te = *q.children("targetList").first()?;
                self.claims_doc(te.child("expr")?)
                    .map(|d| format!("(SELECT {d})"))
            }
            _ => None,
        }
    }

    /// Facts of one expression tree (policy expression or body query).
    fn expr_facts(&self, root: &Node) -> Facts {
        let mut facts = Facts::default();
        for jp in json_paths(root, &self.field, &self.path) {
            let doc = self.claims_doc(jp.base);
            let render = |base: &str| {
                let mut s = base.to_owned();
                for (i, k) in jp.keys.iter().enumerate() {
                    let op = if i + 1 == jp.keys.len() { "->>" } else { "->" };
                    s.push_str(&format!(" {op} '{k}'"));
                }
                s
            };
            if jp.keys.iter().any(|k| METADATA_KEYS.contains(&k.as_str())) {
                facts.user_meta.push(Evidence {
                    text: render(doc.as_deref().unwrap_or("<json>")),
                    via: None,
                });
            }
            let (Some(doc), Some(last)) = (doc, jp.keys.last()) else {
                continue;
            };
            if self.tenant_keys.contains(last) {
                facts.tenant.push(TenantRead {
                    variant: Variant {
                        loc: Loc::Claims(jp.keys[..jp.keys.len() - 1].to_vec()),
                        key: last.clone(),
                    },
                    text: render(&doc),
                    via: None,
                });
            }
        }
        let mut calls: Vec<(Oid, &Node)> = Vec::new();
        root.walk(&mut |n| {
            if let Some(f) = expr::called_function(n) {
                calls.push((f, n));
            }
        });
        for (f, n) in calls {
            match self.kind(f) {
                Kind::CurrentSetting => {
                    push(&mut facts.claim_calls, f);
                    let name = n.children("args").first().and_then(|a| const_text(a));
                    let Some(name) = name else {
                        push(&mut facts.settings, "<a computed setting name>".to_owned());
                        continue;
                    };
                    if let Some(key) = name.strip_prefix("request.jwt.claim.") {
                        if self.tenant_keys.iter().any(|k| k == key) {
                            facts.tenant.push(TenantRead {
                                variant: Variant {
                                    loc: Loc::Legacy,
                                    key: key.to_owned(),
                                },
                                text: format!("current_setting('{name}')"),
                                via: None,
                            });
                        }
                        if METADATA_KEYS.contains(&key) {
                            facts.user_meta.push(Evidence {
                                text: format!("current_setting('{name}')"),
                                via: None,
                            });
                        }
                    }
                    if name.contains('.') {
                        push(&mut facts.settings, name);
                    }
                }
                Kind::Auth => {
                    push(&mut facts.claim_calls, f);
                    push(&mut facts.settings, "request.jwt.claims".to_owned());
                }
                Kind::Identity => {
                    push(&mut facts.identity, f);
                    push(&mut facts.settings, "request.jwt.claims".to_owned());
                    push(&mut facts.settings, "app.tenant_id".to_owned());
                }
                Kind::User => {
                    let inner = self.func_facts(f);
                    facts.merge(&inner, Some(f));
                }
                Kind::Other => {}
            }
        }
        for (table, column) in column_reads(self.ctx, root, "raw_user_meta_data") {
            facts.user_meta.push(Evidence {
                text: format!("{table}.{column} read in a sub-query"),
                via: None,
            });
        }
        facts
    }

    /// Facts of a function body, transitively (memoized; recursion cut).
    fn func_facts(&self, oid: Oid) -> Facts {
        if let Some(f) = self.memo.borrow().get(&oid) {
            return f.clone();
        }
        if !self.visiting.borrow_mut().insert(oid) {
            return Facts::default();
        }
        let mut facts = Facts::default();
        if let Some(f) = self.ctx.functions.get(&oid) {
            if let Some(body) = &f.body_tree {
                for n in value_nodes(body) {
                    let inner = self.expr_facts(n);
                    facts.merge(&inner, None);
                }
            } else if let Some(src) = &f.source {
                // PL/pgSQL (or an SQL body that was not analysed): text scan.
                let lower = src.to_lowercase();
                for word in METADATA_KEYS {
                    if lower.contains(word) {
                        facts.user_meta.push(Evidence {
                            text: format!(
                                "{word} (found by a text scan of the {} source, not an analysed body)",
                                f.language
                            ),
                            via: None,
                        });
                        break;
                    }
                }
                for name in setting_names(src) {
                    push(&mut facts.settings, name);
                }
                let calls = function_refs(self.ctx, f).calls;
                for c in calls {
                    match self.kind(c.func) {
                        Kind::CurrentSetting | Kind::Auth => {
                            push(&mut facts.claim_calls, c.func);
                            push(&mut facts.settings, "request.jwt.claims".to_owned());
                        }
                        Kind::Identity => {
                            push(&mut facts.identity, c.func);
                            push(&mut facts.settings, "request.jwt.claims".to_owned());
                            push(&mut facts.settings, "app.tenant_id".to_owned());
                        }
                        Kind::User => {
                            let inner = self.func_facts(c.func);
                            facts.merge(&inner, Some(c.func));
                        }
                        Kind::Other => {}
                    }
                }
            }
        }
        self.visiting.borrow_mut().remove(&oid);
        self.memo.borrow_mut().insert(oid, facts.clone());
        facts
    }

    fn policy_facts(&self, p: &Policy) -> Facts {
        let mut facts = Facts::default();
        for tree in [&p.qual_tree, &p.with_check_tree] {
            if let Some(root) = tree.as_ref().and_then(Value::as_node) {
                let f = self.expr_facts(root);
                facts.merge(&f, None);
            }
        }
        facts
    }

    fn via(&self, via: Option<Oid>) -> String {
        via.map(|f| format!(" in {}", self.sig(f)))
            .unwrap_or_default()
    }
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Call nodes evaluated once per statement although not in an InitPlan: in an
/// uncorrelated sub-query without FROM (`x IN (SELECT f())`, a hashed SubPlan
/// of one row), at any depth of such a sub-query's target list or WHERE.
/// Nodes evaluated once per scan as part of an index condition:
/// in a top-level AND-ed comparison `col <op> expr` where `col` leads a
/// valid, non-partial index of the table and `expr` reads neither the row
/// nor a sub-query and calls no volatile function, PostgreSQL can use `expr`
/// as an index key and computes it once (the issue's "usable as an index
/// condition"). A sequential scan would still call it per row: the planner
/// decides, so such calls are not reported.
fn index_condition_nodes(ctx: &Ctx, t: &Table, root: &Node) -> HashSet<*const Node> {
    let indexed = |attno: i64| {
        let Some(name) = ctx.column_name(t.oid, attno) else {
            return false;
        };
        t.indexes.iter().any(|i| {
            i.valid
                && !i.partial
                && i.columns
                    .as_ref()
                    .and_then(|c| c.first().cloned().flatten())
                    .is_some_and(|c| c == name)
        })
    };
    let own_var = |n: &Node| {
        let n = strip_casts(n);
        n.tag == "VAR" && n.int("varlevelsup") == Some(0) && n.int("varno") == Some(1)
    };
    let constant_for_scan = |n: &Node| {
        let mut ok = true;
        n.walk(&mut |x| match x.tag.as_str() {
            "VAR" | "SUBLINK" | "PARAM" => ok = false,
            _ => {
                if let Some(f) = expr::called_function(x) {
                    if ctx.functions.get(&f).is_some_and(|f| f.volatility == "v") {
                        ok = false;
                    }
                }
            }
        });
        ok
    };
    let mut out = HashSet::new();
    for part in expr::conjuncts(root) {
        if part.tag != "OPEXPR" {
            continue;
        }
        let args = part.children("args");
        if args.len() != 2 {
            continue;
        }
        for (col, other) in [(args[0], args[1]), (args[1], args[0])] {
            let attno = strip_casts(col).int("varattno");
            if own_var(col) && attno.is_some_and(indexed) && constant_for_scan(other) {
                other.walk(&mut |x| {
                    out.insert(x as *const Node);
                });
            }
        }
    }
    out
}

fn evaluated_once(root: &Node) -> Vec<&Node> {
    fn correlated(q: &Node) -> bool {
        fn go(n: &Node, depth: i64, found: &mut bool) {
            if n.tag == "VAR" && n.int("varlevelsup").unwrap_or(0) > depth {
                *found = true;
            }
            let inner = if n.tag == "QUERY" { depth + 1 } else { depth };
            for c in n.direct_children() {
                go(c, inner, found);
            }
        }
        let mut found = false;
        for c in q.direct_children() {
            go(c, 0, &mut found);
        }
        found
    }
    let mut out = Vec::new();
    root.walk(&mut |n| {
        if n.tag != "SUBLINK" {
            return;
        }
        let Some(q) = n.child("subselect") else {
            return;
        };
        // Uncorrelated: an InitPlan, or a hashed / materialized SubPlan: its
        // body runs once per statement, whatever it reads (`x IN (SELECT …
        // FROM f())` included).
        if !correlated(q) {
            q.walk(&mut |x| {
                if expr::called_function(x).is_some() {
                    out.push(x);
                }
            });
        }
    });
    out
}

/// `current_setting('name'` occurrences of a source text.
fn setting_names(src: &str) -> Vec<String> {
    let lower = src.to_lowercase();
    let mut out = Vec::new();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("current_setting(") {
        rest = &rest[i + "current_setting(".len()..];
        let t = rest.trim_start();
        if let Some(t) = t.strip_prefix('\'') {
            if let Some(end) = t.find('\'') {
                push(&mut out, t[..end].to_owned());
            }
        }
    }
    out
}

/// (table, column) for each read of a column named `name` in the queries of
/// `root`: a Var of the query level that owns the range-table entry.
fn column_reads(ctx: &Ctx, root: &Node, name: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    root.walk(&mut |q| {
        if q.tag != "QUERY" {
            return;
        }
        for (i, rte) in q.children("rtable").into_iter().enumerate() {
            if rte.int("rtekind") != Some(0) {
                continue;
            }
            let Some(t) = rte
                .int("relid")
                .and_then(|o| u32::try_from(o).ok())
                .and_then(|o| ctx.tables.get(&o))
            else {
                continue;
            };
            let Some(col) = t.columns.iter().find(|c| c.name == name) else {
                continue;
            };
            let (varno, attno) = (i as i64 + 1, i64::from(col.num));
            let mut found = false;
            fn go(n: &Node, depth: i64, varno: i64, attno: i64, found: &mut bool) {
                if n.tag == "VAR"
                    && n.int("varno") == Some(varno)
                    && n.int("varattno") == Some(attno)
                    && n.int("varlevelsup") == Some(depth)
                {
                    *found = true;
                }
                let inner = if n.tag == "QUERY" { depth + 1 } else { depth };
                for c in n.direct_children() {
                    go(c, inner, varno, attno, found);
                }
            }
            for c in q.direct_children() {
                go(c, 0, varno, attno, &mut found);
            }
            if found {
                let pair = (qualified(&t.schema, &t.name), name.to_owned());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    });
    out
}

/// The tenant condition a policy should use.
fn identity_condition(ctx: &Ctx, t: &Table) -> String {
    let col = ctx
        .tenant_key_column(t)
        .map(quote_ident)
        .unwrap_or_else(|| "<tenant column>".into());
    format!("{col} = (SELECT identity.get_current_org_id())")
}

/// `ALTER POLICY … USING (cond) WITH CHECK (cond)` for the clauses the policy has.
fn alter_with(p: &Policy, t: &Table, using: &str, check: &str) -> String {
    let mut sql = format!(
        "ALTER POLICY {} ON {}",
        quote_ident(&p.name),
        qualified(&t.schema, &t.name)
    );
    if p.qual.is_some() {
        sql.push_str(&format!(" USING ({using})"));
    }
    if p.with_check.is_some() {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql.push(';');
    sql
}

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    let c = Claims::new(ctx);
    let mut policies: Vec<(&Table, &Policy, Facts)> = Vec::new();
    for t in ctx.audited_tables() {
        if !matches!(t.kind.as_str(), "r" | "p" | "f") {
            continue;
        }
        for p in ctx.policies(t.oid) {
            policies.push((t, p, c.policy_facts(p)));
        }
    }
    for (t, p, facts) in &policies {
        user_metadata(&c, t, p, facts, out);
        raw_claims(&c, t, p, facts, out);
        per_row(&c, t, p, out);
    }
    drift(&c, &policies, out);
    untrusted(&c, &policies, out);
}

fn user_metadata(c: &Claims, t: &Table, p: &Policy, facts: &Facts, out: &mut Vec<Finding>) {
    if facts.user_meta.is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let what: Vec<String> = facts
        .user_meta
        .iter()
        .map(|e| format!("{}{}", e.text, c.via(e.via)))
        .collect();
    let cond = identity_condition(c.ctx, t);
    out.push(c.ctx.finding(
        &USER_METADATA_IN_POLICY,
        Some(t),
        Some(p),
        format!(
            "Policy {} on {table} authorizes from user-editable metadata: {}. Any user can write their own user_metadata (supabase.auth.updateUser({{ data: {{ organization_id: … }} }})) and so choose the tenant this policy lets them see.",
            p.name,
            what.join("; ")
        ),
        format!(
            "{}\n-- identity.get_current_org_id() ignores user_metadata (unless tenant_guard.trust_user_metadata is on); issue the tenant in app_metadata, which only the server can write (Custom Access Token hook).",
            alter_with(p, t, &cond, &cond)
        ),
    ));
}

fn raw_claims(c: &Claims, t: &Table, p: &Policy, facts: &Facts, out: &mut Vec<Finding>) {
    if facts.tenant.is_empty() {
        return;
    }
    let table = qualified(&t.schema, &t.name);
    let what: Vec<String> = facts
        .tenant
        .iter()
        .map(|r| format!("{}{}", r.text, c.via(r.via)))
        .collect();
    let cond = identity_condition(c.ctx, t);
    let keys: Vec<String> = facts.tenant.iter().map(|r| r.variant.key.clone()).collect();
    let configured = keys.iter().all(|k| c.ctx.config.tenant_columns.contains(k));
    let mut remediation = alter_with(p, t, &cond, &cond);
    if !configured {
        remediation.push_str(&format!(
            "\n-- and make sure tenant_guard.claim_keys lists the key your tokens carry ({}).",
            keys.join(", ")
        ));
    }
    out.push(c.ctx.finding(
        &RAW_CLAIM_ACCESS,
        Some(t),
        Some(p),
        format!(
            "Policy {} on {table} reads the tenant from JWT claims itself: {}. identity.get_current_org_id() reads every configured key and location, requires a UUID, fails closed when locations disagree, and is cached per statement.",
            p.name,
            what.join("; ")
        ),
        remediation,
    ));
}

fn drift(c: &Claims, policies: &[(&Table, &Policy, Facts)], out: &mut Vec<Finding>) {
    let mut counts: BTreeMap<Variant, usize> = BTreeMap::new();
    for (_, _, f) in policies {
        let mine: HashSet<&Variant> = f.tenant.iter().map(|r| &r.variant).collect();
        for v in mine {
            *counts.entry(v.clone()).or_default() += 1;
        }
    }
    if counts.len() < 2 {
        return;
    }
    // The reference: most policies; on a tie app_metadata (server-controlled),
    // then not user_metadata, then the most common tenant column name, then
    // the label.
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for t in c.ctx.audited_tables() {
        if let Some(col) = c.ctx.tenant_column(t) {
            *columns.entry(col.name.as_str()).or_default() += 1;
        }
    }
    let reference = counts
        .iter()
        .max_by_key(|(v, n)| {
            (
                **n,
                v.loc == Loc::Claims(vec!["app_metadata".into()]),
                !matches!(&v.loc, Loc::Claims(p) if p.iter().any(|k| METADATA_KEYS.contains(&k.as_str()))),
                columns.get(v.key.as_str()).copied().unwrap_or(0),
                std::cmp::Reverse(v.label()),
            )
        })
        .map(|(v, _)| v.clone())
        .expect("two variants at least");
    let mut listed: Vec<(&Variant, &usize)> = counts.iter().collect();
    listed.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.label().cmp(&b.0.label())));
    let all: Vec<String> = listed
        .iter()
        .map(|(v, n)| {
            format!(
                "{} in {n} polic{}",
                v.label(),
                if **n == 1 { "y" } else { "ies" }
            )
        })
        .collect();
    let tie = counts
        .values()
        .filter(|&&n| n == counts[&reference])
        .count()
        > 1;
    for (t, p, f) in policies {
        let minority: Vec<String> = f
            .tenant
            .iter()
            .filter(|r| r.variant != reference)
            .map(|r| r.variant.label())
            .fold(Vec::new(), |mut acc, l| {
                push(&mut acc, l);
                acc
            });
        if minority.is_empty() {
            continue;
        }
        let table = qualified(&t.schema, &t.name);
        let cond = identity_condition(c.ctx, t);
        out.push(c.ctx.finding(
            &CLAIM_KEY_DRIFT,
            Some(t),
            Some(p),
            format!(
                "Policy {} on {table} reads the tenant from {}, while the policies of the audited schemas use: {}. The most common{} is {}. A token that carries one of them and not the others is isolated by some tables and not by others.",
                p.name,
                minority.join(" and "),
                all.join("; "),
                if tie { " (tied; taken as the reference)" } else { "" },
                reference.label()
            ),
            format!(
                "{}\n-- identity.get_current_org_id() reads every configured key (tenant_guard.claim_keys) at the top level and in app_metadata, and fails closed when they disagree; standardize the tokens on one key in app_metadata.",
                alter_with(p, t, &cond, &cond)
            ),
        ));
    }
}

fn per_row(c: &Claims, t: &Table, p: &Policy, out: &mut Vec<Finding>) {
    let table = qualified(&t.schema, &t.name);
    let mut parts = Vec::new();
    let mut texts: Vec<(bool, String)> = Vec::new();
    let mut unwrappable = Vec::new();
    for (using, tree, sql) in [
        (true, &p.qual_tree, &p.qual_sql),
        (false, &p.with_check_tree, &p.with_check_sql),
    ] {
        let Some(root) = tree.as_ref().and_then(Value::as_node) else {
            continue;
        };
        let clause = if using { "USING" } else { "WITH CHECK" };
        let mut flagged: Vec<Oid> = Vec::new();
        let once = evaluated_once(root);
        let index_cond = index_condition_nodes(c.ctx, t, root);
        for site in call_sites(root) {
            let single = once.iter().any(|&n| std::ptr::eq(n, site.node))
                || index_cond.contains(&(site.node as *const Node));
            if site.place.in_initplan || single || flagged.contains(&site.func) {
                continue;
            }
            let helper = match c.kind(site.func) {
                Kind::Auth | Kind::CurrentSetting => None,
                Kind::User if !c.func_facts(site.func).claim_calls.is_empty() => {
                    Some(c.func_facts(site.func).claim_calls)
                }
                _ => continue,
            };
            flagged.push(site.func);
            let place = if site.place.in_subquery {
                "in a sub-query that is not an InitPlan (once per row it scans)"
            } else {
                "once per row"
            };
            let name = match c.kind(site.func) {
                Kind::CurrentSetting => site
                    .node
                    .children("args")
                    .first()
                    .and_then(|a| const_text(a))
                    .map(|s| format!("current_setting('{s}')"))
                    .unwrap_or_else(|| c.sig(site.func)),
                _ => c.sig(site.func),
            };
            let mut part = format!("{name} in {clause}, {place}");
            if let Some(inner) = helper {
                let inner: Vec<String> = inner.iter().map(|&f| c.sig(f)).collect();
                part.push_str(&format!(" (it calls {})", inner.join(", ")));
            }
            // Arguments that read the row cannot move to an InitPlan.
            let mut reads_row = false;
            for a in site.node.children("args") {
                a.walk(&mut |n| {
                    if n.tag == "VAR" {
                        reads_row = true;
                    }
                });
            }
            if reads_row {
                unwrappable.push(name.clone());
            }
            parts.push(part);
        }
        if let (Some(sql), false) = (sql, flagged.is_empty()) {
            let mut text = sql.clone();
            for f in &flagged {
                if let Some(func) = c.ctx.functions.get(f) {
                    text = wrap_calls(&text, &func.name, &func.returns);
                }
            }
            texts.push((using, text));
        }
    }
    if parts.is_empty() {
        return;
    }
    let mut remediation = format!("ALTER POLICY {} ON {table}", quote_ident(&p.name));
    for (using, text) in &texts {
        remediation.push_str(&format!(
            " {} ({text})",
            if *using { "USING" } else { "WITH CHECK" }
        ));
    }
    remediation.push(';');
    if !unwrappable.is_empty() {
        remediation.push_str(&format!(
            "\n-- {} take the row's columns as arguments and stay per row: wrap the claim calls inside them in (SELECT …) instead, or pass (SELECT auth.uid()) as an argument.",
            unwrappable.join(", ")
        ));
    }
    out.push(c.ctx.finding(
        &PER_ROW_CLAIM_CALL,
        Some(t),
        Some(p),
        format!(
            "Policy {} on {table} evaluates {}. Wrapped as (SELECT f()) the call becomes an InitPlan, evaluated once per statement. (identity.* helpers are not reported: they cache the resolved claims per statement and cost about as much as a constant.)",
            p.name,
            parts.join("; ")
        ),
        remediation,
    ));
}

/// `identity.*` are protected when claims in settings are ignored
/// (`require_verified`) or believed only from listed logins
/// (`trusted_session_users`); policies that read settings themselves
/// (`auth.*`, `current_setting`) are not, whatever the settings say.
fn untrusted(c: &Claims, policies: &[(&Table, &Policy, Facts)], out: &mut Vec<Finding>) {
    let config = c.ctx.config;
    let protection = if config.require_verified {
        Some("tenant_guard.require_verified is on".to_owned())
    } else if !config.trusted_session_users.is_empty() {
        Some(format!(
            "tenant_guard.trusted_session_users is set ({})",
            config.trusted_session_users.join(", ")
        ))
    } else {
        None
    };
    let mut users: Vec<(&Table, &Policy, &Facts)> = policies
        .iter()
        .filter(|(_, _, f)| match protection {
            Some(_) => !f.claim_calls.is_empty(),
            None => !f.settings.is_empty() || !f.identity.is_empty() || !f.claim_calls.is_empty(),
        })
        .map(|(t, p, f)| (*t, *p, f))
        .collect();
    users.sort_by(|a, b| {
        (&a.0.schema, &a.0.name, &a.1.name).cmp(&(&b.0.schema, &b.0.name, &b.1.name))
    });
    if users.is_empty() {
        return;
    }
    let mut settings: Vec<String> = Vec::new();
    for (_, _, f) in &users {
        for s in &f.settings {
            push(&mut settings, s.clone());
        }
    }
    settings.sort();
    let examples: Vec<String> = users
        .iter()
        .take(5)
        .map(|(t, p, _)| format!("{} on {}", p.name, qualified(&t.schema, &t.name)))
        .collect();
    let policies = format!(
        "{} polic{} ({}{})",
        users.len(),
        if users.len() == 1 { "y" } else { "ies" },
        examples.join(", "),
        if users.len() > 5 { ", …" } else { "" },
    );
    let forge = "on a direct connection any role can run SET request.jwt.claims = '{\"organization_id\": \"<another tenant>\"}' (or SET app.tenant_id)";
    let mut finding = match &protection {
        None => c.ctx.finding_on(
            &UNTRUSTED_CLAIM_SOURCE,
            None,
            None,
            Some("identity.get_current_org_id()".into()),
            format!(
                "{policies} take the caller's identity from settings: {}. PostgREST sets request.jwt.claims from a token it verified, but the database does not know who set a setting: {forge} and these policies, identity.get_current_org_id() included, believe it. Verify the token in the database (tenant_guard.authenticate, tenant_guard.require_verified) or believe settings only from PostgREST's login (tenant_guard.trusted_session_users).",
                settings.join(", ")
            ),
            "-- Verify the signed token in the database and believe nothing else:\nALTER SYSTEM SET tenant_guard.jwks = '<your issuer''s JWKS>';   -- or tenant_guard.jwt_secret\nALTER SYSTEM SET tenant_guard.require_verified = on;\n-- PostgREST: db-pre-request = \"tenant_guard.authenticate_request\"; backend workers: SELECT tenant_guard.authenticate(<token>) in each transaction.\n-- Or believe settings only from PostgREST's login role:\nALTER SYSTEM SET tenant_guard.trusted_session_users = 'authenticator';\nSELECT pg_reload_conf();".into(),
        ),
        Some(protection) => c.ctx.finding_on(
            &UNTRUSTED_CLAIM_SOURCE,
            None,
            None,
            Some("identity.get_current_org_id()".into()),
            format!(
                "{protection}, which protects identity.*, but {policies} read claims from settings themselves ({}): {forge} and these policies believe it.",
                settings.join(", ")
            ),
            "-- Take the caller's identity from identity.* in these policies, e.g.:\n--   USING (org_id = (SELECT identity.get_current_org_id()))\n--   USING (user_id = (SELECT identity.get_current_user_id()))".into(),
        ),
    };
    if protection.is_some() {
        // The DBA turned verification on; these policies silently opt out.
        finding.level = Level::Warn;
    }
    out.push(finding);
}
