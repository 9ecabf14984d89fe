//! A fast check that every enum field of a record holds a value the schema
//! defines, for the validator's common case.
//!
//! proto3 enums are open: any number decodes. The validator reports each
//! undefined value with its path by walking the record through reflection,
//! which costs microseconds; this emits a straight-line `enums_defined` per
//! message over the prost structs (nanoseconds), so the walk runs only for
//! the rare record that has such a value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto};

use super::schema::{CORE_GENERATED, PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let messages: BTreeMap<String, &DescriptorProto> = schema
        .own_files()
        .flat_map(|f| f.message_type.iter())
        .map(|m| (format!(".{PACKAGE}.{}", m.name()), m))
        .collect();
    let mut out = format!(
        "// {HEADER}\n//\n// Fast enum-value checks; see xtask/src/codegen/enums.rs.\n\n\
         use super::EnumsDefined;\n"
    );
    for message in messages.values() {
        let mut checks = Vec::new();
        for field in &message.field {
            if let Some(check) = field_check(message, field, &messages)? {
                checks.push(check);
            }
        }
        let body = if checks.is_empty() {
            "true".to_owned()
        } else {
            checks.join("\n            && ")
        };
        writeln!(
            out,
            "\nimpl EnumsDefined for crate::v1::{} {{\n    fn enums_defined(&self) -> bool {{\n        {body}\n    }}\n}}",
            message.name().to_upper_camel_case()
        )?;
    }
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/enums.rs"),
        out,
    )])
}

fn field_check(
    message: &DescriptorProto,
    field: &FieldDescriptorProto,
    messages: &BTreeMap<String, &DescriptorProto>,
) -> Result<Option<String>> {
    let rust = field.name().to_snake_case();
    let repeated = field.label() == Label::Repeated;
    let optional = field.proto3_optional() || field.r#type() == Type::Message;
    let check = match field.r#type() {
        Type::Enum => {
            let Some(name) = field.type_name().strip_prefix(&format!(".{PACKAGE}.")) else {
                bail!(
                    "{}.{}: enum {} is outside the package",
                    message.name(),
                    field.name(),
                    field.type_name()
                );
            };
            let test = format!(
                "crate::v1::{}::try_from(*v).is_ok()",
                name.to_upper_camel_case()
            );
            if repeated {
                format!("self.{rust}.iter().all(|v| {test})")
            } else if optional {
                format!("self.{rust}.as_ref().is_none_or(|v| {test})")
            } else {
                format!(
                    "crate::v1::{}::try_from(self.{rust}).is_ok()",
                    name.to_upper_camel_case()
                )
            }
        }
        // Messages of other packages (google.protobuf.Timestamp) hold no
        // enum of this schema.
        Type::Message if messages.contains_key(field.type_name()) => {
            if repeated {
                format!("self.{rust}.iter().all(EnumsDefined::enums_defined)")
            } else {
                format!("self.{rust}.as_ref().is_none_or(EnumsDefined::enums_defined)")
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(check))
}
