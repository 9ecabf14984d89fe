//! Files and streams of many entries, read lazily so a file of any size is
//! processed in bounded memory.
//!
//! Two framings are supported:
//!
//! * **Length-delimited binary** ([`DelimitedReader`], [`DelimitedWriter`]):
//!   each entry is its protobuf encoding preceded by its length as a varint.
//!   This is the framing of Java's `writeDelimitedTo`, protobuf-es's
//!   `sizeDelimitedEncode` and C++'s `SerializeDelimitedToOstream`.
//! * **JSON Lines** ([`JsonLinesReader`]): one canonical JSON entry per line;
//!   blank lines are skipped.
//!
//! Errors carry the entry index and byte offset. A malformed entry does not
//! end the stream when the reader can tell where the next one starts (a bad
//! JSON line; a length-delimited body that does not decode); a broken length
//! prefix or a truncated body does, as nothing after it can be trusted.

use std::io::{self, BufRead, Write};

use prost::Message as _;

use crate::codec::{Limits, check_size};
use crate::json::{self, JsonOptions};
use crate::{Error, LogEntry, Result};

/// How entries are laid out in a file or stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// One JSON entry (the whole input is a single JSON object).
    Json,
    /// JSON Lines: one JSON entry per line.
    JsonLines,
    /// Length-delimited binary protobuf.
    Delimited,
}

impl Format {
    /// The format a file name's extension implies, if any: `.json`;
    /// `.jsonl`, `.ndjson`; `.binpb`, `.pb`, `.bin`, `.ldpb`.
    pub fn from_extension(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Self::Json),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            "binpb" | "pb" | "bin" | "ldpb" => Some(Self::Delimited),
            _ => None,
        }
    }

    /// Guesses the format from the first bytes of the input (a few KiB are
    /// plenty). Text that starts with `{` or `[` and holds no control bytes
    /// is JSON: JSON Lines when its first line is a complete JSON value, one
    /// JSON document otherwise. Anything else is length-delimited binary (a
    /// binary stream may start with the byte `{`, a 123-byte entry, but the
    /// entry's tag bytes that follow are control bytes).
    pub fn sniff(head: &[u8]) -> Self {
        let text = head.trim_ascii_start();
        let looks_like_text = !text
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
        if !matches!(text.first(), Some(b'{' | b'[')) || !looks_like_text {
            return Self::Delimited;
        }
        let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
        match std::str::from_utf8(first_line) {
            Ok(line) if json::is_single_json_value(line) && text.first() == Some(&b'{') => {
                Self::JsonLines
            }
            _ => Self::Json,
        }
    }

    /// The lower-case name used on command lines: `json`, `jsonl`, `binary`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::JsonLines => "jsonl",
            Self::Delimited => "binary",
        }
    }
}

/// One raw entry of a length-delimited stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// 0-based index of the entry in the stream.
    pub index: u64,
    /// Byte offset of the entry's length prefix.
    pub offset: u64,
    /// The entry's protobuf encoding.
    pub bytes: Vec<u8>,
}

/// Reads length-delimited entries lazily.
///
/// As an iterator it yields decoded entries; [`DelimitedReader::next_frame`]
/// yields the raw bytes instead.
///
/// ```
/// use lokryn_compliance_log::stream::{DelimitedReader, DelimitedWriter};
/// use lokryn_compliance_log::LogEntry;
///
/// let mut writer = DelimitedWriter::new(Vec::new());
/// writer.write(&LogEntry { actor_id: "alice".into(), ..Default::default() })?;
/// writer.write(&LogEntry { actor_id: "bob".into(), ..Default::default() })?;
/// let bytes = writer.into_inner();
///
/// let actors: Vec<String> = DelimitedReader::new(bytes.as_slice())
///     .map(|entry| entry.map(|e| e.actor_id))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(actors, ["alice", "bob"]);
/// # Ok::<(), lokryn_compliance_log::Error>(())
/// ```
#[derive(Debug)]
pub struct DelimitedReader<R> {
    inner: R,
    limits: Limits,
    index: u64,
    offset: u64,
    done: bool,
}

