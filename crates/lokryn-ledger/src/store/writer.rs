//! The single writer: append, group commit, crash recovery.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use lokryn_compliance_log::redact::{RedactOptions, redact};
use lokryn_compliance_log::validate::{Options, validate_with};
use lokryn_compliance_log::{LogEntry, codec};

use super::{
    CHECKPOINT, Config, DirTiles, ENTRIES, INDEX, LOCK, create_dir_synced, io_error, open_rw,
    read_checkpoint, store_checkpoint, sync_dir,
};
use crate::checkpoint::Checkpoint;
use crate::merkle::{HASH_SIZE, Hash, leaf_hash};
use crate::note::Signer;
use crate::tiles::{TILE_HEIGHT, TILE_WIDTH, TileBuilder, tile_path};
use crate::{Error, Result};

/// How entries are taken in.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// Store entries that fail the ledger's profiles instead of refusing them.
    pub allow_invalid: bool,
    /// Redact sensitive data before storing (with these options).
    pub redact: Option<RedactOptions>,
}

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
    /// Durable size (the latest checkpoint's).
    size: u64,
    /// Bytes of entries.ldpb covered by the latest checkpoint.
    data_len: u64,
    builder: TileBuilder,
    pending_data: Vec<u8>,
    pending_idx: Vec<u8>,
    pending: u64,
    /// Set when an I/O error left the files in an unknown state: reopen.
    poisoned: Option<String>,
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

