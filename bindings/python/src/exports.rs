//! Exports to OCSF, ECS and OpenTelemetry logs, imports back, and the
//! evidence report, delegated to `lokryn-export`. The JSON targets come back as text (the package's
//! `export` module parses them); an imported record comes back as a genuine
//! `LogEntry` message.
//!
//! An entry to export is held as its encoding (the bytes given, or what a
//! `LogEntry` message serializes to) and exported from a
//! [view](lokryn_compliance_log::view) of those bytes, without decoding it:
//! the same output as from the decoded entry, the same error for bytes that
//! do not decode.

use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::view::{self, LogEntryView};
use lokryn_compliance_log::{LogEntry, codec};
use lokryn_export::report as evidence;
use lokryn_export::{Error, Options, Record, ecs, lokryn_v0_2, ocsf, ocsf_import, otlp};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::entries::{decode_entry, entry_bytes, log_entry_from_bytes};
use crate::errors::{ComplianceLogError, Context, DecodeError, at_index, to_py_err, with_code};

/// The Python exception for an export error: `DecodeError` for input that
/// cannot be imported, `ComplianceLogError` otherwise, with `code` set.
fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    let e = match err {
        Error::Import(_) => DecodeError::new_err(err.to_string()),
        _ => ComplianceLogError::new_err(err.to_string()),
    };
    with_code(py, e, err.code())
}

fn options(observed_time_ns: Option<u64>, log_name: Option<String>) -> Options {
    Options {
        observed_time_ns,
        log_name,
    }
}

/// The encodings of the entries of an iterable, read up to the first that
/// is neither a message nor bytes: that one's error (with its `index`) is
/// returned beside them, to be raised unless an earlier entry fails to
/// decode (the order in which decoding them one by one fails).
fn entries_bytes<'py>(
    obj: &Bound<'py, PyAny>,
) -> PyResult<(Vec<Bound<'py, PyBytes>>, Option<PyErr>)> {
    let py = obj.py();
    let mut out = Vec::new();
    for (i, item) in obj.try_iter()?.enumerate() {
        match item.and_then(|item| entry_bytes(&item)) {
            Ok(bytes) => out.push(bytes),
            Err(e) => return Ok((out, Some(at_index(py, e, i)))),
        }
    }
    Ok((out, None))
}

/// A view of an entry's encoding: the error [`decode_entry`] gives for
/// bytes that do not decode (a view fails exactly when decoding does).
fn view_of<'b>(py: Python<'_>, bytes: &'b [u8]) -> PyResult<LogEntryView<'b>> {
    view::decode(bytes, &Limits::DEFAULT).map_err(|e| to_py_err(py, &e, Context::Binary))
}

/// The entry as an OCSF 1.7.0 event, JSON text.
#[pyfunction]
#[pyo3(signature = (entry, observed_time_ns = None, log_name = None))]
pub(crate) fn export_ocsf(
    entry: &Bound<'_, PyAny>,
    observed_time_ns: Option<u64>,
    log_name: Option<String>,
) -> PyResult<String> {
    let py = entry.py();
    let bytes = entry_bytes(entry)?;
    let bytes = bytes.as_bytes();
    let view = view_of(py, bytes)?;
    let mut out = Vec::with_capacity(1024);
    ocsf::write_ocsf_record(
        Record::view(&view, bytes),
        &options(observed_time_ns, log_name),
        &mut out,
    )
    .map_err(|e| to_py(py, &e))?;
    String::from_utf8(out).map_err(|e| to_py(py, &Error::Write(format!("OCSF JSON: {e}"))))
}

/// The entry as an ECS 9.x document, JSON text.
#[pyfunction]
pub(crate) fn export_ecs(entry: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = entry.py();
    let bytes = entry_bytes(entry)?;
    let bytes = bytes.as_bytes();
    let view = view_of(py, bytes)?;
    let doc = ecs::to_ecs_record(Record::view(&view, bytes), &Options::default())
        .map_err(|e| to_py(py, &e))?;
    Ok(doc.to_string())
}

/// Entries as one OTLP `ExportLogsServiceRequest`: OTLP/JSON text when
/// `json`, protobuf bytes otherwise.
#[pyfunction]
#[pyo3(signature = (entries_in, json, observed_time_ns = None))]
pub(crate) fn export_otlp<'py>(
    entries_in: &Bound<'py, PyAny>,
    json: bool,
    observed_time_ns: Option<u64>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = entries_in.py();
    let (encoded, unread) = entries_bytes(entries_in)?;
    let views = encoded
        .iter()
        .enumerate()
        .map(|(i, b)| view_of(py, b.as_bytes()).map_err(|e| at_index(py, e, i)))
        .collect::<PyResult<Vec<_>>>()?;
    if let Some(e) = unread {
        return Err(e);
    }
    let records: Vec<Record<'_>> = views
        .iter()
        .zip(&encoded)
        .map(|(v, b)| Record::view(v, b.as_bytes()))
        .collect();
    let options = options(observed_time_ns, None);
    if json {
        let request = otlp::to_request_records(records.iter().copied(), &options)
            .map_err(|e| to_py(py, &e))?;
        let text = otlp::to_json(&request).map_err(|e| to_py(py, &e))?;
        Ok(PyString::new(py, &text).into_any())
    } else {
        let body = otlp::encode_request_records(&records, &options).map_err(|e| to_py(py, &e))?;
        Ok(PyBytes::new(py, &body).into_any())
    }
}

