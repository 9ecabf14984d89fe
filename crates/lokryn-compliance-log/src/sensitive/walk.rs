//! The one walk over the searched fields of a record. Which fields are
//! searched, and how (as text, as a payload document, through the messages
//! they hold), is decided here and only here, from the `scan` declarations
//! the rules compile ([`crate::rules::ScanTarget`]). The walk reports, per
//! field, the findings and (when asked) the edits that replace them, so
//! redaction applies what detection found instead of searching again.

use std::fmt::Write as _;

use super::{Finding, Match, detect, item_matches, item_path};
use crate::access::{Access, FieldRef};
use crate::payload::{self, Encoding, Item, ItemKind};
use crate::rules::{self, KindSet, ScanTarget, ScanWhat};

/// One step from a message to a field: the field's number, and the item's
/// index in a repeated field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) number: u32,
    pub(crate) index: Option<usize>,
}

/// How the replacement of an edit is written into the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// As it is (a string field, a payload that is not a document).
    Plain,
    /// Escaped for the inside of a JSON string.
    JsonInner,
    /// As a JSON string, quotes included (a number that held a card number).
    JsonString,
    /// As a CBOR text string item, head included.
    CborText,
}

/// A span of a field's value to replace: the text it stands for (its
/// decoded content, or `None` for the original bytes of the span) with the
/// matches in it, and how the redacted text is written back.
#[derive(Debug, Clone)]
pub(crate) struct Edit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) text: Option<String>,
    pub(crate) matches: Vec<Match>,
    pub(crate) form: Form,
}

/// What the walk found in one field.
#[derive(Debug, Clone)]
pub(crate) struct FieldHits {
    /// The field, from the entry down.
    pub(crate) address: Vec<Step>,
    pub(crate) findings: Vec<Finding>,
    /// Empty unless edits were asked for.
    pub(crate) edits: Vec<Edit>,
}

/// The walk's results.
#[derive(Debug)]
pub(crate) struct Walk {
    limit: usize,
    with_edits: bool,
    found: usize,
    pub(crate) fields: Vec<FieldHits>,
}

impl Walk {
    /// Walks `entry`, keeping at most `limit` findings, and the edits that
    /// replace them when `with_edits`.
    pub(crate) fn run(entry: &dyn Access, limit: usize, with_edits: bool) -> Self {
        let mut walk = Self {
            limit,
            with_edits,
            found: 0,
            fields: Vec::new(),
        };
        let rules = rules::compiled();
        if let Some(root) = rules.messages.first() {
            let mut at = Cursor {
                names: Vec::new(),
                address: Vec::new(),
            };
            walk.message(rules, &root.scan, entry, &mut at, KindSet::EMPTY);
        }
        walk
    }

    /// True when more findings were found than kept.
    pub(crate) fn truncated(&self) -> bool {
        self.found > self.limit
    }

    /// Every finding, in field order.
    pub(crate) fn findings(self) -> Vec<Finding> {
        self.fields.into_iter().flat_map(|f| f.findings).collect()
    }

    fn full(&self) -> bool {
        self.found >= self.limit
    }

    fn keep(&mut self, at: &Cursor, mut findings: Vec<Finding>, edits: Vec<Edit>) {
        if findings.is_empty() {
            return;
        }
        let room = self.limit.saturating_sub(self.found);
        self.found = self.found.saturating_add(findings.len());
        findings.truncate(room);
        self.fields.push(FieldHits {
            address: at.address.clone(),
            findings,
            edits: if self.with_edits { edits } else { Vec::new() },
        });
    }

