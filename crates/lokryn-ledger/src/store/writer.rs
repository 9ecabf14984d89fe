//! The single writer: append, group commit, publishing, crash recovery.
//!
//! A commit is acknowledged after one `fdatasync`: that of the record it
//! appends to `journal` (the staged entries, framed as in `entries.ldpb`,
//! under a header with their first index, count and a SHA-256 checksum).
//! The same bytes are written to `entries.ldpb` and `entries.idx` without a
//! sync. Publishing (at most a second after a commit by default, after
//! 2^18 unpublished entries, when the writer is dropped, or on
//! [`Writer::publish`]) syncs those two files, writes the new hash tiles
//! (each synced, in parallel), signs a checkpoint, and empties the journal.
//! Opening a writer replays the journal records past the latest checkpoint
//! and publishes them: everything acknowledged is in the next checkpoint.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lokryn_compliance_log::redact::{RedactOptions, redact};
use lokryn_compliance_log::validate::{Options, validate_with};
use lokryn_compliance_log::{LogEntry, codec};
use sha2::{Digest, Sha256};

use super::{
    CHECKPOINT, Config, DirTiles, ENTRIES, INDEX, JOURNAL, LOCK, create_dir_synced, io_error,
    open_rw, read_checkpoint, split_varint, store_checkpoint, sync_dir,
};
use crate::checkpoint::Checkpoint;
use crate::merkle::{HASH_SIZE, Hash, leaf_hash};
use crate::note::Signer;
use crate::tiles::{TILE_HEIGHT, TILE_WIDTH, Tile, TileBuilder, tile_path};
use crate::{Error, Result};

/// How entries are taken in.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// Store entries that fail the ledger's profiles instead of refusing them.
    pub allow_invalid: bool,
    /// Redact sensitive data before storing (with these options).
    pub redact: Option<RedactOptions>,
}

/// The journal record header: magic, reserved, first index, count, payload
/// length (little-endian u32, u32, u64, u64, u64), then the SHA-256 of those
/// 32 bytes followed by the leaf hashes of the record's entries.
pub(crate) const JOURNAL_HEADER: usize = 64;
const JOURNAL_MAGIC: [u8; 4] = *b"LKJ1";
/// Publish at the latest once this many acknowledged entries are unpublished.
const PUBLISH_ENTRIES: u64 = 1 << 18;
/// Publish at the latest once the journal holds this many bytes.
const PUBLISH_JOURNAL_BYTES: u64 = 64 << 20;
/// The default longest time between a commit and the checkpoint covering it.
const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);
/// Threads that write (and sync) tiles at once.
const TILE_WRITERS: usize = 16;

/// The one writer of a ledger. Holds the lock until dropped.
#[derive(Debug)]
pub struct Writer {
    dir: PathBuf,
    config: Config,
    signer: Signer,
    options: Options,
    append: AppendOptions,
    /// The lock file, held locked for the writer's life.
    _lock: File,
    data: File,
    idx: File,
    journal: File,
    /// Entries acknowledged (durable in the journal or published).
    size: u64,
    /// Bytes of entries.ldpb the acknowledged entries take.
    data_len: u64,
    /// The size of the latest signed checkpoint.
    signed_size: u64,
    /// Bytes of the journal.
    journal_len: u64,
    /// The tree, including staged entries.
    builder: TileBuilder,
    /// The tree at `size` while entries are staged (to drop them).
    committed: Option<TileBuilder>,
    /// Full tiles acknowledged entries finished, not yet written.
    unwritten: Vec<Tile>,
    /// A journal header's room, then the staged entries as framed in entries.ldpb.
    pending_data: Vec<u8>,
    pending_idx: Vec<u8>,
    /// The leaf hashes of the staged entries.
    pending_leaves: Vec<Hash>,
    pending: u64,
    last_publish: Instant,
    publish_interval: Duration,
    /// Set when an I/O error left the files in an unknown state: reopen.
    poisoned: Option<Error>,
    scratch: Vec<u8>,
}

