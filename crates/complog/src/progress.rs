//! A one-line progress report on stderr for long runs, shown only when
//! stderr is a terminal and the run has lasted more than a second.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Progress {
    enabled: bool,
    start: Instant,
    last_draw: Option<Instant>,
    drawn: bool,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled: enabled && std::io::stderr().is_terminal(),
            start: Instant::now(),
            last_draw: None,
            drawn: false,
        }
    }

    /// Redraws at most five times a second.
    pub(crate) fn tick(&mut self, entries: u64, bytes: u64, source: &str) {
        if !self.enabled || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        if self
            .last_draw
            .is_some_and(|t| t.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last_draw = Some(Instant::now());
        self.drawn = true;
        let secs = self.start.elapsed().as_secs_f64();
        let mib = bytes as f64 / (1024.0 * 1024.0);
        let rate = entries as f64 / secs;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{entries} entries, {mib:.1} MiB, {rate:.0} entries/s  {}",
            truncate(source, 40)
        );
        let _ = err.flush();
    }

    /// Clears the progress line so results print on a clean line.
    pub(crate) fn clear(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
            self.drawn = false;
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    let count = s.chars().count();
    if count <= max {
        s.to_owned()
    } else {
        let tail: String = s.chars().skip(count - (max - 1)).collect();
        format!("…{tail}")
    }
}
