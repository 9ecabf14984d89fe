//! `complog report`: the evidence report of a ledger or of plain files, as
//! one self-contained HTML page or as JSON. The data is computed by
//! `lokryn_export::report` (one implementation, also behind the Python and
//! Node `report` functions); this command only reads the records, in any
//! format and on every core, and hands them over in input order.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use lokryn_export::report::{self, Collector, InputTotals, Provenance, Settings};
use lokryn_ledger::store;

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
    let mut collector = Collector::new(Settings {
        profiles: args.profiles.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
    })?;
    let key = args.key.as_deref().map(store::load_verifier).transpose();
    let key = key.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))?;
    let (sources, missing) = input::expand(&args.inputs);
    if let Some(m) = missing.first() {
        anyhow::bail!("{m}");
    }
    // One ledger is verified; anything else is read as plain records.
    let one_ledger = matches!(sources.as_slice(), [Source::Ledger(_)]);
    let integrity = match sources.as_slice() {
        [Source::Ledger(dir)] => report::ledger::integrity(dir, key.as_ref()),
        _ => report::unproven(
            sources
                .iter()
                .filter(|s| matches!(s, Source::Ledger(_)))
                .count(),
        ),
    };

    let mut position = 0u64;
    let mut progress = Progress::new(true);
    let totals = driver::run(
        &sources,
        &args.read.options(),
        &mut progress,
        // Report what can be read; what could not is counted in the scope
        // (and a ledger that fails verification says so in its own section).
        OnSourceError::Report,
        // The records are judged where they are counted, in input order.
        |_, record| record.take(),
        |_, record, _| {
            let index = position;
            position += 1;
            match &record.result {
                Err(_) => collector.add_unreadable(),
                // A ledger's own index; otherwise the position in the
                // inputs, counted from 0 across them.
                Ok(decoded) => collector.add(
                    if one_ledger { record.index } else { index },
                    &decoded.entry,
                    decoded.raw.as_deref(),
                ),
            }
            Ok(())
        },
    )?;

    let command: Vec<String> = std::env::args().collect();
    let made = Provenance {
        command: shell_words(&command),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        inputs: sources.iter().map(Source::label).collect(),
        totals: InputTotals {
            inputs: totals.sources,
            errors: totals.source_errors,
            given_up: totals.given_up,
            unread_bytes: totals.unread_bytes,
        },
    };
    let data = collector.finish(&integrity, &made);
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
