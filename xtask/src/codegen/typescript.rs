//! The JavaScript side of the schema, for both npm packages
//! (`bindings/node`, `bindings/wasm`):
//!
//! * `index.d.ts`: TypeScript types of every message and enum, in the shape
//!   protobuf-es v2 gives them (lowerCamel fields, numeric enums with the
//!   member names protoc-gen-es picks, `bigint` for 64-bit integers,
//!   `Uint8Array` for bytes, `$typeName`), plus an `…Init` type per message
//!   for what the functions accept, followed by the hand-written API
//!   declarations of `bindings/js/api.d.ts`, and for the Node package those
//!   of its storage (`bindings/js/ledger.d.ts`), its audit logger
//!   (`bindings/js/logger.d.ts`) and its exports to OCSF, ECS and
//!   OpenTelemetry (`bindings/js/export.d.ts`).
//! * the runtime module (`runtime.cjs` for Node, `runtime.js` for the ESM
//!   wasm package): the enum objects, one factory per message through which
//!   the native code builds the objects it returns (so their shape is that
//!   of protobuf-es's `create()`), then `bindings/js/runtime.js`.
//! * the input tape writer both packages share (`tape_writer.cjs`,
//!   `tape_writer.js`), from `bindings/js/tape_writer.js` (see
//!   [`tape::writer_module`]); and the wire codec (see [`codec`]).
//!
//! Those are not committed: the npm build (`crate::npm`) writes them
//! into each package from [`package_files`], so the repository holds one
//! source of each. `cargo xtask codegen` writes, and commits:
//!
//! * `bindings/js/src/generated.rs`: the Rust conversions between those
//!   objects and the core's prost types (see [`convert`]);
//! * `bindings/js/src/generated_report.rs`: the objects of a validation,
//!   from report.proto (see [`report`]; their factories are in the runtime);
//! * the numbers of the wasm package's value tapes, on both sides (see
//!   [`tape`]).
//!
//! The runtime's `VERSION` is the workspace version, read at build time.
//! Each package.json carries it too (npm needs it literally); `crate::version`
//! checks that they agree, and `cargo xtask release` rewrites them all.

mod codec;
mod convert;
pub(crate) mod report;
mod tape;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
};

use super::GeneratedFile;
use super::schema::{PACKAGE, Schema};
use crate::util::root;

/// The npm packages, each with the runtime module syntax it uses and
/// whether it has storage (the ledger's `Ledger` class).
const PACKAGES: &[(&str, Syntax, bool)] = &[
    ("bindings/node", Syntax::CommonJs, true),
    ("bindings/wasm", Syntax::Esm, false),
];

/// The hand-written halves, assembled into each package.
const API_DTS: &str = "bindings/js/api.d.ts";
const RUNTIME_JS: &str = "bindings/js/runtime.js";
/// The declarations only the package with storage gets, after [`API_DTS`]:
/// the ledger's `Ledger`, the audit logger, then the exports to OCSF, ECS
/// and OpenTelemetry.
const LEDGER_DTS: &str = "bindings/js/ledger.d.ts";
const LOGGER_DTS: &str = "bindings/js/logger.d.ts";
const EXPORT_DTS: &str = "bindings/js/export.d.ts";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    CommonJs,
    Esm,
}

/// A message the JavaScript side knows: the schema's own and the well-known
/// types they use.
pub(crate) struct JsMessage<'a> {
    /// Fully-qualified proto name, without the leading dot.
    pub(crate) full_name: String,
    /// The TypeScript name (the proto name, as protobuf-es keeps it).
    pub(crate) ts_name: String,
    pub(crate) proto: &'a DescriptorProto,
    /// Doc comments of the message and its fields (empty for imports).
    pub(crate) docs: Docs,
}

/// What `cargo xtask codegen` writes (and the repository holds).
pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let mut files = vec![
        convert::file(&messages(schema)?)?,
        report::file(&report::messages(schema)?)?,
    ];
    files.extend(tape::files()?);
    Ok(files)
}

