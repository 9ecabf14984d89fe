//! Instruction counts of validating encoded bytes through a view against
//! the owned path, for callgrind (`(Ir(N + 1) - Ir(1)) / N` per operation,
//! as `examples/instructions.rs`, whose API must build at every version
//! since 0.3.0; this one needs the views).
//!
//! `cargo run --release -p lokryn-compliance-log --example view_instructions -- <op> <N>`

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::hint::black_box;
use std::process::ExitCode;

use lokryn_compliance_log::validate::{self, Options};
use lokryn_compliance_log::{LogEntry, codec, json, view};

const OPS: &[&str] = &[
    "validate",
    "validate_bytes",
    "validate_encoded",
    "decode_then_validate",
    "view_decode",
    "decode",
];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("view_instructions: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(op), Some(n), profile) = (args.next(), args.next(), args.next()) else {
        return Err(format!(
            "usage: view_instructions <op> <N> [profile]; ops: {}",
            OPS.join(" ")
        )
        .into());
    };
    let n: usize = n.parse()?;
    let options =
        Options::for_profile(profile.as_deref().unwrap_or("baseline")).ok_or("unknown profile")?;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/entry.json"))?;
    let entry: LogEntry = json::from_json(&text)?;
    let bytes = codec::encode(&entry);
    let limits = options.limits();
    let mut total = 0usize;
    for _ in 0..n {
        let bytes = black_box(bytes.as_slice());
        total = total.wrapping_add(match op.as_str() {
            "validate" => validate::validate_with(black_box(&entry), &options)
                .violations
                .len(),
            "validate_bytes" => validate::validate_bytes(bytes, &options)?.violations.len(),
            "validate_encoded" => validate::validate_encoded(bytes, &options)?
                .1
                .violations
                .len(),
            // `validate_encoded` before views: prost decode, validation, and
            // the reflective scan for unknown fields skipped when the input
            // is as long as the canonical encoding (as for this entry).
            "decode_then_validate" => {
                let entry = codec::decode_with(bytes, &limits)?;
                let report = validate::validate_with(&entry, &options);
                let canonical = prost::Message::encoded_len(&entry) == bytes.len();
                report.violations.len() + usize::from(canonical)
            }
            "view_decode" => view::decode(bytes, &limits)?.actor_id.len(),
            "decode" => codec::decode_with(bytes, &limits)?.actor_id.len(),
            other => return Err(format!("unknown op {other:?}; ops: {}", OPS.join(" ")).into()),
        });
    }
    println!("{op} x{n}: {total}");
    Ok(())
}
