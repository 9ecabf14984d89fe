//! Is a record fit for an audit trail?
//!
//! The rules are declared in the schema itself, as custom options of
//! `proto/lokryn/compliancelog/v1/rules.proto` on the fields and messages of
//! `LogEntry` (docs/rules.md has the table). This engine reads them from the
//! embedded descriptor once and compiles them into a plan per combination of
//! [`Profile`]s; every binding runs it, so a record gets the same verdict in
//! Rust, Python, Node, the browser and the CLI.
//!
//! [`validate_with`] returns a [`Report`]: violations as data, in the manner
//! of protovalidate, each naming the field by JSON path (with list indices),
//! a stable rule id, the level and the compliance clauses the rule serves.
//! Messages never repeat the offending value, which may be sensitive. Under
//! a profile with sensitive-data rules (`soc2`, `hipaa`, `pci`) the searched
//! fields are scanned too and the report carries the [`Finding`]s.
//!
//! ```
//! use lokryn_compliance_log::validate::{validate_with, Options, Profile};
//! use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};
//!
//! let entry = LogEntry {
//!     event_type: EventType::EventLogin as i32,
//!     outcome: Outcome::Success as i32,
//!     severity: Severity::Info as i32,
//!     actor_id: "alice".into(),
//!     message: "signed in with card 4111 1111 1111 1111".into(),
//!     ..Default::default()
//! };
//! let report = validate_with(&entry, &Options::default().with_profile(Profile::Pci));
//! let found: Vec<(&str, &str)> = report
//!     .violations
//!     .iter()
//!     .map(|v| (v.field.as_str(), v.rule_id.as_str()))
//!     .collect();
//! assert_eq!(
//!     found,
//!     [
//!         ("", "pci.origination"),           // neither sourceIp nor host (10.2.2)
//!         ("", "pci.affected_resource"),     // neither resource nor component (10.2.2)
//!         ("message", "sensitive.card_number"), // a full PAN (3.4.1)
//!         ("time", "required"),              // a warning under baseline, an error here
//!     ]
//! );
//! assert!(!report.is_valid());
//! // Under baseline alone the record passes, with a warning about `time`.
//! assert!(lokryn_compliance_log::validate::validate(&entry).is_valid());
//! ```

mod formats;
pub(crate) mod plan;
mod run;

pub use crate::rules::{Level, Profile};

use crate::LogEntry;
use crate::rules::ProfileMask;
use crate::sensitive::Finding;

/// One rule a record breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field, as a JSON path: `"eventType"`, `"delegationChain[1].actorId"`,
    /// `"payload.card.number"`. Empty when the rule concerns the record as a
    /// whole.
    pub field: String,
    /// The stable id of the rule, for example `"required"`,
    /// `"enum.defined_only"` or `"sensitive.card_number"` (docs/rules.md
    /// lists them all).
    pub rule_id: String,
    /// What is wrong, for a human. Never contains the field's value.
    pub message: String,
    /// How serious it is.
    pub level: Level,
    /// The compliance clauses the rule serves, for example "PCI DSS v4.0 10.2.2".
    pub clauses: Vec<String>,
}

impl Violation {
    /// This violation as the schema's `Violation` message (report.proto).
    pub fn to_message(&self) -> crate::v1::Violation {
        crate::v1::Violation {
            field: self.field.clone(),
            rule_id: self.rule_id.clone(),
            message: self.message.clone(),
            level: self.level.as_str().to_owned(),
            clauses: self.clauses.clone(),
        }
    }
}

