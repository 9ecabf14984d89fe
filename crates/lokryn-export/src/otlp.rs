//! OpenTelemetry logs: OTLP `ExportLogsServiceRequest`s built from the
//! `opentelemetry-proto` crate's types, as protobuf or OTLP/JSON.
//! [`encode_request`] writes the protobuf straight from the records: the
//! bytes prost encodes for the request [`to_request`] builds, without
//! building it.
//!
//! `SeverityNumber` follows the OpenTelemetry logs data model's mapping of
//! syslog severities; GenAI and MCP detail use the semantic-convention
//! attribute names; fields without a convention are attributes under
//! `lokryn.`. Records are grouped by resource (component, environment, host)
//! and scope (the producer), in order of first appearance.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::access::{FieldRef, List};
use lokryn_compliance_log::mapping::{FieldMapping, FieldShape, Mappings, mappings};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;
use prost_reflect::Value;

use crate::fields::{action_name, enum_value_name, set_fields};
use crate::otlp_wire::{Batch, Kv, Rec, Val};
use crate::typed::{self, EnumNames, NumberMap};
use crate::value::{payload_json, rfc3339, timestamp};
use crate::{Error, Options, Record};

/// The prefix of our own attributes (fields without a semantic convention).
pub const ATTRIBUTE_PREFIX: &str = "lokryn.";

/// The `EventName` of a record: `lokryn.` and the event action
/// (`lokryn.tool_invocation`).
pub fn event_name(event_type: i32) -> String {
    format!("{ATTRIBUTE_PREFIX}{}", action_name(event_type))
}

/// One record, split the way OTLP carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpRecord {
    /// Resource attributes (service.name, deployment.environment.name, host.name).
    pub resource: Vec<KeyValue>,
    /// The instrumentation scope (the producer).
    pub scope: InstrumentationScope,
    /// The log record.
    pub record: LogRecord,
}

fn any(value: any_value::Value) -> AnyValue {
    AnyValue { value: Some(value) }
}

fn string(s: impl Into<String>) -> AnyValue {
    any(any_value::Value::StringValue(s.into()))
}

fn kv(key: impl Into<String>, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(value),
        ..KeyValue::default()
    }
}

/// A field value as an OTLP `AnyValue` (enums as their value name).
fn any_value(map: &FieldMapping, value: &Value) -> AnyValue {
    match value {
        Value::Bool(b) => any(any_value::Value::BoolValue(*b)),
        Value::I32(n) => any(any_value::Value::IntValue(i64::from(*n))),
        Value::I64(n) => any(any_value::Value::IntValue(*n)),
        Value::U32(n) => any(any_value::Value::IntValue(i64::from(*n))),
        Value::U64(n) => match i64::try_from(*n) {
            Ok(n) => any(any_value::Value::IntValue(n)),
            Err(_) => string(n.to_string()),
        },
        Value::F32(f) => any(any_value::Value::DoubleValue(f64::from(*f))),
        Value::F64(f) => any(any_value::Value::DoubleValue(*f)),
        Value::String(s) => string(s.clone()),
        Value::Bytes(b) => any(any_value::Value::BytesValue(b.to_vec())),
        Value::EnumNumber(n) => string(enum_value_name(
            map.enum_name.as_deref().unwrap_or_default(),
            *n,
        )),
        Value::List(items) => any(any_value::Value::ArrayValue(ArrayValue {
            values: items.iter().map(|v| any_value(map, v)).collect(),
        })),
        Value::Message(m) => {
            let values = m
                .fields()
                .map(|(field, v)| {
                    let enum_name = match field.kind() {
                        prost_reflect::Kind::Enum(e) => Some(e.name().to_owned()),
                        _ => None,
                    };
                    let inner = FieldMapping {
                        enum_name,
                        ..map.clone()
                    };
                    kv(field.name(), any_value(&inner, v))
                })
                .collect();
            any(any_value::Value::KvlistValue(KeyValueList { values }))
        }
        Value::Map(_) => AnyValue { value: None },
    }
}

