//! Every setting tenant_guard defines or watches, in one place.
//!
//! Speed: policies call `identity.get_current_org_id()` once per row, so the
//! claims must not be re-read and re-parsed per call. Every setting the
//! resolver reads gets an assign hook that bumps [`GENERATION`]; the context
//! cache is valid while the generation is unchanged. PostgreSQL calls assign
//! hooks on `SET`, `SET LOCAL`, `set_config()`, `RESET`, and when values are
//! restored at commit, abort and rollback to savepoint, so the cache follows
//! every change. A setting another module already defined (so we cannot hook
//! it) is read on each call instead: correct, only slower.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::collections::HashSet;
use std::ffi::{c_char, c_void, CStr, CString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tenant_guard_core::claims::{self, config, Config};

/// Bumped by every assign hook; starts at 1 so an empty cache (0) is stale.
pub static GENERATION: AtomicU64 = AtomicU64::new(1);

/// Settings (lower-case names) whose every change bumps [`GENERATION`].
static HOOKED: OnceLock<HashSet<String>> = OnceLock::new();

pub static CLAIM_KEYS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"organization_id,org_id,tenant_id"));
pub static TRUST_USER_METADATA: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static TENANT_SETTING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"app.tenant_id"));
/// Audit: the roles clients use (besides PUBLIC).
pub static CLIENT_ROLES: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"anon,authenticated"));
/// Audit: column names that mark a tenant table.
pub static TENANT_COLUMNS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"organization_id,org_id,tenant_id"));
pub static ROLE_SETTING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"app.role"));

pub fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}

pub fn is_hooked(name: &str) -> bool {
    HOOKED
        .get()
        .is_some_and(|h| h.contains(&name.to_ascii_lowercase()))
}

