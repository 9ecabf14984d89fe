//! The report of a ledger (`lokryn-ledger`): its integrity section (the
//! signed checkpoint and a full verification), and the whole report read
//! from the ledger directory.

use std::path::Path;

use lokryn_ledger::store::{self, Reader};
use lokryn_ledger::{Verifier, checkpoint};
use serde_json::{Value, json};

use super::collect::{Collector, InputTotals, Provenance, Settings};
use crate::Error;

/// The integrity section of a ledger: its latest signed checkpoint, checked
/// with `key` (or the key its `ledger.json` names), and a full verification
/// as `complog ledger verify` does it (every record, the tree, every kept
/// checkpoint). A failure is reported in the section (`verified: false`,
/// `error` with the first bad record's `index`), not returned.
pub fn integrity(dir: &Path, key: Option<&Verifier>) -> Value {
    let verifier = match key {
        Some(k) => Ok(k.clone()),
        None => store::Config::load(dir).and_then(|c| c.verifier()),
    };
    let checkpoint = match &verifier {
        Err(e) => json!({"signature": format!("not checked: {}: {}", e.code, e.message)}),
        Ok(v) => match store::latest_checkpoint(dir).and_then(|t| checkpoint::open(&t, v)) {
            Err(e) => json!({"keyId": format!("{:08x}", v.key_id()),
                              "signature": format!("invalid: {}: {}", e.code, e.message)}),
            Ok(cp) => json!({
                "origin": cp.origin,
                "size": cp.size,
                "root": base64_std(&cp.root),
                "keyId": format!("{:08x}", v.key_id()),
                "keyName": v.name(),
                "signature": "valid",
            }),
        },
    };
    match store::verify(dir, key) {
        Ok(r) => json!({
            "kind": "ledger",
            "dir": dir.display().to_string(),
            "verified": true,
            "checkpoint": checkpoint,
            "checkpointsChecked": r.checkpoints,
            "recordsVerified": r.size,
            "unsignedTailBytes": r.unsigned_tail_bytes,
        }),
        Err(e) => json!({
            "kind": "ledger",
            "dir": dir.display().to_string(),
            "verified": false,
            "checkpoint": checkpoint,
            "error": {
                "code": e.code,
                "message": e.message,
                "index": e.location.and_then(|l| l.index),
                "offset": e.location.and_then(|l| l.offset),
            },
        }),
    }
}

/// The whole report of the ledger in `dir`: its records up to the latest
/// checkpoint, in index order, named by their ledger index. `command` and
/// `version` fill the reproducibility section. A ledger that does not
/// verify, or whose records cannot all be read, is reported as such in
/// the integrity and scope sections.
///
/// # Errors
///
/// [`Error::Report`]: the settings are wrong (an unknown profile, a time
/// that is not RFC 3339), or `dir` is not a ledger (no readable
/// `ledger.json`).
pub fn report(
    dir: &Path,
    settings: Settings,
    key: Option<&Verifier>,
    command: &str,
    version: &str,
) -> Result<Value, Error> {
    let mut collector = Collector::new(settings)?;
    store::Config::load(dir).map_err(|e| Error::Report {
        code: e.code,
        message: format!("{}: not a ledger: {}", dir.display(), e.message),
    })?;
    let integrity = integrity(dir, key);
    let mut totals = InputTotals {
        inputs: 1,
        ..InputTotals::default()
    };
    let read = Reader::open(dir).and_then(|mut reader| {
        while let Some(raw) = reader.next_raw()? {
            match lokryn_compliance_log::codec::decode(&raw.bytes) {
                Ok(entry) => collector.add(raw.index, &entry, Some(&raw.bytes)),
                Err(_) => collector.add_unreadable(),
            }
        }
        Ok(())
    });
    if read.is_err() {
        totals.errors = 1;
        totals.given_up = 1;
    }
    let made = Provenance {
        command: command.to_owned(),
        version: version.to_owned(),
        inputs: vec![dir.display().to_string()],
        totals,
    };
    Ok(collector.finish(&integrity, &made))
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
