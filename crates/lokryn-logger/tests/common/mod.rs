//! Helpers of the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use lokryn_compliance_log::compress::decompress;
use lokryn_compliance_log::stream::{DelimitedReader, JsonLinesReader};
use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};

/// A valid record of `actor`.
pub(crate) fn valid(actor: &str) -> LogEntry {
    LogEntry {
        event_type: EventType::EventLogin as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: actor.into(),
        ..Default::default()
    }
}

/// The files of a file sink writing `current` in `dir`: the rotated ones
/// (their names start with `stem`), oldest first (the names sort by time),
/// then `current`.
pub(crate) fn sink_files(dir: &Path, stem: &str, current: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(stem) && name != current
        })
        .collect();
    files.sort();
    files.push(dir.join(current));
    files
}

/// The entries of one file, compressed or not, JSON Lines when its name
/// says `.jsonl`, length-delimited otherwise; errors as the readers report
/// them.
pub(crate) fn read_file(path: &Path) -> Vec<lokryn_compliance_log::Result<LogEntry>> {
    let (_, reader) = decompress(BufReader::new(File::open(path).unwrap())).unwrap();
    if path.to_string_lossy().contains(".jsonl") {
        JsonLinesReader::new(reader).collect()
    } else {
        DelimitedReader::new(reader).collect()
    }
}
