//! Runs one operation of the core `N` times on the benchmark entry, for
//! counting instructions: under callgrind, `(Ir(N + 1) - Ir(1)) / N` is the
//! cost of one operation, one-time setup (rule compilation, automata)
//! excluded. Instruction counts do not depend on what else the machine is
//! doing, so they compare versions where wall-clock time on a shared
//! machine cannot; `benches/instructions.sh` runs it at several revisions.
//!
//! `cargo run --release -p lokryn-compliance-log --example instructions -- <op> <N>`
//! with `<op>` one of [`OPS`].
//!
//! It uses only API that 0.3.0 already had, so the same file builds in a
//! checkout of any version since.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::process::ExitCode;

use lokryn_compliance_log::redact::{RedactOptions, redact};
use lokryn_compliance_log::validate::{Options, validate_encoded, validate_with};
use lokryn_compliance_log::{LogEntry, codec, json, sensitive};

/// The operations, as `benches/instructions.sh` lists them.
const OPS: &[&str] = &[
    "encode",
    "decode",
    "to_json",
    "from_json",
    "validate_baseline",
    "validate_pci",
    "validate_encoded_pci",
    "find_sensitive",
    "redact",
    "scan_text_4k",
];

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
        return Err(format!("usage: instructions <op> <N>; ops: {}", OPS.join(" ")).into());
    };
    let n: usize = n.parse()?;
    // The same entry for every version: `LOKRYN_BENCH_ENTRY` when set.
    let path = std::env::var("LOKRYN_BENCH_ENTRY")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/benches/entry.json").to_owned());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let entry: LogEntry = json::from_json(&text)?;
    let bytes = codec::encode(&entry);
    let js = json::to_json(&entry)?;
    let baseline = Options::default();
    let pci = Options::for_profile("pci").ok_or("no pci profile")?;
    let redaction = RedactOptions::default();
    // About 4 KiB of log-like text with an email address and a card number
    // in every line.
    let log_text = "agent 42 called tool db.query for session 7f3a after retry 3 latency \
                    120ms user alice@example.com card 4111 1111 1111 1111 ok "
        .repeat(40);
    let one: fn(&Fixture<'_>) -> Result<usize, lokryn_compliance_log::Error> = match op.as_str() {
        "encode" => |f| Ok(codec::encode(black_box(f.entry)).len()),
        "decode" => |f| Ok(codec::decode(black_box(f.bytes))?.actor_id.len()),
        "to_json" => |f| Ok(json::to_json(black_box(f.entry))?.len()),
        "from_json" => |f| Ok(json::from_json(black_box(f.json))?.actor_id.len()),
        "validate_baseline" => |f| {
            Ok(validate_with(black_box(f.entry), f.baseline)
                .violations
                .len())
        },
        "validate_pci" => |f| Ok(validate_with(black_box(f.entry), f.pci).violations.len()),
        "validate_encoded_pci" => |f| {
            Ok(validate_encoded(black_box(f.bytes), f.pci)?
                .1
                .violations
                .len())
        },
        "find_sensitive" => |f| Ok(sensitive::find(black_box(f.entry)).len()),
        "redact" => |f| Ok(redact(black_box(f.entry), f.redaction).findings.len()),
        "scan_text_4k" => |f| Ok(sensitive::scan_text(black_box(f.text)).len()),
        other => return Err(format!("unknown op {other:?}; ops: {}", OPS.join(" ")).into()),
    };
    let fixture = Fixture {
        entry: &entry,
        bytes: &bytes,
        json: &js,
        baseline: &baseline,
        pci: &pci,
        redaction: &redaction,
        text: &log_text,
    };
    let mut total = 0usize;
    for _ in 0..n {
        total = total.wrapping_add(one(&fixture)?);
    }
    println!("{op} x{n}: {total}");
    Ok(())
}

struct Fixture<'a> {
    entry: &'a LogEntry,
    bytes: &'a [u8],
    json: &'a str,
    baseline: &'a Options,
    pci: &'a Options,
    redaction: &'a RedactOptions,
    text: &'a str,
}
