//! `complog export`: entries as OCSF 1.7.0 events, ECS 9.x documents or
//! OpenTelemetry logs (OTLP), following the mappings the schema declares
//! (docs/exports.md).

#[cfg(feature = "parquet")]
use std::fs::File;
#[cfg(feature = "parquet")]
use std::io::BufWriter;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::view::{self, LogEntryView};
use lokryn_export::{Options, Record, ecs, ocsf, otlp};
#[cfg(feature = "parquet")]
use lokryn_export::{
    parquet::{FlatRows, FlatWriter, RecordBatch},
    security_lake::SecurityLakeWriter,
};

use lokryn_compliance_log::compress::{Compression, Compressor};

use crate::driver;
use crate::input;
use crate::progress::Progress;
use crate::{ReadArgs, output};

/// A target format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Target {
    /// OCSF 1.7.0 events, one JSON object per line.
    Ocsf,
    /// ECS 9.x documents, one JSON object per line.
    Ecs,
    /// OTLP/JSON ExportLogsServiceRequests, one per line (--batch records each).
    OtlpJson,
    /// OTLP protobuf ExportLogsServiceRequests, each preceded by its length as a varint.
    Otlp,
    /// A Parquet file of the records, one typed column per field (needs -o).
    Parquet,
    /// OCSF events as Parquet in Amazon Security Lake's custom-source layout,
    /// under the folder -o (needs --region and --account-id).
    OcsfParquet,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum, value_name = "TARGET")]
    to: Target,
    /// Files, directories or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// OCSF metadata.log_name: the log or index the events are bound for.
    #[arg(long, value_name = "NAME")]
    log_name: Option<String>,
    /// The observed time (OTLP ObservedTimestamp; OCSF time of entries
    /// without one), in nanoseconds since the epoch. Default: now.
    #[arg(long, value_name = "NANOS")]
    observed_time_ns: Option<u64>,
    /// The Security Lake region of the partitions (--to ocsf-parquet).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The AWS account id of the partitions (--to ocsf-parquet).
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,
    /// Records per OTLP request.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    batch: u64,
    /// Do not print the summary on standard error.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    read: ReadArgs,
}

/// A record read for export: decoded (JSON input, or a target written from
/// decoded entries), a binary entry's bytes, exported from a view of them
/// rather than decoded (OTLP protobuf), the line a record makes (OCSF and
/// ECS, made where the record was read: on any thread), or its row added
/// to the Parquet rows of the thread that read it; or, at the end of a
/// batch, those rows.
enum Read {
    Entry(Box<LogEntry>),
    Encoded(Vec<u8>),
    Line(Result<Vec<u8>>),
    /// The record's row was added to its thread's rows (Parquet).
    Row(Result<()>),
    /// The rows of a batch's records, in order (Parquet).
    Rows(Result<RecordBatch>),
}

/// Rows a thread gathers from the records of a source read record by record
/// (a JSON document, a ledger) before handing them to the writer; a stream's
/// are handed over at the end of each of its batches.
const ROWS_PER_HANDOVER: usize = 8192;

/// What `complog export` does with each readable entry, on the thread that
/// read it ([`driver::ReadableWork`]): OCSF and ECS make its line, Parquet
/// adds its row to the thread's rows (handed over at each batch's end), the
/// others pass the entry (or a binary entry's bytes) on to the writer.
struct ExportWork<'a> {
    to: Target,
    limits: Limits,
    line_options: &'a Options,
    pool: &'a LinePool,
}

impl ExportWork<'_> {
    /// `f` of the record `decoded` holds: a binary entry is read here, once,
    /// as a view of its bytes (left in the record, to be read over by the
    /// next one); an entry read from JSON is the decoded entry.
    fn with_record<R>(
        &self,
        decoded: &input::Decoded<'_>,
        f: impl FnOnce(Record<'_>) -> R,
    ) -> Result<R, input::Problem> {
        Ok(match decoded.raw.as_deref() {
            Some(bytes) => {
                let view = view::decode(bytes, &self.limits)
                    .map_err(|err| input::Problem::from_error(&err))?;
                f(Record::view(&view, bytes))
            }
            None => f(Record::Entry(&decoded.entry)),
        })
    }
}

