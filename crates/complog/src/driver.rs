//! The one loop of the commands that read entries (`validate`, `convert`,
//! `redact`, `export`): every source in order, every record to the command's
//! handler, progress on a terminal, and what went wrong with the sources as a
//! whole.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Result, bail};

use crate::input::{self, Decoded, ReadOptions, Record, Source};
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

/// Reads every source, handing each record to `handle` with the source's
/// label and the progress line (to clear before printing). A handler's
/// error stops the run and is returned.
#[allow(clippy::print_stderr)]
pub(crate) fn run(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    on_source_error: OnSourceError,
    mut handle: impl FnMut(&str, Record, &mut Progress) -> Result<()>,
) -> Result<Totals> {
    let mut totals = Totals::default();
    let bytes = Arc::new(AtomicU64::new(0));
    let mut records = 0u64;
    for source in sources {
        let label = source.label();
        totals.sources += 1;
        let mut failed = None;
        let mut visit = |record: Record| {
            records += 1;
            if let Err(err) = handle(&label, record, progress) {
                failed = Some(err);
                return ControlFlow::Break(());
            }
            progress.tick(records, bytes.load(Ordering::Relaxed), &label);
            ControlFlow::Continue(())
        };
        let read = input::read(source, options, &bytes, &mut visit);
        if let Some(err) = failed {
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
/// and message) and counted; every other one goes to `handle` with its
/// label. Returns how many were skipped.
#[allow(clippy::print_stderr)]
pub(crate) fn run_readable(
    sources: &[Source],
    options: &ReadOptions,
    progress: &mut Progress,
    mut handle: impl FnMut(String, Decoded) -> Result<()>,
) -> Result<u64> {
    let mut skipped = 0u64;
    run(
        sources,
        options,
        progress,
        OnSourceError::Stop,
        |label, record, progress| {
            let at = record.label(label);
            match record.result {
                Err(problem) => {
                    progress.clear();
                    eprintln!(
                        "complog: {at}: skipped: {}: {}",
                        problem.code, problem.message
                    );
                    skipped += 1;
                    Ok(())
                }
                Ok(decoded) => handle(at, decoded),
            }
        },
    )?;
    Ok(skipped)
}
