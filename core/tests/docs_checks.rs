//! docs/checks.md documents every check code, and nothing else: the docs
//! cannot drift from the registry.

use tenant_guard_core::audit::checks;

#[test]
fn every_code_is_documented_and_every_documented_code_exists() {
    let docs = include_str!("../../docs/checks.md");
    let documented: Vec<&str> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.strip_suffix('`'))
        .collect();
    let codes: Vec<&str> = checks::all().iter().map(|c| c.code).collect();
    for code in &codes {
        assert!(
            documented.contains(code),
            "{code} is not documented in docs/checks.md"
        );
        let section = docs.split(&format!("### `{code}`")).nth(1).unwrap();
        let section = section.split("\n### ").next().unwrap();
        let check = checks::all().into_iter().find(|c| c.code == *code).unwrap();
        let level = format!("**{}, {}.**", check.level.as_str(), check.category.as_str());
        assert!(section.contains(&level), "{code}: docs must state {level}");
        assert!(
            section.contains("```sql"),
            "{code}: docs need a failing example"
        );
        assert!(
            section.contains("Remediation"),
            "{code}: docs need the remediation"
        );
    }
    for d in &documented {
        assert!(
            codes.contains(d),
            "docs/checks.md documents unknown code {d}"
        );
    }
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), codes.len(), "duplicate check codes");
}