impl<R: BufRead> DelimitedReader<R> {
    /// A reader with the default [`Limits`].
    pub fn new(inner: R) -> Self {
        Self::with_limits(inner, Limits::DEFAULT)
    }

    /// A reader that refuses entries over `limits.max_entry_bytes`.
    pub fn with_limits(inner: R, limits: Limits) -> Self {
        Self {
            inner,
            limits,
            index: 0,
            offset: 0,
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// The next raw entry, `None` at the end of the stream. After an error
    /// that loses the framing (bad length prefix, truncation, I/O) every
    /// later call returns `None`.
    pub fn next_frame(&mut self) -> Option<Result<Frame>> {
        let mut bytes = Vec::new();
        Some(self.next_frame_into(&mut bytes)?.map(|held| Frame {
            index: held.index,
            offset: held.offset,
            bytes,
        }))
    }

    /// [`DelimitedReader::next_frame`] into a buffer of the caller's: the
    /// next entry's bytes are appended to `buf` (where many entries can be
    /// gathered, and the buffer used again for the next ones, without an
    /// allocation per entry), and the entry is described by where its
    /// bytes are in `buf`. After an error `buf` is as it was.
    pub fn next_frame_into(&mut self, buf: &mut Vec<u8>) -> Option<Result<HeldFrame>> {
        if self.done {
            return None;
        }
        let (index, offset, start) = (self.index, self.offset, buf.len());
        match self.read_frame(buf) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.index += 1;
                Some(Ok(HeldFrame {
                    index,
                    offset,
                    held: start..buf.len(),
                }))
            }
            Err(err) => {
                self.done = true;
                buf.truncate(start);
                Some(Err(err.at_entry(index, offset, None)))
            }
        }
    }

    /// Appends the next entry's bytes to `buf`; `false` at a clean end.
    fn read_frame(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        let Some((len, prefix_len)) = read_varint(&mut self.inner)? else {
            return Ok(false);
        };
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        check_size("entry", len, self.limits.max_entry_bytes)?;
        self.offset += prefix_len as u64;
        buf.reserve(len);
        // Straight from the reader's buffer: the length is known, so no
        // probing for the end as `read_to_end` does.
        let mut need = len;
        while need > 0 {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err.into()),
            };
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len().min(need);
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            self.inner.consume(n);
            self.offset += n as u64;
            need -= n;
        }
        if need > 0 {
            return Err(Error::Truncated {
                needed: need as u64,
            });
        }
        Ok(true)
    }
}

/// One entry of a length-delimited stream framed into a caller's buffer
/// ([`DelimitedReader::next_frame_into`]), not yet decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFrame {
    /// 0-based index of the entry in the stream.
    pub index: u64,
    /// Byte offset of the entry's length prefix.
    pub offset: u64,
    /// Where the entry's protobuf encoding is in the buffer.
    pub held: std::ops::Range<usize>,
}

impl HeldFrame {
    /// The entry's bytes in `buf` (the buffer it was framed into).
    pub fn bytes<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(self.held.clone()).unwrap_or_default()
    }
}

impl<R: BufRead> Iterator for DelimitedReader<R> {
    type Item = Result<LogEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_frame()?.and_then(|frame| {
            LogEntry::decode(frame.bytes.as_slice())
                .map_err(|e| Error::from(e).at_entry(frame.index, frame.offset, None))
        }))
    }
}

/// Reads a varint length prefix. `Ok(None)` at a clean end of input;
/// returns the value and how many bytes it took.
fn read_varint(r: &mut impl BufRead) -> Result<Option<(u64, usize)>> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let byte = match r.fill_buf()?.first() {
            Some(&b) => b,
            None if i == 0 => return Ok(None),
            None => return Err(Error::Truncated { needed: 1 }),
        };
        r.consume(1);
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Err(Error::LengthPrefix)
}

/// Writes length-delimited entries.
///
/// An entry over the limit is refused with [`Error::TooLarge`] before any of
/// it is written, so that the file stays readable by a [`DelimitedReader`]
/// with the same limits.
#[derive(Debug)]
pub struct DelimitedWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    limits: Limits,
}

