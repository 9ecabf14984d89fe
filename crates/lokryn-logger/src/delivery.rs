//! Delivery for network sinks, independent of the wire: a bounded queue in
//! front of one worker thread that batches, sends through a [`Transport`],
//! retries with exponential backoff and full jitter, and counts every record
//! it could not deliver, with the reason.
//!
//! The rules, in the order a record meets them:
//!
//! * [`Delivery::push`] takes a record into memory when the queue has room.
//!   The bound (records and bytes) covers everything not yet resolved:
//!   waiting records *and* the batch being sent or retried, so it holds at
//!   every moment. The high-water marks in [`DeliveryStats`] show it.
//! * A full queue sends the record to the spill file when one is configured
//!   (and, from then on, every record until the spill is drained, so that
//!   order is kept); otherwise the caller waits up to `block_timeout` for
//!   room, and then the record is dropped and counted (`queue full`).
//! * The worker sends a batch when `batch_size` records wait, when the oldest
//!   has waited `batch_timeout`, or when a flush or close asks. One batch at
//!   a time, in order: a batch that is being retried holds the ones behind it.
//! * A transient failure (the transport says which) is retried after
//!   `min(max_backoff, initial_backoff * 2^n)` scaled by a uniform random
//!   factor in [0, 1) ("full jitter"), or after the server's Retry-After when
//!   that is longer. When the next attempt would start after `max_elapsed`
//!   (or after `max_retries` retries) the batch is dropped with the last
//!   reason. A permanent failure drops the batch at once.
//! * Records read back from the spill file are acknowledged in it (a cursor
//!   file) only once resolved, so a process that stops with records in the
//!   spill replays them, in order, the next time a sink opens that directory.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One record waiting for delivery: its id (the event id, for drop
/// reports) and its bytes (the encoded record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The record's id (its event id).
    pub id: String,
    /// The record as the transport sends it (the encoded `LogEntry`).
    pub bytes: Vec<u8>,
    /// For a record read back from the spill file: where it ends there.
    spill_end: Option<u64>,
}

impl Item {
    /// A record with its id and bytes.
    pub fn new(id: String, bytes: Vec<u8>) -> Self {
        Self {
            id,
            bytes,
            spill_end: None,
        }
    }

    fn weight(&self) -> usize {
        self.bytes.len() + self.id.len()
    }
}

/// What one attempt to send a batch came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver took the batch. `rejected` of its records were refused
    /// nonetheless (OTLP partial success, or records the transport could not
    /// encode): they are counted as dropped with `reason`.
    Delivered {
        /// How many records of the batch the receiver refused.
        rejected: u64,
        /// Why, when `rejected > 0`.
        reason: String,
    },
    /// A transient failure: try again later, not before `after` when the
    /// server said so.
    Retry {
        /// What failed (status or error), for the drop reason if we give up.
        reason: String,
        /// The server's Retry-After.
        after: Option<Duration>,
    },
    /// The receiver will never take this batch: drop it.
    Permanent {
        /// What failed.
        reason: String,
    },
}

/// Sends batches. Implemented by the OTLP/HTTP sender and by tests.
pub trait Transport: Send + 'static {
    /// Sends one batch (non-empty, in order) and says how it went.
    fn send(&mut self, batch: &[Item]) -> Outcome;
}

/// Records dropped together, for the drop hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Why (`queue full`, `HTTP 400 …`, `gave up after …`, …).
    pub reason: String,
    /// How many records.
    pub count: u64,
    /// Their event ids, when known (a collector's partial success does not
    /// say which records it refused).
    pub ids: Vec<String>,
}

/// A callback told about every drop.
pub type DropHook = Arc<dyn Fn(&Dropped) + Send + Sync>;

