//! The functions of the npm packages, written once over [`Host`]: each
//! binding's exported function converts its arguments' handles, calls one of
//! these and throws the [`Failure`] if any. All the work is the core's.

use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::codec::{self, Limits};
use lokryn_compliance_log::json::{self, JsonOptions};
use lokryn_compliance_log::redact::RedactOptions;
use lokryn_compliance_log::sensitive;
use lokryn_compliance_log::stream::{DelimitedDecoder, DelimitedReader, DelimitedWriter};
use lokryn_compliance_log::validate::{self, Options};

use crate::{
    Detail, ErrorInfo, Factory, Failure, FromJs, Host, JsType, Key, ToJs, findings_to_js,
    report_to_js, unreadable_to_js,
};

pub(crate) type R<T, H> = Result<T, Failure<<H as Host>::Error>>;

pub(crate) fn type_error<H: Host>(message: String) -> Failure<H::Error> {
    Failure::Throw(ErrorInfo::type_error(message, String::new()), None)
}

/// The bytes of a `Uint8Array` argument.
pub(crate) fn bytes_arg<H: Host>(h: &H, v: &H::Value, what: &str) -> R<Vec<u8>, H> {
    let kind = h.type_of(v).map_err(Failure::Host)?;
    if kind == JsType::Object {
        if let Some(bytes) = h.bytes(v).map_err(Failure::Host)? {
            return Ok(bytes);
        }
    }
    let got = if kind == JsType::Object {
        "an object that is not a Uint8Array"
    } else {
        kind.describe()
    };
    Err(type_error::<H>(format!(
        "{what}: expected a Uint8Array, got {got}"
    )))
}

/// An entry object (not bytes, not an array); `what` names the argument
/// in the `TYPE` error.
pub fn entry_arg<H: Host>(h: &H, v: &H::Value, what: &str) -> R<LogEntry, H> {
    let kind = h.type_of(v).map_err(Failure::Host)?;
    if kind != JsType::Object {
        return Err(type_error::<H>(format!(
            "{what}: expected a LogEntry object, got {}",
            kind.describe()
        )));
    }
    if h.is_bytes(v).map_err(Failure::Host)? {
        return Err(type_error::<H>(format!(
            "{what}: expected a LogEntry object, got a Uint8Array"
        )));
    }
    if h.array(v).map_err(Failure::Host)?.is_some() {
        return Err(type_error::<H>(format!(
            "{what}: expected a LogEntry object, got an Array"
        )));
    }
    LogEntry::from_js(h, v).map_err(|e| Failure::convert(e, what))
}

/// An entry argument as given: the bytes of a `Uint8Array` (not decoded
/// yet), or an entry object converted.
#[derive(Debug)]
pub enum EntryInput {
    /// An entry's encoding.
    Encoded(Vec<u8>),
    /// An entry object.
    Entry(Box<LogEntry>),
}

/// An entry object or its encoding, the encoding left undecoded (for a
/// caller that reads it as a view).
pub fn entry_or_encoding<H: Host>(h: &H, v: &H::Value) -> R<EntryInput, H> {
    if h.type_of(v).map_err(Failure::Host)? == JsType::Object {
        if let Some(bytes) = h.bytes(v).map_err(Failure::Host)? {
            return Ok(EntryInput::Encoded(bytes));
        }
    }
    entry_arg(h, v, "entry").map(|entry| EntryInput::Entry(Box::new(entry)))
}

/// An entry object or its encoding.
pub fn entry_input<H: Host>(h: &H, v: &H::Value) -> R<LogEntry, H> {
    match entry_or_encoding(h, v)? {
        EntryInput::Encoded(bytes) => Ok(codec::decode(&bytes)?),
        EntryInput::Entry(entry) => Ok(*entry),
    }
}

/// Options: an object with only the `allowed` keys, or unset.
fn options<H: Host>(h: &H, v: &H::Value, allowed: &[&str]) -> R<bool, H> {
    match h.type_of(v).map_err(Failure::Host)? {
        JsType::Undefined | JsType::Null => Ok(false),
        JsType::Object => {
            for key in h.own_keys(v).map_err(Failure::Host)? {
                if !allowed.contains(&key.as_str()) {
                    return Err(type_error::<H>(format!(
                        "options: unknown option `{key}`{}",
                        if allowed.is_empty() {
                            String::new()
                        } else {
                            format!(" (known: {})", allowed.join(", "))
                        }
                    )));
                }
            }
            Ok(true)
        }
        k => Err(type_error::<H>(format!(
            "options: expected an object, got {}",
            k.describe()
        ))),
    }
}

