//! `AuditLogger`: the audit logger of `lokryn-logger`, delegated. The
//! package's `logger.cjs` checks the options, looks up the OpenTelemetry
//! trace context and wraps this class; everything else is the engine's.
//!
//! * Built-in sinks are opened from the plain descriptions `sinks.*` makes.
//!   The network sink (OTLP) runs on its own Rust threads and never calls
//!   into JavaScript.
//! * A user sink is a JavaScript function (`logger.cjs` wraps the object's
//!   `write`/`flush`/`close`) called synchronously, on the JavaScript thread
//!   that called `log`, `flush` or `close`. The engine calls sinks on the
//!   caller's thread; [`Call`] records, for the length of each call, the
//!   environment a user sink may use and the trace context of the call.
//! * `log` takes the fields object on a value tape and returns the record
//!   on one (`logTaped`, with `tape.cjs`): one crossing each way instead of
//!   one per field; the field-by-field `log` remains for what no tape holds.
//! * Errors become the package's structured errors (`code`, `message`,
//!   `sink`, and for `INVALID` a `ValidationError` with `violations` and the
//!   `report`).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lokryn_compliance_log::validate::Report;
use lokryn_compliance_log::{EventType, LogEntry};
use lokryn_compliance_log_js::tape::{Tape, TapeError, TapeWriter, Taped};
use lokryn_compliance_log_js::tape_entry::{self, TextSpans};
use lokryn_compliance_log_js::{
    Detail, ErrorInfo, Failure, Host, ToJs, api, report_to_js, violations_to_js,
};
use lokryn_logger as engine;
use lokryn_logger::{LogError, Record, Sink, SinkError, TraceContext};
use napi::bindgen_prelude::{
    Array, BufferSlice, Env, FromNapiValue, Function, FunctionRef, JsValue, JsValuesTupleIntoVec,
    Result, Uint8Array, Uint8ArraySlice, Unknown,
};
use napi::sys;
use napi_derive::napi;
use prost::Message as _;

use crate::{Node, arg};

/// Positional arguments of a call into JavaScript.
struct Args(Vec<sys::napi_value>);

impl JsValuesTupleIntoVec for Args {
    fn into_vec(self, _env: sys::napi_env) -> Result<Vec<sys::napi_value>> {
        Ok(self.0)
    }
}

type Callback = FunctionRef<Args, Unknown<'static>>;

// ------------------------------------------------------------------ calls

/// What the engine's hooks and the user sinks may use during one call from
/// JavaScript on this thread.
struct Call {
    /// The environment of the call.
    env: sys::napi_env,
    /// The trace context `logger.cjs` found (for the engine's hook).
    trace: Option<TraceContext>,
    /// Invalid records written under the "warn" policy, for `onWarning`.
    warnings: Vec<(LogEntry, Report)>,
}

thread_local! {
    static CALL: RefCell<Option<Call>> = const { RefCell::new(None) };
}

/// Runs `f` as a call from JavaScript in `env` with `trace`; returns its
/// result and the warnings the engine raised meanwhile. Calls nest (a user
/// sink may log to another logger): the outer call is restored after.
fn in_call<T>(
    env: &Env,
    trace: Option<TraceContext>,
    f: impl FnOnce() -> T,
) -> (T, Vec<(LogEntry, Report)>) {
    let outer = CALL.with(|c| {
        c.borrow_mut().replace(Call {
            env: env.raw(),
            trace,
            warnings: Vec::new(),
        })
    });
    let result = f();
    let call = CALL.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    (result, call.map(|c| c.warnings).unwrap_or_default())
}

/// The engine's trace-context hook: the context of the current call.
fn current_trace() -> Option<TraceContext> {
    CALL.with(|c| c.borrow().as_ref().and_then(|c| c.trace.clone()))
}

/// The engine's warning hook: kept for `onWarning`, called after the engine
/// returns (not while it holds its sinks).
fn keep_warning(entry: &LogEntry, report: &Report) {
    CALL.with(|c| {
        if let Some(call) = c.borrow_mut().as_mut() {
            call.warnings.push((entry.clone(), report.clone()));
        }
    });
}

/// The trace context of `log(fields, traceId, spanId)`.
fn trace_of(trace_id: Option<String>, span_id: Option<String>) -> Option<TraceContext> {
    match (trace_id, span_id) {
        (Some(trace_id), Some(span_id)) if !trace_id.is_empty() => Some(TraceContext {
            trace_id,
            span_id,
            parent_span_id: String::new(),
        }),
        _ => None,
    }
}

