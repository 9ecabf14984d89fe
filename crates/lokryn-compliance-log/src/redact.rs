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
use crate::access::{Access, FieldMut, FieldRef};
use crate::payload::{self, Encoding, Item, ItemKind};
use crate::sensitive::{self, Finding, Kind, Match};
use crate::validate::plan::{self, ScanTarget, ScanWhat};

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
    let findings = sensitive::find(entry);
    let mut copy = entry.clone();
    if !findings.is_empty() {
        let rules = plan::rules();
        if let Some(root) = rules.messages.first() {
            redact_message(rules, &root.scan, &mut copy, 0, options);
        }
    }
    Redacted {
        entry: copy,
        findings,
    }
}

/// Redacts one piece of text as [`redact`] redacts a string field.
pub fn redact_text(text: &str, options: &RedactOptions) -> String {
    let matches = sensitive::scan_text(text);
    splice(text, &matches, options)
}

fn redact_message(
    rules: &plan::Rules,
    targets: &[ScanTarget],
    message: &mut dyn Access,
    inherited_allow: u16,
    options: &RedactOptions,
) {
    for target in targets {
        let allow = inherited_allow | target.allow;
        // Read the payload's declared format before borrowing the payload.
        let declared = match &target.what {
            ScanWhat::Payload { format_field, .. } => match message.field(*format_field) {
                FieldRef::Enum(Some(n)) => n,
                _ => 0,
            },
            _ => 0,
        };
        match (message.field_mut(target.number), &target.what) {
            (FieldMut::Str(s), ScanWhat::Text) => redact_string(s, allow, options),
            (FieldMut::Strs(items), ScanWhat::Text) => {
                for s in items.iter_mut() {
                    redact_string(s, allow, options);
                }
            }
            (FieldMut::Bytes(bytes), ScanWhat::Payload { max_depth, .. }) => {
                if let Some(new) = redact_payload(bytes, declared, *max_depth, allow, options) {
                    *bytes = new;
                }
            }
            (FieldMut::Message(Some(inner)), ScanWhat::All(i) | ScanWhat::Nested(i)) => {
                if let Some(child) = rules.child_targets(&target.what, *i) {
                    redact_message(rules, child, inner, allow, options);
                }
            }
            (FieldMut::Messages(list), ScanWhat::All(i) | ScanWhat::Nested(i)) => {
                if let Some(child) = rules.child_targets(&target.what, *i) {
                    for k in 0..list.len() {
                        if let Some(inner) = list.item_mut(k) {
                            redact_message(rules, child, inner, allow, options);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn allowed(matches: Vec<Match>, allow: u16) -> Vec<Match> {
    matches
        .into_iter()
        .filter(|m| allow & m.kind.bit() == 0)
        .collect()
}

fn redact_string(s: &mut String, allow: u16, options: &RedactOptions) {
    if s.is_empty() {
        return;
    }
    let matches = allowed(sensitive::scan_text(s), allow);
    if !matches.is_empty() {
        *s = splice(s, &matches, options);
    }
}

/// `text` with each match replaced.
fn splice(text: &str, matches: &[Match], options: &RedactOptions) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in matches {
        out.push_str(text.get(at..m.start).unwrap_or_default());
        out.push_str(&replacement(
            m.kind,
            text.get(m.start..m.end).unwrap_or_default(),
            options,
        ));
        at = m.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

/// What replaces one finding.
fn replacement(kind: Kind, value: &str, options: &RedactOptions) -> String {
    if kind == Kind::CardNumber {
        return mask_card(value);
    }
    match &options.key {
        None => format!("[REDACTED:{}]", kind.as_str()),
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
/// keeps separators.
fn mask_card(value: &str) -> String {
    let total = value.bytes().filter(u8::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
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

/// The redacted payload, `None` when nothing changes.
fn redact_payload(
    bytes: &[u8],
    declared: i32,
    max_depth: usize,
    allow: u16,
    options: &RedactOptions,
) -> Option<Vec<u8>> {
    let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    let mut walked = false;
    if let Some(encoding) = sensitive::payload_encoding(declared, bytes, max_depth) {
        let mut visitor = |item: &Item<'_>| -> bool {
            let matches = allowed(sensitive::item_matches(bytes, item), allow);
            if matches.is_empty() {
                return false;
            }
            match (encoding, item.kind) {
                (Encoding::Json, ItemKind::Str | ItemKind::Key) => {
                    for m in &matches {
                        let (s, e) = item.raw_span(m.start, m.end);
                        let value = item.text.get(m.start..m.end).unwrap_or_default();
                        let new = json_inner(&replacement(m.kind, value, options));
                        edits.push((s, e, new.into_bytes()));
                    }
                }
                (Encoding::Json, ItemKind::Number) => {
                    let text = splice(item.text, &matches, options);
                    let quoted = serde_json::Value::String(text).to_string();
                    edits.push((item.start, item.end, quoted.into_bytes()));
                }
                (Encoding::Cbor, _) => {
                    let text = splice(item.text, &matches, options);
                    edits.push((item.head, item.end, cbor_text(&text)));
                }
            }
            item.kind == ItemKind::Key
        };
        walked = payload::walk(encoding, bytes, max_depth, Some(&mut visitor)).is_ok();
    }
    if !walked {
        // Not a well-formed document: redact its UTF-8 text.
        edits.clear();
        let mut offset = 0;
        for chunk in bytes.utf8_chunks() {
            let text = chunk.valid();
            for m in allowed(sensitive::scan_text(text), allow) {
                let value = text.get(m.start..m.end).unwrap_or_default();
                edits.push((
                    offset + m.start,
                    offset + m.end,
                    replacement(m.kind, value, options).into_bytes(),
                ));
            }
            offset += text.len() + chunk.invalid().len();
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|e| e.0);
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (s, e, new) in edits {
        if s < at {
            continue;
        }
        out.extend_from_slice(bytes.get(at..s).unwrap_or_default());
        out.extend_from_slice(&new);
        at = e;
    }
    out.extend_from_slice(bytes.get(at..).unwrap_or_default());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_keep_six_and_four() {
        assert_eq!(mask_card("4111111111111111"), "411111******1111");
        assert_eq!(mask_card("3782-822463-10005"), "3782-82****-*0005");
        assert_eq!(mask_card("4222222222222"), "422222***2222");
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
        let out = redact_payload(&doc, 2, 64, 0, &RedactOptions::default()).unwrap();
        assert!(payload::walk(Encoding::Cbor, &out, 64, None).is_ok());
        let mut expected = vec![0xa1, 0x65];
        expected.extend(b"email");
        expected.extend(cbor_text("[REDACTED:email]"));
        assert_eq!(out, expected);
    }
}
