//! Where `convert` and `redact` write entries: a file (compressed when its
//! name ends in `.gz` or `.zst`) or standard output, in an output format.

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::compress::{Compression, Compressor};
use lokryn_compliance_log::stream::DelimitedWriter;
use lokryn_compliance_log::{Error, LogEntry, json, validate};

use crate::OutputFormat;

/// An opened output.
pub(crate) type Out = Compressor<Box<dyn Write>>;

/// Opens the output: a file, compressed as its name asks, or standard
/// output. Binary or compressed output is refused on a terminal.
pub(crate) fn open(path: Option<&Path>, binary: bool) -> Result<Out> {
    match path {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Ok(Compressor::new(
                Box::new(std::io::BufWriter::new(file)),
                Compression::from_path(path),
            ))
        }
        None => {
            if binary && std::io::stdout().is_terminal() {
                bail!(
                    "refusing to write binary output to a terminal; redirect it or use --output FILE"
                );
            }
            Ok(Compressor::new(
                Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
                Compression::None,
            ))
        }
    }
}

/// Writes `bytes` as the whole output.
pub(crate) fn write_all(path: Option<&Path>, bytes: &[u8], binary: bool) -> Result<()> {
    let mut out = open(path, binary)?;
    out.write_all(bytes)?;
    out.finish()?;
    Ok(())
}

/// How many entries a JSON document output may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    /// Exactly one (`convert --to json`).
    One,
    /// Any number: one is written as an object, several as an array.
    Any,
}

/// Where entries are written, in the output format, held to the limits
/// the input was read under: a reader with the same `--max-entry-bytes`
/// reads back everything written.
pub(crate) enum Sink {
    Binary(DelimitedWriter<Out>),
    Lines(Out, Limits),
    /// A JSON document, written at the end: the entries kept, how many
    /// there were, and where it goes.
    Document {
        entries: Vec<LogEntry>,
        count: u64,
        kind: Document,
        path: Option<PathBuf>,
        limits: Limits,
    },
}

impl Sink {
    pub(crate) fn open(
        format: OutputFormat,
        path: Option<&Path>,
        kind: Document,
        limits: Limits,
    ) -> Result<Self> {
        Ok(match format {
            OutputFormat::Binary => {
                Self::Binary(DelimitedWriter::with_limits(open(path, true)?, limits))
            }
            OutputFormat::Jsonl => Self::Lines(open(path, false)?, limits),
            OutputFormat::Json => Self::Document {
                entries: Vec::new(),
                count: 0,
                kind,
                path: path.map(Path::to_path_buf),
                limits,
            },
        })
    }

    /// Writes one entry. `raw` is the binary it was read from, if any:
    /// binary output copies it, so fields this schema does not know
    /// survive; JSON output warns that it drops them. `Ok(false)` when the
    /// entry had to be skipped (reported on standard error, naming `at`):
    /// it has no JSON form, or it is over the limits (refused before any
    /// byte of it is written).
    #[allow(clippy::print_stderr)]
    pub(crate) fn write(&mut self, entry: LogEntry, raw: Option<&[u8]>, at: &str) -> Result<bool> {
        match self {
            Self::Binary(w) => {
                let written = match raw {
                    Some(raw) => w.write_encoded(raw),
                    None => w.write(&entry),
                };
                match written {
                    Ok(()) => {}
                    Err(err @ Error::TooLarge { .. }) => {
                        eprintln!("complog: {at}: skipped: {}: {err}", err.code());
                        return Ok(false);
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            Self::Lines(w, limits) => {
                let Some(text) = to_json_reporting_loss(&entry, raw, at, limits) else {
                    return Ok(false);
                };
                w.write_all(text.as_bytes())?;
                w.write_all(b"\n")?;
            }
            Self::Document {
                entries,
                count,
                kind,
                limits,
                ..
            } => {
                *count += 1;
                if to_json_reporting_loss(&entry, raw, at, limits).is_none() {
                    return Ok(false);
                }
                // `--to json` fails at the end unless there is exactly one:
                // no need to hold more than that.
                if *kind == Document::Any || entries.is_empty() {
                    entries.push(entry);
                }
            }
        }
        Ok(true)
    }

    /// Completes the output.
    pub(crate) fn finish(self) -> Result<()> {
        match self {
            Self::Binary(w) => {
                w.into_inner().finish()?;
            }
            Self::Lines(w, _) => {
                w.finish()?;
            }
            Self::Document {
                entries,
                count,
                kind,
                path,
                limits: _,
            } => {
                if kind == Document::One && count != 1 {
                    bail!(
                        "--to json writes exactly one entry, but the input holds {count}; use --to jsonl or --to binary"
                    );
                }
                if !entries.is_empty() {
                    write_all(path.as_deref(), &document(&entries)?, false)?;
                }
            }
        }
        Ok(())
    }
}

/// The entry's JSON, warning on standard error about unknown fields (in
/// `raw`) that JSON cannot carry; `None` (reported) when the entry has no
/// JSON form.
#[allow(clippy::print_stderr)]
fn to_json_reporting_loss(
    entry: &LogEntry,
    raw: Option<&[u8]>,
    at: &str,
    limits: &Limits,
) -> Option<String> {
    if let Some(raw) = raw {
        for warning in validate::unknown_field_warnings(raw, entry).unwrap_or_default() {
            let field = if warning.field.is_empty() {
                String::new()
            } else {
                format!(" ({})", warning.field)
            };
            eprintln!(
                "complog: {at}: warning{field}: {}; JSON cannot carry it, so it is dropped \
                 (convert to binary to keep it)",
                warning.message
            );
        }
    }
    match json::to_json_with(entry, limits) {
        Ok(text) => Some(text),
        Err(err) => {
            eprintln!("complog: {at}: skipped: {}: {err}", err.code());
            None
        }
    }
}

/// One entry as a pretty JSON object; several as a JSON array. Keys keep
/// their field-number order: the canonical text is re-indented token by
/// token.
fn document(entries: &[LogEntry]) -> Result<Vec<u8>> {
    let texts: Vec<String> = entries
        .iter()
        .map(json::to_json)
        .collect::<Result<_, _>>()?;
    let joined = match texts.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(",")),
    };
    let mut pretty = Vec::with_capacity(joined.len() * 2);
    let mut de = serde_json::Deserializer::from_str(&joined);
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::pretty(&mut pretty))?;
    pretty.push(b'\n');
    Ok(pretty)
}
