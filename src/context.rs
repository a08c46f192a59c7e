//! The resolved request context, cached per backend and recomputed only when
//! a watched setting changed (see `gucs.rs`) or, for settings we could not
//! hook, when their text differs from what was resolved last time.

use crate::gucs;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering::Relaxed};
use tenant_guard_core::claims::{self, Config, IdKind, Inputs, Json, Resolution};

pub struct State {
    generation: u64,
    /// Positions in `names` of settings without our assign hook: their text is
    /// compared on each call (hooked ones only change with the generation).
    polled: Vec<usize>,
    config: Config,
    names: Vec<String>,
    raw: Vec<Option<String>>,
    pub inputs: Inputs,
    pub org: Resolution,
    pub org_uuid: Option<[u8; 16]>,
    pub org_ids: Option<Vec<[u8; 16]>>,
    key: Option<Resolution>,
    /// The user id and role, worked out on first use (a policy may call
    /// `get_current_user_id()` once per row).
    user: Option<Option<String>>,
    role: Option<Option<String>>,
}

/// The resolver's inputs: the settings' values, which of them are left over
/// from a session-level SET, and the login role when the trust rules need it.
fn inputs(config: &Config, names: &[String], raw: &[Option<String>]) -> Inputs {
    let mut inputs = Inputs::new();
    for (name, value) in names.iter().zip(raw) {
        if let Some(v) = value {
            inputs.set(name, v.clone());
            if crate::scope::is_session_scoped(name) {
                inputs.mark_session_scoped(name);
            }
        }
    }
    if !config.trusted_session_users.is_empty() {
        if let Some(user) = gucs::session_user() {
            inputs.set_session_user(&user);
        }
    }
    inputs
}

impl State {
    fn new(
        config: Config,
        names: Vec<String>,
        raw: Vec<Option<String>>,
        inputs: Inputs,
        generation: u64,
    ) -> Self {
        let org = claims::resolve(&config, &inputs, IdKind::Uuid);
        let org_uuid = org.tenant_uuid();
        let org_ids = org.tenant_ids.as_ref().map(|ids| {
            ids.iter()
                .filter_map(|id| claims::uuid::parse(id))
                .collect()
        });
        let polled = (0..names.len())
            .filter(|&i| !gucs::is_hooked(&names[i]))
            .collect();
        State {
            generation,
            polled,
            config,
            names,
            raw,
            inputs,
            org,
            org_uuid,
            org_ids,
            key: None,
            user: None,
            role: None,
        }
    }

    /// Resolution in key mode (no UUID check), computed on first use.
    pub fn key(&mut self) -> &Resolution {
        let (config, inputs) = (&self.config, &self.inputs);
        self.key
            .get_or_insert_with(|| claims::resolve(config, inputs, IdKind::Key))
    }

    pub fn user_id(&mut self) -> Option<[u8; 16]> {
        claims::uuid::parse(self.user_key().as_deref()?)
    }

    pub fn user_key(&mut self) -> Option<String> {
        let (config, inputs) = (&self.config, &self.inputs);
        self.user
            .get_or_insert_with(|| claims::user_key(config, inputs))
            .clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The resolution in the provider's id kind: key mode (what
    /// `get_current_org_key()` resolves) for providers with text ids, else
    /// what `get_current_org_id()` resolves.
    pub fn org_for_provider(&mut self) -> Resolution {
        match self.config.preset().org_kind {
            IdKind::Key => self.key().clone(),
            IdKind::Uuid => self.org.clone(),
        }
    }

    pub fn role(&mut self) -> Option<String> {
        let (config, inputs) = (&self.config, &self.inputs);
        self.role
            .get_or_insert_with(|| claims::role(config, inputs))
            .clone()
    }

    /// Where the claims come from: `(status, note)`, see `trust::summary`.
    pub fn trust(&self) -> (&'static str, String) {
        claims::trust::summary(&self.config, &self.inputs)
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
// FAST_PTR points at an interned, never-freed copy of the tenant id (null: no
// tenant), so the datum can be returned by reference without a palloc.
static FAST_GEN: AtomicU64 = AtomicU64::new(0);
static FAST_PTR: AtomicPtr<[u8; 16]> = AtomicPtr::new(std::ptr::null_mut());

/// Distinct tenant ids interned per backend before falling back to the slow
/// path (about 2 MB): far more tenants than one connection serves.
const INTERN_LIMIT: usize = 65_536;

thread_local! {
    static INTERNED: RefCell<HashMap<[u8; 16], &'static [u8; 16]>> = RefCell::new(HashMap::new());
}

/// A stable address for `bytes`, valid (and unchanged) for the life of the
/// backend, so PostgreSQL may keep the datum as long as it likes.
fn intern(bytes: [u8; 16]) -> Option<&'static [u8; 16]> {
    INTERNED.with(|m| {
        let mut m = m.borrow_mut();
        if let Some(p) = m.get(&bytes) {
            return Some(*p);
        }
        if m.len() >= INTERN_LIMIT {
            return None;
        }
        let p: &'static [u8; 16] = Box::leak(Box::new(bytes));
        m.insert(bytes, p);
        Some(p)
    })
}

/// Runs `f` over the current, fresh state.
pub fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    CACHE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let generation = gucs::generation();
        let fresh = match slot.as_ref() {
            Some(s) if s.generation == generation => s
                .polled
                .iter()
                .all(|&i| s.raw[i] == gucs::read_setting(&s.names[i])),
            _ => false,
        };
        if !fresh {
            let config = gucs::current_config();
            let names = config.settings_read();
            let raw = read_all(&names);
            let inputs = inputs(&config, &names, &raw);
            match slot.as_mut() {
                // Same inputs as last time (e.g. the same claims set again): keep the result.
                Some(s) if s.config == config && s.inputs == inputs => {
                    s.generation = generation;
                    s.raw = raw;
                }
                _ => *slot = Some(State::new(config, names, raw, inputs, generation)),
            }
        }
        let state = slot.as_mut().expect("state was just filled");
        let fast = match state.org_uuid {
            None => Some(std::ptr::null_mut()),
            Some(bytes) => intern(bytes).map(|p| p as *const [u8; 16] as *mut [u8; 16]),
        };
        match fast {
            Some(ptr) if state.polled.is_empty() => {
                FAST_PTR.store(ptr, Relaxed);
                FAST_GEN.store(generation, Relaxed);
            }
            _ => FAST_GEN.store(0, Relaxed),
        }
        f(state)
    })
}

/// What the hot path knows without resolving.
pub enum Fast {
    /// The settings changed: call [`org_uuid`].
    Stale,
    /// No tenant.
    Null,
    /// The tenant id, at an address valid for the life of the backend.
    Tenant(*const [u8; 16]),
}

/// The hot path for `get_current_org_id()`: two plain loads, nothing that can fail.
#[inline]
pub fn fast_org() -> Fast {
    if FAST_GEN.load(Relaxed) != gucs::generation() {
        return Fast::Stale;
    }
    let ptr = FAST_PTR.load(Relaxed);
    if ptr.is_null() {
        Fast::Null
    } else {
        Fast::Tenant(ptr)
    }
}

/// The tenant, resolving again if needed.
pub fn org_uuid() -> Option<[u8; 16]> {
    with(|s| s.org_uuid)
}
