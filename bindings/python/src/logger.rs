//! The audit logger of `lokryn-logger`, delegated.
//!
//! `AuditEngine` holds the crate's `AuditLogger`; the Python class
//! `lokryn_compliance_log.AuditLogger` (python/lokryn_compliance_log/_logger.py)
//! wraps it with keyword arguments, the OpenTelemetry lookup and `warnings`.
//! The sink classes hold a crate sink until a logger takes it; any other
//! Python object with a `write(entry)` method becomes a [`PySink`] that the
//! engine calls back under the GIL. The GIL is released while the engine
//! works (validation, redaction, encoding, file and network I/O), so other
//! Python threads run meanwhile.
//!
//! Every failure is a Python exception: `ValidationError` for an invalid
//! record under the `raise` policy (with the report), `LoggerError` with
//! the engine's `code` and the failed `sink` otherwise. A Python sink's own
//! exception is the `__cause__` of the `LoggerError` it led to.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lokryn_compliance_log::validate::Report;
use lokryn_compliance_log::{EventType, LogEntry, Outcome, codec};
use lokryn_logger::sinks::{self, Compression};
use lokryn_logger::{
    AuditLogger, Builder, LogError, OnInvalid, Operation, Record, Redaction, Sink, SinkError,
};
use pyo3::create_exception;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use crate::entries::{decode_entry, log_entry_from_bytes};
use crate::errors::{ComplianceLogError, with_code};
use crate::validation::{ValidationReport, invalid_error};

create_exception!(
    lokryn_compliance_log,
    LoggerError,
    ComplianceLogError,
    "The audit logger could not write, flush or close: `code` says why (SINK, CLOSED, CONFIG, TIMEOUT, IO...), `sink` names the failed sinks."
);

thread_local! {
    /// The exception a Python sink raised during the current engine call on
    /// this thread, to become the `__cause__` of the `LoggerError`.
    static SINK_EXCEPTION: RefCell<Option<PyErr>> = const { RefCell::new(None) };
    /// The report on an invalid record written under the `warn` policy
    /// during the current `log` call on this thread.
    static WARNING: RefCell<Option<Report>> = const { RefCell::new(None) };
}

/// Runs `f` (a call of the engine) without the GIL, the thread's leftovers
/// of an earlier call cleared first.
fn engine_call<T: Send>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> T {
    SINK_EXCEPTION.with(|c| c.borrow_mut().take());
    WARNING.with(|w| w.borrow_mut().take());
    py.detach(f)
}

/// A `LoggerError` with the package's detail attributes and `sink`.
fn logger_error(py: Python<'_>, code: &'static str, message: String, sink: Option<&str>) -> PyErr {
    let err = with_code(py, LoggerError::new_err(message), code);
    let _ = err.value(py).setattr("sink", sink);
    err
}

/// The Python exception for an engine error.
fn log_error(py: Python<'_>, err: &LogError) -> PyErr {
    let cause = SINK_EXCEPTION.with(|c| c.borrow_mut().take());
    if err.code() == "INVALID" {
        if let Some(report) = err.report() {
            return invalid_error(py, err.message().to_owned(), report.clone());
        }
    }
    let new = logger_error(py, err.code(), err.to_string(), err.sink());
    if let Some(cause) = cause {
        new.set_cause(py, Some(cause));
    }
    new
}

fn sink_error(py: Python<'_>, err: &SinkError) -> PyErr {
    logger_error(py, err.code(), err.to_string(), None)
}

fn config_error(py: Python<'_>, message: String) -> PyErr {
    logger_error(py, "CONFIG", message, None)
}

/// A timeout in seconds (`None`: no limit).
fn timeout(py: Python<'_>, value: Option<f64>) -> PyResult<Option<Duration>> {
    value.map(|s| seconds(py, "timeout", s)).transpose()
}

/// A sink built in Rust, held until a logger takes it.
#[derive(Debug)]
struct Held {
    name: String,
    sink: Mutex<Option<Box<dyn Sink>>>,
}

