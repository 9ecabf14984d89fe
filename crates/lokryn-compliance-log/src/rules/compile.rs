//! Compiling the rules declared in `proto/`.
//!
//! [`compiled`] reads the custom options of rules.proto from the embedded
//! descriptor once, through prost-reflect, into typed rules tagged with the
//! profiles they belong to: per message, its fields (by number, for the
//! generated accessors) with their checks, its cross-field rules and what
//! is searched for sensitive data. `validate` plans and runs the checks;
//! `sensitive` and `redact` walk the searched fields.

use std::sync::{Arc, LazyLock};

use prost_reflect::{ExtensionDescriptor, FieldDescriptor, Kind as ReflectKind, MessageDescriptor};

use super::vocab::{EVERY_PROFILE, Kind, KindSet, Level, Profile, ProfileMask};
use crate::schema_options::{PACKAGE, extension, option};
use crate::v1::{CrossFieldRule, FieldRule, FieldRules, MessageRules as ProtoMessageRules};

/// What a violation of a rule says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) rule_id: String,
    pub(crate) level: Level,
    pub(crate) clauses: Vec<String>,
    pub(crate) why: String,
}

/// The values an enum defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnumInfo {
    pub(crate) name: String,
    /// Bit `n` set when value `n` (0..64) is defined.
    low: u64,
    /// Defined values outside 0..64.
    other: Vec<i32>,
}

impl EnumInfo {
    pub(crate) fn defines(&self, n: i32) -> bool {
        match u32::try_from(n) {
            Ok(k) if k < 64 => self.low & (1 << k) != 0,
            _ => self.other.contains(&n),
        }
    }
}

/// The string formats of rules.proto's `StringFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Uuid,
    TraceId,
    SpanId,
    Ip,
    Hostname,
    Semver,
}

impl Format {
    pub(crate) fn rule_id(self) -> &'static str {
        match self {
            Self::Uuid => "string.uuid",
            Self::TraceId => "string.trace_id",
            Self::SpanId => "string.span_id",
            Self::Ip => "string.ip",
            Self::Hostname => "string.hostname",
            Self::Semver => "string.semver",
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Uuid => "a UUID in canonical lowercase 8-4-4-4-12 form (not the nil UUID)",
            Self::TraceId => "a W3C trace id: 32 lowercase hex digits, not all zero",
            Self::SpanId => "a W3C span id: 16 lowercase hex digits, not all zero",
            Self::Ip => "an IPv4 or IPv6 address",
            Self::Hostname => "an RFC 1123 host name or an IP address",
            Self::Semver => "a Semantic Versioning 2.0.0 version",
        }
    }
}

/// One check on a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    Required,
    NotUnspecified,
    DefinedOnly(Arc<EnumInfo>),
    MinBytes(u32),
    MaxBytes(u32),
    Format(Format),
    Printable,
    Gte(i64),
    MinItems(u32),
    MaxItems(u32),
    Unique,
    ValidTimestamp,
    WellFormed { format_field: u32, max_depth: usize },
}

/// What a field holds, as far as the checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Str,
    Bytes,
    Enum,
    /// Any integer type.
    Int,
    Bool,
    /// `float` or `double`.
    Float,
    Timestamp,
    Message,
    /// A message of another package: only `required` applies.
    Other,
}

/// A check with the profiles it belongs to and what it reports.
#[derive(Debug, Clone)]
pub(crate) struct Rule<T> {
    pub(crate) profiles: ProfileMask,
    pub(crate) check: T,
    pub(crate) meta: Arc<Meta>,
}

/// A field of a message, with every check declared on it.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) number: u32,
    pub(crate) json_name: String,
    pub(crate) list: bool,
    pub(crate) kind: FieldKind,
    pub(crate) checks: Vec<Rule<Check>>,
    /// The index of the message, for a field holding messages of this
    /// package.
    pub(crate) child: Option<usize>,
}

/// A cross-field rule: when `when` holds, one of `require_any` must be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cross {
    /// (field number, enum values; empty: the field is set).
    pub(crate) when: Option<(u32, Vec<i32>)>,
    pub(crate) require_any: Vec<u32>,
    /// The JSON name of the field the violation is reported on (the one
    /// required field; empty when several are).
    pub(crate) field: String,
    /// The message, without the path.
    pub(crate) message: String,
}

