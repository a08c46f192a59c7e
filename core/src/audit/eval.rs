//! Abstract evaluation of policy expressions under SQL's three-valued logic,
//! for a chosen caller: what the expression yields when every identity input
//! (claims settings, the tenant setting, `identity.*`, `auth.*`) is NULL, or
//! `''`, or when some other custom setting holds a value. Row columns are
//! unknown. The answer is `True` only when it is true whatever the row holds:
//! that is how `fail_open_predicate` and `settable_bypass_setting` decide,
//! from the node tree, never from the SQL text.
//!
//! LANGUAGE sql helpers are inlined from their analysed bodies (auth.uid()
//! is `coalesce(nullif(current_setting(...), ''), ...)::uuid`, so its NULL
//! comes out of the evaluation, not from a list); other functions are
//! unknown.

use super::model::Ctx;
use super::node::{Node, Value};
use super::snapshot::Oid;
use std::collections::HashMap;

/// An abstract value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum A {
    Null,
    Bool(bool),
    /// A known text value.
    Str(String),
    /// Not NULL, value unknown.
    NonNull,
    /// Unknown (may be NULL).
    Any,
    /// A column of some row (varno, varattno, varlevelsup): unknown like
    /// `Any`, but `x = x` of the same column is true wherever it is not NULL
    /// (`coalesce(<unset setting>, org_id) = org_id`).
    Var(i64, i64, i64),
    /// Evaluation raises an error (the statement fails: nothing leaks).
    Error,
}

impl A {
    fn is_nullish(&self) -> bool {
        matches!(self, A::Null)
    }
}

/// What the caller's identity inputs hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Unset: `current_setting(name, true)` is NULL.
    Null,
    /// Set to `''` (what a `SET LOCAL` leaves after its transaction); other
    /// custom settings read `''` too.
    Empty,
    /// Anything (the ordinary case).
    Unknown,
}

/// A caller to evaluate for: the identity inputs, and values of other
/// custom settings (unset ones read as NULL, or an error without missing_ok).
#[derive(Debug, Clone)]
pub struct Scenario {
    pub identity: Identity,
    pub settings: HashMap<String, String>,
    /// When true, custom settings not in `settings` are unknown (not unset).
    pub other_settings_unknown: bool,
}

impl Scenario {
    pub fn identity(identity: Identity) -> Scenario {
        Scenario {
            identity,
            settings: HashMap::new(),
            other_settings_unknown: identity == Identity::Unknown,
        }
    }
    pub fn with_setting(mut self, name: &str, value: &str) -> Scenario {
        self.settings
            .insert(name.to_ascii_lowercase(), value.to_owned());
        self
    }
}

/// Whether a setting name carries the caller's identity.
pub fn is_identity_setting(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "request.jwt.claims"
        || n == "request.jwt.claim"
        || n.starts_with("request.jwt.claim.")
        || n == "app.tenant_id"
        || n == "request.headers"
}

/// A custom (placeholder) setting: any session may `SET` it.
pub fn is_custom_setting(name: &str) -> bool {
    name.contains('.') && !name.to_ascii_lowercase().starts_with("tenant_guard.")
}

const MAX_DEPTH: usize = 12;

pub struct Evaluator<'c, 'a> {
    ctx: &'c Ctx<'a>,
    scenario: &'c Scenario,
}

/// Well-known built-in function OIDs (stable across versions).
const TEXTEQ: i64 = 67;
const TEXTNE: i64 = 157;
const NAMEEQ: i64 = 62;
const NAMENE: i64 = 659;
const BOOLEQ: i64 = 60;
const BOOLNE: i64 = 84;
const BPCHAREQ: i64 = 1048;
const BPCHARNE: i64 = 1053;
use super::expr::EQUALITY;
const CURRENT_SETTING_1: i64 = 2077;
const CURRENT_SETTING_2: i64 = 3294;

