//! Timing an operation and logging its outcome.

use std::time::Instant;

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};

use crate::{AuditLogger, LogError};

/// An operation being timed, from [`AuditLogger::operation`]. Finish it with
/// [`Operation::success`], [`Operation::failure`] or [`Operation::finish`]:
/// the record gets `duration_ms`, the outcome, and (when the template left
/// it unset) severity `INFO` for success, `ERROR` otherwise. An operation
/// dropped unfinished is logged as a failure with error code `UNFINISHED`,
/// or `PANIC` when the thread is panicking.
///
/// ```
/// use lokryn_logger::{AuditLogger, sinks::JsonLines};
/// use lokryn_compliance_log::{EventType, LogEntry};
///
/// # let dir = tempfile::tempdir()?;
/// let audit = AuditLogger::builder().sink(JsonLines::create(dir.path().join("a.jsonl"))?).build()?;
/// let template = LogEntry { actor_id: "agent-7".into(), resource: "tools/search".into(), ..Default::default() };
/// let op = audit.operation(EventType::EventToolInvocation, template);
/// // ... the work ...
/// let written = op.success()?;
/// assert_eq!(written.outcome, lokryn_compliance_log::Outcome::Success as i32);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Operation {
    logger: AuditLogger,
    entry: LogEntry,
    started: Instant,
    done: bool,
}

impl Operation {
    pub(crate) fn start(
        logger: AuditLogger,
        event_type: EventType,
        mut template: LogEntry,
    ) -> Self {
        template.event_type = event_type as i32;
        Self {
            logger,
            entry: template,
            started: Instant::now(),
            done: false,
        }
    }

    /// The record to be logged, to add fields while the operation runs.
    pub fn entry_mut(&mut self) -> &mut LogEntry {
        &mut self.entry
    }

    /// Logs the operation as a success.
    pub fn success(self) -> Result<LogEntry, LogError> {
        self.finish(Outcome::Success, "", "")
    }

    /// Logs the operation as a failure with an error code and message (an
    /// empty code keeps the one set on the record, else `ERROR`).
    pub fn failure(self, error_code: &str, error_message: &str) -> Result<LogEntry, LogError> {
        self.finish(Outcome::FailureError, error_code, error_message)
    }

    /// Logs the operation with any outcome.
    pub fn finish(
        mut self,
        outcome: Outcome,
        error_code: &str,
        error_message: &str,
    ) -> Result<LogEntry, LogError> {
        let entry = self.take(outcome, error_code, error_message);
        self.logger.log(entry)
    }

    fn take(&mut self, outcome: Outcome, error_code: &str, error_message: &str) -> LogEntry {
        self.done = true;
        let mut entry = std::mem::take(&mut self.entry);
        let elapsed = self.started.elapsed().as_millis();
        entry.duration_ms = i64::try_from(elapsed).unwrap_or(i64::MAX);
        entry.outcome = outcome as i32;
        let failed = outcome != Outcome::Success;
        if entry.severity == Severity::Unspecified as i32 {
            entry.severity = if failed {
                Severity::Error
            } else {
                Severity::Info
            } as i32;
        }
        if failed {
            if !error_code.is_empty() {
                error_code.clone_into(&mut entry.error_code);
            } else if entry.error_code.is_empty() {
                "ERROR".clone_into(&mut entry.error_code);
            }
            if !error_message.is_empty() {
                error_message.clone_into(&mut entry.error_message);
            }
        }
        entry
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (code, message) = if std::thread::panicking() {
            ("PANIC", "the operation panicked")
        } else {
            ("UNFINISHED", "the operation was dropped without an outcome")
        };
        let entry = self.take(Outcome::FailureError, code, message);
        // Nobody to return an error to: it is counted in the stats.
        let _ = self.logger.log(entry);
    }
}
