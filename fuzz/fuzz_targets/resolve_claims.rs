//! Claim resolution on arbitrary setting values: never panics; a resolved
//! tenant is canonical (a lower-case hyphenated UUID for `IdKind::Uuid`), and
//! when both succeed, the UUID answer is the key answer read as a UUID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_guard_core::claims::{resolve, uuid, Config, IdKind, Inputs};

fuzz_target!(|data: &[u8]| {
    // claims \0 worker tenant setting \0 legacy org claim
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let mut inputs = Inputs::new();
    inputs.set("request.jwt.claims", parts.next().unwrap_or(""));
    inputs.set("app.tenant_id", parts.next().unwrap_or(""));
    inputs.set("request.jwt.claim.org_id", parts.next().unwrap_or(""));
    let config = Config::default();
    let by_uuid = resolve(&config, &inputs, IdKind::Uuid);
    let by_key = resolve(&config, &inputs, IdKind::Key);
    if let Ok(t) = &by_uuid.tenant {
        let parsed = uuid::parse(t).expect("a resolved UUID parses");
        assert_eq!(&uuid::format(&parsed), t, "resolved UUID is canonical");
        assert!(by_uuid.tenant_ids.is_some(), "a resolved tenant has a list");
    }
    if let (Ok(u), Ok(k)) = (&by_uuid.tenant, &by_key.tenant) {
        assert_eq!(uuid::normalize(k).as_deref(), Some(u.as_str()));
    }
});
