//! The detectors: one pass over the text looking for digits and `@` eight
//! bytes at a time (SWAR), one Aho-Corasick pass (SIMD prefilter) for the
//! literal prefixes of secrets and the names of credentials, then strict
//! verification of every candidate (checksums, issuer ranges, lengths,
//! character sets, boundaries, decoded headers). Cost is linear in the text:
//! every candidate is verified in time bounded by a constant or by the
//! length of what it consumes, and scanning resumes after it.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use base64::Engine as _;

use super::{Confidence, Kind, Match};

/// Scans `text`, appending what it finds to `out` (sorted by position, no
/// two overlapping).
pub(crate) fn scan(text: &str, out: &mut Vec<Match>) {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut hints = Hints {
        separator: digits_and_at(b, &mut found),
        ..Hints::default()
    };
    prefixes(b, &mut found, &mut hints);
    super::disguise::cards(b, &hints, &mut found);
    if found.is_empty() {
        return;
    }
    resolve_overlaps(&mut found);
    // A marker starts with `[`: most texts have none, which one `memchr`
    // tells sooner than the substring search.
    if memchr::memchr(b'[', b).is_some() && MARKER_FINDER.find(b).is_some() {
        // Both lists are sorted: one merge pass drops what overlaps a marker.
        let regions = marker_regions(b);
        let mut r = regions.iter().peekable();
        found.retain(|m| {
            while r.peek().is_some_and(|&&(_, e)| e <= m.start) {
                r.next();
            }
            r.peek().is_none_or(|&&(s, _)| s >= m.end)
        });
    }
    if out.is_empty() {
        // The caller's list is new (as every caller's is): take this one's
        // memory instead of copying into another.
        *out = found;
    } else {
        out.extend(found);
    }
}

/// The start of every replacement redaction writes. Text inside
/// `[REDACTED…]` is never reported, which makes redaction idempotent.
pub(crate) const MARKER: &[u8] = b"[REDACTED";

/// A searcher for [`MARKER`], built once (`memmem::find` builds one per
/// call, which costs more than searching a short field).
static MARKER_FINDER: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(MARKER));

fn marker_regions(b: &[u8]) -> Vec<(usize, usize)> {
    memchr::memmem::find_iter(b, MARKER)
        .map(|s| {
            let end = b
                .get(s..b.len().min(s + 128))
                .and_then(|w| memchr::memchr(b']', w))
                .map_or(s + MARKER.len(), |i| s + i + 1);
            (s, end)
        })
        .collect()
}

/// How specific a kind is, to settle overlapping findings of equal
/// confidence: a JWT inside a bearer header is reported as a JWT.
fn rank(kind: Kind) -> u8 {
    match kind {
        Kind::PrivateKey => 9,
        Kind::Jwt => 8,
        Kind::ApiKey | Kind::AwsAccessKey => 7,
        Kind::BearerToken => 6,
        Kind::CardNumber => 5,
        Kind::Credential => 4,
        Kind::UsSsn => 3,
        Kind::PhoneNumber => 2,
        Kind::Email => 1,
    }
}

/// Sorts the matches by position and keeps, of each run of overlapping
/// ones, the best; in place (the kept ones are compacted to the front).
fn resolve_overlaps(found: &mut Vec<Match>) {
    if found.len() < 2 {
        return;
    }
    found.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    // `found[..kept]` holds the matches kept so far; the match read next is
    // always at or after `kept`, so writing there loses nothing unread.
    let mut kept: usize = 0;
    for i in 0..found.len() {
        let Some(&m) = found.get(i) else { break };
        match kept.checked_sub(1).and_then(|last| found.get_mut(last)) {
            Some(last) if m.start < last.end => {
                let better = (m.confidence, rank(m.kind), m.end - m.start)
                    > (last.confidence, rank(last.kind), last.end - last.start);
                if better {
                    *last = m;
                }
            }
            _ => {
                if let Some(slot) = found.get_mut(kept) {
                    *slot = m;
                }
                kept += 1;
            }
        }
    }
    found.truncate(kept);
}

fn byte(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

fn before(b: &[u8], i: usize) -> u8 {
    i.checked_sub(1).map_or(0, |j| byte(b, j))
}

/// ASCII letters, digits and `_`, by table: word skipping is the hottest
/// loop of the scan on log text full of ids.
#[allow(clippy::indexing_slicing)] // compile time: c < 256 indexes 256 entries
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        #[allow(clippy::cast_possible_truncation)] // c < 256
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    t
};

fn is_word(c: u8) -> bool {
    // Always in bounds (a u8 indexes 256 entries); the optimiser drops the check.
    WORD.get(usize::from(c)).copied().unwrap_or(false)
}

/// Where the word that `from` is in (or starts) ends.
fn word_end(b: &[u8], from: usize) -> usize {
    let rest = b.get(from..).unwrap_or_default();
    from + rest.iter().position(|&c| !is_word(c)).unwrap_or(rest.len())
}

fn digit_run(b: &[u8], mut i: usize) -> usize {
    while byte(b, i).is_ascii_digit() {
        i += 1;
    }
    i
}

// ---------------------------------------------------------------------------
// Digits and `@`

use crate::swar::word_at;

/// The lowest of the eight bytes of `w` (little-endian) that is an ASCII
/// digit, `:;<=>?` or `@`, if any: the bytes that XOR 0x30 fall below 0x10,
/// or XOR 0x40 are zero. The subtraction's borrows can flag bytes above a
/// flagged one, never below the lowest, so the lowest flag is exact.
fn first_interesting(w: u64) -> Option<usize> {
    use crate::swar::{LO, below, eq, first};
    first(below(w ^ (LO * 0x30), 0x10) | eq(w, b'@'))
}

/// What the digit scan noticed on its way that a card number in disguise
/// needs (see `disguise`), so that text without any costs nothing more.
#[derive(Debug, Default)]
pub(super) struct Hints {
    /// A digit run ends at a byte a disguise puts between groups (`%`, `+`,
    /// the lead byte of a Unicode space or dash).
    pub(super) separator: bool,
    /// The text has a full-width digit (found by the prefix automaton).
    pub(super) full_width: bool,
    /// Where a value starts after `=` or `:` that may be base64 of digits
    /// (noted by the pass over separators for named credentials).
    pub(super) values: Vec<usize>,
}

/// A byte a disguise may put right after a group of digits.
fn is_disguise_separator(c: u8) -> bool {
    matches!(c, b'%' | b'+' | 0xC2 | 0xE2 | 0xE3 | 0xEF)
}

/// Base64 of text starting with a card's first digit (2-6) starts with
/// `Mj`, `Mz`, `ND`, `NT` or `Nj`.
pub(super) fn is_base64_digits_start(b: &[u8], at: usize) -> bool {
    matches!(
        (byte(b, at), byte(b, at + 1)),
        (b'M', b'j' | b'z') | (b'N', b'D' | b'T' | b'j')
    )
}