impl<W: Write> DelimitedWriter<W> {
    /// Wraps `inner`; give it a buffered writer when writing to a file.
    /// Entries are held to the default [`Limits`].
    pub fn new(inner: W) -> Self {
        Self::with_limits(inner, Limits::DEFAULT)
    }

    /// A writer that refuses entries over `limits.max_entry_bytes`.
    pub fn with_limits(inner: W, limits: Limits) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(512),
            limits,
        }
    }

    /// Writes one entry with its length prefix.
    pub fn write(&mut self, entry: &LogEntry) -> Result<()> {
        self.limits.check_entry(entry.encoded_len())?;
        self.buf.clear();
        // Writing into a Vec cannot run out of space.
        let _ = entry.encode_length_delimited(&mut self.buf);
        Ok(self.inner.write_all(&self.buf)?)
    }

    /// Writes one already-encoded entry with its length prefix.
    pub fn write_encoded(&mut self, bytes: &[u8]) -> Result<()> {
        self.limits.check_entry(bytes.len())?;
        self.buf.clear();
        prost::encoding::encode_varint(bytes.len() as u64, &mut self.buf);
        self.inner.write_all(&self.buf)?;
        Ok(self.inner.write_all(bytes)?)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Returns the underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Reads JSON Lines lazily: one entry per non-blank line.
///
/// A line longer than the JSON limit is skipped without being held in
/// memory and reported as [`Error::TooLarge`]; reading goes on with the next
/// line.
#[derive(Debug)]
pub struct JsonLinesReader<R> {
    inner: R,
    options: JsonOptions,
    index: u64,
    line: u64,
    offset: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> JsonLinesReader<R> {
    /// A reader with default [`JsonOptions`].
    pub fn new(inner: R) -> Self {
        Self::with_options(inner, JsonOptions::default())
    }

    /// A reader with the given options.
    pub fn with_options(inner: R, options: JsonOptions) -> Self {
        Self {
            inner,
            options,
            index: 0,
            line: 0,
            offset: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// The line read last, without its newline (at most the JSON limit and
    /// one byte of it): after an error, what was there, so a caller can
    /// tell a line that is JSON but not an entry from one that is not JSON
    /// at all. Holds a record's bytes: do not echo it.
    pub fn last_line(&self) -> &[u8] {
        &self.buf
    }

    /// Appends the next line to `buf` (without its newline), holding at
    /// most `limit + 1` bytes of it. Returns the line's full length, or
    /// `None` at the end of input.
    fn read_line(&mut self, limit: usize, buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
        let start = buf.len();
        let mut total = 0usize;
        let mut saw_any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                return Ok(saw_any.then_some(total));
            }
            saw_any = true;
            let (take, newline) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            let room = (limit + 1).saturating_sub(buf.len() - start);
            buf.extend_from_slice(chunk.get(..take.min(room)).unwrap_or_default());
            total += take;
            let consumed = take + usize::from(newline);
            self.inner.consume(consumed);
            self.offset += consumed as u64;
            if newline {
                return Ok(Some(total));
            }
        }
    }
}

/// Where an entry was found in a JSON Lines stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePosition {
    /// 0-based index of the entry (blank lines are not entries).
    pub index: u64,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the start of the line.
    pub offset: u64,
}

impl<R: BufRead> Iterator for JsonLinesReader<R> {
    type Item = Result<LogEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_positioned()?.map(|(_, entry)| entry))
    }
}

impl<R: BufRead> JsonLinesReader<R> {
    /// The next entry with where it was found; errors carry the position too.
    pub fn next_positioned(&mut self) -> Option<Result<(LinePosition, LogEntry)>> {
        Some(self.frame()?.and_then(|(at, len)| {
            let mut entry = LogEntry::default();
            parse_line_into(&self.buf, len, at, &self.options, &mut entry).map(|()| (at, entry))
        }))
    }

