//! Redaction: a copy of a record with the sensitive data of its searched
//! fields replaced.
//!
//! * Payment card numbers keep at most their first six and last four
//!   digits (PCI DSS v4.0 3.4.1), separators kept: `411111******1111`.
//!   They are never replaced by a keyed token: a hashed and a truncated form
//!   of the same number side by side could be correlated to recover it
//!   (PCI DSS v4.0 3.5.1.1).
//! * Everything else becomes `[REDACTED:<kind>]`, or, with a key,
//!   `[REDACTED:<kind>:<token>]` where the token is the first 8 bytes (16 hex
//!   digits) of HMAC-SHA-256(key, kind ‖ 0x00 ‖ value): the same value gives
//!   the same token, so records stay joinable without revealing it.
//!
//! The input is never modified. Redaction is idempotent: the detectors skip
//! `[REDACTED…]` markers and truncated card numbers no longer match. A JSON
//! payload stays valid JSON (string contents are replaced inside their
//! quotes; a number that was a card number becomes a string); a CBOR
//! payload stays well-formed CBOR (items are re-encoded with their new
//! length). A payload that is not a well-formed document is redacted as
//! text, as the detectors saw it.

use std::fmt::Write as _;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::LogEntry;
use crate::access::{Access, FieldMut};
use crate::sensitive::{self, Edit, Finding, Form, Kind, Match, Step, Walk};

/// How to redact.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RedactOptions {
    key: Option<Vec<u8>>,
}

impl std::fmt::Debug for RedactOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactOptions")
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl RedactOptions {
    /// Replace values (other than card numbers) by keyed-hash tokens made
    /// with this key instead of plain markers.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }
}

/// A redacted copy of a record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Redacted {
    /// The copy.
    pub entry: LogEntry,
    /// What was replaced, with spans in the original record.
    pub findings: Vec<Finding>,
}

/// Returns a copy of `entry` with the sensitive data of every searched field
/// replaced (see the module documentation). Kinds a field expects, such as
/// an email address as `actorId`, are left alone.
///
/// ```
/// use lokryn_compliance_log::redact::{redact, RedactOptions};
/// use lokryn_compliance_log::LogEntry;
///
/// let entry = LogEntry {
///     message: "refund to 4111 1111 1111 1111 for bob@example.com".into(),
///     payload: br#"{"password":"hunter2","amount":12}"#.to_vec(),
///     ..Default::default()
/// };
/// let out = redact(&entry, &RedactOptions::default());
/// assert_eq!(out.entry.message, "refund to 4111 11** **** 1111 for [REDACTED:email]");
/// assert_eq!(out.entry.payload, br#"{"password":"[REDACTED:credential]","amount":12}"#);
/// assert_eq!(redact(&out.entry, &RedactOptions::default()).entry, out.entry);
/// ```
pub fn redact(entry: &LogEntry, options: &RedactOptions) -> Redacted {
    // One walk finds what to replace and where; the copy is then edited in
    // place, field by field.
    redact_walk(entry, Walk::run(entry, usize::MAX, true), options)
}

/// [`redact`] without the copy: replaces the sensitive data of `entry`
/// itself and returns what was replaced (spans in the record as it was).
/// The record ends as [`redact`]'s copy would, and its strings keep their
/// memory where nothing was found in them.
///
/// ```
/// use lokryn_compliance_log::redact::{redact, redact_in_place, RedactOptions};
/// use lokryn_compliance_log::LogEntry;
///
/// let mut entry = LogEntry {
///     message: "reset for bob@example.com".into(),
///     ..Default::default()
/// };
/// let copy = redact(&entry, &RedactOptions::default());
/// let findings = redact_in_place(&mut entry, &RedactOptions::default());
/// assert_eq!(entry, copy.entry);
/// assert_eq!(findings, copy.findings);
/// assert_eq!(entry.message, "reset for [REDACTED:email]");
/// ```
pub fn redact_in_place(entry: &mut LogEntry, options: &RedactOptions) -> Vec<Finding> {
    let walk = Walk::run(entry, usize::MAX, true);
    redact_walk_in_place(entry, walk, options)
}