/// The outcome of validating one record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Every violation found, errors and warnings, in field order.
    pub violations: Vec<Violation>,
    /// The sensitive data the selected profiles have rules for, each also
    /// reported as a violation (at most [`MAX_FINDINGS`]). Empty under
    /// `baseline` alone, which does not scan.
    pub findings: Vec<Finding>,
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

    /// The violations at [`Level::Warning`].
    pub fn warnings(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.level == Level::Warning)
    }

    /// This report as the schema's `ValidationReport` message
    /// (`proto/lokryn/compliancelog/v1/report.proto`): the one definition of
    /// the report's shape, which `complog --format json` writes through
    /// [`json::report_to_json`](crate::json::report_to_json).
    pub fn to_message(&self) -> crate::v1::ValidationReport {
        crate::v1::ValidationReport {
            valid: self.is_valid(),
            violations: self.violations.iter().map(Violation::to_message).collect(),
            findings: self.findings.iter().map(Finding::to_message).collect(),
            error: None,
        }
    }

    /// The report of an entry that could not be read: not valid, nothing
    /// judged, `error` saying why.
    pub fn unreadable(code: &str, message: &str) -> crate::v1::ValidationReport {
        crate::v1::ValidationReport {
            valid: false,
            error: Some(crate::v1::EntryError {
                code: code.to_owned(),
                message: message.to_owned(),
            }),
            ..Default::default()
        }
    }

    /// `None` when the record is valid, else the one "not valid" error
    /// every binding raises ([`Error::Invalid`](crate::Error::Invalid), code
    /// `INVALID`), its message naming each error's field and rule.
    pub fn invalid_error(&self) -> Option<crate::Error> {
        if self.is_valid() {
            return None;
        }
        let errors: Vec<String> = self
            .errors()
            .map(|v| {
                if v.field.is_empty() {
                    format!("{} [{}]", v.message, v.rule_id)
                } else {
                    format!("{}: {} [{}]", v.field, v.message, v.rule_id)
                }
            })
            .collect();
        let message = format!(
            "the record is not valid ({} error{}): {}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            errors.join("; ")
        );
        Some(crate::Error::Invalid { message })
    }
}

/// The most findings one validation reports (and turns into violations), so
/// a payload full of addresses still gets a bounded report. Redaction has
/// no such limit.
pub const MAX_FINDINGS: usize = 1000;

/// What to check: the profiles whose rules apply (`baseline` is always
/// included; the default is `baseline` alone), and the size limits under
/// which encoded entries are read ([`validate_encoded`], [`BatchValidator`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    profiles: ProfileMask,
    limits: crate::codec::Limits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profiles: Profile::Baseline.bit(),
            limits: crate::codec::Limits::DEFAULT,
        }
    }
}

impl Options {
    /// The names of the profiles ([`Profile::names`]).
    pub fn profile_names() -> &'static [&'static str] {
        Profile::names()
    }

    /// The options of a named profile, or of several joined by `,` or `+`
    /// (`"soc2,pci"`); `None` when a name is not in [`Options::profile_names`].
    pub fn for_profile(name: &str) -> Option<Self> {
        Self::for_profiles([name]).ok()
    }

    /// The options of several named profiles.
    pub fn for_profiles<I, S>(names: I) -> crate::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut options = Self::default();
        for name in names {
            for part in name.as_ref().split([',', '+']) {
                let profile =
                    Profile::from_name(part).ok_or_else(|| crate::Error::UnknownProfile {
                        name: part.to_owned(),
                    })?;
                options = options.with_profile(profile);
            }
        }
        Ok(options)
    }

    /// These options with `profile` added.
    #[must_use]
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profiles |= profile.bit();
        self
    }

    /// These options with the given size limits for encoded entries.
    #[must_use]
    pub fn with_limits(mut self, limits: crate::codec::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The size limits for encoded entries.
    pub fn limits(&self) -> crate::codec::Limits {
        self.limits
    }

    /// The profiles of both (and the limits of `self`).
    #[must_use]
    pub fn union(mut self, other: Self) -> Self {
        self.profiles |= other.profiles;
        self
    }

    /// The profiles that apply, baseline first.
    pub fn profiles(&self) -> Vec<Profile> {
        Profile::ALL
            .into_iter()
            .filter(|p| self.profiles & p.bit() != 0)
            .collect()
    }

    /// True when `profile`'s rules apply.
    pub fn has(&self, profile: Profile) -> bool {
        self.profiles & profile.bit() != 0
    }
}

