//! Verify: recompute every leaf and the tree from the stored bytes, in
//! bounded memory, and check them against the hash tiles and every kept
//! checkpoint; name the first problem (entry index and byte offset).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::read::RawEntry;
use super::{CHECKPOINT, CHECKPOINTS, Config, ENTRIES, INDEX, io_error};
use crate::checkpoint::{self, Checkpoint};
use crate::merkle::{
    HASH_SIZE, Hash, consistency_proof, empty_root, leaf_hash, verify_consistency,
};
use crate::note::Verifier;
use crate::tiles::{TILE_WIDTH, TileBuilder, TileHashes, TileReader, tile_path};
use crate::{Error, Result};

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The log's origin.
    pub origin: String,
    /// Entries verified (the latest checkpoint's size).
    pub size: u64,
    /// The latest root, base64.
    pub root: String,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// Bytes of entries checked.
    pub entry_bytes: u64,
    /// Bytes past the latest checkpoint (a writer's unacknowledged work,
    /// discarded when a writer next opens the ledger; not part of the log).
    pub unsigned_tail_bytes: u64,
}

/// Tiles read from the directory, a few kept in memory.
struct CachedTiles<'a> {
    dir: &'a Path,
    cache: RefCell<HashMap<String, Vec<u8>>>,
}

impl TileReader for CachedTiles<'_> {
    fn read_tile(&self, path: &str) -> std::result::Result<Vec<u8>, crate::merkle::ProofError> {
        if let Some(b) = self.cache.borrow().get(path) {
            return Ok(b.clone());
        }
        let bytes = fs::read(self.dir.join(path))
            .map_err(|e| crate::merkle::ProofError::Source(format!("{path}: {e}")))?;
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= 64 {
            cache.clear();
        }
        cache.insert(path.to_string(), bytes.clone());
        Ok(bytes)
    }
}

/// The kept checkpoints, opened and sorted by size.
fn kept_checkpoints(dir: &Path, key: &Verifier) -> Result<Vec<Checkpoint>> {
    let cdir = dir.join(CHECKPOINTS);
    let mut sizes: Vec<u64> = Vec::new();
    for e in fs::read_dir(&cdir).map_err(|e| io_error(&cdir, &e))? {
        let e = e.map_err(|e| io_error(&cdir, &e))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let size = name
            .parse::<u64>()
            .ok()
            .filter(|s| s.to_string() == name)
            .ok_or_else(|| {
                Error::new(
                    "BAD_CHECKPOINT",
                    format!(
                        "{}: not a checkpoint name (a tree size)",
                        cdir.join(name).display()
                    ),
                )
            })?;
        sizes.push(size);
    }
    sizes.sort_unstable();
    let mut out = Vec::with_capacity(sizes.len());
    for size in sizes {
        let path = cdir.join(size.to_string());
        let text = fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
        let cp = checkpoint::open(&text, key)
            .map_err(|e| Error::new(e.code, format!("{}: {}", path.display(), e.message)))?;
        if cp.size != size {
            return Err(Error::new(
                "BAD_CHECKPOINT",
                format!("{}: it is a checkpoint of size {}", path.display(), cp.size),
            ));
        }
        if cp.origin != key.name() {
            return Err(Error::new(
                "BAD_CHECKPOINT",
                format!(
                    "{}: origin {:?} is not {:?}",
                    path.display(),
                    cp.origin,
                    key.name()
                ),
            ));
        }
        out.push(cp);
    }
    Ok(out)
}