/// What to search for sensitive data in one field.
#[derive(Debug, Clone)]
pub(crate) struct ScanTarget {
    pub(crate) number: u32,
    pub(crate) json_name: String,
    /// Kinds expected here, not reported.
    pub(crate) allow: KindSet,
    pub(crate) what: ScanWhat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanWhat {
    /// A string or repeated string.
    Text,
    /// A bytes field holding a document in the format `format_field` names.
    Payload { format_field: u32, max_depth: usize },
    /// Every string of the message (and its messages) at this index.
    All(usize),
    /// The declared targets of the message at this index.
    Nested(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct Message {
    /// The message's full name (for tests and debugging).
    #[allow(dead_code)]
    pub(crate) name: String,
    pub(crate) fields: Vec<Field>,
    pub(crate) cross: Vec<Rule<Cross>>,
    pub(crate) scan: Vec<ScanTarget>,
    pub(crate) scan_all: Vec<ScanTarget>,
}

/// Every rule of the schema, for every profile. Message 0 is `LogEntry`.
#[derive(Debug)]
pub(crate) struct Rules {
    pub(crate) messages: Vec<Message>,
    /// Sensitive-data rules: the kinds each concerns, and the rule.
    pub(crate) sensitive: Vec<(KindSet, Rule<()>)>,
}

impl Rules {
    /// The scan targets inside the message at `index`, reached through a
    /// field scanned as `what`: every string when the field is marked, else
    /// the message's own declarations.
    pub(crate) fn child_targets(&self, what: &ScanWhat, index: usize) -> Option<&[ScanTarget]> {
        let child = self.messages.get(index)?;
        Some(match what {
            ScanWhat::All(_) => &child.scan_all,
            _ => &child.scan,
        })
    }
}

#[allow(clippy::expect_used)] // The descriptor is embedded; the tests compile it.
static RULES: LazyLock<Rules> =
    LazyLock::new(|| compile().expect("the rules declared in the embedded descriptor compile"));

/// The compiled rules of the schema.
pub(crate) fn compiled() -> &'static Rules {
    &RULES
}

/// The bits of a list of `Profile` numbers; none (or baseline) means
/// every profile, as baseline rules apply under all of them.
fn profile_bits(profiles: &[i32]) -> Result<ProfileMask, String> {
    let mut mask = 0;
    for &n in profiles {
        match Profile::from_proto_number(n) {
            Some(Profile::Baseline) => return Ok(EVERY_PROFILE),
            Some(p) => mask |= p.bit(),
            None => return Err(format!("unknown profile number {n}")),
        }
    }
    Ok(if mask == 0 { EVERY_PROFILE } else { mask })
}

fn level(n: i32) -> Level {
    Level::from_proto_number(n)
}

/// The kinds of a list of `SensitiveDataKind` numbers.
fn kind_set(numbers: &[i32]) -> Result<KindSet, String> {
    numbers.iter().try_fold(KindSet::EMPTY, |set, &n| {
        Kind::from_proto_number(n)
            .map(|k| set.with(k))
            .ok_or_else(|| format!("unknown SensitiveDataKind {n}"))
    })
}

fn compile() -> Result<Rules, String> {
    let pool = &*crate::DESCRIPTOR_POOL;
    let field_ext = extension("rules")?;
    let message_ext = extension("message_rules")?;
    let root = pool
        .get_message_by_name(crate::LOG_ENTRY_NAME)
        .ok_or("the descriptor has no LogEntry")?;

    let mut order: Vec<MessageDescriptor> = vec![root.clone()];
    let mut messages = Vec::new();
    let mut i = 0;
    while let Some(descriptor) = order.get(i).cloned() {
        let plan = compile_message(&descriptor, &field_ext, &message_ext, &mut order)?;
        messages.push(plan);
        i += 1;
    }
    // Second pass: what to search inside message fields.
    type Children = Vec<(usize, Option<usize>)>;
    let snapshot: Vec<(usize, Children)> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                i,
                m.fields
                    .iter()
                    .enumerate()
                    .map(|(j, f)| (j, f.child))
                    .collect(),
            )
        })
        .collect();
    for (i, fields) in snapshot {
        let mut scan_all = Vec::new();
        for (j, child) in fields {
            let Some(field) = messages.get(i).and_then(|m| m.fields.get(j)) else {
                continue;
            };
            let what = match (field.kind, child) {
                (FieldKind::Str, _) => ScanWhat::Text,
                (FieldKind::Message, Some(c)) => ScanWhat::All(c),
                _ => continue,
            };
            scan_all.push(ScanTarget {
                number: field.number,
                json_name: field.json_name.clone(),
                allow: KindSet::EMPTY,
                what,
            });
        }
        if let Some(m) = messages.get_mut(i) {
            m.scan_all = scan_all;
        }
    }
    // Message fields not marked themselves reach the targets declared inside.
    for i in 0..messages.len() {
        let nested: Vec<ScanTarget> = messages
            .get(i)
            .map(|m| {
                m.fields
                    .iter()
                    .filter(|f| !m.scan.iter().any(|t| t.number == f.number))
                    .filter_map(|f| {
                        let c = f.child?;
                        (c != i && messages.get(c).is_some_and(|cm| !cm.scan.is_empty())).then(
                            || ScanTarget {
                                number: f.number,
                                json_name: f.json_name.clone(),
                                allow: KindSet::EMPTY,
                                what: ScanWhat::Nested(c),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(m) = messages.get_mut(i) {
            m.scan.extend(nested);
            m.scan.sort_by_key(|t| t.number);
        }
    }

    let mut sensitive = Vec::new();
    if let Some(rules) = option::<ProtoMessageRules>(&root.options(), &message_ext)? {
        for rule in rules.sensitive_data {
            let kinds = kind_set(&rule.kinds)?;
            sensitive.push((
                kinds,
                Rule {
                    profiles: profile_bits(&rule.profiles)?,
                    check: (),
                    meta: Arc::new(Meta {
                        rule_id: String::new(),
                        level: level(rule.level),
                        clauses: rule.clauses,
                        why: rule.why,
                    }),
                },
            ));
        }
    }
    Ok(Rules {
        messages,
        sensitive,
    })
}

fn field_kind(field: &FieldDescriptor) -> FieldKind {
    match field.kind() {
        ReflectKind::String => FieldKind::Str,
        ReflectKind::Bytes => FieldKind::Bytes,
        ReflectKind::Enum(_) => FieldKind::Enum,
        ReflectKind::Int32
        | ReflectKind::Int64
        | ReflectKind::Sint32
        | ReflectKind::Sint64
        | ReflectKind::Sfixed32
        | ReflectKind::Sfixed64
        | ReflectKind::Uint32
        | ReflectKind::Fixed32
        | ReflectKind::Uint64
        | ReflectKind::Fixed64 => FieldKind::Int,
        ReflectKind::Bool => FieldKind::Bool,
        ReflectKind::Float | ReflectKind::Double => FieldKind::Float,
        ReflectKind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => {
            FieldKind::Timestamp
        }
        ReflectKind::Message(m) if m.package_name() == PACKAGE => FieldKind::Message,
        _ => FieldKind::Other,
    }
}

fn compile_message(
    message: &MessageDescriptor,
    field_ext: &ExtensionDescriptor,
    message_ext: &ExtensionDescriptor,
    order: &mut Vec<MessageDescriptor>,
) -> Result<Message, String> {
    let mut fields: Vec<FieldDescriptor> = message.fields().collect();
    fields.sort_by_key(FieldDescriptor::number);
    let mut plans = Vec::new();
    let mut scan = Vec::new();
    for field in fields {
        let kind = field_kind(&field);
        let child = match field.kind() {
            ReflectKind::Message(m) if kind == FieldKind::Message => {
                Some(match order.iter().position(|o| *o == m) {
                    Some(i) => i,
                    None => {
                        order.push(m);
                        order.len() - 1
                    }
                })
            }
            _ => None,
        };
        let rules = option::<FieldRules>(&field.options(), field_ext)?.unwrap_or_default();
        let name = format!("{}.{}", message.name(), field.name());
        let mut checks = Vec::new();
        for rule in &rules.rule {
            compile_checks(rule, &field, kind, &rules, message, &mut checks)
                .map_err(|e| format!("{name}: {e}"))?;
        }
        if let Some(s) = &rules.scan {
            let allow = kind_set(&s.allow).map_err(|e| format!("{name}: {e}"))?;
            let what = match (kind, child) {
                (FieldKind::Str, _) => ScanWhat::Text,
                (FieldKind::Bytes, _) => {
                    let (format_field, max_depth) =
                        payload_encoding(&rules, message).map_err(|e| format!("{name}: {e}"))?;
                    ScanWhat::Payload {
                        format_field,
                        max_depth,
                    }
                }
                (FieldKind::Message, Some(c)) => ScanWhat::All(c),
                _ => {
                    return Err(format!(
                        "{name}: scan applies to strings, bytes and messages"
                    ));
                }
            };
            scan.push(ScanTarget {
                number: field.number(),
                json_name: field.json_name().to_owned(),
                allow,
                what,
            });
        }
        plans.push(Field {
            number: field.number(),
            json_name: field.json_name().to_owned(),
            list: field.is_list(),
            kind,
            checks,
            child,
        });
    }

    let mut cross = Vec::new();
    if let Some(rules) = option::<ProtoMessageRules>(&message.options(), message_ext)? {
        for rule in &rules.cross_field {
            cross.push(
                compile_cross(rule, message).map_err(|e| format!("{}: {e}", message.name()))?,
            );
        }
    }
    Ok(Message {
        name: message.full_name().to_owned(),
        fields: plans,
        cross,
        scan,
        scan_all: Vec::new(),
    })
}

fn payload_encoding(
    rules: &FieldRules,
    message: &MessageDescriptor,
) -> Result<(u32, usize), String> {
    let encoding = rules
        .payload
        .as_ref()
        .ok_or("a bytes field that is searched or well_formed needs `payload`")?;
    let format = message
        .get_field_by_name(&encoding.format_field)
        .ok_or_else(|| format!("no field {} for the payload format", encoding.format_field))?;
    if !matches!(format.kind(), ReflectKind::Enum(e) if e.name() == "PayloadFormat") {
        return Err(format!("{} is not a PayloadFormat", encoding.format_field));
    }
    Ok((format.number(), encoding.max_depth.max(1) as usize))
}

fn compile_checks(
    rule: &FieldRule,
    field: &FieldDescriptor,
    kind: FieldKind,
    rules: &FieldRules,
    message: &MessageDescriptor,
    out: &mut Vec<Rule<Check>>,
) -> Result<(), String> {
    let profiles = profile_bits(&rule.profiles)?;
    let list = field.is_list();
    let mut add = |check: Check, rule_id: &str| {
        out.push(Rule {
            profiles,
            check,
            meta: Arc::new(Meta {
                rule_id: rule_id.to_owned(),
                level: level(rule.level),
                clauses: rule.clauses.clone(),
                why: rule.why.clone(),
            }),
        });
    };
    let need = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("`{what}` does not apply to this field"))
        }
    };
    if rule.required {
        add(Check::Required, "required");
    }
    if rule.not_unspecified {
        need(kind == FieldKind::Enum, "not_unspecified")?;
        add(Check::NotUnspecified, "enum.not_unspecified");
    }
    if rule.defined_only {
        let ReflectKind::Enum(e) = field.kind() else {
            return Err("`defined_only` applies to enums".into());
        };
        let mut info = EnumInfo {
            name: e.name().to_owned(),
            low: 0,
            other: Vec::new(),
        };
        for value in e.values() {
            match u32::try_from(value.number()) {
                Ok(k) if k < 64 => info.low |= 1 << k,
                _ => info.other.push(value.number()),
            }
        }
        add(Check::DefinedOnly(Arc::new(info)), "enum.defined_only");
    }
    let bytes_id = |what: &str| {
        if kind == FieldKind::Bytes {
            format!("bytes.{what}")
        } else {
            format!("string.{what}")
        }
    };
    if let Some(n) = rule.min_bytes {
        need(
            matches!(kind, FieldKind::Str | FieldKind::Bytes),
            "min_bytes",
        )?;
        add(Check::MinBytes(n), &bytes_id("min_bytes"));
    }
    if let Some(n) = rule.max_bytes {
        need(
            matches!(kind, FieldKind::Str | FieldKind::Bytes),
            "max_bytes",
        )?;
        add(Check::MaxBytes(n), &bytes_id("max_bytes"));
    }
    if rule.format != 0 {
        need(kind == FieldKind::Str, "format")?;
        let format = match rule.format {
            1 => Format::Uuid,
            2 => Format::TraceId,
            3 => Format::SpanId,
            4 => Format::Ip,
            5 => Format::Hostname,
            6 => Format::Semver,
            other => return Err(format!("unknown StringFormat {other}")),
        };
        add(Check::Format(format), format.rule_id());
    }
    if rule.printable {
        need(kind == FieldKind::Str, "printable")?;
        add(Check::Printable, "string.printable");
    }
    if let Some(n) = rule.gte {
        need(kind == FieldKind::Int && !list, "gte")?;
        add(Check::Gte(n), "int64.gte");
    }
    if let Some(n) = rule.min_items {
        need(list, "min_items")?;
        add(Check::MinItems(n), "repeated.min_items");
    }
    if let Some(n) = rule.max_items {
        need(list, "max_items")?;
        add(Check::MaxItems(n), "repeated.max_items");
    }
    if rule.unique {
        need(list && kind == FieldKind::Str, "unique")?;
        add(Check::Unique, "repeated.unique");
    }
    if rule.valid_timestamp {
        need(kind == FieldKind::Timestamp, "valid_timestamp")?;
        add(Check::ValidTimestamp, "timestamp.valid");
    }
    if rule.well_formed {
        need(kind == FieldKind::Bytes && !list, "well_formed")?;
        let (format_field, max_depth) = payload_encoding(rules, message)?;
        add(
            Check::WellFormed {
                format_field,
                max_depth,
            },
            "payload",
        );
    }
    Ok(())
}

fn compile_cross(
    rule: &CrossFieldRule,
    message: &MessageDescriptor,
) -> Result<Rule<Cross>, String> {
    let field = |name: &str| {
        message
            .get_field_by_name(name)
            .ok_or_else(|| format!("cross-field rule {}: no field {name}", rule.id))
    };
    if rule.id.is_empty() || rule.require_any.is_empty() {
        return Err("a cross-field rule needs an id and require_any".into());
    }
    let required: Vec<FieldDescriptor> = rule
        .require_any
        .iter()
        .map(|n| field(n))
        .collect::<Result<_, _>>()?;
    let names: Vec<&str> = required.iter().map(FieldDescriptor::json_name).collect();
    let (when, condition) = if rule.when_field.is_empty() {
        (None, String::new())
    } else {
        let w = field(&rule.when_field)?;
        let condition = if rule.when_enum_in.is_empty() {
            format!(" when {} is set", w.json_name())
        } else {
            let ReflectKind::Enum(e) = w.kind() else {
                return Err(format!("{}: when_enum_in needs an enum field", rule.id));
            };
            let values: Vec<String> = rule
                .when_enum_in
                .iter()
                .map(|v| {
                    e.get_value(*v)
                        .map(|v| v.name().to_owned())
                        .ok_or_else(|| format!("{}: {} has no value {v}", rule.id, e.name()))
                })
                .collect::<Result<_, _>>()?;
            format!(" when {} is {}", w.json_name(), values.join(" or "))
        };
        (Some((w.number(), rule.when_enum_in.clone())), condition)
    };
    let subject = match names.as_slice() {
        [one] => format!("{one} must be set"),
        many => format!("one of {} must be set", many.join(", ")),
    };
    let why = if rule.why.is_empty() {
        String::new()
    } else {
        format!(": {}", rule.why)
    };
    Ok(Rule {
        profiles: profile_bits(&rule.profiles)?,
        check: Cross {
            when,
            require_any: required.iter().map(FieldDescriptor::number).collect(),
            field: if names.len() == 1 {
                names.concat()
            } else {
                String::new()
            },
            message: format!("{subject}{condition}{why}"),
        },
        meta: Arc::new(Meta {
            rule_id: rule.id.clone(),
            level: level(rule.level),
            clauses: rule.clauses.clone(),
            why: rule.why.clone(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_rules_compile() {
        let rules = compiled();
        assert_eq!(
            rules.messages.first().map(|m| m.name.as_str()),
            Some(crate::LOG_ENTRY_NAME)
        );
        assert!(rules.messages.len() >= 5);
        assert_eq!(rules.sensitive.len(), 4);
    }
}
