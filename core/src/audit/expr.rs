//! Meaning for node trees: constants, calls, columns, sub-queries. Every
//! helper walks the tree itself (no SQL text is matched).

use super::node::{Node, Value};
use super::snapshot::Oid;

/// `Some(Some(b))` for a boolean constant, `Some(None)` for a NULL constant
/// of any type, `None` for anything else.
pub fn const_bool(n: &Node) -> Option<Option<bool>> {
    if n.tag != "CONST" {
        return None;
    }
    if n.flag("constisnull") == Some(true) {
        return Some(None);
    }
    if n.int("consttype") != Some(16) {
        return None;
    }
    match n.get("constvalue") {
        Some(Value::Bytes(b)) => Some(Some(b.first().copied().unwrap_or(0) != 0)),
        _ => None,
    }
}

/// Text of a `text`/`varchar`/`name`/`unknown` constant (the key in `->> 'org_id'`).
pub fn const_text(n: &Node) -> Option<String> {
    let n = strip_casts(n);
    if n.tag != "CONST" || n.flag("constisnull") == Some(true) {
        return None;
    }
    let bytes = match n.get("constvalue") {
        Some(Value::Bytes(b)) => b,
        _ => return None,
    };
    match n.int("consttype") {
        // unknown: a NUL-terminated C string
        Some(705) => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            String::from_utf8(bytes[..end].to_vec()).ok()
        }
        // text, varchar, bpchar: varlena (4-byte or 1-byte header)
        Some(25 | 1043 | 1042) => {
            let data = if bytes.first().is_some_and(|b| b & 1 == 1) {
                let len = (bytes[0] >> 1) as usize;
                bytes.get(1..len.min(bytes.len()))?
            } else {
                let header = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);
                let len = (header >> 2) as usize;
                bytes.get(4..len.min(bytes.len()))?
            };
            String::from_utf8(data.to_vec()).ok()
        }
        // name: fixed 64 bytes, NUL-padded
        Some(19) => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            String::from_utf8(bytes[..end].to_vec()).ok()
        }
        _ => None,
    }
}

/// Looks through casts and relabelings: `x::uuid`, `x::text`.
pub fn strip_casts(mut n: &Node) -> &Node {
    loop {
        match n.tag.as_str() {
            "RELABELTYPE" | "COERCEVIAIO" | "ARRAYCOERCEEXPR" | "COERCETODOMAIN" => {
                match n.child("arg") {
                    Some(a) => n = a,
                    None => return n,
                }
            }
            // explicit/implicit cast functions (funcformat 1 or 2) with one argument
            "FUNCEXPR" if matches!(n.int("funcformat"), Some(1 | 2)) => {
                let args = n.children("args");
                if args.len() == 1 {
                    n = args[0];
                } else {
                    return n;
                }
            }
            _ => return n,
        }
    }
}

/// The function a call node invokes (FUNCEXPR, or the function behind an operator).
pub fn called_function(n: &Node) -> Option<Oid> {
    let oid = match n.tag.as_str() {
        "FUNCEXPR" => n.int("funcid"),
        "OPEXPR" | "DISTINCTEXPR" | "NULLIFEXPR" | "SCALARARRAYOPEXPR" => n.int("opfuncid"),
        _ => None,
    }?;
    u32::try_from(oid).ok()
}

/// Equality functions (operator `=`) of text, name, bpchar, uuid, int2/4/8,
/// oid, bool: built-in OIDs, stable across versions.
pub const EQUALITY: [i64; 9] = [67, 62, 1048, 2956, 63, 65, 467, 184, 60];

/// Own columns an expression pins to the caller: AND-ed `col = e` at the top
/// where `e` reads no column of the row, is not a constant, and comes from the
/// session (a function such as `auth.uid()`, a setting, `current_user`, a
/// sub-select). `created_by = auth.uid()` pins `created_by`: the row is the
/// caller's own, whatever tenant it is in.
pub fn caller_pinned_columns(root: &Node) -> Vec<i64> {
    fn from_session(e: &Node) -> bool {
        if !own_columns(e).is_empty() {
            return false;
        }
        let mut found = false;
        e.walk(&mut |n| {
            found |= match n.tag.as_str() {
                "FUNCEXPR" => !matches!(n.int("funcformat"), Some(1 | 2)),
                "SQLVALUEFUNCTION" | "SUBLINK" | "PARAM" => true,
                _ => false,
            };
        });
        found
    }
    let mut out = Vec::new();
    for n in conjuncts(root) {
        for (col, other) in own_column_equalities(n) {
            if from_session(other) && !out.contains(&col) {
                out.push(col);
            }
        }
    }
    out
}