impl Held {
    fn new(sink: Box<dyn Sink>) -> Self {
        Self {
            name: sink.name().to_owned(),
            sink: Mutex::new(Some(sink)),
        }
    }

    fn take(&self, py: Python<'_>) -> PyResult<Box<dyn Sink>> {
        let taken = self.sink.lock().ok().and_then(|mut s| s.take());
        taken.ok_or_else(|| {
            config_error(
                py,
                format!(
                    "the sink {} already belongs to another AuditLogger; make a new one",
                    self.name
                ),
            )
        })
    }
}

/// The options both file sinks take.
fn file_options<S>(
    py: Python<'_>,
    mut sink: S,
    rotate_bytes: Option<u64>,
    rotate_every: Option<f64>,
    compress_rotated: Option<&str>,
    durable: bool,
    with: impl Fn(S, FileOption) -> S,
) -> PyResult<S> {
    if let Some(bytes) = rotate_bytes {
        sink = with(sink, FileOption::RotateBytes(bytes));
    }
    if let Some(every) = rotate_every {
        sink = with(
            sink,
            FileOption::RotateEvery(seconds(py, "rotate_every", every)?),
        );
    }
    if let Some(name) = compress_rotated {
        let compression = match name {
            "gzip" | "gz" => Compression::Gzip,
            "zstd" | "zst" => Compression::Zstd,
            other => {
                return Err(config_error(
                    py,
                    format!("compress_rotated must be \"gzip\" or \"zstd\", got {other:?}"),
                ));
            }
        };
        sink = with(sink, FileOption::Compress(compression));
    }
    Ok(with(sink, FileOption::Durable(durable)))
}

enum FileOption {
    RotateBytes(u64),
    RotateEvery(Duration),
    Compress(Compression),
    Durable(bool),
}

macro_rules! file_sink {
    ($ty:ident, $rust:ty, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "lokryn_compliance_log.sinks", frozen)]
        #[derive(Debug)]
        pub(crate) struct $ty(Held);

        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(signature = (path, *, rotate_bytes = None, rotate_every = None, compress_rotated = None, durable = false))]
            fn new(
                py: Python<'_>,
                path: PathBuf,
                rotate_bytes: Option<u64>,
                rotate_every: Option<f64>,
                compress_rotated: Option<&str>,
                durable: bool,
            ) -> PyResult<Self> {
                let sink = <$rust>::create(&path).map_err(|e| sink_error(py, &e))?;
                let sink = file_options(
                    py,
                    sink,
                    rotate_bytes,
                    rotate_every,
                    compress_rotated,
                    durable,
                    |s, option| match option {
                        FileOption::RotateBytes(n) => s.rotate_bytes(n),
                        FileOption::RotateEvery(d) => s.rotate_every(d),
                        FileOption::Compress(c) => s.compress_rotated(c),
                        FileOption::Durable(d) => s.durable(d),
                    },
                )?;
                Ok(Self(Held::new(Box::new(sink))))
            }

            /// The sink's name in errors and stats.
            #[getter]
            fn name(&self) -> &str {
                &self.0.name
            }

            fn __repr__(&self) -> String {
                format!("<{} {}>", stringify!($ty), self.0.name)
            }
        }
    };
}

file_sink!(
    JsonLines,
    sinks::JsonLines,
    "A JSON Lines file: one line of canonical proto3 JSON per record, one `write(2)` each."
);
file_sink!(
    Binary,
    sinks::Binary,
    "A file of length-delimited records, as `read_entries` and `complog` read them."
);

/// A tamper-evident ledger made with `Ledger.init`: each record is appended
/// and committed before `log` returns, or in groups with `commit_every`.
#[pyclass(module = "lokryn_compliance_log.sinks", frozen)]
#[derive(Debug)]
pub(crate) struct LedgerSink(Held);

