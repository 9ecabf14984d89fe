//! The ledger on disk.
//!
//! ```text
//! <dir>/ledger.json          origin, public key, private key file, profiles
//! <dir>/checkpoint           the latest signed checkpoint
//! <dir>/checkpoints/<size>   every checkpoint the ledger signed
//! <dir>/entries.ldpb         the entries: varint length + exact protobuf bytes, in order
//! <dir>/entries.idx          for entry i, the little-endian u64 end offset of it in entries.ldpb
//! <dir>/journal              commits acknowledged since the latest checkpoint
//! <dir>/tile/<L>/<N>[.p/<W>] C2SP tlog-tiles hash tiles
//! <dir>/lock                 the writer's lock (and who holds it)
//! ```
//!
//! A commit is acknowledged once its journal record is synced (one
//! `fdatasync`); the entry files, tiles and checkpoint are derived from the
//! entries and written when the writer publishes (see `writer`). Readers
//! and verify see the entries of the latest checkpoint. Opening a writer
//! cuts the entry files back to the latest checkpoint, replays the journal
//! and publishes what it held: whatever is neither covered by the
//! checkpoint nor in a whole journal record was never acknowledged.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, Checkpoint};
use crate::note::{Signer, Verifier};
use crate::{Error, Result};

mod read;
mod verify;
mod writer;

pub use read::{Filter, Reader};
pub use verify::{VerifyReport, verify};
pub use writer::{AppendOptions, Writer};

/// The format version written in `ledger.json`.
pub const FORMAT_VERSION: u32 = 1;

pub(crate) const CONFIG: &str = "ledger.json";
pub(crate) const CHECKPOINT: &str = "checkpoint";
pub(crate) const CHECKPOINTS: &str = "checkpoints";
pub(crate) const ENTRIES: &str = "entries.ldpb";
pub(crate) const INDEX: &str = "entries.idx";
pub(crate) const LOCK: &str = "lock";
pub(crate) const JOURNAL: &str = "journal";

/// The settings of a ledger, in `ledger.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// [`FORMAT_VERSION`].
    pub format: u32,
    /// The checkpoint origin (the key's name).
    pub origin: String,
    /// The verifier key, text form.
    pub public_key: String,
    /// Where the writer finds the private key (kept out of the directory, which may be served).
    pub private_key_file: PathBuf,
    /// The validation profiles entries must pass (`baseline` always applies).
    pub profiles: Vec<String>,
}

impl Config {
    /// Reads `<dir>/ledger.json`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(CONFIG);
        let text = fs::read_to_string(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::new(
                    "NOT_A_LEDGER",
                    format!(
                        "{}: no ledger here (run `complog ledger init`)",
                        dir.display()
                    ),
                )
            } else {
                io_error(&path, &e)
            }
        })?;
        let config: Self = serde_json::from_str(&text)
            .map_err(|e| Error::new("BAD_CONFIG", format!("{}: {e}", path.display())))?;
        if config.format != FORMAT_VERSION {
            return Err(Error::new(
                "BAD_CONFIG",
                format!(
                    "{}: format {} is not supported",
                    path.display(),
                    config.format
                ),
            ));
        }
        Ok(config)
    }

    /// The public key.
    pub fn verifier(&self) -> Result<Verifier> {
        Ok(Verifier::parse(&self.public_key)?)
    }
}

/// An I/O error naming the file.
pub(crate) fn io_error(path: &Path, err: &io::Error) -> Error {
    let code = match err.raw_os_error() {
        Some(28) => "DISK_FULL",
        _ => "IO",
    };
    Error::new(code, format!("{}: {err}", path.display()))
}

/// A new Ed25519 signer with a random key.
pub fn generate_key(name: &str) -> Result<Signer> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| Error::new("IO", format!("no randomness for a key: {e}")))?;
    Ok(Signer::from_seed(name, seed)?)
}

