//! Reading one entry from proto3 JSON: the core's `json::from_json` next to
//! the readers a prost user would pick instead, prost-reflect (dynamic
//! messages with serde) and pbjson (serde implementations generated for the
//! prost structs). Each reads the same 341-byte entry's canonical JSON into
//! its message; `same_work` checks that all three get the same message.
//!
//! `cargo bench -p lokryn-bench-json-peers`; `cargo xtask bench` runs it
//! with the other codec benchmarks and prints the table.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lokryn_bench_json_peers::v1 as peer;
use lokryn_compliance_log::{LogEntry, codec, json};
use prost::Message as _;
use prost_reflect::{DynamicMessage, ReflectMessage as _};

fn sample_json() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/lokryn-compliance-log/benches/entry.json"
    );
    let entry = json::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    json::to_json(&entry).unwrap()
}

/// The three readers give the same message, so they are compared on the
/// same work.
fn same_work(text: &str) {
    let ours = json::from_json(text).unwrap();
    let mut de = serde_json::Deserializer::from_str(text);
    let dynamic = DynamicMessage::deserialize(ours.descriptor(), &mut de).unwrap();
    assert_eq!(
        dynamic.encode_to_vec(),
        codec::encode(&ours),
        "prost-reflect"
    );
    let pbjson: peer::LogEntry = serde_json::from_str(text).unwrap();
    let back = LogEntry::decode(pbjson.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back, ours, "pbjson");
}

fn bench(c: &mut Criterion) {
    let text = sample_json();
    same_work(&text);
    let descriptor = LogEntry::default().descriptor();
    eprintln!("sample entry: {} bytes JSON", text.len());

    let mut g = c.benchmark_group("from_json");
    g.bench_function("lokryn json::from_json", |b| {
        b.iter(|| json::from_json(black_box(&text)).unwrap());
    });
    g.bench_function("prost-reflect deserialize (peer)", |b| {
        b.iter(|| {
            let mut de = serde_json::Deserializer::from_str(black_box(&text));
            DynamicMessage::deserialize(descriptor.clone(), &mut de).unwrap()
        });
    });
    g.bench_function("pbjson serde_json::from_str (peer)", |b| {
        b.iter(|| serde_json::from_str::<peer::LogEntry>(black_box(&text)).unwrap());
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
