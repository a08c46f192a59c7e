//! Claim sources -> one tenant id or NULL, with the trail `explain_claims()` shows.

pub mod config;
pub mod json;
mod resolve;
pub mod token_hook;
pub mod trust;
pub mod uuid;

pub use config::{parse_claim_keys, validate_setting_name, Config};
pub use json::Json;
pub use resolve::{
    claims_document, current_claims, legacy_document, resolve, role, user_id, Failure, IdKind,
    Inputs, Resolution, Status, Step,
};
