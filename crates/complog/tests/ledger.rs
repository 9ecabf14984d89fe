//! End-to-end tests of `complog ledger …`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn complog(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_complog"))
        .current_dir(dir)
        .arg("ledger")
        .args(args)
        .output()
        .unwrap()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap()
}

/// A temporary directory with keys and a ledger of the good examples.
fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keys = ok(&complog(d, &["keygen", "example.com/audit"]));
    let mut lines = keys.lines();
    let private = lines.next().unwrap();
    let public = lines.next().unwrap();
    assert!(private.starts_with("PRIVATE+KEY+example.com/audit+"));
    assert!(public.starts_with("example.com/audit+"));
    std::fs::write(d.join("audit.key"), format!("{private}\n")).unwrap();
    std::fs::write(d.join("audit.pub"), format!("{public}\n")).unwrap();
    let init = json(&ok(&complog(
        d,
        &["init", "L", "--key", "audit.key", "--profile", "soc2"],
    )));
    assert_eq!(init["public_key"], public);
    tmp
}

#[test]
fn append_prove_check_and_read() {
    let tmp = setup();
    let d = tmp.path();
    let ex = examples();
    let good = ex.join("good");
    let out = ok(&complog(
        d,
        &[
            "append",
            "L",
            good.join("login.json").to_str().unwrap(),
            good.join("agent-session.jsonl").to_str().unwrap(),
            good.join("mcp-session.binpb").to_str().unwrap(),
        ],
    ));
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[0]["first"].as_u64(), lines[0]["last"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(lines[1]["first"], 1);
    let size = lines[2]["size"].as_u64().unwrap();
    assert_eq!(lines[2]["last"].as_u64().unwrap() + 1, size);

    let verify = json(&ok(&complog(d, &["verify", "L", "--key", "audit.pub"])));
    assert_eq!(verify["size"], size);
    assert_eq!(verify["ok"], true);

    std::fs::write(d.join("cp"), ok(&complog(d, &["checkpoint", "L"]))).unwrap();
    std::fs::write(
        d.join("proof.json"),
        ok(&complog(d, &["prove", "L", "--index", "0"])),
    )
    .unwrap();
    let checked = json(&ok(&complog(
        d,
        &[
            "check-proof",
            "--proof",
            "proof.json",
            "--checkpoint",
            "cp",
            "--key",
            "audit.pub",
            good.join("login.json").to_str().unwrap(),
        ],
    )));
    assert_eq!(checked["entry_checked"], true);
    // Another entry is not the proven one: exit 1.
    let wrong = complog(
        d,
        &[
            "check-proof",
            "--proof",
            "proof.json",
            "--checkpoint",
            "cp",
            "--key",
            "audit.pub",
            good.join("config-change.json").to_str().unwrap(),
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(
        json(&String::from_utf8_lossy(&wrong.stdout))["code"],
        "ENTRY_MISMATCH"
    );

    // A second commit, then a consistency proof between the two kept checkpoints.
    ok(&complog(
        d,
        &[
            "append",
            "L",
            good.join("tool-invocation.json").to_str().unwrap(),
        ],
    ));
    std::fs::write(d.join("cp2"), ok(&complog(d, &["checkpoint", "L"]))).unwrap();
    let from = size.to_string();
    std::fs::write(
        d.join("c.json"),
        ok(&complog(d, &["prove", "L", "--from", &from])),
    )
    .unwrap();
    let checked = json(&ok(&complog(
        d,
        &[
            "check-proof",
            "--proof",
            "c.json",
            "--checkpoint",
            "cp",
            "--checkpoint",
            "cp2",
            "--key",
            "audit.pub",
        ],
    )));
    assert_eq!(checked["type"], "consistency");
    // Against a key that did not sign: exit 1.
    let other = ok(&complog(d, &["keygen", "example.com/audit"]));
    std::fs::write(d.join("other.pub"), other.lines().nth(1).unwrap()).unwrap();
    let forged = complog(
        d,
        &[
            "check-proof",
            "--proof",
            "c.json",
            "--checkpoint",
            "cp",
            "--checkpoint",
            "cp2",
            "--key",
            "other.pub",
        ],
    );
    assert_eq!(forged.status.code(), Some(1));
    let bad = complog(d, &["verify", "L", "--key", "other.pub"]);
    assert_eq!(bad.status.code(), Some(1));

    // Read with filters, in each format.
    let all = ok(&complog(d, &["read", "L"]));
    assert_eq!(all.lines().count() as u64, size + 1);
    let some = ok(&complog(
        d,
        &["read", "L", "--event-type", "tool-invocation"],
    ));
    assert!(some.lines().count() >= 1);
    for l in some.lines() {
        assert_eq!(json(l)["eventType"], "EVENT_TOOL_INVOCATION");
    }
    let arr = json(&ok(&complog(
        d,
        &[
            "read",
            "L",
            "--format",
            "json",
            "--since",
            "2100-01-01T00:00:00Z",
        ],
    )));
    assert_eq!(arr, serde_json::json!([]));
    let bin = complog(
        d,
        &["read", "L", "--format", "binary", "--output", "all.binpb"],
    );
    ok(&bin);
    let n = lokryn_compliance_log::stream::DelimitedReader::new(
        std::fs::read(d.join("all.binpb")).unwrap().as_slice(),
    )
    .count() as u64;
    assert_eq!(n, size + 1);
}

#[test]
fn refusals_and_usage_errors_have_their_exit_codes() {
    let tmp = setup();
    let d = tmp.path();
    let bad = examples().join("bad").join("missing-actor.json");
    let out = complog(d, &["append", "L", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json(&String::from_utf8_lossy(&out.stdout))["code"],
        "INVALID"
    );
    // Nothing was appended.
    assert_eq!(json(&ok(&complog(d, &["verify", "L"])))["size"], 0);
    // Usage errors: 2.
    assert_eq!(complog(d, &["prove", "L"]).status.code(), Some(2));
    assert_eq!(complog(d, &["verify", "nowhere"]).status.code(), Some(2));
    assert_eq!(
        complog(d, &["init", "L", "--key", "audit.key"])
            .status
            .code(),
        Some(2)
    );
    for cmd in [
        "keygen",
        "init",
        "append",
        "checkpoint",
        "verify",
        "prove",
        "check-proof",
        "read",
    ] {
        let help = complog(d, &[cmd, "--help"]);
        assert!(help.status.success(), "{cmd} --help");
        assert!(String::from_utf8_lossy(&help.stdout).contains("Usage"));
    }
}

#[test]
fn verify_names_an_edited_entry() {
    let tmp = setup();
    let d = tmp.path();
    let good = examples().join("good");
    ok(&complog(
        d,
        &[
            "append",
            "L",
            good.join("agent-session.jsonl").to_str().unwrap(),
        ],
    ));
    let path = d.join("L").join("entries.ldpb");
    let mut bytes = std::fs::read(&path).unwrap();
    let mut frames = lokryn_compliance_log::stream::DelimitedReader::new(bytes.as_slice());
    frames.next_frame().unwrap().unwrap();
    let second = frames.next_frame().unwrap().unwrap().offset;
    let first_len = usize::try_from(second).unwrap();
    bytes[first_len + 20] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let out = complog(d, &["verify", "L", "--key", "audit.pub"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["code"], "TAMPERED");
    assert_eq!(v["index"], 1);
    assert_eq!(v["offset"].as_u64(), Some(first_len as u64));
}

/// `complog export` reads a ledger directory: the entries its checkpoint
/// covers, in index order, the same events as exporting the inputs.
#[test]
fn a_ledger_directory_is_an_export_input() {
    let tmp = setup();
    let d = tmp.path();
    let good = examples().join("good");
    let inputs = [
        good.join("agent-session.jsonl"),
        good.join("login.json"),
        good.join("mcp-session.binpb"),
    ];
    let inputs: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let mut append = vec!["append", "L"];
    append.extend(&inputs);
    ok(&complog(d, &append));
    // A write torn by a crash, past what the checkpoint covers: not an entry.
    let data = d.join("L/entries.ldpb");
    let mut bytes = std::fs::read(&data).unwrap();
    bytes.extend_from_slice(b"\x40torn");
    std::fs::write(&data, bytes).unwrap();
    let export = |args: &[&str]| -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_complog"))
            .current_dir(d)
            .args(["export", "--to", "ocsf", "--observed-time-ns", "1"])
            .args(args)
            .output()
            .unwrap();
        ok(&out)
    };
    let from_ledger = export(&["L"]);
    let from_inputs = export(&inputs);
    assert!(from_ledger.lines().count() > 3);
    assert_eq!(from_ledger, from_inputs);
    // Found inside a directory given as input, too.
    assert_eq!(export(&["."]), from_ledger);
}
