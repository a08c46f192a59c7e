//! Table-driven claim shapes for the tenant resolver: one row per token shape,
//! each naming its inputs (settings name -> text), config, id kind and the exact
//! outcome, membership list and trail statuses it must produce.
//!
//! Values are written with `$A`, `$B`, `$C` standing for three canonical UUIDs.

use tenant_guard_core::claims::{
    current_claims, parse_claim_keys, resolve, role, user_id, uuid, Config, Failure, IdKind,
    Inputs, Status,
};

const A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
const B: &str = "5b9e3c4d-1f2a-4b6c-8d7e-9f0a1b2c3d4e";
const C: &str = "c3d2e1f0-a9b8-4c7d-9e6f-5a4b3c2d1e0f";

/// Trail sources.
const CLAIMS: &str = "request.jwt.claims";
const LEGACY: &str = "request.jwt.claim.*";
const TENANT: &str = "app.tenant_id";

fn fill(text: &str) -> String {
    text.replace("$A", A).replace("$B", B).replace("$C", C)
}

// ---------------------------------------------------------------------------
// Case builder
// ---------------------------------------------------------------------------

struct Case {
    name: &'static str,
    inputs: Vec<(String, String)>,
    claim_keys: Option<&'static str>,
    trust_user_metadata: bool,
    kind: IdKind,
    expect: Option<Result<String, Failure>>,
    /// `None`: derived (`[id]` when Ok, nothing on failure); `Some`: exact.
    tenant_ids: Option<Option<Vec<String>>>,
    /// Every trail step at (source, path) must have exactly these statuses, in order.
    steps: Vec<(&'static str, &'static str, Vec<Status>)>,
    /// The (single) step at (source, path) must show exactly this raw text.
    raws: Vec<(&'static str, &'static str, String)>,
}

fn case(name: &'static str) -> Case {
    Case {
        name,
        inputs: Vec::new(),
        claim_keys: None,
        trust_user_metadata: false,
        kind: IdKind::Uuid,
        expect: None,
        tenant_ids: None,
        steps: Vec::new(),
        raws: Vec::new(),
    }
}

impl Case {
    fn input(mut self, name: &str, value: impl AsRef<str>) -> Self {
        assert!(
            self.inputs.iter().all(|(n, _)| n != name),
            "{}: {name} set twice",
            self.name
        );
        self.inputs.push((name.to_owned(), fill(value.as_ref())));
        self
    }
    /// `request.jwt.claims` (PostgREST 12+).
    fn claims(self, json: impl AsRef<str>) -> Self {
        self.input(CLAIMS, json)
    }
    /// `request.jwt.claim.<name>` (PostgREST 9-11).
    fn legacy(self, claim: &str, value: impl AsRef<str>) -> Self {
        self.input(&format!("request.jwt.claim.{claim}"), value)
    }
    /// `app.tenant_id`.
    fn setting(self, value: impl AsRef<str>) -> Self {
        self.input(TENANT, value)
    }
    fn keys(mut self, keys: &'static str) -> Self {
        self.claim_keys = Some(keys);
        self
    }
    fn trust(mut self) -> Self {
        self.trust_user_metadata = true;
        self
    }
    fn key_kind(mut self) -> Self {
        self.kind = IdKind::Key;
        self
    }
    fn ok(mut self, id: &str) -> Self {
        self.expect = Some(Ok(fill(id)));
        self
    }
    fn err(mut self, failure: Failure) -> Self {
        self.expect = Some(Err(failure));
        self
    }
    fn ids(mut self, ids: &[&str]) -> Self {
        self.tenant_ids = Some(Some(ids.iter().map(|i| fill(i)).collect()));
        self
    }
    fn step(self, source: &'static str, path: &'static str, status: Status) -> Self {
        self.steps(source, path, &[status])
    }
    fn steps(mut self, source: &'static str, path: &'static str, statuses: &[Status]) -> Self {
        self.steps.push((source, path, statuses.to_vec()));
        self
    }
    fn raw(mut self, source: &'static str, path: &'static str, raw: String) -> Self {
        self.raws.push((source, path, raw));
        self
    }

    /// Runs the case; returns every mismatch (empty when the case passes).
    fn check(&self) -> Vec<String> {
        let mut config = Config::default();
        if let Some(keys) = self.claim_keys {
            config.claim_keys = parse_claim_keys(keys).expect("test claim keys are valid");
        }
        config.trust_user_metadata = self.trust_user_metadata;
        let mut inputs = Inputs::new();
        for (name, value) in &self.inputs {
            inputs.set(name, value.clone());
        }
        let r = resolve(&config, &inputs, self.kind);
        let mut bad = Vec::new();

        let expect = self.expect.as_ref().expect("every case states its outcome");
        if &r.tenant != expect {
            bad.push(format!("tenant: got {:?}, want {expect:?}", r.tenant));
        }
        let want_ids = match (&self.tenant_ids, expect) {
            (Some(ids), _) => ids.clone(),
            (None, Ok(id)) => Some(vec![id.clone()]),
            (None, Err(_)) => None,
        };
        if r.tenant_ids != want_ids {
            bad.push(format!(
                "tenant_ids: got {:?}, want {want_ids:?}",
                r.tenant_ids
            ));
        }
        let want_uuid = match (expect, self.kind) {
            (Ok(id), IdKind::Uuid) => uuid::parse(id),
            _ => None,
        };
        if r.tenant_uuid() != want_uuid {
            bad.push(format!("tenant_uuid: got {:?}", r.tenant_uuid()));
        }
        for (source, path, want) in &self.steps {
            let got: Vec<Status> = r
                .trail
                .iter()
                .filter(|s| s.source == *source && s.path == *path)
                .map(|s| s.status)
                .collect();
            if &got != want {
                bad.push(format!(
                    "step {source} -> {path}: got {got:?}, want {want:?}"
                ));
            }
        }
        for (source, path, want) in &self.raws {
            let got: Vec<Option<&str>> = r
                .trail
                .iter()
                .filter(|s| s.source == *source && s.path == *path)
                .map(|s| s.raw.as_deref())
                .collect();
            if got != [Some(want.as_str())] {
                bad.push(format!(
                    "raw {source} -> {path}: got {got:?}, want {want:?}"
                ));
            }
        }
        // The DETAIL names every source, whatever happened.
        let detail = r.detail();
        for source in [CLAIMS, LEGACY, TENANT] {
            if !detail.contains(source) {
                bad.push(format!("detail does not mention {source}"));
            }
        }
        if !bad.is_empty() {
            bad.push(format!("trail:\n{detail}"));
        }
        bad
    }
}

