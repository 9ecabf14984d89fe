//! The shared golden wire vectors in `tests/vectors/wire/`: entries defined here,
//! encoded by this crate to binary (`NAME.binpb`, one message, no length
//! prefix) and canonical JSON (`NAME.json`), listed in `manifest.json`.
//! Every other implementation (the Python wheel, the npm packages, code that
//! buf generates for Go, Java, C++, …) must decode each binary to the JSON
//! value of its `.json`, and re-encode it to the same bytes.
//!
//! This test fails when the files differ from what the definitions produce.
//! `cargo xtask codegen` rewrites them (it runs this test with
//! `LOKRYN_BLESS=1`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lokryn_compliance_log::v1::{
    ActorType, DelegationLink, EventType, GenAiPayload, LogEntry, McpPayload, Outcome,
    PayloadFormat, Producer, Sensitivity, Severity,
};
use lokryn_compliance_log::{codec, json};
use prost_types::Timestamp;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/wire")
}

struct Vector {
    name: String,
    description: String,
    entry: LogEntry,
}

fn v(name: impl Into<String>, description: impl Into<String>, entry: LogEntry) -> Vector {
    Vector {
        name: name.into(),
        description: description.into(),
        entry,
    }
}

fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

/// The three examples of the Python package's README, field for field.
fn spec_examples() -> Vec<Vector> {
    let base = |event: EventType, outcome: Outcome, severity: Severity| LogEntry {
        event_type: event as i32,
        outcome: outcome as i32,
        severity: severity as i32,
        actor_id: "agent-001".into(),
        environment: "production".into(),
        ..Default::default()
    };
    vec![
        v("spec-tool-invocation", "The first example of the Python README: an MCP tool call.", LogEntry {
            component: "mcp-client".into(),
            resource: "tools/database_query".into(),
            message: "Executed database query tool".into(),
            payload: br#"{"query": "SELECT * FROM users", "rows_returned": 42}"#.to_vec(),
            policy_tags: vec!["SOC2".into(), "data-access".into()],
            sensitivity: Sensitivity::Confidential as i32,
            ..base(EventType::EventToolInvocation, Outcome::Success, Severity::Info)
        }),
        v("spec-guardrail-check", "The second example of the Python README: a guardrail check.", LogEntry {
            component: "safety-filter".into(),
            resource: "guardrails/pii-detection".into(),
            message: "PII detected in agent output, blocked".into(),
            payload: br#"{"rule": "ssn-pattern", "action": "block"}"#.to_vec(),
            policy_tags: vec!["PII".into(), "HIPAA".into()],
            sensitivity: Sensitivity::HighlyRestricted as i32,
            ..base(EventType::EventGuardrailCheck, Outcome::FailureDenied, Severity::Warning)
        }),
        v("spec-agent-decision", "The third example of the Python README: an agent decision.", LogEntry {
            component: "decision-engine".into(),
            resource: "workflows/customer-support".into(),
            message: "Agent chose to escalate to human".into(),
            payload: br#"{"options": ["respond", "escalate", "defer"], "selected": "escalate", "confidence": 0.92}"#
                .to_vec(),
            policy_tags: vec!["audit-trail".into()],
            sensitivity: Sensitivity::Internal as i32,
            ..base(EventType::EventAgentDecision, Outcome::Success, Severity::Info)
        }),
    ]
}

/// One entry per non-zero value of every enum, in the field that holds it.
fn enum_values() -> Vec<Vector> {
    let pool = &*lokryn_compliance_log::DESCRIPTOR_POOL;
    type Setter = fn(&mut LogEntry, i32);
    let fields: [(&str, Setter); 6] = [
        ("EventType", |e, n| e.event_type = n),
        ("Outcome", |e, n| e.outcome = n),
        ("Severity", |e, n| e.severity = n),
        ("Sensitivity", |e, n| e.sensitivity = n),
        ("ActorType", |e, n| e.actor_type = n),
        ("PayloadFormat", |e, n| e.payload_format = n),
    ];
    let mut out = Vec::new();
    for (enum_name, set) in fields {
        let descriptor = pool
            .get_enum_by_name(&format!("lokryn.compliancelog.v1.{enum_name}"))
            .unwrap();
        for value in descriptor.values().filter(|v| v.number() != 0) {
            let mut entry = LogEntry {
                actor_id: "enum-coverage".into(),
                ..Default::default()
            };
            set(&mut entry, value.number());
            let slug = value.name().to_lowercase().replace('_', "-");
            out.push(v(
                format!("enum-{slug}"),
                format!("{enum_name} {} = {}.", value.name(), value.number()),
                entry,
            ));
        }
    }
    out
}

