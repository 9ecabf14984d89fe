//! Crash safety: a child process appends in small commits and reports each
//! acknowledged size; the parent kills it with SIGKILL at random moments
//! (≥ 200 times, so many kills land between a write and its fsync, or between
//! the journal and the published checkpoint), then checks that the ledger
//! opens, verifies, and holds every acknowledged entry unchanged. Half the
//! children publish a checkpoint at every commit, the others every 30 ms,
//! so kills land in commits, in publishing, and between the two.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lokryn_compliance_log::codec;
use lokryn_ledger::store::{self, AppendOptions, Reader, Writer};

const KILLS: u32 = 200;
const ENV: &str = "LOKRYN_LEDGER_CRASH_CHILD";

/// The child: appends entries `size..` in commits of 1 to 40 entries,
/// printing `ack <size>` after each commit returns, until killed.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(ENV) else { return };
    let dir = Path::new(&dir);
    // Reports go to a file (not stdout, which the test harness also uses).
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("..").join("acks"))
        .unwrap();
    let mut w = Writer::open(dir, AppendOptions::default()).unwrap();
    w.set_publish_interval(if w.size().is_multiple_of(2) {
        Duration::ZERO
    } else {
        Duration::from_millis(30)
    });
    writeln!(out, "open {}", w.size()).unwrap();
    let mut rng = w.size().wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    loop {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let n = 1 + rng % 40;
        let start = w.size();
        let batch: Vec<_> = (start..start + n).map(common::entry).collect();
        let got = w.append(&batch).unwrap();
        writeln!(out, "ack {}", got.end).unwrap();
    }
}

/// A small deterministic generator for the kill delays.
fn delays() -> impl Iterator<Item = Duration> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    std::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Duration::from_micros(x % 250_000)
    })
}

#[test]
fn kill_9_at_random_moments_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::ledger(tmp.path(), 0, 1);
    let exe = std::env::current_exe().unwrap();
    let mut acked = 0u64;
    let mut delays = delays();
    for kill in 0..KILLS {
        let acks = dir.join("..").join("acks");
        let _ = std::fs::remove_file(&acks);
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(ENV, &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has the ledger open, then let it run a random while.
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&acks).unwrap_or_default();
            // Only a whole line (the child may be between two writes of it).
            if let Some(line) = text
                .split_inclusive('\n')
                .find(|l| l.starts_with("open ") && l.ends_with('\n'))
            {
                let size: u64 = line.trim_start_matches("open ").trim_end().parse().unwrap();
                assert!(
                    size >= acked,
                    "kill {kill}: opened at {size}, {acked} were acknowledged"
                );
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the child did not open the ledger"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(delays.next().unwrap());
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let text = std::fs::read_to_string(&acks).unwrap();
        for line in text.split_inclusive('\n') {
            // A line cut by the kill is not a complete acknowledgement.
            if let Some(size) = line
                .strip_prefix("ack ")
                .and_then(|s| s.strip_suffix('\n'))
                .and_then(|s| s.parse::<u64>().ok())
            {
                acked = acked.max(size);
            }
        }
        // Opens (recovering), and holds every acknowledged entry.
        let w = Writer::open(&dir, AppendOptions::default()).unwrap();
        assert!(
            w.size() >= acked,
            "kill {kill}: size {} < acknowledged {acked}",
            w.size()
        );
        drop(w);
        if acked > 0 {
            let last = Reader::open(&dir).unwrap().entry(acked - 1).unwrap();
            assert_eq!(
                last,
                codec::encode(&common::entry(acked - 1)),
                "kill {kill}"
            );
        }
        if kill % 25 == 24 {
            store::verify(&dir, None).unwrap();
        }
    }
    let report = store::verify(&dir, None).unwrap();
    assert!(report.size >= acked);
    assert!(acked > 0, "no commit was ever acknowledged");
    let mut r = Reader::open(&dir).unwrap();
    while let Some(e) = r.next_raw().unwrap() {
        assert_eq!(
            e.bytes,
            codec::encode(&common::entry(e.index)),
            "entry {}",
            e.index
        );
    }
    eprintln!(
        "{KILLS} kills, {acked} entries acknowledged, {} kept, {} checkpoints",
        report.size, report.checkpoints
    );
}