/// Who holds the lock, as written in the lock file.
fn holder_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into());
    format!(
        "pid {} on {host} ({}) since unix time {secs}\n",
        std::process::id(),
        std::env::args().next().unwrap_or_default()
    )
}

fn take_lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK);
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io_error(&path, &e))?;
    match f.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = f.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(Error::new(
                "LOCKED",
                format!(
                    "{}: another writer holds the ledger: {}",
                    dir.display(),
                    if holder.is_empty() {
                        "(holder unknown)"
                    } else {
                        holder
                    }
                ),
            ));
        }
        Err(fs::TryLockError::Error(e)) => return Err(io_error(&path, &e)),
    }
    f.set_len(0).map_err(|e| io_error(&path, &e))?;
    f.write_all(holder_text().as_bytes())
        .map_err(|e| io_error(&path, &e))?;
    f.sync_data().map_err(|e| io_error(&path, &e))?;
    Ok(f)
}

/// Reads a varint at the reader's position; `None` at a clean end of file.
pub(crate) fn read_varint<R: Read>(r: &mut R) -> io::Result<Option<(u64, u64)>> {
    let mut value = 0u64;
    let mut byte = [0u8; 1];
    for i in 0..10u32 {
        if r.read(&mut byte)? == 0 {
            return if i == 0 {
                Ok(None)
            } else {
                Err(io::Error::new(io::ErrorKind::UnexpectedEof, "torn length"))
            };
        }
        let [b] = byte;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, u64::from(i) + 1)));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "varint too long",
    ))
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        #[allow(clippy::cast_possible_truncation)]
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(v as u8);
}

/// Reads the partial tiles of a tree of `size` entries.
fn load_partials(dir: &Path, size: u64) -> Option<Vec<Vec<Hash>>> {
    let mut out = Vec::new();
    let mut level = 0u32;
    while size.checked_shr(level * TILE_HEIGHT).unwrap_or(0) > 0 {
        let at = size >> (level * TILE_HEIGHT);
        let width = at % TILE_WIDTH;
        let mut hashes = Vec::new();
        if width > 0 {
            let bytes = fs::read(dir.join(tile_path(level, at / TILE_WIDTH, width))).ok()?;
            if bytes.len() as u64 != width * HASH_SIZE as u64 {
                return None;
            }
            for c in bytes.chunks_exact(HASH_SIZE) {
                let mut h = [0u8; HASH_SIZE];
                h.copy_from_slice(c);
                hashes.push(h);
            }
        }
        out.push(hashes);
        level += 1;
    }
    Some(out)
}

/// The header of a journal record for the entries from `first` whose leaf
/// hashes are `leaves`, framed in `payload_len` bytes.
fn journal_header(first: u64, leaves: &[Hash], payload_len: usize) -> [u8; JOURNAL_HEADER] {
    let count = leaves.len() as u64;
    let mut fixed = Vec::with_capacity(32);
    fixed.extend_from_slice(&JOURNAL_MAGIC);
    fixed.extend_from_slice(&[0u8; 4]);
    fixed.extend_from_slice(&first.to_le_bytes());
    fixed.extend_from_slice(&count.to_le_bytes());
    fixed.extend_from_slice(&(payload_len as u64).to_le_bytes());
    let mut sha = Sha256::new();
    sha.update(&fixed);
    for l in leaves {
        sha.update(l);
    }
    let sum: [u8; 32] = sha.finalize().into();
    let mut out = [0u8; JOURNAL_HEADER];
    for (d, s) in out.iter_mut().zip(fixed.iter().chain(&sum)) {
        *d = *s;
    }
    out
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_le_bytes)
}

/// A record of the journal: entries from `first`, with their leaf hashes.
#[derive(Debug)]
pub(crate) struct JournalRecord<'a> {
    pub(crate) first: u64,
    pub(crate) entries: Vec<&'a [u8]>,
    pub(crate) leaves: Vec<Hash>,
}

