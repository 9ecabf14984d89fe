//! The Python modules of the schema, for the `lokryn-compliance-log` wheel:
//! `lokryn_compliance_log/v1/<file>_pb2.py` with its `.pyi` stub, and the
//! `v1/__init__.py` that re-exports every message, enum and enum value.
//!
//! The modules are what `protoc --python_out --pyi_out` would write, minus
//! the runtime-version gate: they add the same descriptor bytes the Rust core
//! embeds (one file of [`Schema::runtime_set`]) to the default pool and build
//! the classes with `google.protobuf.internal.builder`, which every protobuf
//! release from 4.21 to 7.x has, so the wheel works across that whole range.
//! Messages are genuine google.protobuf classes; their `__module__` is the
//! real import path, so they pickle.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};

use super::docs::Comments;
use super::schema::{PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

/// The generated Python package of the schema (every file in it is generated).
pub(crate) const PY_V1_DIR: &str = "bindings/python/python/lokryn_compliance_log/v1";

/// The import path of that package.
const PY_V1_PACKAGE: &str = "lokryn_compliance_log.v1";

/// Where this package's `.proto` files live under `proto/`.
const PROTO_DIR: &str = "lokryn/compliancelog/v1/";

/// Where a message or enum is defined: the proto file, and whether it is a message.
struct TypeInfo {
    file: String,
    is_message: bool,
}

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let runtime = schema.runtime_set()?;
    let mut types = BTreeMap::new();
    for file in &runtime.file {
        for m in &file.message_type {
            let info = TypeInfo {
                file: file.name().to_owned(),
                is_message: true,
            };
            types.insert(format!(".{}.{}", file.package(), m.name()), info);
        }
        for e in &file.enum_type {
            let info = TypeInfo {
                file: file.name().to_owned(),
                is_message: false,
            };
            types.insert(format!(".{}.{}", file.package(), e.name()), info);
        }
    }

    let mut out = Vec::new();
    let mut exports: Vec<(String, Vec<String>)> = Vec::new();
    let mut seen = BTreeSet::new();
    for file in runtime.file.iter().filter(|f| f.package() == PACKAGE) {
        let documented = schema
            .full
            .file
            .iter()
            .find(|f| f.name() == file.name())
            .context("a runtime file without its source")?;
        let module = module_name(file.name())?;
        let comments = Comments::of(documented);
        out.push(GeneratedFile::new(
            format!("{PY_V1_DIR}/{module}.py"),
            py_module(file, &schema.runtime_file_bytes(file.name())?, &module)?,
        ));
        out.push(GeneratedFile::new(
            format!("{PY_V1_DIR}/{module}.pyi"),
            pyi_module(file, &comments, &types)?,
        ));
        // The report's messages share their names with the package's
        // native report classes, whose attributes are their fields; they are
        // reached as `lokryn_compliance_log.v1.report_pb2.ValidationReport`
        // rather than re-exported flat, where they would shadow those.
        if file.name() == REPORT_PROTO {
            continue;
        }
        let mut names = Vec::new();
        for m in &file.message_type {
            names.push(m.name().to_owned());
        }
        for e in &file.enum_type {
            names.push(e.name().to_owned());
        }
        for e in &file.enum_type {
            names.extend(e.value.iter().map(|v| v.name().to_owned()));
        }
        for name in &names {
            python_ident(name)?;
            if !seen.insert(name.clone()) {
                bail!("{name} is defined by two files; the flat Python exports would clash");
            }
        }
        exports.push((module, names));
    }
    out.push(GeneratedFile::new(
        format!("{PY_V1_DIR}/__init__.py"),
        init_module(&exports)?,
    ));
    Ok(out)
}

/// The file of the validation report's messages.
const REPORT_PROTO: &str = "lokryn/compliancelog/v1/report.proto";

/// `lokryn/compliancelog/v1/logentry.proto` -> `logentry_pb2`.
fn module_name(proto: &str) -> Result<String> {
    let stem = proto
        .strip_prefix(PROTO_DIR)
        .and_then(|rest| rest.strip_suffix(".proto"))
        .filter(|stem| !stem.contains('/'))
        .with_context(|| format!("{proto}: expected a file directly under proto/{PROTO_DIR}"))?;
    python_ident(stem)?;
    Ok(format!("{stem}_pb2"))
}

