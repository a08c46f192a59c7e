//! Policies that recurse: a cycle of policy sub-queries (42P17 at rewrite
//! time) or a cycle through a function (54001 at run time). Both are found on
//! the role-aware expansion in `audit::graph`: per role, only the policies
//! that apply to it, on tables where it is not exempt.

use crate::audit::expr;
use crate::audit::finding::{Category, Check, Finding, Level};
use crate::audit::graph::{function_sig, role_label, Cmd, Cycle, EdgeKind, Graph, State};
use crate::audit::model::{qualified, quote_ident, Ctx};
use crate::audit::node::{Node, Value};
use crate::audit::snapshot::{Oid, Policy, Table, PUBLIC};

pub static POLICY_RECURSION: Check = Check {
    code: "policy_recursion",
    level: Level::Error,
    category: Category::Correctness,
    title: "Policy sub-queries form a cycle: infinite recursion (42P17)",
    why: "PostgreSQL expands the policies of every table a policy sub-query reads; when a table comes back it raises 42P17 for every role subject to RLS on the whole loop. Owners and superusers skip the policies and never see it, which is how it ships.",
};
pub static FUNCTION_RECURSION: Check = Check {
    code: "function_recursion",
    level: Level::Error,
    category: Category::Correctness,
    title: "A policy calls a function that reads back into the policy's table (54001)",
    why: "A function's body is planned when it runs, so the loop is not caught at rewrite time: each call reads the table again, whose policy calls the function again, until 54001 \"stack depth limit exceeded\".",
};

pub const CHECKS: &[&Check] = &[&POLICY_RECURSION, &FUNCTION_RECURSION];

pub fn run(ctx: &Ctx, out: &mut Vec<Finding>) {
    let g = Graph::new(ctx);
    let roles = g.seed_roles();
    report(&g, &POLICY_RECURSION, g.policy_cycles(&roles), out);
    report(&g, &FUNCTION_RECURSION, g.function_cycles(&roles), out);
}

/// One finding per (table, policy) a loop starts at; several loops from the
/// same policy are listed in one detail.
fn report(g: &Graph, check: &'static Check, cycles: Vec<Cycle>, out: &mut Vec<Finding>) {
    let ctx = g.ctx;
    type Start = (Oid, Option<Oid>);
    let mut groups: Vec<(Start, Vec<Cycle>)> = Vec::new();
    for c in cycles.into_iter().filter(|c| !c.roles.is_empty()) {
        let start = c.start();
        match groups.iter_mut().find(|(k, _)| *k == start) {
            Some((_, v)) => v.push(c),
            None => groups.push((start, vec![c])),
        }
    }
    for ((rel, policy), loops) in groups {
        let Some(table) = ctx.tables.get(&rel).copied() else {
            continue;
        };
        let policy = policy.and_then(|p| ctx.snap.policies.iter().find(|x| x.oid == p));
        let parts: Vec<String> = loops.iter().map(|c| describe(g, check, c)).collect();
        let remediation = if check.code == POLICY_RECURSION.code {
            policy_remediation(g, table, policy, &loops[0])
        } else {
            function_remediation(g, table, policy, &loops[0])
        };
        out.push(ctx.finding(
            check,
            Some(table),
            policy,
            parts.join(" Also: "),
            remediation,
        ));
    }
}

