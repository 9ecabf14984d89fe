//! Field values as JSON, shared by the JSON targets.

use base64::Engine as _;
use lokryn_compliance_log::Timestamp;
use lokryn_compliance_log::json::civil_from_days;
use lokryn_compliance_log::mapping::Mappings;
use prost_reflect::{DynamicMessage, Value};
use serde_json::{Map, Number, Value as Json};

use crate::fields::enum_value_name;

/// A number, or for a non-finite double the proto3 JSON spelling ("NaN",
/// "Infinity", "-Infinity"): JSON has no such numbers.
pub(crate) fn double(f: f64) -> Json {
    Number::from_f64(f).map_or_else(
        || {
            Json::String(
                if f.is_nan() {
                    "NaN"
                } else if f > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                }
                .to_owned(),
            )
        },
        Json::Number,
    )
}

/// A scalar or repeated scalar as JSON (enums as their number).
pub(crate) fn scalar(value: &Value) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::I32(n) | Value::EnumNumber(n) => Json::from(*n),
        Value::I64(n) => Json::from(*n),
        Value::U32(n) => Json::from(*n),
        Value::U64(n) => Json::from(*n),
        Value::F32(f) => double(f64::from(*f)),
        Value::F64(f) => double(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::List(items) => Json::Array(items.iter().map(scalar).collect()),
        Value::Message(m) => message(m),
        Value::Map(_) => Json::Null,
    }
}

/// A message as an object keyed by its proto field names, enums by value
/// name (used for the elements of a repeated message such as the
/// delegation chain, and for anything placed whole).
pub(crate) fn message(m: &DynamicMessage) -> Json {
    let mut out = Map::new();
    for (field, value) in m.fields() {
        let json = match (field.kind(), value) {
            (prost_reflect::Kind::Enum(e), Value::EnumNumber(n)) => {
                Json::String(enum_value_name(e.name(), *n))
            }
            (prost_reflect::Kind::Enum(e), Value::List(items)) => Json::Array(
                items
                    .iter()
                    .map(|v| match v {
                        Value::EnumNumber(n) => Json::String(enum_value_name(e.name(), *n)),
                        other => scalar(other),
                    })
                    .collect(),
            ),
            (_, other) => scalar(other),
        };
        out.insert(field.name().to_owned(), json);
    }
    Json::Object(out)
}

/// A repeated message field as an array of objects keyed by each element
/// field's home (`FieldExport` of the element fields, for one target).
pub(crate) fn list(
    maps: &Mappings,
    path: &str,
    value: &Value,
    home: impl Fn(&lokryn_compliance_log::mapping::FieldMapping) -> String,
) -> Json {
    let Value::List(items) = value else {
        return scalar(value);
    };
    let prefix = format!("{path}.");
    Json::Array(
        items
            .iter()
            .map(|item| {
                let Value::Message(m) = item else {
                    return scalar(item);
                };
                let Json::Object(by_name) = message(m) else {
                    return Json::Null;
                };
                let mut out = Map::new();
                for (name, v) in by_name {
                    let key = maps
                        .field(&format!("{prefix}{name}"))
                        .map_or_else(|| name.clone(), &home);
                    out.insert(key, v);
                }
                Json::Object(out)
            })
            .collect(),
    )
}

/// A timestamp field's value.
pub(crate) fn timestamp(value: &Value) -> Option<Timestamp> {
    match value {
        Value::Message(m) => m.transcode_to::<Timestamp>().ok(),
        _ => None,
    }
}

/// Milliseconds since the epoch (floored) and the nanoseconds below the
/// millisecond, which OCSF's millisecond timestamps cannot hold.
pub(crate) fn millis(ts: &Timestamp) -> (i64, i64) {
    let nanos = i64::from(ts.nanos);
    let ms = ts
        .seconds
        .saturating_mul(1000)
        .saturating_add(nanos.div_euclid(1_000_000));
    (ms, nanos.rem_euclid(1_000_000))
}

/// RFC 3339 text in UTC with as many fractional digits as needed (0, 3, 6
/// or 9), as proto3 JSON writes timestamps.
pub(crate) fn rfc3339(ts: &Timestamp) -> String {
    let days = ts.seconds.div_euclid(86_400);
    let secs = ts.seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    let nanos = ts.nanos.clamp(0, 999_999_999);
    if nanos != 0 {
        if nanos % 1_000_000 == 0 {
            out.push_str(&format!(".{:03}", nanos / 1_000_000));
        } else if nanos % 1000 == 0 {
            out.push_str(&format!(".{:06}", nanos / 1000));
        } else {
            out.push_str(&format!(".{nanos:09}"));
        }
    }
    out.push('Z');
    out
}

/// The payload as JSON when it is JSON text (stated, or unstated and
/// parsing as JSON), else `None` (opaque or CBOR bytes).
pub(crate) fn payload_json(record: crate::Record<'_>) -> Option<Json> {
    if record.payload_is_cbor() {
        return None;
    }
    serde_json::from_slice(record.payload()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_proto3_json() {
        let ts = |seconds, nanos| Timestamp { seconds, nanos };
        assert_eq!(rfc3339(&ts(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(&ts(951_782_400, 5_000_000)),
            "2000-02-29T00:00:00.005Z"
        );
        assert_eq!(
            rfc3339(&ts(-1, 999_999_999)),
            "1969-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            rfc3339(&ts(253_402_300_799, 1000)),
            "9999-12-31T23:59:59.000001Z"
        );
        assert_eq!(millis(&ts(-1, 999_999_999)), (-1, 999_999));
    }
}
