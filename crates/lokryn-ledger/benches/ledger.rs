//! Ledger benchmarks, each next to its peer measured in the same run:
//!
//! * `verify`: `store::verify` over a ledger, next to one SHA-256 pass over
//!   the same entry bytes in memory (the issue's goal: ≥ 50 % of it);
//! * `append`: a group commit of many entries (goal: ≥ 200,000 entries/s);
//! * `fsync`: one entry per commit, next to a bare `write` + `fdatasync`
//!   loop in the same directory (goal: ≥ 80 % of its rate);
//! * `read`: the entries of one actor (1 in 500) as JSON Lines, what
//!   `complog ledger read --actor` does, next to `jq` and DuckDB (Python
//!   wheel, `read_json`) over the same entries exported as JSON Lines.
//!
//! `LEDGER_BENCH_ENTRIES` sets the ledger's size (default 100,000).
//! `LEDGER_BENCH_PYTHON` names a Python that has `duckdb` (default
//! `python3`); the DuckDB and jq peers are skipped, with a message, when
//! they cannot run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

use std::fs::OpenOptions;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lokryn_compliance_log::{LogEntry, codec, json};
use lokryn_ledger::store::{self, AppendOptions, Filter, Reader, Writer};
use lokryn_ledger::{Signer, merkle};
use sha2::{Digest, Sha256};

#[path = "support/entry.rs"]
mod support;
use support::entry;

fn new_ledger(root: &Path) -> std::path::PathBuf {
    let key = root.join("bench.key");
    let signer = Signer::from_seed("example.com/bench", [3; 32]).unwrap();
    std::fs::write(&key, signer.to_text()).unwrap();
    let dir = root.join("ledger");
    store::init(&dir, &key, &[]).unwrap();
    dir
}

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("LEDGER_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();

    // verify vs SHA-256 over the same bytes.
    let dir = new_ledger(tmp.path());
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    let entries: Vec<LogEntry> = (0..n).map(entry).collect();
    for chunk in entries.chunks(50_000) {
        w.append(chunk).unwrap();
    }
    drop(w);
    read(c, &dir, &entries, tmp.path());
    let encoded: Vec<Vec<u8>> = entries.iter().map(codec::encode).collect();
    let bytes: u64 = encoded.iter().map(|e| e.len() as u64).sum();
    let mut g = c.benchmark_group("verify");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function(format!("store::verify, {n} entries"), |b| {
        b.iter(|| store::verify(&dir, None).unwrap());
    });
    let joined: Vec<u8> = encoded.concat();
    g.bench_function("SHA-256 over the same bytes (one pass)", |b| {
        b.iter(|| Sha256::digest(black_box(&joined)));
    });
    g.bench_function("leaf hashes only (SHA-256 per entry)", |b| {
        b.iter(|| {
            for e in &encoded {
                black_box(merkle::leaf_hash(e));
            }
        });
    });
    g.finish();

    // append with group commit.
    let mut g = c.benchmark_group("append");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    let batch: Vec<LogEntry> = (0..20_000).map(entry).collect();
    g.throughput(Throughput::Elements(batch.len() as u64));
    let gdir = tempfile::tempdir().unwrap();
    let gled = new_ledger(gdir.path());
    let mut w = Writer::open(&gled, AppendOptions::default()).unwrap();
    g.bench_function(
        "20,000 entries, one commit (validate + encode + hash + fsync)",
        |b| {
            b.iter(|| w.append(&batch).unwrap());
        },
    );
    drop(w);
    g.finish();

    // fsync per append vs a bare write + fdatasync loop.
    let mut g = c.benchmark_group("fsync");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(1));
    let fdir = tempfile::tempdir().unwrap();
    let fled = new_ledger(fdir.path());
    let mut w = Writer::open(&fled, AppendOptions::default()).unwrap();
    let one = [entry(7)];
    g.bench_function("ledger append, one entry per commit", |b| {
        b.iter(|| w.append(&one).unwrap());
    });
    drop(w);
    let raw = codec::encode(&entry(7));
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(fdir.path().join("bare.bin"))
        .unwrap();
    g.bench_function("bare write + fdatasync", |b| {
        b.iter(|| {
            f.write_all(&raw).unwrap();
            f.sync_data().unwrap();
        });
    });
    g.finish();
}

/// The DuckDB peer: runs the query `iters` times in one Python process
/// (after one warm-up run) and prints the seconds they took.
const DUCKDB: &str = r#"
import sys, time, duckdb
path, actor, iters = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
q = "SELECT * FROM read_json(?, format='newline_delimited') WHERE actorId = ?"
n = len(con.execute(q, [path, actor]).fetchall())
t = time.perf_counter()
for _ in range(iters):
    n = len(con.execute(q, [path, actor]).fetchall())
print(time.perf_counter() - t, n)
"#;

fn read(c: &mut Criterion, dir: &Path, entries: &[LogEntry], tmp: &Path) {
    const ACTOR: &str = "agent-007";
    let want = entries.iter().filter(|e| e.actor_id == ACTOR).count();
    let export = tmp.join("export.jsonl");
    let mut text = String::new();
    let mut line = String::new();
    for e in entries {
        line.clear();
        json::to_json_into(e, &mut line).unwrap();
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(&export, &text).unwrap();
    let mut g = c.benchmark_group("read");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(entries.len() as u64));
    g.bench_function(
        format!(
            "ledger read --actor (1 in 500 of {}), JSON Lines",
            entries.len()
        ),
        |b| {
            b.iter(|| {
                let filter = Filter {
                    actor: Some(ACTOR.into()),
                    ..Filter::default()
                };
                let mut reader = Reader::open(dir).unwrap();
                let mut out: Vec<u8> = Vec::new();
                let mut line = String::new();
                let mut n = 0;
                filter
                    .scan(&mut reader, &mut |_, e| {
                        line.clear();
                        json::to_json_into(e, &mut line).unwrap();
                        out.extend_from_slice(line.as_bytes());
                        out.push(b'\n');
                        n += 1;
                        Ok(true)
                    })
                    .unwrap();
                assert_eq!(n, want);
                black_box(out)
            });
        },
    );
    let jq_filter = format!("select(.actorId==\"{ACTOR}\")");
    let jq_ok = Command::new("jq")
        .args(["-c", &jq_filter])
        .arg(&export)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if jq_ok {
        g.bench_function(
            "jq -c 'select(.actorId==…)' over the JSON Lines export",
            |b| {
                b.iter(|| {
                    let out = Command::new("jq")
                        .args(["-c", &jq_filter])
                        .arg(&export)
                        .output()
                        .unwrap();
                    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), want);
                });
            },
        );
    } else {
        eprintln!("read: jq is not available; its peer is not run");
    }
    let python = std::env::var("LEDGER_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let duckdb = |iters: u64| -> Option<Duration> {
        let out = Command::new(&python)
            .args(["-c", DUCKDB])
            .arg(&export)
            .arg(ACTOR)
            .arg(iters.to_string())
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        let mut it = text.split_whitespace();
        let secs: f64 = it.next()?.parse().ok()?;
        let n: usize = it.next()?.parse().ok()?;
        assert_eq!(n, want);
        Some(Duration::from_secs_f64(secs))
    };
    if duckdb(1).is_some() {
        g.bench_function(
            "DuckDB read_json … WHERE actorId = … (warm, in-process)",
            |b| b.iter_custom(|iters| duckdb(iters).unwrap()),
        );
    } else {
        eprintln!(
            "read: {python} has no duckdb module (set LEDGER_BENCH_PYTHON); its peer is not run"
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
