//! The one loop of the commands that read entries (`validate`, `convert`,
//! `redact`, `export`): every source in order, every record to the
//! command's handler, progress on a terminal, and what went wrong with the
//! sources as a whole.
//!
//! A command's handler is two halves: `work`, which turns a record into
//! what the command prints or writes and may run on any thread, and `emit`,
//! which prints or writes it and runs on the calling thread, record after
//! record in input order. The entries of a large JSON Lines or binary
//! source are framed on the calling thread into batches, `--jobs` threads
//! (the calling thread one of them, between framing and emitting) decode
//! them and do the work, and `emit` takes the batches in order, so that
//! what is printed, on standard output and on standard error, is the same
//! whatever the number of threads. Small sources (one batch) and
//! `--jobs 1` do everything on the calling thread.

use std::collections::{BTreeMap, VecDeque};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use anyhow::{Result, anyhow, bail};

use crate::input::{
    self, At, Batch, Decoded, Framer, GaveUp, Mark, Problem, ReadOptions, Record, Scratch, Source,
    Visit, Watch,
};
use crate::progress::Progress;

/// What to do when a source cannot be opened or read as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnSourceError {
    /// Report it on standard error and go on with the next source.
    Report,
    /// Stop: the command fails with it.
    Stop,
}

/// What a run read.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// Sources read.
    pub(crate) sources: u64,
    /// Sources that could not be opened or read (reported).
    pub(crate) source_errors: u64,
    /// Sources given up before their end, and the bytes they left unread.
    pub(crate) given_up: u64,
    pub(crate) unread_bytes: u64,
}

/// Entries framed into one batch for the threads, at most.
const BATCH_ENTRIES: usize = 512;
/// Bytes of entries in one batch, about at most.
const BATCH_BYTES: usize = 1 << 20;

