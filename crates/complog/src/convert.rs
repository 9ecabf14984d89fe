//! `complog convert`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use crate::driver;
use crate::input;
use crate::output::{Document, Sink};
use crate::progress::Progress;
use crate::{OutputFormat, ReadArgs};

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// Files, directories, or `-` for standard input; their entries are
    /// written in order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The output format. `json` takes exactly one entry and pretty-prints it.
    #[arg(long, value_enum)]
    to: OutputFormat,
    /// Write to this file instead of standard output; compressed with gzip
    /// or zstd when its name ends in `.gz` or `.zst`.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    read: ReadArgs,
}

#[allow(clippy::print_stderr)]
pub(crate) fn run(args: &ConvertArgs) -> Result<ExitCode> {
    let (sources, missing) = input::expand(&args.inputs);
    if !missing.is_empty() {
        bail!("{}", missing.join("\n"));
    }
    let read = args.read.options();
    let mut sink = Sink::open(args.to, args.output.as_deref(), Document::One, read.limits)?;
    let shape = sink.shape();
    let (mut written, mut refused) = (0u64, 0u64);
    let unreadable = driver::run_readable(
        &sources,
        &read,
        &mut Progress::new(true),
        |at, decoded| {
            let raw = decoded.raw.take();
            Ok(shape.prepare(&mut decoded.entry, raw, at))
        },
        |_, prepared| {
            if sink.commit(prepared)? {
                written += 1;
            } else {
                refused += 1;
            }
            Ok(())
        },
    )?;
    let failed = unreadable + refused;
    sink.finish()?;
    if failed > 0 {
        eprintln!("complog: {written} entries written, {failed} skipped");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