const MAX_ENTRY_BYTES: Key = Key::new("maxEntryBytes", c"maxEntryBytes");
const IGNORE_UNKNOWN_FIELDS: Key = Key::new("ignoreUnknownFields", c"ignoreUnknownFields");

fn limits<H: Host>(h: &H, o: &H::Value) -> R<Limits, H> {
    let v = h.get(o, MAX_ENTRY_BYTES).map_err(Failure::Host)?;
    match h.type_of(&v).map_err(Failure::Host)? {
        JsType::Undefined => Ok(Limits::DEFAULT),
        JsType::Number => {
            let n = h.number(&v).map_err(Failure::Host)?;
            if n.fract() == 0.0 && (1.0..=9_007_199_254_740_991.0).contains(&n) {
                #[allow(clippy::cast_possible_truncation)] // A safe integer.
                Ok(Limits::with_max_entry_bytes(
                    usize::try_from(n as u64).unwrap_or(usize::MAX),
                ))
            } else {
                Err(type_error::<H>(format!(
                    "options.maxEntryBytes: expected a positive integer, got {n}"
                )))
            }
        }
        k => Err(type_error::<H>(format!(
            "options.maxEntryBytes: expected a number, got {}",
            k.describe()
        ))),
    }
}

fn read_options<H: Host>(h: &H, o: &H::Value) -> R<Limits, H> {
    if options(h, o, &["maxEntryBytes"])? {
        limits(h, o)
    } else {
        Ok(Limits::DEFAULT)
    }
}

const PROFILE: Key = Key::new("profile", c"profile");
const KEY: Key = Key::new("key", c"key");

/// `{ profile?: string | string[] }`: a profile name (or several joined
/// by commas), or an array of names; baseline always applies.
fn validate_options<H: Host>(h: &H, o: &H::Value) -> R<Options, H> {
    if !options(h, o, &["profile", "maxEntryBytes"])? {
        return Ok(Options::default());
    }
    let limits = limits(h, o)?;
    let v = h.get(o, PROFILE).map_err(Failure::Host)?;
    let names: Vec<String> = match h.type_of(&v).map_err(Failure::Host)? {
        JsType::Undefined => return Ok(Options::default().with_limits(limits)),
        JsType::String => vec![h.string(&v).map_err(Failure::Host)?],
        JsType::Object => {
            let items = h.array(&v).map_err(Failure::Host)?.ok_or_else(|| {
                type_error::<H>("options.profile: expected a string or an Array of strings".into())
            })?;
            let mut names = Vec::with_capacity(items.len());
            for item in &items {
                names.push(h.as_string(item).map_err(Failure::Host)?.ok_or_else(|| {
                    type_error::<H>(
                        "options.profile: expected a string or an Array of strings".into(),
                    )
                })?);
            }
            names
        }
        k => {
            return Err(type_error::<H>(format!(
                "options.profile: expected a string or an Array of strings, got {}",
                k.describe()
            )));
        }
    };
    Ok(Options::for_profiles(&names)?.with_limits(limits))
}

/// `{ key?: Uint8Array | string }`.
fn redact_options<H: Host>(h: &H, o: &H::Value) -> R<RedactOptions, H> {
    if !options(h, o, &["key"])? {
        return Ok(RedactOptions::default());
    }
    let v = h.get(o, KEY).map_err(Failure::Host)?;
    let key = match h.type_of(&v).map_err(Failure::Host)? {
        JsType::Undefined => return Ok(RedactOptions::default()),
        JsType::String => h.string(&v).map_err(Failure::Host)?.into_bytes(),
        JsType::Object => h.bytes(&v).map_err(Failure::Host)?.ok_or_else(|| {
            type_error::<H>("options.key: expected a Uint8Array or a string".into())
        })?,
        k => {
            return Err(type_error::<H>(format!(
                "options.key: expected a Uint8Array or a string, got {}",
                k.describe()
            )));
        }
    };
    Ok(RedactOptions::default().with_key(key))
}

fn text_arg<H: Host>(h: &H, v: &H::Value) -> R<String, H> {
    let kind = h.type_of(v).map_err(Failure::Host)?;
    if kind != JsType::String {
        return Err(type_error::<H>(format!(
            "text: expected a string, got {}",
            kind.describe()
        )));
    }
    h.string(v).map_err(Failure::Host)
}

