//! Sensitive data in records: payment card numbers, US social security
//! numbers, email addresses, phone numbers and secrets (cloud access keys,
//! private keys, JWTs, bearer tokens, vendor API keys, named credentials).
//!
//! [`scan_text`] looks at one string; [`find`] looks at every field the
//! schema marks as searched (`scan` in rules.proto): the free-text strings,
//! the policy tags, the typed AI payloads and the JSON or CBOR `payload`,
//! walking its values. Each [`Finding`] carries the kind, the field path,
//! the byte span within the field and a confidence; never the data itself.
//!
//! Precision matters as much as recall. Every candidate is verified: card
//! numbers by length, grouping, Luhn checksum and issuer range; SSNs by
//! their area, group and serial rules; secrets by their vendor prefix,
//! length, alphabet and (for JWTs) a decodable header. UUIDs, trace ids,
//! timestamps, order numbers, version strings and IP addresses do not trip
//! them; the shared corpus in `tests/vectors/validation/` holds the cases.

mod detect;
mod disguise;
mod walk;

use std::fmt::Write as _;

use crate::access::Access;
use crate::payload::{self, Item, ItemKind, Seg};

pub use crate::rules::Kind;
pub(crate) use detect::{is_placeholder, is_secret_name};
pub(crate) use walk::{Edit, Form, Step, Walk};

/// How sure a detector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Confidence {
    /// The shape fits but nothing proves it (a North American phone number,
    /// a value named `password`, a card number without grouping or context).
    Medium,
    /// Verified: a checksum, an issuer range, a vendor prefix and exact
    /// length, a decodable header.
    High,
}

impl Confidence {
    /// `"medium"` or `"high"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// Something sensitive in a piece of text: its kind and byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// What was found.
    pub kind: Kind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset after the last byte.
    pub end: usize,
    /// How sure the detector is.
    pub confidence: Confidence,
}

impl Finding {
    /// This finding as the schema's `Finding` message (report.proto);
    /// offsets past 4 GiB (no record holds that much) saturate.
    pub fn to_message(&self) -> crate::v1::Finding {
        let offset = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        crate::v1::Finding {
            kind: self.kind.as_str().to_owned(),
            field: self.field.clone(),
            start: offset(self.start),
            end: offset(self.end),
            confidence: self.confidence.as_str().to_owned(),
        }
    }
}

/// Something sensitive in a field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// Where: the field's JSON path (`message`, `policyTags[1]`,
    /// `delegationChain[0].reason`), continued into the payload document
    /// (`payload.user.email`, `payload.items[2]`). A member name that is
    /// itself sensitive, or not a plain identifier over 64 bytes, shows as
    /// `[*]`; a finding in a member name ends the path with `[*]`.
    pub field: String,
    /// Byte offset of the first byte, within the field's value (for
    /// `payload…` paths: within the payload bytes).
    pub start: usize,
    /// Byte offset after the last byte.
    pub end: usize,
    /// How sure the detector is.
    pub confidence: Confidence,
}

/// Finds sensitive data in one piece of text. Matches are sorted by
/// position and never overlap; text inside a `[REDACTED…]` marker is
/// skipped.
///
/// ```
/// use lokryn_compliance_log::sensitive::{scan_text, Kind};
///
/// let text = "paid with 4111 1111 1111 1111, order 019ac9d2-3b4f-7e21-8a6c-2f1d9e4b7c30";
/// let found = scan_text(text);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].kind, Kind::CardNumber);
/// assert_eq!(&text[found[0].start..found[0].end], "4111 1111 1111 1111");
/// ```
pub fn scan_text(text: &str) -> Vec<Match> {
    let mut out = Vec::new();
    detect::scan(text, &mut out);
    out
}

/// Finds sensitive data in every searched field of `entry` (a decoded
/// [`LogEntry`](crate::LogEntry) or a [view](crate::view) of an encoded
/// one), in field order. Kinds a field expects (an email address as
/// `actorId`) are not reported there.
pub fn find(entry: &dyn Access) -> Vec<Finding> {
    Walk::run(entry, usize::MAX, false).findings()
}