/// [`redact`] with the walk (made with edits, without a limit) already done.
pub(crate) fn redact_walk(entry: &LogEntry, walk: Walk, options: &RedactOptions) -> Redacted {
    let mut copy = entry.clone();
    let findings = redact_walk_in_place(&mut copy, walk, options);
    Redacted {
        entry: copy,
        findings,
    }
}

/// Applies the edits of `walk` (made on `entry` as it is, with edits,
/// without a limit) to `entry` itself; returns the findings. Each field is
/// edited once, from its own value, so this is what [`redact_walk`] does to
/// its copy.
pub(crate) fn redact_walk_in_place(
    entry: &mut LogEntry,
    walk: Walk,
    options: &RedactOptions,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for hits in walk.fields {
        match field_at(entry, &hits.address) {
            // A string field searched as text: one edit spanning it all,
            // which `apply` would splice the same way, through copies.
            Some(Target::Str(s))
                if matches!(
                    hits.edits.as_slice(),
                    [Edit { start: 0, end, text: None, form: Form::Plain, .. }] if *end == s.len()
                ) =>
            {
                if let Some(edit) = hits.edits.first() {
                    splice_in_place(s, &edit.matches, options);
                }
            }
            Some(Target::Str(s)) => {
                let bytes = apply(s.as_bytes(), &hits.edits, options);
                *s = String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            }
            Some(Target::Bytes(b)) => *b = apply(b, &hits.edits, options),
            None => {}
        }
        findings.extend(hits.findings);
    }
    findings
}

/// Redacts one piece of text as [`redact`] redacts a string field.
pub fn redact_text(text: &str, options: &RedactOptions) -> String {
    let matches = sensitive::scan_text(text);
    splice(text, &matches, options)
}

/// A field that redaction edits.
enum Target<'a> {
    Str(&'a mut String),
    Bytes(&'a mut Vec<u8>),
}

/// The field at `address` below `message`.
fn field_at<'a>(message: &'a mut dyn Access, address: &[Step]) -> Option<Target<'a>> {
    let (step, rest) = address.split_first()?;
    match (message.field_mut(step.number), step.index) {
        (FieldMut::Str(s), None) if rest.is_empty() => Some(Target::Str(s)),
        (FieldMut::Strs(items), Some(i)) if rest.is_empty() => items.get_mut(i).map(Target::Str),
        (FieldMut::Bytes(b), None) if rest.is_empty() => Some(Target::Bytes(b)),
        (FieldMut::Message(Some(inner)), None) => field_at(inner, rest),
        (FieldMut::Messages(list), Some(i)) => field_at(list.item_mut(i)?, rest),
        _ => None,
    }
}

/// `original` with each edit applied (an edit overlapping an earlier one
/// is skipped).
fn apply(original: &[u8], edits: &[Edit], options: &RedactOptions) -> Vec<u8> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.start);
    let mut out = Vec::with_capacity(original.len());
    let mut at = 0;
    for edit in sorted {
        if edit.start < at {
            continue;
        }
        out.extend_from_slice(original.get(at..edit.start).unwrap_or_default());
        let text = match &edit.text {
            Some(text) => std::borrow::Cow::Borrowed(text.as_str()),
            None => String::from_utf8_lossy(original.get(edit.start..edit.end).unwrap_or_default()),
        };
        let redacted = splice(&text, &edit.matches, options);
        let written = match edit.form {
            Form::Plain => redacted.into_bytes(),
            Form::JsonInner => json_inner(&redacted).into_bytes(),
            Form::JsonString => serde_json::Value::String(redacted).to_string().into_bytes(),
            Form::CborText => cbor_text(&redacted),
        };
        out.extend_from_slice(&written);
        at = edit.end;
    }
    out.extend_from_slice(original.get(at..).unwrap_or_default());
    out
}