/// `findSensitive(entry)`: every finding in the entry's searched fields.
pub fn find_sensitive<H: Host>(h: &H, entry: &H::Value) -> R<H::Value, H> {
    let entry = entry_input(h, entry)?;
    out::<H>(findings_to_js(h, &sensitive::find(&entry)))
}

/// `scanText(text)`: the findings in one string (`field` is "").
pub fn scan_text<H: Host>(h: &H, text: &H::Value) -> R<H::Value, H> {
    let text = text_arg(h, text)?;
    let findings: Vec<sensitive::Finding> = sensitive::scan_text(&text)
        .into_iter()
        .map(|m| sensitive::Finding {
            kind: m.kind,
            field: String::new(),
            start: m.start,
            end: m.end,
            confidence: m.confidence,
        })
        .collect();
    out::<H>(findings_to_js(h, &findings))
}

/// `redact(entry, options?)`: `{ entry, findings }`.
pub fn redact<H: Host>(h: &H, entry: &H::Value, options: &H::Value) -> R<H::Value, H> {
    out::<H>(redaction_to_js(h, &redaction(h, entry, options)?))
}

/// What `redact(entry, options?)` returns, before it is built.
pub fn redaction<H: Host>(
    h: &H,
    entry: &H::Value,
    options: &H::Value,
) -> R<lokryn_compliance_log::redact::Redacted, H> {
    let options = redact_options(h, options)?;
    let entry = entry_input(h, entry)?;
    Ok(lokryn_compliance_log::redact::redact(&entry, &options))
}

/// Builds the `{ entry, findings }` of a redaction.
pub fn redaction_to_js<H: Host>(
    h: &H,
    redacted: &lokryn_compliance_log::redact::Redacted,
) -> Result<H::Value, H::Error> {
    let entry = redacted.entry.to_js(h)?;
    let findings = findings_to_js(h, &redacted.findings)?;
    h.build(Factory::Redaction, vec![entry, findings])
}

/// `redactText(text, options?)`.
pub fn redact_text<H: Host>(h: &H, text: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let options = redact_options(h, options)?;
    let text = text_arg(h, text)?;
    out::<H>(h.new_string(&lokryn_compliance_log::redact::redact_text(&text, &options)))
}

pub(crate) fn out<H: Host>(r: Result<H::Value, H::Error>) -> R<H::Value, H> {
    r.map_err(Failure::Host)
}

/// `encode(entry, options?)`: refuses (`TOO_LARGE`) an entry that
/// `decode` with the same `maxEntryBytes` would refuse.
pub fn encode<H: Host>(h: &H, entry: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let limits = read_options(h, options)?;
    let entry = entry_arg(h, entry, "entry")?;
    out::<H>(h.new_bytes(&codec::encode_with(&entry, &limits)?))
}

/// `decode(bytes, options?)`.
pub fn decode<H: Host>(h: &H, bytes: &H::Value, options: &H::Value) -> R<H::Value, H> {
    out::<H>(decode_entry(h, bytes, options)?.to_js(h))
}

/// The limits `options` of `decode(bytes, options?)` set.
pub fn decode_options<H: Host>(h: &H, options: &H::Value) -> R<Limits, H> {
    read_options(h, options)
}

/// The entry `decode(bytes, options?)` returns, before it is built.
pub fn decode_entry<H: Host>(h: &H, bytes: &H::Value, options: &H::Value) -> R<LogEntry, H> {
    let bytes = bytes_arg(h, bytes, "bytes")?;
    let limits = read_options(h, options)?;
    Ok(codec::decode_with(&bytes, &limits)?)
}

/// `encodeDelimited(entries, options?)`: refuses (`TOO_LARGE`, with the
/// entry's `index`) what `decodeDelimited` with the same `maxEntryBytes`
/// would refuse.
pub fn encode_delimited<H: Host>(h: &H, entries: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let limits = read_options(h, options)?;
    let items = array_arg(h, entries, "entries", "an Array of LogEntry objects")?;
    let mut writer = DelimitedWriter::with_limits(Vec::with_capacity(items.len() * 128), limits);
    for (i, item) in items.iter().enumerate() {
        let entry = entry_arg(h, item, &format!("entries[{i}]")).map_err(|f| match f {
            Failure::Throw(mut info, report) => {
                info.details.push(("index", Detail::Number(i as f64)));
                Failure::Throw(info, report)
            }
            other => other,
        })?;
        writer.write(&entry).map_err(|e| {
            let mut info = ErrorInfo::from_core(&e);
            info.details.push(("index", Detail::Number(i as f64)));
            Failure::Throw(info, None)
        })?;
    }
    out::<H>(h.new_bytes(&writer.into_inner()))
}

