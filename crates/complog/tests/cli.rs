//! End-to-end tests of the `complog` binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// The random generator truncates on purpose.
#![allow(clippy::cast_possible_truncation)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lokryn_compliance_log::stream::{DelimitedReader, DelimitedWriter};
use lokryn_compliance_log::{EventType, LogEntry, codec};

fn complog() -> Command {
    Command::new(env!("CARGO_BIN_EXE_complog"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    complog().current_dir(root()).args(args).output().unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    common::complog(args, input)
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A scratch file of this test binary, under the target directory (cargo's
/// `CARGO_TARGET_TMPDIR`): overwritten by the next run, never left in /tmp.
fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("complog-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Validates `examples/` under `profiles` and checks every verdict: good
/// examples pass, bad ones fail, except that `examples/bad/pci/` breaks only
/// PCI DSS rules and so passes without the `pci` profile.
fn examples_verdicts(profiles: &[&str]) -> (usize, usize) {
    let mut args = vec!["validate", "--format", "json"];
    for p in profiles {
        args.extend(["--profile", p]);
    }
    args.push("examples/");
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pci = profiles.contains(&"pci");
    let lines = json_lines(&out);
    let (summary, entries) = lines.split_last().unwrap();
    let mut good = 0;
    let mut bad = 0;
    for e in entries {
        let source = e["source"].as_str().unwrap();
        let valid = e["valid"].as_bool().unwrap();
        let should_pass = source.starts_with("examples/good/")
            || (source.starts_with("examples/bad/pci/") && !pci);
        assert!(source.starts_with("examples/"), "{source}");
        assert_eq!(valid, should_pass, "wrong verdict under {profiles:?}: {e}");
        if should_pass {
            good += 1;
        } else {
            bad += 1;
        }
    }
    assert_eq!(summary["summary"]["entries"], good + bad);
    assert_eq!(summary["summary"]["passed"], good);
    (good, bad)
}

#[test]
fn examples_get_the_right_verdict_every_one() {
    let (good, bad) = examples_verdicts(&[]);
    assert!(good >= 21 && bad >= 9, "good {good}, bad {bad}");
}

#[test]
fn pci_flags_exactly_the_bad_examples() {
    let (good, bad) = examples_verdicts(&["pci"]);
    assert!(good >= 15 && bad >= 15, "good {good}, bad {bad}");
    // Good examples meet every profile.
    examples_verdicts(&["soc2", "hipaa", "pci"]);
    let out = run(&["validate", "--profile", "pci", "examples/bad/pci"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "message  [sensitive.card_number]  a payment card number at bytes 12..31",
        "payload.card.number  [sensitive.card_number]",
        "errorMessage  [sensitive.api_key]",
        "(entry)  [pci.origination]",
        "actorType  [pci.privileged_actor_type]",
        "error    time  [required]",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Violations never echo the sensitive value.
    for secret in ["4111 1111 1111 1111", "5555555555554444", "sk_live_"] {
        assert!(!text.contains(secret), "{secret} echoed in\n{text}");
    }
    assert_eq!(
        run(&["validate", "--profile", "sox", "examples/good"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn redacted_examples_revalidate_clean_in_their_own_format() {
    for (file, format) in [
        ("examples/bad/pci/card-in-message.json", "json"),
        ("examples/bad/pci/card-in-payload.json", "json"),
        ("examples/bad/pci/secret-key-in-error.json", "json"),
    ] {
        let out = run(&["redact", "--quiet", file]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("{\n"), "{format}: {text}");
        assert!(
            !text.contains("4111 1111 1111 1111") && !text.contains("sk_live_"),
            "{text}"
        );
        let check = run_stdin(
            &[
                "validate",
                "--profile",
                "pci",
                "--input-format",
                format,
                "-",
            ],
            text.as_bytes(),
        );
        assert_eq!(
            check.status.code(),
            Some(0),
            "{file} after redaction:\n{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    // JSON Lines in, JSON Lines out; binary in, binary out.
    let jsonl = b"{\"actorId\":\"a\",\"message\":\"mail bob@example.com\"}\n{\"actorId\":\"b\"}\n";
    let out = run_stdin(
        &["redact", "--quiet", "--input-format", "jsonl", "-"],
        jsonl,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"actorId\":\"a\",\"message\":\"mail [REDACTED:email]\"}\n{\"actorId\":\"b\"}\n"
    );
    let bin = tmp("redact-in.binpb");
    let out = run(&[
        "convert",
        "--to",
        "binary",
        "-o",
        bin.to_str().unwrap(),
        "examples/bad/pci/card-in-message.json",
    ]);
    assert!(out.status.success());
    let out = run(&["redact", "--quiet", bin.to_str().unwrap()]);
    let entries: Vec<LogEntry> = DelimitedReader::new(out.stdout.as_slice())
        .map(Result::unwrap)
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].message,
        "Viewed card 4111 11** **** 1111 while verifying a refund"
    );
    // A keyed token, from a key file; and a summary on stderr.
    let key = tmp("redact.key");
    std::fs::write(&key, b"k3y\n").unwrap();
    let out = run_stdin(
        &[
            "redact",
            "--key-file",
            key.to_str().unwrap(),
            "--input-format",
            "jsonl",
            "-",
        ],
        jsonl,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mail [REDACTED:email:"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("redacted 1 email in 1 of 2 entries"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn good_examples_pass_and_exit_zero() {
    let out = run(&["validate", "examples/good"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PASS  examples/good/login.json"), "{text}");
    assert!(
        text.contains("examples/good/agent-session.jsonl:3"),
        "{text}"
    );
    assert!(
        text.contains("examples/good/mcp-session.binpb #6 (byte "),
        "{text}"
    );
    assert!(!text.contains("FAIL"), "{text}");
}

#[test]
fn bad_examples_name_entry_field_and_rule() {
    let out = run(&["validate", "examples/bad"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "FAIL  examples/bad/missing-actor.json\n      error    actorId  [required]",
        "(field `eventType`): unrecognized enum value 'EVENT_LOGN'",
        "(field `policyTags`): invalid type: string, expected a list",
        "(field `genai.inputTokens`)",
        "FAIL  examples/bad/agent-events.jsonl:2\n      error    eventType  [enum.defined_only]",
        "delegationChain[0].actorType  [enum.defined_only]",
        "FAIL  examples/bad/truncated.binpb #0 (byte 0)\n      unreadable  TRUNCATED",
        "FAIL  examples/bad/not-json.json\n      unreadable  JSON: invalid JSON at line 7",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // The wrongly-typed value is not echoed.
    assert!(!text.contains("SOX"), "{text}");
}

#[test]
fn exit_zero_and_usage_errors() {
    assert_eq!(
        run(&["validate", "--exit-zero", "examples/"]).status.code(),
        Some(0)
    );
    let out = run(&["validate", "examples/good/login.json", "no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no/such/file.json: no such file or directory")
    );
    // The existing input was still validated.
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS  examples/good/login.json"));
    assert_eq!(run(&["validate"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn empty_input_is_an_error() {
    let path = tmp("empty.jsonl");
    std::fs::write(&path, b"").unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("EMPTY: the input is empty"));
    let out = run_stdin(&["validate", "-"], b"");
    assert_eq!(out.status.code(), Some(1));
}

/// A deterministic generator of noise (xorshift64*).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn noise_fails_cleanly_in_bounded_output() {
    for (i, prefix) in [&b""[..], b"{", b"\x05"].iter().enumerate() {
        let mut data = prefix.to_vec();
        data.extend(noise(16 << 20, 0x9e37_79b9_7f4a_7c15 + i as u64));
        let path = tmp(&format!("noise-{i}.dat"));
        std::fs::write(&path, &data).unwrap();
        let out = run(&["validate", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = json_lines(&out);
        assert!(lines.len() <= 25, "{} lines of output", lines.len());
        let (summary, entries) = lines.split_last().unwrap();
        assert!(entries.iter().any(|e| !e["valid"].as_bool().unwrap()));
        assert!(summary["summary"]["unreadable"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn convert_round_trips_through_every_format() {
    let bin = tmp("session.binpb");
    let out = run(&[
        "convert",
        "--to",
        "binary",
        "examples/good/agent-session.jsonl",
        "-o",
        bin.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: Vec<LogEntry> = DelimitedReader::new(std::fs::read(&bin).unwrap().as_slice())
        .map(Result::unwrap)
        .collect();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0].event_type, EventType::EventModelInference as i32);

    let out = run(&["convert", "--to", "jsonl", bin.to_str().unwrap()]);
    assert!(out.status.success());
    let original =
        std::fs::read_to_string(root().join("examples/good/agent-session.jsonl")).unwrap();
    let back = String::from_utf8(out.stdout).unwrap();
    let values = |s: &str| {
        s.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&back), values(&original));

    let out = run(&["convert", "--to", "json", "examples/good/login.json"]);
    assert!(out.status.success());
    let pretty: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let login: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/good/login.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(pretty, login);

    let out = run(&[
        "convert",
        "--to",
        "json",
        "examples/good/agent-session.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exactly one entry, but the input holds 4")
    );
}

#[test]
fn convert_keeps_unknown_fields_in_binary_and_warns_when_json_drops_them() {
    let entry = LogEntry {
        actor_id: "a".into(),
        ..Default::default()
    };
    let mut bytes = codec::encode(&entry);
    // Field 99, varint 7: a field from some future schema version.
    bytes.extend([0x98, 0x06, 0x07]);
    let mut w = DelimitedWriter::new(Vec::new());
    w.write_encoded(&bytes).unwrap();
    let input = w.into_inner();

    let out = run_stdin(&["convert", "--to", "binary", "-"], &input);
    assert!(out.status.success());
    assert_eq!(
        out.stdout, input,
        "binary to binary must copy bytes exactly"
    );

    let out = run_stdin(&["convert", "--to", "jsonl", "-"], &input);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"actorId\":\"a\"}\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("field number 99 is not defined"));

    let out = run_stdin(&["validate", "-"], &input);
    assert!(String::from_utf8_lossy(&out.stdout).contains("[unknown_field]"));
}

#[test]
fn convert_skips_and_reports_bad_entries_but_writes_the_rest() {
    let input = b"{\"actorId\":\"a\"}\nnot json\n{\"actorId\":\"b\"}\n";
    let out = run_stdin(&["convert", "--to", "jsonl", "-"], input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"actorId\":\"a\"}\n{\"actorId\":\"b\"}\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>:2: skipped: JSON"), "{err}");
}

#[test]
fn schema_prints_the_proto_and_the_descriptor_set() {
    let out = run(&["schema"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("package lokryn.compliancelog.v1;"));
    assert!(text.contains("message LogEntry {"));
    let path = tmp("schema.binpb");
    let out = run(&["schema", "--descriptor-set", "-o", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(path).unwrap(),
        lokryn_compliance_log::DESCRIPTOR_SET
    );
}

#[test]
fn json_arrays_and_sniffed_stdin() {
    let path = tmp("array.json");
    std::fs::write(
        &path,
        br#"[{"eventType":"EVENT_LOGIN","outcome":"OUTCOME_SUCCESS","severity":"SEVERITY_INFO","actorId":"a","time":"2026-01-01T00:00:00Z"},
            {"eventType":"EVENT_LOGIN","actorId":"b"}]"#,
    )
    .unwrap();
    let out = run(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("PASS  ") && text.contains("array.json[0]"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  ") && text.contains("array.json[1]"),
        "{text}"
    );

    // Pretty-printed JSON on stdin is one document; one object per line is JSON Lines.
    let pretty = std::fs::read(root().join("examples/good/login.json")).unwrap();
    let out = run_stdin(&["validate", "-"], &pretty);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS  <stdin>\n"));
    let lines = std::fs::read(root().join("examples/good/agent-session.jsonl")).unwrap();
    let out = run_stdin(&["validate", "-"], &lines);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS  <stdin>:4\n"));
}

/// docs/rules.md says which kinds of sensitive data each profile reports;
/// validation must report exactly those (a record holding a card number, an
/// SSN, an email address and an AWS key).
#[test]
fn each_profile_reports_the_kinds_docs_rules_md_lists() {
    let docs = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    let entry = r#"{"eventType":"EVENT_LOGIN","outcome":"OUTCOME_SUCCESS","severity":"SEVERITY_INFO","actorId":"u1","time":"2026-01-01T00:00:00Z","message":"card 4111 1111 1111 1111, SSN 219-09-9999, mail jane.doe@example.com, key AKIAIOSFODNN7EXAMPLE"}"#;
    for profile in ["soc2", "hipaa", "pci"] {
        let line = docs
            .lines()
            .find(|l| l.starts_with(&format!("- `{profile}`: ")))
            .unwrap_or_else(|| panic!("docs/rules.md does not say what {profile} reports"));
        let out = run_stdin(
            &["validate", "--format", "json", "--profile", profile, "-"],
            entry.as_bytes(),
        );
        let verdict = &json_lines(&out)[0];
        let mut reported: Vec<String> = verdict["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["ruleId"].as_str()?.strip_prefix("sensitive."))
            .map(str::to_owned)
            .collect();
        reported.sort();
        reported.dedup();
        let mut documented: Vec<String> = ["card_number", "us_ssn", "email", "aws_access_key"]
            .iter()
            .filter(|k| line.contains(&format!("`{k}`")))
            .map(|k| (*k).to_owned())
            .collect();
        documented.sort();
        assert_eq!(reported, documented, "{profile}: {verdict}");
    }
}

/// What `convert` writes, `validate` with the same `--max-entry-bytes`
/// reads: an entry over the limit is skipped (reported, exit 1) rather than
/// written into a file its readers then refuse.
#[test]
fn convert_refuses_what_validate_would_refuse_and_a_raised_limit_reads_back() {
    let entry = LogEntry {
        event_type: EventType::EventLogin as i32,
        outcome: 1,
        severity: 1,
        actor_id: "alice".into(),
        message: "m".repeat(5 << 20),
        ..Default::default()
    };
    let input = tmp("big.json");
    std::fs::write(
        &input,
        lokryn_compliance_log::json::to_json(&entry).unwrap(),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let out_path = tmp("big.binpb");
    let output = out_path.to_str().unwrap();

    let out = run(&["convert", "--to", "binary", "-o", output, input]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped: TOO_LARGE"), "{stderr}");
    assert_eq!(std::fs::read(&out_path).unwrap(), b"", "nothing is written");
    let out = run(&[
        "convert",
        "--to",
        "jsonl",
        "--max-entry-bytes",
        "1000",
        input,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());

    let raised = "6000000";
    let out = run(&[
        "convert",
        "--to",
        "binary",
        "--max-entry-bytes",
        raised,
        "-o",
        output,
        input,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "validate",
        "--format",
        "json",
        "--max-entry-bytes",
        raised,
        output,
    ]);
    // Read back (it breaks a field rule: the entry was read and judged).
    let verdict = &json_lines(&out)[0];
    assert!(verdict["error"].is_null(), "{verdict}");
    assert_eq!(verdict["violations"][0]["ruleId"], "string.max_bytes");
    let out = run(&["validate", "--format", "json", output]);
    assert_eq!(json_lines(&out)[0]["error"]["code"], "TOO_LARGE");
}

/// A key given twice is a JSON error naming it, in a document, in an array
/// of entries (which is first parsed whole) and in JSON Lines.
#[test]
fn repeated_json_keys_are_unreadable_entries() {
    let twice = r#"{"eventType":"EVENT_LOGIN","outcome":"OUTCOME_SUCCESS","severity":"SEVERITY_INFO","actorId":"alice","actorId":"mallory","time":"2026-01-01T00:00:00Z"}"#;
    let good = r#"{"eventType":"EVENT_LOGIN","outcome":"OUTCOME_SUCCESS","severity":"SEVERITY_INFO","actorId":"alice","time":"2026-01-01T00:00:00Z"}"#;
    for (format, text) in [
        ("json", twice.to_owned()),
        ("json", format!("[{good},{twice}]")),
        ("jsonl", format!("{good}\n{twice}\n")),
    ] {
        let out = run_stdin(
            &[
                "validate",
                "--format",
                "json",
                "--input-format",
                format,
                "-",
            ],
            text.as_bytes(),
        );
        assert_eq!(out.status.code(), Some(1), "{text}");
        let lines = json_lines(&out);
        let bad = lines
            .iter()
            .find(|l| !l["error"].is_null())
            .unwrap_or_else(|| panic!("{text}: {lines:?}"));
        assert_eq!(bad["error"]["code"], "JSON");
        let message = bad["error"]["message"].as_str().unwrap();
        assert!(message.contains("duplicate key `actorId`"), "{message}");
        assert!(message.contains("(field `actorId`)"), "{message}");
        assert!(!message.contains("mallory"), "{message}");
        assert_eq!(
            lines.iter().filter(|l| l["valid"] == true).count(),
            usize::from(text.starts_with('[') || format == "jsonl")
        );
    }
}