/// Reads a private key file.
pub fn load_signer(path: &Path) -> Result<Signer> {
    let text = fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    let line = text
        .lines()
        .find(|l| l.starts_with("PRIVATE+KEY+"))
        .ok_or_else(|| {
            Error::new(
                "BAD_KEY",
                format!("{}: no PRIVATE+KEY+ line", path.display()),
            )
        })?;
    Ok(Signer::parse(line)?)
}

/// Reads a public key file (its first line that is not a private key).
pub fn load_verifier(path: &Path) -> Result<Verifier> {
    let text = fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("PRIVATE+KEY+"))
        .ok_or_else(|| Error::new("BAD_KEY", format!("{}: no public key line", path.display())))?;
    Ok(Verifier::parse(line)?)
}

/// Creates a ledger in `dir` (which must be empty or absent), signed by the
/// key in `key_file`, whose entries must pass `profiles`.
pub fn init(dir: &Path, key_file: &Path, profiles: &[String]) -> Result<Config> {
    let signer = load_signer(key_file)?;
    lokryn_compliance_log::validate::Options::for_profiles(profiles)
        .map_err(|e| Error::new("USAGE", e.to_string()))?;
    if dir.exists() {
        let mut it = fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
        if it.next().is_some() {
            return Err(Error::new(
                "EXISTS",
                format!("{}: the directory is not empty", dir.display()),
            ));
        }
    } else {
        create_dir_synced(dir)?;
    }
    let key_path = fs::canonicalize(key_file).map_err(|e| io_error(key_file, &e))?;
    let config = Config {
        format: FORMAT_VERSION,
        origin: signer.name().to_string(),
        public_key: signer.verifier().to_text(),
        private_key_file: key_path,
        profiles: profiles.to_vec(),
    };
    let text =
        serde_json::to_string_pretty(&config).map_err(|e| Error::new("IO", e.to_string()))?;
    write_atomic(dir, CONFIG, format!("{text}\n").as_bytes())?;
    for name in [ENTRIES, INDEX] {
        let f = File::create(dir.join(name)).map_err(|e| io_error(&dir.join(name), &e))?;
        f.sync_all().map_err(|e| io_error(&dir.join(name), &e))?;
    }
    create_dir_synced(&dir.join(CHECKPOINTS))?;
    let empty = Checkpoint {
        origin: config.origin.clone(),
        size: 0,
        root: crate::merkle::empty_root(),
        extensions: Vec::new(),
    };
    let signed = empty.sign(&signer)?;
    store_checkpoint(dir, 0, &signed)?;
    sync_dir(dir)?;
    Ok(config)
}

/// Writes `checkpoint` then `checkpoints/<size>`, each durable before the
/// next (so no kept checkpoint is ever newer than `checkpoint`; opening a
/// writer adds a kept copy that a crash left out).
pub(crate) fn store_checkpoint(dir: &Path, size: u64, signed: &str) -> Result<()> {
    write_atomic(dir, CHECKPOINT, signed.as_bytes())?;
    write_atomic(&dir.join(CHECKPOINTS), &size.to_string(), signed.as_bytes())
}

/// Writes `dir/name` through a temporary file: written, synced, renamed,
/// and the directory synced.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = File::create(&tmp).map_err(|e| io_error(&tmp, &e))?;
    f.write_all(bytes).map_err(|e| io_error(&tmp, &e))?;
    f.sync_all().map_err(|e| io_error(&tmp, &e))?;
    drop(f);
    let dest = dir.join(name);
    fs::rename(&tmp, &dest).map_err(|e| io_error(&dest, &e))?;
    sync_dir(dir)
}

/// Syncs a directory, so that the names in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, &e))
}

/// Creates `dir` and any missing parents, syncing each parent after.
pub(crate) fn create_dir_synced(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_synced(parent)?;
        match fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(io_error(dir, &e)),
        }
        sync_dir(parent)
    } else {
        fs::create_dir(dir).map_err(|e| io_error(dir, &e))
    }
}

/// Reads the latest checkpoint, opened with `key`.
pub(crate) fn read_checkpoint(dir: &Path, key: &Verifier) -> Result<(Checkpoint, String)> {
    let path = dir.join(CHECKPOINT);
    let text = fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
    let cp = checkpoint::open(&text, key)
        .map_err(|e| Error::new(e.code, format!("{}: {}", path.display(), e.message)))?;
    Ok((cp, text))
}

