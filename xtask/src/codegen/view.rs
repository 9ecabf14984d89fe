//! Borrowed views of encoded records: for each message a record can hold, a
//! `…View<'a>` struct whose strings and bytes point into the encoded entry,
//! a strict wire reader that fills it, the `Access` implementation the
//! validation engine and the sensitive-data walk read it through, and the
//! list of the fields the schema does not define.
//!
//! The reader accepts exactly what prost's decoder of the same message
//! accepts (wire types, varint overflow, UTF-8 in strings, the recursion
//! limit on groups); every other input is handed back (`Fallback`) to the
//! owned path, which produces the error. A singular field of any scalar type,
//! a string, bytes, a `google.protobuf.Timestamp`, a message of the schema
//! and lists of strings or messages are read; a field of another type (a
//! list of numbers, a message of another package: the schema has none
//! today) also sends the entry to the owned path when it is present.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto};

use super::access::{accessors, reachable};
use super::schema::{CORE_GENERATED, Schema};
use super::{GeneratedFile, HEADER};

/// How many items of a list a view holds without allocating: strings, and
/// messages.
const INLINE_STRS: usize = 4;
const INLINE_MESSAGES: usize = 2;

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let (messages, reachable) = reachable(schema);
    let mut out = format!(
        "// {HEADER}\n//\n// Borrowed views of encoded records; see xtask/src/codegen/view.rs.\n\n\
         use std::marker::PhantomData;\n\n\
         use crate::access::{{Access, FieldMut, FieldRef}};\n\
         use crate::codec::UnknownField;\n\
         use crate::view::{{Fallback, Rep, Wire}};\n"
    );
    for name in &reachable {
        let Some(message) = messages.get(name) else {
            continue;
        };
        write_message(&mut out, message, &messages)?;
    }
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/view.rs"),
        out,
    )])
}

/// What the view does with a field.
enum Shape {
    Str,
    Strs,
    Bytes,
    /// A number, bool or enum: the prost type, its wire type and the `Wire`
    /// method that reads it.
    Scalar {
        ty: &'static str,
        wire: u8,
        read: &'static str,
    },
    Timestamp,
    Message(String),
    Messages(String),
    /// Read by the owned path only.
    Unsupported,
}

fn shape(field: &FieldDescriptorProto, messages: &BTreeMap<String, &DescriptorProto>) -> Shape {
    let repeated = field.label() == Label::Repeated;
    let scalar = |ty, wire, read| Shape::Scalar { ty, wire, read };
    match (field.r#type(), repeated) {
        (Type::String, false) => Shape::Str,
        (Type::String, true) => Shape::Strs,
        (Type::Bytes, false) => Shape::Bytes,
        (Type::Int32 | Type::Enum, false) => scalar("i32", 0, "int32"),
        (Type::Int64, false) => scalar("i64", 0, "int64"),
        (Type::Uint32, false) => scalar("u32", 0, "uint32"),
        (Type::Uint64, false) => scalar("u64", 0, "uint64"),
        (Type::Sint32, false) => scalar("i32", 0, "sint32"),
        (Type::Sint64, false) => scalar("i64", 0, "sint64"),
        (Type::Bool, false) => scalar("bool", 0, "bool"),
        (Type::Fixed32, false) => scalar("u32", 5, "fixed32"),
        (Type::Sfixed32, false) => scalar("i32", 5, "sfixed32"),
        (Type::Float, false) => scalar("f32", 5, "float"),
        (Type::Fixed64, false) => scalar("u64", 1, "fixed64"),
        (Type::Sfixed64, false) => scalar("i64", 1, "sfixed64"),
        (Type::Double, false) => scalar("f64", 1, "double"),
        (Type::Message, false) if field.type_name() == ".google.protobuf.Timestamp" => {
            Shape::Timestamp
        }
        (Type::Message, false) if messages.contains_key(field.type_name()) => {
            Shape::Message(view_name(field.type_name()))
        }
        (Type::Message, true) if messages.contains_key(field.type_name()) => {
            Shape::Messages(view_name(field.type_name()))
        }
        _ => Shape::Unsupported,
    }
}

/// The key a field is written with: its number and wire type.
fn key(number: i32, wire: u8) -> i64 {
    (i64::from(number) << 3) | i64::from(wire)
}

fn view_name(type_name: &str) -> String {
    let short = type_name.rsplit('.').next().unwrap_or(type_name);
    format!("{}View", short.to_upper_camel_case())
}

