//! The objects of a validation (report.proto's `ValidationReport` and the
//! messages its lists hold), built from the schema on both sides of the
//! JavaScript boundary, so that their shape has one definition:
//!
//! * the runtime's factories (`Violation$object(field, ruleId, …)`), plain
//!   objects with the lowerCamel field names, every field present;
//! * `bindings/js/src/generated_report.rs`: for each, the arguments of its
//!   factory from the prost message, in field-number order.
//!
//! A singular message field (`ValidationReport.error`) holds the package's
//! own error object rather than a plain one, so that `error.code` and the
//! error's location read as on a thrown error: its builder takes that value
//! as an argument.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use heck::ToSnakeCase;
use prost_types::DescriptorProto;
use prost_types::field_descriptor_proto::{Label, Type};

use super::local_name;
use crate::codegen::schema::{PACKAGE, Schema};
use crate::codegen::{GeneratedFile, HEADER};

pub(crate) const PATH: &str = "bindings/js/src/generated_report.rs";
pub(crate) const FILE: &str = "lokryn/compliancelog/v1/report.proto";
const ROOT: &str = "ValidationReport";

/// `ValidationReport` and the messages reachable from it through repeated
/// fields, root first.
pub(crate) fn messages(schema: &Schema) -> Result<Vec<&DescriptorProto>> {
    let file = schema
        .own_files()
        .find(|f| f.name() == FILE)
        .with_context(|| format!("{FILE} is not in proto/"))?;
    let find = |name: &str| {
        file.message_type
            .iter()
            .find(|m| m.name() == name)
            .with_context(|| format!("{FILE}: no message {name}"))
    };
    let mut out = vec![find(ROOT)?];
    let mut i = 0;
    while let Some(m) = out.get(i).copied() {
        for f in &m.field {
            if f.r#type() == Type::Message && f.label() == Label::Repeated {
                let name = f
                    .type_name()
                    .strip_prefix(&format!(".{PACKAGE}."))
                    .with_context(|| format!("{}.{}: not a type of {FILE}", m.name(), f.name()))?;
                let target = find(name)?;
                if !out.iter().any(|x| x.name() == target.name()) {
                    out.push(target);
                }
            }
        }
        i += 1;
    }
    Ok(out)
}

/// The factory functions, for the runtime module.
pub(crate) fn factories(messages: &[&DescriptorProto]) -> Result<String> {
    let mut js = String::from(
        "\n// The objects of a validation, one factory per message of report.proto,\n\
         // called by the native code with every field in field-number order; a\n\
         // message field holds the package's error object, or null.\n",
    );
    for m in messages {
        let names: Vec<String> = m.field.iter().map(local_name).collect();
        writeln!(js, "function {}$object({}) {{", m.name(), names.join(", "))?;
        let props: Vec<String> = m
            .field
            .iter()
            .zip(&names)
            .map(|(f, n)| {
                if f.r#type() == Type::Message && f.label() != Label::Repeated {
                    format!("{n}: {n} ?? null")
                } else {
                    n.clone()
                }
            })
            .collect();
        writeln!(js, "  return {{ {} }};\n}}", props.join(", "))?;
    }
    Ok(js)
}

/// The name of the runtime factory of `message`, as the native code's
/// `Factory` enum names it.
fn factory(message: &str) -> &str {
    match message {
        ROOT => "Report",
        other => other,
    }
}

/// `bindings/js/src/generated_report.rs`.
pub(crate) fn file(messages: &[&DescriptorProto]) -> Result<GeneratedFile> {
    let mut out = format!(
        "// {HEADER}\n//\n// The arguments of the runtime's factories of the objects of a validation,\n\
         // from report.proto; see xtask/src/codegen/typescript/report.rs.\n\n\
         use lokryn_compliance_log::v1;\n\nuse crate::{{Factory, Host}};\n"
    );
    for m in messages {
        let errors: Vec<String> = m
            .field
            .iter()
            .filter(|f| f.r#type() == Type::Message && f.label() != Label::Repeated)
            .map(|f| f.name().to_snake_case())
            .collect();
        let extra: String = errors.iter().map(|e| format!(", {e}: H::Value")).collect();
        writeln!(
            out,
            "\n/// The object of a `{name}` message (`{name}$object`).\n\
             pub(crate) fn {fn_name}<H: Host>(h: &H, m: &v1::{name}{extra}) -> Result<H::Value, H::Error> {{\n    \
             let args = vec![",
            name = m.name(),
            fn_name = builder(m.name()),
        )?;
        for f in &m.field {
            let name = f.name().to_snake_case();
            let expr = match (f.label() == Label::Repeated, f.r#type()) {
                (false, Type::String) => format!("h.new_string(&m.{name})?"),
                (false, Type::Bool) => format!("h.new_boolean(m.{name})?"),
                (false, Type::Uint32 | Type::Int32 | Type::Fixed32 | Type::Sint32) => {
                    format!("h.new_number(f64::from(m.{name}))?")
                }
                (false, Type::Message) => name.clone(),
                (true, Type::String) => format!(
                    "h.new_array(m.{name}.iter().map(|v| h.new_string(v)).collect::<Result<_, _>>()?)?"
                ),
                (true, Type::Message) => {
                    let target = f.type_name().rsplit('.').next().unwrap_or_default();
                    format!(
                        "h.new_array(m.{name}.iter().map(|v| {}(h, v)).collect::<Result<_, _>>()?)?",
                        builder(target)
                    )
                }
                (_, other) => bail!(
                    "{}.{}: {other:?} fields are not supported in report objects yet \
                     (xtask/src/codegen/typescript/report.rs)",
                    m.name(),
                    f.name()
                ),
            };
            writeln!(out, "        {expr},")?;
        }
        writeln!(
            out,
            "    ];\n    h.build(Factory::{}, args)\n}}",
            factory(m.name())
        )?;
    }
    Ok(GeneratedFile::new(PATH, out))
}

fn builder(message: &str) -> String {
    format!("{}_object", message.to_snake_case())
}
