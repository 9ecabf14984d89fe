//! Card numbers in everyday disguises: digit groups separated by no-break
//! or other Unicode spaces, full-width digits, percent-encoded in a logged
//! URL, query string or form body (`card=4111%201111%201111%201111`,
//! `4111+1111+…`), and a value (a whole field or payload value, or the
//! value after `=` or `:`) that is the base64 or base64url of text holding
//! a card number.
//!
//! The text is normalised into a copy (Unicode spaces and dashes to ASCII,
//! full-width digits to ASCII digits, ASCII percent escapes decoded, `+`
//! between digits to a space) with a map from every byte of the copy back
//! to the original, and the copy is searched for card numbers with the
//! same detector. A match is kept only when the disguise is inside it (the
//! plain scan finds the rest), and its span is mapped back: a finding always
//! names the original bytes, which redaction replaces.
//!
//! Text without a disguise costs next to nothing: the digit scan notes on
//! its way whether a digit run ends at a byte a disguise puts between
//! groups, the prefix automaton whether a full-width digit occurs, and the
//! pass over `=` and `:` (for named credentials) where a value starts like
//! base64 of digits; only then is a copy made or a value decoded.

use base64::Engine as _;

use super::detect::{self, Hints};
use super::{Kind, Match};

/// Appends card numbers found in disguise to `out`, where the digit scan
/// left `hints` of one.
pub(super) fn cards(b: &[u8], hints: &Hints, out: &mut Vec<Match>) {
    if hints.separator || hints.full_width {
        let (norm, map) = normalise(b);
        let mut found = Vec::new();
        detect::digits_and_at(&norm, &mut found);
        for m in found {
            if m.kind != Kind::CardNumber {
                continue;
            }
            let (Some(&start), Some(&end)) = (map.get(m.start), map.get(m.end)) else {
                continue;
            };
            // Nothing undone inside the match: the plain scan reports it.
            if b.get(start..end) != norm.get(m.start..m.end) {
                out.push(Match { start, end, ..m });
            }
        }
    }
    // A whole value, or one after `=` or `:`.
    let whole = detect::is_base64_digits_start(b, 0).then_some(0);
    for at in whole.into_iter().chain(hints.values.iter().copied()) {
        base64_value(b, at, out);
    }
}

/// The lead byte of a multi-byte character that may be a Unicode space, a
/// dash or a full-width digit: U+00A0 (C2), U+2000-U+205F (E2), U+3000
/// (E3), U+FF0D-U+FF19 (EF).
fn is_lead(c: u8) -> bool {
    matches!(c, 0xC2 | 0xE2 | 0xE3 | 0xEF)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The byte of a percent escape at `i` and its length, or `None`.
fn escape(b: &[u8], i: usize) -> Option<(u8, usize)> {
    if b.get(i) != Some(&b'%') {
        return None;
    }
    let byte = |j: usize| b.get(j).copied().and_then(hex);
    let value = byte(i + 1)? << 4 | byte(i + 2)?;
    if value < 0x80 {
        return Some((value, 3));
    }
    // A percent-encoded no-break space, %C2%A0.
    let nbsp = value == 0xC2
        && b.get(i + 3) == Some(&b'%')
        && byte(i + 4) == Some(0xA)
        && byte(i + 5) == Some(0);
    nbsp.then_some((b' ', 6))
}

/// The ASCII byte a multi-byte character at `i` stands for, and its length.
fn unicode(b: &[u8], i: usize) -> Option<(u8, usize)> {
    let c = |k: usize| b.get(i + k).copied().unwrap_or(0);
    match (c(0), c(1), c(2)) {
        // No-break space.
        (0xC2, 0xA0, _) => Some((b' ', 2)),
        // En quad to hair space, narrow no-break space, medium mathematical
        // space; hyphens and dashes U+2010-U+2015.
        (0xE2, 0x80, 0x80..=0x8A | 0xAF) | (0xE2, 0x81, 0x9F) => Some((b' ', 3)),
        (0xE2, 0x80, 0x90..=0x95) => Some((b'-', 3)),
        // Ideographic space.
        (0xE3, 0x80, 0x80) => Some((b' ', 3)),
        // Full-width hyphen-minus, full stop, digits.
        (0xEF, 0xBC, 0x8D) => Some((b'-', 3)),
        (0xEF, 0xBC, 0x8E) => Some((b'.', 3)),
        (0xEF, 0xBC, d @ 0x90..=0x99) => Some((b'0' + (d - 0x90), 3)),
        _ => None,
    }
}

/// The normalised copy of `b` and, for each of its bytes (and its end),
/// the offset in `b` it comes from.
fn normalise(b: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(b.len());
    let mut map = Vec::with_capacity(b.len() + 1);
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let (byte, len) = match c {
            b'%' => escape(b, i).unwrap_or((c, 1)),
            b'+' if i > 0
                && detect_digit(b, i - 1)
                && b.get(i + 1).is_some_and(u8::is_ascii_digit) =>
            {
                (b' ', 1)
            }
            _ if is_lead(c) => unicode(b, i).unwrap_or((c, 1)),
            _ => (c, 1),
        };
        out.push(byte);
        map.push(i);
        i += len;
    }
    map.push(b.len());
    (out, map)
}