/// The knobs of [`Delivery`]; [`Policy::default`] is a sensible start.
#[derive(Clone)]
pub struct Policy {
    /// Records per batch (at most).
    pub batch_size: usize,
    /// Bytes per batch (at most; a single larger record goes alone).
    pub batch_bytes: usize,
    /// How long the first record of a batch may wait for others.
    pub batch_timeout: Duration,
    /// Records held in memory (waiting or being sent), at most.
    pub queue_capacity: usize,
    /// Bytes held in memory (waiting or being sent), at most.
    pub queue_bytes: usize,
    /// How long `push` may wait for room when the queue is full and there
    /// is no spill file. Zero: never wait.
    pub block_timeout: Duration,
    /// The first retry's backoff ceiling.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling.
    pub max_backoff: Duration,
    /// Give up on a batch when the next attempt would start later than this
    /// after its first attempt.
    pub max_elapsed: Duration,
    /// Give up on a batch after this many retries (`None`: only
    /// `max_elapsed` limits).
    pub max_retries: Option<u32>,
    /// Directory of the spill file (`None`: no spilling, a full queue drops).
    pub spill_dir: Option<PathBuf>,
    /// Largest spill file; a record that would pass it is dropped.
    pub spill_max_bytes: u64,
    /// Told about every drop.
    pub on_drop: Option<DropHook>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("batch_size", &self.batch_size)
            .field("batch_bytes", &self.batch_bytes)
            .field("batch_timeout", &self.batch_timeout)
            .field("queue_capacity", &self.queue_capacity)
            .field("queue_bytes", &self.queue_bytes)
            .field("block_timeout", &self.block_timeout)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("max_elapsed", &self.max_elapsed)
            .field("max_retries", &self.max_retries)
            .field("spill_dir", &self.spill_dir)
            .field("spill_max_bytes", &self.spill_max_bytes)
            .field("on_drop", &self.on_drop.is_some())
            .finish()
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            batch_size: 512,
            batch_bytes: 4 << 20,
            batch_timeout: Duration::from_millis(200),
            queue_capacity: 8192,
            queue_bytes: 64 << 20,
            block_timeout: Duration::ZERO,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(300),
            max_retries: None,
            spill_dir: None,
            spill_max_bytes: 1 << 30,
            on_drop: None,
        }
    }
}

/// Counters of one delivery queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    /// Records the receiver acknowledged.
    pub written: u64,
    /// Records not resolved yet: waiting in memory, being sent, or in the
    /// spill file.
    pub queued: u64,
    /// Records sent again after a transient failure (once per retry).
    pub retried: u64,
    /// Records given up on, for any reason (see `dropped_by_reason`).
    pub dropped: u64,
    /// Records that went to the spill file.
    pub spilled: u64,
    /// The most records ever held in memory at once (never above
    /// `queue_capacity`).
    pub high_water: usize,
    /// The most bytes ever held in memory at once (never above
    /// `queue_bytes`).
    pub high_water_bytes: usize,
    /// Dropped records per reason class (`queue full`, `spill full`,
    /// `rejected`, `permanent`, `gave up`, `closed`).
    pub dropped_by_reason: BTreeMap<String, u64>,
    /// The worker thread has finished (after a close): the counters are
    /// final and the spill file is no longer touched.
    pub stopped: bool,
}

/// Why `push` did not take a record into the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The queue is closed.
    Closed,
    /// The spill file failed (the record was dropped and counted).
    Spill(String),
}

/// What became of a pushed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// In the memory queue.
    Queued,
    /// In the spill file.
    Spilled,
    /// Dropped (queue full, no spill, no room within `block_timeout`), counted.
    Dropped,
}

/// The remaining work when a flush or close deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Records neither acknowledged nor dropped at the deadline.
    pub records: u64,
    /// Of which in the spill file (they stay there for the next run).
    pub spilled: u64,
}

struct State {
    queue: VecDeque<Item>,
    bytes: usize,
    in_flight: usize,
    in_flight_bytes: usize,
    /// When the oldest waiting record arrived (the batch timer).
    oldest: Option<Instant>,
    spill: Option<Spill>,
    accepted: u64,
    resolved: u64,
    flush_wanted: bool,
    closing: bool,
    abort: bool,
    done: bool,
    stats: DeliveryStats,
}

impl State {
    fn held(&self) -> (usize, usize) {
        (
            self.queue.len() + self.in_flight,
            self.bytes + self.in_flight_bytes,
        )
    }

    fn spill_unread(&self) -> u64 {
        self.spill.as_ref().map_or(0, |s| s.unread)
    }

    fn fits(&self, policy: &Policy, weight: usize) -> bool {
        let (count, bytes) = self.held();
        count < policy.queue_capacity && bytes + weight <= policy.queue_bytes
    }

    fn enqueue(&mut self, item: Item) {
        self.bytes += item.weight();
        self.queue.push_back(item);
        if self.oldest.is_none() {
            self.oldest = Some(Instant::now());
        }
        let (count, bytes) = self.held();
        self.stats.high_water = self.stats.high_water.max(count);
        self.stats.high_water_bytes = self.stats.high_water_bytes.max(bytes);
    }
}

struct Shared {
    policy: Policy,
    state: Mutex<State>,
    /// The worker waits here (records, flush, close, abort).
    worker: Condvar,
    /// Writers wait here for room; flushers and closers for progress.
    progress: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a drop and tells the hook (outside the lock).
    fn count_drop(state: &mut State, class: &str, dropped: &Dropped) {
        state.stats.dropped += dropped.count;
        *state
            .stats
            .dropped_by_reason
            .entry(class.to_owned())
            .or_default() += dropped.count;
    }