/// Validates `entry` with the default options (`baseline`).
pub fn validate(entry: &LogEntry) -> Report {
    validate_with(entry, &Options::default())
}

/// Validates `entry` under the profiles of `options`.
pub fn validate_with(entry: &LogEntry, options: &Options) -> Report {
    let plan = plan::plan(options.profiles);
    let mut report = Report::default();
    run::run(plan, entry, &mut report);
    report
}

/// Validates `entry` under `options` and makes its redacted copy, searching
/// it for sensitive data once: the same report as [`validate_with`] and the
/// same copy as [`redact`](crate::redact::redact), for about the cost of
/// one search less. What an audit logger does with every record.
pub fn validate_and_redact(
    entry: &LogEntry,
    options: &Options,
    redact: &crate::redact::RedactOptions,
) -> (Report, crate::redact::Redacted) {
    let (report, walk) = validate_walked(entry, options);
    (report, crate::redact::redact_walk(entry, walk, redact))
}

/// [`validate_and_redact`] without the copy: validates `entry` as it is,
/// then redacts it in place; returns the report (on the record as it was)
/// and what redaction replaced. `entry` ends as the copy
/// [`validate_and_redact`] would return. What an audit logger that owns the
/// record does, saving a copy of every record.
pub fn validate_and_redact_in_place(
    entry: &mut LogEntry,
    options: &Options,
    redact: &crate::redact::RedactOptions,
) -> (Report, Vec<Finding>) {
    let (report, walk) = validate_walked(entry, options);
    let findings = crate::redact::redact_walk_in_place(entry, walk, redact);
    (report, findings)
}

/// [`validate_and_redact_in_place`] for a caller that needs the report only
/// when the record is invalid, as an audit logger does: validates `entry`
/// as it is, redacts it in place, and returns the report
/// [`validate_and_redact_in_place`] gives when the record breaks a rule at
/// [`Level::Error`], `None` when it is valid. The warnings of a valid
/// record (such as sensitive data found, which redaction then replaces)
/// are never spelled out, which is most of what a record with something
/// to redact costs beyond one without; an invalid record is judged twice.
pub fn validate_and_redact_in_place_unless_valid(
    entry: &mut LogEntry,
    options: &Options,
    redact: &crate::redact::RedactOptions,
) -> Option<Report> {
    validate_and_redact_filled(entry, options, redact, &Known::default(), Filled::default())
}

/// [`validate_and_redact_in_place_unless_valid`] for an audit logger that
/// filled some of the record's fields itself with values it had checked
/// once, in `known` (made under the same `options`): the checks of each
/// field that `filled` names, whose value `known` found clean and which
/// still holds that value, are not run again (for the event id: whose
/// generated ids `known` found clean). The answer is the same as
/// without them: what a string or message field's checks report depends
/// on its value alone, and a clean value reports nothing. A field the
/// caller gave (in the record or as a default) is not `filled`, and is
/// checked as always.
pub fn validate_and_redact_filled(
    entry: &mut LogEntry,
    options: &Options,
    redact: &crate::redact::RedactOptions,
    known: &Known,
    filled: Filled,
) -> Option<Report> {
    let skip = known.skip(entry, options, filled);
    let walk = crate::sensitive::Walk::run(&*entry, usize::MAX, true);
    let report = if report_walked(entry, options, &walk, true, skip).is_valid() {
        None
    } else {
        Some(report_walked(entry, options, &walk, false, skip))
    };
    crate::redact::redact_walk_in_place(entry, walk, redact);
    report
}

/// Which fields of a record its producer (an audit logger) filled itself,
/// from the values of a [`Known`]; see [`validate_and_redact_filled`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per field
pub struct Filled {
    /// The event id, made by the logger's own generator.
    pub event_id: bool,
    /// The host, `Known`'s.
    pub host: bool,
    /// The schema version, `Known`'s.
    pub schema_version: bool,
    /// The producer, `Known`'s.
    pub producer: bool,
}