#[pymethods]
impl LedgerSink {
    #[new]
    #[pyo3(signature = (path, *, commit_every = None))]
    #[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
    fn new(py: Python<'_>, path: PathBuf, commit_every: Option<(usize, f64)>) -> PyResult<Self> {
        let mut sink = py
            .detach(|| sinks::Ledger::open(&path))
            .map_err(|e| sink_error(py, &e))?;
        if let Some((records, seconds)) = commit_every {
            let interval = self::seconds(py, "commit_every", seconds)?;
            sink = sink.commit_every(records, interval);
        }
        Ok(Self(Held::new(Box::new(sink))))
    }

    /// The sink's name in errors and stats.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    fn __repr__(&self) -> String {
        format!("<Ledger {}>", self.0.name)
    }
}

/// Seconds as a `Duration` (a `CONFIG` error when negative or not finite).
fn seconds(py: Python<'_>, what: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| config_error(py, format!("{what} must be 0 or more seconds, got {value}")))
}

/// OTLP/HTTP (protobuf) to an OpenTelemetry Collector: records are queued
/// (bounded), batched and sent by a worker thread with retries, exponential
/// backoff and jitter; what cannot be delivered is counted as dropped.
#[pyclass(module = "lokryn_compliance_log.sinks", frozen)]
#[derive(Debug)]
pub(crate) struct Otlp(Held);

#[pymethods]
impl Otlp {
    #[new]
    #[pyo3(signature = (
        endpoint, *, batch_size = None, batch_bytes = None, batch_timeout = None,
        queue_capacity = None, queue_bytes = None, block_timeout = None, max_retries = None,
        max_elapsed = None, initial_backoff = None, max_backoff = None, spill_dir = None,
        spill_max_bytes = None, headers = None, timeout = None, gzip = false
    ))]
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
    fn new(
        py: Python<'_>,
        endpoint: String,
        batch_size: Option<usize>,
        batch_bytes: Option<usize>,
        batch_timeout: Option<f64>,
        queue_capacity: Option<usize>,
        queue_bytes: Option<usize>,
        block_timeout: Option<f64>,
        max_retries: Option<u32>,
        max_elapsed: Option<f64>,
        initial_backoff: Option<f64>,
        max_backoff: Option<f64>,
        spill_dir: Option<PathBuf>,
        spill_max_bytes: Option<u64>,
        headers: Option<std::collections::BTreeMap<String, String>>,
        timeout: Option<f64>,
        gzip: bool,
    ) -> PyResult<Self> {
        let mut sink = sinks::Otlp::new(endpoint).gzip(gzip);
        if let Some(n) = batch_size {
            sink = sink.batch_size(n);
        }
        if let Some(n) = batch_bytes {
            sink = sink.batch_bytes(n);
        }
        if let Some(s) = batch_timeout {
            sink = sink.batch_timeout(seconds(py, "batch_timeout", s)?);
        }
        if let Some(n) = queue_capacity {
            sink = sink.queue_capacity(n);
        }
        if let Some(n) = queue_bytes {
            sink = sink.queue_bytes(n);
        }
        if let Some(s) = block_timeout {
            sink = sink.block_timeout(seconds(py, "block_timeout", s)?);
        }
        if let Some(n) = max_retries {
            sink = sink.max_retries(n);
        }
        if let Some(s) = max_elapsed {
            sink = sink.max_elapsed(seconds(py, "max_elapsed", s)?);
        }
        if let Some(s) = initial_backoff {
            sink = sink.initial_backoff(seconds(py, "initial_backoff", s)?);
        }
        if let Some(s) = max_backoff {
            sink = sink.max_backoff(seconds(py, "max_backoff", s)?);
        }
        if let Some(dir) = spill_dir {
            sink = sink.spill_dir(dir);
        }
        if let Some(n) = spill_max_bytes {
            sink = sink.spill_max_bytes(n);
        }
        if let Some(headers) = headers {
            sink = sink.headers(headers);
        }
        if let Some(s) = timeout {
            sink = sink.timeout(seconds(py, "timeout", s)?);
        }
        Ok(Self(Held::new(Box::new(sink))))
    }

    /// The sink's name in errors and stats.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    fn __repr__(&self) -> String {
        format!("<Otlp {}>", self.0.name)
    }
}

