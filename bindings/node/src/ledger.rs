//! `Ledger`: the tamper-evident ledger of `lokryn-ledger`, delegated (the
//! same API as Python's `lokryn_compliance_log.Ledger`), and `checkProof`.
//!
//! A `Ledger` reads without any lock; its first `append` opens the single
//! writer, whose lock is held until `close()`. Every failure throws a
//! `ComplianceLogError` with the ledger's `code`, and `index`/`offset` when
//! it concerns a stored entry.

use std::path::PathBuf;

use lokryn_compliance_log::redact::RedactOptions;
use lokryn_compliance_log::{LogEntry, json};
use lokryn_compliance_log_js::{ToJs as _, api, ledger};
use lokryn_ledger::store::{self, AppendOptions, Filter, Reader, Writer};
use napi::bindgen_prelude::{Env, Result, Unknown};
use napi_derive::napi;

use crate::{Node, arg};

/// Throws `err` as the packages' error object.
fn thrown(h: &Node<'_>, err: &lokryn_ledger::Error) -> napi::Error {
    match ledger::ledger_failure::<napi::Error>(err).into_js(h) {
        Ok(value) => napi::Error::from(value),
        Err(e) => e,
    }
}

/// `new Ledger(path, options?)`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct LedgerOptions {
    /// Append entries that fail validation under the ledger's profiles.
    pub allow_invalid: Option<bool>,
    /// Redact sensitive data before appending.
    pub redact: Option<bool>,
}

/// `Ledger.init(path, keyFile, options?)`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct InitOptions {
    /// The validation profiles appended entries must pass.
    pub profiles: Option<Vec<String>>,
}

/// What `append` returns: the indices `start` to `end - 1`; `end` is the tree size.
#[napi(object)]
#[derive(Debug)]
pub struct Appended {
    /// The first index given.
    pub start: f64,
    /// One past the last index given (the tree size after the append).
    pub end: f64,
}

/// What `verify` returns.
#[napi(object)]
#[derive(Debug)]
pub struct VerifyReport {
    /// The log's origin.
    pub origin: String,
    /// Entries verified (the latest checkpoint's size).
    pub size: f64,
    /// The latest root, base64.
    pub root: String,
    /// Signed checkpoints checked.
    pub checkpoints: f64,
    /// Bytes of entries checked.
    pub entry_bytes: f64,
    /// Bytes past the latest checkpoint (not yet published, or never acknowledged; not part of the log yet).
    pub unsigned_tail_bytes: f64,
}

/// `read(filter?)`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct ReadFilter {
    /// Entries at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Entries before this RFC 3339 time.
    pub until: Option<String>,
    /// The actor's id.
    pub actor: Option<String>,
    /// An `EventType` value.
    pub event_type: Option<i32>,
    /// An `Outcome` value.
    pub outcome: Option<i32>,
    /// The component.
    pub component: Option<String>,
    /// The resource.
    pub resource: Option<String>,
}

fn parse_time(text: &str) -> lokryn_ledger::Result<(i64, i32)> {
    let doc = serde_json::json!({ "time": text }).to_string();
    let entry = json::from_json(&doc).map_err(|e| {
        lokryn_ledger::Error::new("USAGE", format!("{text:?} is not an RFC 3339 time: {e}"))
    })?;
    Ok(entry.time.map_or((0, 0), |t| (t.seconds, t.nanos)))
}

/// A tamper-evident ledger directory.
#[napi(js_name = "Ledger")]
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    options: AppendOptions,
    writer: Option<Writer>,
}

impl Ledger {
    fn open(h: &Node<'_>, path: PathBuf, options: AppendOptions) -> Result<Self> {
        store::Config::load(&path).map_err(|e| thrown(h, &e))?;
        Ok(Self {
            path,
            options,
            writer: None,
        })
    }
}

#[napi]
impl Ledger {
    /// Opens the ledger at `path` (for reading; the first `append` takes the writer's lock).
    #[napi(constructor)]
    pub fn new(env: &Env, path: String, options: Option<LedgerOptions>) -> Result<Self> {
        let h = Node::new(env)?;
        let options = options.unwrap_or_default();
        Self::open(
            &h,
            PathBuf::from(path),
            AppendOptions {
                allow_invalid: options.allow_invalid.unwrap_or(false),
                redact: options.redact.unwrap_or(false).then(RedactOptions::default),
            },
        )
    }

    /// Creates a ledger in `path` signed by the private key in `keyFile`.
    #[napi(factory)]
    pub fn init(
        env: &Env,
        path: String,
        key_file: String,
        options: Option<InitOptions>,
    ) -> Result<Self> {
        let h = Node::new(env)?;
        let path = PathBuf::from(path);
        let profiles = options.and_then(|o| o.profiles).unwrap_or_default();
        store::init(&path, &PathBuf::from(key_file), &profiles).map_err(|e| thrown(&h, &e))?;
        Self::open(&h, path, AppendOptions::default())
    }

    /// A new Ed25519 key pair: `[private key line, public key line]`.
    #[napi]
    #[allow(clippy::needless_pass_by_value)] // napi-rs passes owned strings
    pub fn keygen(env: &Env, name: String) -> Result<Vec<String>> {
        let h = Node::new(env)?;
        let s = store::generate_key(&name).map_err(|e| thrown(&h, &e))?;
        Ok(vec![s.to_text(), s.verifier().to_text()])
    }

