//! C2SP `tlog-tiles` (<https://c2sp.org/tlog-tiles>) hash tiles: paths, a
//! builder that turns appended leaf hashes into tiles, and a
//! [`HashSource`] that makes proofs from stored tiles.
//!
//! A tile at level `L` holds up to 256 consecutive hashes of tree height
//! `8 * L`; a full tile `tile/<L>/<N>` holds 256, a partial one
//! `tile/<L>/<N>.p/<W>` the first `W`. `N` is written in groups of three
//! digits, all but the last prefixed with `x` (`1234067` is `x001/x234/067`).

use crate::merkle::{HASH_SIZE, Hash, HashSource, ProofError, node_hash};

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Hashes in a full tile, as a length.
pub const TILE_HASHES: usize = 256;
/// Tree heights per tile level.
pub const TILE_HEIGHT: u32 = 8;

/// The path element of tile number `n`.
pub fn encode_index(n: u64) -> String {
    let digits = n.to_string();
    let pad = (3 - digits.len() % 3) % 3;
    let padded = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = padded
        .as_bytes()
        .chunks(3)
        .map(|c| std::str::from_utf8(c).unwrap_or("000"))
        .collect();
    let last = groups.len().saturating_sub(1);
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g}")
            } else {
                (*g).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The path (relative to the ledger directory) of hash tile `n` at `level`,
/// `width` hashes wide (256: a full tile).
pub fn tile_path(level: u32, n: u64, width: u64) -> String {
    if width >= TILE_WIDTH {
        format!("tile/{level}/{}", encode_index(n))
    } else {
        format!("tile/{level}/{}.p/{width}", encode_index(n))
    }
}

/// The root of a perfect subtree over `hashes` (a power of two of them).
/// Up to a full tile's worth is hashed in place, without allocating.
pub fn perfect_root(hashes: &[Hash]) -> Hash {
    if hashes.len() <= TILE_HASHES {
        let mut buf = [[0u8; HASH_SIZE]; TILE_HASHES];
        let n = hashes.len();
        for (d, s) in buf.iter_mut().zip(hashes) {
            *d = *s;
        }
        reduce(buf.get_mut(..n).unwrap_or_default())
    } else {
        reduce(&mut hashes.to_vec())
    }
}

/// Hashes `layer` pairwise in place until one hash is left (an odd last
/// hash is carried up as it is).
fn reduce(layer: &mut [Hash]) -> Hash {
    let mut n = layer.len();
    while n > 1 {
        let half = n / 2;
        for i in 0..half {
            if let (Some(l), Some(r)) = (layer.get(2 * i).copied(), layer.get(2 * i + 1).copied())
                && let Some(d) = layer.get_mut(i)
            {
                *d = node_hash(&l, &r);
            }
        }
        if n % 2 == 1
            && let Some(last) = layer.get(n - 1).copied()
            && let Some(d) = layer.get_mut(half)
        {
            *d = last;
        }
        n = n.div_ceil(2);
    }
    layer
        .first()
        .copied()
        .unwrap_or_else(crate::merkle::empty_root)
}

/// Reads tile files by path.
pub trait TileReader {
    /// The bytes of the tile at `path` (see [`tile_path`]).
    fn read_tile(&self, path: &str) -> Result<Vec<u8>, ProofError>;
}

/// The hashes of a tree of `size` entries, read from its tiles.
#[derive(Debug)]
pub struct TileHashes<'a, R: ?Sized> {
    reader: &'a R,
    size: u64,
}

impl<'a, R: TileReader + ?Sized> TileHashes<'a, R> {
    /// A source for the tree of `size` entries.
    pub fn new(reader: &'a R, size: u64) -> Self {
        Self { reader, size }
    }
}

