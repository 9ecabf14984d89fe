//! Runs the shared cases of tests/vectors/logger/cases.json (see the README
//! next to it), which the Python and Node loggers run too.

#![allow(clippy::panic)]
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lokryn_compliance_log::json::{JsonOptions, from_json_value, to_json};
use lokryn_compliance_log::{EventType, Outcome};
use lokryn_logger::sinks::JsonLines;
use lokryn_logger::{AuditLogger, LogError, OnInvalid, Redaction, is_uuid7};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn cases() -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/logger/cases.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(path)?)?;
    Ok(doc
        .get("cases")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("no cases")?)
}

fn entry(v: &Value) -> Result<lokryn_compliance_log::LogEntry, Box<dyn std::error::Error>> {
    Ok(from_json_value(v.clone(), &JsonOptions::default())?)
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Compares a written record with an expected one, placeholders included.
fn check_record(actual: &Value, expected: &Value, last_id: &mut String, what: &str) {
    let (Some(actual), Some(expected)) = (actual.as_object(), expected.as_object()) else {
        panic!("{what}: records must be objects");
    };
    for (key, want) in expected {
        let got = actual.get(key);
        match want.as_str() {
            Some("<time>") => {
                let s = got.and_then(Value::as_str).unwrap_or_default();
                assert!(
                    s.ends_with('Z') && s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T'),
                    "{what}: {key} = {s:?} is not an RFC 3339 UTC time"
                );
            }
            Some("<uuid7>") => {
                let s = got.and_then(Value::as_str).unwrap_or_default();
                assert!(is_uuid7(s), "{what}: {key} = {s:?} is not a UUIDv7");
                assert!(last_id.as_str() < s, "{what}: {s} is not after {last_id}");
                s.clone_into(last_id);
            }
            Some("<host>") => {
                let s = got.and_then(Value::as_str).unwrap_or_default();
                assert!(!s.is_empty(), "{what}: {key} is empty");
            }
            Some("<version>") => {
                assert_eq!(
                    got.and_then(Value::as_str),
                    Some(lokryn_compliance_log::VERSION),
                    "{what}: {key}"
                );
            }
            Some("<duration>") => {
                if let Some(g) = got {
                    let n: Option<u64> = g.as_str().and_then(|s| s.parse().ok());
                    assert!(n.is_some(), "{what}: {key} = {g} is not a duration");
                }
            }
            _ => assert_eq!(got, Some(want), "{what}: field {key}"),
        }
    }
    for key in actual.keys() {
        assert!(
            expected.contains_key(key),
            "{what}: unexpected field {key} = {}",
            actual.get(key).unwrap_or(&Value::Null)
        );
    }
}

fn read_lines(path: &Path) -> Vec<Value> {
    match fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn build(options: &Value, dir: &Path, warned: &Arc<AtomicUsize>) -> Result<AuditLogger, LogError> {
    let mut b = AuditLogger::builder().sink(
        JsonLines::create(dir.join("audit.jsonl"))
            .map_err(|e| LogError::new("IO", e.to_string()))?,
    );
    if let Some(p) = options.get("producer") {
        b = b.producer(
            str_of(p, "name").unwrap_or_default(),
            str_of(p, "version").unwrap_or_default(),
        );
    }
    if let Some(d) = options.get("defaults") {
        let d = entry(d).map_err(|e| LogError::new("JSON", e.to_string()))?;
        b = b.defaults(d);
    }
    if let Some(p) = options.get("profiles").and_then(Value::as_array) {
        b = b.profiles(p.iter().filter_map(Value::as_str))?;
    }
    if let Some(p) = str_of(options, "onInvalid") {
        b = b.on_invalid(OnInvalid::from_name(p).ok_or_else(|| LogError::new("CONFIG", p))?);
    }
    match options.get("redact") {
        Some(Value::Bool(false)) => b = b.redact(Redaction::Off),
        Some(Value::Object(k)) => {
            let key = k.get("key").and_then(Value::as_str).unwrap_or_default();
            b = b.redact(Redaction::Keyed(key.as_bytes().to_vec()));
        }
        _ => {}
    }
    if options.get("quarantine") == Some(&Value::Bool(true)) {
        b = b.quarantine(
            JsonLines::create(dir.join("quarantine.jsonl"))
                .map_err(|e| LogError::new("IO", e.to_string()))?,
        );
    }
    let w = Arc::clone(warned);
    b.on_warning(move |_, _| {
        w.fetch_add(1, Ordering::SeqCst);
    })
    .build()
}

fn run_case(case: &Value) -> TestResult {
    let name = str_of(case, "name").unwrap_or("?");
    let dir = tempfile::tempdir()?;
    let warned = Arc::new(AtomicUsize::new(0));
    let options = case.get("options").cloned().unwrap_or(Value::Null);
    let logger = match build(&options, dir.path(), &warned) {
        Ok(l) => l,
        Err(e) => {
            assert_eq!(
                Some(e.code()),
                str_of(case, "buildError"),
                "{name}: build failed: {e}"
            );
            return Ok(());
        }
    };
    assert!(case.get("buildError").is_none(), "{name}: build succeeded");
    let (mut main, mut quarantined) = (Vec::new(), Vec::new());
    let mut last_id = String::new();
    let mut want_warnings = 0;
    for (i, call) in case
        .get("calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let what = format!("{name}, call {i}");
        let result = if let Some(fields) = call.get("log") {
            logger.log(entry(fields)?)
        } else if let Some(op) = call.get("operation") {
            let event_type = str_of(op, "eventType")
                .and_then(EventType::from_str_name)
                .ok_or("eventType")?;
            let template = entry(op.get("fields").unwrap_or(&Value::Null))?;
            let operation = logger.operation(event_type, template);
            match op.get("error") {
                Some(err) => operation.failure(
                    str_of(err, "code").unwrap_or_default(),
                    str_of(err, "message").unwrap_or_default(),
                ),
                None => operation.finish(Outcome::Success, "", ""),
            }
        } else {
            panic!("{what}: unknown call");
        };
        if call.get("warned") == Some(&Value::Bool(true)) {
            want_warnings += 1;
        }
        match (result, call.get("expect"), str_of(call, "error")) {
            (Ok(written), Some(expect), None) => {
                let actual: Value = serde_json::from_str(&to_json(&written)?)?;
                check_record(&actual, expect, &mut last_id, &what);
                if call.get("quarantined") == Some(&Value::Bool(true)) {
                    quarantined.push(expect.clone());
                } else {
                    main.push(expect.clone());
                }
            }
            (Err(e), None, Some(code)) => assert_eq!(e.code(), code, "{what}: {e}"),
            (result, _, _) => panic!("{what}: unexpected result {result:?}"),
        }
    }
    logger.close(None)?;
    assert_eq!(
        warned.load(Ordering::SeqCst),
        want_warnings,
        "{name}: warnings"
    );
    for (file, want) in [("audit.jsonl", main), ("quarantine.jsonl", quarantined)] {
        let lines = read_lines(&dir.path().join(file));
        assert_eq!(lines.len(), want.len(), "{name}: lines of {file}");
        let mut last = String::new();
        for (line, expect) in lines.iter().zip(&want) {
            check_record(line, expect, &mut last, &format!("{name}, {file}"));
        }
    }
    Ok(())
}

#[test]
fn shared_cases() -> TestResult {
    let cases = cases()?;
    assert!(cases.len() >= 15, "the cases file lost cases");
    for case in &cases {
        run_case(case)?;
    }
    Ok(())
}