/// The values an audit logger fills into records, checked once under a set
/// of options (see [`validate_and_redact_filled`]): each is kept only when
/// it breaks no rule of its field at any level.
#[derive(Debug, Clone, Default)]
pub struct Known {
    profiles: ProfileMask,
    host: Option<String>,
    schema_version: Option<String>,
    producer: Option<crate::Producer>,
    /// Every id of the generator's shape is clean.
    event_ids: bool,
}

// Field numbers of `LogEntry` that `Known` covers.
use crate::access::numbers::log_entry::{EVENT_ID, HOST, PRODUCER, SCHEMA_VERSION};

impl Known {
    /// Checks the values a logger fills in under `options`: `host`,
    /// `schema_version`, `producer`, and the event ids of its generator,
    /// given as `id_samples`. The ids are found clean only when every
    /// sample is; the caller vouches that every id it marks as
    /// [`Filled::event_id`] has the samples' form (same length, the same
    /// kind of character at each place: for a UUIDv7 generator, the lowest
    /// and highest ids it can make), which is all the id's rules look at.
    pub fn new(
        options: &Options,
        host: &str,
        schema_version: &str,
        producer: &crate::Producer,
        id_samples: &[&str],
    ) -> Self {
        let plan = plan::plan(options.profiles);
        let probe = |number: u32, fill: &dyn Fn(&mut LogEntry)| {
            let mut entry = LogEntry::default();
            fill(&mut entry);
            run::field_clean(plan, &entry, number)
        };
        let host = probe(HOST, &|e| host.clone_into(&mut e.host)).then(|| host.to_owned());
        let schema_version = probe(SCHEMA_VERSION, &|e| {
            schema_version.clone_into(&mut e.schema_version);
        })
        .then(|| schema_version.to_owned());
        let producer =
            probe(PRODUCER, &|e| e.producer = Some(producer.clone())).then(|| producer.clone());
        let event_ids = !id_samples.is_empty()
            && id_samples.iter().all(|id| {
                !id.is_empty() && probe(EVENT_ID, &|e| (*id).clone_into(&mut e.event_id))
            });
        Self {
            profiles: options.profiles,
            host,
            schema_version,
            producer,
            event_ids,
        }
    }

    /// The fields of `entry` whose checks need not run: `filled`, clean,
    /// and (for the fixed values) still holding the value checked.
    fn skip(&self, entry: &LogEntry, options: &Options, filled: Filled) -> u64 {
        if filled == Filled::default() || self.profiles != options.profiles {
            return 0;
        }
        let mut skip = 0;
        if filled.event_id && self.event_ids {
            skip |= run::field_bit(EVENT_ID);
        }
        if filled.host && self.host.as_deref() == Some(entry.host.as_str()) {
            skip |= run::field_bit(HOST);
        }
        if filled.schema_version
            && self.schema_version.as_deref() == Some(entry.schema_version.as_str())
        {
            skip |= run::field_bit(SCHEMA_VERSION);
        }
        if filled.producer && self.producer.is_some() && self.producer == entry.producer {
            skip |= run::field_bit(PRODUCER);
        }
        skip
    }
}

/// The report of `entry` under `options`, and the walk (with edits) whose
/// findings it used.
fn validate_walked(entry: &LogEntry, options: &Options) -> (Report, crate::sensitive::Walk) {
    let walk = crate::sensitive::Walk::run(entry, usize::MAX, true);
    let report = report_walked(entry, options, &walk, false, 0);
    (report, walk)
}