fn detect_digit(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// A value at `at` that is the base64 or base64url of text holding a card
/// number: 20 to 128 base64 characters (padding allowed) up to the end of
/// the value, decoding to printable ASCII text in which the detector finds
/// a card number. The whole value is reported.
fn base64_value(b: &[u8], at: usize, out: &mut Vec<Match>) {
    let rest = b.get(at..).unwrap_or_default();
    let body = rest.iter().position(|c| !is_b64(*c)).unwrap_or(rest.len());
    let pad = rest
        .get(body..)
        .unwrap_or_default()
        .iter()
        .take(2)
        .take_while(|c| **c == b'=')
        .count();
    let end = at + body + pad;
    if !(20..=128).contains(&body) || b.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return;
    }
    let token = b.get(at..at + body).unwrap_or_default();
    let url = token.iter().any(|c| matches!(c, b'-' | b'_'));
    let std = token.iter().any(|c| matches!(c, b'+' | b'/'));
    if url && std {
        return;
    }
    let engine = if url {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let Ok(decoded) = engine.decode(token) else {
        return;
    };
    if !decoded.iter().all(|c| matches!(c, b' '..=b'~')) {
        return;
    }
    let mut found = Vec::new();
    detect::digits_and_at(&decoded, &mut found);
    if let Some(card) = found.iter().find(|m| m.kind == Kind::CardNumber) {
        out.push(Match {
            start: at,
            end,
            ..*card
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards_in(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut hints = Hints::default();
        detect::hints(text.as_bytes(), &mut hints);
        cards(text.as_bytes(), &hints, &mut out);
        out.iter()
            .map(|m| text.get(m.start..m.end).unwrap())
            .collect()
    }

    #[test]
    fn disguises_are_undone_and_spans_are_original() {
        assert_eq!(
            cards_in("card 4111\u{a0}1111\u{a0}1111\u{a0}1111 ok"),
            ["4111\u{a0}1111\u{a0}1111\u{a0}1111"]
        );
        assert_eq!(
            cards_in("card 4111\u{202f}1111\u{2007}1111\u{2009}1111"),
            ["4111\u{202f}1111\u{2007}1111\u{2009}1111"]
        );
        let wide = "\u{ff14}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}";
        assert_eq!(cards_in(&format!("card {wide}")), [wide]);
        assert_eq!(
            cards_in("GET /pay?card=4111%201111%201111%201111&x=1"),
            ["4111%201111%201111%201111"]
        );
        assert_eq!(
            cards_in("card=4111+1111+1111+1111&cvv=123"),
            ["4111+1111+1111+1111"]
        );
        assert_eq!(
            cards_in("q=card%3D4111%C2%A01111%C2%A01111%C2%A01111"),
            ["4111%C2%A01111%C2%A01111%C2%A01111"]
        );
        // base64 and base64url of "4111 1111 1111 1111" and "4111111111111111".
        assert_eq!(
            cards_in("v: NDExMSAxMTExIDExMTEgMTExMQ== end"),
            ["NDExMSAxMTExIDExMTEgMTExMQ=="]
        );
        assert_eq!(
            cards_in("NDExMSAxMTExIDExMTEgMTExMQ=="),
            ["NDExMSAxMTExIDExMTEgMTExMQ=="]
        );
        // Not a value: inside prose.
        assert!(cards_in("v NDExMSAxMTExIDExMTEgMTExMQ== end").is_empty());
        assert_eq!(
            cards_in("v=NDExMTExMTExMTExMTExMQ"),
            ["NDExMTExMTExMTExMTExMQ"]
        );
    }

    #[test]
    fn look_alikes_stay_quiet() {
        // Plain forms are the plain scan's; not Luhn-valid; percent escapes
        // without digits; base64 of text without a card; binary base64.
        assert!(cards_in("card 4111 1111 1111 1111").is_empty());
        assert!(cards_in("card 4111\u{a0}1111\u{a0}1111\u{a0}1112").is_empty());
        assert!(cards_in("a%20b%20c+d 12").is_empty());
        assert!(cards_in("MTIzNDU2Nzg5MDEyMzQ1Ng==").is_empty());
        assert!(cards_in("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA").is_empty());
        assert!(cards_in("version 1.2+3 build 4%").is_empty());
    }
}
