//! Is a record fit for an audit trail?
//!
//! [`validate`] returns a [`Report`]: violations as data, each naming the
//! field (by JSON path), a stable rule id, the level and the compliance
//! clauses the rule serves, in the manner of protovalidate. Messages never
//! repeat the offending value, which may be sensitive.
//!
//! This module is the seam for the schema-driven rule engine: today it checks
//! the baseline every record needs (it says what happened, how it ended, how
//! severe it is and who did it, with enum values the schema defines); the
//! rule set grows without changing these types.

use prost_reflect::{DynamicMessage, ReflectMessage as _, Value};

use crate::LogEntry;

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Level {
    /// Worth fixing; the record is still accepted.
    Warning,
    /// The record is not fit for an audit trail.
    Error,
}

impl Level {
    /// `"warning"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One rule a record breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field, as a JSON path: `"eventType"`, `"delegationChain[1].actorId"`.
    /// Empty when the rule concerns the record as a whole.
    pub field: String,
    /// The stable id of the rule, for example `"required"` or
    /// `"enum.defined_only"`.
    pub rule_id: String,
    /// What is wrong, for a human. Never contains the field's value.
    pub message: String,
    /// How serious it is.
    pub level: Level,
    /// The compliance clauses the rule serves, for example "PCI DSS v4.0 10.2.2".
    pub clauses: Vec<String>,
}

/// The outcome of validating one record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every violation found, errors and warnings, in field order.
    pub violations: Vec<Violation>,
}

impl Report {
    /// True when no violation is an error (warnings are allowed).
    pub fn is_valid(&self) -> bool {
        !self.violations.iter().any(|v| v.level == Level::Error)
    }

    /// The violations at [`Level::Error`].
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.level == Level::Error)
    }
}

/// What to check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {}

impl Options {
    /// The names of the profiles [`Options::for_profile`] knows.
    pub const PROFILES: &'static [&'static str] = &["baseline"];

    /// The options of a named profile, `None` for a name not in
    /// [`Options::PROFILES`]. `"baseline"` is what every record needs (the
    /// default).
    pub fn for_profile(name: &str) -> Option<Self> {
        match name {
            "baseline" => Some(Self::default()),
            _ => None,
        }
    }
}

/// Validates `entry` with the default options.
pub fn validate(entry: &LogEntry) -> Report {
    validate_with(entry, &Options::default())
}

/// Decodes and validates one encoded entry. Besides the rules, the report
/// warns about fields the schema does not define (see
/// [`unknown_field_warnings`]).
pub fn validate_encoded(bytes: &[u8], options: &Options) -> crate::Result<(LogEntry, Report)> {
    let entry = crate::codec::decode(bytes)?;
    let mut report = validate_with(&entry, options);
    report
        .violations
        .extend(unknown_field_warnings(bytes, &entry)?);
    Ok((entry, report))
}

/// Validates encoded entries one after another, as [`validate_encoded`]
/// does, decoding each into the same scratch entry so that a batch reuses
/// its allocations (about a third faster than decoding each afresh).
#[derive(Debug, Default)]
pub struct BatchValidator {
    options: Options,
    limits: crate::codec::Limits,
    scratch: LogEntry,
}

impl BatchValidator {
    /// A validator with the given options and the default size limits.
    pub fn new(options: Options) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    /// The report of one encoded entry: the same as
    /// `validate_encoded(bytes, options)` gives.
    pub fn validate_encoded(&mut self, bytes: &[u8]) -> crate::Result<Report> {
        crate::codec::check_size("entry", bytes.len(), self.limits.max_entry_bytes)?;
        prost::Message::clear(&mut self.scratch);
        prost::Message::merge(&mut self.scratch, bytes)?;
        let mut report = validate_with(&self.scratch, &self.options);
        report
            .violations
            .extend(unknown_field_warnings(bytes, &self.scratch)?);
        Ok(report)
    }
}

