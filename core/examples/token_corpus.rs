//! Writes a generated corpus of compact JWS tokens with what the pure
//! verifier says of each, for `scripts/sql_corpus.sh` to replay through
//! `tenant_guard.verify_jwt()` in one backend and compare:
//!   cargo run --release -p tenant_guard_core --example token_corpus -- N SEED > tokens.tsv
//! Tokens are HMAC-signed with the test secret below (the replay sets it);
//! about half are valid, the rest are broken the ways attackers and buggy
//! clients break them: tampered parts, `alg` games, bad base64, hostile JSON,
//! expired or future times, oversize. Time claims are years away from now,
//! so the verdicts do not depend on when the replay runs.
//! Each line, in COPY text format: token, expected verdict (`valid` or the
//! rule), expected payload as JSON (`\N` unless valid).

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tenant_guard_core::jwt::{verify, KeySet, Rules};

const SECRET: &str = "test-only-hmac-secret-0123456789abcdefgh";
const FAR_FUTURE: u64 = 4_102_444_800; // 2100-01-01
const FAR_PAST: u64 = 1_000_000_000; // 2001-09-09

/// xorshift64*: deterministic for a seed, no dependencies.
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
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sign(header: &str, payload: &[u8], alg: &str) -> String {
    let algorithm = match alg {
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload));
    let tag = hmac::sign(
        &hmac::Key::new(algorithm, SECRET.as_bytes()),
        input.as_bytes(),
    );
    format!("{input}.{}", b64(tag.as_ref()))
}

fn uuid(rng: &mut Rng) -> String {
    let n = rng.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        n >> 32,
        n & 0xffff,
        (n >> 16) & 0xfff,
        (n >> 28) & 0xfff,
        rng.next() & 0xffff_ffff_ffff
    )
}

/// A payload: the usual claims with optional twists on the registered ones.
fn payload(rng: &mut Rng) -> String {
    let mut members = vec![
        format!("\"sub\":\"{}\"", uuid(rng)),
        "\"role\":\"authenticated\"".to_owned(),
        format!("\"app_metadata\":{{\"org_id\":\"{}\"}}", uuid(rng)),
    ];
    let exp = match rng.below(12) {
        0 => Some(FAR_PAST.to_string()),
        1 => None,
        2 => Some(format!("\"{FAR_FUTURE}\"")), // a string exp (CVE-2026-25537)
        3 => Some("null".to_owned()),
        4 => Some(format!("{FAR_FUTURE}.5")),
        5 => Some("1e300".to_owned()),
        _ => Some(FAR_FUTURE.to_string()),
    };
    if let Some(exp) = exp {
        members.push(format!("\"exp\":{exp}"));
    }
    match rng.below(10) {
        0 => members.push(format!("\"nbf\":{FAR_FUTURE}")),
        1 => members.push(format!("\"iat\":{FAR_FUTURE}")),
        2 => members.push(format!("\"nbf\":{FAR_PAST},\"iat\":{FAR_PAST}")),
        3 => members.push("\"nbf\":\"soon\"".to_owned()),
        _ => {}
    }
    match rng.below(16) {
        0 => members.push("\"role\":\"service_role\"".to_owned()), // duplicate name
        1 => members.push("\"name\":\"a\\u0000b\"".to_owned()),
        2 => members.push("\"aud\":[\"authenticated\",\"x\"]".to_owned()),
        3 => members.push(format!("\"deep\":{}1{}", "[".repeat(300), "]".repeat(300))),
        4 => members.push("\"big\":123456789012345678901234567890".to_owned()),
        5 => members.push("\"emoji\":\"\\ud83d\\ude00 \u{e9}\"".to_owned()),
        _ => {}
    }
    format!("{{{}}}", members.join(","))
}

