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

use super::access::{ROOT, accessors, reachable};
use super::schema::{CORE_GENERATED, Schema};
use super::{GeneratedFile, HEADER};

/// How many items of a list a view holds without allocating: strings, and
/// messages (none: the inline room is written whenever a view is made, and
/// a message's view is large while lists of messages are rare).
const INLINE_STRS: usize = 4;
const INLINE_MESSAGES: usize = 0;

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
    // The root is read field after field in number order first (see
    // `ordered_merge`); `steps` are those reads.
    let ordered = message.name() == ROOT;
    let mut steps = String::new();
    // Readers of the message fields, out of line: they are rare, and the
    // field loop stays small enough to be compiled well.
    let mut nested = String::new();
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
                write_step(
                    &mut steps,
                    number,
                    2,
                    false,
                    &format!("self.{rust} = w.str()?"),
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
                write_step(
                    &mut steps,
                    number,
                    2,
                    true,
                    &format!("self.{rust}.push(w.str()?)"),
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
                write_step(
                    &mut steps,
                    number,
                    2,
                    false,
                    &format!("self.{rust} = w.bytes()?"),
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
                    write_step(
                        &mut steps,
                        number,
                        wire,
                        false,
                        &format!("self.{rust} = Some(w.{read}()?)"),
                    )?;
                } else {
                    writeln!(members, "    pub {rust}: {ty},")?;
                    writeln!(
                        arms,
                        "                {} => self.{rust} = w.{read}()?,",
                        key(number, wire)
                    )?;
                    write_step(
                        &mut steps,
                        number,
                        wire,
                        false,
                        &format!("self.{rust} = w.{read}()?"),
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
                write_step(
                    &mut steps,
                    number,
                    2,
                    false,
                    &format!(
                        "crate::view::merge_timestamp(self.{rust}.get_or_insert_with(Default::default), &mut self.{rust}_unknown, w.bytes()?, depth)?"
                    ),
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
                    "                {} => self.merge_{rust}(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                write_step(
                    &mut steps,
                    number,
                    2,
                    false,
                    &format!("self.merge_{rust}(w.bytes()?, depth)?"),
                )?;
                write_merge_fn(
                    &mut nested,
                    &rust,
                    &format!("self.{rust}.get_or_insert_with(Default::default)"),
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
                    "                {} => self.merge_{rust}(w.bytes()?, depth)?,",
                    key(number, 2)
                )?;
                write_step(
                    &mut steps,
                    number,
                    2,
                    true,
                    &format!("self.merge_{rust}(w.bytes()?, depth)?"),
                )?;
                write_merge_fn(&mut nested, &rust, &format!("self.{rust}.push_default()"))?;
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
    let merge = if ordered {
        ordered_merge(&steps, &arms, &known)
    } else {
        format!(
            "pub(crate) fn merge(&mut self, bytes: &'a [u8], depth: u32) -> Result<(), Fallback> {{\n        \
             let depth = depth.checked_sub(1).ok_or(Fallback)?;\n        \
             let mut w = Wire::new(bytes);\n        \
             while let Some(key) = w.key()? {{\n            \
             // The key (number and wire type) of each field of the schema.\n            \
             match key {{\n{arms}                \
             // A known field with a wire type its type does not have.\n                \
             key if {known} => return Err(Fallback),\n                \
             key => self.unknown.push(w.skip_unknown(key, depth)?),\n            \
             }}\n        }}\n        Ok(())\n    }}"
        )
    };
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
         {merge}\n\n{nested}    \
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

/// The out-of-line reader of message field `rust` into `slot`.
fn write_merge_fn(nested: &mut String, rust: &str, slot: &str) -> Result<()> {
    writeln!(
        nested,
        "    #[inline(never)]\n    \
         fn merge_{rust}(&mut self, bytes: &'a [u8], depth: u32) -> Result<(), Fallback> {{\n        \
         {slot}.merge(bytes, depth)\n    }}\n"
    )?;
    Ok(())
}

/// One read of `ordered_merge`: `stmt` when the next key is the field's
/// (`while` for a list), for fields whose key fits two bytes.
fn write_step(steps: &mut String, number: i32, wire: u8, list: bool, stmt: &str) -> Result<()> {
    if let Some(bytes) = short_key(number, wire) {
        let kw = if list { "while" } else { "if" };
        writeln!(
            steps,
            "            {kw} w.at(&{bytes:?}) {{\n                {stmt};\n            }}"
        )?;
    }
    Ok(())
}

/// The bytes of a key written the shortest way, for keys of one and two
/// bytes (fields 1 to 2047); `None` for longer ones.
fn short_key(number: i32, wire: u8) -> Option<Vec<u8>> {
    let key = u16::try_from(key(number, wire)).ok()?;
    #[allow(clippy::cast_possible_truncation)]
    match key {
        0..=0x7f => Some(vec![key as u8]),
        0x80..=0x3fff => Some(vec![(key as u8) | 0x80, (key >> 7) as u8]),
        _ => None,
    }
}

/// The reader of the root message: the fields in number order, each taken
/// where its key (written the shortest way) comes next, as writers lay a
/// record out, so that a field costs a comparison of its key rather than a
/// jump through a table; whatever that leaves (a field out of order or
/// repeated, a key written longer, a field the schema does not define, a
/// wrong wire type) is read the general way, one field at a time
/// (`merge_field`), and the ordered reads start again after it. Each read
/// takes the next field of the input, so the view is the one the general
/// loop alone would read.
fn ordered_merge(steps: &str, arms: &str, known: &str) -> String {
    format!(
        "pub(crate) fn merge(&mut self, bytes: &'a [u8], depth: u32) -> Result<(), Fallback> {{\n        \
         let depth = depth.checked_sub(1).ok_or(Fallback)?;\n        \
         let mut w = Wire::new(bytes);\n        \
         loop {{\n            \
         // The fields where writers put them: in number order, each key\n            \
         // written the shortest way.\n\
         {steps}            \
         if w.is_empty() {{\n                return Ok(());\n            }}\n            \
         // Anything else, the general way.\n            \
         w = Wire::new(self.merge_field(w.rest(), depth)?);\n        \
         }}\n    }}\n\n    \
         /// Reads the fields the schema does not define at the start of `bytes`\n    \
         /// and the field after them, and returns what follows.\n    \
         #[inline(never)]\n    \
         fn merge_field(&mut self, bytes: &'a [u8], depth: u32) -> Result<&'a [u8], Fallback> {{\n        \
         let mut w = Wire::new(bytes);\n        \
         while let Some(key) = w.key()? {{\n            \
         // The key (number and wire type) of each field of the schema.\n            \
         match key {{\n{arms}                \
         // A known field with a wire type its type does not have.\n                \
         key if {known} => return Err(Fallback),\n                \
         key => {{\n                    \
         self.unknown.push(w.skip_unknown(key, depth)?);\n                    \
         continue;\n                \
         }}\n            }}\n            \
         break;\n        }}\n        Ok(w.rest())\n    }}"
    )
}