/// How a generated module imports the module generated for `proto`, and the
/// alias it binds.
fn import_of(proto: &str) -> Result<(String, String)> {
    if let Some(wkt) = proto
        .strip_prefix("google/protobuf/")
        .and_then(|s| s.strip_suffix(".proto"))
    {
        let alias = format!("_{wkt}_pb2");
        return Ok((
            format!("from google.protobuf import {wkt}_pb2 as {alias}"),
            alias,
        ));
    }
    let module = module_name(proto)?;
    let alias = format!("_{module}");
    Ok((
        format!("from {PY_V1_PACKAGE} import {module} as {alias}"),
        alias,
    ))
}

/// The module of `file`, embedding `bytes`, its encoding with the custom
/// options (the validation rules) that prost-types would drop.
fn py_module(file: &FileDescriptorProto, bytes: &[u8], module: &str) -> Result<String> {
    let mut py = format!(
        "# {HEADER}\n# source: {}\n\
         \"\"\"Message classes and enums of `{}` (package `{}`).\"\"\"\n\n\
         from google.protobuf import descriptor as _descriptor\n\
         from google.protobuf import descriptor_pool as _descriptor_pool\n\
         from google.protobuf.internal import builder as _builder\n\n",
        file.name(),
        file.name(),
        file.package()
    );
    if !file.dependency.is_empty() {
        py.push_str("# The files this one imports must be in the default pool first.\n");
    }
    for dep in &file.dependency {
        let (import, _) = import_of(dep)?;
        writeln!(py, "{import}  # noqa: F401")?;
    }
    py.push_str("\nDESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(\n");
    for line in bytes_literal_lines(bytes, 72) {
        writeln!(py, "    {line}")?;
    }
    writeln!(
        py,
        ")\n\n_globals = globals()\n\
         _builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)\n\
         _builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, \"{PY_V1_PACKAGE}.{module}\", _globals)\n\
         if not _descriptor._USE_C_DESCRIPTORS:\n    \
         # Where each declaration sits in DESCRIPTOR's bytes, for CopyToProto\n    \
         # in the pure-Python implementation."
    )?;
    let spans = top_level_spans(bytes)?;
    let messages = spans.iter().filter(|s| s.0 == 4);
    for (message, (_, start, end)) in file.message_type.iter().zip(messages) {
        if !message.nested_type.is_empty() || !message.enum_type.is_empty() {
            bail!(
                "{}: nested types are not supported by the Python generator",
                message.name()
            );
        }
        let key = message.name().to_uppercase();
        writeln!(py, "    _globals[\"_{key}\"]._serialized_start = {start}")?;
        writeln!(py, "    _globals[\"_{key}\"]._serialized_end = {end}")?;
    }
    let enums = spans.iter().filter(|s| s.0 == 5);
    for (e, (_, start, end)) in file.enum_type.iter().zip(enums) {
        let key = e.name().to_uppercase();
        writeln!(py, "    _globals[\"_{key}\"]._serialized_start = {start}")?;
        writeln!(py, "    _globals[\"_{key}\"]._serialized_end = {end}")?;
    }
    Ok(py)
}