/// Up to `limit` findings; true when there were more.
pub(crate) fn find_limited(entry: &dyn Access, limit: usize, out: &mut Vec<Finding>) -> bool {
    let walk = Walk::run(entry, limit, false);
    let truncated = walk.truncated();
    out.extend(walk.findings());
    truncated
}

/// The matches in one payload item (text spans, not yet mapped to the
/// payload).
fn item_matches(payload: &[u8], item: &Item<'_>) -> Vec<Match> {
    let mut matches = Vec::new();
    detect::scan(item.text, &mut matches);
    // A member name on the path that says "card" makes an ungrouped number
    // a card number with confidence: {"card": {"number": "4111…"}}.
    if matches
        .iter()
        .any(|m| m.kind == Kind::CardNumber && m.confidence == Confidence::Medium)
        && item.path.iter().any(|seg| {
            payload::key_text(payload, seg).is_some_and(|key| {
                let key = key.to_ascii_lowercase();
                detect::CARD_WORDS.iter().any(|w| key.contains(w))
            })
        })
    {
        for m in &mut matches {
            if m.kind == Kind::CardNumber {
                m.confidence = Confidence::High;
            }
        }
    }
    // Nine plain digits under a member named like an SSN.
    if item.kind == ItemKind::Str && matches.is_empty() && detect::plain_ssn(item.text) {
        let named_ssn = item
            .path
            .last()
            .and_then(|seg| payload::key_text(payload, seg))
            .is_some_and(|key| {
                let key: String = key
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                key.contains("ssn") || key.contains("socialsecurity")
            });
        if named_ssn {
            matches.push(Match {
                kind: Kind::UsSsn,
                start: 0,
                end: item.text.len(),
                confidence: Confidence::Medium,
            });
        }
    }
    if item.kind == ItemKind::Str && !item.text.is_empty() {
        let named_secret = item
            .path
            .last()
            .and_then(|seg| payload::key_text(payload, seg))
            .is_some_and(|key| is_secret_name(&key));
        // A value already holding a redaction marker has been redacted.
        let redacted = memchr::memmem::find(item.text.as_bytes(), detect::MARKER).is_some();
        if named_secret && !redacted && !is_placeholder(item.text.as_bytes()) {
            // Secrets the detectors recognise (a JWT after "Bearer ", an API
            // key) are reported as what they are; otherwise the whole value
            // is the credential.
            matches.retain(|m| m.confidence == Confidence::High && is_secret_kind(m.kind));
            if matches.is_empty() {
                matches.push(Match {
                    kind: Kind::Credential,
                    start: 0,
                    end: item.text.len(),
                    confidence: Confidence::Medium,
                });
            }
        }
    }
    matches
}

fn is_secret_kind(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::AwsAccessKey
            | Kind::PrivateKey
            | Kind::Jwt
            | Kind::BearerToken
            | Kind::ApiKey
            | Kind::Credential
    )
}

/// The path of a payload item: `payload.user.email`, `payload.items[2]`,
/// `payload[*]` for a finding in a member name.
fn item_path(base: &str, payload: &[u8], located: Option<(&[Seg], ItemKind)>) -> String {
    let mut path = base.to_owned();
    let Some((segs, kind)) = located else {
        return path;
    };
    for seg in segs {
        match seg {
            Seg::Index(i) => {
                let _ = write!(path, "[{i}]");
            }
            Seg::Key { flagged: true, .. } | Seg::OpaqueKey => path.push_str("[*]"),
            Seg::Key { .. } => match payload::key_text(payload, seg) {
                Some(key) if is_identifier(&key) => {
                    path.push('.');
                    path.push_str(&key);
                }
                Some(key) if key.len() <= 64 => {
                    path.push('[');
                    path.push_str(&serde_json::Value::String(key.into_owned()).to_string());
                    path.push(']');
                }
                _ => path.push_str("[*]"),
            },
        }
    }
    if kind == ItemKind::Key {
        path.push_str("[*]");
    }
    path
}

fn is_identifier(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.first()
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
}
