//! The `logger` benchmark's two sides outside criterion, for the two ways
//! of comparing them that a loaded machine leaves:
//!
//! * `count <email|clean|tracing> <N>` logs `N` records as the benchmark
//!   does (`pci`, redaction on, a JSON Lines file; or the `tracing` peer),
//!   for counting instructions with callgrind: `(Ir(N + 1) - Ir(1)) / N` is
//!   the cost of one record, the one-time setup excluded. Instruction counts
//!   do not move with the load, so they compare versions where wall-clock
//!   time cannot (they do not see the `write` system call, the same for
//!   both sides).
//! * `rounds [R]` times the three rows in turn, `R` rounds (default 41) of
//!   about 20 ms each, and prints the median time per record of each and
//!   their ratios: the load of a shared machine weighs on the rows alike.
//!
//! `cargo run --profile bench -p lokryn-logger --example logger_peer -- rounds`

#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use lokryn_compliance_log::LogEntry;
use lokryn_logger::AuditLogger;
use lokryn_logger::sinks::JsonLines;

#[path = "../benches/support/records.rs"]
mod records;

/// The benchmark's record: an agent's tool call, with an email address in
/// the message when `email`.
fn entry(i: u64, email: bool) -> LogEntry {
    if email {
        records::entry(i)
    } else {
        records::clean(i)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logger_peer: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::env::temp_dir().join(format!("logger-peer-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["count", what, n] => count(&dir, what, n.parse()?),
        ["rounds"] => rounds(&dir, 41),
        ["rounds", r] => rounds(&dir, r.parse()?),
        _ => Err("usage: logger_peer count <email|clean|tracing> <N> | rounds [R]".into()),
    };
    std::fs::remove_dir_all(&dir)?;
    result
}

type Res = Result<(), Box<dyn std::error::Error>>;

fn count(dir: &Path, what: &str, n: u64) -> Res {
    match what {
        "email" | "clean" => {
            let audit = ours(dir)?;
            for i in 0..n {
                black_box(audit.log(entry(i, what == "email"))?);
            }
            audit.close(None)?;
            Ok(())
        }
        "tracing" => {
            tracing::subscriber::with_default(peer(dir)?, || {
                for i in 0..n {
                    records::peer_event(i);
                }
            });
            Ok(())
        }
        _ => Err(format!("unknown side {what}: email, clean or tracing").into()),
    }
}

fn ours(dir: &Path) -> Result<AuditLogger, Box<dyn std::error::Error>> {
    Ok(AuditLogger::builder()
        .sink(JsonLines::create(dir.join("audit.jsonl"))?)
        .profiles(["pci"])?
        .build()?)
}

/// Records per sample: about 20 ms of logging on a loaded machine.
const PER_SAMPLE: u64 = 2000;

fn rounds(dir: &Path, rounds: usize) -> Res {
    let audit = ours(dir)?;
    let dispatch = tracing::Dispatch::new(peer(dir)?);
    let mut i = 0u64;
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..=rounds {
        for (side, out) in samples.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..PER_SAMPLE {
                i += 1;
                match side {
                    0 => drop(black_box(audit.log(entry(i, true))?)),
                    1 => drop(black_box(audit.log(entry(i, false))?)),
                    _ => tracing::dispatcher::with_default(&dispatch, || records::peer_event(i)),
                }
            }
            // The first round warms up.
            if round > 0 {
                out.push(start.elapsed().as_secs_f64() * 1e6 / PER_SAMPLE as f64);
            }
        }
    }
    audit.close(None)?;
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let [email, clean, peer] = samples.map(|mut v| median(&mut v));
    println!("median of {rounds} rounds of {PER_SAMPLE} records, µs per record:");
    println!("| record | lokryn-logger `log` | tracing + JSON layer | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| email in the message | {email:.2} | {peer:.2} | {:.2} |",
        email / peer
    );
    println!(
        "| nothing to redact | {clean:.2} | {peer:.2} | {:.2} |",
        clean / peer
    );
    Ok(())
}

/// The benchmark's peer, writing to a file in `dir`.
fn peer(dir: &Path) -> Result<impl tracing::Subscriber + Send + Sync, std::io::Error> {
    Ok(records::peer(std::fs::File::create(
        dir.join("tracing.jsonl"),
    )?))
}
