//! docs/exports.md: where every field and enum value goes in OCSF 1.7.0,
//! OpenTelemetry logs and ECS 9.x, written from the mapping options of
//! `proto/` (mappings.proto) that the exporters follow.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use prost_reflect::{
    DynamicMessage, EnumDescriptor, ExtensionDescriptor, Kind, MessageDescriptor, ReflectMessage,
    Value,
};

use super::rules_doc::{bool_field, messages, string_field, strings};
use super::schema::{PACKAGE, Schema};
use super::{GeneratedFile, HEADER};

/// An integer option field, `None` when unset.
fn int(message: &DynamicMessage, name: &str) -> Option<i32> {
    let field = message.descriptor().get_field_by_name(name)?;
    if field.supports_presence() && !message.has_field(&field) {
        return None;
    }
    message.get_field(&field).as_i32()
}

fn option(options: &DynamicMessage, ext: &ExtensionDescriptor) -> Option<DynamicMessage> {
    if !options.has_extension(ext) {
        return None;
    }
    match options.get_extension(ext).as_ref() {
        Value::Message(m) => Some(m.clone()),
        _ => None,
    }
}

/// Where an OpenTelemetry attribute name comes from.
fn otel_source(home: &str) -> &'static str {
    let name = home.split_once(':').map_or(home, |(_, n)| n);
    if name.starts_with("lokryn.") {
        "ours"
    } else if home.starts_with("record:") || home.starts_with("scope:") {
        "logs data model"
    } else if name.starts_with("gen_ai.")
        || name.starts_with("mcp.")
        || name.starts_with("jsonrpc.")
        || name.starts_with("rpc.")
    {
        "semconv GenAI / MCP"
    } else {
        "semconv"
    }
}

fn ecs_source(home: &str) -> &'static str {
    if home.starts_with("labels.") {
        "ours (labels)"
    } else if home.starts_with("gen_ai.") {
        "ECS gen_ai (beta)"
    } else {
        "ECS"
    }
}

fn ocsf_source(home: &str) -> &'static str {
    if home.starts_with("unmapped.") {
        "ours (unmapped)"
    } else {
        "OCSF 1.7.0"
    }
}

struct Field {
    path: String,
    ocsf: String,
    otel: String,
    ecs: String,
}

fn walk(
    message: &MessageDescriptor,
    prefix: &str,
    ext: &ExtensionDescriptor,
    out: &mut Vec<Field>,
) {
    for field in message.fields() {
        let path = format!("{prefix}{}", field.name());
        if let Some(export) = option(&field.options(), ext) {
            out.push(Field {
                path: path.clone(),
                ocsf: string_field(&export, "ocsf"),
                otel: string_field(&export, "otel"),
                ecs: string_field(&export, "ecs"),
            });
        }
        if let Kind::Message(m) = field.kind() {
            if m.package_name() == PACKAGE {
                walk(&m, &format!("{path}."), ext, out);
            }
        }
    }
}

fn values(en: &EnumDescriptor, ext: &ExtensionDescriptor) -> Vec<(String, DynamicMessage)> {
    en.values()
        .filter_map(|v| option(&v.options(), ext).map(|o| (v.name().to_owned(), o)))
        .collect()
}

