//! Parser for PostgreSQL's node-tree text (`pg_node_tree`, `nodeToString()`),
//! the form `pg_policy.polqual` and `pg_proc.prosqlbody` are stored in:
//! `{OPEXPR :opno 98 :args ({VAR :varno 1 ...} {CONST ...}) :location -1}`.
//!
//! The result is a generic tree (tag + fields) so that field additions across
//! PostgreSQL versions do not break it; `expr.rs` gives it meaning.

/// A value of a node field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Node(Node),
    /// `( … )` of nodes or values.
    List(Vec<Value>),
    /// `(i 1 2)`, `(o 1 2)`, `(x …)`, `(b 1 2)`: integer, OID, XID lists and bitmapsets.
    Ints(Vec<i64>),
    /// A datum's bytes: `4 [ 1 0 0 0 0 0 0 0 ]`.
    Bytes(Vec<u8>),
    /// Any scalar token (numbers, booleans, names), de-escaped.
    Token(String),
    /// `<>`: a NULL pointer or NIL list.
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub tag: String,
    pub fields: Vec<(String, Value)>,
}

impl Value {
    pub fn as_node(&self) -> Option<&Node> {
        match self {
            Value::Node(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Token(t) => t.parse().ok(),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Token(t) if t == "true" => Some(true),
            Value::Token(t) if t == "false" => Some(false),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Token(t) => Some(t),
            _ => None,
        }
    }
    /// The nodes of a list (or the single node).
    pub fn nodes(&self) -> Vec<&Node> {
        match self {
            Value::Node(n) => vec![n],
            Value::List(items) => items.iter().filter_map(Value::as_node).collect(),
            _ => Vec::new(),
        }
    }
}

impl Node {
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == field).map(|(_, v)| v)
    }
    pub fn int(&self, field: &str) -> Option<i64> {
        self.get(field).and_then(Value::as_i64)
    }
    pub fn flag(&self, field: &str) -> Option<bool> {
        self.get(field).and_then(Value::as_bool)
    }
    pub fn child(&self, field: &str) -> Option<&Node> {
        self.get(field).and_then(Value::as_node)
    }
    pub fn children(&self, field: &str) -> Vec<&Node> {
        self.get(field).map(Value::nodes).unwrap_or_default()
    }

    /// Every node directly below this one, in field order.
    pub fn direct_children(&self) -> Vec<&Node> {
        fn collect<'a>(v: &'a Value, out: &mut Vec<&'a Node>) {
            match v {
                Value::Node(n) => out.push(n),
                Value::List(items) => items.iter().for_each(|i| collect(i, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (_, v) in &self.fields {
            collect(v, &mut out);
        }
        out
    }

    /// Pre-order walk over this node and everything below it.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        f(self);
        for c in self.direct_children() {
            c.walk(f);
        }
    }
}

/// Parses node-tree text. Input that is not a node tree (e.g. an empty
/// string) is an error naming the byte offset, never a panic.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        src: text,
        i: 0,
    };
    let v = p.value(0)?;
    p.skip_ws();
    if p.i != p.s.len() {
        return Err(format!("trailing input at byte {}", p.i));
    }
    Ok(v)
}

const MAX_DEPTH: usize = 1_000;

/// A single pass over the bytes: tokens are slices of the input, and only
/// stored values are copied (policy trees are large; this is the audit's
/// hottest loop).
struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

