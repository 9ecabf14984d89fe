//! The JavaScript wire codec of both npm packages (`codec.cjs` for Node,
//! `codec.js` for the wasm package; built with the runtime, not committed):
//! one `X$encode` and one `X$decode` per message, then the hand-written
//! helpers and entry points of `bindings/js/codec.js`.
//!
//! Each function writes (or reads) fields in field-number order with
//! proto3's rules as prost applies them, so the bytes are the core's; it
//! gives up (for the native code to answer) on anything else. Only the field
//! types the schema uses are written and read here; a field of another type
//! (see [`handled`]) makes the codec give up on any entry that sets it, so a
//! new field still needs only the schema, and is slower until it is handled.
//! Also `X$json`, the canonical JSON writer of an entry object.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{EnumDescriptorProto, FieldDescriptorProto};

use super::{JsMessage, Syntax, local_name};

/// The hand-written half.
pub(super) const CODEC_JS: &str = "bindings/js/codec.js";

/// What a field holds, for the codec.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bytes,
    Int32,
    Int64,
    Double,
    Message,
    Timestamp,
    /// Any other type: left to the native code.
    Other,
}

fn kind(f: &FieldDescriptorProto) -> Kind {
    match f.r#type() {
        Type::String => Kind::String,
        Type::Bytes => Kind::Bytes,
        Type::Int32 | Type::Enum => Kind::Int32,
        Type::Int64 => Kind::Int64,
        Type::Double => Kind::Double,
        Type::Message if f.type_name() == ".google.protobuf.Timestamp" => Kind::Timestamp,
        Type::Message => Kind::Message,
        _ => Kind::Other,
    }
}

/// Whether the generated code writes and reads the field itself. The others
/// (types the schema does not use yet: a new field of any type needs only
/// the schema) are the native code's: an entry that sets one, or whose
/// encoding holds one, is passed to it whole.
fn handled(f: &FieldDescriptorProto) -> bool {
    let k = kind(f);
    if f.label() == Label::Repeated {
        return matches!(k, Kind::String | Kind::Message);
    }
    match k {
        Kind::String | Kind::Bytes => !has_presence(f),
        Kind::Double => has_presence(f),
        Kind::Other => false,
        _ => true,
    }
}

fn wire_type(k: Kind) -> u32 {
    match k {
        Kind::Int32 | Kind::Int64 | Kind::Other => 0,
        Kind::Double => 1,
        Kind::String | Kind::Bytes | Kind::Message | Kind::Timestamp => 2,
    }
}