/// Lower-case hex digits to bytes; `None` unless exactly `len` bytes.
fn hex(text: &str, len: usize) -> Option<Vec<u8>> {
    if text.len() != len * 2 {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(hex_digit(*hi)? << 4 | hex_digit(*lo)?),
            _ => None,
        })
        .collect()
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Adds an attribute; a key already present with another value (two fields
/// of one convention, say `gen_ai.tool.name` from both payloads) keeps the
/// second under `lokryn.` and its field path, so neither is lost.
fn push(attrs: &mut Vec<KeyValue>, key: &str, path: &str, value: AnyValue) {
    match attrs.iter().find(|a| a.key == key) {
        Some(existing) if existing.value.as_ref() == Some(&value) => {}
        Some(_) => attrs.push(kv(format!("{ATTRIBUTE_PREFIX}{path}"), value)),
        None => attrs.push(kv(key, value)),
    }
}

/// One record as an OTLP log record with its resource and scope.
pub fn to_otlp_record(entry: &LogEntry, options: &Options) -> Result<OtlpRecord, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    to_record(maps, Record::Entry(entry), options)
}

/// [`to_otlp_record`] by reflection only (the general path the typed one
/// falls back to), for the tests that hold the two to the same output.
#[doc(hidden)]
pub fn to_otlp_record_by_reflection(
    entry: &LogEntry,
    options: &Options,
) -> Result<OtlpRecord, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    to_record_by_reflection(maps, entry, options)
}

/// Whether [`to_otlp_record`] builds `entry` from the typed plan rather
/// than by reflection (for the tests, which hold it to covering every
/// record of the schema's vectors).
#[doc(hidden)]
pub fn builds_directly<'a>(entry: impl Into<Record<'a>>, options: &Options) -> bool {
    let record = entry.into();
    PLAN.as_ref()
        .is_some_and(|plan| typed_record(plan, record, options, &mut Rec::default()).is_some())
}

/// One record: from the typed plan, or by reflection for what the plan
/// does not cover (the same record either way).
/// A view is decoded only for the general path.
fn to_record(maps: &Mappings, record: Record<'_>, options: &Options) -> Result<OtlpRecord, Error> {
    if let Some(plan) = PLAN.as_ref() {
        let mut rec = Rec::default();
        if typed_record(plan, record, options, &mut rec).is_some() {
            return Ok(rec.to_owned());
        }
    }
    to_record_by_reflection(maps, &*record.to_entry()?, options)
}

