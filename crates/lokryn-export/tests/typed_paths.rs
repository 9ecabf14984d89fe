//! The typed paths of the OTLP and Parquet exports (fields read through the
//! core's generated field access) against their general paths (reflection):
//! the same OTLP records, byte for byte, and the same Parquet file, for every
//! golden vector, example, event type and many random records, and built by
//! the typed path (not handed to the general one) for all of them. Then
//! every export of a view of the encoded record against the export of the
//! decoded record: the same bytes.

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

/// Each record encoded, its encoding followed by the next record's (which
/// prost reads as one record, the second merged into the first), and its
/// encoding with a field the schema does not define: what a view and the
/// decoded entry are both read from.
fn encodings() -> Vec<(String, Vec<u8>)> {
    use lokryn_compliance_log::codec;

    let records = all_records();
    let mut out: Vec<(String, Vec<u8>)> = records
        .iter()
        .map(|(name, entry)| (name.clone(), codec::encode(entry)))
        .collect();
    for pair in records.windows(2).take(300) {
        let [(a, first), (b, second)] = pair else {
            continue;
        };
        let mut bytes = codec::encode(first);
        bytes.extend(codec::encode(second));
        out.push((format!("{a}, merged with {b}"), bytes));
    }
    for (name, entry) in records.iter().take(100) {
        let mut bytes = codec::encode(entry);
        // Field 4000, a varint: unknown to the schema.
        bytes.extend([0x80, 0xfa, 0x01, 0x2a]);
        out.push((format!("{name}, with an unknown field"), bytes));
    }
    out
}

/// The views of `encodings()` next to the decoded entries.
struct Decoded<'a> {
    name: &'a str,
    bytes: &'a [u8],
    view: lokryn_compliance_log::view::LogEntryView<'a>,
    entry: LogEntry,
}

fn decoded(encodings: &[(String, Vec<u8>)]) -> Vec<Decoded<'_>> {
    use lokryn_compliance_log::{codec, view};

    encodings
        .iter()
        .map(|(name, bytes)| Decoded {
            name,
            bytes,
            view: view::decode(bytes, &codec::Limits::DEFAULT).unwrap(),
            entry: codec::decode(bytes).unwrap(),
        })
        .collect()
}

fn export_options() -> [Options; 2] {
    [
        Options::default(),
        Options {
            observed_time_ns: Some(1_764_547_200_123_456_789),
            log_name: Some("audit".into()),
        },
    ]
}

#[test]
fn ocsf_from_a_view_is_the_bytes_of_the_decoded_entry() {
    use lokryn_export::Record;
    use lokryn_export::ocsf::{write_ocsf, write_ocsf_record, writes_directly};

    let encodings = encodings();
    for options in export_options() {
        for d in decoded(&encodings) {
            let record = Record::view(&d.view, d.bytes);
            let (mut from_view, mut from_entry) = (Vec::new(), Vec::new());
            write_ocsf_record(record, &options, &mut from_view).unwrap();
            write_ocsf(&d.entry, &options, &mut from_entry).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&from_view),
                String::from_utf8_lossy(&from_entry),
                "{}",
                d.name
            );
            assert!(writes_directly(record, &options), "{}", d.name);
        }
    }
}

/// The protobuf, and the request of OTLP/JSON, from views, from decoded
/// entries and from both mixed, are the same.
#[test]
fn otlp_from_views_is_the_bytes_of_the_decoded_entries() {
    use lokryn_export::Record;
    use lokryn_export::otlp::{
        builds_directly, encode_request, encode_request_records, to_json, to_request,
        to_request_records,
    };
    let json = |request| to_json(&request).unwrap();

    let encodings = encodings();
    let all = decoded(&encodings);
    let views: Vec<Record<'_>> = all.iter().map(|d| Record::view(&d.view, d.bytes)).collect();
    let entries: Vec<LogEntry> = all.iter().map(|d| d.entry.clone()).collect();
    for options in export_options() {
        for size in [1, 7, 512, all.len()] {
            for (views, entries) in views.chunks(size).zip(entries.chunks(size)) {
                assert_eq!(
                    encode_request_records(views, &options).unwrap(),
                    encode_request(entries, &options).unwrap(),
                    "{size}: {entries:?}"
                );
                assert_eq!(
                    json(to_request_records(views.iter().copied(), &options).unwrap()),
                    json(to_request(entries, &options).unwrap()),
                    "{size}: {entries:?}"
                );
            }
        }
        for (d, view) in all.iter().zip(&views) {
            assert!(builds_directly(*view, &options), "{}", d.name);
        }
    }
    // Views and decoded entries mixed in one request.
    let mixed: Vec<Record<'_>> = views
        .iter()
        .zip(&entries)
        .enumerate()
        .map(|(i, (view, entry))| {
            if i % 3 == 0 {
                Record::Entry(entry)
            } else {
                *view
            }
        })
        .collect();
    assert_eq!(
        encode_request_records(&mixed, &Options::default()).unwrap(),
        encode_request(&entries, &Options::default()).unwrap()
    );
    assert_eq!(
        json(to_request_records(mixed, &Options::default()).unwrap()),
        json(to_request(&entries, &Options::default()).unwrap())
    );
}

#[test]
fn ecs_from_a_view_is_the_document_of_the_decoded_entry() {
    use lokryn_export::Record;
    use lokryn_export::ecs::{reads_directly, to_ecs, to_ecs_record};

    let encodings = encodings();
    let mut decoded_for_reflection = 0;
    for options in export_options() {
        for d in decoded(&encodings) {
            let record = Record::view(&d.view, d.bytes);
            let from_view = serde_json::to_string(&to_ecs_record(record, &options).unwrap());
            let from_entry = serde_json::to_string(&to_ecs(&d.entry, &options).unwrap());
            assert_eq!(from_view.unwrap(), from_entry.unwrap(), "{}", d.name);
            // A view with a delegation chain is decoded for the general
            // path (the fallback these records exercise).
            assert_eq!(
                reads_directly(record),
                d.entry.delegation_chain.is_empty(),
                "{}",
                d.name
            );
            decoded_for_reflection += usize::from(!reads_directly(record));
        }
    }
    assert!(decoded_for_reflection > 10, "{decoded_for_reflection}");
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_from_views_is_the_file_of_the_decoded_entries() {
    use lokryn_export::Record;
    use lokryn_export::parquet::FlatWriter;

    let encodings = encodings();
    let all = decoded(&encodings);
    let mut from_views = FlatWriter::new(Vec::new()).unwrap();
    let mut from_entries = FlatWriter::new(Vec::new()).unwrap();
    for d in &all {
        from_views
            .push_record(Record::view(&d.view, d.bytes))
            .unwrap();
        from_entries.push(&d.entry).unwrap();
    }
    assert_eq!(from_views.rows_by_reflection(), 0);
    assert!(from_views.finish().unwrap() == from_entries.finish().unwrap());
}

/// The decoded entry of a view is the one its bytes decode to; bytes that
/// do not decode (a view given the wrong bytes) are an error, not a panic.
#[test]
fn a_view_decodes_to_its_entry_for_the_general_path() {
    use lokryn_export::Record;

    let encodings = encodings();
    for d in decoded(&encodings) {
        let entry = Record::view(&d.view, d.bytes).to_entry().unwrap();
        assert_eq!(*entry, d.entry, "{}", d.name);
    }
    let all = decoded(&encodings);
    let first = all.first().unwrap();
    let err = Record::view(&first.view, &[0xff]).to_entry().unwrap_err();
    assert_eq!(err.code(), "EXPORT_WRITE");
}
