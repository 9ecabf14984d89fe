//! A whole report: the records of the period, each validated, hashed and
//! aggregated ([`Collector`]), with the integrity and provenance sections
//! around them. `complog report` and the Python and Node `report` functions
//! all go through it, so the figures cannot differ between them.

use lokryn_compliance_log::validate::{self, Options};
use lokryn_compliance_log::{LogEntry, Timestamp};
use prost::Message as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::Builder;
use crate::Error;

/// What to report on: the profiles and the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Profile names (`soc2`, `hipaa`, `pci`; several may be joined with
    /// `,` or `+`). Baseline always applies.
    pub profiles: Vec<String>,
    /// Records at or after this time (RFC 3339), on each record's `time`.
    pub since: Option<String>,
    /// Records before this time (RFC 3339).
    pub until: Option<String>,
}

impl Settings {
    /// The call that made a report with these settings, for the
    /// reproducibility section of a report made by a library function:
    /// `function(source, profiles=[…], since="…", until="…")`, or with the
    /// settings as one object (`function(source, {profiles: […], …})`)
    /// when `object`, as JavaScript passes options.
    pub fn call(&self, function: &str, source: &str, object: bool) -> String {
        let (open, eq, close) = if object {
            (", {", ": ", "}")
        } else {
            (", ", "=", "")
        };
        let mut out = format!("{function}({source}{open}profiles{eq}{:?}", self.profiles);
        for (name, value) in [("since", &self.since), ("until", &self.until)] {
            if let Some(v) = value {
                out.push_str(&format!(", {name}{eq}{v:?}"));
            }
        }
        out.push_str(close);
        out.push(')');
        out
    }
}

/// How the input was read, for the scope section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputTotals {
    /// Inputs (files, ledgers, standard input) read.
    pub inputs: u64,
    /// Inputs that could not be opened or read to their end.
    pub errors: u64,
    /// Inputs whose reading stopped before their end.
    pub given_up: u64,
    /// Bytes of those inputs left unread.
    pub unread_bytes: u64,
}

/// How the report was made, for the reproducibility section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The command or call that made it, as it can be repeated.
    pub command: String,
    /// The version of the program that made it (`complog`, a binding).
    pub version: String,
    /// The inputs, as named to that command.
    pub inputs: Vec<String>,
    /// How they were read.
    pub totals: InputTotals,
}

/// The streaming part of a report: hand it every record of the input in
/// order ([`Collector::add`], [`Collector::add_unreadable`]); it keeps
/// those of the period, validates them under the profiles, hashes them for
/// the reproducibility section and aggregates them ([`Builder`]).
#[derive(Debug)]
pub struct Collector {
    settings: Settings,
    rules: Options,
    since: Option<(i64, i32)>,
    until: Option<(i64, i32)>,
    builder: Builder,
    hash: Sha256,
    hashed: u64,
    seen: u64,
    buf: Vec<u8>,
}

/// Parses an RFC 3339 time as proto3 JSON reads a `Timestamp`, to
/// (seconds, nanos) since the epoch.
///
/// # Errors
///
/// [`Error::Report`] with code `BAD_TIME` when `text` is not an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<(i64, i32), Error> {
    let doc = json!({ "time": text }).to_string();
    match lokryn_compliance_log::json::from_json(&doc).map(|e| e.time) {
        Ok(Some(t)) => Ok((t.seconds, t.nanos)),
        _ => Err(Error::Report {
            code: "BAD_TIME",
            message: format!("{text:?} is not an RFC 3339 time"),
        }),
    }
}

impl Collector {
    /// A report under `settings`.
    ///
    /// # Errors
    ///
    /// [`Error::Report`]: an unknown profile (`UNKNOWN_PROFILE`), or a
    /// `since`/`until` that is not an RFC 3339 time (`BAD_TIME`).
    pub fn new(settings: Settings) -> Result<Self, Error> {
        let rules = Options::for_profiles(&settings.profiles).map_err(|e| Error::Report {
            code: e.code(),
            message: e.to_string(),
        })?;
        let since = settings.since.as_deref().map(parse_time).transpose()?;
        let until = settings.until.as_deref().map(parse_time).transpose()?;
        Ok(Self {
            settings,
            rules,
            since,
            until,
            builder: Builder::new(),
            hash: Sha256::new(),
            hashed: 0,
            seen: 0,
            buf: Vec::new(),
        })
    }

    /// Whether `entry` falls in the period (`since` inclusive, `until`
    /// exclusive; without a time it falls outside a bounded period).
    pub fn in_period(&self, entry: &LogEntry) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(Timestamp { seconds, nanos }) = entry.time else {
            return false;
        };
        let t = (seconds, nanos);
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    /// Adds a record: `index` names it in the report (a ledger's own index,
    /// or the position across the inputs), `raw` is its binary encoding as
    /// stored when it was read as binary (it is hashed as is, and its
    /// unknown fields are reported). Records outside the period are
    /// skipped.
    pub fn add(&mut self, index: u64, entry: &LogEntry, raw: Option<&[u8]>) {
        self.seen += 1;
        if !self.in_period(entry) {
            return;
        }
        let mut verdict = validate::validate_with(entry, &self.rules);
        let bytes = match raw {
            Some(raw) => {
                verdict
                    .violations
                    .extend(validate::unknown_field_warnings(raw, entry).unwrap_or_default());
                raw
            }
            None => {
                self.buf.clear();
                entry.encode_raw(&mut self.buf);
                self.buf.as_slice()
            }
        };
        self.hash.update((bytes.len() as u64).to_be_bytes());
        self.hash.update(bytes);
        self.hashed += 1;
        self.builder.add(index, entry, &verdict);
    }

