//! An audit logger for applications: one call writes a complete, validated,
//! redacted compliance log record to files, a tamper-evident ledger, an
//! OpenTelemetry Collector, standard output or a sink of your own.
//!
//! [`AuditLogger::log`] fills what the record leaves unset (time, a UUIDv7
//! event id, producer, schema version, host name, the current trace
//! context, and the defaults you set once), validates it under the profiles
//! you chose, applies the policy for invalid records ([`OnInvalid`]),
//! redacts sensitive data ([`Redaction`]), encodes it once and hands it to
//! every [`Sink`]. docs/logging.md in the repository describes the
//! semantics in full.
//!
//! ```
//! use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};
//! use lokryn_logger::{AuditLogger, sinks::JsonLines};
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("audit.jsonl");
//! let audit = AuditLogger::builder()
//!     .sink(JsonLines::create(&path)?)
//!     .profiles(["pci"])?
//!     .build()?;
//! audit.log(LogEntry {
//!     event_type: EventType::EventResourceAccess as i32,
//!     outcome: Outcome::Success as i32,
//!     severity: Severity::Info as i32,
//!     actor_id: "billing-api".into(),
//!     resource: "cards/42".into(),
//!     message: "receipt sent to bob@example.com".into(),
//!     ..Default::default()
//! })?;
//! audit.close(None)?;
//! assert!(std::fs::read_to_string(&path)?.contains("receipt sent to [REDACTED:email]"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod complete;
pub mod delivery;
mod error;
#[cfg(feature = "tracing")]
mod layer;
mod logger;
mod operation;
mod otel;
#[cfg(feature = "otlp")]
pub mod otlp;
mod sink;
pub mod sinks;

pub use complete::{TraceContext, is_uuid7};
pub use error::{LogError, SinkError, SinkFailure};
#[cfg(feature = "tracing")]
pub use layer::AuditLayer;
pub use logger::{AuditLogger, Builder, OnInvalid, Redaction};
pub use operation::Operation;
#[cfg(feature = "opentelemetry")]
pub use otel::current as current_otel_context;
pub use sink::{Record, Sink, SinkStats, Stats};

/// The Rust examples of docs/logging.md, compiled and run as doctests (they
/// use every feature; `cargo xtask test` runs them with `--all-features`).
#[cfg(all(doctest, feature = "tracing", feature = "ledger"))]
#[doc = include_str!("../../../docs/logging.md")]
struct LoggingDocDoctests;

/// The validation report of an invalid record ([`LogError::report`]).
pub use lokryn_compliance_log::validate::Report as ValidationReport;