fn header(rng: &mut Rng) -> (String, &'static str) {
    let alg = ["HS256", "HS256", "HS256", "HS384", "HS512"][rng.below(5) as usize];
    let text = match rng.below(20) {
        0 => "{\"alg\":\"none\"}".to_owned(),
        1 => "{\"alg\":\"None\",\"typ\":\"JWT\"}".to_owned(),
        2 => "{\"typ\":\"JWT\"}".to_owned(),
        3 => format!("{{\"alg\":\"{alg}\",\"kid\":\"unknown\"}}"),
        4 => format!("{{\"alg\":\"{alg}\",\"crit\":[\"exp\"]}}"),
        5 => "{\"alg\":\"RS256\"}".to_owned(),
        6 => format!("{{\"alg\":\"{alg}\",\"alg\":\"none\"}}"),
        7 => "[\"HS256\"]".to_owned(),
        _ => format!("{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}"),
    };
    (text, alg)
}

/// Breaks a token the way a transport, a client or an attacker would.
fn mutate(rng: &mut Rng, token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let flip = |s: &str, at: usize| -> String {
        let mut b = s.as_bytes().to_vec();
        if b.is_empty() {
            return "A".into();
        }
        let i = at % b.len();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).expect("ascii")
    };
    let at = rng.below(1 << 20) as usize;
    match rng.below(14) {
        0 => format!("{}.{}.{}", parts[0], parts[1], flip(parts[2], at)),
        1 => format!("{}.{}.{}", parts[0], flip(parts[1], at), parts[2]),
        2 => format!("{}.{}.{}", flip(parts[0], at), parts[1], parts[2]),
        3 => format!("{}.{}.", parts[0], parts[1]),
        4 => format!("{}.{}", parts[0], parts[1]),
        5 => format!("{token}.{}", parts[2]),
        6 => format!("{token}="),
        7 => format!(" {token}"),
        8 => token.replace('-', "+").replace('_', "/"),
        9 => token[..token.len() / 2].to_owned(),
        10 => String::new(),
        11 => format!("{}.{}.{}", parts[1], parts[0], parts[2]),
        12 => {
            // random bytes as every part
            let r: Vec<u8> = (0..(rng.below(40) + 1)).map(|_| rng.next() as u8).collect();
            format!("{}.{}.{}", b64(&r), b64(&r[..r.len() / 2]), b64(&r))
        }
        _ => format!("{}.{}.{}", parts[0], b64(b"\xff\xfe{}"), parts[2]),
    }
}

fn token(rng: &mut Rng) -> String {
    let (head, alg) = header(rng);
    let body = payload(rng);
    match rng.below(20) {
        // oversize: a valid signature over a payload past the 16 KB limit
        0 => {
            let padded = format!(
                "{},\"pad\":\"{}\"}}",
                &body[..body.len() - 1],
                "x".repeat(13_000)
            );
            sign(&head, padded.as_bytes(), alg)
        }
        // a payload that is not a JSON object, validly signed
        1 => sign(
            &head,
            ["[]", "1", "\"x\"", "{", ""][rng.below(5) as usize].as_bytes(),
            alg,
        ),
        2..=8 => mutate(rng, &sign(&head, body.as_bytes(), alg)),
        _ => sign(&head, body.as_bytes(), alg),
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
    let keys = KeySet::new(Some(SECRET), None).expect("test secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    // The replay sets the same: no audience or issuer, 30 s leeway.
    let rules = Rules {
        audience: vec![],
        issuer: vec![],
        leeway_secs: 30,
        now,
    };
    let mut out = String::new();
    for _ in 0..n {
        let t = token(&mut rng);
        let (verdict, claims) = match verify(&t, &keys, &rules) {
            Ok(claims) => (
                "valid".to_owned(),
                serde_json::to_string(&claims).expect("claims serialize"),
            ),
            Err(e) => (e.rule().to_owned(), "\\N".to_owned()),
        };
        out.push_str(&copy_field(&t));
        out.push('\t');
        out.push_str(&verdict);
        out.push('\t');
        out.push_str(&if claims == "\\N" {
            claims
        } else {
            copy_field(&claims)
        });
        out.push('\n');
    }
    print!("{out}");
}
