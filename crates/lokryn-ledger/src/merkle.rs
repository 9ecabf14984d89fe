//! The Merkle tree of RFC 6962 / RFC 9162 §2.1: hashes, tree heads, and
//! inclusion and consistency proofs (making and checking them).
//!
//! A leaf hash is `SHA-256(0x00 || entry)`, an interior node
//! `SHA-256(0x01 || left || right)`, and the tree over `n` entries splits at
//! the largest power of two below `n`. Proofs are made from a [`HashSource`]
//! that answers for perfect, aligned subtrees (the nodes that hash tiles
//! store), so making a proof reads `O(log n)` hashes, never the entries.

use sha2::digest::consts::U64;
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

/// Bytes in a hash.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash.
pub type Hash = [u8; HASH_SIZE];

/// SHA-256's initial state (FIPS 180-4 §5.3.3).
const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

type Block = GenericArray<u8, U64>;

/// Blocks staged per call of the block function when hashing an entry.
const STAGE_BLOCKS: usize = 16;

fn digest_of(state: [u32; 8]) -> Hash {
    let mut out = [0u8; HASH_SIZE];
    for (c, w) in out.chunks_exact_mut(4).zip(state) {
        c.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// SHA-256 of `prefix || data`, calling the block function directly: the
/// same result as `Sha256::digest`, without a hasher's buffering per call
/// (leaves and nodes are short, so that overhead is a large share).
fn sha256_prefixed(prefix: u8, first: &[u8], second: &[u8]) -> Hash {
    let mut state = H0;
    let mut blocks = [Block::default(); STAGE_BLOCKS + 2];
    let stage = 64 * STAGE_BLOCKS;
    let total = 1 + first.len() as u64 + second.len() as u64;
    // Bytes staged in `blocks`, filled block by block.
    let mut fill = 0usize;
    let put = |byte_src: &[u8], blocks: &mut [Block], fill: &mut usize, state: &mut [u32; 8]| {
        let mut rest = byte_src;
        while !rest.is_empty() {
            let (b, at) = (*fill / 64, *fill % 64);
            let Some(block) = blocks.get_mut(b) else {
                break;
            };
            let take = rest.len().min(64 - at);
            let (now, later) = rest.split_at(take);
            if let Some(dst) = block.get_mut(at..at + take) {
                dst.copy_from_slice(now);
            }
            *fill += take;
            rest = later;
            if *fill == stage {
                sha2::compress256(state, blocks.get(..STAGE_BLOCKS).unwrap_or_default());
                *fill = 0;
            }
        }
    };
    put(&[prefix], &mut blocks, &mut fill, &mut state);
    put(first, &mut blocks, &mut fill, &mut state);
    put(second, &mut blocks, &mut fill, &mut state);
    // Padding: 0x80, zeros, the bit length (big-endian) in the last 8 bytes.
    let padded = (fill + 1 + 8).div_ceil(64) * 64;
    let mut pad = [0u8; 128];
    if let Some(p) = pad.first_mut() {
        *p = 0x80;
    }
    let len_at = padded - fill - 8;
    if let Some(dst) = pad.get_mut(len_at..len_at + 8) {
        dst.copy_from_slice(&(total * 8).to_be_bytes());
    }
    let mut rest: &[u8] = pad.get(..padded - fill).unwrap_or_default();
    while !rest.is_empty() {
        let (b, at) = (fill / 64, fill % 64);
        let take = rest.len().min(64 - at);
        let (now, later) = rest.split_at(take);
        if let Some(dst) = blocks.get_mut(b).and_then(|bl| bl.get_mut(at..at + take)) {
            dst.copy_from_slice(now);
        }
        fill += take;
        rest = later;
    }
    sha2::compress256(&mut state, blocks.get(..fill / 64).unwrap_or_default());
    digest_of(state)
}

/// The hash of an entry: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    sha256_prefixed(0, entry, &[])
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256_prefixed(1, left, right)
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Why a proof does not check, or could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The sizes or index make no sense together (index past the tree, a
    /// smaller tree after a larger one, an empty tree).
    Range(String),
    /// The proof has the wrong number of hashes, or a hash of the wrong length.
    Shape(String),
    /// The proof computes a different root than the one given.
    Mismatch(String),
    /// A hash the proof needs could not be read.
    Source(String),
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Range(m) => write!(f, "out of range: {m}"),
            Self::Shape(m) => write!(f, "malformed proof: {m}"),
            Self::Mismatch(m) => write!(f, "proof does not check: {m}"),
            Self::Source(m) => write!(f, "cannot read a hash: {m}"),
        }
    }
}