fn has_presence(f: &FieldDescriptorProto) -> bool {
    f.label() != Label::Repeated && (f.proto3_optional() || f.r#type() == Type::Message)
}

fn target(f: &FieldDescriptorProto) -> &str {
    f.type_name().rsplit('.').next().unwrap_or_default()
}

/// The codec module of one package.
pub(super) fn module(
    syntax: Syntax,
    messages: &[JsMessage<'_>],
    enums: &[&EnumDescriptorProto],
    template: &str,
) -> Result<String> {
    let mut js = format!(
        "// {}\n//\n// Made from xtask/src/codegen/typescript/codec.rs and {CODEC_JS}.\n",
        super::BUILT
    );
    if syntax == Syntax::CommonJs {
        js.push_str("\"use strict\";\n");
        // Node's own UTF-8 conversions are faster than TextDecoder's for
        // the short strings of a record; the wasm package, meant for
        // browsers, keeps to the web's.
        js.push_str(
            "\nconst utf8Slice = Buffer.prototype.utf8Slice;\nconst utf8Write = Buffer.prototype.utf8Write;\n\
             const base64Slice = Buffer.prototype.base64Slice;\n",
        );
    } else {
        js.push_str(
            "\nconst utf8Slice = null;\nconst utf8Write = null;\nconst base64Slice = null;\n",
        );
    }
    // The JSON name of each enum number.
    for e in enums {
        let names: Vec<String> = e
            .value
            .iter()
            .map(|v| format!("{}: '\"{}\"'", v.number(), v.name()))
            .collect();
        // Each name as a JSON string, quotes included.
        writeln!(js, "const {}$names = {{ {} }};", e.name(), names.join(", "))?;
        let numbers: Vec<String> = e
            .value
            .iter()
            .map(|v| format!("[\"{}\", {}]", v.name(), v.number()))
            .collect();
        writeln!(
            js,
            "const {}$byName = new Map([{}]);",
            e.name(),
            numbers.join(", ")
        )?;
    }
    for m in messages {
        write_encode(&mut js, m, messages)?;
        write_decode(&mut js, m)?;
        write_json(&mut js, m)?;
        write_wire_json(&mut js, m)?;
        write_from_json(&mut js, m)?;
    }
    js.push('\n');
    js.push_str(&with_tail_switch(super::strip_leading_comment(template))?);
    match syntax {
        Syntax::CommonJs => {
            js.push_str(
                "\nmodule.exports = { encodeEntry, decodeEntry, toJsonEntry, toJsonBytes, fromJsonEntry };\n",
            );
        }
        Syntax::Esm => {
            js.push_str(
                "\nexport { encodeEntry, decodeEntry, toJsonEntry, toJsonBytes, fromJsonEntry };\n",
            );
        }
    }
    Ok(js)
}

fn write_encode(js: &mut String, m: &JsMessage<'_>, messages: &[JsMessage<'_>]) -> Result<()> {
    let name = &m.ts_name;
    let names: Vec<String> = m
        .proto
        .field
        .iter()
        .map(|f| format!("\"{}\"", local_name(f)))
        .collect();
    writeln!(
        js,
        "\nconst {name}$fields = new Set([{}]);\nfunction {name}$encode(o) {{\n  let v;",
        names.join(", ")
    )?;
    for f in &m.proto.field {
        let k = kind(f);
        let number = u32::try_from(f.number())?;
        let key = number << 3 | wire_type(k);
        let prop = local_name(f);
        if !handled(f) {
            writeln!(
                js,
                "  if (o.{prop} !== undefined && o.{prop} !== null) bail();"
            )?;
            continue;
        }
        if k == Kind::Message || k == Kind::Timestamp {
            let t = target(f);
            if !messages.iter().any(|x| x.ts_name == t) {
                bail!("{name}.{}: no message {t}", f.name());
            }
        }
        if f.label() == Label::Repeated {
            writeln!(
                js,
                "  v = arrayOf(o.{prop});\n  if (v !== undefined) {{\n    for (let i = 0; i < v.length; i++) {{\n      const e = v[i];"
            )?;
            match k {
                Kind::String => writeln!(
                    js,
                    "      if (typeof e !== \"string\") bail();\n      {}",
                    write_string(key, "e")
                )?,
                Kind::Message => writeln!(
                    js,
                    "      wv({key});\n      const at = wbegin();\n      {}$encode(messageOf(e));\n      wend(at);",
                    target(f)
                )?,
                _ => bail!(
                    "{name}.{}: repeated fields of this type are not supported by the JavaScript codec",
                    f.name()
                ),
            }
            js.push_str("    }\n  }\n");
            continue;
        }
        if has_presence(f) {
            writeln!(
                js,
                "  v = o.{prop};\n  if (v !== undefined && v !== null) {{"
            )?;
            match k {
                Kind::Timestamp => writeln!(js, "    wtimestamp({key}, messageOf(v));")?,
                Kind::Message => writeln!(
                    js,
                    "    wv({key});\n    const at = wbegin();\n    {}$encode(messageOf(v));\n    wend(at);",
                    target(f)
                )?,
                Kind::Double => {
                    writeln!(js, "    v = doubleOf(v);\n    wv({key});\n    wdouble(v);")?;
                }
                Kind::Int32 => writeln!(js, "    v = int32Of(v);\n    wv({key});\n    wint32(v);")?,
                Kind::Int64 => writeln!(js, "    v = int64Of(v);\n    wv({key});\n    wint64(v);")?,
                Kind::String | Kind::Bytes | Kind::Other => {
                    bail!("{name}.{}: not handled by the JavaScript codec", f.name())
                }
            }
            js.push_str("  }\n");
            continue;
        }
        match k {
            Kind::String => writeln!(
                js,
                "  v = stringOf(o.{prop});\n  if (v.length !== 0) {{\n    {}\n  }}",
                write_string(key, "v")
            )?,
            Kind::Bytes => writeln!(
                js,
                "  v = bytesOf(o.{prop});\n  if (v.length !== 0) {{\n    wv({key});\n    wbytes(v);\n  }}"
            )?,
            Kind::Int32 => writeln!(
                js,
                "  v = int32Of(o.{prop});\n  if (v !== 0) {{\n    wv({key});\n    wint32(v);\n  }}"
            )?,
            Kind::Int64 => writeln!(
                js,
                "  v = int64Of(o.{prop});\n  if (v !== 0) {{\n    wv({key});\n    wint64(v);\n  }}"
            )?,
            Kind::Double | Kind::Message | Kind::Timestamp | Kind::Other => {
                bail!("{name}.{}: not handled by the JavaScript codec", f.name())
            }
        }
    }
    writeln!(js, "  checkKeys(o, {name}$fields);\n}}")?;
    Ok(())
}

/// The statement writing string `v` with its one- or two-byte key: one
/// call for both where the key takes one byte (every field below 16).
fn write_string(key: u32, v: &str) -> String {
    if key < 128 {
        format!("wkstring({key}, {v});")
    } else {
        format!("wv({key});\n    wstring({v});")
    }
}

fn write_decode(js: &mut String, m: &JsMessage<'_>) -> Result<()> {
    let name = &m.ts_name;
    let numbers: Vec<String> = m
        .proto
        .field
        .iter()
        .map(|f| f.number().to_string())
        .collect();
    writeln!(
        js,
        "\nconst {name}$numbers = new Set([{}]);\nfunction {name}$decode(end) {{",
        numbers.join(", ")
    )?;
    write_locals(js, m)?;
    write_wire_switch(js, m, |f, k| {
        Ok(match k {
            Kind::String => "rstring(end)".to_owned(),
            Kind::Bytes => "rbytes(end)".to_owned(),
            Kind::Int32 => "rint32(end)".to_owned(),
            Kind::Int64 => "rint64(end)".to_owned(),
            Kind::Double => "rdouble(end)".to_owned(),
            Kind::Message | Kind::Timestamp => format!("{}$decode(rend(end))", target(f)),
            Kind::Other => bail!("{name}.{}: not handled", f.name()),
        })
    })?;
    write_build(js, m)
}

/// The loop of `X$decode` and `X$wireJson`: each field of the wire read
/// into its local (`f0`, `f1`, ...) by the expression `read` gives for it,
/// the last occurrence of a scalar winning and a repeated field's values
/// pushed, as prost reads them. A second occurrence of a singular message
/// (which prost merges into the first), a field of the schema on the wire
/// under another wire type, or one the codec does not handle gives up.
fn write_wire_switch(
    js: &mut String,
    m: &JsMessage<'_>,
    read: impl Fn(&FieldDescriptorProto, Kind) -> Result<String>,
) -> Result<()> {
    let name = &m.ts_name;
    js.push_str("  while (P < end) {\n    const key = rkey(end);\n    switch (key) {\n");
    for (i, f) in m.proto.field.iter().enumerate() {
        let k = kind(f);
        if !handled(f) {
            continue;
        }
        let key = u32::try_from(f.number())? << 3 | wire_type(k);
        let read = read(f, k)?;
        writeln!(js, "      case {key}:")?;
        if f.label() == Label::Repeated {
            writeln!(js, "        f{i}.push({read});")?;
        } else if k == Kind::Message || k == Kind::Timestamp {
            // A second occurrence is merged into the first by prost: rare,
            // left to the native code.
            writeln!(
                js,
                "        if (f{i} !== undefined) bail();\n        f{i} = {read};"
            )?;
        } else {
            writeln!(js, "        f{i} = {read};")?;
        }
        js.push_str("        break;\n");
    }
    writeln!(
        js,
        "      default:\n        if ({name}$numbers.has(key >>> 3)) bail();\n        rskip(key, end);\n    }}\n  }}"
    )?;
    Ok(())
}

/// The start of `X$decode` and `X$fromJson`: one local per field, `f0`,
/// `f1`, ..., holding the value the field has when the input does not give
/// it (`undefined` for fields with presence and for `bytes`, whose empty
/// value is a new array made at the end).
fn write_locals(js: &mut String, m: &JsMessage<'_>) -> Result<()> {
    for (i, f) in m.proto.field.iter().enumerate() {
        let k = kind(f);
        let init = if f.label() == Label::Repeated {
            "[]"
        } else if has_presence(f) || k == Kind::Bytes {
            "undefined"
        } else if handled(f) {
            match k {
                Kind::String => "\"\"",
                Kind::Int32 => "0",
                Kind::Int64 => "0n",
                _ => "undefined",
            }
        } else {
            // Only ever its zero value: any occurrence on the wire gives up.
            super::js_zero(f)?
        };
        writeln!(js, "  let f{i} = {init};")?;
    }
    Ok(())
}

/// The end of `X$decode` and `X$fromJson`: the message object built from the
/// locals `f0`, `f1`, ... (one per field, in declaration order), in the shape
/// the native code builds: every field without presence, then those with it
/// that are set.
fn write_build(js: &mut String, m: &JsMessage<'_>) -> Result<()> {
    writeln!(js, "  const m = {{\n    $typeName: \"{}\",", m.full_name)?;
    let mut presence = Vec::new();
    for (i, f) in m.proto.field.iter().enumerate() {
        let prop = local_name(f);
        if has_presence(f) {
            presence.push((i, prop));
        } else if kind(f) == Kind::Bytes {
            writeln!(
                js,
                "    {prop}: f{i} === undefined ? new Uint8Array(0) : f{i},"
            )?;
        } else {
            writeln!(js, "    {prop}: f{i},")?;
        }
    }
    js.push_str("  };\n");
    for (i, prop) in presence {
        writeln!(js, "  if (f{i} !== undefined) m.{prop} = f{i};")?;
    }
    js.push_str("  return m;\n}\n");
    Ok(())
}

/// `X$json(o)`: the canonical JSON text of message object `o` (fields in
/// number order, defaults left out, 64-bit integers as strings, enums by
/// name), reading `o` as `X$encode` does. Written as text, member by member
/// (each with a leading comma, the first one dropped at the end), not as an
/// object handed to `JSON.stringify`: no object is built per message. Each
/// member is one concatenation of its constant prefix (`,"name":`) and its
/// value; a string goes between quotes as it is after one test for the
/// characters that need more care (`NEEDS_CARE`, in `CODEC_JS`).
fn write_json(js: &mut String, m: &JsMessage<'_>) -> Result<()> {
    let name = &m.ts_name;
    writeln!(
        js,
        "\nfunction {name}$json(o) {{\n  let t = \"\";\n  let v;"
    )?;
    for f in &m.proto.field {
        let k = kind(f);
        let prop = local_name(f);
        if !handled(f) {
            writeln!(
                js,
                "  if (o.{prop} !== undefined && o.{prop} !== null) bail();"
            )?;
            continue;
        }
        let json = json_name(f);
        // A field without presence has its value checked by its type's
        // `xOf` before the test for the default; a field with presence is
        // checked in its member.
        let presence = has_presence(f);
        let x = match k {
            Kind::Int32 if presence => "int32Of(v)",
            Kind::Int64 if presence => "int64Of(v)",
            _ => "v",
        };
        let value = match k {
            Kind::Bytes => "base64(v)".to_owned(),
            Kind::Double => "doubleJson(doubleOf(v))".to_owned(),
            Kind::Timestamp => "timestampJson(messageOf(v))".to_owned(),
            Kind::Message => format!("{}$json(messageOf(v))", target(f)),
            _ => x.to_owned(),
        };
        let member = json_member(f, &json, &value);
        if f.label() == Label::Repeated {
            let element = match k {
                Kind::String => "quote(typeof e === \"string\" ? e : bail())".to_owned(),
                Kind::Message => format!("{}$json(messageOf(e))", target(f)),
                _ => bail!("{name}.{}: not supported by the JavaScript codec", f.name()),
            };
            writeln!(
                js,
                "  v = arrayOf(o.{prop});\n  if (v !== undefined && v.length !== 0) {}",
                json_array(&json, &element)
            )?;
            continue;
        }
        if presence {
            writeln!(
                js,
                "  v = o.{prop};\n  if (v !== undefined && v !== null) {member}"
            )?;
            continue;
        }
        let test = match k {
            Kind::String => "  v = stringOf(o.{prop});\n  if (v.length !== 0)",
            Kind::Bytes => "  v = bytesOf(o.{prop});\n  if (v.length !== 0)",
            Kind::Int32 => "  v = int32Of(o.{prop});\n  if (v !== 0)",
            Kind::Int64 => "  v = int64Of(o.{prop});\n  if (v !== 0)",
            Kind::Double | Kind::Message | Kind::Timestamp | Kind::Other => {
                bail!("{name}.{}: not handled by the JavaScript codec", f.name())
            }
        };
        writeln!(js, "{} {member}", test.replace("{prop}", &prop))?;
    }
    writeln!(
        js,
        "  checkKeys(o, {name}$fields);\n  return t.length === 0 ? \"{{}}\" : `{{${{t.slice(1)}}}}`;\n}}"
    )?;
    Ok(())
}

/// A field's name in JSON.
fn json_name(f: &FieldDescriptorProto) -> String {
    if f.json_name().is_empty() {
        local_name(f)
    } else {
        f.json_name().to_owned()
    }
}

/// The statement adding singular field `f`'s member to `t`, for a value in
/// `v` that `value` turns into its JSON (a double, a message, a timestamp),
/// its base64 (bytes) or its checked value (an int32 or int64; for a
/// string, `v` itself).
fn json_member(f: &FieldDescriptorProto, json: &str, value: &str) -> String {
    match kind(f) {
        Kind::String => format!(
            "t += NEEDS_CARE.test(v) ? ',\"{json}\":' + quoteWithCare(v) : ',\"{json}\":\"' + v + '\"';"
        ),
        Kind::Bytes | Kind::Int64 => format!("t += ',\"{json}\":\"' + {value} + '\"';"),
        Kind::Int32 if f.r#type() == Type::Enum => {
            format!(
                "t += ',\"{json}\":' + enumJson({}$names, {value});",
                target(f)
            )
        }
        Kind::Int32 | Kind::Double | Kind::Message | Kind::Timestamp => {
            format!("t += ',\"{json}\":' + {value};")
        }
        Kind::Other => "bail();".to_owned(),
    }
}

