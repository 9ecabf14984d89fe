//! Per-entry cost of the codecs, next to the peers a Rust user would reach
//! for: plain prost (the same wire code; our wrappers must cost nothing) and
//! prost-reflect's dynamic messages with serde (the generic proto3 JSON).
//!
//! `cargo bench -p lokryn-compliance-log --bench codec`; `cargo xtask bench`
//! runs it with the Python peers and prints the table for docs/performance.md.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lokryn_compliance_log::{LogEntry, codec, json};
use prost::Message as _;
use prost_reflect::{DynamicMessage, ReflectMessage as _};

/// The first example of the Python package README, with the fields a
/// production record carries (time, id, origin, correlation): 341 bytes.
fn sample() -> LogEntry {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/entry.json"))
        .unwrap();
    json::from_json(&text).unwrap()
}

fn bench(c: &mut Criterion) {
    let entry = sample();
    let bytes = codec::encode(&entry);
    let text = json::to_json(&entry).unwrap();
    let descriptor = entry.descriptor();
    eprintln!(
        "sample entry: {} bytes binary, {} bytes JSON",
        bytes.len(),
        text.len()
    );

    let mut g = c.benchmark_group("encode");
    let mut buf = Vec::with_capacity(1024);
    g.bench_function("lokryn codec::encode_into", |b| {
        b.iter(|| {
            buf.clear();
            codec::encode_into(black_box(&entry), &mut buf);
        });
    });
    g.bench_function("prost encode (peer)", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&entry).encode(&mut buf).unwrap();
        });
    });
    g.finish();

    let mut g = c.benchmark_group("decode");
    g.bench_function("lokryn codec::decode", |b| {
        b.iter(|| codec::decode(black_box(&bytes)).unwrap());
    });
    g.bench_function("prost decode (peer)", |b| {
        b.iter(|| LogEntry::decode(black_box(bytes.as_slice())).unwrap());
    });
    g.bench_function("prost-reflect DynamicMessage decode (peer)", |b| {
        b.iter(|| DynamicMessage::decode(descriptor.clone(), black_box(bytes.as_slice())).unwrap());
    });
    g.finish();

    let mut g = c.benchmark_group("to_json");
    let mut out = String::with_capacity(1024);
    g.bench_function("lokryn json::to_json_into", |b| {
        b.iter(|| {
            out.clear();
            json::to_json_into(black_box(&entry), &mut out).unwrap();
        });
    });
    let dynamic = entry.transcode_to_dynamic();
    g.bench_function("prost-reflect serde_json::to_string (peer)", |b| {
        b.iter(|| serde_json::to_string(black_box(&dynamic)).unwrap());
    });
    g.finish();

    // Reading JSON is measured next to prost-reflect and pbjson in
    // benches/json-peers (pbjson needs generated code of its own).
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