impl std::error::Error for ProofError {}

/// Answers the hash of a perfect, aligned subtree: the node at `height`
/// (0 = leaves) and `index`, covering entries `[index << height, (index + 1) << height)`.
pub trait HashSource {
    /// The node's hash.
    fn node(&self, height: u8, index: u64) -> Result<Hash, ProofError>;
}

/// The largest power of two strictly below `n` (n >= 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[lo:hi])` for `lo < hi`, from the perfect subtrees it is made of.
pub fn range_hash<S: HashSource + ?Sized>(src: &S, lo: u64, hi: u64) -> Result<Hash, ProofError> {
    let n = hi
        .checked_sub(lo)
        .filter(|n| *n > 0)
        .ok_or_else(|| ProofError::Range(format!("empty range [{lo}, {hi})")))?;
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let height = n.trailing_zeros();
        // A u64 has at most 63 trailing zeros in a power of two below 2^64.
        #[allow(clippy::cast_possible_truncation)]
        return src.node(height as u8, lo >> height);
    }
    let k = split_point(n);
    let left = range_hash(src, lo, lo + k)?;
    let right = range_hash(src, lo + k, hi)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of the first `size` entries.
pub fn root<S: HashSource + ?Sized>(src: &S, size: u64) -> Result<Hash, ProofError> {
    if size == 0 {
        Ok(empty_root())
    } else {
        range_hash(src, 0, size)
    }
}

/// The inclusion proof of entry `index` in the tree of `size` entries
/// (RFC 9162 §2.1.3.1), lowest hash first.
pub fn inclusion_proof<S: HashSource + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::Range(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    let mut out = Vec::new();
    let (mut lo, mut hi, m) = (0u64, size, index);
    // Walk down from the root, collecting the sibling of each step; reversed at the end.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < lo + k {
            out.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_hash(src, lo, lo + k)?);
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The consistency proof between the trees of `size1` and `size2` entries
/// (RFC 9162 §2.1.4.1), lowest hash first. Empty when the sizes are equal.
pub fn consistency_proof<S: HashSource + ?Sized>(
    src: &S,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, ProofError> {
    if size1 == 0 || size1 > size2 {
        return Err(ProofError::Range(format!(
            "no consistency proof from size {size1} to size {size2} (need 0 < size1 <= size2)"
        )));
    }
    let mut out = Vec::new();
    let (mut lo, mut hi, mut m, mut whole) = (0u64, size2, size1, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !whole {
                out.push(range_hash(src, lo, hi)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            out.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            out.push(range_hash(src, lo, lo + k)?);
            lo += k;
            m -= k;
            whole = false;
        }
    }
    out.reverse();
    Ok(out)
}

fn as_hash(bytes: &[u8], what: &str) -> Result<Hash, ProofError> {
    bytes.try_into().map_err(|_| {
        ProofError::Shape(format!("{what} has {} bytes, not {HASH_SIZE}", bytes.len()))
    })
}

/// Checks that `leaf_hash` is entry `index` of the tree of `size` entries
/// whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Range(format!(
            "index {index} is not below tree size {size}"
        )));
    }
    let mut r = as_hash(leaf_hash, "the leaf hash")?;
    let (mut fnode, mut snode) = (index, size - 1);
    for (i, p) in proof.iter().enumerate() {
        let p = as_hash(p.as_ref(), &format!("proof hash {i}"))?;
        if snode == 0 {
            return Err(ProofError::Shape(format!(
                "{} hashes where {i} were expected",
                proof.len()
            )));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(&p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, &p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::Shape(format!(
            "{} hashes is too few for index {index} in size {size}",
            proof.len()
        )));
    }
    if r.as_slice() != root {
        return Err(ProofError::Mismatch(format!(
            "entry {index} does not lead to the root of size {size}"
        )));
    }
    Ok(())
}

