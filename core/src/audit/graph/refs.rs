//! What a policy expression or a function body reads and calls.

use super::*;

/// Relations read in sub-queries and functions called by a policy
/// expression, in one walk (the same facts as `expr::subquery_relations`
/// and the functions of `expr::call_sites`).
pub fn expr_refs(root: &Node) -> ExprRefs {
    let mut refs = ExprRefs::default();
    root.walk(&mut |n| {
        match n.tag.as_str() {
            "SUBLINK" => refs.has_sublinks = true,
            "RANGETBLENTRY" if n.int("rtekind") == Some(0) => {
                if let Some(oid) = n.int("relid").and_then(|o| u32::try_from(o).ok()) {
                    if !refs.rels.contains(&oid) {
                        refs.rels.push(oid);
                    }
                }
            }
            _ => {}
        }
        if let Some(f) = expr::called_function(n) {
            if !refs.calls.contains(&f) {
                refs.calls.push(f);
            }
        }
    });
    refs
}

/// The top-level nodes of a value (a body is a list of queries, or a list of
/// lists for `BEGIN ATOMIC`).
pub fn value_nodes(v: &Value) -> Vec<&Node> {
    fn go<'a>(v: &'a Value, out: &mut Vec<&'a Node>) {
        match v {
            Value::Node(n) => out.push(n),
            Value::List(items) => items.iter().for_each(|i| go(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    go(v, &mut out);
    out
}

/// What a function body reads and calls.
pub fn function_refs(ctx: &Ctx, f: &Function) -> FuncRefs {
    if let Some(body) = &f.body_tree {
        return tree_refs(body);
    }
    match (f.language.as_str(), &f.source) {
        ("plpgsql" | "sql", Some(src)) => scan_source(ctx, f, src),
        _ => FuncRefs::default(),
    }
}

/// Relations (with the command: the result relation of an INSERT/UPDATE/
/// DELETE, else SELECT) and functions of analysed queries.
pub fn tree_refs(body: &Value) -> FuncRefs {
    let mut refs = FuncRefs::default();
    for root in value_nodes(body) {
        root.walk(&mut |n| {
            if n.tag == "QUERY" {
                let result = n.int("resultRelation").unwrap_or(0);
                let cmd = Cmd::from_command_type(n.int("commandType").unwrap_or(1));
                for (i, rte) in n.children("rtable").into_iter().enumerate() {
                    if rte.tag != "RANGETBLENTRY" || rte.int("rtekind") != Some(0) {
                        continue;
                    }
                    let Some(rel) = rte.int("relid").and_then(|o| u32::try_from(o).ok()) else {
                        continue;
                    };
                    let c = if i as i64 + 1 == result {
                        cmd
                    } else {
                        Cmd::Select
                    };
                    let read = Read {
                        rel,
                        cmd: c,
                        from_source: false,
                    };
                    if !refs.reads.contains(&read) {
                        refs.reads.push(read);
                    }
                }
            }
            if let Some(func) = expr::called_function(n) {
                let call = Call {
                    func,
                    from_source: false,
                };
                if !refs.calls.contains(&call) {
                    refs.calls.push(call);
                }
            }
        });
    }
    refs
}
