//! Turning command-line inputs (files, directories, `-`) into entries.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::compress::{self, Compression};
use lokryn_compliance_log::json::{self, JsonOptions};
use lokryn_compliance_log::stream::{
    DelimitedReader, Format, HeldFrame, JsonLinesReader, LineFrame,
};
use lokryn_compliance_log::{Error, LogEntry};

/// Extensions picked up when walking a directory, also under a compression
/// extension (`day.jsonl.gz`, `day.binpb.zst`).
const KNOWN_EXTENSIONS: &[&str] = &["json", "jsonl", "ndjson", "binpb", "pb", "bin", "ldpb"];

/// Where entries come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Stdin,
    File(PathBuf),
    /// A ledger directory (`complog ledger`): the entries its latest
    /// checkpoint covers, in index order, as stored.
    Ledger(PathBuf),
}

/// The file that marks a directory as a ledger (`lokryn-ledger`'s config).
const LEDGER_MARKER: &str = "ledger.json";

/// Whether `dir` is a ledger directory.
fn is_ledger(dir: &Path) -> bool {
    dir.join(LEDGER_MARKER).is_file()
}

impl Source {
    pub(crate) fn label(&self) -> String {
        match self {
            Self::Stdin => "<stdin>".into(),
            Self::File(p) | Self::Ledger(p) => p.display().to_string(),
        }
    }
}

/// Expands the inputs: `-` is stdin, a directory contributes every file
/// below it with a known extension (sorted, hidden entries skipped). Links
/// are followed, but each real directory is searched once and each real
/// file found in a directory is read once, so a link back up the tree
/// (`dir/a/back -> ..`) is not a loop. Inputs that do not exist are
/// returned as errors.
pub(crate) fn expand(inputs: &[PathBuf]) -> (Vec<Source>, Vec<String>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    let mut seen = Seen::default();
    for input in inputs {
        if input.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else if input.is_dir() && is_ledger(input) {
            sources.push(Source::Ledger(input.clone()));
        } else if input.is_dir() {
            let before = sources.len();
            if let Err(err) = walk(input, &mut seen, &mut sources) {
                errors.push(format!("{}: {err}", input.display()));
            }
            if sources.len() == before {
                errors.push(format!(
                    "{}: no files with a known extension ({}, optionally .gz or .zst) in this directory",
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

/// The real (canonical) directories searched and files taken so far.
#[derive(Default)]
struct Seen {
    dirs: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
}

fn walk(dir: &Path, seen: &mut Seen, out: &mut Vec<Source>) -> io::Result<()> {
    if !seen.dirs.insert(dir.canonicalize()?) {
        return Ok(());
    }
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
        if path.is_dir() && is_ledger(&path) {
            out.push(Source::Ledger(path));
        } else if path.is_dir() {
            walk(&path, seen, out)?;
        } else if has_known_extension(&path)
            && seen
                .files
                .insert(path.canonicalize().unwrap_or_else(|_| path.clone()))
        {
            out.push(Source::File(path));
        }
    }
    Ok(())
}

fn has_known_extension(path: &Path) -> bool {
    Compression::strip_extension(path)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| KNOWN_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// One entry read from a source, or the reason it could not be read. A
/// binary entry's bytes may be borrowed from the batch it was framed in.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    /// 0-based index of the entry in its source.
    pub(crate) index: u64,
    /// 1-based line, for JSON Lines.
    pub(crate) line: Option<u64>,
    /// Byte offset, for binary streams and JSON Lines.
    pub(crate) offset: Option<u64>,
    /// Whether the source holds a single entry (its label needs no index).
    pub(crate) single: bool,
    pub(crate) result: Result<Decoded<'a>, Problem>,
}

/// A readable entry: the typed message and, for binary input, the exact
/// bytes it came from (so copies keep fields this schema does not know),
/// borrowed where they were framed.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub(crate) entry: LogEntry,
    pub(crate) raw: Option<Cow<'a, [u8]>>,
}

/// Why an entry could not be read.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn from_error(err: &Error) -> Self {
        Self {
            code: err.code(),
            message: err.root().to_string(),
        }
    }
}

/// What a thread reads its records over: the entry of the record before,
/// its memory reused (see [`Record::recycle`]).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub(crate) entry: LogEntry,
}

impl Record<'_> {
    /// Gives the record's entry back to `scratch`, for the next record to
    /// be read over (its strings and lists reused).
    pub(crate) fn recycle(self, scratch: &mut Scratch) {
        if let Ok(decoded) = self.result {
            scratch.entry = decoded.entry;
        }
    }

    /// Takes the record whole, its bytes copied if they were borrowed,
    /// leaving one without an entry in its place (for work that keeps the
    /// records it is given).
    pub(crate) fn take(&mut self) -> Record<'static> {
        let taken = Err(Problem {
            code: "TAKEN",
            message: String::new(),
        });
        let result = std::mem::replace(&mut self.result, taken).map(|decoded| Decoded {
            entry: decoded.entry,
            raw: decoded.raw.map(|raw| Cow::Owned(raw.into_owned())),
        });
        Record {
            index: self.index,
            line: self.line,
            offset: self.offset,
            single: self.single,
            result,
        }
    }

    /// `path`, `path[3]` (JSON array), `path:12` (JSON Lines line) or
    /// `path #3 (byte 1024)` (binary entry 3 at byte offset 1024).
    pub(crate) fn label(&self, source: &str) -> String {
        self.place().at(source).to_string()
    }

    /// Where the record is in its source.
    pub(crate) fn place(&self) -> Place {
        Place {
            index: self.index,
            line: self.line,
            offset: self.offset,
            single: self.single,
        }
    }
}