/// The hints the two passes of [`scan`] leave about `b` (for tests).
#[cfg(test)]
pub(super) fn hints(b: &[u8], hints: &mut Hints) {
    let mut found = Vec::new();
    hints.separator = digits_and_at(b, &mut found);
    prefixes(b, &mut found, hints);
}

/// Finds the digit-led and `@`-led kinds; returns true when a digit run
/// ended at a byte a disguise puts between groups ([`Hints::separator`]).
pub(super) fn digits_and_at(b: &[u8], out: &mut Vec<Match>) -> bool {
    let mut separator = false;
    let mut i = 0;
    while i < b.len() {
        let j = if let Some(w) = word_at(b, i) {
            // Jump straight to the first byte worth a look in the next
            // eight; skip all eight when there is none.
            match first_interesting(w) {
                Some(k) => i + k,
                None => {
                    i += 8;
                    continue;
                }
            }
        } else {
            // The last few bytes, one at a time.
            i
        };
        i = match byte(b, j) {
            c if c.is_ascii_digit() => {
                let next = numeric(b, j, out).max(j + 1);
                separator |= is_disguise_separator(byte(b, next));
                next
            }
            b'@' => at_sign(b, j, out).max(j + 1),
            _ => j + 1,
        };
    }
    separator
}

/// Looks for lower-case `words` in the `window` bytes before `at`.
fn context_has(b: &[u8], at: usize, window: usize, words: &[&str]) -> bool {
    let from = at.saturating_sub(window);
    let Some(slice) = b.get(from..at) else {
        return false;
    };
    let mut lower = [0u8; 64];
    let len = slice.len().min(lower.len());
    for (d, s) in lower.iter_mut().zip(slice.iter().skip(slice.len() - len)) {
        *d = s.to_ascii_lowercase();
    }
    let lower = lower.get(..len).unwrap_or_default();
    words
        .iter()
        .any(|w| memchr::memmem::find(lower, w.as_bytes()).is_some())
}

/// A digit at `j`: a card number, social security number or phone number
/// may start here. Returns where scanning resumes.
fn numeric(b: &[u8], j: usize, out: &mut Vec<Match>) -> usize {
    let prev = before(b, j);
    if is_word(prev) {
        // Inside a word or a hex id: skip the word.
        return word_end(b, j);
    }
    if matches!(prev, b'.' | b',') && before(b, j - 1).is_ascii_digit() {
        // The fraction of a decimal number.
        return digit_run(b, j);
    }
    if prev == b'+' && !is_word(before(b, j - 1)) {
        return international_phone(b, j - 1, out);
    }
    if prev == b'(' {
        if let Some(end) = parenthesized_phone(b, j - 1, out) {
            return end;
        }
    }

    // Digit groups with one consistent separator: space, dash or dot.
    let mut groups = [(0usize, 0usize); 8];
    let mut count = 0;
    let mut total = 0;
    let mut sep = None;
    let mut pos = j;
    let mut last_len;
    let end = loop {
        let e = digit_run(b, pos);
        if let Some(g) = groups.get_mut(count) {
            *g = (pos, e);
        }
        count += 1;
        total += e - pos;
        last_len = e - pos;
        let s = byte(b, e);
        // No card, SSN or phone number groups more than six digits: a
        // longer group stands alone, whatever follows it.
        if count < groups.len()
            && last_len <= 6
            && total <= 19
            && matches!(s, b' ' | b'-' | b'.')
            && byte(b, e + 1).is_ascii_digit()
            && sep.is_none_or(|x| x == s)
        {
            sep = Some(s);
            pos = e + 1;
            continue;
        }
        break e;
    };
    // The candidate must end at a boundary: not inside a word, a decimal
    // number, an email address, or a longer run with another separator.
    let after = byte(b, end);
    if is_word(after) {
        // Digits that run into a word (`4bf92f…`, `28T09`): every later
        // digit of that word would be skipped as inside it, so skip it now.
        return word_end(b, end);
    }
    let continues = byte(b, end + 1).is_ascii_digit()
        && (matches!(after, b'.' | b',' | b'/' | b':')
            || (matches!(after, b' ' | b'-') && last_len <= 6));
    let bounded = !(after == b'@' || continues);
    if !bounded || count > 7 {
        return end;
    }
    // Every kind found here has 9 digits or more (an SSN) and 19 at most (a
    // card number); most digit runs in logs (counters, dates, addresses,
    // versions) end here.
    if !(9..=19).contains(&total) {
        return end;
    }
    let groups = groups.get(..count).unwrap_or_default();
    let mut lens_buf = [0usize; 8];
    let mut digits_buf = [0u8; 19];
    let mut n = 0;
    for (len, &(s, e)) in lens_buf.iter_mut().zip(groups) {
        *len = e - s;
        for &c in b.get(s..e).unwrap_or_default() {
            if let Some(d) = digits_buf.get_mut(n) {
                *d = c - b'0';
            }
            n += 1;
        }
    }
    let lens = lens_buf.get(..count).unwrap_or_default();
    let digits = digits_buf.get(..n).unwrap_or_default();

    if let Some(confidence) = card(b, j, digits, lens, sep) {
        out.push(Match {
            kind: Kind::CardNumber,
            start: j,
            end,
            confidence,
        });
        return end;
    }
    if sep != Some(b'.') {
        if let Some(confidence) = ssn(b, j, digits, lens, sep) {
            out.push(Match {
                kind: Kind::UsSsn,
                start: j,
                end,
                confidence,
            });
            return end;
        }
    }
    if sep.is_some() && nanp(digits, lens) {
        out.push(Match {
            kind: Kind::PhoneNumber,
            start: j,
            end,
            confidence: Confidence::Medium,
        });
    }
    end
}

/// Words that, just before a number, say it is a card number.
pub(crate) const CARD_WORDS: &[&str] = &[
    "card",
    "pan",
    "credit",
    "debit",
    "visa",
    "mastercard",
    "amex",
];

/// Words that, in the 40 bytes before a number, say it is a card number.
const CARD_CONTEXT: &[&str] = &[
    "card",
    "pan",
    "credit",
    "debit",
    "visa",
    "mastercard",
    "amex",
    "cc",
];

