//! Records of the vendor's published 0.2.0 package
//! (`lokryn.compliance.v1.LogRequest`), read into [`LogEntry`].
//!
//! The schema is the one the 0.2.0 wheel carries (its serialized file
//! descriptor, kept in `data/` with a note of its origin), so binary records
//! and the JSON that the `lokryn-mcp-log` 0.4.0 sinks write
//! (`MessageToDict(record, preserving_proto_field_name=True)`, one object a
//! line) are read exactly as that package wrote them.
//!
//! Each field goes to its home in `LogEntry`: enums renumbered where 0.2.0
//! numbered them differently (the AI event types 20–26 are 13–19 here;
//! sensitivity levels are matched by meaning), the GenAI and MCP payloads
//! carried over field by field, the product metadata to `producer`. Whatever
//! has no home here (the 0.2.0 package's own OCSF class and activity, its
//! `data` struct, chat messages, tool calls, sizes, a value no enum of ours
//! means) is kept in `payload` as a JSON object shaped as the 0.2.0 JSON of
//! those fields, so nothing of a record is lost.
//!
//! ```
//! use lokryn_compliance_log::{EventType, Severity};
//! use lokryn_export::lokryn_v0_2;
//!
//! let line = r#"{"event_type": "EVENT_MODEL_INFERENCE", "severity": "SEVERITY_INFO",
//!                "actor_id": "agent-7", "ocsf_class_uid": 6003,
//!                "genai": {"model": "gpt-4o", "input_tokens": 12}}"#;
//! let entry = lokryn_v0_2::from_json(line)?;
//! assert_eq!(entry.event_type, EventType::EventModelInference as i32); // 21 in 0.2.0
//! assert_eq!(entry.severity, Severity::Info as i32);
//! let genai = entry.genai.unwrap_or_default();
//! assert_eq!((genai.request_model.as_str(), genai.input_tokens), ("gpt-4o", 12));
//! assert_eq!(entry.payload, br#"{"ocsf_class_uid":6003}"#);
//! # Ok::<(), lokryn_export::Error>(())
//! ```

use std::sync::LazyLock;

use lokryn_compliance_log::{
    ActorType, GenAiPayload, LogEntry, McpPayload, PayloadFormat, Producer, Timestamp,
};
use prost_reflect::{
    DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage as _, SerializeOptions, Value,
};

use crate::Error;

/// The serialized `FileDescriptorProto` of the 0.2.0 package's
/// `proto/logentry.proto`, as its wheel ships it (see `data/README.md`).
pub const DESCRIPTOR: &[u8] = include_bytes!("../data/lokryn-compliance-log-0.2.0.logentry.fdp");

/// The full name of the 0.2.0 record message.
pub const MESSAGE_NAME: &str = "lokryn.compliance.v1.LogRequest";

static LOG_REQUEST: LazyLock<Result<MessageDescriptor, String>> = LazyLock::new(|| {
    // The global pool holds the well-known types the file imports.
    let mut pool = DescriptorPool::global();
    pool.decode_file_descriptor_proto(DESCRIPTOR)
        .map_err(|e| e.to_string())?;
    pool.get_message_by_name(MESSAGE_NAME)
        .ok_or_else(|| format!("{MESSAGE_NAME} is not in the 0.2.0 descriptor"))
});

/// The descriptor of `lokryn.compliance.v1.LogRequest` (0.2.0).
pub fn descriptor() -> Result<MessageDescriptor, Error> {
    LOG_REQUEST
        .as_ref()
        .map(Clone::clone)
        .map_err(|e| Error::Import(format!("0.2.0 schema: {e}")))
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Import(what.to_string())
}

/// How binary records are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Framing {
    /// Length-delimited when the whole input reads as a stream of records
    /// (each with a varint length prefix), one record otherwise.
    #[default]
    Auto,
    /// A stream of records, each preceded by its length as a varint.
    Delimited,
    /// The whole input is one record (the body the HTTP sink posts).
    Single,
}

/// One binary record (`LogRequest.SerializeToString()`).
pub fn from_binary(bytes: &[u8]) -> Result<LogEntry, Error> {
    let message = DynamicMessage::decode(descriptor()?, bytes).map_err(bad)?;
    from_message(message)
}

