//! Identity-provider presets (`tenant_guard.provider`): where each provider
//! puts the tenant, the user id and the role in its tokens, and whether its
//! ids are UUIDs. `supabase` (the default) keeps the `claim_keys` search of
//! `app_metadata` and the top level; every other preset reads fixed paths.
//! `tenant_guard.claim_paths` replaces a preset's tenant paths.

use super::path::ClaimPath;
use super::resolve::IdKind;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Supabase,
    Clerk,
    Auth0,
    Entra,
    Firebase,
    Cognito,
    Keycloak,
    Neon,
}

pub const PROVIDERS: &[Provider] = &[
    Provider::Supabase,
    Provider::Clerk,
    Provider::Auth0,
    Provider::Entra,
    Provider::Firebase,
    Provider::Cognito,
    Provider::Keycloak,
    Provider::Neon,
];

/// What a preset fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// Paths to the tenant id (or to the list of the user's tenants: an
    /// array, or Keycloak's object keyed by alias), in order; `None`: the
    /// `claim_keys` search (Supabase).
    pub tenant_paths: Option<Vec<ClaimPath>>,
    /// Paths to the user's organizations, when the token lists them
    /// separately (Clerk v1 `orgs`: an object keyed by organization id).
    pub list_paths: Vec<ClaimPath>,
    /// Paths to the user id, first present wins.
    pub user_paths: Vec<ClaimPath>,
    /// Paths to the application role, first present wins.
    pub role_paths: Vec<ClaimPath>,
    /// Whether the provider's organization ids are UUIDs
    /// (`get_current_org_id()`) or text keys (`get_current_org_key()`).
    pub org_kind: IdKind,
    /// Whether its user ids are UUIDs (`get_current_user_id()`) or text.
    pub user_kind: IdKind,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Supabase => "supabase",
            Provider::Clerk => "clerk",
            Provider::Auth0 => "auth0",
            Provider::Entra => "entra",
            Provider::Firebase => "firebase",
            Provider::Cognito => "cognito",
            Provider::Keycloak => "keycloak",
            Provider::Neon => "neon",
        }
    }

    /// Parses `tenant_guard.provider` (case-insensitive).
    pub fn parse(text: &str) -> Result<Provider, String> {
        let t = text.trim().to_ascii_lowercase();
        PROVIDERS
            .iter()
            .copied()
            .find(|p| p.name() == t)
            .ok_or_else(|| {
                format!(
                    "unknown provider \"{text}\"; expected one of {}",
                    PROVIDERS
                        .iter()
                        .map(|p| p.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// The preset: fixed data, built once per process.
    pub fn preset(self) -> &'static Preset {
        static PRESETS: OnceLock<Vec<Preset>> = OnceLock::new();
        let all = PRESETS.get_or_init(|| PROVIDERS.iter().map(|p| p.build()).collect());
        let index = PROVIDERS
            .iter()
            .position(|p| *p == self)
            .expect("every provider is in PROVIDERS");
        &all[index]
    }

    fn build(self) -> Preset {
        let p = |keys: &[&str]| ClaimPath::of(keys);
        let sub = vec![p(&["sub"])];
        match self {
            // Today's behaviour: claim_keys in app_metadata and at the top.
            Provider::Supabase => Preset {
                tenant_paths: None,
                list_paths: vec![],
                user_paths: sub,
                role_paths: vec![p(&["role"]), p(&["app_metadata", "role"])],
                org_kind: IdKind::Uuid,
                user_kind: IdKind::Uuid,
            },
            // Session token v2 nests the active organization under `o`
            // (`o.id`, `o.rol`); v1 had `org_id`, `org_role` and, in custom
            // templates, `orgs` ({"org_…": "admin"}). Ids: `org_2abc…`, `user_2abc…`.
            Provider::Clerk => Preset {
                tenant_paths: Some(vec![p(&["o", "id"]), p(&["org_id"])]),
                list_paths: vec![p(&["orgs"])],
                user_paths: sub,
                role_paths: vec![p(&["o", "rol"]), p(&["org_role"])],
                org_kind: IdKind::Key,
                user_kind: IdKind::Key,
            },
            // Organizations: `org_id` (`org_abc…`) at the top; `sub` is
            // `auth0|…`; roles live in namespaced custom claims (claim_paths).
            Provider::Auth0 => Preset {
                tenant_paths: Some(vec![p(&["org_id"])]),
                list_paths: vec![],
                user_paths: sub,
                role_paths: vec![p(&["role"])],
                org_kind: IdKind::Key,
                user_kind: IdKind::Key,
            },
            // Microsoft Entra ID: the directory (tenant) `tid` and the user's
            // object id `oid` are UUIDs; app roles come as `roles` (a list).
            Provider::Entra => Preset {
                tenant_paths: Some(vec![p(&["tid"])]),
                list_paths: vec![],
                user_paths: vec![p(&["oid"])],
                role_paths: vec![p(&["roles"])],
                org_kind: IdKind::Uuid,
                user_kind: IdKind::Uuid,
            },
            // Identity Platform multi-tenancy: `firebase.tenant`; uid in `sub`
            // (28 characters, not a UUID); roles are custom claims.
            Provider::Firebase => Preset {
                tenant_paths: Some(vec![p(&["firebase", "tenant"])]),
                list_paths: vec![],
                user_paths: sub,
                role_paths: vec![p(&["role"])],
                org_kind: IdKind::Key,
                user_kind: IdKind::Key,
            },
            // A custom user-pool attribute `custom:tenant_id`; `sub` is a
            // UUID; groups in `cognito:groups` (a list).
            Provider::Cognito => Preset {
                tenant_paths: Some(vec![p(&["custom:tenant_id"])]),
                list_paths: vec![],
                user_paths: sub,
                role_paths: vec![p(&["cognito:groups"])],
                org_kind: IdKind::Key,
                user_kind: IdKind::Uuid,
            },
            // Keycloak 26 organizations: `organization` is a list of aliases,
            // or (with "add organization id") an object keyed by alias whose
            // members carry the `id` (a UUID).
            Provider::Keycloak => Preset {
                tenant_paths: Some(vec![p(&["organization"])]),
                list_paths: vec![],
                user_paths: sub,
                role_paths: vec![p(&["realm_access", "roles"])],
                org_kind: IdKind::Uuid,
                user_kind: IdKind::Uuid,
            },
            // Neon RLS (pg_session_jwt) tokens carry the organization as `o.id`.
            Provider::Neon => Preset {
                tenant_paths: Some(vec![p(&["o", "id"])]),
                list_paths: vec![],
                user_paths: sub,
                role_paths: vec![p(&["o", "rol"]), p(&["role"])],
                org_kind: IdKind::Key,
                user_kind: IdKind::Key,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_parse() {
        for p in PROVIDERS {
            assert_eq!(Provider::parse(p.name()).unwrap(), *p);
            assert_eq!(Provider::parse(&p.name().to_uppercase()).unwrap(), *p);
        }
        let e = Provider::parse("okta").unwrap_err();
        assert!(e.contains("supabase, clerk, auth0"), "{e}");
    }

    #[test]
    fn presets_fix_paths() {
        assert!(Provider::Supabase.preset().tenant_paths.is_none());
        let clerk = Provider::Clerk.preset();
        assert_eq!(
            clerk.tenant_paths.as_ref().unwrap()[0].to_string(),
            "o.id",
            "Clerk v2 nests the organization"
        );
        assert_eq!(clerk.org_kind, IdKind::Key);
        assert_eq!(
            Provider::Cognito.preset().tenant_paths.as_ref().unwrap()[0].to_string(),
            "\"custom:tenant_id\""
        );
        assert_eq!(Provider::Entra.preset().org_kind, IdKind::Uuid);
        assert_eq!(
            Provider::Firebase.preset().tenant_paths.as_ref().unwrap()[0].to_string(),
            "firebase.tenant"
        );
    }
}
