//! The `Otlp` sink's speed, next to peers measured in the same run:
//!
//! * caller cost: `Sink::write` of the `Otlp` sink (a copy into the queue)
//!   next to the `JsonLines` sink (one `write(2)` per record), per record;
//! * throughput: records from the first `write` to the collector's last
//!   acknowledgement (`flush`), next to posting the same records, already
//!   batched and mapped, straight to the collector from one thread (the
//!   wire and the collector alone: the ceiling).
//!
//! Needs the collector (`LOKRYN_OTELCOL`, as `cargo xtask test --exports`
//! builds it); it runs with the `debug` exporter at basic verbosity, so the
//! collector's own work is small. Without `LOKRYN_OTELCOL` only the caller
//! cost against an in-process receiver is measured.
//!
//! `LOKRYN_OTELCOL=… cargo bench -p lokryn-logger --bench otlp`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Producer, Severity, Timestamp, codec};
use lokryn_export::Options;
use lokryn_export::otlp::{to_protobuf, to_request};
use lokryn_logger::otlp::Otlp;
use lokryn_logger::sinks::JsonLines;
use lokryn_logger::{Record, Sink};

#[path = "../tests/otlp_support/mod.rs"]
mod otlp_support;

use otlp_support::{Collector, Server, free_port};

const RECORDS: usize = 200_000;
const BATCH: usize = 512;

fn entries(n: usize) -> Vec<(LogEntry, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let entry = LogEntry {
                time: Some(Timestamp {
                    seconds: 1_780_000_000 + i64::try_from(i).unwrap(),
                    nanos: 0,
                }),
                event_id: format!("0190a5c2-7b1e-7000-8000-{i:012x}"),
                event_type: EventType::EventFileAccess as i32,
                outcome: Outcome::Success as i32,
                severity: Severity::Info as i32,
                actor_id: "billing-api".into(),
                resource: format!("cards/{i}"),
                message: "charged a card".into(),
                component: "billing".into(),
                environment: "bench".into(),
                host: "bench-host".into(),
                producer: Some(Producer {
                    name: "lokryn-compliance-log".into(),
                    version: "0.3.0".into(),
                }),
                ..Default::default()
            };
            let encoded = codec::encode(&entry);
            (entry, encoded)
        })
        .collect()
}

fn collector(binary: &std::path::Path, dir: &std::path::Path) -> (Collector, u16) {
    let port = free_port();
    let yaml = format!(
        "receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
"
    );
    (Collector::start(binary, dir, &yaml, port), port)
}

/// Median of `runs` timings of `f` over all records, in ns per record.
fn per_record(runs: usize, n: usize, mut f: impl FnMut() -> Duration) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| f().as_nanos() as f64 / n as f64)
        .collect();
    times.sort_by(f64::total_cmp);
    times.get(runs / 2).copied().unwrap_or(f64::NAN)
}

fn write_cost(records: &[(LogEntry, Vec<u8>)], endpoint: &str, dir: &std::path::Path) {
    let n = records.len();
    let otlp = |endpoint: &str, close_within: Duration| {
        per_record(5, n, || {
            let mut sink = Otlp::new(endpoint)
                .queue_capacity(n + 1)
                .queue_bytes(usize::MAX / 2)
                .initial_backoff(Duration::from_secs(60))
                .max_backoff(Duration::from_secs(60));
            let start = Instant::now();
            for (entry, encoded) in records {
                sink.write(&Record::new(entry, encoded)).unwrap();
            }
            let took = start.elapsed();
            let _ = sink.close(Instant::now() + close_within);
            took
        })
    };
    // The collector up: the worker maps and sends while the caller writes.
    let up = otlp(endpoint, Duration::from_secs(120));
    // Nothing listening: the worker waits in its backoff, so this is the
    // queueing alone.
    let down = otlp(
        &format!("http://127.0.0.1:{}", free_port()),
        Duration::from_millis(10),
    );
    let file_ns = per_record(5, n, || {
        let path = dir.join("bench.jsonl");
        let _ = std::fs::remove_file(&path);
        let mut sink = JsonLines::create(&path).unwrap();
        let start = Instant::now();
        for (entry, encoded) in records {
            sink.write(&Record::new(entry, encoded)).unwrap();
        }
        let took = start.elapsed();
        sink.close(Instant::now() + Duration::from_secs(10))
            .unwrap();
        took
    });
    println!("| caller cost of `Sink::write`, {n} records | ns/record | ratio to `Otlp` |");
    println!("|---|---:|---:|");
    println!("| `Otlp`, collector up (worker busy beside the caller) | {up:.0} | 1.00 |");
    println!(
        "| `Otlp`, collector down (the queue alone) | {down:.0} | {:.2} |",
        down / up
    );
    println!(
        "| peer: `JsonLines` (JSON + one write(2)) | {file_ns:.0} | {:.2} |",
        file_ns / up
    );
    println!();
}

