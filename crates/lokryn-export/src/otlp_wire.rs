//! OTLP log records that borrow from the records they were built from, and
//! their protobuf encoding: the bytes prost writes for the same
//! `opentelemetry-proto` messages, without building those messages (a
//! `String` per attribute key and value, allocated, copied and freed).
//!
//! The typed plan of [`crate::otlp`] builds a [`Rec`]; [`Rec::to_owned`]
//! turns it into the `opentelemetry-proto` types the public API returns, and
//! [`Batch`] encodes records straight into an `ExportLogsServiceRequest`.
//! The tests hold [`Batch`] to prost's encoding of the
//! `opentelemetry-proto` request, byte for byte.

use std::borrow::Cow;

use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList, any_value,
};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::encoding::{WireType, encoded_len_varint};

use crate::otlp::OtlpRecord;

/// An `AnyValue` (always set: the typed plan never writes an empty one).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(&'a [u8]),
    Array(Vec<Val<'a>>),
    Kvlist(Vec<Kv<'a>>),
}

/// A `KeyValue` with its value set.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kv<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: Val<'a>,
}

/// A `LogRecord` with its resource attributes and scope.
#[derive(Debug, Default)]
pub(crate) struct Rec<'a> {
    pub(crate) resource: Vec<Kv<'a>>,
    pub(crate) scope_name: &'a str,
    pub(crate) scope_version: &'a str,
    pub(crate) time_unix_nano: u64,
    pub(crate) observed_time_unix_nano: u64,
    pub(crate) severity_number: i32,
    pub(crate) severity_text: &'a str,
    pub(crate) body: Option<Val<'a>>,
    pub(crate) attributes: Vec<Kv<'a>>,
    pub(crate) trace_id: Option<[u8; 16]>,
    pub(crate) span_id: Option<[u8; 8]>,
    pub(crate) event_name: Cow<'a, str>,
}

impl Val<'_> {
    /// The `opentelemetry-proto` value.
    pub(crate) fn to_any(&self) -> AnyValue {
        let value = match self {
            Self::Str(s) => any_value::Value::StringValue(s.as_ref().to_owned()),
            Self::Bool(b) => any_value::Value::BoolValue(*b),
            Self::Int(n) => any_value::Value::IntValue(*n),
            Self::Double(f) => any_value::Value::DoubleValue(*f),
            Self::Bytes(b) => any_value::Value::BytesValue(b.to_vec()),
            Self::Array(items) => any_value::Value::ArrayValue(ArrayValue {
                values: items.iter().map(Self::to_any).collect(),
            }),
            Self::Kvlist(items) => any_value::Value::KvlistValue(KeyValueList {
                values: items.iter().map(Kv::to_key_value).collect(),
            }),
        };
        AnyValue { value: Some(value) }
    }
}

impl Kv<'_> {
    /// The `opentelemetry-proto` key/value.
    pub(crate) fn to_key_value(&self) -> KeyValue {
        KeyValue {
            key: self.key.to_owned(),
            value: Some(self.value.to_any()),
            ..KeyValue::default()
        }
    }
}

impl Rec<'_> {
    /// The `opentelemetry-proto` record.
    pub(crate) fn to_owned(&self) -> OtlpRecord {
        OtlpRecord {
            resource: self.resource.iter().map(Kv::to_key_value).collect(),
            scope: InstrumentationScope {
                name: self.scope_name.to_owned(),
                version: self.scope_version.to_owned(),
                ..InstrumentationScope::default()
            },
            record: LogRecord {
                time_unix_nano: self.time_unix_nano,
                observed_time_unix_nano: self.observed_time_unix_nano,
                severity_number: self.severity_number,
                severity_text: self.severity_text.to_owned(),
                body: self.body.as_ref().map(Val::to_any),
                attributes: self.attributes.iter().map(Kv::to_key_value).collect(),
                trace_id: self.trace_id.map(|id| id.to_vec()).unwrap_or_default(),
                span_id: self.span_id.map(|id| id.to_vec()).unwrap_or_default(),
                event_name: self.event_name.as_ref().to_owned(),
                ..LogRecord::default()
            },
        }
    }
}

// Every tag below is under 16: a key is one byte.

/// A field key (tag and wire type): one byte for the tags used here, as
/// prost writes it.
fn put_key(tag: u32, wire_type: WireType, buf: &mut Vec<u8>) {
    put_varint(u64::from(tag << 3 | wire_type as u32), buf);
}

