//! `complog import`: records from another format (OCSF events we exported,
//! the vendor's 0.2.0 records), in our formats.

use std::io::{BufRead, BufReader, Read as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::json;
use lokryn_compliance_log::stream::DelimitedWriter;
use lokryn_export::lokryn_v0_2::{self, Framing};
use lokryn_export::ocsf_import::from_ocsf;

use crate::output;

/// A format to import from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum From {
    /// OCSF events written by `complog export --to ocsf` (JSON Lines).
    Ocsf,
    /// Records of the vendor's 0.2.0 package (`lokryn.compliance.v1.LogRequest`):
    /// binary (length-delimited or one record a file) or the JSON Lines its
    /// `lokryn-mcp-log` sinks write.
    #[value(name = "lokryn-0.2")]
    Lokryn02,
}

/// How binary 0.2.0 inputs are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BinaryFraming {
    /// Length-delimited when the whole input reads so, one record otherwise.
    Auto,
    /// Each record preceded by its length as a varint.
    Delimited,
    /// The whole input is one record.
    Single,
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
    /// With `--from lokryn-0.2`: how binary inputs are laid out.
    #[arg(long, value_enum, default_value = "auto")]
    framing: BinaryFraming,
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

/// Where imported entries go.
struct Sink {
    lines: Option<output::Out>,
    binary: Option<DelimitedWriter<output::Out>>,
    imported: u64,
    failed: u64,
}

impl Sink {
    fn take(&mut self, label: &str, line: usize, entry: Result<LogEntry, String>) -> Result<()> {
        match entry {
            Ok(entry) => {
                self.imported += 1;
                if let Some(w) = self.lines.as_mut() {
                    w.write_all(json::to_json(&entry)?.as_bytes())?;
                    w.write_all(b"\n")?;
                }
                if let Some(w) = self.binary.as_mut() {
                    w.write(&entry)?;
                }
            }
            Err(message) => {
                self.failed += 1;
                eprintln!("complog: {label}:{line}: skipped: {message}");
            }
        }
        Ok(())
    }
}

fn open_input(input: &std::path::Path, label: &str) -> Result<Box<dyn BufRead>> {
    Ok(if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(input).with_context(|| format!("cannot open {label}"))?,
        ))
    })
}

/// Reads JSON Lines, one entry per non-blank line.
fn import_lines(
    reader: Box<dyn BufRead>,
    label: &str,
    sink: &mut Sink,
    read: impl Fn(&[u8]) -> Result<LogEntry, String>,
) -> Result<()> {
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.with_context(|| label.to_owned())?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        sink.take(label, n + 1, read(&line))?;
    }
    Ok(())
}

fn from_ocsf_line(line: &[u8]) -> Result<LogEntry, String> {
    serde_json::from_slice(line)
        .map_err(|e| e.to_string())
        .and_then(|event| from_ocsf(&event).map_err(|e| e.to_string()))
}

fn from_v02_line(line: &[u8]) -> Result<LogEntry, String> {
    std::str::from_utf8(line)
        .map_err(|e| e.to_string())
        .and_then(|text| lokryn_v0_2::from_json(text).map_err(|e| e.to_string()))
}

/// A 0.2.0 input: JSON Lines when it starts with `{`, binary otherwise.
fn import_v02(
    mut reader: Box<dyn BufRead>,
    label: &str,
    framing: Framing,
    sink: &mut Sink,
) -> Result<()> {
    let text = reader.fill_buf().with_context(|| label.to_owned())?;
    if text.trim_ascii_start().first() == Some(&b'{') {
        return import_lines(reader, label, sink, from_v02_line);
    }
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .with_context(|| label.to_owned())?;
    match lokryn_v0_2::read_binary(&bytes, framing) {
        Ok(entries) => {
            for (n, entry) in entries.into_iter().enumerate() {
                sink.take(label, n + 1, Ok(entry))?;
            }
        }
        Err(e) => sink.take(label, 1, Err(e.to_string()))?,
    }
    Ok(())
}

pub(crate) fn run(args: &ImportArgs) -> Result<ExitCode> {
    let out = output::open(args.output.as_deref(), args.to == To::Binary)?;
    let mut sink = match args.to {
        To::Jsonl => Sink {
            lines: Some(out),
            binary: None,
            imported: 0,
            failed: 0,
        },
        To::Binary => Sink {
            lines: None,
            binary: Some(DelimitedWriter::new(out)),
            imported: 0,
            failed: 0,
        },
    };
    let framing = match args.framing {
        BinaryFraming::Auto => Framing::Auto,
        BinaryFraming::Delimited => Framing::Delimited,
        BinaryFraming::Single => Framing::Single,
    };
    for input in &args.inputs {
        let label = input.display().to_string();
        let reader = open_input(input, &label)?;
        match args.from {
            From::Ocsf => import_lines(reader, &label, &mut sink, from_ocsf_line)?,
            From::Lokryn02 => import_v02(reader, &label, framing, &mut sink)?,
        }
    }
    if let Some(w) = sink.lines {
        w.finish()?;
    }
    if let Some(w) = sink.binary {
        w.into_inner().finish()?;
    }
    if !args.quiet {
        eprintln!("complog: imported {} entries", sink.imported);
    }
    if sink.imported == 0 && sink.failed == 0 {
        bail!("no records in the inputs");
    }
    Ok(if sink.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
