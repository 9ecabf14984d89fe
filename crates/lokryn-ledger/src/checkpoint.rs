//! C2SP `tlog-checkpoint` (<https://c2sp.org/tlog-checkpoint>): the signed
//! statement of a tree head, `<origin>\n<size>\n<base64 root>\n` plus
//! optional extension lines, carried in a signed note.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::Error;
use crate::merkle::Hash;
use crate::note::{self, Signer, Verifier};

/// A tree head: origin, size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name (conventionally the signing key's name).
    pub origin: String,
    /// Entries in the tree.
    pub size: u64,
    /// The RFC 6962 root of those entries.
    pub root: Hash,
    /// Extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint text (the body of the note).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses checkpoint text (not a note: see [`open`]).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |m: &str| Error::new("BAD_CHECKPOINT", m);
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("a checkpoint ends in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size_line = lines.next().ok_or_else(|| bad("no tree size line"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(bad(
                "the tree size is not a decimal number without leading zeros",
            ));
        }
        let size: u64 = size_line
            .parse()
            .map_err(|_| bad("the tree size is too large"))?;
        let root_line = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root: Hash = B64
            .decode(root_line)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the root hash is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("an empty extension line"));
        }
        Ok(Self {
            origin: origin.into(),
            size,
            root,
            extensions,
        })
    }

    /// Signs the checkpoint into a signed note.
    pub fn sign(&self, signer: &Signer) -> Result<String, Error> {
        Ok(signer.sign(&self.to_text())?)
    }
}

/// Opens a signed checkpoint with `verifier` and parses it.
pub fn open(signed: &str, verifier: &Verifier) -> Result<Checkpoint, Error> {
    let text = note::open(signed, std::slice::from_ref(verifier))?;
    Checkpoint::parse(&text)
}
