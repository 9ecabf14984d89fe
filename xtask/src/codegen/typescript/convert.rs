//! `bindings/js/src/generated.rs`: for every message the JavaScript side
//! knows, `FromJs` (read a protobuf-es shaped object into the core's prost
//! type) and `ToJs` (build one through the runtime's message factory), in
//! straight-line code over the helpers of `bindings/js/src/lib.rs`.
//!
//! Field kinds the schema does not use yet (bool, unsigned and 32-bit float
//! scalars, maps, oneofs) make codegen fail rather than produce a wrong
//! conversion; add them here and to the helpers when the schema needs them.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::FieldDescriptorProto;
use prost_types::field_descriptor_proto::{Label, Type};

use super::{JsMessage, local_name};
use crate::codegen::schema::PACKAGE;
use crate::codegen::{GeneratedFile, HEADER};

pub(crate) const PATH: &str = "bindings/js/src/generated.rs";

pub(crate) fn file(messages: &[JsMessage<'_>]) -> Result<GeneratedFile> {
    let mut out = format!(
        "// {HEADER}\n//\n// Conversions between protobuf-es shaped objects and the core's prost types;\n\
         // see xtask/src/codegen/typescript/convert.rs.\n"
    );
    out.push_str(
        "\n/// The messages the JavaScript side builds, in the order of the factories\n\
         /// of the runtime module (`messageFactories`).\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum Message {\n",
    );
    for m in messages {
        writeln!(out, "    /// `{}`.\n    {},", m.full_name, variant(m))?;
    }
    out.push_str("}\n\nimpl Message {\n    /// Every message, in factory order.\n    pub const ALL: &[Self] = &[\n");
    for m in messages {
        writeln!(out, "        Self::{},", variant(m))?;
    }
    out.push_str(
        "    ];\n\n    /// The index of its factory.\n    pub fn index(self) -> usize {\n        self as usize\n    }\n\n    \
         /// Its fully-qualified proto name, the objects' `$typeName`.\n    \
         pub fn type_name(self) -> &'static str {\n        match self {\n",
    );
    for m in messages {
        writeln!(
            out,
            "            Self::{} => \"{}\",",
            variant(m),
            m.full_name
        )?;
    }
    out.push_str("        }\n    }\n}\n");
    let keys = key_names(messages);
    out.push_str(
        "\n/// Every property name of the messages, in first-use order: hosts may keep\n\
         /// them as JavaScript strings, indexed by `Key::id`.\npub const KEY_NAMES: &[&str] = &[\n",
    );
    for k in &keys {
        writeln!(out, "    \"{k}\",")?;
    }
    out.push_str("];\n");
    for m in messages {
        write_from_js(&mut out, m, &keys)?;
        write_to_js(&mut out, m)?;
    }
    Ok(GeneratedFile::new(PATH, out))
}

fn key_names(messages: &[JsMessage<'_>]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for m in messages {
        for f in &m.proto.field {
            let name = local_name(f);
            if !keys.contains(&name) {
                keys.push(name);
            }
        }
    }
    keys
}

fn variant(m: &JsMessage<'_>) -> String {
    m.ts_name.to_upper_camel_case()
}

fn rust_type(full_name: &str) -> String {
    match full_name.strip_prefix(&format!("{PACKAGE}.")) {
        Some(name) => format!(
            "::lokryn_compliance_log::v1::{}",
            name.to_upper_camel_case()
        ),
        None => format!(
            "::prost_types::{}",
            full_name.rsplit('.').next().unwrap_or(full_name)
        ),
    }
}

fn field_ident(f: &FieldDescriptorProto) -> Result<String> {
    let name = f.name().to_snake_case();
    if matches!(
        name.as_str(),
        "type" | "match" | "ref" | "self" | "fn" | "mod" | "use"
    ) {
        bail!(
            "field `{}` is a Rust keyword; add raw identifiers to the generator",
            f.name()
        );
    }
    Ok(name)
}

fn unsupported(m: &JsMessage<'_>, f: &FieldDescriptorProto) -> anyhow::Error {
    anyhow::anyhow!(
        "{}.{}: {:?} fields are not supported by the JavaScript conversions yet",
        m.ts_name,
        f.name(),
        f.r#type()
    )
}

fn enum_name(f: &FieldDescriptorProto) -> &str {
    f.type_name().rsplit('.').next().unwrap_or_default()
}

/// The reader of one (non-repeated) value of `f`'s type, as a closure or
/// function path taking `(h, v)`.
fn reader(m: &JsMessage<'_>, f: &FieldDescriptorProto, element: bool) -> Result<String> {
    Ok(match f.r#type() {
        Type::String if element => "read::string_element".into(),
        Type::String => "read::string".into(),
        Type::Bytes => "read::bytes".into(),
        Type::Double => "read::double".into(),
        Type::Float => "read::float".into(),
        Type::Bool => "read::boolean".into(),
        Type::Uint32 | Type::Fixed32 => "read::uint32".into(),
        Type::Uint64 | Type::Fixed64 => "read::uint64".into(),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => "read::int32".into(),
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => "read::int64".into(),
        Type::Enum => format!("|h, v| read::enumeration(h, v, \"{}\")", enum_name(f)),
        Type::Message => {
            let target = f.type_name().trim_start_matches('.');
            if element {
                format!("read::element::<H, {}>", rust_type(target))
            } else if target == "google.protobuf.Timestamp" {
                "read::timestamp".into()
            } else {
                format!("read::message::<H, {}>", rust_type(target))
            }
        }
        _ => return Err(unsupported(m, f)),
    })
}