fn pyi_module(
    file: &FileDescriptorProto,
    comments: &Comments,
    types: &BTreeMap<String, TypeInfo>,
) -> Result<String> {
    let mut imports = BTreeSet::new();
    let mut body = String::from("DESCRIPTOR: _descriptor.FileDescriptor\n");
    let mut uses_containers = false;

    for (k, e) in file.enum_type.iter().enumerate() {
        let path = [5, i32::try_from(k)?];
        writeln!(
            body,
            "\nclass {}(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):",
            e.name()
        )?;
        docstring(&mut body, "    ", &comments.get(&path));
        body.push_str("    __slots__ = ()\n");
        for value in &e.value {
            writeln!(body, "    {}: _ClassVar[{}]", value.name(), e.name())?;
        }
    }
    if !file.enum_type.is_empty() {
        body.push('\n');
    }
    for (k, e) in file.enum_type.iter().enumerate() {
        for (v, value) in e.value.iter().enumerate() {
            let path = [5, i32::try_from(k)?, 2, i32::try_from(v)?];
            writeln!(body, "{}: {}", value.name(), e.name())?;
            docstring(&mut body, "", &comments.get(&path));
        }
    }

    for (i, message) in file.message_type.iter().enumerate() {
        let path = [4, i32::try_from(i)?];
        writeln!(body, "\nclass {}(_message.Message):", message.name())?;
        docstring(&mut body, "    ", &comments.get(&path));
        let slots: Vec<String> = message
            .field
            .iter()
            .map(|f| format!("{:?}", f.name()))
            .collect();
        let trailing = if slots.len() == 1 { "," } else { "" };
        writeln!(body, "    __slots__ = ({}{trailing})", slots.join(", "))?;
        for field in &message.field {
            writeln!(
                body,
                "    {}_FIELD_NUMBER: _ClassVar[int]",
                field.name().to_uppercase()
            )?;
        }
        let mut params = Vec::new();
        for (j, field) in message.field.iter().enumerate() {
            let fpath = [4, i32::try_from(i)?, 2, i32::try_from(j)?];
            python_ident(field.name())?;
            let (attr, param, containers) = field_types(message, field, file, types, &mut imports)?;
            uses_containers |= containers;
            writeln!(body, "    {}: {attr}", field.name())?;
            docstring(&mut body, "    ", &comments.get(&fpath));
            params.push(format!("{}: {param} = ...", field.name()));
        }
        if params.is_empty() {
            body.push_str("    def __init__(self) -> None: ...\n");
        } else {
            writeln!(
                body,
                "    def __init__(\n        self,\n        *,\n{}    ) -> None: ...",
                params
                    .iter()
                    .map(|p| format!("        {p},\n"))
                    .collect::<String>()
            )?;
        }
    }

    let mut pyi = format!("# {HEADER}\n# source: {}\n\n", file.name());
    for import in &imports {
        writeln!(pyi, "{import}")?;
    }
    if uses_containers {
        pyi.push_str("from google.protobuf.internal import containers as _containers\n");
    }
    if !file.enum_type.is_empty() {
        pyi.push_str(
            "from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper\n",
        );
    }
    pyi.push_str(
        "from google.protobuf import descriptor as _descriptor\n\
         from google.protobuf import message as _message\n\
         from typing import Any as _Any, ClassVar as _ClassVar, Iterable as _Iterable, \
         Mapping as _Mapping, Optional as _Optional, Union as _Union\n\n",
    );
    pyi.push_str(&body);
    Ok(pyi)
}

/// The attribute type, the `__init__` parameter type, and whether the
/// `containers` module is used, for one field.
fn field_types(
    message: &DescriptorProto,
    field: &FieldDescriptorProto,
    file: &FileDescriptorProto,
    types: &BTreeMap<String, TypeInfo>,
    imports: &mut BTreeSet<String>,
) -> Result<(String, String, bool)> {
    if field.oneof_index.is_some() && !field.proto3_optional() {
        bail!(
            "{}.{}: oneofs are not supported by the Python generator",
            message.name(),
            field.name()
        );
    }
    let repeated = field.label() == Label::Repeated;
    let scalar = match field.r#type() {
        Type::String => Some("str"),
        Type::Bytes => Some("bytes"),
        Type::Bool => Some("bool"),
        Type::Double | Type::Float => Some("float"),
        Type::Enum | Type::Message => None,
        Type::Group => bail!(
            "{}.{}: groups are not supported",
            message.name(),
            field.name()
        ),
        _ => Some("int"),
    };
    if let Some(py) = scalar {
        return Ok(if repeated {
            (
                format!("_containers.RepeatedScalarFieldContainer[{py}]"),
                format!("_Optional[_Iterable[{py}]]"),
                true,
            )
        } else {
            (py.to_owned(), format!("_Optional[{py}]"), false)
        });
    }
    let info = types.get(field.type_name()).with_context(|| {
        format!(
            "{}.{}: unknown type {}",
            message.name(),
            field.name(),
            field.type_name()
        )
    })?;
    let short = field
        .type_name()
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    let name = if info.file == file.name() {
        short
    } else {
        let (import, alias) = import_of(&info.file)?;
        imports.insert(import);
        format!("{alias}.{short}")
    };
    Ok(match (info.is_message, repeated) {
        (false, false) => (
            name.clone(),
            format!("_Optional[_Union[{name}, str]]"),
            false,
        ),
        (false, true) => (
            format!("_containers.RepeatedScalarFieldContainer[{name}]"),
            format!("_Optional[_Iterable[_Union[{name}, str]]]"),
            true,
        ),
        (true, false) => (
            name.clone(),
            format!("_Optional[_Union[{name}, _Mapping[str, _Any]]]"),
            false,
        ),
        (true, true) => (
            format!("_containers.RepeatedCompositeFieldContainer[{name}]"),
            format!("_Optional[_Iterable[_Union[{name}, _Mapping[str, _Any]]]]"),
            true,
        ),
    })
}