/// Where a record is in its source: its label without the source's name,
/// kept rather than printed until a message needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    index: u64,
    line: Option<u64>,
    offset: Option<u64>,
    single: bool,
}

impl Place {
    /// The record's label in `source` ([`Record::label`]), printed when
    /// it is displayed.
    pub(crate) fn at(self, source: &str) -> At<'_> {
        At {
            source,
            place: self,
        }
    }
}

/// A record's label ([`Record::label`]), made only when it is printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    source: &'a str,
    place: Place,
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (source, place) = (self.source, self.place);
        match (place.line, place.offset) {
            _ if place.single => f.write_str(source),
            (Some(line), _) => write!(f, "{source}:{line}"),
            (None, Some(offset)) => write!(f, "{source} #{} (byte {offset})", place.index),
            (None, None) => write!(f, "{source}[{}]", place.index),
        }
    }
}

/// Reading settings shared by the commands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadOptions {
    pub(crate) format: Option<Format>,
    pub(crate) limits: Limits,
    /// Stop reading JSON Lines after this many lines in a row that are not
    /// JSON at all (0: never): past that point the input is not JSON Lines.
    pub(crate) max_non_json_lines: u64,
    /// How many threads decode and handle the entries of a JSON Lines or
    /// binary source (1: all on the calling thread).
    pub(crate) jobs: usize,
    /// Binary entries are only checked to be readable, as a view, not
    /// decoded: the command reads their bytes ([`Decoded::raw`]) and leaves
    /// [`Decoded::entry`] empty (`complog validate`).
    pub(crate) views_only: bool,
    /// Binary entries are not read at all while framing: the command gets
    /// their bytes ([`Decoded::raw`]) and must itself report the ones it
    /// cannot read, with the error reading them gives (`complog export` to
    /// OCSF or ECS, which reads each entry once, on the threads).
    pub(crate) unread_frames: bool,
}

/// How reading a source ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadEnd {
    /// Bytes left unread (of the decompressed stream) when reading gave up
    /// because the framing could no longer be trusted; `None` when the
    /// whole input was read.
    pub(crate) unread: Option<u64>,
}

/// At most this much of an input's start is looked at to tell its format.
const SNIFF_BYTES: usize = 4096;

/// Counts bytes read, for progress reporting.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The format a file's name implies, looking through a compression
/// extension (`day.jsonl.gz` is JSON Lines).
pub(crate) fn format_of_path(path: &Path) -> Option<Format> {
    Format::from_extension(&Compression::strip_extension(path))
}

