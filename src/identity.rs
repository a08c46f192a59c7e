//! Schema `identity`: the claim helpers RLS policies call on every row.
//! All STABLE and PARALLEL SAFE (parallel workers receive the leader's
//! settings and resolve from them); none raises on bad input except
//! `require_org_id()`: absence, conflict and malformed input are NULL.

use pgrx::prelude::*;

#[pg_schema]
pub mod identity {
    use crate::{context, error};
    use pgrx::pg_sys::panic::ErrorReport;
    use pgrx::prelude::*;
    use pgrx::{JsonB, Uuid};
    use tenant_guard_core::claims::{ClaimPath, IdKind, Json, Provider};

    /// Like `get_current_org_id()`, but raises 42501 with a DETAIL naming every
    /// location inspected and what it held, and a HINT, when there is no tenant.
    #[pg_extern(stable, parallel_safe)]
    pub fn require_org_id() -> Result<Uuid, ErrorReport> {
        context::with(|s| match s.org_uuid {
            Some(id) => Ok(Uuid::from_bytes(id)),
            None => Err(error::no_tenant(&s.org)),
        })
    }

    /// The membership list (`organization_ids`, `org_ids`, `tenant_ids`), or the
    /// single tenant as a one-element array; NULL when resolution failed closed.
    #[pg_extern(stable, parallel_safe)]
    pub fn get_current_org_ids() -> Option<Vec<Uuid>> {
        context::with(|s| {
            s.org_ids
                .as_ref()
                .map(|ids| ids.iter().copied().map(Uuid::from_bytes).collect())
        })
    }

    /// True when `org` is in the caller's membership list; false when there are
    /// no usable claims; NULL for a NULL argument.
    #[pg_extern(stable, parallel_safe, strict)]
    pub fn has_org(org: Uuid) -> bool {
        context::with(|s| {
            s.org_ids
                .as_ref()
                .is_some_and(|ids| ids.iter().any(|id| id == org.as_bytes()))
        })
    }

    /// The tenant as text, for providers whose ids are not UUIDs (`org_2abc`):
    /// the same rules as `get_current_org_id()` without the UUID check.
    #[pg_extern(stable, parallel_safe)]
    pub fn get_current_org_key() -> Option<String> {
        context::with(|s| s.key().tenant.as_ref().ok().cloned())
    }

    /// The user id as a UUID (`sub`; Entra: `oid`); NULL when absent, not a
    /// UUID, or conflicting.
    #[pg_extern(stable, parallel_safe)]
    pub fn get_current_user_id() -> Option<Uuid> {
        context::with(|s| s.user_id().map(Uuid::from_bytes))
    }

    /// The user id as text, for providers whose ids are not UUIDs
    /// (`user_2abc`, `auth0|42`); NULL when absent or conflicting.
    #[pg_extern(stable, parallel_safe)]
    pub fn get_current_user_key() -> Option<String> {
        context::with(|s| s.user_key())
    }

    /// The `role` claim, else `app_metadata.role`, else the `app.role` setting.
    #[pg_extern(stable, parallel_safe)]
    pub fn get_current_role() -> Option<String> {
        context::with(|s| s.role())
    }

    /// The claims as seen (the JSON setting, else the PostgREST 9-11 per-claim
    /// settings as one object); NULL when absent or malformed.
    #[pg_extern(stable, parallel_safe)]
    pub fn current_claims() -> Option<JsonB> {
        context::with(|s| s.claims())
            .and_then(|j: Json| serde_json::from_str(&j.to_text()).ok())
            .map(JsonB)
    }