// ------------------------------------------------------------------ tapes

thread_local! {
    /// The buffers of the last output tape, reused by the next.
    static OUTPUT: RefCell<(Vec<u8>, Vec<u8>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    /// The last record written from a tape and its spans, which the next
    /// tape is read into (`tape_entry::read_entry_into`): its strings'
    /// allocations serve the next record's strings. Taken for the length
    /// of a call (a call nested in it reads into a new one).
    static INPUT: RefCell<Option<(LogEntry, TextSpans)>> = const { RefCell::new(None) };
    /// The units of the last input tape's text, whose allocation the next
    /// one's reuses.
    static TEXT: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// The most bytes of strings a kept record (`INPUT`) may hold, and the
/// most units of a kept text (`TEXT`): a larger one is dropped, so that a
/// thread does not keep the memory of one large record for good.
const KEEP_AT_MOST: usize = 16 << 10;

/// Keeps `entry` and `spans` for the next call's read, unless the entry
/// holds more than [`KEEP_AT_MOST`] bytes of strings.
fn keep_input(entry: LogEntry, spans: TextSpans) {
    if tape_entry::string_capacity(&entry) <= KEEP_AT_MOST {
        INPUT.with(|k| *k.borrow_mut() = Some((entry, spans)));
    }
}

/// What a tape that `tape.cjs` did not write (a bug, never expected) throws.
fn tape_error(e: &TapeError) -> napi::Error {
    napi::Error::from_reason(format!("@lokryn/compliance-log: {e}"))
}

/// The entry of an input tape read through the generic host (the same
/// entry, or the same error, as the live object gives).
fn read_taped(h: &Node<'_>, tape: &[u8], text: &[u16]) -> Result<LogEntry> {
    let tape = Tape::parse_split(tape, text).map_err(|e| tape_error(&e))?;
    let taped = Taped::new(h, &tape, tape_error);
    match api::entry_arg(&taped, &taped.root(), "fields") {
        Ok(entry) => Ok(entry),
        Err(failure) => {
            let error = failure.into_js(&taped)?;
            Err(napi::Error::from(taped.into_host(error)?))
        }
    }
}

// ------------------------------------------------------------- user sinks

/// What a user sink's function is asked to do (its first argument).
#[derive(Clone, Copy)]
enum Op {
    Write = 0,
    Flush = 1,
    Close = 2,
}

/// A user sink: the JavaScript function `(op, entry)` of `logger.cjs`, and
/// the environment it belongs to.
struct UserSink {
    name: String,
    f: Callback,
    env: usize,
}

impl UserSink {
    fn call(&self, op: Op, entry: Option<&LogEntry>) -> std::result::Result<(), SinkError> {
        let env = CALL.with(|c| c.borrow().as_ref().map(|c| c.env));
        let Some(env) = env.filter(|e| *e as usize == self.env) else {
            return Err(SinkError::new(
                "USER_SINK",
                "a user sink runs only within a call from its own JavaScript thread \
                 (this one came from elsewhere: an operation collected unfinished, a worker)",
            ));
        };
        let env = Env::from_raw(env);
        let js = |e: napi::Error| SinkError::new("USER_SINK", e.reason);
        let h = Node::new(&env).map_err(js)?;
        let mut args = vec![h.new_number(f64::from(op as u8)).map_err(js)?.raw()];
        if let Some(entry) = entry {
            args.push(entry.to_js(&h).map_err(js)?.raw());
        }
        self.f
            .borrow_back(&env)
            .and_then(|f| f.call(Args(args)))
            .map(drop)
            .map_err(js)
    }
}

impl Sink for UserSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, record: &Record<'_>) -> std::result::Result<(), SinkError> {
        self.call(Op::Write, Some(record.entry))
    }

    fn flush(&mut self, _deadline: Instant) -> std::result::Result<(), SinkError> {
        self.call(Op::Flush, None)
    }

    fn close(&mut self, _deadline: Instant) -> std::result::Result<(), SinkError> {
        self.call(Op::Close, None)
    }
}

// --------------------------------------------------------------- options

