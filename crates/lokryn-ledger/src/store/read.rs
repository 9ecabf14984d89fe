//! Readers: the entries of the latest checkpoint, in index order, with filters.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use lokryn_compliance_log::access::{Access, FieldRef};
use lokryn_compliance_log::view::{self, LogEntryView};
use lokryn_compliance_log::{LogEntry, codec};

use super::writer::read_varint;
use super::{Config, ENTRIES, INDEX, io_error, read_checkpoint, split_varint};
use crate::{Error, Result};

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// Its index.
    pub index: u64,
    /// Its byte offset in `entries.ldpb` (of the length prefix).
    pub offset: u64,
    /// The exact stored bytes (the leaf).
    pub bytes: Vec<u8>,
}

/// The largest entry a reader accepts.
const MAX_ENTRY: u64 = 1 << 30;

/// An entry found in a [`Blocks`] buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    /// Its index.
    pub(crate) index: u64,
    /// The byte offset of its length prefix in `entries.ldpb`.
    pub(crate) offset: u64,
    /// Where its bytes are in [`Blocks::buf`].
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Frame {
    /// The stored entry, its `bytes` copied.
    fn raw(&self, bytes: &[u8]) -> RawEntry {
        RawEntry {
            index: self.index,
            offset: self.offset,
            bytes: bytes.to_vec(),
        }
    }

    /// The byte offset in `entries.ldpb` just past the entry.
    pub(crate) fn end_offset(&self, base: u64) -> u64 {
        base + self.end as u64
    }
}

/// Reads `entries.ldpb` in large blocks and hands out whole entries in
/// place (no copy, no allocation per entry).
#[derive(Debug)]
pub(crate) struct Blocks {
    file: File,
    buf: Vec<u8>,
    /// The next byte to parse in `buf`.
    pos: usize,
    /// Bytes of `buf` read from the file.
    len: usize,
    /// The file offset of `buf[0]`.
    base: u64,
    eof: bool,
    next: u64,
    size: u64,
}

impl Blocks {
    /// Reads the entries from `next` (at byte `offset`) up to `size`.
    pub(crate) fn open_at(dir: &Path, size: u64, next: u64, offset: u64) -> Result<Self> {
        let path = dir.join(ENTRIES);
        let mut file = File::open(&path).map_err(|e| io_error(&path, &e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(&path, &e))?;
        Ok(Self {
            file,
            buf: vec![0u8; 4 << 20],
            pos: 0,
            len: 0,
            base: offset,
            eof: false,
            next,
            size,
        })
    }

    /// The buffer the frames of the last batch point into.
    pub(crate) fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// The file offset of `buf()[0]`.
    pub(crate) fn base(&self) -> u64 {
        self.base
    }

    /// The next entry index.
    pub(crate) fn next_index(&self) -> u64 {
        self.next
    }

    /// The next batch of whole entries (at most `max`, at least one unless
    /// all were read). A torn or missing entry is reported by the call
    /// after the entries before it were returned.
    pub(crate) fn batch(&mut self, max: usize, out: &mut Vec<Frame>) -> Result<()> {
        out.clear();
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.base += self.pos as u64;
            self.len -= self.pos;
            self.pos = 0;
        }
        loop {
            while !self.eof && self.len < self.buf.len() {
                let room = self.buf.get_mut(self.len..).unwrap_or_default();
                match self.file.read(room) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.len += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(Error::at(
                            "IO",
                            format!("{ENTRIES}: {e}"),
                            self.next,
                            Some(self.base + self.pos as u64),
                        ));
                    }
                }
            }
            let mut p = self.pos;
            let mut need = 0usize;
            while out.len() < max && self.next < self.size {
                let avail = self.buf.get(p..self.len).unwrap_or_default();
                let (index, offset) = (self.next, self.base + p as u64);
                match split_varint(avail) {
                    Some((len, n)) => {
                        if len > MAX_ENTRY {
                            return Err(Error::at(
                                "TRUNCATED",
                                format!("entry {index} claims {len} bytes"),
                                index,
                                Some(offset),
                            ));
                        }
                        let total = n + usize::try_from(len).unwrap_or(usize::MAX);
                        if total <= avail.len() {
                            out.push(Frame {
                                index,
                                offset,
                                start: p + n,
                                end: p + total,
                            });
                            p += total;
                            self.next += 1;
                            continue;
                        }
                        need = total;
                    }
                    None if avail.len() >= 10 => {
                        return Err(Error::at(
                            "TRUNCATED",
                            format!("entry {index}: varint too long"),
                            index,
                            Some(offset),
                        ));
                    }
                    None => need = avail.len() + 1,
                }
                // The entry at `p` is not whole in the buffer.
                if !out.is_empty() {
                    break;
                }
                if self.eof {
                    return Err(Error::at(
                        "TRUNCATED",
                        if avail.is_empty() {
                            format!(
                                "entry {index} is missing: the entry file ends at byte {offset}"
                            )
                        } else {
                            format!(
                                "entry {index} is cut short at byte {}",
                                self.base + self.len as u64
                            )
                        },
                        index,
                        Some(offset),
                    ));
                }
                break;
            }
            if !out.is_empty() || self.next >= self.size {
                self.pos = p;
                return Ok(());
            }
            // Nothing whole: the entry is larger than the buffer (pos is 0 here).
            let want = need.max(self.buf.len() * 2);
            self.buf.resize(want, 0);
        }
    }
}