impl<'c, 'a> Evaluator<'c, 'a> {
    pub fn new(ctx: &'c Ctx<'a>, scenario: &'c Scenario) -> Self {
        Evaluator { ctx, scenario }
    }

    /// The value of a top-level expression (a policy's USING or WITH CHECK).
    pub fn eval(&self, n: &Node) -> A {
        self.go(n, &[], 0)
    }

    fn go(&self, n: &Node, params: &[A], depth: usize) -> A {
        if depth > MAX_DEPTH {
            return A::Any;
        }
        let args = |field: &str| -> Vec<A> {
            n.children(field)
                .into_iter()
                .map(|a| self.go(a, params, depth + 1))
                .collect()
        };
        match n.tag.as_str() {
            "CONST" => constant(n),
            "VAR" => A::Var(
                n.int("varno").unwrap_or(0),
                n.int("varattno").unwrap_or(0),
                n.int("varlevelsup").unwrap_or(0),
            ),
            "PARAM" => {
                // PARAM_EXTERN (0): a function argument, $1 is params[0]
                if n.int("paramkind") == Some(0) {
                    n.int("paramid")
                        .and_then(|i| usize::try_from(i - 1).ok())
                        .and_then(|i| params.get(i).cloned())
                        .unwrap_or(A::Any)
                } else {
                    A::Any
                }
            }
            "RELABELTYPE" => n
                .child("arg")
                .map(|a| self.go(a, params, depth + 1))
                .unwrap_or(A::Any),
            "COERCEVIAIO" => {
                let v = n
                    .child("arg")
                    .map(|a| self.go(a, params, depth + 1))
                    .unwrap_or(A::Any);
                cast(v, n.int("resulttype"))
            }
            "BOOLEXPR" => {
                let vals = args("args");
                match n.get("boolop").and_then(Value::as_str) {
                    Some("and") => and(&vals),
                    Some("or") => or(&vals),
                    Some("not") => match vals.first() {
                        Some(A::Bool(b)) => A::Bool(!b),
                        Some(A::Null) => A::Null,
                        Some(A::Error) => A::Error,
                        _ => A::Any,
                    },
                    _ => A::Any,
                }
            }
            "NULLTEST" => {
                let v = n
                    .child("arg")
                    .map(|a| self.go(a, params, depth + 1))
                    .unwrap_or(A::Any);
                let is_null = match v {
                    A::Null => A::Bool(true),
                    A::Bool(_) | A::Str(_) | A::NonNull => A::Bool(false),
                    A::Error => A::Error,
                    A::Any | A::Var(..) => A::Any,
                };
                if n.int("nulltesttype") == Some(1) {
                    not(is_null)
                } else {
                    is_null
                }
            }
            "BOOLEANTEST" => {
                let v = n
                    .child("arg")
                    .map(|a| self.go(a, params, depth + 1))
                    .unwrap_or(A::Any);
                boolean_test(v, n.int("booltesttype").unwrap_or(-1))
            }
            "COALESCEEXPR" => {
                for v in args("args") {
                    match v {
                        A::Null => continue,
                        other => return other,
                    }
                }
                A::Null
            }
            "NULLIFEXPR" => {
                let v = args("args");
                match (v.first(), v.get(1)) {
                    (Some(A::Null), _) => A::Null,
                    (Some(A::Error), _) | (_, Some(A::Error)) => A::Error,
                    (Some(a), Some(b)) if a == b && is_exact(a) => A::Null,
                    (Some(a), Some(b)) if is_exact(a) && is_exact(b) => a.clone(),
                    (Some(a @ A::Str(_)), Some(A::Null)) => a.clone(),
                    _ => A::Any,
                }
            }
            "CASEEXPR" => self.case(n, params, depth),
            "OPEXPR" | "DISTINCTEXPR" => {
                let vals = args("args");
                if n.tag == "DISTINCTEXPR" {
                    return distinct(&vals);
                }
                operator(n.int("opfuncid"), &vals)
            }
            "SCALARARRAYOPEXPR" => {
                let vals = args("args");
                if vals.contains(&A::Error) {
                    A::Error
                } else if vals.iter().any(A::is_nullish) {
                    A::Null
                } else {
                    A::Any
                }
            }
            "FUNCEXPR" => self.call(n, params, depth),
            "SUBLINK" => self.sublink(n, params, depth),
            _ => A::Any,
        }
    }