fn to_record_by_reflection(
    maps: &Mappings,
    entry: &LogEntry,
    options: &Options,
) -> Result<OtlpRecord, Error> {
    let mut out = OtlpRecord {
        resource: Vec::new(),
        scope: InstrumentationScope::default(),
        record: LogRecord::default(),
    };
    let mut attrs = Vec::new();
    for f in set_fields(maps, entry) {
        let home = f.map.export.otel.as_str();
        let (place, name) = home
            .split_once(':')
            .ok_or_else(|| Error::Mapping(format!("{}: bad OTel home {home}", f.map.path)))?;
        let record = &mut out.record;
        match (place, name, f.map.shape) {
            ("record", "event_name", _) => record.event_name = event_name(entry.event_type),
            ("record", "severity_number", _) => match maps.severity(entry.severity) {
                Some(m) if m.otel_severity_number != 0 => {
                    record.severity_number = m.otel_severity_number;
                    record.severity_text = m.otel_severity_text.clone();
                }
                _ => push(
                    &mut attrs,
                    SEVERITY_KEY,
                    &f.map.path,
                    any(any_value::Value::IntValue(i64::from(entry.severity))),
                ),
            },
            ("record", "time_unix_nano", FieldShape::Timestamp) => {
                let Some(ts) = timestamp(&f.value) else {
                    continue;
                };
                match unix_nanos(&ts) {
                    Some(n) => record.time_unix_nano = n,
                    // Before 1970 (or past 2554): OTLP's unsigned nanoseconds cannot say it.
                    None => push(&mut attrs, TIME_KEY, &f.map.path, string(rfc3339(&ts))),
                }
            }
            ("record", "body", _) => record.body = Some(any_value(f.map, &f.value)),
            ("record", "trace_id" | "span_id", _) => {
                let (len, text) = if name == "trace_id" {
                    (16, entry.trace_id.as_str())
                } else {
                    (8, entry.span_id.as_str())
                };
                match hex(text, len) {
                    Some(bytes) if name == "trace_id" => record.trace_id = bytes,
                    Some(bytes) => record.span_id = bytes,
                    None => push(
                        &mut attrs,
                        &format!("{ATTRIBUTE_PREFIX}{name}"),
                        &f.map.path,
                        string(text),
                    ),
                }
            }
            ("resource", key, _) => push(
                &mut out.resource,
                key,
                &f.map.path,
                any_value(f.map, &f.value),
            ),
            ("scope", "name", _) => {
                out.scope.name = entry
                    .producer
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
            }
            ("scope", "version", _) => {
                out.scope.version = entry
                    .producer
                    .as_ref()
                    .map(|p| p.version.clone())
                    .unwrap_or_default();
            }
            ("attr", key, FieldShape::List) => {
                let value = list_value(maps, f.map, &f.value);
                push(&mut attrs, key, &f.map.path, value);
            }
            ("attr", key, _) if f.map.path == "payload" => {
                let value = match payload_json(entry.into()) {
                    Some(_) => match std::str::from_utf8(&entry.payload) {
                        Ok(text) => string(text),
                        Err(_) => any_value(f.map, &f.value),
                    },
                    None => any_value(f.map, &f.value),
                };
                push(&mut attrs, key, &f.map.path, value);
            }
            ("attr", key, _) => push(&mut attrs, key, &f.map.path, any_value(f.map, &f.value)),
            _ => {
                return Err(Error::Mapping(format!(
                    "{}: unknown OTel home {home}",
                    f.map.path
                )));
            }
        }
    }
    finish(&mut out, entry, options, attrs);
    Ok(out)
}

/// Where a field goes in OTLP, parsed once from its `otel` home.
enum Home {
    EventName,
    Severity,
    Time,
    Body,
    TraceId,
    SpanId,
    Resource(String),
    ScopeName,
    ScopeVersion,
    List(String),
    Payload(String),
    Attr(String),
}

