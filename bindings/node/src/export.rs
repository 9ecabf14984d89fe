//! Exports to OCSF, ECS and OpenTelemetry logs, imports back, and the
//! evidence report, delegated to `lokryn-export`: the functions of the
//! Python package's `export` module, for Node. The JSON targets come back as text, which `index.js` parses
//! (`toOcsf`, `toEcs`, `toOtlpJson`); OTLP protobuf as a `Uint8Array`;
//! imported records as `LogEntry` objects.
//!
//! An entry passed as its encoding (a `Uint8Array`) is exported from a
//! [view](lokryn_compliance_log::view) of those bytes, without decoding it:
//! the same output as from the decoded entry, the same error for bytes that
//! do not decode.
//!
//! Every failure throws a `ComplianceLogError`: `TYPE` for an argument of
//! the wrong shape, the core's codes for an entry that cannot be decoded,
//! and `lokryn_export::Error::code` (`IMPORT`, `EXPORT_MAPPING`,
//! `EXPORT_WRITE`, a report's `UNKNOWN_PROFILE`, `BAD_TIME` or ledger code)
//! for the rest.

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::view::{self, LogEntryView};
use lokryn_compliance_log_js::api::EntryInput;
use lokryn_compliance_log_js::{ErrorInfo, Failure, Host, JsType, ToJs as _, api};
use lokryn_export::report as evidence;
use lokryn_export::{Options, Record, ecs, lokryn_v0_2, ocsf, ocsf_import, otlp};
use napi::bindgen_prelude::{Env, FromNapiValue, JsObjectValue, Object, Result, Unknown};
use napi_derive::napi;

use crate::{Node, arg};

type R<T> = std::result::Result<T, Failure<napi::Error>>;

/// The thrown error of an export or import failure.
fn failure(err: &lokryn_export::Error) -> Failure<napi::Error> {
    Failure::Throw(
        ErrorInfo {
            code: err.code(),
            message: err.to_string(),
            details: Vec::new(),
        },
        None,
    )
}

/// A `TYPE` error about the argument or option `field`.
fn type_error(message: String, field: &str) -> Failure<napi::Error> {
    Failure::Throw(ErrorInfo::type_error(message, field.to_owned()), None)
}

/// The options object: `undefined`, `null` or an object with only the
/// `allowed` keys (a misspelt option is an error, not a silent default).
fn options<'env>(h: &Node<'env>, v: &Unknown<'env>, allowed: &[&str]) -> R<Option<Object<'env>>> {
    match h.type_of(v).map_err(Failure::Host)? {
        JsType::Undefined | JsType::Null => Ok(None),
        JsType::Object => {
            for key in h.own_keys(v).map_err(Failure::Host)? {
                if !allowed.contains(&key.as_str()) {
                    return Err(type_error(
                        format!(
                            "options: unknown option {key:?} (expected {})",
                            allowed.join(", ")
                        ),
                        "options",
                    ));
                }
            }
            Object::from_unknown(*v).map(Some).map_err(Failure::Host)
        }
        other => Err(type_error(
            format!("options: expected an object, got {}", other.describe()),
            "options",
        )),
    }
}

/// An option's value, `None` when unset (or `undefined`).
fn option<'env>(h: &Node<'env>, o: &Object<'env>, name: &str) -> R<Option<Unknown<'env>>> {
    let value: Unknown<'env> = o.get_named_property(name).map_err(Failure::Host)?;
    Ok(match h.type_of(&value).map_err(Failure::Host)? {
        JsType::Undefined => None,
        _ => Some(value),
    })
}

/// `observedTimeNs`: nanoseconds since the epoch, a non-negative `bigint`
/// or safe integer `number`.
fn observed_time_ns(h: &Node<'_>, v: &Unknown<'_>) -> R<u64> {
    let bad = |got: &str| {
        type_error(
            format!(
                "options.observedTimeNs: expected a non-negative integer (bigint or number), got {got}"
            ),
            "observedTimeNs",
        )
    };
    match h.type_of(v).map_err(Failure::Host)? {
        JsType::BigInt => match h.bigint(v).map_err(Failure::Host)? {
            Some(n) => u64::try_from(n).map_err(|_| bad("a negative bigint")),
            None => Err(bad("a bigint beyond 64 bits")),
        },
        JsType::Number => {
            let n = h.number(v).map_err(Failure::Host)?;
            // 2^53: the largest range of exactly representable integers.
            if n.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&n) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(n as u64)
            } else {
                Err(bad("a number that is not a safe non-negative integer"))
            }
        }
        other => Err(bad(other.describe())),
    }
}