    fn case(&self, n: &Node, params: &[A], depth: usize) -> A {
        if n.child("arg").is_some() {
            return A::Any; // CASE x WHEN ...: not needed for identity tests
        }
        for w in n.children("args") {
            let cond = w
                .child("expr")
                .map(|e| self.go(e, params, depth + 1))
                .unwrap_or(A::Any);
            match cond {
                A::Bool(true) => {
                    return w
                        .child("result")
                        .map(|r| self.go(r, params, depth + 1))
                        .unwrap_or(A::Any)
                }
                A::Bool(false) | A::Null => continue,
                A::Error => return A::Error,
                _ => return A::Any,
            }
        }
        n.child("defresult")
            .map(|d| self.go(d, params, depth + 1))
            .unwrap_or(A::Null)
    }

    fn call(&self, n: &Node, params: &[A], depth: usize) -> A {
        let args: Vec<A> = n
            .children("args")
            .into_iter()
            .map(|a| self.go(a, params, depth + 1))
            .collect();
        let funcid = n.int("funcid").unwrap_or(0);
        if funcid == CURRENT_SETTING_1 || funcid == CURRENT_SETTING_2 {
            let name = n.children("args").first().and_then(|a| setting_name(a));
            let missing_ok = match args.get(1) {
                Some(A::Bool(b)) => *b,
                None => false,
                _ => true,
            };
            return match name {
                Some(name) => self.setting(&name, missing_ok),
                None => A::Any,
            };
        }
        // explicit or implicit cast
        if matches!(n.int("funcformat"), Some(1 | 2)) && args.len() == 1 {
            return cast(args[0].clone(), n.int("funcresulttype"));
        }
        let Some(f) = u32::try_from(funcid)
            .ok()
            .and_then(|o: Oid| self.ctx.functions.get(&o))
        else {
            return A::Any;
        };
        if f.schema == "identity" {
            return self.identity_function(&f.name);
        }
        if let Some(body) = f.body_tree.as_ref() {
            if let Some(v) = self.inline(body, &args, depth) {
                return v;
            }
        }
        if f.schema == "auth" && matches!(f.name.as_str(), "uid" | "jwt" | "role" | "email") {
            // not analysable here: Supabase's helpers are NULL without claims
            return match self.scenario.identity {
                Identity::Unknown => A::Any,
                _ => A::Null,
            };
        }
        A::Any
    }

    /// tenant_guard's own helpers: NULL without a trusted identity.
    fn identity_function(&self, name: &str) -> A {
        if self.scenario.identity == Identity::Unknown {
            return A::Any;
        }
        match name {
            "has_org" => A::Bool(false),
            "require_org_id" => A::Error,
            _ => A::Null,
        }
    }

    fn setting(&self, name: &str, missing_ok: bool) -> A {
        let lower = name.to_ascii_lowercase();
        if let Some(v) = self.scenario.settings.get(&lower) {
            return A::Str(v.clone());
        }
        if is_identity_setting(&lower) {
            return match self.scenario.identity {
                Identity::Unknown => A::Any,
                Identity::Empty => A::Str(String::new()),
                // tenant_guard defines these settings (default ''); without it
                // an unset placeholder is NULL with missing_ok, else an error
                Identity::Null if missing_ok => A::Null,
                Identity::Null => A::Str(String::new()),
            };
        }
        if is_custom_setting(&lower) {
            return match self.scenario.identity {
                _ if self.scenario.other_settings_unknown => A::Any,
                // every custom setting reads '' once a SET LOCAL of it ended
                Identity::Empty => A::Str(String::new()),
                _ if missing_ok => A::Null,
                _ => A::Error,
            };
        }
        A::Any
    }

