//! Verify: recompute every leaf and the tree from the stored bytes, in
//! bounded memory, and check them against the hash tiles and every kept
//! checkpoint; name the first problem (entry index and byte offset).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::read::{Blocks, Frame};
use super::{CHECKPOINT, CHECKPOINTS, Config, ENTRIES, INDEX, io_error};
use crate::checkpoint::{self, Checkpoint};
use crate::merkle::{
    HASH_SIZE, Hash, consistency_proof, empty_root, leaf_hash, verify_consistency,
};
use crate::note::Verifier;
use crate::tiles::{
    TILE_HASHES, TILE_WIDTH, TileBuilder, TileHashes, TileReader, perfect_root, tile_path,
};
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
    /// Bytes past the latest checkpoint: acknowledged entries not yet
    /// published (a writer replays them from its journal), or a commit that
    /// never returned. Not part of the log until a checkpoint covers them.
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
    let mut blocks = Blocks::open_at(dir, size, 0, 0)?;
    let mut idx = BufReader::with_capacity(
        1 << 20,
        File::open(&idx_path).map_err(|e| io_error(&idx_path, &e))?,
    );
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
    // Entries are read in large blocks and used in place; their leaf
    // hashes, and the root of every whole level-0 tile, are computed on
    // every core (order kept), then checked one by one in order: memory
    // stays bounded and the first problem is still the one reported.
    let mut frames: Vec<Frame> = Vec::with_capacity(VERIFY_BATCH);
    let mut hashed = Hashed::default();
    let mut ends: Vec<u8> = Vec::with_capacity(VERIFY_BATCH * 8);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    // Whether the current whole tile's leaves go into the tree at once.
    let mut tile_at_once = false;
    loop {
        // A torn or missing entry is reported here, after the entries before it.
        blocks.batch(VERIFY_BATCH, &mut frames)?;
        let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
            break;
        };
        let (first_index, count) = (first.index, last.index - first.index + 1);
        let buf = blocks.buf();
        let base = blocks.base();
        hash_batch(buf, &frames, &mut hashed, threads);
        ends.resize(frames.len() * 8, 0);
        let got = read_full(&mut idx, &mut ends).map_err(|e| io_error(&idx_path, &e))?;
        let ends_got = ends.get(..got).unwrap_or_default();
        for (k, (f, &leaf)) in frames.iter().zip(&hashed.leaves).enumerate() {
            let i = f.index;
            if i.is_multiple_of(TILE_WIDTH) {
                let t = i / TILE_WIDTH;
                let width = (size - t * TILE_WIDTH).min(TILE_WIDTH);
                let path = tile_path(0, t, width);
                tile0 = fs::read(dir.join(&path)).map_err(|e| {
                    Error::at(
                        "TILE_MISSING",
                        format!("cannot read {path}: {e}"),
                        i,
                        Some(f.offset),
                    )
                })?;
            }
            let at = usize::try_from((i % TILE_WIDTH) * HASH_SIZE as u64).unwrap_or(usize::MAX);
            if tile0.get(at..at + HASH_SIZE) != Some(leaf.as_slice()) {
                return Err(Error::at(
                    "TAMPERED",
                    format!(
                        "entry {i} (byte offset {} of {ENTRIES}) does not match the hash stored for it: edited, dropped, inserted or moved",
                        f.offset
                    ),
                    i,
                    Some(f.offset),
                ));
            }
            end = f.end_offset(base);
            let stored = ends_got
                .get(k * 8..k * 8 + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes);
            let Some(stored) = stored else {
                return Err(Error::at(
                    "INDEX_MISMATCH",
                    format!("{INDEX} has no end offset for entry {i}"),
                    i,
                    Some(f.offset),
                ));
            };
            if stored != end {
                return Err(Error::at(
                    "INDEX_MISMATCH",
                    format!("{INDEX} says entry {i} ends at byte {stored}, it ends at {end}"),
                    i,
                    Some(f.offset),
                ));
            }
            // Into the tree: a whole level-0 tile at once (its root was
            // hashed in parallel) unless a checkpoint falls inside it.
            let lead = hashed.lead;
            let whole = k >= lead && k < lead + hashed.roots.len() * TILE_HASHES;
            if whole && (k - lead).is_multiple_of(TILE_HASHES) {
                tile_at_once = next_cp.peek().is_none_or(|c| c.size >= i + TILE_WIDTH);
            }
            if whole && tile_at_once {
                let g = (k - lead) / TILE_HASHES;
                if (k - lead + 1).is_multiple_of(TILE_HASHES) {
                    let from = lead + g * TILE_HASHES;
                    let leaves = hashed.leaves.get(from..=k).unwrap_or_default();
                    let root = hashed.roots.get(g).copied().unwrap_or_default();
                    builder.push_tile(leaves, root);
                } else {
                    continue;
                }
            } else {
                builder.push(leaf);
            }
            for t in builder.take_full() {
                if t.level > 0 {
                    check_tile(&tiles, &t, i, f.offset)?;
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
        }
        debug_assert_eq!(count, frames.len() as u64);
        let _ = first_index;
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

/// Entries read (and hashed in parallel) at a time by `verify`.
const VERIFY_BATCH: usize = 16384;

/// The hashes of a batch: every leaf, and the root of each whole level-0
/// tile in it (the first starts at `lead`).
#[derive(Debug, Default)]
struct Hashed {
    leaves: Vec<Hash>,
    lead: usize,
    roots: Vec<Hash>,
}

/// Computes the leaf hash of every entry of `frames` and the root of every
/// whole level-0 tile among them, split over `threads`.
fn hash_batch(buf: &[u8], frames: &[Frame], out: &mut Hashed, threads: usize) {
    let n = frames.len();
    let w = TILE_HASHES;
    out.leaves.clear();
    out.leaves.resize(n, [0u8; HASH_SIZE]);
    let first = frames.first().map_or(0, |f| f.index);
    let lead = usize::try_from((TILE_WIDTH - first % TILE_WIDTH) % TILE_WIDTH)
        .unwrap_or(0)
        .min(n);
    let groups = (n - lead) / w;
    out.lead = lead;
    out.roots.clear();
    out.roots.resize(groups, [0u8; HASH_SIZE]);
    let leaf = |f: &Frame| leaf_hash(buf.get(f.start..f.end).unwrap_or_default());
    let hash_leaves = |fs: &[Frame], hs: &mut [Hash]| {
        for (h, f) in hs.iter_mut().zip(fs) {
            *h = leaf(f);
        }
    };
    let hash_tiles = |fs: &[Frame], hs: &mut [Hash], roots: &mut [Hash]| {
        for ((fs, hs), r) in fs.chunks(w).zip(hs.chunks_mut(w)).zip(roots.iter_mut()) {
            hash_leaves(fs, hs);
            *r = perfect_root(hs);
        }
    };
    let (head, rest) = out.leaves.split_at_mut(lead);
    let (mid, tail) = rest.split_at_mut(groups * w);
    let (f_head, f_rest) = frames.split_at(lead);
    let (f_mid, f_tail) = f_rest.split_at(groups * w);
    hash_leaves(f_head, head);
    hash_leaves(f_tail, tail);
    if threads < 2 || groups < 2 {
        hash_tiles(f_mid, mid, &mut out.roots);
        return;
    }
    let per = groups.div_ceil(threads);
    std::thread::scope(|s| {
        let mut chunks = f_mid
            .chunks(per * w)
            .zip(mid.chunks_mut(per * w))
            .zip(out.roots.chunks_mut(per));
        let mine = chunks.next();
        for ((fs, hs), roots) in chunks {
            s.spawn(move || hash_tiles(fs, hs, roots));
        }
        if let Some(((fs, hs), roots)) = mine {
            hash_tiles(fs, hs, roots);
        }
    });
}

/// Reads until `buf` is full or the end of the file; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while let Some(room) = buf.get_mut(got..).filter(|b| !b.is_empty()) {
        match r.read(room) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
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
