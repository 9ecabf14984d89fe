//! Turning command-line inputs (files, directories, `-`) into entries.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::json::{self, JsonOptions};
use lokryn_compliance_log::stream::{DelimitedReader, Format, JsonLinesReader};
use lokryn_compliance_log::{Error, LogEntry};

/// Extensions picked up when walking a directory.
const KNOWN_EXTENSIONS: &[&str] = &["json", "jsonl", "ndjson", "binpb", "pb", "bin", "ldpb"];

/// Where entries come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub(crate) fn label(&self) -> String {
        match self {
            Self::Stdin => "<stdin>".into(),
            Self::File(p) => p.display().to_string(),
        }
    }
}

/// Expands the inputs: `-` is stdin, a directory contributes every file
/// below it with a known extension (sorted, hidden entries skipped). Inputs
/// that do not exist are returned as errors.
pub(crate) fn expand(inputs: &[PathBuf]) -> (Vec<Source>, Vec<String>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else if input.is_dir() {
            let before = sources.len();
            if let Err(err) = walk(input, &mut sources) {
                errors.push(format!("{}: {err}", input.display()));
            }
            if sources.len() == before {
                errors.push(format!(
                    "{}: no files with a known extension ({}) in this directory",
                    input.display(),
                    KNOWN_EXTENSIONS.join(", ")
                ));
            }
        } else if input.exists() {
            sources.push(Source::File(input.clone()));
        } else {
            errors.push(format!("{}: no such file or directory", input.display()));
        }
    }
    (sources, errors)
}

fn walk(dir: &Path, out: &mut Vec<Source>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for path in entries {
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| KNOWN_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(Source::File(path));
        }
    }
    Ok(())
}

/// One entry read from a source, or the reason it could not be read.
#[derive(Debug)]
pub(crate) struct Record {
    /// 0-based index of the entry in its source.
    pub(crate) index: u64,
    /// 1-based line, for JSON Lines.
    pub(crate) line: Option<u64>,
    /// Byte offset, for binary streams and JSON Lines.
    pub(crate) offset: Option<u64>,
    /// Whether the source holds a single entry (its label needs no index).
    pub(crate) single: bool,
    pub(crate) result: Result<Decoded, Problem>,
}

/// A readable entry: the typed message and, for binary input, the exact
/// bytes it came from (so copies keep fields this schema does not know).
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) entry: LogEntry,
    pub(crate) raw: Option<Vec<u8>>,
}

/// Why an entry could not be read.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Problem {
    fn from_error(err: &Error) -> Self {
        Self {
            code: err.code(),
            message: err.root().to_string(),
        }
    }
}

impl Record {
    /// `path`, `path[3]` (JSON array), `path:12` (JSON Lines line) or
    /// `path #3 (byte 1024)` (binary entry 3 at byte offset 1024).
    pub(crate) fn label(&self, source: &str) -> String {
        match (self.line, self.offset) {
            _ if self.single => source.to_owned(),
            (Some(line), _) => format!("{source}:{line}"),
            (None, Some(offset)) => format!("{source} #{} (byte {offset})", self.index),
            (None, None) => format!("{source}[{}]", self.index),
        }
    }
}

/// Reading settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadOptions {
    pub(crate) format: Option<Format>,
    pub(crate) limits: Limits,
    /// Stop reading a source after this many unreadable entries in a row:
    /// past that point it is not the format it was taken for.
    pub(crate) max_consecutive_errors: u64,
}

