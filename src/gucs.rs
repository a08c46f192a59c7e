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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use tenant_guard_core::claims::{self, config, Config};
use tenant_guard_core::jwt::KeySet;

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
/// The identity provider's token layout (a preset).
pub static PROVIDER: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"supabase"));
/// JSON paths to the tenant claim; empty: the provider's.
pub static CLAIM_PATHS: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));
/// The active organization among the token's, for the transaction.
pub static ACTIVE_ORG: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));

// Trust (see tenant_guard_core::claims::trust).
pub static REQUIRE_VERIFIED: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static REQUIRE_TRANSACTION_SCOPE: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static TRUSTED_SESSION_USERS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c""));
/// Claims verified by `tenant_guard.authenticate()`: set LOCAL by the
/// extension only, so they end with the transaction (commit or abort), are
/// undone by ROLLBACK TO SAVEPOINT, and reach parallel workers like any setting.
pub static VERIFIED_CLAIMS: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c""));
/// The leader's list of claim settings left over from a session-level SET,
/// published for parallel workers (see `scope.rs`); empty: not published.
pub static SESSION_SCOPED: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c""));

// identity.custom_access_token_hook: where the memberships are.
pub static MEMBERSHIP_TABLE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c""));
pub static MEMBERSHIP_USER_COLUMN: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"user_id"));
pub static MEMBERSHIP_TENANT_COLUMN: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"organization_id"));

// The auto-reload event trigger's grants to new tables (read there by name).
pub static AUTO_GRANT_ROLE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c""));
pub static AUTO_GRANT_PRIVILEGES: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"SELECT, INSERT, UPDATE, DELETE"));

// JWT verification keys and rules: superuser-only to set and to read.
pub static JWT_SECRET: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));
pub static JWKS: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));
pub static JWT_AUDIENCE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c""));
pub static JWT_ISSUER: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c""));
pub static JWT_LEEWAY: GucSetting<i32> = GucSetting::<i32>::new(30);

/// Whether the library was loaded by `shared_preload_libraries`: only then are
/// the superuser-only settings defined before any session can read them.
static PRELOADED: AtomicBool = AtomicBool::new(false);

/// Why the HMAC secret must not be used here, if it must not: a secret that
/// comes from a configuration file or `ALTER SYSTEM/DATABASE/ROLE ... SET` was
/// readable by every role as a placeholder until this library loaded.
pub fn secret_exposure() -> Option<&'static str> {
    if PRELOADED.load(Ordering::Relaxed) || string_value(&JWT_SECRET).is_empty() {
        return None;
    }
    let gconf = crate::scope::find_guc("tenant_guard.jwt_secret")?;
    // SAFETY: PostgreSQL's GUC records live as long as the backend.
    let source = unsafe { (*gconf).source };
    use pg_sys::GucSource::*;
    (!matches!(source, PGC_S_SESSION | PGC_S_OVERRIDE | PGC_S_DEFAULT)).then_some(
        "tenant_guard.jwt_secret comes from the server configuration, but tenant_guard is not in shared_preload_libraries: until the library loads in a session, any role can read the secret with SHOW",
    )
}

/// Bumped when the secret or the JWKS changes: the parsed key set is rebuilt.
pub static KEY_GENERATION: AtomicU64 = AtomicU64::new(1);

/// True only while the extension sets an internal setting ([`VERIFIED_CLAIMS`],
/// [`SESSION_SCOPED`]): their check hooks refuse every other `SET` (a
/// superuser's, `ALTER ROLE ... SET`, a file).
static SETTING_INTERNAL: AtomicBool = AtomicBool::new(false);

extern "C" {
    // access/parallel.h (not in pgrx's bindings): true while a parallel worker
    // restores the leader's settings.
    static InitializingParallelWorker: bool;
}

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