/// A JSON string literal holding `text`, as the trail shows it before truncation.
fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

/// `depth` nested arrays.
fn nested(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

fn cases() -> Vec<Case> {
    use Failure as F;
    use Status as S;
    let long_x = "x".repeat(10_000);
    let long_e = "\u{e9}".repeat(5_000); // 2 bytes each
    let deep = nested(100_000);
    let megabyte = format!(
        r#"{{"padding":"{}","groups":[{}],"app_metadata":{{"organization_id":"$A"}}}}"#,
        "p".repeat(1 << 20),
        vec![r#"{"k":"v"}"#; 10_000].join(",")
    );
    assert!(megabyte.len() > 1 << 20);

    vec![
        // --- absence -------------------------------------------------------
        case("nothing set")
            .err(F::Absent)
            .step(CLAIMS, "", S::Absent)
            .step(LEGACY, "", S::Absent)
            .step(TENANT, "", S::Absent),
        case("every setting an empty string (after the transaction)")
            .claims("")
            .legacy("org_id", "")
            .legacy("app_metadata", "")
            .setting("")
            .err(F::Absent)
            .step(CLAIMS, "", S::Absent)
            .step(LEGACY, "", S::Absent)
            .step(TENANT, "", S::Absent),
        case("claims are JSON null")
            .claims("null")
            .err(F::Absent)
            .step(CLAIMS, "", S::Absent),
        case("empty claims object")
            .claims("{}")
            .err(F::Absent)
            .step(CLAIMS, "organization_id", S::Absent)
            .step(CLAIMS, "app_metadata.tenant_ids", S::Absent),
        case("anonymous PostgREST token: only role")
            .claims(r#"{"role":"anon"}"#)
            .err(F::Absent),
        case("tenant keys holding null and empty string")
            .claims(r#"{"organization_id":null,"app_metadata":{"org_id":""},"tenant_ids":null}"#)
            .err(F::Absent)
            .step(CLAIMS, "organization_id", S::Absent)
            .step(CLAIMS, "app_metadata.org_id", S::Absent)
            .step(CLAIMS, "tenant_ids", S::Absent),
        // --- the seed incidents ---------------------------------------------
        case("seed 001: app_metadata.tenant_id")
            .claims(r#"{"sub":"$B","role":"authenticated","app_metadata":{"tenant_id":"$A"}}"#)
            .ok("$A")
            .step(CLAIMS, "app_metadata.tenant_id", S::Used)
            .step(CLAIMS, "tenant_id", S::Absent),
        case("seed 002: top-level organization_id")
            .claims(r#"{"role":"authenticated","organization_id":"$A"}"#)
            .ok("$A")
            .step(CLAIMS, "organization_id", S::Used),
        case("seed 002: only user_metadata.organization_id, untrusted by default")
            .claims(r#"{"user_metadata":{"organization_id":"$A"}}"#)
            .err(F::Absent)
            .step(CLAIMS, "user_metadata.organization_id", S::Untrusted),
        case("seed 002: only user_metadata.organization_id, trusted")
            .claims(r#"{"user_metadata":{"organization_id":"$A"}}"#)
            .trust()
            .ok("$A")
            .step(CLAIMS, "user_metadata.organization_id", S::Used),
        case("seed 002: user edited user_metadata to another tenant, untrusted")
            .claims(r#"{"organization_id":"$A","user_metadata":{"organization_id":"$B"}}"#)
            .ok("$A")
            .step(CLAIMS, "organization_id", S::Used)
            .step(CLAIMS, "user_metadata.organization_id", S::Untrusted),
        case("seed 002: user_metadata disagrees, trusted")
            .claims(r#"{"organization_id":"$A","user_metadata":{"organization_id":"$B"}}"#)
            .trust()
            .err(F::Conflict)
            .step(CLAIMS, "organization_id", S::Conflict)
            .step(CLAIMS, "user_metadata.organization_id", S::Conflict),
        case("seed 000: org_id and organization_id agree")
            .claims(r#"{"organization_id":"$A","app_metadata":{"org_id":"$A"}}"#)
            .ok("$A")
            .step(CLAIMS, "organization_id", S::Used)
            .step(CLAIMS, "app_metadata.org_id", S::Used),
        case("seed 000: org_id and organization_id disagree")
            .claims(r#"{"organization_id":"$A","app_metadata":{"org_id":"$B"}}"#)
            .err(F::Conflict)
            .step(CLAIMS, "organization_id", S::Conflict)
            .step(CLAIMS, "app_metadata.org_id", S::Conflict),
        case("full Supabase access token")
            .claims(
                r#"{"aud":"authenticated","exp":1767225600,"iat":1767222000,"sub":"$B",
                "email":"a@example.com","phone":"","role":"authenticated","aal":"aal1",
                "app_metadata":{"provider":"email","providers":["email"],"organization_id":"$A"},
                "user_metadata":{"organization_id":"$C","full_name":"A"},"is_anonymous":false}"#,
            )
            .ok("$A")
            .step(CLAIMS, "app_metadata.organization_id", S::Used)
            .step(CLAIMS, "user_metadata.organization_id", S::Untrusted),
        // --- other sources --------------------------------------------------
        case("legacy scalar claim org_id")
            .legacy("org_id", "$A")
            .ok("$A")
            .step(CLAIMS, "", S::Absent)
            .step(LEGACY, "org_id", S::Used),
        case("legacy app_metadata arrives as JSON text")
            .legacy("app_metadata", r#"{"organization_id":"$A"}"#)
            .legacy("role", "authenticated")
            .ok("$A")
            .step(LEGACY, "app_metadata.organization_id", S::Used),
        case("backend worker: app.tenant_id only")
            .setting("$A")
            .ok("$A")
            .step(TENANT, "", S::Used),
        case("all three sources agree")
            .claims(r#"{"app_metadata":{"tenant_id":"$A"}}"#)
            .legacy("tenant_id", "$A")
            .setting("$A")
            .ok("$A")
            .step(CLAIMS, "app_metadata.tenant_id", S::Used)
            .step(LEGACY, "tenant_id", S::Used)
            .step(TENANT, "", S::Used),
        case("claims and app.tenant_id disagree")
            .claims(r#"{"organization_id":"$A"}"#)
            .setting("$B")
            .err(F::Conflict)
            .step(CLAIMS, "organization_id", S::Conflict)
            .step(TENANT, "", S::Conflict),
        case("claims and legacy settings disagree")
            .claims(r#"{"org_id":"$A"}"#)
            .legacy("org_id", "$B")
            .err(F::Conflict)
            .step(CLAIMS, "org_id", S::Conflict)
            .step(LEGACY, "org_id", S::Conflict),
        case("custom claim_keys: default keys are not read")
            .claims(r#"{"org":"$A","organization_id":"$B","app_metadata":{"org_id":"$C"}}"#)
            .legacy("organization_id", "$C")
            .keys("org")
            .ok("$A")
            .step(CLAIMS, "org", S::Used)
            .steps(CLAIMS, "organization_id", &[])
            .steps(LEGACY, "organization_id", &[]),
        case("custom claim_keys: legacy scalar and list")
            .legacy("workspace_id", "$B")
            .legacy("workspace_ids", r#"["$A","$B"]"#)
            .keys("workspace_id")
            .ok("$B")
            .ids(&["$A", "$B"])
            .step(LEGACY, "workspace_id", S::Used)
            .step(LEGACY, "workspace_ids", S::Used),
        // --- UUID spellings -------------------------------------------------
        case("upper-case UUID is normalized")
            .claims(r#"{"organization_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}"#)
            .ok("$A"),
        case("braced UUID")
            .claims(r#"{"org_id":"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"}"#)
            .ok("$A"),
        case("UUID without hyphens")
            .setting("a0eebc999c0b4ef8bb6d6bb9bd380a11")
            .ok("$A"),
        case("UUID with a hyphen after every group of four")
            .legacy("tenant_id", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11")
            .ok("$A"),
        case("braces, mixed case and irregular hyphens")
            .claims(r#"{"tenant_id":"{A0eebc99-9C0B4ef8-bb6d6BB9-bd380a11}"}"#)
            .ok("$A"),
        case("same UUID in four spellings across sources is not a conflict")
            .claims(r#"{"organization_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11","app_metadata":{"org_id":"$A"}}"#)
            .legacy("org_id", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")
            .setting("a0eebc999c0b4ef8bb6d6bb9bd380a11")
            .ok("$A")
            .step(CLAIMS, "organization_id", S::Used)
            .step(CLAIMS, "app_metadata.org_id", S::Used)
            .step(LEGACY, "org_id", S::Used)
            .step(TENANT, "", S::Used),
        case("UUID with surrounding white space is invalid")
            .claims(r#"{"organization_id":" a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}"#)
            .err(F::Invalid)
            .step(CLAIMS, "organization_id", S::Invalid),
        case("UUID with a closing brace only is invalid")
            .setting("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")
            .err(F::Invalid)
            .step(TENANT, "", S::Invalid),
        case("UUID with a hyphen inside a group of four is invalid")
            .claims(r#"{"org_id":"a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11"}"#)
            .err(F::Invalid),
        // --- invalid values fail closed ------------------------------------
        case("tenant key holding a number")
            .claims(r#"{"organization_id":42}"#)
            .err(F::Invalid)
            .step(CLAIMS, "organization_id", S::Invalid),
        case("tenant key holding an object")
            .claims(r#"{"app_metadata":{"org_id":{"id":"$A"}}}"#)
            .err(F::Invalid)
            .step(CLAIMS, "app_metadata.org_id", S::Invalid),
        case("single tenant key holding an array")
            .claims(r#"{"tenant_id":["$A"]}"#)
            .err(F::Invalid)
            .step(CLAIMS, "tenant_id", S::Invalid),
        case("tenant key holding a boolean")
            .claims(r#"{"org_id":true}"#)
            .err(F::Invalid),
        case("an invalid value wins over a valid one elsewhere")
            .claims(r#"{"organization_id":"$A","app_metadata":{"org_id":"not-a-uuid"}}"#)
            .err(F::Invalid)
            .step(CLAIMS, "organization_id", S::Unused)
            .step(CLAIMS, "app_metadata.org_id", S::Invalid),
        case("invalid app.tenant_id beside valid claims")
            .claims(r#"{"organization_id":"$A"}"#)
            .setting("tenant-42")
            .err(F::Invalid)
            .step(CLAIMS, "organization_id", S::Unused)
            .step(TENANT, "", S::Invalid),
        case("invalid legacy scalar")
            .legacy("organization_id", "null")
            .err(F::Invalid)
            .step(LEGACY, "organization_id", S::Invalid),
        case("untrusted user_metadata holding garbage is ignored")
            .claims(r#"{"app_metadata":{"org_id":"$A"},"user_metadata":{"org_id":42}}"#)
            .ok("$A")
            .step(CLAIMS, "user_metadata.org_id", S::Untrusted),
        case("trusted user_metadata holding garbage fails closed")
            .claims(r#"{"app_metadata":{"org_id":"$A"},"user_metadata":{"org_id":42}}"#)
            .trust()
            .err(F::Invalid)
            .step(CLAIMS, "app_metadata.org_id", S::Unused)
            .step(CLAIMS, "user_metadata.org_id", S::Invalid),
        case("a provider id where a UUID is required")
            .claims(r#"{"org_id":"org_2abc"}"#)
            .err(F::Invalid),
        // --- malformed claims fail closed -----------------------------------
        case("claims are not JSON")
            .claims(r#"{"organization_id":"$A""#)
            .err(F::Malformed)
            .step(CLAIMS, "", S::Malformed),
        case("claims followed by trailing text")
            .claims(r#"{"organization_id":"$A"} x"#)
            .err(F::Malformed),
        case("claims are an array")
            .claims(r#"[{"organization_id":"$A"}]"#)
            .err(F::Malformed)
            .step(CLAIMS, "", S::Malformed),
        case("claims are a JSON string")
            .claims(r#""$A""#)
            .err(F::Malformed),
        case("claims are a number")
            .claims("42")
            .err(F::Malformed),
        case("malformed claims beside a valid app.tenant_id")
            .claims("{")
            .setting("$A")
            .err(F::Malformed)
            .step(CLAIMS, "", S::Malformed)
            .step(TENANT, "", S::Unused),
        case("legacy app_metadata that is not JSON")
            .legacy("app_metadata", "{organization_id: $A}")
            .legacy("org_id", "$A")
            .err(F::Malformed)
            .step("request.jwt.claim.app_metadata", "", S::Malformed)
            .step(LEGACY, "org_id", S::Unused),
        case("legacy list that is plain text, not a JSON array")
            .legacy("org_ids", "$A")
            .err(F::Malformed)
            .step("request.jwt.claim.org_ids", "", S::Malformed)
            .step(LEGACY, "", S::Absent),
        // --- containers of the wrong type are ignored ------------------------
        case("app_metadata is a string")
            .claims(r#"{"app_metadata":"$B","organization_id":"$A"}"#)
            .ok("$A")
            .step(CLAIMS, "app_metadata", S::Ignored)
            .step(CLAIMS, "organization_id", S::Used),
        case("app_metadata is an array holding the tenant")
            .claims(r#"{"app_metadata":[{"organization_id":"$A"}]}"#)
            .err(F::Absent)
            .step(CLAIMS, "app_metadata", S::Ignored)
            .step(CLAIMS, "app_metadata.organization_id", S::Absent),
        case("app_metadata is null")
            .claims(r#"{"app_metadata":null,"tenant_id":"$A"}"#)
            .ok("$A")
            .steps(CLAIMS, "app_metadata", &[]),
        case("legacy app_metadata is a JSON array")
            .legacy("app_metadata", "[1,2]")
            .legacy("org_id", "$A")
            .ok("$A")
            .step(LEGACY, "app_metadata", S::Ignored)
            .step(LEGACY, "org_id", S::Used),
        // --- membership lists ---------------------------------------------
        case("single id in the membership list")
            .claims(r#"{"organization_id":"$A","organization_ids":["$B","$A"]}"#)
            .ok("$A")
            .ids(&["$B", "$A"])
            .step(CLAIMS, "organization_id", S::Used)
            .step(CLAIMS, "organization_ids", S::Used),
        case("single id not in the membership list")
            .claims(r#"{"organization_id":"$C","app_metadata":{"organization_ids":["$A","$B"]}}"#)
            .err(F::NotMember)
            .step(CLAIMS, "organization_id", S::NotMember)
            .step(CLAIMS, "app_metadata.organization_ids", S::Unused),
        case("one-element list, no single id")
            .claims(r#"{"app_metadata":{"org_ids":["$A"]}}"#)
            .ok("$A")
            .step(CLAIMS, "app_metadata.org_ids", S::Used),
        case("several ids, no single id: ambiguous")
            .claims(r#"{"app_metadata":{"tenant_ids":["$A","$B"]}}"#)
            .err(F::Ambiguous)
            .ids(&["$A", "$B"])
            .step(CLAIMS, "app_metadata.tenant_ids", S::Used),
        case("lists differ between locations")
            .claims(r#"{"organization_id":"$A","organization_ids":["$A"],"app_metadata":{"organization_ids":["$A","$B"]}}"#)
            .err(F::Conflict)
            .step(CLAIMS, "organization_ids", S::Conflict)
            .step(CLAIMS, "app_metadata.organization_ids", S::Conflict)
            .step(CLAIMS, "organization_id", S::Unused),
        case("a list that extends another conflicts")
            .claims(r#"{"app_metadata":{"org_ids":["$A"]},"org_ids":["$A","$B"]}"#)
            .err(F::Conflict)
            .step(CLAIMS, "app_metadata.org_ids", S::Conflict)
            .step(CLAIMS, "org_ids", S::Conflict),
        case("same list in another order and spelling is not a conflict")
            .claims(r#"{"app_metadata":{"org_ids":["$A","$B"]}}"#)
            .legacy("org_ids", r#"["5B9E3C4D-1F2A-4B6C-8D7E-9F0A1B2C3D4E","{$A}"]"#)
            .setting("$A")
            .ok("$A")
            .ids(&["$A", "$B"])
            .step(CLAIMS, "app_metadata.org_ids", S::Used)
            .step(LEGACY, "org_ids", S::Used),
        case("invalid list element")
            .claims(r#"{"organization_id":"$A","organization_ids":["$A","acme"]}"#)
            .err(F::Invalid)
            .step(CLAIMS, "organization_ids", S::Invalid),
        case("null list element")
            .claims(r#"{"org_ids":["$A",null]}"#)
            .err(F::Invalid)
            .step(CLAIMS, "org_ids", S::Invalid),
        case("list key holding a string")
            .claims(r#"{"organization_ids":"$A"}"#)
            .err(F::Invalid)
            .step(CLAIMS, "organization_ids", S::Invalid),
        case("list key holding null is absent")
            .claims(r#"{"organization_id":"$A","organization_ids":null}"#)
            .ok("$A")
            .step(CLAIMS, "organization_ids", S::Absent),
        case("duplicate ids in a list are deduped")
            .claims(r#"{"tenant_id":"$B","tenant_ids":["$A","A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11","$B","$A"]}"#)
            .ok("$B")
            .ids(&["$A", "$B"]),
        case("a list of one id spelled twice resolves to it")
            .claims(r#"{"app_metadata":{"org_ids":["$A","{a0eebc999c0b4ef8bb6d6bb9bd380a11}"]}}"#)
            .ok("$A"),
        case("empty list: the single id is not a member")
            .claims(r#"{"org_id":"$A","org_ids":[]}"#)
            .err(F::NotMember)
            .step(CLAIMS, "org_id", S::NotMember),
        case("empty list and no single id")
            .claims(r#"{"org_ids":[]}"#)
            .err(F::Absent)
            .step(CLAIMS, "org_ids", S::Unused),
        case("untrusted user_metadata list is ignored")
            .claims(r#"{"app_metadata":{"organization_id":"$A"},"user_metadata":{"organization_ids":["$B"]}}"#)
            .ok("$A")
            .step(CLAIMS, "user_metadata.organization_ids", S::Untrusted),
        case("trusted user_metadata list is a membership list")
            .claims(r#"{"app_metadata":{"organization_id":"$A"},"user_metadata":{"organization_ids":["$B"]}}"#)
            .trust()
            .err(F::NotMember)
            .step(CLAIMS, "app_metadata.organization_id", S::NotMember),
        case("list under one key, single id under another")
            .claims(r#"{"app_metadata":{"tenant_ids":["$C","$A"]}}"#)
            .setting("$A")
            .ok("$A")
            .ids(&["$C", "$A"]),
        // --- duplicate keys in one object ------------------------------------
        case("duplicate key with different values")
            .claims(r#"{"organization_id":"$A","organization_id":"$B"}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "organization_id", &[S::Conflict, S::Conflict]),
        case("duplicate key with the same value")
            .claims(r#"{"organization_id":"$A","organization_id":"$A"}"#)
            .ok("$A")
            .steps(CLAIMS, "organization_id", &[S::Used, S::Used]),
        case("duplicate key with the same UUID spelled differently")
            .claims(r#"{"org_id":"$A","org_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}"#)
            .ok("$A")
            .steps(CLAIMS, "org_id", &[S::Used, S::Used]),
        case("duplicate key inside app_metadata")
            .claims(r#"{"app_metadata":{"tenant_id":"$A","tenant_id":"$B"}}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "app_metadata.tenant_id", &[S::Conflict, S::Conflict]),
        case("duplicate app_metadata objects")
            .claims(r#"{"app_metadata":{"org_id":"$A"},"app_metadata":{"org_id":"$B"}}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "app_metadata.org_id", &[S::Conflict, S::Conflict]),
        case("duplicate list key with different lists")
            .claims(r#"{"org_ids":["$A"],"org_ids":["$B"]}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "org_ids", &[S::Conflict, S::Conflict]),
        case("duplicate key, one copy null (jsonb keeps the null)")
            .claims(r#"{"org_id":"$A","org_id":null}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "org_id", &[S::Conflict, S::Conflict]),
        case("duplicate key, one copy empty")
            .claims(r#"{"app_metadata":{"organization_id":"","organization_id":"$A"}}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "app_metadata.organization_id", &[S::Conflict, S::Conflict]),
        case("duplicate app_metadata, the second without the key")
            .claims(r#"{"app_metadata":{"org_id":"$A"},"app_metadata":{}}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "app_metadata.org_id", &[S::Conflict]),
        case("duplicate app_metadata, the second not an object")
            .claims(r#"{"app_metadata":{"org_id":"$A"},"app_metadata":"x"}"#)
            .err(F::Conflict)
            .steps(CLAIMS, "app_metadata.org_id", &[S::Conflict]),
        case("duplicate app_metadata, both with the same id")
            .claims(r#"{"app_metadata":{"org_id":"$A"},"app_metadata":{"org_id":"$A"}}"#)
            .ok("$A")
            .steps(CLAIMS, "app_metadata.org_id", &[S::Used, S::Used]),
        case("untrusted user_metadata repeated cannot hide the tenant")
            .claims(r#"{"app_metadata":{"organization_id":"$A"},"user_metadata":{"organization_id":"$B"},"user_metadata":{}}"#)
            .ok("$A")
            .step(CLAIMS, "user_metadata.organization_id", S::Untrusted),
        case("untrusted user_metadata key repeated with an empty copy")
            .claims(r#"{"app_metadata":{"organization_id":"$A"},"user_metadata":{"organization_id":"$B","organization_id":""}}"#)
            .ok("$A"),
        case("duplicate key, both null")
            .claims(r#"{"org_id":null,"org_id":""}"#)
            .err(F::Absent),
        case("duplicate key, second value invalid")
            .claims(r#"{"tenant_id":"$A","tenant_id":7}"#)
            .err(F::Invalid)
            .steps(CLAIMS, "tenant_id", &[S::Unused, S::Invalid]),
        // --- opaque provider keys (IdKind::Key) ------------------------------
        case("key: provider org id")
            .claims(r#"{"app_metadata":{"org_id":"org_2abc"}}"#)
            .key_kind()
            .ok("org_2abc")
            .step(CLAIMS, "app_metadata.org_id", S::Used),
        case("key: a UUID is kept verbatim")
            .claims(r#"{"org_id":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}"#)
            .key_kind()
            .ok("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
        case("key: integer claim agrees with its decimal text")
            .claims(r#"{"app_metadata":{"org_id":42}}"#)
            .setting("42")
            .key_kind()
            .ok("42")
            .step(CLAIMS, "app_metadata.org_id", S::Used)
            .step(TENANT, "", S::Used),
        case("key: non-integer number")
            .claims(r#"{"org_id":4.5}"#)
            .key_kind()
            .err(F::Invalid),
        case("key: boolean")
            .claims(r#"{"org_id":false}"#)
            .key_kind()
            .err(F::Invalid),
        case("key: object")
            .claims(r#"{"org_id":{"id":"org_2abc"}}"#)
            .key_kind()
            .err(F::Invalid),
        case("key: different ids conflict")
            .claims(r#"{"org_id":"org_a"}"#)
            .legacy("org_id", "org_b")
            .key_kind()
            .err(F::Conflict),
        case("key: empty string is absent")
            .claims(r#"{"org_id":"","app_metadata":{"org_id":"org_a"}}"#)
            .key_kind()
            .ok("org_a")
            .step(CLAIMS, "org_id", S::Absent),
        case("key: several ids in a list are ambiguous")
            .claims(r#"{"app_metadata":{"org_ids":["org_a","org_b"]}}"#)
            .key_kind()
            .err(F::Ambiguous)
            .ids(&["org_a", "org_b"]),
        case("key: integer and its text in one list are one id")
            .claims(r#"{"org_ids":[7,"7"]}"#)
            .key_kind()
            .ok("7"),
        case("key: list element holding NUL")
            .claims(r#"{"org_ids":["org_a","org_\u0000a"]}"#)
            .key_kind()
            .err(F::Invalid)
            .step(CLAIMS, "org_ids", S::Invalid),
        case("key: Clerk v2 nested org claim is not a tenant key")
            .claims(r#"{"o":{"id":"org_2abc","rol":"admin"},"sub":"user_1"}"#)
            .key_kind()
            .err(F::Absent),
        // --- hostile input ----------------------------------------------------
        case("1 MB claims document resolves")
            .claims(&megabyte)
            .ok("$A")
            .step(CLAIMS, "app_metadata.organization_id", S::Used),
        case("100,000-deep nesting is malformed, not a crash")
            .claims(format!(r#"{{"app_metadata":{deep}}}"#))
            .err(F::Malformed)
            .step(CLAIMS, "", S::Malformed)
            .raw(
                CLAIMS,
                "",
                format!(
                    r#"{{"app_metadata":{}... ({} bytes)"#,
                    "[".repeat(184),
                    deep.len() + 17
                ),
            ),
        case("100,000-deep nesting in a legacy setting")
            .legacy("app_metadata", &deep)
            .legacy("org_id", "$A")
            .err(F::Malformed)
            .step("request.jwt.claim.app_metadata", "", S::Malformed),
        case("lone surrogate in the tenant value")
            .claims(r#"{"organization_id":"\ud800"}"#)
            .err(F::Malformed)
            .step(CLAIMS, "", S::Malformed),
        case("lone surrogate in an unrelated claim")
            .claims(r#"{"name":"\udc00x","organization_id":"$A"}"#)
            .err(F::Malformed),
        case("NUL after a valid UUID")
            .claims(r#"{"organization_id":"$A\u0000"}"#)
            .err(F::Invalid)
            .step(CLAIMS, "organization_id", S::Invalid),
        case("key: NUL inside the tenant value")
            .claims(r#"{"tenant_id":"org_\u0000abc"}"#)
            .key_kind()
            .err(F::Invalid)
            .step(CLAIMS, "tenant_id", S::Invalid),
        case("very long value: trail raw truncated")
            .claims(format!(r#"{{"organization_id":"{long_x}"}}"#))
            .err(F::Invalid)
            .raw(
                CLAIMS,
                "organization_id",
                format!("\"{}... (10002 bytes)", &long_x[..199]),
            ),
        case("very long multi-byte value: truncated on a character boundary")
            .setting(&long_e)
            .key_kind()
            .ok(&long_e)
            .raw(
                TENANT,
                "",
                format!("\"{}... (10002 bytes)", "\u{e9}".repeat(99)),
            ),
        case("short value: trail raw is the JSON text")
            .claims(r#"{"org_id":"$A"}"#)
            .ok("$A")
            .raw(CLAIMS, "org_id", quoted(A)),
    ]
}

#[test]
fn claim_shapes() {
    let cases = cases();
    assert!(cases.len() >= 45, "only {} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");

    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let bad = c.check();
            (!bad.is_empty()).then(|| format!("case `{}`:\n  {}", c.name, bad.join("\n  ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn detail_names_what_was_held_then_every_empty_location() {
    let inputs = Inputs::new()
        .with(
            CLAIMS,
            fill(r#"{"user_metadata":{"organization_id":"$A"}}"#),
        )
        .with(TENANT, "");
    let config = Config::default();
    let r = resolve(&config, &inputs, IdKind::Uuid);
    assert_eq!(r.tenant, Err(Failure::Absent));
    let detail = r.detail();
    let lines: Vec<&str> = detail.lines().collect();
    assert_eq!(lines.len(), 2, "{detail}");
    assert_eq!(
        lines[0],
        format!(
            "request.jwt.claims -> user_metadata.organization_id: \"{A}\" [untrusted] \
             (user_metadata is editable by the user; enable tenant_guard.trust_user_metadata \
             only if your auth server controls it)"
        )
    );
    let absent = r
        .trail
        .iter()
        .filter(|s| s.status == Status::Absent)
        .count();
    assert_eq!(absent, r.trail.len() - 1);
    assert!(lines[1].starts_with(
        "nothing at: request.jwt.claims -> app_metadata.organization_id, request.jwt.claims -> organization_id, "
    ));
    assert!(
        lines[1].ends_with(", request.jwt.claim.*, app.tenant_id"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[1].matches(", ").count(), absent - 1);
}

// ---------------------------------------------------------------------------
// user_id(), role(), current_claims()
// ---------------------------------------------------------------------------

/// Settings from (name, value) pairs, `$A`-style placeholders filled.
fn settings(pairs: &[(&str, &str)]) -> Inputs {
    let mut inputs = Inputs::new();
    for (name, value) in pairs {
        inputs.set(name, fill(value));
    }
    inputs
}

/// (case name, settings, expected answer)
type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], Option<&'a str>);

const LEGACY_SUB: &str = "request.jwt.claim.sub";
const LEGACY_ROLE: &str = "request.jwt.claim.role";
const LEGACY_APP: &str = "request.jwt.claim.app_metadata";

#[test]
fn user_id_shapes() {
    let table: &[Row] = &[
        ("sub in claims", &[(CLAIMS, r#"{"sub":"$A"}"#)], Some(A)),
        (
            "upper-case sub",
            &[(CLAIMS, r#"{"sub":"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}"#)],
            Some(A),
        ),
        ("legacy sub only", &[(LEGACY_SUB, "$B")], Some(B)),
        (
            "claims and legacy agree in different spellings",
            &[
                (CLAIMS, r#"{"sub":"$A"}"#),
                (LEGACY_SUB, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}"),
            ],
            Some(A),
        ),
        (
            "claims and legacy disagree",
            &[(CLAIMS, r#"{"sub":"$A"}"#), (LEGACY_SUB, "$B")],
            None,
        ),
        (
            "duplicate sub with different values",
            &[(CLAIMS, r#"{"sub":"$A","sub":"$B"}"#)],
            None,
        ),
        (
            "duplicate sub with the same value",
            &[(CLAIMS, r#"{"sub":"$A","sub":"$A"}"#)],
            Some(A),
        ),
        (
            "duplicate sub, one copy null (jsonb and auth.uid() see null)",
            &[(CLAIMS, r#"{"sub":"$A","sub":null}"#)],
            None,
        ),
        (
            "a malformed legacy setting fails the user id closed",
            &[
                (LEGACY_SUB, "$A"),
                ("request.jwt.claim.app_metadata", "{bad"),
            ],
            None,
        ),
        (
            "sub is not a UUID",
            &[(CLAIMS, r#"{"sub":"user_2abc"}"#)],
            None,
        ),
        ("sub is a number", &[(CLAIMS, r#"{"sub":42}"#)], None),
        ("sub is null", &[(CLAIMS, r#"{"sub":null}"#)], None),
        (
            "sub is empty",
            &[(CLAIMS, r#"{"sub":""}"#), (LEGACY_SUB, "")],
            None,
        ),
        ("no sub (anon)", &[(CLAIMS, r#"{"role":"anon"}"#)], None),
        (
            "malformed claims beside a legacy sub",
            &[(CLAIMS, "{"), (LEGACY_SUB, "$A")],
            None,
        ),
        (
            "sub only in app_metadata is not read",
            &[(CLAIMS, r#"{"app_metadata":{"sub":"$A"}}"#)],
            None,
        ),
    ];
    let config = Config::default();
    for (name, pairs, want) in table {
        let got = user_id(&config, &settings(pairs)).map(|b| uuid::format(&b));
        assert_eq!(got.as_deref(), *want, "{name}");
    }
}

#[test]
fn role_shapes() {
    let table: &[Row] = &[
        (
            "duplicate role with different values (jsonb keeps the last)",
            &[(CLAIMS, r#"{"role":"authenticated","role":"service_role"}"#)],
            None,
        ),
        (
            "a malformed legacy setting fails the role closed",
            &[
                ("request.jwt.claim.role", "authenticated"),
                ("request.jwt.claim.user_metadata", "[1,"),
            ],
            None,
        ),
        (
            "top-level role wins",
            &[
                (
                    CLAIMS,
                    r#"{"role":"authenticated","app_metadata":{"role":"admin"}}"#,
                ),
                ("app.role", "owner_admin"),
            ],
            Some("authenticated"),
        ),
        (
            "app_metadata.role without a top-level role",
            &[
                (CLAIMS, r#"{"app_metadata":{"role":"admin"}}"#),
                ("app.role", "owner_admin"),
            ],
            Some("admin"),
        ),
        (
            "app.role setting last",
            &[(CLAIMS, r#"{"sub":"$A"}"#), ("app.role", "owner_admin")],
            Some("owner_admin"),
        ),
        ("nothing anywhere", &[(CLAIMS, "{}")], None),
        (
            "legacy role claim",
            &[(LEGACY_ROLE, "authenticated")],
            Some("authenticated"),
        ),
        (
            "legacy app_metadata role",
            &[
                (LEGACY_APP, r#"{"role":"editor"}"#),
                ("app.role", "owner_admin"),
            ],
            Some("editor"),
        ),
        (
            "role holding NUL is skipped",
            &[(
                CLAIMS,
                r#"{"role":"auth\u0000x","app_metadata":{"role":"admin"}}"#,
            )],
            Some("admin"),
        ),
        (
            "non-string and empty roles are skipped",
            &[
                (CLAIMS, r#"{"role":7,"app_metadata":{"role":""}}"#),
                ("app.role", "worker"),
            ],
            Some("worker"),
        ),
        (
            "user_metadata role is never read",
            &[(CLAIMS, r#"{"user_metadata":{"role":"admin"}}"#)],
            None,
        ),
        (
            "malformed claims",
            &[(CLAIMS, "[1"), ("app.role", "owner_admin")],
            None,
        ),
    ];
    let config = Config::default();
    for (name, pairs, want) in table {
        assert_eq!(role(&config, &settings(pairs)).as_deref(), *want, "{name}");
    }
}

#[test]
fn current_claims_shapes() {
    let deep = format!(r#"{{"a":{}}}"#, nested(100_000));
    let table: &[Row] = &[
        (
            "valid claims",
            &[(CLAIMS, r#"{ "role" : "authenticated" }"#)],
            Some(r#"{"role":"authenticated"}"#),
        ),
        (
            "duplicate keys are kept",
            &[(CLAIMS, r#"{"a":1,"a":2}"#)],
            Some(r#"{"a":1,"a":2}"#),
        ),
        ("absent", &[(CLAIMS, "")], None),
        ("malformed", &[(CLAIMS, r#"{"a":"#)], None),
        ("not an object", &[(CLAIMS, "[]")], None),
        ("lone surrogate", &[(CLAIMS, r#"{"a":"\ud800"}"#)], None),
        (
            "NUL in a value",
            &[(CLAIMS, r#"{"org_id":"x\u0000"}"#)],
            None,
        ),
        (
            "NUL in a key",
            &[(CLAIMS, r#"{"app_metadata":{"k\u0000":1}}"#)],
            None,
        ),
        ("deep nesting", &[(CLAIMS, deep.as_str())], None),
        (
            "legacy settings rebuilt into one object",
            &[
                (LEGACY_ROLE, "authenticated"),
                (LEGACY_SUB, "$A"),
                ("request.jwt.claim.org_id", "org_2abc"),
                (LEGACY_APP, r#"{"x":[1]}"#),
                ("request.jwt.claim.email", "not read"),
            ],
            Some(
                r#"{"app_metadata":{"x":[1]},"org_id":"org_2abc","sub":"$A","role":"authenticated"}"#,
            ),
        ),
        (
            "malformed legacy setting",
            &[(LEGACY_ROLE, "authenticated"), (LEGACY_APP, "{bad")],
            None,
        ),
        (
            "JSON null claims fall back to legacy settings",
            &[(CLAIMS, "null"), (LEGACY_ROLE, "anon")],
            Some(r#"{"role":"anon"}"#),
        ),
        (
            "claims win over legacy settings",
            &[(CLAIMS, r#"{"role":"a"}"#), (LEGACY_ROLE, "b")],
            Some(r#"{"role":"a"}"#),
        ),
    ];
    let config = Config::default();
    for (name, pairs, want) in table {
        let got = current_claims(&config, &settings(pairs)).map(|j| j.to_text());
        assert_eq!(got, want.map(fill), "{name}");
    }
}