    /// A LANGUAGE sql body: the last statement's single output, with the
    /// arguments bound. `None` when the body is not that simple.
    fn inline(&self, body: &Value, args: &[A], depth: usize) -> Option<A> {
        let queries = super::graph::value_nodes(body);
        let q = *queries.last()?;
        if q.tag != "QUERY" || q.int("commandType") != Some(1) {
            return None;
        }
        let targets = q.children("targetList");
        if targets.len() != 1 {
            return None;
        }
        let target = targets[0].child("expr")?;
        match self.query_rows(q, args, depth) {
            Rows::None => Some(A::Null),
            Rows::Error => Some(A::Error),
            Rows::One => Some(self.go(target, args, depth + 1)),
            Rows::Unknown => Some(A::Any),
        }
    }

    /// Whether a query returns rows: none when its WHERE (and inner join
    /// conditions) cannot be true; one when it reads no table and has no
    /// WHERE; else unknown.
    fn query_rows(&self, q: &Node, params: &[A], depth: usize) -> Rows {
        if q.flag("hasAggs") == Some(true) || q.child("setOperations").is_some() {
            return Rows::Unknown;
        }
        let Some(jt) = q.child("jointree") else {
            return Rows::Unknown;
        };
        let mut conds: Vec<&Node> = jt.child("quals").into_iter().collect();
        let mut from = jt.children("fromlist");
        while let Some(f) = from.pop() {
            if f.tag == "JOINEXPR" && f.int("jointype") == Some(0) {
                if let Some(c) = f.child("quals") {
                    conds.push(c);
                }
                from.extend(f.children("larg"));
                from.extend(f.children("rarg"));
            }
        }
        for c in conds {
            match self.go(c, params, depth + 1) {
                A::Bool(false) | A::Null => return Rows::None,
                A::Error => return Rows::Error,
                _ => {}
            }
        }
        let reads_tables = !q.children("rtable").is_empty();
        if !reads_tables && jt.child("quals").is_none() {
            Rows::One
        } else {
            Rows::Unknown
        }
    }

    fn sublink(&self, n: &Node, params: &[A], depth: usize) -> A {
        let Some(q) = n.child("subselect") else {
            return A::Any;
        };
        // Inside the sub-query, outer function parameters still bind.
        let rows = self.query_rows(q, params, depth);
        match (n.int("subLinkType"), rows) {
            (_, Rows::Error) => A::Error,
            // EXISTS
            (Some(0), Rows::None) => A::Bool(false),
            (Some(0), Rows::One) => A::Bool(true),
            // x = ALL (empty) is true; x = ANY (empty) / IN (empty) is false
            (Some(1), Rows::None) => A::Bool(true),
            (Some(2), Rows::None) => A::Bool(false),
            // (SELECT expr): NULL without a row
            (Some(4), Rows::None) => A::Null,
            (Some(4), Rows::One) => q
                .children("targetList")
                .first()
                .and_then(|t| t.child("expr"))
                .map(|e| self.go(e, params, depth + 1))
                .unwrap_or(A::Any),
            _ => A::Any,
        }
    }
}

enum Rows {
    None,
    One,
    Unknown,
    Error,
}

fn setting_name(n: &Node) -> Option<String> {
    super::expr::const_text(n)
}

fn is_exact(a: &A) -> bool {
    matches!(a, A::Str(_) | A::Bool(_))
}

fn constant(n: &Node) -> A {
    if n.flag("constisnull") == Some(true) {
        return A::Null;
    }
    if let Some(Some(b)) = super::expr::const_bool(n) {
        return A::Bool(b);
    }
    match super::expr::const_text(n) {
        Some(s) => A::Str(s),
        None => A::NonNull,
    }
}