    /// Who this request is, in one call: the user id, role, tenant (or NULL
    /// with the reason), the token's organizations, the provider, where the
    /// claims came from, the kid of the key that verified them (when
    /// `tenant_guard.authenticate()` did, in this transaction) and when the
    /// token expires. For "every write fails with 42501" after a key switch.
    #[pg_extern(stable, parallel_restricted)]
    pub fn whoami() -> JsonB {
        use serde_json::{json, Value};
        let info = context::with(|s| {
            let org = s.org_for_provider();
            let (trust, trust_note) = s.trust();
            let claims = s.claims().map(|c| c.to_text());
            let exp = claims
                .as_deref()
                .and_then(|c| serde_json::from_str::<Value>(c).ok())
                .and_then(|c| c.get("exp").and_then(Value::as_f64));
            let key_id = (trust == "verified")
                .then(|| crate::gucs::read_setting("tenant_guard.verified_claims"))
                .flatten()
                .and_then(|text| crate::jwt::verified_kid(&text))
                .map(|kid| {
                    kid.unwrap_or_else(|| "(the HMAC secret or a JWKS key without kid)".into())
                });
            json!({
                "provider": s.config().provider.name(),
                "user_id": s.user_key(),
                "role": s.role(),
                "tenant": org.tenant.as_ref().ok(),
                "tenant_kind": match org.kind { IdKind::Uuid => "uuid", IdKind::Key => "key" },
                "tenant_reason": org.tenant.as_ref().err().map(|f| format!("{}: {}", f.as_str(), f.describe())),
                "organizations": org.tenant_ids,
                "claims_source": trust,
                "claims_note": trust_note,
                "key_id": key_id,
                "expires_at": exp,
            })
        });
        let mut info = info;
        // Seconds since 1970 as a UTC timestamp, and whether that is past; a
        // value no timestamp can hold (a hostile exp) is shown as it is.
        if let Some(exp) = info.get("expires_at").and_then(Value::as_f64) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            info["expires_at"] = match tenant_guard_core::jwt::utc_text(exp) {
                Some(t) => json!(t),
                None => json!(exp),
            };
            info["expired"] = json!(exp <= now);
        }
        JsonB(info)
    }

    /// Claim paths as `explain_claims()` shows them: `o.id, org_id`.
    fn paths_text(paths: &[ClaimPath]) -> String {
        paths
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A Supabase Custom Access Token hook: returns the event with its claims
    /// rewritten so the token carries one canonical tenant claim,
    /// `app_metadata.organization_id`, and the membership list
    /// `app_metadata.organization_ids`, from the membership table named by
    /// `tenant_guard.membership_table`; drifted copies (`org_id`, `tenant_id`,
    /// the top level, `user_metadata`) are removed.
    #[pg_extern(volatile, parallel_unsafe)]
    pub fn custom_access_token_hook(event: JsonB) -> Result<JsonB, ErrorReport> {
        crate::token_hook::hook(event)
    }

    /// One row per location inspected, then the results: why the tenant is
    /// what it is (or NULL). For "permission denied" and empty results.
    #[pg_extern(stable, parallel_safe)]
    #[allow(clippy::type_complexity)]
    pub fn explain_claims() -> TableIterator<
        'static,
        (
            name!(source, String),
            name!(path, String),
            name!(raw_value, Option<String>),
            name!(status, String),
            name!(note, String),
            name!(result, Option<String>),
        ),
    > {
        let rows = context::with(|s| {
            let org = s.org_for_provider();
            let result = org.tenant.as_ref().ok().cloned();
            let mut rows: Vec<_> = org
                .trail
                .iter()
                .map(|st| {
                    (
                        st.source.clone(),
                        st.path.clone(),
                        st.raw.clone(),
                        st.status.as_str().to_owned(),
                        st.note.clone(),
                        result.clone(),
                    )
                })
                .collect();
            let (status, note) = match &org.tenant {
                Ok(_) => (
                    "resolved".to_owned(),
                    "every trusted location agrees".to_owned(),
                ),
                Err(f) => (f.as_str().to_owned(), format!("NULL: {}", f.describe())),
            };
            rows.push((
                "result".into(),
                match org.kind {
                    IdKind::Uuid => "org_id",
                    IdKind::Key => "org_key",
                }
                .into(),
                result.clone(),
                status,
                note,
                result.clone(),
            ));
            let (trust, why) = s.trust();
            rows.push((
                "result".into(),
                "trust".into(),
                None,
                trust.into(),
                why,
                result.clone(),
            ));
            let config = s.config();
            let preset = config.preset();
            let supabase = config.provider == Provider::Supabase;
            if !supabase || config.claim_paths.is_some() {
                let tenant = match (&config.claim_paths, config.tenant_paths()) {
                    (Some(_), Some(p)) => {
                        format!("tenant: {} (tenant_guard.claim_paths)", paths_text(p))
                    }
                    (None, Some(p)) => format!("tenant: {}", paths_text(p)),
                    (_, None) => "tenant: claim_keys in app_metadata and at the top level".into(),
                };
                let lists = if preset.list_paths.is_empty() {
                    String::new()
                } else {
                    format!("; organizations: {}", paths_text(&preset.list_paths))
                };
                let kinds = match preset.org_kind {
                    IdKind::Uuid => "organization ids are UUIDs: identity.get_current_org_id()",
                    IdKind::Key => "organization ids are text keys: identity.get_current_org_key()",
                };
                rows.push((
                    "result".into(),
                    "provider".into(),
                    Some(config.provider.name().to_owned()),
                    "configured".into(),
                    format!(
                        "{tenant}{lists}; user id: {}; role: {}; {kinds}",
                        paths_text(&preset.user_paths),
                        paths_text(&preset.role_paths)
                    ),
                    result.clone(),
                ));
            }
            let (user, user_note) = if supabase {
                (
                    s.user_id()
                        .map(|u| tenant_guard_core::claims::uuid::format(&u)),
                    "sub claim (must be a UUID)".to_owned(),
                )
            } else {
                let paths = paths_text(&preset.user_paths);
                (
                    s.user_key(),
                    format!("{paths} claim (identity.get_current_user_key(); get_current_user_id() when a UUID)"),
                )
            };
            rows.push((
                "result".into(),
                "user_id".into(),
                user.clone(),
                if user.is_some() { "resolved" } else { "absent" }.into(),
                user_note,
                result.clone(),
            ));
            let role = s.role();
            rows.push((
                "result".into(),
                "role".into(),
                role.clone(),
                if role.is_some() { "resolved" } else { "absent" }.into(),
                if supabase {
                    "role claim, else app_metadata.role, else the role setting".to_owned()
                } else {
                    format!(
                        "{} claim (a list counts when it holds one role), else the role setting",
                        paths_text(&preset.role_paths)
                    )
                },
                result,
            ));
            rows
        });
        TableIterator::new(rows)
    }
}

