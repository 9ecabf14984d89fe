//! Proofs as JSON, and the offline check an auditor runs with only the
//! proof, the signed checkpoint(s), the public key and (optionally) the entry.
//!
//! ```json
//! {"type":"inclusion","index":3,"size":8,"leaf":"<base64>","proof":["<base64>", ...]}
//! {"type":"consistency","size1":4,"size2":8,"proof":["<base64>", ...]}
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::checkpoint::{self, Checkpoint};
use crate::merkle::{self, Hash};
use crate::note::Verifier;

/// An inclusion proof: entry `index` is in the tree of `size` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The tree size the proof is for.
    pub size: u64,
    /// The entry's leaf hash, base64.
    pub leaf: String,
    /// The exact stored entry bytes, base64 (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// The proof hashes, base64, lowest first.
    pub proof: Vec<String>,
}

/// A consistency proof: the tree of `size1` entries is a prefix of the tree of `size2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The smaller tree size.
    pub size1: u64,
    /// The larger tree size.
    pub size2: u64,
    /// The proof hashes, base64, lowest first.
    pub proof: Vec<String>,
}

/// Either proof, tagged by `"type"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Proof {
    /// See [`InclusionProof`].
    Inclusion(InclusionProof),
    /// See [`ConsistencyProof`].
    Consistency(ConsistencyProof),
}

impl Proof {
    /// Parses the JSON form.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(|e| Error::new("BAD_PROOF", format!("not a proof: {e}")))
    }

    /// The JSON form (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Base64 of every hash.
pub fn encode_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

fn decode_all(items: &[String]) -> Result<Vec<Vec<u8>>, Error> {
    items
        .iter()
        .map(|s| {
            B64.decode(s)
                .map_err(|_| Error::new("BAD_PROOF", "a proof hash is not base64"))
        })
        .collect()
}

/// What a successful check established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// `inclusion` or `consistency`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The checkpoint origin.
    pub origin: String,
    /// The tree size of the (latest) checkpoint.
    pub size: u64,
    /// For inclusion: the entry index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// For consistency: the smaller size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size1: Option<u64>,
    /// Whether the entry bytes were checked against the leaf hash.
    pub entry_checked: bool,
}

/// Checks an inclusion proof against a signed checkpoint (opened with
/// `key`). When `entry` is given (the exact stored bytes), its leaf hash
/// must be the proof's; otherwise an `entry` inside the proof is checked.
pub fn check_inclusion(
    proof: &InclusionProof,
    signed_checkpoint: &str,
    key: &Verifier,
    entry: Option<&[u8]>,
) -> Result<Checked, Error> {
    let cp = checkpoint::open(signed_checkpoint, key)?;
    if cp.size != proof.size {
        return Err(Error::new(
            "SIZE_MISMATCH",
            format!(
                "the proof is for size {}, the checkpoint has size {}",
                proof.size, cp.size
            ),
        ));
    }
    let leaf = B64
        .decode(&proof.leaf)
        .map_err(|_| Error::new("BAD_PROOF", "the leaf hash is not base64"))?;
    let embedded = match &proof.entry {
        Some(e) => Some(
            B64.decode(e)
                .map_err(|_| Error::new("BAD_PROOF", "the entry is not base64"))?,
        ),
        None => None,
    };
    let bytes = entry.map(<[u8]>::to_vec).or(embedded);
    if let Some(bytes) = &bytes
        && merkle::leaf_hash(bytes).as_slice() != leaf.as_slice()
    {
        return Err(Error::new(
            "ENTRY_MISMATCH",
            format!(
                "the entry's leaf hash is not the proof's leaf (entry {})",
                proof.index
            ),
        ));
    }
    merkle::verify_inclusion(
        proof.index,
        proof.size,
        &leaf,
        &decode_all(&proof.proof)?,
        &cp.root,
    )?;
    Ok(Checked {
        kind: "inclusion",
        origin: cp.origin,
        size: cp.size,
        index: Some(proof.index),
        size1: None,
        entry_checked: bytes.is_some(),
    })
}

/// Checks a consistency proof between two signed checkpoints (in either order).
pub fn check_consistency(
    proof: &ConsistencyProof,
    signed1: &str,
    signed2: &str,
    key: &Verifier,
) -> Result<Checked, Error> {
    let a = checkpoint::open(signed1, key)?;
    let b = checkpoint::open(signed2, key)?;
    let (old, new) = if a.size <= b.size { (a, b) } else { (b, a) };
    if old.size != proof.size1 || new.size != proof.size2 {
        return Err(Error::new(
            "SIZE_MISMATCH",
            format!(
                "the proof is for sizes {} and {}, the checkpoints have sizes {} and {}",
                proof.size1, proof.size2, old.size, new.size
            ),
        ));
    }
    check_roots(&old, &new, &decode_all(&proof.proof)?)?;
    Ok(Checked {
        kind: "consistency",
        origin: new.origin,
        size: new.size,
        index: None,
        size1: Some(old.size),
        entry_checked: false,
    })
}

/// Checks that `old` is a prefix of `new` with `proof`; two checkpoints of
/// one size must have one root (otherwise the log forked).
pub fn check_roots(old: &Checkpoint, new: &Checkpoint, proof: &[Vec<u8>]) -> Result<(), Error> {
    if old.origin != new.origin {
        return Err(Error::new(
            "BAD_PROOF",
            "the checkpoints are of different logs",
        ));
    }
    if old.size == new.size && old.root != new.root {
        return Err(Error::new(
            "FORKED",
            format!(
                "two signed checkpoints of size {} with different roots",
                old.size
            ),
        ));
    }
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, proof)?;
    Ok(())
}

/// Checks any proof (JSON) with the checkpoints (one for inclusion, two for
/// consistency) and the public key text: the entry point for the bindings.
pub fn check_json(
    proof_json: &str,
    checkpoints: &[&str],
    key_text: &str,
    entry: Option<&[u8]>,
) -> Result<Checked, Error> {
    let key = Verifier::parse(key_text)?;
    match (Proof::from_json(proof_json)?, checkpoints) {
        (Proof::Inclusion(p), [cp]) => check_inclusion(&p, cp, &key, entry),
        (Proof::Consistency(p), [a, b]) => check_consistency(&p, a, b, &key),
        (Proof::Inclusion(_), _) => Err(Error::new(
            "USAGE",
            "an inclusion proof is checked against one checkpoint",
        )),
        (Proof::Consistency(_), _) => Err(Error::new(
            "USAGE",
            "a consistency proof is checked against two checkpoints (older and newer)",
        )),
    }
}
