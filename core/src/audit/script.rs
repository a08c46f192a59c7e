//! One remediation script for a set of findings: each finding's remediation
//! in a safe order, in one transaction. Grants first (a policy that calls a
//! helper must be executable before it applies), then functions, then
//! policies, then `ENABLE ROW LEVEL SECURITY` (never before the policies
//! exist: that would deny everything in between), then `FORCE` (only on
//! tables that have policies: the findings that ask for it require them).
//! Statements repeated by several findings appear once; configuration
//! (`ALTER SYSTEM`, which cannot run in a transaction) and statements with a
//! placeholder to fill in are written commented out. Generated from the
//! current findings: after it ran, the audit shows what is left (held-back
//! statements, and what the fixes themselves changed, e.g. a policy shape that
//! now differs from the others).

use super::finding::Finding;

/// Order of a finding's remediation in the script (lower first).
fn phase(code: &str) -> u8 {
    match code {
        "missing_table_grants"
        | "missing_default_privileges"
        | "policy_helper_not_executable"
        | "anon_write_grant"
        | "truncate_grant" => 0,
        "security_definer_search_path" | "definer_function_unscoped" | "function_recursion" => 1,
        "rls_disabled" | "policy_exists_rls_disabled" => 3,
        "force_rls_missing" | "owner_bypass" => 4,
        _ => 2, // policies
    }
}

const PHASES: [&str; 5] = [
    "grants and privileges",
    "functions",
    "policies",
    "enable row-level security",
    "force row-level security, roles",
];

enum Piece {
    Comment(String),
    Sql(String),
}

/// Splits a remediation into comment lines and statements (a statement runs
/// until a line that ends with `;`).
fn statements(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.starts_with("--") || trimmed.is_empty()) {
            if !trimmed.is_empty() {
                out.push(Piece::Comment(line.trim_end().to_owned()));
            }
            continue;
        }
        current.push(line.trim_end());
        if trimmed.ends_with(';') || trimmed.contains(";   --") || trimmed.contains("; --") {
            out.push(Piece::Sql(current.join("\n")));
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(Piece::Sql(current.join("\n")));
    }
    out
}

/// Why a statement must not run inside the script's transaction as is:
/// configuration (ALTER SYSTEM cannot run in a transaction block), or a
/// placeholder the DBA has to fill in (`<a condition …>`).
fn hold_back(stmt: &str) -> Option<&'static str> {
    let upper = stmt.to_ascii_uppercase();
    if upper.contains("ALTER SYSTEM") || upper.contains("PG_RELOAD_CONF") {
        return Some("configuration: run outside this transaction");
    }
    let b = stmt.as_bytes();
    let placeholder = b
        .windows(2)
        .enumerate()
        .any(|(i, w)| w[0] == b'<' && w[1].is_ascii_alphabetic() && stmt[i..].contains('>'));
    placeholder.then_some("fill in the placeholder first")
}