/// The records of a journal, in order, up to the first one that is torn or
/// fails its checksum (a commit a crash cut short, never acknowledged, or
/// the bytes of an older record the journal's reuse left behind).
pub(crate) fn journal_records(mut rest: &[u8]) -> Vec<JournalRecord<'_>> {
    let mut out = Vec::new();
    while let Some((head, tail)) = rest.split_at_checked(JOURNAL_HEADER) {
        if head.get(..4) != Some(JOURNAL_MAGIC.as_slice()) {
            break;
        }
        let Ok(len) = usize::try_from(le_u64(head, 24)) else {
            break;
        };
        let Some((payload, tail)) = tail.split_at_checked(len) else {
            break;
        };
        let (first, count) = (le_u64(head, 8), le_u64(head, 16));
        let Some(entries) = frames(payload).filter(|f| f.len() as u64 == count) else {
            break;
        };
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        if journal_header(first, &leaves, len).as_slice() != head {
            break;
        }
        out.push(JournalRecord {
            first,
            entries,
            leaves,
        });
        rest = tail;
    }
    out
}

/// The entries framed in `payload` (varint length, bytes), or `None` when
/// the framing is broken.
pub(crate) fn frames(mut payload: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !payload.is_empty() {
        let (len, n) = split_varint(payload)?;
        let len = usize::try_from(len).ok()?;
        let body = payload.get(n..n.checked_add(len)?)?;
        out.push(body);
        payload = payload.get(n + len..)?;
    }
    Some(out)
}

/// Writes and syncs tiles, several at once (each through a temporary name,
/// so that readers never see a torn tile), then syncs the directories that
/// received new names.
fn write_tiles(dir: &Path, tiles: &[Tile]) -> Result<()> {
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut made: BTreeSet<PathBuf> = BTreeSet::new();
    let mut jobs: Vec<(PathBuf, Vec<u8>)> = Vec::with_capacity(tiles.len());
    for t in tiles {
        let path = dir.join(t.path());
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if !made.contains(&parent) {
            create_dir_synced(&parent)?;
            made.insert(parent.clone());
        }
        let bytes = t.bytes();
        // A partial tile above level 0 is the same for many sizes: leave
        // it alone when it is already there, so that a tile an
        // acknowledged checkpoint relies on is never rewritten.
        if fs::read(&path).is_ok_and(|old| old == bytes) {
            continue;
        }
        dirs.insert(parent);
        jobs.push((path, bytes));
    }
    let write_one = |(path, bytes): &(PathBuf, Vec<u8>)| -> Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("tile");
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        let mut f = File::create(&tmp).map_err(|e| io_error(&tmp, &e))?;
        f.write_all(bytes).map_err(|e| io_error(&tmp, &e))?;
        f.sync_data().map_err(|e| io_error(&tmp, &e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| io_error(path, &e))
    };
    let threads = jobs.len().min(TILE_WRITERS);
    if threads <= 1 {
        jobs.iter().try_for_each(write_one)?;
    } else {
        // Syncs issued together share the file system's journal commits.
        let per = jobs.len().div_ceil(threads);
        let results: Vec<Result<()>> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(per)
                .map(|chunk| s.spawn(move || chunk.iter().try_for_each(write_one)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::new("IO", "a tile writer panicked")))
                })
                .collect()
        });
        for r in results {
            r?;
        }
    }
    for d in &dirs {
        sync_dir(d)?;
    }
    Ok(())
}

/// Recomputes every tile of the first `size` entries (after a crash lost
/// tiles) and checks the root.
fn rebuild_tiles(dir: &Path, size: u64, root: &Hash) -> Result<TileBuilder> {
    let mut builder = TileBuilder::new();
    let mut reader = super::Reader::open_unchecked(dir, size)?;
    let mut full = Vec::new();
    while let Some(entry) = reader.next_raw()? {
        builder.push(leaf_hash(&entry.bytes));
        full.extend(builder.take_full());
        if full.len() >= 1024 {
            write_tiles(dir, &full)?;
            full.clear();
        }
    }
    if builder.root() != *root {
        return Err(Error::new(
            "CORRUPT",
            "the entries do not give the latest checkpoint's root; run verify to find the change",
        ));
    }
    full.extend(builder.partials());
    write_tiles(dir, &full)?;
    Ok(builder)
}