fn write_from_js(out: &mut String, m: &JsMessage<'_>, keys: &[String]) -> Result<()> {
    let n = m.proto.field.len();
    writeln!(
        out,
        "\nimpl FromJs for {} {{\n    fn from_js<H: Host>(h: &H, o: &H::Value) -> Result<Self, ConvertError<H::Error>> {{",
        rust_type(&m.full_name)
    )?;
    // Every field's value in one step (one crossing where the host has the
    // runtime's reader), then each read on its own.
    out.push_str("        const KEYS: &[Key] = &[\n");
    for f in &m.proto.field {
        let key = local_name(f);
        let id = keys.iter().position(|k| *k == key).unwrap_or_default();
        writeln!(
            out,
            "            Key::indexed(\"{key}\", c\"{key}\", {id}),"
        )?;
    }
    out.push_str("        ];\n");
    let names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
    writeln!(
        out,
        "        let mut values = h.fields(o, Message::{variant}, KEYS)?;\n        \
         if values.len() > KEYS.len() {{\n            \
         return Err(read::unknown_field(h, values.pop(), KEYS, \"{name}\"));\n        }}\n        \
         let [{fields}]: [H::Value; {n}] = values\n            .try_into()\n            \
         .map_err(|_| ConvertError::invalid(\"the runtime's field reader does not match the schema\".into()))?;\n        Ok(Self {{",
        fields = names.join(", "),
        variant = variant(m),
        name = m.proto.name(),
    )?;
    for (i, f) in m.proto.field.iter().enumerate() {
        let key = local_name(f);
        let get = format!("&f{i}");
        let read = if f.label() == Label::Repeated {
            format!("read::repeated(h, {get}, {})", reader(m, f, true)?)
        } else if f.proto3_optional() {
            format!("read::optional(h, {get}, {})", reader(m, f, false)?)
        } else if f.r#type() == Type::Enum {
            format!("read::enumeration(h, {get}, \"{}\")", enum_name(f))
        } else {
            format!("{}(h, {get})", reader(m, f, false)?)
        };
        writeln!(
            out,
            "            {}: {read}.map_err(|e| e.at(\"{key}\"))?,",
            field_ident(f)?
        )?;
    }
    out.push_str("        })\n    }\n}\n");
    Ok(())
}

/// The writer of one value of `f`'s type that is known to be present.
fn present_writer(m: &JsMessage<'_>, f: &FieldDescriptorProto) -> Result<&'static str> {
    Ok(match f.r#type() {
        Type::String => "|h, v| h.new_string(v)",
        Type::Bytes => "|h, v| h.new_bytes(v)",
        Type::Double => "|h, v| h.new_number(v)",
        Type::Float => "|h, v| h.new_number(f64::from(v))",
        Type::Bool => "|h, v| h.new_boolean(v)",
        Type::Int32 | Type::Sint32 | Type::Sfixed32 | Type::Enum | Type::Uint32 | Type::Fixed32 => {
            "|h, v| h.new_number(f64::from(v))"
        }
        Type::Uint64 | Type::Fixed64 => "|h, v| write::uint64_value(h, v)",
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => "|h, v| h.new_bigint(v)",
        Type::Message => "|h, v| v.to_js(h)",
        _ => return Err(unsupported(m, f)),
    })
}

fn write_to_js(out: &mut String, m: &JsMessage<'_>) -> Result<()> {
    writeln!(
        out,
        "\nimpl ToJs for {} {{\n    fn to_js<H: Host>(&self, h: &H) -> Result<H::Value, H::Error> {{\n        let fields = vec![",
        rust_type(&m.full_name)
    )?;
    for f in &m.proto.field {
        let name = field_ident(f)?;
        let expr = if f.label() == Label::Repeated {
            let w = present_writer(m, f)?;
            // Elements are borrowed; scalars are copied out of them.
            let w = match f.r#type() {
                Type::String | Type::Bytes | Type::Message => w.to_owned(),
                _ => w.replace("|h, v|", "|h, &v|"),
            };
            format!("write::repeated(h, &self.{name}, {w})?")
        } else if f.proto3_optional() {
            let value = match f.r#type() {
                Type::String | Type::Bytes => format!("self.{name}.as_deref()"),
                _ => format!("self.{name}"),
            };
            format!("write::optional(h, {value}, {})?", present_writer(m, f)?)
        } else {
            match f.r#type() {
                Type::String => format!("write::string(h, &self.{name})?"),
                Type::Bytes => format!("write::bytes(h, &self.{name})?"),
                Type::Double => format!("write::double(h, self.{name})?"),
                Type::Float => format!("write::double(h, f64::from(self.{name}))?"),
                Type::Bool => format!("write::boolean(h, self.{name})?"),
                Type::Uint32 | Type::Fixed32 => format!("write::uint32(h, self.{name})?"),
                Type::Uint64 | Type::Fixed64 => format!("write::uint64(h, self.{name})?"),
                Type::Int32 | Type::Sint32 | Type::Sfixed32 | Type::Enum => {
                    format!("write::int32(h, self.{name})?")
                }
                Type::Int64 | Type::Sint64 | Type::Sfixed64 => {
                    format!("write::int64(h, self.{name})?")
                }
                Type::Message => format!("write::message(h, self.{name}.as_ref())?"),
                _ => return Err(unsupported(m, f)),
            }
        };
        writeln!(out, "            {expr},")?;
    }
    writeln!(
        out,
        "        ];\n        h.build(Factory::Message(Message::{}), fields)\n    }}\n}}",
        variant(m)
    )?;
    Ok(())
}
