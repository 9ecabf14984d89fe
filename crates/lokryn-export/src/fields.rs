//! The set fields of a record, each with its mapping, read through
//! reflection so that a field added to the schema (with its mapping options)
//! is exported without code changes here.

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::mapping::{FieldMapping, FieldShape, Mappings};
use std::sync::LazyLock;

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value};

/// One set field of a record.
#[derive(Debug, Clone)]
pub(crate) struct SetField<'m> {
    pub(crate) map: &'m FieldMapping,
    pub(crate) value: Value,
}

/// A field with a home, and the descriptors on the path to it.
struct Leaf {
    map: &'static FieldMapping,
    path: Vec<FieldDescriptor>,
}

/// The fields that have a home (not the containers of nested fields, not
/// the fields of a repeated message), resolved once.
static LEAVES: LazyLock<Vec<Leaf>> = LazyLock::new(|| {
    let (Ok(maps), Some(root)) = (
        lokryn_compliance_log::mapping::mappings(),
        lokryn_compliance_log::DESCRIPTOR_POOL
            .get_message_by_name(lokryn_compliance_log::LOG_ENTRY_NAME),
    ) else {
        return Vec::new();
    };
    maps.fields()
        .iter()
        .filter(|m| m.shape != FieldShape::Nested && !is_inside_list(maps, &m.path))
        .filter_map(|map| {
            let mut message = root.clone();
            let mut path = Vec::new();
            for name in map.path.split('.') {
                let field = message.get_field_by_name(name)?;
                if let Kind::Message(inner) = field.kind() {
                    message = inner;
                }
                path.push(field);
            }
            Some(Leaf { map, path })
        })
        .collect()
});

/// Every set field of `entry` with a home (not the containers of nested
/// fields), in schema order. `maps` must be [`mappings()`]'s (the fields are
/// resolved from it once).
///
/// [`mappings()`]: lokryn_compliance_log::mapping::mappings
pub(crate) fn set_fields<'m>(_maps: &'m Mappings, entry: &LogEntry) -> Vec<SetField<'m>> {
    let root = entry.transcode_to_dynamic();
    let mut out = Vec::new();
    for leaf in LEAVES.iter() {
        if let Some(value) = get(&root, &leaf.path) {
            out.push(SetField {
                map: leaf.map,
                value,
            });
        }
    }
    out
}

/// The paths of submessages that are set but hold no field (a record can
/// say `genai: {}`), which no home would otherwise record.
pub(crate) fn empty_messages(maps: &Mappings, entry: &LogEntry) -> Vec<String> {
    let root = entry.transcode_to_dynamic();
    maps.fields()
        .iter()
        .filter(|m| m.shape == FieldShape::Nested && !is_inside_list(maps, &m.path))
        .filter(|m| {
            matches!(get_by_name(&root, &m.path), Some(Value::Message(inner)) if inner.fields().next().is_none())
        })
        .map(|m| m.path.clone())
        .collect()
}

/// Whether a path is a field of a repeated message (placed with its list).
pub(crate) fn is_inside_list(maps: &Mappings, path: &str) -> bool {
    let mut prefix = path;
    while let Some((head, _)) = prefix.rsplit_once('.') {
        if maps
            .field(head)
            .is_some_and(|f| f.shape == FieldShape::List)
        {
            return true;
        }
        prefix = head;
    }
    false
}

/// The value of a set field; `None` when it or a message on the way is
/// unset.
fn get(message: &DynamicMessage, path: &[FieldDescriptor]) -> Option<Value> {
    let (field, rest) = path.split_first()?;
    if !message.has_field(field) {
        return None;
    }
    if rest.is_empty() {
        return Some(message.get_field(field).into_owned());
    }
    match message.get_field(field).as_ref() {
        Value::Message(inner) => get(inner, rest),
        _ => None,
    }
}

/// The value at a dotted proto path, by names.
fn get_by_name(message: &DynamicMessage, path: &str) -> Option<Value> {
    let mut descriptors = Vec::new();
    let mut current = message.descriptor();
    for name in path.split('.') {
        let field = current.get_field_by_name(name)?;
        if let Kind::Message(inner) = field.kind() {
            current = inner;
        }
        descriptors.push(field);
    }
    get(message, &descriptors)
}

/// The short name of an enum value ("EVENT_LOGIN"), or its number as text
/// when the schema does not define it.
pub(crate) fn enum_value_name(enum_name: &str, number: i32) -> String {
    lokryn_compliance_log::DESCRIPTOR_POOL
        .get_enum_by_name(&format!("lokryn.compliancelog.v1.{enum_name}"))
        .and_then(|e| e.get_value(number))
        .map_or_else(|| number.to_string(), |v| v.name().to_owned())
}

/// `EVENT_TOOL_INVOCATION` -> `tool_invocation`; `EVENT_MCP_PING` ->
/// `mcp_ping`: the event action name used by ECS `event.action` and the
/// OpenTelemetry `EventName`.
pub fn action_name(event_type: i32) -> String {
    let name = enum_value_name("EventType", event_type);
    name.strip_prefix("EVENT_")
        .unwrap_or(&name)
        .to_ascii_lowercase()
}