/// The fields with a home and where each goes, with the tables a record
/// looks values up in; `None` when a home is not understood (the general
/// path then reports it).
struct Plan {
    /// Each leaf, where it goes, whether its key can be met by no other
    /// attribute (no other field's key or fallback key): then it is added
    /// without looking for it first, and its own fallback key (`lokryn.`
    /// and its path).
    leaves: Vec<(&'static typed::Leaf, Home, bool, String)>,
    event_names: NumberMap<String>,
    /// `SeverityNumber` and `SeverityText` of each mapped severity.
    severities: NumberMap<(i32, String)>,
}

static PLAN: LazyLock<Option<Plan>> = LazyLock::new(plan);

fn plan() -> Option<Plan> {
    let maps = mappings().ok()?;
    let mut leaves = Vec::new();
    for leaf in typed::LEAVES.iter() {
        let (place, name) = leaf.map.export.otel.split_once(':')?;
        let home = match (place, name, leaf.map.shape) {
            ("record", "event_name", _) => Home::EventName,
            ("record", "severity_number", _) => Home::Severity,
            ("record", "time_unix_nano", FieldShape::Timestamp) => Home::Time,
            ("record", "body", _) => Home::Body,
            ("record", "trace_id", _) => Home::TraceId,
            ("record", "span_id", _) => Home::SpanId,
            ("resource", key, _) => Home::Resource(key.to_owned()),
            ("scope", "name", _) => Home::ScopeName,
            ("scope", "version", _) => Home::ScopeVersion,
            ("attr", key, FieldShape::List) => {
                leaf.elements.as_ref()?;
                Home::List(key.to_owned())
            }
            ("attr", key, _) if leaf.map.path == "payload" => Home::Payload(key.to_owned()),
            ("attr", key, _) => Home::Attr(key.to_owned()),
            _ => return None,
        };
        leaves.push((leaf, home));
    }
    // Every key an attribute can have: the homes, and the `lokryn.` path
    // each field falls back to.
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (leaf, home) in &leaves {
        if let Home::Resource(key) | Home::List(key) | Home::Payload(key) | Home::Attr(key) = home {
            *keys.entry(key.clone()).or_default() += 1;
        }
        *keys
            .entry(format!("{ATTRIBUTE_PREFIX}{}", leaf.map.path))
            .or_default() += 1;
    }
    let leaves = leaves
        .into_iter()
        .map(|(leaf, home)| {
            let own = format!("{ATTRIBUTE_PREFIX}{}", leaf.map.path);
            let unique = match &home {
                Home::Resource(key) | Home::List(key) | Home::Payload(key) | Home::Attr(key) => {
                    keys.get(key).copied() == Some(if *key == own { 2 } else { 1 })
                }
                _ => false,
            };
            (leaf, home, unique, own)
        })
        .collect();
    let pool = &lokryn_compliance_log::DESCRIPTOR_POOL;
    let numbers = |name: &str| -> Vec<i32> {
        pool.get_enum_by_name(&format!("lokryn.compliancelog.v1.{name}"))
            .map(|e| e.values().map(|v| v.number()).collect())
            .unwrap_or_default()
    };
    let event_names = numbers("EventType")
        .into_iter()
        .map(|n| (n, event_name(n)))
        .collect();
    let severities = numbers("Severity")
        .into_iter()
        .filter_map(|n| {
            let m = maps.severity(n)?;
            Some((n, (m.otel_severity_number, m.otel_severity_text.clone())))
        })
        .collect();
    Some(Plan {
        leaves,
        event_names,
        severities,
    })
}

/// A field value as an OTLP `AnyValue`, as [`any_value`] gives it for the
/// same field; `None` for a kind the plan does not cover.
fn typed_any<'a>(names: Option<&'a EnumNames>, value: &FieldRef<'a>) -> Option<Val<'a>> {
    let enum_name = |n: i32| match names {
        Some(names) => Val::Str(names.name(n)),
        None => Val::Str(Cow::Owned(n.to_string())),
    };
    Some(match value {
        FieldRef::Str(s) => Val::Str(Cow::Borrowed(s)),
        FieldRef::Strs(items) => {
            Val::Array(items.iter().map(|s| Val::Str(Cow::Borrowed(s))).collect())
        }
        FieldRef::Bytes(b) => Val::Bytes(b),
        FieldRef::Enum(Some(n)) => enum_name(*n),
        FieldRef::Enums(items) => Val::Array(items.iter().map(|n| enum_name(*n)).collect()),
        FieldRef::Int(Some(n)) => Val::Int(*n),
        FieldRef::Uint(Some(n)) => match i64::try_from(*n) {
            Ok(n) => Val::Int(n),
            Err(_) => Val::Str(Cow::Owned(n.to_string())),
        },
        FieldRef::Bool(Some(b)) => Val::Bool(*b),
        FieldRef::Float(Some(f)) => Val::Double(*f),
        _ => return None,
    })
}

/// A repeated message as [`list_value`] gives it.
fn typed_list<'a>(elements: &'a [typed::ElementField], items: &'a dyn List) -> Option<Val<'a>> {
    let mut values = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        let item = items.item(i)?;
        let mut fields = Vec::with_capacity(elements.len());
        for e in elements {
            let value = item.field(e.number);
            if !typed::is_set(&value, e.presence)? {
                continue;
            }
            let key = e.map.map_or(e.name.as_str(), |m| m.export.otel.as_str());
            fields.push(Kv {
                key,
                value: typed_any(e.names.as_ref(), &value)?,
            });
        }
        values.push(Val::Kvlist(fields));
    }
    Some(Val::Array(values))
}