/// One record in the JSON the `lokryn-mcp-log` sinks write (field names as
/// in the schema or in lowerCamelCase; enums by name or number; 64-bit
/// integers as numbers or strings). Unknown fields are errors.
pub fn from_json(text: &str) -> Result<LogEntry, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let message = DynamicMessage::deserialize(descriptor()?, &mut de).map_err(bad)?;
    de.end().map_err(bad)?;
    from_message(message)
}

/// Splits a length-delimited stream into its records' bytes.
fn split_delimited(mut bytes: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let len = prost::encoding::decode_varint(&mut bytes).map_err(bad)?;
        let len = usize::try_from(len).map_err(bad)?;
        let (frame, rest) = bytes
            .split_at_checked(len)
            .ok_or_else(|| bad(format!("record of {len} bytes is cut short")))?;
        frames.push(frame);
        bytes = rest;
    }
    Ok(frames)
}

/// Every record of a binary input.
///
/// With [`Framing::Auto`] the input is a length-delimited stream when it
/// splits into frames that all decode as records with no field unknown to
/// 0.2.0, and a single record otherwise.
pub fn read_binary(bytes: &[u8], framing: Framing) -> Result<Vec<LogEntry>, Error> {
    let desc = descriptor()?;
    let strict = |frame: &[u8]| -> Result<DynamicMessage, Error> {
        let message = DynamicMessage::decode(desc.clone(), frame).map_err(bad)?;
        let unknown = message.unknown_fields().next().map(|f| f.number());
        match unknown {
            Some(number) => Err(bad(format!(
                "field number {number} is not in the 0.2.0 schema"
            ))),
            None => Ok(message),
        }
    };
    let delimited = || -> Result<Vec<DynamicMessage>, Error> {
        split_delimited(bytes)?.into_iter().map(strict).collect()
    };
    let messages = match framing {
        Framing::Delimited => delimited()?,
        Framing::Single => vec![strict(bytes)?],
        Framing::Auto => match delimited() {
            Ok(messages) => messages,
            Err(_) => vec![strict(bytes).map_err(|e| {
                bad(format!(
                    "neither a length-delimited stream nor one 0.2.0 record: {e}"
                ))
            })?],
        },
    };
    messages.into_iter().map(from_message).collect()
}

/// Takes a field out of `message` when it is set.
fn take(message: &mut DynamicMessage, name: &str) -> Option<Value> {
    if message.has_field_by_name(name) {
        message.take_field_by_name(name)
    } else {
        None
    }
}

fn take_string(message: &mut DynamicMessage, name: &str) -> String {
    match take(message, name) {
        Some(Value::String(s)) => s,
        Some(other) => {
            // Not reached with the 0.2.0 schema; keep the value rather than lose it.
            message.set_field_by_name(name, other);
            String::new()
        }
        None => String::new(),
    }
}

fn take_i64(message: &mut DynamicMessage, name: &str) -> i64 {
    match take(message, name) {
        Some(Value::I64(n)) => n,
        Some(Value::I32(n)) => i64::from(n),
        Some(other) => {
            message.set_field_by_name(name, other);
            0
        }
        None => 0,
    }
}

fn take_f64(message: &mut DynamicMessage, name: &str) -> Option<f64> {
    match take(message, name) {
        Some(Value::F64(n)) => Some(n),
        Some(other) => {
            message.set_field_by_name(name, other);
            None
        }
        None => None,
    }
}

/// Takes an enum field whose number `map` translates; a number without a
/// translation stays in the message (and so in `payload`).
fn take_enum(message: &mut DynamicMessage, name: &str, map: impl Fn(i32) -> Option<i32>) -> i32 {
    let Some(Value::EnumNumber(n)) = message.get_field_by_name(name).map(|v| v.into_owned()) else {
        return 0;
    };
    match map(n) {
        Some(ours) if message.has_field_by_name(name) => {
            message.clear_field_by_name(name);
            ours
        }
        _ => 0,
    }
}