/// A cast of `v` to the type `to` (OID): text types keep the text, boolean
/// parses it, anything else fails on `''` (uuid, jsonb, integers all do).
fn cast(v: A, to: Option<i64>) -> A {
    match (v, to) {
        (A::Str(s), Some(16)) => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => A::Bool(true),
            "f" | "false" | "n" | "no" | "off" | "0" => A::Bool(false),
            _ => A::Error,
        },
        (A::Str(s), Some(25 | 1043 | 1042 | 19 | 705)) => A::Str(s),
        (A::Str(s), _) if s.trim().is_empty() => A::Error,
        (A::Str(_), _) => A::NonNull,
        (A::Bool(b), Some(25 | 1043)) => A::Str(if b { "true" } else { "false" }.into()),
        (A::Bool(_), _) => A::NonNull,
        (other, _) => other,
    }
}

fn and(vals: &[A]) -> A {
    if vals.contains(&A::Bool(false)) {
        return A::Bool(false);
    }
    if vals.contains(&A::Error) {
        return A::Error;
    }
    if vals.iter().all(|v| *v == A::Bool(true)) {
        return A::Bool(true);
    }
    if vals.iter().all(|v| matches!(v, A::Bool(true) | A::Null)) {
        return A::Null;
    }
    A::Any
}

fn or(vals: &[A]) -> A {
    if vals.contains(&A::Bool(true)) {
        return A::Bool(true);
    }
    if vals.contains(&A::Error) {
        return A::Error;
    }
    if vals.iter().all(|v| *v == A::Bool(false)) {
        return A::Bool(false);
    }
    if vals.iter().all(|v| matches!(v, A::Bool(false) | A::Null)) {
        return A::Null;
    }
    A::Any
}

fn not(v: A) -> A {
    match v {
        A::Bool(b) => A::Bool(!b),
        other => other,
    }
}

fn boolean_test(v: A, kind: i64) -> A {
    // IS_TRUE, IS_NOT_TRUE, IS_FALSE, IS_NOT_FALSE, IS_UNKNOWN, IS_NOT_UNKNOWN
    let (t, f, u) = match v {
        A::Bool(true) => (true, false, false),
        A::Bool(false) => (false, true, false),
        A::Null => (false, false, true),
        A::Error => return A::Error,
        _ => return A::Any,
    };
    A::Bool(match kind {
        0 => t,
        1 => !t,
        2 => f,
        3 => !f,
        4 => u,
        5 => !u,
        _ => return A::Any,
    })
}

fn distinct(vals: &[A]) -> A {
    match (vals.first(), vals.get(1)) {
        (Some(A::Error), _) | (_, Some(A::Error)) => A::Error,
        (Some(A::Null), Some(A::Null)) => A::Bool(false),
        (Some(A::Null), Some(b)) | (Some(b), Some(A::Null))
            if !matches!(b, A::Any | A::Var(..)) =>
        {
            A::Bool(true)
        }
        (Some(a), Some(b)) if is_exact(a) && is_exact(b) => A::Bool(a != b),
        _ => A::Any,
    }
}

/// Operators are strict (every built-in comparison is): NULL in, NULL out.
fn operator(func: Option<i64>, vals: &[A]) -> A {
    if vals.contains(&A::Error) {
        return A::Error;
    }
    if vals.iter().any(A::is_nullish) {
        return A::Null;
    }
    let (Some(a), Some(b)) = (vals.first(), vals.get(1)) else {
        return A::Any;
    };
    // the same column on both sides of an equality
    if let (A::Var(..), A::Var(..)) = (a, b) {
        return if a == b && matches!(func, Some(f) if EQUALITY.contains(&f)) {
            A::Bool(true)
        } else {
            A::Any
        };
    }
    if !(is_exact(a) && is_exact(b)) {
        return A::Any;
    }
    match func {
        Some(TEXTEQ | NAMEEQ | BPCHAREQ | BOOLEQ) => A::Bool(a == b),
        Some(TEXTNE | NAMENE | BPCHARNE | BOOLNE) => A::Bool(a != b),
        _ => A::Any,
    }
}