/// A payment card number: 13-19 digits, plain or grouped in fours (or
/// 4-6-5 / 4-6-4 for Amex and Diners), Luhn-valid, in an issuer range.
fn card(
    b: &[u8],
    start: usize,
    digits: &[u8],
    lens: &[usize],
    sep: Option<u8>,
) -> Option<Confidence> {
    if !(13..=19).contains(&digits.len()) || !luhn(digits) || !issuer(digits) {
        return None;
    }
    let grouped = match lens {
        [_] => false,
        [4, 6, 4] | [4, 6, 5] => true,
        [first @ .., last] => first.iter().all(|&l| l == 4) && (1..=4).contains(last),
        [] => return None,
    };
    if lens.len() > 1 && !grouped {
        return None;
    }
    // Dots group a card number only in fours (`4111.1111.1111.1111`) and
    // after a card word: dotted digits are more often versions and builds.
    if sep == Some(b'.')
        && !(lens.len() >= 4
            && lens.iter().rev().skip(1).all(|&l| l == 4)
            && context_has(b, start, 40, CARD_CONTEXT))
    {
        return None;
    }
    if sep.is_some() || context_has(b, start, 40, CARD_CONTEXT) {
        Some(Confidence::High)
    } else {
        Some(Confidence::Medium)
    }
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Known issuer identification number ranges and the lengths each issues.
fn issuer(d: &[u8]) -> bool {
    let prefix = |n: usize| {
        d.iter()
            .take(n)
            .fold(0u32, |acc, &x| acc * 10 + u32::from(x))
    };
    let len = d.len();
    let (p1, p2, p3, p4, p6) = (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6));
    match p1 {
        // Visa.
        4 => matches!(len, 13 | 16 | 19),
        // Mastercard (51-55, 2221-2720), Mir (2200-2204), Maestro.
        5 => {
            ((51..=55).contains(&p2) && len == 16)
                || (matches!(p4, 5018 | 5020 | 5038 | 5893) && (12..=19).contains(&len))
        }
        2 => {
            ((2221..=2720).contains(&p4) && len == 16)
                || ((2200..=2204).contains(&p4) && (16..=19).contains(&len))
        }
        // Amex (34, 37), JCB (3528-3589), Diners (300-305, 3095, 36, 38, 39).
        3 => {
            (matches!(p2, 34 | 37) && len == 15)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&len))
                || (((300..=305).contains(&p3) || p4 == 3095 || matches!(p2, 36 | 38 | 39))
                    && (14..=19).contains(&len))
        }
        // Discover (6011, 644-649, 65), UnionPay (62), Maestro (6304, 6759, 6761-6763).
        6 => {
            ((p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || p2 == 62)
                && (16..=19).contains(&len))
                || ((622_126..=622_925).contains(&p6) && (16..=19).contains(&len))
                || (matches!(p4, 6304 | 6759 | 6761 | 6762 | 6763) && (12..=19).contains(&len))
        }
        _ => false,
    }
}

/// A US social security number: 3-2-4 digits with a dash or space, area not
/// 000, 666 or 9xx, group not 00, serial not 0000; nine plain digits only
/// right after a word like "SSN".
fn ssn(
    b: &[u8],
    start: usize,
    digits: &[u8],
    lens: &[usize],
    sep: Option<u8>,
) -> Option<Confidence> {
    let confidence = match (lens, sep) {
        ([3, 2, 4], Some(b'-')) => Confidence::High,
        ([3, 2, 4], Some(b' ')) => Confidence::Medium,
        ([9], None)
            if context_has(
                b,
                start,
                24,
                &["ssn", "social security", "social_security", "ss#"],
            ) =>
        {
            Confidence::Medium
        }
        _ => return None,
    };
    let n = |r: std::ops::Range<usize>| {
        digits
            .get(r)
            .unwrap_or_default()
            .iter()
            .fold(0u32, |a, &x| a * 10 + u32::from(x))
    };
    let (area, group, serial) = (n(0..3), n(3..5), n(5..9));
    (area != 0 && area != 666 && area < 900 && group != 0 && serial != 0).then_some(confidence)
}

/// Nine plain digits that are a valid SSN (area, group and serial), for a
/// value whose member name says it is one.
pub(crate) fn plain_ssn(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits: Vec<u8> = b.iter().map(|c| c - b'0').collect();
    ssn(b"ssn", 3, &digits, &[9], None).is_some()
}

/// A North American number: [1] NXX NXX XXXX with the area code not N11.
fn nanp(digits: &[u8], lens: &[usize]) -> bool {
    let d = match lens {
        [3, 3, 4] => digits,
        [1, 3, 3, 4] if digits.first() == Some(&1) => digits.get(1..).unwrap_or_default(),
        _ => return false,
    };
    let at = |i: usize| d.get(i).copied().unwrap_or(0);
    at(0) >= 2 && at(3) >= 2 && !(at(1) == 1 && at(2) == 1)
}

/// `(NXX) NXX-XXXX`, the `(` at `open`.
fn parenthesized_phone(b: &[u8], open: usize, out: &mut Vec<Match>) -> Option<usize> {
    if is_word(before(b, open)) {
        return None;
    }
    let a = open + 1;
    if digit_run(b, a) != a + 3 || byte(b, a + 3) != b')' {
        return None;
    }
    let mut p = a + 4;
    if byte(b, p) == b' ' {
        p += 1;
    }
    if digit_run(b, p) != p + 3 || !matches!(byte(b, p + 3), b'-' | b'.' | b' ') {
        return None;
    }
    let q = p + 4;
    let end = digit_run(b, q);
    if end != q + 4 || is_word(byte(b, end)) {
        return None;
    }
    let digits: Vec<u8> = [a..a + 3, p..p + 3, q..q + 4]
        .into_iter()
        .flat_map(|r| b.get(r).unwrap_or_default().iter().map(|c| c - b'0'))
        .collect();
    if !nanp(&digits, &[3, 3, 4]) {
        return Some(end);
    }
    out.push(Match {
        kind: Kind::PhoneNumber,
        start: open,
        end,
        confidence: Confidence::Medium,
    });
    Some(end)
}