/// A string argument or option.
fn text(h: &Node<'_>, v: &Unknown<'_>, what: &str) -> R<String> {
    let kind = h.type_of(v).map_err(Failure::Host)?;
    if kind != JsType::String {
        return Err(type_error(
            format!("{what}: expected a string, got {}", kind.describe()),
            what,
        ));
    }
    h.string(v).map_err(Failure::Host)
}

/// The export options of `toOcsf` (`logName` too) or the OTLP functions.
fn export_options(h: &Node<'_>, v: &Unknown<'_>, with_log_name: bool) -> R<Options> {
    let allowed: &[&str] = if with_log_name {
        &["observedTimeNs", "logName"]
    } else {
        &["observedTimeNs"]
    };
    let mut out = Options::default();
    let Some(o) = options(h, v, allowed)? else {
        return Ok(out);
    };
    if let Some(t) = option(h, &o, "observedTimeNs")? {
        out.observed_time_ns = Some(observed_time_ns(h, &t)?);
    }
    if with_log_name && let Some(name) = option(h, &o, "logName")? {
        out.log_name = Some(text(h, &name, "options.logName")?);
    }
    Ok(out)
}

/// Runs `f` over Node and throws its failure.
fn call<'env>(
    env: &'env Env,
    f: impl FnOnce(&Node<'env>) -> R<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    let h = Node::new(env)?;
    let result = f(&h);
    h.finish(result)
}

/// An entry argument read: a view of its encoding, or the object converted.
// The view lives on the stack for one call (a batch holds one per entry);
// boxing it would add an allocation to every record the view path saves.
#[allow(clippy::large_enum_variant)]
enum Read<'a> {
    View(LogEntryView<'a>, &'a [u8]),
    Entry(&'a LogEntry),
}

impl<'a> Read<'a> {
    /// A view of an encoding (failing as decoding it fails), or the entry.
    fn of(input: &'a EntryInput) -> R<Self> {
        Ok(match input {
            EntryInput::Encoded(bytes) => Read::View(view::decode(bytes, &Limits::DEFAULT)?, bytes),
            EntryInput::Entry(entry) => Read::Entry(entry),
        })
    }

    fn record(&self) -> Record<'_> {
        match self {
            Read::View(view, bytes) => Record::view(view, bytes),
            Read::Entry(entry) => Record::Entry(entry),
        }
    }
}

/// The entry (an object or its encoding) as an OCSF 1.7.0 event, JSON text.
#[napi]
pub fn export_ocsf<'env>(
    env: &'env Env,
    entry: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    call(env, |h| {
        let options = export_options(h, &arg(h, options).map_err(Failure::Host)?, true)?;
        let input = api::entry_or_encoding(h, &entry)?;
        let mut event = Vec::with_capacity(1024);
        ocsf::write_ocsf_record(Read::of(&input)?.record(), &options, &mut event)
            .map_err(|e| failure(&e))?;
        let event = String::from_utf8(event)
            .map_err(|e| failure(&lokryn_export::Error::Write(format!("OCSF JSON: {e}"))))?;
        h.new_string(&event).map_err(Failure::Host)
    })
}

/// The entry as an ECS 9.x document, JSON text.
#[napi]
pub fn export_ecs<'env>(env: &'env Env, entry: Unknown<'env>) -> Result<Unknown<'env>> {
    call(env, |h| {
        let input = api::entry_or_encoding(h, &entry)?;
        let doc = ecs::to_ecs_record(Read::of(&input)?.record(), &Options::default())
            .map_err(|e| failure(&e))?;
        h.new_string(&doc.to_string()).map_err(Failure::Host)
    })
}

