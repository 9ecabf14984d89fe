//! A tamper-evident ledger of compliance log records.
//!
//! Entries (the exact protobuf encoding of each `LogEntry`) are the leaves of
//! an RFC 6962 Merkle tree; the ledger signs C2SP checkpoints of the tree with
//! Ed25519 and stores the tree as C2SP tlog hash tiles, so standard
//! transparency-log tools can check it. See docs/ledger.md.
//!
//! * [`merkle`]: hashing, roots, inclusion and consistency proofs.
//! * [`note`] and [`checkpoint`]: signed notes, keys and checkpoints.
//! * [`proof`]: the JSON form of proofs and the offline check an auditor runs.
//! * [`tiles`]: tile paths and reading proofs from tiles.
//! * `store` (feature `store`, on by default): the ledger on disk.
//!
//! Everything but `store` is free of I/O and builds for wasm32.

pub mod checkpoint;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod tiles;

#[cfg(feature = "store")]
pub mod store;

pub use checkpoint::Checkpoint;
pub use merkle::Hash;
pub use note::{Signer, Verifier};

/// Where in the ledger a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// The entry's index, when the problem is an entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The byte offset in the entry file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// An error of the ledger: a stable code, a message, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// A stable, upper-case code (`BAD_PROOF`, `LOCKED`, `TAMPERED`, ...).
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Where, when it concerns a stored entry.
    pub location: Option<Location>,
}

impl Error {
    /// An error without a location.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            location: None,
        }
    }

    /// An error at an entry (`offset` into the entry file).
    pub fn at(
        code: &'static str,
        message: impl Into<String>,
        index: u64,
        offset: Option<u64>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            location: Some(Location {
                index: Some(index),
                offset,
            }),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<note::NoteError> for Error {
    fn from(e: note::NoteError) -> Self {
        Self::new(e.code, e.message)
    }
}

impl From<merkle::ProofError> for Error {
    fn from(e: merkle::ProofError) -> Self {
        Self::new("BAD_PROOF", e.to_string())
    }
}

/// A result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
