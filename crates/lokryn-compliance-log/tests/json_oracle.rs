//! The generated canonical-JSON writer, held to prost-reflect's
//! reflection-based proto3 JSON serializer on many random entries, and the
//! reader held to round trips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
// The random generator truncates on purpose.
#![allow(clippy::cast_possible_truncation)]

use lokryn_compliance_log::v1::LogEntry;
use lokryn_compliance_log::{codec, json};
use prost_reflect::ReflectMessage as _;

#[path = "support/random.rs"]
mod random;

use random::{Rng, random_entry};

#[test]
fn generated_writer_matches_reflection_serializer() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for i in 0..3000 {
        let entry = random_entry(&mut rng);
        let text = json::to_json(&entry).unwrap();
        // One line, whatever the strings hold: safe for JSON Lines.
        assert!(
            !text.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']),
            "{text}"
        );
        let ours: serde_json::Value = serde_json::from_str(&text).unwrap();
        let oracle = serde_json::to_value(entry.transcode_to_dynamic()).unwrap();
        assert_eq!(ours, oracle, "entry {i}: {entry:?}");
        // And the reader takes the writer's output back to the same message.
        let back = json::from_json(&json::to_json(&entry).unwrap()).unwrap();
        assert_eq!(codec::encode(&back), codec::encode(&entry), "entry {i}");
    }
}

#[test]
fn out_of_range_timestamps_are_errors_not_garbage() {
    for (seconds, nanos) in [
        (253_402_300_800, 0),
        (-62_135_596_801, 0),
        (0, -1),
        (0, 1_000_000_000),
    ] {
        let entry = LogEntry {
            time: Some(prost_types::Timestamp { seconds, nanos }),
            ..Default::default()
        };
        let err = json::to_json(&entry).unwrap_err();
        assert_eq!(err.code(), "JSON_VALUE");
        assert!(err.to_string().contains("`time`"), "{err}");
        let mut out = String::from("kept");
        assert!(json::to_json_into(&entry, &mut out).is_err());
        assert_eq!(out, "kept", "a failed write leaves the buffer as it was");
    }
}

#[test]
fn reader_accepts_every_spelling_the_mapping_allows() {
    let canonical = json::from_json(
        r#"{"eventType":"EVENT_LOGIN","actorId":"a","durationMs":"5","time":"2026-01-02T03:04:05Z","payload":"+/8="}"#,
    )
    .unwrap();
    for text in [
        // Original field names, enum numbers, 64-bit ints as numbers.
        r#"{"event_type":1,"actor_id":"a","duration_ms":5,"time":"2026-01-02T03:04:05Z","payload":"+/8="}"#,
        // A timestamp with an offset, URL-safe base64 without padding, nulls.
        r#"{"eventType":"EVENT_LOGIN","actorId":"a","durationMs":"5","time":"2026-01-02T05:04:05+02:00","payload":"-_8","message":null}"#,
        // Whitespace and an exponent.
        "{ \"eventType\" : \"EVENT_LOGIN\" ,\n \"actorId\" : \"a\", \"durationMs\": 5e0, \"time\": \"2026-01-02T03:04:05.000Z\", \"payload\": \"+/8=\" }",
    ] {
        assert_eq!(json::from_json(text).unwrap(), canonical, "{text}");
    }
}

#[test]
fn reader_refuses_what_the_mapping_forbids() {
    for (text, code) in [
        (r#"{"actorId": 5}"#, "JSON"),
        (r#"{"nope": 1}"#, "JSON"),
        (r#"{"durationMs": "9223372036854775808"}"#, "JSON"),
        (r#"{"durationMs": 1.5}"#, "JSON"),
        (r#"{"time": "2026-13-01T00:00:00Z"}"#, "JSON"),
        (r#"{"payload": "!!"}"#, "JSON"),
        (r#"[]"#, "JSON"),
        ("", "JSON"),
    ] {
        let err = json::from_json(text).unwrap_err();
        assert_eq!(err.code(), code, "{text}: {err}");
    }
    let lenient = json::JsonOptions::default().ignore_unknown_fields(true);
    assert!(json::from_json_with(r#"{"nope": 1, "actorId": "a"}"#, &lenient).is_ok());
}

#[test]
fn size_limits_hold() {
    let limits = codec::Limits::with_max_entry_bytes(16);
    let entry = LogEntry {
        message: "x".repeat(100),
        ..Default::default()
    };
    let err = codec::decode_with(&codec::encode(&entry), &limits).unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE");
    let options = json::JsonOptions::default().limits(codec::Limits::with_max_entry_bytes(4));
    assert_eq!(
        json::from_json_with(&json::to_json(&entry).unwrap(), &options)
            .unwrap_err()
            .code(),
        "TOO_LARGE"
    );
}

/// The reader moves prost-reflect's `DynamicMessage` into the typed struct
/// with generated code; the oracle is prost-reflect's own transcode (encode,
/// then decode) of the same parse, on every golden vector (`all-fields` sets
/// every field of every message) and on random entries.
#[test]
fn reader_matches_prost_reflect_transcode() {
    let oracle = |text: &str| -> LogEntry {
        let mut de = serde_json::Deserializer::from_str(text);
        prost_reflect::DynamicMessage::deserialize(LogEntry::default().descriptor(), &mut de)
            .unwrap()
            .transcode_to::<LogEntry>()
            .unwrap()
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/wire");
    let mut vectors = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") && !path.ends_with("manifest.json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let ours = json::from_json(&text).unwrap();
            assert_eq!(
                codec::encode(&ours),
                codec::encode(&oracle(&text)),
                "{path:?}"
            );
            vectors += 1;
        }
    }
    assert!(vectors > 40, "{vectors} vectors");
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    for i in 0..1000 {
        let text = json::to_json(&random_entry(&mut rng)).unwrap();
        assert_eq!(
            codec::encode(&json::from_json(&text).unwrap()),
            codec::encode(&oracle(&text)),
            "entry {i}"
        );
    }
}
