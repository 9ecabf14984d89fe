//! `Ledger`: the tamper-evident ledger of `lokryn-ledger`, delegated.
//!
//! A `Ledger` reads without any lock; its first `append` opens the single
//! writer (the lock is held until `close`). Every failure is a `LedgerError`
//! carrying the ledger's `code`, and `index`/`offset` when it concerns an
//! entry.

use std::path::PathBuf;
use std::sync::Mutex;

use lokryn_compliance_log::redact::RedactOptions;
use lokryn_compliance_log::{LogEntry, codec, json};
use lokryn_ledger::store::{self, AppendOptions, Filter, Reader, Writer};
use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyRange};

use crate::entries::{decode_entry, log_entry_from_bytes};
use crate::errors::ComplianceLogError;

create_exception!(
    lokryn_compliance_log,
    LedgerError,
    ComplianceLogError,
    "A ledger that cannot be opened, written or verified, or a proof that does not check; `code`, `index` and `offset` say what and where."
);

fn ledger_err(py: Python<'_>, err: &lokryn_ledger::Error) -> PyErr {
    let e = LedgerError::new_err(err.to_string());
    let value = e.value(py);
    let loc = err.location;
    let _ = value.setattr("code", err.code);
    let _ = value.setattr("index", loc.and_then(|l| l.index));
    let _ = value.setattr("offset", loc.and_then(|l| l.offset));
    e
}

/// A tamper-evident ledger directory.
#[pyclass(module = "lokryn_compliance_log")]
#[derive(Debug)]
pub(crate) struct Ledger {
    path: PathBuf,
    options: AppendOptions,
    writer: Mutex<Option<Writer>>,
}

fn parse_time(py: Python<'_>, text: &str) -> PyResult<(i64, i32)> {
    let doc = serde_json::json!({ "time": text }).to_string();
    let entry = json::from_json(&doc).map_err(|e| {
        ledger_err(
            py,
            &lokryn_ledger::Error::new("USAGE", format!("{text:?} is not an RFC 3339 time: {e}")),
        )
    })?;
    Ok(entry.time.map_or((0, 0), |t| (t.seconds, t.nanos)))
}

#[pymethods]
impl Ledger {
    /// Opens the ledger at `path` (for reading; the first `append` takes the writer's lock).
    #[new]
    #[pyo3(signature = (path, *, allow_invalid = false, redact = false))]
    fn new(path: PathBuf, allow_invalid: bool, redact: bool) -> PyResult<Self> {
        Python::attach(|py| {
            store::Config::load(&path).map_err(|e| ledger_err(py, &e))?;
            Ok(Self {
                path,
                options: AppendOptions {
                    allow_invalid,
                    redact: redact.then(RedactOptions::default),
                },
                writer: Mutex::new(None),
            })
        })
    }

    /// Creates a ledger in `path` signed by the private key in `key_file`.
    #[staticmethod]
    #[pyo3(signature = (path, key_file, *, profiles = Vec::new()))]
    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
    fn init(
        py: Python<'_>,
        path: PathBuf,
        key_file: PathBuf,
        profiles: Vec<String>,
    ) -> PyResult<Self> {
        store::init(&path, &key_file, &profiles).map_err(|e| ledger_err(py, &e))?;
        Self::new(path, false, false)
    }

    /// A new Ed25519 key pair: (private key line, public key line).
    #[staticmethod]
    fn keygen(py: Python<'_>, name: &str) -> PyResult<(String, String)> {
        let s = store::generate_key(name).map_err(|e| ledger_err(py, &e))?;
        Ok((s.to_text(), s.verifier().to_text()))
    }