/// The operands of the top-level ANDs of an expression (nested ANDs
/// flattened, in order); the expression itself when it is not an AND.
pub fn conjuncts(root: &Node) -> Vec<&Node> {
    fn go<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
        if n.tag == "BOOLEXPR" && n.get("boolop").and_then(Value::as_str) == Some("and") {
            for a in n.children("args") {
                go(a, out);
            }
        } else {
            out.push(n);
        }
    }
    let mut out = Vec::new();
    go(root, &mut out);
    out
}

/// For an equality `col = e` (or `e = col`) between a column of the row
/// being checked and another expression: each (column number, `e`) it can
/// be read as. Empty for any other node.
pub fn own_column_equalities(n: &Node) -> Vec<(i64, &Node)> {
    if n.tag != "OPEXPR" || !n.int("opfuncid").is_some_and(|f| EQUALITY.contains(&f)) {
        return Vec::new();
    }
    let args = n.children("args");
    if args.len() != 2 {
        return Vec::new();
    }
    [(args[0], args[1]), (args[1], args[0])]
        .into_iter()
        .filter_map(|(a, other)| {
            let a = strip_casts(a);
            (a.tag == "VAR" && a.int("varno") == Some(1) && a.int("varlevelsup") == Some(0))
                .then(|| a.int("varattno"))
                .flatten()
                .map(|col| (col, other))
        })
        .collect()
}

/// Where a node sits relative to the policy's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Inside a sub-query (any SubLink).
    pub in_subquery: bool,
    /// Inside an uncorrelated scalar sub-select `(SELECT …)`: an InitPlan,
    /// evaluated once per statement.
    pub in_initplan: bool,
}

/// A function call found in an expression, with its place.
#[derive(Debug, Clone)]
pub struct CallSite<'a> {
    pub func: Oid,
    pub node: &'a Node,
    pub place: Place,
}

/// True when anything inside `n` refers to an outer query level
/// (`varlevelsup` >= the depth at which it sits).
fn correlated(n: &Node, depth: i64) -> bool {
    let mut found = false;
    walk_levels(n, depth, &mut |node, d| {
        if node.tag == "VAR" && node.int("varlevelsup").unwrap_or(0) >= d {
            found = true;
        }
    });
    found
}

/// Walks with the query depth (0 at the top expression, +1 inside each QUERY).
fn walk_levels<'a>(n: &'a Node, depth: i64, f: &mut dyn FnMut(&'a Node, i64)) {
    f(n, depth);
    let inner = if n.tag == "QUERY" { depth + 1 } else { depth };
    for c in n.direct_children() {
        walk_levels(c, inner, f);
    }
}

/// Every function call in `root`, with whether it runs inside a sub-query
/// and whether that sub-query is an uncorrelated scalar sub-select.
pub fn call_sites(root: &Node) -> Vec<CallSite<'_>> {
    fn go<'a>(n: &'a Node, place: Place, out: &mut Vec<CallSite<'a>>) {
        if let Some(func) = called_function(n) {
            out.push(CallSite {
                func,
                node: n,
                place,
            });
        }
        if n.tag == "SUBLINK" {
            // EXPR_SUBLINK = 4: `(SELECT …)`; uncorrelated ones become InitPlans.
            let sub = n.child("subselect");
            let initplan =
                n.int("subLinkType") == Some(4) && sub.is_some_and(|q| !correlated(q, 0));
            if let Some(t) = n.child("testexpr") {
                go(t, place, out);
            }
            if let Some(q) = sub {
                let inner = Place {
                    in_subquery: true,
                    in_initplan: place.in_initplan || initplan,
                };
                for c in q.direct_children() {
                    go(c, inner, out);
                }
            }
            return;
        }
        for c in n.direct_children() {
            go(c, place, out);
        }
    }
    let mut out = Vec::new();
    go(
        root,
        Place {
            in_subquery: false,
            in_initplan: false,
        },
        &mut out,
    );
    out
}

/// Relations a sub-query inside `root` reads (range-table entries of kind
/// relation), with duplicates removed, in order of appearance.
pub fn subquery_relations(root: &Node) -> Vec<Oid> {
    let mut out = Vec::new();
    root.walk(&mut |n| {
        if n.tag == "RANGETBLENTRY" && n.int("rtekind") == Some(0) {
            if let Some(oid) = n.int("relid").and_then(|o| u32::try_from(o).ok()) {
                if !out.contains(&oid) {
                    out.push(oid);
                }
            }
        }
    });
    out
}

