//! `complog convert`.

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Result, bail};
use clap::Args;
use lokryn_compliance_log::stream::DelimitedWriter;
use lokryn_compliance_log::{LogEntry, json, validate};

use crate::input::{self, Decoded, Record};
use crate::progress::Progress;
use crate::{FormatArg, ReadArgs, output};

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// Files, directories, or `-` for standard input; their entries are
    /// written in order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The output format. `json` takes exactly one entry and pretty-prints it.
    #[arg(long, value_enum)]
    to: FormatArg,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

/// Where converted entries go.
enum Sink {
    Binary(DelimitedWriter<Box<dyn Write>>),
    Lines(Box<dyn Write>),
    /// `--to json`: the single entry, written at the end.
    One(Option<Box<LogEntry>>, u64),
}

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitCode> {
    let (sources, missing) = input::expand(&args.inputs);
    if !missing.is_empty() {
        bail!("{}", missing.join("\n"));
    }
    let out = output::open(args.output.as_deref(), args.to == FormatArg::Binary)?;
    let mut sink = match args.to {
        FormatArg::Binary => Sink::Binary(DelimitedWriter::new(out)),
        FormatArg::Jsonl => Sink::Lines(out),
        FormatArg::Json => Sink::One(None, 0),
    };
    let options = args.read.options();
    let bytes = Rc::new(Cell::new(0u64));
    let mut progress = Progress::new(true);
    let (mut written, mut failed) = (0u64, 0u64);
    let mut fatal: Option<anyhow::Error> = None;

    for source in &sources {
        let label = source.label();
        let mut visit = |record: Record| {
            if fatal.is_some() {
                return;
            }
            let where_ = record.label(&label);
            match record.result {
                Err(problem) => {
                    progress.clear();
                    eprintln!(
                        "complog: {where_}: skipped: {}: {}",
                        problem.code, problem.message
                    );
                    failed += 1;
                }
                Ok(decoded) => match write(&mut sink, decoded, &where_) {
                    Ok(true) => written += 1,
                    Ok(false) => failed += 1,
                    Err(err) => fatal = Some(err),
                },
            }
            progress.tick(written + failed, bytes.get(), &label);
        };
        if let Err(err) = input::read(source, &options, &bytes, &mut visit) {
            bail!("{label}: {err}");
        }
        if let Some(err) = fatal {
            return Err(err);
        }
    }
    progress.clear();
    match sink {
        Sink::Binary(mut w) => w.flush()?,
        Sink::Lines(mut w) => w.flush()?,
        Sink::One(entry, count) => {
            if count != 1 {
                bail!(
                    "--to json writes exactly one entry, but the input holds {count}; use --to jsonl or --to binary"
                );
            }
            if let Some(entry) = entry {
                // Re-indent the canonical text token by token, so the keys
                // keep their field-number order.
                let canonical = json::to_json(&entry)?;
                let mut pretty = Vec::with_capacity(canonical.len() * 2);
                let mut de = serde_json::Deserializer::from_str(&canonical);
                serde_transcode::transcode(
                    &mut de,
                    &mut serde_json::Serializer::pretty(&mut pretty),
                )?;
                pretty.push(b'\n');
                output::write_all(args.output.as_deref(), &pretty, false)?;
            }
        }
    }
    if failed > 0 {
        eprintln!("complog: {written} entries written, {failed} skipped");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes one entry; `Ok(false)` when it had to be skipped (reported).
fn write(sink: &mut Sink, decoded: Decoded, where_: &str) -> Result<bool> {
    match sink {
        Sink::Binary(w) => {
            // Copy the original bytes when there are any: fields this schema
            // does not know survive the copy.
            match &decoded.raw {
                Some(raw) => w.write_encoded(raw)?,
                None => w.write(&decoded.entry)?,
            }
        }
        Sink::Lines(w) => {
            let Some(text) = to_json_reporting_loss(&decoded, where_) else {
                return Ok(false);
            };
            w.write_all(text.as_bytes())?;
            w.write_all(b"\n")?;
        }
        Sink::One(slot, count) => {
            *count += 1;
            if to_json_reporting_loss(&decoded, where_).is_none() {
                return Ok(false);
            }
            *slot = Some(Box::new(decoded.entry));
        }
    }
    Ok(true)
}

/// The entry's JSON, warning on stderr about unknown fields JSON cannot
/// carry; `None` (reported) when the entry has no JSON form.
fn to_json_reporting_loss(decoded: &Decoded, where_: &str) -> Option<String> {
    if let Some(raw) = &decoded.raw {
        for warning in validate::unknown_field_warnings(raw, &decoded.entry).unwrap_or_default() {
            let at = if warning.field.is_empty() {
                String::new()
            } else {
                format!(" ({})", warning.field)
            };
            eprintln!(
                "complog: {where_}: warning{at}: {}; JSON cannot carry it, so it is dropped \
                 (convert to binary to keep it)",
                warning.message
            );
        }
    }
    match json::to_json(&decoded.entry) {
        Ok(text) => Some(text),
        Err(err) => {
            eprintln!("complog: {where_}: skipped: {}: {err}", err.code());
            None
        }
    }
}