fn all_fields() -> LogEntry {
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Partial as i32,
        severity: Severity::Notice as i32,
        actor_id: "tool:web_search".into(),
        component: "mcp-client".into(),
        environment: "staging".into(),
        resource: "tools/web_search".into(),
        message: "Searched the web for the user's question; 3 of 5 sources answered".into(),
        payload: br#"{"query":"PCI DSS 10.2.2","results":3}"#.to_vec(),
        policy_tags: vec!["SOC2".into(), "PCI".into(), "egress".into()],
        sensitivity: Sensitivity::Restricted as i32,
        time: ts(1_764_321_234, 567_000_000),
        event_id: "019ac9d2-3b4f-7e21-8a6c-2f1d9e4b7c30".into(),
        actor_type: ActorType::Tool as i32,
        delegation_chain: vec![
            DelegationLink {
                actor_id: "carol@example.com".into(),
                actor_type: ActorType::User as i32,
                scopes: vec!["search".into(), "tickets:read".into()],
                reason: "ticket SUP-1182".into(),
            },
            DelegationLink {
                actor_id: "agent:planner".into(),
                actor_type: ActorType::Agent as i32,
                scopes: vec!["search".into()],
                reason: String::new(),
            },
            DelegationLink {
                actor_id: "agent:researcher".into(),
                actor_type: ActorType::Agent as i32,
                scopes: Vec::new(),
                reason: "needs fresh sources".into(),
            },
        ],
        source_ip: "2001:db8::1".into(),
        host: "agents-7c9f.eu-west-1.internal".into(),
        user_agent: "lokryn-mcp/0.3.0 (linux; x86_64)".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        span_id: "00f067aa0ba902b7".into(),
        parent_span_id: "53995c3f42cd8ad8".into(),
        session_id: "sess-7f3a9c".into(),
        request_id: "req-000042".into(),
        duration_ms: 1234,
        error_code: "PARTIAL_RESULTS".into(),
        error_message: "2 sources timed out".into(),
        producer: Some(Producer {
            name: "lokryn-mcp".into(),
            version: "0.3.0".into(),
        }),
        schema_version: "0.3.0".into(),
        genai: Some(GenAiPayload {
            operation_name: "execute_tool".into(),
            provider_name: "anthropic".into(),
            request_model: "claude-sonnet-4".into(),
            response_model: "claude-sonnet-4-20250514".into(),
            response_id: "msg_01XFDUDYJgAACzvnptvVoYEL".into(),
            input_tokens: 1834,
            output_tokens: 412,
            finish_reasons: vec!["tool_use".into(), "stop".into()],
            temperature: Some(0.7),
            top_p: Some(0.95),
            max_tokens: Some(4096),
            conversation_id: "conv-5521".into(),
            agent_id: "agent:researcher".into(),
            agent_name: "Researcher".into(),
            tool_name: "web_search".into(),
            tool_call_id: "toolu_01A09q90qw90lq917835lq9".into(),
            tool_type: "function".into(),
            data_source_id: "web".into(),
        }),
        mcp: Some(McpPayload {
            method_name: "tools/call".into(),
            protocol_version: "2025-06-18".into(),
            session_id: "mcp-sess-3f9a".into(),
            request_id: "42".into(),
            tool_name: "web_search".into(),
            prompt_name: "summarize".into(),
            resource_uri: "https://example.com/doc".into(),
            transport: "streamable-http".into(),
            client_name: "desktop-assistant".into(),
            client_version: "1.9.0".into(),
            server_name: "search".into(),
            server_version: "2.0.1".into(),
            jsonrpc_error_code: Some(-32602),
        }),
        payload_format: PayloadFormat::Json as i32,
    }
}