/// One `unknown_field` warning per field of `bytes` (the encoding `entry`
/// was decoded from) that the schema does not define: decoding drops them,
/// so a tool that copies the record through [`LogEntry`] would lose them.
pub fn unknown_field_warnings(bytes: &[u8], entry: &LogEntry) -> crate::Result<Vec<Violation>> {
    // Unknown fields can only make the input longer than the canonical
    // encoding of what was decoded, so equal lengths skip the slower
    // reflective scan.
    if prost::Message::encoded_len(entry) == bytes.len() {
        return Ok(Vec::new());
    }
    Ok(crate::codec::unknown_fields(bytes)?
        .into_iter()
        .map(|unknown| Violation {
            message: format!(
                "field number {} is not defined by schema {}; readers of this version drop it",
                unknown.number,
                crate::VERSION
            ),
            field: unknown.path,
            rule_id: "unknown_field".into(),
            level: Level::Warning,
            clauses: Vec::new(),
        })
        .collect())
}

/// Validates `entry`.
pub fn validate_with(entry: &LogEntry, _options: &Options) -> Report {
    let mut report = Report::default();
    let v = &mut report.violations;
    let pci_type = ["PCI DSS v4.0 10.2.2"];

    required_enum(v, "eventType", entry.event_type, &pci_type);
    required_enum(v, "outcome", entry.outcome, &pci_type);
    required_enum(v, "severity", entry.severity, &[]);
    if entry.actor_id.trim().is_empty() {
        v.push(violation(
            "actorId",
            "required",
            "actorId is required: an audit record must say who acted",
            Level::Error,
            &["PCI DSS v4.0 10.2.2", "HIPAA 164.312(b)"],
        ));
    }
    if entry.time.is_none() {
        v.push(violation(
            "time",
            "recommended",
            "time is not set: readers can only fall back to when the record was received",
            Level::Warning,
            &pci_type,
        ));
    }
    // The reflection walk that names each undefined enum value is slow;
    // the generated check says in nanoseconds whether it is needed.
    if !entry.enums_defined() {
        defined_enums(entry, v);
    }
    v.sort_by_key(|x| field_order(&x.field));
    report
}

fn required_enum(out: &mut Vec<Violation>, field: &str, value: i32, clauses: &[&str]) {
    if value == 0 {
        out.push(violation(
            field,
            "enum.not_unspecified",
            &format!("{field} must be set to a value other than the UNSPECIFIED zero value"),
            Level::Error,
            clauses,
        ));
    }
}

/// Implemented by the generated code for every message of the schema: true
/// when every enum field in it, nested messages included, holds a value the
/// schema defines.
pub(crate) trait EnumsDefined {
    fn enums_defined(&self) -> bool;
}

mod generated {
    include!("generated/enums.rs");
}