/// The report of `entry` under `options` with the findings of `walk` (made
/// on `entry`); with `verdict_only`, good for [`Report::is_valid`] only
/// (see `run::run_found`).
fn report_walked(
    entry: &LogEntry,
    options: &Options,
    walk: &crate::sensitive::Walk,
    verdict_only: bool,
    skip: u64,
) -> Report {
    let plan = plan::plan(options.profiles);
    let mut report = Report::default();
    match walk.fields.as_slice() {
        // The findings of one field (the usual case when there are any)
        // are read where they are.
        [] => run::run_found(
            plan,
            entry,
            &mut report,
            true,
            Some(&[]),
            verdict_only,
            skip,
        ),
        [one] => run::run_found(
            plan,
            entry,
            &mut report,
            true,
            Some(&one.findings),
            verdict_only,
            skip,
        ),
        fields => {
            let found: Vec<Finding> = fields
                .iter()
                .flat_map(|hits| hits.findings.iter().cloned())
                .collect();
            run::run_found(
                plan,
                entry,
                &mut report,
                true,
                Some(&found),
                verdict_only,
                skip,
            );
        }
    }
    report
}

/// Decodes and validates one encoded entry. Besides the rules, the report
/// warns about fields the schema does not define (see
/// [`unknown_field_warnings`]). [`validate_bytes`] gives the same report
/// without decoding, when the entry itself is not needed.
pub fn validate_encoded(bytes: &[u8], options: &Options) -> crate::Result<(LogEntry, Report)> {
    let entry = crate::codec::decode_with(bytes, &options.limits)?;
    let mut report = validate_with(&entry, options);
    report
        .violations
        .extend(unknown_field_warnings(bytes, &entry)?);
    Ok((entry, report))
}

/// Validates one encoded entry without decoding it: the rules run on a
/// [view](crate::view) that borrows the entry's strings and bytes from
/// `bytes`. The same report as [`validate_encoded`] (unknown fields
/// included) and the same error for bytes it refuses, for about the cost of
/// validating an entry already decoded.
pub fn validate_bytes(bytes: &[u8], options: &Options) -> crate::Result<Report> {
    options.limits.check_entry(bytes.len())?;
    let mut view = crate::view::LogEntryView::default();
    match crate::view::read_into(bytes, &mut view) {
        Ok(()) => Ok(judge_view(&view, options)),
        // What the view reader leaves to prost: its error, or (for a field
        // type views do not hold) the owned path's report.
        Err(crate::view::Fallback) => validate_encoded(bytes, options).map(|(_, report)| report),
    }
}

/// Validates a view of an encoded entry under `options`: the report
/// [`validate_encoded`] gives for its bytes, `unknown_field` warnings
/// included.
pub fn validate_view(view: &crate::view::LogEntryView<'_>, options: &Options) -> Report {
    judge_view(view, options)
}

/// [`validate_view`], inlined where [`validate_bytes`] made the view.
#[inline(always)]
fn judge_view(view: &crate::view::LogEntryView<'_>, options: &Options) -> Report {
    let plan = plan::plan(options.profiles);
    let mut report = Report::default();
    run::run(plan, view, &mut report);
    if view.has_unknown() {
        report
            .violations
            .extend(view.unknown_fields().into_iter().map(unknown_warning));
    }
    report
}

/// Validates encoded entries one after another, as [`validate_encoded`]
/// does, each read as a [view](crate::view) ([`validate_bytes`]), so no
/// entry is copied.
#[derive(Debug, Default)]
pub struct BatchValidator {
    options: Options,
}

impl BatchValidator {
    /// A validator with the given options (and their size limits).
    pub fn new(options: Options) -> Self {
        Self { options }
    }

    /// The report of one encoded entry: the same as
    /// `validate_encoded(bytes, options)` gives.
    pub fn validate_encoded(&mut self, bytes: &[u8]) -> crate::Result<Report> {
        validate_bytes(bytes, &self.options)
    }
}

/// One `unknown_field` warning per field of `bytes` (the encoding `entry`
/// was decoded from) that the schema does not define: decoding drops them,
/// so a tool that copies the record through [`LogEntry`] would lose them.
pub fn unknown_field_warnings(bytes: &[u8], entry: &LogEntry) -> crate::Result<Vec<Violation>> {
    let _ = entry;
    // A walk over the keys tells whether there is any (comparing the
    // length with the canonical encoding's does not: a negative enum
    // written in five bytes, which prost writes in ten, can hide one); the
    // view reader, which notes them as it reads, lists them; what it leaves
    // to prost goes through the slower reflective scan.
    if crate::view::has_unknown(bytes) == Ok(false) {
        return Ok(Vec::new());
    }
    let unknown = match crate::view::read(bytes) {
        Ok(view) => view.unknown_fields(),
        Err(crate::view::Fallback) => crate::codec::unknown_fields(bytes)?,
    };
    Ok(unknown.into_iter().map(unknown_warning).collect())
}

