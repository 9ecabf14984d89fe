//! `complog report`: the evidence report of a ledger or of plain files, as
//! one self-contained HTML page or as JSON. The data is computed by
//! `lokryn_export::report` (one implementation); this command reads the
//! records, validates them, and adds what only it knows: the integrity of
//! the input and how the report was made.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use lokryn_compliance_log::validate::{self, Options};
use lokryn_export::report::{self, Builder};
use lokryn_ledger::store::{self, Filter};
use lokryn_ledger::{Verifier, checkpoint};
use prost::Message as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::ReadArgs;
use crate::driver::{self, OnSourceError};
use crate::input::{self, Source};
use crate::progress::Progress;

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A ledger directory, or files and directories of records (`-` for
    /// standard input).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Validate under this profile too: soc2, hipaa or pci (baseline always
    /// applies). Repeat, or separate several with commas.
    #[arg(short, long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
    /// Records at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Records before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Verify a ledger's checkpoints with this public key (a note verifier
    /// key file) instead of the one its ledger.json names.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// html: one self-contained page; json: the report data.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Html,
    Json,
}

pub(crate) fn run(args: &ReportArgs) -> Result<ExitCode> {
    let rules = Options::for_profiles(&args.profiles)?;
    let filter = Filter {
        since: args
            .since
            .as_deref()
            .map(crate::ledger::parse_time)
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(crate::ledger::parse_time)
            .transpose()?,
        ..Filter::default()
    };
    let key = args.key.as_deref().map(store::load_verifier).transpose();
    let key = key.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
    let (sources, missing) = input::expand(&args.inputs);
    if let Some(m) = missing.first() {
        anyhow::bail!("{m}");
    }
    let integrity = match sources.as_slice() {
        [Source::Ledger(dir)] => ledger_integrity(dir, key.as_ref()),
        _ => json!({
            "kind": "files",
            "verified": Value::Null,
            "statement": "Plain files: integrity cannot be shown.",
        }),
    };

    let mut builder = Builder::new();
    let mut hash = Sha256::new();
    let mut hashed = 0u64;
    let mut position = 0u64;
    let mut progress = Progress::new(true);
    let mut buf = Vec::new();
    let totals = driver::run(
        &sources,
        &args.read.options(),
        &mut progress,
        // Report what can be read; what could not is counted in the scope
        // (and a ledger that fails verification says so in its own section).
        OnSourceError::Report,
        // The records are judged where they are counted, in input order.
        |_, record| record,
        |_, record, _| {
            let index = position;
            position += 1;
            match &record.result {
                Err(_) => builder.add_unreadable(),
                Ok(decoded) => {
                    if !filter.matches(&decoded.entry) {
                        return Ok(());
                    }
                    let mut verdict = validate::validate_with(&decoded.entry, &rules);
                    let bytes = match &decoded.raw {
                        Some(raw) => {
                            verdict.violations.extend(
                                validate::unknown_field_warnings(raw, &decoded.entry)
                                    .unwrap_or_default(),
                            );
                            raw.as_slice()
                        }
                        None => {
                            buf.clear();
                            decoded.entry.encode(&mut buf)?;
                            buf.as_slice()
                        }
                    };
                    hash.update((bytes.len() as u64).to_be_bytes());
                    hash.update(bytes);
                    hashed += 1;
                    // A ledger's own index; otherwise the position in the
                    // inputs, counted from 0 across them.
                    let at = if matches!(sources.as_slice(), [Source::Ledger(_)]) {
                        record.index
                    } else {
                        index
                    };
                    builder.add(at, &decoded.entry, &verdict);
                }
            }
            Ok(())
        },
    )?;

    let command: Vec<String> = std::env::args().collect();
    let reproducibility = json!({
        "command": shell_words(&command),
        "version": env!("CARGO_PKG_VERSION"),
        "coreVersion": lokryn_compliance_log::VERSION,
        "schema": lokryn_compliance_log::LOG_ENTRY_NAME,
        "schemaVersion": lokryn_compliance_log::VERSION,
        "inputs": sources.iter().map(Source::label).collect::<Vec<_>>(),
        "since": args.since,
        "until": args.until,
        "inputHash": format!("sha256:{}", hex(&hash.finalize())),
        "inputHashCovers": format!(
            "{hashed} records in the period: for each, its length (8 bytes, big-endian) then its binary encoding (as stored, when read from a ledger or binary file)"
        ),
    });
    let profiles: Vec<String> = std::iter::once("baseline".to_owned())
        .chain(
            args.profiles
                .iter()
                .flat_map(|p| p.split([',', '+']))
                .map(str::to_owned),
        )
        .collect();
    let mut data = builder.finish(&profiles, &integrity, &reproducibility);
    if let Some(scope) = data.get_mut("scope").and_then(Value::as_object_mut) {
        scope.insert("inputs".into(), json!(totals.sources));
        scope.insert("inputErrors".into(), json!(totals.source_errors));
        scope.insert("inputsGivenUp".into(), json!(totals.given_up));
        scope.insert("unreadBytes".into(), json!(totals.unread_bytes));
    }
    let text = match args.format {
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&data)?;
            s.push('\n');
            s
        }
        ReportFormat::Html => report::html::render(&data),
    };
    crate::output::write_all(args.output.as_deref(), text.as_bytes(), false)?;
    Ok(ExitCode::SUCCESS)
}

/// The integrity section of a ledger: its signed checkpoint, and a full
/// verification (every record, the tree, every kept checkpoint).
fn ledger_integrity(dir: &Path, key: Option<&Verifier>) -> Value {
    let verifier = match key {
        Some(k) => Ok(k.clone()),
        None => store::Config::load(dir).and_then(|c| c.verifier()),
    };
    let checkpoint = match &verifier {
        Err(e) => json!({"signature": format!("not checked: {}: {}", e.code, e.message)}),
        Ok(v) => match store::latest_checkpoint(dir) {
            Err(e) => json!({"keyId": format!("{:08x}", v.key_id()),
                              "signature": format!("invalid: {}: {}", e.code, e.message)}),
            Ok(text) => match checkpoint::open(&text, v) {
                Err(e) => json!({"keyId": format!("{:08x}", v.key_id()),
                                  "signature": format!("invalid: {}: {}", e.code, e.message)}),
                Ok(cp) => json!({
                    "origin": cp.origin,
                    "size": cp.size,
                    "root": base64_std(&cp.root),
                    "keyId": format!("{:08x}", v.key_id()),
                    "keyName": v.name(),
                    "signature": "valid",
                }),
            },
        },
    };
    match store::verify(dir, key) {
        Ok(r) => json!({
            "kind": "ledger",
            "dir": dir.display().to_string(),
            "verified": true,
            "checkpoint": checkpoint,
            "checkpointsChecked": r.checkpoints,
            "recordsVerified": r.size,
            "unsignedTailBytes": r.unsigned_tail_bytes,
        }),
        Err(e) => json!({
            "kind": "ledger",
            "dir": dir.display().to_string(),
            "verified": false,
            "checkpoint": checkpoint,
            "error": {
                "code": e.code,
                "message": e.message,
                "index": e.location.and_then(|l| l.index),
                "offset": e.location.and_then(|l| l.offset),
            },
        }),
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The command line, quoted for a POSIX shell where needed.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
