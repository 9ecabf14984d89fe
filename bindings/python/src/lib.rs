//! `lokryn_compliance_log._native`: the Rust core behind the Python package.
//!
//! This crate only converts and delegates. An entry comes in as a
//! google.protobuf `LogEntry` message or as its serialized bytes and goes to
//! the core as bytes; what comes back (JSON text, a validation report, a
//! stream of entries) is handed to Python as `str`, report objects or genuine
//! `LogEntry` messages. Every failure of the core becomes a Python exception
//! (see [`errors`]); nothing here panics.

mod entries;
mod errors;
mod exports;
mod ledger;
mod logger;
mod sensitive;
mod streams;
mod validation;

mod generated_report {
    //! Written by `cargo xtask codegen` (xtask/src/codegen/python_report.rs).
    include!("generated_report.rs");
}

use pyo3::prelude::*;

/// The native half of `lokryn_compliance_log`; import from the package, not
/// from here.
#[pymodule]
mod _native {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::errors::{ComplianceLogError, DecodeError, JsonError, ValidationError};
    #[pymodule_export]
    use crate::exports::{
        export_ecs, export_ocsf, export_otlp, import_lokryn_0_2, import_ocsf, render_report_html,
        report,
    };
    #[pymodule_export]
    use crate::generated_report::{Finding, Violation};
    #[pymodule_export]
    use crate::json::{from_json, to_json, to_json_many};
    #[pymodule_export]
    use crate::ledger::{Ledger, LedgerError};
    #[pymodule_export]
    use crate::logger::{
        AuditEngine, Binary, JsonLines, LedgerSink, LoggerError, Otlp, PyOperation, Stdout,
    };
    #[pymodule_export]
    use crate::sensitive::{Redaction, find_sensitive, redact, redact_text, scan_text};
    #[pymodule_export]
    use crate::streams::{EntryReader, EntryWriter, read_entries, write_entries};
    #[pymodule_export]
    use crate::validation::{ValidationReport, check, check_many, is_valid, profiles, validate};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}

/// Canonical proto3 JSON, delegated to `lokryn_compliance_log::json`.
mod json {
    use lokryn_compliance_log::codec;
    use lokryn_compliance_log::json::{self as core_json, JsonOptions};
    use pyo3::exceptions::PyTypeError;
    use pyo3::prelude::*;
    use pyo3::pybacked::PyBackedBytes;
    use pyo3::types::{PyList, PyString};

    use crate::entries::{decode_entry, log_entry_from_bytes};
    use crate::errors::{Context, to_py_err};

    /// Writes an entry as canonical proto3 JSON: the same JSON value
    /// `google.protobuf.json_format.MessageToJson` produces, written compactly.
    #[pyfunction]
    pub(crate) fn to_json(entry: &Bound<'_, PyAny>) -> PyResult<String> {
        let decoded = decode_entry(entry)?;
        core_json::to_json(&decoded).map_err(|e| to_py_err(entry.py(), &e, Context::Json))
    }

    /// Writes many entries as JSON in one call; returns a list of strings.
    #[pyfunction]
    pub(crate) fn to_json_many<'py>(entries: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = entries.py();
        let out = PyList::empty(py);
        for (index, item) in entries.try_iter()?.enumerate() {
            let item = item?;
            let text = decode_entry(&item)
                .and_then(|e| {
                    core_json::to_json(&e).map_err(|err| to_py_err(py, &err, Context::Json))
                })
                .map_err(|err| crate::errors::at_index(py, err, index))?;
            out.append(text)?;
        }
        Ok(out)
    }

    /// Reads an entry from proto3 JSON text (`str`, or UTF-8 `bytes`) and
    /// returns a `LogEntry` message.
    #[pyfunction]
    #[pyo3(signature = (text, *, ignore_unknown_fields = false, max_entry_bytes = None))]
    pub(crate) fn from_json<'py>(
        text: &Bound<'py, PyAny>,
        ignore_unknown_fields: bool,
        max_entry_bytes: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = text.py();
        let options = JsonOptions::default()
            .ignore_unknown_fields(ignore_unknown_fields)
            .limits(crate::streams::limits(max_entry_bytes)?);
        let parsed = if let Ok(s) = text.cast::<PyString>() {
            core_json::from_json_with(&s.to_cow()?, &options)
        } else if let Ok(b) = text.extract::<PyBackedBytes>() {
            core_json::from_json_slice(&b, &options)
        } else {
            return Err(PyTypeError::new_err(format!(
                "expected JSON text as str or bytes, got {}",
                text.get_type().name()?
            )));
        };
        let entry = parsed.map_err(|e| to_py_err(py, &e, Context::Json))?;
        log_entry_from_bytes(py, &codec::encode(&entry))
    }
}
