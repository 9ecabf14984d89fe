//! Runs one export `N` times on one record, for counting instructions:
//! under callgrind, `(Ir(N + k) - Ir(k)) / N` is the cost of one record,
//! one-time setup (mapping plans, writer creation) excluded. Instruction
//! counts do not move with the load of a shared machine, so they compare
//! versions where wall-clock time cannot (`benches/export_instructions.sh`
//! runs it at several revisions).
//!
//! `cargo run --profile bench -p lokryn-export --features parquet --example export_instructions -- <op> <N> [RECORD.json]`
//! with `<op>` one of `ocsf`, `ecs`, `otlp`, `parquet`: decode the binary
//! record, then write it as an OCSF or ECS JSON line, or add it to OTLP requests of 512
//! records encoded as protobuf, or write it to a flat Parquet file (the
//! file finished at the end); `ocsf-view`, `ecs-view`, `otlp-view` and
//! `parquet-view` do the same from a view of the binary record
//! (`view::decode`, no decoding into a `LogEntry`). `parquet-view:<settings>`
//! and `parquet-varied:<settings>` weigh Parquet writer settings
//! (`parquet_settings` below), the latter on records that differ in event
//! id and time as a real log's do. The record defaults to
//! `examples/good/tool-invocation.json`.
//!
//! It uses only API that the first release with exports already had, so
//! the same file builds in a checkout of any version since, except for
//! `otlp::encode_request` (the direct OTLP encoder), which
//! `benches/export_instructions.sh` replaces by
//! `otlp::to_protobuf(&otlp::to_request(..)?)` in a revision before it,
//! and the view ops (between the `view ops` markers), which it removes in a
//! revision without `lokryn_export::Record`, and the Parquet settings ops
//! (between their markers), removed before `FlatWriter::with_properties`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::process::ExitCode;

use lokryn_compliance_log::{LogEntry, codec, json};
// view ops: begin
use lokryn_compliance_log::view;
use lokryn_export::Record;
// view ops: end
use lokryn_export::{Options, ocsf, otlp};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("export_instructions: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(op), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: instructions ocsf|ecs|otlp|parquet[-view] <N> [RECORD.json]".into());
    };
    let n: usize = n.parse()?;
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/good/tool-invocation.json"
        )
        .to_owned()
    });
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let entry: LogEntry = json::from_json(&text)?;
    let bytes = codec::encode(&entry);
    let options = Options {
        observed_time_ns: Some(1_764_547_200_000_000_000),
        log_name: None,
    };
    let mut total = 0usize;
    match op.as_str() {
        "ocsf" => {
            let mut out = Vec::with_capacity(4096);
            for _ in 0..n {
                out.clear();
                let entry = codec::decode(black_box(&bytes))?;
                ocsf::write_ocsf(&entry, &options, &mut out)?;
                out.push(b'\n');
                total += out.len();
            }
        }
        "ecs" => {
            let mut out = Vec::with_capacity(4096);
            for _ in 0..n {
                out.clear();
                let entry = codec::decode(black_box(&bytes))?;
                serde_json::to_writer(&mut out, &lokryn_export::ecs::to_ecs(&entry, &options)?)?;
                out.push(b'\n');
                total += out.len();
            }
        }
        "otlp" => {
            let mut entries = Vec::with_capacity(512);
            let mut left = n;
            while left > 0 {
                let take = left.min(512);
                entries.clear();
                for _ in 0..take {
                    entries.push(codec::decode(black_box(&bytes))?);
                }
                total += otlp::encode_request(&entries, &options)?.len();
                left -= take;
            }
        }
        #[cfg(feature = "parquet")]
        "parquet" => {
            let mut writer = lokryn_export::parquet::FlatWriter::new(Vec::with_capacity(1 << 20))?;
            for _ in 0..n {
                let entry = codec::decode(black_box(&bytes))?;
                writer.push(&entry)?;
            }
            total += writer.finish()?.len();
        }
        // view ops: begin
        "ocsf-view" => {
            let mut out = Vec::with_capacity(4096);
            for _ in 0..n {
                out.clear();
                let bytes = black_box(&bytes);
                let view = view::decode(bytes, &codec::Limits::DEFAULT)?;
                ocsf::write_ocsf_record(Record::view(&view, bytes), &options, &mut out)?;
                out.push(b'\n');
                total += out.len();
            }
        }
        "ecs-view" => {
            let mut out = Vec::with_capacity(4096);
            for _ in 0..n {
                out.clear();
                let bytes = black_box(&bytes);
                let view = view::decode(bytes, &codec::Limits::DEFAULT)?;
                let doc = lokryn_export::ecs::to_ecs_record(Record::view(&view, bytes), &options)?;
                serde_json::to_writer(&mut out, &doc)?;
                out.push(b'\n');
                total += out.len();
            }
        }
        "otlp-view" => {
            let mut left = n;
            while left > 0 {
                let take = left.min(512);
                let framed: Vec<&[u8]> = (0..take).map(|_| black_box(bytes.as_slice())).collect();
                let views = framed
                    .iter()
                    .map(|b| view::decode(b, &codec::Limits::DEFAULT))
                    .collect::<Result<Vec<_>, _>>()?;
                let records: Vec<Record<'_>> = views
                    .iter()
                    .zip(&framed)
                    .map(|(v, b)| Record::view(v, b))
                    .collect();
                total += otlp::encode_request_records(&records, &options)?.len();
                left -= take;
            }
        }
        #[cfg(feature = "parquet")]
        "parquet-view" => {
            let mut writer = lokryn_export::parquet::FlatWriter::new(Vec::with_capacity(1 << 20))?;
            for _ in 0..n {
                let bytes = black_box(&bytes);
                let view = view::decode(bytes, &codec::Limits::DEFAULT)?;
                writer.push_record(Record::view(&view, bytes))?;
            }
            total += writer.finish()?.len();
        }
        // parquet settings: begin
        // Parquet writer settings weighed against each other:
        // `parquet-view:<settings>` on the benchmark record, or
        // `parquet-varied:<settings>` on records that differ, as in a real
        // log, in their event id and time (each a new value); `<settings>`
        // joined by `+` (see `parquet_settings`), empty for the writer's own.
        #[cfg(feature = "parquet")]
        s if s.starts_with("parquet-view:") || s.starts_with("parquet-varied:") => {
            let (kind, settings) = s.split_once(':').unwrap_or((s, ""));
            let records = if kind == "parquet-varied" {
                varied(&entry)?
            } else {
                vec![bytes]
            };
            let out = Vec::with_capacity(1 << 20);
            let mut writer = match parquet_settings(settings)? {
                Some(properties) => {
                    lokryn_export::parquet::FlatWriter::with_properties(out, properties)?
                }
                None => lokryn_export::parquet::FlatWriter::new(out)?,
            };
            for i in 0..n {
                let bytes = black_box(
                    records
                        .get(i % records.len())
                        .ok_or("no records")?
                        .as_slice(),
                );
                let view = view::decode(bytes, &codec::Limits::DEFAULT)?;
                writer.push_record(Record::view(&view, bytes))?;
            }
            total += writer.finish()?.len();
        }
        // parquet settings: end
        // view ops: end
        other => return Err(format!("unknown op {other}").into()),
    }
    println!("{total}");
    Ok(())
}

