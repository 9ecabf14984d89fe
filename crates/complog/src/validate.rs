//! `complog validate`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use lokryn_compliance_log::json;
use lokryn_compliance_log::validate::{self, Level, Options, Report, Violation};
use serde_json::json;

use crate::ReadArgs;
use crate::driver::{self, OnSourceError, Totals};
use crate::input::{self, Problem, Record};
use crate::progress::Progress;

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Files, directories, or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// How to print the verdicts: for people, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = Output::Human)]
    format: Output,
    /// Print only entries that fail or have warnings, and the summary.
    #[arg(short, long)]
    quiet: bool,
    /// Exit 0 even when entries fail (inputs that cannot be opened still exit 2).
    #[arg(long)]
    exit_zero: bool,
    /// Also apply this profile's rules: soc2, hipaa or pci (baseline always
    /// applies). Repeat the option, or list several separated by commas, to
    /// combine them. soc2, hipaa and pci also search the records for
    /// sensitive data and report the kinds their rules cover: card numbers
    /// (soc2, pci), SSNs (soc2, hipaa), contact details (hipaa, warnings),
    /// secrets (all three); docs/rules.md has the list.
    #[arg(short, long = "profile", value_name = "PROFILE")]
    profiles: Vec<String>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// Aligned lines for people.
    Human,
    /// JSON Lines: one object per entry, then a summary object.
    Json,
}

#[derive(Debug, Default)]
struct Tally {
    entries: u64,
    passed: u64,
    failed: u64,
    unreadable: u64,
    warnings: u64,
}

impl Tally {
    fn count(&mut self, outcome: Outcome) {
        self.entries += 1;
        match outcome {
            Outcome::Unreadable => self.unreadable += 1,
            Outcome::Checked { valid, warnings } => {
                if valid {
                    self.passed += 1;
                } else {
                    self.failed += 1;
                }
                self.warnings += warnings;
            }
        }
    }
}

/// What an entry's verdict adds to the tally.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Unreadable,
    Checked { valid: bool, warnings: u64 },
}

impl Outcome {
    fn of(verdict: &Verdict<'_>) -> Self {
        match verdict {
            Verdict::Unreadable(_) => Self::Unreadable,
            Verdict::Checked(report) => Self::Checked {
                valid: report.is_valid(),
                warnings: report
                    .violations
                    .iter()
                    .filter(|v| v.level == Level::Warning)
                    .count() as u64,
            },
        }
    }
}