impl<R: TileReader + ?Sized> HashSource for TileHashes<'_, R> {
    fn node(&self, height: u8, index: u64) -> Result<Hash, ProofError> {
        let height = u32::from(height);
        let level = height / TILE_HEIGHT;
        let r = height % TILE_HEIGHT;
        let first = index << r;
        let count = 1u64 << r;
        let at_level = self.size >> (level * TILE_HEIGHT);
        if first + count > at_level {
            return Err(ProofError::Source(format!(
                "node {index} at height {height} is outside the tree of size {}",
                self.size
            )));
        }
        let tile = first / TILE_WIDTH;
        let width = (at_level - tile * TILE_WIDTH).min(TILE_WIDTH);
        let path = tile_path(level, tile, width);
        let bytes = self.reader.read_tile(&path)?;
        if bytes.len() as u64 != width * HASH_SIZE as u64 {
            return Err(ProofError::Source(format!(
                "{path} has {} bytes, not {}",
                bytes.len(),
                width * HASH_SIZE as u64
            )));
        }
        let off = usize::try_from((first % TILE_WIDTH) * HASH_SIZE as u64)
            .map_err(|_| ProofError::Source("offset overflow".into()))?;
        let len = usize::try_from(count).unwrap_or(usize::MAX) * HASH_SIZE;
        let slice = bytes
            .get(off..off + len)
            .ok_or_else(|| ProofError::Source(format!("{path} is short")))?;
        let hashes: Vec<Hash> = slice
            .chunks_exact(HASH_SIZE)
            .map(|c| {
                let mut h = [0u8; HASH_SIZE];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Ok(perfect_root(&hashes))
    }
}

/// A tile the builder finished or holds in part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// The tile level.
    pub level: u32,
    /// The tile number.
    pub index: u64,
    /// The hashes (256 for a full tile).
    pub hashes: Vec<Hash>,
}

impl Tile {
    /// Where the tile is stored.
    pub fn path(&self) -> String {
        tile_path(self.level, self.index, self.hashes.len() as u64)
    }

    /// The stored bytes: the hashes one after another.
    pub fn bytes(&self) -> Vec<u8> {
        self.hashes.concat()
    }
}

/// Builds tiles and tree heads from leaf hashes, holding only the right
/// edge (at most 255 hashes per level).
#[derive(Debug, Clone, Default)]
pub struct TileBuilder {
    size: u64,
    /// The hashes of the unfinished tile of each level.
    levels: Vec<Vec<Hash>>,
    /// Full tiles finished since the last [`TileBuilder::take_full`].
    full: Vec<Tile>,
}

impl TileBuilder {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes at `size` from the partial tiles of that size, lowest level
    /// first (`partials[L]` holds `(size >> 8L) % 256` hashes).
    pub fn resume(size: u64, partials: Vec<Vec<Hash>>) -> Result<Self, ProofError> {
        for (l, p) in partials.iter().enumerate() {
            let l = u32::try_from(l).unwrap_or(u32::MAX);
            let want = size.checked_shr(l.saturating_mul(TILE_HEIGHT)).unwrap_or(0) % TILE_WIDTH;
            if p.len() as u64 != want {
                return Err(ProofError::Source(format!(
                    "level {l} resumes with {} hashes, not {want}",
                    p.len()
                )));
            }
        }
        Ok(Self {
            size,
            levels: partials,
            full: Vec::new(),
        })
    }