/// The block adding a repeated field's member (an array of `element`, for
/// each value `e` of `v`) to `t`.
fn json_array(json: &str, element: &str) -> String {
    format!(
        "{{\n    t += ',\"{json}\":[';\n    for (let i = 0; i < v.length; i++) {{\n      \
         const e = v[i];\n      if (i !== 0) t += \",\";\n      t += {element};\n    }}\n    t += \"]\";\n  }}"
    )
}

/// `X$wireJson(end)`: the canonical JSON text of the encoded message that
/// ends at `end` (the reader's `B`, `P` of codec.js), written straight from
/// the wire as `X$json` writes the object `X$decode` would build, with no
/// object in between: each field read into a local as `X$decode` reads it
/// (a nested message as its text, `bytes` as their base64, an int64 as a
/// number while it is a safe integer), then the members written in the
/// same order, with the same defaults left out, as `X$json` writes them.
/// The values' types are the wire's, so none is checked again.
fn write_wire_json(js: &mut String, m: &JsMessage<'_>) -> Result<()> {
    let name = &m.ts_name;
    writeln!(js, "\nfunction {name}$wireJson(end) {{")?;
    for (i, f) in m.proto.field.iter().enumerate() {
        let init = if f.label() == Label::Repeated {
            "[]"
        } else if has_presence(f) {
            "undefined"
        } else {
            match kind(f) {
                Kind::String | Kind::Bytes => "\"\"",
                // Only ever zero for a field not handled: one on the wire gives up.
                _ => "0",
            }
        };
        writeln!(js, "  let f{i} = {init};")?;
    }
    write_wire_switch(js, m, |f, k| {
        Ok(match k {
            Kind::String => "rstring(end)".to_owned(),
            Kind::Bytes => "rbase64(end)".to_owned(),
            Kind::Int32 => "rint32(end)".to_owned(),
            Kind::Int64 => "rint64n(end)".to_owned(),
            Kind::Double => "rdouble(end)".to_owned(),
            Kind::Message | Kind::Timestamp => format!("{}$wireJson(rend(end))", target(f)),
            Kind::Other => bail!("{name}.{}: not handled", f.name()),
        })
    })?;
    if m.full_name == "google.protobuf.Timestamp" {
        let fields: Vec<&str> = m.proto.field.iter().map(|f| f.name()).collect();
        if fields != ["seconds", "nanos"] {
            bail!("google.protobuf.Timestamp: unexpected fields {fields:?}");
        }
        // RFC 3339 text, quotes included.
        js.push_str("  return timestampText(Number(f0), f1);\n}\n");
        return Ok(());
    }
    js.push_str("  let t = \"\";\n  let v;\n");
    for (i, f) in m.proto.field.iter().enumerate() {
        let k = kind(f);
        if !handled(f) {
            continue;
        }
        let json = json_name(f);
        if f.label() == Label::Repeated {
            let element = match k {
                Kind::String => "quote(e)".to_owned(),
                Kind::Message => "e".to_owned(),
                _ => bail!("{name}.{}: not supported by the JavaScript codec", f.name()),
            };
            writeln!(
                js,
                "  v = f{i};\n  if (v.length !== 0) {}",
                json_array(&json, &element)
            )?;
            continue;
        }
        let value = if k == Kind::Double {
            "doubleJson(v)"
        } else {
            "v"
        };
        let member = json_member(f, &json, value);
        let test = if has_presence(f) {
            "v !== undefined"
        } else if matches!(k, Kind::String | Kind::Bytes) {
            "v.length !== 0"
        } else {
            "v !== 0"
        };
        writeln!(js, "  v = f{i};\n  if ({test}) {member}")?;
    }
    js.push_str("  return t.length === 0 ? \"{}\" : `{${t.slice(1)}}`;\n}\n");
    Ok(())
}

