//! "Why was I denied?": which policies of a table apply to a role and a
//! command, which of their expressions PostgreSQL evaluates, and how they
//! combine (permissive ones ORed, restrictive ones ANDed on top; no
//! applicable permissive policy means no row at all). The extension counts
//! the rows each expression lets through; the reading of those counts is here.

use crate::remediate::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Select,
    Insert,
    Update,
    Delete,
}

impl Command {
    pub fn parse(text: &str) -> Option<Command> {
        match text.trim().to_ascii_uppercase().as_str() {
            "SELECT" => Some(Command::Select),
            "INSERT" => Some(Command::Insert),
            "UPDATE" => Some(Command::Update),
            "DELETE" => Some(Command::Delete),
            _ => None,
        }
    }

    fn code(self) -> char {
        match self {
            Command::Select => 'r',
            Command::Insert => 'a',
            Command::Update => 'w',
            Command::Delete => 'd',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Command::Select => "SELECT",
            Command::Insert => "INSERT",
            Command::Update => "UPDATE",
            Command::Delete => "DELETE",
        }
    }
}

fn cmd_name(code: char) -> &'static str {
    match code {
        'r' => "SELECT",
        'a' => "INSERT",
        'w' => "UPDATE",
        'd' => "DELETE",
        _ => "ALL",
    }
}

/// Why a policy does not apply, or `None` when it does. `member_of` are the
/// roles `role` is a member of (itself included); `public` applies to all.
pub fn not_applying(p: &Policy, cmd: Command, member_of: &[String]) -> Option<String> {
    if p.cmd != '*' && p.cmd != cmd.code() {
        return Some(format!("for {} only", cmd_name(p.cmd)));
    }
    let for_role = p
        .roles
        .iter()
        .any(|r| r == "public" || member_of.iter().any(|m| m == r));
    if !for_role {
        return Some(format!("for {} only", p.roles.join(", ")));
    }
    None
}

/// The expressions PostgreSQL checks for `cmd`: (`USING` | `WITH CHECK`, text).
/// An UPDATE or ALL policy without WITH CHECK checks new rows with USING.
pub fn expressions(p: &Policy, cmd: Command) -> Vec<(&'static str, String)> {
    let using = p.using.clone();
    let check = p.with_check.clone().or_else(|| match cmd {
        Command::Insert | Command::Update => p.using.clone(),
        _ => None,
    });
    match cmd {
        Command::Select | Command::Delete => using.map(|u| ("USING", u)).into_iter().collect(),
        Command::Insert => check.map(|c| ("WITH CHECK", c)).into_iter().collect(),
        Command::Update => using
            .map(|u| ("USING", u))
            .into_iter()
            .chain(check.map(|c| ("WITH CHECK", c)))
            .collect(),
    }
}

/// How the applicable policies combine, e.g. `(a OR b) AND guard`.
pub fn combination(applicable: &[&Policy]) -> String {
    let permissive: Vec<&str> = applicable
        .iter()
        .filter(|p| p.permissive)
        .map(|p| p.name.as_str())
        .collect();
    let restrictive: Vec<&str> = applicable
        .iter()
        .filter(|p| !p.permissive)
        .map(|p| p.name.as_str())
        .collect();
    if permissive.is_empty() {
        return "no permissive policy applies: nothing is allowed".into();
    }
    let mut text = if permissive.len() == 1 {
        permissive[0].to_owned()
    } else {
        format!("({})", permissive.join(" OR "))
    };
    for r in restrictive {
        text.push_str(" AND ");
        text.push_str(r);
    }
    text
}

/// The verdict for one expression that lets `passing` of `total` rows through.
pub fn expression_verdict(kind: &str, passing: i64, total: i64) -> String {
    let rows = if kind == "WITH CHECK" {
        "existing rows would pass as new rows"
    } else {
        "rows pass"
    };
    match (passing, total) {
        (_, 0) => "the table is empty: nothing to evaluate".into(),
        (0, t) => format!("0 of {t} {rows}: this expression is never true for these claims"),
        (p, t) if p == t => format!("{p} of {t} {rows}: true for every row"),
        (p, t) => format!("{p} of {t} {rows}"),
    }
}

/// The summary line: what `role` gets for `cmd` overall.
pub fn summary(
    cmd: Command,
    role: &str,
    rls_enabled: bool,
    bypasses: bool,
    applicable: &[&Policy],
    visible: Option<i64>,
    total: i64,
) -> String {
    if !rls_enabled {
        return format!("row-level security is off: {role} gets every row its privileges allow");
    }
    if bypasses {
        return format!(
            "{role} bypasses row-level security (superuser, BYPASSRLS, or the owner without FORCE)"
        );
    }
    if !applicable.iter().any(|p| p.permissive) {
        let effect = if cmd == Command::Insert {
            "every new row is refused (42501)"
        } else {
            "every row is filtered out"
        };
        return format!(
            "denied: no permissive policy for {} applies to {role}; {effect}",
            cmd.as_str()
        );
    }
    match visible {
        Some(0) => format!(
            "denied: 0 of {total} rows pass {} for {role} with these claims",
            combination(applicable)
        ),
        Some(n) => format!("{n} of {total} rows pass {}", combination(applicable)),
        None if cmd == Command::Insert => {
            format!("a new row must pass {}", combination(applicable))
        }
        None => format!("a row must pass {}", combination(applicable)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, cmd: char, permissive: bool, roles: &[&str]) -> Policy {
        Policy {
            name: name.into(),
            cmd,
            permissive,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using: Some(format!("({name}_using)")),
            with_check: None,
        }
    }

    #[test]
    fn which_policies_apply() {
        let members = vec!["authenticated".to_owned()];
        let p = policy("p", 'r', true, &["authenticated"]);
        assert_eq!(not_applying(&p, Command::Select, &members), None);
        assert_eq!(
            not_applying(&p, Command::Insert, &members).as_deref(),
            Some("for SELECT only")
        );
        let q = policy("q", '*', true, &["anon"]);
        assert_eq!(
            not_applying(&q, Command::Select, &members).as_deref(),
            Some("for anon only")
        );
        let public = policy("r", '*', true, &["public"]);
        assert_eq!(not_applying(&public, Command::Delete, &members), None);
    }

    #[test]
    fn expressions_per_command() {
        let p = policy("p", '*', true, &["public"]);
        assert_eq!(
            expressions(&p, Command::Select),
            [("USING", "(p_using)".into())]
        );
        assert_eq!(
            expressions(&p, Command::Insert),
            [("WITH CHECK", "(p_using)".into())]
        );
        assert_eq!(expressions(&p, Command::Update).len(), 2);
    }

    #[test]
    fn combining() {
        let a = policy("a", '*', true, &["public"]);
        let b = policy("b", '*', true, &["public"]);
        let g = policy("g", '*', false, &["public"]);
        assert_eq!(combination(&[&a, &b, &g]), "(a OR b) AND g");
        assert_eq!(combination(&[&a]), "a");
        assert!(combination(&[&g]).starts_with("no permissive"));
        let s = summary(
            Command::Select,
            "authenticated",
            true,
            false,
            &[&g],
            Some(0),
            3,
        );
        assert!(s.starts_with("denied: no permissive policy for SELECT"));
        let s = summary(
            Command::Select,
            "authenticated",
            true,
            false,
            &[&a, &g],
            Some(0),
            3,
        );
        assert_eq!(
            s,
            "denied: 0 of 3 rows pass a AND g for authenticated with these claims"
        );
        assert!(expression_verdict("USING", 0, 3).contains("never true"));
    }
}