    /// The next non-blank line, not yet parsed: framing is cheap and
    /// sequential, parsing ([`RawLine::parse`]) is not and can be done
    /// elsewhere (on another thread), giving exactly what
    /// [`JsonLinesReader::next_positioned`] gives. An I/O error carries the
    /// position, and ends the stream.
    pub fn next_line(&mut self) -> Option<Result<RawLine>> {
        // The line's bytes move out; the next line is read into a buffer of
        // the same capacity (one allocation, no copy).
        Some(self.frame()?.map(|(position, len)| {
            let capacity = self.buf.capacity();
            RawLine {
                position,
                len,
                bytes: std::mem::replace(&mut self.buf, Vec::with_capacity(capacity)),
            }
        }))
    }

    /// [`JsonLinesReader::next_line`] into a buffer of the caller's: the
    /// next non-blank line's bytes are appended to `buf` (where many lines
    /// can be gathered, and the buffer used again for the next lines,
    /// without an allocation per line), and the line is described by where
    /// its bytes are in `buf`. After an error (I/O: it carries the
    /// position, and ends the stream) `buf` holds what was read of the
    /// line after its old end.
    pub fn next_line_into(&mut self, buf: &mut Vec<u8>) -> Option<Result<LineFrame>> {
        let start = buf.len();
        Some(self.frame_into(buf)?.map(|(position, len)| LineFrame {
            position,
            len,
            held: start..buf.len(),
        }))
    }

    /// Reads up to the next non-blank line, into `self.buf`: where it is,
    /// and its full length.
    fn frame(&mut self) -> Option<Result<(LinePosition, usize)>> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let framed = self.frame_into(&mut buf);
        self.buf = buf;
        framed
    }

    /// Reads up to the next non-blank line, appending it to `buf`: where it
    /// is, and its full length. Blank lines are taken off `buf` again.
    fn frame_into(&mut self, buf: &mut Vec<u8>) -> Option<Result<(LinePosition, usize)>> {
        let limit = self.options.limits.max_json_bytes;
        let start = buf.len();
        while !self.done {
            let offset = self.offset;
            buf.truncate(start);
            let len = match self.read_line(limit, buf) {
                Ok(Some(len)) => len,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(err) => {
                    self.done = true;
                    return Some(Err(Error::Io(err).at_entry(
                        self.index,
                        offset,
                        Some(self.line + 1),
                    )));
                }
            };
            self.line += 1;
            let line = self.line;
            let held = buf.get(start..).unwrap_or_default();
            if held.iter().all(u8::is_ascii_whitespace) && len == held.len() {
                continue;
            }
            let index = self.index;
            self.index += 1;
            return Some(Ok((
                LinePosition {
                    index,
                    line,
                    offset,
                },
                len,
            )));
        }
        buf.truncate(start);
        None
    }
}

/// One non-blank line of a JSON Lines stream, framed but not parsed
/// ([`JsonLinesReader::next_line`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// Where the line is.
    pub position: LinePosition,
    /// The line's full length in bytes, without its newline.
    pub len: usize,
    /// The line without its newline, at most the JSON limit and one byte
    /// of it (a longer line is refused without being held). Holds a
    /// record's bytes: do not echo it.
    pub bytes: Vec<u8>,
}

impl RawLine {
    /// Parses the line as one entry, under `options` (those the reader
    /// framed it with); errors carry the line's position.
    pub fn parse(&self, options: &JsonOptions) -> Result<(LinePosition, LogEntry)> {
        let mut entry = LogEntry::default();
        parse_line_into(&self.bytes, self.len, self.position, options, &mut entry)?;
        Ok((self.position, entry))
    }
}

/// One non-blank line of a JSON Lines stream framed into a caller's buffer
/// ([`JsonLinesReader::next_line_into`]), not yet parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFrame {
    /// Where the line is in the stream.
    pub position: LinePosition,
    /// The line's full length in bytes, without its newline.
    pub len: usize,
    /// Where its bytes are in the buffer: the line without its newline, at
    /// most the JSON limit and one byte of it. They hold a record: do not
    /// echo them.
    pub held: std::ops::Range<usize>,
}

