//! Pure-Rust core of tenant_guard. Nothing here links PostgreSQL: the extension
//! moves setting values in and results out, and every decision is made (and
//! unit-tested) here.

pub mod audit;
pub mod claims;
pub mod explain;
pub mod jwt;
pub mod probe;
pub mod remediate;