/// The first line of the files the npm build writes into the packages.
const BUILT: &str = "Built by `cargo xtask` from proto/ (npm builds). Do not edit; not committed.";

/// The runtime and the type declarations of each npm package, for the npm
/// build to write into the package (paths relative to the repository).
pub(crate) fn package_files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let root = root();
    let messages = messages(schema)?;
    let enums = enums(schema);
    let version = crate::version::workspace_version(&root)?.to_string();

    let mut dts = format!(
        "// {BUILT}\n//\n// The TypeScript API of @lokryn/compliance-log and @lokryn/compliance-log-wasm:\n\
         // the schema's types (xtask/src/codegen/typescript.rs) and then {API_DTS}.\n"
    );
    for (e, docs) in &enums {
        write_enum_dts(&mut dts, e, docs)?;
    }
    for m in &messages {
        write_message_dts(&mut dts, m, &messages)?;
    }
    let api = read(&root, API_DTS)?;
    dts.push('\n');
    dts.push_str(strip_leading_comment(&api));

    let mut dts_with_ledger = dts.clone();
    for rel in [LEDGER_DTS, LOGGER_DTS, EXPORT_DTS] {
        dts_with_ledger.push('\n');
        dts_with_ledger.push_str(strip_leading_comment(&read(&root, rel)?));
    }

    let template = read(&root, RUNTIME_JS)?;
    let report_js = report::factories(&report::messages(schema)?)?;
    let codec_template = read(&root, codec::CODEC_JS)?;
    let writer_template = read(&root, tape::WRITER_JS)?;
    let mut files = Vec::new();
    for (dir, syntax, storage) in PACKAGES {
        let dts = if *storage { &dts_with_ledger } else { &dts };
        files.push(GeneratedFile::new(format!("{dir}/index.d.ts"), dts.clone()));
        let (name, js) = runtime(*syntax, &version, &enums, &messages, &report_js, &template)?;
        files.push(GeneratedFile::new(format!("{dir}/{name}"), js));
        let codec_name = match syntax {
            Syntax::CommonJs => "codec.cjs",
            Syntax::Esm => "codec.js",
        };
        files.push(GeneratedFile::new(
            format!("{dir}/{codec_name}"),
            codec::module(
                *syntax,
                &messages,
                &enums.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
                &codec_template,
            )?,
        ));
        let package = match syntax {
            Syntax::CommonJs => "@lokryn/compliance-log",
            Syntax::Esm => "@lokryn/compliance-log-wasm",
        };
        let (name, js) = tape::writer_module(*syntax, package, &writer_template)?;
        files.push(GeneratedFile::new(format!("{dir}/{name}"), js));
    }
    Ok(files)
}

fn read(root: &Path, rel: &str) -> Result<String> {
    fs::read_to_string(root.join(rel)).with_context(|| format!("reading {rel}"))
}

/// The names a hand-written module declares at its top level (a line that
/// starts with `class `, `function ` or `const `), which the package's
/// copy exports.
fn top_level_names(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in template.lines() {
        for kw in ["class ", "function ", "const "] {
            if let Some(rest) = line.strip_prefix(kw) {
                names.push(
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                        .collect(),
                );
            }
        }
    }
    names
}

/// The text after the file's opening `//` comment block (which describes the
/// template, not the generated file).
fn strip_leading_comment(text: &str) -> &str {
    let mut rest = text;
    while let Some(line_end) = rest.find('\n') {
        let line = rest.get(..line_end).unwrap_or_default();
        if !line.starts_with("//") {
            break;
        }
        rest = rest.get(line_end + 1..).unwrap_or_default();
    }
    rest.trim_start_matches('\n')
}

/// Doc comments of one message or enum, by path relative to it.
#[derive(Default)]
pub(crate) struct Docs {
    pub(crate) own: String,
    members: HashMap<i32, String>,
}

