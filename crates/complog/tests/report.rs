//! `complog report`: every count, share and missing flag of the JSON report
//! of a generated ledger checked against an independent computation over
//! the ledger's JSON Lines read-back (`complog ledger read`) and the
//! verdicts of `complog validate`; a tampered ledger; plain files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn complog(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_complog"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
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

const TYPES: [&str; 12] = [
    "EVENT_LOGIN",
    "EVENT_FILE_ACCESS",
    "EVENT_PRIVILEGE_USE",
    "EVENT_USER_MANAGEMENT",
    "EVENT_CONFIG_CHANGE",
    "EVENT_RESOURCE_ACCESS",
    "EVENT_TOOL_INVOCATION",
    "EVENT_DELEGATION",
    "EVENT_GUARDRAIL_CHECK",
    "EVENT_LOGOUT",
    "EVENT_DATA_EXPORT",
    "EVENT_MODEL_INFERENCE",
];
const OUTCOMES: [&str; 5] = [
    "OUTCOME_SUCCESS",
    "OUTCOME_FAILURE_DENIED",
    "OUTCOME_SUCCESS",
    "OUTCOME_FAILURE_UNAUTHORIZED",
    "OUTCOME_FAILURE_ERROR",
];

/// `n` generated records of known shape: no process start/stop (10.2.1.6
/// missing), some without host/sourceIp, some with a card number.
fn records(n: u64) -> String {
    let mut out = String::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = TYPES[(x % 12) as usize];
        let o = OUTCOMES[((x >> 8) % 5) as usize];
        let day = 1 + (x >> 16) % 5;
        let mut e = json!({
            "eventType": t,
            "outcome": o,
            "severity": "SEVERITY_INFO",
            "actorId": format!("user{}@example.com", (x >> 20) % 4),
            "actorType": "ACTOR_TYPE_USER",
            "component": "billing",
            "resource": if (x >> 24) % 6 == 0 { "audit/trail".to_string() } else { format!("r{}", (x >> 28) % 3) },
            "message": if (x >> 32) % 9 == 0 { "card 4111 1111 1111 1111 seen".to_string() } else { format!("record {i}") },
            "time": format!("2026-03-0{day}T10:{:02}:00Z", i % 60),
            "eventId": format!("00000000-0000-4000-8000-{i:012}"),
        });
        if (x >> 36) % 4 != 0 {
            e["host"] = json!("web-1.example.com");
        }
        if t == "EVENT_TOOL_INVOCATION" || t == "EVENT_GUARDRAIL_CHECK" {
            e["actorType"] = json!("ACTOR_TYPE_AGENT");
            e["genai"] = json!({"agentName": format!("agent{}", (x >> 40) % 2),
                                 "toolName": format!("tool{}", (x >> 44) % 3)});
        }
        if t == "EVENT_DELEGATION" {
            e["delegationChain"] =
                json!([{"actorId": "agent:helper", "actorType": "ACTOR_TYPE_AGENT"}]);
        }
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out
}

/// A ledger of `n` generated records in a temporary directory.
fn ledger(n: u64) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let keys = ok(&complog(d, &["ledger", "keygen", "example.com/audit"]));
    let mut lines = keys.lines();
    std::fs::write(d.join("audit.key"), format!("{}\n", lines.next().unwrap())).unwrap();
    std::fs::write(d.join("audit.pub"), format!("{}\n", lines.next().unwrap())).unwrap();
    ok(&complog(d, &["ledger", "init", "L", "--key", "audit.key"]));
    std::fs::write(d.join("in.jsonl"), records(n)).unwrap();
    ok(&complog(
        d,
        &[
            "ledger",
            "append",
            "L",
            "in.jsonl",
            "--allow-invalid",
            "--commit-bytes",
            "8000",
        ],
    ));
    tmp
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or("").to_owned()
}

/// Rows `{key, count}` as a map.
fn rows(v: &Value, key: &str) -> BTreeMap<String, u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (s(r, key), r["count"].as_u64().unwrap()))
        .collect()
}

fn close(a: &Value, b: f64) {
    assert!((a.as_f64().unwrap() - b).abs() < 1e-12, "{a} vs {b}");
}

