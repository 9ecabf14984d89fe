//! The `Otlp` sink: records to an OpenTelemetry Collector over OTLP/HTTP
//! (protobuf), through a bounded queue with batching, retries and an
//! optional spill file ([`crate::delivery`] has the rules).

mod http;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::delivery::{Delivery, Item, Pending, Policy, PushError, StatsHandle};
use crate::error::SinkError;
use crate::sink::{Record, Sink, SinkStats};

pub use crate::delivery::{DeliveryStats, Dropped};

/// Records to an OpenTelemetry Collector's OTLP/HTTP receiver
/// (`<endpoint>/v1/logs`, `application/x-protobuf`), mapped by
/// lokryn-export's OTLP mapping.
///
/// `write` only queues (copying the encoded record): the worker thread
/// starts at the first write (or flush) and sends batches. `written` in
/// [`Sink::stats`] counts records the collector acknowledged. A full queue
/// spills to [`Otlp::spill_dir`] when set, otherwise waits up to
/// [`Otlp::block_timeout`] and then drops the record: `write` still returns
/// `Ok`, and the drop is counted (`dropped`) and reported to
/// [`Otlp::on_drop`].
///
/// ```no_run
/// use std::time::Duration;
/// use lokryn_logger::{AuditLogger, otlp::Otlp};
///
/// let audit = AuditLogger::builder()
///     .sink(
///         Otlp::new("http://127.0.0.1:4318")
///             .batch_size(256)
///             .queue_capacity(10_000)
///             .spill_dir("/var/spool/audit")
///             .max_elapsed(Duration::from_secs(120)),
///     )
///     .build()?;
/// # Ok::<(), lokryn_logger::LogError>(())
/// ```
pub struct Otlp {
    name: String,
    endpoint: String,
    headers: Vec<(String, String)>,
    timeout: Duration,
    gzip: bool,
    policy: Policy,
    delivery: Option<Delivery>,
    handle: Arc<OnceLock<StatsHandle>>,
    closed: bool,
}

impl std::fmt::Debug for Otlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Otlp")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Reads an [`Otlp`] sink's delivery counters after the sink was handed to
/// a logger (tests, metrics).
#[derive(Debug, Clone)]
pub struct OtlpHandle(Arc<OnceLock<StatsHandle>>);

impl OtlpHandle {
    /// The counters now (all zero before the sink's first write).
    pub fn stats(&self) -> DeliveryStats {
        self.0.get().map(StatsHandle::stats).unwrap_or_default()
    }
}

impl Otlp {
    /// A sink posting to `endpoint`: the collector's base URL
    /// (`http://127.0.0.1:4318`, `/v1/logs` is appended) or the full logs
    /// URL (ending in `/v1/logs`). `http` and `https` (rustls, Mozilla's
    /// root certificates).
    pub fn new(endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into();
        Self {
            name: format!("otlp:{endpoint}"),
            endpoint,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            gzip: false,
            policy: Policy::default(),
            delivery: None,
            handle: Arc::new(OnceLock::new()),
            closed: false,
        }
    }

    /// Records per request (default 512).
    #[must_use]
    pub fn batch_size(mut self, records: usize) -> Self {
        self.policy.batch_size = records.max(1);
        self
    }

    /// Bytes of encoded records per request, at most (default 4 MiB; one
    /// larger record goes alone).
    #[must_use]
    pub fn batch_bytes(mut self, bytes: usize) -> Self {
        self.policy.batch_bytes = bytes.max(1);
        self
    }

    /// How long a record may wait for others to fill its batch (default
    /// 200 ms).
    #[must_use]
    pub fn batch_timeout(mut self, timeout: Duration) -> Self {
        self.policy.batch_timeout = timeout;
        self
    }

    /// Records held in memory, waiting or being sent, at most (default 8192).
    #[must_use]
    pub fn queue_capacity(mut self, records: usize) -> Self {
        self.policy.queue_capacity = records.max(1);
        self
    }

    /// Bytes held in memory, waiting or being sent, at most (default 64 MiB).
    #[must_use]
    pub fn queue_bytes(mut self, bytes: usize) -> Self {
        self.policy.queue_bytes = bytes.max(1);
        self
    }

    /// How long `write` may wait for room in a full queue before dropping
    /// the record (default 0: never wait). Not used with a spill directory.
    #[must_use]
    pub fn block_timeout(mut self, timeout: Duration) -> Self {
        self.policy.block_timeout = timeout;
        self
    }

