//! The logger: builder, completion, policy, redaction, fan-out to sinks.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lokryn_compliance_log::redact::RedactOptions;
use lokryn_compliance_log::validate::{self, Report};
use lokryn_compliance_log::{EventType, LogEntry, Producer, codec};

use crate::complete::{Fill, TraceContext, Uuid7, complete, host_name};
use crate::error::{LogError, SinkFailure};
use crate::operation::Operation;
use crate::sink::{Record, Sink, SinkStats, Stats};

/// What happens to a record that fails validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// `log` returns an `INVALID` error with the report; nothing is written.
    Raise,
    /// The record is written; the `on_warning` hook sees it (redacted) and
    /// the report.
    Warn,
    /// The record is written to the quarantine sink only (redacted as well);
    /// `log` returns it.
    Quarantine,
}

impl OnInvalid {
    /// The policy named `raise`, `warn` or `quarantine` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "raise" => Some(Self::Raise),
            "warn" => Some(Self::Warn),
            "quarantine" => Some(Self::Quarantine),
            _ => None,
        }
    }
}

/// Redaction of sensitive data before any sink sees a record.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Redaction {
    /// Records are written as logged.
    Off,
    /// Sensitive values become `[REDACTED:<kind>]` (card numbers keep their
    /// first six and last four digits). The default.
    #[default]
    On,
    /// As `On`, with keyed-hash tokens (`[REDACTED:<kind>:<token>]`) so that
    /// equal values stay joinable.
    Keyed(Vec<u8>),
}

impl fmt::Debug for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("Off"),
            Self::On => f.write_str("On"),
            Self::Keyed(_) => f.write_str("Keyed(<key>)"),
        }
    }
}

type TraceHook = Box<dyn Fn() -> Option<TraceContext> + Send + Sync>;
type WarningHook = Box<dyn Fn(&LogEntry, &Report) + Send + Sync>;

/// One sink with its lock and the counters the logger keeps for it.
struct Slot {
    name: String,
    sink: Mutex<Box<dyn Sink>>,
    written: AtomicU64,
    failed: AtomicU64,
}