impl LineFrame {
    /// The line's bytes in `buf` (the buffer it was framed into).
    pub fn bytes<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(self.held.clone()).unwrap_or_default()
    }

    /// Parses the line, found in `buf` (the buffer it was framed into), as
    /// one entry over `entry` (see [`json::from_json_into`]: the memory of
    /// an entry read before is reused), under `options` (those the reader
    /// framed it with). Errors carry the line's position, and leave `entry`
    /// empty.
    pub fn parse_into(
        &self,
        buf: &[u8],
        options: &JsonOptions,
        entry: &mut LogEntry,
    ) -> Result<()> {
        parse_line_into(self.bytes(buf), self.len, self.position, options, entry)
    }
}

/// Parses one framed line (`len` its full length, `bytes` what is held of
/// it) over `entry`.
fn parse_line_into(
    bytes: &[u8],
    len: usize,
    at: LinePosition,
    options: &JsonOptions,
    entry: &mut LogEntry,
) -> Result<()> {
    check_size("JSON line", len, options.limits.max_json_bytes)
        .and_then(|()| {
            std::str::from_utf8(bytes).map_err(|e| Error::Json {
                line: 1,
                column: e.valid_up_to() + 1,
                path: String::new(),
                message: "invalid UTF-8".into(),
            })
        })
        .and_then(|text| json::from_json_into(text.trim_end_matches('\r'), options, entry))
        .map_err(|e| {
            *entry = LogEntry::default();
            e.at_entry(at.index, at.offset, Some(at.line))
        })
}

/// Decodes a length-delimited stream pushed in chunks of any size, as they
/// arrive from a socket or from a file read in pieces: the push-based
/// counterpart of [`DelimitedReader`], for callers that are handed bytes
/// rather than a reader (event loops, JavaScript streams).
///
/// At most one incomplete entry is buffered beyond the chunk pushed last;
/// [`Limits`] bound it. Errors carry the entry index and byte offset, as
/// the reader's do: a body that does not decode is reported and skipped;
/// a broken length prefix or an oversized entry ends the stream.
///
/// ```
/// use lokryn_compliance_log::stream::{DelimitedDecoder, DelimitedWriter};
/// use lokryn_compliance_log::LogEntry;
///
/// let mut writer = DelimitedWriter::new(Vec::new());
/// writer.write(&LogEntry { actor_id: "alice".into(), ..Default::default() })?;
/// writer.write(&LogEntry { actor_id: "bob".into(), ..Default::default() })?;
/// let bytes = writer.into_inner();
///
/// let mut decoder = DelimitedDecoder::new();
/// let mut actors = Vec::new();
/// for chunk in bytes.chunks(3) {
///     decoder.push(chunk);
///     while let Some(entry) = decoder.next_entry() {
///         actors.push(entry?.actor_id);
///     }
/// }
/// decoder.finish()?;
/// assert_eq!(actors, ["alice", "bob"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct DelimitedDecoder {
    buf: Vec<u8>,
    /// Where the next entry starts in `buf`.
    start: usize,
    limits: Limits,
    index: u64,
    /// The stream offset of `buf[start]`.
    offset: u64,
    /// Set after an error that loses the framing.
    failed: bool,
}

