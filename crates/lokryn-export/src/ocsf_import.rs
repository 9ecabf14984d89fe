//! OCSF events this crate exported, back into records, following the same
//! mapping options in reverse: every field is read from where [`to_ocsf`]
//! put it, enums from their ids and captions (and the class and activity for
//! the event type), so an export and an import give the record back exactly.
//!
//! [`to_ocsf`]: crate::ocsf::to_ocsf

use base64::Engine as _;
use lokryn_compliance_log::mapping::{FieldMapping, FieldShape, Mappings, mappings};
use lokryn_compliance_log::v1::{OcsfEvent, ValueExport};
use lokryn_compliance_log::{LogEntry, Timestamp};
use prost_reflect::{DynamicMessage, Kind, ReflectMessage, Value};
use serde_json::Value as Json;

use crate::Error;

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Import(what.to_string())
}

/// The value at a dotted path (`[]` segments read the first element).
fn at<'a>(root: &'a Json, path: &str) -> Option<&'a Json> {
    let mut node = root;
    for segment in path.split('.') {
        let (key, array) = match segment.strip_suffix("[]") {
            Some(key) => (key, true),
            None => (segment, false),
        };
        node = node.get(key)?;
        if array {
            node = node.get(0)?;
        }
    }
    Some(node)
}

/// The enum values of `enum_name` whose options match `keep`.
fn values_where(maps: &Mappings, enum_name: &str, keep: impl Fn(&ValueExport) -> bool) -> Vec<i32> {
    let Some(en) = lokryn_compliance_log::DESCRIPTOR_POOL
        .get_enum_by_name(&format!("lokryn.compliancelog.v1.{enum_name}"))
    else {
        return Vec::new();
    };
    en.values()
        .map(|v| v.number())
        .filter(|n| maps.value(enum_name, *n).is_some_and(&keep))
        .collect()
}

/// The class mapping of `event_type`, checked against the event's class
/// and activity (an event type the schema does not define is a Base Event).
fn class_of(maps: &Mappings, event: &Json, event_type: i32) -> Result<OcsfEvent, Error> {
    let class = maps
        .event_type(event_type)
        .and_then(|v| v.ocsf_event.clone())
        .unwrap_or_else(|| OcsfEvent {
            class_name: "Base Event".into(),
            activity_name: "Unknown".into(),
            absent: vec!["actor".into(), "src_endpoint".into(), "http_request".into()],
            ..OcsfEvent::default()
        });
    let class_uid = event.get("class_uid").and_then(Json::as_i64);
    let activity_id = event.get("activity_id").and_then(Json::as_i64);
    if class_uid != Some(i64::from(class.class_uid))
        || activity_id != Some(i64::from(class.activity_id))
    {
        return Err(bad(format!(
            "class {class_uid:?} activity {activity_id:?} is not where event type {event_type} exports"
        )));
    }
    Ok(class)
}

/// Where a field of the record is in an event of `class`.
fn home(class: &OcsfEvent, map: &FieldMapping) -> String {
    if let Some(p) = class.place.iter().find(|p| p.field == map.path && !p.copy) {
        return p.path.clone();
    }
    let top = map.export.ocsf.split(['.', '[']).next().unwrap_or_default();
    if class.absent.iter().any(|a| a == top) {
        format!("unmapped.{}", map.path)
    } else {
        map.export.ocsf.clone()
    }
}

fn double(json: &Json) -> Option<f64> {
    match json {
        Json::String(s) if s == "NaN" => Some(f64::NAN),
        Json::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Json::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        other => other.as_f64(),
    }
}

