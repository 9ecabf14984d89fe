//! ECS 9.x documents (Elastic Common Schema), one per record.
//!
//! `event.kind`, `event.category` and `event.type` come from the
//! `EventType` value's options, every other field's ECS field from its own
//! options. ECS has no field for some of ours: they go to `labels`, whose
//! values ECS keeps as keyword strings.

use std::sync::LazyLock;

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::access::{Access, FieldRef};
use lokryn_compliance_log::mapping::{FieldShape, mappings};
use prost_reflect::{Kind, ReflectMessage, Value};
use serde_json::{Map, Value as Json};

use crate::fields::{SetField, action_name, enum_value_name, set_fields};
use crate::tree::set;
use crate::typed;
use crate::value::{list, payload_json, rfc3339, scalar, timestamp};
use crate::{Error, Options, Record};

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
pub fn to_ecs(entry: &LogEntry, options: &Options) -> Result<Json, Error> {
    to_ecs_record(Record::Entry(entry), options)
}

/// [`to_ecs`] of a decoded entry or of a [view](Record::View) of an encoded
/// one: the same document either way. A view is decoded only for a record
/// the typed access does not cover (one with a delegation chain).
pub fn to_ecs_record(record: Record<'_>, options: &Options) -> Result<Json, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    match typed_set_fields(record.access()) {
        Some(fields) => document(maps, record, options, fields),
        None => {
            let entry = record.to_entry()?;
            document(
                maps,
                Record::Entry(&entry),
                options,
                set_fields(maps, &entry),
            )
        }
    }
}

/// [`to_ecs`] with the record's fields read by reflection only (the general
/// path the typed one falls back to), for the tests that hold the two to the
/// same output.
#[doc(hidden)]
pub fn to_ecs_by_reflection(entry: &LogEntry, options: &Options) -> Result<Json, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    document(maps, Record::Entry(entry), options, set_fields(maps, entry))
}

/// Whether [`to_ecs`] reads `entry` through the typed access rather than
/// by reflection (for the tests).
#[doc(hidden)]
pub fn reads_directly<'a>(entry: impl Into<Record<'a>>) -> bool {
    typed_set_fields(entry.into().access()).is_some()
}

/// Each field with a home, with the protobuf kind of its value.
static KINDS: LazyLock<Option<Vec<(&'static typed::Leaf, Kind)>>> = LazyLock::new(|| {
    let root = typed::root()?;
    typed::LEAVES
        .iter()
        .map(|leaf| Some((leaf, typed::resolve(&root, &leaf.map.path)?.1.kind())))
        .collect()
});

/// The set fields of a record and their values, as
/// [`set_fields`] reports them, read through the core's generated field
/// access instead of transcoding the whole record; `None` for a record with
/// a value it does not convert (a repeated message), which goes by
/// reflection.
fn typed_set_fields(entry: &dyn Access) -> Option<Vec<SetField<'static>>> {
    let kinds = KINDS.as_ref()?;
    let mut out = Vec::new();
    let mut reader = typed::Reader::new(entry);
    for (leaf, kind) in kinds {
        let Some(value) = reader.read(&leaf.field)? else {
            continue;
        };
        let value = match (value, kind) {
            (FieldRef::Str(s), _) => Value::String(s.to_owned()),
            (FieldRef::Strs(items), _) => {
                Value::List(items.iter().map(|s| Value::String(s.to_owned())).collect())
            }
            (FieldRef::Bytes(b), _) => Value::Bytes(b.to_vec().into()),
            (FieldRef::Enum(Some(n)), _) => Value::EnumNumber(n),
            (FieldRef::Enums(items), _) => {
                Value::List(items.iter().map(|n| Value::EnumNumber(*n)).collect())
            }
            (FieldRef::Int(Some(n)), Kind::Int32 | Kind::Sint32 | Kind::Sfixed32) => {
                Value::I32(i32::try_from(n).ok()?)
            }
            (FieldRef::Int(Some(n)), Kind::Uint32 | Kind::Fixed32) => {
                Value::U32(u32::try_from(n).ok()?)
            }
            (FieldRef::Int(Some(n)), Kind::Int64 | Kind::Sint64 | Kind::Sfixed64) => Value::I64(n),
            (FieldRef::Uint(Some(n)), Kind::Uint64 | Kind::Fixed64) => Value::U64(n),
            (FieldRef::Bool(Some(b)), _) => Value::Bool(b),
            // A `float` read widened: narrowing gives back the value exactly.
            #[allow(clippy::cast_possible_truncation)]
            (FieldRef::Float(Some(f)), Kind::Float) => Value::F32(f as f32),
            (FieldRef::Float(Some(f)), Kind::Double) => Value::F64(f),
            (FieldRef::Timestamp(Some(ts)), _) => Value::Message(ts.transcode_to_dynamic()),
            _ => return None,
        };
        out.push(SetField {
            map: leaf.map,
            value,
        });
    }
    Some(out)
}

/// The document from the record's set fields.
fn document(
    maps: &lokryn_compliance_log::mapping::Mappings,
    record: Record<'_>,
    _options: &Options,
    fields: Vec<SetField<'_>>,
) -> Result<Json, Error> {
    let mut out = Map::new();
    set(&mut out, "ecs.version", ECS_VERSION.into())?;
    if let Some(ecs) = maps
        .event_type(record.event_type())
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
    for f in fields {
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
            FieldShape::Scalar if f.map.path == "payload" => match payload_json(record) {
                Some(_) if std::str::from_utf8(record.payload()).is_ok() => {
                    Json::String(String::from_utf8_lossy(record.payload()).into_owned())
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