impl DelimitedDecoder {
    /// A decoder with the default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that refuses entries over `limits.max_entry_bytes`.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// Bytes of the stream consumed so far (complete entries).
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Appends the next bytes of the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed {
            return;
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete entry, or `None` until more bytes are pushed (and
    /// for good after an error that loses the framing).
    pub fn next_entry(&mut self) -> Option<Result<LogEntry>> {
        if self.failed {
            return None;
        }
        let (index, offset) = (self.index, self.offset);
        let pending = self.buf.get(self.start..).unwrap_or_default();
        let (len, prefix) = match peek_varint(pending) {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(err) => return Some(Err(self.fail(err, index, offset))),
        };
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if let Err(err) = check_size("entry", len, self.limits.max_entry_bytes) {
            return Some(Err(self.fail(err, index, offset)));
        }
        let body = pending.get(prefix..prefix + len)?;
        let result =
            LogEntry::decode(body).map_err(|e| Error::from(e).at_entry(index, offset, None));
        self.start += prefix + len;
        self.offset += (prefix + len) as u64;
        self.index += 1;
        Some(result)
    }

    /// Ends the stream: an error when it stopped inside an entry.
    pub fn finish(&self) -> Result<()> {
        let pending = self.buf.get(self.start..).unwrap_or_default();
        if self.failed || pending.is_empty() {
            return Ok(());
        }
        let needed = match peek_varint(pending) {
            Ok(Some((len, prefix))) => (prefix as u64 + len).saturating_sub(pending.len() as u64),
            _ => 1,
        };
        Err(Error::Truncated { needed }.at_entry(self.index, self.offset, None))
    }

    fn fail(&mut self, err: Error, index: u64, offset: u64) -> Error {
        self.failed = true;
        self.buf = Vec::new();
        self.start = 0;
        err.at_entry(index, offset, None)
    }
}

/// Parses a varint length prefix at the start of `bytes`: its value and
/// length, `None` when `bytes` ends inside it.
fn peek_varint(bytes: &[u8]) -> Result<Option<(u64, usize)>> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let Some(&byte) = bytes.get(i) else {
            return Ok(None);
        };
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Err(Error::LengthPrefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor: &str) -> LogEntry {
        LogEntry {
            actor_id: actor.into(),
            ..Default::default()
        }
    }

    fn delimited(entries: &[LogEntry]) -> Vec<u8> {
        let mut w = DelimitedWriter::new(Vec::new());
        for e in entries {
            w.write(e).unwrap();
        }
        w.into_inner()
    }

    #[test]
    fn round_trips_and_reports_offsets() {
        let bytes = delimited(&[entry("a"), entry("bb"), LogEntry::default()]);
        let mut r = DelimitedReader::new(bytes.as_slice());
        let offsets: Vec<u64> = std::iter::from_fn(|| r.next_frame())
            .map(|f| f.unwrap().offset)
            .collect();
        // "a": tag + len + 1 byte = 3 bytes, plus a 1-byte prefix.
        assert_eq!(offsets, [0, 4, 9]);
        let back: Vec<LogEntry> = DelimitedReader::new(bytes.as_slice())
            .map(Result::unwrap)
            .collect();
        assert_eq!(back, [entry("a"), entry("bb"), LogEntry::default()]);
    }

    #[test]
    fn frames_held_in_one_buffer_are_the_frames_read_one_by_one() {
        let entries = [
            entry("a"),
            entry(&"b".repeat(300)),
            LogEntry::default(),
            entry("c"),
        ];
        let bytes = delimited(&entries);
        let mut r = DelimitedReader::new(bytes.as_slice());
        let one_by_one: Vec<Frame> = std::iter::from_fn(|| r.next_frame())
            .map(Result::unwrap)
            .collect();
        // A reader buffer smaller than an entry: entries arrive in pieces.
        let small = io::BufReader::with_capacity(7, bytes.as_slice());
        let mut reader = DelimitedReader::new(small);
        let mut buf = b"before".to_vec();
        let held: Vec<HeldFrame> = std::iter::from_fn(|| reader.next_frame_into(&mut buf))
            .map(Result::unwrap)
            .collect();
        assert_eq!(held.len(), entries.len());
        assert!(buf.starts_with(b"before"));
        for (h, f) in held.iter().zip(&one_by_one) {
            assert_eq!((h.index, h.offset), (f.index, f.offset));
            assert_eq!(h.bytes(&buf), f.bytes.as_slice());
        }
        assert_eq!(reader.position(), bytes.len() as u64);
    }

    #[test]
    fn a_truncated_frame_leaves_the_buffer_as_it_was() {
        let mut bytes = delimited(&[entry("a"), entry("bbbb")]);
        bytes.truncate(bytes.len() - 2);
        let small = io::BufReader::with_capacity(3, bytes.as_slice());
        let mut reader = DelimitedReader::new(small);
        let mut buf = Vec::new();
        let first = reader.next_frame_into(&mut buf).unwrap().unwrap();
        let kept = buf.clone();
        let err = reader.next_frame_into(&mut buf).unwrap().unwrap_err();
        assert_eq!(buf, kept);
        assert_eq!(first.bytes(&buf), &bytes[1..4]);
        let Error::Entry { source, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(matches!(**source, Error::Truncated { needed: 2 }), "{err}");
        assert!(reader.next_frame_into(&mut buf).is_none());
    }

    #[test]
    fn empty_input_has_no_entries() {
        assert_eq!(DelimitedReader::new(&b""[..]).count(), 0);
        assert_eq!(JsonLinesReader::new(&b"\n \n"[..]).count(), 0);
    }

    #[test]
    fn truncated_body_is_an_error_naming_the_entry_and_ends_the_stream() {
        let mut bytes = delimited(&[entry("a"), entry("bbbb")]);
        bytes.truncate(bytes.len() - 2);
        let results: Vec<_> = DelimitedReader::new(bytes.as_slice()).collect();
        assert_eq!(results.len(), 2);
        let err = results[1].as_ref().unwrap_err();
        assert_eq!(err.code(), "TRUNCATED");
        assert!(
            err.to_string()
                .starts_with("entry 1 (byte offset 4): truncated"),
            "{err}"
        );
    }

    #[test]
    fn undecodable_body_is_skipped_and_reading_goes_on() {
        let mut bytes = vec![2, 0xff, 0xff];
        bytes.extend(delimited(&[entry("ok")]));
        let results: Vec<_> = DelimitedReader::new(bytes.as_slice()).collect();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].as_ref().unwrap_err().code(), "DECODE");
        assert_eq!(results[1].as_ref().unwrap(), &entry("ok"));
    }

