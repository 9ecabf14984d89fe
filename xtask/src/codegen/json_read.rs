//! The fast proto3 JSON reader for every message of the schema.
//!
//! The reference reader (prost-reflect's serde support, wrapped to refuse
//! repeated keys) builds a `DynamicMessage` and converts it; this emits a
//! straight-line reader per message over the prost structs instead, on the
//! hand-written pull parser in `crates/lokryn-compliance-log/src/json/read.rs`.
//! Each reader writes over a message that may hold an earlier read
//! (strings, bytes, lists and nested messages written in place, their
//! memory kept), then puts every field the text did not set back to its
//! default, so that reading many entries into one allocates little.
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
        "    fn read_json_into(&mut self, r: &mut Reader<'_>) -> Option<()> {{"
    )?;
    if fields.is_empty() {
        writeln!(out, "        r.empty_object()\n    }}\n}}")?;
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
        "        let m = self;\n        \
         let mut seen = [0u64; {words}];\n        \
         let mut nulls = [0u64; {words}];\n        \
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
         if r.null() {{\n                \
         r.mark(&mut nulls, index)?;\n                \
         continue;\n            }}\n            \
         match index {{"
    )?;
    for (index, field) in fields.iter().enumerate() {
        read_field(out, name, field, index)?;
    }
    writeln!(
        out,
        "                _ => return None,\n            }}\n        }}\n        \
         // What this text did not set goes back to its default, whatever\n        \
         // an earlier read left there (its memory kept where it can be).\n        \
         let set = super::given(&seen, &nulls);"
    )?;
    for (index, field) in fields.iter().enumerate() {
        let rust = rust_ident(&field.name().to_snake_case())?;
        let bit = match index % 64 {
            0 => "1".to_owned(),
            n => format!("(1 << {n})"),
        };
        writeln!(
            out,
            "        if set[{}] & {bit} == 0 {{\n            {}\n        }}",
            index / 64,
            reset(&rust, field)
        )?;
    }
    writeln!(out, "        Some(())\n    }}\n}}")?;
    Ok(())
}

/// The statement that puts `field` (named `rust` in the struct `m`) back to
/// its default, keeping the memory of a string or list.
fn reset(rust: &str, field: &FieldDescriptorProto) -> String {
    if field.label() == Label::Repeated {
        format!("m.{rust}.clear();")
    } else if field.proto3_optional() || field.r#type() == Type::Message {
        format!("m.{rust} = None;")
    } else {
        match field.r#type() {
            Type::String | Type::Bytes => format!("m.{rust}.clear();"),
            _ => format!("m.{rust} = Default::default();"),
        }
    }
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
    let store = if field.label() == Label::Repeated {
        // Elements are read over those an earlier read left, then the
        // list is cut to the new length.
        let element = read_into(
            message,
            field,
            &Slot::Ref(format!("super::slot(&mut m.{rust}, n)?")),
        )?;
        format!(
            "r.begin_array()?;\n                    \
             let mut first = true;\n                    \
             let mut n = 0;\n                    \
             while r.element(&mut first)? {{\n                        \
             {element}\n                        \
             n += 1;\n                    }}\n                    \
             m.{rust}.truncate(n);"
        )
    } else if field.proto3_optional() || field.r#type() == Type::Message {
        let empty = match field.r#type() {
            Type::String => Some("String::new"),
            Type::Bytes => Some("Vec::new"),
            Type::Message if field.type_name() != ".google.protobuf.Timestamp" => {
                Some("Default::default")
            }
            _ => None,
        };
        match empty {
            Some(empty) => read_into(
                message,
                field,
                &Slot::Ref(format!("m.{rust}.get_or_insert_with({empty})")),
            )?,
            None => format!("m.{rust} = Some({});", value_expr(message, field)?),
        }
    } else {
        read_into(message, field, &Slot::Place(format!("m.{rust}")))?
    };
    writeln!(
        out,
        "                {index} => {{\n                    {store}\n                }}"
    )?;
    Ok(())
}

/// Where a value is read to.
enum Slot {
    /// A place expression of the value's type (`m.actor_id`).
    Place(String),
    /// An expression of type `&mut` the value's type.
    Ref(String),
}

/// The statement that reads one value of `field`'s type into `slot`,
/// reusing the memory of what is there.
fn read_into(message: &str, field: &FieldDescriptorProto, slot: &Slot) -> Result<String> {
    let (by_ref, place) = match slot {
        Slot::Place(p) => (format!("&mut {p}"), p.clone()),
        Slot::Ref(r) => (r.clone(), format!("*{r}")),
    };
    Ok(match field.r#type() {
        Type::String => format!("r.string_into({by_ref})?;"),
        Type::Bytes => format!("r.bytes_into({by_ref})?;"),
        Type::Message if field.type_name() != ".google.protobuf.Timestamp" => {
            // Checked to be a message of this schema.
            value_expr(message, field)?;
            format!("{by_ref}.read_json_into(r)?;")
        }
        _ => format!("{place} = {};", value_expr(message, field)?),
    })
}

/// The expression that reads one value of `field`'s type (an `Option`
/// unwrapped with `?`): scalars, enums and timestamps, which own no memory
/// (empty for strings, bytes and messages of the schema, read in place).
fn value_expr(message: &str, field: &FieldDescriptorProto) -> Result<String> {
    Ok(match field.r#type() {
        // Read in place by `read_into`.
        Type::String | Type::Bytes => String::new(),
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
            // Read in place by `read_into`.
            t if t.starts_with(&format!(".{PACKAGE}.")) => String::new(),
            other => bail!(
                "{message}.{}: message type {other} is not supported",
                field.name()
            ),
        },
        Type::Group => bail!("{message}.{}: groups are not supported", field.name()),
    })
}
