//! The numbers of the value tapes shared by `bindings/js/src/tape.rs` (Rust)
//! and `bindings/wasm/tape.js` (JavaScript): the tag of each value and the
//! code of each factory an output tape calls. Both sides are written here
//! from one table, so that they cannot disagree.
//!
//! Also the input tape writer both npm packages share ([`writer_module`]):
//! `bindings/js/tape_writer.js`, copied into each package by the npm build
//! with the imports and exports of its module syntax.

use std::fmt::Write as _;

use anyhow::Result;

use crate::codegen::{GeneratedFile, HEADER};

/// One tag: its Rust name (the JavaScript one is `T_` and the same), its
/// number, and what it stands for on an input tape and on an output tape
/// (empty where that tape does not use it).
struct Tag {
    name: &'static str,
    value: u8,
    doc: &'static str,
    input: &'static str,
    output: &'static str,
}

const TAGS: &[Tag] = &[
    Tag {
        name: "UNDEFINED",
        value: 0,
        doc: "`undefined`.",
        input: "`undefined`",
        output: "`undefined`",
    },
    Tag {
        name: "NULL",
        value: 1,
        doc: "`null`.",
        input: "`null`",
        output: "",
    },
    Tag {
        name: "FALSE",
        value: 2,
        doc: "`false`.",
        input: "`false`",
        output: "`false`",
    },
    Tag {
        name: "TRUE",
        value: 3,
        doc: "`true`.",
        input: "`true`",
        output: "`true`",
    },
    Tag {
        name: "NUMBER",
        value: 4,
        doc: "A number.",
        input: "a number: f64",
        output: "a number: f64",
    },
    Tag {
        name: "BIGINT",
        value: 5,
        doc: "A bigint in the range of `i64`.",
        input: "a bigint in the range of i64: i64",
        output: "a bigint: i64",
    },
    Tag {
        name: "BIGINT_OUT_OF_RANGE",
        value: 6,
        doc: "A bigint outside the range of `i64`.",
        input: "a bigint outside that range",
        output: "",
    },
    Tag {
        name: "STRING",
        value: 7,
        doc: "A string.",
        input: "a string: u32 byte length, UTF-8",
        output: "a string: u32 length in UTF-16 units (its text is in the string section)",
    },
    Tag {
        name: "SYMBOL",
        value: 8,
        doc: "A symbol.",
        input: "a symbol",
        output: "",
    },
    Tag {
        name: "FUNCTION",
        value: 9,
        doc: "A function.",
        input: "a function",
        output: "",
    },
    Tag {
        name: "BYTES",
        value: 10,
        doc: "A `Uint8Array`.",
        input: "a `Uint8Array`: u32 length, bytes",
        output: "a `Uint8Array`: u32 length, bytes",
    },
    Tag {
        name: "ARRAY",
        value: 11,
        doc: "An `Array`.",
        input: "an `Array`: u32 length, its elements",
        output: "an `Array` of the last u32 values",
    },
    Tag {
        name: "DATE",
        value: 12,
        doc: "A `Date`.",
        input: "a `Date`: f64 milliseconds",
        output: "",
    },
    Tag {
        name: "OBJECT",
        value: 13,
        doc: "Any other object.",
        input: "any other object (never read further)",
        output: "",
    },
    Tag {
        name: "MESSAGE",
        value: 14,
        doc: "A message object, as its reader's values.",
        input: "a message object: u32 count, its reader's values",
        output: "",
    },
    Tag {
        name: "BUILD",
        value: 15,
        doc: "A factory call (output tapes).",
        input: "",
        output: "a factory call: u8 factory code (see [`factory`]), u8 [`Message`] index, \
                 u32 argument count",
    },
];

/// The code of each factory on an output tape: the Rust [`Factory`]
/// variant, the JavaScript factory it calls (`messageFactories[m]` for
/// messages, else a property of the runtime's `factories`).
const FACTORIES: &[(&str, u8, &str)] = &[
    ("Message", 0, ""),
    ("Violation", 1, "violation"),
    ("Report", 2, "report"),
    ("Finding", 3, "finding"),
    ("Redaction", 4, "redaction"),
    ("Error", 5, "error"),
    ("ProofCheck", 6, "proofCheck"),
];

const RUST_FILE: &str = "bindings/js/src/tape_tags.rs";
const JS_FILE: &str = "bindings/wasm/tape_tags.js";
/// The Node package's copy (CommonJS), for its input tapes (`tape.cjs`).
const NODE_FILE: &str = "bindings/node/tape_tags.cjs";

pub(crate) fn files() -> Result<Vec<GeneratedFile>> {
    Ok(vec![
        GeneratedFile::new(RUST_FILE, rust()?),
        GeneratedFile::new(JS_FILE, js(false)?),
        GeneratedFile::new(NODE_FILE, js(true)?),
    ])
}

