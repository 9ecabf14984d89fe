//! Runs one JSON reader N times on the benchmark entry, for counting
//! instructions under callgrind, which the load of a shared machine does not
//! move (`benches/instructions.sh` does the same for the core's operations):
//!
//!     valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!       target/release/examples/json_instructions pbjson 2001
//!
//! Readers: `lokryn`, `prost-reflect`, `pbjson`.

#![allow(missing_docs, clippy::print_stderr)]

use std::hint::black_box;
use std::process::ExitCode;

use lokryn_bench_json_peers::v1 as peer;
use lokryn_compliance_log::{LogEntry, json};
use prost_reflect::{DynamicMessage, ReflectMessage as _};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(reader), Some(Ok(n))) = (args.get(1), args.get(2).map(|n| n.parse::<u32>())) else {
        eprintln!("usage: instructions lokryn|prost-reflect|pbjson N");
        return ExitCode::FAILURE;
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/lokryn-compliance-log/benches/entry.json"
    );
    let Ok(Ok(text)) =
        std::fs::read_to_string(path).map(|t| json::from_json(&t).and_then(|e| json::to_json(&e)))
    else {
        eprintln!("cannot read {path}");
        return ExitCode::FAILURE;
    };
    let descriptor = LogEntry::default().descriptor();
    for _ in 0..n {
        let ok = match reader.as_str() {
            "lokryn" => json::from_json(black_box(&text)).is_ok(),
            "prost-reflect" => {
                let mut de = serde_json::Deserializer::from_str(black_box(&text));
                DynamicMessage::deserialize(descriptor.clone(), &mut de).is_ok()
            }
            "pbjson" => serde_json::from_str::<peer::LogEntry>(black_box(&text)).is_ok(),
            other => {
                eprintln!("unknown reader {other}");
                return ExitCode::FAILURE;
            }
        };
        if !ok {
            eprintln!("{reader} failed to read the entry");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
