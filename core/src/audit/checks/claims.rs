//! (family under construction)

use crate::audit::finding::{Check, Finding};
use crate::audit::model::Ctx;

pub const CHECKS: &[&Check] = &[];

pub fn run(_ctx: &Ctx, _out: &mut Vec<Finding>) {}