/// Standard output, one line of canonical proto3 JSON per record.
#[pyclass(module = "lokryn_compliance_log.sinks", frozen)]
#[derive(Debug)]
pub(crate) struct Stdout(Held);

#[pymethods]
impl Stdout {
    #[new]
    fn new() -> Self {
        Self(Held::new(Box::new(sinks::Stdout::new())))
    }

    /// The sink's name in errors and stats.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }

    fn __repr__(&self) -> String {
        "<Stdout>".to_owned()
    }
}

/// A Python object with `write(entry)` (and optionally `flush()` and
/// `close()`), called under the GIL with each record as a `LogEntry`.
struct PySink {
    name: String,
    object: Py<PyAny>,
}

impl PySink {
    /// A `TypeError` unless `object` has a `write` method.
    fn check(object: &Bound<'_, PyAny>) -> PyResult<()> {
        if object.hasattr(intern!(object.py(), "write"))? {
            return Ok(());
        }
        Err(PyTypeError::new_err(format!(
            "a sink is a sink of lokryn_compliance_log.sinks or an object with a write(entry) method, got {}",
            object.get_type().name()?
        )))
    }

    fn new(object: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = object.py();
        Self::check(object)?;
        let name = match object.getattr_opt(intern!(py, "name"))? {
            Some(name) if name.is_instance_of::<pyo3::types::PyString>() => name.extract()?,
            _ => format!("python:{}", object.get_type().qualname()?),
        };
        Ok(Self {
            name,
            object: object.clone().unbind(),
        })
    }

    /// Calls `method` with `args` if the object has it.
    fn call(&self, method: &str, entry: Option<&[u8]>) -> Result<(), SinkError> {
        let called = Python::try_attach(|py| {
            let object = self.object.bind(py);
            let result = (|| -> PyResult<()> {
                let Some(f) = object.getattr_opt(method)? else {
                    return Ok(());
                };
                match entry {
                    Some(bytes) => f.call1((log_entry_from_bytes(py, bytes)?,))?,
                    None => f.call0()?,
                };
                Ok(())
            })();
            result.map_err(|err| {
                let message = err.value(py).to_string();
                let kind = err
                    .get_type(py)
                    .name()
                    .map_or_else(|_| "exception".to_owned(), |n| n.to_string());
                SINK_EXCEPTION.with(|c| *c.borrow_mut() = Some(err));
                SinkError::new("PYTHON", format!("{method} raised {kind}: {message}"))
            })
        });
        called.unwrap_or_else(|| {
            Err(SinkError::new(
                "CLOSED",
                "the Python interpreter is shutting down",
            ))
        })
    }
}

impl Sink for PySink {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
        self.call("write", Some(record.encoded))
    }

    fn flush(&mut self, _deadline: Instant) -> Result<(), SinkError> {
        self.call("flush", None)
    }

    fn close(&mut self, _deadline: Instant) -> Result<(), SinkError> {
        self.call("close", None)
    }
}

/// Whether `object` is a sink of `lokryn_compliance_log.sinks`.
fn is_ours(object: &Bound<'_, PyAny>) -> bool {
    object.is_instance_of::<JsonLines>()
        || object.is_instance_of::<Binary>()
        || object.is_instance_of::<LedgerSink>()
        || object.is_instance_of::<Stdout>()
        || object.is_instance_of::<Otlp>()
}

/// A sink argument as the engine's sink: ours are taken, other objects wrapped.
fn sink_of(object: &Bound<'_, PyAny>) -> PyResult<Box<dyn Sink>> {
    let py = object.py();
    if let Ok(s) = object.cast::<JsonLines>() {
        return s.get().0.take(py);
    }
    if let Ok(s) = object.cast::<Binary>() {
        return s.get().0.take(py);
    }
    if let Ok(s) = object.cast::<LedgerSink>() {
        return s.get().0.take(py);
    }
    if let Ok(s) = object.cast::<Stdout>() {
        return s.get().0.take(py);
    }
    if let Ok(s) = object.cast::<Otlp>() {
        return s.get().0.take(py);
    }
    Ok(Box::new(PySink::new(object)?))
}