impl Writer {
    /// Opens the ledger in `dir` for appending: takes the lock, discards
    /// what the last writer never acknowledged, and checks that the tree
    /// still gives the latest checkpoint's root.
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
        // The checkpoint under checkpoints/ is written first; make sure it is there.
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
        // Discard what was never acknowledged.
        let idx_len = idx.metadata().map_err(|e| io_error(&idx_path, &e))?.len();
        if on_disk > data_len || idx_len > cp.size * 8 {
            data.set_len(data_len)
                .map_err(|e| io_error(&data_path, &e))?;
            idx.set_len(cp.size * 8)
                .map_err(|e| io_error(&idx_path, &e))?;
            data.sync_all().map_err(|e| io_error(&data_path, &e))?;
            idx.sync_all().map_err(|e| io_error(&idx_path, &e))?;
        }
        let mut w = Self {
            dir: dir.to_path_buf(),
            config,
            signer,
            options,
            append,
            _lock: lock,
            data,
            idx,
            size: cp.size,
            data_len,
            builder: TileBuilder::new(),
            pending_data: Vec::new(),
            pending_idx: Vec::new(),
            pending: 0,
            poisoned: None,
            scratch: Vec::new(),
        };
        w.builder =
            match load_partials(dir, cp.size).and_then(|p| TileBuilder::resume(cp.size, p).ok()) {
                Some(b) if b.root() == cp.root => b,
                _ => w.rebuild_tiles(&cp)?,
            };
        Ok(w)
    }

    /// Recomputes every tile from the entries (after a crash lost tiles).
    fn rebuild_tiles(&mut self, cp: &Checkpoint) -> Result<TileBuilder> {
        let mut builder = TileBuilder::new();
        let mut reader = super::Reader::open_unchecked(&self.dir, cp.size)?;
        while let Some(entry) = reader.next_raw()? {
            builder.push(leaf_hash(&entry.bytes));
            let full = builder.take_full();
            self.write_tiles(&full)?;
        }
        if builder.root() != cp.root {
            return Err(Error::new(
                "CORRUPT",
                "the entries do not give the latest checkpoint's root; run verify to find the change",
            ));
        }
        let partials = builder.partials();
        self.write_tiles(&partials)?;
        Ok(builder)
    }

    /// The ledger's settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Entries acknowledged so far (the latest checkpoint's size).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Entries added but not yet committed.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Validates (and optionally redacts) `entry` and stages it; returns the
    /// index it will have. It is not durable until [`Writer::commit`].
    pub fn add(&mut self, entry: &LogEntry) -> Result<u64> {
        if let Some(why) = &self.poisoned {
            return Err(Error::new("POISONED", why.clone()));
        }
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
        self.builder.push(leaf_hash(&self.scratch));
        put_varint(self.scratch.len() as u64, &mut self.pending_data);
        self.pending_data.extend_from_slice(&self.scratch);
        let end = self.data_len + self.pending_data.len() as u64;
        self.pending_idx.extend_from_slice(&end.to_le_bytes());
        self.pending += 1;
        Ok(index)
    }

    /// Stages every entry, then commits them with one round of syncs.
    /// Returns their indices. When an entry is refused, nothing of the batch is kept.
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

    /// Drops staged entries (restoring the tree from the last commit).
    pub fn discard_pending(&mut self) -> Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        self.pending_data.clear();
        self.pending_idx.clear();
        self.pending = 0;
        self.builder = match load_partials(&self.dir, self.size)
            .and_then(|p| TileBuilder::resume(self.size, p).ok())
        {
            Some(b) => b,
            None => {
                self.poisoned = Some("the tiles could not be reread: reopen the ledger".into());
                return Err(Error::new(
                    "POISONED",
                    "the tiles could not be reread: reopen the ledger",
                ));
            }
        };
        let _ = self.builder.take_full();
        Ok(())
    }

    /// Makes every staged entry durable and signs a checkpoint of the new
    /// size; returns the size. On an I/O error the writer refuses further
    /// work (open the ledger again to recover): nothing staged is acknowledged.
    pub fn commit(&mut self) -> Result<u64> {
        if let Some(why) = &self.poisoned {
            return Err(Error::new("POISONED", why.clone()));
        }
        if self.pending == 0 {
            return Ok(self.size);
        }
        match self.commit_inner() {
            Ok(size) => Ok(size),
            Err(e) => {
                self.poisoned = Some(format!(
                    "a commit failed ({e}); reopen the ledger, which discards the unacknowledged entries"
                ));
                Err(e)
            }
        }
    }

    fn commit_inner(&mut self) -> Result<u64> {
        let data_path = self.dir.join(ENTRIES);
        let idx_path = self.dir.join(INDEX);
        self.data
            .seek(SeekFrom::Start(self.data_len))
            .and_then(|_| self.data.write_all(&self.pending_data))
            .map_err(|e| io_error(&data_path, &e))?;
        self.idx
            .seek(SeekFrom::Start(self.size * 8))
            .and_then(|_| self.idx.write_all(&self.pending_idx))
            .map_err(|e| io_error(&idx_path, &e))?;
        self.data
            .sync_data()
            .map_err(|e| io_error(&data_path, &e))?;
        self.idx.sync_data().map_err(|e| io_error(&idx_path, &e))?;
        let mut tiles = self.builder.take_full();
        tiles.extend(self.builder.partials());
        self.write_tiles(&tiles)?;
        let new_size = self.size + self.pending;
        let cp = Checkpoint {
            origin: self.config.origin.clone(),
            size: new_size,
            root: self.builder.root(),
            extensions: Vec::new(),
        };
        let signed = cp.sign(&self.signer)?;
        store_checkpoint(&self.dir, new_size, &signed)?;
        self.data_len += self.pending_data.len() as u64;
        self.size = new_size;
        self.pending = 0;
        self.pending_data.clear();
        self.pending_idx.clear();
        Ok(new_size)
    }

    /// Writes and syncs tiles (and the directories new names went into).
    fn write_tiles(&self, tiles: &[crate::tiles::Tile]) -> Result<()> {
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        for t in tiles {
            let path = self.dir.join(t.path());
            let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
            create_dir_synced(&parent)?;
            let bytes = t.bytes();
            // A partial tile above level 0 is the same for many sizes: leave
            // it alone when it is already there, so that a tile an
            // acknowledged checkpoint relies on is never rewritten.
            if fs::read(&path).is_ok_and(|old| old == bytes) {
                continue;
            }
            // Through a temporary name, so that readers never see a torn tile.
            let tmp = parent.join(format!(
                ".{}.tmp",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("tile")
            ));
            let mut f = File::create(&tmp).map_err(|e| io_error(&tmp, &e))?;
            f.write_all(&bytes).map_err(|e| io_error(&tmp, &e))?;
            f.sync_data().map_err(|e| io_error(&tmp, &e))?;
            drop(f);
            fs::rename(&tmp, &path).map_err(|e| io_error(&path, &e))?;
            dirs.insert(parent);
        }
        for d in &dirs {
            sync_dir(d)?;
        }
        Ok(())
    }

    /// The latest signed checkpoint.
    pub fn checkpoint(&self) -> Result<String> {
        let path = self.dir.join(CHECKPOINT);
        fs::read_to_string(&path).map_err(|e| io_error(&path, &e))
    }

    /// Reads tiles of this ledger (for proofs while writing).
    pub fn prove_inclusion(&self, index: u64) -> Result<Vec<Hash>> {
        let tiles = DirTiles(&self.dir);
        let src = crate::tiles::TileHashes::new(&tiles, self.size);
        Ok(crate::merkle::inclusion_proof(&src, index, self.size)?)
    }
}
