//! Moving a `DynamicMessage` into the prost struct of the same message.
//!
//! JSON is read through prost-reflect, which accepts every spelling the
//! proto3 JSON mapping allows, into a `DynamicMessage`. Converting that to the
//! typed struct by encoding it and decoding the bytes costs more than the
//! parse itself; this emits, per message, a `match` over the set fields that
//! moves each value (strings and bytes without copying) into its struct
//! field. A value of a type the field cannot hold (which the descriptor rules
//! out) is an error, never a silently dropped field; the core's tests hold
//! the result to the encode-and-decode path as an oracle.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto};

use super::json::rust_ident;
use super::schema::{CORE_GENERATED, Schema};
use super::{GeneratedFile, HEADER};

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let mut out = format!(
        "// {HEADER}\n//\n// DynamicMessage to prost struct; see xtask/src/codegen/from_dynamic.rs.\n\n\
         use prost_reflect::DynamicMessage;\n\nuse super::take::{{self, FromDynamic, Mismatch}};\n"
    );
    for file in schema.own_files() {
        for message in &file.message_type {
            write_message(&mut out, message)?;
        }
    }
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/from_dynamic.rs"),
        out,
    )])
}

fn write_message(out: &mut String, message: &DescriptorProto) -> Result<()> {
    let name = message.name();
    let rust_type = rust_ident(&name.to_upper_camel_case())?;
    let mut fields: Vec<&FieldDescriptorProto> = message.field.iter().collect();
    fields.sort_by_key(|f| f.number());
    writeln!(
        out,
        "\nimpl FromDynamic for crate::v1::{rust_type} {{\n    \
         fn from_dynamic(mut message: DynamicMessage) -> Result<Self, Mismatch> {{"
    )?;
    if fields.is_empty() {
        writeln!(
            out,
            "        let _ = message;\n        Ok(Self::default())\n    }}\n}}"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "        let mut out = Self::default();\n        \
         for (field, value) in message.take_fields() {{\n            \
         match field.number() {{"
    )?;
    for field in fields {
        let rust = rust_ident(&field.name().to_snake_case())?;
        let take = take_fn(name, field)?;
        let number = field.number();
        let assign = if field.label() == Label::Repeated {
            format!("take::list(value, {number}, {take})?")
        } else if field.proto3_optional() || field.r#type() == Type::Message {
            format!("Some({take}(value, {number})?)")
        } else {
            format!("{take}(value, {number})?")
        };
        writeln!(out, "                {number} => out.{rust} = {assign},")?;
    }
    writeln!(
        out,
        "                number => return Err(Mismatch(number)),\n            }}\n        }}\n        \
         Ok(out)\n    }}\n}}"
    )?;
    Ok(())
}

/// The `take` function that converts one value of the field's type.
fn take_fn(message: &str, field: &FieldDescriptorProto) -> Result<String> {
    Ok(match field.r#type() {
        Type::String => "take::string".into(),
        Type::Bytes => "take::bytes".into(),
        Type::Bool => "take::boolean".into(),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => "take::int32".into(),
        Type::Uint32 | Type::Fixed32 => "take::uint32".into(),
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => "take::int64".into(),
        Type::Uint64 | Type::Fixed64 => "take::uint64".into(),
        Type::Double => "take::double".into(),
        Type::Float => "take::float".into(),
        Type::Enum => "take::enumeration".into(),
        Type::Message if field.type_name() == ".google.protobuf.Timestamp" => {
            "take::timestamp".into()
        }
        Type::Message if field.type_name().starts_with(".google.") => {
            bail!(
                "{message}.{}: {} is not supported by the generator",
                field.name(),
                field.type_name()
            )
        }
        Type::Message => "take::message".into(),
        Type::Group => bail!("{message}.{}: groups are not supported", field.name()),
    })
}