// parquet settings: begin
/// Distinct records made from `entry`, encoded: each with another event id
/// and a time a little over a millisecond after the last one's.
#[cfg(feature = "parquet")]
fn varied(entry: &LogEntry) -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    const RECORDS: u32 = 1 << 17;
    let start = entry.time.unwrap_or_default();
    (0..RECORDS)
        .map(|i| {
            let mut e = entry.clone();
            e.event_id = format!("019ac9f4-59a6-7c70-8b3e-{i:012x}");
            let nanos = i64::from(start.nanos) + i64::from(i) * 1_000_123;
            e.time = Some(lokryn_compliance_log::Timestamp {
                seconds: start.seconds + nanos / 1_000_000_000,
                nanos: i32::try_from(nanos % 1_000_000_000)?,
            });
            Ok(codec::encode(&e))
        })
        .collect()
}

/// Writer settings, `+`-separated: `zstd1`, `zstd3` (alone: the layout's
/// settings before its free-text columns lost their statistics),
/// `plain` (no compression), `nostats` (no statistics), `pagestats`
/// (statistics per page too), `nodict` (no dictionary encoding),
/// `nodict-ids` (none for the event id and time columns). `None` for the
/// empty string: the writer's own settings.
#[cfg(feature = "parquet")]
fn parquet_settings(
    settings: &str,
) -> Result<Option<parquet::file::properties::WriterProperties>, Box<dyn std::error::Error>> {
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::schema::types::ColumnPath;
    if settings.is_empty() {
        return Ok(None);
    }
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_size(128 * 1024)
        .set_data_page_row_count_limit(128 * 1024)
        .set_statistics_enabled(EnabledStatistics::Chunk);
    for setting in settings.split('+') {
        b = match setting {
            "zstd1" => b.set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?)),
            "zstd3" => b,
            "plain" => b.set_compression(Compression::UNCOMPRESSED),
            "nostats" => b.set_statistics_enabled(EnabledStatistics::None),
            "pagestats" => b.set_statistics_enabled(EnabledStatistics::Page),
            "nodict" => b.set_dictionary_enabled(false),
            "nodict-ids" => ["event_id", "time", "time_nanos"]
                .into_iter()
                .fold(b, |b, c| {
                    b.set_column_dictionary_enabled(ColumnPath::from(c), false)
                }),
            other => return Err(format!("unknown Parquet setting {other}").into()),
        };
    }
    Ok(Some(b.build()))
}
// parquet settings: end