impl Slot {
    fn new(sink: Box<dyn Sink>) -> Self {
        Self {
            name: sink.name().to_owned(),
            sink: Mutex::new(sink),
            written: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Box<dyn Sink>> {
        // A sink that panicked keeps its state; its next call reports any
        // problem itself.
        self.sink.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, record: &Record<'_>) -> Result<(), SinkFailure> {
        match self.lock().write(record) {
            Ok(()) => {
                self.written.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                Err(SinkFailure {
                    sink: self.name.clone(),
                    error,
                })
            }
        }
    }

    fn stats(&self) -> SinkStats {
        let own = self.lock().stats();
        if own.name.is_empty() {
            SinkStats {
                name: self.name.clone(),
                written: self.written.load(Ordering::Relaxed),
                failed: self.failed.load(Ordering::Relaxed),
                ..SinkStats::default()
            }
        } else {
            own
        }
    }
}

struct Inner {
    sinks: Vec<Slot>,
    quarantine: Option<Slot>,
    options: validate::Options,
    policy: OnInvalid,
    redact: Option<RedactOptions>,
    defaults: Option<LogEntry>,
    fill: Fill,
    /// `fill` and the ids of `ids`, checked under `options`.
    known: validate::Known,
    ids: Uuid7,
    trace: Option<TraceHook>,
    on_warning: Option<WarningHook>,
    limits: codec::Limits,
    /// Some sink reads the protobuf encoding of records.
    encode: bool,
    closed: AtomicBool,
    logged: AtomicU64,
    invalid: AtomicU64,
    quarantined: AtomicU64,
}

/// An audit logger: completes, validates, redacts and encodes each record,
/// then hands it to every sink. Cheap to clone (the clones share one
/// logger); `Send + Sync`.
///
/// ```
/// use lokryn_logger::{AuditLogger, sinks::JsonLines};
/// use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("audit.jsonl");
/// let audit = AuditLogger::builder().sink(JsonLines::create(&path)?).build()?;
/// let written = audit.log(LogEntry {
///     event_type: EventType::EventLogin as i32,
///     outcome: Outcome::Success as i32,
///     severity: Severity::Info as i32,
///     actor_id: "alice".into(),
///     ..Default::default()
/// })?;
/// assert!(!written.event_id.is_empty());
/// audit.close(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AuditLogger {
    inner: Arc<Inner>,
}

impl fmt::Debug for AuditLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.inner.sinks.iter().map(|s| s.name.as_str()).collect();
        f.debug_struct("AuditLogger")
            .field("sinks", &names)
            .field("policy", &self.inner.policy)
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Far enough to mean "no timeout" without overflowing `Instant`.
fn deadline(timeout: Option<Duration>) -> Instant {
    let now = Instant::now();
    let wait = timeout.unwrap_or(Duration::from_secs(100 * 365 * 86_400));
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

impl AuditLogger {
    /// A builder with no sinks, profile `baseline`, redaction on.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Completes, checks, redacts, encodes and hands the record to every
    /// sink; returns the record as written.
    ///
    /// Errors: `CLOSED` after [`AuditLogger::close`]; `INVALID` under the
    /// `Raise` policy (nothing written); `TOO_LARGE` when the encoded record
    /// is over the size limit; `SINK` when one or more sinks failed (after
    /// every sink was tried).
    pub fn log(&self, mut entry: LogEntry) -> Result<LogEntry, LogError> {
        let inner = &*self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Err(LogError::new("CLOSED", "the logger is closed"));
        }
        let filled = complete(
            &mut entry,
            inner.defaults.as_ref(),
            &inner.fill,
            &inner.ids,
            inner.trace.as_deref(),
        );
        // The verdict is taken on the record as logged, before redaction, so
        // that redacting never hides a violation. With redaction on, one
        // search for sensitive data serves both.
        // The record is ours: it is redacted in place, not copied. Only an
        // invalid record's report is read, so only that one is built. The
        // values the logger filled itself were checked when it was built.
        let invalid = match &inner.redact {
            Some(options) => validate::validate_and_redact_filled(
                &mut entry,
                &inner.options,
                options,
                &inner.known,
                filled,
            ),
            None => Some(validate::validate_with(&entry, &inner.options))
                .filter(|report| !report.is_valid()),
        };
        let valid = invalid.is_none();
        if let Some(report) = invalid {
            inner.invalid.fetch_add(1, Ordering::Relaxed);
            if inner.policy == OnInvalid::Raise {
                return Err(LogError::invalid(report));
            }
            // The hook sees the record as it is written: redacted.
            if inner.policy == OnInvalid::Warn
                && let Some(hook) = &inner.on_warning
            {
                hook(&entry, &report);
            }
        }
        let quarantine = !valid && inner.policy == OnInvalid::Quarantine;
        let encoded = if inner.encode {
            codec::encode_with(&entry, &inner.limits)?
        } else {
            codec::check_encoded_size(&entry, &inner.limits)?;
            Vec::new()
        };
        let record = Record::new(&entry, &encoded);
        // One sink takes it (the usual case): its JSON is made right there.
        let record = if quarantine || inner.sinks.len() == 1 {
            record.alone()
        } else {
            record
        };
        let mut failures = Vec::new();
        if quarantine {
            if let Some(slot) = &inner.quarantine
                && let Err(f) = slot.write(&record)
            {
                failures.push(f);
            }
            inner.quarantined.fetch_add(1, Ordering::Relaxed);
        } else {
            for slot in &inner.sinks {
                if let Err(f) = slot.write(&record) {
                    failures.push(f);
                }
            }
        }
        inner.logged.fetch_add(1, Ordering::Relaxed);
        if failures.is_empty() {
            Ok(entry)
        } else {
            Err(LogError::sinks("writing the record", failures))
        }
    }

    /// Starts timing an operation; see [`Operation`].
    pub fn operation(&self, event_type: EventType, template: LogEntry) -> Operation {
        Operation::start(self.clone(), event_type, template)
    }

    /// Runs `f` as an operation: `Ok` logs outcome success, `Err(e)` logs
    /// outcome failure with `e`'s `Display` as the error message, and a panic
    /// logs a failure with error code `PANIC` before it unwinds further.
    /// `f` may change the record through [`Operation::entry_mut`] (an
    /// `error_code` set there is kept; otherwise a failure gets `ERROR`).
    /// The result of `f` is returned as is: a failure to log the record
    /// does not replace it (it shows in [`AuditLogger::stats`] and in the
    /// sinks' errors on the next `flush`).
    pub fn in_operation<T, E: fmt::Display>(
        &self,
        event_type: EventType,
        template: LogEntry,
        f: impl FnOnce(&mut Operation) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut op = self.operation(event_type, template);
        let result = f(&mut op);
        match &result {
            Ok(_) => {
                let _ = op.success();
            }
            Err(e) => {
                let _ = op.failure("", &e.to_string());
            }
        }
        result
    }

    /// Flushes every sink (the quarantine sink too), giving up at the timeout.
    pub fn flush(&self, timeout: Option<Duration>) -> Result<(), LogError> {
        let deadline = deadline(timeout);
        self.each_sink("flush", |sink| sink.flush(deadline))
    }

    /// Flushes and closes every sink. Idempotent: later calls return `Ok`;
    /// `log` after close returns `CLOSED`.
    pub fn close(&self, timeout: Option<Duration>) -> Result<(), LogError> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let deadline = deadline(timeout);
        self.each_sink("close", |sink| sink.close(deadline))
    }

