//! Errors raised to SQL, each with its real SQLSTATE, a DETAIL and a HINT.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgSqlErrorCode;
use tenant_guard_core::claims::{Failure, Resolution};

/// `require_org_id()` with no usable tenant: 42501, naming every location.
pub fn no_tenant(res: &Resolution) -> ErrorReport {
    let failure = res
        .tenant
        .as_ref()
        .err()
        .copied()
        .unwrap_or(Failure::Absent);
    let hint = match failure {
        Failure::Absent => "Put the tenant id in the token's app_metadata.organization_id (e.g. with a custom access token hook), or run SET LOCAL app.tenant_id in the worker's transaction. SELECT * FROM identity.explain_claims() shows each location.",
        Failure::Conflict => "Make every claim location carry the same tenant id, or remove the stale copies (org_id vs organization_id, top level vs app_metadata). SELECT * FROM identity.explain_claims() shows each location.",
        Failure::Invalid => "Tenant claims must hold a UUID string. Use identity.get_current_org_key() for non-UUID tenant ids. SELECT * FROM identity.explain_claims() shows the offending value.",
        Failure::Malformed => "request.jwt.claims must be a JSON object; check what sets it. SELECT * FROM identity.explain_claims() shows the parse error.",
        Failure::NotMember => "The single tenant id must be one of the ids in the membership list (organization_ids).",
        Failure::Ambiguous => "The membership list names several tenants: name the active one with the x-org-id request header or SET LOCAL tenant_guard.active_org, or put a single organization_id claim in the token.",
        Failure::ActiveNotMember => "The active organization (tenant_guard.active_org, the x-org-id header) must be one of the organizations the token lists. SELECT * FROM identity.explain_claims() shows both.",
        Failure::Untrusted => "Claims were found only in settings that are not trusted here (tenant_guard.require_verified, tenant_guard.trusted_session_users, tenant_guard.require_transaction_scope). Call tenant_guard.authenticate(<token>) in the transaction, or use SET LOCAL. SELECT * FROM identity.explain_claims() says why each was set aside.",
    };
    ErrorReport::new(
        PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        format!("no tenant for this request: {}", failure.describe()),
        "require_org_id",
    )
    .set_detail(res.detail())
    .set_hint(hint)
}