/// A sink, as `logger.cjs` passes it: a description made by `sinks.*`, or
/// `{ kind: "user", index, name }`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct SinkSpec {
    pub kind: String,
    /// The file, directory or endpoint.
    pub path: Option<String>,
    /// A user sink's position in the functions passed.
    pub index: Option<u32>,
    /// A user sink's name (for errors and stats).
    pub name: Option<String>,
    pub rotate_bytes: Option<f64>,
    pub rotate_every_ms: Option<f64>,
    pub compress_rotated: Option<String>,
    pub durable: Option<bool>,
    pub commit_every: Option<f64>,
    pub commit_every_ms: Option<f64>,
    pub batch_size: Option<f64>,
    pub batch_timeout_ms: Option<f64>,
    pub queue_capacity: Option<f64>,
    pub max_retries: Option<f64>,
    pub max_elapsed_ms: Option<f64>,
    pub initial_backoff_ms: Option<f64>,
    pub max_backoff_ms: Option<f64>,
    pub spill_dir: Option<String>,
    pub block_timeout_ms: Option<f64>,
    pub timeout_ms: Option<f64>,
    pub headers: Option<std::collections::HashMap<String, String>>,
    pub gzip: Option<bool>,
}

/// The logger's options, as `logger.cjs` passes them (checked there).
#[napi(object)]
#[derive(Default)]
pub struct LoggerConfig {
    pub sinks: Vec<SinkSpec>,
    pub quarantine: Option<SinkSpec>,
    pub profiles: Option<Vec<String>>,
    pub on_invalid: Option<String>,
    pub redact: Option<bool>,
    pub redact_key: Option<Uint8Array>,
    pub producer_name: Option<String>,
    pub producer_version: Option<String>,
}

impl std::fmt::Debug for LoggerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggerConfig")
            .field("sinks", &self.sinks)
            .field("quarantine", &self.quarantine)
            .field("profiles", &self.profiles)
            .field("on_invalid", &self.on_invalid)
            .field("redact", &self.redact)
            .field("redact_key", &self.redact_key.as_ref().map(|_| "<set>"))
            .field("producer_name", &self.producer_name)
            .field("producer_version", &self.producer_version)
            .finish()
    }
}

fn config_error(message: String) -> LogError {
    LogError::new("CONFIG", message)
}

/// A count option (checked to be a non-negative integer by `logger.cjs`).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // Checked in JavaScript.
fn count(n: f64) -> u64 {
    if n.is_finite() && n >= 0.0 {
        n as u64
    } else {
        0
    }
}

fn millis(n: f64) -> Duration {
    Duration::from_millis(count(n))
}

fn usize_of(n: f64) -> usize {
    usize::try_from(count(n)).unwrap_or(usize::MAX)
}

/// Applies the rotation options common to both file sinks.
macro_rules! file_sink {
    ($ty:ty, $spec:expr, $path:expr) => {{
        let spec = $spec;
        let path: &str = $path;
        let mut sink = <$ty>::create(path).map_err(|e| sink_open_error(&spec.kind, path, &e))?;
        if let Some(n) = spec.rotate_bytes {
            sink = sink.rotate_bytes(count(n));
        }
        if let Some(n) = spec.rotate_every_ms {
            sink = sink.rotate_every(millis(n));
        }
        if let Some(c) = &spec.compress_rotated {
            sink = sink.compress_rotated(compression(c)?);
        }
        if let Some(d) = spec.durable {
            sink = sink.durable(d);
        }
        Box::new(sink) as Box<dyn Sink>
    }};
}

fn sink_open_error(kind: &str, path: &str, e: &SinkError) -> LogError {
    LogError::new(e.code(), format!("{kind} {path}: {}", e.message()))
}

fn compression(name: &str) -> std::result::Result<engine::sinks::Compression, LogError> {
    match name {
        "gzip" => Ok(engine::sinks::Compression::Gzip),
        "zstd" => Ok(engine::sinks::Compression::Zstd),
        other => Err(config_error(format!(
            "compressRotated must be \"gzip\" or \"zstd\", not {other:?}"
        ))),
    }
}