pub fn remediation_script(findings: &[Finding]) -> String {
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    // stable: within a phase, the audit's order (most severe first)
    ordered.sort_by_key(|f| phase(f.code));
    let mut out = String::from(
        "-- tenant_guard remediation script: review every statement before running it.\nBEGIN;\n",
    );
    if ordered.is_empty() {
        out.push_str("-- no findings: nothing to fix\n");
    }
    let mut seen: Vec<String> = Vec::new();
    let mut current: Option<u8> = None;
    for f in ordered {
        let p = phase(f.code);
        if current != Some(p) {
            out.push_str(&format!("\n-- == {} ==\n", PHASES[p as usize]));
            current = Some(p);
        }
        out.push_str(&format!(
            "\n-- [{}] {} on {}: {}\n",
            f.level.as_str(),
            f.code,
            f.object.as_deref().unwrap_or("-"),
            f.title
        ));
        for stmt in statements(&f.remediation) {
            match stmt {
                Piece::Comment(line) => {
                    out.push_str(&line);
                    out.push('\n');
                }
                Piece::Sql(text) => {
                    let held = hold_back(&text);
                    if let Some(why) = held {
                        for line in text.lines() {
                            out.push_str(&format!("-- ({why}) {line}\n"));
                        }
                    } else if seen.contains(&text) {
                        for line in text.lines() {
                            out.push_str(&format!("-- (already above) {line}\n"));
                        }
                    } else {
                        out.push_str(&text);
                        out.push('\n');
                        seen.push(text);
                    }
                }
            }
        }
    }
    out.push_str("\nCOMMIT;\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::finding::{Category, Level};

    fn f(code: &'static str, object: &str, remediation: &str) -> Finding {
        Finding {
            code,
            level: Level::Error,
            category: Category::Security,
            schema_name: None,
            table_name: None,
            policy_name: None,
            object: Some(object.into()),
            title: "t".into(),
            detail: "d".into(),
            remediation: remediation.into(),
            cache_key: format!("{code}:{object}"),
        }
    }

    #[test]
    fn grants_before_policies_before_enable_before_force() {
        let script = remediation_script(&[
            f("force_rls_missing", "public.a", "ALTER TABLE public.a FORCE ROW LEVEL SECURITY;"),
            f("rls_disabled", "public.b", "CREATE POLICY p ON public.b USING (true);\nALTER TABLE public.b ENABLE ROW LEVEL SECURITY;"),
            f("always_true_policy", "public.c", "ALTER POLICY q ON public.c USING (x);"),
            f("policy_helper_not_executable", "public.c", "GRANT EXECUTE ON FUNCTION public.h() TO authenticated;"),
            f("owner_bypass", "authenticated", "ALTER TABLE public.a FORCE ROW LEVEL SECURITY;"),
        ]);
        let at = |s: &str| {
            script
                .find(s)
                .unwrap_or_else(|| panic!("{s} missing:\n{script}"))
        };
        assert!(at("GRANT EXECUTE") < at("ALTER POLICY q"));
        assert!(at("ALTER POLICY q") < at("CREATE POLICY p"));
        assert!(at("CREATE POLICY p") < at("ENABLE ROW LEVEL SECURITY"));
        assert!(at("ENABLE ROW LEVEL SECURITY") < at("FORCE ROW LEVEL SECURITY"));
        assert!(script.starts_with("-- tenant_guard remediation script"));
        assert!(script.trim_end().ends_with("COMMIT;"));
        // the FORCE statement twice (two findings) is written once
        assert_eq!(
            script
                .matches("\nALTER TABLE public.a FORCE ROW LEVEL SECURITY;")
                .count(),
            1
        );
        assert!(
            script.contains("-- (already above) ALTER TABLE public.a FORCE ROW LEVEL SECURITY;")
        );
    }

    #[test]
    fn configuration_and_placeholders_are_held_back() {
        let script = remediation_script(&[
            f("untrusted_claim_source", "x", "-- verify tokens:\nALTER SYSTEM SET tenant_guard.require_verified = on;\nSELECT pg_reload_conf();"),
            f("always_true_policy", "public.c", "ALTER POLICY q ON public.c USING (<a condition on the row and the caller>);"),
            f("rls_disabled", "public.b", "CREATE POLICY p ON public.b\n  USING (x = 1);\nALTER TABLE public.b ENABLE ROW LEVEL SECURITY;"),
        ]);
        assert!(script.contains("-- (configuration: run outside this transaction) ALTER SYSTEM SET tenant_guard.require_verified = on;"), "{script}");
        assert!(
            script.contains(
                "-- (configuration: run outside this transaction) SELECT pg_reload_conf();"
            ),
            "{script}"
        );
        assert!(
            script.contains("-- (fill in the placeholder first) ALTER POLICY q"),
            "{script}"
        );
        assert!(
            script.contains("\nCREATE POLICY p ON public.b\n  USING (x = 1);\n"),
            "{script}"
        );
        assert!(script.contains("-- verify tokens:"), "{script}");
    }

    #[test]
    fn no_findings_is_an_empty_transaction() {
        let script = remediation_script(&[]);
        assert!(script.contains("-- no findings: nothing to fix"));
        assert!(script.contains("BEGIN;") && script.contains("COMMIT;"));
    }
}
