//! Compliance log records (`lokryn.compliancelog.v1.LogEntry`) in the
//! formats security teams search: OCSF 1.7.0 ([`ocsf`]), OpenTelemetry logs
//! ([`otlp`]) and ECS 9.x ([`ecs`]).
//!
//! Where each field goes is declared once, as options in the schema, and read
//! through [`lokryn_compliance_log::mapping`]; docs/exports.md renders the
//! same options as tables. Every field of a record goes somewhere: what a
//! target has no place for goes to its extension area (OCSF `unmapped`,
//! OpenTelemetry attributes under `lokryn.`, ECS `labels`).
//!
//! Each export takes a decoded [`LogEntry`](lokryn_compliance_log::LogEntry)
//! or, as a [`Record`], a view of an encoded one
//! ([`view::decode`](lokryn_compliance_log::view::decode)), which is read
//! without being decoded and gives the same output
//! ([`ocsf::write_ocsf_record`], [`otlp::encode_request_records`],
//! [`ecs::to_ecs_record`], `parquet::FlatWriter::push_record`).
//!
//! ```
//! use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};
//! use lokryn_export::{ocsf, Options};
//!
//! let entry = LogEntry {
//!     event_type: EventType::EventLogin as i32,
//!     outcome: Outcome::FailureDenied as i32,
//!     severity: Severity::Warning as i32,
//!     actor_id: "alice@example.com".into(),
//!     ..Default::default()
//! };
//! let event = ocsf::to_ocsf(&entry, &Options::default())?;
//! assert_eq!(event["class_uid"], 3002); // Authentication
//! assert_eq!(event["type_uid"], 300201); // Logon
//! assert_eq!(event["severity_id"], 3); // Medium
//! assert_eq!(event["status_id"], 2); // Failure
//! assert_eq!(event["user"]["uid"], "alice@example.com");
//! # Ok::<(), lokryn_export::Error>(())
//! ```

pub mod ecs;
mod fields;
pub mod lokryn_v0_2;
pub mod ocsf;
pub mod ocsf_import;
mod ocsf_writer;
pub mod otlp;
mod otlp_wire;
#[cfg(feature = "parquet")]
pub mod parquet;
mod record;
pub mod report;
#[cfg(feature = "parquet")]
pub mod security_lake;
mod tree;
mod typed;
mod value;

pub use fields::action_name;
/// The `opentelemetry-proto` crate, whose types [`otlp`] returns.
pub use opentelemetry_proto;
pub use record::Record;

/// What can go wrong exporting a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The schema's mapping options are inconsistent (two fields with one
    /// home, an unknown target location). Only a broken build causes it.
    #[error("export mapping: {0}")]
    Mapping(String),
    /// Writing the output failed (a Parquet encoder error, say).
    #[error("export: {0}")]
    Write(String),
    /// An OCSF event cannot be read back into a record (it was not written
    /// by this crate's export, or was changed).
    #[error("import: {0}")]
    Import(String),
    /// A report cannot be made: its settings are wrong (an unknown profile,
    /// a time that is not RFC 3339) or its input is not what it was said to
    /// be (a directory that is not a ledger). `code` names the cause
    /// (`UNKNOWN_PROFILE`, `BAD_TIME`, the ledger's own code).
    #[error("report: {message}")]
    Report {
        /// A stable machine-readable name of the cause.
        code: &'static str,
        /// What went wrong, for a person.
        message: String,
    },
}

impl Error {
    /// A stable machine-readable name of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Mapping(_) => "EXPORT_MAPPING",
            Self::Write(_) => "EXPORT_WRITE",
            Self::Import(_) => "IMPORT",
            Self::Report { code, .. } => code,
        }
    }
}

/// Settings that are not part of a record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// When the exporter saw the records, in nanoseconds since the epoch:
    /// OTLP's `ObservedTimestamp`, and OCSF's `time` for a record without a
    /// time of its own (flagged `unmapped.time_unset`). `None` leaves OTLP's
    /// observed time equal to the record's time and OCSF's fallback at 0.
    pub observed_time_ns: Option<u64>,
    /// OCSF `metadata.log_name`: the log or index the events are bound for.
    pub log_name: Option<String>,
}

impl Options {
    fn observed_time_ms(&self) -> i64 {
        self.observed_time_ns
            .map_or(0, |ns| i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX))
    }
}
