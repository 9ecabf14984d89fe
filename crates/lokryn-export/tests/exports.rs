//! The mappings, pinned: OCSF class, activity and severity per event type,
//! OpenTelemetry severity per level, ECS categorization from ECS's allowed
//! values, and nothing of a record lost in any target.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity, json};
use lokryn_export::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use lokryn_export::otlp::{self, event_name};
use lokryn_export::{Options, ecs, ocsf};
use prost::Message as _;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vector(name: &str) -> LogEntry {
    let path = repo().join("tests/vectors/wire").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    json::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn entry(event_type: EventType) -> LogEntry {
    LogEntry {
        event_type: event_type as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: "someone".into(),
        ..Default::default()
    }
}

/// (event type, OCSF class_uid, activity_id): the table docs/exports.md
/// renders, pinned so that a change to the options is a visible change here.
const CLASSES: &[(EventType, i64, i64)] = &[
    (EventType::Unspecified, 0, 0),
    (EventType::EventLogin, 3002, 1),
    (EventType::EventLogout, 3002, 2),
    (EventType::EventFileAccess, 1001, 99),
    (EventType::EventPolicyChange, 3004, 3),
    (EventType::EventPrivilegeUse, 3003, 1),
    (EventType::EventConfigChange, 3004, 3),
    (EventType::EventDataExport, 6001, 7),
    (EventType::EventNetworkConnection, 4001, 99),
    (EventType::EventProcessStart, 6002, 3),
    (EventType::EventProcessStop, 6002, 4),
    (EventType::EventUserManagement, 3001, 99),
    (EventType::EventResourceAccess, 6003, 2),
    (EventType::EventToolInvocation, 6003, 99),
    (EventType::EventModelInference, 6003, 99),
    (EventType::EventAgentDecision, 6003, 99),
    (EventType::EventDelegation, 6003, 99),
    (EventType::EventContextAccess, 6003, 2),
    (EventType::EventPromptExecution, 6003, 99),
    (EventType::EventGuardrailCheck, 6003, 99),
    (EventType::EventMcpInitialize, 6003, 99),
    (EventType::EventMcpInitialized, 6003, 99),
    (EventType::EventMcpPing, 6003, 99),
    (EventType::EventMcpShutdown, 6003, 99),
    (EventType::EventToolList, 6003, 2),
    (EventType::EventResourceList, 6003, 2),
    (EventType::EventPromptList, 6003, 2),
    (EventType::EventResourceRead, 6003, 2),
    (EventType::EventSamplingRequest, 6003, 99),
    (EventType::EventSamplingResponse, 6003, 99),
    (EventType::EventTransportConnect, 4001, 1),
    (EventType::EventTransportDisconnect, 4001, 2),
    (EventType::EventTransportError, 4001, 4),
    (EventType::EventElicitationRequest, 6003, 99),
    (EventType::EventElicitationResponse, 6003, 99),
    (EventType::EventRootsList, 6003, 2),
    (EventType::EventMcpNotification, 6003, 99),
    (EventType::EventMcpLogMessage, 6003, 99),
];

#[test]
fn every_event_type_has_its_ocsf_class_and_activity() {
    let all: Vec<i32> = lokryn_compliance_log::DESCRIPTOR_POOL
        .get_enum_by_name("lokryn.compliancelog.v1.EventType")
        .map(|e| e.values().map(|v| v.number()).collect())
        .unwrap_or_default();
    assert_eq!(
        all.len(),
        CLASSES.len(),
        "a new event type needs a row here"
    );
    for &(event_type, class_uid, activity_id) in CLASSES {
        let event = ocsf::to_ocsf(&entry(event_type), &Options::default()).unwrap();
        let name = format!("{event_type:?}");
        assert_eq!(event["class_uid"], class_uid, "{name}");
        assert_eq!(event["activity_id"], activity_id, "{name}");
        assert_eq!(event["category_uid"], class_uid / 1000, "{name}");
        assert_eq!(event["type_uid"], class_uid * 100 + activity_id, "{name}");
        assert_eq!(event["metadata"]["version"], "1.7.0");
    }
}

#[test]
fn severities_follow_ocsf_and_the_opentelemetry_syslog_mapping() {
    // (level, OCSF severity_id, OTel SeverityNumber, ECS log.level, syslog code)
    let table = [
        (Severity::Debug, 1, 5, "debug", 7),
        (Severity::Info, 1, 9, "info", 6),
        (Severity::Notice, 2, 10, "notice", 5),
        (Severity::Warning, 3, 13, "warning", 4),
        (Severity::Error, 4, 17, "error", 3),
        (Severity::Critical, 5, 18, "critical", 2),
        (Severity::Alert, 5, 19, "alert", 1),
        (Severity::Emergency, 6, 21, "emergency", 0),
    ];
    for (severity, ocsf_id, otel, level, code) in table {
        let e = LogEntry {
            severity: severity as i32,
            ..entry(EventType::EventLogin)
        };
        let o = Options::default();
        assert_eq!(ocsf::to_ocsf(&e, &o).unwrap()["severity_id"], ocsf_id);
        let record = otlp::to_otlp_record(&e, &o).unwrap().record;
        assert_eq!(record.severity_number, otel, "{severity:?}");
        let doc = ecs::to_ecs(&e, &o).unwrap();
        assert_eq!(doc["log"]["level"], level);
        assert_eq!(doc["log"]["syslog"]["severity"]["code"], code);
    }
    let unset = ocsf::to_ocsf(&LogEntry::default(), &Options::default()).unwrap();
    assert_eq!(
        (&unset["severity_id"], &unset["severity"]),
        (&Value::from(0), &Value::from("Unknown"))
    );
}

#[test]
fn outcomes_set_ocsf_status_and_ecs_outcome() {
    let table = [
        (Outcome::Success, 1, "Success", "success"),
        (Outcome::FailureUnauthorized, 2, "Unauthorized", "failure"),
        (Outcome::FailureDenied, 2, "Denied", "failure"),
        (Outcome::FailureError, 2, "Error", "failure"),
        (Outcome::Partial, 99, "Partial", "unknown"),
    ];
    for (outcome, status_id, detail, ecs_outcome) in table {
        let e = LogEntry {
            outcome: outcome as i32,
            ..entry(EventType::EventLogin)
        };
        let event = ocsf::to_ocsf(&e, &Options::default()).unwrap();
        assert_eq!(event["status_id"], status_id);
        assert_eq!(event["status_detail"], detail);
        let doc = ecs::to_ecs(&e, &Options::default()).unwrap();
        assert_eq!(doc["event"]["outcome"], ecs_outcome);
        assert_eq!(
            doc["labels"]["outcome"],
            format!("{}", outcome.as_str_name())
        );
    }
}

/// ECS 9.x `event.category` values and the `event.type` values ECS allows
/// with each (the ECS field reference, "ECS Categorization Fields").
const ECS_ALLOWED: &[(&str, &[&str])] = &[
    (
        "api",
        &[
            "access", "admin", "allowed", "change", "creation", "deletion", "denied", "end",
            "info", "start", "user",
        ],
    ),
    ("authentication", &["start", "end", "info"]),
    (
        "configuration",
        &["access", "change", "creation", "deletion", "info"],
    ),
    (
        "file",
        &["access", "change", "creation", "deletion", "info"],
    ),
    (
        "iam",
        &[
            "admin", "change", "creation", "deletion", "group", "info", "user",
        ],
    ),
    (
        "network",
        &[
            "access",
            "allowed",
            "connection",
            "denied",
            "end",
            "info",
            "protocol",
            "start",
        ],
    ),
    ("process", &["access", "change", "end", "info", "start"]),
    ("session", &["start", "end", "info"]),
];

#[test]
fn ecs_categorization_uses_allowed_values() {
    for &(event_type, _, _) in CLASSES {
        let doc = ecs::to_ecs(&entry(event_type), &Options::default()).unwrap();
        if event_type == EventType::Unspecified {
            assert!(doc["event"].get("category").is_none());
            continue;
        }
        assert_eq!(doc["event"]["kind"], "event");
        let categories: Vec<&str> = doc["event"]["category"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for t in doc["event"]["type"].as_array().unwrap() {
            let t = t.as_str().unwrap();
            let ok = categories.iter().any(|c| {
                ECS_ALLOWED
                    .iter()
                    .any(|(cat, types)| cat == c && types.contains(&t))
            });
            assert!(
                ok,
                "{event_type:?}: type {t} is allowed by none of {categories:?}"
            );
        }
    }
}

/// Every string and number a record holds, as JSON text fragments.
fn leaves(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(serde_json::to_string(s).unwrap()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| leaves(v, out)),
        _ => {}
    }
}

#[test]
fn nothing_of_a_record_is_lost_in_ocsf_or_ecs() {
    let e = vector("all-fields.json");
    let canonical: Value = serde_json::from_str(&json::to_json(&e).unwrap()).unwrap();
    let mut expected = Vec::new();
    leaves(&canonical, &mut expected);
    let o = Options::default();
    for (target, text) in [
        ("ocsf", ocsf::to_ocsf(&e, &o).unwrap().to_string()),
        ("ecs", ecs::to_ecs(&e, &o).unwrap().to_string()),
    ] {
        for leaf in &expected {
            // Canonical JSON writes int64 as strings and the time as text.
            let bare = leaf.trim_matches('"');
            // An enum value may become an id with its caption ("Tool"), an
            // action ("tool_invocation") or a level ("notice"): its name
            // without the enum's prefix must still be there.
            let enum_suffix = ["EVENT_", "OUTCOME_", "SEVERITY_", "ACTOR_TYPE_"]
                .iter()
                .find_map(|p| bare.strip_prefix(p))
                .map(str::to_ascii_lowercase);
            let found = text.contains(leaf.as_str())
                || text.contains(bare)
                || enum_suffix.is_some_and(|s| {
                    let lower = text.to_ascii_lowercase();
                    lower.contains(&s) || lower.contains(&s.replace('_', " "))
                })
                || leaf.starts_with("\"2025-11-28") // time: checked below
                || leaf.starts_with("\"eyJ"); // payload: embedded as JSON, checked below
            assert!(found, "{target} lost {leaf}");
        }
    }
    let event = ocsf::to_ocsf(&e, &o).unwrap();
    assert_eq!(event["time"], 1_764_321_234_567_i64);
    assert_eq!(event["unmapped"]["payload"]["query"], "PCI DSS 10.2.2");
    assert_eq!(
        ecs::to_ecs(&e, &o).unwrap()["@timestamp"],
        "2025-11-28T09:13:54.567Z"
    );
}

#[test]
fn otlp_carries_the_record_with_semantic_convention_names() {
    let e = vector("all-fields.json");
    let o = Options {
        observed_time_ns: Some(1_800_000_000_000_000_000),
        log_name: None,
    };
    let one = otlp::to_otlp_record(&e, &o).unwrap();
    let r = &one.record;
    assert_eq!(r.time_unix_nano, 1_764_321_234_567_000_000);
    assert_eq!(r.observed_time_unix_nano, 1_800_000_000_000_000_000);
    assert_eq!(r.event_name, "lokryn.tool_invocation");
    assert_eq!(
        event_name(EventType::EventMcpPing as i32),
        "lokryn.mcp_ping"
    );
    assert_eq!(
        event_name(EventType::EventMcpLogMessage as i32),
        "lokryn.mcp_log_message"
    );
    assert_eq!(r.severity_number, 10);
    assert_eq!(r.severity_text, "NOTICE");
    assert_eq!(r.trace_id.len(), 16);
    assert_eq!(r.span_id.len(), 8);
    let keys: Vec<&str> = r.attributes.iter().map(|a| a.key.as_str()).collect();
    for key in [
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
        "gen_ai.tool.name",
        "mcp.method.name",
        "mcp.session.id",
        "mcp.protocol.version",
        "user.id",
        "log.record.uid",
        "lokryn.delegation_chain",
    ] {
        assert!(keys.contains(&key), "missing {key} in {keys:?}");
    }
    // Both payloads name the tool "web_search": one attribute, not two.
    assert_eq!(keys.iter().filter(|k| **k == "gen_ai.tool.name").count(), 1);
    let resource: Vec<&str> = one.resource.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        resource,
        ["service.name", "deployment.environment.name", "host.name"]
    );
    assert_eq!(one.scope.name, "lokryn-mcp");

    let request = otlp::to_request([&e, &e], &o).unwrap();
    assert_eq!(request.resource_logs.len(), 1);
    assert_eq!(request.resource_logs[0].scope_logs[0].log_records.len(), 2);
    let bytes = otlp::to_protobuf(&request);
    let back = ExportLogsServiceRequest::decode(bytes.as_slice()).unwrap();
    assert_eq!(back, request);
    let text = otlp::to_json(&request).unwrap();
    assert!(
        text.contains(r#""traceId":"4bf92f3577b34da6a3ce929d0e0e4736""#),
        "{text}"
    );
    assert!(text.contains(r#""spanId":"00f067aa0ba902b7""#));
    assert!(text.contains(r#""timeUnixNano":"1764321234567000000""#));
}

#[test]
fn records_without_a_time_or_before_1970_keep_it() {
    let before = vector("time-before-epoch.json");
    let r = otlp::to_otlp_record(&before, &Options::default())
        .unwrap()
        .record;
    assert_eq!(r.time_unix_nano, 0);
    assert!(r.attributes.iter().any(|a| a.key == "lokryn.time"));
    let event = ocsf::to_ocsf(&before, &Options::default()).unwrap();
    assert!(event["time"].as_i64().unwrap() < 0);

    let o = Options {
        observed_time_ns: Some(1_700_000_000_123_000_000),
        log_name: Some("audit".into()),
    };
    let event = ocsf::to_ocsf(&LogEntry::default(), &o).unwrap();
    assert_eq!(event["time"], 1_700_000_000_123_i64);
    assert_eq!(event["unmapped"]["time_unset"], true);
    assert_eq!(event["metadata"]["log_name"], "audit");
}

#[test]
fn unknown_enum_numbers_are_kept() {
    let e = vector("unknown-enum-numbers.json");
    let event = ocsf::to_ocsf(&e, &Options::default()).unwrap();
    let text = event.to_string();
    assert_eq!(
        event["class_uid"], 0,
        "an undefined event type is a Base Event"
    );
    assert!(event["unmapped"].is_object(), "{text}");
    let canonical: Value = serde_json::from_str(&json::to_json(&e).unwrap()).unwrap();
    for (key, value) in canonical.as_object().unwrap() {
        if let Some(n) = value.as_i64() {
            assert!(text.contains(&n.to_string()), "{key}={n} lost: {text}");
        }
    }
}
