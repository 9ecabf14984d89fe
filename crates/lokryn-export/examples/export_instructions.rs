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
//! (`view::decode`, no decoding into a `LogEntry`). The record defaults to
//! `examples/good/tool-invocation.json`.
//!
//! It uses only API that the first release with exports already had, so
//! the same file builds in a checkout of any version since, except for
//! `otlp::encode_request` (the direct OTLP encoder), which
//! `benches/export_instructions.sh` replaces by
//! `otlp::to_protobuf(&otlp::to_request(..)?)` in a revision before it,
//! and the view ops (between the `view ops` markers), which it removes in a
//! revision without `lokryn_export::Record`.

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
            eprintln!("instructions: {e}");
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
        // view ops: end
        other => return Err(format!("unknown op {other}").into()),
    }
    println!("{total}");
    Ok(())
}
