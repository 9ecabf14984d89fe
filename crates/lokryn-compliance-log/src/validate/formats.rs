//! The string formats of `StringFormat` and the `printable` check: small
//! hand-written matchers, linear in the input and allocation-free.

use std::net::IpAddr;

/// Byte classes for the matchers below, one table lookup per byte.
const LOWER_HEX: u8 = 1;
const DASH: u8 = 2;
/// A letter, digit or `-`: the bytes of a host name label.
const LABEL: u8 = 4;
const DOT: u8 = 8;

// Built at compile time: an index out of bounds would fail the build, not
// panic, and `c < 256` fits a byte.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
static CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut class = 0;
        if b.is_ascii_digit() || (b >= b'a' && b <= b'f') {
            class |= LOWER_HEX;
        }
        if b == b'-' {
            class |= DASH | LABEL;
        }
        if b.is_ascii_alphanumeric() {
            class |= LABEL;
        }
        if b == b'.' {
            class |= DOT;
        }
        t[c] = class;
        c += 1;
    }
    t
};

fn class(c: u8) -> u8 {
    CLASSES.get(usize::from(c)).copied().unwrap_or(0)
}

/// What each byte of a UUID must be: hex digits with dashes at 8, 13, 18, 23.
#[allow(clippy::indexing_slicing)] // compile time, as above
static UUID_SHAPE: [u8; 36] = {
    let mut t = [LOWER_HEX; 36];
    t[8] = DASH;
    t[13] = DASH;
    t[18] = DASH;
    t[23] = DASH;
    t
};

/// A canonical lowercase UUID (8-4-4-4-12), not the nil UUID.
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    // One pass without branches: every byte of its class, and some hex
    // digit above `0` (a dash sorts below `0`).
    let mut ok = true;
    let mut nonzero = false;
    for (&c, &shape) in b.iter().zip(UUID_SHAPE.iter()) {
        ok &= class(c) & shape != 0;
        nonzero |= c > b'0';
    }
    ok && nonzero
}

/// `len` lowercase hex digits, not all zero (W3C Trace Context ids).
pub(crate) fn is_trace_hex(s: &str, len: usize) -> bool {
    let b = s.as_bytes();
    if b.len() != len {
        return false;
    }
    let mut ok = true;
    let mut nonzero = false;
    for &c in b {
        ok &= class(c) & LOWER_HEX != 0;
        nonzero |= c > b'0';
    }
    ok && nonzero
}

/// An IPv4 address in dotted decimal (no leading zeros) or an IPv6 address
/// in text form, without zone id or brackets.
pub(crate) fn is_ip(s: &str) -> bool {
    s.len() <= 45 && s.parse::<IpAddr>().is_ok()
}

/// An RFC 1123 host name, or an IP address.
pub(crate) fn is_hostname(s: &str) -> bool {
    // Host names (and dotted IPv4 addresses) pass the label rules; only
    // IPv6 addresses need the address parser.
    is_host_name(s) || (s.contains(':') && is_ip(s))
}

/// Labels of letters, digits and `-` (not first or last), 1 to 63 bytes,
/// joined by dots, at most 253 bytes, with an optional final dot.
fn is_host_name(s: &str) -> bool {
    let name = s.strip_suffix('.').unwrap_or(s).as_bytes();
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    // Every byte a label byte or a dot (one pass without branches), then
    // the labels' shape.
    let mut ok = true;
    for &c in name {
        ok &= class(c) & (LABEL | DOT) != 0;
    }
    ok && name.split(|&c| c == b'.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
    })
}

/// A Semantic Versioning 2.0.0 version.
pub(crate) fn is_semver(s: &str) -> bool {
    if s.len() > 256 {
        return false;
    }
    // The usual version, digits and dots only (no pre-release or build):
    // exactly three numeric identifiers, without the string searches.
    if s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        let mut parts = 0;
        let mut ok = true;
        for part in s.as_bytes().split(|&c| c == b'.') {
            parts += 1;
            ok &= !part.is_empty() && (part == b"0" || part.first() != Some(&b'0'));
        }
        return ok && parts == 3;
    }
    is_semver_in_full(s)
}

/// [`is_semver`] by the grammar, for any text.
fn is_semver_in_full(s: &str) -> bool {
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let mut parts = core.split('.');
    let numeric = |p: Option<&str>| p.is_some_and(is_numeric_identifier);
    if !(numeric(parts.next()) && numeric(parts.next()) && numeric(parts.next()))
        || parts.next().is_some()
    {
        return false;
    }
    let identifiers_ok = |text: &str, strict_numbers: bool| {
        text.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && (!strict_numbers
                    || !id.bytes().all(|c| c.is_ascii_digit())
                    || is_numeric_identifier(id))
        })
    };
    pre.is_none_or(|p| identifiers_ok(p, true)) && build.is_none_or(|b| identifiers_ok(b, false))
}

