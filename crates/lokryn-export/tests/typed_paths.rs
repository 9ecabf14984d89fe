//! The typed paths of the OTLP and Parquet exports (fields read through the
//! core's generated field access) against their general paths (reflection):
//! the same OTLP records, byte for byte, and the same Parquet file, for every
//! golden vector, example, event type and many random records, and built by
//! the typed path (not handed to the general one) for all of them.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
// The random generator truncates on purpose.
#![allow(clippy::cast_possible_truncation)]

use lokryn_compliance_log::LogEntry;
use lokryn_export::Options;
use lokryn_export::opentelemetry_proto::tonic::resource::v1::Resource;
use lokryn_export::otlp::{
    OtlpRecord, builds_directly, to_otlp_record, to_otlp_record_by_reflection,
};
use prost::Message as _;

#[path = "../../lokryn-compliance-log/tests/support/random.rs"]
mod random;

#[path = "support/varied.rs"]
mod varied;

#[path = "support/records.rs"]
mod records;

use random::Rng;
use records::records;
use varied::varied_entry;

/// Every record the tests hold the typed paths to: the vectors and
/// examples, one of each event type with the enum values around it, and
/// random records.
fn all_records() -> Vec<(String, LogEntry)> {
    let mut out = records();
    assert!(out.len() > 90, "{}", out.len());
    for event_type in -1..50 {
        for (outcome, severity) in [(0, 0), (1, 2), (3, 4), (5, 8), (77, 99)] {
            out.push((
                format!("event type {event_type}, outcome {outcome}, severity {severity}"),
                LogEntry {
                    event_type,
                    outcome,
                    severity,
                    actor_id: "someone".into(),
                    trace_id: "not hex".into(),
                    ..Default::default()
                },
            ));
        }
    }
    let mut rng = Rng(0x07e1_5eed_9a7e_0002);
    for i in 0..3000 {
        let entry = varied_entry(&mut rng);
        out.push((format!("random record {i}: {entry:?}"), entry));
    }
    out
}

/// The parts of an OTLP record as protobuf bytes (bytes, so that NaN
/// doubles compare equal to themselves).
fn bytes(r: &OtlpRecord) -> [Vec<u8>; 3] {
    let resource = Resource {
        attributes: r.resource.clone(),
        ..Resource::default()
    };
    [
        resource.encode_to_vec(),
        r.scope.encode_to_vec(),
        r.record.encode_to_vec(),
    ]
}

#[test]
fn otlp_typed_records_are_the_reflected_ones() {
    for options in [
        Options::default(),
        Options {
            observed_time_ns: Some(1_764_547_200_123_456_789),
            log_name: None,
        },
    ] {
        for (name, entry) in all_records() {
            let typed = to_otlp_record(&entry, &options).unwrap();
            let reflected = to_otlp_record_by_reflection(&entry, &options).unwrap();
            assert_eq!(bytes(&typed), bytes(&reflected), "{name}");
            assert!(
                builds_directly(&entry, &options),
                "{name} went by reflection"
            );
        }
    }
}

#[test]
fn otlp_protobuf_is_what_prost_encodes() {
    use lokryn_export::otlp::{to_protobuf, to_request};

    let records: Vec<LogEntry> = all_records().into_iter().map(|(_, e)| e).collect();
    let options = Options::default();
    for size in [1, 7, 512, records.len()] {
        for chunk in records.chunks(size) {
            let mut request = to_request(chunk, &options).unwrap();
            assert_eq!(to_protobuf(&request), request.encode_to_vec(), "{size}");
            // The fields no export sets, set: schema URLs, no resource.
            for rl in &mut request.resource_logs {
                rl.schema_url = "https://opentelemetry.io/schemas/1.37.0".into();
                rl.resource = None;
                for sl in &mut rl.scope_logs {
                    sl.schema_url = "s".repeat(200);
                    sl.scope = None;
                }
            }
            assert_eq!(to_protobuf(&request), request.encode_to_vec(), "{size}");
        }
    }
    assert!(to_protobuf(&to_request([], &options).unwrap()).is_empty());
}

/// The protobuf written straight from the records is what prost encodes
/// for the `opentelemetry-proto` request built from them, in every
/// grouping and with either observed time.
#[test]
fn otlp_direct_protobuf_is_what_prost_encodes() {
    use lokryn_export::otlp::{encode_request, to_request};

    let records: Vec<LogEntry> = all_records().into_iter().map(|(_, e)| e).collect();
    for options in [
        Options::default(),
        Options {
            observed_time_ns: Some(1_764_547_200_123_456_789),
            log_name: None,
        },
    ] {
        for size in [1, 7, 512, records.len()] {
            for chunk in records.chunks(size) {
                let request = to_request(chunk, &options).unwrap();
                assert_eq!(
                    encode_request(chunk, &options).unwrap(),
                    request.encode_to_vec(),
                    "{size}: {chunk:?}"
                );
            }
        }
    }
    assert!(encode_request(&[], &Options::default()).unwrap().is_empty());
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_typed_file_is_the_reflected_one() {
    use lokryn_export::parquet::FlatWriter;

    let records = all_records();
    // Files of a few batches (the writer flushes every 8,192 rows), so
    // that batch boundaries are crossed too.
    let mut typed = FlatWriter::new(Vec::new()).unwrap();
    let mut reflected = FlatWriter::by_reflection(Vec::new()).unwrap();
    for _ in 0..3 {
        for (_, entry) in &records {
            typed.push(entry).unwrap();
            reflected.push(entry).unwrap();
        }
    }
    assert_eq!(typed.rows_by_reflection(), 0);
    assert_eq!(reflected.rows_by_reflection(), 3 * records.len());
    let (typed, reflected) = (typed.finish().unwrap(), reflected.finish().unwrap());
    if typed == reflected {
        return;
    }
    // One record at a time, to name the first record that differs.
    for (name, entry) in &records {
        let mut a = FlatWriter::new(Vec::new()).unwrap();
        let mut b = FlatWriter::by_reflection(Vec::new()).unwrap();
        a.push(entry).unwrap();
        b.push(entry).unwrap();
        assert!(a.finish().unwrap() == b.finish().unwrap(), "{name}");
    }
    panic!("the Parquet files differ, though no single record does");
}

#[test]
fn ecs_typed_documents_are_the_reflected_ones() {
    use lokryn_export::ecs::{reads_directly, to_ecs, to_ecs_by_reflection};

    let options = Options::default();
    let mut direct = 0;
    let records = all_records();
    for (name, entry) in &records {
        let typed = serde_json::to_string(&to_ecs(entry, &options).unwrap()).unwrap();
        let reflected =
            serde_json::to_string(&to_ecs_by_reflection(entry, &options).unwrap()).unwrap();
        assert_eq!(typed, reflected, "{name}");
        direct += usize::from(reads_directly(entry));
    }
    // Only records with a repeated message (the delegation chain) go by
    // reflection.
    let with_lists = records
        .iter()
        .filter(|(_, e)| !e.delegation_chain.is_empty())
        .count();
    assert_eq!(direct + with_lists, records.len());
}