    /// Waits for progress until `done` holds (`true`) or `deadline` passes
    /// (`false`).
    fn wait_for<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        deadline: Instant,
        done: impl Fn(&State) -> bool,
    ) -> (MutexGuard<'a, State>, bool) {
        loop {
            if done(&state) {
                return (state, true);
            }
            let now = Instant::now();
            if now >= deadline {
                return (state, false);
            }
            state = self
                .progress
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Tells the drop hook (never under the lock; a panicking hook does
    /// not stop delivery).
    fn tell(&self, dropped: &Dropped) {
        if let Some(hook) = &self.policy.on_drop {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(dropped)));
        }
    }
}

/// A bounded queue with its worker thread. Dropping it closes it without
/// waiting (what is still queued is delivered while the process lives).
pub struct Delivery {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("policy", &self.shared.policy)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Starts the worker. Opens (and replays) the spill file when the policy
    /// has a spill directory.
    pub fn start(policy: Policy, transport: impl Transport, name: &str) -> io::Result<Self> {
        let spill = match &policy.spill_dir {
            Some(dir) => Some(Spill::open(dir)?),
            None => None,
        };
        let accepted = spill.as_ref().map_or(0, |s| s.unread);
        let state = State {
            queue: VecDeque::new(),
            bytes: 0,
            in_flight: 0,
            in_flight_bytes: 0,
            oldest: None,
            spill,
            accepted,
            resolved: 0,
            flush_wanted: false,
            closing: false,
            abort: false,
            done: false,
            stats: DeliveryStats::default(),
        };
        let shared = Arc::new(Shared {
            policy,
            state: Mutex::new(state),
            worker: Condvar::new(),
            progress: Condvar::new(),
        });
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name(format!("lokryn-delivery {name}"))
            .spawn(move || Worker::new(worker_shared, transport).run())?;
        Ok(Self {
            shared,
            worker: Some(worker),
        })
    }

    /// Takes one record: into memory, the spill file, or (counted) nowhere.
    /// Waits at most `block_timeout`, and only when there is no spill file.
    pub fn push(&self, item: Item) -> Result<Pushed, PushError> {
        let shared = &*self.shared;
        let policy = &shared.policy;
        let weight = item.weight();
        let mut state = shared.lock();
        if state.closing {
            return Err(PushError::Closed);
        }
        let mut deadline = None;
        loop {
            if state.spill_unread() == 0 && state.fits(policy, weight) {
                let was_empty = state.queue.is_empty();
                state.enqueue(item);
                state.accepted += 1;
                // Wake the worker only on the transitions it waits for (a
                // futex wake per record would cost more than the rest).
                if was_empty || state.queue.len() == policy.batch_size {
                    shared.worker.notify_one();
                }
                return Ok(Pushed::Queued);
            }
            if let Some(spill) = state.spill.as_mut() {
                let result = spill.append(&item, policy.spill_max_bytes);
                return match result {
                    Ok(true) => {
                        state.accepted += 1;
                        state.stats.spilled += 1;
                        shared.worker.notify_one();
                        Ok(Pushed::Spilled)
                    }
                    Ok(false) => {
                        let dropped = Dropped {
                            reason: format!(
                                "spill full ({} bytes at most)",
                                policy.spill_max_bytes
                            ),
                            count: 1,
                            ids: vec![item.id],
                        };
                        Shared::count_drop(&mut state, "spill full", &dropped);
                        drop(state);
                        shared.tell(&dropped);
                        Ok(Pushed::Dropped)
                    }
                    Err(e) => {
                        let dropped = Dropped {
                            reason: format!("spill file: {e}"),
                            count: 1,
                            ids: vec![item.id],
                        };
                        Shared::count_drop(&mut state, "spill failed", &dropped);
                        drop(state);
                        shared.tell(&dropped);
                        Err(PushError::Spill(e.to_string()))
                    }
                };
            }
            let larger = weight > policy.queue_bytes;
            let until = *deadline.get_or_insert_with(|| Instant::now() + policy.block_timeout);
            let now = Instant::now();
            if larger || now >= until {
                let (class, reason) = if larger {
                    (
                        "too large",
                        format!("record of {weight} bytes exceeds queue_bytes"),
                    )
                } else {
                    (
                        "queue full",
                        format!(
                            "queue full ({} records, {} bytes at most)",
                            policy.queue_capacity, policy.queue_bytes
                        ),
                    )
                };
                let dropped = Dropped {
                    reason,
                    count: 1,
                    ids: vec![item.id],
                };
                Shared::count_drop(&mut state, class, &dropped);
                drop(state);
                shared.tell(&dropped);
                return Ok(Pushed::Dropped);
            }
            state = shared
                .progress
                .wait_timeout(state, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if state.closing {
                return Err(PushError::Closed);
            }
        }
    }

    /// Waits until every record taken before this call is acknowledged or
    /// dropped, or until `deadline`; then says what is left.
    pub fn flush(&self, deadline: Instant) -> Result<(), Pending> {
        let shared = &*self.shared;
        let mut state = shared.lock();
        let target = state.accepted;
        state.flush_wanted = true;
        shared.worker.notify_one();
        let (mut state, _) = shared.wait_for(state, deadline, |s| s.resolved >= target || s.done);
        state.flush_wanted = false;
        if state.resolved >= target {
            Ok(())
        } else {
            Err(pending(&state, target))
        }
    }

    /// Stops taking records, delivers what is queued until `deadline`, then
    /// stops the worker. At the deadline, what is still in memory goes back
    /// to the spill file (in front of what is there) when there is one, and
    /// is otherwise dropped (counted, reason `closed`), once the attempt in
    /// progress returns. Idempotent.
    pub fn close(&mut self, deadline: Instant) -> Result<(), Pending> {
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock();
        state.closing = true;
        shared.worker.notify_one();
        shared.progress.notify_all();
        let (mut state, stopped) = shared.wait_for(state, deadline, |s| s.done);
        if !stopped {
            let left = pending(&state, state.accepted);
            state.abort = true;
            shared.worker.notify_one();
            return Err(left);
        }
        drop(state);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
        let state = shared.lock();
        if state.resolved >= state.accepted {
            Ok(())
        } else {
            Err(pending(&state, state.accepted))
        }
    }

    /// The counters now.
    pub fn stats(&self) -> DeliveryStats {
        let state = self.shared.lock();
        let mut stats = state.stats.clone();
        stats.queued = state.accepted - state.resolved;
        stats.stopped = state.done;
        stats
    }

    /// A handle that reads the counters without the sink (tests, metrics).
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closing = true;
        self.shared.worker.notify_one();
        self.shared.progress.notify_all();
    }
}