/// Adds an attribute; a key already present with another value keeps the
/// second under its field's own `lokryn.` key (what [`push`] does).
fn push_val<'a>(attrs: &mut Vec<Kv<'a>>, key: &'a str, own: &'a str, value: Val<'a>) {
    match attrs.iter().find(|a| a.key == key) {
        Some(existing) if existing.value == value => {}
        Some(_) => attrs.push(Kv { key: own, value }),
        None => attrs.push(Kv { key, value }),
    }
}

/// Adds an attribute whose key no other attribute can have (what
/// [`push_val`] does for it, without the search).
fn push_new_val<'a>(attrs: &mut Vec<Kv<'a>>, key: &'a str, _own: &'a str, value: Val<'a>) {
    attrs.push(Kv { key, value });
}

/// One record built from the typed plan: what [`to_record_by_reflection`]
/// builds, or `None` for a value the plan does not cover. `rec` is cleared
/// first (its buffers are reused).
fn typed_record<'a>(
    plan: &'a Plan,
    record: Record<'a>,
    options: &Options,
    rec: &mut Rec<'a>,
) -> Option<()> {
    let entry = record.access();
    let event_type = record.event_type();
    rec.resource.clear();
    rec.attributes.clear();
    rec.scope_name = "";
    rec.scope_version = "";
    rec.time_unix_nano = 0;
    rec.severity_number = 0;
    rec.severity_text = "";
    rec.body = None;
    rec.trace_id = None;
    rec.span_id = None;
    rec.event_name = Cow::Borrowed("");
    let mut reader = typed::Reader::new(entry);
    for (leaf, home, unique, own) in &plan.leaves {
        let Some(value) = reader.read(&leaf.field)? else {
            continue;
        };
        let push = if *unique { push_new_val } else { push_val };
        let own = own.as_str();
        let names = leaf.names.as_ref();
        let attrs = &mut rec.attributes;
        match home {
            Home::EventName => {
                rec.event_name = match plan.event_names.get(&event_type) {
                    Some(name) => Cow::Borrowed(name),
                    None => Cow::Owned(event_name(event_type)),
                };
            }
            Home::Severity => match plan.severities.get(&record.severity()) {
                Some((number, text)) if *number != 0 => {
                    rec.severity_number = *number;
                    rec.severity_text = text;
                }
                _ => push(
                    attrs,
                    SEVERITY_KEY,
                    own,
                    Val::Int(i64::from(record.severity())),
                ),
            },
            Home::Time => {
                let FieldRef::Timestamp(Some(ts)) = value else {
                    return None;
                };
                match unix_nanos(ts) {
                    Some(n) => rec.time_unix_nano = n,
                    None => push(attrs, TIME_KEY, own, Val::Str(Cow::Owned(rfc3339(ts)))),
                }
            }
            Home::Body => rec.body = Some(typed_any(names, &value)?),
            Home::TraceId => match hex_array::<16>(record.trace_id()) {
                Some(bytes) => rec.trace_id = Some(bytes),
                None => push(
                    attrs,
                    TRACE_ID_KEY,
                    own,
                    Val::Str(Cow::Borrowed(record.trace_id())),
                ),
            },
            Home::SpanId => match hex_array::<8>(record.span_id()) {
                Some(bytes) => rec.span_id = Some(bytes),
                None => push(
                    attrs,
                    SPAN_ID_KEY,
                    own,
                    Val::Str(Cow::Borrowed(record.span_id())),
                ),
            },
            Home::Resource(key) => push(&mut rec.resource, key, own, typed_any(names, &value)?),
            Home::ScopeName => {
                rec.scope_name = record.producer().0;
            }
            Home::ScopeVersion => {
                rec.scope_version = record.producer().1;
            }
            Home::List(key) => {
                let (FieldRef::Messages(items), Some(elements)) = (&value, &leaf.elements) else {
                    return None;
                };
                push(attrs, key, own, typed_list(elements, *items)?);
            }
            Home::Payload(key) => {
                let FieldRef::Bytes(payload) = value else {
                    return None;
                };
                let json = !record.payload_is_cbor() && typed::is_json(payload);
                let text = if json {
                    std::str::from_utf8(payload).ok()
                } else {
                    None
                };
                let value = match text {
                    Some(text) => Val::Str(Cow::Borrowed(text)),
                    None => Val::Bytes(payload),
                };
                push(attrs, key, own, value);
            }
            Home::Attr(key) => push(attrs, key, own, typed_any(names, &value)?),
        }
    }
    if rec.event_name.is_empty() && event_type != 0 {
        rec.event_name = Cow::Owned(event_name(event_type));
    }
    rec.observed_time_unix_nano = options.observed_time_ns.unwrap_or(rec.time_unix_nano);
    Some(())
}