    #[test]
    fn oversized_length_prefix_is_refused_without_allocating() {
        let mut bytes = Vec::new();
        prost::encoding::encode_varint(u64::MAX, &mut bytes);
        let results: Vec<_> = DelimitedReader::new(bytes.as_slice()).collect();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].as_ref().unwrap_err().code(), "TOO_LARGE");
        let eleven = [0xffu8; 11];
        let err = DelimitedReader::new(&eleven[..])
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(err.code(), "LENGTH_PREFIX");
    }

    #[test]
    fn json_lines_report_line_numbers_and_continue() {
        let text = "{\"actorId\":\"a\"}\n\nnot json\n{\"actorId\":\"b\"}\r\n";
        let results: Vec<_> = JsonLinesReader::new(text.as_bytes()).collect();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0].as_ref().unwrap(), &entry("a"));
        let err = results[1].as_ref().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("entry 1 (line 3, byte offset 17): invalid JSON"),
            "{err}"
        );
        assert_eq!(results[2].as_ref().unwrap(), &entry("b"));
    }

    #[test]
    fn overlong_json_line_is_skipped_in_bounded_memory() {
        let options = JsonOptions {
            limits: Limits::with_max_entry_bytes(4),
            ..Default::default()
        };
        let text = format!("{}\n{{\"actorId\":\"b\"}}\n", "x".repeat(10_000));
        let mut reader = JsonLinesReader::with_options(text.as_bytes(), options);
        assert_eq!(reader.next().unwrap().unwrap_err().code(), "TOO_LARGE");
        assert!(reader.buf.capacity() < 1_000);
        assert_eq!(reader.next().unwrap().unwrap(), entry("b"));
    }

    /// Lines framed into one shared buffer are the lines `next_line` gives
    /// and parse, over one reused entry, to what `next_positioned` gives.
    #[test]
    fn lines_framed_into_one_buffer_are_the_lines_framed_one_by_one() {
        let options = JsonOptions {
            limits: Limits::with_max_entry_bytes(64),
            ..Default::default()
        };
        let text = format!(
            "  \n{{\"actorId\":\"a\",\"host\":\"h\"}}\n\n\t\r\nnot json\n{}\n{{\"actorId\":\"b\"}}\r\n\
             {{\"policyTags\":[\"x\"]}}\n  {{}}  \n{{\"actorId\":\"c\"}}",
            "x".repeat(1_000)
        );
        let mut lines = JsonLinesReader::with_options(text.as_bytes(), options);
        let mut framed = JsonLinesReader::with_options(text.as_bytes(), options);
        let mut entries = JsonLinesReader::with_options(text.as_bytes(), options);
        // Something in the buffer already, which the frames must skip.
        let mut buf = b"before".to_vec();
        let mut reused = entry("left over");
        let mut count = 0;
        while let Some(line) = lines.next_line() {
            let line = line.unwrap();
            let frame = framed.next_line_into(&mut buf).unwrap().unwrap();
            assert_eq!(frame.position, line.position);
            assert_eq!(frame.len, line.len);
            assert_eq!(frame.bytes(&buf), line.bytes.as_slice());
            assert_eq!(frame.held.end, buf.len());
            let parsed = frame
                .parse_into(&buf, &options, &mut reused)
                .map(|()| (frame.position, reused.clone()));
            let want = entries.next_positioned().unwrap();
            match (&parsed, &want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(got), Err(want)) => {
                    assert_eq!(got.to_string(), want.to_string());
                    assert_eq!(reused, LogEntry::default());
                }
                _ => panic!("{parsed:?} and {want:?}"),
            }
            count += 1;
        }
        assert_eq!(count, 7);
        assert!(framed.next_line_into(&mut buf).is_none());
        assert!(entries.next_positioned().is_none());
        // The overlong line is held to the limit and one byte.
        assert!(buf.starts_with(b"before"));
        assert!(buf.len() < 600, "{}", buf.len());
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(Format::sniff(b"  {\"a\":1}\n"), Format::JsonLines);
        assert_eq!(Format::sniff(b"{\"a\":1}\n{\"a\":2}\n"), Format::JsonLines);
        assert_eq!(Format::sniff(b"{\n  \"a\": 1\n}\n"), Format::Json);
        assert_eq!(Format::sniff(b"[{\"a\":1}]"), Format::Json);
        assert_eq!(Format::sniff(b"\x0a\x08"), Format::Delimited);
        // A 123-byte binary entry starts with `{`; its tag bytes give it away.
        assert_eq!(Format::sniff(b"{\x08\x01\x10\x01"), Format::Delimited);
        assert_eq!(Format::sniff(b""), Format::Delimited);
    }

    #[test]
    fn writers_refuse_what_readers_with_the_same_limits_refuse() {
        let entry = LogEntry {
            message: "m".repeat(100),
            ..Default::default()
        };
        let len = crate::codec::encode(&entry).len();
        let tight = Limits::with_max_entry_bytes(len - 1);
        let mut w = DelimitedWriter::with_limits(Vec::new(), tight);
        assert_eq!(w.write(&entry).unwrap_err().code(), "TOO_LARGE");
        let bytes = crate::codec::encode(&entry);
        assert_eq!(w.write_encoded(&bytes).unwrap_err().code(), "TOO_LARGE");
        assert!(w.into_inner().is_empty(), "nothing was written");
        assert_eq!(
            crate::codec::encode_with(&entry, &tight)
                .unwrap_err()
                .code(),
            "TOO_LARGE"
        );
        assert_eq!(
            json::to_json_with(&entry, &Limits::with_max_entry_bytes(20))
                .unwrap_err()
                .code(),
            "TOO_LARGE"
        );

        let fits = Limits::with_max_entry_bytes(len);
        let mut w = DelimitedWriter::with_limits(Vec::new(), fits);
        w.write(&entry).unwrap();
        let file = w.into_inner();
        let mut r = DelimitedReader::with_limits(file.as_slice(), fits);
        assert_eq!(r.next().unwrap().unwrap(), entry);
        let mut r = DelimitedReader::with_limits(file.as_slice(), tight);
        assert_eq!(r.next().unwrap().unwrap_err().code(), "TOO_LARGE");
        // The defaults agree too.
        assert_eq!(Limits::default(), Limits::DEFAULT);
    }
}