/// An array of entries, each an object or its encoding (the ledger's
/// `append`); a failing element's error carries its `index`.
pub fn entries_input<H: Host>(h: &H, entries: &H::Value, what: &str) -> R<Vec<LogEntry>, H> {
    match entries_until_failure(h, entries, what, entry_input)? {
        (_, Some(failure)) => Err(failure),
        (list, None) => Ok(list),
    }
}

/// The results for the elements of an Array read before one failed, and
/// that one's failure (see [`entries_until_failure`]).
pub type Partial<T, H> = (Vec<T>, Option<Failure<<H as Host>::Error>>);

/// `each` of the elements of an Array of entries, in order, up to the first
/// that fails: the results before it, and its failure (carrying its
/// `index`). An argument that is not an Array fails as a whole.
pub fn entries_until_failure<H: Host, T>(
    h: &H,
    entries: &H::Value,
    what: &str,
    each: impl Fn(&H, &H::Value) -> R<T, H>,
) -> R<Partial<T, H>, H> {
    let items = array_arg(
        h,
        entries,
        what,
        "an Array of LogEntry objects or Uint8Arrays",
    )?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match each(h, item) {
            Ok(one) => out.push(one),
            Err(failure) => return Ok((out, Some(at_index(failure, i)))),
        }
    }
    Ok((out, None))
}

/// `failure` with the `index` of the element of an Array it is about.
pub fn at_index<E>(failure: Failure<E>, index: usize) -> Failure<E> {
    match failure {
        Failure::Throw(mut info, report) => {
            info.details.push(("index", Detail::Number(index as f64)));
            Failure::Throw(info, report)
        }
        other => other,
    }
}

/// `decodeDelimited(bytes, options?)`.
pub fn decode_delimited<H: Host>(h: &H, bytes: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let mut items = Vec::new();
    decode_delimited_each(h, bytes, options, |entry| {
        items.push(entry.to_js(h).map_err(Failure::Host)?);
        Ok(())
    })?;
    out::<H>(h.new_array(items))
}

/// Calls `each` with every entry `decodeDelimited(bytes, options?)`
/// returns, in order, before it is built.
pub fn decode_delimited_each<H: Host>(
    h: &H,
    bytes: &H::Value,
    options: &H::Value,
    mut each: impl FnMut(LogEntry) -> R<(), H>,
) -> R<(), H> {
    let bytes = bytes_arg(h, bytes, "bytes")?;
    let limits = read_options(h, options)?;
    for entry in DelimitedReader::with_limits(bytes.as_slice(), limits) {
        each(entry?)?;
    }
    Ok(())
}

/// `toJsonString(entry)`.
pub fn to_json_string<H: Host>(h: &H, entry: &H::Value) -> R<H::Value, H> {
    let entry = entry_input(h, entry)?;
    out::<H>(h.new_string(&json::to_json(&entry)?))
}

/// `fromJsonString(text, options?)`.
pub fn from_json_string<H: Host>(h: &H, text: &H::Value, options: &H::Value) -> R<H::Value, H> {
    out::<H>(from_json_entry(h, text, options)?.to_js(h))
}

/// The entry `fromJsonString(text, options?)` returns, before it is built.
pub fn from_json_entry<H: Host>(h: &H, text: &H::Value, options: &H::Value) -> R<LogEntry, H> {
    let kind = h.type_of(text).map_err(Failure::Host)?;
    if kind != JsType::String {
        return Err(type_error::<H>(format!(
            "text: expected a string, got {}",
            kind.describe()
        )));
    }
    let text = h.string(text).map_err(Failure::Host)?;
    let mut json_options = JsonOptions::default();
    if self::options(h, options, &["maxEntryBytes", "ignoreUnknownFields"])? {
        json_options.limits = limits(h, options)?;
        let v = h
            .get(options, IGNORE_UNKNOWN_FIELDS)
            .map_err(Failure::Host)?;
        json_options.ignore_unknown_fields = match h.type_of(&v).map_err(Failure::Host)? {
            JsType::Undefined => false,
            JsType::Boolean => h.boolean(&v).map_err(Failure::Host)?,
            k => {
                return Err(type_error::<H>(format!(
                    "options.ignoreUnknownFields: expected a boolean, got {}",
                    k.describe()
                )));
            }
        };
    }
    Ok(json::from_json_with(&text, &json_options)?)
}