/// What reading a source hands its records to.
pub(crate) trait Visit {
    /// One record, in order; `Break` stops reading.
    fn record(&mut self, record: Record<'_>) -> ControlFlow<()>;
    /// A JSON Lines or binary stream, framed but not decoded: the visitor
    /// takes items from `framer` and [`Item::decode`]s them (possibly on
    /// other threads), handles the records in order, and watches each with
    /// a [`Watch`]. Returns where reading gave up, or `None` at the end of
    /// the stream or when the visitor stopped.
    fn stream(&mut self, framer: &mut Framer<'_>, watch: Watch) -> Option<GaveUp>;
}

/// Reads every entry of `source`, handing each to `visit` until it breaks.
/// gzip and zstd input is decompressed, whatever its name. `bytes_read` is
/// updated as input is consumed. Returns how reading ended, or an I/O error
/// opening or reading the source as a whole.
pub(crate) fn read(
    source: &Source,
    options: &ReadOptions,
    bytes_read: &Arc<AtomicU64>,
    visit: &mut dyn Visit,
) -> io::Result<ReadEnd> {
    let raw: Box<dyn Read + Send> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(path) => Box::new(File::open(path)?),
        Source::Ledger(dir) => {
            read_ledger(dir, options, bytes_read, &mut |r| visit.record(r))?;
            return Ok(ReadEnd { unread: None });
        }
    };
    let counted = BufReader::with_capacity(
        64 * 1024,
        Counting {
            inner: raw,
            count: Arc::clone(bytes_read),
        },
    );
    let (_, reader) = compress::decompress(counted)?;
    // The first bytes (decompressed) to tell the format by, then put back:
    // up to the end of the first line, as far as the input has it without
    // waiting for more (a pipe may still be writing).
    let mut reader = reader;
    let mut head = Vec::new();
    while head.len() < SNIFF_BYTES && !head.contains(&b'\n') {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        head.extend_from_slice(chunk);
        reader.consume(n);
    }
    let mut reader = io::Cursor::new(head.clone()).chain(reader);
    let whole = ReadEnd { unread: None };
    if head.is_empty() {
        let _ = visit.record(Record {
            index: 0,
            line: None,
            offset: None,
            single: true,
            result: Err(Problem {
                code: "EMPTY",
                message: "the input is empty: no entries".into(),
            }),
        });
        return Ok(whole);
    }
    let format = options
        .format
        .or_else(|| match source {
            Source::File(p) => format_of_path(p),
            Source::Stdin | Source::Ledger(_) => None,
        })
        .unwrap_or_else(|| Format::sniff(&head));
    let json_options = JsonOptions::default().limits(options.limits);
    let (gave_up, framed) = match format {
        Format::Json => {
            read_json_document(&mut reader, options, &json_options, &mut |r| {
                visit.record(r)
            })?;
            (None, 0)
        }
        format => {
            let mut framer = Framer::new(&mut reader, format, options, json_options);
            let watch = Watch::new(&framer, options);
            let gave_up = visit.stream(&mut framer, watch);
            (gave_up, framer.position())
        }
    };
    let Some(at) = gave_up else {
        return Ok(whole);
    };
    // Count what is left, in bounded memory (a broken compressed stream
    // stops the count where it breaks): what was framed past the point of
    // giving up (read ahead for other threads), then the rest.
    let mut unread = framed.saturating_sub(at.record.offset.unwrap_or(framed));
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        unread += n as u64;
    }
    if unread > 0 {
        let _ = visit.record(Record {
            result: Err(Problem {
                code: "GAVE_UP",
                message: format!("stopped reading: {}; {unread} bytes left unread", at.reason),
            }),
            ..at.record
        });
    }
    Ok(ReadEnd {
        unread: Some(unread),
    })
}

/// Where and why reading stopped before the end of the input.
#[derive(Debug)]
pub(crate) struct GaveUp {
    /// Positions the GAVE_UP record at the next entry.
    record: Record<'static>,
    reason: String,
}

impl GaveUp {
    fn after(index: u64, line: Option<u64>, offset: u64, reason: String) -> Self {
        Self {
            record: Record {
                index,
                line,
                offset: Some(offset),
                single: false,
                result: Err(Problem {
                    code: "GAVE_UP",
                    message: String::new(),
                }),
            },
            reason,
        }
    }
}

/// Frames the entries of a JSON Lines or length-delimited stream without
/// decoding them: the sequential part of reading.
pub(crate) struct Framer<'a> {
    kind: FramerKind<'a>,
    /// The stream ended (or its framing broke).
    done: bool,
}

enum FramerKind<'a> {
    Lines(JsonLinesReader<&'a mut dyn BufRead>),
    Frames(DelimitedReader<&'a mut dyn BufRead>),
}

impl std::fmt::Debug for Framer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Framer")
            .field("position", &self.position())
            .field("done", &self.done)
            .finish()
    }
}