/// A `LogEntry` read back from an OCSF event this package exported (JSON text).
#[pyfunction]
pub(crate) fn import_ocsf<'py>(py: Python<'py>, event: &str) -> PyResult<Bound<'py, PyAny>> {
    let event: serde_json::Value = serde_json::from_str(event).map_err(|e| {
        with_code(
            py,
            PyValueError::new_err(format!("OCSF event: {e}")),
            "IMPORT",
        )
    })?;
    let entry = ocsf_import::from_ocsf(&event).map_err(|e| to_py(py, &e))?;
    log_entry_from_bytes(py, &codec::encode(&entry))
}

/// `LogEntry` messages read from records of the vendor's 0.2.0 package:
/// `str` is the JSON of one record or JSON Lines; `bytes` is binary, laid
/// out as `framing` says ("auto", "single" or "delimited").
#[pyfunction]
#[pyo3(signature = (data, framing = "auto"))]
pub(crate) fn import_lokryn_0_2<'py>(
    data: &Bound<'py, PyAny>,
    framing: &str,
) -> PyResult<Bound<'py, PyList>> {
    let py = data.py();
    let framing = match framing {
        "auto" => lokryn_v0_2::Framing::Auto,
        "single" => lokryn_v0_2::Framing::Single,
        "delimited" => lokryn_v0_2::Framing::Delimited,
        other => {
            return Err(PyValueError::new_err(format!(
                "framing must be \"auto\", \"single\" or \"delimited\", not {other:?}"
            )));
        }
    };
    let list: Vec<LogEntry> = if let Ok(text) = data.extract::<String>() {
        // One record (maybe pretty-printed), else JSON Lines.
        if let Ok(one) = lokryn_v0_2::from_json(&text) {
            return one_list(py, &[one]);
        }
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, line)| {
                lokryn_v0_2::from_json(line).map_err(|e| at_index(py, to_py(py, &e), i))
            })
            .collect::<PyResult<_>>()?
    } else {
        let bytes: PyBackedBytes = data.extract()?;
        lokryn_v0_2::read_binary(&bytes, framing).map_err(|e| to_py(py, &e))?
    };
    one_list(py, &list)
}

fn one_list<'py>(py: Python<'py>, list: &[LogEntry]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for entry in list {
        out.append(log_entry_from_bytes(py, &codec::encode(entry))?)?;
    }
    Ok(out)
}

/// The name a report made from Python gives its maker.
const FUNCTION: &str = "lokryn_compliance_log.report";

/// The evidence report (`lokryn_export::report`, docs/report.md) as JSON
/// text, or as the HTML page when `html`. `source` is a ledger directory
/// (`str` or `os.PathLike`: verified, records named by ledger index) or an
/// iterable of entries (`LogEntry` messages or their bytes, read lazily:
/// integrity cannot be shown, records named by position).
#[pyfunction]
#[pyo3(signature = (source, profiles, since, until, key, html))]
pub(crate) fn report(
    source: &Bound<'_, PyAny>,
    profiles: Vec<String>,
    since: Option<String>,
    until: Option<String>,
    key: Option<&str>,
    html: bool,
) -> PyResult<String> {
    let py = source.py();
    let ledger_err =
        |e: lokryn_ledger::Error| with_code(py, ComplianceLogError::new_err(e.to_string()), e.code);
    let key = key
        .map(|k| lokryn_ledger::store::load_verifier(std::path::Path::new(k)))
        .transpose()
        .map_err(ledger_err)?;
    let settings = evidence::Settings {
        profiles,
        since,
        until,
    };
    let is_path =
        source.is_instance_of::<PyString>() || source.hasattr(pyo3::intern!(py, "__fspath__"))?;
    let data = if is_path {
        let dir: std::path::PathBuf = source.extract()?;
        let source = format!("{:?}", dir.display().to_string());
        let command = settings.call(FUNCTION, &source, false);
        py.detach(|| {
            evidence::ledger::report(
                &dir,
                settings,
                key.as_ref(),
                &command,
                env!("CARGO_PKG_VERSION"),
            )
        })
        .map_err(|e| to_py(py, &e))?
    } else {
        let command = settings.call(FUNCTION, "<records>", false);
        let mut collector = evidence::Collector::new(settings).map_err(|e| to_py(py, &e))?;
        for (index, item) in source.try_iter()?.enumerate() {
            let entry = decode_entry(&item?).map_err(|e| at_index(py, e, index))?;
            collector.add(index as u64, &entry, None);
        }
        collector.finish_records(command, env!("CARGO_PKG_VERSION"))
    };
    Ok(if html {
        evidence::html::render(&data)
    } else {
        data.to_string()
    })
}

/// Report data (JSON text, as `report` returns it) rendered as the HTML
/// page `complog report` writes.
#[pyfunction]
pub(crate) fn render_report_html(py: Python<'_>, data: &str) -> PyResult<String> {
    let data: serde_json::Value = serde_json::from_str(data).map_err(|e| {
        with_code(
            py,
            PyValueError::new_err(format!("report data: {e}")),
            "REPORT",
        )
    })?;
    Ok(evidence::html::render(&data))
}