pub(crate) fn files(schema: &Schema) -> Result<Vec<GeneratedFile>> {
    let pool = &schema.pool;
    let field_ext = pool
        .get_extension_by_name(&format!("{PACKAGE}.export"))
        .context("mappings.proto defines no `export` extension")?;
    let value_ext = pool
        .get_extension_by_name(&format!("{PACKAGE}.value_export"))
        .context("mappings.proto defines no `value_export` extension")?;
    let root = pool
        .get_message_by_name(&format!("{PACKAGE}.LogEntry"))
        .context("no LogEntry")?;
    let enum_of = |name: &str| {
        pool.get_enum_by_name(&format!("{PACKAGE}.{name}"))
            .with_context(|| format!("no enum {name}"))
    };
    let mut fields = Vec::new();
    walk(&root, "", &field_ext, &mut fields);

    let mut md = format!("<!-- {HEADER} -->\n\n");
    md.push_str(
        "# Exports: OCSF, OpenTelemetry logs, ECS\n\n\
         Where every field of a record goes when it is exported with `complog export` or the\n\
         `lokryn-export` crate. The tables are generated from the options declared in\n\
         `proto/lokryn/compliancelog/v1/mappings.proto` and set on each field and enum value of\n\
         `logentry.proto`; the exporters read the same options, so the tables and the output agree.\n\n\
         Nothing is dropped: a field a target has no attribute for goes to the target's extension\n\
         area (OCSF `unmapped`, OpenTelemetry attributes named `lokryn.*`, ECS `labels`).\n\n\
         Sources of the values:\n\n\
         * **OCSF 1.7.0**: the schema as published in `ocsf-schema` v1.7.0 and bundled as JSON in the\n  \
           PyPI package `pydantic-ocsf` 3.0.0 (`ocsf/schemas/v1_7_0.json`), against which every exported\n  \
           event of the golden vectors and examples is validated (`tests/exports/`). A `class_uid` is\n  \
           its category uid × 1000 + its uid; `type_uid` is `class_uid` × 100 + `activity_id`.\n\
         * **OpenTelemetry logs**: the logs data model (`SeverityNumber` from syslog severities as its\n  \
           appendix B maps them) and the semantic conventions' attribute registry (general, GenAI and\n  \
           MCP attributes). Marked *ours* where no convention exists.\n\
         * **ECS 9.x**: the Elastic Common Schema field reference, including the allowed values of\n  \
           `event.kind`, `event.category`, `event.type` and `event.outcome`.\n\n",
    );

    // OCSF classes.
    md.push_str("## OCSF 1.7.0\n\n### Class and activity per event type\n\n");
    md.push_str(
        "Every event also carries `category_uid`, `type_uid`, `class_name`, `activity_name`,\n\
         `type_name` and `metadata.version` = `1.7.0`; `metadata.event_code` holds the event type's\n\
         name, since several event types share a class and activity. An activity id 99 (Other) is\n\
         named by us. `complog import --from ocsf` reads the events back into the records they\n\
         came from, following these tables in reverse (tested on every golden vector).\n\
         *Also fills* lists attributes the class takes from a field (`←`), and *Not in class* the\n\
         common attributes the class does not define: their fields go to `unmapped`.\n\n\
         | Event type | class_uid | Class | activity_id | Activity | type_uid | Also fills | Not in class |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (name, export) in values(&enum_of("EventType")?, &value_ext) {
        let Some(Value::Message(ocsf)) = export
            .get_field_by_name("ocsf_event")
            .map(|v| v.into_owned())
        else {
            continue;
        };
        let class_uid = int(&ocsf, "class_uid").unwrap_or_default();
        let activity = int(&ocsf, "activity_id").unwrap_or_default();
        let places: Vec<String> = messages(&ocsf, "place")
            .iter()
            .map(|p| {
                let field = string_field(p, "field");
                let value = string_field(p, "value");
                let copy = if bool_field(p, "copy") { " (copy)" } else { "" };
                match (field.is_empty(), value.is_empty()) {
                    (true, _) => format!("`{}` = `{value}`", string_field(p, "path")),
                    (false, true) => format!("`{}` ← `{field}`{copy}", string_field(p, "path")),
                    (false, false) => format!(
                        "`{}` ← `{field}`{copy}, else `{value}`",
                        string_field(p, "path")
                    ),
                }
            })
            .collect();
        let absent: Vec<String> = strings(&ocsf, "absent")
            .iter()
            .map(|a| format!("`{a}`"))
            .collect();
        writeln!(
            md,
            "| `{name}` | {class_uid} | {} | {activity} | {} | {} | {} | {} |",
            string_field(&ocsf, "class_name"),
            string_field(&ocsf, "activity_name"),
            i64::from(class_uid) * 100 + i64::from(activity),
            places.join("<br>"),
            absent.join(", "),
        )?;
    }

    md.push_str(
        "\n### Severity, outcome and actor type\n\n\
         | Severity | OCSF severity_id | OCSF severity | OTel SeverityNumber | OTel SeverityText | ECS log.level | syslog code |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (name, v) in values(&enum_of("Severity")?, &value_ext) {
        writeln!(
            md,
            "| `{name}` | {} | {} | {} | {} | {} | {} |",
            int(&v, "ocsf_id").map_or("-".into(), |n| n.to_string()),
            string_field(&v, "ocsf_caption"),
            int(&v, "otel_severity_number")
                .filter(|n| *n != 0)
                .map_or("-".into(), |n| n.to_string()),
            string_field(&v, "otel_severity_text"),
            string_field(&v, "ecs"),
            int(&v, "syslog_code").map_or("-".into(), |n| n.to_string()),
        )?;
    }
    md.push_str(
        "\nThe OCSF `metadata.log_level` keeps the original level name (`SEVERITY_DEBUG` and\n\
         `SEVERITY_INFO` share severity_id 1).\n\n\
         | Outcome | OCSF status_id | OCSF status | OCSF status_detail | ECS event.outcome |\n\
         |---|---|---|---|---|\n",
    );
    for (name, v) in values(&enum_of("Outcome")?, &value_ext) {
        writeln!(
            md,
            "| `{name}` | {} | {} | {} | {} |",
            int(&v, "ocsf_id").map_or("-".into(), |n| n.to_string()),
            string_field(&v, "ocsf_caption"),
            string_field(&v, "ocsf_detail"),
            string_field(&v, "ecs"),
        )?;
    }
    md.push_str(
        "\nECS keeps the outcome's value name in `labels.outcome` too (its `event.outcome` has one\n\
         value for the three failures).\n\n\
         | Actor type | OCSF actor.user.type_id | OCSF actor.user.type |\n|---|---|---|\n",
    );
    for (name, v) in values(&enum_of("ActorType")?, &value_ext) {
        writeln!(
            md,
            "| `{name}` | {} | {} |",
            int(&v, "ocsf_id").map_or("-".into(), |n| n.to_string()),
            string_field(&v, "ocsf_caption"),
        )?;
    }

    md.push_str(
        "\n### Attributes\n\n\
         A path names nested objects with dots; `[]` is an array of one object. For an enum field\n\
         the attribute takes the value's id (the tables above) and its sibling the caption. A\n\
         repeated message (the delegation chain) is an array of objects keyed by the element\n\
         fields' names. Time is in milliseconds; the nanoseconds below the millisecond, when there\n\
         are any, go to `unmapped.time_sub_ms_nanos`. A record without a time gets the export's\n\
         observed time and `unmapped.time_unset: true`; without a producer, `metadata.product.name`\n\
         is `unknown` and `unmapped.producer_unset: true`. A JSON payload is embedded as JSON; any\n\
         other payload is base64 with `unmapped.payload_encoding: \"base64\"`. An enum number the\n\
         schema does not define goes to `unmapped` under its field's name.\n\n\
         | Field | OCSF attribute | Source |\n|---|---|---|\n",
    );
    for f in &fields {
        writeln!(
            md,
            "| `{}` | `{}` | {} |",
            f.path,
            f.ocsf,
            ocsf_source(&f.ocsf)
        )?;
    }

    md.push_str(
        "\n## OpenTelemetry logs (OTLP)\n\n\
         `complog export --to otlp-json` writes `ExportLogsServiceRequest`s as OTLP/JSON (hex trace\n\
         and span ids), `--to otlp` as protobuf. Records are grouped by resource (component,\n\
         environment, host) and scope (the producer). `EventName` is `lokryn.` and the event type's\n\
         name in lower case without `EVENT_` (`lokryn.tool_invocation`); `ObservedTimestamp` is\n\
         when the export ran. Enum attributes hold the value name. Where two fields share a\n\
         convention's attribute with different values (`gen_ai.tool.name` from both payloads), the\n\
         second is written as `lokryn.<field path>`. A time before 1970 (which OTLP cannot hold)\n\
         goes to `lokryn.time` as RFC 3339 text, a trace or span id that is not hex of the right\n\
         length to `lokryn.trace_id` / `lokryn.span_id`.\n\n\
         Locations: `record:` a LogRecord field, `resource:` a resource attribute, `scope:` the\n\
         instrumentation scope, `attr:` a log record attribute.\n\n\
         | Field | OpenTelemetry | Source |\n|---|---|---|\n",
    );
    for f in &fields {
        writeln!(
            md,
            "| `{}` | `{}` | {} |",
            f.path,
            f.otel,
            otel_source(&f.otel)
        )?;
    }

    md.push_str(
        "\n## ECS 9.x\n\n\
         Every document carries `ecs.version`. Label values are keyword strings: numbers and\n\
         structures (the delegation chain) are written as JSON text. `event.duration` is in\n\
         nanoseconds.\n\n\
         | Event type | event.kind | event.category | event.type |\n|---|---|---|---|\n",
    );
    for (name, export) in values(&enum_of("EventType")?, &value_ext) {
        let Some(Value::Message(ecs)) = export
            .get_field_by_name("ecs_event")
            .map(|v| v.into_owned())
        else {
            continue;
        };
        writeln!(
            md,
            "| `{name}` | {} | {} | {} |",
            string_field(&ecs, "kind"),
            strings(&ecs, "categories").join(", "),
            strings(&ecs, "types").join(", "),
        )?;
    }
    md.push_str("\n| Field | ECS field | Source |\n|---|---|---|\n");
    for f in &fields {
        writeln!(
            md,
            "| `{}` | `{}` | {} |",
            f.path,
            f.ecs,
            ecs_source(&f.ecs)
        )?;
    }
    md.push_str(
        "\n## Parquet\n\n\
         `complog export --to parquet -o FILE` writes a flat, typed table: one column per field of\n\
         the tables above, named by its path with `_` for `.` (`genai_input_tokens`), enums as their\n\
         value names, unset fields null, `policy_tags` and `genai_finish_reasons` as lists, the\n\
         delegation chain as JSON text, `time` as a UTC timestamp in microseconds with the exact\n\
         nanoseconds of its second in `time_nanos`. Rows are written in batches (bounded memory),\n\
         zstd-compressed (level 3), in row groups of at most 131072 rows, with minimum and maximum\n\
         statistics per column chunk except for the free text and bytes (`message`, `payload`,\n\
         `error_message`, `user_agent`, `delegation_chain`), which no query prunes row groups by, and\n\
         dictionary encoding except for the values that differ from record to record (`event_id`,\n\
         `time`, `time_nanos`, `request_id`, `span_id`, `parent_span_id`, `genai_response_id`,\n\
         `genai_tool_call_id`, `mcp_request_id`) and the free text (`message`, `payload`,\n\
         `error_message`), where zstd finds what repeats.\n\n\
         `complog export --to ocsf-parquet --region R --account-id A -o DIR` writes the OCSF events\n\
         in the layout Amazon Security Lake expects from a custom source: a folder per OCSF class\n\
         (`api_activity_6003/`), partitioned `region=R/accountId=A/eventDay=YYYYMMDD/` by the\n\
         event's UTC day, each file sorted by `time` and zstd-compressed, OCSF objects as Parquet\n\
         structs and `unmapped` as a map of strings (non-string values as JSON text). Events are\n\
         buffered per partition and written in bounded memory (at most 100000 rows buffered).\n",
    );
    Ok(vec![GeneratedFile::new("docs/exports.md", md)])
}
