//! The canonical proto3 JSON writer for every message of the schema.
//!
//! Walking a `DynamicMessage` through serde is correct but slow; this emits a
//! straight-line writer per message over the prost structs instead. It follows
//! the proto3 JSON mapping exactly (lowerCamel `json_name` keys, fields with
//! no presence omitted when default, enum names with numbers for unknown
//! values, 64-bit integers as strings, base64 bytes, RFC 3339 timestamps), and
//! the core's tests hold it to the reflection-based serializer as an oracle.
//! Constructs it does not know (maps, oneofs, other well-known types) make
//! codegen fail rather than produce a wrong writer.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto};

use super::schema::{CORE_GENERATED, PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let mut out = format!(
        "// {HEADER}\n//\n// Canonical proto3 JSON writers; see xtask/src/codegen/json.rs.\n\n\
         use super::write::{{JsonWriter, WriteJson}};\nuse crate::Error;\n"
    );
    for file in schema.own_files() {
        for message in &file.message_type {
            write_message(&mut out, message)?;
        }
    }
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/json.rs"),
        out,
    )])
}

/// The Rust type of `message` and its fields in number order; `generator`
/// names the JSON writer or reader in the error for what it cannot handle.
pub(super) fn message_fields<'a>(
    message: &'a DescriptorProto,
    generator: &str,
) -> Result<(String, Vec<&'a FieldDescriptorProto>)> {
    let name = message.name();
    if !message.nested_type.is_empty() || !message.enum_type.is_empty() {
        bail!("{name}: nested types are not supported by the {generator} generator");
    }
    let mut fields: Vec<&FieldDescriptorProto> = message.field.iter().collect();
    fields.sort_by_key(|f| f.number());
    Ok((rust_ident(&name.to_upper_camel_case())?, fields))
}

fn write_message(out: &mut String, message: &DescriptorProto) -> Result<()> {
    let name = message.name();
    let (rust_type, fields) = message_fields(message, "JSON writer")?;
    writeln!(out, "\nimpl WriteJson for crate::v1::{rust_type} {{")?;
    writeln!(
        out,
        "    fn write_json<const ALL: bool>(&self, w: &mut JsonWriter<'_, ALL>) -> Result<(), Error> {{"
    )?;
    if fields.is_empty() {
        writeln!(
            out,
            "        w.begin_object();\n        w.end_object();\n        Ok(())\n    }}\n}}"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "        let mut first = true;\n        w.begin_object();"
    )?;
    for field in fields {
        write_field(out, name, field)?;
    }
    writeln!(out, "        w.end_object();\n        Ok(())\n    }}\n}}")?;
    Ok(())
}

fn write_field(out: &mut String, message: &str, field: &FieldDescriptorProto) -> Result<()> {
    let rust = rust_ident(&field.name().to_snake_case())?;
    let key = field.json_name();
    let repeated = field.label() == Label::Repeated;
    let explicit_presence = field.proto3_optional() || field.r#type() == Type::Message;
    if field.oneof_index.is_some() && !field.proto3_optional() {
        bail!(
            "{message}.{}: oneofs are not supported by the JSON writer generator",
            field.name()
        );
    }
    let access = if repeated || explicit_presence {
        "v"
    } else {
        "self"
    };
    let value = value_expr(
        message,
        field,
        &if access == "v" {
            "v".into()
        } else {
            format!("self.{rust}")
        },
    )?;
    // `ALL` writes fields at their default values too (`[]`, `""`, `0`,
    // `false`, `null`), for reports whose readers expect every key; it is a
    // constant, so the canonical writer pays nothing for it.
    if repeated {
        writeln!(
            out,
            "        if ALL || !self.{rust}.is_empty() {{\n            w.key(&mut first, \"{key}\");\n            \
             w.begin_array();\n            for (i, v) in self.{rust}.iter().enumerate() {{\n                \
             w.element(i);\n                {value};\n            }}\n            w.end_array();\n        }}"
        )?;
    } else if explicit_presence {
        writeln!(
            out,
            "        if let Some(v) = &self.{rust} {{\n            w.key(&mut first, \"{key}\");\n            \
             {value};\n        }} else if ALL {{\n            w.key(&mut first, \"{key}\");\n            \
             w.null();\n        }}"
        )?;
    } else {
        let default_check = match field.r#type() {
            Type::String | Type::Bytes => format!("!self.{rust}.is_empty()"),
            Type::Bool => format!("self.{rust}"),
            Type::Double | Type::Float => format!("self.{rust}.to_bits() != 0"),
            _ => format!("self.{rust} != 0"),
        };
        writeln!(
            out,
            "        if ALL || {default_check} {{\n            w.key(&mut first, \"{key}\");\n            {value};\n        }}"
        )?;
    }
    Ok(())
}

/// The statement that writes one value `v` of `field`'s type.
fn value_expr(message: &str, field: &FieldDescriptorProto, v: &str) -> Result<String> {
    // `v` is either a reference bound by the caller's loop or `if let`, or a
    // `self.field` place expression.
    let (deref, borrow) = if v == "v" {
        ("*v".to_owned(), "v".to_owned())
    } else {
        (v.to_owned(), format!("&{v}"))
    };
    Ok(match field.r#type() {
        Type::String => format!("w.string({borrow})"),
        Type::Bytes => format!("w.bytes({borrow})"),
        Type::Bool => format!("w.boolean({deref})"),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => format!("w.int(i64::from({deref}))"),
        Type::Uint32 | Type::Fixed32 => format!("w.int(i64::from({deref}))"),
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => format!("w.int64({deref})"),
        Type::Uint64 | Type::Fixed64 => format!("w.uint64({deref})"),
        Type::Double => format!("w.double({deref})"),
        Type::Float => format!("w.double(f64::from({deref}))"),
        Type::Enum => {
            let ty = local_type(message, field)?;
            format!(
                "w.enumeration({deref}, crate::v1::{ty}::try_from({deref}).ok().map(|e| e.as_str_name()))"
            )
        }
        Type::Message => match field.type_name() {
            ".google.protobuf.Timestamp" => {
                format!("w.timestamp({borrow}, \"{}\")?", field.json_name())
            }
            t if t.starts_with(&format!(".{PACKAGE}.")) => format!("{borrow}.write_json(w)?"),
            other => bail!(
                "{message}.{}: message type {other} is not supported",
                field.name()
            ),
        },
        Type::Group => bail!("{message}.{}: groups are not supported", field.name()),
    })
}

pub(super) fn local_type(message: &str, field: &FieldDescriptorProto) -> Result<String> {
    match field.type_name().strip_prefix(&format!(".{PACKAGE}.")) {
        Some(name) if !name.contains('.') => rust_ident(&name.to_upper_camel_case()),
        _ => bail!(
            "{message}.{}: type {} is outside the package",
            field.name(),
            field.type_name()
        ),
    }
}

pub(super) fn rust_ident(s: &str) -> Result<String> {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
        "trait", "true", "try", "type", "unsafe", "use", "where", "while", "abstract", "become",
        "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield",
    ];
    if KEYWORDS.contains(&s) {
        bail!("`{s}` is a Rust keyword; the JSON writer generator does not handle raw identifiers");
    }
    Ok(s.to_owned())
}
