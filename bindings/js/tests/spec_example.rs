//! The spec README's first example entry, built with the core's Rust types,
//! encodes to the bytes and JSON recorded in tests/npm/spec-example.json,
//! which the npm packages' suite (tests/npm) holds both packages and
//! protobuf-es to: the same bytes in Rust, Node, browsers and protobuf-es.

use lokryn_compliance_log::{
    EventType, LogEntry, Outcome, Sensitivity, Severity, codec, json, validate,
};

fn golden(key: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/npm/spec-example.json");
    let text = std::fs::read_to_string(path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value[key].as_str().unwrap().to_owned()
}

fn spec_first_example() -> LogEntry {
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: "agent-001".into(),
        component: "mcp-client".into(),
        environment: "production".into(),
        resource: "tools/database_query".into(),
        message: "Executed database query tool".into(),
        payload: br#"{"query": "SELECT * FROM users", "rows_returned": 42}"#.to_vec(),
        policy_tags: vec!["SOC2".into(), "data-access".into()],
        sensitivity: Sensitivity::Confidential as i32,
        ..Default::default()
    }
}

#[test]
fn encodes_to_the_recorded_bytes() {
    let hex: String = codec::encode(&spec_first_example())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, golden("hex"));
}

#[test]
fn writes_the_recorded_json() {
    assert_eq!(json::to_json(&spec_first_example()).unwrap(), golden("json"));
}

#[test]
fn is_valid() {
    let report = validate::validate(&spec_first_example());
    assert!(report.is_valid(), "{report:?}");
}
