//! Every golden vector and good example, exported to OCSF (as JSON text)
//! and imported back, is the record it was: nothing is lost.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use lokryn_compliance_log::{LogEntry, json};
use lokryn_export::Options;
use lokryn_export::ocsf::to_ocsf;
use lokryn_export::ocsf_import::from_ocsf;

fn records() -> Vec<(String, LogEntry)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["tests/vectors/wire", "examples/good"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = || std::fs::read_to_string(&path).unwrap();
            if name.ends_with(".jsonl") {
                for (i, line) in text()
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    out.push((format!("{name}:{}", i + 1), json::from_json(line).unwrap()));
                }
            } else if name.ends_with(".json") && name != "manifest.json" {
                out.push((name, json::from_json(&text()).unwrap()));
            }
        }
    }
    out
}

#[test]
fn every_record_survives_an_ocsf_round_trip() {
    let records = records();
    assert!(records.len() > 90, "{}", records.len());
    let options = Options {
        observed_time_ns: Some(1_764_547_200_000_000_000),
        log_name: None,
    };
    for (name, entry) in records {
        let text = to_ocsf(&entry, &options).unwrap().to_string();
        let back = from_ocsf(&serde_json::from_str(&text).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(back, entry, "{name}\n{text}");
    }
}