/// `text` with each match replaced.
fn splice(text: &str, matches: &[Match], options: &RedactOptions) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in matches {
        out.push_str(text.get(at..m.start).unwrap_or_default());
        match plain_marker(m.kind, options) {
            Some(marker) => out.push_str(marker),
            None => out.push_str(&replacement(
                m.kind,
                text.get(m.start..m.end).unwrap_or_default(),
                options,
            )),
        }
        at = m.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// [`splice`] into `text` itself: the same text, without a copy of it or
/// of the markers when the matches are in order, apart and on character
/// boundaries (as the detectors give them; otherwise through `splice`).
fn splice_in_place(text: &mut String, matches: &[Match], options: &RedactOptions) {
    let mut at = 0;
    for m in matches {
        if m.start < at
            || m.end < m.start
            || !text.is_char_boundary(m.start)
            || !text.is_char_boundary(m.end)
        {
            *text = splice(text, matches, options);
            return;
        }
        at = m.end;
    }
    // From the last match back, so that the spans before stay where they are.
    for m in matches.iter().rev() {
        match plain_marker(m.kind, options) {
            Some(marker) => text.replace_range(m.start..m.end, marker),
            None => {
                let value = text.get(m.start..m.end).unwrap_or_default();
                let replaced = replacement(m.kind, value, options);
                text.replace_range(m.start..m.end, &replaced);
            }
        }
    }
}

/// `[REDACTED:<kind>]` for each kind, by [`Kind::index`].
static MARKERS: std::sync::LazyLock<[String; Kind::COUNT]> =
    std::sync::LazyLock::new(|| Kind::ALL.map(|kind| ["[REDACTED:", kind.as_str(), "]"].concat()));

/// The marker that replaces a finding of `kind` whatever its value: without
/// a key, for every kind but card numbers (which are masked).
fn plain_marker(kind: Kind, options: &RedactOptions) -> Option<&'static str> {
    if kind == Kind::CardNumber || options.key.is_some() {
        return None;
    }
    MARKERS.get(kind.index()).map(String::as_str)
}

/// What replaces one finding.
fn replacement(kind: Kind, value: &str, options: &RedactOptions) -> String {
    if let Some(marker) = plain_marker(kind, options) {
        // Most redacted records take this branch.
        return marker.to_owned();
    }
    if kind == Kind::CardNumber {
        return mask_card(value);
    }
    match &options.key {
        None => ["[REDACTED:", kind.as_str(), "]"].concat(),
        Some(key) => format!("[REDACTED:{}:{}]", kind.as_str(), token(key, kind, value)),
    }
}