    /// Appends the entries (messages or bytes) with one commit; returns
    /// their indices once durable.
    fn append<'py>(&self, entries: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyRange>> {
        let py = entries.py();
        let mut batch: Vec<LogEntry> = Vec::new();
        for item in entries.try_iter()? {
            batch.push(decode_entry(&item?)?);
        }
        let mut guard = self.writer.lock().map_err(|_| {
            ledger_err(
                py,
                &lokryn_ledger::Error::new("POISONED", "a writer thread panicked"),
            )
        })?;
        if guard.is_none() {
            *guard = Some(
                Writer::open(&self.path, self.options.clone()).map_err(|e| ledger_err(py, &e))?,
            );
        }
        let Some(w) = guard.as_mut() else {
            return Err(ledger_err(
                py,
                &lokryn_ledger::Error::new("IO", "no writer"),
            ));
        };
        let range = py
            // Published at once, so that `size`, `read` and `prove` see the entries.
            .detach(|| w.append(&batch).and_then(|r| w.publish().map(|_| r)))
            .map_err(|e| ledger_err(py, &e))?;
        PyRange::new(
            py,
            isize::try_from(range.start).unwrap_or(isize::MAX),
            isize::try_from(range.end).unwrap_or(isize::MAX),
        )
    }

    /// Entries in the latest checkpoint.
    #[getter]
    fn size(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(Reader::open(&self.path)
            .map_err(|e| ledger_err(py, &e))?
            .size())
    }

    /// The latest signed checkpoint (a C2SP signed note).
    fn checkpoint(&self, py: Python<'_>) -> PyResult<String> {
        store::latest_checkpoint(&self.path).map_err(|e| ledger_err(py, &e))
    }

    /// Verifies the whole ledger (with the public key text `key`, default
    /// the ledger's own); returns a report dict, raises `LedgerError` naming
    /// the first problem.
    #[pyo3(signature = (key = None))]
    fn verify<'py>(&self, py: Python<'py>, key: Option<&str>) -> PyResult<Bound<'py, PyDict>> {
        let key = key
            .map(lokryn_ledger::Verifier::parse)
            .transpose()
            .map_err(|e| ledger_err(py, &e.into()))?;
        let path = self.path.clone();
        let report = py
            .detach(|| store::verify(&path, key.as_ref()))
            .map_err(|e| ledger_err(py, &e))?;
        let d = PyDict::new(py);
        d.set_item("origin", report.origin)?;
        d.set_item("size", report.size)?;
        d.set_item("root", report.root)?;
        d.set_item("checkpoints", report.checkpoints)?;
        d.set_item("entry_bytes", report.entry_bytes)?;
        d.set_item("unsigned_tail_bytes", report.unsigned_tail_bytes)?;
        Ok(d)
    }

    /// The inclusion proof of entry `index` (JSON text).
    #[pyo3(signature = (index, size = None))]
    fn prove(&self, py: Python<'_>, index: u64, size: Option<u64>) -> PyResult<String> {
        let p = store::prove_inclusion(&self.path, index, size).map_err(|e| ledger_err(py, &e))?;
        Ok(lokryn_ledger::proof::Proof::Inclusion(p).to_json())
    }

    /// The consistency proof from tree size `size1` to `size2` (default: the latest), JSON text.
    #[pyo3(signature = (size1, size2 = None))]
    fn prove_consistency(
        &self,
        py: Python<'_>,
        size1: u64,
        size2: Option<u64>,
    ) -> PyResult<String> {
        let p =
            store::prove_consistency(&self.path, size1, size2).map_err(|e| ledger_err(py, &e))?;
        Ok(lokryn_ledger::proof::Proof::Consistency(p).to_json())
    }

    /// The entries that match every given filter, in index order, as `LogEntry` messages.
    #[pyo3(signature = (*, since = None, until = None, actor = None, event_type = None, outcome = None, component = None, resource = None))]
    #[allow(clippy::too_many_arguments)]
    fn read<'py>(
        &self,
        py: Python<'py>,
        since: Option<&str>,
        until: Option<&str>,
        actor: Option<String>,
        event_type: Option<i32>,
        outcome: Option<i32>,
        component: Option<String>,
        resource: Option<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let filter = Filter {
            since: since.map(|s| parse_time(py, s)).transpose()?,
            until: until.map(|s| parse_time(py, s)).transpose()?,
            actor,
            event_type,
            outcome,
            component,
            resource,
        };
        let mut reader = Reader::open(&self.path).map_err(|e| ledger_err(py, &e))?;
        let mut raw: Vec<Vec<u8>> = Vec::new();
        // Only the stored bytes are kept: the filter reads views, nothing is
        // decoded here.
        filter
            .scan_views(&mut reader, &mut |r, _| {
                raw.push(r.bytes.clone());
                Ok(true)
            })
            .map_err(|e| ledger_err(py, &e))?;
        let out = PyList::empty(py);
        for bytes in raw {
            out.append(log_entry_from_bytes(py, &bytes)?)?;
        }
        Ok(out)
    }

    /// Releases the writer's lock (reading still works).
    fn close(&self) {
        if let Ok(mut g) = self.writer.lock() {
            *g = None;
        }
    }

    /// Checks a proof (JSON text) offline against one signed checkpoint
    /// (inclusion) or two (consistency) and the public key text; `entry`
    /// (a message or its bytes) must then be the proven one. Returns what
    /// was established; raises `LedgerError` when it does not check.
    #[staticmethod]
    #[pyo3(signature = (proof, checkpoints, key, entry = None))]
    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
    fn check_proof<'py>(
        py: Python<'py>,
        proof: &str,
        checkpoints: Vec<String>,
        key: &str,
        entry: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bytes = entry
            .map(|e| decode_entry(e).map(|e| codec::encode(&e)))
            .transpose()?;
        let refs: Vec<&str> = checkpoints.iter().map(String::as_str).collect();
        let c = lokryn_ledger::proof::check_json(proof, &refs, key, bytes.as_deref())
            .map_err(|e| ledger_err(py, &e))?;
        let d = PyDict::new(py);
        d.set_item("type", c.kind)?;
        d.set_item("origin", c.origin)?;
        d.set_item("size", c.size)?;
        d.set_item("index", c.index)?;
        d.set_item("size1", c.size1)?;
        d.set_item("entry_checked", c.entry_checked)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Ledger({:?})", self.path.display().to_string())
    }
}
