//! Claim sources -> one tenant id or NULL, with the trail `explain_claims()` shows.

pub mod config;
pub mod json;
pub mod path;
pub mod provider;
mod resolve;
pub mod token_hook;
pub mod trust;
pub mod uuid;

pub use config::{parse_claim_keys, validate_setting_name, Config};
pub use json::Json;
pub use path::{parse_claim_paths, ClaimPath};
pub use provider::{Preset, Provider};
pub use resolve::{
    claims_document, current_claims, legacy_document, resolve, role, user_id, user_key, Failure,
    IdKind, Inputs, Resolution, Status, Step,
};
