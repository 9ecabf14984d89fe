//! docs/rules.md: the validation rules and profiles, written from the custom
//! options of `proto/` (rules.proto) so the table and the engine, which
//! reads the same options, cannot disagree.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, Value};

use super::schema::{PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

/// One row: a rule id on a field, with its level in each profile.
#[derive(Default)]
struct Row {
    levels: [Option<Level>; 4],
    clauses: Vec<String>,
    what: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Warning,
    Error,
}

impl Level {
    fn of(message: &DynamicMessage) -> Self {
        // RULE_LEVEL_WARNING = 2; unspecified and ERROR are errors.
        if enum_field(message, "level") == 2 {
            Self::Warning
        } else {
            Self::Error
        }
    }
}

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let pool = &schema.pool;
    let field_ext = pool
        .get_extension_by_name(&format!("{PACKAGE}.rules"))
        .context("rules.proto defines no `rules` extension")?;
    let message_ext = pool
        .get_extension_by_name(&format!("{PACKAGE}.message_rules"))
        .context("rules.proto defines no `message_rules` extension")?;
    let root = pool
        .get_message_by_name(&format!("{PACKAGE}.LogEntry"))
        .context("no LogEntry")?;

    // (path, rule id) -> row, in the order met.
    let mut rows: Vec<((String, String), Row)> = Vec::new();
    let mut scanned: Vec<(String, Vec<String>)> = Vec::new();
    walk(
        &root,
        "",
        &field_ext,
        &mut rows,
        &mut scanned,
        &mut Vec::new(),
    )?;

    let message_rules = root.options();
    let mut cross = Vec::new();
    let mut sensitive = Vec::new();
    if let Some(Value::Message(rules)) = message_rules
        .has_extension(&message_ext)
        .then(|| message_rules.get_extension(&message_ext).into_owned())
    {
        for rule in messages(&rules, "cross_field") {
            let id = string_field(&rule, "id");
            let mut row = Row::default();
            set_levels(&mut row, &rule, Level::of(&rule))?;
            row.clauses = strings(&rule, "clauses");
            let require: Vec<String> = strings(&rule, "require_any")
                .iter()
                .map(|f| json_path(&root, f))
                .collect::<Result<_>>()?;
            let when = string_field(&rule, "when_field");
            let condition = if when.is_empty() {
                String::new()
            } else {
                let values = ints(&rule, "when_enum_in");
                let field = root
                    .get_field_by_name(&when)
                    .with_context(|| format!("cross-field rule {id}: no field {when}"))?;
                if values.is_empty() {
                    format!("When `{}` is set: ", field.json_name())
                } else {
                    let Kind::Enum(e) = field.kind() else {
                        bail!("cross-field rule {id}: {when} is not an enum");
                    };
                    let names: Vec<String> = values
                        .iter()
                        .map(|v| {
                            e.get_value(*v)
                                .map(|v| format!("`{}`", v.name()))
                                .with_context(|| format!("rule {id}: {when} has no value {v}"))
                        })
                        .collect::<Result<_>>()?;
                    format!("When `{}` is {}: ", field.json_name(), names.join(" or "))
                }
            };
            let one_of = if require.len() == 1 {
                format!("`{}` must be set", require.join(""))
            } else {
                format!(
                    "at least one of {} must be set",
                    require
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            row.what = format!("{condition}{one_of} ({}).", string_field(&rule, "why"));
            let field = if require.len() == 1 {
                format!("`{}`", require.concat())
            } else {
                "(entry)".to_owned()
            };
            cross.push((field, id, row));
        }
        let kinds = pool
            .get_enum_by_name(&format!("{PACKAGE}.SensitiveDataKind"))
            .context("no SensitiveDataKind")?;
        for rule in messages(&rules, "sensitive_data") {
            for kind in ints(&rule, "kinds") {
                let name = kinds
                    .get_value(kind)
                    .with_context(|| format!("no SensitiveDataKind {kind}"))?
                    .name()
                    .trim_start_matches("SENSITIVE_DATA_KIND_")
                    .to_lowercase();
                let id = format!("sensitive.{name}");
                let mut row = Row::default();
                set_levels(&mut row, &rule, Level::of(&rule))?;
                row.clauses = strings(&rule, "clauses");
                row.what = format!("Found in a searched field: {}.", string_field(&rule, "why"));
                sensitive.push((id, row));
            }
        }
    }

    let mut md = format!(
        "<!-- {HEADER} -->\n\n# Validation rules and profiles\n\n\
         Written from the rules declared in `proto/` (custom options of\n\
         `lokryn/compliancelog/v1/rules.proto`), which the validation engine reads at run time: this\n\
         table is what every binding enforces. How the engine works, what the detectors look for and\n\
         how redaction behaves are in [validation.md](validation.md).\n\n\
         `baseline` always applies; `soc2`, `hipaa` and `pci` add rules or make a baseline rule\n\
         stricter, and combine (`--profile soc2 --profile pci`). A cell gives the level of the rule\n\
         under that profile: **error** (the record is not fit for an audit trail), *warning*, or\n\
         blank (not checked). Field paths are JSON names; `[]` marks every item of a list.\n"
    );
    md.push_str("\n## Field rules\n\n");
    table_header(&mut md, "Field");
    for ((path, id), row) in &rows {
        table_row(&mut md, &format!("`{path}`"), id, row);
    }
    md.push_str("\n## Cross-field rules\n\n");
    table_header(&mut md, "Fields");
    for (field, id, row) in &cross {
        table_row(&mut md, field, id, row);
    }
    md.push_str(
        "\n## Sensitive data\n\n\
         The detectors run only when a selected profile has a rule for what they find. A finding in a\n\
         searched field is a violation at the finding's path (`payload.user.email`, `policyTags[2]`)\n\
         with rule id `sensitive.<kind>`; the message gives the byte span, never the value.\n\n",
    );
    table_header(&mut md, "Fields");
    for (id, row) in &sensitive {
        table_row(&mut md, "searched fields", id, row);
    }
    md.push_str(
        "\nSo each profile reports these kinds (all of them are found by `find_sensitive`):\n\n",
    );
    for (i, profile) in ["baseline", "soc2", "hipaa", "pci"].iter().enumerate() {
        let kinds: Vec<String> = sensitive
            .iter()
            .filter(|(_, row)| row.levels.get(i).copied().flatten().is_some())
            .map(|(id, _)| format!("`{}`", id.trim_start_matches("sensitive.")))
            .collect();
        if kinds.is_empty() {
            writeln!(md, "- `{profile}`: none (it does not scan)")?;
        } else {
            writeln!(md, "- `{profile}`: {}", kinds.join(", "))?;
        }
    }
    md.push_str("\nSearched fields, and the kinds each expects (not reported there):\n\n");
    for (path, allow) in &scanned {
        if allow.is_empty() {
            writeln!(md, "- `{path}`")?;
        } else {
            writeln!(md, "- `{path}` (expects: {})", allow.join(", "))?;
        }
    }
    Ok(vec![GeneratedFile::new("docs/rules.md", md)])
}

fn table_header(md: &mut String, first: &str) {
    md.push_str(&format!(
        "| {first} | Rule id | baseline | soc2 | hipaa | pci | Clauses | Rule |\n\
         |---|---|---|---|---|---|---|---|\n"
    ));
}

fn table_row(md: &mut String, field: &str, id: &str, row: &Row) {
    let levels: Vec<&str> = row
        .levels
        .iter()
        .map(|l| match l {
            Some(Level::Error) => "**error**",
            Some(Level::Warning) => "*warning*",
            None => "",
        })
        .collect();
    md.push_str(&format!(
        "| {field} | `{id}` | {} | {} | {} |\n",
        levels.join(" | "),
        row.clauses.join("; "),
        row.what.replace('|', "\\|"),
    ));
}

/// Applies a rule's level to the profiles it belongs to. Baseline rules
/// apply under every profile; a stricter level wins.
fn set_levels(row: &mut Row, rule: &DynamicMessage, level: Level) -> Result<()> {
    let profiles = ints(rule, "profiles");
    let indices: Vec<usize> = if profiles.is_empty() || profiles.contains(&1) {
        vec![0, 1, 2, 3]
    } else {
        profiles
            .iter()
            .map(|p| match p {
                2 => Ok(1),
                3 => Ok(2),
                4 => Ok(3),
                other => bail!("unknown profile number {other}"),
            })
            .collect::<Result<_>>()?
    };
    for i in indices {
        if let Some(slot) = row.levels.get_mut(i) {
            *slot = Some(slot.map_or(level, |l| l.max(level)));
        }
    }
    Ok(())
}

fn walk(
    message: &MessageDescriptor,
    prefix: &str,
    ext: &prost_reflect::ExtensionDescriptor,
    rows: &mut Vec<((String, String), Row)>,
    scanned: &mut Vec<(String, Vec<String>)>,
    stack: &mut Vec<String>,
) -> Result<()> {
    if stack.iter().any(|s| s == message.full_name()) {
        return Ok(());
    }
    stack.push(message.full_name().to_owned());
    let mut fields: Vec<_> = message.fields().collect();
    fields.sort_by_key(prost_reflect::FieldDescriptor::number);
    for field in fields {
        let list = field.is_list();
        let path = format!(
            "{prefix}{}{}",
            field.json_name(),
            if list { "[]" } else { "" }
        );
        let options = field.options();
        if options.has_extension(ext) {
            if let Value::Message(rules) = options.get_extension(ext).as_ref() {
                let max_depth = rules
                    .get_field_by_name("payload")
                    .and_then(|p| p.as_message().map(|m| uint_field(m, "max_depth")))
                    .unwrap_or_default();
                for rule in messages(rules, "rule") {
                    let level = Level::of(&rule);
                    for (id, what) in checks(&rule, &field, max_depth)? {
                        // Rules on the list itself are shown on the field, the
                        // others on every item.
                        let on_list = matches!(
                            id.as_str(),
                            "required"
                                | "repeated.min_items"
                                | "repeated.max_items"
                                | "repeated.unique"
                        );
                        let shown = if on_list {
                            path.trim_end_matches("[]").to_owned()
                        } else {
                            path.clone()
                        };
                        let key = (shown, id);
                        let index = match rows.iter().position(|(k, _)| *k == key) {
                            Some(i) => i,
                            None => {
                                rows.push((key, Row::default()));
                                rows.len() - 1
                            }
                        };
                        let Some((_, row)) = rows.get_mut(index) else {
                            continue;
                        };
                        set_levels(row, &rule, level)?;
                        for clause in strings(&rule, "clauses") {
                            if !row.clauses.contains(&clause) {
                                row.clauses.push(clause);
                            }
                        }
                        let why = string_field(&rule, "why");
                        let what = if why.is_empty() {
                            what
                        } else {
                            format!("{what} ({why})")
                        };
                        if !row.what.contains(&what) {
                            if !row.what.is_empty() {
                                row.what.push_str("; ");
                            }
                            row.what.push_str(&what);
                        }
                    }
                }
                if let Some(Value::Message(scan)) = rules
                    .has_field_by_name("scan")
                    .then(|| rules.get_field_by_name("scan").map(|v| v.into_owned()))
                    .flatten()
                {
                    let allow = ints(&scan, "allow")
                        .iter()
                        .map(|k| kind_name(message, *k))
                        .collect::<Result<_>>()?;
                    let shown = if matches!(field.kind(), Kind::Message(_)) {
                        format!("{path}.*")
                    } else {
                        path.clone()
                    };
                    scanned.push((shown, allow));
                }
            }
        }
        if let Kind::Message(inner) = field.kind() {
            if inner.package_name() == PACKAGE {
                walk(&inner, &format!("{path}."), ext, rows, scanned, stack)?;
            }
        }
    }
    stack.pop();
    Ok(())
}

fn kind_name(message: &MessageDescriptor, kind: i32) -> Result<String> {
    let kinds = message
        .parent_pool()
        .get_enum_by_name(&format!("{PACKAGE}.SensitiveDataKind"))
        .context("no SensitiveDataKind")?;
    Ok(kinds
        .get_value(kind)
        .with_context(|| format!("no SensitiveDataKind {kind}"))?
        .name()
        .trim_start_matches("SENSITIVE_DATA_KIND_")
        .to_lowercase())
}

/// The checks a FieldRule sets, as (rule id, description).
fn checks(
    rule: &DynamicMessage,
    field: &prost_reflect::FieldDescriptor,
    max_depth: u32,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let is_bytes = matches!(field.kind(), Kind::Bytes);
    let set = |name: &str| rule.has_field_by_name(name);
    if bool_field(rule, "required") {
        out.push(("required".into(), "must be set".into()));
    }
    if bool_field(rule, "not_unspecified") {
        out.push((
            "enum.not_unspecified".into(),
            "must not be the `_UNSPECIFIED` zero value".into(),
        ));
    }
    if bool_field(rule, "defined_only") {
        out.push((
            "enum.defined_only".into(),
            "must be a value the schema defines".into(),
        ));
    }
    if set("min_bytes") {
        out.push((
            "string.min_bytes".into(),
            plural(uint_field(rule, "min_bytes"), "at least", "byte"),
        ));
    }
    if set("max_bytes") {
        let id = if is_bytes {
            "bytes.max_bytes"
        } else {
            "string.max_bytes"
        };
        out.push((
            id.into(),
            plural(uint_field(rule, "max_bytes"), "at most", "byte"),
        ));
    }
    let format = enum_field(rule, "format");
    if format != 0 {
        let (id, what) = match format {
            1 => ("string.uuid", "a UUID, canonical lowercase 8-4-4-4-12"),
            2 => (
                "string.trace_id",
                "a W3C trace id: 32 lowercase hex digits, not all zero",
            ),
            3 => (
                "string.span_id",
                "a W3C span id: 16 lowercase hex digits, not all zero",
            ),
            4 => ("string.ip", "an IPv4 or IPv6 address"),
            5 => ("string.hostname", "an RFC 1123 host name or an IP address"),
            6 => ("string.semver", "a Semantic Versioning 2.0.0 version"),
            other => bail!("unknown StringFormat {other}"),
        };
        out.push((id.into(), format!("when set, {what}")));
    }
    if bool_field(rule, "printable") {
        out.push(("string.printable".into(), "no control characters".into()));
    }
    if set("gte") {
        let Some(Value::I64(n)) = rule.get_field_by_name("gte").map(|v| v.into_owned()) else {
            bail!("gte is not an int64");
        };
        out.push(("int64.gte".into(), format!("at least {n}")));
    }
    if set("min_items") {
        out.push((
            "repeated.min_items".into(),
            plural(uint_field(rule, "min_items"), "at least", "item"),
        ));
    }
    if set("max_items") {
        out.push((
            "repeated.max_items".into(),
            plural(uint_field(rule, "max_items"), "at most", "item"),
        ));
    }
    if bool_field(rule, "unique") {
        out.push(("repeated.unique".into(), "items distinct".into()));
    }
    if bool_field(rule, "valid_timestamp") {
        out.push((
            "timestamp.valid".into(),
            "seconds within years 0001-9999, nanos within 0-999999999".into(),
        ));
    }
    if bool_field(rule, "well_formed") {
        out.push((
            "payload.json".into(),
            "when `payloadFormat` is JSON: well-formed UTF-8 JSON (RFC 8259)".into(),
        ));
        out.push((
            "payload.cbor".into(),
            "when `payloadFormat` is CBOR: one well-formed CBOR item (RFC 8949), UTF-8 text strings".into(),
        ));
        out.push((
            "payload.max_depth".into(),
            format!("arrays and objects (maps) nested at most {max_depth} deep"),
        ));
    }
    Ok(out)
}

fn plural(n: u32, bound: &str, unit: &str) -> String {
    format!("{bound} {n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn json_path(root: &MessageDescriptor, proto_name: &str) -> Result<String> {
    Ok(root
        .get_field_by_name(proto_name)
        .with_context(|| format!("no field {proto_name} in {}", root.name()))?
        .json_name()
        .to_owned())
}

pub(super) fn messages(message: &DynamicMessage, name: &str) -> Vec<DynamicMessage> {
    match message.get_field_by_name(name).as_deref() {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_message().cloned())
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn strings(message: &DynamicMessage, name: &str) -> Vec<String> {
    match message.get_field_by_name(name).as_deref() {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn ints(message: &DynamicMessage, name: &str) -> Vec<i32> {
    match message.get_field_by_name(name).as_deref() {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::EnumNumber(n) | Value::I32(n) => Some(*n),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn string_field(message: &DynamicMessage, name: &str) -> String {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(super) fn bool_field(message: &DynamicMessage, name: &str) -> bool {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_bool())
        .unwrap_or_default()
}

fn uint_field(message: &DynamicMessage, name: &str) -> u32 {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_u32())
        .unwrap_or_default()
}

fn enum_field(message: &DynamicMessage, name: &str) -> i32 {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_enum_number())
        .unwrap_or_default()
}
