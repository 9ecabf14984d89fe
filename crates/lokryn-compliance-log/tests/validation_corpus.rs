//! The shared validation corpus in `tests/vectors/validation/` (format in its
//! README): every case's violations, findings and redactions, the invariants
//! every readable case must keep, and the detectors' precision and recall.
//!
//! `cargo test -p lokryn-compliance-log --test validation_corpus -- --nocapture`
//! prints the precision and recall table.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use lokryn_compliance_log::redact::{self, RedactOptions, redact};
use lokryn_compliance_log::sensitive::{self, Finding};
use lokryn_compliance_log::validate::{self, Options, Report};
use lokryn_compliance_log::{LogEntry, PayloadFormat, json};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/validation")
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

struct Case {
    file: String,
    key: Option<String>,
    value: Value,
}

fn cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let key = doc["redactionKey"].as_str().map(str::to_owned);
        for case in doc["cases"].as_array().unwrap() {
            out.push(Case {
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                key: key.clone(),
                value: case.clone(),
            });
        }
    }
    out
}

/// The record of a case, as JSON (with `generate` applied).
fn entry_json(case: &Value) -> Value {
    let mut entry = case["entry"].clone();
    if let Some(g) = case.get("generate") {
        let part = |name: &str| -> Vec<u8> {
            let text = g[name].as_str().unwrap_or_default();
            if g["hex"].as_bool().unwrap_or(false) {
                (0..text.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
                    .collect()
            } else {
                text.as_bytes().to_vec()
            }
        };
        let mut bytes = part("prefix");
        let unit = part("repeat");
        for _ in 0..g["count"].as_u64().unwrap() {
            bytes.extend_from_slice(&unit);
        }
        bytes.extend(part("suffix"));
        let field = g["field"].as_str().unwrap();
        entry[field] = if field == "payload" {
            Value::String(b64().encode(&bytes))
        } else {
            Value::String(String::from_utf8(bytes).unwrap())
        };
    }
    entry
}

fn options(case: &Value) -> Options {
    let names: Vec<&str> = case["profiles"]
        .as_array()
        .map(|a| a.iter().map(|p| p.as_str().unwrap()).collect())
        .unwrap_or_default();
    Options::for_profiles(names).unwrap()
}

fn all_profiles() -> Options {
    Options::for_profiles(["soc2", "hipaa", "pci"]).unwrap()
}

fn violation_keys(report: &Report) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = report
        .violations
        .iter()
        .map(|v| {
            (
                v.field.clone(),
                v.rule_id.clone(),
                v.level.as_str().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn expected_violations(case: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = case["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["field"].as_str().unwrap().to_owned(),
                v["ruleId"].as_str().unwrap().to_owned(),
                v["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

type FindingKey = (String, String, usize, usize, String);

fn finding_key(f: &Finding) -> FindingKey {
    (
        f.kind.as_str().to_owned(),
        f.field.clone(),
        f.start,
        f.end,
        f.confidence.as_str().to_owned(),
    )
}

fn expected_findings(case: &Value) -> Vec<FindingKey> {
    let mut v: Vec<_> = case["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["field"].as_str().unwrap().to_owned(),
                usize::try_from(f["start"].as_u64().unwrap()).unwrap(),
                usize::try_from(f["end"].as_u64().unwrap()).unwrap(),
                f["confidence"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn entry_from_json(value: &Value) -> LogEntry {
    json::from_json_value(value.clone(), &json::JsonOptions::default()).unwrap()
}

/// Is the payload a well-formed document in its declared (or, undeclared,
/// sniffed JSON) format? Checked with the engine's own violations.
fn payload_well_formed(entry: &LogEntry) -> Option<bool> {
    let declared = entry.payload_format;
    if entry.payload.is_empty() {
        return None;
    }
    let report = validate::validate(entry);
    let broken = report
        .violations
        .iter()
        .any(|v| v.rule_id.starts_with("payload.") && v.field == "payload");
    if declared == PayloadFormat::Json as i32 || declared == PayloadFormat::Cbor as i32 {
        Some(!broken)
    } else {
        serde_json::from_slice::<Value>(&entry.payload)
            .ok()
            .map(|_| true)
    }
}

#[derive(Default)]
struct Tally {
    tp: usize,
    fp: usize,
    fneg: usize,
}

/// `validate_and_redact`, which searches a record for sensitive data once,
/// gives exactly what `validate_with` and `redact` give apart; and
/// `validate_and_redact_in_place` gives the same report, findings and
/// redacted record.
#[test]
fn validate_and_redact_is_the_two_calls() {
    let mut checked = 0;
    let mut invalids = 0;
    for case in cases() {
        let c = &case.value;
        if c.get("entryBinary").is_some() || c.get("entryJson").is_some() {
            continue;
        }
        let entry = entry_from_json(&entry_json(c));
        for (opts, redaction) in [
            (options(c), RedactOptions::default()),
            (
                all_profiles(),
                RedactOptions::default().with_key(b"a key".to_vec()),
            ),
        ] {
            let (report, redacted) = validate::validate_and_redact(&entry, &opts, &redaction);
            let name = c["name"].as_str().unwrap_or_default();
            assert_eq!(report, validate::validate_with(&entry, &opts), "{name}");
            assert_eq!(redacted, redact(&entry, &redaction), "{name}");
            let mut in_place = entry.clone();
            let (report_in_place, findings) =
                validate::validate_and_redact_in_place(&mut in_place, &opts, &redaction);
            assert_eq!(report_in_place, report, "{name}");
            assert_eq!(in_place, redacted.entry, "{name}");
            assert_eq!(findings, redacted.findings, "{name}");
            let mut alone = entry.clone();
            let findings = redact::redact_in_place(&mut alone, &redaction);
            assert_eq!(alone, redacted.entry, "{name}");
            assert_eq!(findings, redacted.findings, "{name}");
            // The report only when the record is invalid, the same record.
            let mut unless_valid = entry.clone();
            let invalid = validate::validate_and_redact_in_place_unless_valid(
                &mut unless_valid,
                &opts,
                &redaction,
            );
            assert_eq!(unless_valid, redacted.entry, "{name}");
            let expected = (!report.is_valid()).then_some(&report);
            assert_eq!(invalid.as_ref(), expected, "{name}");
            // The same with the record's own event id, host, schema version
            // and producer taken as values a logger filled itself and
            // checked once: clean ones are not checked again, the others
            // are, and nothing changes.
            let producer = entry.producer.clone().unwrap_or_default();
            let known = validate::Known::new(
                &opts,
                &entry.host,
                &entry.schema_version,
                &producer,
                &[&entry.event_id],
            );
            let filled = validate::Filled {
                event_id: true,
                host: true,
                schema_version: true,
                producer: entry.producer.is_some(),
            };
            let mut known_filled = entry.clone();
            let invalid_filled = validate::validate_and_redact_filled(
                &mut known_filled,
                &opts,
                &redaction,
                &known,
                filled,
            );
            assert_eq!(known_filled, redacted.entry, "{name}");
            assert_eq!(invalid_filled.as_ref(), expected, "{name}");
            invalids += usize::from(invalid.is_some());
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
    assert!(
        invalids > 20 && invalids < checked,
        "{invalids} of {checked}"
    );
}

#[test]
fn the_corpus_holds() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    let mut deviations = Vec::new();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut slowest = (Duration::ZERO, String::new());

    for case in &cases {
        let c = &case.value;
        let name = c["name"].as_str().unwrap().to_owned();
        assert!(names.insert(name.clone()), "duplicate case name {name}");
        let started = Instant::now();
        let mut problems = Vec::new();
        let opts = options(c);

        // Read and validate.
        let (entry, report) = if let Some(b) = c["entryBinary"].as_str() {
            let bytes = b64().decode(b).unwrap();
            match validate::validate_encoded(&bytes, &opts) {
                Ok(pair) => {
                    if let Some(code) = c["decodeError"].as_str() {
                        problems.push(format!("expected decode error {code}, decoded fine"));
                    }
                    pair
                }
                Err(err) => {
                    if c["decodeError"].as_str() != Some(err.code()) {
                        problems.push(format!("unexpected decode error {}: {err}", err.code()));
                    }
                    if !problems.is_empty() {
                        failures.push(format!("{}/{name}: {}", case.file, problems.join("; ")));
                    }
                    continue;
                }
            }
        } else if let Some(text) = c["entryJson"].as_str() {
            match json::from_json(text) {
                Ok(entry) => {
                    if let Some(code) = c["decodeError"].as_str() {
                        problems.push(format!("expected JSON error {code}, read fine"));
                    }
                    let report = validate::validate_with(&entry, &opts);
                    (entry, report)
                }
                Err(err) => {
                    if c["decodeError"].as_str() != Some(err.code()) {
                        problems.push(format!("unexpected error {}: {err}", err.code()));
                    }
                    let path = match &err {
                        lokryn_compliance_log::Error::Json { path, .. } => path.as_str(),
                        _ => "",
                    };
                    if let Some(want) = c["errorPath"].as_str() {
                        if path != want {
                            problems.push(format!("error at `{path}`, expected `{want}`: {err}"));
                        }
                    }
                    if !problems.is_empty() {
                        failures.push(format!("{}/{name}: {}", case.file, problems.join("; ")));
                    }
                    continue;
                }
            }
        } else {
            let entry = entry_from_json(&entry_json(c));
            let report = validate::validate_with(&entry, &opts);
            (entry, report)
        };

        let found = sensitive::find(&entry);
        let mut found_keys: Vec<FindingKey> = found.iter().map(finding_key).collect();
        found_keys.sort();
        if let Some(counts) = c.get("counts") {
            if let Some(n) = counts["findings"].as_u64() {
                if found.len() as u64 != n {
                    problems.push(format!("{} findings, expected {n}", found.len()));
                }
            }
            if let Some(n) = counts["violations"].as_u64() {
                if report.violations.len() as u64 != n {
                    problems.push(format!(
                        "{} violations, expected {n}",
                        report.violations.len()
                    ));
                }
            }
        } else {
            let got = violation_keys(&report);
            let want = expected_violations(c);
            if got != want {
                problems.push(format!("violations\n    got  {got:?}\n    want {want:?}"));
            }
            let want = expected_findings(c);
            for kind in want
                .iter()
                .map(|k| k.0.clone())
                .chain(found_keys.iter().map(|k| k.0.clone()))
            {
                tallies.entry(kind).or_default();
            }
            for k in &found_keys {
                let t = tallies.get_mut(&k.0).unwrap();
                if want.contains(k) {
                    t.tp += 1;
                } else {
                    t.fp += 1;
                }
            }
            for k in &want {
                if !found_keys.contains(k) {
                    tallies.get_mut(&k.0).unwrap().fneg += 1;
                }
            }
            if found_keys != want {
                problems.push(format!(
                    "findings\n    got  {found_keys:?}\n    want {want:?}"
                ));
            }
        }

        // Redaction.
        let plain = redact(&entry, &RedactOptions::default());
        for (member, opts) in [
            ("redacted", RedactOptions::default()),
            (
                "redactedWithKey",
                RedactOptions::default()
                    .with_key(case.key.clone().unwrap_or_default().into_bytes()),
            ),
        ] {
            if let Some(expected) = c.get(member) {
                let got = redact(&entry, &opts).entry;
                let want = entry_from_json(expected);
                if got != want {
                    problems.push(format!(
                        "{member}\n    got  {}\n    want {}",
                        json::to_json(&got).unwrap(),
                        json::to_json(&want).unwrap()
                    ));
                }
            }
        }
        // Invariants.
        let again = redact(&plain.entry, &RedactOptions::default());
        if again.entry != plain.entry || !again.findings.is_empty() {
            problems.push(format!("redaction is not idempotent: {:?}", again.findings));
        }
        let after = validate::validate_with(&plain.entry, &all_profiles());
        if let Some(v) = after
            .violations
            .iter()
            .find(|v| v.rule_id.starts_with("sensitive."))
        {
            problems.push(format!(
                "redacted record still has {} at {}",
                v.rule_id, v.field
            ));
        }
        if payload_well_formed(&entry) == Some(true)
            && payload_well_formed(&plain.entry) == Some(false)
        {
            problems.push("redaction broke a well-formed payload".into());
        }

        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, name.clone());
        }
        if !problems.is_empty() {
            let line = format!("{}/{name}: {}", case.file, problems.join("\n  "));
            match c["knownDeviation"].as_str() {
                Some(why) => deviations.push(format!("{line}\n  (known: {why})")),
                None => failures.push(line),
            }
        }
    }

    println!("\nvalidation corpus: {} cases", cases.len());
    println!(
        "{:<16} {:>5} {:>5} {:>5} {:>10} {:>8}",
        "kind", "TP", "FP", "FN", "precision", "recall"
    );
    let mut total = Tally::default();
    for (kind, t) in &tallies {
        total.tp += t.tp;
        total.fp += t.fp;
        total.fneg += t.fneg;
        println!(
            "{kind:<16} {:>5} {:>5} {:>5} {:>10.3} {:>8.3}",
            t.tp,
            t.fp,
            t.fneg,
            ratio(t.tp, t.tp + t.fp),
            ratio(t.tp, t.tp + t.fneg)
        );
    }
    println!(
        "{:<16} {:>5} {:>5} {:>5} {:>10.3} {:>8.3}",
        "all",
        total.tp,
        total.fp,
        total.fneg,
        ratio(total.tp, total.tp + total.fp),
        ratio(total.tp, total.tp + total.fneg)
    );
    println!("slowest case: {} ({:?})", slowest.1, slowest.0);
    for d in &deviations {
        println!("known deviation: {d}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Pathological inputs must stay linear: even a debug build finishes
    // every case well within this.
    assert!(slowest.0 < Duration::from_secs(30), "{slowest:?}");
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}
