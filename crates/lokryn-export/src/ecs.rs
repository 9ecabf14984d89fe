//! ECS 9.x documents (Elastic Common Schema), one per record.
//!
//! `event.kind`, `event.category` and `event.type` come from the
//! `EventType` value's options, every other field's ECS field from its own
//! options. ECS has no field for some of ours: they go to `labels`, whose
//! values ECS keeps as keyword strings.

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::mapping::{FieldShape, mappings};
use prost_reflect::Value;
use serde_json::{Map, Value as Json};

use crate::fields::{action_name, enum_value_name, set_fields};
use crate::tree::set;
use crate::value::{list, payload_json, rfc3339, scalar, timestamp};
use crate::{Error, Options};

/// The ECS version the documents follow (`ecs.version`).
pub const ECS_VERSION: &str = "9.0.0";

/// A label value: ECS labels are keyword strings, so numbers and
/// structures are written as their JSON text.
fn label(value: Json) -> Json {
    match value {
        Json::String(s) => Json::String(s),
        other => Json::String(other.to_string()),
    }
}

/// One record as an ECS document.
pub fn to_ecs(entry: &LogEntry, _options: &Options) -> Result<Json, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    let mut out = Map::new();
    set(&mut out, "ecs.version", ECS_VERSION.into())?;
    if let Some(ecs) = maps
        .event_type(entry.event_type)
        .and_then(|v| v.ecs_event.as_ref())
    {
        if !ecs.kind.is_empty() {
            set(&mut out, "event.kind", ecs.kind.clone().into())?;
        }
        if !ecs.categories.is_empty() {
            set(&mut out, "event.category", ecs.categories.clone().into())?;
        }
        if !ecs.types.is_empty() {
            set(&mut out, "event.type", ecs.types.clone().into())?;
        }
    }
    for f in set_fields(maps, entry) {
        let home = f.map.export.ecs.as_str();
        let labelled = home.starts_with("labels.");
        let value = match f.map.shape {
            FieldShape::Timestamp => match timestamp(&f.value) {
                Some(ts) => Json::String(rfc3339(&ts)),
                None => continue,
            },
            FieldShape::Enum => {
                let Value::EnumNumber(number) = f.value else {
                    continue;
                };
                let enum_name = f.map.enum_name.as_deref().unwrap_or_default();
                let name = enum_value_name(enum_name, number);
                if f.map.path == "event_type" {
                    Json::String(action_name(number))
                } else {
                    match maps.value(enum_name, number) {
                        Some(m) if !m.ecs.is_empty() => {
                            if let Some(code) = m.syslog_code {
                                set(&mut out, "log.syslog.severity.code", code.into())?;
                                set(&mut out, "log.syslog.severity.name", m.ecs.clone().into())?;
                            }
                            if enum_name == "Outcome" {
                                // event.outcome has three values; the label keeps which failure.
                                set(&mut out, "labels.outcome", name.into())?;
                            }
                            Json::String(m.ecs.clone())
                        }
                        _ if labelled => Json::String(name),
                        _ => {
                            let key = format!("labels.{}", f.map.path.replace('.', "_"));
                            set(&mut out, &key, Json::String(number.to_string()))?;
                            continue;
                        }
                    }
                }
            }
            FieldShape::List => list(maps, &f.map.path, &f.value, |m| m.export.ecs.clone()),
            FieldShape::Scalar if f.map.path == "payload" => match payload_json(entry) {
                Some(_) if std::str::from_utf8(&entry.payload).is_ok() => {
                    Json::String(String::from_utf8_lossy(&entry.payload).into_owned())
                }
                _ => {
                    set(&mut out, "labels.payload_encoding", "base64".into())?;
                    scalar(&f.value)
                }
            },
            FieldShape::Scalar if f.map.path == "duration_ms" => match f.value {
                // event.duration is in nanoseconds.
                Value::I64(ms) => match ms.checked_mul(1_000_000) {
                    Some(ns) => ns.into(),
                    None => {
                        // Beyond what nanoseconds in an i64 can hold: kept as given.
                        set(&mut out, "labels.duration_ms", ms.to_string().into())?;
                        continue;
                    }
                },
                ref other => scalar(other),
            },
            FieldShape::Scalar => scalar(&f.value),
            FieldShape::Nested => continue,
        };
        set(&mut out, home, if labelled { label(value) } else { value })?;
    }
    Ok(Json::Object(out))
}