/// Counts bytes read, for progress reporting.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Reads every entry of `source`, calling `visit` for each. `bytes_read` is
/// updated as input is consumed. Returns the format used, or an I/O error
/// opening or reading the source as a whole.
pub(crate) fn read(
    source: &Source,
    options: &ReadOptions,
    bytes_read: &Rc<Cell<u64>>,
    visit: &mut dyn FnMut(Record),
) -> io::Result<Format> {
    let raw: Box<dyn Read> = match source {
        Source::Stdin => Box::new(io::stdin().lock()),
        Source::File(path) => Box::new(File::open(path)?),
    };
    let mut reader = BufReader::with_capacity(
        64 * 1024,
        Counting {
            inner: raw,
            count: Rc::clone(bytes_read),
        },
    );
    let head = reader.fill_buf()?;
    if head.is_empty() {
        visit(Record {
            index: 0,
            line: None,
            offset: None,
            single: true,
            result: Err(Problem {
                code: "EMPTY",
                message: "the input is empty: no entries".into(),
            }),
        });
        return Ok(options.format.unwrap_or(Format::Delimited));
    }
    let format = options
        .format
        .or_else(|| match source {
            Source::File(p) => Format::from_extension(p),
            Source::Stdin => None,
        })
        .unwrap_or_else(|| Format::sniff(head));
    let json_options = JsonOptions::default().limits(options.limits);
    let mut guard = Guard {
        limit: options.max_consecutive_errors,
        run: 0,
    };
    match format {
        Format::Json => read_json_document(reader, options, &json_options, visit)?,
        Format::JsonLines => {
            let mut lines = JsonLinesReader::with_options(reader, json_options);
            while let Some(result) = lines.next_positioned() {
                let record = match result {
                    Ok((at, entry)) => Record {
                        index: at.index,
                        line: Some(at.line),
                        offset: Some(at.offset),
                        single: false,
                        result: Ok(Decoded { entry, raw: None }),
                    },
                    Err(err) => entry_error(&err),
                };
                if !guard.visit(record, visit) {
                    break;
                }
            }
        }
        Format::Delimited => {
            let mut frames = DelimitedReader::with_limits(reader, options.limits);
            while let Some(frame) = frames.next_frame() {
                let record = match frame {
                    Ok(frame) => {
                        let result = lokryn_compliance_log::codec::decode_with(
                            &frame.bytes,
                            &options.limits,
                        )
                        .map(|entry| Decoded {
                            entry,
                            raw: Some(frame.bytes),
                        })
                        .map_err(|e| Problem::from_error(&e));
                        Record {
                            index: frame.index,
                            line: None,
                            offset: Some(frame.offset),
                            single: false,
                            result,
                        }
                    }
                    Err(err) => entry_error(&err),
                };
                if !guard.visit(record, visit) {
                    break;
                }
            }
        }
        _ => {}
    }
    Ok(format)
}

/// Counts consecutive unreadable entries and gives up past the limit.
struct Guard {
    limit: u64,
    run: u64,
}

impl Guard {
    /// Passes `record` on; false when the source should be abandoned.
    fn visit(&mut self, record: Record, visit: &mut dyn FnMut(Record)) -> bool {
        let (index, line, offset) = (record.index, record.line, record.offset);
        self.run = if record.result.is_err() {
            self.run + 1
        } else {
            0
        };
        visit(record);
        if self.limit > 0 && self.run >= self.limit {
            visit(Record {
                index: index + 1,
                line: line.map(|l| l + 1),
                offset,
                single: false,
                result: Err(Problem {
                    code: "GAVE_UP",
                    message: format!(
                        "stopped reading after {} unreadable entries in a row: this input is \
                         probably not in the format it was read as (use --input-format to say which)",
                        self.run
                    ),
                }),
            });
            return false;
        }
        true
    }
}

/// Turns a stream error (which carries the entry position) into a record.
fn entry_error(err: &Error) -> Record {
    let (index, offset, line) = match err {
        Error::Entry {
            index,
            offset,
            line,
            ..
        } => (*index, Some(*offset), *line),
        _ => (0, None, None),
    };
    Record {
        index,
        line,
        offset,
        single: false,
        result: Err(Problem::from_error(err)),
    }
}

/// A `.json` document: one entry, or an array of entries.
fn read_json_document(
    reader: impl Read,
    options: &ReadOptions,
    json_options: &JsonOptions,
    visit: &mut dyn FnMut(Record),
) -> io::Result<()> {
    let limit = options.limits.max_json_bytes;
    let mut text = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut text)?;
    let single = |result| Record {
        index: 0,
        line: None,
        offset: None,
        single: true,
        result,
    };
    if text.len() > limit {
        let message = format!("the JSON document is over the limit of {limit} bytes");
        visit(single(Err(Problem {
            code: "TOO_LARGE",
            message,
        })));
        return Ok(());
    }
    let Ok(text) = String::from_utf8(text) else {
        let message = "the JSON document is not valid UTF-8".into();
        visit(single(Err(Problem {
            code: "JSON",
            message,
        })));
        return Ok(());
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => {
            // Parse again through the schema-aware reader for its message.
            let err = json::from_json_with(&text, json_options).err();
            let problem = err.as_ref().map_or_else(
                || Problem {
                    code: "JSON",
                    message: "invalid JSON".into(),
                },
                Problem::from_error,
            );
            visit(single(Err(problem)));
            return Ok(());
        }
    };
    match value {
        serde_json::Value::Array(items) => {
            if items.is_empty() {
                let message = "the JSON array is empty: no entries".into();
                visit(single(Err(Problem {
                    code: "EMPTY",
                    message,
                })));
            }
            for (i, item) in items.into_iter().enumerate() {
                let result = json::from_json_value(item, json_options)
                    .map(|entry| Decoded { entry, raw: None })
                    .map_err(|e| Problem::from_error(&e));
                visit(Record {
                    index: i as u64,
                    line: None,
                    offset: None,
                    single: false,
                    result,
                });
            }
        }
        _ => {
            // Re-read from the text so errors carry line and column.
            let result = json::from_json_with(&text, json_options)
                .map(|entry| Decoded { entry, raw: None })
                .map_err(|e| Problem::from_error(&e));
            visit(single(result));
        }
    }
    Ok(())
}