/// Opens the sink `spec` describes; user sinks are taken from `users`.
fn open_sink(
    spec: &SinkSpec,
    users: &mut [Option<UserSink>],
) -> std::result::Result<Box<dyn Sink>, LogError> {
    let path = || {
        spec.path
            .as_deref()
            .ok_or_else(|| config_error(format!("a {} sink needs a path", spec.kind)))
    };
    Ok(match spec.kind.as_str() {
        "jsonLines" => file_sink!(engine::sinks::JsonLines, spec, path()?),
        "binary" => file_sink!(engine::sinks::Binary, spec, path()?),
        "ledger" => {
            let dir = path()?;
            let mut sink = engine::sinks::Ledger::open(dir)
                .map_err(|e| sink_open_error(&spec.kind, dir, &e))?;
            if spec.commit_every.is_some() || spec.commit_every_ms.is_some() {
                sink = sink.commit_every(
                    spec.commit_every.map_or(usize::MAX, usize_of),
                    spec.commit_every_ms.map_or(Duration::MAX, millis),
                );
            }
            Box::new(sink)
        }
        "otlp" => Box::new(otlp_sink(spec, path()?)),
        "stdout" => Box::new(engine::sinks::Stdout::new()),
        "user" => {
            let slot = spec
                .index
                .and_then(|i| users.get_mut(i as usize))
                .and_then(Option::take)
                .ok_or_else(|| config_error("a user sink given twice or not at all".into()))?;
            Box::new(slot)
        }
        other => return Err(config_error(format!("unknown sink kind {other:?}"))),
    })
}

/// The OTLP/HTTP sink: batches on its own threads, never calls JavaScript.
fn otlp_sink(spec: &SinkSpec, endpoint: &str) -> engine::otlp::Otlp {
    let mut sink = engine::otlp::Otlp::new(endpoint);
    if let Some(n) = spec.batch_size {
        sink = sink.batch_size(usize_of(n));
    }
    if let Some(n) = spec.batch_timeout_ms {
        sink = sink.batch_timeout(millis(n));
    }
    if let Some(n) = spec.queue_capacity {
        sink = sink.queue_capacity(usize_of(n));
    }
    if let Some(n) = spec.max_retries {
        sink = sink.max_retries(u32::try_from(count(n)).unwrap_or(u32::MAX));
    }
    if let Some(n) = spec.max_elapsed_ms {
        sink = sink.max_elapsed(millis(n));
    }
    if let Some(n) = spec.initial_backoff_ms {
        sink = sink.initial_backoff(millis(n));
    }
    if let Some(n) = spec.max_backoff_ms {
        sink = sink.max_backoff(millis(n));
    }
    if let Some(dir) = &spec.spill_dir {
        sink = sink.spill_dir(dir);
    }
    if let Some(n) = spec.block_timeout_ms {
        sink = sink.block_timeout(millis(n));
    }
    if let Some(n) = spec.timeout_ms {
        sink = sink.timeout(millis(n));
    }
    if let Some(headers) = &spec.headers {
        sink = sink.headers(headers.clone());
    }
    if let Some(gzip) = spec.gzip {
        sink = sink.gzip(gzip);
    }
    sink
}

// ----------------------------------------------------------------- errors

/// The JavaScript error of an engine error: `code`, `message`, `sink`; for
/// `INVALID` a `ValidationError` with `violations` and `report`.
fn log_error_info<'env>(h: &Node<'env>, e: &LogError) -> Result<Unknown<'env>> {
    let mut details = Vec::new();
    if let Some(sink) = e.sink() {
        details.push(("sink", Detail::String(sink.to_owned())));
    }
    let info = ErrorInfo {
        code: e.code(),
        message: e.message().to_owned(),
        details,
    };
    let mut extra = Vec::new();
    if let Some(report) = e.report() {
        extra.push(("violations", violations_to_js(h, report)?));
        extra.push(("report", report_to_js(h, report)?));
    }
    info.to_js_with(h, extra)
}

fn thrown(h: &Node<'_>, e: &LogError) -> napi::Error {
    match log_error_info(h, e) {
        Ok(value) => napi::Error::from(value),
        Err(err) => err,
    }
}

// ----------------------------------------------------------------- logger

/// The `onWarning` function, shared by a logger and its operations.
type Warn = Arc<Callback>;

/// Calls `onWarning(entry, report)` for each warning of a call.
fn warn(h: &Node<'_>, f: &Warn, warnings: Vec<(LogEntry, Report)>) -> Result<()> {
    for (entry, report) in warnings {
        let args = Args(vec![entry.to_js(h)?.raw(), report_to_js(h, &report)?.raw()]);
        f.borrow_back(h.env)?.call(args)?;
    }
    Ok(())
}

