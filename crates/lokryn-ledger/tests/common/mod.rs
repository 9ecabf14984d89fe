//! Helpers shared by the ledger's tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity, Timestamp};
use lokryn_ledger::store::{self, AppendOptions, Writer};

/// A valid entry, distinct per `i`.
pub(crate) fn entry(i: u64) -> LogEntry {
    LogEntry {
        event_type: if i.is_multiple_of(3) {
            EventType::EventToolInvocation as i32
        } else {
            EventType::EventResourceAccess as i32
        },
        outcome: if i.is_multiple_of(5) {
            Outcome::FailureDenied as i32
        } else {
            Outcome::Success as i32
        },
        severity: Severity::Info as i32,
        actor_id: format!("actor-{}", i % 7),
        component: "billing".into(),
        resource: format!("invoices/{i}"),
        message: format!("record number {i} of the ledger test"),
        time: Some(Timestamp {
            seconds: 1_700_000_000 + i64::try_from(i).unwrap(),
            nanos: 0,
        }),
        event_id: format!("019ac9f4-5e21-7a03-9c11-{i:012x}"),
        ..Default::default()
    }
}

/// Writes a key pair under `dir`; returns (private key file, public key file).
pub(crate) fn keys(dir: &Path, name: &str, seed: u8) -> (PathBuf, PathBuf) {
    let signer = lokryn_ledger::Signer::from_seed(name, [seed; 32]).unwrap();
    let file = name.replace('/', "_");
    let private = dir.join(format!("{file}-{seed}.key"));
    let public = dir.join(format!("{file}-{seed}.pub"));
    std::fs::write(&private, format!("{}\n", signer.to_text())).unwrap();
    std::fs::write(&public, format!("{}\n", signer.verifier().to_text())).unwrap();
    (private, public)
}

/// A ledger of `n` entries committed in batches of `batch`, each batch
/// published (one signed checkpoint per batch); returns its directory.
pub(crate) fn ledger(root: &Path, n: u64, batch: u64) -> PathBuf {
    let (private, _) = keys(root, "example.com/audit", 1);
    let dir = root.join("ledger");
    store::init(&dir, &private, &["soc2".to_string()]).unwrap();
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    let mut i = 0;
    while i < n {
        let end = (i + batch).min(n);
        let batch: Vec<LogEntry> = (i..end).map(entry).collect();
        let got = w.append(&batch).unwrap();
        assert_eq!(got, i..end);
        w.publish().unwrap();
        i = end;
    }
    dir
}