/// Checks that the tree of `size1` entries with root `root1` is a prefix of
/// the tree of `size2` entries with root `root2` (RFC 9162 §2.1.4.2). Equal
/// sizes need an empty proof and equal roots; an empty first tree proves
/// nothing and is refused.
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[P],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::Range(format!(
            "size {size1} is larger than size {size2}"
        )));
    }
    if size1 == 0 {
        return Err(ProofError::Range(
            "a consistency proof from the empty tree proves nothing".into(),
        ));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::Shape("equal sizes need an empty proof".into()));
        }
        if root1 != root2 {
            return Err(ProofError::Mismatch(format!(
                "two different roots for size {size1}"
            )));
        }
        return Ok(());
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    for (i, p) in proof.iter().enumerate() {
        path.push(as_hash(p.as_ref(), &format!("proof hash {i}"))?);
    }
    if path.is_empty() {
        return Err(ProofError::Shape("empty proof for different sizes".into()));
    }
    let root1 = as_hash(root1, "the first root")?;
    if size1.is_power_of_two() {
        path.insert(0, root1);
    }
    let mut fnode = size1 - 1;
    let mut snode = size2 - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut items = path.iter();
    let first = *items
        .next()
        .ok_or_else(|| ProofError::Shape("empty proof".into()))?;
    let (mut fr, mut sr) = (first, first);
    for c in items {
        if snode == 0 {
            return Err(ProofError::Shape(format!(
                "too many hashes ({}) for sizes {size1} and {size2}",
                proof.len()
            )));
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::Shape(format!(
            "too few hashes ({}) for sizes {size1} and {size2}",
            proof.len()
        )));
    }
    if fr != root1 {
        return Err(ProofError::Mismatch(format!(
            "the proof does not lead to the root of size {size1}"
        )));
    }
    if sr.as_slice() != root2 {
        return Err(ProofError::Mismatch(format!(
            "the proof does not lead to the root of size {size2}"
        )));
    }
    Ok(())
}

/// Builds the tree one leaf at a time in `O(log n)` memory: the right edge
/// of perfect subtrees. Gives the root at any size reached.
#[derive(Debug, Clone, Default)]
pub struct CompactRange {
    size: u64,
    /// Roots of the perfect subtrees, largest (leftmost) first.
    stack: Vec<Hash>,
}

impl CompactRange {
    /// An empty range.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries added so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut s = self.size;
        while s & 1 == 1 {
            if let Some(left) = self.stack.pop() {
                h = node_hash(&left, &h);
            }
            s >>= 1;
        }
        self.stack.push(h);
        self.size += 1;
    }

    /// The root of the tree of the entries added so far.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        match it.next() {
            None => empty_root(),
            Some(last) => it.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::cast_possible_truncation
    )]
    use super::*;

    /// Every leaf hash in memory: the simplest source.
    struct Leaves(Vec<Hash>);

    impl HashSource for Leaves {
        fn node(&self, height: u8, index: u64) -> Result<Hash, ProofError> {
            let lo = usize::try_from(index << height).unwrap();
            let hi = lo + (1usize << height);
            Ok(naive(&self.0[lo..hi]))
        }
    }

    /// MTH straight from the RFC's definition.
    fn naive(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&naive(&leaves[..k]), &naive(&leaves[k..]))
            }
        }
    }

    #[test]
    fn direct_hashing_matches_sha256() {
        // Every length around the block and staging boundaries.
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in (0..200).chain(1000..1100).chain(2040..2200) {
            let e = &data[..len];
            let mut want = Sha256::new();
            want.update([0u8]);
            want.update(e);
            assert_eq!(leaf_hash(e), <[u8; 32]>::from(want.finalize()), "len {len}");
        }
        let (l, r) = (leaf_hash(b"l"), leaf_hash(b"r"));
        let mut want = Sha256::new();
        want.update([1u8]);
        want.update(l);
        want.update(r);
        assert_eq!(node_hash(&l, &r), <[u8; 32]>::from(want.finalize()));
    }

    #[test]
    fn proofs_round_trip_for_every_small_tree() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let src = Leaves(leaves.clone());
        let mut cr = CompactRange::new();
        for n in 1..=leaves.len() as u64 {
            cr.push(leaves[n as usize - 1]);
            let r = root(&src, n).unwrap();
            assert_eq!(r, naive(&leaves[..n as usize]));
            assert_eq!(cr.root(), r);
            for i in 0..n {
                let p = inclusion_proof(&src, i, n).unwrap();
                verify_inclusion(i, n, &leaves[i as usize], &p, &r).unwrap();
                let other = leaf_hash(b"other");
                assert!(verify_inclusion(i, n, &other, &p, &r).is_err());
            }
            for m in 1..=n {
                let p = consistency_proof(&src, m, n).unwrap();
                let r1 = root(&src, m).unwrap();
                verify_consistency(m, n, &r1, &r, &p).unwrap();
                if m < n {
                    assert!(verify_consistency(m, n, &r, &r1, &p).is_err());
                }
            }
        }
    }
}