fn edge_cases() -> Vec<Vector> {
    let actor = |s: &str| LogEntry {
        actor_id: s.into(),
        ..Default::default()
    };
    let all_bytes: Vec<u8> = (0..=255).collect();
    vec![
        v("empty", "The empty entry: zero bytes, `{}`.", LogEntry::default()),
        v("all-fields", "Every field of every message set.", all_fields()),
        v("optional-zeros", "proto3 optional fields set to zero: present on the wire and in JSON.", LogEntry {
            genai: Some(GenAiPayload {
                temperature: Some(0.0),
                top_p: Some(0.0),
                max_tokens: Some(0),
                ..Default::default()
            }),
            mcp: Some(McpPayload { jsonrpc_error_code: Some(0), ..Default::default() }),
            ..actor("optional-zeros")
        }),
        v("empty-submessages", "Sub-messages present but empty.", LogEntry {
            producer: Some(Producer::default()),
            genai: Some(GenAiPayload::default()),
            mcp: Some(McpPayload::default()),
            time: ts(0, 0),
            delegation_chain: vec![DelegationLink::default()],
            ..Default::default()
        }),
        v("int64-max", "64-bit fields at their maximum: JSON strings.", LogEntry {
            duration_ms: i64::MAX,
            genai: Some(GenAiPayload {
                input_tokens: i64::MAX,
                output_tokens: i64::MAX,
                max_tokens: Some(i64::MAX),
                ..Default::default()
            }),
            ..actor("int64-max")
        }),
        v("int64-min", "64-bit fields at their minimum (ten-byte varints).", LogEntry {
            duration_ms: i64::MIN,
            genai: Some(GenAiPayload {
                input_tokens: i64::MIN,
                output_tokens: -1,
                max_tokens: Some(i64::MIN),
                ..Default::default()
            }),
            ..actor("int64-min")
        }),
        v("int32-edges", "int32 at its edges.", LogEntry {
            mcp: Some(McpPayload { jsonrpc_error_code: Some(i32::MIN), ..Default::default() }),
            ..actor("int32-edges")
        }),
        v("int32-max", "int32 at its maximum.", LogEntry {
            mcp: Some(McpPayload { jsonrpc_error_code: Some(i32::MAX), ..Default::default() }),
            ..actor("int32-max")
        }),
        v("unknown-enum-numbers", "Enum numbers this schema does not define: JSON numbers.", LogEntry {
            event_type: 1000,
            outcome: 6,
            severity: 99,
            sensitivity: 2_147_483_647,
            actor_type: -1,
            payload_format: 7,
            delegation_chain: vec![DelegationLink { actor_type: 77, ..Default::default() }],
            ..actor("unknown-enum-numbers")
        }),
        v("time-epoch", "Timestamp at the Unix epoch.", LogEntry { time: ts(0, 0), ..actor("t") }),
        v("time-min", "The earliest Timestamp JSON can express.", LogEntry {
            time: ts(-62_135_596_800, 0),
            ..actor("t")
        }),
        v("time-max", "The latest Timestamp JSON can express.", LogEntry {
            time: ts(253_402_300_799, 999_999_999),
            ..actor("t")
        }),
        v("time-millis", "Timestamp with milliseconds: 3 fraction digits.", LogEntry {
            time: ts(1_764_321_234, 120_000_000),
            ..actor("t")
        }),
        v("time-micros", "Timestamp with microseconds: 6 fraction digits.", LogEntry {
            time: ts(1_764_321_234, 120_300_000),
            ..actor("t")
        }),
        v("time-nanos", "Timestamp with nanoseconds: 9 fraction digits.", LogEntry {
            time: ts(1_764_321_234, 1),
            ..actor("t")
        }),
        v("time-before-epoch", "Timestamp before 1970 (negative seconds).", LogEntry {
            time: ts(-1_000_000_000, 500_000_000),
            ..actor("t")
        }),
        v("time-leap-day", "Timestamp on 2024-02-29.", LogEntry { time: ts(1_709_164_800, 0), ..actor("t") }),
        v("unicode", "Non-ASCII text: accents, CJK, emoji, right-to-left, combining marks.", LogEntry {
            actor_id: "José Müller-Łukasiewicz".into(),
            component: "認証サービス".into(),
            resource: "файлы/отчёт.pdf".into(),
            message: "Zugriff erlaubt ✅ 👩🏽‍💻 مرحبا e\u{301}".into(),
            policy_tags: vec!["données-personnelles".into(), "个人信息".into()],
            delegation_chain: vec![DelegationLink { reason: "代理 🤖".into(), ..Default::default() }],
            ..Default::default()
        }),
        v("escapes", "Characters JSON must escape, and some it need not.", LogEntry {
            actor_id: "quote\" backslash\\ slash/".into(),
            message: "tab\t newline\n return\r nul\u{0} bell\u{7} esc\u{1b} del\u{7f} ls\u{2028} ps\u{2029} nel\u{85}".into(),
            resource: "<script>alert('x')</script>&amp;".into(),
            ..Default::default()
        }),
        v("payload-all-bytes", "A binary payload holding every byte value.", LogEntry {
            payload: all_bytes,
            payload_format: PayloadFormat::Cbor as i32,
            ..actor("payload-all-bytes")
        }),
        v("payload-cbor", "A CBOR payload: {\"a\": 1, \"b\": [true, null]}.", LogEntry {
            payload: vec![0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0xf5, 0xf6],
            payload_format: PayloadFormat::Cbor as i32,
            ..actor("payload-cbor")
        }),
        v("payload-padding", "Payload lengths 1 and 2 mod 3 (base64 padding).", LogEntry {
            payload: b"ab".to_vec(),
            ..actor("pad")
        }),
        v("doubles", "Doubles JSON writes in different notations.", LogEntry {
            genai: Some(GenAiPayload {
                temperature: Some(1e-7),
                top_p: Some(1e21),
                ..Default::default()
            }),
            ..actor("doubles")
        }),
        v("doubles-fractions", "Doubles with no exact binary form.", LogEntry {
            genai: Some(GenAiPayload { temperature: Some(0.1), top_p: Some(2.0 / 3.0), ..Default::default() }),
            ..actor("doubles")
        }),
        // Negative zero is left out on purpose: JSON cannot carry its sign
        // portably (JavaScript's JSON.stringify writes -0 as 0).
        v("doubles-special", "Infinity, and a whole number as a double.", LogEntry {
            genai: Some(GenAiPayload {
                temperature: Some(f64::INFINITY),
                top_p: Some(1.0),
                ..Default::default()
            }),
            ..actor("doubles")
        }),
        v("doubles-negative-infinity", "-Infinity.", LogEntry {
            genai: Some(GenAiPayload { temperature: Some(f64::NEG_INFINITY), ..Default::default() }),
            ..actor("doubles")
        }),
        v("long-delegation-chain", "A delegation chain of 32 links.", LogEntry {
            delegation_chain: (0..32)
                .map(|i| DelegationLink {
                    actor_id: format!("agent:{i}"),
                    actor_type: if i == 0 { ActorType::User as i32 } else { ActorType::Agent as i32 },
                    scopes: vec![format!("scope-{i}")],
                    reason: String::new(),
                })
                .collect(),
            ..actor("tool:leaf")
        }),
        v("large", "A large entry: 16 KiB message, 256 policy tags, 64 KiB payload.", LogEntry {
            message: "audit ".repeat(16 * 1024 / 6),
            policy_tags: (0..256).map(|i| format!("tag-{i:03}")).collect(),
            payload: (0..64 * 1024).map(|i| (i % 251) as u8).collect(),
            ..actor("large")
        }),
        v("repeated-empty-strings", "Repeated strings holding empty strings (kept, not dropped).", LogEntry {
            policy_tags: vec![String::new(), "x".into(), String::new()],
            ..actor("r")
        }),
    ]
}