impl<'a> Framer<'a> {
    fn new(
        reader: &'a mut dyn BufRead,
        format: Format,
        options: &ReadOptions,
        json_options: JsonOptions,
    ) -> Self {
        let kind = match format {
            Format::JsonLines => {
                FramerKind::Lines(JsonLinesReader::with_options(reader, json_options))
            }
            _ => FramerKind::Frames(DelimitedReader::with_limits(reader, options.limits)),
        };
        Self { kind, done: false }
    }

    /// Bytes (of the decompressed stream) framed so far.
    pub(crate) fn position(&self) -> u64 {
        match &self.kind {
            FramerKind::Lines(lines) => lines.position(),
            FramerKind::Frames(frames) => frames.position(),
        }
    }

    /// Whether the stream has ended.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The next framed entry, `None` at the end of the stream; its bytes
    /// (a JSON line's, or a binary entry's) are appended to `text`.
    fn next_item(&mut self, text: &mut Vec<u8>) -> Option<Item> {
        if self.done {
            return None;
        }
        let item = match &mut self.kind {
            FramerKind::Lines(lines) => {
                let start = text.len();
                match lines.next_line_into(text) {
                    None => None,
                    Some(Ok(line)) => Some(Item {
                        pending: Pending::Line(line),
                        end: JsonLinesReader::position(lines),
                        breaks: false,
                    }),
                    Some(Err(err)) => {
                        // An I/O error: nothing follows it.
                        let not_json = !is_json(text.get(start..).unwrap_or_default());
                        text.truncate(start);
                        Some(Item {
                            pending: Pending::Ready(Box::new(entry_error(&err)), not_json),
                            end: JsonLinesReader::position(lines),
                            breaks: false,
                        })
                    }
                }
            }
            FramerKind::Frames(frames) => match frames.next_frame_into(text) {
                None => None,
                Some(Ok(frame)) => Some(Item {
                    pending: Pending::Frame(frame),
                    end: DelimitedReader::position(frames),
                    breaks: false,
                }),
                // The framing is broken: this is the last frame.
                Some(Err(err)) => Some(Item {
                    pending: Pending::Ready(Box::new(entry_error(&err)), false),
                    end: DelimitedReader::position(frames),
                    breaks: true,
                }),
            },
        };
        if item.as_ref().is_none_or(|i| i.breaks) {
            self.done = true;
        }
        item
    }

    /// Frames into `batch` (emptied first) up to `max_items` entries
    /// holding about `max_bytes` at most (at least one entry, unless the
    /// stream has ended).
    pub(crate) fn next_batch(&mut self, batch: &mut Batch, max_items: usize, max_bytes: usize) {
        batch.clear();
        let mut bytes = 0usize;
        while batch.items.len() < max_items && bytes < max_bytes {
            let Some(item) = self.next_item(&mut batch.text) else {
                break;
            };
            bytes += item.size();
            batch.items.push(item);
        }
    }
}

/// Framed entries, handed to a thread as a whole: the bytes of its JSON
/// lines or binary entries are gathered in one buffer, and a batch is
/// emptied and filled again rather than made anew, so framing allocates
/// nothing per entry.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The bytes of the entries, one after another.
    text: Vec<u8>,
    items: Vec<Item>,
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Empties the batch, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
    }

    /// Decodes the entries in order (the costly part, which any thread can
    /// do), each over `scratch` (see [`Record::recycle`]), and hands each
    /// record with its mark to `each` until it breaks. The batch is left
    /// empty.
    pub(crate) fn decode_each(
        &mut self,
        options: &ReadOptions,
        scratch: &mut Scratch,
        mut each: impl FnMut(Record<'_>, Mark, &mut Scratch) -> ControlFlow<()>,
    ) {
        let text = &self.text;
        for item in self.items.drain(..) {
            let (record, mark) = item.decode(options, text, scratch);
            if each(record, mark, scratch).is_break() {
                break;
            }
        }
        self.clear();
    }
}

/// One framed entry of a stream.
#[derive(Debug)]
struct Item {
    pending: Pending,
    /// Where the entry ends in the stream.
    end: u64,
    /// The framing broke at this entry: nothing after it can be read.
    breaks: bool,
}

