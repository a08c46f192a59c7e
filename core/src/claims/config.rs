//! What the resolver is told by the DBA: which claim keys name the tenant,
//! whether user-editable metadata is trusted, and which settings carry claims.

use super::path::ClaimPath;
use super::provider::{Preset, Provider, PROVIDERS};
use std::sync::OnceLock;

/// The setting PostgREST 12+ fills with the verified token's claims (JSON).
pub const CLAIMS_SETTING: &str = "request.jwt.claims";
/// Claims verified by `tenant_guard.authenticate()` for the current
/// transaction (set LOCAL by the extension only; superuser-only to read).
pub const VERIFIED_SETTING: &str = "tenant_guard.verified_claims";
/// PostgREST 9-11 legacy form: one setting per top-level claim.
pub const LEGACY_PREFIX: &str = "request.jwt.claim.";
pub const DEFAULT_CLAIM_KEYS: &str = "organization_id,org_id,tenant_id";
pub const DEFAULT_TENANT_SETTING: &str = "app.tenant_id";
pub const DEFAULT_ROLE_SETTING: &str = "app.role";
/// Names the active organization among the token's, for the transaction.
pub const ACTIVE_ORG_SETTING: &str = "tenant_guard.active_org";
/// PostgREST's request headers (JSON); `x-org-id` names the active organization.
pub const HEADERS_SETTING: &str = "request.headers";
/// The request header that names the active organization.
pub const ACTIVE_ORG_HEADER: &str = "x-org-id";
const MAX_KEYS: usize = 16;
const MAX_KEY_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Claim keys that may hold the tenant id, in lookup order.
    pub claim_keys: Vec<String>,
    /// Read `user_metadata` too. Off by default: users can edit it.
    pub trust_user_metadata: bool,
    /// Name of the backend-worker setting (`SET LOCAL app.tenant_id = …`).
    pub tenant_setting: String,
    /// Name of the backend-worker role setting.
    pub role_setting: String,
    /// Ignore claims from settings; only verified claims count.
    pub require_verified: bool,
    /// When non-empty: believe claims from settings only when `session_user`
    /// is one of these roles (PostgREST's `authenticator`).
    pub trusted_session_users: Vec<String>,
    /// Ignore settings left over from a session-level `SET` in an earlier
    /// transaction (transaction-mode pooling hazard).
    pub require_transaction_scope: bool,
    /// The identity provider whose token layout to read.
    pub provider: Provider,
    /// `tenant_guard.claim_paths`: replaces the preset's tenant paths (and,
    /// for Supabase, the `claim_keys` search).
    pub claim_paths: Option<Vec<ClaimPath>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            claim_keys: parse_claim_keys(DEFAULT_CLAIM_KEYS).expect("default keys are valid"),
            trust_user_metadata: false,
            tenant_setting: DEFAULT_TENANT_SETTING.into(),
            role_setting: DEFAULT_ROLE_SETTING.into(),
            require_verified: false,
            trusted_session_users: Vec::new(),
            require_transaction_scope: false,
            provider: Provider::Supabase,
            claim_paths: None,
        }
    }
}

/// Parses `tenant_guard.claim_keys`: a comma list of JSON object keys.
/// Rejected here (so at `SET` time, never at query time): empty entries,
/// white space or dots inside a key, more than 16 keys, keys over 63 bytes.
pub fn parse_claim_keys(text: &str) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = Vec::new();
    for raw in text.split(',') {
        let key = raw.trim();
        if key.is_empty() {
            return Err(format!("empty key in claim key list \"{text}\""));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(format!(
                "claim key \"{key}\" is longer than {MAX_KEY_LEN} bytes"
            ));
        }
        if key
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '.' || c == '"')
        {
            return Err(format!(
                "claim key \"{key}\" contains white space, a control character, a dot or a quote"
            ));
        }
        if !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
    }
    if keys.len() > MAX_KEYS {
        return Err(format!("more than {MAX_KEYS} claim keys"));
    }
    Ok(keys)
}