/// `X$fromJson()`: reads the proto3 JSON object at the reader's position
/// (`S`, `I` of codec.js) into a message object built as `X$decode` builds
/// it. Keys are looked up under both spellings of a field (its JSON name and
/// its proto name), each field at most once: a second key naming it gives
/// up, for the native reader to refuse. `null` leaves a field unset.
fn write_from_json(js: &mut String, m: &JsMessage<'_>) -> Result<()> {
    let name = &m.ts_name;
    if m.full_name == "google.protobuf.Timestamp" {
        let fields: Vec<&str> = m.proto.field.iter().map(|f| f.name()).collect();
        if fields != ["seconds", "nanos"] {
            bail!("google.protobuf.Timestamp: unexpected fields {fields:?}");
        }
        // A JSON string (RFC 3339), read by jtimestamp.
        writeln!(
            js,
            "\nfunction {name}$fromJson() {{\n  jtimestamp();\n  const f0 = BigInt(TS_SECONDS);\n  const f1 = TS_NANOS;"
        )?;
        write_build(js, m)?;
        return Ok(());
    }
    let mut keys = Vec::new();
    for (i, f) in m.proto.field.iter().enumerate() {
        let json = json_name(f);
        keys.push(format!("[\"{json}\", {i}]"));
        if f.name() != json {
            keys.push(format!("[\"{}\", {i}]", f.name()));
        }
    }
    writeln!(
        js,
        "\nconst {name}$keys = new Map([{}]);\nfunction {name}$fromJson() {{",
        keys.join(", ")
    )?;
    write_locals(js, m)?;
    let words = m.proto.field.len().div_ceil(32);
    for w in 0..words {
        writeln!(js, "  let seen{w} = 0;")?;
    }
    writeln!(
        js,
        "  jopen(123);\n  if (jmore(125, true)) {{\n    do {{\n      switch (jkey({name}$keys)) {{"
    )?;
    for (i, f) in m.proto.field.iter().enumerate() {
        let k = kind(f);
        let (w, bit) = (i / 32, 1u32 << (i % 32));
        let bit = if bit == 1 << 31 {
            "-2147483648".to_owned()
        } else {
            bit.to_string()
        };
        writeln!(
            js,
            "        case {i}:\n          if (seen{w} & {bit}) bail();\n          seen{w} |= {bit};\n          if (jnull()) break;"
        )?;
        let read = match k {
            _ if !handled(f) => "bail()".to_owned(),
            Kind::String => "jstr()".to_owned(),
            Kind::Bytes => "jbytes()".to_owned(),
            Kind::Int32 if f.r#type() == Type::Enum => format!("jenum({}$byName)", target(f)),
            Kind::Int32 => "jint32()".to_owned(),
            Kind::Int64 => "jint64()".to_owned(),
            Kind::Double => "jdouble()".to_owned(),
            Kind::Message | Kind::Timestamp => format!("{}$fromJson()", target(f)),
            Kind::Other => "bail()".to_owned(),
        };
        if f.label() == Label::Repeated && handled(f) {
            writeln!(
                js,
                "          jopen(91);\n          if (jmore(93, true)) {{\n            do f{i}.push({read});\n            while (jmore(93, false));\n          }}"
            )?;
        } else if handled(f) {
            writeln!(js, "          f{i} = {read};")?;
        } else {
            writeln!(js, "          {read};")?;
        }
        js.push_str("          break;\n");
    }
    js.push_str("      }\n    } while (jmore(125, false));\n  }\n");
    write_build(js, m)
}

