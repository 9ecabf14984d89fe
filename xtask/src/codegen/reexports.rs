//! The names the packages export at their top level, from the schema: every
//! message and enum a record can hold (those reachable from `LogEntry`; see
//! [`record_types`]). A new enum added to the schema is exported by every
//! package without a hand edit:
//!
//! * `crates/lokryn-compliance-log/src/generated/exports.rs`: the core's
//!   `pub use v1::{…}` of the messages and enums, included by its lib.rs;
//! * `bindings/node/enums.cjs` and `bindings/wasm/enums.js`: the enum objects
//!   of the package's runtime module (built by the npm build, see
//!   [`super::typescript`]), which the entry points (`bindings/node/index.js`,
//!   `bindings/wasm/lib.js`) re-export after their functions, in declaration
//!   order.
//!
//! Python needs nothing more: `lokryn_compliance_log.v1` (see
//! [`super::python`]) lists every class and enum, and the package re-exports
//! all of it.

use anyhow::Result;
use heck::ToUpperCamelCase;

use super::schema::{CORE_GENERATED, PACKAGE, Schema};
use super::typescript::record_types;
use super::{GeneratedFile, HEADER};

/// The Node package's list of enums (CommonJS, next to `runtime.cjs`).
pub(crate) const NODE_FILE: &str = "bindings/node/enums.cjs";
/// The wasm package's list of enums (an ES module, next to `runtime.js`).
pub(crate) const WASM_FILE: &str = "bindings/wasm/enums.js";

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let record = record_types(schema);
    let in_record = |name: &str| record.contains(&format!(".{PACKAGE}.{name}"));
    let mut messages = Vec::new();
    let mut enums = Vec::new();
    for file in schema.own_files() {
        messages.extend(
            file.message_type
                .iter()
                .map(|m| m.name())
                .filter(|n| in_record(n)),
        );
        enums.extend(
            file.enum_type
                .iter()
                .map(|e| e.name())
                .filter(|n| in_record(n)),
        );
    }
    Ok(vec![
        GeneratedFile::new(
            format!("{CORE_GENERATED}/exports.rs"),
            rust(&messages, &enums),
        ),
        GeneratedFile::new(NODE_FILE, node(&enums)),
        GeneratedFile::new(WASM_FILE, wasm(&enums)),
    ])
}

/// The core's re-exports, by their prost names, sorted as rustfmt sorts them.
fn rust(messages: &[&str], enums: &[&str]) -> String {
    let mut names: Vec<String> = messages
        .iter()
        .chain(enums)
        .map(|n| n.to_upper_camel_case())
        .collect();
    names.sort();
    format!(
        "// {HEADER}\n//\n// The messages and enums a record holds, re-exported at the crate root\n\
         // (xtask/src/codegen/reexports.rs); included by lib.rs.\n\n\
         pub use v1::{{{}}};\n",
        names.join(", ")
    )
}

fn node(enums: &[&str]) -> String {
    let mut out = format!(
        "// {HEADER}\n//\n// The schema's enums that a record holds, from the runtime module\n\
         // (xtask/src/codegen/reexports.rs); index.js re-exports them.\n\
         \"use strict\";\n\nconst runtime = require(\"./runtime.cjs\");\n\n"
    );
    for name in enums {
        out.push_str(&format!("exports.{name} = runtime.{name};\n"));
    }
    out
}

fn wasm(enums: &[&str]) -> String {
    let mut out = format!(
        "// {HEADER}\n//\n// The schema's enums that a record holds, from the runtime module\n\
         // (xtask/src/codegen/reexports.rs); lib.js re-exports them.\n\nexport {{\n"
    );
    for name in enums {
        out.push_str(&format!("  {name},\n"));
    }
    out.push_str("} from \"./runtime.js\";\n");
    out
}