#[allow(clippy::too_many_lines)]
fn write_message(
    out: &mut String,
    message: &DescriptorProto,
    messages: &BTreeMap<String, &DescriptorProto>,
) -> Result<()> {
    let mut fields: Vec<&FieldDescriptorProto> = message.field.iter().collect();
    fields.sort_by_key(|f| f.number());
    let name = message.name().to_upper_camel_case();
    let view = format!("{name}View");

    let mut members = String::new();
    let mut arms = String::new();
    let mut known = Vec::new();
    let mut reads = String::new();
    let mut has_unknown = vec!["!self.unknown.is_empty()".to_owned()];
    let mut walk = String::new();
    let mut skims = String::new();
    for field in &fields {
        let rust = field.name().to_snake_case();
        let number = field.number();
        let json = field.json_name();
        let optional = field.proto3_optional();
        known.push(number.to_string());
        let read = match shape(field, messages) {
            Shape::Str => {
                writeln!(members, "    pub {rust}: &'a str,")?;
                writeln!(
                    arms,
                    "                {} => self.{rust} = w.str()?,",
                    key(number, 2)
                )?;
                Some(format!("FieldRef::Str(self.{rust})"))
            }
            Shape::Strs => {
                writeln!(members, "    pub {rust}: Rep<&'a str, {INLINE_STRS}>,")?;
                writeln!(
                    arms,
                    "                {} => self.{rust}.push(w.str()?),",
                    key(number, 2)
                )?;
                Some(format!(
                    "FieldRef::Strs(crate::access::Strs::Borrowed(self.{rust}.as_slice()))"
                ))
            }
            Shape::Bytes => {
                writeln!(members, "    pub {rust}: &'a [u8],")?;
                writeln!(
                    arms,
                    "                {} => self.{rust} = w.bytes()?,",
                    key(number, 2)
                )?;
                Some(format!("FieldRef::Bytes(self.{rust})"))
            }
            Shape::Scalar { ty, wire, read } => {
                if optional {
                    writeln!(members, "    pub {rust}: Option<{ty}>,")?;
                    writeln!(
                        arms,
                        "                {} => self.{rust} = Some(w.{read}()?),",
                        key(number, wire)
                    )?;
                } else {
                    writeln!(members, "    pub {rust}: {ty},")?;
                    writeln!(
                        arms,
                        "                {} => self.{rust} = w.{read}()?,",
                        key(number, wire)
                    )?;
                }
                None
            }
            Shape::Timestamp => {
                writeln!(members, "    pub {rust}: Option<prost_types::Timestamp>,")?;
                writeln!(
                    members,
                    "    /// The numbers of the fields of `{rust}` the schema does not define.\n    \
                     {rust}_unknown: Vec<u32>,"
                )?;
                writeln!(
                    arms,
                    "                {} => crate::view::merge_timestamp(\n                    \
                     self.{rust}.get_or_insert_with(Default::default),\n                    \
                     &mut self.{rust}_unknown,\n                    w.bytes()?,\n                    \
                     depth,\n                )?,",
                    key(number, 2)
                )?;
                has_unknown.push(format!("!self.{rust}_unknown.is_empty()"));
                writeln!(
                    skims,
                    "                {} => found |= crate::view::skim_timestamp(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                writeln!(
                    walk,
                    "        if self.{rust}.is_some() {{\n            \
                     crate::view::own_unknown(&self.{rust}_unknown, &crate::view::child(path, \"{json}\"), out);\n        }}"
                )?;
                None
            }
            Shape::Message(inner) => {
                writeln!(members, "    pub {rust}: Option<{inner}<'a>>,")?;
                writeln!(
                    arms,
                    "                {} => self\n                    .{rust}\n                    \
                     .get_or_insert_with(Default::default)\n                    \
                     .merge(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                has_unknown.push(format!(
                    "self.{rust}.as_ref().is_some_and({inner}::has_unknown)"
                ));
                writeln!(
                    skims,
                    "                {} => found |= {inner}::skim(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                writeln!(
                    walk,
                    "        if let Some(m) = &self.{rust} {{\n            \
                     m.collect_unknown(&crate::view::child(path, \"{json}\"), out);\n        }}"
                )?;
                Some(format!(
                    "FieldRef::Message(self.{rust}.as_ref().map(|m| m as &dyn Access))"
                ))
            }
            Shape::Messages(inner) => {
                writeln!(
                    members,
                    "    pub {rust}: Rep<{inner}<'a>, {INLINE_MESSAGES}>,"
                )?;
                writeln!(
                    arms,
                    "                {} => self.{rust}.push_default().merge(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                has_unknown.push(format!(
                    "self.{rust}.as_slice().iter().any({inner}::has_unknown)"
                ));
                writeln!(
                    skims,
                    "                {} => found |= {inner}::skim(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                writeln!(
                    walk,
                    "        for (i, m) in self.{rust}.as_slice().iter().enumerate() {{\n            \
                     m.collect_unknown(&crate::view::child(path, &format!(\"{json}[{{i}}]\")), out);\n        }}"
                )?;
                Some(format!("FieldRef::Messages(&self.{rust})"))
            }
            Shape::Unsupported => {
                // Never set in a view: an entry holding it is read by the
                // owned path.
                Some(match (field.r#type(), field.label() == Label::Repeated) {
                    (Type::Enum, true) => "FieldRef::Enums(&[])".to_owned(),
                    (Type::Message, false) => "FieldRef::Present(false)".to_owned(),
                    (Type::Group, false) => continue,
                    _ => "FieldRef::Count(0)".to_owned(),
                })
            }
        };
        // Numbers, bools and enums read as in the prost struct.
        let read = match read {
            Some(read) => read,
            None => match accessors(field, &rust, messages).0 {
                Some(read) => read,
                None => continue,
            },
        };
        writeln!(reads, "            {number} => {read},")?;
    }
    let known = if known.is_empty() {
        "false".to_owned()
    } else {
        format!("matches!(key >> 3, {})", known.join(" | "))
    };
    let has_unknown = has_unknown.join("\n            || ");
    writeln!(
        out,
        "\n/// A view of an encoded `{name}`: its strings and bytes borrowed from the\n\
         /// encoding, its numbers as prost decodes them.\n\
         #[derive(Debug, Clone, Default)]\n\
         #[non_exhaustive]\n\
         pub struct {view}<'a> {{\n{members}    \
         /// The numbers of the fields the schema does not define, as read.\n    \
         unknown: Vec<u32>,\n    \
         _bytes: PhantomData<&'a [u8]>,\n}}\n\n\
         impl<'a> {view}<'a> {{\n    \
         /// Reads the fields of one encoding of the message into this view\n    \
         /// (a later value of a singular field replaces an earlier one, a\n    \
         /// message is merged, lists grow), as prost's `merge` does; `depth` is\n    \
         /// prost's recursion budget for the fields read here.\n    \
         pub(crate) fn merge(&mut self, bytes: &'a [u8], depth: u32) -> Result<(), Fallback> {{\n        \
         let depth = depth.checked_sub(1).ok_or(Fallback)?;\n        \
         let mut w = Wire::new(bytes);\n        \
         while let Some(key) = w.key()? {{\n            \
         // The key (number and wire type) of each field of the schema.\n            \
         match key {{\n{arms}                \
         // A known field with a wire type its type does not have.\n                \
         key if {known} => return Err(Fallback),\n                \
         key => self.unknown.push(w.skip_unknown(key, depth)?),\n            \
         }}\n        }}\n        Ok(())\n    }}\n\n    \
         /// Whether bytes that prost decoded hold a field the schema does not\n    \
         /// define, here or below: only keys are read, values skipped.\n    \
         pub(crate) fn skim(bytes: &[u8], depth: u32) -> Result<bool, Fallback> {{\n        \
         let depth = depth.checked_sub(1).ok_or(Fallback)?;\n        \
         let mut w = Wire::new(bytes);\n        \
         let mut found = false;\n        \
         while let Some(key) = w.key()? {{\n            \
         match key {{\n{skims}                \
         key if {known} => w.skip_key(key, depth)?,\n                \
         key => {{\n                    \
         w.skip_unknown(key, depth)?;\n                    \
         found = true;\n                \
         }}\n            }}\n        }}\n        Ok(found)\n    }}\n\n    \
         /// True when this message or one below it holds a field the schema\n    \
         /// does not define.\n    \
         pub(crate) fn has_unknown(&self) -> bool {{\n        {has_unknown}\n    }}\n\n    \
         /// The fields the schema does not define, in the order\n    \
         /// [`crate::codec::unknown_fields`] lists them.\n    \
         pub(crate) fn collect_unknown(&self, path: &str, out: &mut Vec<UnknownField>) {{\n        \
         crate::view::own_unknown(&self.unknown, path, out);\n{walk}    }}\n}}\n\n\
         impl Access for {view}<'_> {{\n    \
         fn field(&self, number: u32) -> FieldRef<'_> {{\n        match number {{\n{reads}            \
         _ => FieldRef::Other,\n        }}\n    }}\n\n    \
         /// A view is read-only.\n    \
         fn field_mut(&mut self, _number: u32) -> FieldMut<'_> {{\n        FieldMut::Other\n    }}\n}}"
    )?;
    Ok(())
}