/// Column numbers of the policy's own table that `root` reads (level-0 Vars
/// of range-table entry 1, outside sub-queries or as outer references in them).
pub fn own_columns(root: &Node) -> Vec<i64> {
    let mut out = Vec::new();
    walk_levels(root, 0, &mut |n, depth| {
        if n.tag == "VAR" && n.int("varlevelsup") == Some(depth) && n.int("varno") == Some(1) {
            if let Some(a) = n.int("varattno") {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    });
    out
}

/// A JSON path read from a claims source: `f() -> 'app_metadata' ->> 'org_id'`
/// gives `["app_metadata", "org_id"]` with the innermost call's node.
#[derive(Debug, Clone)]
pub struct JsonPath<'a> {
    pub base: &'a Node,
    pub keys: Vec<String>,
}

/// Finds chains of `->`/`->>`/`#>`/`#>>` (given the OIDs of those functions)
/// on top of any base expression; returns the longest chains only.
pub fn json_paths<'a>(
    root: &'a Node,
    field_funcs: &[Oid],
    path_funcs: &[Oid],
) -> Vec<JsonPath<'a>> {
    // Returns the chain ending at `n` if `n` is a field access.
    fn chain<'a>(n: &'a Node, field: &[Oid], path: &[Oid]) -> Option<JsonPath<'a>> {
        let n = strip_casts(n);
        let f = called_function(n)?;
        let args = n.children("args");
        if args.len() != 2 {
            return None;
        }
        let keys: Vec<String> = if field.contains(&f) {
            vec![const_text(args[1])?]
        } else if path.contains(&f) {
            array_texts(args[1])?
        } else {
            return None;
        };
        let mut inner = chain(args[0], field, path).unwrap_or(JsonPath {
            base: strip_casts(args[0]),
            keys: Vec::new(),
        });
        inner.keys.extend(keys);
        Some(inner)
    }
    let is_access = |n: &Node| {
        called_function(n).is_some_and(|f| field_funcs.contains(&f) || path_funcs.contains(&f))
    };
    // Accesses that are the object of another access are part of a longer chain.
    let mut inner: Vec<*const Node> = Vec::new();
    root.walk(&mut |n| {
        if is_access(n) {
            if let Some(a) = n.children("args").first() {
                inner.push(strip_casts(a) as *const Node);
            }
        }
    });
    let mut out = Vec::new();
    root.walk(&mut |n| {
        if is_access(n) && !inner.contains(&(n as *const Node)) {
            if let Some(c) = chain(n, field_funcs, path_funcs) {
                out.push(c);
            }
        }
    });
    out
}

/// Texts of an `ARRAY['a','b']` or `'{a,b}'::text[]` constant.
fn array_texts(n: &Node) -> Option<Vec<String>> {
    let n = strip_casts(n);
    if n.tag == "ARRAYEXPR" {
        return n.children("elements").into_iter().map(const_text).collect();
    }
    const_text_array(n)
}

