//! Kill -9 while logging to files: the files stay readable to the last
//! complete record, and every record `log` acknowledged is in them.
//!
//! The test runs this same test binary as a child (the ignored test
//! `child_writer`), which logs records as fast as it can and prints
//! `ack <n>` after each `log` returned; the parent reads those lines,
//! kills the child with SIGKILL in the middle of the run, and reads the files.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lokryn_compliance_log::LogEntry;
use lokryn_logger::AuditLogger;
use lokryn_logger::sinks::{Binary, JsonLines};

const DIR_VAR: &str = "LOKRYN_LOGGER_CRASH_DIR";

#[test]
#[ignore = "run by `kill_9_loses_nothing_acknowledged` as its child process"]
fn child_writer() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let audit = AuditLogger::builder()
        .sink(
            JsonLines::create(dir.join("audit.jsonl"))
                .unwrap()
                .rotate_bytes(64 * 1024),
        )
        .sink(Binary::create(dir.join("audit.ldpb")).unwrap())
        .build()
        .unwrap();
    for n in 0u64.. {
        audit
            .log(LogEntry {
                message: "x".repeat(usize::try_from(n % 700).unwrap()),
                ..common::valid(&format!("actor-{n}"))
            })
            .unwrap();
        // Printed only once `log` returned: an acknowledged record.
        println!("ack {n}");
    }
}

/// The numbers of the actors in the files of the sink writing `current`,
/// oldest first, and how many records the readers reported broken.
fn read_numbers(dir: &Path, current: &str) -> (Vec<u64>, usize) {
    let files = common::sink_files(dir, "audit.", current);
    let (mut numbers, mut partial) = (Vec::new(), 0);
    for path in &files {
        let ours = path
            .to_string_lossy()
            .contains(current.trim_start_matches("audit"));
        if !ours {
            continue;
        }
        for entry in common::read_file(path) {
            match entry {
                Ok(e) => numbers.push(e.actor_id.trim_start_matches("actor-").parse().unwrap()),
                // Only the very end of the current file may be cut short.
                Err(e) => {
                    assert_eq!(path, files.last().unwrap(), "{e}");
                    partial += 1;
                }
            }
        }
    }
    (numbers, partial)
}

#[test]
fn kill_9_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = None;
    // Let it write a few thousand records (several rotations), then kill.
    for line in lines.by_ref() {
        if let Some(n) = line.unwrap().strip_prefix("ack ") {
            let n: u64 = n.parse().unwrap();
            acked = Some(n);
            if n == 3_000 {
                child.kill().unwrap();
                break;
            }
        }
    }
    // Acknowledgements already in the pipe count too.
    for line in lines {
        if let Ok(line) = line
            && let Some(n) = line.strip_prefix("ack ")
        {
            acked = Some(n.parse().unwrap());
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed");
    let acked = acked.expect("the child acknowledged records");

    for current in ["audit.jsonl", "audit.ldpb"] {
        let (numbers, partial) = read_numbers(dir.path(), current);
        assert!(partial <= 1, "{current}: {partial} bad records");
        // Every record is there once, in order, from 0 up to at least the
        // last acknowledged one (the record being written when the kill came
        // may be there too, or cut short).
        let expected: Vec<u64> = (0..u64::try_from(numbers.len()).unwrap()).collect();
        assert_eq!(numbers, expected, "{current}");
        assert!(
            numbers.len() as u64 > acked,
            "{current}: {} records, acknowledged up to {acked}",
            numbers.len()
        );
    }
    // The JSON Lines file rotated on the way.
    let rotated = fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("audit.") && name.ends_with(".jsonl") && name != "audit.jsonl"
        })
        .count();
    assert!(rotated > 0);

    // A new logger appends after the last complete record.
    let audit = AuditLogger::builder()
        .sink(JsonLines::create(dir.path().join("audit.jsonl")).unwrap())
        .sink(Binary::create(dir.path().join("audit.ldpb")).unwrap())
        .build()
        .unwrap();
    let before = read_numbers(dir.path(), "audit.ldpb").0.len();
    audit
        .log(common::valid(&format!("actor-{before}")))
        .unwrap();
    audit.close(None).unwrap();
    let (numbers, partial) = read_numbers(dir.path(), "audit.ldpb");
    assert_eq!((numbers.len(), partial), (before + 1, 0));
}