    fn message(
        &mut self,
        rules: &'static rules::Rules,
        targets: &'static [ScanTarget],
        message: &dyn Access,
        at: &mut Cursor,
        inherited_allow: KindSet,
    ) {
        for target in targets {
            if self.full() {
                return;
            }
            let allow = inherited_allow.union(target.allow);
            at.enter(&target.json_name, target.number);
            match (message.field(target.number), &target.what) {
                (FieldRef::Str(s), ScanWhat::Text) => self.text(s, at, allow),
                (FieldRef::Strs(items), ScanWhat::Text) => {
                    for (i, s) in items.iter().enumerate() {
                        at.index(i);
                        self.text(s, at, allow);
                        at.unindex();
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
                    self.payload(bytes, declared, *max_depth, at, allow);
                }
                (FieldRef::Message(Some(inner)), ScanWhat::All(i) | ScanWhat::Nested(i)) => {
                    if let Some(child) = rules.child_targets(&target.what, *i) {
                        self.message(rules, child, inner, at, allow);
                    }
                }
                (FieldRef::Messages(list), ScanWhat::All(i) | ScanWhat::Nested(i)) => {
                    if let Some(child) = rules.child_targets(&target.what, *i) {
                        for k in 0..list.len() {
                            if let Some(inner) = list.item(k) {
                                at.index(k);
                                self.message(rules, child, inner, at, allow);
                                at.unindex();
                            }
                        }
                    }
                }
                _ => {}
            }
            at.leave();
        }
    }

    fn text(&mut self, s: &str, at: &Cursor, allow: KindSet) {
        if s.is_empty() {
            return;
        }
        let mut matches = Vec::new();
        detect::scan(s, &mut matches);
        matches.retain(|m| !allow.contains(m.kind));
        if matches.is_empty() {
            return;
        }
        // The path is spelled out once, and moved into the last finding.
        let mut path = Some(at.path());
        let last = matches.len() - 1;
        let findings = matches
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let field = if i == last {
                    path.take().unwrap_or_default()
                } else {
                    path.clone().unwrap_or_default()
                };
                finding(m, field, m.start, m.end)
            })
            .collect();
        let edits = if self.with_edits {
            vec![Edit {
                start: 0,
                end: s.len(),
                text: None,
                matches,
                form: Form::Plain,
            }]
        } else {
            Vec::new()
        };
        self.keep(at, findings, edits);
    }

    fn payload(
        &mut self,
        bytes: &[u8],
        declared: i32,
        max_depth: usize,
        at: &Cursor,
        allow: KindSet,
    ) {
        let mut findings = Vec::new();
        let mut edits = Vec::new();
        let with_edits = self.with_edits;
        // Each encoding the payload may be in is tried by the walk that
        // searches it: the first it reads whole wins, so a document is read
        // once, not once to tell its encoding and again to search it.
        for encoding in payload_candidates(declared, bytes) {
            let mut visitor = |item: &Item<'_>| -> bool {
                let mut matches = item_matches(bytes, item);
                let flagged = !matches.is_empty();
                matches.retain(|m| !allow.contains(m.kind));
                if !matches.is_empty() {
                    let path = item_path(&at.path(), bytes, Some((item.path, item.kind)));
                    for m in &matches {
                        let (s, e) = item.raw_span(m.start, m.end);
                        findings.push(finding(m, path.clone(), s, e));
                    }
                    if with_edits {
                        item_edits(encoding, item, matches, &mut edits);
                    }
                }
                item.kind == ItemKind::Key && flagged
            };
            if payload::walk(encoding, bytes, max_depth, Some(&mut visitor)).is_ok() {
                self.keep(at, findings, edits);
                return;
            }
            findings.clear();
            edits.clear();
        }
        // Not a well-formed document: search its UTF-8 text.
        let mut offset = 0;
        for chunk in bytes.utf8_chunks() {
            let text = chunk.valid();
            let mut matches = Vec::new();
            detect::scan(text, &mut matches);
            for m in matches.into_iter().filter(|m| !allow.contains(m.kind)) {
                let (s, e) = (offset + m.start, offset + m.end);
                findings.push(finding(&m, at.path(), s, e));
                if with_edits {
                    edits.push(Edit {
                        start: s,
                        end: e,
                        text: None,
                        matches: vec![Match {
                            start: 0,
                            end: e - s,
                            ..m
                        }],
                        form: Form::Plain,
                    });
                }
            }
            offset += text.len() + chunk.invalid().len();
        }
        self.keep(at, findings, edits);
    }
}