/// `+CC …`: 8-15 digits after the plus, grouped by spaces, dashes, dots or
/// parentheses. The `+` at `plus`.
fn international_phone(b: &[u8], plus: usize, out: &mut Vec<Match>) -> usize {
    let mut p = plus + 1;
    let mut digits = 0;
    let mut end = p;
    while p < b.len() {
        let c = byte(b, p);
        if c.is_ascii_digit() {
            digits += 1;
            p += 1;
            end = p;
        } else if matches!(c, b' ' | b'-' | b'.' | b'(' | b')')
            && (byte(b, p + 1).is_ascii_digit()
                || (c == b')' && byte(b, p + 1) == b' ' && byte(b, p + 2).is_ascii_digit())
                || (c == b' ' && byte(b, p + 1) == b'(' && byte(b, p + 2).is_ascii_digit()))
        {
            p += 1;
        } else {
            break;
        }
        if digits > 15 {
            return digit_run(b, p);
        }
    }
    let after = byte(b, end);
    let bounded = !(is_word(after)
        || after == b'@'
        || (matches!(after, b'.' | b',' | b':') && byte(b, end + 1).is_ascii_digit()));
    if bounded && (8..=15).contains(&digits) && byte(b, plus + 1) != b'0' {
        out.push(Match {
            kind: Kind::PhoneNumber,
            start: plus,
            end,
            confidence: if digits >= 10 {
                Confidence::High
            } else {
                Confidence::Medium
            },
        });
    }
    end
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// Whether `tld` (in any case) is an extension that follows `@2x` in asset
/// names: `icon@2x.png` is a file. One comparison per candidate of the
/// same length, where a list compared in turn cost more than the rest of
/// an address's check.
fn is_file_extension(tld: &[u8]) -> bool {
    let mut lower = [0u8; 4];
    let Some(dst) = lower.get_mut(..tld.len()) else {
        // Longer than every extension.
        return false;
    };
    for (d, s) in dst.iter_mut().zip(tld) {
        *d = s.to_ascii_lowercase();
    }
    matches!(
        &*dst,
        b"png"
            | b"jpg"
            | b"jpeg"
            | b"gif"
            | b"svg"
            | b"webp"
            | b"ico"
            | b"bmp"
            | b"tif"
            | b"tiff"
            | b"css"
            | b"js"
            | b"mjs"
            | b"map"
            | b"json"
            | b"txt"
            | b"html"
            | b"htm"
            | b"xml"
            | b"yaml"
            | b"yml"
            | b"zip"
            | b"gz"
            | b"tgz"
    )
}

/// An `@` at `a`: an email address, or the password of a URL
/// (`scheme://user:password@host`).
fn at_sign(b: &[u8], a: usize, out: &mut Vec<Match>) -> usize {
    let mut ls = a;
    while ls > 0 && a - ls < 64 && is_local_char(before(b, ls)) {
        ls -= 1;
    }
    if is_local_char(before(b, ls)) {
        // A local part over 64 bytes.
        return a + 1;
    }
    // The domain.
    let mut p = a + 1;
    let mut labels = 0;
    let mut last_label = (p, p);
    loop {
        let start = p;
        while is_label_char(byte(b, p)) {
            p += 1;
        }
        let label = b.get(start..p).unwrap_or_default();
        if label.is_empty()
            || label.len() > 63
            || label.first() == Some(&b'-')
            || label.last() == Some(&b'-')
        {
            if labels == 0 {
                return a + 1;
            }
            // The domain ended before this bad label.
            break;
        }
        labels += 1;
        last_label = (start, p);
        if byte(b, p) == b'.' && is_label_char(byte(b, p + 1)) {
            p += 1;
            continue;
        }
        break;
    }
    let domain_end = last_label.1;

    // scheme://user:password@host (the local-part scan stopped at the `:`).
    if before(b, ls) == b':' {
        let colon = ls - 1;
        let mut us = colon;
        while us > 0 && is_userinfo_char(before(b, us)) {
            us -= 1;
        }
        if us >= 2 && b.get(us - 2..us) == Some(b"//") {
            if ls < a && !is_placeholder(b.get(ls..a).unwrap_or_default()) {
                out.push(Match {
                    kind: Kind::Credential,
                    start: ls,
                    end: a,
                    confidence: Confidence::High,
                });
            }
            return domain_end.max(a + 1);
        }
    }
    let local = b.get(ls..a).unwrap_or_default();
    let tld = b.get(last_label.0..last_label.1).unwrap_or_default();
    let tld_ok = (tld.len() >= 2 && tld.len() <= 24 && tld.iter().all(u8::is_ascii_alphabetic))
        || (tld.len() > 4 && tld.starts_with(b"xn--"));
    let after = byte(b, domain_end);
    let ok = !local.is_empty()
        && local.first() != Some(&b'.')
        && local.last() != Some(&b'.')
        && !local.windows(2).any(|w| w == b"..")
        && labels >= 2
        && tld_ok
        && !is_file_extension(tld)
        && !is_word(after)
        && after != b'@'
        // scp-style `git@host:path` is a remote, not a mailbox.
        && !(local == b"git" && after == b':');
    if ok {
        out.push(Match {
            kind: Kind::Email,
            start: ls,
            end: domain_end,
            confidence: Confidence::High,
        });
    }
    domain_end.max(a + 1)
}

fn is_userinfo_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'.' | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b'-'
        )
}

// ---------------------------------------------------------------------------
// Literal prefixes

#[derive(Clone, Copy)]
enum Prefix {
    Aws,
    PemBegin,
    Jwt,
    Bearer,
    Basic,
    GitHub,
    GitHubPat,
    GitLab,
    Slack,
    Stripe,
    Google,
    OpenAi,
    Npm,
    HuggingFace,
    SendGrid,
    /// Not a secret: a full-width digit, a hint for `disguise`.
    FullWidthDigit,
}

/// The literal prefixes, exactly as vendors write them (matched with case).
const PREFIXES: &[(&str, Prefix)] = &[
    ("\u{ff10}", Prefix::FullWidthDigit),
    ("\u{ff11}", Prefix::FullWidthDigit),
    ("\u{ff12}", Prefix::FullWidthDigit),
    ("\u{ff13}", Prefix::FullWidthDigit),
    ("\u{ff14}", Prefix::FullWidthDigit),
    ("\u{ff15}", Prefix::FullWidthDigit),
    ("\u{ff16}", Prefix::FullWidthDigit),
    ("\u{ff17}", Prefix::FullWidthDigit),
    ("\u{ff18}", Prefix::FullWidthDigit),
    ("\u{ff19}", Prefix::FullWidthDigit),
    ("-----BEGIN ", Prefix::PemBegin),
    ("github_pat_", Prefix::GitHubPat),
    ("sk_live_", Prefix::Stripe),
    ("rk_live_", Prefix::Stripe),
    ("sk_test_", Prefix::Stripe),
    ("rk_test_", Prefix::Stripe),
    ("AKIA", Prefix::Aws),
    ("ASIA", Prefix::Aws),
    ("ABIA", Prefix::Aws),
    ("ACCA", Prefix::Aws),
    ("eyJ", Prefix::Jwt),
    ("Bearer ", Prefix::Bearer),
    ("bearer ", Prefix::Bearer),
    ("BEARER ", Prefix::Bearer),
    ("Basic ", Prefix::Basic),
    ("basic ", Prefix::Basic),
    ("BASIC ", Prefix::Basic),
    ("ghp_", Prefix::GitHub),
    ("gho_", Prefix::GitHub),
    ("ghu_", Prefix::GitHub),
    ("ghs_", Prefix::GitHub),
    ("ghr_", Prefix::GitHub),
    ("glpat-", Prefix::GitLab),
    ("xoxb-", Prefix::Slack),
    ("xoxp-", Prefix::Slack),
    ("xoxa-", Prefix::Slack),
    ("xoxr-", Prefix::Slack),
    ("xoxs-", Prefix::Slack),
    ("AIza", Prefix::Google),
    ("sk-", Prefix::OpenAi),
    ("npm_", Prefix::Npm),
    ("hf_", Prefix::HuggingFace),
    ("SG.", Prefix::SendGrid),
];

#[allow(clippy::expect_used)] // The patterns are constants; the tests build the automaton.
static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostFirst)
        .build(PREFIXES.iter().map(|(p, _)| p))
        .expect("the prefix patterns are valid")
});