/// The default for `--jobs`: every core.
pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Reads every source, handing each record to `work` (on any thread) and
/// what it made to `emit` (on this thread, in input order), with the
/// source's label and, for `emit`, the progress line (to clear before
/// printing). An error of `emit` stops the run and is returned. `work`
/// borrows the record: an entry it leaves there is read over by a later
/// record (its memory reused), one it takes is not.
#[allow(clippy::print_stderr)]
pub(crate) fn run<T: Send>(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    on_source_error: OnSourceError,
    work: impl Fn(&str, &mut Record<'_>) -> T + Sync,
    mut emit: impl FnMut(&str, T, &mut Progress) -> Result<()>,
) -> Result<Totals> {
    let mut totals = Totals::default();
    let bytes = Arc::new(AtomicU64::new(0));
    let mut records = 0u64;
    for source in sources {
        let label = source.label();
        totals.sources += 1;
        let mut visitor = Visitor {
            label: &label,
            options,
            bytes: &bytes,
            records: &mut records,
            progress,
            work: &work,
            emit: &mut emit,
            failed: None,
        };
        let read = input::read(source, options, &bytes, &mut visitor);
        if let Some(err) = visitor.failed {
            progress.clear();
            return Err(err);
        }
        match read {
            Ok(end) => {
                if let Some(unread) = end.unread {
                    totals.given_up += 1;
                    totals.unread_bytes += unread;
                }
            }
            Err(err) => {
                progress.clear();
                if on_source_error == OnSourceError::Stop {
                    bail!("{label}: {err}");
                }
                eprintln!("complog: {label}: {err}");
                totals.source_errors += 1;
            }
        }
    }
    progress.clear();
    Ok(totals)
}

/// [`run`] for the commands that transform entries (`convert`, `redact`,
/// `export`), which stop on a source that cannot be read: an entry that
/// cannot be read is reported on standard error as skipped (its label, code
/// and message) and counted; every other one goes to `work` (on any thread)
/// with its label, and what that made to `emit` (on this thread, in input
/// order) with its label again. `work` may find an entry unreadable itself
/// (binary entries read only there, see [`ReadOptions::unread_frames`]):
/// that one is reported and counted the same way. A label is made into
/// text only where it is printed. Returns how many were skipped.
#[allow(clippy::print_stderr)]
pub(crate) fn run_readable<T: Send>(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    work: impl Fn(At<'_>, &mut Decoded<'_>) -> Result<T, Problem> + Sync,
    mut emit: impl FnMut(At<'_>, T) -> Result<()>,
) -> Result<u64> {
    let mut skipped = 0u64;
    run(
        sources,
        options,
        progress,
        OnSourceError::Stop,
        |label, record| {
            let place = record.place();
            let out = match &mut record.result {
                Err(problem) => Err(problem.clone()),
                Ok(decoded) => work(place.at(label), decoded),
            };
            (place, out)
        },
        |label, (place, out), progress| match out {
            Err(problem) => {
                let at = place.at(label);
                progress.clear();
                eprintln!(
                    "complog: {at}: skipped: {}: {}",
                    problem.code, problem.message
                );
                skipped += 1;
                Ok(())
            }
            Ok(out) => emit(place.at(label), out),
        },
    )?;
    Ok(skipped)
}

/// Reads one source for [`run`].
struct Visitor<'a, W, E> {
    label: &'a str,
    options: &'a ReadOptions,
    bytes: &'a AtomicU64,
    records: &'a mut u64,
    progress: &'a mut Progress,
    work: &'a W,
    emit: &'a mut E,
    /// The error that stopped the run.
    failed: Option<anyhow::Error>,
}

/// A record's work, done, with its mark.
type Done<T> = (Mark, T);

impl<T, W, E> Visitor<'_, W, E>
where
    T: Send,
    W: Fn(&str, &mut Record<'_>) -> T + Sync,
    E: FnMut(&str, T, &mut Progress) -> Result<()>,
{
    /// Emits one record's work; `Break` when the run must stop.
    fn emit(&mut self, out: T) -> ControlFlow<()> {
        *self.records += 1;
        if let Err(err) = (self.emit)(self.label, out, self.progress) {
            self.failed = Some(err);
            return ControlFlow::Break(());
        }
        self.progress.tick(
            *self.records,
            self.bytes.load(Ordering::Relaxed),
            self.label,
        );
        ControlFlow::Continue(())
    }

    /// Emits a decoded record, then asks the watch whether to go on.
    fn emit_marked(&mut self, (mark, out): Done<T>, watch: &mut Watch) -> Step {
        if self.emit(out).is_break() {
            return Step::Stop(None);
        }
        match watch.after(&mark) {
            Some(gave_up) => Step::Stop(Some(Box::new(gave_up))),
            None => Step::Go,
        }
    }

    /// The whole stream on this thread, starting with `batch` (the first
    /// batch), in batches like the threads', each entry read over the
    /// entry before.
    fn sequential(
        &mut self,
        mut batch: Batch,
        framer: &mut Framer<'_>,
        watch: &mut Watch,
    ) -> Option<GaveUp> {
        let mut scratch = Scratch::default();
        let (label, options, work) = (self.label, self.options, self.work);
        while !batch.is_empty() {
            let mut stop = None;
            batch.decode_each(options, &mut scratch, |mut record, mark, scratch| {
                let out = work(label, &mut record);
                record.recycle(scratch);
                match self.emit_marked((mark, out), watch) {
                    Step::Go => ControlFlow::Continue(()),
                    Step::Stop(gave_up) => {
                        stop = Some(gave_up);
                        ControlFlow::Break(())
                    }
                }
            });
            if let Some(gave_up) = stop {
                return gave_up.map(|g| *g);
            }
            framer.next_batch(&mut batch, BATCH_ENTRIES, BATCH_BYTES);
        }
        None
    }

    /// The stream decoded and worked on by `jobs` threads, this one
    /// included, emitted here in order. `jobs - 1` threads are started;
    /// this thread frames, emits, and takes the oldest waiting batch
    /// itself whenever the batch to emit next is not done yet, so that
    /// `jobs` threads share `jobs` cores rather than `jobs + 1`. At most
    /// [`IN_FLIGHT_PER_JOB`] batches per thread are in flight. Batches and
    /// the lists of results go back and forth rather than being made anew,
    /// and each thread reads its entries over one of its own, so that
    /// steady state allocates nothing per entry that another thread frees.
    fn parallel(
        &mut self,
        first: Batch,
        framer: &mut Framer<'_>,
        watch: &mut Watch,
        jobs: usize,
    ) -> Option<GaveUp> {
        let queue = JobQueue::<T>::default();
        let (done_tx, done_rx) = mpsc::channel::<Finished<T>>();
        let this = &*self;
        let (label, options, work) = (this.label, this.options, this.work);
        std::thread::scope(|scope| {
            for _ in 1..jobs {
                let (queue, done_tx) = (&queue, done_tx.clone());
                scope.spawn(move || {
                    let mut scratch = Scratch::default();
                    while let Some(job) = queue.wait() {
                        let finished = do_job(job, options, &mut scratch, label, work);
                        if done_tx.send(finished).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            let lanes = Lanes {
                queue: &queue,
                done_rx: &done_rx,
                in_flight: IN_FLIGHT_PER_JOB * jobs,
            };
            let result = self.feed_and_emit(first, framer, watch, &lanes);
            // Let the threads finish: they see the queue closed.
            queue.close();
            result
        })
    }

    /// Queues batches for the threads, does the oldest queued batch here
    /// when the next to emit is not done, and emits the results in order.
    fn feed_and_emit(
        &mut self,
        first: Batch,
        framer: &mut Framer<'_>,
        watch: &mut Watch,
        lanes: &Lanes<'_, T>,
    ) -> Option<GaveUp> {
        let mut waiting: BTreeMap<u64, Vec<Done<T>>> = BTreeMap::new();
        // Emptied batches and result lists, to fill again.
        let mut batches: Vec<Batch> = Vec::new();
        let mut lists: Vec<Vec<Done<T>>> = Vec::new();
        let mut scratch = Scratch::default();
        let (mut sent, mut next) = (0u64, 0u64);
        let mut first = Some(first);
        loop {
            while sent - next < lanes.in_flight as u64 {
                let batch = first.take().unwrap_or_else(|| {
                    let mut batch = batches.pop().unwrap_or_default();
                    framer.next_batch(&mut batch, BATCH_ENTRIES, BATCH_BYTES);
                    batch
                });
                if batch.is_empty() {
                    batches.push(batch);
                    break;
                }
                let list = lists.pop().unwrap_or_default();
                lanes.queue.push((sent, batch, list));
                sent += 1;
            }
            if next == sent {
                return None;
            }
            let mut done = loop {
                if let Some(done) = waiting.remove(&next) {
                    break done;
                }
                let finished = match lanes.done_rx.try_recv() {
                    Ok(finished) => finished,
                    Err(mpsc::TryRecvError::Empty) => match lanes.queue.take() {
                        // Nothing is done: work rather than wait.
                        Some(job) => do_job(job, self.options, &mut scratch, self.label, self.work),
                        None => match lanes.done_rx.recv() {
                            Ok(finished) => finished,
                            Err(_) => {
                                self.failed = Some(anyhow!("a worker thread stopped"));
                                return None;
                            }
                        },
                    },
                    Err(mpsc::TryRecvError::Disconnected) => {
                        self.failed = Some(anyhow!("a worker thread stopped"));
                        return None;
                    }
                };
                let (seq, done, batch) = finished;
                batches.push(batch);
                waiting.insert(seq, done);
            };
            next += 1;
            for one in done.drain(..) {
                if let Step::Stop(gave_up) = self.emit_marked(one, watch) {
                    return gave_up.map(|g| *g);
                }
            }
            lists.push(done);
        }
    }
}

/// Batches in flight per thread, at most: enough that a thread finds the
/// next batch queued when it finishes one while the calling thread is
/// busy with a batch of its own or with printing.
const IN_FLIGHT_PER_JOB: usize = 3;

/// Decodes a batch and does the work on each record, over `scratch`.
fn do_job<T>(
    (seq, mut batch, mut done): Job<T>,
    options: &ReadOptions,
    scratch: &mut Scratch,
    label: &str,
    work: &(impl Fn(&str, &mut Record<'_>) -> T + ?Sized),
) -> Finished<T> {
    done.clear();
    done.reserve(batch.len());
    batch.decode_each(options, scratch, |mut record, mark, scratch| {
        let out = work(label, &mut record);
        record.recycle(scratch);
        done.push((mark, out));
        ControlFlow::Continue(())
    });
    (seq, done, batch)
}

/// What the calling thread hands work over and gets it back with.
struct Lanes<'a, T> {
    queue: &'a JobQueue<T>,
    done_rx: &'a mpsc::Receiver<Finished<T>>,
    in_flight: usize,
}

/// The batches waiting for a thread, oldest first: the started threads
/// wait on it, the calling thread takes from it without waiting.
struct JobQueue<T> {
    state: Mutex<Queued<T>>,
    ready: Condvar,
}

struct Queued<T> {
    jobs: VecDeque<Job<T>>,
    closed: bool,
}

impl<T> Default for JobQueue<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(Queued {
                jobs: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }
}

impl<T> JobQueue<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queued<T>> {
        // The lock guards a queue only: a thread that panicked holding it
        // left it whole.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, job: Job<T>) {
        self.lock().jobs.push_back(job);
        self.ready.notify_one();
    }

    /// The oldest job, if one is queued.
    fn take(&self) -> Option<Job<T>> {
        self.lock().jobs.pop_front()
    }

    /// The oldest job, waiting for one; `None` once the queue is closed.
    fn wait(&self) -> Option<Job<T>> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                return Some(job);
            }
            if state.closed {
                return None;
            }
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// No more jobs: what is still queued is dropped and the waiting
    /// threads return.
    fn close(&self) {
        let mut state = self.lock();
        state.jobs.clear();
        state.closed = true;
        drop(state);
        self.ready.notify_all();
    }
}

/// A batch for a thread: its number in the stream, the framed entries,
/// and an empty list to put their results in.
type Job<T> = (u64, Batch, Vec<Done<T>>);

/// A batch done: its number, the results, and the batch emptied.
type Finished<T> = (u64, Vec<Done<T>>, Batch);

/// Whether to go on after a record.
enum Step {
    Go,
    /// Stop, having given up reading (or not: the run failed).
    Stop(Option<Box<GaveUp>>),
}

impl<T, W, E> Visit for Visitor<'_, W, E>
where
    T: Send,
    W: Fn(&str, &mut Record<'_>) -> T + Sync,
    E: FnMut(&str, T, &mut Progress) -> Result<()>,
{
    fn record(&mut self, mut record: Record<'_>) -> ControlFlow<()> {
        let out = (self.work)(self.label, &mut record);
        self.emit(out)
    }

    fn stream(&mut self, framer: &mut Framer<'_>, mut watch: Watch) -> Option<GaveUp> {
        let mut first = Batch::default();
        framer.next_batch(&mut first, BATCH_ENTRIES, BATCH_BYTES);
        let jobs = self.options.jobs;
        // One batch is the whole of a small source: no threads for it.
        if jobs <= 1 || first.len() < BATCH_ENTRIES && framer.is_done() {
            self.sequential(first, framer, &mut watch)
        } else {
            self.parallel(first, framer, &mut watch, jobs)
        }
    }
}