/// `identity.get_current_org_id()`: the caller's tenant, one UUID that every
/// trusted claim location agrees on, or NULL (absent, conflicting, invalid or
/// malformed claims).
///
/// Hand-written instead of `#[pg_extern]` because RLS calls it once per row:
/// when the cache is fresh this is two atomic loads, returning a pointer to an
/// interned copy of the id that lives as long as the backend (PostgreSQL never
/// frees a by-reference function result it did not allocate; functions such
/// as `uuid_larger` return pointers into buffers just the same). The slow path
/// (claims changed) runs inside pgrx's guard, so a Rust panic or a PostgreSQL
/// error there is reported as an ERROR, never unwound into C.
///
/// # Safety
/// Called by PostgreSQL's fmgr with a valid `fcinfo`.
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn tg_get_current_org_id(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    use crate::context::{fast_org, Fast};
    let datum = match fast_org() {
        Fast::Tenant(ptr) => return pg_sys::Datum::from(ptr),
        Fast::Null => None,
        // After a change (or past the intern limit): resolve and return an
        // ordinary palloc'd copy, all inside the guard.
        Fast::Stale => unsafe {
            pg_sys::submodules::panic::pgrx_extern_c_guard(|| {
                crate::context::org_uuid().map(|bytes| {
                    let p = pg_sys::palloc(16) as *mut [u8; 16];
                    p.write(bytes);
                    pg_sys::Datum::from(p)
                })
            })
        },
    };
    datum.unwrap_or_else(|| {
        unsafe { (*fcinfo).isnull = true };
        pg_sys::Datum::from(0usize)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn pg_finfo_tg_get_current_org_id() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}