/// A JSON value as a field value of `kind` (scalars, enums by name or
/// number, messages by proto field names).
fn field_value(kind: &Kind, repeated: bool, json: &Json) -> Result<Value, Error> {
    if repeated {
        let items = json.as_array().ok_or_else(|| bad("expected an array"))?;
        return Ok(Value::List(
            items
                .iter()
                .map(|item| field_value(kind, false, item))
                .collect::<Result<_, _>>()?,
        ));
    }
    let wrong = || bad(format!("{json} is not a {kind:?}"));
    Ok(match kind {
        Kind::String => Value::String(json.as_str().ok_or_else(wrong)?.to_owned()),
        Kind::Bytes => Value::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(json.as_str().ok_or_else(wrong)?)
                .map_err(bad)?
                .into(),
        ),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(json.as_i64().ok_or_else(wrong)?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(
            json.as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(wrong)?,
        ),
        Kind::Double => Value::F64(double(json).ok_or_else(wrong)?),
        Kind::Bool => Value::Bool(json.as_bool().ok_or_else(wrong)?),
        Kind::Enum(e) => Value::EnumNumber(match json {
            // A number the schema does not define is written as its digits.
            Json::String(digits) if digits.parse::<i32>().is_ok() => {
                digits.parse::<i32>().map_err(bad)?
            }
            Json::String(name) => e.get_value_by_name(name).ok_or_else(wrong)?.number(),
            other => other
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(wrong)?,
        }),
        Kind::Message(m) => {
            let object = json.as_object().ok_or_else(wrong)?;
            let mut message = DynamicMessage::new(m.clone());
            for (name, value) in object {
                let field = m
                    .get_field_by_name(name)
                    .ok_or_else(|| bad(format!("unknown field {name}")))?;
                message.set_field(&field, field_value(&field.kind(), field.is_list(), value)?);
            }
            Value::Message(message)
        }
        other => return Err(bad(format!("cannot read a {other:?}"))),
    })
}

/// Sets a field at a dotted proto path, creating the messages on the way.
fn set_path(message: &mut DynamicMessage, path: &str, value: Value) -> Result<(), Error> {
    let descriptor = message.descriptor();
    match path.split_once('.') {
        None => {
            let field = descriptor
                .get_field_by_name(path)
                .ok_or_else(|| bad(format!("no field {path}")))?;
            message.set_field(&field, value);
            Ok(())
        }
        Some((head, rest)) => {
            let field = descriptor
                .get_field_by_name(head)
                .ok_or_else(|| bad(format!("no field {head}")))?;
            match message.get_field_mut(&field) {
                Value::Message(inner) => set_path(inner, rest, value),
                _ => Err(bad(format!("{head} is not a message"))),
            }
        }
    }
}

fn kind_of(root: &prost_reflect::MessageDescriptor, path: &str) -> Option<Kind> {
    match path.split_once('.') {
        None => root.get_field_by_name(path).map(|f| f.kind()),
        Some((head, rest)) => match root.get_field_by_name(head)?.kind() {
            Kind::Message(m) => kind_of(&m, rest),
            _ => None,
        },
    }
}