#[derive(Debug)]
enum Pending {
    /// A record made while framing (an error), and whether its text was
    /// not JSON at all.
    Ready(Box<Record<'static>>, bool),
    /// A JSON line, its bytes in the batch's text.
    Line(LineFrame),
    /// A binary entry, its bytes in the batch's text.
    Frame(HeldFrame),
}

/// What [`Watch::after`] needs to know of a record once it is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    index: u64,
    line: Option<u64>,
    not_json: bool,
    end: u64,
    breaks: bool,
}

impl Item {
    fn size(&self) -> usize {
        match &self.pending {
            Pending::Ready(..) => 0,
            Pending::Line(line) => line.held.len(),
            Pending::Frame(frame) => frame.held.len(),
        }
    }

    /// Decodes the entry from `text` over `scratch` (a binary entry's
    /// bytes stay borrowed from `text`): the record, and its mark for the
    /// [`Watch`].
    fn decode<'t>(
        self,
        options: &ReadOptions,
        text: &'t [u8],
        scratch: &mut Scratch,
    ) -> (Record<'t>, Mark) {
        let (end, breaks) = (self.end, self.breaks);
        let (record, not_json) = match self.pending {
            Pending::Ready(record, not_json) => (*record, not_json),
            Pending::Line(line) => {
                let json_options = JsonOptions::default().limits(options.limits);
                match line.parse_into(text, &json_options, &mut scratch.entry) {
                    Ok(()) => {
                        let at = line.position;
                        let entry = std::mem::take(&mut scratch.entry);
                        let record = Record {
                            index: at.index,
                            line: Some(at.line),
                            offset: Some(at.offset),
                            single: false,
                            result: Ok(Decoded { entry, raw: None }),
                        };
                        (record, false)
                    }
                    Err(err) => (entry_error(&err), !is_json(line.bytes(text))),
                }
            }
            Pending::Frame(frame) => {
                let bytes = frame.bytes(text);
                let result = if options.unread_frames {
                    Ok(LogEntry::default())
                } else if options.views_only {
                    // The same errors as decoding, without the copy.
                    lokryn_compliance_log::view::decode(bytes, &options.limits)
                        .map(|_| LogEntry::default())
                } else {
                    // Over the thread's scratch entry, its strings reused.
                    lokryn_compliance_log::codec::decode_into(
                        bytes,
                        &options.limits,
                        &mut scratch.entry,
                    )
                    .map(|()| std::mem::take(&mut scratch.entry))
                }
                .map_err(|e| Problem::from_error(&e))
                .map(|entry| Decoded {
                    entry,
                    raw: Some(Cow::Borrowed(bytes)),
                });
                let record = Record {
                    index: frame.index,
                    line: None,
                    offset: Some(frame.offset),
                    single: false,
                    result,
                };
                (record, false)
            }
        };
        let mark = Mark {
            index: record.index,
            line: record.line,
            not_json,
            end,
            breaks,
        };
        (record, mark)
    }
}

/// Decides, record after record in order, when reading a stream must give
/// up. JSON Lines: every line that is JSON is judged, whether or not it is
/// an entry; only a run of lines that are not JSON at all (a binary file
/// read as text) makes reading give up. Length-delimited binary: an entry
/// whose bytes do not decode is judged unreadable and reading goes on with
/// the next, however many there are; reading gives up only where the
/// framing breaks (a length prefix that is not a varint, or that claims
/// more than the limit or than the input holds), as nothing after that
/// point can be located.
#[derive(Debug)]
pub(crate) struct Watch {
    lines: bool,
    max_non_json_lines: u64,
    run: u64,
}

impl Watch {
    fn new(framer: &Framer<'_>, options: &ReadOptions) -> Self {
        Self {
            lines: matches!(framer.kind, FramerKind::Lines(_)),
            max_non_json_lines: options.max_non_json_lines,
            run: 0,
        }
    }

    /// After the record marked `mark` was handled: where to give up, if
    /// reading must stop there.
    pub(crate) fn after(&mut self, mark: &Mark) -> Option<GaveUp> {
        let index = mark.index;
        if mark.breaks {
            return Some(GaveUp::after(
                index + 1,
                None,
                mark.end,
                format!(
                    "the length prefix of entry {index} cannot be trusted, so no later \
                     entry can be found"
                ),
            ));
        }
        if !self.lines {
            return None;
        }
        self.run = if mark.not_json { self.run + 1 } else { 0 };
        let run = self.run;
        (self.max_non_json_lines > 0 && run >= self.max_non_json_lines).then(|| {
            GaveUp::after(
                index + 1,
                mark.line.map(|l| l + 1),
                mark.end,
                format!(
                    "{run} lines in a row are not JSON at all: this input is probably not \
                     JSON Lines (use --input-format to say what it is)"
                ),
            )
        })
    }
}