// (Without Parquet the stand-in rows fail with `anyhow` errors already.)
#[cfg_attr(not(feature = "parquet"), allow(clippy::useless_conversion))]
impl driver::ReadableWork for ExportWork<'_> {
    type Out = Read;
    /// The Parquet rows of this thread's records, made when first needed.
    type State = Option<FlatRows>;

    fn state(&self) -> Self::State {
        None
    }

    fn entry(
        &self,
        rows: &mut Option<FlatRows>,
        _: input::At<'_>,
        decoded: &mut input::Decoded<'_>,
    ) -> Result<Read, input::Problem> {
        let to = self.to;
        if to.makes_lines() {
            let line = self.with_record(decoded, |record| {
                to.line(record, self.line_options, self.pool.take())
            })?;
            return Ok(Read::Line(line));
        }
        if to == Target::Parquet {
            let rows = match rows {
                Some(rows) => rows,
                None => match FlatRows::new(driver::BATCH_ENTRIES) {
                    Ok(made) => rows.insert(made),
                    Err(err) => return Ok(Read::Row(Err(err.into()))),
                },
            };
            let added = self.with_record(decoded, |record| rows.push_record(record))?;
            return Ok(Read::Row(added.map_err(Into::into)));
        }
        Ok(
            match to.reads_views().then(|| decoded.raw.take()).flatten() {
                Some(bytes) => Read::Encoded(bytes.into_owned()),
                None => Read::Entry(Box::new(std::mem::take(&mut decoded.entry))),
            },
        )
    }

    fn end(&self, rows: &mut Option<FlatRows>, done: bool) -> Option<Read> {
        let rows = rows.as_mut()?;
        if rows.is_empty() || !done && rows.len() < ROWS_PER_HANDOVER {
            return None;
        }
        Some(Read::Rows(match rows.take() {
            Ok(Some(batch)) => Ok(batch),
            Ok(None) => Err(anyhow::anyhow!("no rows to hand over")),
            Err(err) => Err(err.into()),
        }))
    }
}

impl Target {
    /// Whether binary entries are exported from views of their bytes.
    fn reads_views(self) -> bool {
        matches!(self, Self::Ocsf | Self::Ecs | Self::Otlp | Self::Parquet)
    }

    /// Whether each record is a line of its own, made on the threads that
    /// read the records (binary ones read there once, as views).
    fn makes_lines(self) -> bool {
        matches!(self, Self::Ocsf | Self::Ecs)
    }

    /// The line of one record (OCSF or ECS), its newline included, written
    /// into `line` (emptied first).
    fn line(self, record: Record<'_>, options: &Options, mut line: Vec<u8>) -> Result<Vec<u8>> {
        line.clear();
        if self == Self::Ecs {
            let doc = ecs::to_ecs_record(record, options)?;
            serde_json::to_writer(&mut line, &doc)?;
        } else {
            ocsf::write_ocsf_record(record, options, &mut line)?;
        }
        line.push(b'\n');
        Ok(line)
    }
}