fn rust() -> Result<String> {
    let mut out = format!(
        "// {HEADER}\n//\n// The numbers of the value tapes, written with {JS_FILE} from one table\n\
         // (xtask/src/codegen/typescript/tape.rs). Included by tape.rs.\n\n"
    );
    out.push_str(
        "/// The tags of both tapes:\n///\n/// | tag | input tape | output tape |\n/// |---:|---|---|\n",
    );
    for t in TAGS {
        writeln!(out, "/// | {} | {} | {} |", t.value, t.input, t.output)?;
    }
    out.push_str("pub mod tag {\n");
    for t in TAGS {
        writeln!(
            out,
            "    /// {}\n    pub const {}: u8 = {};",
            t.doc, t.name, t.value
        )?;
    }
    out.push_str("}\n\n/// The code of each [`Factory`] on an output tape.\npub mod factory {\n");
    for (variant, code, _) in FACTORIES {
        writeln!(
            out,
            "    /// [`Factory::{variant}`](crate::Factory::{variant}).\n    pub const {}: u8 = {code};",
            variant.to_uppercase()
        )?;
    }
    out.push_str("}\n");
    Ok(out)
}

/// The JavaScript module, ES (`export const`) or CommonJS.
fn js(common_js: bool) -> Result<String> {
    let mut out = format!(
        "// {HEADER}\n//\n// The numbers of the value tapes, written with {RUST_FILE} from one table\n\
         // (xtask/src/codegen/typescript/tape.rs); the format is described there.\n\n"
    );
    let export = if common_js {
        "exports."
    } else {
        "export const "
    };
    if common_js {
        out.push_str("\"use strict\";\n\n");
    }
    for t in TAGS {
        writeln!(out, "{export}T_{} = {};", t.name, t.value)?;
    }
    out.push_str(
        "\n// The factory each code of a T_BUILD calls, by name in the runtime's\n\
         // `factories` (null: the message's own, `messageFactories[m]`).\n",
    );
    let names: Vec<String> = FACTORIES
        .iter()
        .map(|(_, _, js)| {
            if js.is_empty() {
                "null".to_owned()
            } else {
                format!("\"{js}\"")
            }
        })
        .collect();
    writeln!(out, "{export}FACTORIES = [{}];", names.join(", "))?;
    Ok(out)
}

/// The hand-written tape writer both packages share.
pub(super) const WRITER_JS: &str = "bindings/js/tape_writer.js";

/// What [`WRITER_JS`] uses of the runtime module.
const WRITER_RUNTIME_IMPORTS: &[&str] = &[
    "factories",
    "messageFactories",
    "messageReaders",
    "messageShapes",
];

/// The module a package gets from [`WRITER_JS`] (`template`, its text):
/// `tape_writer.cjs` (CommonJS) or `tape_writer.js` (ES), importing the
/// runtime's factories and readers and every tag, with `PACKAGE` (the
/// package's name, for its errors) and exporting each top-level `class`,
/// `function` and `const` of the template. Built with the runtime, not
/// committed.
pub(super) fn writer_module(
    syntax: super::Syntax,
    package: &str,
    template: &str,
) -> Result<(&'static str, String)> {
    let mut out = format!(
        "// {}\n//\n// Made from xtask/src/codegen/typescript/tape.rs and {WRITER_JS}.\n",
        super::BUILT
    );
    let mut tags: Vec<String> = TAGS.iter().map(|t| format!("T_{}", t.name)).collect();
    tags.push("FACTORIES".to_owned());
    let (runtime, tags_module, name) = match syntax {
        super::Syntax::CommonJs => ("./runtime.cjs", "./tape_tags.cjs", "tape_writer.cjs"),
        super::Syntax::Esm => ("./runtime.js", "./tape_tags.js", "tape_writer.js"),
    };
    let imports = [
        (runtime, WRITER_RUNTIME_IMPORTS.join(", ")),
        (tags_module, tags.join(", ")),
    ];
    match syntax {
        super::Syntax::CommonJs => {
            out.push_str("\"use strict\";\n\n");
            for (module, names) in &imports {
                writeln!(out, "const {{ {names} }} = require(\"{module}\");")?;
            }
        }
        super::Syntax::Esm => {
            out.push('\n');
            for (module, names) in &imports {
                writeln!(out, "import {{ {names} }} from \"{module}\";")?;
            }
        }
    }
    writeln!(out, "\nconst PACKAGE = \"{package}\";\n")?;
    out.push_str(super::strip_leading_comment(template));
    let exports = super::top_level_names(template);
    match syntax {
        super::Syntax::CommonJs => {
            writeln!(out, "\nmodule.exports = {{ {} }};", exports.join(", "))?;
        }
        super::Syntax::Esm => writeln!(out, "\nexport {{ {} }};", exports.join(", "))?,
    }
    Ok((name, out))
}

#[cfg(test)]
mod tests {
    use super::{FACTORIES, TAGS};

    #[test]
    fn numbers_are_their_positions() {
        // The JavaScript side indexes FACTORY_CODES by code.
        for (i, (_, code, _)) in FACTORIES.iter().enumerate() {
            assert_eq!(usize::from(*code), i);
        }
        for (i, t) in TAGS.iter().enumerate() {
            assert_eq!(usize::from(t.value), i);
        }
    }
}
