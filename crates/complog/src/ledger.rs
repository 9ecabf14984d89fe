//! `complog ledger …`: the tamper-evident ledger (crate `lokryn-ledger`).
//!
//! Exit codes: 0 on success, 1 when the ledger or a proof does not check (or
//! an entry is refused), 2 on usage errors and files that cannot be opened.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use lokryn_compliance_log::json::{self, JsonOptions};
use lokryn_compliance_log::redact::RedactOptions;
use lokryn_compliance_log::stream::{DelimitedReader, Format, JsonLinesReader};
use lokryn_compliance_log::{EventType, LogEntry, Outcome};
use lokryn_ledger::proof::{self, Proof};
use lokryn_ledger::store::{self, AppendOptions, Filter, Reader, Writer};
use serde_json::json;

#[derive(Debug, Args)]
pub(crate) struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Make an Ed25519 key pair: prints the private key line, then the public key line.
    ///
    /// The lines are C2SP signed-note keys (`PRIVATE+KEY+<name>+<id>+<key>`
    /// and `<name>+<id>+<key>`), readable by Go's golang.org/x/mod/sumdb/note.
    /// The name becomes the ledger's origin: use a URL-like name such as
    /// `example.com/audit`.
    Keygen(KeygenArgs),
    /// Create a ledger in a new (or empty) directory.
    Init(InitArgs),
    /// Append entries; once durable, prints one JSON line per input with the
    /// first and last index given and the tree size.
    ///
    /// Inputs are JSON, JSON Lines or length-delimited binary, gzip-compressed
    /// or not, or `-` for standard input. Every entry must pass the ledger's
    /// profiles unless --allow-invalid is given; when one is refused nothing
    /// after the last commit is kept. All inputs share one commit (one round
    /// of fsync), unless more than --commit-bytes are pending.
    Append(AppendArgs),
    /// Print the latest signed checkpoint (a C2SP signed note).
    Checkpoint(CheckpointArgs),
    /// Check the whole ledger: every entry against its stored hash, the tree
    /// against every kept checkpoint and its signature, and consistency
    /// between consecutive checkpoints.
    ///
    /// Prints a JSON report. Exit 0 when intact; 1 naming the first problem
    /// (entry index and byte offset when it is an entry); 2 on usage errors.
    Verify(VerifyArgs),
    /// Print an inclusion proof (--index) or a consistency proof (--from) as JSON.
    Prove(ProveArgs),
    /// Check a proof offline with the signed checkpoint(s) and the public key.
    ///
    /// An inclusion proof needs one checkpoint of its size; a consistency
    /// proof two (of its two sizes). The entry file, when given, is the
    /// entry as JSON or as its stored protobuf bytes; its hash must be the
    /// proof's leaf.
    CheckProof(CheckProofArgs),
    /// Print entries in index order, filtered, as JSON Lines, JSON or binary.
    Read(ReadArgs),
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// The key (and log) name, e.g. example.com/audit.
    name: String,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// The directory to create.
    dir: PathBuf,
    /// The private key file (from `complog ledger keygen`). The ledger records
    /// its path; it is not copied into the directory.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Profiles entries must pass (baseline always applies): soc2, hipaa, pci.
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
}

#[derive(Debug, Args)]
struct AppendArgs {
    /// The ledger directory.
    dir: PathBuf,
    /// Files of entries, or `-` for standard input.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Store entries that fail the ledger's profiles instead of refusing them.
    #[arg(long)]
    allow_invalid: bool,
    /// Redact card numbers, SSNs, contact details and secrets before storing.
    #[arg(long)]
    redact: bool,
    /// Read inputs as this format instead of deciding by extension or content.
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<crate::InputFormat>,
    /// Commit when this many bytes of entries are pending.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    commit_bytes: usize,
}

