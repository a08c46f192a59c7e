//! What a check reports: `Finding` rows, and the static metadata each check
//! code carries (its level, category, title and why it matters).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    // Ordered from most to least severe.
    Error,
    Warn,
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
        }
    }
    pub fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Security,
    Correctness,
    Performance,
    Consistency,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Correctness => "correctness",
            Category::Performance => "performance",
            Category::Consistency => "consistency",
        }
    }
}

/// A check's stable metadata: the code is API, documented in docs/checks.md.
#[derive(Debug)]
pub struct Check {
    pub code: &'static str,
    pub level: Level,
    pub category: Category,
    pub title: &'static str,
    /// Why it matters, one or two sentences (docs and `audit()` detail).
    pub why: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub level: Level,
    pub category: Category,
    pub schema_name: Option<String>,
    pub table_name: Option<String>,
    pub policy_name: Option<String>,
    /// `regclass` / `regprocedure` text of the object concerned.
    pub object: Option<String>,
    pub title: String,
    /// What exactly was found, and why it matters.
    pub detail: String,
    /// SQL a DBA can run, or a clear instruction.
    pub remediation: String,
    /// Stable across runs, for suppressions: `code:object[:policy]`.
    pub cache_key: String,
}