/// A base-128 varint, as prost writes it (written here into the vector
/// directly: prost's generic writer checks the buffer for every byte).
fn put_varint(mut value: u64, buf: &mut Vec<u8>) {
    while value >= 0x80 {
        buf.push(u8::try_from(value & 0x7f).unwrap_or_default() | 0x80);
        value >>= 7;
    }
    buf.push(u8::try_from(value).unwrap_or_default());
}

/// The length of a length-delimited field (key, length, content).
fn framed(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

/// A string or bytes field as proto3 writes it (nothing when empty).
fn bytes_len(len: usize) -> usize {
    if len == 0 { 0 } else { framed(len) }
}

fn frame(tag: u32, len: usize, buf: &mut Vec<u8>) {
    put_key(tag, WireType::LengthDelimited, buf);
    put_varint(len as u64, buf);
}

fn put_bytes(tag: u32, bytes: &[u8], buf: &mut Vec<u8>) {
    if !bytes.is_empty() {
        frame(tag, bytes.len(), buf);
        buf.extend_from_slice(bytes);
    }
}

fn put_fixed64(tag: u32, value: u64, buf: &mut Vec<u8>) {
    if value != 0 {
        put_key(tag, WireType::SixtyFourBit, buf);
        buf.extend_from_slice(&value.to_le_bytes());
    }
}

/// The length of an `AnyValue` message (its oneof is written even when its
/// value is the default).
fn val_len(value: &Val<'_>) -> usize {
    match value {
        Val::Str(s) => framed(s.len()),
        Val::Bool(_) => 2,
        Val::Int(n) => 1 + encoded_len_varint(*n as u64),
        Val::Double(_) => 9,
        Val::Bytes(b) => framed(b.len()),
        Val::Array(items) => framed(items.iter().map(|v| framed(val_len(v))).sum()),
        Val::Kvlist(items) => framed(items.iter().map(|kv| framed(kv_len(kv))).sum()),
    }
}

fn put_val(value: &Val<'_>, buf: &mut Vec<u8>) {
    match value {
        Val::Str(s) => {
            frame(1, s.len(), buf);
            buf.extend_from_slice(s.as_bytes());
        }
        Val::Bool(b) => {
            put_key(2, WireType::Varint, buf);
            buf.push(u8::from(*b));
        }
        Val::Int(n) => {
            put_key(3, WireType::Varint, buf);
            put_varint(*n as u64, buf);
        }
        Val::Double(f) => {
            put_key(4, WireType::SixtyFourBit, buf);
            buf.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Val::Bytes(b) => {
            frame(7, b.len(), buf);
            buf.extend_from_slice(b);
        }
        Val::Array(items) => {
            frame(5, items.iter().map(|v| framed(val_len(v))).sum(), buf);
            for item in items {
                frame(1, val_len(item), buf);
                put_val(item, buf);
            }
        }
        Val::Kvlist(items) => {
            frame(6, items.iter().map(|kv| framed(kv_len(kv))).sum(), buf);
            for kv in items {
                put_kv(1, kv, buf);
            }
        }
    }
}

/// The length of a `KeyValue` message.
fn kv_len(kv: &Kv<'_>) -> usize {
    bytes_len(kv.key.len()) + framed(val_len(&kv.value))
}

/// A `KeyValue` as field `tag` of the message around it.
fn put_kv(tag: u32, kv: &Kv<'_>, buf: &mut Vec<u8>) {
    let value_len = val_len(&kv.value);
    frame(tag, bytes_len(kv.key.len()) + framed(value_len), buf);
    put_bytes(1, kv.key.as_bytes(), buf);
    frame(2, value_len, buf);
    put_val(&kv.value, buf);
}

fn attributes_len(attributes: &[Kv<'_>]) -> usize {
    attributes.iter().map(|kv| framed(kv_len(kv))).sum()
}

impl Rec<'_> {
    /// The length of the `LogRecord` message.
    fn record_len(&self) -> usize {
        let int_len = |n: u64| if n == 0 { 0 } else { 1 + encoded_len_varint(n) };
        let fixed_len = |n: u64| if n == 0 { 0 } else { 9 };
        fixed_len(self.time_unix_nano)
            + int_len(i64::from(self.severity_number) as u64)
            + bytes_len(self.severity_text.len())
            + self.body.as_ref().map_or(0, |b| framed(val_len(b)))
            + attributes_len(&self.attributes)
            + self.trace_id.map_or(0, |id| framed(id.len()))
            + self.span_id.map_or(0, |id| framed(id.len()))
            + fixed_len(self.observed_time_unix_nano)
            + bytes_len(self.event_name.len())
    }

    /// The `LogRecord` as field `tag` of the message around it, in prost's
    /// order (by field number).
    fn put_record(&self, tag: u32, buf: &mut Vec<u8>) {
        frame(tag, self.record_len(), buf);
        put_fixed64(1, self.time_unix_nano, buf);
        if self.severity_number != 0 {
            put_key(2, WireType::Varint, buf);
            put_varint(i64::from(self.severity_number) as u64, buf);
        }
        put_bytes(3, self.severity_text.as_bytes(), buf);
        if let Some(body) = &self.body {
            frame(5, val_len(body), buf);
            put_val(body, buf);
        }
        for kv in &self.attributes {
            put_kv(6, kv, buf);
        }
        if let Some(id) = &self.trace_id {
            put_bytes(9, id, buf);
        }
        if let Some(id) = &self.span_id {
            put_bytes(10, id, buf);
        }
        put_fixed64(11, self.observed_time_unix_nano, buf);
        put_bytes(12, self.event_name.as_bytes(), buf);
    }
}

/// The records of one scope: its name and version, and its `LogRecord`
/// fields (each framed) as they will be written.
struct ScopeGroup<'a> {
    name: &'a str,
    version: &'a str,
    records: Vec<u8>,
}

impl ScopeGroup<'_> {
    /// The length of the `InstrumentationScope` message.
    fn scope_len(&self) -> usize {
        bytes_len(self.name.len()) + bytes_len(self.version.len())
    }

    /// The length of the `ScopeLogs` message.
    fn len(&self) -> usize {
        framed(self.scope_len()) + self.records.len()
    }
}

