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

use std::fmt::Write as _;

use crate::LogEntry;
use crate::access::{Access, FieldRef};
use crate::payload::{self, Encoding, Item, ItemKind, Seg};
use crate::validate::plan::{self, ScanTarget, ScanWhat};

pub(crate) use detect::{is_placeholder, is_secret_name};

/// A kind of sensitive data (the `SensitiveDataKind` enum of rules.proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// A payment card number (PAN).
    CardNumber,
    /// A US social security number.
    UsSsn,
    /// An email address.
    Email,
    /// A phone number.
    PhoneNumber,
    /// An AWS access key id.
    AwsAccessKey,
    /// A PEM private key block.
    PrivateKey,
    /// A JSON Web Token.
    Jwt,
    /// The token of an HTTP `Bearer` authorization.
    BearerToken,
    /// An API key in a vendor's published format.
    ApiKey,
    /// A password or secret given by name, in a URL or in Basic credentials.
    Credential,
}

impl Kind {
    /// Every kind, in the order of the proto enum.
    pub const ALL: [Kind; 10] = [
        Kind::CardNumber,
        Kind::UsSsn,
        Kind::Email,
        Kind::PhoneNumber,
        Kind::AwsAccessKey,
        Kind::PrivateKey,
        Kind::Jwt,
        Kind::BearerToken,
        Kind::ApiKey,
        Kind::Credential,
    ];

    /// The stable name: `card_number`, `us_ssn`, `email`, … (the proto enum
    /// value name without its prefix, in lower case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CardNumber => "card_number",
            Self::UsSsn => "us_ssn",
            Self::Email => "email",
            Self::PhoneNumber => "phone_number",
            Self::AwsAccessKey => "aws_access_key",
            Self::PrivateKey => "private_key",
            Self::Jwt => "jwt",
            Self::BearerToken => "bearer_token",
            Self::ApiKey => "api_key",
            Self::Credential => "credential",
        }
    }

    /// The kind named by [`Kind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The number of the `SensitiveDataKind` value in rules.proto.
    pub fn proto_number(self) -> i32 {
        match self {
            Self::CardNumber => 1,
            Self::UsSsn => 2,
            Self::Email => 3,
            Self::PhoneNumber => 4,
            Self::AwsAccessKey => 5,
            Self::PrivateKey => 6,
            Self::Jwt => 7,
            Self::BearerToken => 8,
            Self::ApiKey => 9,
            Self::Credential => 10,
        }
    }

    /// The kind of a `SensitiveDataKind` number.
    pub fn from_proto_number(n: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.proto_number() == n)
    }

    /// A short description for messages: "a payment card number".
    pub fn description(self) -> &'static str {
        match self {
            Self::CardNumber => "a payment card number",
            Self::UsSsn => "a US social security number",
            Self::Email => "an email address",
            Self::PhoneNumber => "a phone number",
            Self::AwsAccessKey => "an AWS access key id",
            Self::PrivateKey => "a private key",
            Self::Jwt => "a JSON Web Token",
            Self::BearerToken => "a bearer token",
            Self::ApiKey => "an API key",
            Self::Credential => "a password or secret",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self.proto_number() - 1)
    }
}

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

/// Finds sensitive data in every searched field of `entry`, in field order.
/// Kinds a field expects (an email address as `actorId`) are not reported
/// there.
pub fn find(entry: &LogEntry) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut sink = Sink::Collect {
        out: &mut out,
        limit: usize::MAX,
    };
    walk_entry(entry, &mut sink);
    out
}

/// Up to `limit` findings; true when there were more.
pub(crate) fn find_limited(entry: &LogEntry, limit: usize, out: &mut Vec<Finding>) -> bool {
    let mut sink = Sink::Collect { out, limit };
    walk_entry(entry, &mut sink);
    match sink {
        Sink::Collect { out, limit } => out.len() >= limit,
    }
}

enum Sink<'a> {
    Collect {
        out: &'a mut Vec<Finding>,
        limit: usize,
    },
}

impl Sink<'_> {
    fn full(&self) -> bool {
        match self {
            Self::Collect { out, limit } => out.len() >= *limit,
        }
    }

    fn push(&mut self, finding: Finding) {
        match self {
            Self::Collect { out, limit } => {
                if out.len() < *limit {
                    out.push(finding);
                }
            }
        }
    }
}

fn walk_entry(entry: &LogEntry, sink: &mut Sink<'_>) {
    let rules = plan::rules();
    let Some(root) = rules.messages.first() else {
        return;
    };
    let mut path = String::new();
    walk_message(rules, &root.scan, entry, &mut path, 0, sink);
}

fn push_path(path: &mut String, name: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
    len
}