#[derive(Debug, Args)]
struct CheckpointArgs {
    /// The ledger directory.
    dir: PathBuf,
    /// Print {"origin", "size", "root", "note"} as JSON instead of the note.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The ledger directory.
    dir: PathBuf,
    /// The public key to check signatures with (default: the ledger's own,
    /// from ledger.json; an auditor should pass the key they trust).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["index", "from"]))]
struct ProveArgs {
    /// The ledger directory.
    dir: PathBuf,
    /// Prove that entry N is in the tree.
    #[arg(long, value_name = "N")]
    index: Option<u64>,
    /// The tree size of the proof (default: the latest checkpoint's).
    #[arg(long, value_name = "M")]
    size: Option<u64>,
    /// Prove that the tree of this size is a prefix of the latest (or --size).
    #[arg(long, value_name = "SIZE", conflicts_with = "index")]
    from: Option<u64>,
}

#[derive(Debug, Args)]
struct CheckProofArgs {
    /// The proof (JSON, from `complog ledger prove`).
    #[arg(long, value_name = "FILE")]
    proof: PathBuf,
    /// The signed checkpoint (twice for a consistency proof).
    #[arg(long, value_name = "FILE", required = true)]
    checkpoint: Vec<PathBuf>,
    /// The public key file.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The entry (JSON, or its stored protobuf bytes).
    entry: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutFormat {
    Jsonl,
    Json,
    Binary,
}

#[derive(Debug, Args)]
struct ReadArgs {
    /// The ledger directory.
    dir: PathBuf,
    /// Entries at or after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Entries before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Entries of this actorId.
    #[arg(long)]
    actor: Option<String>,
    /// Entries of this event type (EVENT_LOGIN or login).
    #[arg(long)]
    event_type: Option<String>,
    /// Entries with this outcome (OUTCOME_SUCCESS or success).
    #[arg(long)]
    outcome: Option<String>,
    /// Entries of this component.
    #[arg(long)]
    component: Option<String>,
    /// Entries about this resource.
    #[arg(long)]
    resource: Option<String>,
    /// Output format; binary is length-delimited, the stored bytes.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: OutFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// A ledger error: printed as JSON on stdout, exit 1.
fn failure(err: &lokryn_ledger::Error) -> ExitCode {
    let loc = err.location.unwrap_or(lokryn_ledger::Location {
        index: None,
        offset: None,
    });
    let v = json!({"ok": false, "code": err.code, "message": err.message, "index": loc.index, "offset": loc.offset});
    let _ = writeln!(io::stdout(), "{v}");
    eprintln!("complog: {}: {}", err.code, err.message);
    ExitCode::from(1)
}

/// `value` with `"ok": true` added.
fn with_ok(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("ok".into(), json!(true));
    }
    value
}

/// Errors that are about the invocation rather than the ledger's content.
fn is_usage(err: &lokryn_ledger::Error) -> bool {
    matches!(
        err.code,
        "USAGE"
            | "NOT_A_LEDGER"
            | "BAD_CONFIG"
            | "EXISTS"
            | "IO"
            | "BAD_KEY"
            | "LOCKED"
            | "RANGE"
            | "NOT_FOUND"
    )
}

fn ledger_result<T>(
    r: lokryn_ledger::Result<T>,
) -> Result<std::result::Result<T, lokryn_ledger::Error>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(e) if is_usage(&e) => bail!("{}: {}", e.code, e.message),
        Err(e) => Ok(Err(e)),
    }
}

