//! The RFC 6962 known-answer vectors of transparency-dev/merkle (inclusion
//! and consistency, with the cases that must fail), from the repository's
//! tests/vectors/transparency-dev-merkle/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lokryn_ledger::merkle::{verify_consistency, verify_inclusion};
use serde_json::Value;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn vectors(kind: &str) -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/transparency-dev-merkle/testdata")
        .join(kind);
    let mut out = Vec::new();
    files(&dir, &mut out);
    out.into_iter()
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .collect()
}

fn bytes(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().unwrap_or("")).unwrap()
}

fn hashes(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(bytes).collect())
        .unwrap_or_default()
}

#[test]
fn inclusion_vectors() {
    let cases = vectors("inclusion");
    assert!(
        cases.len() > 60,
        "found only {} inclusion vectors",
        cases.len()
    );
    let mut failing = 0;
    for (path, v) in &cases {
        let got = verify_inclusion(
            v["leafIdx"].as_u64().unwrap(),
            v["treeSize"].as_u64().unwrap(),
            &bytes(&v["leafHash"]),
            &hashes(&v["proof"]),
            &bytes(&v["root"]),
        );
        let want_err = v["wantErr"].as_bool().unwrap();
        failing += usize::from(want_err);
        assert_eq!(got.is_err(), want_err, "{}: {got:?}", path.display());
    }
    assert!(failing > 40, "only {failing} must-fail cases");
}

#[test]
fn consistency_vectors() {
    let cases = vectors("consistency");
    assert!(
        cases.len() > 60,
        "found only {} consistency vectors",
        cases.len()
    );
    let mut failing = 0;
    for (path, v) in &cases {
        let got = verify_consistency(
            v["size1"].as_u64().unwrap(),
            v["size2"].as_u64().unwrap(),
            &bytes(&v["root1"]),
            &bytes(&v["root2"]),
            &hashes(&v["proof"]),
        );
        let want_err = v["wantErr"].as_bool().unwrap();
        failing += usize::from(want_err);
        assert_eq!(got.is_err(), want_err, "{}: {got:?}", path.display());
    }
    assert!(failing > 40, "only {failing} must-fail cases");
}