/// The entries as one OTLP `ExportLogsServiceRequest`: OTLP/JSON text when
/// `json`, protobuf bytes otherwise.
#[napi]
pub fn export_otlp<'env>(
    env: &'env Env,
    entries: Unknown<'env>,
    json: bool,
    options: Option<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    call(env, |h| {
        let options = export_options(h, &arg(h, options).map_err(Failure::Host)?, false)?;
        // Read up to the first element that is neither an object nor bytes;
        // an earlier one that does not decode fails first, as when each was
        // decoded in turn.
        let (inputs, unread) =
            api::entries_until_failure(h, &entries, "entries", api::entry_or_encoding)?;
        let read = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| Read::of(input).map_err(|f| api::at_index(f, i)))
            .collect::<R<Vec<_>>>()?;
        if let Some(f) = unread {
            return Err(f);
        }
        let records: Vec<Record<'_>> = read.iter().map(Read::record).collect();
        if json {
            let request = otlp::to_request_records(records.iter().copied(), &options)
                .map_err(|e| failure(&e))?;
            let text = otlp::to_json(&request).map_err(|e| failure(&e))?;
            h.new_string(&text).map_err(Failure::Host)
        } else {
            let body = otlp::encode_request_records(&records, &options).map_err(|e| failure(&e))?;
            h.new_bytes(&body).map_err(Failure::Host)
        }
    })
}

/// The entry an OCSF event (JSON text) exported by `toOcsf` came from.
#[napi]
pub fn import_ocsf<'env>(env: &'env Env, event: Unknown<'env>) -> Result<Unknown<'env>> {
    call(env, |h| {
        let event = text(h, &event, "event")?;
        let event: serde_json::Value = serde_json::from_str(&event)
            .map_err(|e| failure(&lokryn_export::Error::Import(format!("OCSF event: {e}"))))?;
        let entry = ocsf_import::from_ocsf(&event).map_err(|e| failure(&e))?;
        entry.to_js(h).map_err(Failure::Host)
    })
}

/// Entries from records of the vendor's 0.2.0 package: a string is one
/// JSON record or JSON Lines; a `Uint8Array` is binary, laid out as
/// `options.framing` says (`"auto"`, `"single"` or `"delimited"`).
#[napi(js_name = "importLokryn02")]
pub fn import_lokryn_0_2<'env>(
    env: &'env Env,
    data: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    call(env, |h| {
        let options = arg(h, options).map_err(Failure::Host)?;
        let mut framing = lokryn_v0_2::Framing::Auto;
        if let Some(o) = self::options(h, &options, &["framing"])?
            && let Some(f) = option(h, &o, "framing")?
        {
            framing = match text(h, &f, "options.framing")?.as_str() {
                "auto" => lokryn_v0_2::Framing::Auto,
                "single" => lokryn_v0_2::Framing::Single,
                "delimited" => lokryn_v0_2::Framing::Delimited,
                other => {
                    return Err(type_error(
                        format!(
                            "options.framing: expected \"auto\", \"single\" or \"delimited\", got {other:?}"
                        ),
                        "framing",
                    ));
                }
            };
        }
        let list = match h.type_of(&data).map_err(Failure::Host)? {
            JsType::String => from_json_text(&h.string(&data).map_err(Failure::Host)?)?,
            JsType::Object => match h.bytes(&data).map_err(Failure::Host)? {
                Some(bytes) => {
                    lokryn_v0_2::read_binary(&bytes, framing).map_err(|e| failure(&e))?
                }
                None => return Err(not_data("an object that is not a Uint8Array")),
            },
            other => return Err(not_data(other.describe())),
        };
        let items = list
            .iter()
            .map(|e| e.to_js(h))
            .collect::<Result<Vec<_>>>()
            .map_err(Failure::Host)?;
        h.new_array(items).map_err(Failure::Host)
    })
}

fn not_data(got: &str) -> Failure<napi::Error> {
    type_error(
        format!("data: expected a string (JSON) or a Uint8Array (binary), got {got}"),
        "data",
    )
}

/// One JSON record (maybe pretty-printed), else JSON Lines; a failing line's
/// error carries its `index` among the records.
fn from_json_text(text: &str) -> R<Vec<LogEntry>> {
    if let Ok(one) = lokryn_v0_2::from_json(text) {
        return Ok(vec![one]);
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| lokryn_v0_2::from_json(line).map_err(|e| api::at_index(failure(&e), i)))
        .collect()
}