/// Runs `f` on the record `read` holds: the entry, or a view of the bytes
/// (read under `limits`, which they passed when they were framed).
fn with_record<T>(
    read: &Read,
    limits: &Limits,
    f: impl FnOnce(Record<'_>) -> Result<T>,
) -> Result<T> {
    match read {
        Read::Entry(entry) => f(Record::Entry(entry)),
        Read::Encoded(bytes) => {
            let view = view::decode(bytes, limits)?;
            f(Record::view(&view, bytes))
        }
        Read::Line(_) | Read::Row(_) | Read::Rows(_) => {
            bail!("a line or row made already has no record")
        }
    }
}

/// The buffers of the lines (OCSF, ECS), going back from the writing
/// thread to the threads that fill them, so that a line's memory is used
/// again rather than made on one thread and freed on another for every
/// record (which costs any allocator a hand-over between threads, and
/// glibc's a trimmed and regrown arena).
#[derive(Default)]
struct LinePool(std::sync::Mutex<Vec<Vec<u8>>>);

impl LinePool {
    /// Buffers kept at most: more than the lines in flight.
    const MAX: usize = 8192;

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        // A list of empty buffers is whole whatever panicked holding it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take(&self) -> Vec<u8> {
        self.lock()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(2048))
    }

    fn give(&self, line: Vec<u8>) {
        let mut pool = self.lock();
        if pool.len() < Self::MAX {
            pool.push(line);
        }
    }
}

struct Writer {
    to: Target,
    out: output::Out,
    #[cfg(feature = "parquet")]
    parquet: Option<FlatWriter<BufWriter<File>>>,
    #[cfg(not(feature = "parquet"))]
    parquet: Option<FlatWriter>,
    lake: Option<SecurityLakeWriter>,
    options: Options,
    /// The limits entries are read under (for the views of binary ones).
    limits: Limits,
    pending: Vec<Read>,
    batch: usize,
    /// Rows of the records emitted since the last rows were written
    /// (Parquet): the rows of a batch's end, less any past a point where
    /// reading gave up.
    rows_emitted: usize,
}

impl Writer {
    /// Writes one record: its line (OCSF, ECS), whose buffer goes back to
    /// `pool` for the threads to fill again; a record of a batched target
    /// (OTLP) into the batch; any other through [`Writer::write`].
    fn push(&mut self, read: Read, pool: &LinePool) -> Result<()> {
        let read = match read {
            Read::Line(line) => {
                let line = line?;
                self.out.write_all(&line)?;
                pool.give(line);
                return Ok(());
            }
            Read::Row(added) => {
                added?;
                self.rows_emitted += 1;
                return Ok(());
            }
            Read::Rows(rows) => return self.write_rows(&rows?),
            read => read,
        };
        if matches!(self.to, Target::OtlpJson | Target::Otlp) {
            self.pending.push(read);
            if self.pending.len() >= self.batch {
                self.flush_batch()?;
            }
            return Ok(());
        }
        let limits = self.limits;
        with_record(&read, &limits, |record| self.write(record))
    }

    /// Writes the rows of a batch's end: those of the records emitted (all
    /// of them, unless reading gave up within the batch).
    // (Without Parquet no batch of rows exists: all of it is unreachable.)
    #[cfg_attr(not(feature = "parquet"), allow(unreachable_code))]
    fn write_rows(&mut self, rows: &RecordBatch) -> Result<()> {
        let emitted = std::mem::take(&mut self.rows_emitted);
        if emitted > rows.num_rows() {
            bail!("{emitted} rows emitted, {} handed over", rows.num_rows());
        }
        let Some(w) = self.parquet.as_mut() else {
            return Ok(());
        };
        if emitted < rows.num_rows() {
            w.write_rows(&rows.slice(0, emitted))?;
        } else {
            w.write_rows(rows)?;
        }
        Ok(())
    }

