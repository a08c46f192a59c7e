//! Which claim sources the resolver may believe.
//!
//! Any role can `SET request.jwt.claims` or `SET app.tenant_id`, so claims in
//! settings prove nothing by themselves. In order:
//! 1. Claims verified by `tenant_guard.authenticate()` (a signed token) replace
//!    every setting for the rest of the transaction.
//! 2. With `require_verified` on, settings are never believed.
//! 3. With `trusted_session_users` set, settings are believed only when
//!    `session_user` (the login role, e.g. PostgREST's `authenticator`) is listed.
//! 4. A setting left over from a session-level `SET` in an earlier transaction
//!    (behind a transaction-mode pooler: possibly another client's) is reported,
//!    and ignored when `require_transaction_scope` is on.
//!
//! [`effective`] turns the raw inputs into the inputs the resolver may read,
//! plus the trail steps that say what was set aside and why.

use super::config::{Config, ACTIVE_ORG_SETTING, HEADERS_SETTING, VERIFIED_SETTING};
use super::json::Json;
use super::resolve::{shorten, Inputs, Status, Step};

/// The trail source naming claims that came from a verified token.
pub const VERIFIED_SOURCE: &str = "tenant_guard.authenticate()";

const VERIFIED_WINS: &str =
    "verified claims from tenant_guard.authenticate() take precedence over settings";
const LEFTOVER: &str = "set at session level (SET without LOCAL) before this transaction began: \
    behind a transaction-mode pooler it can be another client's";

/// Why claims from settings are not believed at all, if they are not.
pub fn settings_distrust(config: &Config, inputs: &Inputs) -> Option<String> {
    if config.require_verified {
        return Some(
            "tenant_guard.require_verified is on: only claims verified by tenant_guard.authenticate() count"
                .into(),
        );
    }
    if config.trusted_session_users.is_empty() {
        return None;
    }
    match inputs.session_user() {
        Some(user) if config.trusted_session_users.iter().any(|u| u == user) => None,
        Some(user) => Some(format!(
            "session_user {user:?} is not in tenant_guard.trusted_session_users; claims from settings are believed only from those logins"
        )),
        None => Some("session_user is unknown and tenant_guard.trusted_session_users is set".into()),
    }
}

/// Settings that only select among the token's organizations (the active
/// organization): they carry no claim, so every trust rule lets them through.
pub fn is_selector(name: &str) -> bool {
    name == ACTIVE_ORG_SETTING || name == HEADERS_SETTING
}

/// The inputs the resolver may read, and one trail step for every setting
/// that held a value and was set aside (or is suspicious).
pub fn effective(config: &Config, inputs: &Inputs) -> (Inputs, Vec<Step>) {
    let mut steps = Vec::new();
    let mut out = Inputs::new();
    let names = config.settings_read();
    for name in names.iter().filter(|n| is_selector(n)) {
        if let Some(v) = inputs.get(name) {
            if inputs.is_session_scoped(name) && config.require_transaction_scope {
                // Another client's choice behind a pooler: not this request's.
                let note = format!(
                    "{LEFTOVER}; ignored because tenant_guard.require_transaction_scope is on"
                );
                steps.push(step(name, v, Status::Ignored, note));
                continue;
            }
            out.set(name, v);
        }
    }
    let held = names
        .iter()
        .filter(|n| n.as_str() != VERIFIED_SETTING && !is_selector(n))
        .filter_map(|n| inputs.get(n).map(|v| (n, v)));

    if let Some(verified) = inputs.get(VERIFIED_SETTING) {
        out.set(VERIFIED_SETTING, verified);
        for (name, value) in held {
            steps.push(step(name, value, Status::Ignored, VERIFIED_WINS.into()));
        }
        return (out, steps);
    }
    if let Some(why) = settings_distrust(config, inputs) {
        for (name, value) in held {
            steps.push(step(name, value, Status::Untrusted, why.clone()));
        }
        return (out, steps);
    }
    for (name, value) in held {
        if inputs.is_session_scoped(name) {
            if config.require_transaction_scope {
                let note = format!(
                    "{LEFTOVER}; ignored because tenant_guard.require_transaction_scope is on"
                );
                steps.push(step(name, value, Status::Untrusted, note));
                continue;
            }
            let note = format!("{LEFTOVER}; use SET LOCAL, set_config(..., true) or tenant_guard.authenticate(), and turn on tenant_guard.require_transaction_scope to ignore such values");
            steps.push(step(name, value, Status::SessionScoped, note));
        }
        out.set(name, value);
    }
    if let Some(user) = inputs.session_user() {
        out.set_session_user(user);
    }
    (out, steps)
}

fn step(name: &str, value: &str, status: Status, note: String) -> Step {
    Step {
        source: name.to_owned(),
        path: String::new(),
        raw: Some(shorten(Json::Str(value.to_owned()).to_text())),
        status,
        note,
    }
}

/// Where this request's claims come from, for `explain_claims()`:
/// `(status, note)` with status `verified`, `untrusted`, `unverified` or `absent`.
pub fn summary(config: &Config, inputs: &Inputs) -> (&'static str, String) {
    let names = config.settings_read();
    let mut held = names
        .iter()
        .filter(|n| n.as_str() != VERIFIED_SETTING && !is_selector(n) && inputs.get(n).is_some());
    if inputs.get(VERIFIED_SETTING).is_some() {
        return (
            "verified",
            "claims verified by tenant_guard.authenticate() in this transaction".into(),
        );
    }
    let Some(first) = held.next() else {
        return ("absent", "no claims and no claim settings".into());
    };
    if let Some(why) = settings_distrust(config, inputs) {
        return ("untrusted", why);
    }
    let held: Vec<&String> = std::iter::once(first).chain(held).collect();
    let leftovers: Vec<&str> = held
        .iter()
        .filter(|n| inputs.is_session_scoped(n))
        .map(|n| n.as_str())
        .collect();
    let mut note = String::from(
        "from settings, which any role can SET; tenant_guard.authenticate() verifies a token",
    );
    if !leftovers.is_empty() {
        let list = leftovers.join(", ");
        if config.require_transaction_scope {
            let note =
                format!("{LEFTOVER}: {list}; ignored (tenant_guard.require_transaction_scope)");
            if leftovers.len() == held.len() {
                return ("untrusted", note);
            }
            return ("unverified", note);
        }
        note = format!("{note}; {LEFTOVER}: {list}");
    }
    ("unverified", note)
}