fn roles_text(g: &Graph, c: &Cycle) -> String {
    let names: Vec<String> = c.roles.iter().map(|&r| role_label(g.ctx, r)).collect();
    format!(
        "role{} {}",
        if names.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}

fn describe(g: &Graph, check: &Check, c: &Cycle) -> String {
    let path = g.render(c);
    let (rel, _) = c.start();
    let table = g.rel_name(rel);
    let source = if c.steps.iter().any(|s| s.edge.from_source) {
        " (Edges marked \"from … source\" were found by a conservative scan of the function's source text for relation names after FROM, JOIN, UPDATE, INTO and DELETE FROM, not from an analysed body.)"
    } else {
        ""
    };
    if check.code == POLICY_RECURSION.code {
        let what = match c.cmd {
            Cmd::Select => format!("Querying {table}"),
            Cmd::Insert => format!("INSERT into {table}"),
            Cmd::Update => format!("UPDATE of {table}"),
            Cmd::Delete => format!("DELETE from {table}"),
        };
        format!(
            "{what} as {} raises 42P17 \"infinite recursion detected in policy\": {path}. Each policy sub-query is expanded with the policies of the table it reads, and the loop comes back to a table already being expanded. The table owner and superusers skip these policies, so tests run as them pass.",
            roles_text(g, c)
        )
    } else {
        let funcs: Vec<String> = c
            .steps
            .iter()
            .filter_map(|s| match s.from {
                State::Func { .. } => Some(g.name_of(&s.from)),
                _ => None,
            })
            .collect();
        format!(
            "Querying {table} as {} recurses until 54001 \"stack depth limit exceeded\": {path}. Every call of {} plans a query on a table whose policy calls it again.{source}",
            roles_text(g, c),
            funcs.join(", ")
        )
    }
}

/// Who the helper should be granted to: the affected client roles, else the
/// affected roles (PUBLIC aside), else `authenticated`.
fn grantees(g: &Graph, c: &Cycle) -> String {
    let pick = |only_clients: bool| -> Vec<String> {
        c.roles
            .iter()
            .filter(|&&r| r != PUBLIC && (!only_clients || g.ctx.client_roles.contains(&r)))
            .map(|&r| quote_ident(&g.ctx.role_name(r)))
            .collect()
    };
    let mut names = pick(true);
    if names.is_empty() {
        names = pick(false);
    }
    if names.is_empty() {
        "authenticated".into()
    } else {
        names.join(", ")
    }
}

/// The deparsed sub-query of `policy` that reads `target` (directly or via a
/// view), if the policy text and tree let us find it unambiguously.
struct SubQuery {
    /// Byte range of the `( SELECT … )` group in the expression text.
    range: (usize, usize),
    /// EXISTS (0), ANY/IN (2), scalar (4).
    kind: i64,
    /// Outer columns the sub-query refers to (correlation).
    outer: Vec<String>,
    /// Type of its first output column, when it is a plain column.
    out_type: Option<String>,
    /// `USING` (true) or `WITH CHECK` (false).
    using: bool,
}

fn find_subquery(g: &Graph, table: &Table, policy: &Policy, target: Oid) -> Option<SubQuery> {
    let ctx = g.ctx;
    for (using, tree, text) in [
        (true, &policy.qual_tree, &policy.qual_sql),
        (false, &policy.with_check_tree, &policy.with_check_sql),
    ] {
        let (Some(root), Some(text)) = (tree.as_ref().and_then(Value::as_node), text) else {
            continue;
        };
        let mut sublinks: Vec<&Node> = Vec::new();
        collect_top_sublinks(root, &mut sublinks);
        let groups = select_groups(text);
        if groups.len() != sublinks.len() {
            continue;
        }
        for (i, s) in sublinks.iter().enumerate() {
            let Some(q) = s.child("subselect") else {
                continue;
            };
            let rels = expr::subquery_relations(q);
            let reads_target = rels.iter().any(|&r| {
                r == target
                    || ctx
                        .tables
                        .get(&r)
                        .is_some_and(|t| t.kind == "v" && t.view_relations.contains(&target))
            });
            if !reads_target {
                continue;
            }
            // Outer references of the sub-query itself (not its test expression).
            let outer: Vec<String> = expr::own_columns(q)
                .into_iter()
                .filter_map(|a| ctx.column_name(table.oid, a).map(str::to_owned))
                .collect();
            let out_type = q
                .children("targetList")
                .first()
                .and_then(|te| te.child("expr"))
                .filter(|e| e.tag == "VAR" && e.int("varlevelsup") == Some(0))
                .and_then(|v| {
                    let rte = q
                        .children("rtable")
                        .get(usize::try_from(v.int("varno")? - 1).ok()?)
                        .copied()?;
                    let rel = u32::try_from(rte.int("relid")?).ok()?;
                    let attno = v.int("varattno")?;
                    ctx.tables
                        .get(&rel)?
                        .columns
                        .iter()
                        .find(|c| i64::from(c.num) == attno)
                        .map(|c| c.type_name.clone())
                });
            return Some(SubQuery {
                range: groups[i],
                kind: s.int("subLinkType").unwrap_or(-1),
                outer,
                out_type,
                using,
            });
        }
    }
    None
}

/// SubLinks not nested in another SubLink, in tree (= text) order.
fn collect_top_sublinks<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    if n.tag == "SUBLINK" {
        out.push(n);
        return;
    }
    for c in n.direct_children() {
        collect_top_sublinks(c, out);
    }
}

