//! `complog redact`.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use lokryn_compliance_log::compress::decompress;
use lokryn_compliance_log::redact::{RedactOptions, redact_in_place};
use lokryn_compliance_log::stream::Format;

use crate::driver;
use crate::input::{self, Source};
use crate::output::{Document, Sink};
use crate::progress::Progress;
use crate::{OutputFormat, ReadArgs};

#[derive(Debug, Args)]
pub(crate) struct RedactArgs {
    /// Files, or `-` for standard input. With several, they must share a
    /// format; their entries are written in order.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Replace values (other than card numbers, which are truncated to their
    /// first six and last four digits) by keyed tokens, HMAC-SHA-256 with
    /// the key in this file (one trailing newline is ignored), so equal
    /// values stay joinable.
    #[arg(long, value_name = "FILE", conflicts_with = "key_env")]
    key_file: Option<PathBuf>,
    /// As --key-file, with the key in this environment variable.
    #[arg(long, value_name = "VAR")]
    key_env: Option<String>,
    /// Write this format instead of the input's.
    #[arg(long, value_enum, value_name = "FORMAT")]
    to: Option<OutputFormat>,
    /// Write to this file instead of standard output; compressed with gzip
    /// or zstd when its name ends in `.gz` or `.zst`.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Do not print the summary of what was redacted on standard error.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    read: ReadArgs,
}

fn key(args: &RedactArgs) -> Result<Option<Vec<u8>>> {
    let mut key = if let Some(path) = &args.key_file {
        std::fs::read(path)
            .with_context(|| format!("cannot read the key file {}", path.display()))?
    } else if let Some(var) = &args.key_env {
        std::env::var_os(var)
            .with_context(|| format!("the environment variable {var} is not set"))?
            .into_encoded_bytes()
    } else {
        return Ok(None);
    };
    if key.ends_with(b"\n") {
        key.pop();
        if key.ends_with(b"\r") {
            key.pop();
        }
    }
    if key.is_empty() {
        bail!("the redaction key is empty");
    }
    Ok(Some(key))
}

/// The format of a source: as given, from its name, or from its first
/// bytes (decompressed).
fn format_of(source: &Source, args: &RedactArgs) -> Result<Format> {
    if let Some(f) = args.read.format() {
        return Ok(f);
    }
    if let Source::File(path) = source {
        if let Some(f) = input::format_of_path(path) {
            return Ok(f);
        }
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let (_, mut reader) = decompress(std::io::BufReader::new(file))?;
        let mut head = Vec::with_capacity(4096);
        (&mut reader).take(4096).read_to_end(&mut head)?;
        return Ok(Format::sniff(&head));
    }
    bail!("say which format standard input is in with --input-format")
}

#[allow(clippy::print_stderr)]
pub(crate) fn run(args: &RedactArgs) -> Result<ExitCode> {
    let options = match key(args)? {
        Some(k) => RedactOptions::default().with_key(k),
        None => RedactOptions::default(),
    };
    let (sources, missing) = input::expand(&args.inputs);
    if !missing.is_empty() {
        bail!("{}", missing.join("\n"));
    }
    let mut formats = Vec::new();
    for source in &sources {
        formats.push(format_of(source, args)?);
    }
    let to = match args.to {
        Some(t) => t,
        None => {
            let first = formats.first().copied().unwrap_or(Format::JsonLines);
            if formats.iter().any(|f| *f != first) {
                bail!("the inputs are in different formats; say which to write with --to");
            }
            OutputFormat::of(first)
        }
    };
    let read = args.read.options();
    let mut sink = Sink::open(to, args.output.as_deref(), Document::Any, read.limits)?;
    let shape = sink.shape();
    let (mut entries, mut changed, mut refused) = (0u64, 0u64, 0u64);
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    let unreadable = driver::run_readable(
        &sources,
        &read,
        &mut Progress::new(!args.quiet),
        |at, decoded| {
            // Redacted where it was read (its memory reused by the next
            // record), and written without the original bytes.
            let findings = redact_in_place(&mut decoded.entry, &options);
            let found: Vec<&'static str> = findings.iter().map(|f| f.kind.as_str()).collect();
            Ok((found, shape.prepare(&mut decoded.entry, None, at)))
        },
        |_, (found, prepared)| {
            entries += 1;
            if !found.is_empty() {
                changed += 1;
            }
            for kind in found {
                *kinds.entry(kind).or_default() += 1;
            }
            if !sink.commit(prepared)? {
                refused += 1;
            }
            Ok(())
        },
    )?;
    let skipped = unreadable + refused;
    sink.finish()?;
    if !args.quiet {
        let what: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!(
            "complog: redacted {} in {changed} of {entries} entries{}",
            if what.is_empty() {
                "nothing".to_owned()
            } else {
                what.join(", ")
            },
            if skipped > 0 {
                format!("; {skipped} entries skipped")
            } else {
                String::new()
            },
        );
    }
    Ok(if skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
