//! `--jobs`: the commands that read entries print the same bytes, on
//! standard output and on standard error, and exit with the same code,
//! whether one thread or several decode and handle the entries. The inputs
//! are large enough to be split into many batches, and hold every kind of
//! record: good entries, entries that fail, lines that are JSON but not
//! entries, lines that are not JSON, frames that do not decode, entries
//! with fields this schema does not know, and inputs that are given up.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use lokryn_compliance_log::json;
use lokryn_compliance_log::stream::DelimitedWriter;

/// Every example entry as one compact JSON line (those that are JSON).
fn example_lines() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["examples/good", "examples/bad", "examples/bad/pci"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(common::root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        files.extend(names);
    }
    let mut lines = Vec::new();
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) => continue,
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => lines.push(v.to_string()),
                Err(_) => lines.push(text.replace('\n', " ")),
            },
            Some("jsonl") => lines.extend(text.lines().map(str::to_owned)),
            _ => {}
        }
    }
    assert!(lines.len() > 20, "{}", lines.len());
    lines
}

/// A JSON Lines file of `n` lines cycling through the examples, with blank
/// lines, a CRLF line, JSON that is not an entry, text that is not JSON,
/// a spelling only the reference reader takes, `null`s and an entry that
/// fails half-way through mixed in (never 20 in a row, so reading goes to
/// the end).
fn mixed_lines(n: usize) -> String {
    let examples = example_lines();
    let mut out = String::new();
    for i in 0..n {
        match i % 97 {
            13 => out.push('\n'),
            29 => out.push_str("[1, 2, 3]\n"),
            41 => out.push_str("this is not JSON\n"),
            67 => out.push_str("{\"actorId\":\"a\",\"durationMs\":1e3}\n"),
            79 => {
                out.push_str("{\"actorId\":null,\"genai\":{\"temperature\":null},\"host\":null}\n");
            }
            89 => out.push_str("{\"actorId\":\"b\",\"host\":\"h\",\"nope\":1}\n"),
            53 => {
                out.push_str(&examples[i % examples.len()]);
                out.push_str("\r\n");
            }
            _ => {
                out.push_str(&examples[i % examples.len()]);
                out.push('\n');
            }
        }
    }
    out
}

/// Encoded entries for binary inputs: the examples that are entries.
fn example_entries() -> Vec<Vec<u8>> {
    example_lines()
        .iter()
        .filter_map(|line| json::from_json(line).ok())
        .map(|entry| prost::Message::encode_to_vec(&entry))
        .collect()
}

/// A length-delimited file of `n` entries, some with a field this schema
/// does not know (field 999) and some frames that do not decode; when
/// `broken`, a length prefix that cannot be trusted two thirds of the way
/// through, then more bytes.
fn binary(n: usize, broken: bool) -> Vec<u8> {
    let entries = example_entries();
    let mut w = DelimitedWriter::new(Vec::new());
    for i in 0..n {
        if broken && i == n * 2 / 3 {
            let mut bytes = w.into_inner();
            // A varint that claims more than any limit allows.
            bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
            bytes.extend(std::iter::repeat_n(b'x', 5000));
            return bytes;
        }
        let mut bytes = entries[i % entries.len()].clone();
        match i % 61 {
            7 => bytes.extend_from_slice(&[0xb8, 0x3e, 0x01]), // field 999 = 1
            19 => bytes = vec![0xff, 0xff, 0xff],
            _ => {}
        }
        w.write_encoded(&bytes).unwrap();
    }
    w.into_inner()
}

/// The inputs, written once into a scratch directory.
struct Inputs {
    dir: PathBuf,
}