#[pg_guard]
unsafe extern "C-unwind" fn bump_string(_new: *const c_char, _extra: *mut c_void) {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

#[pg_guard]
unsafe extern "C-unwind" fn bump_bool(_new: bool, _extra: *mut c_void) {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Reports a rejected value the way PostgreSQL's own check hooks do (22023).
unsafe fn check_failed(detail: &str) -> bool {
    let detail = CString::new(detail.replace('\0', "")).unwrap_or_default();
    unsafe { pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(detail.as_ptr()) };
    false
}

unsafe fn new_value<'a>(newval: *mut *mut c_char) -> Option<&'a str> {
    unsafe {
        if newval.is_null() || (*newval).is_null() {
            return None;
        }
        CStr::from_ptr(*newval).to_str().ok()
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_claim_keys(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match unsafe { new_value(newval) }.map(claims::parse_claim_keys) {
        Some(Ok(_)) => true,
        Some(Err(e)) => unsafe { check_failed(&e) },
        None => unsafe { check_failed("a comma-separated list of claim keys is required") },
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_setting_name(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match unsafe { new_value(newval) }.map(claims::validate_setting_name) {
        Some(Ok(())) => true,
        Some(Err(e)) => unsafe { check_failed(&e) },
        None => unsafe { check_failed("a setting name such as app.tenant_id is required") },
    }
}

fn leak(s: &str) -> &'static CStr {
    Box::leak(
        CString::new(s)
            .expect("no NUL in setting name")
            .into_boxed_c_str(),
    )
}

/// True when the setting exists and is not a placeholder: some module (or an
/// earlier, interrupted run of our own `_PG_init`) defined it. Flags alone do
/// not tell: a defined setting may have no flags at all.
fn defined_elsewhere(name: &CStr) -> bool {
    let flags = unsafe { pg_sys::GetConfigOptionFlags(name.as_ptr(), true) };
    if flags & pg_sys::GUC_CUSTOM_PLACEHOLDER as i32 != 0 {
        return false;
    }
    flags != 0 || !unsafe { pg_sys::GetConfigOption(name.as_ptr(), true, false) }.is_null()
}

/// Called from `_PG_init`.
pub fn init() {
    // PostgreSQL runs _PG_init again if an earlier load of the library failed
    // part-way; our settings then exist already and must not be redefined
    // (every watched setting is then read on each call: correct, slower).
    if defined_elsewhere(c"tenant_guard.claim_keys") {
        let _ = HOOKED.set(HashSet::new());
        return;
    }
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.claim_keys",
            c"Claim keys that may hold the tenant id, in lookup order.",
            c"Each key is looked up in app_metadata, then at the top level of the claims; <key>s (e.g. organization_ids) holds the membership list.",
            &CLAIM_KEYS,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_claim_keys),
            Some(bump_string),
            None,
        );
        GucRegistry::define_bool_guc_with_hooks(
            c"tenant_guard.trust_user_metadata",
            c"Also read tenant claims from user_metadata (editable by users).",
            c"Off by default: Supabase users can change their own user_metadata.",
            &TRUST_USER_METADATA,
            GucContext::Suset,
            GucFlags::default(),
            None,
            Some(bump_bool),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.tenant_setting",
            c"Setting that backend workers use for the tenant (SET LOCAL app.tenant_id).",
            c"",
            &TENANT_SETTING,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_setting_name),
            Some(bump_string),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.role_setting",
            c"Setting that backend workers use for the application role (SET LOCAL app.role).",
            c"",
            &ROLE_SETTING,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_setting_name),
            Some(bump_string),
            None,
        );
    }

    GucRegistry::define_string_guc(
        c"tenant_guard.client_roles",
        c"Audit: the roles clients use (besides PUBLIC), comma-separated.",
        c"",
        &CLIENT_ROLES,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"tenant_guard.tenant_columns",
        c"Audit: column names that mark a tenant table, comma-separated.",
        c"",
        &TENANT_COLUMNS,
        GucContext::Userset,
        GucFlags::default(),
    );

    // Define the claim-carrying settings ourselves (a placeholder's value is
    // carried over), so that their changes reach our assign hook. They behave
    // as before for everyone else: user-settable strings, empty by default.
    let mut hooked = HashSet::new();
    for name in current_config().settings_read() {
        let cname = leak(&name);
        if defined_elsewhere(cname) {
            continue;
        }
        let setting: &'static GucSetting<Option<CString>> =
            Box::leak(Box::new(GucSetting::<Option<CString>>::new(Some(c""))));
        unsafe {
            GucRegistry::define_string_guc_with_hooks(
                cname,
                c"Claim setting watched by tenant_guard.",
                c"",
                setting,
                GucContext::Userset,
                GucFlags::NO_SHOW_ALL,
                None,
                Some(bump_string),
                None,
            );
        }
        hooked.insert(name.to_ascii_lowercase());
    }
    let _ = HOOKED.set(hooked);
}

/// A comma-list setting as trimmed, non-empty items.
pub fn list_setting(s: &GucSetting<Option<CString>>) -> Vec<String> {
    string_setting(s, "")
        .split(',')
        .map(|x| x.trim().to_owned())
        .filter(|x| !x.is_empty())
        .collect()
}

fn string_setting(s: &GucSetting<Option<CString>>, default: &str) -> String {
    s.get()
        .and_then(|c| c.into_string().ok())
        .unwrap_or_else(|| default.to_owned())
}

/// The resolver configuration as the settings say now.
pub fn current_config() -> Config {
    let keys = string_setting(&CLAIM_KEYS, config::DEFAULT_CLAIM_KEYS);
    Config {
        claim_keys: claims::parse_claim_keys(&keys)
            .or_else(|_| claims::parse_claim_keys(config::DEFAULT_CLAIM_KEYS))
            .unwrap_or_default(),
        trust_user_metadata: TRUST_USER_METADATA.get(),
        tenant_setting: string_setting(&TENANT_SETTING, config::DEFAULT_TENANT_SETTING),
        role_setting: string_setting(&ROLE_SETTING, config::DEFAULT_ROLE_SETTING),
    }
}

/// The current value of any setting, `None` when unset or empty.
pub fn read_setting(name: &str) -> Option<String> {
    let cname = CString::new(name).ok()?;
    let ptr = unsafe { pg_sys::GetConfigOption(cname.as_ptr(), true, false) };
    if ptr.is_null() {
        return None;
    }
    let value = unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned();
    (!value.is_empty()).then_some(value)
}
