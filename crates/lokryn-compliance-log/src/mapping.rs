//! Where a record goes in the formats security teams search: OCSF 1.7.0,
//! OpenTelemetry logs and ECS 9.x.
//!
//! The mappings are declared once, as custom options in `proto/`
//! (`mappings.proto` defines them, `logentry.proto` sets them on every field
//! and enum value). This module reads them from the embedded descriptor into
//! plain tables; the exporters (the `lokryn-export` crate) follow the tables,
//! and docs/exports.md is generated from the same options. Pure: no I/O, so
//! it builds for WebAssembly too.
//!
//! ```
//! use lokryn_compliance_log::{mapping, EventType};
//!
//! let maps = mapping::mappings()?;
//! let login = maps.event_type(EventType::EventLogin as i32).unwrap();
//! let ocsf = login.ocsf_event.as_ref().unwrap();
//! assert_eq!((ocsf.class_uid, ocsf.activity_id), (3002, 1));
//! assert_eq!(maps.field("actor_id").unwrap().export.ocsf, "actor.user.uid");
//! # Ok::<(), mapping::MappingError>(())
//! ```

use std::collections::BTreeMap;
use std::sync::LazyLock;

use prost_reflect::{ExtensionDescriptor, Kind, MessageDescriptor};

use crate::schema_options::{self, PACKAGE};
use crate::v1::{FieldExport, ValueExport};

/// The mapping options of the embedded descriptor could not be read. Only a
/// broken build can cause it (the descriptor is generated and tested).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub String);

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "export mappings: {}", self.0)
    }
}

impl std::error::Error for MappingError {}

/// What a field of a record is, as far as an exporter needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldShape {
    /// A string, number, bool or bytes field (possibly repeated).
    Scalar,
    /// An enum field; its values carry [`ValueExport`] options.
    Enum,
    /// A `google.protobuf.Timestamp`.
    Timestamp,
    /// A message whose fields have their own homes (placed one by one).
    Nested,
    /// A repeated message, placed whole as an array of objects.
    List,
}

/// The home of one field in each target.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    /// The proto path of the field from `LogEntry`: `"actor_id"`,
    /// `"genai.request_model"`, `"delegation_chain.scopes"`.
    pub path: String,
    /// The field number inside its own message.
    pub number: u32,
    /// Whether the field is repeated.
    pub repeated: bool,
    /// What the field holds.
    pub shape: FieldShape,
    /// The full name of the field's enum, for [`FieldShape::Enum`].
    pub enum_name: Option<String>,
    /// Where it goes (empty strings for a [`FieldShape::Nested`] field,
    /// whose own fields carry the homes).
    pub export: FieldExport,
}

/// Every mapping of the schema.
#[derive(Debug, Clone)]
pub struct Mappings {
    fields: Vec<FieldMapping>,
    values: BTreeMap<(String, i32), ValueExport>,
}

impl Mappings {
    /// Every field reachable from `LogEntry`, depth first, in declaration
    /// order.
    pub fn fields(&self) -> &[FieldMapping] {
        &self.fields
    }

    /// The mapping of the field at a proto path (`"genai.input_tokens"`).
    pub fn field(&self, path: &str) -> Option<&FieldMapping> {
        self.fields.iter().find(|f| f.path == path)
    }

    /// The options of one value of an enum of the schema, by the enum's
    /// short name (`"EventType"`) and the value's number.
    pub fn value(&self, enum_name: &str, number: i32) -> Option<&ValueExport> {
        self.values.get(&(enum_name.to_owned(), number))
    }

    /// The mapping of an `EventType` value.
    pub fn event_type(&self, number: i32) -> Option<&ValueExport> {
        self.value("EventType", number)
    }

    /// The mapping of an `Outcome` value.
    pub fn outcome(&self, number: i32) -> Option<&ValueExport> {
        self.value("Outcome", number)
    }

    /// The mapping of a `Severity` value.
    pub fn severity(&self, number: i32) -> Option<&ValueExport> {
        self.value("Severity", number)
    }

