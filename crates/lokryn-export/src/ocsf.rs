//! OCSF 1.7.0 events.
//!
//! The class and activity come from the `EventType` value's options, the
//! attribute of every field from the field's options (docs/exports.md lists
//! both). What OCSF has no attribute for goes under `unmapped`, so nothing of
//! a record is lost.

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::mapping::{FieldShape, mappings};
use lokryn_compliance_log::v1::OcsfEvent;
use serde_json::{Map, Value as Json};

use crate::fields::{enum_value_name, set_fields};
use crate::tree::set;
use crate::value::{double, list, millis, payload_json, scalar, timestamp};
use crate::{Error, Options};

pub use crate::ocsf_writer::{to_ocsf_json, write_ocsf, write_ocsf_record, writes_directly};

/// The OCSF schema version the events follow.
pub const OCSF_VERSION: &str = "1.7.0";

/// The caption of an OCSF category, by uid (OCSF 1.7.0 `categories`).
pub fn category_name(uid: i32) -> &'static str {
    match uid {
        1 => "System Activity",
        2 => "Findings",
        3 => "Identity & Access Management",
        4 => "Network Activity",
        5 => "Discovery",
        6 => "Application Activity",
        7 => "Remediation",
        8 => "Unmanned Systems",
        _ => "Uncategorized",
    }
}

/// The Base Event class, for event types without a mapping (a number the
/// schema does not define).
pub(crate) fn base_event() -> OcsfEvent {
    OcsfEvent {
        class_uid: 0,
        class_name: "Base Event".into(),
        activity_id: 0,
        activity_name: "Unknown".into(),
        place: Vec::new(),
        absent: vec!["actor".into(), "src_endpoint".into(), "http_request".into()],
    }
}