/// Texts up to this long are first checked for the first three bytes of a
/// prefix ([`may_hold_prefix`]): most fields of a record are short ids and
/// names, where starting the automaton costs more than the text.
const SHORT_TEXT: usize = 64;

/// A 16-bit hash of three bytes.
const fn trigram(a: u8, b: u8, c: u8) -> usize {
    ((a as usize) ^ ((b as usize) << 4) ^ ((c as usize) << 8)) & 0xffff
}

/// A 16-bit hash of four bytes.
const fn quadgram(a: u8, b: u8, c: u8, d: u8) -> usize {
    (u32::from_le_bytes([a, b, c, d]).wrapping_mul(0x9e37_79b1) >> 16) as usize
}

/// A bit set of 16-bit hashes of the prefixes' first bytes: of three
/// (`QUAD` false) or four (`QUAD` true) bytes, of the prefixes of exactly
/// three bytes (`ALL` false) or of every prefix (`ALL` true, three bytes).
#[allow(clippy::indexing_slicing)] // compile time: the hash is below 65,536
const fn prefix_hashes<const QUAD: bool, const ALL: bool>() -> [u64; 1024] {
    let mut set = [0u64; 1024];
    let mut i = 0;
    while i < PREFIXES.len() {
        let p = PREFIXES[i].0.as_bytes();
        assert!(p.len() >= 3, "a prefix is shorter than three bytes");
        let h = if QUAD {
            if p.len() < 4 {
                i += 1;
                continue;
            }
            quadgram(p[0], p[1], p[2], p[3])
        } else {
            if !ALL && p.len() != 3 {
                i += 1;
                continue;
            }
            trigram(p[0], p[1], p[2])
        };
        set[h / 64] |= 1 << (h % 64);
        i += 1;
    }
    set
}

/// The hashes of the first three bytes of every prefix, as a bit set
/// (every prefix is at least three bytes long).
static PREFIX_TRIGRAMS: [u64; 1024] = prefix_hashes::<false, true>();
/// The same of the prefixes of exactly three bytes.
static SHORT_PREFIX_TRIGRAMS: [u64; 1024] = prefix_hashes::<false, false>();
/// The hashes of the first four bytes of the longer prefixes.
static PREFIX_QUADGRAMS: [u64; 1024] = prefix_hashes::<true, false>();

fn has(set: &[u64; 1024], h: usize) -> bool {
    set.get(h / 64)
        .is_some_and(|word| word & (1 << (h % 64)) != 0)
}

/// False when no prefix can start anywhere in `b`: no three consecutive
/// bytes hash like the start of one, or, where they do, like the start of
/// a prefix of three bytes or (with the next byte) like the first four of
/// a longer one (a word like `database` holds the first three bytes of
/// `basic `). True may be a false alarm (a hash collision), which the
/// automaton then settles.
fn may_hold_prefix(b: &[u8]) -> bool {
    b.windows(3).enumerate().any(|(i, w)| {
        let [x, y, z] = *w else { return false };
        let h = trigram(x, y, z);
        has(&PREFIX_TRIGRAMS, h)
            && (has(&SHORT_PREFIX_TRIGRAMS, h)
                || b.get(i + 3)
                    .is_some_and(|&u| has(&PREFIX_QUADGRAMS, quadgram(x, y, z, u))))
    })
}

fn prefixes(b: &[u8], out: &mut Vec<Match>, hints: &mut Hints) {
    let ac = &*AUTOMATON;
    let mut pos = 0;
    if b.len() <= SHORT_TEXT && !may_hold_prefix(b) {
        // The automaton would find nothing: go straight to the separators.
        pos = b.len();
    }
    while pos < b.len() {
        let Some(m) = ac.find(Input::new(b).span(pos..b.len())) else {
            break;
        };
        let Some(&(pattern, prefix)) = PREFIXES.get(m.pattern().as_usize()) else {
            break;
        };
        let start = m.start();
        if matches!(prefix, Prefix::FullWidthDigit) {
            hints.full_width = true;
            pos = m.end();
            continue;
        }
        let literal = b.get(start..m.end()).unwrap_or_default();
        let next = verify(b, start, literal, pattern, prefix, out);
        pos = next.unwrap_or(start + 1).max(start + 1);
    }
    // Named credentials: every `=` and `:` is a candidate separator; the
    // name before it decides.
    let mut at = 0;
    while let Some(i) = b.get(at..).and_then(separator) {
        let sep = at + i;
        let value = sep + 1 + usize::from(matches!(byte(b, sep + 1), b'"' | b' '));
        if is_base64_digits_start(b, value) {
            hints.values.push(value);
        }
        if let Some((s, e)) = named_credential(b, sep) {
            out.push(Match {
                kind: Kind::Credential,
                start: s,
                end: e,
                confidence: Confidence::Medium,
            });
        }
        at = sep + 1;
    }
}

/// The offset of the first `=` or `:` in `rest`: `memchr2` for long texts,
/// a plain loop for the short ones most fields hold (where setting up the
/// vector search costs more than the search).
fn separator(rest: &[u8]) -> Option<usize> {
    if rest.len() < 64 {
        rest.iter().position(|&c| c == b'=' || c == b':')
    } else {
        memchr::memchr2(b'=', b':', rest)
    }
}

