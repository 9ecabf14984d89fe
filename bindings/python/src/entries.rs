//! Entries across the boundary: a `LogEntry` message or its serialized
//! bytes in, a `LogEntry` message out.

use lokryn_compliance_log::{LOG_ENTRY_NAME, LogEntry, codec};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyType};

use crate::errors::{Context, to_py_err};

/// The generated module holding the message classes.
const PB2_MODULE: &str = "lokryn_compliance_log.v1.logentry_pb2";

static LOG_ENTRY_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The `LogEntry` class of the package's generated module.
pub(crate) fn log_entry_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    LOG_ENTRY_CLASS.import(py, PB2_MODULE, "LogEntry")
}

/// A new `LogEntry` message parsed from `bytes` by google.protobuf.
pub(crate) fn log_entry_from_bytes<'py>(
    py: Python<'py>,
    bytes: &[u8],
) -> PyResult<Bound<'py, PyAny>> {
    log_entry_class(py)?.call_method1(intern!(py, "FromString"), (PyBytes::new(py, bytes),))
}

/// The serialized form of an entry argument: `bytes` as given, a copy of a
/// `bytearray`, or what a `LogEntry` message's `SerializeToString` returns.
/// Anything else is a `TypeError` naming what was passed.
pub(crate) fn entry_bytes<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let py = obj.py();
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(bytes.clone());
    }
    if obj.get_type().is(log_entry_class(py)?) {
        return Ok(obj
            .call_method0(intern!(py, "SerializeToString"))?
            .cast_into::<PyBytes>()?);
    }
    if let Ok(array) = obj.cast::<PyByteArray>() {
        return Ok(PyBytes::new(py, &array.to_vec()));
    }
    // A LogEntry class from another descriptor pool (a dynamic message, a
    // copy of the schema generated elsewhere) serializes the same way.
    if let Ok(descriptor) = obj.getattr(intern!(py, "DESCRIPTOR")) {
        let name: Option<String> = descriptor
            .getattr(intern!(py, "full_name"))
            .and_then(|n| n.extract())
            .ok();
        if name.as_deref() == Some(LOG_ENTRY_NAME) {
            return Ok(obj
                .call_method0(intern!(py, "SerializeToString"))?
                .cast_into::<PyBytes>()?);
        }
        if let Some(name) = name {
            return Err(PyTypeError::new_err(format!(
                "expected a {LOG_ENTRY_NAME} message or its serialized bytes, got a {name} message"
            )));
        }
    }
    Err(PyTypeError::new_err(format!(
        "expected a {LOG_ENTRY_NAME} message or its serialized bytes, got {}",
        obj.get_type().name()?
    )))
}

/// An entry argument, decoded by the core.
pub(crate) fn decode_entry(obj: &Bound<'_, PyAny>) -> PyResult<LogEntry> {
    let bytes = entry_bytes(obj)?;
    codec::decode(bytes.as_bytes()).map_err(|e| to_py_err(obj.py(), &e, Context::Binary))
}