/// Every enum field anywhere in the record must hold a value the schema
/// defines (proto3 enums are open, so any number decodes).
fn defined_enums(entry: &LogEntry, out: &mut Vec<Violation>) {
    fn walk(message: &DynamicMessage, path: &str, out: &mut Vec<Violation>) {
        for (field, value) in message.fields() {
            let here = if path.is_empty() {
                field.json_name().to_owned()
            } else {
                format!("{path}.{}", field.json_name())
            };
            match value {
                Value::EnumNumber(n) => check(&field, *n, &here, out),
                Value::Message(m) => walk(m, &here, out),
                Value::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Value::Message(m) => walk(m, &format!("{here}[{i}]"), out),
                            Value::EnumNumber(n) => check(&field, *n, &format!("{here}[{i}]"), out),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    fn check(field: &prost_reflect::FieldDescriptor, n: i32, path: &str, out: &mut Vec<Violation>) {
        if let prost_reflect::Kind::Enum(e) = field.kind() {
            if e.get_value(n).is_none() {
                out.push(violation(
                    path,
                    "enum.defined_only",
                    &format!("{path} holds {n}, which is not a value of {}", e.name()),
                    Level::Error,
                    &[],
                ));
            }
        }
    }
    walk(&entry.transcode_to_dynamic(), "", out);
}

fn violation(field: &str, rule: &str, message: &str, level: Level, clauses: &[&str]) -> Violation {
    Violation {
        field: field.to_owned(),
        rule_id: rule.to_owned(),
        message: message.to_owned(),
        level,
        clauses: clauses.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// Sorts violations by the number of the top-level field they concern.
fn field_order(path: &str) -> u32 {
    let top = path.split(['.', '[']).next().unwrap_or_default();
    LogEntry::default()
        .descriptor()
        .fields()
        .find(|f| f.json_name() == top)
        .map_or(0, |f| f.number())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DelegationLink, GenAiPayload, Producer};

    fn good() -> LogEntry {
        LogEntry {
            event_type: 1,
            outcome: 1,
            severity: 2,
            actor_id: "alice".into(),
            time: Some(prost_types::Timestamp {
                seconds: 1,
                nanos: 0,
            }),
            delegation_chain: vec![DelegationLink {
                actor_type: 1,
                ..Default::default()
            }],
            producer: Some(Producer::default()),
            genai: Some(GenAiPayload::default()),
            ..Default::default()
        }
    }

    /// The generated fast check agrees with the reflection walk, wherever
    /// the undefined value sits.
    #[test]
    fn fast_enum_check_agrees_with_the_reflection_walk() {
        let mut cases: Vec<(LogEntry, Option<&str>)> = vec![(good(), None)];
        let mut e = good();
        e.event_type = 99;
        cases.push((e, Some("eventType")));
        let mut e = good();
        e.payload_format = -1;
        cases.push((e, Some("payloadFormat")));
        let mut e = good();
        e.delegation_chain.push(DelegationLink {
            actor_type: 77,
            ..Default::default()
        });
        cases.push((e, Some("delegationChain[1].actorType")));
        for (entry, undefined) in cases {
            let mut walked = Vec::new();
            defined_enums(&entry, &mut walked);
            assert_eq!(entry.enums_defined(), walked.is_empty(), "{undefined:?}");
            let report = validate(&entry);
            let found: Vec<&str> = report
                .violations
                .iter()
                .filter(|v| v.rule_id == "enum.defined_only")
                .map(|v| v.field.as_str())
                .collect();
            assert_eq!(found, undefined.into_iter().collect::<Vec<_>>());
        }
    }

    /// Reusing the scratch entry leaks nothing from one entry into the next.
    #[test]
    fn batch_validator_matches_validate_encoded() {
        let mut with_everything = good();
        with_everything.mcp = Some(crate::McpPayload {
            jsonrpc_error_code: Some(7),
            ..Default::default()
        });
        let mut bad = LogEntry {
            event_type: 99,
            ..Default::default()
        };
        bad.policy_tags.push("x".into());
        let mut unknown = crate::codec::encode(&good());
        unknown.extend([0xf8, 0x06, 0x01]); // field 111, varint 1
        let inputs = [
            crate::codec::encode(&with_everything),
            crate::codec::encode(&LogEntry::default()),
            crate::codec::encode(&bad),
            unknown,
            crate::codec::encode(&good()),
            vec![0xff],
            crate::codec::encode(&LogEntry::default()),
        ];
        let mut batch = BatchValidator::new(Options::default());
        for bytes in &inputs {
            let one = validate_encoded(bytes, &Options::default()).map(|(_, r)| r);
            let many = batch.validate_encoded(bytes);
            match (one, many) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{a:?} != {b:?}"),
            }
        }
    }

    #[test]
    fn profiles_resolve_by_name() {
        for name in Options::PROFILES {
            assert!(Options::for_profile(name).is_some(), "{name}");
        }
        assert_eq!(Options::for_profile("baseline"), Some(Options::default()));
        assert_eq!(Options::for_profile("nope"), None);
    }
}
