//! Readers: the entries of the latest checkpoint, in index order, with filters.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use lokryn_compliance_log::{LogEntry, codec};

use super::writer::read_varint;
use super::{Config, ENTRIES, INDEX, io_error, read_checkpoint};
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

    /// Whether `entry` passes.
    pub fn matches(&self, entry: &LogEntry) -> bool {
        let time = entry.time.as_ref().map(|t| (t.seconds, t.nanos));
        if self
            .since
            .is_some_and(|since| time.is_none_or(|t| t < since))
        {
            return false;
        }
        if self
            .until
            .is_some_and(|until| time.is_none_or(|t| t >= until))
        {
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

    /// Reads the entries of `reader` that pass, calling `visit` with the
    /// raw entry and the decoded one; stops early when `visit` returns false.
    pub fn scan(
        &self,
        reader: &mut Reader,
        visit: &mut dyn FnMut(&RawEntry, &LogEntry) -> Result<bool>,
    ) -> Result<()> {
        let mut entry = LogEntry::default();
        let limits = codec::Limits::default();
        while let Some(raw) = reader.next_raw()? {
            codec::decode_into(&raw.bytes, &limits, &mut entry).map_err(|e| {
                Error::at(
                    "UNREADABLE",
                    format!("entry {}: {e}", raw.index),
                    raw.index,
                    Some(raw.offset),
                )
            })?;
            if self.matches(&entry) && !visit(&raw, &entry)? {
                break;
            }
        }
        Ok(())
    }
}
