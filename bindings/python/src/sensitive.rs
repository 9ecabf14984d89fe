//! Sensitive-data detection and redaction, delegated to
//! `lokryn_compliance_log::sensitive` and `::redact`.

use lokryn_compliance_log::redact::{self as core_redact, RedactOptions};
use lokryn_compliance_log::sensitive::{self as core_sensitive, Finding as CoreFinding};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::entries::{decode_entry, log_entry_from_bytes};
use crate::generated_report::Finding;

pub(crate) fn findings_tuple(
    py: Python<'_>,
    findings: impl Iterator<Item = CoreFinding>,
) -> PyResult<Bound<'_, PyTuple>> {
    let items = findings
        .map(|f| Py::new(py, Finding(f.to_message())))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// A redaction key: `bytes`, or `str` (its UTF-8 bytes).
fn key_bytes(key: Option<&Bound<'_, PyAny>>) -> PyResult<RedactOptions> {
    let Some(key) = key else {
        return Ok(RedactOptions::default());
    };
    let bytes = if let Ok(b) = key.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else if let Ok(s) = key.cast::<PyString>() {
        s.to_cow()?.as_bytes().to_vec()
    } else {
        return Err(PyTypeError::new_err("key must be bytes or str"));
    };
    Ok(RedactOptions::default().with_key(bytes))
}

/// The sensitive data in every searched field of an entry (all kinds,
/// whatever the profile), in field order.
#[pyfunction]
pub(crate) fn find_sensitive<'py>(entry: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let decoded = decode_entry(entry)?;
    findings_tuple(entry.py(), core_sensitive::find(&decoded).into_iter())
}

/// The sensitive data in one piece of text, as `Finding`s with `field` "".
#[pyfunction]
pub(crate) fn scan_text<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyTuple>> {
    let found = core_sensitive::scan_text(text)
        .into_iter()
        .map(|m| CoreFinding {
            kind: m.kind,
            field: String::new(),
            start: m.start,
            end: m.end,
            confidence: m.confidence,
        });
    findings_tuple(py, found)
}

/// A redacted copy of an entry and what was replaced.
#[pyclass(module = "lokryn_compliance_log", frozen)]
#[derive(Debug)]
pub(crate) struct Redaction {
    entry: Py<PyAny>,
    findings: Py<PyTuple>,
}

#[pymethods]
impl Redaction {
    /// The redacted copy, a new `LogEntry` message.
    #[getter]
    fn entry(&self, py: Python<'_>) -> Py<PyAny> {
        self.entry.clone_ref(py)
    }

    /// What was replaced, with spans in the original entry.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.findings.bind(py).clone()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Redaction(findings={})",
            self.findings.bind(py).repr()?
        ))
    }
}

/// A copy of an entry with card numbers truncated to their first six and
/// last four digits and everything else sensitive replaced by
/// `[REDACTED:<kind>]`, or, with `key`, by a keyed token
/// `[REDACTED:<kind>:<hmac>]`. The entry passed in is not changed.
#[pyfunction]
#[pyo3(signature = (entry, *, key = None))]
pub(crate) fn redact(
    entry: &Bound<'_, PyAny>,
    key: Option<&Bound<'_, PyAny>>,
) -> PyResult<Redaction> {
    let py = entry.py();
    let options = key_bytes(key)?;
    let decoded = decode_entry(entry)?;
    let out = core_redact::redact(&decoded, &options);
    let bytes = lokryn_compliance_log::codec::encode(&out.entry);
    Ok(Redaction {
        entry: log_entry_from_bytes(py, &bytes)?.unbind(),
        findings: findings_tuple(py, out.findings.into_iter())?.unbind(),
    })
}

/// A piece of text redacted as `redact` redacts a string field.
#[pyfunction]
#[pyo3(signature = (text, *, key = None))]
pub(crate) fn redact_text(text: &str, key: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    Ok(core_redact::redact_text(text, &key_bytes(key)?))
}
