//! Claim paths: where in a token the tenant (or the user, or the role) sits,
//! for providers that do not use Supabase's `app_metadata` layout. A path is
//! dot-separated keys; a key with a dot, colon, slash, comma or space is
//! double-quoted (`"https://example.com/tenant_id"`, `"custom:tenant_id"`),
//! a quote inside quotes is doubled. `tenant_guard.claim_paths` is a comma
//! list of paths, checked when set (never at query time).

use super::json::Json;
use std::fmt;

const MAX_PATHS: usize = 16;
const MAX_SEGMENTS: usize = 8;
const MAX_SEGMENT_LEN: usize = 255;

/// One path: the keys from the top of the claims document down.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimPath(pub Vec<String>);

impl ClaimPath {
    /// A path from its keys (for presets; keys are taken as they are).
    pub fn of(keys: &[&str]) -> ClaimPath {
        ClaimPath(keys.iter().map(|k| (*k).to_owned()).collect())
    }

    /// The top-level claim the path starts at.
    pub fn first(&self) -> &str {
        &self.0[0]
    }

    /// Whether the path goes into `user_metadata`, which users can edit.
    pub fn in_user_metadata(&self) -> bool {
        self.0.len() > 1 && self.0[0] == "user_metadata"
    }

    /// Every value at the path, following every copy of a repeated key
    /// (duplicates are then detected by the caller), and whether some copy of
    /// a repeated container lacks the next key (parsers would disagree on
    /// whether the claim is there at all). A container that is not an object
    /// is reported as `(name, value)`.
    pub fn lookup<'a>(&self, doc: &'a Json) -> Lookup<'a> {
        let mut out = Lookup::default();
        let mut level: Vec<&'a Json> = vec![doc];
        for (i, key) in self.0.iter().enumerate() {
            let last = i + 1 == self.0.len();
            let mut next = Vec::new();
            let objects = level.iter().filter(|v| matches!(v, Json::Obj(_))).count();
            let mut holding = 0;
            for v in &level {
                match v {
                    Json::Obj(_) => {
                        let found = v.get_all(key);
                        if !found.is_empty() {
                            holding += 1;
                        }
                        next.extend(found);
                    }
                    Json::Null => {}
                    other if i > 0 => out.not_object.push((self.0[..i].join("."), other)),
                    _ => {}
                }
            }
            if objects > 1 && holding > 0 && holding < objects {
                out.copies_missing = true;
            }
            if last {
                out.values = next;
            } else {
                level = next;
            }
        }
        out
    }
}

/// What [`ClaimPath::lookup`] found.
#[derive(Debug, Default)]
pub struct Lookup<'a> {
    pub values: Vec<&'a Json>,
    pub copies_missing: bool,
    /// Containers on the way that were not objects: (path so far, value).
    pub not_object: Vec<(String, &'a Json)>,
}

fn needs_quotes(key: &str) -> bool {
    key.is_empty()
        || key
            .chars()
            .any(|c| matches!(c, '.' | ',' | '"' | ':' | '/') || c.is_whitespace())
}

impl fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            if needs_quotes(key) {
                write!(f, "\"{}\"", key.replace('"', "\"\""))?;
            } else {
                f.write_str(key)?;
            }
        }
        Ok(())
    }
}