    /// Gives up on a batch after this many retries (default: no limit but
    /// [`Otlp::max_elapsed`]).
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.policy.max_retries = Some(retries);
        self
    }

    /// Gives up on a batch when its next attempt would start later than this
    /// after its first (default 300 s).
    #[must_use]
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.policy.max_elapsed = elapsed;
        self
    }

    /// The first retry's backoff ceiling (default 100 ms), doubled for each
    /// retry up to [`Otlp::max_backoff`]; the wait is a uniform random part
    /// of it (full jitter), or the server's Retry-After when longer.
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.policy.initial_backoff = backoff;
        self
    }

    /// The largest backoff ceiling (default 5 s).
    #[must_use]
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.policy.max_backoff = backoff;
        self
    }

    /// Spills records to `dir/spill.bin` when the queue is full, and reads
    /// them back in order as the queue drains; what is left there when the
    /// process ends is sent by the next sink opening `dir`. One sink per
    /// directory.
    #[must_use]
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.policy.spill_dir = Some(dir.into());
        self
    }

    /// The largest spill file (default 1 GiB); past it records are dropped.
    #[must_use]
    pub fn spill_max_bytes(mut self, bytes: u64) -> Self {
        self.policy.spill_max_bytes = bytes;
        self
    }

    /// Adds HTTP headers to every request (authentication, tenant).
    #[must_use]
    pub fn headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The time limit of one request, connection included (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Compresses request bodies with gzip (default off).
    #[must_use]
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Calls `hook` for every drop, with the reason and the event ids (from
    /// the worker thread, or from `write` for a full queue). Keep it short.
    #[must_use]
    pub fn on_drop(mut self, hook: impl Fn(&Dropped) + Send + Sync + 'static) -> Self {
        self.policy.on_drop = Some(Arc::new(hook));
        self
    }

    /// A handle on the delivery counters (high-water marks, drops per
    /// reason) that stays usable after the sink is given to a logger.
    pub fn handle(&self) -> OtlpHandle {
        OtlpHandle(Arc::clone(&self.handle))
    }

    fn url(&self) -> Result<String, SinkError> {
        let base = self.endpoint.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SinkError::new(
                "CONFIG",
                format!(
                    "OTLP endpoint {:?} must start with http:// or https://",
                    self.endpoint
                ),
            ));
        }
        Ok(if base.ends_with("/v1/logs") {
            base.to_owned()
        } else {
            format!("{base}/v1/logs")
        })
    }

    fn delivery(&mut self) -> Result<&Delivery, SinkError> {
        if self.closed {
            return Err(SinkError::new("CLOSED", format!("{} is closed", self.name)));
        }
        if self.delivery.is_none() {
            let sender =
                http::HttpSender::new(self.url()?, self.headers.clone(), self.gzip, self.timeout);
            let delivery = Delivery::start(self.policy.clone(), sender, &self.name)?;
            let _ = self.handle.set(delivery.stats_handle());
            self.delivery = Some(delivery);
        }
        self.delivery
            .as_ref()
            .ok_or_else(|| SinkError::new("CLOSED", format!("{} is closed", self.name)))
    }
}

fn pending_error(what: &str, pending: Pending) -> SinkError {
    let spilled = if pending.spilled > 0 {
        format!(
            " ({} of them in the spill file, kept for the next run)",
            pending.spilled
        )
    } else {
        String::new()
    };
    SinkError::new(
        "TIMEOUT",
        format!(
            "{what}: {} records not yet acknowledged by the collector at the deadline{spilled}",
            pending.records
        ),
    )
}

impl Sink for Otlp {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
        let item = Item::new(record.entry.event_id.clone(), record.encoded.to_vec());
        match self.delivery()?.push(item) {
            Ok(_) => Ok(()),
            Err(PushError::Closed) => {
                Err(SinkError::new("CLOSED", format!("{} is closed", self.name)))
            }
            Err(PushError::Spill(e)) => Err(SinkError::new(
                "IO",
                format!("spill file failed, record dropped: {e}"),
            )),
        }
    }

    fn flush(&mut self, deadline: Instant) -> Result<(), SinkError> {
        if self.delivery.is_none() && self.policy.spill_dir.is_none() {
            return Ok(());
        }
        self.delivery()?
            .flush(deadline)
            .map_err(|p| pending_error("flush", p))
    }

    fn close(&mut self, deadline: Instant) -> Result<(), SinkError> {
        if self.closed {
            return Ok(());
        }
        if self.delivery.is_none() && self.policy.spill_dir.is_some() {
            // Replay what an earlier run left in the spill file.
            self.delivery()?;
        }
        self.closed = true;
        match self.delivery.as_mut() {
            Some(delivery) => delivery
                .close(deadline)
                .map_err(|p| pending_error("close", p)),
            None => Ok(()),
        }
    }

    fn stats(&self) -> SinkStats {
        let d = self.handle().stats();
        let mut stats = SinkStats::named(self.name.clone());
        stats.written = d.written;
        stats.queued = d.queued;
        stats.retried = d.retried;
        stats.dropped = d.dropped;
        stats
    }
}