impl Docs {
    pub(crate) fn of(file: &FileDescriptorProto, kind: i32, index: usize) -> Self {
        let mut docs = Self::default();
        let Ok(index) = i32::try_from(index) else {
            return docs;
        };
        let Some(info) = &file.source_code_info else {
            return docs;
        };
        for loc in &info.location {
            let Some(text) = &loc.leading_comments else {
                continue;
            };
            let text = text
                .lines()
                .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned();
            match loc.path.as_slice() {
                [k, i] if *k == kind && *i == index => docs.own = text,
                // 2: fields of a message, values of an enum.
                [k, i, 2, j] if *k == kind && *i == index => {
                    docs.members.insert(*j, text);
                }
                _ => {}
            }
        }
        docs
    }

    pub(crate) fn member(&self, index: usize) -> &str {
        i32::try_from(index)
            .ok()
            .and_then(|i| self.members.get(&i))
            .map_or("", String::as_str)
    }
}

/// A JSDoc block at `indent`, or nothing for empty text.
fn jsdoc(out: &mut String, indent: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    out.push_str(indent);
    out.push_str("/**\n");
    for line in text.lines() {
        let line = line.replace("*/", "*\\/");
        if line.is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {line}\n"));
        }
    }
    out.push_str(indent);
    out.push_str(" */\n");
}

/// The message and enum types a record can hold (full names with a leading
/// dot): those reachable from `LogEntry`. rules.proto's option messages and
/// enums describe the schema, never a record, and stay out of the packages.
pub(crate) fn record_types(schema: &Schema) -> std::collections::BTreeSet<String> {
    let all: Vec<(String, &DescriptorProto)> = schema
        .own_files()
        .flat_map(|f| f.message_type.iter())
        .map(|m| (format!(".{PACKAGE}.{}", m.name()), m))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut pending = vec![format!(".{PACKAGE}.LogEntry")];
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some((_, m)) = all.iter().find(|(n, _)| *n == name) {
            for f in &m.field {
                if matches!(f.r#type(), Type::Message | Type::Enum)
                    && f.type_name().starts_with(&format!(".{PACKAGE}."))
                {
                    pending.push(f.type_name().to_owned());
                }
            }
        }
    }
    seen
}

fn messages(schema: &Schema) -> Result<Vec<JsMessage<'_>>> {
    let record = record_types(schema);
    let mut out = Vec::new();
    for file in schema.own_files() {
        for (i, m) in file.message_type.iter().enumerate() {
            if !record.contains(&format!(".{PACKAGE}.{}", m.name())) {
                continue;
            }
            if !m.nested_type.is_empty() || !m.enum_type.is_empty() {
                bail!(
                    "{}: nested types are not supported by the TypeScript generator",
                    m.name()
                );
            }
            out.push(JsMessage {
                full_name: format!("{PACKAGE}.{}", m.name()),
                ts_name: m.name().to_owned(),
                proto: m,
                docs: Docs::of(file, 4, i),
            });
        }
    }
    // The well-known types the schema uses, in the shape protobuf-es gives them.
    let timestamp = schema
        .full
        .file
        .iter()
        .find(|f| f.name() == "google/protobuf/timestamp.proto")
        .and_then(|f| f.message_type.first())
        .context("google/protobuf/timestamp.proto is not among the imports")?;
    out.push(JsMessage {
        full_name: "google.protobuf.Timestamp".into(),
        ts_name: "Timestamp".into(),
        proto: timestamp,
        docs: Docs {
            own: "A point in time, as protobuf-es's `google.protobuf.Timestamp`: seconds and nanoseconds\n\
                  since the Unix epoch, in UTC. protobuf-es's `timestampFromDate(new Date())` makes one."
                .into(),
            members: HashMap::new(),
        },
    });
    for m in &out {
        for f in &m.proto.field {
            if f.oneof_index.is_some() && !f.proto3_optional() {
                bail!("{}.{}: oneofs are not supported yet", m.ts_name, f.name());
            }
            if f.r#type() == Type::Message {
                let target = f.type_name().trim_start_matches('.');
                if !out.iter().any(|x| x.full_name == target) {
                    bail!(
                        "{}.{}: message type {target} is not supported",
                        m.ts_name,
                        f.name()
                    );
                }
            }
        }
    }
    Ok(out)
}