/// Reads the entries a checkpoint covers. Runs beside the writer: it sees
/// the prefix of the checkpoint it opened, never a torn entry.
#[derive(Debug)]
pub struct Reader {
    dir: PathBuf,
    size: u64,
    data: BufReader<File>,
    next: u64,
    offset: u64,
}

impl Reader {
    /// Opens the ledger at its latest checkpoint (signature checked).
    pub fn open(dir: &Path) -> Result<Self> {
        let config = Config::load(dir)?;
        let (cp, _) = read_checkpoint(dir, &config.verifier()?)?;
        Self::open_unchecked(dir, cp.size)
    }

    /// Opens the first `size` entries without reading a checkpoint.
    pub(crate) fn open_unchecked(dir: &Path, size: u64) -> Result<Self> {
        let path = dir.join(ENTRIES);
        let data = File::open(&path).map_err(|e| io_error(&path, &e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            size,
            data: BufReader::with_capacity(256 * 1024, data),
            next: 0,
            offset: 0,
        })
    }

    /// Entries in the checkpoint this reader opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The stored bytes of entry `index`.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        if index >= self.size {
            return Err(Error::new(
                "RANGE",
                format!("entry {index} is past the tree size {}", self.size),
            ));
        }
        let idx_path = self.dir.join(INDEX);
        let mut idx = File::open(&idx_path).map_err(|e| io_error(&idx_path, &e))?;
        let start = if index == 0 {
            0
        } else {
            super::read_index_at(&mut idx, index - 1).map_err(|e| io_error(&idx_path, &e))?
        };
        let path = self.dir.join(ENTRIES);
        let mut f = File::open(&path).map_err(|e| io_error(&path, &e))?;
        f.seek(SeekFrom::Start(start))
            .map_err(|e| io_error(&path, &e))?;
        let mut r = BufReader::new(f);
        let (len, _) = read_varint(&mut r)
            .map_err(|e| io_error(&path, &e))?
            .ok_or_else(|| {
                Error::at("TRUNCATED", "the entry file ends here", index, Some(start))
            })?;
        let mut bytes = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX).min(1 << 30)];
        r.read_exact(&mut bytes).map_err(|e| {
            Error::at(
                "TRUNCATED",
                format!("entry {index}: {e}"),
                index,
                Some(start),
            )
        })?;
        Ok(bytes)
    }

    /// Moves to entry `index` (reading the index file once).
    pub fn seek(&mut self, index: u64) -> Result<()> {
        let index = index.min(self.size);
        let offset = if index == 0 {
            0
        } else {
            let idx_path = self.dir.join(INDEX);
            let mut idx = File::open(&idx_path).map_err(|e| io_error(&idx_path, &e))?;
            super::read_index_at(&mut idx, index - 1).map_err(|e| io_error(&idx_path, &e))?
        };
        let path = self.dir.join(ENTRIES);
        self.data
            .seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(&path, &e))?;
        self.next = index;
        self.offset = offset;
        Ok(())
    }

    /// The next entry's stored bytes, or `None` after the last.
    pub fn next_raw(&mut self) -> Result<Option<RawEntry>> {
        if self.next >= self.size {
            return Ok(None);
        }
        let (index, offset) = (self.next, self.offset);
        let torn = |m: String| Error::at("TRUNCATED", m, index, Some(offset));
        let (len, n) = read_varint(&mut self.data)
            .map_err(|e| torn(format!("entry {index}: {e}")))?
            .ok_or_else(|| {
                torn(format!(
                    "entry {index} is missing: the entry file ends at byte {offset}"
                ))
            })?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l <= 1 << 30)
            .ok_or_else(|| torn(format!("entry {index} claims {len} bytes")))?;
        let mut bytes = vec![0u8; len];
        self.data
            .read_exact(&mut bytes)
            .map_err(|e| torn(format!("entry {index} is cut short: {e}")))?;
        self.next += 1;
        self.offset += n + len as u64;
        Ok(Some(RawEntry {
            index,
            offset,
            bytes,
        }))
    }
}