/// 0.2.0 `EventType` number to ours: the same, except the AI events 20–26,
/// which are 13–19 here.
pub fn event_type(v02: i32) -> Option<i32> {
    match v02 {
        0..=12 | 30..=42 => Some(v02),
        20..=26 => Some(v02 - 7),
        _ => None,
    }
}

/// 0.2.0 `Outcome` number to ours (`OUTCOME_OTHER`, 99, has none).
pub fn outcome(v02: i32) -> Option<i32> {
    match v02 {
        0..=4 => Some(v02),
        _ => None,
    }
}

/// 0.2.0 `Severity` number to ours (the same RFC 5424 levels and numbers).
pub fn severity(v02: i32) -> Option<i32> {
    match v02 {
        0..=8 => Some(v02),
        _ => None,
    }
}

/// 0.2.0 `Sensitivity` number to ours, by meaning: PUBLIC_INTERNAL (10) is
/// INTERNAL, CONFIDENTIAL is CONFIDENTIAL, SECRET is RESTRICTED, TOP_SECRET is
/// HIGHLY_RESTRICTED.
pub fn sensitivity(v02: i32) -> Option<i32> {
    match v02 {
        0 => Some(0),
        1 => Some(1),
        10 => Some(2),
        2 => Some(3),
        3 => Some(4),
        4 => Some(5),
        _ => None,
    }
}

/// A 0.2.0 free-text `actor_type` as our enum, when it is exactly the
/// lower-case name of one of ours (`user`, `service`, `agent`, `tool`,
/// `system`); any other text stays in `payload` as written.
pub fn actor_type(v02: &str) -> Option<ActorType> {
    match v02 {
        "user" => Some(ActorType::User),
        "service" => Some(ActorType::Service),
        "agent" => Some(ActorType::Agent),
        "tool" => Some(ActorType::Tool),
        "system" => Some(ActorType::System),
        _ => None,
    }
}

/// Takes a message-typed field out for mapping, or `None` when unset.
fn take_message(message: &mut DynamicMessage, name: &str) -> Option<DynamicMessage> {
    match take(message, name) {
        Some(Value::Message(m)) => Some(m),
        Some(other) => {
            message.set_field_by_name(name, other);
            None
        }
        None => None,
    }
}

/// Puts what is left of a sub-message back, unless nothing is.
fn put_back(message: &mut DynamicMessage, name: &str, rest: DynamicMessage) {
    if rest.fields().next().is_some() {
        message.set_field_by_name(name, Value::Message(rest));
    }
}

fn genai_of(g: &mut DynamicMessage) -> GenAiPayload {
    let positive = |n: i64| (n != 0).then_some(n);
    let nonzero = |x: Option<f64>| x.filter(|x| *x != 0.0);
    let finish = take_string(g, "finish_reason");
    GenAiPayload {
        request_model: take_string(g, "model"),
        provider_name: take_string(g, "provider"),
        input_tokens: take_i64(g, "input_tokens"),
        output_tokens: take_i64(g, "output_tokens"),
        temperature: nonzero(take_f64(g, "temperature")),
        top_p: nonzero(take_f64(g, "top_p")),
        max_tokens: positive(take_i64(g, "max_tokens")),
        finish_reasons: if finish.is_empty() {
            Vec::new()
        } else {
            vec![finish]
        },
        response_id: take_string(g, "response_id"),
        ..GenAiPayload::default()
    }
}

fn mcp_of(m: &mut DynamicMessage) -> McpPayload {
    McpPayload {
        protocol_version: take_string(m, "protocol_version"),
        request_id: take_string(m, "request_id"),
        tool_name: take_string(m, "tool_name"),
        resource_uri: take_string(m, "resource_uri"),
        ..McpPayload::default()
    }
}

