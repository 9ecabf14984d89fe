//! The errors of the logger and of its sinks.

use std::fmt;

use lokryn_compliance_log::validate::Report;

/// What went wrong in a sink: a stable code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    code: &'static str,
    message: String,
}

impl SinkError {
    /// An error with a stable upper-case `code` (`IO`, `TIMEOUT`, `LEDGER`…).
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SinkError {}

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        Self::new("IO", e.to_string())
    }
}

impl From<lokryn_compliance_log::Error> for SinkError {
    fn from(e: lokryn_compliance_log::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// One sink that failed, as listed by a `SINK` [`LogError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkFailure {
    /// The sink's name ([`Sink::name`](crate::Sink::name)).
    pub sink: String,
    /// Its error.
    pub error: SinkError,
}

/// An error of [`AuditLogger`](crate::AuditLogger) or its [`Builder`](crate::Builder).
///
/// [`LogError::code`] is one of `INVALID` (the record failed validation under
/// the `Raise` policy; [`LogError::report`] says why), `SINK` (one or more sinks
/// failed; [`LogError::failures`] lists them, the others were written),
/// `CLOSED`, `CONFIG`, `TIMEOUT`, `IO`, or a code of the core crate passed
/// through (`TOO_LARGE`, `UNKNOWN_PROFILE`, …).
#[derive(Debug, Clone)]
pub struct LogError {
    code: &'static str,
    message: String,
    sink: Option<String>,
    report: Option<Box<Report>>,
    failures: Vec<SinkFailure>,
}

impl LogError {
    /// An error with a code and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            sink: None,
            report: None,
            failures: Vec::new(),
        }
    }

    pub(crate) fn invalid(report: Report) -> Self {
        let message = match report.invalid_error() {
            Some(e) => e.to_string(),
            None => "the record is invalid".to_owned(),
        };
        Self {
            report: Some(Box::new(report)),
            ..Self::new("INVALID", message)
        }
    }

    /// A `SINK` error (or `TIMEOUT` when every failure is a timeout) listing
    /// the failed sinks.
    pub(crate) fn sinks(what: &str, failures: Vec<SinkFailure>) -> Self {
        let code = if failures.iter().all(|f| f.error.code() == "TIMEOUT") {
            "TIMEOUT"
        } else {
            "SINK"
        };
        let names: Vec<&str> = failures.iter().map(|f| f.sink.as_str()).collect();
        let details: Vec<String> = failures
            .iter()
            .map(|f| format!("{}: {}", f.sink, f.error))
            .collect();
        let message = format!(
            "{what} failed in {} of the sinks: {}",
            failures.len(),
            details.join("; ")
        );
        Self {
            sink: Some(names.join(", ")),
            failures,
            ..Self::new(code, message)
        }
    }

    /// The stable code (see the type's documentation).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What went wrong, for a person.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The name of the failed sink (several joined by `, `), for `SINK` and
    /// `TIMEOUT` errors.
    pub fn sink(&self) -> Option<&str> {
        self.sink.as_deref()
    }

    /// The validation report, for `INVALID` errors.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_deref()
    }

    /// Every failed sink with its error, for `SINK` and `TIMEOUT` errors.
    pub fn failures(&self) -> &[SinkFailure] {
        &self.failures
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for LogError {}

impl From<lokryn_compliance_log::Error> for LogError {
    fn from(e: lokryn_compliance_log::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<std::io::Error> for LogError {
    fn from(e: std::io::Error) -> Self {
        Self::new("IO", e.to_string())
    }
}
