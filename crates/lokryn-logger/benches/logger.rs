//! The cost of one audit record, next to its peer measured in the same run:
//!
//! * `lokryn-logger`: `AuditLogger::log` with `pci` validation and
//!   redaction (on by default), to a JSON Lines file (one `write` per
//!   record, no buffering), the message holding an email address that
//!   redaction replaces;
//! * `lokryn-logger-clean`: the same with a message holding nothing to
//!   redact (the common case);
//! * `tracing-json`: `tracing::info!` with the same fields through
//!   `tracing-subscriber`'s JSON layer, writing each event to a file (also
//!   one `write` per event, no buffering), which neither validates nor
//!   redacts.
//!
//! The target: `log` no slower than the peer. The ratio is printed
//! by criterion as the two times; docs/logging.md records a run.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fs::File;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lokryn_logger::AuditLogger;
use lokryn_logger::sinks::JsonLines;

#[path = "support/records.rs"]
mod records;
use records::{clean, entry, peer, peer_event};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));

    let audit = AuditLogger::builder()
        .sink(JsonLines::create(dir.path().join("audit.jsonl")).unwrap())
        .profiles(["pci"])
        .unwrap()
        .build()
        .unwrap();
    let mut i = 0u64;
    group.bench_function("lokryn-logger", |b| {
        b.iter(|| {
            i += 1;
            black_box(audit.log(entry(i)).unwrap());
        });
    });
    group.bench_function("lokryn-logger-clean", |b| {
        b.iter(|| {
            i += 1;
            black_box(audit.log(clean(i)).unwrap());
        });
    });
    audit.close(None).unwrap();

    let file = File::create(dir.path().join("tracing.jsonl")).unwrap();
    tracing::subscriber::with_default(peer(file), || {
        let mut i = 0u64;
        group.bench_function("tracing-json", |b| {
            b.iter(|| {
                i += 1;
                peer_event(i);
            });
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