fn unknown_warning(unknown: crate::codec::UnknownField) -> Violation {
    Violation {
        message: format!(
            "field number {} is not defined by schema {}; readers of this version drop it",
            unknown.number,
            crate::VERSION
        ),
        field: unknown.path,
        rule_id: "unknown_field".into(),
        level: Level::Warning,
        clauses: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated numbers `Known` names its four `LogEntry` fields by are
    /// the schema's (a check of the generator).
    #[test]
    fn known_field_numbers_are_the_schemas() {
        let entry = crate::DESCRIPTOR_POOL
            .all_messages()
            .find(|m| m.name() == "LogEntry")
            .expect("LogEntry is in the schema");
        for (name, number) in [
            ("event_id", EVENT_ID),
            ("host", HOST),
            ("producer", PRODUCER),
            ("schema_version", SCHEMA_VERSION),
        ] {
            let field = entry.get_field_by_name(name).expect(name);
            assert_eq!(field.number(), number, "{name}");
        }
    }

    fn good() -> LogEntry {
        use crate::{DelegationLink, GenAiPayload, Producer};
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
                actor_id: "carol".into(),
                actor_type: 1,
                ..Default::default()
            }],
            producer: Some(Producer::default()),
            genai: Some(GenAiPayload::default()),
            ..Default::default()
        }
    }

    /// Undefined enum values are named wherever they sit.
    #[test]
    fn undefined_enum_values_are_named_with_their_path() {
        let mut cases: Vec<(LogEntry, Option<&str>)> = vec![(good(), None)];
        let mut e = good();
        e.event_type = 99;
        cases.push((e, Some("eventType")));
        let mut e = good();
        e.payload_format = -1;
        cases.push((e, Some("payloadFormat")));
        let mut e = good();
        e.delegation_chain.push(crate::DelegationLink {
            actor_id: "x".into(),
            actor_type: 77,
            ..Default::default()
        });
        cases.push((e, Some("delegationChain[1].actorType")));
        for (entry, undefined) in cases {
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
        for options in [
            Options::default(),
            Options::for_profile("soc2,hipaa,pci").unwrap(),
        ] {
            let mut batch = BatchValidator::new(options);
            for bytes in &inputs {
                let one = validate_encoded(bytes, &options).map(|(_, r)| r);
                let many = batch.validate_encoded(bytes);
                match (one, many) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("{a:?} != {b:?}"),
                }
            }
        }
    }

    #[test]
    fn profiles_resolve_by_name() {
        for name in Options::profile_names() {
            assert!(Options::for_profile(name).is_some(), "{name}");
        }
        assert_eq!(Options::for_profile("baseline"), Some(Options::default()));
        assert_eq!(Options::for_profile("nope"), None);
    }

    /// The one-pass predicates never hide a violation: on every record of
    /// the corpus, under every combination of profiles, the report is the
    /// same with and without them.
    #[test]
    fn fast_path_agrees_with_the_checks() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/validation");
        let mut checked = 0;
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for case in doc["cases"].as_array().unwrap() {
                if case.get("generate").is_some() || case.get("entry").is_none() {
                    continue;
                }
                let entry =
                    crate::json::from_json_value(case["entry"].clone(), &Default::default())
                        .unwrap();
                for mask in 0..u8::try_from(crate::rules::MASKS).unwrap() {
                    let plan = plan::plan(mask);
                    let (mut fast, mut slow) = (Report::default(), Report::default());
                    run::run_with(plan, &entry, &mut fast, true);
                    run::run_with(plan, &entry, &mut slow, false);
                    assert_eq!(fast, slow, "{}", case["name"]);
                    checked += 1;
                }
            }
        }
        assert!(checked > 2000);
    }

    #[test]
    fn options_parse_and_combine() {
        let o = Options::for_profile("soc2,PCI").unwrap();
        assert_eq!(
            o.profiles(),
            [Profile::Baseline, Profile::Soc2, Profile::Pci]
        );
        assert_eq!(
            Options::for_profile("soc2+hipaa").unwrap().profiles().len(),
            3
        );
        assert!(Options::for_profile("sox").is_none());
        assert_eq!(Options::for_profile("baseline"), Some(Options::default()));
        let o = Options::for_profiles(["pci", "hipaa"]).unwrap();
        assert!(o.has(Profile::Pci) && o.has(Profile::Hipaa) && !o.has(Profile::Soc2));
        assert!(matches!(
            Options::for_profiles(["pci", "gdpr"]),
            Err(crate::Error::UnknownProfile { .. })
        ));
    }
}

