//! The conservative scan of PL/pgSQL (and unanalysable SQL) source text.

use super::*;

/// A conservative scan of a body's source text: names after FROM, JOIN,
/// UPDATE, INTO (and comma-separated FROM lists) resolved against the
/// snapshot's relations; `name(` resolved against its functions. Comments,
/// string literals and dollar-quoted strings (dynamic SQL) are skipped.
pub fn scan_source(ctx: &Ctx, f: &Function, src: &str) -> FuncRefs {
    let toks = tokenize(&strip_literals(src));
    let path = search_path(f);
    let mut refs = FuncRefs::default();
    let word = |i: usize| -> Option<&str> {
        match toks.get(i) {
            Some(Tok::Word(w, false)) => Some(w.as_str()),
            _ => None,
        }
    };
    // A qualified name at i: (schema, name, next index).
    let name_at = |i: usize| -> Option<(Option<String>, String, usize)> {
        let Some(Tok::Word(a, _)) = toks.get(i) else {
            return None;
        };
        if toks.get(i + 1) == Some(&Tok::Punct('.')) {
            if let Some(Tok::Word(b, _)) = toks.get(i + 2) {
                return Some((Some(a.clone()), b.clone(), i + 3));
            }
        }
        Some((None, a.clone(), i + 1))
    };
    let add_read = |refs: &mut FuncRefs, schema: Option<&str>, name: &str, cmd: Cmd| {
        if let Some(rel) = resolve_relation(ctx, &path, &f.schema, schema, name) {
            let read = Read {
                rel,
                cmd,
                from_source: true,
            };
            if !refs.reads.contains(&read) {
                refs.reads.push(read);
            }
        }
    };
    const NOT_ALIAS: &[&str] = &[
        "where",
        "join",
        "inner",
        "left",
        "right",
        "full",
        "cross",
        "natural",
        "on",
        "using",
        "group",
        "order",
        "limit",
        "offset",
        "having",
        "window",
        "union",
        "except",
        "intersect",
        "for",
        "returning",
        "set",
        "values",
        "loop",
        "then",
        "into",
        "when",
        "lateral",
        "and",
        "or",
        "select",
        "fetch",
        "default",
        "tablesample",
        "with",
    ];
    let mut i = 0;
    while i < toks.len() {
        // Calls: name( or schema.name(
        if let Some((schema, name, next)) = name_at(i) {
            if toks.get(next) == Some(&Tok::Punct('(')) {
                for func in resolve_functions(ctx, &path, &f.schema, schema.as_deref(), &name) {
                    let call = Call {
                        func,
                        from_source: true,
                    };
                    if !refs.calls.contains(&call) {
                        refs.calls.push(call);
                    }
                }
            }
        }
        let Some(kw) = word(i) else {
            i += 1;
            continue;
        };
        let prev = if i > 0 { word(i - 1) } else { None };
        let cmd = match kw {
            "update" => Cmd::Update,
            "into" if prev == Some("insert") => Cmd::Insert,
            "into" if prev == Some("merge") => Cmd::Update,
            "from" if prev == Some("delete") => Cmd::Delete,
            "from" | "join" | "into" => Cmd::Select,
            _ => {
                i += 1;
                continue;
            }
        };
        let mut j = i + 1;
        if word(j) == Some("only") {
            j += 1;
        }
        while let Some((schema, name, next)) = name_at(j) {
            if toks.get(next) == Some(&Tok::Punct('(')) {
                break;
            }
            add_read(&mut refs, schema.as_deref(), &name, cmd);
            j = next;
            if !matches!(kw, "from" | "join") {
                break;
            }
            // [AS] alias, then a comma continues the FROM list.
            if word(j) == Some("as") {
                j += 1;
            }
            if let Some(w) = word(j) {
                if !NOT_ALIAS.contains(&w) {
                    j += 1;
                }
            } else if matches!(toks.get(j), Some(Tok::Word(_, true))) {
                j += 1;
            }
            if toks.get(j) == Some(&Tok::Punct(',')) {
                j += 1;
                if word(j) == Some("lateral") || word(j) == Some("only") {
                    j += 1;
                }
                continue;
            }
            break;
        }
        i += 1;
    }
    refs
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier (lower-cased unless quoted), and whether it was quoted.
    Word(String, bool),
    Punct(char),
}

