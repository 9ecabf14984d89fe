//! The interface between the logger and where records go.

use std::sync::OnceLock;
use std::time::Instant;

use lokryn_compliance_log::{LogEntry, json};

use crate::error::SinkError;

/// One record handed to a sink: the entry as written (completed and
/// redacted) and its protobuf encoding, made once for every sink.
#[derive(Debug)]
pub struct Record<'a> {
    /// The entry.
    pub entry: &'a LogEntry,
    /// Its protobuf encoding (without a length prefix); empty when no sink
    /// of the logger reads it (see [`Sink::wants_encoded`]).
    pub encoded: &'a [u8],
    json: OnceLock<Result<String, SinkError>>,
    /// Only one sink is handed this record: [`Record::write_json`] writes
    /// the JSON straight into the sink's buffer instead of keeping it.
    alone: bool,
}

impl<'a> Record<'a> {
    /// A record of `entry` whose encoding is `encoded`.
    pub fn new(entry: &'a LogEntry, encoded: &'a [u8]) -> Self {
        Self {
            entry,
            encoded,
            json: OnceLock::new(),
            alone: false,
        }
    }

    /// This record, handed to one sink only (see [`Record::write_json`]).
    pub(crate) fn alone(mut self) -> Self {
        self.alone = true;
        self
    }

    /// Appends [`Record::json`] to `out`. A record handed to one sink only
    /// is written straight into `out`, not made and kept first and then
    /// copied; on error `out` is left as it was.
    pub(crate) fn write_json(&self, out: &mut String) -> Result<(), SinkError> {
        match self.json.get() {
            None if self.alone => json::to_json_into(self.entry, out).map_err(SinkError::from),
            _ => {
                out.push_str(self.json()?);
                Ok(())
            }
        }
    }

    /// The canonical proto3 JSON of the entry (one line, no newline), made
    /// on first use and shared by every sink that asks.
    pub fn json(&self) -> Result<&str, SinkError> {
        match self
            .json
            .get_or_init(|| json::to_json(self.entry).map_err(SinkError::from))
        {
            Ok(s) => Ok(s),
            Err(e) => Err(e.clone()),
        }
    }
}

/// Counters of one sink. `written` counts records the sink accepted
/// (for a network sink: acknowledged by the receiver); `queued` records held
/// in memory or in a spill file; `retried` attempts repeated; `dropped`
/// records given up on; `failed` writes that returned an error to the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStats {
    /// The sink's name.
    pub name: String,
    /// Records written (acknowledged).
    pub written: u64,
    /// Records waiting.
    pub queued: u64,
    /// Retries.
    pub retried: u64,
    /// Records dropped.
    pub dropped: u64,
    /// Failed writes.
    pub failed: u64,
}

impl SinkStats {
    /// Counters of the sink called `name`, all zero.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// Counters of a logger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Each sink's counters, in the order they were added; the quarantine
    /// sink, if any, last.
    pub sinks: Vec<SinkStats>,
    /// Records handed to the sinks (quarantined ones included).
    pub logged: u64,
    /// Records that failed validation (under any policy).
    pub invalid: u64,
    /// Records sent to the quarantine sink.
    pub quarantined: u64,
}

/// Where records go. The logger calls a sink from one thread at a time (it
/// holds a lock per sink), in the order records were logged.
pub trait Sink: Send {
    /// A name for errors and stats: `jsonl:/var/log/audit.jsonl`, `otlp:http://…`.
    fn name(&self) -> &str;

    /// Accepts one record. When this returns `Ok`, the record is as durable
    /// as the sink promises (see each sink's documentation).
    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError>;

    /// Whether this sink reads [`Record::encoded`] (default: yes). When no
    /// sink of a logger does (JSON Lines files, standard output, the
    /// ledger, which read the entry), the logger skips encoding each record
    /// (it still refuses one over the size limit) and `encoded` is empty.
    fn wants_encoded(&self) -> bool {
        true
    }

    /// Makes everything accepted so far durable or delivered, giving up at
    /// `deadline` with a `TIMEOUT` error.
    fn flush(&mut self, deadline: Instant) -> Result<(), SinkError> {
        let _ = deadline;
        Ok(())
    }

    /// Flushes and releases resources. Called once; no write follows.
    fn close(&mut self, deadline: Instant) -> Result<(), SinkError> {
        self.flush(deadline)
    }

    /// The sink's own counters. The default returns counters with an empty
    /// name, which tells the logger to report the counters it keeps itself
    /// (records accepted and failed writes); a sink that counts on its own
    /// (a queue, retries) returns them with its name set.
    fn stats(&self) -> SinkStats {
        SinkStats::default()
    }
}

impl std::fmt::Debug for dyn Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").field("name", &self.name()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_json_appends_what_json_gives() {
        let entry = LogEntry {
            actor_id: "agent-7".into(),
            message: "café ✓".into(),
            time: Some(lokryn_compliance_log::Timestamp {
                seconds: 1_700_000_000,
                nanos: 5,
            }),
            ..LogEntry::default()
        };
        let expected = json::to_json(&entry).expect("json");
        for alone in [false, true] {
            let record = Record::new(&entry, &[]);
            let record = if alone { record.alone() } else { record };
            let mut out = String::from("before ");
            record.write_json(&mut out).expect("written");
            assert_eq!(out, format!("before {expected}"), "alone: {alone}");
            // Asked again (or after `json`), the same text.
            assert_eq!(record.json().expect("json"), expected);
            out.clear();
            record.write_json(&mut out).expect("written");
            assert_eq!(out, expected, "alone: {alone}");
        }
        // A value without JSON form: the same error, `out` left as it was.
        let bad = LogEntry {
            time: Some(lokryn_compliance_log::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            }),
            ..entry
        };
        let error = Record::new(&bad, &[])
            .json()
            .map(str::len)
            .expect_err("no JSON");
        for alone in [false, true] {
            let record = Record::new(&bad, &[]);
            let record = if alone { record.alone() } else { record };
            let mut out = String::from("kept");
            let e = record.write_json(&mut out).expect_err("no JSON");
            assert_eq!((e.code(), e.message()), (error.code(), error.message()));
            assert_eq!(out, "kept");
        }
    }
}