/// The latest signed checkpoint of the ledger in `dir`, as text.
pub fn latest_checkpoint(dir: &Path) -> Result<String> {
    let config = Config::load(dir)?;
    Ok(read_checkpoint(dir, &config.verifier()?)?.1)
}

/// Reads the tiles of a ledger directory.
#[derive(Debug)]
pub(crate) struct DirTiles<'a>(pub(crate) &'a Path);

impl crate::tiles::TileReader for DirTiles<'_> {
    fn read_tile(&self, path: &str) -> std::result::Result<Vec<u8>, crate::merkle::ProofError> {
        fs::read(self.0.join(path))
            .map_err(|e| crate::merkle::ProofError::Source(format!("{path}: {e}")))
    }
}

/// The inclusion proof of entry `index` in the tree of `size` entries
/// (default: the latest checkpoint's), with the entry's bytes.
pub fn prove_inclusion(
    dir: &Path,
    index: u64,
    size: Option<u64>,
) -> Result<crate::proof::InclusionProof> {
    use base64::Engine as _;
    let config = Config::load(dir)?;
    let (cp, _) = read_checkpoint(dir, &config.verifier()?)?;
    let size = size.unwrap_or(cp.size);
    if size > cp.size {
        return Err(Error::new(
            "RANGE",
            format!("size {size} is past the latest checkpoint ({})", cp.size),
        ));
    }
    let tiles = DirTiles(dir);
    let src = crate::tiles::TileHashes::new(&tiles, cp.size);
    let proof = crate::merkle::inclusion_proof(&src, index, size)?;
    let reader = Reader::open(dir)?;
    let entry = reader.entry(index)?;
    Ok(crate::proof::InclusionProof {
        index,
        size,
        leaf: base64::engine::general_purpose::STANDARD.encode(crate::merkle::leaf_hash(&entry)),
        entry: Some(base64::engine::general_purpose::STANDARD.encode(&entry)),
        proof: crate::proof::encode_hashes(&proof),
    })
}

/// The consistency proof from the tree of `from` entries to that of `to`
/// (default: the latest checkpoint's size).
pub fn prove_consistency(
    dir: &Path,
    from: u64,
    to: Option<u64>,
) -> Result<crate::proof::ConsistencyProof> {
    let config = Config::load(dir)?;
    let (cp, _) = read_checkpoint(dir, &config.verifier()?)?;
    let to = to.unwrap_or(cp.size);
    if to > cp.size {
        return Err(Error::new(
            "RANGE",
            format!("size {to} is past the latest checkpoint ({})", cp.size),
        ));
    }
    let tiles = DirTiles(dir);
    let src = crate::tiles::TileHashes::new(&tiles, cp.size);
    let proof = crate::merkle::consistency_proof(&src, from, to)?;
    Ok(crate::proof::ConsistencyProof {
        size1: from,
        size2: to,
        proof: crate::proof::encode_hashes(&proof),
    })
}

/// The signed checkpoint kept for `size`, if the ledger signed one.
pub fn checkpoint_at(dir: &Path, size: u64) -> Result<String> {
    let path = dir.join(CHECKPOINTS).join(size.to_string());
    fs::read_to_string(&path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Error::new(
                "NOT_FOUND",
                format!("no checkpoint of size {size} was kept"),
            )
        } else {
            io_error(&path, &e)
        }
    })
}

/// Reads one little-endian u64 from the index file at entry `i`.
pub(crate) fn read_index_at(idx: &mut File, i: u64) -> io::Result<u64> {
    use std::io::Seek;
    idx.seek(io::SeekFrom::Start(i * 8))?;
    let mut b = [0u8; 8];
    idx.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Opens a file for reading and writing without truncating it.
pub(crate) fn open_rw(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, &e))
}

/// A varint at the start of `b`: its value and length; `None` when `b`
/// ends inside it or it is longer than ten bytes.
pub(crate) fn split_varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in b.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}