fn throughput(records: &[(LogEntry, Vec<u8>)], endpoint: &str) {
    let n = records.len();
    let sink_rate = |gzip: bool| {
        let ns = per_record(3, n, || {
            let mut sink = Otlp::new(endpoint)
                .batch_size(BATCH)
                .queue_capacity(8192)
                .block_timeout(Duration::from_secs(60))
                .gzip(gzip);
            let handle = sink.handle();
            let start = Instant::now();
            for (entry, encoded) in records {
                sink.write(&Record::new(entry, encoded)).unwrap();
            }
            sink.flush(Instant::now() + Duration::from_secs(300))
                .unwrap();
            let took = start.elapsed();
            let stats = handle.stats();
            assert_eq!(stats.written, n as u64, "{stats:?}");
            sink.close(Instant::now() + Duration::from_secs(10))
                .unwrap();
            took
        });
        1e9 / ns
    };
    let otlp = sink_rate(false);
    let otlp_gzip = sink_rate(true);
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let url = format!("{endpoint}/v1/logs");
    let post = |agent: &ureq::Agent, body: &[u8]| {
        let response = agent
            .post(&url)
            .header("Content-Type", "application/x-protobuf")
            .send(body)
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    };
    // Peer 1: the same batches mapped and posted on the caller's thread,
    // one after the other (an exporter without a queue).
    let sync_ns = per_record(3, n, || {
        let start = Instant::now();
        for chunk in records.chunks(BATCH) {
            let request = to_request(chunk.iter().map(|(e, _)| e), &Options::default()).unwrap();
            post(&agent, &to_protobuf(&request));
        }
        start.elapsed()
    });
    // Peer 2: the bodies mapped and encoded beforehand, only posted (the
    // wire and the collector: the ceiling).
    let bodies: Vec<Vec<u8>> = records
        .chunks(BATCH)
        .map(|chunk| {
            let request = to_request(chunk.iter().map(|(e, _)| e), &Options::default()).unwrap();
            to_protobuf(&request)
        })
        .collect();
    let direct_ns = per_record(3, n, || {
        let start = Instant::now();
        for body in &bodies {
            post(&agent, body);
        }
        start.elapsed()
    });
    // Peer 3: one request per record on a new connection (what a logger
    // without batching or connection reuse does), over the first 2000.
    let few = &records[..records.len().min(2000)];
    let single_ns = per_record(3, few.len(), || {
        let start = Instant::now();
        for (entry, _) in few {
            let fresh: ureq::Agent = ureq::Agent::config_builder().build().into();
            let request = to_request([entry], &Options::default()).unwrap();
            post(&fresh, &to_protobuf(&request));
        }
        start.elapsed()
    });
    let rate = |ns: f64| 1e9 / ns;
    println!("| to the collector, {n} records, batches of {BATCH} | records/s | ratio to `Otlp` |");
    println!("|---|---:|---:|");
    println!("| `Otlp` sink: write → acknowledged (flush) | {otlp:.0} | 1.00 |");
    println!(
        "| `Otlp` sink with gzip | {otlp_gzip:.0} | {:.2} |",
        otlp_gzip / otlp
    );
    for (name, ns) in [
        ("peer: map + post each batch on the caller thread", sync_ns),
        ("peer: pre-mapped bodies, post only (ceiling)", direct_ns),
        ("peer: one request per record, new connection", single_ns),
    ] {
        println!("| {name} | {:.0} | {:.2} |", rate(ns), rate(ns) / otlp);
    }
    println!();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with
    // no argument: then a quick smoke run.
    let bench = std::env::args().any(|a| a == "--bench");
    let n = if bench { RECORDS } else { 2_000 };
    let records = entries(n);
    let dir = tempfile::tempdir().unwrap();
    match std::env::var_os("LOKRYN_OTELCOL") {
        Some(binary) => {
            let (_collector, port) = collector(&PathBuf::from(binary), dir.path());
            let endpoint = format!("http://127.0.0.1:{port}");
            write_cost(&records, &endpoint, dir.path());
            throughput(&records, &endpoint);
        }
        None => {
            eprintln!("LOKRYN_OTELCOL unset: caller cost against an in-process receiver only");
            let endpoint = Server::start(Vec::new()).endpoint();
            write_cost(&records, &endpoint, dir.path());
        }
    }
}