/// Reads an optional fields argument (`undefined`/`null`: none).
fn fields_arg(
    h: &Node<'_>,
    v: Option<Unknown<'_>>,
    what: &str,
) -> std::result::Result<Option<LogEntry>, napi::Error> {
    let v = arg(h, v)?;
    match h.type_of(&v)? {
        lokryn_compliance_log_js::JsType::Undefined | lokryn_compliance_log_js::JsType::Null => {
            Ok(None)
        }
        _ => h.finish_with(api::entry_arg(h, &v, what).map(Some)),
    }
}

/// The native half of `AuditLogger` (see `logger.cjs`).
#[napi(js_name = "AuditLogger")]
pub struct AuditLogger {
    inner: engine::AuditLogger,
    on_warning: Warn,
}

impl std::fmt::Debug for AuditLogger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLogger")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

#[napi]
impl AuditLogger {
    /// `new AuditLogger(config, defaults, users, onWarning)`: `users` are the
    /// functions of the user sinks `config` refers to by index.
    #[napi(constructor)]
    #[allow(clippy::needless_pass_by_value)] // napi-rs passes the options by value
    pub fn new(
        env: &Env,
        config: LoggerConfig,
        defaults: Option<Unknown<'_>>,
        users: Array<'_>,
        on_warning: Unknown<'_>,
    ) -> Result<Self> {
        let h = Node::new(env)?;
        let on_warning = Function::<Args, Unknown<'static>>::from_unknown(on_warning)?;
        let defaults = fields_arg(&h, defaults, "defaults")?;
        let mut slots = Vec::with_capacity(users.len() as usize);
        for i in 0..users.len() {
            let f = users
                .get::<Function<'_, Args, Unknown<'static>>>(i)?
                .ok_or_else(|| napi::Error::from_reason("a user sink is missing"))?;
            slots.push(Some(UserSink {
                name: format!("user:{i}"),
                f: f.create_ref()?,
                env: env.raw() as usize,
            }));
        }
        // Names come with the specs.
        for spec in config.sinks.iter().chain(config.quarantine.iter()) {
            if let (Some(i), Some(name)) = (spec.index, &spec.name)
                && let Some(Some(slot)) = slots.get_mut(i as usize)
            {
                slot.name.clone_from(name);
            }
        }
        let built = build(&config, defaults, &mut slots);
        let inner = built.map_err(|e| thrown(&h, &e))?;
        Ok(Self {
            inner,
            on_warning: Arc::new(on_warning.create_ref()?),
        })
    }