struct ResourceGroup<'a> {
    resource: Vec<Kv<'a>>,
    scopes: Vec<ScopeGroup<'a>>,
}

impl ResourceGroup<'_> {
    /// The length of the `ResourceLogs` message.
    fn len(&self) -> usize {
        framed(attributes_len(&self.resource))
            + self.scopes.iter().map(|s| framed(s.len())).sum::<usize>()
    }
}

/// Records grouped by resource and scope in order of first appearance (as
/// [`crate::otlp::to_request`] groups them), each encoded as it is added.
#[derive(Default)]
pub(crate) struct Batch<'a> {
    groups: Vec<ResourceGroup<'a>>,
}

impl<'a> Batch<'a> {
    /// Adds a record; its resource attributes are taken (left empty) when
    /// they start a new group.
    pub(crate) fn push(&mut self, rec: &mut Rec<'a>) {
        let index = match self.groups.iter().position(|g| g.resource == rec.resource) {
            Some(i) => i,
            None => {
                self.groups.push(ResourceGroup {
                    resource: std::mem::take(&mut rec.resource),
                    scopes: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let Some(group) = self.groups.get_mut(index) else {
            return;
        };
        let scope = match group
            .scopes
            .iter()
            .position(|s| s.name == rec.scope_name && s.version == rec.scope_version)
        {
            Some(i) => i,
            None => {
                group.scopes.push(ScopeGroup {
                    name: rec.scope_name,
                    version: rec.scope_version,
                    records: Vec::new(),
                });
                group.scopes.len() - 1
            }
        };
        if let Some(scope) = group.scopes.get_mut(scope) {
            rec.put_record(2, &mut scope.records);
        }
    }

    /// The `ExportLogsServiceRequest` bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        let total: usize = self.groups.iter().map(|g| framed(g.len())).sum();
        let mut buf = Vec::with_capacity(total);
        for group in &self.groups {
            frame(1, group.len(), &mut buf);
            frame(1, attributes_len(&group.resource), &mut buf);
            for kv in &group.resource {
                put_kv(1, kv, &mut buf);
            }
            for scope in &group.scopes {
                frame(2, scope.len(), &mut buf);
                frame(1, scope.scope_len(), &mut buf);
                put_bytes(1, scope.name.as_bytes(), &mut buf);
                put_bytes(2, scope.version.as_bytes(), &mut buf);
                buf.extend_from_slice(&scope.records);
            }
        }
        buf
    }
}