/// One record as an OCSF 1.7.0 event.
pub fn to_ocsf(entry: &LogEntry, options: &Options) -> Result<Json, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    let class = maps
        .event_type(entry.event_type)
        .and_then(|v| v.ocsf_event.clone())
        .unwrap_or_else(base_event);
    let mut out = Map::new();
    let category = class.class_uid / 1000;
    set(&mut out, "class_uid", class.class_uid.into())?;
    set(&mut out, "class_name", class.class_name.clone().into())?;
    set(&mut out, "category_uid", category.into())?;
    set(&mut out, "category_name", category_name(category).into())?;
    set(&mut out, "activity_id", class.activity_id.into())?;
    set(
        &mut out,
        "activity_name",
        class.activity_name.clone().into(),
    )?;
    let type_uid = i64::from(class.class_uid) * 100 + i64::from(class.activity_id);
    set(&mut out, "type_uid", type_uid.into())?;
    set(
        &mut out,
        "type_name",
        format!("{}: {}", class.class_name, class.activity_name).into(),
    )?;
    set(&mut out, "metadata.version", OCSF_VERSION.into())?;
    if let Some(log_name) = &options.log_name {
        set(&mut out, "metadata.log_name", log_name.clone().into())?;
    }

    let fields = set_fields(maps, entry);
    // The event type itself, as the original event's code: several event
    // types share a class and activity.
    if let Some(home) = maps.field("event_type").map(|f| f.export.ocsf.as_str()) {
        if entry.event_type != 0 {
            set(
                &mut out,
                home,
                enum_value_name("EventType", entry.event_type).into(),
            )?;
        }
    }
    let mut moved = Vec::new();
    for place in &class.place {
        let from = (!place.field.is_empty())
            .then(|| fields.iter().find(|f| f.map.path == place.field))
            .flatten();
        match from {
            Some(f) => {
                set(&mut out, &place.path, scalar(&f.value))?;
                if !place.copy {
                    moved.push(place.field.as_str());
                }
            }
            None if !place.value.is_empty() => {
                let literal = serde_json::from_str(&place.value).map_err(|e| {
                    Error::Mapping(format!("{}: value {}: {e}", place.path, place.value))
                })?;
                set(&mut out, &place.path, literal)?;
            }
            None => {}
        }
    }

    let mut severity_set = false;
    for f in &fields {
        if moved.contains(&f.map.path.as_str()) || f.map.path == "event_type" {
            continue;
        }
        let home = &f.map.export.ocsf;
        let top = home.split(['.', '[']).next().unwrap_or_default();
        let home = if class.absent.iter().any(|a| a == top) {
            format!("unmapped.{}", f.map.path)
        } else {
            home.clone()
        };
        match f.map.shape {
            FieldShape::Timestamp => {
                let Some(ts) = timestamp(&f.value) else {
                    continue;
                };
                let (ms, sub_ms) = millis(&ts);
                set(&mut out, &home, ms.into())?;
                if sub_ms != 0 {
                    set(&mut out, "unmapped.time_sub_ms_nanos", sub_ms.into())?;
                }
            }
            FieldShape::Enum => {
                let enum_name = f.map.enum_name.as_deref().unwrap_or_default();
                let number = match &f.value {
                    prost_reflect::Value::EnumNumber(n) => *n,
                    _ => continue,
                };
                let mapped = maps.value(enum_name, number);
                match mapped.and_then(|m| m.ocsf_id.map(|id| (id, m))) {
                    Some((id, m)) if !home.starts_with("unmapped.") => {
                        set(&mut out, &home, id.into())?;
                        if let Some(sibling) = home.strip_suffix("_id") {
                            set(&mut out, sibling, m.ocsf_caption.clone().into())?;
                        }
                        if !m.ocsf_detail.is_empty() {
                            set(&mut out, "status_detail", m.ocsf_detail.clone().into())?;
                        }
                        if enum_name == "Severity" {
                            severity_set = true;
                            set(
                                &mut out,
                                "metadata.log_level",
                                enum_value_name(enum_name, number).into(),
                            )?;
                        }
                    }
                    _ if home.starts_with("unmapped.") => {
                        set(&mut out, &home, enum_value_name(enum_name, number).into())?;
                    }
                    // A number the schema does not define: kept as is.
                    _ => set(&mut out, &format!("unmapped.{}", f.map.path), number.into())?,
                }
            }
            FieldShape::List => {
                let value = list(maps, &f.map.path, &f.value, |m| m.export.ocsf.clone());
                set(&mut out, &home, value)?;
            }
            // JSON whose bytes we can give back exactly is embedded as JSON;
            // other text as a string; anything else as base64.
            FieldShape::Scalar if f.map.path == "payload" => match payload_json(entry.into()) {
                Some(json)
                    if serde_json::to_vec(&json).ok().as_deref() == Some(&entry.payload[..]) =>
                {
                    set(&mut out, &home, json)?;
                }
                _ => match std::str::from_utf8(&entry.payload) {
                    Ok(text) => {
                        set(&mut out, &home, text.into())?;
                        set(&mut out, "unmapped.payload_encoding", "text".into())?;
                    }
                    Err(_) => {
                        set(&mut out, &home, scalar(&f.value))?;
                        set(&mut out, "unmapped.payload_encoding", "base64".into())?;
                    }
                },
            },
            FieldShape::Scalar => {
                let value = match &f.value {
                    prost_reflect::Value::F64(x) => double(*x),
                    other => scalar(other),
                };
                set(&mut out, &home, value)?;
            }
            FieldShape::Nested => {}
        }
    }

    // Attributes OCSF requires of every event, for records that leave
    // their source unset: they say "unknown" rather than guess.
    if !severity_set {
        set(&mut out, "severity_id", 0.into())?;
        set(&mut out, "severity", "Unknown".into())?;
    }
    if !crate::tree::has(&out, "time") {
        set(&mut out, "time", options.observed_time_ms().into())?;
        set(&mut out, "unmapped.time_unset", true.into())?;
    }
    if !crate::tree::has(&out, "metadata.product.name") {
        set(&mut out, "metadata.product.name", "unknown".into())?;
        set(&mut out, "unmapped.producer_unset", true.into())?;
    }
    let empty = crate::fields::empty_messages(maps, entry);
    if !empty.is_empty() {
        set(&mut out, "unmapped.empty_messages", empty.into())?;
    }

    Ok(Json::Object(out))
}