    /// `log(fields, traceId?, spanId?)`: the record as written, the fields
    /// object read field by field (`logTaped` is the usual path).
    #[napi]
    pub fn log<'env>(
        &self,
        env: &'env Env,
        fields: Unknown<'env>,
        trace_id: Option<String>,
        span_id: Option<String>,
    ) -> Result<Unknown<'env>> {
        let h = Node::new(env)?;
        let entry = h.finish_with(api::entry_arg(&h, &fields, "fields"))?;
        let (result, warnings) =
            in_call(env, trace_of(trace_id, span_id), || self.inner.log(entry));
        let written = result.map_err(|e| thrown(&h, &e))?;
        warn(&h, &self.on_warning, warnings)?;
        written.to_js(&h)
    }

    /// `tapedLog()`: the function `logTaped(tape, length, text, out,
    /// traceId?, spanId?)` of this logger (see [`log_taped`]), made through
    /// raw Node-API (`crate::raw`): it holds a clone of the engine's logger
    /// and is called without napi-rs's per-call unwrapping of the receiver,
    /// class check and borrow tracking.
    #[napi]
    pub fn taped_log<'env>(&self, env: &'env Env) -> Result<Unknown<'env>> {
        let data = (self.inner.clone(), Arc::clone(&self.on_warning));
        crate::raw::function(env, c"logTaped", data, log_taped_call)
    }

    /// `logJson(text)`: logs the record of proto3 JSON text, keys the schema
    /// does not define ignored; returns nothing. The pino transport's path:
    /// no JavaScript object is made on the way in or out.
    #[napi]
    #[allow(clippy::needless_pass_by_value)] // napi-rs passes owned strings
    pub fn log_json(&self, env: &Env, text: String) -> Result<()> {
        let h = Node::new(env)?;
        let mut options = lokryn_compliance_log::json::JsonOptions::default();
        options.ignore_unknown_fields = true;
        let entry = lokryn_compliance_log::json::from_json_with(&text, &options)
            .map_err(|e| thrown(&h, &LogError::from(e)))?;
        let (result, warnings) = in_call(env, None, || self.inner.log(entry));
        result.map_err(|e| thrown(&h, &e))?;
        warn(&h, &self.on_warning, warnings)
    }

    /// `operation(eventType, fields?)`: the native operation handle.
    #[napi]
    pub fn operation(
        &self,
        env: &Env,
        event_type: i32,
        fields: Option<Unknown<'_>>,
    ) -> Result<AuditOperation> {
        let h = Node::new(env)?;
        let Ok(event_type) = EventType::try_from(event_type) else {
            return Err(type_error(
                &h,
                format!("operation: {event_type} is not an EventType"),
                "eventType",
            ));
        };
        let template = fields_arg(&h, fields, "fields")?.unwrap_or_default();
        Ok(AuditOperation {
            op: Some(self.inner.operation(event_type, template)),
            on_warning: Arc::clone(&self.on_warning),
        })
    }

    /// `flush(timeoutMs?)`.
    #[napi]
    pub fn flush(&self, env: &Env, timeout_ms: Option<f64>) -> Result<()> {
        let h = Node::new(env)?;
        let (result, _) = in_call(env, None, || self.inner.flush(timeout_ms.map(millis)));
        result.map_err(|e| thrown(&h, &e))
    }

    /// `close(timeoutMs?)`.
    #[napi]
    pub fn close(&self, env: &Env, timeout_ms: Option<f64>) -> Result<()> {
        let h = Node::new(env)?;
        let (result, _) = in_call(env, None, || self.inner.close(timeout_ms.map(millis)));
        result.map_err(|e| thrown(&h, &e))
    }

    /// The counters.
    #[napi]
    pub fn stats(&self) -> LoggerStats {
        let s = self.inner.stats();
        LoggerStats {
            logged: s.logged as f64,
            invalid: s.invalid as f64,
            quarantined: s.quarantined as f64,
            sinks: s
                .sinks
                .into_iter()
                .map(|k| SinkStats {
                    name: k.name,
                    written: k.written as f64,
                    queued: k.queued as f64,
                    retried: k.retried as f64,
                    dropped: k.dropped as f64,
                    failed: k.failed as f64,
                })
                .collect(),
        }
    }
}

/// The arguments of `logTaped` (the function `tapedLog` returns), read as
/// a `#[napi]` method reads them, for [`log_taped`].
fn log_taped_call<'env>(
    (inner, on_warning): &(engine::AuditLogger, Warn),
    env: &'env Env,
    args: &[Unknown<'env>],
) -> Result<Unknown<'env>> {
    let [tape, length, text, out, rest @ ..] = args else {
        return Err(napi::Error::from_reason(
            "logTaped(tape, length, text, out, traceId?, spanId?): too few arguments",
        ));
    };
    let trace = |i: usize| -> Result<Option<String>> {
        rest.get(i)
            .map_or(Ok(None), |v| Option::<String>::from_unknown(*v))
    };
    let length = u32::from_unknown(*length)?;
    let (trace_id, span_id) = (trace(0)?, trace(1)?);
    // The text's units go into the last call's buffer, kept again after.
    let mut units = TEXT.with(|t| std::mem::take(&mut *t.borrow_mut()));
    crate::raw::utf16_into(env, *text, &mut units)?;
    let result = log_taped(
        inner, on_warning, env, *tape, length, &units, *out, trace_id, span_id,
    );
    if units.capacity() <= KEEP_AT_MOST {
        TEXT.with(|t| *t.borrow_mut() = units);
    }
    result
}