/// Reads a delivery queue's counters from anywhere.
#[derive(Clone)]
pub struct StatsHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for StatsHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatsHandle").finish_non_exhaustive()
    }
}

impl StatsHandle {
    /// The counters now.
    pub fn stats(&self) -> DeliveryStats {
        let state = self.shared.lock();
        let mut stats = state.stats.clone();
        stats.queued = state.accepted - state.resolved;
        stats.stopped = state.done;
        stats
    }
}

fn pending(state: &State, target: u64) -> Pending {
    Pending {
        records: target.saturating_sub(state.resolved),
        spilled: state.spill_unread(),
    }
}

/// A small xorshift generator for the jitter, seeded from the standard
/// library's per-process random hasher keys.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x6c6f_6b72_796e);
        Self(h.finish() | 1)
    }

    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        // 53 random bits as a fraction.
        #[allow(clippy::cast_precision_loss)]
        let f = (x >> 11) as f64 / (1u64 << 53) as f64;
        f
    }
}

/// The backoff ceiling before retry `n` (1-based): `initial * 2^(n-1)`, at
/// most `max`.
fn ceiling(policy: &Policy, retry: u32) -> Duration {
    let factor = 1u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    policy
        .initial_backoff
        .checked_mul(factor)
        .unwrap_or(policy.max_backoff)
        .min(policy.max_backoff)
}

struct Worker<T> {
    shared: Arc<Shared>,
    transport: T,
    jitter: Jitter,
}

impl<T: Transport> Worker<T> {
    fn new(shared: Arc<Shared>, transport: T) -> Self {
        Self {
            shared,
            transport,
            jitter: Jitter::new(),
        }
    }

    fn run(mut self) {
        while let Some(batch) = self.next_batch() {
            self.deliver(batch);
        }
        let mut state = self.shared.lock();
        state.done = true;
        self.shared.progress.notify_all();
    }

    /// Moves records from the spill file into memory while there is room.
    /// Returns a drop to report (an unreadable spill file).
    fn refill(&self, state: &mut State) -> Option<Dropped> {
        let policy = &self.shared.policy;
        loop {
            let (count, bytes) = state.held();
            let spill = state.spill.as_mut()?;
            if spill.unread == 0 || count >= policy.queue_capacity {
                return None;
            }
            let room = policy.queue_bytes.saturating_sub(bytes);
            match spill.read_next(room, count == 0) {
                Ok(Some(item)) => state.enqueue(item),
                Ok(None) => return None,
                Err(e) => {
                    // An unreadable spill: what is left of it is lost; say so.
                    let lost = spill.unread;
                    spill.discard();
                    let dropped = Dropped {
                        reason: format!("spill file unreadable: {e}"),
                        count: lost,
                        ids: Vec::new(),
                    };
                    Shared::count_drop(state, "spill failed", &dropped);
                    state.resolved += lost;
                    return Some(dropped);
                }
            }
        }
    }