/// `options.profiles`: a profile name (several joined by commas) or an
/// Array of names.
fn profiles(h: &Node<'_>, v: &Unknown<'_>) -> R<Vec<String>> {
    let bad = |got: &str| {
        type_error(
            format!("options.profiles: expected a string or an Array of strings, got {got}"),
            "profiles",
        )
    };
    match h.type_of(v).map_err(Failure::Host)? {
        JsType::String => Ok(vec![h.string(v).map_err(Failure::Host)?]),
        JsType::Object => {
            let items = h
                .array(v)
                .map_err(Failure::Host)?
                .ok_or_else(|| bad("an object"))?;
            items
                .iter()
                .map(|item| {
                    h.as_string(item)
                        .map_err(Failure::Host)?
                        .ok_or_else(|| bad("an Array holding something else"))
                })
                .collect()
        }
        other => Err(bad(other.describe())),
    }
}

/// The evidence report (`lokryn_export::report`, docs/report.md) as JSON
/// text, or as the HTML page with `format: "html"`. `source` is a ledger
/// directory (a string: verified, records named by ledger index) or an
/// Array of entries (objects or their encodings: integrity cannot be
/// shown, records named by position). `options`: `profiles`, `since`,
/// `until`, `key` (the path of the public key to verify the ledger with),
/// `format`.
#[napi]
pub fn report<'env>(
    env: &'env Env,
    source: Unknown<'env>,
    options: Option<Unknown<'env>>,
) -> Result<Unknown<'env>> {
    call(env, |h| {
        let options = arg(h, options).map_err(Failure::Host)?;
        let mut settings = evidence::Settings::default();
        let mut key = None;
        let mut html = false;
        let allowed = ["profiles", "since", "until", "key", "format"];
        if let Some(o) = self::options(h, &options, &allowed)? {
            if let Some(v) = option(h, &o, "format")? {
                html = match text(h, &v, "options.format")?.as_str() {
                    "json" => false,
                    "html" => true,
                    other => {
                        return Err(type_error(
                            format!("options.format: expected \"json\" or \"html\", got {other:?}"),
                            "format",
                        ));
                    }
                };
            }
            if let Some(v) = option(h, &o, "profiles")? {
                settings.profiles = profiles(h, &v)?;
            }
            if let Some(v) = option(h, &o, "since")? {
                settings.since = Some(text(h, &v, "options.since")?);
            }
            if let Some(v) = option(h, &o, "until")? {
                settings.until = Some(text(h, &v, "options.until")?);
            }
            if let Some(v) = option(h, &o, "key")? {
                let path = text(h, &v, "options.key")?;
                let verifier = lokryn_ledger::store::load_verifier(std::path::Path::new(&path))
                    .map_err(|e| {
                        failure(&lokryn_export::Error::Report {
                            code: e.code,
                            message: e.to_string(),
                        })
                    })?;
                key = Some(verifier);
            }
        }
        let data = if h.type_of(&source).map_err(Failure::Host)? == JsType::String {
            let dir = h.string(&source).map_err(Failure::Host)?;
            let command = settings.call("report", &format!("{dir:?}"), true);
            evidence::ledger::report(
                std::path::Path::new(&dir),
                settings,
                key.as_ref(),
                &command,
                env!("CARGO_PKG_VERSION"),
            )
            .map_err(|e| failure(&e))?
        } else {
            let entries = api::entries_input(h, &source, "source")?;
            let command = settings.call("report", "<records>", true);
            let mut collector = evidence::Collector::new(settings).map_err(|e| failure(&e))?;
            for (index, entry) in entries.iter().enumerate() {
                collector.add(index as u64, entry, None);
            }
            collector.finish_records(command, env!("CARGO_PKG_VERSION"))
        };
        let out = if html {
            evidence::html::render(&data)
        } else {
            data.to_string()
        };
        h.new_string(&out).map_err(Failure::Host)
    })
}

/// Report data (JSON text) rendered as the HTML page `complog report`
/// writes.
#[napi]
pub fn render_report_html<'env>(env: &'env Env, data: Unknown<'env>) -> Result<Unknown<'env>> {
    call(env, |h| {
        let data = text(h, &data, "data")?;
        let data: serde_json::Value = serde_json::from_str(&data).map_err(|e| {
            failure(&lokryn_export::Error::Report {
                code: "REPORT",
                message: format!("report data: {e}"),
            })
        })?;
        h.new_string(&evidence::html::render(&data))
            .map_err(Failure::Host)
    })
}
