//! Where `convert` and `redact` write entries: a file (compressed when its
//! name ends in `.gz` or `.zst`) or standard output, in an output format.

use std::borrow::Cow;
use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::compress::{Compression, Compressor};
use lokryn_compliance_log::stream::DelimitedWriter;
use lokryn_compliance_log::{LogEntry, json, validate};

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
    Binary(DelimitedWriter<Out>, Limits),
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
            OutputFormat::Binary => Self::Binary(
                DelimitedWriter::with_limits(open(path, true)?, limits),
                limits,
            ),
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

    /// What [`Shape::prepare`] needs to know of this sink, for any thread.
    pub(crate) fn shape(&self) -> Shape {
        match self {
            Self::Binary(_, limits) => Shape::Binary(*limits),
            Self::Lines(_, limits) => Shape::Lines(*limits),
            Self::Document { limits, .. } => Shape::Document(*limits),
        }
    }

    /// Writes one entry made ready by [`Shape::prepare`]: prints its
    /// warnings on standard error, then writes it. `Ok(false)` when the
    /// entry had to be skipped.
    #[allow(clippy::print_stderr)]
    pub(crate) fn commit(&mut self, prepared: Prepared) -> Result<bool> {
        for message in &prepared.messages {
            eprintln!("{message}");
        }
        match (self, prepared.body) {
            (Self::Document { count, .. }, Body::Skip) => {
                *count += 1;
                Ok(false)
            }
            (_, Body::Skip) => Ok(false),
            (Self::Binary(w, _), Body::Bytes(bytes)) => {
                w.write_encoded(&bytes)?;
                Ok(true)
            }
            (Self::Lines(w, _), Body::Bytes(text)) => {
                w.write_all(&text)?;
                Ok(true)
            }
            (
                Self::Document {
                    entries,
                    count,
                    kind,
                    ..
                },
                Body::Entry(entry),
            ) => {
                *count += 1;
                // `--to json` fails at the end unless there is exactly one:
                // no need to hold more than that.
                if *kind == Document::Any || entries.is_empty() {
                    entries.push(*entry);
                }
                Ok(true)
            }
            _ => bail!("an entry was prepared for another output format"),
        }
    }

    /// Completes the output.
    pub(crate) fn finish(self) -> Result<()> {
        match self {
            Self::Binary(w, _) => {
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

/// The output format and limits of a [`Sink`]: enough to make entries
/// ready for it on any thread.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    Binary(Limits),
    Lines(Limits),
    Document(Limits),
}

/// An entry made ready for a [`Sink`]: what to print on standard error,
/// and what to write.
#[derive(Debug)]
pub(crate) struct Prepared {
    messages: Vec<String>,
    body: Body,
}

#[derive(Debug)]
enum Body {
    /// Nothing: the entry is skipped (the messages say why).
    Skip,
    /// The entry's encoding (binary, without its length prefix) or its JSON
    /// line (with its newline).
    Bytes(Vec<u8>),
    /// The entry, for a JSON document.
    Entry(Box<LogEntry>),
}

impl Shape {
    /// Makes `entry` ready to write. `raw` is the binary it was read from,
    /// if any: binary output copies it, so fields this schema does not know
    /// survive; JSON output warns that it drops them. The entry is skipped
    /// (with a message naming `at`) when it has no JSON form, or when it is
    /// over the limits (refused before any byte of it is written). `entry`
    /// is only read (its memory stays for the next record to be read over),
    /// except for a JSON document, which takes it.
    pub(crate) fn prepare(
        self,
        entry: &mut LogEntry,
        raw: Option<Cow<'_, [u8]>>,
        at: impl std::fmt::Display,
    ) -> Prepared {
        let mut messages = Vec::new();
        let body = match self {
            Self::Binary(limits) => {
                let bytes =
                    raw.map_or_else(|| prost::Message::encode_to_vec(entry), Cow::into_owned);
                match limits.check_entry(bytes.len()) {
                    Ok(()) => Body::Bytes(bytes),
                    Err(err) => {
                        messages.push(format!("complog: {at}: skipped: {}: {err}", err.code()));
                        Body::Skip
                    }
                }
            }
            Self::Lines(limits) => {
                match to_json_reporting_loss(entry, raw.as_deref(), &at, &limits, &mut messages) {
                    Some(text) => {
                        let mut line = text.into_bytes();
                        line.push(b'\n');
                        Body::Bytes(line)
                    }
                    None => Body::Skip,
                }
            }
            Self::Document(limits) => {
                match to_json_reporting_loss(entry, raw.as_deref(), &at, &limits, &mut messages) {
                    Some(_) => Body::Entry(Box::new(std::mem::take(entry))),
                    None => Body::Skip,
                }
            }
        };
        Prepared { messages, body }
    }
}

/// The entry's JSON, adding to `messages` a warning about each unknown
/// field (in `raw`) that JSON cannot carry; `None` (with a message) when the
/// entry has no JSON form.
fn to_json_reporting_loss(
    entry: &LogEntry,
    raw: Option<&[u8]>,
    at: &dyn std::fmt::Display,
    limits: &Limits,
    messages: &mut Vec<String>,
) -> Option<String> {
    if let Some(raw) = raw {
        for warning in validate::unknown_field_warnings(raw, entry).unwrap_or_default() {
            let field = if warning.field.is_empty() {
                String::new()
            } else {
                format!(" ({})", warning.field)
            };
            messages.push(format!(
                "complog: {at}: warning{field}: {}; JSON cannot carry it, so it is dropped \
                 (convert to binary to keep it)",
                warning.message
            ));
        }
    }
    match json::to_json_with(entry, limits) {
        Ok(text) => Some(text),
        Err(err) => {
            messages.push(format!("complog: {at}: skipped: {}: {err}", err.code()));
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