fn enums(schema: &Schema) -> Vec<(&EnumDescriptorProto, Docs)> {
    let record = record_types(schema);
    let mut out = Vec::new();
    for file in schema.own_files() {
        for (i, e) in file.enum_type.iter().enumerate() {
            if record.contains(&format!(".{PACKAGE}.{}", e.name())) {
                out.push((e, Docs::of(file, 5, i)));
            }
        }
    }
    out
}

/// protobuf-es's field property name: `protoCamelCase` of the proto name,
/// with names that clash with `Object.prototype` escaped.
pub(crate) fn local_name(field: &FieldDescriptorProto) -> String {
    let mut out = String::new();
    let mut cap_next = false;
    for c in field.name().chars() {
        match c {
            '_' => cap_next = true,
            '0'..='9' => {
                out.push(c);
                cap_next = false;
            }
            _ if cap_next => {
                out.extend(c.to_uppercase());
                cap_next = false;
            }
            _ => out.push(c),
        }
    }
    if ["constructor", "toString", "toJSON", "valueOf"].contains(&out.as_str()) {
        out.push('$');
    }
    out
}

/// protobuf-es's enum member names: the values without the prefix derived
/// from the enum name when every value has it (`Outcome.SUCCESS`), as they
/// are otherwise (`EventType.EVENT_LOGIN`).
fn enum_member_names(e: &EnumDescriptorProto) -> Vec<String> {
    let name = e.name();
    let mut prefix = String::new();
    for (i, c) in name.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            prefix.push('_');
        }
        prefix.extend(c.to_lowercase());
    }
    prefix.push('_');
    let strip = e.value.iter().all(|v| {
        let lower = v.name().to_lowercase();
        lower.starts_with(&prefix)
            && v.name().get(prefix.len()..).is_some_and(|rest| {
                !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_digit())
            })
    });
    e.value
        .iter()
        .map(|v| {
            let n = if strip {
                v.name().get(prefix.len()..).unwrap_or(v.name())
            } else {
                v.name()
            };
            if ["constructor", "toString", "toJSON", "valueOf"].contains(&n) {
                format!("{n}$")
            } else {
                n.to_owned()
            }
        })
        .collect()
}

fn write_enum_dts(out: &mut String, e: &EnumDescriptorProto, docs: &Docs) -> Result<()> {
    out.push('\n');
    jsdoc(out, "", &docs.own);
    writeln!(out, "export declare enum {} {{", e.name())?;
    for (i, (value, name)) in e.value.iter().zip(enum_member_names(e)).enumerate() {
        jsdoc(out, "  ", docs.member(i));
        writeln!(out, "  {name} = {},", value.number())?;
    }
    out.push_str("}\n");
    Ok(())
}