    /// Entries so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        self.push_at(0, leaf, self.size + 1);
        self.size += 1;
    }

    /// Adds the 256 leaf hashes of a whole level-0 tile whose root (see
    /// [`perfect_root`]) the caller computed, at a size that is a multiple
    /// of 256. Otherwise the leaves are added one by one (`root` unused).
    pub fn push_tile(&mut self, leaves: &[Hash], root: Hash) {
        let aligned = self.levels.first().is_none_or(Vec::is_empty);
        if leaves.len() as u64 != TILE_WIDTH || !aligned {
            for l in leaves {
                self.push(*l);
            }
            return;
        }
        let new_size = self.size + TILE_WIDTH;
        self.full.push(Tile {
            level: 0,
            index: new_size / TILE_WIDTH - 1,
            hashes: leaves.to_vec(),
        });
        self.push_at(1, root, new_size);
        self.size = new_size;
    }

    /// Adds `h` at `level`, finishing tiles upwards; `new_size` is the tree
    /// size once it is added.
    fn push_at(&mut self, mut level: usize, mut h: Hash, new_size: u64) {
        loop {
            while self.levels.len() <= level {
                self.levels.push(Vec::with_capacity(TILE_HASHES));
            }
            let Some(cur) = self.levels.get_mut(level) else {
                break;
            };
            cur.push(h);
            if (cur.len() as u64) < TILE_WIDTH {
                break;
            }
            let hashes = std::mem::replace(cur, Vec::with_capacity(TILE_HASHES));
            h = perfect_root(&hashes);
            let lvl = u32::try_from(level).unwrap_or(u32::MAX);
            // The tile just finished is number (hashes at this level) / 256 - 1.
            let at_level = new_size >> (lvl * TILE_HEIGHT);
            self.full.push(Tile {
                level: lvl,
                index: at_level / TILE_WIDTH - 1,
                hashes,
            });
            level += 1;
        }
    }

    /// The full tiles finished since the last call.
    pub fn take_full(&mut self) -> Vec<Tile> {
        std::mem::take(&mut self.full)
    }

    /// The partial tiles of the current size (levels with hashes left over).
    pub fn partials(&self) -> Vec<Tile> {
        self.levels
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .map(|(l, h)| {
                let l = u32::try_from(l).unwrap_or(u32::MAX);
                Tile {
                    level: l,
                    index: (self.size >> (l * TILE_HEIGHT)) / TILE_WIDTH,
                    hashes: h.clone(),
                }
            })
            .collect()
    }

    /// The root of the tree so far.
    pub fn root(&self) -> Hash {
        // Perfect subtrees left to right: higher levels first, each level's
        // hashes split into decreasing powers of two.
        let mut parts: Vec<Hash> = Vec::new();
        for hashes in self.levels.iter().rev() {
            let mut rest: &[Hash] = hashes;
            while !rest.is_empty() {
                let k = 1usize << (usize::BITS - 1 - rest.len().leading_zeros());
                let (chunk, tail) = rest.split_at(k);
                parts.push(perfect_root(chunk));
                rest = tail;
            }
        }
        let mut it = parts.iter().rev();
        match it.next() {
            None => crate::merkle::empty_root(),
            Some(last) => it.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashMap;

    use super::*;
    use crate::merkle::{CompactRange, leaf_hash, root};

    #[test]
    fn whole_tiles_at_once_give_the_same_tree() {
        let leaves: Vec<Hash> = (0u32..70_000)
            .map(|i| leaf_hash(&i.to_le_bytes()))
            .collect();
        let mut one = TileBuilder::new();
        let mut many = TileBuilder::new();
        let (mut full_one, mut full_many) = (Vec::new(), Vec::new());
        // 100 one by one, 156 given at once (not a whole tile: added one by
        // one), then whole tiles, then the last 112 (again not whole).
        for l in &leaves[..100] {
            one.push(*l);
            many.push(*l);
        }
        let mut i = 100;
        while i < leaves.len() {
            let tile = &leaves[i..((i / 256 + 1) * 256).min(leaves.len())];
            for l in tile {
                one.push(*l);
            }
            many.push_tile(tile, perfect_root(tile));
            i += tile.len();
            full_one.extend(one.take_full());
            full_many.extend(many.take_full());
            assert_eq!(one.root(), many.root(), "size {i}");
        }
        assert_eq!(full_one, full_many);
        assert_eq!(one.partials(), many.partials());
    }

    #[test]
    fn paths_follow_tlog_tiles() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(tile_path(0, 5, 256), "tile/0/005");
        assert_eq!(tile_path(1, 1000, 17), "tile/1/x001/000.p/17");
    }

    struct Mem(HashMap<String, Vec<u8>>);
    impl TileReader for Mem {
        fn read_tile(&self, path: &str) -> Result<Vec<u8>, ProofError> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| ProofError::Source(path.into()))
        }
    }

    #[test]
    fn tiles_give_the_same_roots_as_the_tree() {
        let mut b = TileBuilder::new();
        let mut cr = CompactRange::new();
        let mut store = Mem(HashMap::new());
        for i in 0u32..70_000 {
            let l = leaf_hash(&i.to_le_bytes());
            b.push(l);
            cr.push(l);
            for t in b.take_full() {
                store.0.insert(t.path(), t.bytes());
            }
            if i % 9_973 == 0 || i == 69_999 {
                assert_eq!(b.root(), cr.root());
                for t in b.partials() {
                    store.0.insert(t.path(), t.bytes());
                }
                let size = b.size();
                assert_eq!(
                    root(&TileHashes::new(&store, size), size).unwrap(),
                    cr.root()
                );
                let resumed = TileBuilder::resume(
                    size,
                    (0..b.levels.len()).map(|l| b.levels[l].clone()).collect(),
                )
                .unwrap();
                assert_eq!(resumed.root(), cr.root());
            }
        }
    }
}
