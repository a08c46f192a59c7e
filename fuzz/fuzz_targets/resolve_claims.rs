//! Claim resolution on arbitrary setting values: never panics; a resolved
//! tenant is canonical (a lower-case hyphenated UUID for `IdKind::Uuid`), and
//! when both succeed, the UUID answer is the key answer read as a UUID. The
//! first byte picks the provider preset; a fourth part names the active
//! organization, which may only pick one of the token's: a resolved tenant
//! is then that organization, and is never resolved from the selector alone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_guard_core::claims::provider::PROVIDERS;
use tenant_guard_core::claims::{resolve, uuid, Config, IdKind, Inputs};

fuzz_target!(|data: &[u8]| {
    // provider byte, then: claims \0 worker tenant setting \0 legacy org claim \0 active org
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(4, '\0');
    let mut inputs = Inputs::new();
    inputs.set("request.jwt.claims", parts.next().unwrap_or(""));
    inputs.set("app.tenant_id", parts.next().unwrap_or(""));
    inputs.set("request.jwt.claim.org_id", parts.next().unwrap_or(""));
    let active = parts.next().unwrap_or("").to_owned();
    inputs.set("tenant_guard.active_org", active.clone());
    let config = Config {
        provider: PROVIDERS[usize::from(first) % PROVIDERS.len()],
        ..Config::default()
    };
    let by_uuid = resolve(&config, &inputs, IdKind::Uuid);
    let by_key = resolve(&config, &inputs, IdKind::Key);
    if !active.is_empty() {
        // Without the selector the answer is the same or a failure: the
        // selector narrows, it never adds an organization.
        let mut plain = inputs.clone();
        plain.set("tenant_guard.active_org", "");
        let without = resolve(&config, &plain, IdKind::Key);
        if let Ok(k) = &by_key.tenant {
            let listed = without.tenant.as_ref().ok() == Some(k)
                || without.tenant_ids.as_ref().is_some_and(|l| l.contains(k));
            assert!(listed, "the selector picked {k}, which the token does not name");
        }
    }
    if let Ok(t) = &by_uuid.tenant {
        let parsed = uuid::parse(t).expect("a resolved UUID parses");
        assert_eq!(&uuid::format(&parsed), t, "resolved UUID is canonical");
        assert!(by_uuid.tenant_ids.is_some(), "a resolved tenant has a list");
    }
    if let (Ok(u), Ok(k)) = (&by_uuid.tenant, &by_key.tenant) {
        assert_eq!(uuid::normalize(k).as_deref(), Some(u.as_str()));
    }
});
