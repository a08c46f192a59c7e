//! The resolved request context, cached per backend and recomputed only when
//! a watched setting changed (see `gucs.rs`) or, for settings we could not
//! hook, when their text differs from what was resolved last time.

use crate::gucs;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use tenant_guard_core::claims::{self, Config, IdKind, Inputs, Json, Resolution};

pub struct State {
    generation: u64,
    /// Every setting read is hooked: the generation alone proves freshness.
    all_hooked: bool,
    config: Config,
    names: Vec<String>,
    raw: Vec<Option<String>>,
    pub inputs: Inputs,
    pub org: Resolution,
    pub org_uuid: Option<[u8; 16]>,
    pub org_ids: Option<Vec<[u8; 16]>>,
    key: Option<Resolution>,
}

impl State {
    fn new(config: Config, names: Vec<String>, raw: Vec<Option<String>>, generation: u64) -> Self {
        let mut inputs = Inputs::new();
        for (name, value) in names.iter().zip(&raw) {
            if let Some(v) = value {
                inputs.set(name, v.clone());
            }
        }
        let org = claims::resolve(&config, &inputs, IdKind::Uuid);
        let org_uuid = org.tenant_uuid();
        let org_ids = org.tenant_ids.as_ref().map(|ids| {
            ids.iter()
                .filter_map(|id| claims::uuid::parse(id))
                .collect()
        });
        let all_hooked = names.iter().all(|n| gucs::is_hooked(n));
        State {
            generation,
            all_hooked,
            config,
            names,
            raw,
            inputs,
            org,
            org_uuid,
            org_ids,
            key: None,
        }
    }

    /// Resolution in key mode (no UUID check), computed on first use.
    pub fn key(&mut self) -> &Resolution {
        let (config, inputs) = (&self.config, &self.inputs);
        self.key
            .get_or_insert_with(|| claims::resolve(config, inputs, IdKind::Key))
    }

    pub fn user_id(&self) -> Option<[u8; 16]> {
        claims::user_id(&self.config, &self.inputs)
    }

    pub fn role(&self) -> Option<String> {
        claims::role(&self.config, &self.inputs)
    }

    pub fn claims(&self) -> Option<Json> {
        claims::current_claims(&self.config, &self.inputs)
    }
}

thread_local! {
    static CACHE: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn read_all(names: &[String]) -> Vec<Option<String>> {
    names.iter().map(|n| gucs::read_setting(n)).collect()
}

// The hot path's copy of the answer: plain loads, no RefCell, no allocation.
// Valid while FAST_GEN equals the settings generation; only filled when every
// setting read is hooked (otherwise the text must be compared on each call).
static FAST_GEN: AtomicU64 = AtomicU64::new(0);
static FAST_SOME: AtomicBool = AtomicBool::new(false);
static FAST_HI: AtomicU64 = AtomicU64::new(0);
static FAST_LO: AtomicU64 = AtomicU64::new(0);

/// Runs `f` over the current, fresh state.
pub fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    CACHE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let generation = gucs::generation();
        let fresh = match slot.as_ref() {
            Some(s) if s.generation == generation => s.all_hooked || s.raw == read_all(&s.names),
            _ => false,
        };
        if !fresh {
            let config = gucs::current_config();
            let names = config.settings_read();
            let raw = read_all(&names);
            match slot.as_mut() {
                // Same text as last time (e.g. the same claims set again): keep the result.
                Some(s) if s.config == config && s.raw == raw => s.generation = generation,
                _ => *slot = Some(State::new(config, names, raw, generation)),
            }
        }
        let state = slot.as_mut().expect("state was just filled");
        if state.all_hooked {
            let bytes = state.org_uuid.unwrap_or_default();
            FAST_SOME.store(state.org_uuid.is_some(), Relaxed);
            FAST_HI.store(u64::from_be_bytes(bytes[..8].try_into().unwrap()), Relaxed);
            FAST_LO.store(u64::from_be_bytes(bytes[8..].try_into().unwrap()), Relaxed);
            FAST_GEN.store(generation, Relaxed);
        } else {
            FAST_GEN.store(0, Relaxed);
        }
        f(state)
    })
}

/// The hot path for `get_current_org_id()`: `Some(answer)` when the cached
/// answer is fresh (plain loads, nothing that can fail), `None` when the
/// settings changed and [`org_uuid`] must resolve again.
#[inline]
pub fn fresh_org_uuid() -> Option<Option<[u8; 16]>> {
    if FAST_GEN.load(Relaxed) != gucs::generation() {
        return None;
    }
    if !FAST_SOME.load(Relaxed) {
        return Some(None);
    }
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&FAST_HI.load(Relaxed).to_be_bytes());
    bytes[8..].copy_from_slice(&FAST_LO.load(Relaxed).to_be_bytes());
    Some(Some(bytes))
}

/// The tenant, resolving again if needed.
pub fn org_uuid() -> Option<[u8; 16]> {
    fresh_org_uuid().unwrap_or_else(|| with(|s| s.org_uuid))
}