/// `logTaped(tape, length, text, out, traceId?, spanId?)`: `log` of the
/// fields object that `tape.cjs` wrote on the input tape of the first
/// `length` bytes of `tape` (a `Uint8Array`) with its strings in `text`
/// (the UTF-16 units of the string passed): one crossing instead of one
/// per field and per string, and the same record or the same error as
/// `log`, the tape answering as the live object would. An entry of the common shapes is read straight from the
/// tape (`tape_entry::read_entry`); any other through the generic host.
///
/// The record as written is written as an output tape: its operations
/// into `out` (a `Uint8Array`) and its strings returned, which
/// `tape.cjs` replays. The output tape leaves out the fields whose
/// values the caller passed exactly (strings neither filled nor
/// redacted, the same enum numbers and bigint, fields unset on both
/// sides; see `tape_entry::TextSpans::unchanged`): the first four bytes
/// of `out` (the tape's own length, which the replay does not read)
/// hold their mask instead, bit `i` for the reader's value `i`, the
/// record's factory call takes only the other fields, and `tape.cjs`
/// puts the caller's values among them. When the operations do not fit
/// in `out`, the record is returned as `log` returns it.
#[allow(clippy::too_many_arguments)] // JavaScript's positional arguments
fn log_taped<'env>(
    inner: &engine::AuditLogger,
    on_warning: &Warn,
    env: &'env Env,
    tape: Unknown<'env>,
    length: u32,
    text: &[u16],
    out: Unknown<'env>,
    trace_id: Option<String>,
    span_id: Option<String>,
) -> Result<Unknown<'env>> {
    let h = Node::new(env)?;
    let (entry, spans) = {
        let tape = Uint8ArraySlice::from_unknown(tape)?;
        let tape = tape
            .get(..length as usize)
            .ok_or_else(|| tape_error(&TapeError("a tape longer than its buffer")))?;
        let (mut entry, mut spans) = INPUT.with(|k| k.borrow_mut().take()).unwrap_or_default();
        if tape_entry::read_entry_into(&mut entry, &mut spans, tape, text) {
            (entry, Some(spans))
        } else {
            keep_input(entry, spans);
            (read_taped(&h, tape, text)?, None)
        }
    };
    let (result, warnings) = in_call(env, trace_of(trace_id, span_id), || inner.log(entry));
    let mut written = result.map_err(|e| thrown(&h, &e))?;
    warn(&h, on_warning, warnings)?;
    let keep = spans
        .as_ref()
        .map_or(0, |s| s.unchanged(&mut written, text));
    let (ops, strings) = OUTPUT.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let w = TapeWriter::with_buffers(ops, strings);
    let tape = tape_entry::write_changed(&w, &written, keep).and_then(|()| w.finish_apart());
    let (ops, strings) = tape.map_err(|e| tape_error(&e))?;
    // Taken only now: user sinks and `onWarning` ran JavaScript meanwhile.
    let mut out = BufferSlice::from_unknown(out)?;
    // The strings are UTF-8 (written from `str`s): checked only when
    // they are not ASCII, which is copied as it is rather than decoded.
    let ascii = strings.is_ascii();
    let text = if ascii {
        None
    } else {
        std::str::from_utf8(&strings).ok()
    };
    let result = match out.get_mut(..ops.len()) {
        Some(slot) if ascii || text.is_some() => {
            slot.copy_from_slice(&ops);
            if let Some(slot) = out.get_mut(..4) {
                slot.copy_from_slice(&keep.to_le_bytes());
            }
            match text {
                Some(text) => h.new_string(text),
                None => env.create_string_latin1(&strings).map(|s| s.to_unknown()),
            }
        }
        _ => written.to_js(&h),
    };
    let tape = (ops, strings);
    OUTPUT.with(|b| *b.borrow_mut() = tape);
    if let Some(spans) = spans {
        keep_input(written, spans);
    }
    result
}

fn type_error(h: &Node<'_>, message: String, field: &str) -> napi::Error {
    match Failure::<napi::Error>::Throw(ErrorInfo::type_error(message, field.to_owned()), None)
        .into_js(h)
    {
        Ok(value) => napi::Error::from(value),
        Err(err) => err,
    }
}