    /// Writes one record of a target that is neither batched nor made
    /// into lines on the threads.
    fn write(&mut self, record: Record<'_>) -> Result<()> {
        match self.to {
            // Every record of these arrives as its line (`Read::Line`).
            Target::Ocsf | Target::Ecs => {
                bail!("an OCSF or ECS record reached the writer without its line")
            }
            Target::Parquet => {
                if let Some(w) = self.parquet.as_mut() {
                    w.push_record(record)?;
                }
            }
            Target::OcsfParquet => {
                if let Some(w) = self.lake.as_mut() {
                    w.push(&*record.to_entry()?)?;
                }
            }
            // Batched by `push`.
            Target::OtlpJson | Target::Otlp => {}
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // The views of the binary entries (a default one in the place of
        // each decoded entry), which the records borrow.
        let views = self
            .pending
            .iter()
            .map(|read| match read {
                Read::Entry(_) | Read::Line(_) | Read::Row(_) | Read::Rows(_) => {
                    Ok(LogEntryView::default())
                }
                Read::Encoded(bytes) => view::decode(bytes, &self.limits),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let records = self
            .pending
            .iter()
            .zip(&views)
            .map(|(read, view)| match read {
                Read::Entry(entry) => Ok(Record::Entry(entry)),
                Read::Encoded(bytes) => Ok(Record::view(view, bytes)),
                Read::Line(_) | Read::Row(_) | Read::Rows(_) => {
                    bail!("a line or row made already has no record")
                }
            })
            .collect::<Result<Vec<Record<'_>>>>()?;
        if self.to == Target::OtlpJson {
            let entries = records
                .iter()
                .map(|r| r.to_entry())
                .collect::<Result<Vec<_>, _>>()?;
            let request = otlp::to_request(entries.iter().map(|e| &**e), &self.options)?;
            self.out.write_all(otlp::to_json(&request)?.as_bytes())?;
            self.out.write_all(b"\n")?;
        } else {
            let body = otlp::encode_request_records(&records, &self.options)?;
            let mut framed = Vec::with_capacity(body.len() + 10);
            prost::encoding::encode_varint(body.len() as u64, &mut framed);
            framed.extend_from_slice(&body);
            self.out.write_all(&framed)?;
        }
        self.pending.clear();
        Ok(())
    }
}

/// What a build without the `parquet` feature says to a Parquet target.
#[cfg(not(feature = "parquet"))]
const NO_PARQUET: &str = "this complog was built without Parquet support: \
    --to parquet and --to ocsf-parquet need the `parquet` cargo feature (on by default; \
    `cargo install complog` includes it)";

/// Stand-ins for the Parquet writers in a build without them: no value of
/// either exists, so the code that would use one is never reached.
#[cfg(not(feature = "parquet"))]
mod no_parquet {
    use super::{LogEntry, Record, Result};

    pub(crate) enum FlatWriter {}

    impl FlatWriter {
        pub(crate) fn push_record(&mut self, _: Record<'_>) -> Result<()> {
            match *self {}
        }

        pub(crate) fn finish(self) -> Result<std::io::Sink> {
            match self {}
        }

        pub(crate) fn write_rows(&mut self, _: &RecordBatch) -> Result<()> {
            match *self {}
        }
    }

    /// No batch of rows exists either.
    pub(crate) enum RecordBatch {}

    impl RecordBatch {
        pub(crate) fn num_rows(&self) -> usize {
            match *self {}
        }

        pub(crate) fn slice(&self, _: usize, _: usize) -> Self {
            match *self {}
        }
    }

    pub(crate) enum FlatRows {}

    impl FlatRows {
        pub(crate) fn new(_: usize) -> Result<Self> {
            anyhow::bail!(super::NO_PARQUET)
        }

        pub(crate) fn push_record(&mut self, _: Record<'_>) -> Result<()> {
            match *self {}
        }

        pub(crate) fn is_empty(&self) -> bool {
            match *self {}
        }

        pub(crate) fn len(&self) -> usize {
            match *self {}
        }

        pub(crate) fn take(&mut self) -> Result<Option<RecordBatch>> {
            match *self {}
        }
    }

    pub(crate) enum SecurityLakeWriter {}

    impl SecurityLakeWriter {
        pub(crate) fn push(&mut self, _: &LogEntry) -> Result<()> {
            match *self {}
        }

        pub(crate) fn finish(self) -> Result<Vec<std::path::PathBuf>> {
            match self {}
        }
    }
}

#[cfg(not(feature = "parquet"))]
use no_parquet::{FlatRows, FlatWriter, RecordBatch, SecurityLakeWriter};

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub(crate) fn run(args: &ExportArgs) -> Result<ExitCode> {
    let (sources, missing) = input::expand(&args.inputs);
    if !missing.is_empty() {
        bail!("{}", missing.join("\n"));
    }
    #[cfg(not(feature = "parquet"))]
    if matches!(args.to, Target::Parquet | Target::OcsfParquet) {
        bail!(NO_PARQUET);
    }
    #[cfg(feature = "parquet")]
    let parquet = match (args.to, &args.output) {
        // Encoded on as many threads of its own as --jobs says (their
        // share of the columns each), while the --jobs threads that read
        // the records build the rows.
        (Target::Parquet, Some(path)) => Some(FlatWriter::with_threads(
            BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            ),
            args.read.options().jobs,
        )?),
        (Target::Parquet, None) => bail!("--to parquet writes a file: name it with -o"),
        _ => None,
    };
    #[cfg(not(feature = "parquet"))]
    let parquet: Option<FlatWriter> = None;
    let options = Options {
        observed_time_ns: Some(args.observed_time_ns.unwrap_or_else(now_ns)),
        log_name: args.log_name.clone(),
    };
    #[cfg(feature = "parquet")]
    let lake = match (args.to, &args.output, &args.region, &args.account_id) {
        (Target::OcsfParquet, Some(dir), Some(region), Some(account)) => Some(
            SecurityLakeWriter::new(dir, region, account, options.clone()),
        ),
        (Target::OcsfParquet, ..) => {
            bail!("--to ocsf-parquet needs a folder (-o), --region and --account-id")
        }
        _ => None,
    };
    #[cfg(not(feature = "parquet"))]
    let lake: Option<SecurityLakeWriter> = None;
    // Binary entries are checked to be readable as views, not decoded, for
    // the targets written from views (see `Read`).
    // (OCSF, ECS and Parquet: not read at all while framing; each is read
    // once, as a view, where its line or row is made).
    let read_once = args.to.makes_lines() || args.to == Target::Parquet;
    let read_options = input::ReadOptions {
        views_only: args.to.reads_views() && !read_once,
        unread_frames: read_once,
        ..args.read.options()
    };
    let mut writer = Writer {
        to: args.to,
        out: if parquet.is_some() || lake.is_some() {
            Compressor::new(Box::new(std::io::sink()), Compression::None)
        } else {
            output::open(args.output.as_deref(), args.to == Target::Otlp)?
        },
        parquet,
        lake,
        options,
        limits: read_options.limits,
        pending: Vec::new(),
        batch: usize::try_from(args.batch).unwrap_or(usize::MAX),
        rows_emitted: 0,
    };
    let mut exported = 0u64;
    let line_options = writer.options.clone();
    let pool = LinePool::default();
    let work = ExportWork {
        to: args.to,
        limits: read_options.limits,
        line_options: &line_options,
        pool: &pool,
    };
    let skipped = driver::run_readable_work(
        &sources,
        &read_options,
        &mut Progress::new(!args.quiet),
        &work,
        |at, read| {
            let Some(at) = at else {
                // The rows of a batch's end.
                return writer.push(read, &pool);
            };
            writer.push(read, &pool).with_context(|| at.to_string())?;
            exported += 1;
            Ok(())
        },
    )?;
    writer.flush_batch()?;
    std::mem::replace(
        &mut writer.out,
        Compressor::new(Box::new(std::io::sink()), Compression::None),
    )
    .finish()?;
    if let Some(parquet) = writer.parquet.take() {
        parquet.finish()?.flush()?;
    }
    if let Some(lake) = writer.lake.take() {
        let files = lake.finish()?;
        if !args.quiet {
            eprintln!("complog: wrote {} Parquet files", files.len());
        }
    }
    if !args.quiet {
        eprintln!(
            "complog: exported {exported} entries{}",
            if skipped > 0 {
                format!("; {skipped} unreadable entries skipped")
            } else {
                String::new()
            }
        );
    }
    Ok(if skipped > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