/// A field's TypeScript type, in the output (`init == false`) or input shape.
fn ts_type(field: &FieldDescriptorProto, messages: &[JsMessage<'_>], init: bool) -> Result<String> {
    let base = match field.r#type() {
        Type::String => "string".to_owned(),
        Type::Bytes => "Uint8Array".to_owned(),
        Type::Bool => "boolean".to_owned(),
        Type::Double | Type::Float => "number".to_owned(),
        Type::Int32 | Type::Sint32 | Type::Sfixed32 | Type::Uint32 | Type::Fixed32 => {
            "number".to_owned()
        }
        Type::Int64 | Type::Sint64 | Type::Sfixed64 | Type::Uint64 | Type::Fixed64 => {
            if init {
                "bigint | number | string".to_owned()
            } else {
                "bigint".to_owned()
            }
        }
        Type::Enum => {
            let name = field
                .type_name()
                .strip_prefix(&format!(".{PACKAGE}."))
                .with_context(|| format!("enum {} is outside the package", field.type_name()))?;
            // An enum of protobuf-es is a different TypeScript enum: any
            // number is accepted.
            if init {
                format!("{name} | number")
            } else {
                name.to_owned()
            }
        }
        Type::Message => {
            let target = field.type_name().trim_start_matches('.');
            let m = messages
                .iter()
                .find(|m| m.full_name == target)
                .with_context(|| format!("message {target} is not supported"))?;
            match (init, m.full_name.as_str()) {
                (true, "google.protobuf.Timestamp") => "TimestampInit | Date".to_owned(),
                (true, _) => format!("{}Init", m.ts_name),
                (false, _) => m.ts_name.clone(),
            }
        }
        Type::Group => bail!("groups are not supported"),
    };
    Ok(if field.label() == Label::Repeated {
        let base = if base.contains(' ') {
            format!("({base})")
        } else {
            base
        };
        // What the functions accept may be a readonly array.
        if init {
            format!("readonly {base}[]")
        } else {
            format!("{base}[]")
        }
    } else {
        base
    })
}

fn write_message_dts(
    out: &mut String,
    m: &JsMessage<'_>,
    messages: &[JsMessage<'_>],
) -> Result<()> {
    let name = &m.ts_name;
    out.push('\n');
    jsdoc(out, "", &m.docs.own);
    writeln!(out, "export interface {name} {{")?;
    writeln!(
        out,
        "  /** The fully-qualified name of the message type. */"
    )?;
    writeln!(out, "  $typeName: \"{}\";", m.full_name)?;
    for (i, f) in m.proto.field.iter().enumerate() {
        let optional =
            f.proto3_optional() || (f.r#type() == Type::Message && f.label() != Label::Repeated);
        out.push('\n');
        jsdoc(out, "  ", m.docs.member(i));
        writeln!(
            out,
            "  {}{}: {};",
            local_name(f),
            if optional { "?" } else { "" },
            ts_type(f, messages, false)?
        )?;
    }
    out.push_str("}\n\n");
    writeln!(
        out,
        "/**\n * A {{@link {name}}} as the functions accept it: every field optional (unset means the zero\n \
         * value), enums as any number, 64-bit integers as bigint, number or decimal string. An object\n \
         * made with protobuf-es's `create({name}Schema, ...)` fits as it is.\n */"
    )?;
    writeln!(out, "export interface {name}Init {{")?;
    writeln!(out, "  $typeName?: \"{}\";", m.full_name)?;
    for f in &m.proto.field {
        writeln!(
            out,
            "  {}?: {};",
            local_name(f),
            ts_type(f, messages, true)?
        )?;
    }
    out.push_str("}\n");
    Ok(())
}

/// The zero value of a field without presence, in JavaScript.
fn js_zero(field: &FieldDescriptorProto) -> Result<&'static str> {
    if field.label() == Label::Repeated {
        return Ok("[]");
    }
    Ok(match field.r#type() {
        Type::String => "\"\"",
        Type::Bytes => "new Uint8Array(0)",
        Type::Bool => "false",
        Type::Int64 | Type::Sint64 | Type::Sfixed64 | Type::Uint64 | Type::Fixed64 => "0n",
        Type::Message | Type::Group => bail!("message fields have presence"),
        _ => "0",
    })
}