fn is_numeric_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

/// The byte offset of the first character that could forge or disguise log
/// lines: C0 controls, DEL, C1 controls, the Unicode line and paragraph
/// separators and the bidirectional embedding, override and isolate
/// controls. `None` when there is none.
pub(crate) fn first_unprintable(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    // Eight bytes at a time while they are printable ASCII (0x20..=0x7e).
    use crate::swar::{HI, below, eq};
    let printable_ascii = |w: u64| (w & HI) | below(w, 0x20) | eq(w, 0x7f) == 0;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if !printable_ascii(u64::from_le_bytes(w)) {
            break;
        }
        i += 8;
    }
    // Fewer than eight bytes left (not a chunk that failed): the final
    // eight, overlapping what passed, in one more step.
    if i < b.len() && i + 8 > b.len() {
        if let Some(last) = b.len().checked_sub(8).and_then(|j| b.get(j..)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(last);
            if printable_ascii(u64::from_le_bytes(w)) {
                return None;
            }
        }
    }
    while let Some(&c) = b.get(i) {
        match c {
            0x00..=0x1f | 0x7f => return Some(i),
            // U+0080..U+009F: C2 80..C2 9F.
            0xc2 if b.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)) => return Some(i),
            // U+2028, U+2029, U+202A..U+202E: E2 80 A8..AE;
            // U+2066..U+2069: E2 81 A6..A9.
            0xe2 => {
                let (n1, n2) = (b.get(i + 1).copied(), b.get(i + 2).copied());
                match (n1, n2) {
                    (Some(0x80), Some(0xa8..=0xae)) | (Some(0x81), Some(0xa6..=0xa9)) => {
                        return Some(i);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The earliest and latest seconds a google.protobuf.Timestamp may hold
/// (0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z).
pub(crate) const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> =
    -62_135_596_800..=253_402_300_799;

#[cfg(test)]
mod tests {
    use super::*;

    /// The short cut for digits and dots answers as the grammar does, on
    /// every text of up to seven of `0`, `1`, `9` and `.`.
    #[test]
    fn plain_versions_take_the_grammar_s_answer() {
        let mut texts = vec![String::new()];
        let mut checked = 0;
        for _ in 0..7 {
            let mut longer = Vec::new();
            for t in &texts {
                for c in ['0', '1', '9', '.'] {
                    let text = format!("{t}{c}");
                    assert_eq!(is_semver(&text), is_semver_in_full(&text), "{text:?}");
                    checked += 1;
                    longer.push(text);
                }
            }
            texts = longer;
        }
        assert!(is_semver("0.3.0") && is_semver("10.20.30") && !is_semver("01.2.3"));
        assert!(checked > 20_000);
    }

    #[test]
    fn uuid() {
        assert!(is_uuid("019ac9d2-3b4f-7e21-8a6c-2f1d9e4b7c30"));
        assert!(!is_uuid("019AC9D2-3B4F-7E21-8A6C-2F1D9E4B7C30"));
        assert!(!is_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(!is_uuid("019ac9d23b4f7e218a6c2f1d9e4b7c30"));
        assert!(!is_uuid("{019ac9d2-3b4f-7e21-8a6c-2f1d9e4b7c30}"));
        assert!(!is_uuid("019ac9d2-3b4f-7e21-8a6c-2f1d9e4b7c3g"));
    }

    #[test]
    fn ips_and_hosts() {
        for ok in ["203.0.113.24", "2001:db8::1", "::1", "::ffff:192.0.2.1"] {
            assert!(is_ip(ok), "{ok}");
        }
        for bad in [
            "203.0.113.256",
            "01.2.3.4",
            "fe80::1%eth0",
            "[::1]",
            "1.2.3",
            "",
        ] {
            assert!(!is_ip(bad), "{bad}");
        }
        for ok in [
            "auth-01.eu-west-1.internal",
            "localhost",
            "a",
            "example.com.",
            "10.0.0.1",
        ] {
            assert!(is_hostname(ok), "{ok}");
        }
        for bad in [
            "-a.com",
            "a-.com",
            "a..b",
            "under_score.com",
            "host:8080",
            "",
            ".",
        ] {
            assert!(!is_hostname(bad), "{bad}");
        }
        assert!(!is_hostname(&"a".repeat(64)));
    }

    /// The straightforward forms of the one-pass matchers, as oracles.
    mod plain {
        fn is_lower_hex(c: u8) -> bool {
            c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
        }

        pub(super) fn is_uuid(s: &str) -> bool {
            let b = s.as_bytes();
            b.len() == 36
                && b.iter().enumerate().all(|(i, &c)| {
                    if matches!(i, 8 | 13 | 18 | 23) {
                        c == b'-'
                    } else {
                        is_lower_hex(c)
                    }
                })
                && b.iter().any(|&c| c != b'0' && c != b'-')
        }

        pub(super) fn is_trace_hex(s: &str, len: usize) -> bool {
            let b = s.as_bytes();
            b.len() == len && b.iter().all(|&c| is_lower_hex(c)) && b.iter().any(|&c| c != b'0')
        }

        pub(super) fn is_host_name(s: &str) -> bool {
            let name = s.strip_suffix('.').unwrap_or(s);
            !name.is_empty()
                && name.len() <= 253
                && name.split('.').all(|label| {
                    let b = label.as_bytes();
                    !b.is_empty()
                        && b.len() <= 63
                        && b.first() != Some(&b'-')
                        && b.last() != Some(&b'-')
                        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                })
        }
    }

    #[test]
    fn one_pass_matchers_agree_with_the_plain_ones() {
        const ALPHABET: &[u8] = b"0000aaf9-.gZ_:";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut checked, mut uuids, mut trace_ids) = (0, 0, 0);
        for case in 0..200_000u32 {
            let len = match case % 4 {
                0 => 36,
                1 => 32,
                2 => 16,
                _ => usize::try_from(next() % 80).unwrap_or(0),
            };
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let r = next();
                    // Mostly well-shaped, so the interesting paths are reached.
                    if case % 4 == 0 && matches!(i, 8 | 13 | 18 | 23) && r % 8 != 0 {
                        b'-'
                    } else if case % 4 != 3 && r % 64 != 0 {
                        // Hex digits, zeros most of all (the nil id).
                        b"0000000af9"
                            .get(usize::try_from((r >> 8) % 10).unwrap_or(0))
                            .copied()
                            .unwrap_or(b'0')
                    } else {
                        ALPHABET
                            .get(usize::try_from(r % ALPHABET.len() as u64).unwrap_or(0))
                            .copied()
                            .unwrap_or(b'0')
                    }
                })
                .collect();
            let Ok(s) = std::str::from_utf8(&bytes) else {
                continue;
            };
            checked += 1;
            uuids += usize::from(plain::is_uuid(s));
            trace_ids += usize::from(plain::is_trace_hex(s, 32));
            assert_eq!(is_uuid(s), plain::is_uuid(s), "{s:?}");
            assert_eq!(is_trace_hex(s, 32), plain::is_trace_hex(s, 32), "{s:?}");
            assert_eq!(is_trace_hex(s, 16), plain::is_trace_hex(s, 16), "{s:?}");
            assert_eq!(is_host_name(s), plain::is_host_name(s), "{s:?}");
        }
        assert!(checked > 100_000);
        assert!(uuids > 1000 && trace_ids > 1000, "{uuids} {trace_ids}");
        let long = format!("{}.com", "a".repeat(63));
        assert!(is_host_name(&long) && !is_host_name(&format!("a{long}")));
    }

    #[test]
    fn semver() {
        for ok in [
            "0.3.0",
            "1.0.0-rc.1+build.5",
            "1.2.3-alpha",
            "10.20.30+meta-data",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "v1.2.3", "1.2.3.4", "1.2.3+",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn printable() {
        assert_eq!(first_unprintable("alice"), None);
        assert_eq!(first_unprintable("José 認証 ✅"), None);
        assert_eq!(first_unprintable("a\nb"), Some(1));
        assert_eq!(first_unprintable("a\u{7f}"), Some(1));
        assert_eq!(first_unprintable("é\u{85}"), Some(2));
        assert_eq!(first_unprintable("x\u{2028}"), Some(1));
        assert_eq!(first_unprintable("x\u{202e}"), Some(1));
        assert_eq!(first_unprintable("x\u{2069}"), Some(1));
        assert_eq!(first_unprintable("x\u{2030}"), None);
        // Past the first eight bytes (the tail is checked as the last eight).
        assert_eq!(first_unprintable("abcdefghijk"), None);
        assert_eq!(first_unprintable("abcdefghij\n"), Some(10));
        assert_eq!(first_unprintable("abcdefgh\u{85}"), Some(8));
        assert_eq!(first_unprintable("abcdefghé"), None);
        assert_eq!(first_unprintable("abcdefgh\tbcdefgh"), Some(8));
        assert_eq!(first_unprintable("abcdefghabcdefg\u{7f}"), Some(15));
        assert_eq!(first_unprintable("abc\ndefghijklmnopqrstuvwxyz"), Some(3));
        assert_eq!(first_unprintable("abcdefgh\rijklmnopqrstuvwxyz"), Some(8));
    }
}
