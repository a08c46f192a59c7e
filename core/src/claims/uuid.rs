//! UUID text parsing with exactly the forms PostgreSQL's `uuid_in` accepts, so
//! that a value is valid for us if and only if `'…'::uuid` would accept it.

/// Parses a UUID the way PostgreSQL 15-18 `string_to_uuid` does: an optional
/// `{…}` wrapper, 32 hex digits, and an optional hyphen after any group of four
/// digits except the last. No surrounding white space.
pub fn parse(text: &str) -> Option<[u8; 16]> {
    let mut src = text.as_bytes();
    let braces = src.first() == Some(&b'{');
    if braces {
        src = &src[1..];
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        if src.len() < 2 {
            return None;
        }
        let hi = hex(src[0])?;
        let lo = hex(src[1])?;
        *byte = (hi << 4) | lo;
        src = &src[2..];
        if src.first() == Some(&b'-') && i % 2 == 1 && i < 15 {
            src = &src[1..];
        }
    }
    if braces {
        if src.first() != Some(&b'}') {
            return None;
        }
        src = &src[1..];
    }
    if src.is_empty() {
        Some(out)
    } else {
        None
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The canonical lower-case, hyphenated form PostgreSQL's `uuid_out` prints.
pub fn format(bytes: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Parses and re-prints in canonical form.
pub fn normalize(text: &str) -> Option<String> {
    parse(text).map(|b| format(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_form_uuid_in_accepts() {
        let canon = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for form in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
        ] {
            assert_eq!(normalize(form).as_deref(), Some(canon), "{form}");
        }
    }

    #[test]
    fn rejects_what_uuid_in_rejects() {
        for bad in [
            "",
            " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
            "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a\u{e9}",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