    /// The mapping of an `ActorType` value.
    pub fn actor_type(&self, number: i32) -> Option<&ValueExport> {
        self.value("ActorType", number)
    }
}

static MAPPINGS: LazyLock<Result<Mappings, MappingError>> = LazyLock::new(load);

/// The mappings of the embedded schema, read on first use.
pub fn mappings() -> Result<&'static Mappings, MappingError> {
    MAPPINGS.as_ref().map_err(Clone::clone)
}

fn extension(name: &str) -> Result<ExtensionDescriptor, MappingError> {
    schema_options::extension(name).map_err(MappingError)
}

fn option<T: prost::Message + Default>(
    options: &prost_reflect::DynamicMessage,
    ext: &ExtensionDescriptor,
) -> Result<Option<T>, MappingError> {
    schema_options::option(options, ext).map_err(MappingError)
}

fn load() -> Result<Mappings, MappingError> {
    let pool = &*crate::DESCRIPTOR_POOL;
    let field_ext = extension("export")?;
    let value_ext = extension("value_export")?;
    let root = pool
        .get_message_by_name(crate::LOG_ENTRY_NAME)
        .ok_or_else(|| MappingError("the descriptor has no LogEntry".into()))?;
    let mut fields = Vec::new();
    walk(&root, "", &field_ext, &mut fields)?;

    let mut values = BTreeMap::new();
    for en in pool.all_enums() {
        if en.package_name() != PACKAGE {
            continue;
        }
        for value in en.values() {
            if let Some(export) = option::<ValueExport>(&value.options(), &value_ext)? {
                values.insert((en.name().to_owned(), value.number()), export);
            }
        }
    }
    Ok(Mappings { fields, values })
}

fn walk(
    message: &MessageDescriptor,
    prefix: &str,
    ext: &ExtensionDescriptor,
    out: &mut Vec<FieldMapping>,
) -> Result<(), MappingError> {
    for field in message.fields() {
        let path = format!("{prefix}{}", field.name());
        let export = option::<FieldExport>(&field.options(), ext)?;
        let (shape, enum_name) = match field.kind() {
            Kind::Enum(e) => (FieldShape::Enum, Some(e.name().to_owned())),
            Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => {
                (FieldShape::Timestamp, None)
            }
            Kind::Message(_) if field.is_list() => (FieldShape::List, None),
            Kind::Message(_) => (FieldShape::Nested, None),
            _ => (FieldShape::Scalar, None),
        };
        let export = match (shape, export) {
            (FieldShape::Nested, export) => export.unwrap_or_default(),
            (_, Some(export)) => export,
            (_, None) => {
                return Err(MappingError(format!(
                    "field {} has no export mapping: every field must go somewhere",
                    field.full_name()
                )));
            }
        };
        out.push(FieldMapping {
            path: path.clone(),
            number: field.number(),
            repeated: field.is_list(),
            shape,
            enum_name,
            export,
        });
        if let Kind::Message(m) = field.kind() {
            if matches!(shape, FieldShape::Nested | FieldShape::List) {
                walk(&m, &format!("{path}."), ext, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_and_event_type_is_mapped() {
        let maps = mappings().unwrap_or_else(|e| panic!("{e}"));
        assert!(maps.fields().len() > 60, "{}", maps.fields().len());
        for f in maps.fields() {
            if f.shape != FieldShape::Nested {
                assert!(!f.export.ocsf.is_empty(), "{} has no OCSF home", f.path);
                assert!(!f.export.otel.is_empty(), "{} has no OTel home", f.path);
                assert!(!f.export.ecs.is_empty(), "{} has no ECS home", f.path);
            }
        }
        let event_type = crate::DESCRIPTOR_POOL
            .get_enum_by_name("lokryn.compliancelog.v1.EventType")
            .unwrap_or_else(|| panic!("no EventType"));
        for v in event_type.values() {
            let m = maps
                .event_type(v.number())
                .unwrap_or_else(|| panic!("{} unmapped", v.name()));
            assert!(
                m.ocsf_event.is_some() && m.ecs_event.is_some(),
                "{}",
                v.name()
            );
        }
    }
}