pub(crate) fn run(args: &ValidateArgs) -> Result<ExitCode> {
    // Binary entries are read once, as views, where they are judged.
    let options = input::ReadOptions {
        unread_frames: true,
        ..args.read.options()
    };
    // The limits entries were read under, for the view of binary ones.
    let rules = Options::for_profiles(&args.profiles)?.with_limits(options.limits);
    let (sources, missing) = input::expand(&args.inputs);
    for message in &missing {
        eprintln!("complog: {message}");
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut tally = Tally::default();
    let mut progress = Progress::new(true);
    let totals = driver::run(
        &sources,
        &options,
        &mut progress,
        OnSourceError::Report,
        |label, record| {
            // Judged and printed (into memory) on any thread.
            let record = &*record;
            let verdict = judge(record, &rules);
            let mut text = Vec::new();
            match args.format {
                Output::Human => print_human(&mut text, label, record, &verdict, args.quiet),
                Output::Json => print_json(&mut text, label, record, &verdict, args.quiet),
            }
            .map(|()| (Outcome::of(&verdict), text))
        },
        |_, judged, progress| {
            let (outcome, text) = judged?;
            tally.count(outcome);
            if !text.is_empty() {
                if args.format == Output::Human {
                    progress.clear();
                }
                out.write_all(&text)?;
            }
            Ok(())
        },
    )?;
    print_summary(&mut out, args.format, &tally, &totals)?;
    out.flush()?;
    Ok(if totals.source_errors > 0 || !missing.is_empty() {
        ExitCode::from(2)
    } else if tally.failed + tally.unreadable > 0 && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

enum Verdict<'a> {
    Checked(Report),
    Unreadable(std::borrow::Cow<'a, Problem>),
}

fn judge<'a>(record: &'a Record<'_>, rules: &Options) -> Verdict<'a> {
    match &record.result {
        Err(problem) => Verdict::Unreadable(std::borrow::Cow::Borrowed(problem)),
        Ok(decoded) => match &decoded.raw {
            // Binary input, not read while framing (`unread_frames`):
            // judged on a view of its bytes, unknown fields included, or
            // unreadable with the error reading it gives.
            Some(raw) => match validate::validate_bytes(raw, rules) {
                Ok(report) => Verdict::Checked(report),
                Err(err) => Verdict::Unreadable(std::borrow::Cow::Owned(Problem::from_error(&err))),
            },
            None => Verdict::Checked(validate::validate_with(&decoded.entry, rules)),
        },
    }
}

fn print_human(
    out: &mut impl Write,
    source: &str,
    record: &Record<'_>,
    verdict: &Verdict<'_>,
    quiet: bool,
) -> std::io::Result<()> {
    match verdict {
        Verdict::Unreadable(problem) => {
            writeln!(
                out,
                "FAIL  {}\n      unreadable  {}: {}",
                record.label(source),
                problem.code,
                problem.message
            )
        }
        Verdict::Checked(report) => {
            if quiet && report.violations.is_empty() {
                return Ok(());
            }
            let word = if report.is_valid() { "PASS" } else { "FAIL" };
            writeln!(out, "{word}  {}", record.label(source))?;
            for v in &report.violations {
                print_violation(out, v)?;
            }
            Ok(())
        }
    }
}

fn print_violation(out: &mut impl Write, v: &Violation) -> std::io::Result<()> {
    let field = if v.field.is_empty() {
        "(entry)"
    } else {
        v.field.as_str()
    };
    write!(
        out,
        "      {:<7}  {field}  [{}]  {}",
        v.level.as_str(),
        v.rule_id,
        v.message
    )?;
    if !v.clauses.is_empty() {
        write!(out, "  ({})", v.clauses.join("; "))?;
    }
    writeln!(out)
}

/// One JSON line per entry: where it is (`source`, `index`, `line`,
/// `offset`), then the `ValidationReport` message of report.proto written
/// with every field (`valid`, `violations`, `findings`, `error`).
fn print_json(
    out: &mut impl Write,
    source: &str,
    record: &Record<'_>,
    verdict: &Verdict<'_>,
    quiet: bool,
) -> std::io::Result<()> {
    let report = match verdict {
        Verdict::Unreadable(p) => Report::unreadable(p.code, &p.message),
        Verdict::Checked(report) => {
            if quiet && report.violations.is_empty() {
                return Ok(());
            }
            report.to_message()
        }
    };
    let body = json::report_to_json(&report);
    let place = json!({
        "source": source,
        "index": record.index,
        "line": record.line,
        "offset": record.offset,
    })
    .to_string();
    // Both are objects: join them into one.
    let place = place.strip_suffix('}').unwrap_or(&place);
    let body = body.strip_prefix('{').unwrap_or(&body);
    writeln!(out, "{place},{body}")
}

fn print_summary(
    out: &mut impl Write,
    format: Output,
    t: &Tally,
    totals: &Totals,
) -> std::io::Result<()> {
    match format {
        Output::Human => {
            write!(
                out,
                "\n{} in {}: {} passed, {} failed, {} unreadable ({})",
                plural(t.entries, "entry", "entries"),
                plural(totals.sources, "input", "inputs"),
                t.passed,
                t.failed,
                t.unreadable,
                plural(t.warnings, "warning", "warnings"),
            )?;
            if totals.given_up > 0 {
                write!(
                    out,
                    "; gave up reading {} with {} left unread",
                    plural(totals.given_up, "input", "inputs"),
                    plural(totals.unread_bytes, "byte", "bytes"),
                )?;
            }
            writeln!(out)
        }
        Output::Json => writeln!(
            out,
            "{}",
            json!({"summary": {
                "inputs": totals.sources,
                "entries": t.entries,
                "passed": t.passed,
                "failed": t.failed,
                "unreadable": t.unreadable,
                "warnings": t.warnings,
                "gaveUp": totals.given_up,
                "unreadBytes": totals.unread_bytes,
            }})
        ),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