/// Verifies a prefix match; returns where scanning resumes when something
/// was found (or consumed).
fn verify(
    b: &[u8],
    start: usize,
    literal: &[u8],
    pattern: &str,
    prefix: Prefix,
    out: &mut Vec<Match>,
) -> Option<usize> {
    // Case-sensitive prefixes must match exactly as vendors write them.
    let exact = |s: &str| literal == s.as_bytes();
    let boundary = !is_word(before(b, start));
    let mut push = |kind, s, e, confidence| {
        out.push(Match {
            kind,
            start: s,
            end: e,
            confidence,
        });
        Some(e)
    };
    let after = start + literal.len();
    match prefix {
        Prefix::Aws => {
            if !boundary || !literal.iter().all(u8::is_ascii_uppercase) {
                return None;
            }
            let end = run_max(b, after, 17, |c| {
                c.is_ascii_uppercase() || c.is_ascii_digit()
            });
            (end == after + 16 && !is_word(byte(b, end)))
                .then_some(())
                .and_then(|()| push(Kind::AwsAccessKey, start, end, Confidence::High))
        }
        Prefix::PemBegin => {
            if !literal.starts_with(b"-----BEGIN ") {
                return None;
            }
            private_key(b, after)
                .and_then(|end| push(Kind::PrivateKey, start, end, Confidence::High))
        }
        Prefix::Jwt => {
            if !exact("eyJ") || !boundary_b64(before(b, start)) {
                return None;
            }
            jwt(b, start).and_then(|end| push(Kind::Jwt, start, end, Confidence::High))
        }
        Prefix::Bearer => {
            if !boundary {
                return None;
            }
            let p = run_max(b, after, 16, |c| c == b' ');
            let end = run_max(b, p, 4097, |c| {
                c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
            });
            let end = run_max(b, end, 2, |c| c == b'=');
            let token = b.get(p..end).unwrap_or_default();
            let classes = char_classes(token);
            if token.len() < 16 || token.len() > 4096 || classes < 2 || is_word(byte(b, end)) {
                return None;
            }
            let confidence = if token.len() >= 20 && classes >= 3 {
                Confidence::High
            } else {
                Confidence::Medium
            };
            // Resume inside the token: a JWT or API key there is more specific.
            push(Kind::BearerToken, p, end, confidence).map(|_| after)
        }
        Prefix::Basic => {
            if !boundary {
                return None;
            }
            let p = run_max(b, after, 16, |c| c == b' ');
            let end = run_max(b, p, 1025, |c| {
                c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/')
            });
            let end = run_max(b, end, 2, |c| c == b'=');
            let token = b.get(p..end).unwrap_or_default();
            if token.len() < 8 || token.len() > 1024 || is_word(byte(b, end)) {
                return None;
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(token)
                .ok()?;
            let text = std::str::from_utf8(&decoded).ok()?;
            let (user, password) = text.split_once(':')?;
            let printable = text.chars().all(|c| !c.is_control());
            (printable && !user.is_empty() && !password.is_empty())
                .then_some(())
                .and_then(|()| push(Kind::Credential, p, end, Confidence::High))
        }
        Prefix::GitHub => fixed(b, after, exact(pattern) && boundary, 36, 36, is_alnum)
            .and_then(|end| push(Kind::ApiKey, start, end, Confidence::High)),
        Prefix::GitHubPat => fixed(b, after, exact(pattern) && boundary, 50, 255, is_word)
            .and_then(|end| push(Kind::ApiKey, start, end, Confidence::High)),
        Prefix::GitLab => fixed(b, after, exact(pattern) && boundary, 20, 64, is_token_char)
            .and_then(|end| push(Kind::ApiKey, start, end, Confidence::High)),
        Prefix::Slack => {
            let end = fixed(b, after, exact(pattern) && boundary, 20, 250, |c| {
                c.is_ascii_alphanumeric() || c == b'-'
            })?;
            b.get(after..end)?
                .iter()
                .any(u8::is_ascii_digit)
                .then_some(())
                .and_then(|()| push(Kind::ApiKey, start, end, Confidence::High))
        }
        Prefix::Stripe => fixed(b, after, exact(pattern) && boundary, 16, 247, is_alnum)
            .and_then(|end| push(Kind::ApiKey, start, end, Confidence::High)),
        Prefix::Google => fixed(b, after, exact("AIza") && boundary, 35, 35, is_token_char)
            .and_then(|end| push(Kind::ApiKey, start, end, Confidence::High)),
        Prefix::OpenAi => {
            let end = fixed(b, after, exact("sk-") && boundary, 20, 256, is_token_char)?;
            let body = b.get(after..end)?;
            let mixed = body.iter().any(u8::is_ascii_digit)
                && body.iter().any(u8::is_ascii_uppercase)
                && body.iter().any(u8::is_ascii_lowercase);
            mixed
                .then_some(())
                .and_then(|()| push(Kind::ApiKey, start, end, Confidence::High))
        }
        Prefix::Npm => fixed(b, after, exact("npm_") && boundary, 36, 36, is_alnum)
            .and_then(|end| push(Kind::ApiKey, start, end, Confidence::High)),
        Prefix::HuggingFace => {
            let end = fixed(b, after, exact("hf_") && boundary, 34, 34, |c| {
                c.is_ascii_alphabetic()
            })?;
            let body = b.get(after..end)?;
            (body.iter().any(u8::is_ascii_uppercase) && body.iter().any(u8::is_ascii_lowercase))
                .then_some(())
                .and_then(|()| push(Kind::ApiKey, start, end, Confidence::High))
        }
        Prefix::SendGrid => {
            if !exact("SG.") || !boundary {
                return None;
            }
            let mid = run_max(b, after, 23, is_token_char);
            if mid != after + 22 || byte(b, mid) != b'.' {
                return None;
            }
            let end = run_max(b, mid + 1, 44, is_token_char);
            (end == mid + 44 && !is_word(byte(b, end)))
                .then_some(())
                .and_then(|()| push(Kind::ApiKey, start, end, Confidence::High))
        }
        // Handled (as a hint) before verification.
        Prefix::FullWidthDigit => None,
    }
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn boundary_b64(c: u8) -> bool {
    !(is_token_char(c) || c == b'.')
}

/// Like [`run`], but stops after `max` bytes, so that verifying one
/// candidate costs bounded time however long the text is.
fn run_max(b: &[u8], mut i: usize, max: usize, pred: impl Fn(u8) -> bool) -> usize {
    let limit = i.saturating_add(max).min(b.len());
    while i < limit && pred(byte(b, i)) {
        i += 1;
    }
    i
}

/// A body of `min..=max` characters matching `pred` after a prefix, ending
/// at a boundary.
fn fixed(
    b: &[u8],
    after: usize,
    ok: bool,
    min: usize,
    max: usize,
    pred: impl Fn(u8) -> bool,
) -> Option<usize> {
    if !ok {
        return None;
    }
    let end = run_max(b, after, max + 1, pred);
    let len = end - after;
    ((min..=max).contains(&len) && !is_token_char(byte(b, end))).then_some(end)
}

fn char_classes(token: &[u8]) -> usize {
    [
        token.iter().any(u8::is_ascii_lowercase),
        token.iter().any(u8::is_ascii_uppercase),
        token.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|x| **x)
    .count()
}

/// `-----BEGIN [TYPE ]PRIVATE KEY-----` (or `PGP PRIVATE KEY BLOCK`) at
/// `start`; the block ends after its `-----END …-----` line, or, when that
/// is missing, after the base64 body.
fn private_key(b: &[u8], after: usize) -> Option<usize> {
    let line_end = run_max(b, after, 41, |c| c.is_ascii_uppercase() || c == b' ');
    let label = b.get(after..line_end)?;
    if !(label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK"))
        || label.len() > 40
    {
        return None;
    }
    if b.get(line_end..line_end + 5) != Some(b"-----") {
        return None;
    }
    let body = line_end + 5;
    let window = b.get(body..b.len().min(body + 64 * 1024))?;
    if let Some(i) = memchr::memmem::find(window, b"-----END ") {
        let end_line = body + i + 9;
        let close = b
            .get(end_line..b.len().min(end_line + 64))
            .and_then(|w| memchr::memmem::find(w, b"-----"))
            .map_or(end_line, |j| end_line + j + 5);
        return Some(close);
    }
    Some(run_max(b, body, 64 * 1024, |c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'+' | b'/' | b'=' | b'\n' | b'\r' | b' ' | b':' | b'-' | b'\\'
            )
    }))
}

/// A JSON Web Token at `start` (`eyJ…`): three base64url segments, the
/// first decoding to a JSON header with an `alg` (JWS) or `typ`.
fn jwt(b: &[u8], start: usize) -> Option<usize> {
    const SEGMENT: usize = 16 * 1024;
    let h_end = run_max(b, start, SEGMENT, is_token_char);
    if byte(b, h_end) != b'.' || h_end - start < 10 {
        return None;
    }
    let p_end = run_max(b, h_end + 1, SEGMENT, is_token_char);
    if byte(b, p_end) != b'.' || p_end - h_end - 1 < 4 {
        return None;
    }
    let s_end = run_max(b, p_end + 1, SEGMENT, is_token_char);
    if !boundary_b64(byte(b, s_end)) {
        return None;
    }
    let header = b.get(start..h_end.min(start + 1024))?;
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.strip_suffix(b"=").unwrap_or(header))
        .ok()?;
    let looks_like_header = decoded.first() == Some(&b'{')
        && (memchr::memmem::find(&decoded, b"\"alg\"").is_some()
            || memchr::memmem::find(&decoded, b"\"typ\"").is_some());
    looks_like_header.then_some(s_end)
}