    /// Waits for a batch; `None` when closing and nothing is left.
    fn next_batch(&self) -> Option<Vec<Item>> {
        let shared = &*self.shared;
        let policy = &shared.policy;
        let mut state = shared.lock();
        loop {
            if let Some(dropped) = self.refill(&mut state) {
                drop(state);
                shared.tell(&dropped);
                state = shared.lock();
            }
            if state.abort {
                let dropped = self.abandon(&mut state, Vec::new());
                drop(state);
                if let Some(d) = dropped {
                    shared.tell(&d);
                }
                return None;
            }
            let urgent = state.flush_wanted || state.closing;
            let waited = state.oldest.map(|t| t.elapsed());
            let ready = state.queue.len() >= policy.batch_size
                || (!state.queue.is_empty()
                    && (urgent || waited.is_some_and(|w| w >= policy.batch_timeout)));
            if ready {
                let mut batch = Vec::new();
                let mut size = 0;
                while let Some(item) = state.queue.front() {
                    let w = item.weight();
                    if batch.len() >= policy.batch_size
                        || (!batch.is_empty() && size + w > policy.batch_bytes)
                    {
                        break;
                    }
                    let Some(item) = state.queue.pop_front() else {
                        break;
                    };
                    size += w;
                    batch.push(item);
                }
                state.bytes -= size;
                state.in_flight = batch.len();
                state.in_flight_bytes = size;
                state.oldest = if state.queue.is_empty() {
                    None
                } else {
                    Some(Instant::now())
                };
                return Some(batch);
            }
            if state.queue.is_empty() && state.spill_unread() == 0 {
                state.flush_wanted = false;
                if state.closing {
                    return None;
                }
            }
            state = match waited {
                Some(w) => {
                    shared
                        .worker
                        .wait_timeout(state, policy.batch_timeout.saturating_sub(w))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => shared
                    .worker
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// Sends one batch until it is delivered, refused or given up.
    fn deliver(&mut self, batch: Vec<Item>) {
        let policy = self.shared.policy.clone();
        let start = Instant::now();
        let mut retries = 0u32;
        loop {
            let outcome = self.transport.send(&batch);
            let (reason, after) = match outcome {
                Outcome::Delivered { rejected, reason } => {
                    let rejected = rejected.min(batch.len() as u64);
                    let mut state = self.shared.lock();
                    state.stats.written += batch.len() as u64 - rejected;
                    if rejected > 0 {
                        let dropped = Dropped {
                            reason: format!("rejected by the receiver: {reason}"),
                            count: rejected,
                            ids: Vec::new(),
                        };
                        Shared::count_drop(&mut state, "rejected", &dropped);
                        drop(state);
                        self.shared.tell(&dropped);
                        state = self.shared.lock();
                    }
                    self.resolve(state, &batch);
                    return;
                }
                Outcome::Permanent { reason } => {
                    self.give_up(&batch, "permanent", reason);
                    return;
                }
                Outcome::Retry { reason, after } => (reason, after),
            };
            retries += 1;
            if policy.max_retries.is_some_and(|max| retries > max) {
                let why = format!("gave up after {} retries: {reason}", retries - 1);
                self.give_up(&batch, "gave up", why);
                return;
            }
            let ceiling = ceiling(&policy, retries);
            let jittered = ceiling.mul_f64(self.jitter.next());
            let delay = after.map_or(jittered, |a| a.max(jittered));
            let elapsed = start.elapsed();
            if elapsed + delay > policy.max_elapsed {
                let why = format!(
                    "gave up after {} ms and {} attempts: {reason}",
                    elapsed.as_millis(),
                    retries
                );
                self.give_up(&batch, "gave up", why);
                return;
            }
            // Wait, unless a close deadline passes meanwhile.
            let until = Instant::now() + delay;
            let mut state = self.shared.lock();
            state.stats.retried += batch.len() as u64;
            loop {
                if state.abort {
                    let dropped = self.abandon(&mut state, batch);
                    drop(state);
                    if let Some(d) = dropped {
                        self.shared.tell(&d);
                    }
                    return;
                }
                let now = Instant::now();
                if now >= until {
                    break;
                }
                state = self
                    .shared
                    .worker
                    .wait_timeout(state, until - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
    }

    fn give_up(&self, batch: &[Item], class: &str, reason: String) {
        let dropped = Dropped {
            reason,
            count: batch.len() as u64,
            ids: batch.iter().map(|i| i.id.clone()).collect(),
        };
        Shared::count_drop(&mut self.shared.lock(), class, &dropped);
        // The hook hears of the drop before a flush waiting for this batch
        // returns.
        self.shared.tell(&dropped);
        self.resolve(self.shared.lock(), batch);
    }

    /// The batch is acknowledged or dropped: free its room, move the spill
    /// cursor past it, wake writers and flushers.
    fn resolve(&self, mut state: MutexGuard<'_, State>, batch: &[Item]) {
        state.resolved += batch.len() as u64;
        state.in_flight = 0;
        state.in_flight_bytes = 0;
        if let (Some(spill), Some(end)) = (
            state.spill.as_mut(),
            batch.iter().rev().find_map(|i| i.spill_end),
        ) {
            // A failed cursor write only means replaying these records after
            // a restart (at least once); delivery goes on.
            let _ = spill.acknowledge(end);
        }
        self.shared.progress.notify_all();
    }

    /// A close deadline passed. With a spill file, what is in memory (the
    /// batch in hand first, then the queue) is written back in front of the
    /// spill's unread records, for the next run; without one (or if that
    /// fails) it is dropped, counted as `closed`.
    fn abandon(&self, state: &mut State, batch: Vec<Item>) -> Option<Dropped> {
        let mut items = batch;
        items.extend(state.queue.drain(..));
        state.bytes = 0;
        state.in_flight = 0;
        state.in_flight_bytes = 0;
        state.oldest = None;
        self.shared.progress.notify_all();
        if items.is_empty() {
            return None;
        }
        let kept = match state.spill.as_mut() {
            Some(spill) => spill.keep_in_front(&items),
            None => Err(io::Error::other("no spill directory")),
        };
        match kept {
            Ok(()) => {
                let fresh = items.iter().filter(|i| i.spill_end.is_none()).count();
                state.stats.spilled += fresh as u64;
                None
            }
            Err(e) => {
                let dropped = Dropped {
                    reason: format!("closed before delivery (close deadline passed; {e})"),
                    count: items.len() as u64,
                    ids: items.into_iter().map(|i| i.id).collect(),
                };
                Shared::count_drop(state, "closed", &dropped);
                state.resolved += dropped.count;
                Some(dropped)
            }
        }
    }
}

/// The spill file: `spill.bin` holds records appended while the queue was
/// full, `spill.cursor` how far they are resolved. Both start with a random
/// generation so that a cursor never applies to a different file.
///
/// `spill.bin`: magic `LKSPILL1`, generation (u64 LE), then records, each
/// `u32 LE id length, id, u32 LE body length, body`. `spill.cursor`: the
/// generation and the offset (u64 LE each), replaced atomically (write and
/// rename).
struct Spill {
    dir: PathBuf,
    append: File,
    read: BufReader<File>,
    generation: u64,
    /// File length (where the next record goes).
    len: u64,
    /// Where the next record to read back starts.
    read_pos: u64,
    /// Offset up to which records are resolved.
    acked: u64,
    /// Records after `read_pos`.
    unread: u64,
    /// Ends of records read back but not yet resolved (for a rewind).
    inflight_ends: VecDeque<(u64, u64)>,
}

const MAGIC: &[u8; 8] = b"LKSPILL1";
const HEADER: u64 = 16;

impl Spill {
    fn open(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("spill.bin");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let mut header = [0u8; 16];
        let len = file.metadata()?.len();
        let generation = if len >= HEADER {
            file.read_exact(&mut header)?;
            if !header.starts_with(MAGIC) {
                // Not ours: refuse rather than overwrite someone's data.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not a spill file", path.display()),
                ));
            }
            u64_at(&header, 8)
        } else {
            // New, or a header that was never completed (no records yet).
            let generation = Jitter::new().0;
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(MAGIC)?;
            file.write_all(&generation.to_le_bytes())?;
            file.sync_data()?;
            generation
        };
        let cursor = std::fs::read(dir.join("spill.cursor")).ok();
        let acked = match cursor {
            Some(c) if c.len() == 16 && u64_at(&c, 0) == generation => u64_at(&c, 8),
            _ => HEADER,
        };
        let mut spill = Self {
            dir: dir.to_owned(),
            append: OpenOptions::new().append(true).open(&path)?,
            read: BufReader::new(File::open(&path)?),
            generation,
            len: HEADER,
            read_pos: HEADER,
            acked: HEADER,
            unread: 0,
            inflight_ends: VecDeque::new(),
        };
        // Count the records after the cursor; cut a partial last record (a
        // crash while appending).
        let mut pos = HEADER;
        let mut unread = 0;
        spill.read.seek(SeekFrom::Start(HEADER))?;
        while let Some(end) = spill.skip_record(pos)? {
            if pos >= acked {
                unread += 1;
            }
            pos = end;
        }
        spill.append.set_len(pos)?;
        let acked = acked.clamp(HEADER, pos);
        spill.len = pos;
        spill.acked = acked;
        spill.read_pos = acked;
        spill.unread = unread;
        spill.read.seek(SeekFrom::Start(acked))?;
        Ok(spill)
    }

    /// Reads past one record starting at `pos`; its end, or `None` at the
    /// end of the file or at a partial record.
    fn skip_record(&mut self, pos: u64) -> io::Result<Option<u64>> {
        let mut n = [0u8; 4];
        let mut end = pos;
        for _ in 0..2 {
            match self.read.read_exact(&mut n) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            }
            let size = u64::from(u32::from_le_bytes(n));
            let copied = io::copy(&mut (&mut self.read).take(size), &mut io::sink())?;
            if copied < size {
                return Ok(None);
            }
            end += 4 + size;
        }
        Ok(Some(end))
    }

    /// Appends a record; `false` when the file would pass `max`.
    fn append(&mut self, item: &Item, max: u64) -> io::Result<bool> {
        let size = 8 + item.id.len() as u64 + item.bytes.len() as u64;
        if self.len + size > max {
            return Ok(false);
        }
        self.append.write_all(&frame(item)?)?;
        self.len += size;
        self.unread += 1;
        Ok(true)
    }

    /// Reads the next record back if it fits in `room` bytes (or `always`).
    fn read_next(&mut self, room: usize, always: bool) -> io::Result<Option<Item>> {
        if self.unread == 0 {
            return Ok(None);
        }
        self.read.seek(SeekFrom::Start(self.read_pos))?;
        let id = read_chunk(&mut self.read)?;
        let bytes = read_chunk(&mut self.read)?;
        let end = self.read_pos + 8 + id.len() as u64 + bytes.len() as u64;
        let item = Item {
            id: String::from_utf8(id).map_err(io::Error::other)?,
            bytes,
            spill_end: Some(end),
        };
        if !always && item.weight() > room {
            return Ok(None);
        }
        self.inflight_ends.push_back((self.read_pos, end));
        self.read_pos = end;
        self.unread -= 1;
        Ok(Some(item))
    }

    /// Records up to `end` are resolved: move the cursor; once everything
    /// is resolved, empty the file.
    fn acknowledge(&mut self, end: u64) -> io::Result<()> {
        while self.inflight_ends.front().is_some_and(|&(_, e)| e <= end) {
            self.inflight_ends.pop_front();
        }
        self.acked = end;
        if self.unread == 0 && self.acked >= self.len {
            // Truncate first: a crash before the cursor write leaves a cursor
            // past the end, which `open` clamps.
            self.append.set_len(HEADER)?;
            self.len = HEADER;
            self.read_pos = HEADER;
            self.acked = HEADER;
        }
        self.write_cursor()
    }

    /// Rewrites the file as `front` (records in memory, some of them read
    /// back from this file) followed by the records not read back yet, under
    /// a new generation, so that the next run sends them all in order.
    fn keep_in_front(&mut self, front: &[Item]) -> io::Result<()> {
        let path = self.dir.join("spill.bin");
        let tmp = self.dir.join("spill.bin.tmp");
        let generation = Jitter::new().0;
        let mut out = io::BufWriter::new(File::create(&tmp)?);
        out.write_all(MAGIC)?;
        out.write_all(&generation.to_le_bytes())?;
        let mut len = HEADER;
        for item in front {
            let frame = frame(item)?;
            out.write_all(&frame)?;
            len += frame.len() as u64;
        }
        self.read.seek(SeekFrom::Start(self.read_pos))?;
        len += io::copy(
            &mut (&mut self.read).take(self.len - self.read_pos),
            &mut out,
        )?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_data()?;
        std::fs::rename(&tmp, &path)?;
        self.append = OpenOptions::new().append(true).open(&path)?;
        self.read = BufReader::new(File::open(&path)?);
        self.generation = generation;
        self.len = len;
        self.read_pos = HEADER;
        self.acked = HEADER;
        self.unread += front.len() as u64;
        self.inflight_ends.clear();
        self.write_cursor()
    }

    /// Everything after the cursor is unreadable: forget it.
    fn discard(&mut self) {
        let _ = self.append.set_len(HEADER);
        self.len = HEADER;
        self.read_pos = HEADER;
        self.acked = HEADER;
        self.unread = 0;
        self.inflight_ends.clear();
        let _ = self.write_cursor();
    }

    fn write_cursor(&self) -> io::Result<()> {
        let tmp = self.dir.join("spill.cursor.tmp");
        let mut bytes = Vec::with_capacity(16);
        bytes.extend_from_slice(&self.generation.to_le_bytes());
        bytes.extend_from_slice(&self.acked.to_le_bytes());
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, self.dir.join("spill.cursor"))
    }
}

/// One record as the spill file holds it.
fn frame(item: &Item) -> io::Result<Vec<u8>> {
    let id_len = u32::try_from(item.id.len()).map_err(io::Error::other)?;
    let body_len = u32::try_from(item.bytes.len()).map_err(io::Error::other)?;
    let mut frame = Vec::with_capacity(8 + item.id.len() + item.bytes.len());
    frame.extend_from_slice(&id_len.to_le_bytes());
    frame.extend_from_slice(item.id.as_bytes());
    frame.extend_from_slice(&body_len.to_le_bytes());
    frame.extend_from_slice(&item.bytes);
    Ok(frame)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut out = [0u8; 8];
    if let Some(src) = bytes.get(at..at + 8) {
        out.copy_from_slice(src);
    }
    u64::from_le_bytes(out)
}

fn read_chunk(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut n = [0u8; 4];
    reader.read_exact(&mut n)?;
    let size = u32::from_le_bytes(n) as usize;
    let mut out = vec![0u8; size];
    reader.read_exact(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Records every batch; answers from a script, then `Delivered`.
    struct Scripted {
        script: VecDeque<Outcome>,
        seen: Arc<Mutex<Vec<Vec<String>>>>,
    }

    impl Transport for Scripted {
        fn send(&mut self, batch: &[Item]) -> Outcome {
            self.seen
                .lock()
                .unwrap()
                .push(batch.iter().map(|i| i.id.clone()).collect());
            self.script.pop_front().unwrap_or(Outcome::Delivered {
                rejected: 0,
                reason: String::new(),
            })
        }
    }

    fn item(i: usize) -> Item {
        Item::new(format!("id-{i}"), vec![u8::try_from(i % 256).unwrap(); 10])
    }

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[test]
    fn backoff_ceilings_double_up_to_the_maximum() {
        let policy = Policy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..Policy::default()
        };
        let ceilings: Vec<u128> = (1..=6).map(|n| ceiling(&policy, n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(ceiling(&policy, 200), Duration::from_millis(1000));
        let mut jitter = Jitter::new();
        let draws: Vec<f64> = (0..1000).map(|_| jitter.next()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        // Spread over the range, not stuck.
        assert!(draws.iter().any(|d| *d < 0.1) && draws.iter().any(|d| *d > 0.9));
    }

    #[test]
    fn a_partial_record_at_the_end_of_the_spill_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut spill = Spill::open(dir.path()).unwrap();
            for i in 0..3 {
                assert!(spill.append(&item(i), u64::MAX).unwrap());
            }
        }
        // A crash in the middle of a fourth append.
        let path = dir.path().join("spill.bin");
        let mut bytes = std::fs::read(&path).unwrap();
        let whole = bytes.len();
        bytes.extend_from_slice(&frame(&item(3)).unwrap()[..12]);
        std::fs::write(&path, &bytes).unwrap();

        let seen = Arc::new(Mutex::new(Vec::new()));
        let policy = Policy {
            spill_dir: Some(dir.path().to_owned()),
            batch_timeout: Duration::ZERO,
            ..Policy::default()
        };
        let transport = Scripted {
            script: VecDeque::new(),
            seen: Arc::clone(&seen),
        };
        let mut delivery = Delivery::start(policy, transport, "test").unwrap();
        // The partial record is cut off when the spill opens; by now the
        // worker may also have delivered the three whole ones and emptied
        // the file (it runs on its own thread), but never kept the piece.
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(
            len == u64::try_from(whole).unwrap() || len == HEADER,
            "{len} bytes: neither cut at {whole} nor emptied"
        );
        delivery.close(later()).unwrap();
        let ids: Vec<String> = seen.lock().unwrap().concat();
        assert_eq!(ids, ["id-0", "id-1", "id-2"]);
        assert_eq!(delivery.stats().written, 3);
        // Everything acknowledged: the file is back to its header.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER);
    }

    #[test]
    fn a_file_that_is_not_a_spill_file_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.bin");
        std::fs::write(&path, b"somebody else's data, not ours").unwrap();
        let err = Spill::open(dir.path()).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"somebody else's data, not ours"
        );
        // A header cut short by a crash held no records: started afresh.
        std::fs::write(&path, &MAGIC[..5]).unwrap();
        let spill = Spill::open(dir.path()).unwrap();
        assert_eq!((spill.unread, spill.len), (0, HEADER));
    }

    #[test]
    fn a_retried_batch_holds_the_ones_behind_it() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let retry = || Outcome::Retry {
            reason: "busy".into(),
            after: None,
        };
        let transport = Scripted {
            script: [retry(), retry()].into(),
            seen: Arc::clone(&seen),
        };
        let policy = Policy {
            batch_size: 2,
            batch_timeout: Duration::ZERO,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..Policy::default()
        };
        let mut delivery = Delivery::start(policy, transport, "test").unwrap();
        for i in 0..6 {
            assert_eq!(delivery.push(item(i)).unwrap(), Pushed::Queued);
        }
        delivery.flush(later()).unwrap();
        let batches = seen.lock().unwrap().clone();
        let first = batches.first().unwrap().clone();
        assert_eq!(batches.get(1), Some(&first));
        assert_eq!(batches.get(2), Some(&first));
        let delivered: Vec<String> = batches.iter().skip(2).flatten().cloned().collect();
        let expected: Vec<String> = (0..6).map(|i| format!("id-{i}")).collect();
        assert_eq!(delivered, expected);
        let stats = delivery.stats();
        assert_eq!((stats.written, stats.retried), (6, 2 * first.len() as u64));
        delivery.close(later()).unwrap();
        assert_eq!(delivery.push(item(9)), Err(PushError::Closed));
    }
}