impl Inputs {
    fn new(name: &str) -> Self {
        let dir = common::scratch(name);
        std::fs::write(dir.join("mixed.jsonl"), mixed_lines(4000)).unwrap();
        // Given up after 3000 entries: 25 lines of not-JSON, then more.
        let mut gives_up = mixed_lines(3000);
        for _ in 0..25 {
            gives_up.push_str("\u{1}\u{2} binary noise\n");
        }
        gives_up.push_str(&mixed_lines(2000));
        std::fs::write(dir.join("gives-up.jsonl"), gives_up).unwrap();
        std::fs::write(dir.join("mixed.binpb"), binary(3000, false)).unwrap();
        std::fs::write(dir.join("broken.binpb"), binary(4000, true)).unwrap();
        std::fs::write(dir.join("small.jsonl"), mixed_lines(30)).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Inputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `args` with `--jobs 1`, `--jobs 2` (the calling thread and one
/// more) and `--jobs 4` and checks that all give the same bytes and exit
/// code; returns the output of `--jobs 1`.
fn same(args: &[&str]) -> std::process::Output {
    let one = common::complog(&[args, &["--jobs", "1"]].concat(), b"");
    for jobs in ["2", "4"] {
        let many = common::complog(&[args, &["--jobs", jobs]].concat(), b"");
        assert_eq!(
            one.status.code(),
            many.status.code(),
            "exit code of {args:?} with --jobs {jobs}"
        );
        assert!(
            one.stdout == many.stdout,
            "standard output of {args:?} differs between --jobs 1 and --jobs {jobs}"
        );
        assert_eq!(
            String::from_utf8_lossy(&one.stderr),
            String::from_utf8_lossy(&many.stderr),
            "standard error of {args:?} with --jobs {jobs}"
        );
    }
    one
}

#[test]
fn validate_is_the_same_on_every_number_of_threads() {
    let inputs = Inputs::new("validate");
    for file in [
        "mixed.jsonl",
        "gives-up.jsonl",
        "mixed.binpb",
        "broken.binpb",
    ] {
        let path = inputs.path(file);
        for extra in [
            &[][..],
            &["--format", "json"],
            &["--quiet"],
            &["--profile", "soc2,pci", "--format", "json"],
        ] {
            let out = same(&[&["validate", path.as_str()], extra].concat());
            assert_eq!(out.status.code(), Some(1), "{file} {extra:?}");
        }
    }
    // Several sources at once, one of them missing and one a directory.
    let out = same(&[
        "validate",
        "--format",
        "json",
        &inputs.path("gives-up.jsonl"),
        &inputs.path("no-such-file.jsonl"),
        &inputs.path("broken.binpb"),
        "examples/",
        &inputs.path("small.jsonl"),
        &inputs.path("mixed.binpb"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let (_, summary) = common::verdicts(&out);
    // gives-up.jsonl, broken.binpb and examples/bad/truncated.binpb.
    assert_eq!(summary["gaveUp"], 3, "{summary}");
    assert!(summary["unreadBytes"].as_u64().unwrap() > 5000, "{summary}");
}

/// Each thread reads its entries over one entry of its own: an entry that
/// sets few fields, read after one that sets them all, is judged as it is
/// alone, not with fields left over from the entry before.
#[test]
fn entries_read_one_over_another_are_judged_as_read_alone() {
    let dir = common::scratch("read-over");
    let full =
        std::fs::read_to_string(common::root().join("tests/vectors/wire/all-fields.json")).unwrap();
    let full = serde_json::from_str::<serde_json::Value>(&full)
        .unwrap()
        .to_string();
    let sparse = r#"{"actorId":"x","policyTags":[],"genai":{"toolName":"t"}}"#;
    let mut text = String::new();
    for _ in 0..1500 {
        text.push_str(&full);
        text.push('\n');
        text.push_str(sparse);
        text.push('\n');
    }
    std::fs::write(dir.join("both.jsonl"), text).unwrap();
    std::fs::write(dir.join("sparse.jsonl"), format!("{sparse}\n")).unwrap();
    std::fs::write(dir.join("full.jsonl"), format!("{full}\n")).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let alone = |name: &str| {
        let out = common::complog(&["validate", "--format", "json", &path(name)], b"");
        let (mut verdicts, _) = common::verdicts(&out);
        let mut verdict = verdicts.pop().unwrap();
        verdict
            .as_object_mut()
            .unwrap()
            .retain(|k, _| k != "source" && k != "line" && k != "offset");
        verdict
    };
    let (full_alone, sparse_alone) = (alone("full.jsonl"), alone("sparse.jsonl"));
    assert_ne!(
        full_alone["valid"], sparse_alone["valid"],
        "{full_alone} {sparse_alone}"
    );
    let out = same(&["validate", "--format", "json", &path("both.jsonl")]);
    let (verdicts, _) = common::verdicts(&out);
    assert_eq!(verdicts.len(), 3000);
    for (i, verdict) in verdicts.iter().enumerate() {
        let mut verdict = verdict.clone();
        verdict
            .as_object_mut()
            .unwrap()
            .retain(|k, _| k != "source" && k != "line" && k != "offset");
        verdict["index"] = 0.into();
        let want = if i % 2 == 0 {
            &full_alone
        } else {
            &sparse_alone
        };
        assert_eq!(&verdict, want, "entry {i}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reading_gives_up_at_the_same_place_with_threads() {
    let inputs = Inputs::new("gives-up");
    let out = same(&[
        "validate",
        "--format",
        "json",
        &inputs.path("gives-up.jsonl"),
    ]);
    let (verdicts, summary) = common::verdicts(&out);
    let last = verdicts.last().unwrap();
    assert_eq!(last["error"]["code"], "GAVE_UP", "{last}");
    // The rest of the file (2,000 lines) is counted as unread, though the
    // threads had framed some of it already.
    let size = std::fs::metadata(inputs.path("gives-up.jsonl"))
        .unwrap()
        .len();
    let unread = summary["unreadBytes"].as_u64().unwrap();
    let offset = last["offset"].as_u64().unwrap();
    assert_eq!(offset + unread, size, "{last} {summary}");
    let broken = same(&["validate", "--format", "json", &inputs.path("broken.binpb")]);
    let (verdicts, summary) = common::verdicts(&broken);
    let last = verdicts.last().unwrap();
    assert_eq!(last["error"]["code"], "GAVE_UP", "{last}");
    assert_eq!(summary["unreadBytes"], 5000, "{summary}");
}

#[test]
fn convert_and_redact_are_the_same_on_every_number_of_threads() {
    let inputs = Inputs::new("convert");
    let all = [
        inputs.path("mixed.jsonl"),
        inputs.path("mixed.binpb"),
        inputs.path("small.jsonl"),
    ];
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    for to in ["jsonl", "binary", "json"] {
        let out = same(&[&["convert", "--to", to], &all[..]].concat());
        assert_eq!(
            out.status.code(),
            if to == "json" { Some(2) } else { Some(1) }
        );
        for file in ["gives-up.jsonl", "broken.binpb"] {
            let path = inputs.path(file);
            same(&["convert", "--to", to, &path]);
            same(&["redact", "--to", to, &path]);
        }
        let out = same(&[&["redact", "--to", to], &all[..]].concat());
        assert_eq!(out.status.code(), Some(1));
    }
    let key = ["--key-env", "PATH"];
    same(&[&["redact", "--to", "jsonl"], &key[..], &all[..]].concat());
    // An entry over the limit is skipped when written.
    same(
        &[
            &["convert", "--to", "binary", "--max-entry-bytes", "600"],
            &all[..],
        ]
        .concat(),
    );
}

#[test]
fn export_is_the_same_on_every_number_of_threads() {
    let inputs = Inputs::new("export");
    let (lines, binary) = (inputs.path("gives-up.jsonl"), inputs.path("broken.binpb"));
    for to in ["ocsf", "ecs"] {
        let out = same(&[
            "export",
            "--to",
            to,
            "--observed-time-ns",
            "1",
            &lines,
            &binary,
        ]);
        assert_eq!(out.status.code(), Some(1));
    }
}

/// `complog export --to parquet`: every thread builds the rows of the
/// batches it reads and the columns are encoded on as many threads, yet the
/// file is the same, byte for byte, whatever `--jobs` says; it holds one row
/// per exported entry (none past the point where reading gave up, though
/// the threads had built rows beyond it), the same rows as the readable
/// entries converted first and exported from binary.
#[cfg(feature = "parquet")]
#[test]
fn parquet_export_is_the_same_on_every_number_of_threads() {
    let inputs = Inputs::new("export-parquet");
    let all = [
        inputs.path("gives-up.jsonl"),
        inputs.path("broken.binpb"),
        "examples/".to_owned(),
        inputs.path("mixed.binpb"),
        inputs.path("small.jsonl"),
    ];
    let export = |sources: &[String], jobs: &str| {
        let out_path = inputs.path(&format!("out-{jobs}.parquet"));
        let args: Vec<&str> = ["export", "--to", "parquet", "-o", &out_path, "--jobs", jobs]
            .into_iter()
            .chain(sources.iter().map(String::as_str))
            .collect();
        let out = common::complog(&args, b"");
        let file = std::fs::read(&out_path).unwrap();
        (out, file)
    };
    let rows = |file: &[u8]| {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let reader = SerializedFileReader::new(bytes_of(file)).unwrap();
        reader.metadata().file_metadata().num_rows()
    };
    for sources in [&all[..], &all[..1], &all[1..2], &all[3..4]] {
        let (one, file) = export(sources, "1");
        for jobs in ["2", "4"] {
            let (many, many_file) = export(sources, jobs);
            assert_eq!(one.status.code(), many.status.code(), "{sources:?} {jobs}");
            assert_eq!(
                String::from_utf8_lossy(&one.stderr),
                String::from_utf8_lossy(&many.stderr),
                "{sources:?} {jobs}"
            );
            assert!(
                file == many_file,
                "{sources:?}: --jobs {jobs} wrote another file"
            );
        }
        let stderr = String::from_utf8_lossy(&one.stderr);
        let exported: i64 = stderr
            .split("exported ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stderr}"));
        assert!(exported > 1000 || sources.len() == 1, "{stderr}");
        assert_eq!(rows(&file), exported, "{sources:?}: {stderr}");
    }
    // The entries read before reading gave up, converted first: the same
    // file from their binary encoding.
    let converted = inputs.path("gives-up.binpb");
    let out = common::complog(
        &[
            "convert",
            "--to",
            "binary",
            "-o",
            &converted,
            &inputs.path("gives-up.jsonl"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let (_, from_lines) = export(&all[..1], "2");
    let (_, from_binary) = export(&[converted], "2");
    assert!(from_lines == from_binary);
}

/// A file's bytes as the `parquet` crate's readers take them.
#[cfg(feature = "parquet")]
fn bytes_of(file: &[u8]) -> std::fs::File {
    let mut f = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut f, file).unwrap();
    f
}

#[test]
fn jobs_must_be_a_positive_number() {
    let out = common::complog(&["validate", "--jobs", "0", "examples/"], b"");
    assert_eq!(out.status.code(), Some(2));
}