/// Validates a setting name such as `app.tenant_id`: two or more dot-separated
/// identifier parts, as PostgreSQL requires of custom settings.
pub fn validate_setting_name(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('.').collect();
    let ident = |p: &str| {
        let mut chars = p.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    if parts.len() < 2 || !parts.iter().all(|p| ident(p)) || name.len() > 63 {
        return Err(format!(
            "\"{name}\" is not a valid custom setting name (expected e.g. app.tenant_id)"
        ));
    }
    Ok(())
}

impl Config {
    /// The membership-list key for a claim key: `organization_id` -> `organization_ids`.
    pub fn list_key(key: &str) -> String {
        format!("{key}s")
    }

    pub fn preset(&self) -> &'static Preset {
        self.provider.preset()
    }

    /// The paths to the tenant: `claim_paths`, else the preset's; `None`:
    /// the `claim_keys` search of `app_metadata` and the top level.
    pub fn tenant_paths(&self) -> Option<&[ClaimPath]> {
        self.claim_paths
            .as_deref()
            .or(self.preset().tenant_paths.as_deref())
    }

    /// Top-level claim names read from the legacy per-claim settings: the
    /// Supabase layout, and the first key of every preset's and configured
    /// path that can be a setting name (PostgreSQL 15+ refuses custom
    /// setting names with `:` or `/`). Every preset is included so that
    /// switching the provider needs no restart for these to be watched.
    pub fn legacy_claim_names(&self) -> Vec<String> {
        let mut names = vec!["app_metadata".to_owned(), "user_metadata".to_owned()];
        names.extend(self.claim_keys.iter().cloned());
        names.extend(self.claim_keys.iter().map(|k| Config::list_key(k)));
        names.push("sub".into());
        names.push("role".into());
        let configured = self.claim_paths.iter().flatten().map(ClaimPath::first);
        for first in configured.chain(preset_first_keys().iter().map(String::as_str)) {
            if !names.iter().any(|n| n == first)
                && validate_setting_name(&format!("x.{first}")).is_ok()
            {
                names.push(first.to_owned());
            }
        }
        names
    }

    /// Every setting the resolver reads, in a fixed order. The extension reads
    /// exactly these and passes their values in [`super::Inputs`].
    pub fn settings_read(&self) -> Vec<String> {
        let mut names = vec![VERIFIED_SETTING.to_owned(), CLAIMS_SETTING.to_owned()];
        names.extend(
            self.legacy_claim_names()
                .iter()
                .map(|n| format!("{LEGACY_PREFIX}{n}")),
        );
        names.push(self.tenant_setting.clone());
        names.push(self.role_setting.clone());
        names.push(ACTIVE_ORG_SETTING.to_owned());
        names.push(HEADERS_SETTING.to_owned());
        names
    }
}

/// The first key of every preset path, in preset order (fixed data).
fn preset_first_keys() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut out: Vec<String> = Vec::new();
        for p in PROVIDERS {
            let preset = p.preset();
            let paths = preset
                .tenant_paths
                .iter()
                .flatten()
                .chain(&preset.list_paths)
                .chain(&preset.user_paths)
                .chain(&preset.role_paths);
            for path in paths {
                if !out.iter().any(|k| k == path.first()) {
                    out.push(path.first().to_owned());
                }
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_parse_and_reject() {
        assert_eq!(
            parse_claim_keys(" org_id , tenant_id,org_id").unwrap(),
            vec!["org_id", "tenant_id"]
        );
        for bad in ["", "a,,b", "a b", "a.b", "x\"", &"k".repeat(64)] {
            assert!(parse_claim_keys(bad).is_err(), "{bad}");
        }
        let many = (0..17)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_claim_keys(&many).is_err());
    }

    #[test]
    fn setting_names() {
        assert!(validate_setting_name("app.tenant_id").is_ok());
        assert!(validate_setting_name("my.app.tenant").is_ok());
        for bad in ["tenant_id", "app.", ".x", "app.ten ant", "1a.b", "app.x-y"] {
            assert!(validate_setting_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_read_is_complete() {
        let names = Config::default().settings_read();
        assert_eq!(names[0], "tenant_guard.verified_claims");
        assert_eq!(names[1], "request.jwt.claims");
        for n in [
            "request.jwt.claim.app_metadata",
            "request.jwt.claim.organization_id",
            "request.jwt.claim.tenant_ids",
            "request.jwt.claim.sub",
            "app.tenant_id",
            "app.role",
        ] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
    }
}