/// Byte ranges of the outermost `( SELECT … )` groups of deparsed SQL
/// (quotes respected). Used only to write remediation SQL.
fn select_groups(sql: &str) -> Vec<(usize, usize)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start: Option<(usize, usize)> = None; // (byte, depth)
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'(' => {
                if start.is_none() {
                    let rest = sql[i + 1..].trim_start();
                    if rest.len() >= 6 && rest[..6].eq_ignore_ascii_case("select") {
                        start = Some((i, depth));
                    }
                }
                depth += 1;
            }
            b')' => {
                depth = depth.saturating_sub(1);
                if let Some((s, d)) = start {
                    if d == depth {
                        out.push((s, i + 1));
                        start = None;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn helper_name(table: &Table, policy: &Policy) -> String {
    let mut base: String = format!("{}_{}", table.name, policy.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    base.truncate(50);
    format!(
        "{}.{}_lookup",
        quote_ident(&table.schema),
        base.trim_matches('_')
    )
}

fn policy_remediation(g: &Graph, table: &Table, policy: Option<&Policy>, c: &Cycle) -> String {
    let ctx = g.ctx;
    let tname = qualified(&table.schema, &table.name);
    let Some(policy) = policy else {
        return format!("-- break the loop through {tname}: move the sub-query into a SECURITY DEFINER function owned by the table owner, with SET search_path.");
    };
    // The relation the first sub-query reads, and who should own the helper.
    let target = match c.steps[0].edge.views.first() {
        Some(&v) => v,
        None => match c.steps[0].edge.to {
            State::Rel { rel, .. } => rel,
            State::Func { func, .. } => func,
        },
    };
    let read_rel = match c.steps[0].edge.to {
        State::Rel { rel, .. } => rel,
        State::Func { .. } => target,
    };
    let read_table = ctx.tables.get(&read_rel).copied();
    let mut owner = read_table
        .map(|t| quote_ident(&ctx.role_name(t.owner)))
        .unwrap_or_else(|| "<the table owner>".into());
    let mut owner_note = format!("the owner of {}: exempt from its RLS", g.rel_name(read_rel));
    if let Some(t) = read_table {
        if t.force_rls
            && !ctx
                .roles
                .get(&t.owner)
                .is_some_and(|r| r.superuser || r.bypassrls)
        {
            owner_note = format!(
                "{} has FORCE ROW LEVEL SECURITY, so its owner {} is subject to its policies: use a role with BYPASSRLS",
                g.rel_name(t.oid),
                ctx.role_name(t.owner)
            );
            owner = "<a role with BYPASSRLS>".into();
        }
    }
    let helper = helper_name(table, policy);
    let grant = grantees(g, c);
    let found = find_subquery(g, table, policy, target).and_then(|sq| {
        let text = if sq.using {
            policy.qual_sql.as_deref()?
        } else {
            policy.with_check_sql.as_deref()?
        };
        let group = &text[sq.range.0..sq.range.1];
        let inner = group[1..group.len() - 1].trim();
        // Outer references print as table.column; they become parameters.
        let mut body = inner.to_owned();
        let mut params = Vec::new();
        let mut args = Vec::new();
        for col in &sq.outer {
            let ty = table
                .columns
                .iter()
                .find(|c| &c.name == col)
                .map(|c| c.type_name.clone())?;
            let p = format!("p_{col}");
            for prefix in [
                format!("{}.{}", quote_ident(&table.name), quote_ident(col)),
                format!("{}.{}", table.name, col),
            ] {
                body = body.replace(&prefix, &p);
            }
            params.push(format!("{p} {ty}"));
            args.push(quote_ident(col));
        }
        let call = format!("{helper}({})", args.join(", "));
        let (returns, body, replacement, prefix_len) = match sq.kind {
            // EXISTS ( SELECT … ) -> helper(args)
            0 => {
                let before = text[..sq.range.0].trim_end();
                let has_exists = before.to_ascii_uppercase().ends_with("EXISTS");
                if !has_exists {
                    return None;
                }
                (
                    "boolean".to_owned(),
                    format!("SELECT EXISTS ({body})"),
                    call.clone(),
                    sq.range.0 - before.len() + "EXISTS".len(),
                )
            }
            2 => (
                format!("SETOF {}", sq.out_type.clone()?),
                body,
                format!("(SELECT {call})"),
                0,
            ),
            4 => (sq.out_type.clone()?, body, format!("(SELECT {call})"), 0),
            _ => return None,
        };
        let start = sq.range.0 - prefix_len;
        let new_expr = format!("{}{}{}", &text[..start], replacement, &text[sq.range.1..]);
        let clause = if sq.using { "USING" } else { "WITH CHECK" };
        Some(format!(
            "CREATE FUNCTION {helper}({params}) RETURNS {returns}\n  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, {schema}\n  AS $$ {body} $$;\nALTER FUNCTION {helper}({types}) OWNER TO {owner};  -- {owner_note}\nREVOKE EXECUTE ON FUNCTION {helper}({types}) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION {helper}({types}) TO {grant};\nALTER POLICY {pname} ON {tname} {clause} ({new_expr});",
            params = params.join(", "),
            schema = quote_ident(read_table.map(|t| t.schema.as_str()).unwrap_or("public")),
            types = params
                .iter()
                .map(|p| p.split_once(' ').map(|x| x.1).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(", "),
            pname = quote_ident(&policy.name),
        ))
    });
    let sql = found.unwrap_or_else(|| {
        format!(
            "-- move the sub-query of policy {} that reads {} into a SECURITY DEFINER function, and call it from the policy:\nCREATE FUNCTION {helper}(<the outer columns the sub-query uses>) RETURNS <its result>\n  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, {}\n  AS $$ <the sub-query> $$;\nALTER FUNCTION {helper}(<argument types>) OWNER TO {owner};  -- {owner_note}\nREVOKE EXECUTE ON FUNCTION {helper}(<argument types>) FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION {helper}(<argument types>) TO {grant};\nALTER POLICY {} ON {tname} USING (<the condition, calling {helper}>);",
            policy.name,
            g.rel_name(target),
            quote_ident(read_table.map(|t| t.schema.as_str()).unwrap_or("public")),
            quote_ident(&policy.name),
        )
    });
    sql
}

fn function_remediation(g: &Graph, table: &Table, policy: Option<&Policy>, c: &Cycle) -> String {
    let ctx = g.ctx;
    let tname = qualified(&table.schema, &table.name);
    // The first function of the loop, and the relation its body reads next.
    let Some(fi) = c
        .steps
        .iter()
        .position(|s| matches!(s.from, State::Func { .. }))
    else {
        return String::new();
    };
    let State::Func { func, .. } = c.steps[fi].from else {
        return String::new();
    };
    let Some(f) = ctx.functions.get(&func).copied() else {
        return String::new();
    };
    let next_rel = c.steps[fi..]
        .iter()
        .find_map(|s| match (s.edge.kind, s.edge.to) {
            (EdgeKind::Body, State::Rel { rel, .. }) => Some(rel),
            _ => None,
        });
    // The policy on that relation through which the loop comes back.
    let back_policy = c.steps.iter().find_map(|s| match s.from {
        State::Rel { rel, .. } if Some(rel) == next_rel => s.edge.policy,
        _ => None,
    });
    let read = next_rel.and_then(|r| ctx.tables.get(&r).copied());
    let sig = &function_sig(f);
    let grant = grantees(g, c);
    let wrap = policy
        .and_then(|p| {
            let q = p.qual_sql.as_deref()?;
            let bare = format!("{}()", f.name);
            let wrapped = wrap_calls(q, &f.name, &f.returns);
            if !f.arg_types.is_empty() || !q.contains(&bare) || wrapped == q {
                return None;
            }
            Some(format!(
                "\n-- and evaluate it once per statement instead of once per row:\nALTER POLICY {} ON {tname} USING ({wrapped});",
                quote_ident(&p.name),
            ))
        })
        .unwrap_or_default();
    let identity = "\n-- or read the tenant from the verified claims instead of a table: USING (<tenant column> = (SELECT identity.get_current_org_id()))";
    if !f.security_definer {
        let Some(read) = read else {
            return format!("-- make {sig} SECURITY DEFINER, owned by a role exempt from RLS on the tables it reads, with SET search_path.{identity}");
        };
        let owner = ctx.role_name(read.owner);
        let mut out = format!(
            "-- run the lookup as the owner of {} ({owner}), who is exempt from its RLS:\nALTER FUNCTION {sig} SECURITY DEFINER SET search_path = pg_catalog, {};\nALTER FUNCTION {sig} OWNER TO {};\nREVOKE EXECUTE ON FUNCTION {sig} FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION {sig} TO {grant};",
            g.rel_name(read.oid),
            quote_ident(&read.schema),
            quote_ident(&owner)
        );
        if read.force_rls {
            out.push_str(&format!("\n-- {} has FORCE ROW LEVEL SECURITY: own the function by a role with BYPASSRLS instead, or scope its policies TO the client roles.", g.rel_name(read.oid)));
        }
        out.push_str(&wrap);
        out.push_str(identity);
        return out;
    }
    // A definer whose owner is subject to RLS on the table it reads.
    let owner = ctx.role_name(f.owner);
    let mut out =
        format!("-- {sig} runs as {owner}, which is subject to RLS on the table it reads");
    if let (Some(read), Some(bp)) = (read, back_policy) {
        let bp = ctx.snap.policies.iter().find(|p| p.oid == bp);
        if read.force_rls && read.owner == f.owner {
            out.push_str(" (FORCE ROW LEVEL SECURITY on its own table)");
        }
        out.push_str(":\n");
        if let Some(bp) = bp {
            let to = if bp.roles.contains(&PUBLIC) {
                "TO PUBLIC".to_owned()
            } else {
                "its TO roles".to_owned()
            };
            out.push_str(&format!(
                "-- scope policy {} ({to}) to the client roles, so that it does not apply to {owner}:\nALTER POLICY {} ON {} TO {grant};\n",
                bp.name,
                quote_ident(&bp.name),
                g.rel_name(read.oid)
            ));
        }
        out.push_str(&format!(
            "-- or own the function by a role exempt from RLS on {}: ALTER FUNCTION {sig} OWNER TO <a BYPASSRLS role, or the owner of {} without FORCE>;",
            g.rel_name(read.oid),
            g.rel_name(read.oid)
        ));
    } else {
        out.push_str(&format!(
            ":\nALTER FUNCTION {sig} OWNER TO <a role exempt from RLS on the tables it reads>;"
        ));
    }
    out.push_str(&wrap);
    out.push_str(identity);
    out
}

/// Wraps every call `name(…)` (schema-qualified or not) of a deparsed
/// expression in `(SELECT …)`, unless it already is the target of a
/// `SELECT`. Directly inside `= ANY (…)` the sub-select needs a cast to the
/// function's (array) type `returns`, or it would be read as `ANY (sub-query)`.
/// Text only, for remediation SQL.
pub fn wrap_calls(sql: &str, name: &str, returns: &str) -> String {
    let pat = format!("{name}(");
    let mut out = String::new();
    let mut rest = sql;
    while let Some(pos) = rest.find(&pat) {
        let before = &rest[..pos];
        // Include a schema prefix (`schema.` immediately before).
        let start = match before.strip_suffix('.') {
            Some(schema_part) => schema_part
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
                .map(|i| i + 1)
                .unwrap_or(0),
            None => pos,
        };
        // The matching close parenthesis (quotes respected).
        let open = pos + pat.len() - 1;
        let b = rest.as_bytes();
        let (mut depth, mut i, mut quote) = (0usize, open, None::<u8>);
        let mut close = None;
        while i < b.len() {
            match (quote, b[i]) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, c @ (b'\'' | b'"')) => quote = Some(c),
                (None, b'(') => depth += 1,
                (None, b')') => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        let Some(close) = close else {
            break;
        };
        // A longer identifier ending in `name` is not this call.
        let prev = rest[..start].chars().last();
        let is_ident_tail = prev.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let already = rest[..start]
            .trim_end()
            .to_ascii_uppercase()
            .ends_with("SELECT");
        out.push_str(&rest[..start]);
        let call = &rest[start..=close];
        let upper = rest[..start].trim_end().to_ascii_uppercase();
        let in_any = ["ANY (", "ALL (", "SOME ("]
            .iter()
            .any(|k| upper.ends_with(k) || upper.ends_with(&k.replace(' ', "")));
        if is_ident_tail || already {
            out.push_str(call);
        } else if in_any {
            out.push_str(&format!("(SELECT {call})::{returns}"));
        } else {
            out.push_str(&format!("(SELECT {call})"));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_calls_once() {
        assert_eq!(
            wrap_calls("(user_id = auth.uid())", "uid", "uuid"),
            "(user_id = (SELECT auth.uid()))"
        );
        assert_eq!(
            wrap_calls("(x = ( SELECT auth.uid() AS uid))", "uid", "uuid"),
            "(x = ( SELECT auth.uid() AS uid))"
        );
        assert_eq!(
            wrap_calls(
                "((current_setting('request.jwt.claims'::text, true))::jsonb ->> 'a)'::text)",
                "current_setting",
                "text"
            ),
            "(((SELECT current_setting('request.jwt.claims'::text, true)))::jsonb ->> 'a)'::text)"
        );
        assert_eq!(
            wrap_calls("my_uid() = nouid()", "uid", "uuid"),
            "my_uid() = nouid()"
        );
        assert_eq!(
            wrap_calls(
                "(org_id = ANY (ticket_org_ids()))",
                "ticket_org_ids",
                "uuid[]"
            ),
            "(org_id = ANY ((SELECT ticket_org_ids())::uuid[]))"
        );
    }
}
