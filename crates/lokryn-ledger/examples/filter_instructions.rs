//! Instruction counts of a filtered read of a ledger, for callgrind: builds a
//! ledger of `entries` records like the benchmark's (`benches/ledger.rs`,
//! about 340 bytes each) in a temporary directory, then reads it `scans`
//! times through `Filter::scan` with one filter. Per entry read:
//! `(Ir(scans + 1) - Ir(1)) / scans / entries`.
//!
//! It uses only API that `Filter::scan` had before it read views, so the
//! same file builds at earlier versions for a before/after count.
//!
//! `cargo run --profile bench -p lokryn-ledger --example filter_instructions -- <filter> <scans> [entries]`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::process::ExitCode;

#[path = "../benches/support/entry.rs"]
mod support;

use lokryn_compliance_log::{LogEntry, Outcome};
use lokryn_ledger::Signer;
use lokryn_ledger::store::{self, AppendOptions, Filter, Reader, Writer};

/// The filters measured: the actor of 1 entry in 500 (the benchmark's
/// `ledger read --actor`, where the byte prefilter skips most entries),
/// an outcome 1 entry in 5 has and a time bound half the entries pass
/// (neither has a string for the prefilter: every entry is read).
const FILTERS: &[&str] = &["actor", "outcome", "since", "none"];

/// The benchmark's record, with an outcome that 1 entry in 5 has.
fn entry(i: u64) -> LogEntry {
    let mut entry = support::entry(i);
    if i.is_multiple_of(5) {
        entry.outcome = Outcome::FailureDenied as i32;
    }
    entry
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("filter_instructions: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(which), Some(scans)) = (args.next(), args.next()) else {
        return Err(format!(
            "usage: filter_instructions <filter> <scans> [entries]; filters: {}",
            FILTERS.join(" ")
        )
        .into());
    };
    let scans: usize = scans.parse()?;
    let n: u64 = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let filter = match which.as_str() {
        "actor" => Filter {
            actor: Some("agent-007".into()),
            ..Filter::default()
        },
        "outcome" => Filter {
            outcome: Some(Outcome::FailureDenied as i32),
            ..Filter::default()
        },
        "since" => Filter {
            since: Some((1_764_326_470 + i64::try_from(n / 2)?, 0)),
            ..Filter::default()
        },
        "none" => Filter::default(),
        other => return Err(format!("unknown filter {other:?}; {}", FILTERS.join(" ")).into()),
    };

    let tmp = tempfile::tempdir()?;
    let key = tmp.path().join("bench.key");
    let signer = Signer::from_seed("example.com/bench", [3; 32])?;
    std::fs::write(&key, signer.to_text())?;
    let dir = tmp.path().join("ledger");
    store::init(&dir, &key, &[])?;
    let mut w = Writer::open(&dir, AppendOptions::default())?;
    let entries: Vec<LogEntry> = (0..n).map(entry).collect();
    w.append(&entries)?;
    w.publish()?;
    drop(w);

    let mut found = 0usize;
    for _ in 0..scans {
        let mut reader = Reader::open(&dir)?;
        filter.scan(&mut reader, &mut |raw, e| {
            found += raw.bytes.len() + black_box(e).actor_id.len();
            Ok(true)
        })?;
    }
    println!("{which} x{scans} over {n}: {found}");
    Ok(())
}