/// [`hex`] into an array.
fn hex_array<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let [hi, lo] = pair else {
            return None;
        };
        *byte = hex_digit(*hi)? << 4 | hex_digit(*lo)?;
    }
    Some(out)
}

/// The fallback attribute keys of record fields OTLP cannot hold.
const SEVERITY_KEY: &str = "lokryn.severity";
const TIME_KEY: &str = "lokryn.time";
const TRACE_ID_KEY: &str = "lokryn.trace_id";
const SPAN_ID_KEY: &str = "lokryn.span_id";

/// What both ways of building a record end with: the event name when no
/// field gave one, the observed time, and the attributes.
fn finish(out: &mut OtlpRecord, entry: &LogEntry, options: &Options, attrs: Vec<KeyValue>) {
    if out.record.event_name.is_empty() && entry.event_type != 0 {
        out.record.event_name = event_name(entry.event_type);
    }
    out.record.observed_time_unix_nano = options
        .observed_time_ns
        .unwrap_or(out.record.time_unix_nano);
    out.record.attributes = attrs;
}

/// Nanoseconds since the epoch, when OTLP's unsigned field can hold them
/// (not before 1970, not past 2554).
fn unix_nanos(ts: &lokryn_compliance_log::Timestamp) -> Option<u64> {
    u64::try_from(ts.seconds)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|s| s.checked_add(u64::try_from(ts.nanos).ok()?))
}

/// A repeated message as an array of key/value lists keyed by the element
/// fields' OTel names.
fn list_value(maps: &Mappings, map: &FieldMapping, value: &Value) -> AnyValue {
    let Value::List(items) = value else {
        return any_value(map, value);
    };
    let values = items
        .iter()
        .map(|item| {
            let Value::Message(m) = item else {
                return any_value(map, item);
            };
            let values = m
                .fields()
                .map(|(field, v)| {
                    let path = format!("{}.{}", map.path, field.name());
                    let inner = maps.field(&path).unwrap_or(map);
                    let key = if inner.path == path {
                        inner.export.otel.clone()
                    } else {
                        field.name().to_owned()
                    };
                    kv(key, any_value(inner, v))
                })
                .collect();
            any(any_value::Value::KvlistValue(KeyValueList { values }))
        })
        .collect();
    any(any_value::Value::ArrayValue(ArrayValue { values }))
}

/// Records as one `ExportLogsServiceRequest`, grouped by resource and scope
/// in order of first appearance.
pub fn to_request<'a>(
    entries: impl IntoIterator<Item = &'a LogEntry>,
    options: &Options,
) -> Result<ExportLogsServiceRequest, Error> {
    to_request_records(entries.into_iter().map(Record::Entry), options)
}

