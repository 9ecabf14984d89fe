//! docs/schema.md: the schema reference, written from the doc comments in
//! `proto/` so the reference and the schema cannot disagree.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::Result;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{FieldDescriptorProto, FileDescriptorProto};

use super::schema::{PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let mut md = format!(
        "<!-- {HEADER} -->\n\n# Schema reference: `{PACKAGE}`\n\n\
         Written from the doc comments in `proto/`. The rules for changing the schema are in\n\
         [compatibility.md](compatibility.md). JSON names are those of the canonical proto3 JSON\n\
         mapping, which every package of this project reads and writes.\n"
    );
    for file in schema.own_files() {
        let comments = Comments::of(file);
        writeln!(md, "\n## File `{}`\n", file.name())?;
        writeln!(md, "### Messages\n")?;
        for (i, message) in file.message_type.iter().enumerate() {
            let path = [4, i32::try_from(i)?];
            writeln!(md, "#### `{}`\n\n{}\n", message.name(), comments.get(&path))?;
            writeln!(
                md,
                "| # | Field | Type | JSON | Description |\n|---|---|---|---|---|"
            )?;
            for (j, field) in message.field.iter().enumerate() {
                let fpath = [4, i32::try_from(i)?, 2, i32::try_from(j)?];
                writeln!(
                    md,
                    "| {} | `{}` | {} | `{}` | {} |",
                    field.number(),
                    field.name(),
                    type_label(field),
                    field.json_name(),
                    cell(&comments.get(&fpath)),
                )?;
            }
            md.push('\n');
        }
        writeln!(md, "### Enums\n")?;
        for (k, e) in file.enum_type.iter().enumerate() {
            let path = [5, i32::try_from(k)?];
            writeln!(md, "#### `{}`\n\n{}\n", e.name(), comments.get(&path))?;
            writeln!(md, "| Value | Name | Description |\n|---|---|---|")?;
            for (v, value) in e.value.iter().enumerate() {
                let vpath = [5, i32::try_from(k)?, 2, i32::try_from(v)?];
                writeln!(
                    md,
                    "| {} | `{}` | {} |",
                    value.number(),
                    value.name(),
                    cell(&comments.get(&vpath))
                )?;
            }
            for range in &e.reserved_range {
                writeln!(
                    md,
                    "| {}-{} | *reserved* | Never to be used; see the comment in the proto. |",
                    range.start(),
                    range.end()
                )?;
            }
            md.push('\n');
        }
    }
    Ok(vec![GeneratedFile::new(
        "docs/schema.md",
        md.trim_end().to_owned() + "\n",
    )])
}

fn type_label(field: &FieldDescriptorProto) -> String {
    let base = match field.r#type() {
        Type::Message | Type::Enum => {
            let name = field.type_name().trim_start_matches('.');
            let short = name.strip_prefix(&format!("{PACKAGE}.")).unwrap_or(name);
            format!("`{short}`")
        }
        other => format!(
            "`{}`",
            other
                .as_str_name()
                .trim_start_matches("TYPE_")
                .to_lowercase()
        ),
    };
    if field.label() == Label::Repeated {
        format!("repeated {base}")
    } else if field.proto3_optional() {
        format!("optional {base}")
    } else {
        base
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The leading comments of a file's declarations, by source-info path.
pub(super) struct Comments(HashMap<Vec<i32>, String>);

impl Comments {
    pub(super) fn of(file: &FileDescriptorProto) -> Self {
        let mut map = HashMap::new();
        if let Some(info) = &file.source_code_info {
            for loc in &info.location {
                if let Some(text) = &loc.leading_comments {
                    let paragraph = text
                        .lines()
                        .map(str::trim)
                        .collect::<Vec<_>>()
                        .join("\n")
                        .trim()
                        .to_owned();
                    map.insert(loc.path.clone(), paragraph);
                }
            }
        }
        Self(map)
    }

    pub(super) fn get(&self, path: &[i32]) -> String {
        self.0.get(path).cloned().unwrap_or_default()
    }
}
