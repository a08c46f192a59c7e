//! Writes a generated corpus of claim documents with what the pure resolver
//! says of each, for `scripts/sql_corpus.sh` to replay through
//! `identity.get_current_org_id()` in one backend and compare:
//!   cargo run --release -p tenant_guard_core --example claims_corpus -- N SEED > corpus.tsv
//! Each line: claims text, app.tenant_id text, expected tenant (`\N` for
//! NULL), in COPY text format. Deterministic for a seed; no dependencies.

use tenant_guard_core::claims::{resolve, uuid, Config, IdKind, Inputs};

/// xorshift64*: enough to vary documents, the same for a seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const KEYS: [&str; 6] = [
    "organization_id",
    "org_id",
    "tenant_id",
    "organization_ids",
    "org_ids",
    "tenant_ids",
];

/// A few tenants, so that candidates often agree and sometimes conflict.
fn tenant(rng: &mut Rng) -> [u8; 16] {
    let n = rng.below(4) as u8 + 1;
    let mut b = [0u8; 16];
    b[0] = n;
    b[6] = 0x40;
    b[8] = 0x80;
    b[15] = n;
    b
}

/// A tenant value in one of the spellings PostgreSQL's uuid input accepts,
/// or something that is not a tenant at all.
fn value(rng: &mut Rng) -> String {
    let canonical = uuid::format(&tenant(rng));
    let json_string = |s: &str| serde_json::to_string(s).expect("string");
    match rng.below(14) {
        0 => json_string(&canonical.to_uppercase()),
        1 => json_string(&format!("{{{canonical}}}")),
        2 => json_string(&canonical.replace('-', "")),
        3 => "null".into(),
        4 => "\"\"".into(),
        5 => "42".into(),
        6 => json_string(&format!(" {canonical}")),
        7 => "{}".into(),
        8 => json_string("org_2abcDEF"),
        9 => format!("\"{canonical}\\u0000\""),
        _ => json_string(&canonical),
    }
}

fn list(rng: &mut Rng) -> String {
    let n = rng.below(4);
    let items: Vec<String> = (0..n)
        .map(|_| serde_json::to_string(&uuid::format(&tenant(rng))).expect("string"))
        .collect();
    format!("[{}]", items.join(","))
}

fn members(rng: &mut Rng, depth: u32) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..rng.below(4) {
        let key = rng.pick(&KEYS);
        let v = if key.ends_with('s') {
            list(rng)
        } else {
            value(rng)
        };
        out.push(format!("{}:{v}", serde_json::to_string(key).expect("key")));
    }
    if depth > 0 {
        for container in ["app_metadata", "user_metadata"] {
            if rng.below(2) == 0 {
                let inner = members(rng, depth - 1).join(",");
                let v = if rng.below(12) == 0 {
                    "[]".to_owned()
                } else {
                    format!("{{{inner}}}")
                };
                out.push(format!("\"{container}\":{v}"));
            }
        }
    }
    if rng.below(3) == 0 {
        out.push(format!("\"sub\":\"{}\"", uuid::format(&tenant(rng))));
    }
    out
}

fn document(rng: &mut Rng) -> String {
    let text = format!("{{{}}}", members(rng, 1).join(","));
    match rng.below(40) {
        0 => text[..text.len() / 2].to_owned(), // truncated: malformed
        1 => "[]".into(),
        2 => String::new(),
        _ => text,
    }
}

/// COPY text format: backslash, tab, newline and carriage return escaped.
fn copy_field(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let mut rng = Rng(seed.max(1));
    let config = Config::default();
    let mut out = String::new();
    for _ in 0..n {
        let claims = document(&mut rng);
        let worker = if rng.below(6) == 0 {
            uuid::format(&tenant(&mut rng))
        } else {
            String::new()
        };
        let mut inputs = Inputs::new();
        inputs.set("request.jwt.claims", claims.clone());
        inputs.set("app.tenant_id", worker.clone());
        let expected = resolve(&config, &inputs, IdKind::Uuid).tenant.ok();
        out.push_str(&copy_field(&claims));
        out.push('\t');
        out.push_str(&copy_field(&worker));
        out.push('\t');
        out.push_str(expected.as_deref().unwrap_or("\\N"));
        out.push('\n');
    }
    print!("{out}");
}