#[cfg(test)]
mod invalid_tests {
    use super::*;

    /// The report's JSON is the `ValidationReport` message of report.proto,
    /// every field written: a proto3 JSON reader of the schema reads it back
    /// to the same message.
    #[test]
    fn report_json_is_the_report_message_with_every_field() {
        use prost::Message as _;

        let entry =
            crate::json::from_json(r#"{"actorId": "a", "message": "card 4111 1111 1111 1111"}"#)
                .unwrap();
        let options = Options::for_profile("pci").unwrap();
        let report = validate_with(&entry, &options).to_message();
        assert!(!report.findings.is_empty() && !report.violations.is_empty());
        let unreadable = Report::unreadable("DECODE", "bad");
        for message in [report, unreadable, crate::v1::ValidationReport::default()] {
            let text = crate::json::report_to_json(&message);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            for key in ["valid", "violations", "findings", "error"] {
                assert!(value.get(key).is_some(), "{key} missing from {text}");
            }
            let descriptor = crate::DESCRIPTOR_POOL
                .get_message_by_name("lokryn.compliancelog.v1.ValidationReport")
                .unwrap();
            let mut de = serde_json::Deserializer::from_str(&text);
            let back = prost_reflect::DynamicMessage::deserialize(descriptor, &mut de).unwrap();
            let back =
                crate::v1::ValidationReport::decode(back.encode_to_vec().as_slice()).unwrap();
            assert_eq!(back, message, "{text}");
        }
    }

    /// The one "not valid" error every binding raises: code `INVALID`, a
    /// message naming each error's field and rule, the report attached.
    #[test]
    fn an_invalid_report_becomes_the_invalid_error() {
        let report = validate(&LogEntry::default());
        let err = report.invalid_error().unwrap();
        assert_eq!(err.code(), "INVALID");
        assert!(
            err.to_string()
                .starts_with("the record is not valid (4 errors): eventType: "),
            "{err}"
        );
        assert!(err.to_string().contains("[required]"), "{err}");
        let valid = LogEntry {
            event_type: 1,
            outcome: 1,
            severity: 1,
            actor_id: "a".into(),
            ..Default::default()
        };
        assert!(validate(&valid).invalid_error().is_none());
    }

    #[test]
    fn encoded_entries_are_read_under_the_options_limits() {
        let entry = LogEntry {
            actor_id: "a".repeat(100),
            ..Default::default()
        };
        let bytes = crate::codec::encode(&entry);
        let tight = Options::default().with_limits(crate::codec::Limits::with_max_entry_bytes(50));
        assert_eq!(
            validate_encoded(&bytes, &tight).unwrap_err().code(),
            "TOO_LARGE"
        );
        assert_eq!(
            BatchValidator::new(tight)
                .validate_encoded(&bytes)
                .unwrap_err()
                .code(),
            "TOO_LARGE"
        );
        assert!(validate_encoded(&bytes, &Options::default()).is_ok());
    }
}
