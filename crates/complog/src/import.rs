//! `complog import`: records back from a format we export, in our formats.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use lokryn_compliance_log::json;
use lokryn_compliance_log::stream::DelimitedWriter;
use lokryn_export::ocsf_import::from_ocsf;

use crate::output;

/// A format to import from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum From {
    /// OCSF events written by `complog export --to ocsf` (JSON Lines).
    Ocsf,
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum To {
    /// JSON Lines: one entry per line.
    Jsonl,
    /// Length-delimited binary protobuf.
    Binary,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The format of the inputs.
    #[arg(long, value_enum, value_name = "FORMAT")]
    from: From,
    /// Files, or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The format to write.
    #[arg(long, value_enum, default_value = "jsonl")]
    to: To,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Do not print the summary on standard error.
    #[arg(short, long)]
    quiet: bool,
}

pub(crate) fn run(args: &ImportArgs) -> Result<ExitCode> {
    let From::Ocsf = args.from;
    let out = output::open(args.output.as_deref(), args.to == To::Binary)?;
    let (mut lines, mut binary) = match args.to {
        To::Jsonl => (Some(out), None),
        To::Binary => (None, Some(DelimitedWriter::new(out))),
    };
    let (mut imported, mut failed) = (0u64, 0u64);
    for input in &args.inputs {
        let label = input.display().to_string();
        let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(BufReader::new(
                std::fs::File::open(input).with_context(|| format!("cannot open {label}"))?,
            ))
        };
        for (n, line) in reader.split(b'\n').enumerate() {
            let line = line.with_context(|| label.clone())?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let entry = serde_json::from_slice(&line)
                .map_err(|e| e.to_string())
                .and_then(|event| from_ocsf(&event).map_err(|e| e.to_string()));
            match entry {
                Ok(entry) => {
                    imported += 1;
                    if let Some(w) = lines.as_mut() {
                        w.write_all(json::to_json(&entry)?.as_bytes())?;
                        w.write_all(b"\n")?;
                    }
                    if let Some(w) = binary.as_mut() {
                        w.write(&entry)?;
                    }
                }
                Err(message) => {
                    failed += 1;
                    eprintln!("complog: {label}:{}: skipped: {message}", n + 1);
                }
            }
        }
    }
    if let Some(w) = lines {
        w.finish()?;
    }
    if let Some(w) = binary {
        w.into_inner().finish()?;
    }
    if !args.quiet {
        eprintln!("complog: imported {imported} entries");
    }
    if imported == 0 && failed == 0 {
        bail!("no events in the inputs");
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
