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
//!
//! Work may also keep a state on each thread ([`Work`]): it is handed every
//! record the thread works on, and at the end of each batch the thread
//! makes what the batch's records left there into one more thing to emit,
//! emitted after the batch's records (`complog export --to parquet` builds
//! the Arrow columns of a batch on the thread that reads it this way).

use std::collections::{BTreeMap, VecDeque};
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use anyhow::{Result, anyhow, bail};

use crate::input::{
    self, At, Batch, Decoded, Framer, GaveUp, Mark, Place, Problem, ReadOptions, Record, Scratch,
    Source, Visit, Watch,
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
pub(crate) const BATCH_ENTRIES: usize = 512;
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
pub(crate) fn run<T: Send>(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    on_source_error: OnSourceError,
    work: impl Fn(&str, &mut Record<'_>) -> T + Sync,
    emit: impl FnMut(&str, T, &mut Progress) -> Result<()>,
) -> Result<Totals> {
    run_work(
        sources,
        options,
        progress,
        on_source_error,
        &PerRecord(work, PhantomData),
        emit,
    )
}

/// A command's work on the records, for [`run_work`]: `record` on any
/// thread, over a state of that thread's own (made by `state`, once per
/// thread), and `end` on the same thread, over the same state, after the
/// records of each batch the thread did.
pub(crate) trait Work: Sync {
    /// What a record's work, or a batch's end, makes for `emit`.
    type Out: Send;
    /// What a thread keeps between its records.
    type State;
    fn state(&self) -> Self::State;
    fn record(&self, state: &mut Self::State, label: &str, record: &mut Record<'_>) -> Self::Out;
    /// What the records since the last end left in `state`, to emit after
    /// them. `done`: a batch of a stream is over, or a source read record
    /// by record (a JSON document, a ledger) is; otherwise (after each
    /// record of such a source) `Some` only when the state holds enough to
    /// be worth emitting.
    fn end(&self, state: &mut Self::State, done: bool) -> Option<Self::Out>;
}

/// Work of a record alone (no state, nothing at a batch's end).
struct PerRecord<F, T>(F, PhantomData<fn() -> T>);

impl<F, T> Work for PerRecord<F, T>
where
    F: Fn(&str, &mut Record<'_>) -> T + Sync,
    T: Send,
{
    type Out = T;
    type State = ();

    fn state(&self) {}

    fn record(&self, (): &mut (), label: &str, record: &mut Record<'_>) -> T {
        (self.0)(label, record)
    }

    fn end(&self, (): &mut (), _: bool) -> Option<T> {
        None
    }
}

/// [`run`] with work that keeps a state per thread ([`Work`]): what `end`
/// makes of a batch is emitted after the batch's records (without counting
/// as a record).
#[allow(clippy::print_stderr)]
pub(crate) fn run_work<W: Work>(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    on_source_error: OnSourceError,
    work: &W,
    mut emit: impl FnMut(&str, W::Out, &mut Progress) -> Result<()>,
) -> Result<Totals> {
    let mut totals = Totals::default();
    let bytes = Arc::new(AtomicU64::new(0));
    let mut records = 0u64;
    // The calling thread's state, made when first needed.
    let mut state: Option<W::State> = None;
    for source in sources {
        let label = source.label();
        totals.sources += 1;
        let mut visitor = Visitor {
            label: &label,
            options,
            bytes: &bytes,
            records: &mut records,
            progress,
            work,
            state: &mut state,
            emit: &mut emit,
            failed: None,
        };
        let read = input::read(source, options, &bytes, &mut visitor);
        // What the records of a source read record by record left.
        if visitor.failed.is_none() {
            let _ = visitor.end_here(true);
        }
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
pub(crate) fn run_readable<T: Send>(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    work: impl Fn(At<'_>, &mut Decoded<'_>) -> Result<T, Problem> + Sync,
    mut emit: impl FnMut(At<'_>, T) -> Result<()>,
) -> Result<u64> {
    run_readable_work(
        sources,
        options,
        progress,
        &ReadablePerRecord(work, PhantomData),
        |at, out| match at {
            Some(at) => emit(at, out),
            // No batch ends: `ReadablePerRecord` makes none.
            None => Ok(()),
        },
    )
}

/// A command's work on readable entries, for [`run_readable_work`]: as
/// [`Work`], with the entry's label and the decoded entry.
pub(crate) trait ReadableWork: Sync {
    type Out: Send;
    type State;
    fn state(&self) -> Self::State;
    fn entry(
        &self,
        state: &mut Self::State,
        at: At<'_>,
        decoded: &mut Decoded<'_>,
    ) -> Result<Self::Out, Problem>;
    /// As [`Work::end`].
    fn end(&self, state: &mut Self::State, done: bool) -> Option<Self::Out>;
}

struct ReadablePerRecord<F, T>(F, PhantomData<fn() -> T>);

impl<F, T> ReadableWork for ReadablePerRecord<F, T>
where
    F: Fn(At<'_>, &mut Decoded<'_>) -> Result<T, Problem> + Sync,
    T: Send,
{
    type Out = T;
    type State = ();

    fn state(&self) {}

    fn entry(&self, (): &mut (), at: At<'_>, decoded: &mut Decoded<'_>) -> Result<T, Problem> {
        (self.0)(at, decoded)
    }

    fn end(&self, (): &mut (), _: bool) -> Option<T> {
        None
    }
}

/// What [`run_readable_work`] emits: a record's work, with where the
/// record is, or what a batch's end made.
enum Piece<T> {
    Record(Place, Result<T, Problem>),
    End(T),
}

/// A [`ReadableWork`] as the [`Work`] of [`run_work`].
struct Readable<'a, R>(&'a R);

impl<R: ReadableWork> Work for Readable<'_, R> {
    type Out = Piece<R::Out>;
    type State = R::State;

    fn state(&self) -> R::State {
        self.0.state()
    }

    fn record(&self, state: &mut R::State, label: &str, record: &mut Record<'_>) -> Self::Out {
        let place = record.place();
        let out = match &mut record.result {
            Err(problem) => Err(problem.clone()),
            Ok(decoded) => self.0.entry(state, place.at(label), decoded),
        };
        Piece::Record(place, out)
    }

    fn end(&self, state: &mut R::State, done: bool) -> Option<Self::Out> {
        self.0.end(state, done).map(Piece::End)
    }
}

/// [`run_readable`] with work that keeps a state per thread
/// ([`ReadableWork`]): `emit` gets the label of each record's work, and
/// `None` for what `end` made of a batch (after the batch's records).
#[allow(clippy::print_stderr)]
pub(crate) fn run_readable_work<W: ReadableWork>(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    work: &W,
    mut emit: impl FnMut(Option<At<'_>>, W::Out) -> Result<()>,
) -> Result<u64> {
    let mut skipped = 0u64;
    run_work(
        sources,
        options,
        progress,
        OnSourceError::Stop,
        &Readable(work),
        |label, piece, progress| match piece {
            Piece::End(out) => emit(None, out),
            Piece::Record(place, Err(problem)) => {
                let at = place.at(label);
                progress.clear();
                eprintln!(
                    "complog: {at}: skipped: {}: {}",
                    problem.code, problem.message
                );
                skipped += 1;
                Ok(())
            }
            Piece::Record(place, Ok(out)) => emit(Some(place.at(label)), out),
        },
    )?;
    Ok(skipped)
}

/// Reads one source for [`run_work`].
struct Visitor<'a, W: Work, E> {
    label: &'a str,
    options: &'a ReadOptions,
    bytes: &'a AtomicU64,
    records: &'a mut u64,
    progress: &'a mut Progress,
    work: &'a W,
    /// The calling thread's state (made when first needed).
    state: &'a mut Option<W::State>,
    emit: &'a mut E,
    /// The error that stopped the run.
    failed: Option<anyhow::Error>,
}

/// A record's work, done, with its mark.
type Done<T> = (Mark, T);

impl<W, E> Visitor<'_, W, E>
where
    W: Work,
    E: FnMut(&str, W::Out, &mut Progress) -> Result<()>,
{
    /// Emits one record's work; `Break` when the run must stop.
    fn emit(&mut self, out: W::Out) -> ControlFlow<()> {
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

    /// Emits what a batch's end made (not a record); `Break` when the run
    /// must stop.
    fn emit_end(&mut self, out: Option<W::Out>) -> ControlFlow<()> {
        let Some(out) = out else {
            return ControlFlow::Continue(());
        };
        if let Err(err) = (self.emit)(self.label, out, self.progress) {
            self.failed = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Ends the calling thread's records worked on since its last end
    /// (see [`Work::end`]) and emits what that makes.
    fn end_here(&mut self, done: bool) -> ControlFlow<()> {
        let out = match self.state.as_mut() {
            Some(state) => self.work.end(state, done),
            None => None,
        };
        self.emit_end(out)
    }

    /// The calling thread's state.
    fn state_here(&mut self) -> &mut W::State {
        let work = self.work;
        self.state.get_or_insert_with(|| work.state())
    }

    /// Emits a decoded record, then asks the watch whether to go on.
    fn emit_marked(&mut self, (mark, out): Done<W::Out>, watch: &mut Watch) -> Step {
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
    /// entry before, each batch ended as the threads end theirs.
    fn sequential(
        &mut self,
        mut batch: Batch,
        framer: &mut Framer<'_>,
        watch: &mut Watch,
    ) -> Option<GaveUp> {
        let mut scratch = Scratch::default();
        let (label, options, work) = (self.label, self.options, self.work);
        let mut state = self.state.take().unwrap_or_else(|| work.state());
        let mut gave_up = None;
        while !batch.is_empty() {
            let mut stop = None;
            batch.decode_each(options, &mut scratch, |mut record, mark, scratch| {
                let out = work.record(&mut state, label, &mut record);
                record.recycle(scratch);
                match self.emit_marked((mark, out), watch) {
                    Step::Go => ControlFlow::Continue(()),
                    Step::Stop(gave_up) => {
                        stop = Some(gave_up);
                        ControlFlow::Break(())
                    }
                }
            });
            // What the batch left, up to where it stopped (nothing after
            // that was worked on); not when the run failed.
            let end = work.end(&mut state, true);
            if let Some(stopped) = stop {
                if let Some(at) = stopped {
                    let _ = self.emit_end(end);
                    gave_up = Some(*at);
                }
                break;
            }
            if self.emit_end(end).is_break() {
                break;
            }
            framer.next_batch(&mut batch, BATCH_ENTRIES, BATCH_BYTES);
        }
        *self.state = Some(state);
        gave_up
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
        let queue = JobQueue::<W::Out>::default();
        let (done_tx, done_rx) = mpsc::channel::<Finished<W::Out>>();
        let this = &*self;
        let (label, options, work) = (this.label, this.options, this.work);
        std::thread::scope(|scope| {
            for _ in 1..jobs {
                let (queue, done_tx) = (&queue, done_tx.clone());
                scope.spawn(move || {
                    let mut scratch = Scratch::default();
                    let mut state = work.state();
                    while let Some(job) = queue.wait() {
                        let finished = do_job(job, options, &mut scratch, &mut state, label, work);
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
    /// when the next to emit is not done, and emits the results in order,
    /// each batch's records and then what its end made.
    fn feed_and_emit(
        &mut self,
        first: Batch,
        framer: &mut Framer<'_>,
        watch: &mut Watch,
        lanes: &Lanes<'_, W::Out>,
    ) -> Option<GaveUp> {
        type Results<T> = (Vec<Done<T>>, Option<T>);
        let mut waiting: BTreeMap<u64, Results<W::Out>> = BTreeMap::new();
        // Emptied batches and result lists, to fill again.
        let mut batches: Vec<Batch> = Vec::new();
        let mut lists: Vec<Vec<Done<W::Out>>> = Vec::new();
        let mut scratch = Scratch::default();
        let work = self.work;
        let mut state = self.state.take().unwrap_or_else(|| work.state());
        let (mut sent, mut next) = (0u64, 0u64);
        let mut first = Some(first);
        let gave_up = loop {
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
                break None;
            }
            let found = loop {
                if let Some(done) = waiting.remove(&next) {
                    break Some(done);
                }
                let finished = match lanes.done_rx.try_recv() {
                    Ok(finished) => finished,
                    Err(mpsc::TryRecvError::Empty) => match lanes.queue.take() {
                        // Nothing is done: work rather than wait.
                        Some(job) => do_job(
                            job,
                            self.options,
                            &mut scratch,
                            &mut state,
                            self.label,
                            work,
                        ),
                        None => match lanes.done_rx.recv() {
                            Ok(finished) => finished,
                            Err(_) => break None,
                        },
                    },
                    Err(mpsc::TryRecvError::Disconnected) => break None,
                };
                let (seq, done, end, batch) = finished;
                batches.push(batch);
                waiting.insert(seq, (done, end));
            };
            let Some((mut done, end)) = found else {
                self.failed = Some(anyhow!("a worker thread stopped"));
                break None;
            };
            next += 1;
            let mut stopped = None;
            for one in done.drain(..) {
                if let Step::Stop(gave_up) = self.emit_marked(one, watch) {
                    stopped = Some(gave_up);
                    break;
                }
            }
            match stopped {
                // Reading gave up: what the batch's end made is still
                // emitted (the records emitted so far are in it).
                Some(Some(gave_up)) => {
                    let _ = self.emit_end(end);
                    break Some(*gave_up);
                }
                // The run failed.
                Some(None) => break None,
                None => {
                    if self.emit_end(end).is_break() {
                        break None;
                    }
                }
            }
            lists.push(done);
        };
        *self.state = Some(state);
        gave_up
    }
}

/// Batches in flight per thread, at most: enough that a thread finds the
/// next batch queued when it finishes one while the calling thread is
/// busy with a batch of its own or with printing.
const IN_FLIGHT_PER_JOB: usize = 3;

/// Decodes a batch and does the work on each record, over `scratch` and
/// the thread's `state`, then ends the batch.
fn do_job<W: Work>(
    (seq, mut batch, mut done): Job<W::Out>,
    options: &ReadOptions,
    scratch: &mut Scratch,
    state: &mut W::State,
    label: &str,
    work: &W,
) -> Finished<W::Out> {
    done.clear();
    done.reserve(batch.len());
    batch.decode_each(options, scratch, |mut record, mark, scratch| {
        let out = work.record(state, label, &mut record);
        record.recycle(scratch);
        done.push((mark, out));
        ControlFlow::Continue(())
    });
    let end = work.end(state, true);
    (seq, done, end, batch)
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

/// A batch done: its number, the results, what its end made, and the
/// batch emptied.
type Finished<T> = (u64, Vec<Done<T>>, Option<T>, Batch);

/// Whether to go on after a record.
enum Step {
    Go,
    /// Stop, having given up reading (or not: the run failed).
    Stop(Option<Box<GaveUp>>),
}

impl<W, E> Visit for Visitor<'_, W, E>
where
    W: Work,
    E: FnMut(&str, W::Out, &mut Progress) -> Result<()>,
{
    fn record(&mut self, mut record: Record<'_>) -> ControlFlow<()> {
        let (work, label) = (self.work, self.label);
        let out = work.record(self.state_here(), label, &mut record);
        self.emit(out)?;
        self.end_here(false)
    }

    fn stream(&mut self, framer: &mut Framer<'_>, mut watch: Watch) -> Option<GaveUp> {
        // What records read before the stream left (none, but in order).
        if self.end_here(true).is_break() {
            return None;
        }
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
