//! The fast proto3 JSON reader for every message of the schema.
//!
//! The reference reader (prost-reflect's serde support, wrapped to refuse
//! repeated keys) builds a `DynamicMessage` and converts it; this emits a
//! straight-line reader per message over the prost structs instead, on the
//! hand-written pull parser in `crates/lokryn-compliance-log/src/json/read.rs`.
//!
//! The generated readers accept a subset of proto3 JSON: both field names,
//! `null`, enum names and numbers, integers as plain decimal
//! numbers or strings, standard base64, RFC 3339 timestamps in UTC. Anything
//! else (an unknown key, an escaped key, a float spelling of an integer, an
//! offset, an error of any kind) makes them give up, and the core reads the
//! text again with the reference reader, which accepts the rest and writes
//! the errors. So the fast path only has to be right where it answers, and
//! the core's tests hold it to the reference on every vector and on mutated
//! input. Constructs it does not know (maps, oneofs, other well-known types)
//! make codegen fail rather than produce a wrong reader.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use heck::ToSnakeCase;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto};

use super::json::{local_type, message_fields, rust_ident};
use super::schema::{CORE_GENERATED, PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let mut out = format!(
        "// {HEADER}\n//\n// Fast proto3 JSON readers; see xtask/src/codegen/json_read.rs.\n\n\
         use super::{{ReadJson, Reader}};\n"
    );
    for file in schema.own_files() {
        for message in &file.message_type {
            read_message(&mut out, message)?;
        }
    }
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/json_read.rs"),
        out,
    )])
}

fn read_message(out: &mut String, message: &DescriptorProto) -> Result<()> {
    let name = message.name();
    let (rust_type, fields) = message_fields(message, "JSON reader")?;
    writeln!(out, "\nimpl ReadJson for crate::v1::{rust_type} {{")?;
    writeln!(
        out,
        "    fn read_json(r: &mut Reader<'_>) -> Option<Self> {{"
    )?;
    if fields.is_empty() {
        writeln!(
            out,
            "        r.empty_object()?;\n        Some(Self::default())\n    }}\n}}"
        )?;
        return Ok(());
    }
    let words = fields.len().div_ceil(64);
    // Keys are told apart by length first, then compared whole, so a key
    // costs a jump and a comparison or two rather than one per field.
    let mut by_len: std::collections::BTreeMap<usize, Vec<(String, usize)>> = Default::default();
    for (index, field) in fields.iter().enumerate() {
        let mut names = vec![field.json_name().to_owned()];
        if field.name() != field.json_name() {
            names.push(field.name().to_owned());
        }
        for name in names {
            by_len.entry(name.len()).or_default().push((name, index));
        }
    }
    writeln!(
        out,
        "        let mut m = Self::default();\n        \
         let mut seen = [0u64; {words}];\n        \
         let mut first = true;\n        \
         r.begin_object()?;\n        \
         while let Some(key) = r.key(&mut first)? {{\n            \
         let index = match key.len() {{"
    )?;
    for (len, names) in &by_len {
        writeln!(out, "                {len} => match key {{")?;
        for (name, index) in names {
            writeln!(out, "                    b\"{name}\" => {index},")?;
        }
        writeln!(
            out,
            "                    _ => return None,\n                }},"
        )?;
    }
    writeln!(
        out,
        "                _ => return None,\n            }};\n            \
         r.mark(&mut seen, index)?;\n            \
         // `null` is \"not set\" for every field of this schema (it has no\n            \
         // `google.protobuf.Value`), and still counts as giving the key.\n            \
         if r.null() {{\n                continue;\n            }}\n            \
         match index {{"
    )?;
    for (index, field) in fields.iter().enumerate() {
        read_field(out, name, field, index)?;
    }
    writeln!(
        out,
        "                _ => return None,\n            }}\n        }}\n        \
         Some(m)\n    }}\n}}"
    )?;
    Ok(())
}

fn read_field(
    out: &mut String,
    message: &str,
    field: &FieldDescriptorProto,
    index: usize,
) -> Result<()> {
    let rust = rust_ident(&field.name().to_snake_case())?;
    if field.oneof_index.is_some() && !field.proto3_optional() {
        bail!(
            "{message}.{}: oneofs are not supported by the JSON reader generator",
            field.name()
        );
    }
    let value = value_expr(message, field)?;
    let store = if field.label() == Label::Repeated {
        format!(
            "r.begin_array()?;\n                    \
             let mut first = true;\n                    \
             while r.element(&mut first)? {{\n                        \
             m.{rust}.push({value});\n                    }}"
        )
    } else if field.proto3_optional() || field.r#type() == Type::Message {
        format!("m.{rust} = Some({value});")
    } else {
        format!("m.{rust} = {value};")
    };
    writeln!(
        out,
        "                {index} => {{\n                    {store}\n                }}"
    )?;
    Ok(())
}

/// The expression that reads one value of `field`'s type (an `Option`
/// unwrapped with `?`).
fn value_expr(message: &str, field: &FieldDescriptorProto) -> Result<String> {
    Ok(match field.r#type() {
        Type::String => "r.string()?".into(),
        Type::Bytes => "r.bytes_value()?".into(),
        Type::Bool => "r.boolean()?".into(),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => "r.int32()?".into(),
        Type::Uint32 | Type::Fixed32 => "r.uint32()?".into(),
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => "r.int64()?".into(),
        Type::Uint64 | Type::Fixed64 => "r.uint64()?".into(),
        Type::Double => "r.double()?".into(),
        // Left to the reference reader, which rounds as it does.
        Type::Float => "r.give_up()?".into(),
        Type::Enum => {
            let ty = local_type(message, field)?;
            format!("r.enumeration(|name| crate::v1::{ty}::from_str_name(name).map(|e| e as i32))?")
        }
        Type::Message => match field.type_name() {
            ".google.protobuf.Timestamp" => "r.timestamp()?".into(),
            t if t.starts_with(&format!(".{PACKAGE}.")) => {
                let ty = local_type(message, field)?;
                format!("crate::v1::{ty}::read_json(r)?")
            }
            other => bail!(
                "{message}.{}: message type {other} is not supported",
                field.name()
            ),
        },
        Type::Group => bail!("{message}.{}: groups are not supported", field.name()),
    })
}
