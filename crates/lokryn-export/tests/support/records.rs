//! The records of the repository's golden vectors and good examples, for
//! the tests (included by path).

use std::path::PathBuf;

use lokryn_compliance_log::{LogEntry, json};

/// Every record of tests/vectors/wire and examples/good, by file (and line).
pub(crate) fn records() -> Vec<(String, LogEntry)> {
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