impl Writer {
    /// Opens the ledger in `dir` for appending: takes the lock, discards
    /// what was never acknowledged, checks that the tree still gives the
    /// latest checkpoint's root, and publishes the entries a previous writer
    /// acknowledged (in its journal) but did not publish.
    pub fn open(dir: &Path, append: AppendOptions) -> Result<Self> {
        let config = Config::load(dir)?;
        let lock = take_lock(dir)?;
        let signer = super::load_signer(&config.private_key_file)?;
        if signer.verifier().to_text() != config.public_key {
            return Err(Error::new(
                "BAD_KEY",
                format!(
                    "{}: not the private key of this ledger's public key",
                    config.private_key_file.display()
                ),
            ));
        }
        let options = Options::for_profiles(&config.profiles)
            .map_err(|e| Error::new("BAD_CONFIG", e.to_string()))?;
        let (cp, text) = read_checkpoint(dir, &signer.verifier())?;
        // The checkpoint under checkpoints/ is written second; make sure it is there.
        if super::checkpoint_at(dir, cp.size).ok().as_deref() != Some(text.as_str()) {
            super::write_atomic(
                &dir.join(super::CHECKPOINTS),
                &cp.size.to_string(),
                text.as_bytes(),
            )?;
        }
        let data_path = dir.join(ENTRIES);
        let idx_path = dir.join(INDEX);
        let data = open_rw(&data_path)?;
        let mut idx = open_rw(&idx_path)?;
        let data_len = if cp.size == 0 {
            0
        } else {
            super::read_index_at(&mut idx, cp.size - 1).map_err(|e| {
                Error::new(
                    "CORRUPT",
                    format!(
                        "{}: cannot read the end of entry {} ({e}): acknowledged data is missing; run verify",
                        idx_path.display(),
                        cp.size - 1
                    ),
                )
            })?
        };
        let on_disk = data.metadata().map_err(|e| io_error(&data_path, &e))?.len();
        if on_disk < data_len {
            return Err(Error::at(
                "CORRUPT",
                format!(
                    "{}: {on_disk} bytes, but the checkpoint covers {data_len}: acknowledged entries are missing",
                    data_path.display()
                ),
                cp.size,
                Some(on_disk),
            ));
        }
        // What lies past the checkpoint is either in the journal (and
        // written again from there) or was never acknowledged.
        let idx_len = idx.metadata().map_err(|e| io_error(&idx_path, &e))?.len();
        if on_disk > data_len || idx_len > cp.size * 8 {
            data.set_len(data_len)
                .map_err(|e| io_error(&data_path, &e))?;
            idx.set_len(cp.size * 8)
                .map_err(|e| io_error(&idx_path, &e))?;
            data.sync_all().map_err(|e| io_error(&data_path, &e))?;
            idx.sync_all().map_err(|e| io_error(&idx_path, &e))?;
        }
        let journal_path = dir.join(JOURNAL);
        let existed = journal_path.exists();
        let journal = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&journal_path)
            .map_err(|e| io_error(&journal_path, &e))?;
        if !existed {
            sync_dir(dir)?;
        }
        let builder =
            match load_partials(dir, cp.size).and_then(|p| TileBuilder::resume(cp.size, p).ok()) {
                Some(b) if b.root() == cp.root => b,
                _ => rebuild_tiles(dir, cp.size, &cp.root)?,
            };
        let mut pending_data = Vec::with_capacity(1 << 16);
        pending_data.resize(JOURNAL_HEADER, 0);
        let mut w = Self {
            dir: dir.to_path_buf(),
            config,
            signer,
            options,
            append,
            _lock: lock,
            data,
            idx,
            journal,
            size: cp.size,
            data_len,
            signed_size: cp.size,
            journal_len: 0,
            builder,
            committed: None,
            unwritten: Vec::new(),
            pending_data,
            pending_idx: Vec::new(),
            pending_leaves: Vec::new(),
            pending: 0,
            last_publish: Instant::now(),
            publish_interval: PUBLISH_INTERVAL,
            poisoned: None,
            scratch: Vec::new(),
        };
        w.replay_journal()?;
        Ok(w)
    }

    /// Writes the entries of the journal past the latest checkpoint to the
    /// entry files and publishes them; then empties the journal.
    fn replay_journal(&mut self) -> Result<()> {
        let path = self.dir.join(JOURNAL);
        let mut bytes = Vec::new();
        (&self.journal)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&path, &e))?;
        if bytes.is_empty() {
            return Ok(());
        }
        let mut data = Vec::new();
        let mut idx = Vec::new();
        'records: for rec in journal_records(&bytes) {
            for ((index, entry), leaf) in (rec.first..).zip(rec.entries).zip(rec.leaves) {
                if index < self.size {
                    continue; // published already
                }
                if index > self.size {
                    break 'records; // a gap: nothing after it can be placed
                }
                self.builder.push(leaf);
                put_varint(entry.len() as u64, &mut data);
                data.extend_from_slice(entry);
                let end = self.data_len + data.len() as u64;
                idx.extend_from_slice(&end.to_le_bytes());
                self.size += 1;
            }
        }
        // The journal is reused from its start (see `publish_inner`).
        self.journal_len = 0;
        if !data.is_empty() {
            let data_path = self.dir.join(ENTRIES);
            let idx_path = self.dir.join(INDEX);
            self.data
                .write_all_at(&data, self.data_len)
                .map_err(|e| io_error(&data_path, &e))?;
            self.idx
                .write_all_at(&idx, self.signed_size * 8)
                .map_err(|e| io_error(&idx_path, &e))?;
            self.data_len += data.len() as u64;
            self.unwritten.extend(self.builder.take_full());
            self.publish()?;
        }
        Ok(())
    }

    /// The ledger's settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Entries acknowledged so far (durable; published or about to be).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Entries in the latest signed checkpoint (what readers see).
    pub fn signed_size(&self) -> u64 {
        self.signed_size
    }

    /// Entries added but not yet committed.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Sets the longest time between a commit and the checkpoint that
    /// covers it (default one second; zero publishes at every commit).
    pub fn set_publish_interval(&mut self, interval: Duration) {
        self.publish_interval = interval;
    }

    fn check_poisoned(&self) -> Result<()> {
        match &self.poisoned {
            None => Ok(()),
            Some(e) => Err(Error::new(
                e.code,
                format!(
                    "the writer stopped after an earlier failure ({}); reopen the ledger, which keeps every acknowledged entry",
                    e.message
                ),
            )),
        }
    }

    /// Validates (and optionally redacts) `entry` and stages it; returns the
    /// index it will have. It is not durable until [`Writer::commit`].
    pub fn add(&mut self, entry: &LogEntry) -> Result<u64> {
        self.check_poisoned()?;
        let redacted;
        let entry = match &self.append.redact {
            Some(opts) => {
                redacted = redact(entry, opts).entry;
                &redacted
            }
            None => entry,
        };
        let index = self.size + self.pending;
        if !self.append.allow_invalid {
            let report = validate_with(entry, &self.options);
            if !report.is_valid() {
                let why: Vec<String> = report
                    .errors()
                    .map(|v| {
                        if v.field.is_empty() {
                            format!("{} ({})", v.message, v.rule_id)
                        } else {
                            format!("{}: {} ({})", v.field, v.message, v.rule_id)
                        }
                    })
                    .collect();
                return Err(Error::new(
                    "INVALID",
                    format!(
                        "the entry fails the ledger's profiles ({}): {}",
                        self.config.profiles.join(","),
                        why.join("; ")
                    ),
                ));
            }
        }
        self.scratch.clear();
        codec::encode_into(entry, &mut self.scratch);
        if self.pending == 0 {
            self.committed = Some(self.builder.clone());
        }
        let leaf = leaf_hash(&self.scratch);
        self.builder.push(leaf);
        self.pending_leaves.push(leaf);
        put_varint(self.scratch.len() as u64, &mut self.pending_data);
        self.pending_data.extend_from_slice(&self.scratch);
        let end = self.data_len + (self.pending_data.len() - JOURNAL_HEADER) as u64;
        self.pending_idx.extend_from_slice(&end.to_le_bytes());
        self.pending += 1;
        Ok(index)
    }

    /// Stages every entry, then commits them with one sync. Returns their
    /// indices. When an entry is refused, nothing of the batch is kept.
    pub fn append(&mut self, entries: &[LogEntry]) -> Result<Range<u64>> {
        if self.pending > 0 {
            self.commit()?;
        }
        let start = self.size;
        for (i, e) in entries.iter().enumerate() {
            if let Err(mut err) = self.add(e) {
                self.discard_pending()?;
                err.message = format!("entry {i} of the batch: {}", err.message);
                return Err(err);
            }
        }
        self.commit()?;
        Ok(start..self.size)
    }

    /// Drops staged entries (restoring the tree of the last commit).
    pub fn discard_pending(&mut self) -> Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        self.pending_data.truncate(JOURNAL_HEADER);
        self.pending_idx.clear();
        self.pending_leaves.clear();
        self.pending = 0;
        match self.committed.take() {
            Some(b) => {
                self.builder = b;
                Ok(())
            }
            None => {
                let e = Error::new("POISONED", "the tree before the staged entries was lost");
                self.poisoned = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Makes every staged entry durable (one journal record, one
    /// `fdatasync`) and returns the acknowledged size. Publishes a
    /// checkpoint when one is due (see [`Writer::set_publish_interval`]).
    ///
    /// When writing fails (a full disk: `DISK_FULL`) before anything was
    /// synced, the staged entries are dropped and the writer stays usable.
    /// When a sync fails the writer refuses further work: reopen the
    /// ledger, which keeps everything acknowledged. A failure while
    /// publishing after a successful commit does not undo the commit (its
    /// entries are durable and the next writer publishes them); it is
    /// returned by the next call.
    pub fn commit(&mut self) -> Result<u64> {
        self.check_poisoned()?;
        if self.pending == 0 {
            return Ok(self.size);
        }
        self.commit_inner()?;
        if self.publish_due()
            && let Err(e) = self.publish()
        {
            self.poisoned = Some(e);
        }
        Ok(self.size)
    }

    fn publish_due(&self) -> bool {
        self.size > self.signed_size
            && (self.size - self.signed_size >= PUBLISH_ENTRIES
                || self.journal_len >= PUBLISH_JOURNAL_BYTES
                || self.last_publish.elapsed() >= self.publish_interval)
    }

    fn commit_inner(&mut self) -> Result<()> {
        let count = self.pending;
        let header = journal_header(
            self.size,
            &self.pending_leaves,
            self.pending_data.len() - JOURNAL_HEADER,
        );
        if let Some(room) = self.pending_data.get_mut(..JOURNAL_HEADER) {
            room.copy_from_slice(&header);
        }
        let payload = self.pending_data.get(JOURNAL_HEADER..).unwrap_or_default();
        let journal_path = self.dir.join(JOURNAL);
        let data_path = self.dir.join(ENTRIES);
        let idx_path = self.dir.join(INDEX);
        let written = self
            .journal
            .write_all_at(&self.pending_data, self.journal_len)
            .map_err(|e| io_error(&journal_path, &e))
            .and_then(|()| {
                self.data
                    .write_all_at(payload, self.data_len)
                    .map_err(|e| io_error(&data_path, &e))
            })
            .and_then(|()| {
                self.idx
                    .write_all_at(&self.pending_idx, self.size * 8)
                    .map_err(|e| io_error(&idx_path, &e))
            });
        if let Err(e) = written {
            // Nothing was synced: cut the files back and drop the batch.
            // (A partial record in the journal fails its checksum on replay.)
            let cut = self
                .data
                .set_len(self.data_len)
                .and_then(|()| self.idx.set_len(self.size * 8));
            let dropped = self.discard_pending();
            if cut.is_err() || dropped.is_err() {
                self.poisoned = Some(e.clone());
            }
            return Err(e);
        }
        if let Err(e) = self.journal.sync_data() {
            let e = io_error(&journal_path, &e);
            self.poisoned = Some(e.clone());
            return Err(e);
        }
        self.journal_len += self.pending_data.len() as u64;
        self.data_len += payload.len() as u64;
        self.size += count;
        self.pending = 0;
        self.pending_data.truncate(JOURNAL_HEADER);
        self.pending_idx.clear();
        self.pending_leaves.clear();
        self.committed = None;
        self.unwritten.extend(self.builder.take_full());
        Ok(())
    }

    /// Signs a checkpoint of every acknowledged entry now: syncs the entry
    /// files, writes the tiles, stores the checkpoint, empties the journal.
    /// Returns the latest signed checkpoint. Staged entries are not included.
    pub fn publish(&mut self) -> Result<String> {
        self.check_poisoned()?;
        if self.size == self.signed_size {
            return self.checkpoint();
        }
        match self.publish_inner() {
            Ok(text) => Ok(text),
            Err(e) => {
                self.poisoned = Some(e.clone());
                Err(e)
            }
        }
    }

    fn publish_inner(&mut self) -> Result<String> {
        let data_path = self.dir.join(ENTRIES);
        let idx_path = self.dir.join(INDEX);
        self.data
            .sync_data()
            .map_err(|e| io_error(&data_path, &e))?;
        self.idx.sync_data().map_err(|e| io_error(&idx_path, &e))?;
        let tree = match &self.committed {
            Some(b) if self.pending > 0 => b,
            _ => &self.builder,
        };
        let mut tiles = std::mem::take(&mut self.unwritten);
        tiles.extend(tree.partials());
        let root = tree.root();
        write_tiles(&self.dir, &tiles)?;
        let cp = Checkpoint {
            origin: self.config.origin.clone(),
            size: self.size,
            root,
            extensions: Vec::new(),
        };
        let signed = cp.sign(&self.signer)?;
        store_checkpoint(&self.dir, self.size, &signed)?;
        self.signed_size = self.size;
        self.last_publish = Instant::now();
        // The journal's records are all published now: the next commit
        // overwrites it from the start. Reusing its blocks (rather than
        // truncating it) lets a commit's fdatasync flush data alone, without
        // the file system's metadata. A replay skips what it finds of older
        // records: their entries are below the checkpoint's size, and a
        // cut-up one fails its checksum.
        self.journal_len = 0;
        Ok(signed)
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> Result<String> {
        let path = self.dir.join(CHECKPOINT);
        fs::read_to_string(&path).map_err(|e| io_error(&path, &e))
    }

    /// The inclusion proof of entry `index` in the latest signed checkpoint
    /// (read from the tiles).
    pub fn prove_inclusion(&self, index: u64) -> Result<Vec<Hash>> {
        let tiles = DirTiles(&self.dir);
        let src = crate::tiles::TileHashes::new(&tiles, self.signed_size);
        Ok(crate::merkle::inclusion_proof(
            &src,
            index,
            self.signed_size,
        )?)
    }
}

impl Drop for Writer {
    /// Publishes what was acknowledged and not yet published (best effort:
    /// on failure, the next writer publishes it from the journal).
    fn drop(&mut self) {
        if self.poisoned.is_none() && self.size > self.signed_size {
            let _ = self.publish();
        }
    }
}