/// Texts of a one-dimensional `text[]` constant without NULLs (`#>> '{a,b}'`):
/// the array datum as PostgreSQL lays it out (little-endian, 4-byte varlena
/// header, 16-byte array header, dims, lower bounds, then the elements, each
/// 4-byte aligned unless it has a 1-byte header).
pub fn const_text_array(n: &Node) -> Option<Vec<String>> {
    let n = strip_casts(n);
    if n.tag != "CONST" || n.int("consttype") != Some(1009) || n.flag("constisnull") == Some(true) {
        return None;
    }
    let b = match n.get("constvalue") {
        Some(Value::Bytes(b)) => b,
        _ => return None,
    };
    let u32_at =
        |i: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    if b.first()? & 1 == 1 {
        return None; // a short-header array: not how constants are stored
    }
    let total = (u32_at(0)? >> 2) as usize;
    let ndim = u32_at(4)? as usize;
    let has_nulls = u32_at(8)? != 0;
    if ndim != 1 || has_nulls || u32_at(12)? != 25 {
        return if ndim == 0 { Some(Vec::new()) } else { None };
    }
    let count = u32_at(16)? as usize;
    let mut pos = (16 + 8 * ndim + 7) & !7;
    let end = total.min(b.len());
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        // Padding is zero; a 1-byte header is odd and never aligned.
        if *b.get(pos)? == 0 {
            pos = (pos + 3) & !3;
        }
        let (data, len) = if b.get(pos)? & 1 == 1 {
            let len = (b[pos] >> 1) as usize;
            (pos + 1, len.checked_sub(1)?)
        } else {
            let len = (u32_at(pos)? >> 2) as usize;
            (pos + 4, len.checked_sub(4)?)
        };
        if data + len > end {
            return None;
        }
        out.push(String::from_utf8(b[data..data + len].to_vec()).ok()?);
        pos = data + len;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::node::parse;

    fn tree(text: &str) -> Node {
        parse(text).unwrap().as_node().unwrap().clone()
    }

    #[test]
    fn caller_pinned_columns_are_and_ed_equalities_with_the_session() {
        let uid = "{FUNCEXPR :funcid 16389 :funcformat 0 :args <>}";
        let var = |n: i64| format!("{{VAR :varno 1 :varattno {n} :varlevelsup 0}}");
        let eq = |a: &str, b: &str| format!("{{OPEXPR :opfuncid 2956 :args ({a} {b})}}");
        // created_by = auth.uid() AND a = b: only created_by is pinned
        let and = format!(
            "{{BOOLEXPR :boolop and :args ({} {})}}",
            eq(&var(3), uid),
            eq(&var(2), &var(4))
        );
        assert_eq!(caller_pinned_columns(&tree(&and)), vec![3]);
        // either side
        assert_eq!(caller_pinned_columns(&tree(&eq(uid, &var(5)))), vec![5]);
        // OR: one branch pins nothing for the whole expression
        let or = format!(
            "{{BOOLEXPR :boolop or :args ({} {})}}",
            eq(&var(3), uid),
            eq(&var(2), &var(4))
        );
        assert!(caller_pinned_columns(&tree(&or)).is_empty());
        // a constant is not the caller; neither is another column of the row
        let konst = "{CONST :consttype 2950 :constisnull false :constvalue 16 [ 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 ]}";
        assert!(caller_pinned_columns(&tree(&eq(&var(3), konst))).is_empty());
        // a function of the row is not the session
        let of_row = format!(
            "{{FUNCEXPR :funcid 16390 :funcformat 0 :args ({})}}",
            var(2)
        );
        assert!(caller_pinned_columns(&tree(&eq(&var(3), &of_row))).is_empty());
    }

    const TRUE: &str = "{CONST :consttype 16 :consttypmod -1 :constcollid 0 :constlen 1 :constbyval true :constisnull false :location 78 :constvalue 1 [ 1 0 0 0 0 0 0 0 ]}";
    // org_id = ((auth.jwt() ->> 'organization_id'))::uuid  (PostgreSQL 15)
    const JWT_TOP: &str = "{OPEXPR :opno 2972 :opfuncid 2956 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 1 :varattno 2 :vartype 2950 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 2 :location 97} {COERCEVIAIO :arg {OPEXPR :opno 3477 :opfuncid 3214 :opresulttype 25 :opretset false :opcollid 100 :inputcollid 100 :args ({FUNCEXPR :funcid 16388 :funcresulttype 3802 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 :args <> :location 107} {CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false :location 122 :constvalue 19 [ 76 0 0 0 111 114 103 97 110 105 122 97 116 105 111 110 95 105 100 ]}) :location 118} :resulttype 2950 :resultcollid 0 :coerceformat 1 :location 140}) :location 104}";
    // org_id = (SELECT identity.get_current_org_id())
    const WRAPPED: &str = "{OPEXPR :opno 2972 :opfuncid 2956 :args ({VAR :varno 1 :varattno 2 :varlevelsup 0} {SUBLINK :subLinkType 4 :subLinkId 0 :testexpr <> :operName <> :subselect {QUERY :commandType 1 :rtable <> :jointree {FROMEXPR :fromlist <> :quals <>} :targetList ({TARGETENTRY :expr {FUNCEXPR :funcid 16401 :funcformat 0 :args <>} :resno 1})} :location 92}) :location 90}";
    // EXISTS (SELECT 1 FROM m WHERE m.org_id = t.org_id AND m.user_id = auth.uid())
    const EXISTS: &str = "{SUBLINK :subLinkType 0 :testexpr <> :subselect {QUERY :commandType 1 :rtable ({RANGETBLENTRY :rtekind 0 :relid 16454 :relkind r}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) :quals {BOOLEXPR :boolop and :args ({OPEXPR :opfuncid 2956 :args ({VAR :varno 1 :varattno 2 :varlevelsup 0} {VAR :varno 1 :varattno 3 :varlevelsup 1})} {OPEXPR :opfuncid 2956 :args ({VAR :varno 1 :varattno 1 :varlevelsup 0} {FUNCEXPR :funcid 16389 :funcformat 0 :args <>})})}} :targetList <>}}";

    #[test]
    fn constants() {
        assert_eq!(const_bool(&tree(TRUE)), Some(Some(true)));
        let null = tree("{CONST :consttype 16 :constlen 1 :constbyval true :constisnull true :location 1 :constvalue <>}");
        assert_eq!(const_bool(&null), Some(None));
        let j = tree(JWT_TOP);
        let key = j.children("args")[1].child("arg").unwrap().children("args")[1];
        assert_eq!(const_text(key).as_deref(), Some("organization_id"));
        let short =
            tree("{CONST :consttype 25 :constisnull false :constvalue 4 [ 9 111 114 103 ]}");
        assert_eq!(const_text(&short).as_deref(), Some("org"));
    }

    #[test]
    fn calls_and_their_places() {
        let jwt = tree(JWT_TOP);
        let sites = call_sites(&jwt);
        let funcs: Vec<Oid> = sites.iter().map(|s| s.func).collect();
        assert_eq!(funcs, [2956, 3214, 16388]);
        assert!(sites.iter().all(|s| !s.place.in_subquery));

        let wrapped = tree(WRAPPED);
        let w = call_sites(&wrapped);
        let helper = w.iter().find(|s| s.func == 16401).unwrap();
        assert!(helper.place.in_subquery && helper.place.in_initplan);

        let exists = tree(EXISTS);
        let e = call_sites(&exists);
        let uid = e.iter().find(|s| s.func == 16389).unwrap();
        assert!(
            uid.place.in_subquery && !uid.place.in_initplan,
            "EXISTS is not an InitPlan"
        );
    }

    #[test]
    fn correlated_scalar_subselect_is_not_an_initplan() {
        let t = "{SUBLINK :subLinkType 4 :subselect {QUERY :targetList ({TARGETENTRY :expr {FUNCEXPR :funcid 7 :funcformat 0 :args ({VAR :varno 1 :varattno 2 :varlevelsup 1})}})}}";
        let t = tree(t);
        let s = call_sites(&t);
        assert_eq!(s.len(), 1);
        assert!(s[0].place.in_subquery && !s[0].place.in_initplan);
    }

    #[test]
    fn relations_and_columns() {
        assert_eq!(subquery_relations(&tree(EXISTS)), [16454]);
        assert!(subquery_relations(&tree(JWT_TOP)).is_empty());
        assert_eq!(own_columns(&tree(JWT_TOP)), [2]);
        assert_eq!(
            own_columns(&tree(EXISTS)),
            [3],
            "only the outer reference t.org_id"
        );
    }

    #[test]
    fn json_paths_from_claims() {
        let t = tree(JWT_TOP);
        let paths = json_paths(&t, &[3478, 3214, 3947, 3948], &[]);
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].keys, ["organization_id"]);
        assert_eq!(called_function(paths[0].base), Some(16388));
    }

    #[test]
    fn text_array_constants() {
        // '{user_metadata,organization_id}'::text[] as PostgreSQL 15 stores it.
        let c = tree("{CONST :consttype 1009 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false :location 139 :constvalue 64 [ 0 1 0 0 1 0 0 0 0 0 0 0 25 0 0 0 2 0 0 0 1 0 0 0 68 0 0 0 117 115 101 114 95 109 101 116 97 100 97 116 97 0 0 0 76 0 0 0 111 114 103 97 110 105 122 97 116 105 111 110 95 105 100 0 ]}");
        assert_eq!(
            const_text_array(&c),
            Some(vec![
                "user_metadata".to_owned(),
                "organization_id".to_owned()
            ])
        );
        let path = tree("{OPEXPR :opfuncid 3940 :args ({FUNCEXPR :funcid 16414 :funcformat 0 :args <>} {CONST :consttype 1009 :constisnull false :constvalue 64 [ 0 1 0 0 1 0 0 0 0 0 0 0 25 0 0 0 2 0 0 0 1 0 0 0 68 0 0 0 117 115 101 114 95 109 101 116 97 100 97 116 97 0 0 0 76 0 0 0 111 114 103 97 110 105 122 97 116 105 111 110 95 105 100 0 ]})}");
        let p = json_paths(&path, &[], &[3940]);
        assert_eq!(p[0].keys, ["user_metadata", "organization_id"]);
        assert!(const_text_array(&tree(TRUE)).is_none());
    }
}