/// One OCSF event written by [`crate::ocsf::to_ocsf`], as the record it
/// came from.
pub fn from_ocsf(event: &Json) -> Result<LogEntry, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    let unmapped = |key: &str| event.get("unmapped").and_then(|u| u.get(key));
    let code = maps
        .field("event_type")
        .and_then(|f| at(event, &f.export.ocsf))
        .and_then(Json::as_str);
    let event_type = match code {
        None => 0,
        Some(code) => match lokryn_compliance_log::EventType::from_str_name(code) {
            Some(t) => t as i32,
            None => code
                .parse::<i32>()
                .map_err(|_| bad(format!("unknown event code {code}")))?,
        },
    };
    let class = class_of(maps, event, event_type)?;
    let mut entry = LogEntry {
        event_type,
        ..LogEntry::default()
    }
    .transcode_to_dynamic();
    let root = entry.descriptor();
    for map in maps.fields() {
        if map.path == "event_type" || map.shape == FieldShape::Nested {
            continue;
        }
        let parent = map.path.rsplit_once('.').map(|(p, _)| p);
        if parent.is_some_and(|p| maps.field(p).is_some_and(|m| m.shape == FieldShape::List)) {
            continue;
        }
        let home = home(&class, map);
        let value = match map.shape {
            FieldShape::Timestamp => {
                if unmapped("time_unset").is_some() {
                    continue;
                }
                let Some(ms) = at(event, &home).and_then(Json::as_i64) else {
                    continue;
                };
                let sub_ms = unmapped("time_sub_ms_nanos")
                    .and_then(Json::as_i64)
                    .unwrap_or(0);
                let nanos = ms.rem_euclid(1000) * 1_000_000 + sub_ms;
                Value::Message(
                    Timestamp {
                        seconds: ms.div_euclid(1000),
                        nanos: i32::try_from(nanos).map_err(bad)?,
                    }
                    .transcode_to_dynamic(),
                )
            }
            FieldShape::Enum => {
                let enum_name = map.enum_name.as_deref().unwrap_or_default();
                if let Some(n) = unmapped(&map.path).filter(|_| !home.starts_with("unmapped.")) {
                    // A number the schema does not define.
                    Value::EnumNumber(n.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0))
                } else if home.starts_with("unmapped.") {
                    let Some(json) = at(event, &home) else {
                        continue;
                    };
                    let kind = kind_of(&root, &map.path).ok_or_else(|| bad(&map.path))?;
                    field_value(&kind, false, json)?
                } else if enum_name == "Severity" {
                    let Some(name) = at(event, "metadata.log_level").and_then(Json::as_str) else {
                        continue;
                    };
                    let kind = kind_of(&root, &map.path).ok_or_else(|| bad(&map.path))?;
                    field_value(&kind, false, &Json::String(name.to_owned()))?
                } else {
                    let Some(id) = at(event, &home).and_then(Json::as_i64) else {
                        continue;
                    };
                    let sibling = home.strip_suffix("_id").and_then(|s| at(event, s));
                    let detail = event.get("status_detail");
                    let found = values_where(maps, enum_name, |v| {
                        v.ocsf_id.map(i64::from) == Some(id)
                            && sibling.is_none_or(|s| s.as_str() == Some(v.ocsf_caption.as_str()))
                            && (v.ocsf_detail.is_empty()
                                || detail.and_then(Json::as_str) == Some(v.ocsf_detail.as_str()))
                    });
                    match found.as_slice() {
                        [n] => Value::EnumNumber(*n),
                        _ => return Err(bad(format!("{home} = {id} names no single {enum_name}"))),
                    }
                }
            }
            FieldShape::Scalar if map.path == "payload" => {
                let Some(json) = at(event, &home) else {
                    continue;
                };
                let bytes = match (unmapped("payload_encoding").and_then(Json::as_str), json) {
                    (Some("text"), Json::String(text)) => text.as_bytes().to_vec(),
                    (Some("base64"), Json::String(b64)) => {
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .map_err(bad)?
                    }
                    (_, other) => serde_json::to_vec(other).map_err(bad)?,
                };
                Value::Bytes(bytes.into())
            }
            _ => {
                let Some(json) = at(event, &home) else {
                    continue;
                };
                let kind = kind_of(&root, &map.path).ok_or_else(|| bad(&map.path))?;
                field_value(&kind, map.repeated, json)?
            }
        };
        if map.path == "producer.name" && unmapped("producer_unset").is_some() {
            continue;
        }
        set_path(&mut entry, &map.path, value)?;
    }
    // Submessages that were set but empty.
    if let Some(Json::Object(empty)) = unmapped("empty_messages").map(|v| {
        Json::Object(
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(|p| (p.to_owned(), Json::Null)))
                .collect(),
        )
    }) {
        for path in empty.keys() {
            let Some(Kind::Message(m)) = kind_of(&root, path) else {
                continue;
            };
            set_path(&mut entry, path, Value::Message(DynamicMessage::new(m)))?;
        }
    }
    // Unset severities export as severity_id 0 "Unknown" with no log level:
    // nothing to restore.
    entry.transcode_to::<LogEntry>().map_err(bad)
}