/// The first 8 bytes of HMAC-SHA-256(key, kind ‖ 0x00 ‖ value), in hex.
fn token(key: &[u8], kind: Kind, value: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(kind.as_str().as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(16);
    for b in digest.iter().take(8) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Keeps the first six and last four digits, masks the others with `*`,
/// keeps separators. Digits may be full-width; percent escapes
/// (`%20`) are separators. A card number written in an encoding that
/// cannot be masked digit by digit (base64) is replaced whole.
fn mask_card(value: &str) -> String {
    let is_digit = |c: char| c.is_ascii_digit() || ('\u{ff10}'..='\u{ff19}').contains(&c);
    // The byte offsets of percent escapes, which are kept as they are.
    let escapes: Vec<usize> = value
        .match_indices('%')
        .map(|(i, _)| i)
        .filter(|&i| {
            value
                .get(i + 1..i + 3)
                .is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
        })
        .collect();
    let in_escape = |i: usize| escapes.iter().any(|&e| (e..e + 3).contains(&i));
    let mut total: usize = 0;
    for (i, c) in value.char_indices() {
        if in_escape(i) {
            continue;
        }
        if is_digit(c) {
            total += 1;
        } else if c.is_ascii_alphabetic() || c == '=' {
            return format!("[REDACTED:{}]", Kind::CardNumber.as_str());
        }
    }
    let mut seen = 0;
    value
        .char_indices()
        .map(|(i, c)| {
            if is_digit(c) && !in_escape(i) {
                seen += 1;
                if seen <= 6 || seen > total.saturating_sub(4) {
                    c
                } else {
                    '*'
                }
            } else {
                c
            }
        })
        .collect()
}

/// Escapes text for the inside of a JSON string.
fn json_inner(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

/// A CBOR text string item.
fn cbor_text(text: &str) -> Vec<u8> {
    let len = text.len() as u64;
    // The head: major type 3 and the length in the fewest bytes.
    let be = len.to_be_bytes();
    let (info, width) = match len {
        0..=23 => (len, 0),
        24..=0xff => (24, 1),
        0x100..=0xffff => (25, 2),
        0x1_0000..=0xffff_ffff => (26, 4),
        _ => (27, 8),
    };
    let mut out = Vec::with_capacity(text.len() + 9);
    out.push(0x60 | u8::try_from(info).unwrap_or(27));
    out.extend_from_slice(be.get(8 - width..).unwrap_or_default());
    out.extend_from_slice(text.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_keep_six_and_four() {
        assert_eq!(mask_card("4111111111111111"), "411111******1111");
        assert_eq!(mask_card("3782-822463-10005"), "3782-82****-*0005");
        assert_eq!(mask_card("4222222222222"), "422222***2222");
        assert_eq!(
            mask_card("4111%201111%201111%201111"),
            "4111%2011**%20****%201111"
        );
        assert_eq!(
            mask_card(
                "\u{ff14}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}"
            ),
            "\u{ff14}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}******\u{ff11}\u{ff11}\u{ff11}\u{ff11}"
        );
        assert_eq!(
            mask_card("NDExMSAxMTExIDExMTEgMTExMQ=="),
            "[REDACTED:card_number]"
        );
    }

    /// Splicing in place gives the text `splice` gives: on texts holding
    /// every kind (full-width digits, several findings, none), with and
    /// without a key, and on matches out of order or off character
    /// boundaries (which take `splice` itself).
    #[test]
    fn splicing_in_place_is_splicing() {
        let texts = [
            "sent the report of request 7 to ops@example.com",
            "refund to 4111 1111 1111 1111 for bob@example.com, call +1 415 555 0132",
            "\u{ff14}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11}\u{ff11} é ops@example.com",
            "key AKIAIOSFODNN7EXAMPLE and ssn 123-45-6789 then a@b.io, c@d.io",
            "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
            "nothing here",
            "",
            "already [REDACTED:email] and ops@example.com",
        ];
        for key in [None, Some(b"k".to_vec())] {
            let options = RedactOptions { key };
            for text in texts {
                let matches = sensitive::scan_text(text);
                let mut in_place = text.to_owned();
                splice_in_place(&mut in_place, &matches, &options);
                assert_eq!(in_place, splice(text, &matches, &options), "{text:?}");
            }
            let text = "é ops@example.com b@c.de";
            let found = sensitive::scan_text(text);
            let odd = [
                found.iter().rev().copied().collect::<Vec<_>>(),
                vec![Match {
                    start: 1,
                    ..found[0]
                }],
                vec![Match {
                    end: 99,
                    ..found[0]
                }],
                vec![found[0], found[0]],
            ];
            for matches in odd {
                let mut in_place = text.to_owned();
                splice_in_place(&mut in_place, &matches, &options);
                assert_eq!(in_place, splice(text, &matches, &options), "{matches:?}");
            }
        }
    }

    #[test]
    fn markers_are_the_kinds_names() {
        for kind in Kind::ALL {
            let expected = format!("[REDACTED:{}]", kind.as_str());
            assert_eq!(
                replacement(kind, "x", &RedactOptions::default()),
                if kind == Kind::CardNumber {
                    mask_card("x")
                } else {
                    expected
                }
            );
        }
    }

    #[test]
    fn tokens_are_keyed_and_stable() {
        let a = token(b"k1", Kind::Email, "bob@example.com");
        assert_eq!(a.len(), 16);
        assert_eq!(a, token(b"k1", Kind::Email, "bob@example.com"));
        assert_ne!(a, token(b"k2", Kind::Email, "bob@example.com"));
        assert_ne!(a, token(b"k1", Kind::Credential, "bob@example.com"));
    }

    #[test]
    fn cbor_payloads_stay_cbor() {
        // {"email": "bob@example.com"}
        let mut doc = vec![0xa1, 0x65];
        doc.extend(b"email");
        doc.push(0x6f);
        doc.extend(b"bob@example.com");
        let entry = LogEntry {
            payload: doc,
            payload_format: crate::PayloadFormat::Cbor as i32,
            ..Default::default()
        };
        let out = redact(&entry, &RedactOptions::default()).entry.payload;
        assert!(crate::payload::walk(crate::payload::Encoding::Cbor, &out, 64, None).is_ok());
        let mut expected = vec![0xa1, 0x65];
        expected.extend(b"email");
        expected.extend(cbor_text("[REDACTED:email]"));
        assert_eq!(out, expected);
    }
}