pub(crate) fn run(args: &LedgerArgs) -> Result<ExitCode> {
    match &args.command {
        LedgerCommand::Keygen(a) => {
            let signer = ledger_result(store::generate_key(&a.name))?;
            let signer = match signer {
                Ok(s) => s,
                Err(e) => bail!("{e}"),
            };
            writeln!(io::stdout(), "{}", signer.to_text())?;
            writeln!(io::stdout(), "{}", signer.verifier().to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Init(a) => {
            let config = match ledger_result(store::init(&a.dir, &a.key, &a.profiles))? {
                Ok(c) => c,
                Err(e) => bail!("{e}"),
            };
            writeln!(
                io::stdout(),
                "{}",
                json!({"dir": a.dir, "origin": config.origin, "public_key": config.public_key, "profiles": config.profiles, "size": 0})
            )?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Append(a) => append(a),
        LedgerCommand::Checkpoint(a) => {
            let text = match ledger_result(store::latest_checkpoint(&a.dir))? {
                Ok(t) => t,
                Err(e) => return Ok(failure(&e)),
            };
            if a.json {
                let cp = lokryn_ledger::note::parse(&text)
                    .map_err(anyhow::Error::from)
                    .and_then(|n| Ok(lokryn_ledger::Checkpoint::parse(&n.text)?))?;
                use base64::Engine as _;
                writeln!(
                    io::stdout(),
                    "{}",
                    json!({"origin": cp.origin, "size": cp.size, "root": base64::engine::general_purpose::STANDARD.encode(cp.root), "note": text})
                )?;
            } else {
                write!(io::stdout(), "{text}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Verify(a) => {
            let key = match &a.key {
                Some(path) => match ledger_result(store::load_verifier(path))? {
                    Ok(k) => Some(k),
                    Err(e) => bail!("{e}"),
                },
                None => None,
            };
            match ledger_result(store::verify(&a.dir, key.as_ref()))? {
                Ok(report) => {
                    writeln!(io::stdout(), "{}", with_ok(serde_json::to_value(&report)?))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Ok(failure(&e)),
            }
        }
        LedgerCommand::Prove(a) => {
            let proof = match (a.index, a.from) {
                (Some(i), _) => {
                    ledger_result(store::prove_inclusion(&a.dir, i, a.size))?.map(Proof::Inclusion)
                }
                (None, Some(from)) => {
                    ledger_result(store::prove_consistency(&a.dir, from, a.size))?
                        .map(Proof::Consistency)
                }
                (None, None) => bail!("give --index or --from"),
            };
            match proof {
                Ok(p) => {
                    writeln!(io::stdout(), "{}", p.to_json())?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) if e.code == "BAD_PROOF" => bail!("{}", e.message),
                Err(e) => Ok(failure(&e)),
            }
        }
        LedgerCommand::CheckProof(a) => check_proof(a),
        LedgerCommand::Read(a) => read(a),
    }
}

fn check_proof(a: &CheckProofArgs) -> Result<ExitCode> {
    let proof_text = std::fs::read_to_string(&a.proof)
        .with_context(|| format!("cannot read {}", a.proof.display()))?;
    let mut cps = Vec::new();
    for p in &a.checkpoint {
        cps.push(
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        );
    }
    let key = match ledger_result(store::load_verifier(&a.key))? {
        Ok(k) => k.to_text(),
        Err(e) => bail!("{e}"),
    };
    let entry = match &a.entry {
        Some(path) => Some(entry_bytes(path)?),
        None => None,
    };
    let refs: Vec<&str> = cps.iter().map(String::as_str).collect();
    match proof::check_json(&proof_text, &refs, &key, entry.as_deref()) {
        Ok(checked) => {
            writeln!(io::stdout(), "{}", with_ok(serde_json::to_value(&checked)?))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.code == "USAGE" => bail!("{}", e.message),
        Err(e) => Ok(failure(&e)),
    }
}

/// The stored bytes of an entry file: JSON is parsed and encoded (the
/// ledger stores the core's deterministic encoding); anything else is taken
/// as the bytes themselves.
fn entry_bytes(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let trimmed = raw.iter().position(|b| !b.is_ascii_whitespace());
    if trimmed.and_then(|i| raw.get(i)) == Some(&b'{') {
        let text = std::str::from_utf8(&raw).context("the entry file is not UTF-8")?;
        let entry = json::from_json(text.trim()).with_context(|| format!("{}", path.display()))?;
        return Ok(lokryn_compliance_log::codec::encode(&entry));
    }
    Ok(raw)
}

/// Opens an input, decompressing gzip or zstd (told by the magic bytes),
/// with the format its name implies (`day.jsonl.gz` is JSON Lines).
fn open_input(path: &Path) -> Result<(Box<dyn BufRead>, Option<Format>)> {
    let (raw, format): (Box<dyn Read + Send>, Option<Format>) = if path.as_os_str() == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        (Box::new(f), crate::input::format_of_path(path))
    };
    let (_, reader) =
        lokryn_compliance_log::compress::decompress(BufReader::with_capacity(256 * 1024, raw))?;
    Ok((reader, format))
}

/// Calls `visit` with every entry of `input`; stops at the first error.
fn each_entry(
    input: &Path,
    forced: Option<Format>,
    visit: &mut dyn FnMut(u64, &LogEntry) -> Result<()>,
) -> Result<()> {
    let label = input.display().to_string();
    let (mut reader, by_name) = open_input(input)?;
    let head = reader.fill_buf()?;
    if head.is_empty() {
        bail!("{label}: the input is empty: no entries");
    }
    let format = forced.or(by_name).unwrap_or_else(|| Format::sniff(head));
    match format {
        Format::Json => {
            let mut text = String::new();
            reader
                .read_to_string(&mut text)
                .with_context(|| format!("{label}: not UTF-8"))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{label}: not JSON"))?;
            let items = match value {
                serde_json::Value::Array(a) => a,
                v => vec![v],
            };
            for (i, v) in items.into_iter().enumerate() {
                let e = json::from_json_value(v, &JsonOptions::default())
                    .with_context(|| format!("{label}: entry {i}"))?;
                visit(i as u64, &e)?;
            }
        }
        Format::JsonLines => {
            let mut lines = JsonLinesReader::new(reader);
            while let Some(r) = lines.next_positioned() {
                let (at, e) = r.with_context(|| label.clone())?;
                visit(at.index, &e).with_context(|| format!("{label}: line {}", at.line))?;
            }
        }
        _ => {
            for (i, r) in (0u64..).zip(DelimitedReader::new(reader)) {
                let e = r.with_context(|| format!("{label}: entry {i}"))?;
                visit(i, &e)?;
            }
        }
    }
    Ok(())
}

fn append(a: &AppendArgs) -> Result<ExitCode> {
    let options = AppendOptions {
        allow_invalid: a.allow_invalid,
        redact: a.redact.then(RedactOptions::default),
    };
    let mut writer = match ledger_result(Writer::open(&a.dir, options))? {
        Ok(w) => w,
        Err(e) => return Ok(failure(&e)),
    };
    let forced = a.input_format.map(crate::InputFormat::format);
    // Inputs whose entries are all staged, waiting for the commit that makes them durable.
    let mut waiting: Vec<(String, Option<(u64, u64)>)> = Vec::new();
    let mut pending_bytes = 0usize;
    let stdout = io::stdout();
    let flush = |writer: &mut Writer,
                 waiting: &mut Vec<(String, Option<(u64, u64)>)>|
     -> Result<std::result::Result<(), lokryn_ledger::Error>> {
        let size = match writer.commit() {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let mut out = stdout.lock();
        for (input, range) in waiting.drain(..) {
            let v = match range {
                Some((first, last)) => {
                    json!({"input": input, "first": first, "last": last, "count": last - first + 1, "size": size})
                }
                None => {
                    json!({"input": input, "first": null, "last": null, "count": 0, "size": size})
                }
            };
            writeln!(out, "{v}")?;
        }
        Ok(Ok(()))
    };
    for input in &a.inputs {
        let label = if input.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            input.display().to_string()
        };
        let mut range: Option<(u64, u64)> = None;
        let mut refused: Option<lokryn_ledger::Error> = None;
        let result = each_entry(input, forced, &mut |i, entry| match writer.add(entry) {
            Ok(index) => {
                range = Some((range.map_or(index, |r| r.0), index));
                pending_bytes += entry.message.len() + entry.payload.len() + 64;
                Ok(())
            }
            Err(mut e) => {
                e.message = format!("{label}: entry {i}: {}", e.message);
                e.location = None;
                refused = Some(e.clone());
                bail!("{e}")
            }
        });
        if let Some(e) = refused {
            let _ = writer.discard_pending();
            return Ok(failure(&e));
        }
        if let Err(e) = result {
            let _ = writer.discard_pending();
            return Err(e);
        }
        waiting.push((label, range));
        if pending_bytes >= a.commit_bytes {
            if let Err(e) = flush(&mut writer, &mut waiting)? {
                return Ok(failure(&e));
            }
            pending_bytes = 0;
        }
    }
    if let Err(e) = flush(&mut writer, &mut waiting)? {
        return Ok(failure(&e));
    }
    // Sign the checkpoint that covers everything appended before exiting,
    // so that `checkpoint`, `read` and `prove` see it at once.
    if let Err(e) = writer.publish() {
        return Ok(failure(&e));
    }
    Ok(ExitCode::SUCCESS)
}

/// A timestamp from RFC 3339 text, parsed by the core's JSON reader.
pub(crate) fn parse_time(text: &str) -> Result<(i64, i32)> {
    let doc = json!({"time": text}).to_string();
    let e = json::from_json(&doc).with_context(|| format!("{text:?} is not an RFC 3339 time"))?;
    let t = e.time.context("no time")?;
    Ok((t.seconds, t.nanos))
}

fn enum_value(text: &str, prefix: &str, parse: fn(&str) -> Option<i32>) -> Result<i32> {
    let upper = text.to_ascii_uppercase().replace('-', "_");
    parse(&upper)
        .or_else(|| parse(&format!("{prefix}{upper}")))
        .with_context(|| format!("{text:?} is not a {prefix}… value"))
}

fn read(a: &ReadArgs) -> Result<ExitCode> {
    let filter = Filter {
        since: a.since.as_deref().map(parse_time).transpose()?,
        until: a.until.as_deref().map(parse_time).transpose()?,
        actor: a.actor.clone(),
        event_type: a
            .event_type
            .as_deref()
            .map(|t| {
                enum_value(t, "EVENT_", |s| {
                    EventType::from_str_name(s).map(|e| e as i32)
                })
            })
            .transpose()?,
        outcome: a
            .outcome
            .as_deref()
            .map(|t| {
                enum_value(t, "OUTCOME_", |s| {
                    Outcome::from_str_name(s).map(|e| e as i32)
                })
            })
            .transpose()?,
        component: a.component.clone(),
        resource: a.resource.clone(),
    };
    let mut reader = match ledger_result(Reader::open(&a.dir))? {
        Ok(r) => r,
        Err(e) => return Ok(failure(&e)),
    };
    let mut out = crate::output::open(a.output.as_deref(), a.format == OutFormat::Binary)?;
    let mut first = true;
    let mut line = String::new();
    if a.format == OutFormat::Json {
        out.write_all(b"[")?;
    }
    let mut io_err: Option<io::Error> = None;
    let result = filter.scan(&mut reader, &mut |raw, entry| {
        let r = (|| -> io::Result<()> {
            match a.format {
                OutFormat::Binary => {
                    let mut len = Vec::with_capacity(5);
                    prost_varint(raw.bytes.len() as u64, &mut len);
                    out.write_all(&len)?;
                    out.write_all(&raw.bytes)
                }
                OutFormat::Jsonl | OutFormat::Json => {
                    line.clear();
                    json::to_json_into(entry, &mut line).map_err(io::Error::other)?;
                    if a.format == OutFormat::Json && !first {
                        out.write_all(b",")?;
                    }
                    out.write_all(line.as_bytes())?;
                    if a.format == OutFormat::Jsonl {
                        out.write_all(b"\n")?;
                    }
                    Ok(())
                }
            }
        })();
        first = false;
        match r {
            Ok(()) => Ok(true),
            Err(e) => {
                io_err = Some(e);
                Ok(false)
            }
        }
    });
    if let Some(e) = io_err {
        return Err(e.into());
    }
    if let Err(e) = result {
        return Ok(failure(&e));
    }
    if a.format == OutFormat::Json {
        out.write_all(b"]\n")?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn prost_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        #[allow(clippy::cast_possible_truncation)]
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    #[allow(clippy::cast_possible_truncation)]
    out.push(v as u8);
}
