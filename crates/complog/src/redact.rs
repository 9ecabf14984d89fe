//! `complog redact`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use lokryn_compliance_log::redact::{RedactOptions, redact};
use lokryn_compliance_log::stream::{DelimitedWriter, Format};
use lokryn_compliance_log::{LogEntry, json};

use crate::input::{self, Record, Source};
use crate::progress::Progress;
use crate::{FormatArg, ReadArgs, output};

#[derive(Debug, Args)]
pub(crate) struct RedactArgs {
    /// Files, or `-` for standard input. With several, they must share a
    /// format; their entries are written in order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Replace values (other than card numbers, which are truncated to their
    /// first six and last four digits) by keyed tokens, HMAC-SHA-256 with
    /// the key in this file (one trailing newline is ignored), so equal
    /// values stay joinable.
    #[arg(long, value_name = "FILE", conflicts_with = "key_env")]
    key_file: Option<PathBuf>,
    /// As --key-file, with the key in this environment variable.
    #[arg(long, value_name = "VAR")]
    key_env: Option<String>,
    /// Write this format instead of the input's.
    #[arg(long, value_enum, value_name = "FORMAT")]
    to: Option<FormatArg>,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Do not print the summary of what was redacted on standard error.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    read: ReadArgs,
}

fn key(args: &RedactArgs) -> Result<Option<Vec<u8>>> {
    let mut key = if let Some(path) = &args.key_file {
        std::fs::read(path)
            .with_context(|| format!("cannot read the key file {}", path.display()))?
    } else if let Some(var) = &args.key_env {
        std::env::var_os(var)
            .with_context(|| format!("the environment variable {var} is not set"))?
            .into_encoded_bytes()
    } else {
        return Ok(None);
    };
    if key.ends_with(b"\n") {
        key.pop();
        if key.ends_with(b"\r") {
            key.pop();
        }
    }
    if key.is_empty() {
        bail!("the redaction key is empty");
    }
    Ok(Some(key))
}

/// The format of a source, from its extension or its first bytes.
fn format_of(source: &Source, args: &RedactArgs) -> Result<Format> {
    if let Some(f) = args.read.format() {
        return Ok(f);
    }
    if let Source::File(path) = source {
        if let Some(f) = Format::from_extension(path) {
            return Ok(f);
        }
        let mut head = vec![0u8; 4096];
        let n = std::io::Read::read(
            &mut std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?,
            &mut head,
        )?;
        head.truncate(n);
        return Ok(Format::sniff(&head));
    }
    bail!("say which format standard input is in with --input-format")
}

enum Sink {
    Binary(DelimitedWriter<Box<dyn Write>>),
    Lines(Box<dyn Write>),
    /// A JSON document: the entries, written at the end.
    Document(Vec<LogEntry>),
}

pub(crate) fn run(args: &RedactArgs) -> Result<ExitCode> {
    let options = match key(args)? {
        Some(k) => RedactOptions::default().with_key(k),
        None => RedactOptions::default(),
    };
    let (sources, missing) = input::expand(&args.inputs);
    if !missing.is_empty() {
        bail!("{}", missing.join("\n"));
    }
    let mut formats = Vec::new();
    for source in &sources {
        formats.push(format_of(source, args)?);
    }
    let to = match args.to {
        Some(t) => t.format(),
        None => {
            let first = formats.first().copied().unwrap_or(Format::JsonLines);
            if formats.iter().any(|f| *f != first) {
                bail!("the inputs are in different formats; say which to write with --to");
            }
            first
        }
    };
    let mut sink = match to {
        Format::Delimited => Sink::Binary(DelimitedWriter::new(output::open(
            args.output.as_deref(),
            true,
        )?)),
        Format::JsonLines => Sink::Lines(output::open(args.output.as_deref(), false)?),
        _ => Sink::Document(Vec::new()),
    };

    let read = args.read.options();
    let bytes = Rc::new(Cell::new(0u64));
    let mut progress = Progress::new(!args.quiet);
    let (mut entries, mut changed, mut skipped) = (0u64, 0u64, 0u64);
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut fatal: Option<anyhow::Error> = None;
    for source in &sources {
        let label = source.label();
        let mut visit = |record: Record| {
            if fatal.is_some() {
                return;
            }
            let at = record.label(&label);
            match record.result {
                Err(problem) => {
                    progress.clear();
                    eprintln!(
                        "complog: {at}: skipped: {}: {}",
                        problem.code, problem.message
                    );
                    skipped += 1;
                }
                Ok(decoded) => {
                    entries += 1;
                    let out = redact(&decoded.entry, &options);
                    if !out.findings.is_empty() {
                        changed += 1;
                    }
                    for f in &out.findings {
                        *kinds.entry(f.kind.as_str()).or_default() += 1;
                    }
                    if let Err(err) = write(&mut sink, out.entry, &at) {
                        fatal = Some(err);
                    }
                }
            }
            progress.tick(entries + skipped, bytes.get(), &label);
        };
        if let Err(err) = input::read(source, &read, &bytes, &mut visit) {
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
        Sink::Document(entries) => {
            let text = document(&entries)?;
            output::write_all(args.output.as_deref(), text.as_bytes(), false)?;
        }
    }
    if !args.quiet {
        let what: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "complog: redacted {} in {changed} of {entries} entries{}",
            if what.is_empty() {
                "nothing".to_owned()
            } else {
                what.join(", ")
            },
            if skipped > 0 {
                format!("; {skipped} unreadable entries skipped")
            } else {
                String::new()
            },
        );
    }
    Ok(if skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write(sink: &mut Sink, entry: LogEntry, at: &str) -> Result<()> {
    match sink {
        Sink::Binary(w) => w.write(&entry)?,
        Sink::Lines(w) => {
            let text = json::to_json(&entry)
                .with_context(|| format!("{at}: cannot be written as JSON"))?;
            w.write_all(text.as_bytes())?;
            w.write_all(b"\n")?;
        }
        Sink::Document(entries) => entries.push(entry),
    }
    Ok(())
}

/// One entry as a pretty JSON object; several as a JSON array.
fn document(entries: &[LogEntry]) -> Result<String> {
    let mut pretty = Vec::new();
    let texts: Vec<String> = entries
        .iter()
        .map(json::to_json)
        .collect::<Result<_, _>>()?;
    let joined = match texts.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(",")),
    };
    // Re-indent token by token, so keys keep their field-number order.
    let mut de = serde_json::Deserializer::from_str(&joined);
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut pretty))?;
    pretty.push(b'\n');
    Ok(String::from_utf8(pretty)?)
}
