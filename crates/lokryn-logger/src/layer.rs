//! A `tracing` layer writing events of a chosen target as audit records
//! (feature `tracing`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lokryn_compliance_log::json::{JsonOptions, from_json_value};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use lokryn_compliance_log::LogEntry;
use prost_reflect::ReflectMessage as _;

use crate::{AuditLogger, LogError};

type ErrorHook = Box<dyn Fn(&LogError) + Send + Sync>;

/// Turns `tracing` events whose target is the chosen one into records
/// logged by an [`AuditLogger`]; other events pass by untouched.
///
/// Event fields named like `LogEntry` fields (`actor_id`, `resource`,
/// `event_type`…) become those fields. Enum fields take their value by name,
/// in full (`"EVENT_TOOL_INVOCATION"`) or without the prefix, in any case
/// (`"tool_invocation"`, `"success"`); `policy_tags` takes a comma-separated
/// list. The event's message becomes `message`, and its level the
/// `severity` when no `severity` field is given. Fields that are not
/// `LogEntry` fields are kept as a JSON object in `payload` (when the event
/// sets no payload), so that nothing is lost.
///
/// A record the logger refuses (invalid under `Raise`, a failing sink) goes
/// to the error hook ([`AuditLayer::on_error`]); events cannot return errors.
///
/// ```
/// use lokryn_logger::{AuditLayer, AuditLogger, sinks::JsonLines};
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("audit.jsonl");
/// let audit = AuditLogger::builder().sink(JsonLines::create(&path)?).build()?;
/// let subscriber = tracing_subscriber::registry().with(AuditLayer::new(audit.clone(), "audit"));
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(target: "audit", event_type = "tool_invocation", outcome = "success",
///                    actor_id = "agent-7", resource = "tools/search", "searched");
/// });
/// audit.close(None)?;
/// assert!(std::fs::read_to_string(&path)?.contains(r#""resource":"tools/search""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AuditLayer {
    logger: AuditLogger,
    target: String,
    on_error: Option<ErrorHook>,
    /// The names of LogEntry's fields.
    known: Vec<String>,
}

impl fmt::Debug for AuditLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLayer")
            .field("logger", &self.logger)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl AuditLayer {
    /// A layer logging the events whose target is exactly `target`.
    pub fn new(logger: AuditLogger, target: impl Into<String>) -> Self {
        Self {
            logger,
            target: target.into(),
            on_error: None,
            known: LogEntry::default()
                .descriptor()
                .fields()
                .map(|f| f.name().to_owned())
                .collect(),
        }
    }

    /// Called with each error logging an event's record.
    #[must_use]
    pub fn on_error(mut self, f: impl Fn(&LogError) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Box::new(f));
        self
    }

    fn record(&self, event: &Event<'_>) -> Result<(), LogError> {
        let mut visitor = Fields {
            known: &self.known,
            fields: Map::new(),
            extra: Map::new(),
        };
        event.record(&mut visitor);
        let mut fields = visitor.fields;
        let extra = visitor.extra;
        if !fields.contains_key("severity") {
            let severity = match *event.metadata().level() {
                Level::ERROR => "SEVERITY_ERROR",
                Level::WARN => "SEVERITY_WARNING",
                Level::INFO => "SEVERITY_INFO",
                _ => "SEVERITY_DEBUG",
            };
            fields.insert("severity".into(), Value::from(severity));
        }
        if !extra.is_empty() && !fields.contains_key("payload") {
            let text = Value::Object(extra).to_string();
            fields.insert(
                "payload".into(),
                Value::from(STANDARD.encode(text.as_bytes())),
            );
            fields.insert("payload_format".into(), Value::from("PAYLOAD_FORMAT_JSON"));
        }
        let entry = from_json_value(Value::Object(fields), &JsonOptions::default())?;
        self.logger.log(entry).map(drop)
    }
}

impl<S: Subscriber> Layer<S> for AuditLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != self.target {
            return;
        }
        if let Err(e) = self.record(event)
            && let Some(hook) = &self.on_error
        {
            hook(&e);
        }
    }
}

/// The enum fields of `LogEntry` and the prefix of their value names.
const ENUMS: &[(&str, &str)] = &[
    ("event_type", "EVENT_"),
    ("outcome", "OUTCOME_"),
    ("severity", "SEVERITY_"),
    ("sensitivity", "SENSITIVITY_"),
    ("actor_type", "ACTOR_TYPE_"),
    ("payload_format", "PAYLOAD_FORMAT_"),
];

/// The event's fields, split into `LogEntry` fields and the rest.
struct Fields<'a> {
    known: &'a [String],
    fields: Map<String, Value>,
    extra: Map<String, Value>,
}

impl Fields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if !self.known.iter().any(|k| k == name) {
            self.extra.insert(name.to_owned(), value);
            return;
        }
        let value = match (name, value) {
            ("policy_tags", Value::String(s)) => Value::Array(
                s.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(Value::from)
                    .collect(),
            ),
            (name, Value::String(s)) => match ENUMS.iter().find(|(f, _)| *f == name) {
                Some((_, prefix)) => {
                    let upper = s.to_ascii_uppercase();
                    if upper.starts_with(prefix) {
                        Value::from(upper)
                    } else {
                        Value::from(format!("{prefix}{upper}"))
                    }
                }
                None => Value::String(s),
            },
            (_, v) => v,
        };
        self.fields.insert(name.to_owned(), value);
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}
