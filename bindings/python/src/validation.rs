//! Validation, delegated to `lokryn_compliance_log::validate`: the report
//! and its violations as Python objects, and `ValidationError` carrying them.

use lokryn_compliance_log::Error;
use lokryn_compliance_log::validate::{self as core_validate, Level, Options, Report};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::entries::entry_bytes;
use crate::errors::{Context, at_index, to_py_err, validation_error};
use crate::generated_report::Violation;

// `Violation` is generated from report.proto (src/generated_report.rs);
// what it has beyond its fields is here.
#[pymethods]
impl Violation {
    fn __str__(&self) -> String {
        let at = if self.0.field.is_empty() {
            "entry"
        } else {
            &self.0.field
        };
        format!("{at}: {} [{}]", self.0.message, self.0.rule_id)
    }
}

/// What validating one entry found.
#[pyclass(module = "lokryn_compliance_log", frozen)]
#[derive(Debug)]
pub(crate) struct ValidationReport {
    valid: bool,
    violations: Py<PyTuple>,
    findings: Py<PyTuple>,
    /// Why the entry could not be judged (in a batch), else `None`.
    error: Option<Py<PyAny>>,
}

/// The report of an entry with no violation at all, shared: reports are
/// immutable, and a batch of a million clean entries then allocates nothing
/// per entry.
static CLEAN: PyOnceLock<Py<ValidationReport>> = PyOnceLock::new();

impl ValidationReport {
    pub(crate) fn new(py: Python<'_>, mut report: Report) -> PyResult<Bound<'_, Self>> {
        if report.violations.is_empty() {
            let clean = CLEAN.get_or_try_init(py, || {
                Py::new(
                    py,
                    Self {
                        valid: true,
                        violations: PyTuple::empty(py).unbind(),
                        findings: PyTuple::empty(py).unbind(),
                        error: None,
                    },
                )
            })?;
            return Ok(clean.bind(py).clone());
        }
        let valid = report.is_valid();
        let findings = crate::sensitive::findings_tuple(py, report.findings.drain(..))?;
        let violations = PyTuple::new(
            py,
            report
                .violations
                .into_iter()
                .map(|v| Py::new(py, Violation(v.to_message())))
                .collect::<PyResult<Vec<_>>>()?,
        )?;
        Bound::new(
            py,
            Self {
                valid,
                violations: violations.unbind(),
                findings: findings.unbind(),
                error: None,
            },
        )
    }

    /// The report of an entry of a batch that could not be decoded: not
    /// valid, nothing judged, `error` saying why.
    fn unreadable<'py>(py: Python<'py>, error: &PyErr) -> PyResult<Bound<'py, Self>> {
        Bound::new(
            py,
            Self {
                valid: false,
                violations: PyTuple::empty(py).unbind(),
                findings: PyTuple::empty(py).unbind(),
                error: Some(error.value(py).clone().into_any().unbind()),
            },
        )
    }

    fn filtered<'py>(&self, py: Python<'py>, level: Level) -> PyResult<Bound<'py, PyTuple>> {
        let violations = self.violations.bind(py);
        let mut kept = Vec::new();
        for v in violations.iter() {
            if v.cast::<Violation>()?.get().0.level == level.as_str() {
                kept.push(v);
            }
        }
        PyTuple::new(py, kept)
    }
}

#[pymethods]
impl ValidationReport {
    /// True when no violation is an error (warnings are allowed).
    #[getter]
    fn valid(&self) -> bool {
        self.valid
    }

    /// Every violation, errors and warnings, in field order.
    #[getter]
    fn violations<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.violations.bind(py).clone()
    }

    /// The sensitive data the profiles' rules found (each also a
    /// violation): `Finding`s with kind, field path, byte span and
    /// confidence, never the data itself. Empty under `baseline` alone.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> Bound<'py, PyTuple> {
        self.findings.bind(py).clone()
    }

    /// `None`, or, for an entry of `check_many` that could not be decoded,
    /// the exception decoding raised (a `DecodeError` whose `code`, `index`
    /// and `offset` say what and where); such a report is not valid and
    /// holds no violation.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|e| e.clone_ref(py))
    }

    /// The violations at level `"error"`.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.filtered(py, Level::Error)
    }

    /// The violations at level `"warning"`.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.filtered(py, Level::Warning)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        match other.cast::<ValidationReport>() {
            Ok(other) => {
                let other = other.get();
                let same_error = match (&self.error, &other.error) {
                    (None, None) => true,
                    (Some(a), Some(b)) => {
                        a.bind(py).str()?.to_cow()? == b.bind(py).str()?.to_cow()?
                    }
                    _ => false,
                };
                Ok(same_error && self.violations.bind(py).eq(other.violations.bind(py))?)
            }
            Err(_) => Ok(false),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        if let Some(error) = &self.error {
            return Ok(format!(
                "ValidationReport(valid=False, error={})",
                error.bind(py).repr()?
            ));
        }
        Ok(format!(
            "ValidationReport(valid={}, violations={})",
            if self.valid { "True" } else { "False" },
            self.violations.bind(py).repr()?
        ))
    }
}