/// Whether a line is JSON (any JSON value; whether it is an entry is the
/// reader's business).
fn is_json(line: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(line.trim_ascii()).is_ok()
}

/// Turns a stream error (which carries the entry position) into a record.
fn entry_error(err: &Error) -> Record<'static> {
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

/// A `.json` document as first parsed: an array of entries (each kept as
/// its text), or anything else.
enum Document<'a> {
    Array(Vec<&'a serde_json::value::RawValue>),
    Other,
}

fn parse_document(text: &str) -> serde_json::Result<Document<'_>> {
    if text.trim_start().starts_with('[') {
        serde_json::from_str(text).map(Document::Array)
    } else {
        serde_json::from_str::<&serde_json::value::RawValue>(text).map(|_| Document::Other)
    }
}

/// A `.json` document: one entry, or an array of entries.
fn read_json_document(
    reader: &mut dyn BufRead,
    options: &ReadOptions,
    json_options: &JsonOptions,
    visit: &mut dyn FnMut(Record<'_>) -> ControlFlow<()>,
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
        let _ = visit(single(Err(Problem {
            code: "TOO_LARGE",
            message,
        })));
        return Ok(());
    }
    let Ok(text) = String::from_utf8(text) else {
        let message = "the JSON document is not valid UTF-8".into();
        let _ = visit(single(Err(Problem {
            code: "JSON",
            message,
        })));
        return Ok(());
    };
    // Array elements are kept as text, so that each is read by the schema
    // reader itself (which refuses repeated keys and locates its errors).
    let value = match parse_document(&text) {
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
            let _ = visit(single(Err(problem)));
            return Ok(());
        }
    };
    match value {
        Document::Array(items) => {
            if items.is_empty() {
                let message = "the JSON array is empty: no entries".into();
                let _ = visit(single(Err(Problem {
                    code: "EMPTY",
                    message,
                })));
            }
            for (i, item) in items.into_iter().enumerate() {
                let result = json::from_json_with(item.get(), json_options)
                    .map(|entry| Decoded { entry, raw: None })
                    .map_err(|e| Problem::from_error(&e));
                let record = Record {
                    index: i as u64,
                    line: None,
                    offset: None,
                    single: false,
                    result,
                };
                if visit(record).is_break() {
                    break;
                }
            }
        }
        Document::Other => {
            // Re-read from the text so errors carry line and column.
            let result = json::from_json_with(&text, json_options)
                .map(|entry| Decoded { entry, raw: None })
                .map_err(|e| Problem::from_error(&e));
            let _ = visit(single(result));
        }
    }
    Ok(())
}

/// Reads the entries of a ledger directory up to its latest checkpoint
/// (whose signature is checked on opening), in index order. A ledger that
/// cannot be opened, or an entry that cannot be read from it, is an error of
/// the whole source: past a torn entry nothing more is readable.
fn read_ledger(
    dir: &Path,
    options: &ReadOptions,
    bytes_read: &Arc<AtomicU64>,
    visit: &mut dyn FnMut(Record<'_>) -> ControlFlow<()>,
) -> io::Result<()> {
    let ledger_err = |e: lokryn_ledger::Error| io::Error::other(format!("ledger: {e}"));
    let mut reader = lokryn_ledger::store::Reader::open(dir).map_err(ledger_err)?;
    while let Some(raw) = reader.next_raw().map_err(ledger_err)? {
        bytes_read.fetch_add(raw.bytes.len() as u64, Ordering::Relaxed);
        let result = lokryn_compliance_log::codec::decode_with(&raw.bytes, &options.limits)
            .map(|entry| Decoded {
                entry,
                raw: Some(Cow::Borrowed(raw.bytes.as_slice())),
            })
            .map_err(|e| Problem::from_error(&e));
        let record = Record {
            index: raw.index,
            line: None,
            offset: Some(raw.offset),
            single: false,
            result,
        };
        if visit(record).is_break() {
            break;
        }
    }
    Ok(())
}
