//! The direct OCSF writer (`ocsf::write_ocsf`) against the general export
//! (`ocsf::to_ocsf`, serialized): the same bytes for every golden vector,
//! example, event type and many random records, and written directly (not
//! handed to the general path) for all of them.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
// The random generator truncates on purpose.
#![allow(clippy::cast_possible_truncation)]

use lokryn_compliance_log::LogEntry;
use lokryn_export::Options;
use lokryn_export::ocsf::{to_ocsf, to_ocsf_json, write_ocsf, writes_directly};

#[path = "../../lokryn-compliance-log/tests/support/random.rs"]
mod random;

use random::Rng;

#[path = "support/varied.rs"]
mod varied;

use varied::varied_entry;

#[path = "support/records.rs"]
mod records;

use records::records;

/// What the general export writes.
fn expected(entry: &LogEntry, options: &Options) -> Vec<u8> {
    serde_json::to_vec(&to_ocsf(entry, options).unwrap()).unwrap()
}

fn check(name: &str, entry: &LogEntry) {
    for options in [
        Options::default(),
        Options {
            observed_time_ns: Some(1_764_547_200_123_456_789),
            log_name: Some("audit \"log\"".into()),
        },
    ] {
        let want = expected(entry, &options);
        let mut got = b"prefix ".to_vec();
        write_ocsf(entry, &options, &mut got).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got[7..]),
            String::from_utf8_lossy(&want),
            "{name}"
        );
        assert_eq!(
            to_ocsf_json(entry, &options).unwrap().as_bytes(),
            want,
            "{name}"
        );
        assert!(
            writes_directly(entry, &options),
            "{name} took the general path"
        );
    }
}

#[test]
fn vectors_and_examples_give_the_same_bytes() {
    let records = records();
    assert!(records.len() > 90, "{}", records.len());
    for (name, entry) in &records {
        check(name, entry);
    }
}

#[test]
fn every_event_type_gives_the_same_bytes() {
    for event_type in -1..50 {
        for (outcome, severity) in [(0, 0), (1, 2), (3, 4), (5, 8), (77, 99)] {
            let entry = LogEntry {
                event_type,
                outcome,
                severity,
                actor_id: "someone".into(),
                resource: "db/x".into(),
                host: "web-1".into(),
                ..Default::default()
            };
            check(&format!("event type {event_type}"), &entry);
        }
    }
}

#[test]
fn random_records_give_the_same_bytes() {
    let mut rng = Rng(0x0c5f_5eed_7e57_0001);
    for i in 0..3000 {
        let entry = varied_entry(&mut rng);
        check(&format!("random record {i}: {entry:?}"), &entry);
    }
}