/// [`to_request`] of decoded entries or [views](Record::View) of encoded
/// ones, or both: the same request either way (for OTLP/JSON,
/// [`to_json`]). A view is read without being decoded, except for a record
/// the typed plan leaves to the general path.
pub fn to_request_records<'a>(
    records: impl IntoIterator<Item = Record<'a>>,
    options: &Options,
) -> Result<ExportLogsServiceRequest, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    let mut request = ExportLogsServiceRequest::default();
    for record in records {
        let one = to_record(maps, record, options)?;
        let resource = Resource {
            attributes: one.resource,
            ..Resource::default()
        };
        let index = match request
            .resource_logs
            .iter()
            .position(|r| r.resource.as_ref() == Some(&resource))
        {
            Some(i) => i,
            None => {
                request.resource_logs.push(ResourceLogs {
                    resource: Some(resource),
                    ..ResourceLogs::default()
                });
                request.resource_logs.len() - 1
            }
        };
        let Some(group) = request.resource_logs.get_mut(index) else {
            continue;
        };
        match group
            .scope_logs
            .iter_mut()
            .find(|s| s.scope.as_ref() == Some(&one.scope))
        {
            Some(scope) => scope.log_records.push(one.record),
            None => group.scope_logs.push(ScopeLogs {
                scope: Some(one.scope),
                log_records: vec![one.record],
                ..ScopeLogs::default()
            }),
        }
    }
    Ok(request)
}

/// Records as the protobuf bytes of one `ExportLogsServiceRequest` (the body
/// of an OTLP/HTTP protobuf POST): what `to_protobuf(&to_request(entries,
/// options)?)` gives, written straight from the records without building
/// the `opentelemetry-proto` messages.
pub fn encode_request(entries: &[LogEntry], options: &Options) -> Result<Vec<u8>, Error> {
    if let Some(body) = encode_direct(entries.iter().map(Record::Entry), options) {
        return Ok(body);
    }
    Ok(to_protobuf(&to_request(entries, options)?))
}

/// [`encode_request`] of decoded entries or [views](Record::View) of
/// encoded ones, or both: the same bytes either way. Views are read without
/// being decoded, except in a batch holding a record the plan leaves to the
/// general path, which decodes them.
pub fn encode_request_records(records: &[Record<'_>], options: &Options) -> Result<Vec<u8>, Error> {
    if let Some(body) = encode_direct(records.iter().copied(), options) {
        return Ok(body);
    }
    let entries = records
        .iter()
        .map(|r| r.to_entry())
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(to_protobuf(&to_request(
        entries.iter().map(|e| &**e),
        options,
    )?))
}

/// The request written from the typed plan; `None` when a record needs the
/// general path.
fn encode_direct<'a>(
    records: impl IntoIterator<Item = Record<'a>>,
    options: &Options,
) -> Option<Vec<u8>> {
    let plan = PLAN.as_ref()?;
    let mut batch = Batch::default();
    let mut rec = Rec::default();
    for record in records {
        typed_record(plan, record, options, &mut rec)?;
        batch.push(&mut rec);
    }
    Some(batch.finish())
}

