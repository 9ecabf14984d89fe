//! Field access by number for the messages a record can hold, the fast path
//! of the validation engine.
//!
//! The engine compiles the rules declared in `proto/` (read through
//! reflection) into a plan of `(field number, check)` pairs. Reflection over
//! a `DynamicMessage` would cost microseconds per record; this emits a
//! `match` per message over the prost structs instead, so running a plan
//! costs a jump per field. Every field type has an accessor (numbers and
//! bools widened to `i64`, `u64`, `f64` or `bool`; a message of another
//! package by whether it is set; other lists by their length), so a rule
//! on a field of any type can be checked; `Other` is for numbers a message
//! does not define.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use heck::{ToSnakeCase, ToUpperCamelCase};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto};

use super::schema::{CORE_GENERATED, PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

/// The root of every record.
pub(super) const ROOT: &str = "LogEntry";

/// The schema's messages by full name, and the names of those a record can
/// hold (reachable from `LogEntry`), sorted.
pub(super) fn reachable(schema: &Schema) -> (BTreeMap<String, &DescriptorProto>, Vec<String>) {
    let messages: BTreeMap<String, &DescriptorProto> = schema
        .own_files()
        .flat_map(|f| f.message_type.iter())
        .map(|m| (format!(".{PACKAGE}.{}", m.name()), m))
        .collect();
    // Only the messages reachable from LogEntry: rules.proto's option
    // messages describe the schema and never occur in a record.
    let mut reachable = vec![format!(".{PACKAGE}.{ROOT}")];
    let mut i = 0;
    while let Some(name) = reachable.get(i).cloned() {
        if let Some(message) = messages.get(&name) {
            for field in &message.field {
                if field.r#type() == Type::Message
                    && messages.contains_key(field.type_name())
                    && !reachable.iter().any(|r| r == field.type_name())
                {
                    reachable.push(field.type_name().to_owned());
                }
            }
        }
        i += 1;
    }
    reachable.sort();
    (messages, reachable)
}

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let (messages, reachable) = reachable(schema);
    let mut out = format!(
        "// {HEADER}\n//\n// Field access by number for the validation engine; see \
         xtask/src/codegen/access.rs.\n\nuse crate::access::{{Access, FieldMut, FieldRef}};\n"
    );
    let mut numbers = String::new();
    for name in &reachable {
        let Some(message) = messages.get(name) else {
            continue;
        };
        write_message(&mut out, message, &messages)?;
        write_numbers(&mut numbers, message)?;
    }
    writeln!(
        out,
        "\n/// The field numbers of each message, by field name, for code that names\n\
         /// a field rather than walking a plan.\n\
         #[allow(dead_code)]\npub(crate) mod numbers {{{numbers}}}"
    )?;
    Ok(vec![GeneratedFile::new(
        format!("{CORE_GENERATED}/access.rs"),
        out,
    )])
}

fn write_message(
    out: &mut String,
    message: &DescriptorProto,
    messages: &BTreeMap<String, &DescriptorProto>,
) -> Result<()> {
    let mut fields: Vec<&FieldDescriptorProto> = message.field.iter().collect();
    fields.sort_by_key(|f| f.number());
    let mut reads = String::new();
    let mut writes = String::new();
    for field in fields {
        let rust = field.name().to_snake_case();
        let number = field.number();
        let (read, write) = accessors(field, &rust, messages);
        if let Some(read) = read {
            writeln!(reads, "            {number} => {read},")?;
        }
        if let Some(write) = write {
            writeln!(writes, "            {number} => {write},")?;
        }
    }
    let name = message.name().to_upper_camel_case();
    writeln!(
        out,
        "\nimpl Access for crate::v1::{name} {{\n    \
         fn field(&self, number: u32) -> FieldRef<'_> {{\n        match number {{\n{reads}            \
         _ => FieldRef::Other,\n        }}\n    }}\n\n    \
         fn field_mut(&mut self, number: u32) -> FieldMut<'_> {{\n        match number {{\n{writes}            \
         _ => FieldMut::Other,\n        }}\n    }}\n}}"
    )?;
    Ok(())
}