/// Parses a comma list of claim paths. Errors name the position and what
/// was expected; an empty list, an empty key, an unterminated quote, a
/// control character, more than 16 paths, 8 keys or 255-byte keys are
/// rejected.
pub fn parse_claim_paths(text: &str) -> Result<Vec<ClaimPath>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut paths: Vec<ClaimPath> = Vec::new();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        let mut keys: Vec<String> = Vec::new();
        loop {
            skip_space(&mut i);
            let mut key = String::new();
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!(
                                "unterminated quoted key in claim path list \"{text}\""
                            ))
                        }
                        Some('"') if chars.get(i + 1) == Some(&'"') => {
                            key.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(c) if c.is_control() => {
                            return Err("a control character in a claim path".into())
                        }
                        Some(c) => {
                            key.push(*c);
                            i += 1;
                        }
                    }
                }
                if key.is_empty() {
                    return Err(format!("empty quoted key in claim path list \"{text}\""));
                }
            } else {
                while let Some(&c) = chars.get(i) {
                    if matches!(c, '.' | ',') || c.is_whitespace() {
                        break;
                    }
                    if c == '"' {
                        return Err(format!(
                            "a quote inside key \"{key}\": quote the whole key (\"a:b\")"
                        ));
                    }
                    if c.is_control() {
                        return Err("a control character in a claim path".into());
                    }
                    if c == ':' || c == '/' {
                        return Err(format!(
                            "key \"{key}{c}…\" contains '{c}': write it in double quotes, e.g. \"custom:tenant_id\""
                        ));
                    }
                    key.push(c);
                    i += 1;
                }
                if key.is_empty() {
                    return Err(format!(
                        "empty key at position {} of claim path list \"{text}\"",
                        i + 1
                    ));
                }
            }
            if key.len() > MAX_SEGMENT_LEN {
                return Err(format!(
                    "a claim path key is longer than {MAX_SEGMENT_LEN} bytes"
                ));
            }
            keys.push(key);
            skip_space(&mut i);
            match chars.get(i) {
                Some('.') => {
                    i += 1;
                    continue;
                }
                Some(',') | None => break,
                Some(c) => {
                    return Err(format!(
                        "unexpected '{c}' at position {} of claim path list \"{text}\" (expected '.', ',' or the end)",
                        i + 1
                    ))
                }
            }
        }
        if keys.len() > MAX_SEGMENTS {
            return Err(format!("a claim path has more than {MAX_SEGMENTS} keys"));
        }
        let path = ClaimPath(keys);
        if !paths.contains(&path) {
            paths.push(path);
        }
        match chars.get(i) {
            Some(',') => i += 1,
            _ => break,
        }
    }
    if paths.len() > MAX_PATHS {
        return Err(format!("more than {MAX_PATHS} claim paths"));
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &ClaimPath) -> Vec<&str> {
        p.0.iter().map(String::as_str).collect()
    }

    #[test]
    fn paths_parse() {
        let p = parse_claim_paths(
            r#"app_metadata.organization_id, o.id ,"https://example.com/tenant_id","custom:tenant_id", a."b.c"."d""e""#,
        )
        .unwrap();
        assert_eq!(keys(&p[0]), ["app_metadata", "organization_id"]);
        assert_eq!(keys(&p[1]), ["o", "id"]);
        assert_eq!(keys(&p[2]), ["https://example.com/tenant_id"]);
        assert_eq!(keys(&p[3]), ["custom:tenant_id"]);
        assert_eq!(keys(&p[4]), ["a", "b.c", "d\"e"]);
        // duplicates collapse
        assert_eq!(parse_claim_paths("o.id,o.id").unwrap().len(), 1);
    }

    #[test]
    fn paths_display_round_trip() {
        let text = r#"app_metadata.org_id,"https://x.io/t","custom:tenant_id",a."b.c"."d""e",firebase.tenant"#;
        let p = parse_claim_paths(text).unwrap();
        let shown: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(shown.join(","), text);
        for path in &p {
            assert_eq!(
                parse_claim_paths(&path.to_string()).unwrap(),
                vec![path.clone()]
            );
        }
    }

    #[test]
    fn bad_paths_are_rejected() {
        for bad in [
            "",
            " ",
            "a,,b",
            "a.",
            ".a",
            "a..b",
            "\"unterminated",
            "\"\"",
            "custom:tenant_id",
            "https://x/t",
            "a b",
            "a\"b",
            "a.\u{1}",
            "o.id x",
        ] {
            assert!(parse_claim_paths(bad).is_err(), "{bad:?}");
        }
        let deep = ["k"; 9].join(".");
        assert!(parse_claim_paths(&deep).is_err());
        let many = (0..17)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_claim_paths(&many).is_err());
        assert!(parse_claim_paths(&"k".repeat(256)).is_err());
    }

    #[test]
    fn lookup_follows_nesting_and_copies() {
        let doc = Json::parse(
            r#"{"o":{"id":"org_1","rol":"admin"},"custom:tenant_id":"t1","org":{"id":"x"}}"#,
        )
        .unwrap();
        let get = |p: &str| -> Vec<String> {
            parse_claim_paths(p).unwrap()[0]
                .lookup(&doc)
                .values
                .iter()
                .map(|v| v.to_text())
                .collect()
        };
        assert_eq!(get("o.id"), ["\"org_1\""]);
        assert_eq!(get("\"custom:tenant_id\""), ["\"t1\""]);
        assert!(get("o.missing").is_empty());
        assert!(get("nothing.id").is_empty());
        // a container that is not an object is reported
        let s = Json::parse(r#"{"o":"org_1"}"#).unwrap();
        let l = ClaimPath::of(&["o", "id"]).lookup(&s);
        assert!(l.values.is_empty());
        assert_eq!(l.not_object.len(), 1);
        // a repeated container, one copy without the key
        let d = Json::parse(r#"{"o":{"id":"a"},"o":{"x":1}}"#).unwrap();
        let l = ClaimPath::of(&["o", "id"]).lookup(&d);
        assert!(l.copies_missing);
        assert_eq!(l.values.len(), 1);
    }
}