/// The engine logger of the options.
fn build(
    config: &LoggerConfig,
    defaults: Option<LogEntry>,
    users: &mut [Option<UserSink>],
) -> std::result::Result<engine::AuditLogger, LogError> {
    let producer = (
        config
            .producer_name
            .as_deref()
            .unwrap_or("@lokryn/compliance-log"),
        config
            .producer_version
            .as_deref()
            .unwrap_or(env!("CARGO_PKG_VERSION")),
    );
    let mut b = engine::AuditLogger::builder()
        .producer(producer.0, producer.1)
        .trace_context(current_trace)
        .on_warning(keep_warning);
    for spec in &config.sinks {
        b = b.boxed_sink(open_sink(spec, users)?);
    }
    if let Some(spec) = &config.quarantine {
        b = b.boxed_quarantine(open_sink(spec, users)?);
    }
    if let Some(profiles) = &config.profiles {
        b = b.profiles(profiles)?;
    }
    if let Some(name) = &config.on_invalid {
        let policy = engine::OnInvalid::from_name(name)
            .ok_or_else(|| config_error(format!("unknown onInvalid policy {name:?}")))?;
        b = b.on_invalid(policy);
    }
    b = b.redact(match (config.redact, &config.redact_key) {
        (Some(false), _) => engine::Redaction::Off,
        (_, Some(key)) => engine::Redaction::Keyed(key.to_vec()),
        _ => engine::Redaction::On,
    });
    if let Some(defaults) = defaults {
        b = b.defaults(defaults);
    }
    b.build()
}

/// `stats` of a sink.
#[napi(object)]
#[derive(Debug)]
pub struct SinkStats {
    pub name: String,
    pub written: f64,
    pub queued: f64,
    pub retried: f64,
    pub dropped: f64,
    pub failed: f64,
}

/// `stats` of a logger.
#[napi(object)]
#[derive(Debug)]
pub struct LoggerStats {
    pub logged: f64,
    pub invalid: f64,
    pub quarantined: f64,
    pub sinks: Vec<SinkStats>,
}

// -------------------------------------------------------------- operation

/// The native half of `Operation` (see `logger.cjs`). Collected unfinished,
/// the engine logs it as a failure with error code `UNFINISHED` (to the
/// sinks that can take it outside a call: not to user sinks).
#[napi(js_name = "AuditOperation")]
pub struct AuditOperation {
    op: Option<engine::Operation>,
    on_warning: Warn,
}

impl std::fmt::Debug for AuditOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditOperation")
            .field("op", &self.op)
            .finish_non_exhaustive()
    }
}

#[napi]
impl AuditOperation {
    /// Whether it was logged.
    #[napi(getter)]
    pub fn finished(&self) -> bool {
        self.op.is_none()
    }

    /// Logs it as a success, with `fields` merged in.
    #[napi]
    pub fn end<'env>(
        &mut self,
        env: &'env Env,
        fields: Option<Unknown<'env>>,
        trace_id: Option<String>,
        span_id: Option<String>,
    ) -> Result<Unknown<'env>> {
        self.finish(env, fields, trace_of(trace_id, span_id), None)
    }

    /// Logs it as a failure with `errorCode` and `errorMessage`, with
    /// `fields` merged in.
    #[napi]
    #[allow(clippy::needless_pass_by_value)] // napi-rs passes owned strings
    pub fn fail<'env>(
        &mut self,
        env: &'env Env,
        error_code: String,
        error_message: String,
        fields: Option<Unknown<'env>>,
        trace_id: Option<String>,
        span_id: Option<String>,
    ) -> Result<Unknown<'env>> {
        self.finish(
            env,
            fields,
            trace_of(trace_id, span_id),
            Some((error_code.as_str(), error_message.as_str())),
        )
    }
}

impl AuditOperation {
    fn finish<'env>(
        &mut self,
        env: &'env Env,
        fields: Option<Unknown<'env>>,
        trace: Option<TraceContext>,
        failure: Option<(&str, &str)>,
    ) -> Result<Unknown<'env>> {
        let h = Node::new(env)?;
        let fields = fields_arg(&h, fields, "fields")?;
        let Some(mut op) = self.op.take() else {
            return Err(thrown(
                &h,
                &LogError::new("CLOSED", "the operation was already ended or failed"),
            ));
        };
        if let Some(fields) = fields {
            // Fields set here win over the template's (repeated ones add up).
            let bytes = fields.encode_to_vec();
            op.entry_mut().merge(bytes.as_slice()).map_err(|e| {
                thrown(&h, &LogError::from(lokryn_compliance_log::Error::Decode(e)))
            })?;
        }
        let (result, warnings) = in_call(env, trace, || match failure {
            None => op.success(),
            Some((code, message)) => op.failure(code, message),
        });
        let written = result.map_err(|e| thrown(&h, &e))?;
        warn(&h, &self.on_warning, warnings)?;
        written.to_js(&h)
    }
}