/// `pub(crate) mod <message> { pub(crate) const <FIELD>: u32 = <number>; … }`.
fn write_numbers(out: &mut String, message: &DescriptorProto) -> Result<()> {
    let mut fields: Vec<&FieldDescriptorProto> = message.field.iter().collect();
    fields.sort_by_key(|f| f.number());
    let module = message.name().to_snake_case();
    writeln!(out, "\n    pub(crate) mod {module} {{")?;
    for field in fields {
        let name = field.name().to_snake_case().to_uppercase();
        writeln!(
            out,
            "        pub(crate) const {name}: u32 = {};",
            field.number()
        )?;
    }
    writeln!(out, "    }}")?;
    Ok(())
}

/// The read and write accessors of one field, `None` where the engine has no
/// use for the field's type.
pub(super) fn accessors(
    field: &FieldDescriptorProto,
    rust: &str,
    messages: &BTreeMap<String, &DescriptorProto>,
) -> (Option<String>, Option<String>) {
    let repeated = field.label() == Label::Repeated;
    let optional = field.proto3_optional();
    match (field.r#type(), repeated) {
        (Type::String, false) => (
            Some(format!("FieldRef::Str(&self.{rust})")),
            Some(format!("FieldMut::Str(&mut self.{rust})")),
        ),
        (Type::String, true) => (
            Some(format!(
                "FieldRef::Strs(crate::access::Strs::Owned(&self.{rust}))"
            )),
            Some(format!("FieldMut::Strs(&mut self.{rust})")),
        ),
        (Type::Bytes, false) => (
            Some(format!("FieldRef::Bytes(&self.{rust})")),
            Some(format!("FieldMut::Bytes(&mut self.{rust})")),
        ),
        (Type::Enum, false) if optional => (Some(format!("FieldRef::Enum(self.{rust})")), None),
        (Type::Enum, false) => (Some(format!("FieldRef::Enum(Some(self.{rust}))")), None),
        (Type::Enum, true) => (Some(format!("FieldRef::Enums(&self.{rust})")), None),
        (
            Type::Int32
            | Type::Int64
            | Type::Sint32
            | Type::Sint64
            | Type::Sfixed32
            | Type::Sfixed64
            | Type::Uint32
            | Type::Fixed32,
            false,
        ) => (Some(scalar("Int", "i64::from", rust, optional)), None),
        (Type::Uint64 | Type::Fixed64, false) => {
            (Some(scalar("Uint", "u64::from", rust, optional)), None)
        }
        (Type::Bool, false) => (Some(scalar("Bool", "bool::from", rust, optional)), None),
        (Type::Float | Type::Double, false) => {
            (Some(scalar("Float", "f64::from", rust, optional)), None)
        }
        (Type::Message, false) if field.type_name() == ".google.protobuf.Timestamp" => (
            Some(format!("FieldRef::Timestamp(self.{rust}.as_ref())")),
            None,
        ),
        (Type::Message, false) if messages.contains_key(field.type_name()) => (
            Some(format!(
                "FieldRef::Message(self.{rust}.as_ref().map(|m| m as &dyn Access))"
            )),
            Some(format!(
                "FieldMut::Message(self.{rust}.as_mut().map(|m| m as &mut dyn Access))"
            )),
        ),
        (Type::Message, true) if messages.contains_key(field.type_name()) => (
            Some(format!("FieldRef::Messages(&self.{rust})")),
            Some(format!("FieldMut::Messages(&mut self.{rust})")),
        ),
        // A message of another package: only whether it is set.
        (Type::Message, false) => (
            Some(format!("FieldRef::Present(self.{rust}.is_some())")),
            None,
        ),
        // Any other list: only its length.
        (_, true) => (Some(format!("FieldRef::Count(self.{rust}.len())")), None),
        (Type::Group, false) => (None, None),
    }
}

/// The accessor of a singular number or bool, widened by `widen`.
fn scalar(variant: &str, widen: &str, rust: &str, optional: bool) -> String {
    if optional {
        format!("FieldRef::{variant}(self.{rust}.map({widen}))")
    } else {
        format!("FieldRef::{variant}(Some({widen}(self.{rust})))")
    }
}