/// The edits that replace `matches` in a payload item.
fn item_edits(encoding: Encoding, item: &Item<'_>, matches: Vec<Match>, out: &mut Vec<Edit>) {
    match (encoding, item.kind) {
        (Encoding::Json, ItemKind::Str | ItemKind::Key) => {
            // Replaced inside the quotes, each match on its own: the rest of
            // the string keeps its escapes as written.
            for m in matches {
                let (start, end) = item.raw_span(m.start, m.end);
                out.push(Edit {
                    start,
                    end,
                    text: Some(item.text.get(m.start..m.end).unwrap_or_default().to_owned()),
                    matches: vec![Match {
                        start: 0,
                        end: m.end - m.start,
                        ..m
                    }],
                    form: Form::JsonInner,
                });
            }
        }
        (Encoding::Json, ItemKind::Number) => out.push(Edit {
            start: item.start,
            end: item.end,
            text: Some(item.text.to_owned()),
            matches,
            form: Form::JsonString,
        }),
        (Encoding::Cbor, _) => out.push(Edit {
            start: item.head,
            end: item.end,
            text: Some(item.text.to_owned()),
            matches,
            form: Form::CborText,
        }),
    }
}

fn finding(m: &Match, field: String, start: usize, end: usize) -> Finding {
    Finding {
        kind: m.kind,
        field,
        start,
        end,
        confidence: m.confidence,
    }
}

/// Where the walk is: the address of the field and the JSON names of its
/// steps. The path is only spelled out for a finding (most fields have
/// none).
struct Cursor {
    names: Vec<&'static str>,
    address: Vec<Step>,
}

impl Cursor {
    fn enter(&mut self, name: &'static str, number: u32) {
        self.names.push(name);
        self.address.push(Step {
            number,
            index: None,
        });
    }

    fn leave(&mut self) {
        self.address.pop();
        self.names.pop();
    }

    fn index(&mut self, i: usize) {
        if let Some(last) = self.address.last_mut() {
            last.index = Some(i);
        }
    }

    fn unindex(&mut self) {
        if let Some(last) = self.address.last_mut() {
            last.index = None;
        }
    }

    /// The JSON path of the field: `message`, `policyTags[1]`,
    /// `delegationChain[0].reason`.
    fn path(&self) -> String {
        // Room for the names, their dots and a few indices: one allocation.
        let names: usize = self.names.iter().map(|n| n.len() + 1).sum();
        let mut path = String::with_capacity(names + 8 * self.address.len());
        for (name, step) in self.names.iter().zip(&self.address) {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            if let Some(i) = step.index {
                let _ = write!(path, "[{i}]");
            }
        }
        path
    }
}

/// The encodings a payload is tried in, in order: the declared format;
/// undeclared, JSON when it starts like a JSON document (`{`, `[` or `"`
/// after white space), then CBOR when its first item is a text string, an
/// array, a map or a tag (the forms a structured payload takes; a lone CBOR
/// number or byte string is more likely text). The first in which the whole
/// payload is well-formed is its encoding; in none, it is read as UTF-8 text,
/// piece by piece.
fn payload_candidates(declared: i32, bytes: &[u8]) -> impl Iterator<Item = Encoding> {
    let (json, cbor) = match declared {
        1 => (true, false),
        2 => (false, true),
        _ => (
            matches!(bytes.trim_ascii_start().first(), Some(b'{' | b'[' | b'"')),
            // Major types 3 (text), 4 (array), 5 (map) and 6 (tag).
            matches!(bytes.first().map(|b| b >> 5), Some(3..=6)),
        ),
    };
    json.then_some(Encoding::Json)
        .into_iter()
        .chain(cbor.then_some(Encoding::Cbor))
}