/// The request as protobuf bytes (the body of an OTLP/HTTP protobuf POST):
/// the bytes `request.encode_to_vec()` gives, sooner.
///
/// prost writes a message's length before it, and so computes the length of
/// a log record again at each of the three levels above it (and of each
/// attribute at each level above that). Here the records' lengths are
/// computed once, the resource and scope levels framed from them, and each
/// record encoded by prost.
pub fn to_protobuf(request: &ExportLogsServiceRequest) -> Vec<u8> {
    use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};
    fn framed(tag: u32, len: usize) -> usize {
        key_len(tag) + encoded_len_varint(len as u64) + len
    }
    fn frame(tag: u32, len: usize, buf: &mut Vec<u8>) {
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint(len as u64, buf);
    }
    // Pass 1: the length of every record, scope group and resource group.
    let mut lengths = Vec::new();
    let mut total = 0;
    for rl in &request.resource_logs {
        let at = lengths.len();
        lengths.push(0);
        let mut rl_len = rl
            .resource
            .as_ref()
            .map_or(0, |r| framed(1, r.encoded_len()));
        for sl in &rl.scope_logs {
            let at = lengths.len();
            lengths.push(0);
            let mut sl_len = sl.scope.as_ref().map_or(0, |s| framed(1, s.encoded_len()));
            for record in &sl.log_records {
                let len = record.encoded_len();
                lengths.push(len);
                sl_len += framed(2, len);
            }
            if !sl.schema_url.is_empty() {
                sl_len += framed(3, sl.schema_url.len());
            }
            if let Some(slot) = lengths.get_mut(at) {
                *slot = sl_len;
            }
            rl_len += framed(2, sl_len);
        }
        if !rl.schema_url.is_empty() {
            rl_len += framed(3, rl.schema_url.len());
        }
        if let Some(slot) = lengths.get_mut(at) {
            *slot = rl_len;
        }
        total += framed(1, rl_len);
    }
    // Pass 2: the bytes, in prost's field order.
    let mut buf = Vec::with_capacity(total);
    let mut lengths = lengths.into_iter();
    for rl in &request.resource_logs {
        frame(1, lengths.next().unwrap_or_default(), &mut buf);
        if let Some(resource) = &rl.resource {
            prost::encoding::message::encode(1, resource, &mut buf);
        }
        for sl in &rl.scope_logs {
            frame(2, lengths.next().unwrap_or_default(), &mut buf);
            if let Some(scope) = &sl.scope {
                prost::encoding::message::encode(1, scope, &mut buf);
            }
            for record in &sl.log_records {
                frame(2, lengths.next().unwrap_or_default(), &mut buf);
                record.encode_raw(&mut buf);
            }
            if !sl.schema_url.is_empty() {
                prost::encoding::string::encode(3, &sl.schema_url, &mut buf);
            }
        }
        if !rl.schema_url.is_empty() {
            prost::encoding::string::encode(3, &rl.schema_url, &mut buf);
        }
    }
    buf
}

/// The request as OTLP/JSON (hex trace and span ids, 64-bit integers as
/// strings, enums as numbers).
pub fn to_json(request: &ExportLogsServiceRequest) -> Result<String, Error> {
    let mut json =
        serde_json::to_value(request).map_err(|e| Error::Write(format!("OTLP/JSON: {e}")))?;
    // serde writes a NaN or infinite double as null; the protobuf JSON
    // mapping (and so OTLP/JSON) spells them "NaN", "Infinity", "-Infinity".
    let groups = request.resource_logs.iter().enumerate();
    for (i, rl) in groups {
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            for (k, record) in sl.log_records.iter().enumerate() {
                let Some(out) =
                    json.pointer_mut(&format!("/resourceLogs/{i}/scopeLogs/{j}/logRecords/{k}"))
                else {
                    continue;
                };
                if let Some(body) = &record.body {
                    if let Some(v) = out.get_mut("body") {
                        special_doubles(body, v);
                    }
                }
                for (n, kv) in record.attributes.iter().enumerate() {
                    if let (Some(value), Some(v)) = (
                        &kv.value,
                        out.pointer_mut(&format!("/attributes/{n}/value")),
                    ) {
                        special_doubles(value, v);
                    }
                }
            }
        }
    }
    drop_nulls(&mut json);
    serde_json::to_string(&json).map_err(|e| Error::Write(format!("OTLP/JSON: {e}")))
}

/// Removes the `null`s serde writes for unset message fields (an unset
/// `body` must stay unset, not become an empty value).
fn drop_nulls(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn special_doubles(value: &AnyValue, json: &mut serde_json::Value) {
    match &value.value {
        Some(any_value::Value::DoubleValue(f)) if !f.is_finite() => {
            if let Some(slot) = json.get_mut("doubleValue") {
                *slot = crate::value::double(*f);
            }
        }
        Some(any_value::Value::ArrayValue(array)) => {
            for (n, item) in array.values.iter().enumerate() {
                if let Some(v) = json.pointer_mut(&format!("/arrayValue/values/{n}")) {
                    special_doubles(item, v);
                }
            }
        }
        Some(any_value::Value::KvlistValue(list)) => {
            for (n, kv) in list.values.iter().enumerate() {
                if let (Some(item), Some(v)) = (
                    &kv.value,
                    json.pointer_mut(&format!("/kvlistValue/values/{n}/value")),
                ) {
                    special_doubles(item, v);
                }
            }
        }
        _ => {}
    }
}
