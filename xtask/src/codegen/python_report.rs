//! `bindings/python/src/generated_report.rs`: the Python classes of the
//! objects a validation reports (`Violation`, `Finding`: the messages of
//! report.proto that a `ValidationReport` lists), each a frozen pyo3 class
//! over the schema's prost message with one read-only property per field,
//! documented by the field's comment in report.proto, and a `repr` naming
//! every field. So the Python objects, the JavaScript objects
//! (`typescript/report.rs`) and `complog --format json` share report.proto
//! as their one definition.
//!
//! `ValidationReport` itself stays written by hand in
//! bindings/python/src/validation.rs: its `error` holds the exception the
//! entry raised (not an `EntryError`), and a clean report is one shared
//! object. Methods beyond the fields (`Violation.__str__`) are added there
//! in a second `#[pymethods]` block.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use heck::ToSnakeCase;
use prost_types::field_descriptor_proto::{Label, Type};

use super::schema::Schema;
use super::typescript::{Docs, report};
use super::{GeneratedFile, HEADER};

pub(crate) const PATH: &str = "bindings/python/src/generated_report.rs";

pub(crate) fn file(schema: &Schema) -> Result<GeneratedFile> {
    let source = schema
        .own_files()
        .find(|f| f.name() == report::FILE)
        .context("report.proto is not in proto/")?;
    let mut out = format!(
        "// {HEADER}\n//\n// The Python classes of the objects of a validation, from report.proto;\n\
         // see xtask/src/codegen/python_report.rs.\n\n\
         use lokryn_compliance_log::v1;\nuse pyo3::prelude::*;\nuse pyo3::types::{{PyString, PyTuple}};\n"
    );
    out.push('\n');
    // The root (ValidationReport) is written by hand; its lists' messages here.
    for m in report::messages(schema)?.into_iter().skip(1) {
        let index = source
            .message_type
            .iter()
            .position(|x| x.name() == m.name())
            .context("a report message outside report.proto")?;
        let docs = Docs::of(source, 4, index);
        let name = m.name();
        write_doc(&mut out, "", &docs.own);
        writeln!(
            out,
            "#[pyclass(module = \"lokryn_compliance_log\", frozen, eq)]\n\
             #[derive(Debug, Clone, PartialEq)]\n\
             pub(crate) struct {name}(pub(crate) v1::{name});\n\n#[pymethods]\nimpl {name} {{"
        )?;
        let mut repr_parts = Vec::new();
        for (i, f) in m.field.iter().enumerate() {
            let field = f.name().to_snake_case();
            write_doc(&mut out, "    ", docs.member(i));
            let getter = match (f.label() == Label::Repeated, f.r#type()) {
                (false, Type::String) => {
                    repr_parts.push((field.clone(), "str"));
                    format!("fn {field}(&self) -> &str {{\n        &self.0.{field}\n    }}")
                }
                (false, Type::Bool) => {
                    repr_parts.push((field.clone(), "bool"));
                    format!("fn {field}(&self) -> bool {{\n        self.0.{field}\n    }}")
                }
                (false, Type::Uint32) => {
                    repr_parts.push((field.clone(), "int"));
                    format!("fn {field}(&self) -> u32 {{\n        self.0.{field}\n    }}")
                }
                (true, Type::String) => {
                    repr_parts.push((field.clone(), "tuple"));
                    format!(
                        "fn {field}<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {{\n        \
                         PyTuple::new(py, &self.0.{field})\n    }}"
                    )
                }
                (_, other) => bail!(
                    "{name}.{}: {other:?} fields are not supported in Python report objects yet \
                     (xtask/src/codegen/python_report.rs)",
                    f.name()
                ),
            };
            writeln!(out, "    #[getter]\n    {getter}\n")?;
        }
        // repr: Name(field='…', start=3, clauses=('…',))
        let pattern: Vec<String> = repr_parts
            .iter()
            .map(|(f, _)| format!("{f}={{}}"))
            .collect();
        writeln!(
            out,
            "    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {{\n        \
             Ok(format!(\n            \"{name}({})\",",
            pattern.join(", ")
        )?;
        for (field, kind) in &repr_parts {
            let value = match *kind {
                "str" => format!("PyString::new(py, &self.0.{field}).repr()?"),
                "bool" => format!("if self.0.{field} {{ \"True\" }} else {{ \"False\" }}"),
                "int" => format!("self.0.{field}"),
                _ => format!("PyTuple::new(py, &self.0.{field})?.repr()?"),
            };
            writeln!(out, "            {value},")?;
        }
        writeln!(
            out,
            "        ))\n    }}\n}}\n\n\
             impl From<v1::{name}> for {name} {{\n    fn from(m: v1::{name}) -> Self {{\n        Self(m)\n    }}\n}}\n"
        )?;
    }
    Ok(GeneratedFile::new(PATH, out))
}

fn write_doc(out: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(indent);
            out.push_str("///\n");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}