fn walk_message(
    rules: &plan::Rules,
    targets: &[ScanTarget],
    message: &dyn Access,
    path: &mut String,
    inherited_allow: u16,
    sink: &mut Sink<'_>,
) {
    for target in targets {
        if sink.full() {
            return;
        }
        let allow = inherited_allow | target.allow;
        let mark = push_path(path, &target.json_name);
        match (message.field(target.number), &target.what) {
            (FieldRef::Str(s), ScanWhat::Text) => text_findings(s, path, allow, sink),
            (FieldRef::Strs(items), ScanWhat::Text) => {
                for (i, s) in items.iter().enumerate() {
                    let here = path.len();
                    let _ = write!(path, "[{i}]");
                    text_findings(s, path, allow, sink);
                    path.truncate(here);
                }
            }
            (
                FieldRef::Bytes(bytes),
                ScanWhat::Payload {
                    format_field,
                    max_depth,
                },
            ) => {
                let declared = match message.field(*format_field) {
                    FieldRef::Enum(Some(n)) => n,
                    _ => 0,
                };
                for (m, field) in payload_findings(bytes, declared, *max_depth, path) {
                    if allow & m.kind.bit() == 0 {
                        sink.push(Finding {
                            kind: m.kind,
                            field,
                            start: m.start,
                            end: m.end,
                            confidence: m.confidence,
                        });
                    }
                }
            }
            (FieldRef::Message(Some(inner)), ScanWhat::All(index) | ScanWhat::Nested(index)) => {
                if let Some(child) = rules.child_targets(&target.what, *index) {
                    walk_message(rules, child, inner, path, allow, sink);
                }
            }
            (FieldRef::Messages(list), ScanWhat::All(index) | ScanWhat::Nested(index)) => {
                if let Some(child) = rules.child_targets(&target.what, *index) {
                    for i in 0..list.len() {
                        let here = path.len();
                        let _ = write!(path, "[{i}]");
                        if let Some(inner) = list.item(i) {
                            walk_message(rules, child, inner, path, allow, sink);
                        }
                        path.truncate(here);
                    }
                }
            }
            _ => {}
        }
        path.truncate(mark);
    }
}

fn text_findings(s: &str, path: &str, allow: u16, sink: &mut Sink<'_>) {
    if s.is_empty() {
        return;
    }
    let mut found = Vec::new();
    detect::scan(s, &mut found);
    for m in found {
        if allow & m.kind.bit() == 0 {
            sink.push(Finding {
                kind: m.kind,
                field: path.to_owned(),
                start: m.start,
                end: m.end,
                confidence: m.confidence,
            });
        }
    }
}

/// How a payload is read for scanning: the declared format, or JSON when
/// undeclared and it parses; otherwise its UTF-8 text, piece by piece.
pub(crate) fn payload_encoding(declared: i32, bytes: &[u8], max_depth: usize) -> Option<Encoding> {
    match declared {
        1 => Some(Encoding::Json),
        2 => Some(Encoding::Cbor),
        _ => {
            let first = bytes.trim_ascii_start().first();
            (matches!(first, Some(b'{' | b'[' | b'"'))
                && payload::walk(Encoding::Json, bytes, max_depth, None).is_ok())
            .then_some(Encoding::Json)
        }
    }
}

/// The findings of a payload, with the path of each and its span in the
/// payload bytes. Also used by redaction, which needs the items' spans.
pub(crate) fn payload_findings(
    bytes: &[u8],
    declared: i32,
    max_depth: usize,
    path: &str,
) -> Vec<(Match, String)> {
    let mut out = Vec::new();
    payload_items(bytes, declared, max_depth, &mut |item, m| {
        out.push((
            Match {
                kind: m.kind,
                start: item.0,
                end: item.1,
                confidence: m.confidence,
            },
            item_path(path, bytes, item.2),
        ));
    });
    out
}

/// Where a payload finding is: its payload span, and the path segments (or
/// none for text payloads).
pub(crate) type Located<'a> = (usize, usize, Option<(&'a [Seg], ItemKind)>);

/// Calls `found` for every finding in the payload with its raw span and
/// the item it is in. Document payloads report per string; anything that
/// is not a well-formed document is searched as text.
pub(crate) fn payload_items(
    bytes: &[u8],
    declared: i32,
    max_depth: usize,
    found: &mut dyn FnMut(Located<'_>, &Match),
) {
    if let Some(encoding) = payload_encoding(declared, bytes, max_depth) {
        let mut hits: Vec<(usize, usize, Vec<Seg>, ItemKind, Match)> = Vec::new();
        let mut visitor = |item: &Item<'_>| -> bool {
            let matches = item_matches(bytes, item);
            let flagged = !matches.is_empty();
            for m in matches {
                let (s, e) = item.raw_span(m.start, m.end);
                hits.push((s, e, item.path.to_vec(), item.kind, m));
            }
            item.kind == ItemKind::Key && flagged
        };
        if payload::walk(encoding, bytes, max_depth, Some(&mut visitor)).is_ok() {
            for (s, e, segs, kind, m) in &hits {
                found((*s, *e, Some((segs, *kind))), m);
            }
            return;
        }
    }
    // Not a well-formed document: search its UTF-8 text.
    let mut offset = 0;
    for chunk in bytes.utf8_chunks() {
        let text = chunk.valid();
        let mut matches = Vec::new();
        detect::scan(text, &mut matches);
        for m in matches {
            found((offset + m.start, offset + m.end, None), &m);
        }
        offset += text.len() + chunk.invalid().len();
    }
}

/// The matches in one payload item (text spans, not yet mapped to the
/// payload).
pub(crate) fn item_matches(payload: &[u8], item: &Item<'_>) -> Vec<Match> {
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