/// The engine of `AuditLogger` (use that class: this one takes a
/// `LogEntry` and leaves the trace context and warnings to it).
#[pyclass(module = "lokryn_compliance_log", frozen)]
pub(crate) struct AuditEngine {
    logger: AuditLogger,
    on_warning: Option<Py<PyAny>>,
}

fn built(py: Python<'_>, result: Result<Builder, LogError>) -> PyResult<Builder> {
    result.map_err(|e| log_error(py, &e))
}

#[pymethods]
impl AuditEngine {
    #[new]
    #[pyo3(signature = (sinks, *, profiles, on_invalid = None, quarantine = None, redact = None, defaults = None, producer = None, on_warning = None))]
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // pyo3 extracts owned arguments
    fn new(
        py: Python<'_>,
        sinks: Vec<Bound<'_, PyAny>>,
        profiles: Vec<String>,
        on_invalid: Option<&str>,
        quarantine: Option<&Bound<'_, PyAny>>,
        redact: Option<&Bound<'_, PyAny>>,
        defaults: Option<&Bound<'_, PyAny>>,
        producer: Option<(String, String)>,
        on_warning: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let (name, version) = producer.unwrap_or_else(|| {
            (
                "lokryn-compliance-log".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )
        });
        let mut builder =
            built(py, AuditLogger::builder().profiles(&profiles))?.producer(&name, &version);
        if let Some(name) = on_invalid {
            let policy = OnInvalid::from_name(name).ok_or_else(|| {
                config_error(
                    py,
                    format!(
                        "on_invalid must be \"raise\", \"warn\" or \"quarantine\", got {name:?}"
                    ),
                )
            })?;
            builder = builder.on_invalid(policy);
        }
        builder = builder.redact(redaction(redact)?);
        if let Some(defaults) = defaults {
            builder = builder.defaults(decode_entry(defaults)?);
        }
        // Sinks are taken last and only once all are known to be sinks, so
        // that a bad option or argument leaves them usable. (A logger whose
        // `build` then fails has used them up.)
        for sink in sinks.iter().chain(quarantine) {
            if !is_ours(sink) {
                PySink::check(sink)?;
            }
        }
        for sink in &sinks {
            builder = builder.boxed_sink(sink_of(sink)?);
        }
        if let Some(quarantine) = quarantine {
            builder = builder.boxed_quarantine(sink_of(quarantine)?);
        }
        builder = builder.on_warning(|_: &LogEntry, report: &Report| {
            WARNING.with(|w| *w.borrow_mut() = Some(report.clone()));
        });
        let logger = builder.build().map_err(|e| log_error(py, &e))?;
        Ok(Self { logger, on_warning })
    }

    /// Writes the record (a `LogEntry` or its bytes); returns it as written.
    fn log<'py>(&self, entry: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = entry.py();
        let entry = decode_entry(entry)?;
        let result = engine_call(py, || self.logger.log(entry));
        written(py, result, self.on_warning.as_ref())
    }

    /// Starts timing an operation of `event_type` on the record `template`.
    fn operation(
        &self,
        py: Python<'_>,
        event_type: i32,
        template: &Bound<'_, PyAny>,
    ) -> PyResult<PyOperation> {
        let event_type = EventType::try_from(event_type)
            .map_err(|_| config_error(py, format!("{event_type} is not an EventType value")))?;
        let template = decode_entry(template)?;
        Ok(PyOperation {
            op: Mutex::new(Some(self.logger.operation(event_type, template))),
            on_warning: self.on_warning.as_ref().map(|h| h.clone_ref(py)),
        })
    }

    /// Flushes every sink, waiting at most `timeout` seconds.
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = self::timeout(py, timeout)?;
        engine_call(py, || self.logger.flush(timeout)).map_err(|e| log_error(py, &e))
    }

    /// Flushes and closes every sink; later calls do nothing.
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let timeout = self::timeout(py, timeout)?;
        engine_call(py, || self.logger.close(timeout)).map_err(|e| log_error(py, &e))
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.logger.is_closed()
    }

    /// `(logged, invalid, quarantined, [(name, written, queued, retried, dropped, failed)...])`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let stats = py.detach(|| self.logger.stats());
        let sinks = stats
            .sinks
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.written,
                    s.queued,
                    s.retried,
                    s.dropped,
                    s.failed,
                )
            })
            .collect::<Vec<_>>();
        (stats.logged, stats.invalid, stats.quarantined, sinks).into_pyobject(py)
    }
}

