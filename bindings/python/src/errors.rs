//! The package's exceptions, and the mapping of every core error onto them.
//!
//! Each exception carries, besides its message, the core's structured detail
//! as attributes (all present, `None` when they do not apply): `code` (the
//! core's stable error code, such as `"DECODE"` or `"TRUNCATED"`), `index`
//! (0-based entry index in a file or batch), `offset` (byte offset of the
//! entry in a file), `line` and `column` (in JSON input) and `field` (the
//! JSON path of the offending field, in JSON input or in a value JSON cannot
//! express).

use lokryn_compliance_log::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    lokryn_compliance_log,
    ComplianceLogError,
    PyValueError,
    "Base class of the package's errors: input that is not a valid entry. A ValueError."
);
create_exception!(
    lokryn_compliance_log,
    DecodeError,
    ComplianceLogError,
    "Bytes that are not a valid LogEntry, or a broken file of entries."
);
create_exception!(
    lokryn_compliance_log,
    JsonError,
    ComplianceLogError,
    "JSON text that is not a valid LogEntry, or a value JSON cannot express."
);
create_exception!(
    lokryn_compliance_log,
    ValidationError,
    ComplianceLogError,
    "An entry that is not fit for an audit trail; `violations` says why."
);

/// The attributes every exception of the package carries.
const DETAIL: [&str; 6] = ["code", "index", "offset", "line", "column", "field"];

/// Which exception a size-limit error becomes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Context {
    /// Reading protobuf bytes.
    Binary,
    /// Reading or writing JSON.
    Json,
}

/// The Python exception for a core error.
///
/// Input errors become [`DecodeError`] or [`JsonError`]; I/O errors become
/// the matching `OSError` subclass, or the very exception a Python file
/// object raised.
pub(crate) fn to_py_err(py: Python<'_>, err: &Error, context: Context) -> PyErr {
    let message = err.to_string();
    let code = err.code();
    let (index, offset, mut line) = match err {
        Error::Entry {
            index,
            offset,
            line,
            ..
        } => (Some(*index), Some(*offset), *line),
        _ => (None, None, None),
    };
    let root = err.root();
    let (mut column, mut field) = (None, None);
    match root {
        Error::Json {
            line: l,
            column: c,
            path,
            ..
        } => {
            // Line and column are 0 when no text was parsed.
            if *l > 0 {
                line = line.or(Some(*l as u64));
                column = Some(*c as u64);
            }
            if !path.is_empty() {
                field = Some(path.clone());
            }
        }
        Error::JsonValue { field: f, .. } => field = Some((*f).to_owned()),
        _ => {}
    }
    let err = match root {
        Error::Io(io) => {
            // An exception raised by a Python file object comes back as is.
            if let Some(raised) = io.get_ref().and_then(|inner| inner.downcast_ref::<PyErr>()) {
                return raised.clone_ref(py);
            }
            return PyErr::from(std::io::Error::new(io.kind(), message));
        }
        Error::Json { .. } | Error::JsonValue { .. } => JsonError::new_err(message),
        Error::TooLarge { .. } if matches!(context, Context::Json) => JsonError::new_err(message),
        _ => DecodeError::new_err(message),
    };
    let detail = (Some(code), index, offset, line, column, field);
    // Setting attributes on a fresh exception instance cannot fail short of
    // memory exhaustion; the exception is still raised if it does.
    let _ = set_detail(py, &err, detail);
    err
}

type Detail = (
    Option<&'static str>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<String>,
);

fn set_detail(py: Python<'_>, err: &PyErr, detail: Detail) -> PyResult<()> {
    let value = err.value(py);
    let (code, index, offset, line, column, field) = detail;
    value.setattr("code", code)?;
    value.setattr("index", index)?;
    value.setattr("offset", offset)?;
    value.setattr("line", line)?;
    value.setattr("column", column)?;
    value.setattr("field", field)?;
    Ok(())
}

/// `err` with the detail attributes set, `code` to `code` and the rest to
/// `None`.
pub(crate) fn with_code(py: Python<'_>, err: PyErr, code: &'static str) -> PyErr {
    let _ = set_detail(py, &err, (Some(code), None, None, None, None, None));
    err
}

/// A [`ValidationError`] with the detail attributes, `code` set to the
/// core's `"INVALID"` (the code of `Error::Invalid` in every binding).
pub(crate) fn validation_error(py: Python<'_>, message: String) -> PyErr {
    let err = ValidationError::new_err(message);
    let code = Error::Invalid {
        message: String::new(),
    }
    .code();
    let _ = set_detail(py, &err, (Some(code), None, None, None, None, None));
    err
}

/// A [`DecodeError`] for an entry of a file that the core decodes but
/// google.protobuf refuses (`err` is google.protobuf's exception).
pub(crate) fn refused_by_protobuf(py: Python<'_>, err: &PyErr, index: u64, offset: u64) -> PyErr {
    let reason = err
        .value(py)
        .str()
        .map_or_else(|_| String::from("unknown reason"), |s| s.to_string());
    let new = DecodeError::new_err(format!(
        "entry {index} (byte offset {offset}): google.protobuf cannot parse it: {reason}"
    ));
    let detail = (Some("DECODE"), Some(index), Some(offset), None, None, None);
    let _ = set_detail(py, &new, detail);
    new
}

/// Puts the index of the entry a batch call failed on into `err`: its
/// message starts `entry N: ` and, for the package's exceptions, `index` is
/// N. Exceptions of other kinds than these and `TypeError` pass unchanged.
pub(crate) fn at_index(py: Python<'_>, err: PyErr, index: usize) -> PyErr {
    let old = err.value(py);
    let ours = old.is_instance_of::<ComplianceLogError>();
    if !ours && !old.is_instance_of::<PyTypeError>() {
        return err;
    }
    let rebuilt = (|| -> PyResult<PyErr> {
        let message = format!("entry {index}: {}", old.str()?);
        let new = err.get_type(py).call1((message,))?;
        if ours {
            for name in DETAIL {
                new.setattr(name, old.getattr(name)?)?;
            }
            new.setattr("index", index)?;
        }
        new.setattr("__cause__", old.getattr("__cause__")?)?;
        Ok(PyErr::from_value(new))
    })();
    rebuilt.unwrap_or(err)
}