fn all_vectors() -> Vec<Vector> {
    let mut vectors = spec_examples();
    vectors.extend(edge_cases());
    vectors.extend(enum_values());
    vectors
}

#[test]
fn golden_vectors_match_the_definitions() {
    let dir = vectors_dir();
    let bless = std::env::var_os("LOKRYN_BLESS").is_some();
    let vectors = all_vectors();
    let mut expected: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut manifest = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for vector in &vectors {
        assert!(
            seen.insert(vector.name.clone()),
            "duplicate vector name {}",
            vector.name
        );
        let binary = codec::encode(&vector.entry);
        let json_text = json::to_json(&vector.entry).unwrap();
        // The definitions must survive both encodings.
        assert_eq!(
            codec::decode(&binary).unwrap(),
            vector.entry,
            "{}",
            vector.name
        );
        let reparsed = json::from_json(&json_text).unwrap();
        assert_eq!(
            codec::encode(&reparsed),
            binary,
            "{}: JSON round trip",
            vector.name
        );
        expected.insert(format!("{}.binpb", vector.name), binary);
        expected.insert(
            format!("{}.json", vector.name),
            format!("{json_text}\n").into_bytes(),
        );
        manifest.push(serde_json::json!({
            "name": vector.name,
            "description": vector.description,
            "binary": format!("{}.binpb", vector.name),
            "json": format!("{}.json", vector.name),
        }));
    }
    let manifest = serde_json::json!({
        "about": "Golden encodings of lokryn.compliancelog.v1.LogEntry. Written by `cargo xtask codegen` \
                  (crates/lokryn-compliance-log/tests/vectors.rs); do not edit. Each NAME.binpb is one \
                  message without a length prefix; NAME.json is its canonical proto3 JSON. Decoding the \
                  binary must give the JSON value; encoding either must give the binary bytes.",
        "schemaVersion": lokryn_compliance_log::VERSION,
        "vectors": manifest,
    });
    let mut text = serde_json::to_string_pretty(&manifest).unwrap();
    text.push('\n');
    expected.insert("manifest.json".into(), text.into_bytes());

    if bless {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &expected {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }
    let mut problems = Vec::new();
    for (name, bytes) in &expected {
        match std::fs::read(dir.join(name)) {
            Ok(on_disk) if &on_disk == bytes => {}
            Ok(_) => problems.push(format!("changed: {name}")),
            Err(_) => problems.push(format!("missing: {name}")),
        }
    }
    for entry in std::fs::read_dir(&dir).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !expected.contains_key(&name) {
            problems.push(format!("stale: {name}"));
        }
    }
    assert!(
        problems.is_empty(),
        "tests/vectors/wire is out of date; run `cargo xtask codegen`:\n{}",
        problems.join("\n")
    );
}