fn runtime(
    syntax: Syntax,
    version: &str,
    enums: &[(&EnumDescriptorProto, Docs)],
    messages: &[JsMessage<'_>],
    report_js: &str,
    template: &str,
) -> Result<(&'static str, String)> {
    let mut js =
        format!("// {BUILT}\n//\n// Made from xtask/src/codegen/typescript.rs and {RUNTIME_JS}.\n");
    if syntax == Syntax::CommonJs {
        js.push_str("\"use strict\";\n");
    }
    let mut exports = vec!["VERSION".to_owned()];
    writeln!(js, "\nconst VERSION = \"{version}\";")?;
    for (e, docs) in enums {
        js.push('\n');
        jsdoc(&mut js, "", &docs.own);
        writeln!(js, "const {} = {{", e.name())?;
        let names = enum_member_names(e);
        for (value, name) in e.value.iter().zip(&names) {
            writeln!(js, "  {name}: {},", value.number())?;
        }
        // The reverse mapping of a TypeScript enum (and of protobuf-es's).
        for (value, name) in e.value.iter().zip(&names) {
            writeln!(js, "  {}: \"{name}\",", value.number())?;
        }
        js.push_str("};\n");
        exports.push(e.name().to_owned());
    }
    js.push_str(
        "\n// One factory per message, called by the native code with the fields in\n\
         // field-number order, `undefined` standing for the zero value or an unset\n\
         // field: objects exactly as protobuf-es's create() makes them.\n",
    );
    if syntax == Syntax::CommonJs {
        // Node only: `markAsUntransferable` is Node's.
        js.push_str(
            "//\n\
             // An empty `bytes` field holds EMPTY_BYTES, one zero-length Uint8Array\n\
             // shared by every message (making one per message was a fifth of the\n\
             // logger's replay of a record). Nothing can be written into it (it has\n\
             // no elements), nothing added to it or its buffer (both frozen), and\n\
             // no postMessage or structuredClone can detach its buffer (marked\n\
             // untransferable): sharing it shows only as identity.\n\
             const EMPTY_BYTES = new Uint8Array(0);\n\
             require(\"node:worker_threads\").markAsUntransferable(EMPTY_BYTES.buffer);\n\
             Object.freeze(EMPTY_BYTES.buffer);\n\
             Object.freeze(EMPTY_BYTES);\n",
        );
    }
    // Each factory `X$(a0, a1, …)`, and for Node `X$of(v)` taking the
    // values in one array (the logger's replay of a record, whose values
    // are an array already: a call with the array's elements as arguments
    // costs more than the factory itself).
    for m in messages {
        let args: Vec<String> = (0..m.proto.field.len()).map(|i| format!("a{i}")).collect();
        let mut variants = vec![(format!("{}$({})", m.ts_name, args.join(", ")), "a{}")];
        if syntax == Syntax::CommonJs {
            variants.push((format!("{}$of(v)", m.ts_name), "v[{}]"));
        }
        for (name, arg) in variants {
            let arg = |i: usize| arg.replace("{}", &i.to_string());
            writeln!(js, "function {name} {{")?;
            writeln!(js, "  const m = {{\n    $typeName: \"{}\",", m.full_name)?;
            let mut presence = Vec::new();
            for (i, f) in m.proto.field.iter().enumerate() {
                let has_presence = f.label() != Label::Repeated
                    && (f.proto3_optional() || f.r#type() == Type::Message);
                if has_presence {
                    presence.push((i, local_name(f)));
                } else {
                    let zero = if syntax == Syntax::CommonJs
                        && f.r#type() == Type::Bytes
                        && f.label() != Label::Repeated
                    {
                        "EMPTY_BYTES"
                    } else {
                        js_zero(f)?
                    };
                    writeln!(js, "    {}: {} ?? {zero},", local_name(f), arg(i))?;
                }
            }
            js.push_str("  };\n");
            for (i, name) in presence {
                let a = arg(i);
                writeln!(js, "  if ({a} !== undefined) m.{name} = {a};")?;
            }
            js.push_str("  return m;\n}\n");
        }
    }
    js.push_str(
        "\n// One reader per message: every field's value, in field-number order, so\n\
         // that the native code reads an object in one call; then the first key\n\
         // that is not a field (a misspelt field would otherwise be dropped\n\
         // silently), if any. Keys starting with `$` (protobuf-es's `$typeName`,\n\
         // `$unknown`) are not fields and are allowed. `X$seen` holds the keys, in\n\
         // order, of the last object whose keys were all allowed: the keys of the\n\
         // next one that come in the same order are the same strings (property\n\
         // names are unique strings), allowed without looking them up.\n",
    );
    for m in messages {
        let reads: Vec<String> = m
            .proto
            .field
            .iter()
            .map(|f| format!("o.{}", local_name(f)))
            .collect();
        let names: Vec<String> = m
            .proto
            .field
            .iter()
            .map(|f| format!("\"{}\"", local_name(f)))
            .collect();
        writeln!(
            js,
            "const {name}$fields = new Set([{names}]);\n\
             let {name}$seen = [];\n\
             function {name}$read(o) {{\n  const v = [{reads}];\n  \
             const seen = {name}$seen;\n  \
             let j = 0;\n  \
             let keys;\n  \
             for (const k in o) {{\n    \
             if (keys === undefined) {{\n      \
             if (j < seen.length && seen[j] === k) {{\n        \
             j++;\n        \
             continue;\n      \
             }}\n      \
             keys = seen.slice(0, j);\n    \
             }}\n    \
             if (!{name}$fields.has(k) && k.charCodeAt(0) !== 36) {{\n      \
             v.push(k);\n      return v;\n    }}\n    \
             keys.push(k);\n  }}\n  \
             if (keys !== undefined && keys.length <= 64) {name}$seen = keys;\n  \
             return v;\n}}",
            name = m.ts_name,
            names = names.join(", "),
            reads = reads.join(", ")
        )?;
    }
    let names: Vec<String> = messages.iter().map(|m| format!("{}$", m.ts_name)).collect();
    let names_of: Vec<String> = messages
        .iter()
        .map(|m| format!("{}$of", m.ts_name))
        .collect();
    let readers: Vec<String> = messages
        .iter()
        .map(|m| format!("{}$read", m.ts_name))
        .collect();
    // What each reader's values are, for the tape writer of the wasm
    // package (bindings/wasm/tape.js): 0 a value read as it is, m + 1 a
    // message field of message m, -(m + 1) a repeated one.
    let mut shapes = Vec::new();
    for m in messages {
        let mut shape = Vec::new();
        for f in &m.proto.field {
            let code = if f.r#type() == Type::Message {
                let target = f.type_name().trim_start_matches('.');
                let index = messages
                    .iter()
                    .position(|x| x.full_name == target)
                    .with_context(|| format!("{}: no message {target}", m.ts_name))?;
                let code = i64::try_from(index)? + 1;
                if f.label() == Label::Repeated {
                    -code
                } else {
                    code
                }
            } else {
                0
            };
            shape.push(code.to_string());
        }
        shapes.push(format!("[{}]", shape.join(", ")));
    }
    writeln!(
        js,
        "\n// In the order of `Message` in bindings/js/src/generated.rs.\nconst messageFactories = [{}];\nconst messageReaders = [{}];\n\
         // Per message, what each of its reader's values is: 0 a value as it is,\n\
         // m + 1 a message of messageFactories[m], -(m + 1) a list of them.\n\
         const messageShapes = [{}];\n",
        names.join(", "),
        readers.join(", "),
        shapes.join(", ")
    )?;
    if syntax == Syntax::CommonJs {
        writeln!(
            js,
            "// The factories taking their values in one array.\nconst messageFactoriesOf = [{}];",
            names_of.join(", ")
        )?;
    }
    js.push_str(report_js);
    js.push('\n');
    js.push_str(strip_leading_comment(template));
    exports.extend(top_level_names(template));
    exports.push("messageFactories".into());
    if syntax == Syntax::CommonJs {
        exports.push("messageFactoriesOf".into());
    }
    exports.push("messageReaders".into());
    exports.push("messageShapes".into());
    Ok(match syntax {
        Syntax::CommonJs => {
            writeln!(
                js,
                "\nmodule.exports = {{\n  {},\n}};",
                exports.join(",\n  ")
            )?;
            ("runtime.cjs", js)
        }
        Syntax::Esm => {
            writeln!(js, "\nexport {{\n  {},\n}};", exports.join(",\n  "))?;
            ("runtime.js", js)
        }
    })
}