/// Where the hand-written half wants [`tail_switch`].
const TAIL_SWITCH: &str = "    // @tail-switch\n";

/// `template` with its `@tail-switch` line replaced by [`tail_switch`].
fn with_tail_switch(template: &str) -> Result<String> {
    let Some(at) = template.find(TAIL_SWITCH) else {
        bail!("{CODEC_JS} has no `@tail-switch` line for the generated switch");
    };
    let (before, after) = template.split_at(at);
    Ok(format!(
        "{before}{}{}",
        tail_switch(),
        after.get(TAIL_SWITCH.len()..).unwrap_or_default()
    ))
}

/// The end of `rstring` in `CODEC_JS`: the last 0 to 15 bytes `b[i..stop]`
/// of a string, all ASCII, added to `s` in one `String.fromCharCode` call
/// spelt out for each count, or the whole of `start..stop` read as UTF-8.
fn tail_switch() -> String {
    let mut js = String::from("    switch (stop - i) {\n      case 0:\n        return s;\n");
    for n in 1..=15 {
        let names: Vec<String> = (1..=n).map(|k| format!("c{k}")).collect();
        if n < 15 {
            let _ = writeln!(js, "      case {n}: {{");
        } else {
            js.push_str("      default: {\n        // 15.\n");
        }
        for (k, name) in names.iter().enumerate() {
            let at = if k == 0 {
                "i".to_owned()
            } else {
                format!("i + {k}")
            };
            let _ = writeln!(js, "        const {name} = b[{at}];");
        }
        let any = names.join(" | ");
        let test = if n == 1 { any } else { format!("({any})") };
        let _ = writeln!(js, "        if ({test} & 0x80) return rutf8(start, stop);");
        let _ = writeln!(
            js,
            "        return s + String.fromCharCode({});\n      }}",
            names.join(", ")
        );
    }
    js.push_str("    }\n");
    js
}