#[test]
fn vectors_cover_every_field_and_enum_value() {
    let vectors = all_vectors();
    let pool = &*lokryn_compliance_log::DESCRIPTOR_POOL;
    // Every field of every message of the package is set in some vector.
    let mut set_fields = std::collections::HashSet::new();
    for vector in &vectors {
        use prost_reflect::ReflectMessage as _;
        fn walk(m: &prost_reflect::DynamicMessage, out: &mut std::collections::HashSet<String>) {
            for (field, value) in m.fields() {
                out.insert(field.full_name().to_owned());
                match value {
                    prost_reflect::Value::Message(inner) => walk(inner, out),
                    prost_reflect::Value::List(items) => {
                        for item in items {
                            if let prost_reflect::Value::Message(inner) = item {
                                walk(inner, out);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        walk(&vector.entry.transcode_to_dynamic(), &mut set_fields);
    }
    // The messages a record can hold (rules.proto's option messages describe
    // the schema and are never part of a record).
    let mut reachable = vec![
        pool.get_message_by_name(lokryn_compliance_log::LOG_ENTRY_NAME)
            .unwrap(),
    ];
    let mut i = 0;
    while let Some(message) = reachable.get(i).cloned() {
        for field in message.fields() {
            if let prost_reflect::Kind::Message(inner) = field.kind() {
                if inner.package_name() == "lokryn.compliancelog.v1" && !reachable.contains(&inner)
                {
                    reachable.push(inner);
                }
            }
        }
        i += 1;
    }
    for message in reachable {
        for field in message.fields() {
            assert!(
                set_fields.contains(field.full_name()),
                "no vector sets {}",
                field.full_name()
            );
        }
    }
    assert!(vectors.len() >= 30);
}

#[test]
fn decode_into_a_reused_entry_is_decode() {
    // Every vector decoded into one scratch entry, forwards then backwards
    // (so each follows both smaller and larger ones): nothing of the entry
    // before leaks into the next, and errors are decode's.
    let vectors = all_vectors();
    let limits = codec::Limits::DEFAULT;
    let mut scratch = LogEntry::default();
    for vector in vectors.iter().chain(vectors.iter().rev()) {
        let binary = codec::encode(&vector.entry);
        codec::decode_into(&binary, &limits, &mut scratch).unwrap();
        assert_eq!(scratch, vector.entry, "{}", vector.name);
    }
    let binary = codec::encode(&all_fields());
    let truncated = &binary[..binary.len() - 1];
    assert_eq!(
        codec::decode_into(truncated, &limits, &mut scratch)
            .unwrap_err()
            .to_string(),
        codec::decode(truncated).unwrap_err().to_string()
    );
    let small = codec::Limits::with_max_entry_bytes(8);
    assert_eq!(
        codec::decode_into(&binary, &small, &mut scratch)
            .unwrap_err()
            .to_string(),
        codec::decode_with(&binary, &small).unwrap_err().to_string()
    );
}