fn is_delim(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'(' | b')' | b'{' | b'}')
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.i).copied()
    }

    fn eof(&self) -> String {
        format!("unexpected end of node text at byte {}", self.i)
    }

    /// The next token as a slice: up to white space or a bracket; a backslash
    /// escapes the next byte (outToken's escaping).
    fn token(&mut self) -> Result<&'a str, String> {
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len() && !is_delim(self.s[self.i]) {
            if self.s[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        self.i = self.i.min(self.s.len());
        if self.i == start {
            return Err(self.eof());
        }
        // Token boundaries are ASCII bytes, so this slice is valid UTF-8
        // unless an escape split a character: fall back to lossy then.
        self.src
            .get(start..self.i)
            .ok_or_else(|| format!("invalid token at byte {start}"))
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        match self.peek() {
            Some(c) if c == b => {
                self.i += 1;
                Ok(())
            }
            Some(c) => Err(format!(
                "expected '{}' at byte {}, found '{}'",
                b as char, self.i, c as char
            )),
            None => Err(self.eof()),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("node tree nested too deeply".into());
        }
        match self.peek() {
            Some(b'{') => self.node(depth).map(Value::Node),
            Some(b'(') => self.list(depth),
            Some(b')' | b'}') => Err(format!(
                "unexpected '{}' at byte {}",
                self.s[self.i] as char, self.i
            )),
            Some(_) => {
                let t = self.token()?;
                if t == "<>" {
                    return Ok(Value::Null);
                }
                if self.peek_token_is("[") {
                    return self.bytes();
                }
                Ok(Value::Token(unescape(t)))
            }
            None => Err(self.eof()),
        }
    }

    fn peek_token_is(&mut self, want: &str) -> bool {
        let save = self.i;
        let ok = self.token().is_ok_and(|t| t == want);
        self.i = save;
        ok
    }

    fn bytes(&mut self) -> Result<Value, String> {
        self.token()?; // "["
        let mut out = Vec::new();
        loop {
            let t = self.token()?;
            if t == "]" {
                return Ok(Value::Bytes(out));
            }
            let b: i64 = t.parse().map_err(|_| format!("bad datum byte {t:?}"))?;
            out.push(b as u8);
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value, String> {
        self.expect(b'(')?;
        let save = self.i;
        if let Some(b'i' | b'o' | b'x' | b'b') = self.peek() {
            let t = self.token()?;
            if matches!(t, "i" | "o" | "x" | "b") {
                let mut ints = Vec::new();
                loop {
                    if self.peek() == Some(b')') {
                        self.i += 1;
                        return Ok(Value::Ints(ints));
                    }
                    let t = self.token()?;
                    ints.push(t.parse().map_err(|_| format!("bad list integer {t:?}"))?);
                }
            }
            self.i = save;
        }
        let mut items = Vec::new();
        loop {
            match self.peek() {
                Some(b')') => {
                    self.i += 1;
                    return Ok(Value::List(items));
                }
                Some(_) => items.push(self.value(depth + 1)?),
                None => return Err("unterminated list".into()),
            }
        }
    }

    fn node(&mut self, depth: usize) -> Result<Node, String> {
        self.expect(b'{')?;
        let tag = self.token()?.to_owned();
        let mut fields = Vec::new();
        loop {
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Node { tag, fields });
                }
                Some(b':') => {
                    let name = self.token()?[1..].to_owned();
                    // A field with no value (an empty string) is followed
                    // directly by the next field or the closing brace.
                    let v = match self.peek() {
                        Some(b'}') => Value::Token(String::new()),
                        Some(b':') => Value::Token(String::new()),
                        _ => self.value(depth + 1)?,
                    };
                    fields.push((name, v));
                }
                Some(_) => {
                    let v = self.value(depth + 1)?;
                    fields.push((String::new(), v));
                }
                None => return Err(format!("unterminated node {tag}")),
            }
        }
    }
}

/// Removes outToken's backslashes and a string node's surrounding quotes.
fn unescape(raw: &str) -> String {
    let s = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // `USING (true)` as PostgreSQL 15 stores it.
    const CONST_TRUE: &str = "{CONST :consttype 16 :consttypmod -1 :constcollid 0 :constlen 1 :constbyval true :constisnull false :location 93 :constvalue 1 [ 1 0 0 0 0 0 0 0 ]}";

    #[test]
    fn parses_a_const() {
        let v = parse(CONST_TRUE).unwrap();
        let n = v.as_node().unwrap();
        assert_eq!(n.tag, "CONST");
        assert_eq!(n.int("consttype"), Some(16));
        assert_eq!(n.flag("constisnull"), Some(false));
        assert_eq!(
            n.get("constvalue"),
            Some(&Value::Bytes(vec![1, 0, 0, 0, 0, 0, 0, 0]))
        );
    }

    #[test]
    fn parses_lists_nulls_and_int_lists() {
        let v = parse("{OPEXPR :opno 2972 :opfuncid 2956 :args ({VAR :varno 1 :varattno 2 :varlevelsup 0} {FUNCEXPR :funcid 16400 :args <>}) :cols (i 1 2) :location -1}").unwrap();
        let n = v.as_node().unwrap();
        let args = n.children("args");
        assert_eq!(args.len(), 2);
        assert_eq!(args[0].tag, "VAR");
        assert_eq!(args[1].int("funcid"), Some(16400));
        assert_eq!(args[1].get("args"), Some(&Value::Null));
        assert_eq!(n.get("cols"), Some(&Value::Ints(vec![1, 2])));
        let mut tags = Vec::new();
        n.walk(&mut |x| tags.push(x.tag.clone()));
        assert_eq!(tags, ["OPEXPR", "VAR", "FUNCEXPR"]);
    }

    #[test]
    fn escaped_tokens_and_strings() {
        let v = parse(r#"{ALIAS :aliasname my\ table :colnames ("a\(b" "c")}"#).unwrap();
        let n = v.as_node().unwrap();
        assert_eq!(n.get("aliasname").and_then(Value::as_str), Some("my table"));
        let names = match n.get("colnames") {
            Some(Value::List(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names, ["a(b", "c"]);
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            "",
            "{CONST :x",
            "(1 2",
            "{A :b 1} extra",
            "{CONST :v 4 [ 1 x ]}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "(".repeat(20_000) + &")".repeat(20_000);
        assert!(parse(&deep).is_err());
    }
}
