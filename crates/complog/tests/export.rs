//! End-to-end tests of `complog export`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use prost::Message as _;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_complog"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn ocsf_and_ecs_are_json_lines_one_per_entry() {
    let out = run(&[
        "export",
        "--to",
        "ocsf",
        "examples/good/login.json",
        "examples/good/agent-session.jsonl",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = lines(&out);
    let session =
        std::fs::read_to_string(root().join("examples/good/agent-session.jsonl")).unwrap();
    assert_eq!(
        events.len(),
        1 + session.lines().filter(|l| !l.trim().is_empty()).count()
    );
    assert_eq!(events[0]["class_uid"], 3002);
    assert_eq!(events[0]["metadata"]["version"], "1.7.0");

    let out = run(&["export", "--to", "ecs", "examples/good/login.json"]);
    let docs = lines(&out);
    assert_eq!(docs[0]["event"]["category"][0], "authentication");
    assert_eq!(docs[0]["ecs"]["version"], "9.0.0");
}

#[test]
fn otlp_batches_requests_in_both_encodings() {
    let dir = std::env::temp_dir().join(format!("complog-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = dir.join("otlp.binpb");
    let args = [
        "export",
        "--batch",
        "2",
        "--observed-time-ns",
        "7",
        "examples/good/agent-session.jsonl",
    ];
    let out = run(&[&args[..], &["--to", "otlp", "-o", binary.to_str().unwrap()]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&binary).unwrap();
    let mut rest = bytes.as_slice();
    let mut records = 0usize;
    let mut requests = 0;
    while !rest.is_empty() {
        let request = lokryn_export::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest::decode_length_delimited(&mut rest).unwrap();
        requests += 1;
        for rl in &request.resource_logs {
            for sl in &rl.scope_logs {
                for r in &sl.log_records {
                    assert_eq!(r.observed_time_unix_nano, 7);
                    records += 1;
                }
            }
        }
    }
    let json = lines(&run(&[&args[..], &["--to", "otlp-json"]].concat()));
    assert_eq!(json.len(), requests);
    assert!(
        records >= 3 && requests == records.div_ceil(2),
        "{records} records in {requests} requests"
    );
    assert!(
        json[0]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["observedTimeUnixNano"] == "7"
    );
}

#[test]
fn unreadable_entries_are_reported_and_the_rest_exported() {
    let out = run(&["export", "--to", "ocsf", "examples/bad/agent-events.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped"), "{stderr}");
    assert!(!lines(&out).is_empty());
}

#[test]
fn a_target_is_required() {
    let out = run(&["export", "examples/good/login.json"]);
    assert_eq!(out.status.code(), Some(2), "--to is required");
}

#[test]
fn import_from_ocsf_gives_the_records_back() {
    let dir = std::env::temp_dir().join(format!("complog-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.ocsf.jsonl");
    let input = "examples/good/agent-session.jsonl";
    let out = run(&[
        "export",
        "--to",
        "ocsf",
        input,
        "-o",
        events.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let back = run(&["import", "--from", "ocsf", events.to_str().unwrap()]);
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    let canonical = run(&["convert", "--to", "jsonl", input]);
    assert_eq!(lines(&back), lines(&canonical));

    std::fs::write(&events, "{\"class_uid\": 4010}\n").unwrap();
    let refused = run(&["import", "--from", "ocsf", events.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
}

#[test]
fn import_from_lokryn_0_2_reads_sink_json_and_binary() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-v02");
    std::fs::create_dir_all(&dir).unwrap();
    // As the lokryn-mcp-log 0.4.0 sinks write it: proto field names, int64 as strings.
    let line = r#"{"event_type": "EVENT_TOOL_INVOCATION", "outcome": "OUTCOME_SUCCESS", "severity": "SEVERITY_INFO", "actor_id": "agent-7", "actor_type": "agent", "time": "2025-12-01T00:00:00Z", "duration_ms": "12", "ocsf_class_uid": 6003, "mcp": {"tool_name": "read_file"}, "client_id": "claude-desktop"}"#;
    let json = dir.join("sink.jsonl");
    std::fs::write(&json, format!("{line}\n{line}\n")).unwrap();
    let out = run(&["import", "--from", "lokryn-0.2", json.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = lines(&out);
    assert_eq!(entries.len(), 2);
    let e = &entries[0];
    assert_eq!(e["eventType"], "EVENT_TOOL_INVOCATION"); // 20 in 0.2.0, 13 here
    assert_eq!(e["actorType"], "ACTOR_TYPE_AGENT");
    assert_eq!(e["mcp"]["toolName"], "read_file");
    assert_eq!(e["mcp"]["clientName"], "claude-desktop");
    assert_eq!(e["payloadFormat"], "PAYLOAD_FORMAT_JSON");

    // The same record, binary: one record a file, then a length-delimited pair.
    let single = dir.join("one.bin");
    let bytes = lokryn_export::lokryn_v0_2::descriptor()
        .map(|d| {
            let mut de = serde_json::Deserializer::from_str(line);
            prost_reflect::DynamicMessage::deserialize(d, &mut de).unwrap()
        })
        .unwrap()
        .encode_to_vec();
    std::fs::write(&single, &bytes).unwrap();
    let mut stream = Vec::new();
    for _ in 0..2 {
        prost::encoding::encode_varint(bytes.len() as u64, &mut stream);
        stream.extend_from_slice(&bytes);
    }
    let delimited = dir.join("two.ldpb");
    std::fs::write(&delimited, &stream).unwrap();
    let from_single = run(&["import", "--from", "lokryn-0.2", single.to_str().unwrap()]);
    let from_stream = run(&[
        "import",
        "--from",
        "lokryn-0.2",
        delimited.to_str().unwrap(),
    ]);
    assert_eq!(lines(&from_single), entries[..1]);
    assert_eq!(lines(&from_stream), entries);

    std::fs::write(&json, "{\"no_such_field\": 1}\n").unwrap();
    let refused = run(&["import", "--from", "lokryn-0.2", json.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
}

/// Whether a file is a Parquet file (the magic at both ends).
#[cfg(feature = "parquet")]
fn is_parquet(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.len() > 8 && bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1")
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_targets_write_parquet_files() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("day.parquet");
    let out = run(&[
        "export",
        "--to",
        "parquet",
        "examples/good/login.json",
        "examples/good/agent-session.jsonl",
        "-o",
        flat.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(is_parquet(&flat));

    let lake = dir.path().join("lake");
    let out = run(&[
        "export",
        "--to",
        "ocsf-parquet",
        "--region",
        "eu-west-1",
        "--account-id",
        "123456789012",
        "examples/good/login.json",
        "-o",
        lake.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files = Vec::new();
    let mut dirs = vec![lake];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty());
    assert!(files.iter().all(|f| is_parquet(f)), "{files:?}");
}

/// Built with `--no-default-features` (a step of `cargo xtask test`): both
/// Parquet targets fail with a message naming the missing feature, and
/// write nothing.
#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_targets_say_the_build_lacks_them() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("day.parquet");
    let lake = dir.path().join("lake");
    for args in [
        vec!["--to", "parquet", "-o", flat.to_str().unwrap()],
        vec![
            "--to",
            "ocsf-parquet",
            "--region",
            "eu-west-1",
            "--account-id",
            "123456789012",
            "-o",
            lake.to_str().unwrap(),
        ],
    ] {
        let mut all = vec!["export", "examples/good/login.json"];
        all.extend(args);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("built without Parquet support")
                && stderr.contains("`parquet` cargo feature"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(!flat.exists() && !lake.exists());
}

/// The good examples and the wire vectors, as JSON Lines and as the same
/// entries length-delimited, in a fresh folder; with the entries' count.
fn json_and_binary(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf, usize) {
    let mut texts = Vec::new();
    for dir in ["examples/good", "tests/vectors/wire"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match path.extension().and_then(|e| e.to_str()) {
                Some("json") => texts.push(text),
                Some("jsonl") => texts.extend(text.lines().map(str::to_owned)),
                _ => {}
            }
        }
    }
    let (mut lines, mut binary) = (String::new(), Vec::new());
    let mut count = 0;
    for text in texts {
        let Ok(entry) = lokryn_compliance_log::json::from_json(&text) else {
            continue;
        };
        lines.push_str(&lokryn_compliance_log::json::to_json(&entry).unwrap());
        lines.push('\n');
        let bytes = lokryn_compliance_log::codec::encode(&entry);
        prost::encoding::encode_varint(bytes.len() as u64, &mut binary);
        binary.extend(bytes);
        count += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let (json_path, binary_path) = (
        dir.path().join(format!("{name}.jsonl")),
        dir.path().join(format!("{name}.binpb")),
    );
    std::fs::write(&json_path, lines).unwrap();
    std::fs::write(&binary_path, binary).unwrap();
    (dir, json_path, binary_path, count)
}

/// Binary entries are exported from views of their bytes (OCSF, ECS, OTLP
/// protobuf, Parquet) or decoded (OTLP/JSON, Security Lake): either way,
/// the bytes the same entries give read from JSON Lines, on one thread and
/// several. The inputs hold delegation chains, which the ECS export decodes
/// a view for.
#[test]
fn binary_input_exports_what_the_same_entries_as_json_do() {
    let (dir, json, binary, count) = json_and_binary("entries");
    assert!(count > 30, "{count}");
    let with_chain = std::fs::read_to_string(&json).unwrap();
    assert!(with_chain.contains("delegationChain"));
    // Parquet only where this build has it (CI also tests a build without).
    let targets: &[&str] = if cfg!(feature = "parquet") {
        &["ocsf", "ecs", "otlp", "otlp-json", "parquet"]
    } else {
        &["ocsf", "ecs", "otlp", "otlp-json"]
    };
    for &to in targets {
        for jobs in ["1", "3"] {
            let outputs: Vec<Vec<u8>> = [&json, &binary]
                .iter()
                .map(|input| {
                    let file = dir.path().join(format!("out-{to}-{jobs}"));
                    let out = run(&[
                        "export",
                        "--to",
                        to,
                        "--batch",
                        "7",
                        "--observed-time-ns",
                        "1764547200000000001",
                        "--jobs",
                        jobs,
                        "-o",
                        file.to_str().unwrap(),
                        input.to_str().unwrap(),
                    ]);
                    assert!(
                        out.status.success(),
                        "{to}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    std::fs::read(&file).unwrap()
                })
                .collect();
            assert!(!outputs[0].is_empty(), "{to}");
            assert!(outputs[0] == outputs[1], "{to}, --jobs {jobs}");
        }
    }
}

/// Binary entries exported to OCSF or ECS are read once, where their line
/// is made, not while framing: an entry that cannot be read there is still
/// reported as skipped, with the error decoding it gives, and the entries
/// around it are exported as if it were not there.
#[test]
fn an_unreadable_binary_entry_is_skipped_with_its_decode_error() {
    let good = std::fs::read(root().join("examples/good/mcp-session.binpb")).unwrap();
    // A frame of field 2 (event_type, a varint) written as a string.
    let bad: &[u8] = &[0x12, 0x01, b'x'];
    let mut frames = Vec::new();
    let mut rest = good.as_slice();
    while !rest.is_empty() {
        let len = prost::decode_length_delimiter(&mut rest).unwrap();
        frames.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    assert!(frames.len() > 2);
    let mut mixed = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        if i == 1 {
            prost::encode_length_delimiter(bad.len(), &mut mixed).unwrap();
            mixed.extend_from_slice(bad);
        }
        prost::encode_length_delimiter(frame.len(), &mut mixed).unwrap();
        mixed.extend_from_slice(frame);
    }
    let dir = std::env::temp_dir().join(format!("complog-export-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mixed.binpb");
    std::fs::write(&path, &mixed).unwrap();
    let decode_error = lokryn_compliance_log::codec::decode(bad).unwrap_err();
    for to in ["ocsf", "ecs"] {
        let out = run(&[
            "export",
            "--to",
            to,
            "--observed-time-ns",
            "7",
            path.to_str().unwrap(),
        ]);
        let clean = run(&[
            "export",
            "--to",
            to,
            "--observed-time-ns",
            "7",
            "examples/good/mcp-session.binpb",
        ]);
        assert_eq!(out.status.code(), Some(1), "{to}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = format!(
            "mixed.binpb #1 (byte {}): skipped: {}: {}",
            prost::length_delimiter_len(frames[0].len()) + frames[0].len(),
            decode_error.code(),
            decode_error.root()
        );
        assert!(
            stderr.contains(&expected),
            "{to}: {stderr}\nwanted: {expected}"
        );
        assert_eq!(
            out.stdout, clean.stdout,
            "{to}: the other entries as if the bad one were not there"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
