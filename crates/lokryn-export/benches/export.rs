//! Export throughput from binary input: decode a record and write it as an
//! OCSF JSON line, or add it to an OTLP request and encode the request, or
//! (with `--features parquet`) write it to a flat Parquet file.
//! The peers (pydantic-ocsf building the same OCSF event, the Python
//! opentelemetry-proto building the same OTLP request) are measured by
//! benches/export_peers.py in the same run; docs/performance.md has figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lokryn_compliance_log::{LogEntry, codec, json};
use lokryn_export::{Options, ocsf, otlp};

fn record(name: &str) -> Vec<u8> {
    let path = format!("{}/../../{name}", env!("CARGO_MANIFEST_DIR"));
    let entry: LogEntry = json::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    codec::encode(&entry)
}

fn bench(c: &mut Criterion) {
    let options = Options {
        observed_time_ns: Some(1_764_547_200_000_000_000),
        log_name: None,
    };
    for (label, file) in [
        ("typical", "examples/good/tool-invocation.json"),
        ("all-fields", "tests/vectors/wire/all-fields.json"),
    ] {
        let bytes = record(file);
        let mut group = c.benchmark_group(format!("export/{label}"));
        group.throughput(Throughput::Elements(1));
        let mut out = Vec::with_capacity(4096);
        group.bench_function("ocsf-json", |b| {
            b.iter(|| {
                out.clear();
                let entry = codec::decode(black_box(&bytes)).unwrap();
                ocsf::write_ocsf(&entry, &options, &mut out).unwrap();
                out.push(b'\n');
                out.len()
            });
        });
        group.bench_function("ecs-json", |b| {
            b.iter(|| {
                out.clear();
                let entry = codec::decode(black_box(&bytes)).unwrap();
                serde_json::to_writer(
                    &mut out,
                    &lokryn_export::ecs::to_ecs(&entry, &options).unwrap(),
                )
                .unwrap();
                out.len()
            });
        });
        // A request of 512 records, per record.
        let batch: Vec<Vec<u8>> = (0..512).map(|_| bytes.clone()).collect();
        group.throughput(Throughput::Elements(512));
        group.bench_function("otlp-protobuf-x512", |b| {
            b.iter(|| {
                let entries: Vec<LogEntry> = batch
                    .iter()
                    .map(|b| codec::decode(black_box(b)).unwrap())
                    .collect();
                otlp::encode_request(&entries, &options).unwrap().len()
            });
        });
        #[cfg(feature = "parquet")]
        {
            // A Parquet file of 65,536 records (eight batches, one row
            // group), per record. Peer: pyarrow writing the same rows
            // (benches/export_peers.py).
            const ROWS: u64 = 65_536;
            group.throughput(Throughput::Elements(ROWS));
            group.sample_size(10);
            group.bench_function("parquet-flat-x65536", |b| {
                b.iter(|| {
                    let mut writer =
                        lokryn_export::parquet::FlatWriter::new(Vec::with_capacity(1 << 20))
                            .unwrap();
                    for _ in 0..ROWS {
                        let entry = codec::decode(black_box(&bytes)).unwrap();
                        writer.push(&entry).unwrap();
                    }
                    writer.finish().unwrap().len()
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