/// Maps one decoded 0.2.0 record.
pub fn from_message(mut m: DynamicMessage) -> Result<LogEntry, Error> {
    if m.descriptor().full_name() != MESSAGE_NAME {
        return Err(bad(format!(
            "{} is not a {MESSAGE_NAME}",
            m.descriptor().full_name()
        )));
    }
    let mut entry = LogEntry {
        event_type: take_enum(&mut m, "event_type", event_type),
        outcome: take_enum(&mut m, "outcome", outcome),
        severity: take_enum(&mut m, "severity", severity),
        sensitivity: take_enum(&mut m, "sensitivity", sensitivity),
        duration_ms: take_i64(&mut m, "duration_ms"),
        actor_id: take_string(&mut m, "actor_id"),
        component: take_string(&mut m, "component"),
        environment: take_string(&mut m, "environment"),
        resource: take_string(&mut m, "resource"),
        message: take_string(&mut m, "message"),
        trace_id: take_string(&mut m, "trace_id"),
        span_id: take_string(&mut m, "span_id"),
        parent_span_id: take_string(&mut m, "parent_span_id"),
        session_id: take_string(&mut m, "session_id"),
        ..LogEntry::default()
    };
    if let Some(Value::List(tags)) = take(&mut m, "policy_tags") {
        entry.policy_tags = tags
            .into_iter()
            .filter_map(|t| match t {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect();
    }
    if let Some(mut time) = take_message(&mut m, "time") {
        entry.time = Some(Timestamp {
            seconds: take_i64(&mut time, "seconds"),
            nanos: i32::try_from(take_i64(&mut time, "nanos")).map_err(bad)?,
        });
    }
    let actor = m
        .get_field_by_name("actor_type")
        .and_then(|v| v.as_str().and_then(actor_type));
    if let Some(actor) = actor {
        m.clear_field_by_name("actor_type");
        entry.actor_type = actor as i32;
    }
    if let Some(mut meta) = take_message(&mut m, "metadata") {
        entry.schema_version = take_string(&mut meta, "schema_version");
        let producer = Producer {
            name: take_string(&mut meta, "product_name"),
            version: take_string(&mut meta, "product_version"),
        };
        if producer != Producer::default() {
            entry.producer = Some(producer);
        }
        put_back(&mut m, "metadata", meta);
    }
    let operation = take_string(&mut m, "otel_operation_name");
    let mut genai = match take_message(&mut m, "genai") {
        Some(mut g) => {
            let mapped = genai_of(&mut g);
            put_back(&mut m, "genai", g);
            Some(mapped)
        }
        None => None,
    };
    if !operation.is_empty() {
        genai
            .get_or_insert_with(GenAiPayload::default)
            .operation_name = operation;
    }
    entry.genai = genai;
    let mut mcp = match take_message(&mut m, "mcp") {
        Some(mut p) => {
            let mapped = mcp_of(&mut p);
            put_back(&mut m, "mcp", p);
            Some(mapped)
        }
        None => None,
    };
    let [client_name, client_version, server_name, server_version] =
        ["client_id", "client_version", "server_id", "server_version"]
            .map(|name| take_string(&mut m, name));
    if [&client_name, &client_version, &server_name, &server_version]
        .iter()
        .any(|s| !s.is_empty())
    {
        let p = mcp.get_or_insert_with(McpPayload::default);
        (p.client_name, p.client_version) = (client_name, client_version);
        (p.server_name, p.server_version) = (server_name, server_version);
    }
    entry.mcp = mcp;
    if m.fields().next().is_some() {
        let options = SerializeOptions::new()
            .use_proto_field_name(true)
            .stringify_64_bit_integers(false)
            .skip_default_fields(true);
        let rest = m
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(bad)?;
        entry.payload = serde_json::to_vec(&rest).map_err(bad)?;
        entry.payload_format = PayloadFormat::Json as i32;
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lokryn_compliance_log::{EventType, Outcome, Sensitivity};
    use prost::Message as _;

    fn record(json: &str) -> DynamicMessage {
        let desc = descriptor().unwrap_or_else(|e| panic!("{e}"));
        let mut de = serde_json::Deserializer::from_str(json);
        DynamicMessage::deserialize(desc, &mut de).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_descriptor_is_the_0_2_0_schema() {
        let desc = descriptor().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(desc.fields().count(), 31);
        let et = desc
            .get_field_by_name("event_type")
            .map(|f| f.kind())
            .and_then(|k| k.as_enum().cloned())
            .unwrap_or_else(|| panic!("event_type is an enum"));
        assert_eq!(
            et.get_value_by_name("EVENT_TOOL_INVOCATION")
                .map(|v| v.number()),
            Some(20)
        );
    }

    #[test]
    fn renumbered_enums_are_translated() {
        for (v02, ours) in [
            ("EVENT_TOOL_INVOCATION", EventType::EventToolInvocation),
            ("EVENT_GUARDRAIL_CHECK", EventType::EventGuardrailCheck),
            ("EVENT_LOGIN", EventType::EventLogin),
            ("EVENT_TRANSPORT_ERROR", EventType::EventTransportError),
        ] {
            let entry = from_json(&format!(r#"{{"event_type": "{v02}"}}"#))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(entry.event_type, ours as i32, "{v02}");
            assert!(entry.payload.is_empty());
        }
        for (v02, ours) in [
            ("SENSITIVITY_PUBLIC_INTERNAL", Sensitivity::Internal),
            ("SENSITIVITY_CONFIDENTIAL", Sensitivity::Confidential),
            ("SENSITIVITY_SECRET", Sensitivity::Restricted),
            ("SENSITIVITY_TOP_SECRET", Sensitivity::HighlyRestricted),
        ] {
            let entry = from_json(&format!(r#"{{"sensitivity": "{v02}"}}"#))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(entry.sensitivity, ours as i32, "{v02}");
        }
    }

    #[test]
    fn a_value_without_a_home_is_kept_in_the_payload() {
        let entry = from_json(
            r#"{"outcome": "OUTCOME_OTHER", "actor_type": "Agent", "geo_region": "eu-west-1",
                "metadata": {"vendor_name": "Acme", "product_name": "p"},
                "genai": {"model": "m", "total_tokens": 9,
                          "input_messages": [{"role": "user", "content": "hi"}]}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entry.outcome, Outcome::Unspecified as i32);
        assert_eq!(entry.payload_format, PayloadFormat::Json as i32);
        let rest: serde_json::Value =
            serde_json::from_slice(&entry.payload).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rest,
            serde_json::json!({
                "outcome": "OUTCOME_OTHER",
                "actor_type": "Agent",
                "geo_region": "eu-west-1",
                "metadata": {"vendor_name": "Acme"},
                "genai": {"total_tokens": 9, "input_messages": [{"role": "user", "content": "hi"}]},
            })
        );
        assert_eq!(entry.producer.map(|p| p.name), Some("p".into()));
    }

    #[test]
    fn the_data_struct_is_the_payload() {
        let entry =
            from_json(r#"{"data": {"k": [1, "two", null]}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entry.payload, br#"{"data":{"k":[1.0,"two",null]}}"#);
    }

    #[test]
    fn binary_framing_single_and_delimited() {
        let one = record(r#"{"event_type": "EVENT_LOGIN", "actor_id": "alice"}"#);
        let two = record(r#"{"event_type": "EVENT_MCP_PING", "actor_id": "bob"}"#);
        let single = one.encode_to_vec();
        let mut stream = Vec::new();
        for m in [&one, &two] {
            let bytes = m.encode_to_vec();
            prost::encoding::encode_varint(bytes.len() as u64, &mut stream);
            stream.extend_from_slice(&bytes);
        }
        let actors = |entries: Vec<LogEntry>| -> Vec<String> {
            entries.into_iter().map(|e| e.actor_id).collect()
        };
        let read = |b: &[u8], f| read_binary(b, f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(actors(read(&single, Framing::Auto)), ["alice"]);
        assert_eq!(actors(read(&single, Framing::Single)), ["alice"]);
        assert_eq!(actors(read(&stream, Framing::Auto)), ["alice", "bob"]);
        assert_eq!(actors(read(&stream, Framing::Delimited)), ["alice", "bob"]);
        assert!(read_binary(&stream[..stream.len() - 1], Framing::Delimited).is_err());
    }

    #[test]
    fn unknown_json_fields_are_errors() {
        assert!(from_json(r#"{"actor": "x"}"#).is_err());
    }
}