/// The report on an entry argument. Bytes are validated as encoded
/// (so fields the schema does not define get `unknown_field` warnings,
/// as in every other binding); objects as they are.
fn report_of<H: Host>(h: &H, v: &H::Value, options: &Options) -> R<validate::Report, H> {
    if h.type_of(v).map_err(Failure::Host)? == JsType::Object {
        if let Some(bytes) = h.bytes(v).map_err(Failure::Host)? {
            return Ok(validate::validate_bytes(&bytes, options)?);
        }
    }
    let entry = entry_arg(h, v, "entry")?;
    Ok(validate::validate_with(&entry, options))
}

/// `validate(entry, options?)`.
pub fn validate<H: Host>(h: &H, entry: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let options = validate_options(h, options)?;
    let report = report_of(h, entry, &options)?;
    out::<H>(report_to_js(h, &report))
}

/// `validateDelimited(bytes, options?)`: one report per entry. An entry
/// that cannot be read gets a report that is not valid, whose `error` (code,
/// `index`, `offset`) says why; the others are judged. A broken frame (a
/// bad length prefix, an entry over the limit, a truncated end) is reported
/// so too, and ends the stream when the reader cannot find the next entry.
pub fn validate_delimited<H: Host>(h: &H, bytes: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let options = validate_options(h, options)?;
    let bytes = bytes_arg(h, bytes, "bytes")?;
    let mut items = Vec::new();
    let mut reader = DelimitedReader::with_limits(bytes.as_slice(), options.limits());
    let mut batch = validate::BatchValidator::new(options);
    while let Some(frame) = reader.next_frame() {
        let report = match frame {
            Ok(frame) => batch
                .validate_encoded(&frame.bytes)
                .map_err(|e| e.at_entry(frame.index, frame.offset, None)),
            // The reader places its own errors.
            Err(e) => Err(e),
        };
        let item = match report {
            Ok(report) => report_to_js(h, &report),
            Err(e) => unreadable_to_js(h, &ErrorInfo::from_core(&e)),
        };
        items.push(item.map_err(Failure::Host)?);
    }
    out::<H>(h.new_array(items))
}

/// `assertValid(entry, options?)`: `undefined`, or throws `INVALID`.
pub fn assert_valid<H: Host>(h: &H, entry: &H::Value, options: &H::Value) -> R<H::Value, H> {
    let options = validate_options(h, options)?;
    let report = report_of(h, entry, &options)?;
    if report.is_valid() {
        out::<H>(h.undefined())
    } else {
        Err(Failure::Throw(ErrorInfo::invalid(&report), Some(report)))
    }
}

/// `new DelimitedDecoder(options?)`.
pub fn decoder_new<H: Host>(h: &H, options: &H::Value) -> R<DelimitedDecoder, H> {
    Ok(DelimitedDecoder::with_limits(read_options(h, options)?))
}

/// `decoder.push(chunk)`.
pub fn decoder_push<H: Host>(
    h: &H,
    decoder: &mut DelimitedDecoder,
    chunk: &H::Value,
) -> R<H::Value, H> {
    decoder.push(&bytes_arg(h, chunk, "chunk")?);
    out::<H>(h.undefined())
}

/// `decoder.read()`: the next entry, or `undefined` until more bytes come.
pub fn decoder_read<H: Host>(h: &H, decoder: &mut DelimitedDecoder) -> R<H::Value, H> {
    match decoder_next::<H>(decoder)? {
        Some(entry) => out::<H>(entry.to_js(h)),
        None => out::<H>(h.undefined()),
    }
}

/// The entry `decoder.read()` returns, before it is built.
pub fn decoder_next<H: Host>(decoder: &mut DelimitedDecoder) -> R<Option<LogEntry>, H> {
    Ok(decoder.next_entry().transpose()?)
}

/// `decoder.end()`: throws when the stream stopped inside an entry.
pub fn decoder_end<H: Host>(h: &H, decoder: &DelimitedDecoder) -> R<H::Value, H> {
    decoder.finish()?;
    out::<H>(h.undefined())
}

/// The elements of the array argument `what`; a `TYPE` error saying it
/// expected `expected` for anything else.
fn array_arg<H: Host>(h: &H, value: &H::Value, what: &str, expected: &str) -> R<Vec<H::Value>, H> {
    let kind = h.type_of(value).map_err(Failure::Host)?;
    let items = match kind {
        JsType::Object => h.array(value).map_err(Failure::Host)?,
        _ => None,
    };
    items.ok_or_else(|| {
        let got = if kind == JsType::Object {
            "an object"
        } else {
            kind.describe()
        };
        type_error::<H>(format!("{what}: expected {expected}, got {got}"))
    })
}