    /// True once [`AuditLogger::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    fn each_sink(
        &self,
        what: &str,
        mut f: impl FnMut(&mut dyn Sink) -> Result<(), crate::SinkError>,
    ) -> Result<(), LogError> {
        let mut failures = Vec::new();
        for slot in self.inner.sinks.iter().chain(&self.inner.quarantine) {
            if let Err(error) = f(slot.lock().as_mut()) {
                failures.push(SinkFailure {
                    sink: slot.name.clone(),
                    error,
                });
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(LogError::sinks(what, failures))
        }
    }

    /// The logger's counters and each sink's.
    pub fn stats(&self) -> Stats {
        let inner = &*self.inner;
        Stats {
            sinks: inner
                .sinks
                .iter()
                .chain(&inner.quarantine)
                .map(Slot::stats)
                .collect(),
            logged: inner.logged.load(Ordering::Relaxed),
            invalid: inner.invalid.load(Ordering::Relaxed),
            quarantined: inner.quarantined.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last clone is gone: flush what the sinks hold (a ledger's
        // group commit, say). Errors have nobody to go to here; call
        // `close` to see them.
        if !*self.closed.get_mut() {
            let deadline = deadline(Some(Duration::from_secs(5)));
            for slot in self.sinks.iter().chain(&self.quarantine) {
                let _ = slot.lock().close(deadline);
            }
        }
    }
}

/// Configures an [`AuditLogger`].
#[derive(Default)]
pub struct Builder {
    sinks: Vec<Box<dyn Sink>>,
    quarantine: Option<Box<dyn Sink>>,
    options: validate::Options,
    policy: Option<OnInvalid>,
    redact: Redaction,
    defaults: Option<LogEntry>,
    producer: Option<Producer>,
    trace: Option<TraceHook>,
    on_warning: Option<WarningHook>,
    limits: Option<codec::Limits>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("sinks", &self.sinks)
            .field("policy", &self.policy)
            .field("redact", &self.redact)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Adds a sink; records go to the sinks in the order they were added.
    #[must_use]
    pub fn sink(self, sink: impl Sink + 'static) -> Self {
        self.boxed_sink(Box::new(sink))
    }

    /// Adds a boxed sink.
    #[must_use]
    pub fn boxed_sink(mut self, sink: Box<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Validation profiles (`baseline`, `soc2`, `hipaa`, `pci`; a name may
    /// join several with `,` or `+`); `baseline` always applies.
    pub fn profiles<I, S: AsRef<str>>(mut self, names: I) -> Result<Self, LogError>
    where
        I: IntoIterator<Item = S>,
    {
        self.options = validate::Options::for_profiles(names)?;
        Ok(self)
    }

    /// What to do with invalid records. Default: `Quarantine` when the
    /// defaults' `environment` is `production` or `prod` (any case), else
    /// `Raise`.
    #[must_use]
    pub fn on_invalid(mut self, policy: OnInvalid) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The sink for quarantined records.
    #[must_use]
    pub fn quarantine(mut self, sink: impl Sink + 'static) -> Self {
        self.quarantine = Some(Box::new(sink));
        self
    }

    /// The quarantine sink, boxed.
    #[must_use]
    pub fn boxed_quarantine(mut self, sink: Box<dyn Sink>) -> Self {
        self.quarantine = Some(sink);
        self
    }

    /// Redaction (default [`Redaction::On`]).
    #[must_use]
    pub fn redact(mut self, redact: Redaction) -> Self {
        self.redact = redact;
        self
    }

    /// Fields copied into every record that leaves them unset (repeated
    /// fields: these values first, then the record's).
    #[must_use]
    pub fn defaults(mut self, defaults: LogEntry) -> Self {
        self.defaults = Some(defaults);
        self
    }

    /// The `producer` filled into records (default `lokryn-compliance-log`
    /// and this version).
    #[must_use]
    pub fn producer(mut self, name: &str, version: &str) -> Self {
        self.producer = Some(Producer {
            name: name.to_owned(),
            version: version.to_owned(),
        });
        self
    }

    /// How to find the current trace context (a binding installs its
    /// language's lookup). With the `opentelemetry` feature the default is
    /// the current `opentelemetry` context's span.
    #[must_use]
    pub fn trace_context(
        mut self,
        f: impl Fn() -> Option<TraceContext> + Send + Sync + 'static,
    ) -> Self {
        self.trace = Some(Box::new(f));
        self
    }

    /// Called with each invalid record (as written, redacted) and its report
    /// under [`OnInvalid::Warn`].
    #[must_use]
    pub fn on_warning(mut self, f: impl Fn(&LogEntry, &Report) + Send + Sync + 'static) -> Self {
        self.on_warning = Some(Box::new(f));
        self
    }

    /// Size limits for encoded records (default: the core's).
    #[must_use]
    pub fn limits(mut self, limits: codec::Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Builds the logger. `CONFIG` error when the policy is `Quarantine`
    /// (chosen, or the default in production) and no quarantine sink is set.
    pub fn build(self) -> Result<AuditLogger, LogError> {
        let production = self.defaults.as_ref().is_some_and(|d| {
            d.environment.eq_ignore_ascii_case("production")
                || d.environment.eq_ignore_ascii_case("prod")
        });
        let policy = self.policy.unwrap_or(if production {
            OnInvalid::Quarantine
        } else {
            OnInvalid::Raise
        });
        if policy == OnInvalid::Quarantine && self.quarantine.is_none() {
            let why = if self.policy.is_some() {
                "on_invalid is Quarantine"
            } else {
                "the environment is production, where invalid records are quarantined by default"
            };
            return Err(LogError::new(
                "CONFIG",
                format!(
                    "{why} but no quarantine sink is set: add one with `quarantine(sink)`, or choose `on_invalid(Raise)` or `on_invalid(Warn)`"
                ),
            ));
        }
        let redact = match self.redact {
            Redaction::Off => None,
            Redaction::On => Some(RedactOptions::default()),
            Redaction::Keyed(key) => Some(RedactOptions::default().with_key(key)),
        };
        let trace = self.trace.or_else(crate::otel::default_hook);
        let encode = self
            .sinks
            .iter()
            .chain(&self.quarantine)
            .any(|sink| sink.wants_encoded());
        let fill = Fill {
            producer: self.producer.unwrap_or_else(|| Producer {
                name: "lokryn-compliance-log".to_owned(),
                version: lokryn_compliance_log::VERSION.to_owned(),
            }),
            schema_version: lokryn_compliance_log::VERSION.to_owned(),
            host: host_name(),
        };
        let inner = Inner {
            sinks: self.sinks.into_iter().map(Slot::new).collect(),
            quarantine: self.quarantine.map(Slot::new),
            known: fill.known(&self.options),
            options: self.options,
            policy,
            redact,
            defaults: self.defaults.filter(|d| *d != LogEntry::default()),
            fill,
            ids: Uuid7::default(),
            trace,
            on_warning: self.on_warning,
            limits: self.limits.unwrap_or(codec::Limits::DEFAULT),
            encode,
            closed: AtomicBool::new(false),
            logged: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
            quarantined: AtomicU64::new(0),
        };
        Ok(AuditLogger {
            inner: Arc::new(inner),
        })
    }
}
