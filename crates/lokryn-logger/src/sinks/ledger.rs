//! The tamper-evident ledger of `lokryn-ledger`.

use std::path::Path;
use std::time::{Duration, Instant};

use lokryn_ledger::store::{AppendOptions, Writer};

use crate::{Record, Sink, SinkError};

/// Appends records to a ledger (made with `complog ledger init` or
/// `lokryn_ledger::store::init`), holding its writer lock while open.
///
/// By default every record is added and committed (made durable and covered
/// by a new signed checkpoint) before `log` returns: an acknowledged record
/// is in the ledger. With [`Ledger::commit_every`] records are staged and
/// committed in groups; a staged record is acknowledged to the caller but
/// becomes durable only at the next commit (when the group is full, when a
/// record arrives after the interval, on `flush` and on `close`), so a crash
/// loses the staged ones.
///
/// The ledger checks records under its own profiles (set at `init`): one it
/// refuses fails this sink with the ledger's error code.
#[derive(Debug)]
pub struct Ledger {
    name: String,
    writer: Option<Writer>,
    group: usize,
    interval: Option<Duration>,
    last_commit: Instant,
}

impl Ledger {
    /// Opens the ledger in `dir` for appending.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SinkError> {
        let dir = dir.as_ref();
        let writer = Writer::open(dir, AppendOptions::default()).map_err(ledger_error)?;
        Ok(Self {
            name: format!("ledger:{}", dir.display()),
            writer: Some(writer),
            group: 1,
            interval: None,
            last_commit: Instant::now(),
        })
    }

    /// Group commit: commit when `records` are staged or when a record
    /// arrives `interval` or more after the last commit, whichever first.
    #[must_use]
    pub fn commit_every(mut self, records: usize, interval: Duration) -> Self {
        self.group = records.max(1);
        self.interval = Some(interval);
        self
    }

    fn writer(&mut self) -> Result<&mut Writer, SinkError> {
        self.writer
            .as_mut()
            .ok_or_else(|| SinkError::new("CLOSED", "the ledger sink is closed"))
    }

    fn commit(&mut self) -> Result<(), SinkError> {
        if let Some(writer) = self.writer.as_mut() {
            // Durable at `commit`; published (a signed checkpoint readers
            // see) at once, as this sink promises.
            writer.commit().map_err(ledger_error)?;
            writer.publish().map_err(ledger_error)?;
        }
        self.last_commit = Instant::now();
        Ok(())
    }
}

fn ledger_error(e: lokryn_ledger::Error) -> SinkError {
    SinkError::new(e.code, e.message)
}

impl Sink for Ledger {
    fn name(&self) -> &str {
        &self.name
    }

    fn wants_encoded(&self) -> bool {
        false
    }

    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
        let group = self.group;
        let writer = self.writer()?;
        writer.add(record.entry).map_err(ledger_error)?;
        let pending = writer.pending();
        let late = self
            .interval
            .is_some_and(|every| self.last_commit.elapsed() >= every);
        if pending >= group as u64 || late {
            self.commit()?;
        }
        Ok(())
    }

    fn flush(&mut self, _deadline: Instant) -> Result<(), SinkError> {
        self.commit()
    }

    fn close(&mut self, deadline: Instant) -> Result<(), SinkError> {
        let result = self.flush(deadline);
        self.writer = None;
        result
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        // Staged records of a group commit: commit them rather than let the
        // next writer discard them.
        let _ = self.commit();
    }
}