/// Which entries `read` returns. Every set field must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// At or after this time (seconds, nanos since the epoch).
    pub since: Option<(i64, i32)>,
    /// Before this time.
    pub until: Option<(i64, i32)>,
    /// `actorId` equal to this.
    pub actor: Option<String>,
    /// `eventType` equal to this (enum value).
    pub event_type: Option<i32>,
    /// `outcome` equal to this.
    pub outcome: Option<i32>,
    /// `component` equal to this.
    pub component: Option<String>,
    /// `resource` equal to this.
    pub resource: Option<String>,
}

impl Filter {
    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.actor.is_none()
            && self.event_type.is_none()
            && self.outcome.is_none()
            && self.component.is_none()
            && self.resource.is_none()
    }

    /// Whether an entry stamped `time` (none: unset) is within `since`
    /// and `until`.
    fn in_time(&self, time: Option<(i64, i32)>) -> bool {
        self.since
            .is_none_or(|since| time.is_some_and(|t| t >= since))
            && self
                .until
                .is_none_or(|until| time.is_some_and(|t| t < until))
    }

    /// Whether the decoded `entry` passes.
    pub fn matches(&self, entry: &LogEntry) -> bool {
        if !self.in_time(entry.time.as_ref().map(|t| (t.seconds, t.nanos))) {
            return false;
        }
        self.actor.as_ref().is_none_or(|a| *a == entry.actor_id)
            && self.event_type.is_none_or(|e| e == entry.event_type)
            && self.outcome.is_none_or(|o| o == entry.outcome)
            && self
                .component
                .as_ref()
                .is_none_or(|c| *c == entry.component)
            && self.resource.as_ref().is_none_or(|r| *r == entry.resource)
    }

    /// Whether `entry`, read through [`Access`] (a [`LogEntryView`] of the
    /// stored bytes, or a decoded [`LogEntry`]), passes; the same verdict as
    /// [`Filter::matches`] on the decoded entry.
    pub fn matches_access(&self, entry: &dyn Access) -> bool {
        let time = match entry.field(field::TIME) {
            FieldRef::Timestamp(t) => t.map(|t| (t.seconds, t.nanos)),
            _ => None,
        };
        if !self.in_time(time) {
            return false;
        }
        let text = |number| match entry.field(number) {
            FieldRef::Str(s) => s,
            _ => "",
        };
        let number = |number| match entry.field(number) {
            FieldRef::Enum(n) => n.unwrap_or_default(),
            _ => 0,
        };
        self.actor
            .as_ref()
            .is_none_or(|a| a == text(field::ACTOR_ID))
            && self
                .event_type
                .is_none_or(|e| e == number(field::EVENT_TYPE))
            && self.outcome.is_none_or(|o| o == number(field::OUTCOME))
            && self
                .component
                .as_ref()
                .is_none_or(|c| c == text(field::COMPONENT))
            && self
                .resource
                .as_ref()
                .is_none_or(|r| r == text(field::RESOURCE))
    }

    /// Reads the entries of `reader` that pass, calling `visit` with the
    /// raw entry and the decoded one; stops early when `visit` returns false.
    /// The filter looks at a borrowed view of each entry
    /// ([`Filter::scan_views`]): only the entries that pass are decoded.
    pub fn scan(
        &self,
        reader: &mut Reader,
        visit: &mut dyn FnMut(&RawEntry, &LogEntry) -> Result<bool>,
    ) -> Result<()> {
        let mut entry = LogEntry::default();
        let limits = codec::Limits::default();
        let decode = |raw: &RawEntry, entry: &mut LogEntry| {
            codec::decode_into(&raw.bytes, &limits, entry)
                .map_err(|e| unreadable(raw.index, raw.offset, &e))
        };
        if self.is_empty() {
            // Every entry passes: no view to read first.
            return self.frames(reader, &mut |f, bytes| {
                let raw = f.raw(bytes);
                decode(&raw, &mut entry)?;
                visit(&raw, &entry)
            });
        }
        self.scan_views(reader, &mut |raw, _| {
            // The view reader accepts exactly what the decoder accepts, so
            // this fails only if that ever stops holding.
            decode(raw, &mut entry)?;
            visit(raw, &entry)
        })
    }

    /// Reads the entries of `reader` that pass, calling `visit` with the
    /// raw entry and a borrowed view of it (no entry is decoded); stops
    /// early when `visit` returns false. With an actor, component or
    /// resource to match, an entry whose bytes do not contain that string is
    /// passed over without being read (so an unreadable entry is reported
    /// only when it could match; `verify` checks every entry).
    pub fn scan_views(
        &self,
        reader: &mut Reader,
        visit: &mut dyn FnMut(&RawEntry, &LogEntryView<'_>) -> Result<bool>,
    ) -> Result<()> {
        let limits = codec::Limits::default();
        self.frames(reader, &mut |f, bytes| {
            let entry =
                view::decode(bytes, &limits).map_err(|e| unreadable(f.index, f.offset, &e))?;
            Ok(!self.matches_access(&entry) || visit(&f.raw(bytes), &entry)?)
        })
    }

    /// Calls `visit` with each entry of `reader` whose bytes hold the
    /// strings the filter asks for; stops early when `visit` returns false,
    /// leaving `reader` just past that entry.
    fn frames(
        &self,
        reader: &mut Reader,
        visit: &mut dyn FnMut(&Frame, &[u8]) -> Result<bool>,
    ) -> Result<()> {
        // A string the filter asks for is stored verbatim in the protobuf
        // bytes of an entry that has it: entries without those bytes are
        // skipped without reading them.
        let needles: Vec<memchr::memmem::Finder<'_>> =
            [&self.actor, &self.component, &self.resource]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .map(|s| memchr::memmem::Finder::new(s.as_bytes()))
                .collect();
        let mut blocks = Blocks::open_at(&reader.dir, reader.size, reader.next, reader.offset)?;
        let mut frames = Vec::with_capacity(4096);
        loop {
            blocks.batch(4096, &mut frames)?;
            if frames.is_empty() {
                break;
            }
            let buf = blocks.buf();
            for f in &frames {
                let bytes = buf.get(f.start..f.end).unwrap_or_default();
                if !needles.iter().all(|n| n.find(bytes).is_some()) {
                    continue;
                }
                if !visit(f, bytes)? {
                    // Leave the reader just past this entry.
                    reader.seek(f.index + 1)?;
                    return Ok(());
                }
            }
        }
        reader.next = blocks.next_index();
        reader.offset = blocks.base() + blocks.pos as u64;
        Ok(())
    }
}

/// The numbers of the `LogEntry` fields a [`Filter`] reads (proto/).
mod field {
    pub(super) const EVENT_TYPE: u32 = 1;
    pub(super) const OUTCOME: u32 = 2;
    pub(super) const ACTOR_ID: u32 = 4;
    pub(super) const COMPONENT: u32 = 5;
    pub(super) const RESOURCE: u32 = 7;
    pub(super) const TIME: u32 = 12;
}

/// The error for an entry that does not decode.
fn unreadable(index: u64, offset: u64, e: &lokryn_compliance_log::Error) -> Error {
    Error::at(
        "UNREADABLE",
        format!("entry {index}: {e}"),
        index,
        Some(offset),
    )
}