/// The core's options for a `profile` argument (`None` for baseline, a
/// name, names joined by commas as in `"soc2,pci"`, or a sequence of names)
/// and a `max_entry_bytes` argument (`None` for the default limit).
pub(crate) fn options(
    profile: Option<&Bound<'_, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<Options> {
    let limits = crate::streams::limits(max_entry_bytes)?;
    let Some(profile) = profile else {
        return Ok(Options::default().with_limits(limits));
    };
    let names: Vec<String> = if let Ok(name) = profile.extract::<String>() {
        vec![name]
    } else {
        profile
            .try_iter()
            .map_err(|_| PyTypeError::new_err("profile must be a name or a sequence of names"))?
            .map(|item| item?.extract::<String>())
            .collect::<PyResult<_>>()?
    };
    Options::for_profiles(&names)
        .map(|o| o.with_limits(limits))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The core's report on an entry argument (which it gets as bytes, so that
/// fields the schema does not define are reported too).
fn core_report(
    entry: &Bound<'_, PyAny>,
    profile: Option<&Bound<'_, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<Report> {
    let py = entry.py();
    let options = options(profile, max_entry_bytes)?;
    let bytes = entry_bytes(entry)?;
    core_validate::validate_bytes(bytes.as_bytes(), &options)
        .map_err(|e| to_py_err(py, &e, Context::Binary))
}

fn report_of<'py>(
    entry: &Bound<'py, PyAny>,
    profile: Option<&Bound<'py, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<Bound<'py, ValidationReport>> {
    ValidationReport::new(entry.py(), core_report(entry, profile, max_entry_bytes)?)
}

/// Validates an entry and returns the report, whatever it finds; raises
/// only for input that is not an entry at all.
#[pyfunction]
#[pyo3(signature = (entry, *, profile = None, max_entry_bytes = None))]
pub(crate) fn check<'py>(
    entry: &Bound<'py, PyAny>,
    profile: Option<&Bound<'py, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<Bound<'py, ValidationReport>> {
    report_of(entry, profile, max_entry_bytes)
}

/// Validates an entry: raises `ValidationError` when it breaks a rule at
/// level `"error"`, else returns the report (which may hold warnings).
#[pyfunction]
#[pyo3(signature = (entry, *, profile = None, max_entry_bytes = None))]
pub(crate) fn validate<'py>(
    entry: &Bound<'py, PyAny>,
    profile: Option<&Bound<'py, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<Bound<'py, ValidationReport>> {
    let py = entry.py();
    // The core's one "not valid" error gives the message and the code.
    let report = core_report(entry, profile, max_entry_bytes)?;
    let Some(err) = report.invalid_error() else {
        return ValidationReport::new(py, report);
    };
    Err(invalid_error(py, err.to_string(), report))
}

/// The `ValidationError` for an invalid entry: `message`, code `INVALID`,
/// the report's `violations` and the `report` itself as attributes.
pub(crate) fn invalid_error(py: Python<'_>, message: String, report: Report) -> PyErr {
    let err = validation_error(py, message);
    let attached = ValidationReport::new(py, report).and_then(|bound| {
        let value = err.value(py);
        value.setattr("violations", bound.get().violations.bind(py))?;
        value.setattr("report", &bound)
    });
    match attached {
        Ok(()) => err,
        Err(failed) => failed,
    }
}

/// True when the entry breaks no rule at level `"error"`.
#[pyfunction]
#[pyo3(signature = (entry, *, profile = None, max_entry_bytes = None))]
pub(crate) fn is_valid(
    entry: &Bound<'_, PyAny>,
    profile: Option<&Bound<'_, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<bool> {
    Ok(core_report(entry, profile, max_entry_bytes)?.is_valid())
}

/// Entries validated per release of the GIL in [`check_many`]: large enough
/// to make the release free, small enough to keep memory flat.
const BATCH_CHUNK: usize = 4096;

/// Validates many entries in one call and returns one report per entry, in
/// order. The entries are decoded and checked with the GIL released, a
/// chunk at a time. An entry that cannot be decoded does not stop the batch:
/// its report is not valid and carries the error (`report.error`, with its
/// `code` and `index`); the others are judged.
#[pyfunction]
#[pyo3(signature = (entries, *, profile = None, max_entry_bytes = None))]
pub(crate) fn check_many<'py>(
    entries: &Bound<'py, PyAny>,
    profile: Option<&Bound<'py, PyAny>>,
    max_entry_bytes: Option<usize>,
) -> PyResult<Bound<'py, PyList>> {
    let py = entries.py();
    let mut validator = core_validate::BatchValidator::new(options(profile, max_entry_bytes)?);
    let out = PyList::empty(py);
    let mut chunk: Vec<Bound<'py, PyBytes>> = Vec::with_capacity(BATCH_CHUNK);
    let mut iter = entries.try_iter()?.enumerate().peekable();
    while iter.peek().is_some() {
        chunk.clear();
        let first = out.len();
        for (index, item) in iter.by_ref().take(BATCH_CHUNK) {
            chunk.push(entry_bytes(&item?).map_err(|e| at_index(py, e, index))?);
        }
        let slices: Vec<&[u8]> = chunk.iter().map(|b| b.as_bytes()).collect();
        let reports: Vec<Result<Report, Error>> = py.detach(|| {
            slices
                .iter()
                .map(|bytes| validator.validate_encoded(bytes))
                .collect()
        });
        for (offset, report) in reports.into_iter().enumerate() {
            match report {
                Ok(report) => out.append(ValidationReport::new(py, report)?)?,
                Err(e) => {
                    let index = first + offset;
                    let err = at_index(py, to_py_err(py, &e, Context::Binary), index);
                    out.append(ValidationReport::unreadable(py, &err)?)?;
                }
            }
        }
    }
    Ok(out)
}

/// The names of the validation profiles this version knows.
#[pyfunction]
pub(crate) fn profiles(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(py, Options::profile_names())
}