    /// Counts a record that could not be read (it fails every profile).
    pub fn add_unreadable(&mut self) {
        self.seen += 1;
        self.builder.add_unreadable();
    }

    /// Records handed over so far, in the period or not.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The report data of records a program handed over one by one (the
    /// Python and Node `report` functions given entries rather than a
    /// ledger): integrity cannot be shown ([`unproven`]), and the input is
    /// named `<N records>`. `command` is the call ([`Settings::call`]).
    pub fn finish_records(self, command: String, version: &str) -> Value {
        let made = Provenance {
            command,
            version: version.to_owned(),
            inputs: vec![format!("<{} records>", self.seen)],
            totals: InputTotals {
                inputs: 1,
                ..InputTotals::default()
            },
        };
        self.finish(&unproven(0), &made)
    }

    /// The report data: `integrity` is [`unproven`] or, for a ledger,
    /// `ledger::integrity` (feature `ledger`).
    pub fn finish(self, integrity: &Value, made: &Provenance) -> Value {
        let reproducibility = json!({
            "command": made.command,
            "version": made.version,
            "coreVersion": lokryn_compliance_log::VERSION,
            "schema": lokryn_compliance_log::LOG_ENTRY_NAME,
            "schemaVersion": lokryn_compliance_log::VERSION,
            "inputs": made.inputs,
            "since": self.settings.since,
            "until": self.settings.until,
            "inputHash": format!("sha256:{}", hex(&self.hash.finalize())),
            "inputHashCovers": format!(
                "{} records in the period: for each, its length (8 bytes, big-endian) then its binary encoding (as stored, when read from a ledger or binary file)",
                self.hashed
            ),
        });
        let profiles: Vec<String> = std::iter::once("baseline".to_owned())
            .chain(
                self.settings
                    .profiles
                    .iter()
                    .flat_map(|p| p.split([',', '+']))
                    .map(str::to_owned),
            )
            .collect();
        let mut data = self.builder.finish(&profiles, integrity, &reproducibility);
        if let Some(scope) = data.get_mut("scope").and_then(Value::as_object_mut) {
            scope.insert("inputs".into(), json!(made.totals.inputs));
            scope.insert("inputErrors".into(), json!(made.totals.errors));
            scope.insert("inputsGivenUp".into(), json!(made.totals.given_up));
            scope.insert("unreadBytes".into(), json!(made.totals.unread_bytes));
        }
        data
    }
}

/// The integrity section of records whose integrity cannot be shown:
/// plain files, several inputs read together, records handed over in
/// memory. `ledgers` is how many of the inputs were ledgers (read as plain
/// records, since a report verifies one ledger at a time).
pub fn unproven(ledgers: usize) -> Value {
    let statement = if ledgers == 0 {
        "Plain records: integrity cannot be shown.".to_owned()
    } else {
        format!(
            "Several inputs, {ledgers} of them ledgers, read together as plain records: integrity cannot be shown for them together. Report on each ledger alone to verify it."
        )
    };
    json!({
        "kind": "files",
        "verified": Value::Null,
        "ledgers": ledgers,
        "statement": statement,
    })
}

pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_half_open_and_needs_a_time() {
        let c = Collector::new(Settings {
            profiles: vec!["pci".into()],
            since: Some("2026-01-01T00:00:00Z".into()),
            until: Some("2026-01-02T00:00:00Z".into()),
        })
        .unwrap();
        let at = |seconds| LogEntry {
            time: Some(Timestamp { seconds, nanos: 0 }),
            ..LogEntry::default()
        };
        assert!(c.in_period(&at(1_767_225_600)));
        assert!(c.in_period(&at(1_767_311_999)));
        assert!(!c.in_period(&at(1_767_312_000)));
        assert!(!c.in_period(&at(1_767_225_599)));
        assert!(!c.in_period(&LogEntry::default()));
    }

    #[test]
    fn the_call_is_written_in_either_style() {
        let s = Settings {
            profiles: vec!["pci".into()],
            since: Some("2026-01-01T00:00:00Z".into()),
            until: None,
        };
        assert_eq!(
            s.call("m.report", "\"L\"", false),
            "m.report(\"L\", profiles=[\"pci\"], since=\"2026-01-01T00:00:00Z\")"
        );
        assert_eq!(
            s.call("report", "<records>", true),
            "report(<records>, {profiles: [\"pci\"], since: \"2026-01-01T00:00:00Z\"})"
        );
    }

    #[test]
    fn bad_settings_are_errors() {
        let bad_profile = Collector::new(Settings {
            profiles: vec!["pcii".into()],
            ..Settings::default()
        });
        assert_eq!(bad_profile.unwrap_err().code(), "UNKNOWN_PROFILE");
        let bad_time = Collector::new(Settings {
            since: Some("yesterday".into()),
            ..Settings::default()
        });
        assert_eq!(bad_time.unwrap_err().code(), "BAD_TIME");
    }
}
