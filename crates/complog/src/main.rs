//! `complog`: validate and convert compliance log records
//! (`lokryn.compliancelog.v1.LogEntry`) from the command line.
//!
//! Exit codes: 0 when every entry passes (or converts), 1 when any entry
//! fails or cannot be read, 2 on usage errors and inputs that cannot be
//! opened.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod convert;
mod driver;
mod export;
mod import;
mod input;
mod ledger;
mod output;
mod progress;
mod redact;
mod report;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc rather than the system's malloc: with `--jobs`, memory made on
/// one thread is freed on another (an entry's bytes framed here and read on
/// a worker, a line made on a worker and written here), which glibc's
/// malloc does dearly (it gives the memory back to an arena the freeing
/// thread does not own, which trims and grows again); mimalloc hands it
/// back to its owner's free list.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::stream::Format;

#[derive(Debug, Parser)]
#[command(name = "complog", version, about, long_about = None)]
/// Validate, convert and redact compliance log records (lokryn.compliancelog.v1).
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that every entry is fit for an audit trail; prints a verdict per entry.
    ///
    /// Reads JSON (one entry, or an array of entries), JSON Lines and
    /// length-delimited binary, chosen by file extension (.json; .jsonl,
    /// .ndjson; .binpb, .pb, .bin, .ldpb) or sniffed from the content;
    /// gzip and zstd input (.gz, .zst, or compressed standard input) is
    /// decompressed as it is read. Directories are searched recursively for
    /// files with those extensions; links are followed, but each real
    /// directory is searched once and each real file read once.
    Validate(validate::ValidateArgs),
    /// Convert entries between JSON, JSON Lines and length-delimited binary.
    Convert(convert::ConvertArgs),
    /// Write the entries with card numbers, SSNs, contact details and secrets
    /// replaced, in the input's format.
    ///
    /// Card numbers keep their first six and last four digits; everything
    /// else becomes `[REDACTED:<kind>]`, or, with --key-file or --key-env, a
    /// keyed token `[REDACTED:<kind>:<hmac>]`. The searched fields are those
    /// the schema marks (see docs/rules.md); a JSON payload stays valid JSON.
    /// Fields the schema does not define are dropped.
    Redact(redact::RedactArgs),
    /// Export entries as OCSF 1.7.0 events, ECS 9.x documents or
    /// OpenTelemetry logs (OTLP/JSON or protobuf), as docs/exports.md maps them.
    Export(export::ExportArgs),
    /// Read records back from OCSF events written by `complog export --to
    /// ocsf`, as JSON Lines or length-delimited binary.
    Import(import::ImportArgs),
    /// Print the schema: the .proto source, or the compiled descriptor set.
    Schema(SchemaArgs),
    /// A tamper-evident ledger: append, prove, verify and query entries
    /// (RFC 6962 Merkle tree, C2SP signed checkpoints and tiles).
    Ledger(ledger::LedgerArgs),
    /// An evidence report for an audit period, from a ledger (integrity
    /// verified) or plain files: coverage of the required events (PCI DSS
    /// 10.2.1, 10.2.2, SOC 2 CC7.2, HIPAA 164.312(b)), validation verdicts,
    /// activity and AI-agent actions; one self-contained HTML page, or the
    /// data as JSON. docs/report.md explains each section.
    Report(report::ReportArgs),
}

/// How to read inputs; shared by the commands that read entries.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// Read inputs as this format instead of deciding by extension or content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    /// Refuse entries whose encoding is larger than this many bytes
    /// (JSON text may be four times as large), when reading and when
    /// writing: `convert` and `redact` skip such an entry rather than write
    /// what a reader with the same limit would refuse.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT.max_entry_bytes)]
    max_entry_bytes: usize,
    /// Stop reading JSON Lines after this many lines in a row that are not
    /// JSON at all (0: never stop). Lines that are JSON but not valid
    /// entries are each judged, however many there are; binary input is
    /// read to its end unless its framing breaks.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 20,
        alias = "max-consecutive-errors"
    )]
    max_non_json_lines: u64,
    /// Decode and check (or convert, redact, map) the entries of large
    /// JSON Lines and binary inputs on this many threads (`export --to
    /// parquet` also encodes the columns on as many); the output is the
    /// same, in the same order, whatever the number. Default: one per core.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

impl ReadArgs {
    /// The format named by --input-format.
    pub(crate) fn format(&self) -> Option<Format> {
        self.input_format.map(InputFormat::format)
    }

    pub(crate) fn options(&self) -> input::ReadOptions {
        input::ReadOptions {
            format: self.format(),
            limits: Limits::with_max_entry_bytes(self.max_entry_bytes),
            max_non_json_lines: self.max_non_json_lines,
            jobs: self.jobs.map_or_else(driver::default_jobs, usize::from),
            views_only: false,
            unread_frames: false,
        }
    }
}

/// A format entries are read in (compressed or not: that is told by the
/// content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormat {
    /// One JSON document (an entry, or an array of entries).
    Json,
    /// JSON Lines: one entry per line.
    Jsonl,
    /// Length-delimited binary protobuf.
    Binary,
}

impl InputFormat {
    pub(crate) fn format(self) -> Format {
        match self {
            Self::Json => Format::Json,
            Self::Jsonl => Format::JsonLines,
            Self::Binary => Format::Delimited,
        }
    }
}

/// A format entries are written in (compressed when the output file's name
/// asks for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// One pretty-printed JSON document.
    Json,
    /// JSON Lines: one entry per line.
    Jsonl,
    /// Length-delimited binary protobuf.
    Binary,
}

impl OutputFormat {
    /// The output format that writes what `format` reads.
    pub(crate) fn of(format: Format) -> Self {
        match format {
            Format::Json => Self::Json,
            Format::JsonLines => Self::Jsonl,
            _ => Self::Binary,
        }
    }
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// Write the encoded google.protobuf.FileDescriptorSet instead of the .proto text.
    #[arg(long)]
    descriptor_set: bool,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Redact(args) => redact::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Schema(args) => schema(&args),
        Command::Ledger(args) => ledger::run(&args),
        Command::Report(args) => report::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("complog: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader of our output went away (`complog validate … | head`): not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn schema(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let bytes: Vec<u8> = if args.descriptor_set {
        lokryn_compliance_log::DESCRIPTOR_SET.to_vec()
    } else {
        let mut text = String::new();
        for (path, source) in lokryn_compliance_log::PROTO_FILES {
            if lokryn_compliance_log::PROTO_FILES.len() > 1 {
                text.push_str(&format!("// ===== {path} =====\n"));
            }
            text.push_str(source);
        }
        text.into_bytes()
    };
    output::write_all(args.output.as_deref(), &bytes, args.descriptor_set)?;
    Ok(ExitCode::SUCCESS)
}