#[pg_guard]
unsafe extern "C-unwind" fn bump_keys(_new: *const c_char, _extra: *mut c_void) {
    KEY_GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Whether a transaction is settled changes at its end without an assign hook
/// call (a session-level SET stays, its stack entry goes), so every
/// transaction end makes the cached resolution stale.
#[pg_guard]
unsafe extern "C-unwind" fn on_xact_event(event: pg_sys::XactEvent::Type, _arg: *mut c_void) {
    use pg_sys::XactEvent::*;
    if matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
            | XACT_EVENT_PREPARE
    ) {
        GENERATION.fetch_add(1, Ordering::Relaxed);
    }
}

/// Reports a rejected value the way PostgreSQL's own check hooks do (22023).
unsafe fn check_failed(detail: &str) -> bool {
    let detail = CString::new(detail.replace('\0', "")).unwrap_or_default();
    unsafe { pg_sys::GUC_check_errdetail_string = pg_sys::pstrdup(detail.as_ptr()) };
    false
}

/// Like [`check_failed`], with a message that does not quote the value:
/// PostgreSQL's default one would put a rejected secret in the error and the
/// server log.
unsafe fn check_failed_quietly(name: &str, detail: &str) -> bool {
    let msg = CString::new(format!(
        "invalid value for parameter \"{name}\" (not shown)"
    ))
    .unwrap_or_default();
    unsafe { pg_sys::GUC_check_errmsg_string = pg_sys::pstrdup(msg.as_ptr()) };
    unsafe { check_failed(detail) }
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
unsafe extern "C-unwind" fn check_claim_paths(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match unsafe { new_value(newval) } {
        None | Some("") => true,
        Some(text) => match claims::parse_claim_paths(text) {
            Ok(_) => true,
            Err(e) => unsafe { check_failed(&e) },
        },
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_provider(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match unsafe { new_value(newval) }.map(claims::Provider::parse) {
        Some(Ok(_)) => true,
        Some(Err(e)) => unsafe { check_failed(&e) },
        None => unsafe { check_failed("a provider name such as supabase is required") },
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_active_org(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match unsafe { new_value(newval) } {
        Some(v) if v.len() > 255 => unsafe {
            check_failed("an organization id of at most 255 bytes is expected")
        },
        _ => true,
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

#[pg_guard]
unsafe extern "C-unwind" fn check_jwt_secret(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match KeySet::new(unsafe { new_value(newval) }, None) {
        Ok(_) => true,
        Err(e) => unsafe { check_failed_quietly("tenant_guard.jwt_secret", e.message()) },
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_jwks(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    match KeySet::new(None, unsafe { new_value(newval) }) {
        Ok(_) => true,
        // A JWKS may hold HMAC (oct) keys: never quote it either.
        Err(e) => unsafe { check_failed_quietly("tenant_guard.jwks", e.message()) },
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_role_list(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    let bad = unsafe { new_value(newval) }
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .find(|r| r.len() > 63 || r.contains('"'));
    match bad {
        None => true,
        Some(r) => unsafe { check_failed(&format!("\"{r}\" is not a role name")) },
    }
}

fn internal_value_allowed(newval: *mut *mut c_char) -> bool {
    let empty = unsafe { new_value(newval) }.is_none_or(str::is_empty);
    empty || SETTING_INTERNAL.load(Ordering::Relaxed) || unsafe { InitializingParallelWorker }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_verified_claims(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    internal_value_allowed(newval)
        || unsafe {
            check_failed(
                "only tenant_guard.authenticate() sets verified claims, for one transaction",
            )
        }
}

#[pg_guard]
unsafe extern "C-unwind" fn check_session_scoped(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    internal_value_allowed(newval)
        || unsafe { check_failed("tenant_guard sets this itself, for parallel workers") }
}

/// Makes `claims` (JSON text) the verified claims until the end of the current
/// transaction, or of the current subtransaction if it is rolled back.
pub fn set_verified_claims(claims: &str) {
    set_internal_local(c"tenant_guard.verified_claims", claims);
}

/// `SET LOCAL` of one of our internal settings, which no one else may set.
/// Passing PGC_SUSET as the context lets any caller's transaction hold it.
pub fn set_internal_local(name: &CStr, value: &str) {
    let value = CString::new(value).expect("internal setting values have no NUL");
    SETTING_INTERNAL.store(true, Ordering::Relaxed);
    let result = PgTryBuilder::new(|| unsafe {
        pg_sys::set_config_option(
            name.as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_LOCAL,
            true,
            pg_sys::PGERROR as i32,
            false,
        )
    })
    .finally(|| SETTING_INTERNAL.store(false, Ordering::Relaxed))
    .execute();
    let _: i32 = result;
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
    PRELOADED.store(
        unsafe { pg_sys::process_shared_preload_libraries_in_progress },
        Ordering::Relaxed,
    );
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

    define_trust_and_jwt();
    define_providers();

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
    hooked.insert(config::VERIFIED_SETTING.to_owned());
    hooked.insert(config::ACTIVE_ORG_SETTING.to_owned());
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

/// Secrets: superuser-only to set, and to read (`SHOW`, `current_setting`,
/// `pg_settings` refuse other roles unless they have pg_read_all_settings).
const SECRET: GucFlags = GucFlags::SUPERUSER_ONLY
    .union(GucFlags::NO_SHOW_ALL)
    .union(GucFlags::NO_RESET_ALL);

fn define_providers() {
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.provider",
            c"The identity provider whose token layout identity.* read: supabase, clerk, auth0, entra, firebase, cognito, keycloak or neon.",
            c"A preset fixes where the tenant, the user id and the role are, and whether ids are UUIDs.",
            &PROVIDER,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_provider),
            Some(bump_string),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.claim_paths",
            c"Paths to the tenant claim, comma-separated (o.id, app_metadata.org_id, \"custom:tenant_id\"); replaces the provider's.",
            c"Keys with dots, colons or slashes are double-quoted. Every path that holds a value must agree.",
            &CLAIM_PATHS,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_claim_paths),
            Some(bump_string),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.active_org",
            c"The active organization among those the token lists (SET LOCAL for the transaction).",
            c"Selects only among the token's organizations; one outside the list makes identity.get_current_org_id() NULL.",
            &ACTIVE_ORG,
            GucContext::Userset,
            GucFlags::default(),
            Some(check_active_org),
            Some(bump_string),
            None,
        );
    }
}

fn define_trust_and_jwt() {
    unsafe {
        GucRegistry::define_bool_guc_with_hooks(
            c"tenant_guard.require_verified",
            c"identity.* use only claims verified by tenant_guard.authenticate(); claims in settings are ignored.",
            c"",
            &REQUIRE_VERIFIED,
            GucContext::Suset,
            GucFlags::default(),
            None,
            Some(bump_bool),
            None,
        );
        GucRegistry::define_bool_guc_with_hooks(
            c"tenant_guard.require_transaction_scope",
            c"Ignore claim settings left over from a session-level SET in an earlier transaction.",
            c"Behind a transaction-mode pooler such a value can belong to another client. SET LOCAL, set_config(..., true) and tenant_guard.authenticate() are transaction-scoped.",
            &REQUIRE_TRANSACTION_SCOPE,
            GucContext::Suset,
            GucFlags::default(),
            None,
            Some(bump_bool),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.trusted_session_users",
            c"Login roles (session_user) whose claim settings are believed, comma-separated; empty: any.",
            c"PostgREST connects as authenticator. Claims from tenant_guard.authenticate() are believed whoever logged in.",
            &TRUSTED_SESSION_USERS,
            GucContext::Suset,
            GucFlags::default(),
            Some(check_role_list),
            Some(bump_string),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.verified_claims",
            c"Claims verified by tenant_guard.authenticate() for this transaction (internal).",
            c"",
            &VERIFIED_CLAIMS,
            GucContext::Suset,
            SECRET
                .union(GucFlags::DISALLOW_IN_FILE)
                .union(GucFlags::DISALLOW_IN_AUTO_FILE),
            Some(check_verified_claims),
            Some(bump_string),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.session_scoped_settings",
            c"Claim settings left over from a session-level SET, as the leader saw them (internal).",
            c"",
            &SESSION_SCOPED,
            GucContext::Suset,
            SECRET
                .union(GucFlags::DISALLOW_IN_FILE)
                .union(GucFlags::DISALLOW_IN_AUTO_FILE),
            Some(check_session_scoped),
            None,
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.jwt_secret",
            c"HMAC secret for HS256/384/512 tokens (at least 32 bytes).",
            c"",
            &JWT_SECRET,
            GucContext::Suset,
            SECRET,
            Some(check_jwt_secret),
            Some(bump_keys),
            None,
        );
        GucRegistry::define_string_guc_with_hooks(
            c"tenant_guard.jwks",
            c"JWKS document ({\"keys\": [...]}) with the public keys tokens may be signed with; kid selects the key.",
            c"",
            &JWKS,
            GucContext::Suset,
            SECRET,
            Some(check_jwks),
            Some(bump_keys),
            None,
        );
    }
    GucRegistry::define_string_guc(
        c"tenant_guard.jwt_audience",
        c"Accepted token audiences (aud), comma-separated; empty: aud is not checked.",
        c"",
        &JWT_AUDIENCE,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"tenant_guard.jwt_issuer",
        c"Accepted token issuers (iss), comma-separated; empty: iss is not checked.",
        c"",
        &JWT_ISSUER,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"tenant_guard.jwt_leeway",
        c"Clock skew allowed on exp, nbf and iat, in seconds.",
        c"",
        &JWT_LEEWAY,
        0,
        3600,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    for (name, description, setting) in [
        (
            c"tenant_guard.membership_table",
            c"identity.custom_access_token_hook: the table of (user, tenant) memberships, schema-qualified.",
            &MEMBERSHIP_TABLE,
        ),
        (
            c"tenant_guard.membership_user_column",
            c"identity.custom_access_token_hook: the membership table's user id column.",
            &MEMBERSHIP_USER_COLUMN,
        ),
        (
            c"tenant_guard.auto_grant_role",
            c"With enable_auto_reload(): the role new tables and views are granted to (empty: none).",
            &AUTO_GRANT_ROLE,
        ),
        (
            c"tenant_guard.auto_grant_privileges",
            c"With enable_auto_reload(): the table privileges granted to auto_grant_role.",
            &AUTO_GRANT_PRIVILEGES,
        ),
        (
            c"tenant_guard.membership_tenant_column",
            c"identity.custom_access_token_hook: the membership table's tenant id column.",
            &MEMBERSHIP_TENANT_COLUMN,
        ),
    ] {
        GucRegistry::define_string_guc(
            name,
            description,
            c"",
            setting,
            GucContext::Suset,
            GucFlags::default(),
        );
    }
    unsafe { pg_sys::RegisterXactCallback(Some(on_xact_event), std::ptr::null_mut()) };
}

/// A comma-list setting as trimmed, non-empty items.
pub fn list_setting(s: &GucSetting<Option<CString>>) -> Vec<String> {
    string_setting(s, "")
        .split(',')
        .map(|x| x.trim().to_owned())
        .filter(|x| !x.is_empty())
        .collect()
}

/// A string setting's value, `""` when unset.
pub fn string_value(s: &GucSetting<Option<CString>>) -> String {
    string_setting(s, "")
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
        require_verified: REQUIRE_VERIFIED.get(),
        trusted_session_users: list_setting(&TRUSTED_SESSION_USERS),
        require_transaction_scope: REQUIRE_TRANSACTION_SCOPE.get(),
        provider: claims::Provider::parse(&string_setting(&PROVIDER, "supabase"))
            .unwrap_or(claims::Provider::Supabase),
        claim_paths: Some(string_setting(&CLAIM_PATHS, ""))
            .filter(|t| !t.trim().is_empty())
            .and_then(|t| claims::parse_claim_paths(&t).ok()),
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

/// The login role (`session_user`), which `SET ROLE` does not change.
pub fn session_user() -> Option<String> {
    let oid = unsafe { pg_sys::GetSessionUserId() };
    let name = unsafe { pg_sys::GetUserNameFromId(oid, true) };
    if name.is_null() {
        return None;
    }
    let user = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    unsafe { pg_sys::pfree(name.cast()) };
    Some(user)
}