/// `password=…`, `"api_key": "…"`, `secret: …` in text: the `=` or `:` is
/// at `sep`; returns the value's span when the name before it names a secret.
fn named_credential(b: &[u8], sep: usize) -> Option<(usize, usize)> {
    // The name: an identifier right before the separator (spaces and a
    // closing quote allowed between), which as a whole must name a secret
    // (db_password, access_token, X-API-Key; not next_page_token, tokens).
    let mut ie = sep;
    while ie > 0 && sep - ie < 16 && before(b, ie) == b' ' {
        ie -= 1;
    }
    if matches!(before(b, ie), b'"' | b'\'') {
        ie -= 1;
    }
    // Most separators in logs (times, ports, URLs, key-value pairs) follow
    // a name that cannot be a secret's: reject those by their last letter
    // before reading the name.
    let last = before(b, ie).to_ascii_lowercase();
    if !SECRET_NAME_ENDS.contains(&last) && !matches!(last, b'_' | b'-' | b'.') {
        return None;
    }
    let mut is = ie;
    while is > 0 && ie - is < 40 && (is_word(before(b, is)) || matches!(before(b, is), b'-' | b'.'))
    {
        is -= 1;
    }
    if is == ie || is_word(before(b, is)) {
        return None;
    }
    let name = std::str::from_utf8(b.get(is..ie)?).ok()?;
    if !is_secret_name(name) {
        return None;
    }
    let p = run_max(b, sep + 1, 16, |c| c == b' ');
    let quote = byte(b, p);
    let (vs, ve) = if matches!(quote, b'"' | b'\'') {
        let vs = p + 1;
        let ve = run_max(b, vs, 513, |c| c != quote && c != b'\n' && c != b'\\');
        (vs, ve)
    } else {
        let ve = run_max(b, p, 513, |c| {
            !c.is_ascii_whitespace()
                && !matches!(c, b'&' | b',' | b';' | b')' | b'}' | b']' | b'"' | b'\'')
        });
        (p, ve)
    };
    let value = b.get(vs..ve)?;
    if value.len() < 6 || value.len() > 512 || is_placeholder(value) || looks_like_word(value) {
        return None;
    }
    Some((vs, ve))
}

/// True for values that stand in for a secret rather than being one.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let trimmed = value.trim_ascii();
    if trimmed.is_empty() || trimmed.starts_with(MARKER) {
        return true;
    }
    if trimmed
        .iter()
        .all(|c| matches!(c, b'*' | b'x' | b'X' | b'.' | b'#' | b'-' | b'_'))
        || trimmed.starts_with(b"${")
        || trimmed.starts_with(b"{{")
        || trimmed.starts_with(b"<")
        || trimmed.starts_with(b"%")
        || trimmed.starts_with("•".as_bytes())
    {
        return true;
    }
    let lower = trimmed.to_ascii_lowercase();
    [
        &b"null"[..],
        b"none",
        b"nil",
        b"true",
        b"false",
        b"redacted",
        b"hidden",
        b"masked",
        b"undefined",
        b"n/a",
        b"empty",
        b"required",
        b"optional",
    ]
    .contains(&lower.as_slice())
}

/// A plain word in prose ("password: incorrect", "token: Expired") rather
/// than a secret: letters only, lower case or capitalised.
fn looks_like_word(value: &[u8]) -> bool {
    let Some((first, rest)) = value.split_first() else {
        return true;
    };
    first.is_ascii_alphabetic() && rest.iter().all(u8::is_ascii_lowercase)
}

/// Names that end with these name a secret ([`is_secret_name`]).
const SECRET_NAME_SUFFIXES: &[&[u8]] = &[b"password", b"passwd", b"secret", b"passphrase"];

/// Names that are exactly these name a secret ([`is_secret_name`]).
const SECRET_NAMES: &[&[u8]] = &[
    b"pwd",
    b"apikey",
    b"xapikey",
    b"secretkey",
    b"secretaccesskey",
    b"awssecretaccesskey",
    b"accesstoken",
    b"refreshtoken",
    b"authtoken",
    b"idtoken",
    b"sessiontoken",
    b"bearertoken",
    b"token",
    b"privatekey",
    b"authorization",
    b"proxyauthorization",
    b"clientsecret",
    b"accountkey",
];

/// The last letters of the names above, for a quick rejection (a test
/// keeps it in step with them).
const SECRET_NAME_ENDS: &[u8] = b"dteyn";