    /// Appends the entries (objects or their encodings) with one commit;
    /// returns their indices once durable.
    #[napi]
    pub fn append(&mut self, env: &Env, entries: Unknown<'_>) -> Result<Appended> {
        let h = Node::new(env)?;
        let batch = h.finish_with(api::entries_input(&h, &entries, "entries"))?;
        if self.writer.is_none() {
            self.writer =
                Some(Writer::open(&self.path, self.options.clone()).map_err(|e| thrown(&h, &e))?);
        }
        let Some(w) = self.writer.as_mut() else {
            return Err(thrown(&h, &lokryn_ledger::Error::new("IO", "no writer")));
        };
        // Published at once, so that `size`, `read` and `prove` see the entries.
        let range = w
            .append(&batch)
            .and_then(|r| w.publish().map(|_| r))
            .map_err(|e| thrown(&h, &e))?;
        Ok(Appended {
            start: range.start as f64,
            end: range.end as f64,
        })
    }

    /// Entries in the latest checkpoint.
    #[napi(getter)]
    pub fn size(&self, env: &Env) -> Result<f64> {
        let h = Node::new(env)?;
        Ok(Reader::open(&self.path).map_err(|e| thrown(&h, &e))?.size() as f64)
    }

    /// The latest signed checkpoint (a C2SP signed note).
    #[napi]
    pub fn checkpoint(&self, env: &Env) -> Result<String> {
        let h = Node::new(env)?;
        store::latest_checkpoint(&self.path).map_err(|e| thrown(&h, &e))
    }

    /// Verifies the whole ledger (with the public key text `key`, default the
    /// ledger's own); throws naming the first problem.
    #[napi]
    #[allow(clippy::needless_pass_by_value)] // napi-rs passes owned strings
    pub fn verify(&self, env: &Env, key: Option<String>) -> Result<VerifyReport> {
        let h = Node::new(env)?;
        let key = key
            .as_deref()
            .map(lokryn_ledger::Verifier::parse)
            .transpose()
            .map_err(|e| thrown(&h, &e.into()))?;
        let r = store::verify(&self.path, key.as_ref()).map_err(|e| thrown(&h, &e))?;
        Ok(VerifyReport {
            origin: r.origin,
            size: r.size as f64,
            root: r.root,
            checkpoints: r.checkpoints as f64,
            entry_bytes: r.entry_bytes as f64,
            unsigned_tail_bytes: r.unsigned_tail_bytes as f64,
        })
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries
    /// (default: the latest), JSON text.
    #[napi]
    pub fn prove(&self, env: &Env, index: i64, size: Option<i64>) -> Result<String> {
        let h = Node::new(env)?;
        let index = count(&h, index, "index")?;
        let size = size.map(|s| count(&h, s, "size")).transpose()?;
        let p = store::prove_inclusion(&self.path, index, size).map_err(|e| thrown(&h, &e))?;
        Ok(lokryn_ledger::proof::Proof::Inclusion(p).to_json())
    }

    /// The consistency proof from tree size `size1` to `size2` (default: the latest), JSON text.
    #[napi]
    pub fn prove_consistency(&self, env: &Env, size1: i64, size2: Option<i64>) -> Result<String> {
        let h = Node::new(env)?;
        let size1 = count(&h, size1, "size1")?;
        let size2 = size2.map(|s| count(&h, s, "size2")).transpose()?;
        let p = store::prove_consistency(&self.path, size1, size2).map_err(|e| thrown(&h, &e))?;
        Ok(lokryn_ledger::proof::Proof::Consistency(p).to_json())
    }

    /// The entries that match every given filter, in index order.
    #[napi]
    pub fn read<'env>(
        &self,
        env: &'env Env,
        filter: Option<ReadFilter>,
    ) -> Result<Vec<Unknown<'env>>> {
        let h = Node::new(env)?;
        let f = filter.unwrap_or_default();
        let time = |t: Option<String>| {
            t.as_deref()
                .map(parse_time)
                .transpose()
                .map_err(|e| thrown(&h, &e))
        };
        let filter = Filter {
            since: time(f.since)?,
            until: time(f.until)?,
            actor: f.actor,
            event_type: f.event_type,
            outcome: f.outcome,
            component: f.component,
            resource: f.resource,
        };
        let mut reader = Reader::open(&self.path).map_err(|e| thrown(&h, &e))?;
        let mut entries: Vec<LogEntry> = Vec::new();
        filter
            .scan(&mut reader, &mut |_, entry| {
                entries.push(entry.clone());
                Ok(true)
            })
            .map_err(|e| thrown(&h, &e))?;
        entries.iter().map(|e| e.to_js(&h)).collect()
    }

    /// Releases the writer's lock (reading still works).
    #[napi]
    pub fn close(&mut self) {
        self.writer = None;
    }

    /// `Ledger.checkProof(proof, checkpoints, key, entry?)`: the package's
    /// `checkProof`.
    #[napi]
    pub fn check_proof<'env>(
        env: &'env Env,
        proof: Unknown<'env>,
        checkpoints: Unknown<'env>,
        key: Unknown<'env>,
        entry: Option<Unknown<'env>>,
    ) -> Result<Unknown<'env>> {
        check_proof(env, proof, checkpoints, key, entry)
    }
}

/// Checks a proof offline against one checkpoint (inclusion) or two
/// (consistency) and the public key; `entry` (bytes or an object) must then
/// be the proven one.
#[napi]
pub fn check_proof<'env>(
    env: &'env Env,
    proof: Unknown<'env>,
    checkpoints: Unknown<'env>,
    key: Unknown<'env>,
    entry: Option<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    let h = Node::new(env)?;
    let entry = arg(&h, entry)?;
    h.finish(ledger::check_proof(&h, &proof, &checkpoints, &key, &entry))
}

/// A non-negative integer argument.
fn count(h: &Node<'_>, n: i64, what: &str) -> Result<u64> {
    u64::try_from(n).map_err(|_| {
        thrown(
            h,
            &lokryn_ledger::Error::new("USAGE", format!("{what} must not be negative")),
        )
    })
}