#[test]
fn every_figure_matches_an_independent_count() {
    let tmp = ledger(1000);
    let d = tmp.path();
    let since = "2026-03-02T00:00:00Z";
    let report: Value = serde_json::from_str(&ok(&complog(
        d,
        &[
            "report",
            "L",
            "--profile",
            "pci",
            "--since",
            since,
            "--format",
            "json",
        ],
    )))
    .unwrap();
    // The independent side: the ledger read back as JSON Lines, filtered the
    // same way, and `complog validate` over that text.
    let text = ok(&complog(d, &["ledger", "read", "L", "--since", since]));
    let recs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    std::fs::write(d.join("period.jsonl"), &text).unwrap();
    let verdicts: Vec<Value> = ok(&complog(
        d,
        &[
            "validate",
            "--exit-zero",
            "--format",
            "json",
            "--profile",
            "pci",
            "period.jsonl",
        ],
    ))
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .filter(|v: &Value| v.get("summary").is_none())
    .collect();
    assert_eq!(verdicts.len(), recs.len());
    let n = recs.len() as u64;
    assert!(n > 500 && n < 1000, "{n}");

    // Scope and integrity.
    assert_eq!(report["scope"]["records"], n);
    assert_eq!(report["integrity"]["kind"], "ledger");
    assert_eq!(report["integrity"]["verified"], true);
    assert_eq!(report["integrity"]["recordsVerified"], 1000);
    assert_eq!(report["integrity"]["checkpoint"]["size"], 1000);
    assert_eq!(report["integrity"]["checkpoint"]["signature"], "valid");
    assert_eq!(
        report["integrity"]["checkpoint"]["origin"],
        "example.com/audit"
    );
    assert!(report["integrity"]["checkpointsChecked"].as_u64().unwrap() >= 2);
    let times: Vec<String> = recs.iter().map(|r| s(r, "time")).collect();
    assert_eq!(
        report["scope"]["first"].as_str().unwrap(),
        times.iter().min().unwrap()
    );
    assert_eq!(
        report["scope"]["last"].as_str().unwrap(),
        times.iter().max().unwrap()
    );

    // Activity.
    let mut by_type = BTreeMap::<String, u64>::new();
    let mut by_outcome = BTreeMap::<String, u64>::new();
    let mut by_day = BTreeMap::<String, [u64; 3]>::new();
    let mut failed_actor = BTreeMap::<String, u64>::new();
    let mut failed_resource = BTreeMap::<String, u64>::new();
    let mut tools = BTreeMap::<String, u64>::new();
    let mut guards = BTreeMap::<String, u64>::new();
    let mut delegations = BTreeMap::<String, u64>::new();
    let failure = |o: &str| o.starts_with("OUTCOME_FAILURE_");
    for r in &recs {
        let (t, o) = (s(r, "eventType"), s(r, "outcome"));
        *by_type.entry(t.clone()).or_default() += 1;
        *by_outcome.entry(o.clone()).or_default() += 1;
        let slot = by_day.entry(s(r, "time")[..10].to_owned()).or_default();
        slot[if o == "OUTCOME_SUCCESS" {
            0
        } else if failure(&o) {
            1
        } else {
            2
        }] += 1;
        if failure(&o) {
            *failed_actor.entry(s(r, "actorId")).or_default() += 1;
            *failed_resource.entry(s(r, "resource")).or_default() += 1;
        }
        let agent = s(&r["genai"], "agentName");
        let tool = s(&r["genai"], "toolName");
        match t.as_str() {
            "EVENT_TOOL_INVOCATION" => {
                *tools.entry(format!("{agent}/{tool}/{o}")).or_default() += 1;
            }
            "EVENT_GUARDRAIL_CHECK" => *guards.entry(format!("{agent}/{o}")).or_default() += 1,
            "EVENT_DELEGATION" => {
                *delegations
                    .entry(format!("{}/agent:helper/{o}", s(r, "actorId")))
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    let a = &report["activity"];
    assert_eq!(rows(&a["byEventType"], "eventType"), by_type);
    assert_eq!(rows(&a["byOutcome"], "outcome"), by_outcome);
    assert_eq!(rows(&a["failedByActor"], "actor"), failed_actor);
    assert_eq!(rows(&a["failedByResource"], "resource"), failed_resource);
    let days: BTreeMap<String, [u64; 3]> = a["overTime"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let c = |k: &str| r[k].as_u64().unwrap();
            (s(r, "day"), [c("success"), c("failure"), c("other")])
        })
        .collect();
    assert_eq!(days, by_day);
    let joined = |v: &Value, keys: &[&str]| -> BTreeMap<String, u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let k: Vec<String> = keys.iter().map(|k| s(r, k)).collect();
                (k.join("/"), r["count"].as_u64().unwrap())
            })
            .collect()
    };
    let g = &report["agents"];
    assert_eq!(
        joined(&g["toolInvocations"], &["agent", "tool", "outcome"]),
        tools
    );
    assert_eq!(joined(&g["guardrails"], &["agent", "outcome"]), guards);
    assert_eq!(
        joined(&g["delegations"], &["from", "to", "outcome"]),
        delegations
    );

    // Coverage: categories, 10.2.2 elements, shares, missing flags.
    let complete = |r: &Value| {
        ["actorId", "eventType", "time", "outcome"]
            .iter()
            .all(|k| !s(r, k).is_empty())
            && (!s(r, "host").is_empty() || !s(r, "sourceIp").is_empty())
            && (!s(r, "resource").is_empty() || !s(r, "component").is_empty())
    };
    let access = |t: &str| {
        [
            "EVENT_FILE_ACCESS",
            "EVENT_RESOURCE_ACCESS",
            "EVENT_RESOURCE_READ",
            "EVENT_DATA_EXPORT",
        ]
        .contains(&t)
    };
    let in_category = |i: usize, r: &Value| {
        let (t, o) = (s(r, "eventType"), s(r, "outcome"));
        match i {
            0 => access(&t),
            1 => t == "EVENT_PRIVILEGE_USE",
            2 => access(&t) && s(r, "resource").contains("audit"),
            3 => o == "OUTCOME_FAILURE_DENIED" || o == "OUTCOME_FAILURE_UNAUTHORIZED",
            4 => t == "EVENT_USER_MANAGEMENT",
            5 => t == "EVENT_PROCESS_START" || t == "EVENT_PROCESS_STOP",
            _ => t == "EVENT_CONFIG_CHANGE" || t == "EVENT_POLICY_CHANGE",
        }
    };
    let cats = report["coverage"]["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 7);
    let mut missing = Vec::new();
    for (i, c) in cats.iter().enumerate() {
        let of: Vec<&Value> = recs.iter().filter(|r| in_category(i, r)).collect();
        let full = of.iter().filter(|r| complete(r)).count() as u64;
        assert_eq!(c["records"], of.len() as u64, "{}", c["clause"]);
        assert_eq!(c["present"], !of.is_empty(), "{}", c["clause"]);
        assert_eq!(c["complete"], full, "{}", c["clause"]);
        if of.is_empty() {
            assert!(c["completeShare"].is_null());
            missing.push(c["clause"].clone());
        } else {
            close(&c["completeShare"], full as f64 / of.len() as f64);
        }
    }
    assert_eq!(missing, vec![json!("PCI DSS v4.0 10.2.1.6")]);
    assert_eq!(report["coverage"]["missing"], Value::Array(missing));
    let full = recs.iter().filter(|r| complete(r)).count() as u64;
    assert!(full > 0 && full < n);
    assert_eq!(report["coverage"]["completeRecords"], full);
    close(&report["coverage"]["completeShare"], full as f64 / n as f64);
    let with_host = recs.iter().filter(|r| !s(r, "host").is_empty()).count() as u64;
    assert_eq!(report["coverage"]["elements"][4]["records"], with_host);
    close(
        &report["coverage"]["elements"][4]["share"],
        with_host as f64 / n as f64,
    );

    // Validation: the same verdicts as `complog validate`.
    let passed = verdicts.iter().filter(|v| v["valid"] == true).count() as u64;
    let v = &report["validation"];
    assert_eq!(v["passed"], passed);
    assert_eq!(v["failed"], n - passed);
    let mut rule_counts = BTreeMap::<String, u64>::new();
    let mut finding_counts = BTreeMap::<String, u64>::new();
    for verdict in &verdicts {
        for viol in verdict["violations"].as_array().unwrap() {
            *rule_counts.entry(s(viol, "ruleId")).or_default() += 1;
        }
        for f in verdict["findings"].as_array().unwrap() {
            *finding_counts
                .entry(format!("{}/{}", s(f, "kind"), s(f, "field")))
                .or_default() += 1;
        }
    }
    let got: BTreeMap<String, u64> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (s(r, "rule"), r["violations"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, rule_counts);
    assert!(!finding_counts.is_empty());
    assert_eq!(joined(&v["findings"], &["kind", "field"]), finding_counts);
    // The worst records are named, never shown: no card number anywhere.
    let whole = report.to_string();
    assert!(!whole.contains("4111"));
    assert!(!v["worst"].as_array().unwrap().is_empty());

    // Reproducibility.
    let r = &report["reproducibility"];
    assert!(s(r, "inputHash").starts_with("sha256:"));
    assert!(s(r, "command").contains("--profile pci"));
    assert_eq!(report["profiles"], json!(["baseline", "pci"]));

    // The same report as HTML: the one template, sections present.
    let html = ok(&complog(
        d,
        &["report", "L", "--profile", "pci", "--since", since],
    ));
    for heading in [
        "Integrity",
        "Coverage of required events",
        "Validation",
        "AI agents",
        "Reproducibility",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
    assert!(html.contains("MISSING"));
    assert!(!html.contains("4111"));
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("http://")
            || !html
                .replace("http://www.w3.org/2000/svg", "")
                .contains("http://")
    );
}

#[test]
fn a_tampered_ledger_says_so_naming_the_first_bad_record() {
    let tmp = ledger(50);
    let d = tmp.path();
    let path = d.join("L").join("entries.ldpb");
    let mut bytes = std::fs::read(&path).unwrap();
    let mut frames = lokryn_compliance_log::stream::DelimitedReader::new(bytes.as_slice());
    for _ in 0..7 {
        frames.next_frame().unwrap().unwrap();
    }
    let seventh = usize::try_from(frames.next_frame().unwrap().unwrap().offset).unwrap();
    // A byte inside record 7's message text: still decodes, no longer verifies.
    let at = seventh
        + bytes[seventh..]
            .windows(6)
            .position(|w| w == b"record")
            .unwrap();
    bytes[at] = b'R';
    std::fs::write(&path, bytes).unwrap();
    let report: Value =
        serde_json::from_str(&ok(&complog(d, &["report", "L", "--format", "json"]))).unwrap();
    assert_eq!(report["integrity"]["verified"], false);
    assert_eq!(report["integrity"]["error"]["code"], "TAMPERED");
    assert_eq!(report["integrity"]["error"]["index"], 7);
    let html = ok(&complog(d, &["report", "L"]));
    let alert = html.find("INTEGRITY FAILED").unwrap();
    assert!(html[alert..].contains("first bad record is index 7"));
    // Prominent: before every other section.
    assert!(alert < html.find("id=\"scope\"").unwrap());
}

#[test]
fn plain_files_cannot_show_integrity() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("in.jsonl"), records(40)).unwrap();
    let report: Value = serde_json::from_str(&ok(&complog(
        d,
        &["report", "in.jsonl", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(report["integrity"]["kind"], "files");
    assert!(report["integrity"]["verified"].is_null());
    assert_eq!(report["scope"]["records"], 40);
    let html = ok(&complog(d, &["report", "in.jsonl", "-o", "r.html"]));
    assert!(html.is_empty());
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("integrity cannot be shown"));
}

/// Several inputs are read in the order given, as one population: records
/// are named by their position across the inputs, the input hash is the one
/// of the records concatenated, and only a single ledger is verified.
#[test]
fn several_inputs_are_one_population_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let all = records(50);
    let lines: Vec<&str> = all.lines().collect();
    std::fs::write(d.join("a.jsonl"), format!("{}\n", lines[..20].join("\n"))).unwrap();
    std::fs::write(d.join("b.jsonl"), format!("{}\n", lines[20..].join("\n"))).unwrap();
    std::fs::write(d.join("all.jsonl"), &all).unwrap();
    let json = |args: &[&str]| -> Value {
        let mut a = vec!["report", "--profile", "pci", "--format", "json"];
        a.extend_from_slice(args);
        serde_json::from_str(&ok(&complog(d, &a))).unwrap()
    };
    let two = json(&["a.jsonl", "b.jsonl"]);
    let one = json(&["all.jsonl"]);
    assert_eq!(two["scope"]["records"], 50);
    assert_eq!(two["scope"]["inputs"], 2);
    assert_eq!(one["scope"]["inputs"], 1);
    assert_eq!(
        two["reproducibility"]["inputs"],
        json!(["a.jsonl", "b.jsonl"])
    );
    assert_eq!(two["integrity"]["kind"], "files");
    assert_eq!(two["integrity"]["ledgers"], 0);
    // The same records in the same order: the same figures and hash, and
    // the worst records keep their position across the inputs (an index of
    // 20 or more is in b.jsonl).
    for section in ["coverage", "validation", "activity", "agents", "scope"] {
        if section == "scope" {
            assert_eq!(two[section]["records"], one[section]["records"]);
        } else {
            assert_eq!(two[section], one[section], "{section}");
        }
    }
    assert_eq!(
        two["reproducibility"]["inputHash"],
        one["reproducibility"]["inputHash"]
    );
    assert!(
        two["validation"]["worst"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["index"].as_u64().unwrap() >= 20)
    );
    // In the other order, the population is the same but the hash is not.
    let swapped = json(&["b.jsonl", "a.jsonl"]);
    assert_eq!(swapped["coverage"], one["coverage"]);
    assert_ne!(
        swapped["reproducibility"]["inputHash"],
        one["reproducibility"]["inputHash"]
    );
}

/// Two ledgers, or a ledger and a file, are read as plain records: the
/// report says integrity cannot be shown for them together, and how many
/// were ledgers, rather than verifying one and vouching for the rest.
#[test]
fn a_ledger_among_other_inputs_is_read_as_plain_records() {
    let tmp = ledger(30);
    let d = tmp.path();
    ok(&complog(d, &["ledger", "init", "M", "--key", "audit.key"]));
    ok(&complog(
        d,
        &["ledger", "append", "M", "in.jsonl", "--allow-invalid"],
    ));
    let two: Value =
        serde_json::from_str(&ok(&complog(d, &["report", "L", "M", "--format", "json"]))).unwrap();
    assert_eq!(two["scope"]["records"], 60);
    assert_eq!(two["integrity"]["kind"], "files");
    assert!(two["integrity"]["verified"].is_null());
    assert_eq!(two["integrity"]["ledgers"], 2);
    let html = ok(&complog(d, &["report", "L", "M"]));
    assert!(html.contains("2 of them ledgers"));
    assert!(html.contains("Report on each ledger alone"));
    let mixed: Value = serde_json::from_str(&ok(&complog(
        d,
        &["report", "L", "in.jsonl", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(mixed["scope"]["records"], 60);
    assert_eq!(mixed["integrity"]["ledgers"], 1);
    assert!(mixed["integrity"]["verified"].is_null());
    // Alone, the same ledger is verified.
    let alone: Value =
        serde_json::from_str(&ok(&complog(d, &["report", "L", "--format", "json"]))).unwrap();
    assert_eq!(alone["integrity"]["kind"], "ledger");
    assert_eq!(alone["integrity"]["verified"], true);
    assert_eq!(alone["integrity"]["recordsVerified"], 30);
}

/// The README's first report command (the bundled examples) runs as
/// written and produces a page of every example record.
#[test]
fn the_readme_first_command_makes_a_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let line = readme
        .lines()
        .take_while(|l| !l.starts_with("---"))
        .find(|l| l.contains("complog -- report "))
        .expect("the README's first block shows a report command");
    let command = line.split('#').next().unwrap();
    let args: Vec<&str> = command
        .split_whitespace()
        .skip_while(|a| *a != "--")
        .skip(1)
        .collect();
    assert_eq!(args.first(), Some(&"report"));
    assert!(args.contains(&"examples/"), "{args:?}");
    // Run where the README is, writing into a temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    let out_file = tmp.path().join("report.html");
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if *a == "report.html" {
                out_file.display().to_string()
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&complog(&root, &args));
    let html = std::fs::read_to_string(&out_file).unwrap();
    assert!(html.contains("id=\"coverage\"") && html.contains("integrity cannot be shown"));
    let json: Value = serde_json::from_str(&ok(&complog(
        &root,
        &["report", "examples/", "--format", "json"],
    )))
    .unwrap();
    // Every example record is counted, the unreadable ones too, as
    // `complog validate` gives each a verdict.
    let verdicts = ok(&complog(
        &root,
        &["validate", "--exit-zero", "--format", "json", "examples/"],
    ));
    let verdicts: Vec<Value> = verdicts
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("valid").is_some())
        .collect();
    assert!(verdicts.len() > 10);
    assert_eq!(json["scope"]["records"], verdicts.len());
    assert_eq!(
        json["validation"]["passed"],
        verdicts.iter().filter(|v| v["valid"] == true).count()
    );
}