/// Custom settings a tree reads with `current_setting`, with the constants
/// each is compared to (the values that would switch it), lower-cased names.
pub fn setting_reads(root: &Node) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let read = |n: &Node| -> Option<String> {
        let mut n = super::expr::strip_casts(n);
        // `(SELECT current_setting(...))`: a sub-select without FROM
        if n.tag == "SUBLINK" && n.int("subLinkType") == Some(4) {
            let q = n.child("subselect")?;
            if !q.children("rtable").is_empty() {
                return None;
            }
            n = super::expr::strip_casts(q.children("targetList").first()?.child("expr")?);
        }
        let id = n.int("funcid")?;
        if n.tag != "FUNCEXPR" || (id != CURRENT_SETTING_1 && id != CURRENT_SETTING_2) {
            return None;
        }
        setting_name(n.children("args").first()?).map(|s| s.to_ascii_lowercase())
    };
    root.walk(&mut |n| {
        if let Some(name) = read(n) {
            if !out.iter().any(|(s, _)| *s == name) {
                out.push((name, Vec::new()));
            }
        }
        if n.tag == "OPEXPR" {
            let args = n.children("args");
            if args.len() == 2 {
                for (x, y) in [(args[0], args[1]), (args[1], args[0])] {
                    let Some(name) = read(x) else { continue };
                    let Some(value) = super::expr::const_text(y) else {
                        continue;
                    };
                    match out.iter_mut().find(|(s, _)| *s == name) {
                        Some(entry) if !entry.1.contains(&value) => entry.1.push(value),
                        Some(_) => {}
                        None => out.push((name, vec![value])),
                    }
                }
            }
        }
    });
    out
}

/// The top-level operands of a deparsed `a OR b OR c` (PostgreSQL's
/// `pg_get_expr` text: `((a) OR (b))`), split outside parentheses and quotes.
/// `None` when the text is not a top-level OR.
pub fn split_top_level_or(sql: &str) -> Option<Vec<String>> {
    let mut text = sql.trim();
    // one pair of parentheses around everything
    while text.starts_with('(') && text.ends_with(')') && closes_at_end(text) {
        text = text[1..text.len() - 1].trim();
    }
    let bytes = text.as_bytes();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0usize);
    let mut parts = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b' ' if !quoted && depth == 0 && text[i..].starts_with(" OR ") => {
                parts.push(text[start..i].trim().to_owned());
                i += 4;
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(text[start..].trim().to_owned());
    (parts.len() > 1).then_some(parts)
}

/// Whether the parenthesis opening `text` closes at its last character.
fn closes_at_end(text: &str) -> bool {
    let (mut depth, mut quoted) = (0i32, false);
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return i == text.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::split_top_level_or;

    #[test]
    fn splits_only_the_top_level_or() {
        assert_eq!(
            split_top_level_or("((auth.uid() IS NULL) OR (owner_id = auth.uid()))").unwrap(),
            vec!["(auth.uid() IS NULL)", "(owner_id = auth.uid())"]
        );
        // OR inside parentheses and quotes stays
        assert_eq!(
            split_top_level_or("((a OR b) OR (c = ' OR '::text))").unwrap(),
            vec!["(a OR b)", "(c = ' OR '::text)"]
        );
        assert_eq!(
            split_top_level_or("((a OR b))"),
            None.or(Some(vec!["a".to_owned(), "b".to_owned()]))
        );
        assert_eq!(split_top_level_or("(a AND b)"), None);
        assert_eq!(split_top_level_or("(a) AND (b OR c)"), None);
    }
}