fn init_module(exports: &[(String, Vec<String>)]) -> Result<String> {
    let mut py = format!(
        "# {HEADER}\n\"\"\"The `{PACKAGE}` schema: message classes, enum wrappers and enum values.\"\"\"\n\n"
    );
    for (module, names) in exports {
        writeln!(py, "from {PY_V1_PACKAGE}.{module} import (")?;
        for name in names {
            writeln!(py, "    {name},")?;
        }
        py.push_str(")\n");
    }
    py.push_str("\n__all__ = [\n");
    for (_, names) in exports {
        for name in names {
            writeln!(py, "    \"{name}\",")?;
        }
    }
    py.push_str("]\n");
    Ok(py)
}

/// Writes `text` as a docstring at `indent`, if it is not empty.
fn docstring(out: &mut String, indent: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    let escaped = text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    if escaped.contains('\n') {
        out.push_str(indent);
        out.push_str("\"\"\"");
        for (i, line) in escaped.lines().enumerate() {
            if i > 0 && !line.is_empty() {
                out.push_str(indent);
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(indent);
        out.push_str("\"\"\"\n");
    } else {
        out.push_str(&format!("{indent}\"\"\"{escaped}\"\"\"\n"));
    }
}

/// `bytes` as Python bytes literals of at most about `width` characters,
/// one per line (adjacent literals concatenate).
fn bytes_literal_lines(bytes: &[u8], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from("b\"");
    for &b in bytes {
        let piece = match b {
            b'\\' => "\\\\".to_owned(),
            b'"' => "\\\"".to_owned(),
            b'\n' => "\\n".to_owned(),
            b'\r' => "\\r".to_owned(),
            b'\t' => "\\t".to_owned(),
            0x20..=0x7e => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        };
        if line.len() + piece.len() + 1 > width {
            line.push('"');
            lines.push(std::mem::replace(&mut line, String::from("b\"")));
        }
        line.push_str(&piece);
    }
    line.push('"');
    lines.push(line);
    lines
}

/// The length-delimited fields at the top level of an encoded message:
/// (field number, start, end) of each payload.
fn top_level_spans(bytes: &[u8]) -> Result<Vec<(u64, usize, usize)>> {
    fn varint(bytes: &[u8], pos: &mut usize) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*pos).context("truncated varint")?;
            *pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("varint too long")
    }
    let mut spans = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let tag = varint(bytes, &mut pos)?;
        match tag & 7 {
            0 => {
                varint(bytes, &mut pos)?;
            }
            1 => pos += 8,
            5 => pos += 4,
            2 => {
                let len = usize::try_from(varint(bytes, &mut pos)?)?;
                spans.push((tag >> 3, pos, pos + len));
                pos += len;
            }
            other => bail!("unexpected wire type {other} in a file descriptor"),
        }
    }
    Ok(spans)
}

/// Fails on a name Python cannot use as an identifier or attribute.
fn python_ident(name: &str) -> Result<()> {
    const KEYWORDS: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield",
    ];
    if KEYWORDS.contains(&name) {
        bail!("`{name}` is a Python keyword; the Python generator cannot name it");
    }
    Ok(())
}
