//! The string formats of `StringFormat` and the `printable` check: small
//! hand-written matchers, linear in the input and allocation-free.

use std::net::IpAddr;

/// A canonical lowercase UUID (8-4-4-4-12), not the nil UUID.
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    let mut nonzero = false;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return false;
            }
        } else if is_lower_hex(c) {
            nonzero |= c != b'0';
        } else {
            return false;
        }
    }
    nonzero
}

/// `len` lowercase hex digits, not all zero (W3C Trace Context ids).
pub(crate) fn is_trace_hex(s: &str, len: usize) -> bool {
    let b = s.as_bytes();
    b.len() == len && b.iter().all(|&c| is_lower_hex(c)) && b.iter().any(|&c| c != b'0')
}

fn is_lower_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
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

fn is_host_name(s: &str) -> bool {
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').all(|label| {
        let b = label.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b.first() != Some(&b'-')
            && b.last() != Some(&b'-')
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    })
}

/// A Semantic Versioning 2.0.0 version.
pub(crate) fn is_semver(s: &str) -> bool {
    if s.len() > 256 {
        return false;
    }
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
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let below_space = w.wrapping_sub(LO * 0x20) & !w & HI;
        let x = w ^ (LO * 0x7f);
        let del = x.wrapping_sub(LO) & !x & HI;
        if (w & HI) | below_space | del != 0 {
            break;
        }
        i += 8;
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
    }
}