/// Replaces comments, string literals and dollar-quoted strings with spaces.
pub fn strip_literals(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '-' && c.get(i + 1) == Some(&'-') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            out.push(' ');
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if ch == '\'' {
            let escapes = i > 0 && matches!(c[i - 1], 'e' | 'E');
            i += 1;
            while i < c.len() {
                if escapes && c[i] == '\\' {
                    i += 2;
                    continue;
                }
                if c[i] == '\'' {
                    if c.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if ch == '"' {
            // Quoted identifiers stay.
            out.push(ch);
            i += 1;
            while i < c.len() {
                out.push(c[i]);
                if c[i] == '"' {
                    if c.get(i + 1) == Some(&'"') {
                        out.push('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
        } else if ch == '$' && !c.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
            // $tag$ … $tag$ ($1 is a parameter).
            let mut j = i + 1;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            if c.get(j) == Some(&'$') {
                let tag: String = c[i..=j].iter().collect();
                let rest: String = c[j + 1..].iter().collect();
                match rest.find(&tag) {
                    Some(end) => {
                        i = j + 1 + rest[..end].chars().count() + tag.chars().count();
                    }
                    None => i = c.len(),
                }
                out.push(' ');
            } else {
                out.push(ch);
                i += 1;
            }
        } else {
            out.push(ch);
            i += 1;
        }
    }
    out
}

fn tokenize(text: &str) -> Vec<Tok> {
    let c: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                i += 1;
            }
            let w: String = c[start..i].iter().collect();
            out.push(Tok::Word(w.to_lowercase(), false));
        } else if ch == '"' {
            let mut w = String::new();
            i += 1;
            while i < c.len() {
                if c[i] == '"' {
                    if c.get(i + 1) == Some(&'"') {
                        w.push('"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                w.push(c[i]);
                i += 1;
            }
            i += 1;
            out.push(Tok::Word(w, true));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_ascii_alphanumeric() || c[i] == '.') {
                i += 1;
            }
            out.push(Tok::Punct('0'));
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

/// The function's `SET search_path`, if any (schema names, `$user` dropped).
fn search_path(f: &Function) -> Option<Vec<String>> {
    let cfg = f.config.as_ref()?;
    let v = cfg.iter().find_map(|c| c.strip_prefix("search_path="))?;
    Some(
        v.split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .filter(|s| !s.is_empty() && s != "$user")
            .collect(),
    )
}

/// Schemas an unqualified name is looked up in: the function's search_path,
/// else `public` then the function's own schema.
fn lookup_schemas(path: &Option<Vec<String>>, own: &str) -> Vec<String> {
    match path {
        Some(p) => {
            let mut v = vec!["pg_catalog".to_owned()];
            v.extend(p.iter().cloned());
            v
        }
        None => vec!["pg_catalog".into(), "public".into(), own.to_owned()],
    }
}

fn resolve_relation(
    ctx: &Ctx,
    path: &Option<Vec<String>>,
    own: &str,
    schema: Option<&str>,
    name: &str,
) -> Option<Oid> {
    let tables = &ctx.snap.tables;
    if let Some(s) = schema {
        return tables
            .iter()
            .find(|t| t.schema == s && t.name == name)
            .map(|t| t.oid);
    }
    for s in lookup_schemas(path, own) {
        if let Some(t) = tables.iter().find(|t| t.schema == s && t.name == name) {
            return Some(t.oid);
        }
    }
    // No search_path to go by: a name found in exactly one schema.
    let mut found = tables.iter().filter(|t| t.name == name);
    match (found.next(), found.next(), path) {
        (Some(t), None, None) => Some(t.oid),
        _ => None,
    }
}

fn resolve_functions(
    ctx: &Ctx,
    path: &Option<Vec<String>>,
    own: &str,
    schema: Option<&str>,
    name: &str,
) -> Vec<Oid> {
    let funcs = &ctx.snap.functions;
    let pick = |s: &str| -> Vec<Oid> {
        funcs
            .iter()
            .filter(|f| f.schema == s && f.name == name)
            .map(|f| f.oid)
            .collect()
    };
    if let Some(s) = schema {
        return pick(s);
    }
    for s in lookup_schemas(path, own) {
        let v = pick(&s);
        if !v.is_empty() {
            return v;
        }
    }
    Vec::new()
}