fn redaction(redact: Option<&Bound<'_, PyAny>>) -> PyResult<Redaction> {
    let Some(redact) = redact else {
        return Ok(Redaction::On);
    };
    if let Ok(key) = redact.cast::<PyBytes>() {
        return Ok(Redaction::Keyed(key.as_bytes().to_vec()));
    }
    if let Ok(on) = redact.extract::<bool>() {
        return Ok(if on { Redaction::On } else { Redaction::Off });
    }
    Err(PyTypeError::new_err(format!(
        "redact must be True, False or a key as bytes, got {}",
        redact.get_type().name()?
    )))
}

/// A timed operation of the engine, finished once.
#[pyclass(module = "lokryn_compliance_log", name = "EngineOperation", frozen)]
pub(crate) struct PyOperation {
    op: Mutex<Option<Operation>>,
    on_warning: Option<Py<PyAny>>,
}

#[pymethods]
impl PyOperation {
    /// Writes the record with `outcome` (an `Outcome` value), the error
    /// code and message (for a failure), and the fields of `extra` (a
    /// `LogEntry`, merged in as protobuf's `MergeFrom` does); returns it.
    #[pyo3(signature = (outcome, error_code = "", error_message = "", extra = None))]
    fn finish<'py>(
        &self,
        py: Python<'py>,
        outcome: i32,
        error_code: &str,
        error_message: &str,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let outcome = Outcome::try_from(outcome)
            .map_err(|_| config_error(py, format!("{outcome} is not an Outcome value")))?;
        let extra = extra.map(crate::entries::entry_bytes).transpose()?;
        let taken = self.op.lock().ok().and_then(|mut o| o.take());
        let Some(mut op) = taken else {
            return Err(logger_error(
                py,
                "CLOSED",
                "the operation is already finished".to_owned(),
                None,
            ));
        };
        if let Some(extra) = extra {
            merge(py, op.entry_mut(), extra.as_bytes())?;
        }
        let result = engine_call(py, || op.finish(outcome, error_code, error_message));
        written(py, result, self.on_warning.as_ref())
    }
}

/// The `LogEntry` an engine call wrote, after calling the warning hook
/// with it and the report when the record was written under `warn`.
fn written<'py>(
    py: Python<'py>,
    result: Result<LogEntry, LogError>,
    on_warning: Option<&Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let warning = WARNING.with(|w| w.borrow_mut().take());
    let entry = result.map_err(|e| log_error(py, &e))?;
    let entry = log_entry_from_bytes(py, &codec::encode(&entry))?;
    if let (Some(report), Some(hook)) = (warning, on_warning) {
        hook.call1(py, (&entry, ValidationReport::new(py, report)?))?;
    }
    Ok(entry)
}

impl Drop for PyOperation {
    /// An operation never finished is logged by the engine as `UNFINISHED`;
    /// that happens without the GIL, as every engine call does, so that a
    /// Python sink busy in another thread can take the GIL and finish.
    fn drop(&mut self) {
        let op = self.op.get_mut().ok().and_then(Option::take);
        if let Some(op) = op {
            let _ = Python::try_attach(move |py| py.detach(move || drop(op)));
        }
    }
}

/// Merges the encoded entry `bytes` into `entry` (protobuf merge: set
/// scalars replace, repeated fields append, messages merge).
fn merge(py: Python<'_>, entry: &mut LogEntry, bytes: &[u8]) -> PyResult<()> {
    let mut buf = codec::encode(entry);
    buf.extend_from_slice(bytes);
    *entry = codec::decode(&buf)
        .map_err(|e| crate::errors::to_py_err(py, &e, crate::errors::Context::Binary))?;
    Ok(())
}
