//! Standard output, as JSON Lines.

use std::io::Write;
use std::time::Instant;

use crate::{Record, Sink, SinkError};

/// Writes each record to standard output as one line of canonical proto3
/// JSON (standard output's lock held for the line).
#[derive(Debug, Default)]
pub struct Stdout {
    buf: Vec<u8>,
}

impl Stdout {
    /// The standard output sink.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Sink for Stdout {
    fn name(&self) -> &str {
        "stdout"
    }

    fn wants_encoded(&self) -> bool {
        false
    }

    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
        self.buf.clear();
        self.buf.extend_from_slice(record.json()?.as_bytes());
        self.buf.push(b'\n');
        let mut out = std::io::stdout().lock();
        out.write_all(&self.buf)?;
        out.flush()?;
        Ok(())
    }

    fn flush(&mut self, _deadline: Instant) -> Result<(), SinkError> {
        std::io::stdout().lock().flush()?;
        Ok(())
    }
}