/// Verifies the ledger in `dir` with `key` (default: the public key in its
/// `ledger.json`). Returns the first problem as an error with its location.
pub fn verify(dir: &Path, key: Option<&Verifier>) -> Result<VerifyReport> {
    let config = Config::load(dir)?;
    let own;
    let key = match key {
        Some(k) => k,
        None => {
            own = config.verifier()?;
            &own
        }
    };
    let latest_path = dir.join(CHECKPOINT);
    let latest_text = fs::read_to_string(&latest_path).map_err(|e| io_error(&latest_path, &e))?;
    let latest = checkpoint::open(&latest_text, key)
        .map_err(|e| Error::new(e.code, format!("{}: {}", latest_path.display(), e.message)))?;
    let mut kept = kept_checkpoints(dir, key)?;
    match kept.iter().find(|c| c.size == latest.size) {
        Some(c) if c.root != latest.root => {
            return Err(Error::new(
                "FORKED",
                format!(
                    "two signed checkpoints of size {} with different roots ({} and checkpoints/{})",
                    latest.size, CHECKPOINT, latest.size
                ),
            ));
        }
        Some(_) => {}
        None => kept.push(latest.clone()),
    }
    if let Some(c) = kept.iter().find(|c| c.size > latest.size) {
        return Err(Error::new(
            "BAD_CHECKPOINT",
            format!(
                "checkpoints/{} is newer than the latest checkpoint (size {})",
                c.size, latest.size
            ),
        ));
    }
    kept.sort_by_key(|c| c.size);
    let size = latest.size;

    let data_path = dir.join(ENTRIES);
    let idx_path = dir.join(INDEX);
    let mut reader = super::Reader::open_unchecked(dir, size)?;
    let mut idx = BufReader::new(File::open(&idx_path).map_err(|e| io_error(&idx_path, &e))?);
    let tiles = CachedTiles {
        dir,
        cache: RefCell::new(HashMap::new()),
    };
    let mut builder = TileBuilder::new();
    let mut next_cp = kept.iter().peekable();
    // The last checkpoint whose root matched, and the offset of the entry after it.
    let (mut good_size, mut good_offset) = (0u64, 0u64);
    let mut tile0: Vec<u8> = Vec::new();
    let mut end = 0u64;
    while let Some(cp) = next_cp.peek() {
        if cp.size != 0 {
            break;
        }
        if cp.root != empty_root() {
            return Err(Error::new(
                "BAD_CHECKPOINT",
                "the checkpoint of size 0 has a root other than the empty tree's",
            ));
        }
        next_cp.next();
    }
    // Entries are read in batches whose leaf hashes are computed on every
    // core (order kept), then checked one by one in order: memory stays
    // bounded and the first problem is still the one reported.
    let mut batch: Vec<RawEntry> = Vec::with_capacity(VERIFY_BATCH);
    let mut leaves: Vec<Hash> = Vec::with_capacity(VERIFY_BATCH);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut i = 0u64;
    while i < size {
        batch.clear();
        let want = (size - i).min(VERIFY_BATCH as u64);
        // A read error (a torn entry) is reported after the entries before it.
        let mut read_error = None;
        while (batch.len() as u64) < want {
            match reader.next_raw() {
                Ok(Some(raw)) => batch.push(raw),
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        leaf_hashes(&batch, &mut leaves, threads);
        for (raw, &leaf) in batch.iter().zip(&leaves) {
            if i.is_multiple_of(TILE_WIDTH) {
                let t = i / TILE_WIDTH;
                let width = (size - t * TILE_WIDTH).min(TILE_WIDTH);
                let path = tile_path(0, t, width);
                tile0 = tiles.read_tile(&path).map_err(|e| {
                    Error::at(
                        "TILE_MISSING",
                        format!("cannot read {path}: {e}"),
                        i,
                        Some(raw.offset),
                    )
                })?;
            }
            let at = usize::try_from((i % TILE_WIDTH) * HASH_SIZE as u64).unwrap_or(usize::MAX);
            if tile0.get(at..at + HASH_SIZE) != Some(leaf.as_slice()) {
                return Err(Error::at(
                    "TAMPERED",
                    format!(
                        "entry {i} (byte offset {} of {ENTRIES}) does not match the hash stored for it: edited, dropped, inserted or moved",
                        raw.offset
                    ),
                    i,
                    Some(raw.offset),
                ));
            }
            end = raw.offset + reader_len(raw);
            let mut b = [0u8; 8];
            idx.read_exact(&mut b).map_err(|_| {
                Error::at(
                    "INDEX_MISMATCH",
                    format!("{INDEX} has no end offset for entry {i}"),
                    i,
                    Some(raw.offset),
                )
            })?;
            if u64::from_le_bytes(b) != end {
                return Err(Error::at(
                    "INDEX_MISMATCH",
                    format!(
                        "{INDEX} says entry {i} ends at byte {}, it ends at {end}",
                        u64::from_le_bytes(b)
                    ),
                    i,
                    Some(raw.offset),
                ));
            }
            builder.push(leaf);
            for t in builder.take_full() {
                if t.level > 0 {
                    check_tile(&tiles, &t, i, raw.offset)?;
                }
            }
            while let Some(cp) = next_cp.peek() {
                if cp.size != i + 1 {
                    break;
                }
                if builder.root() != cp.root {
                    return Err(Error::at(
                        "TAMPERED",
                        format!(
                            "the entries from {good_size} (byte offset {good_offset}) to {} do not give the root signed at size {}: a forked or forged checkpoint, or entries and their tiles both rewritten",
                            cp.size, cp.size
                        ),
                        good_size,
                        Some(good_offset),
                    ));
                }
                good_size = cp.size;
                good_offset = end;
                next_cp.next();
            }
            i += 1;
        }
        if let Some(e) = read_error {
            return Err(e);
        }
        if (batch.len() as u64) < want {
            return Err(Error::at(
                "TRUNCATED",
                format!("entry {i} is missing"),
                i,
                Some(end),
            ));
        }
    }
    for t in builder.partials() {
        if t.level > 0 {
            check_tile(&tiles, &t, size, end)?;
        }
    }
    // Consecutive kept checkpoints: check the consistency proof the tiles give.
    let src = TileHashes::new(&tiles, size);
    for pair in kept.windows(2) {
        let [a, b] = pair else { continue };
        if a.size == 0 {
            continue;
        }
        let proof = consistency_proof(&src, a.size, b.size)?;
        verify_consistency(a.size, b.size, &a.root, &b.root, &proof).map_err(|e| {
            Error::new(
                "INCONSISTENT",
                format!(
                    "checkpoints of sizes {} and {} are not consistent: {e}",
                    a.size, b.size
                ),
            )
        })?;
    }
    let data_len = fs::metadata(&data_path)
        .map_err(|e| io_error(&data_path, &e))?
        .len();
    Ok(VerifyReport {
        origin: latest.origin.clone(),
        size,
        root: {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(latest.root)
        },
        checkpoints: kept.len() as u64,
        entry_bytes: end,
        unsigned_tail_bytes: data_len.saturating_sub(end),
    })
}

/// Entries read (and leaf-hashed in parallel) at a time by `verify`.
const VERIFY_BATCH: usize = 8192;

/// The leaf hash of every entry of `batch`, in order, split over `threads`.
fn leaf_hashes(batch: &[RawEntry], out: &mut Vec<Hash>, threads: usize) {
    out.clear();
    out.resize(batch.len(), [0u8; HASH_SIZE]);
    let hash_all = |entries: &[RawEntry], hashes: &mut [Hash]| {
        for (h, raw) in hashes.iter_mut().zip(entries) {
            *h = leaf_hash(&raw.bytes);
        }
    };
    if threads < 2 || batch.len() < 512 {
        hash_all(batch, out);
        return;
    }
    let per = batch.len().div_ceil(threads);
    std::thread::scope(|s| {
        let mut chunks = batch.chunks(per).zip(out.chunks_mut(per));
        let first = chunks.next();
        for (entries, hashes) in chunks {
            s.spawn(move || hash_all(entries, hashes));
        }
        if let Some((entries, hashes)) = first {
            hash_all(entries, hashes);
        }
    });
}

/// Bytes a raw entry takes in the entry file (length prefix included).
fn reader_len(raw: &RawEntry) -> u64 {
    let mut n = raw.bytes.len() as u64;
    let mut prefix = 1u64;
    while n >= 0x80 {
        n >>= 7;
        prefix += 1;
    }
    prefix + raw.bytes.len() as u64
}

fn check_tile(
    tiles: &CachedTiles<'_>,
    t: &crate::tiles::Tile,
    index: u64,
    offset: u64,
) -> Result<()> {
    let path = t.path();
    let stored = tiles.read_tile(&path).map_err(|e| {
        Error::at(
            "TILE_MISSING",
            format!("cannot read {path}: {e}"),
            index,
            Some(offset),
        )
    })?;
    if stored != t.bytes() {
        return Err(Error::new(
            "TILE_MISMATCH",
            format!("{path} does not hold the hashes of the entries below it"),
        ));
    }
    Ok(())
}