/// Is a JSON or CBOR member name the name of a secret? Compared without
/// case, `_`, `-` or `.`.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let mut buf = [0u8; 40];
    let mut n = 0;
    for c in name.bytes() {
        if matches!(c, b'_' | b'-' | b'.' | b' ') {
            continue;
        }
        let Some(slot) = buf.get_mut(n) else {
            return false;
        };
        *slot = c.to_ascii_lowercase();
        n += 1;
    }
    let key = buf.get(..n).unwrap_or_default();
    SECRET_NAME_SUFFIXES.iter().any(|s| key.ends_with(s)) || SECRET_NAMES.contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The extension check is the list it replaced, compared in any case.
    #[test]
    fn file_extensions_are_the_listed_ones_in_any_case() {
        const LISTED: [&str; 24] = [
            "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "css", "js",
            "mjs", "map", "json", "txt", "html", "htm", "xml", "yaml", "yml", "zip", "gz", "tgz",
        ];
        for e in LISTED {
            assert!(is_file_extension(e.as_bytes()), "{e}");
            assert!(is_file_extension(e.to_ascii_uppercase().as_bytes()), "{e}");
        }
        for other in [
            "com", "org", "io", "jsonl", "pngs", "", "p", "xn--p1ai", "htmlx",
        ] {
            assert!(!is_file_extension(other.as_bytes()), "{other}");
        }
        assert_eq!(kinds("icon@2x.PNG"), []);
        assert_eq!(kinds("ops@example.com"), [(Kind::Email, "ops@example.com")]);
    }

    /// The separator search is `memchr2`'s, short texts and long.
    #[test]
    fn separators_are_found_as_memchr2_finds_them() {
        for len in [0usize, 1, 7, 8, 31, 63, 64, 65, 200] {
            for at in [None, Some(0), Some(len / 2), Some(len.saturating_sub(1))] {
                for sep in [b'=', b':'] {
                    let mut text = vec![b'a'; len];
                    if let Some(slot) = at.and_then(|i| text.get_mut(i)) {
                        *slot = sep;
                    }
                    assert_eq!(
                        separator(&text),
                        memchr::memchr2(b'=', b':', &text),
                        "{len} {at:?}"
                    );
                }
            }
        }
    }

    /// Overlaps resolved in place keep what the copying version kept: on
    /// every list of up to five matches over a few positions, kinds and
    /// confidences.
    #[test]
    fn overlaps_resolved_in_place_are_the_copying_ones() {
        fn copying(found: &mut Vec<Match>) {
            found.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
            let mut kept: Vec<Match> = Vec::with_capacity(found.len());
            for m in found.drain(..) {
                match kept.last_mut() {
                    Some(last) if m.start < last.end => {
                        let better = (m.confidence, rank(m.kind), m.end - m.start)
                            > (last.confidence, rank(last.kind), last.end - last.start);
                        if better {
                            *last = m;
                        }
                    }
                    _ => kept.push(m),
                }
            }
            *found = kept;
        }
        let kinds = [Kind::Email, Kind::CardNumber, Kind::Jwt, Kind::PhoneNumber];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n).unwrap()
        };
        for _ in 0..20_000 {
            let len = next(6);
            let mut found: Vec<Match> = (0..len)
                .map(|_| {
                    let start = next(12);
                    Match {
                        kind: kinds[next(4)],
                        start,
                        end: start + 1 + next(8),
                        confidence: if next(2) == 0 {
                            Confidence::Medium
                        } else {
                            Confidence::High
                        },
                    }
                })
                .collect();
            let mut expected = found.clone();
            copying(&mut expected);
            resolve_overlaps(&mut found);
            assert_eq!(found, expected);
        }
    }

    /// The check that lets short texts skip the automaton passes every text
    /// holding a prefix, wherever it sits; ordinary ids and names skip.
    #[test]
    fn the_trigram_check_never_hides_a_prefix() {
        for (p, _) in PREFIXES {
            for text in [
                (*p).to_owned(),
                format!("a {p}"),
                format!("{p}xyz"),
                format!("id={p}0123456789"),
            ] {
                assert!(may_hold_prefix(text.as_bytes()), "{text:?}");
            }
        }
        for text in [
            "mcp-client",
            "agent-042",
            "sess-9f2c",
            "req-0042",
            "SOC2",
            "tools/database_query",
            "bas",
        ] {
            assert!(!may_hold_prefix(text.as_bytes()), "{text:?}");
        }
        // A short text with a key is still found.
        assert_eq!(
            kinds("k AKIAIOSFODNN7EXAMPLE"),
            [(Kind::AwsAccessKey, "AKIAIOSFODNN7EXAMPLE")]
        );
    }

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        let mut out = Vec::new();
        scan(text, &mut out);
        out.iter()
            .map(|m| (m.kind, text.get(m.start..m.end).unwrap()))
            .collect()
    }

    #[test]
    fn swar_filter_finds_exactly_the_first_digit_or_at() {
        let wanted = |c: u8| (b'0'..=b'@').contains(&c);
        // Every position, every byte there, every byte after it: the
        // reported position is the first wanted byte, whatever follows.
        for pos in 0..8 {
            for c in 0u8..=255 {
                for after in [0u8, b'0', b'@', b'/', 0x7f, 0x80, 0xff, b'a'] {
                    let mut w = *b"abcdefgh";
                    w[pos] = c;
                    if pos < 7 {
                        w[pos + 1] = after;
                    }
                    let expected = w.iter().position(|&x| wanted(x));
                    assert_eq!(first_interesting(u64::from_le_bytes(w)), expected, "{w:?}");
                }
            }
        }
        assert_eq!(first_interesting(u64::from_le_bytes(*b"ABC XYZ/")), None);
    }

    #[test]
    fn secret_name_ends_cover_every_name() {
        for name in SECRET_NAME_SUFFIXES.iter().chain(SECRET_NAMES) {
            let last = name.last().copied().unwrap_or_default();
            assert!(
                SECRET_NAME_ENDS.contains(&last),
                "{}",
                String::from_utf8_lossy(name)
            );
        }
    }

    #[test]
    fn automaton_builds() {
        assert!(AUTOMATON.patterns_len() == PREFIXES.len());
    }

    #[test]
    fn cards() {
        assert_eq!(
            kinds("card 4111 1111 1111 1111 ok"),
            [(Kind::CardNumber, "4111 1111 1111 1111")]
        );
        assert_eq!(
            kinds("pan=5500-0000-0000-0004"),
            [(Kind::CardNumber, "5500-0000-0000-0004")]
        );
        assert_eq!(
            kinds("amex 378282246310005."),
            [(Kind::CardNumber, "378282246310005")]
        );
        // Not Luhn-valid; no issuer; a timestamp; inside a word; mixed separators.
        assert!(kinds("4111 1111 1111 1112").is_empty());
        assert!(kinds("ts 1764321234567").is_empty());
        assert!(kinds("id a4111111111111111").is_empty());
        assert!(kinds("4111 1111-1111 1111").is_empty());
        assert!(kinds("v4111111111111111.0").is_empty());
        assert!(kinds("3.4111111111111111").is_empty());
    }

    #[test]
    fn secrets() {
        assert_eq!(
            kinds("key AKIAIOSFODNN7EXAMPLE here"),
            [(Kind::AwsAccessKey, "AKIAIOSFODNN7EXAMPLE")]
        );
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            kinds(&format!("Authorization: Bearer {jwt}")),
            [(Kind::Jwt, jwt)]
        );
        assert_eq!(
            kinds("password=hunter2x; user=bob"),
            [(Kind::Credential, "hunter2x")]
        );
        assert!(kinds("password: incorrect").is_empty());
        assert!(kinds("passwordless login, 412 tokens").is_empty());
        assert_eq!(
            kinds("https://bob:s3cr3t-pw@db.example.com/x"),
            [(Kind::Credential, "s3cr3t-pw")]
        );
    }

    #[test]
    fn secret_names() {
        for yes in [
            "password",
            "db_password",
            "Client-Secret",
            "api_key",
            "X-API-Key",
            "access_token",
            "token",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "password_policy",
            "tokens",
            "max_tokens",
            "next_page_token",
            "secretariat",
            "key",
            "input_tokens",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }
}
