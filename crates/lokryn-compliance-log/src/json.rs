//! Canonical proto3 JSON, both ways.
//!
//! The output is the JSON value Python's `google.protobuf.json_format`
//! (`MessageToJson` with default options) and protobuf-es (`toJson`) produce
//! for the same message: lowerCamel keys, default-valued fields omitted,
//! enums by name (by number when the value is unknown to this schema), 64-bit
//! integers as strings, bytes as padded base64, timestamps as RFC 3339 in UTC.
//! It is written compactly, keys in field-number order.
//!
//! The reader accepts everything the proto3 JSON mapping allows, so it parses
//! what those libraries emit and what people write by hand: lowerCamel or
//! original field names, enums by name or number, 64-bit integers as numbers
//! or strings, standard or URL-safe base64, timestamps with any offset, and
//! `null` for "not set". It refuses an object that gives a key twice, or
//! one field under both its names (`actorId` and `actor_id`): parsers
//! disagree on which value wins, and an audit record must read the same
//! everywhere.

use prost_reflect::{DeserializeOptions, DynamicMessage, ReflectMessage as _};

use crate::codec::{Limits, check_size};
use crate::{Error, LogEntry, Result};

pub(crate) mod escape;
mod read;
mod unique;

/// Options for [`from_json_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct JsonOptions {
    /// Skip object keys the schema does not define instead of failing (the
    /// `ignore_unknown_fields` of json_format). Off by default, so that a
    /// misspelt field name is an error rather than silently lost data.
    pub ignore_unknown_fields: bool,
    /// Size limits.
    pub limits: Limits,
}

impl JsonOptions {
    /// These options with `ignore_unknown_fields` set as given.
    pub fn ignore_unknown_fields(mut self, yes: bool) -> Self {
        self.ignore_unknown_fields = yes;
        self
    }

    /// These options with the given size limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// Writes `entry` as canonical proto3 JSON.
///
/// Fails only when a value has no JSON form: a timestamp outside years
/// 1-9999 or with nanos outside `0..1e9`.
pub fn to_json(entry: &LogEntry) -> Result<String> {
    // Room for a typical record, so that the text is not moved as it grows.
    let mut out = String::with_capacity(1024);
    to_json_into(entry, &mut out)?;
    Ok(out)
}

/// Writes `entry` as canonical proto3 JSON, refusing text over
/// `limits.max_json_bytes` (what [`from_json_with`] under the same limits
/// would refuse) with [`Error::TooLarge`].
pub fn to_json_with(entry: &LogEntry, limits: &Limits) -> Result<String> {
    let text = to_json(entry)?;
    limits.check_json(text.len())?;
    Ok(text)
}

/// Writes a validation report (the `ValidationReport` message of
/// report.proto) as JSON with every field present, at its default value too
/// (`"valid": false`, `[]`, `""`, `"error": null`), so that readers of
/// reports find every key; otherwise as the canonical mapping writes it.
pub fn report_to_json(report: &crate::v1::ValidationReport) -> String {
    let mut out = String::with_capacity(128);
    let mut writer = write::JsonWriter::<true> { out: &mut out };
    // A report has no timestamp, the only value that can fail to write.
    let _ = write::WriteJson::write_json(report, &mut writer);
    out
}

/// Appends the canonical JSON of `entry` to `out`; on error `out` is left as
/// it was.
pub fn to_json_into(entry: &LogEntry, out: &mut String) -> Result<()> {
    let start = out.len();
    let mut writer = write::JsonWriter::<false> { out };
    let result = write::WriteJson::write_json(entry, &mut writer);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Reads one entry from proto3 JSON text, with default options.
pub fn from_json(text: &str) -> Result<LogEntry> {
    from_json_with(text, &JsonOptions::default())
}

/// Reads one entry from proto3 JSON text.
pub fn from_json_with(text: &str, options: &JsonOptions) -> Result<LogEntry> {
    let mut entry = LogEntry::default();
    from_json_into(text, options, &mut entry)?;
    Ok(entry)
}

/// Reads one entry from proto3 JSON text over `entry`, which may hold an
/// entry read before: the result is the entry [`from_json_with`] gives,
/// but the strings and lists already in `entry` are written over rather
/// than allocated anew, so a loop that reads many entries into one
/// (`entry` reused from line to line) makes few allocations. On error
/// `entry` is left empty (the default entry).
///
/// ```
/// use lokryn_compliance_log::json::{self, JsonOptions};
/// use lokryn_compliance_log::LogEntry;
///
/// let mut entry = LogEntry::default();
/// let mut actors = Vec::new();
/// for line in [r#"{"actorId":"alice","host":"h1"}"#, r#"{"actorId":"bob"}"#] {
///     json::from_json_into(line, &JsonOptions::default(), &mut entry)?;
///     actors.push((entry.actor_id.clone(), entry.host.clone()));
/// }
/// assert_eq!(actors, [("alice".into(), "h1".into()), ("bob".into(), String::new())]);
/// # Ok::<(), lokryn_compliance_log::Error>(())
/// ```
pub fn from_json_into(text: &str, options: &JsonOptions, entry: &mut LogEntry) -> Result<()> {
    let result =
        check_size("JSON text", text.len(), options.limits.max_json_bytes).and_then(|()| {
            // The generated reader takes the spellings writers produce; it gives
            // up on anything else, rarer spellings and errors alike, and the
            // reference reader below reads the text again (see `read`).
            if read::read_into(text, entry).is_some() {
                return Ok(());
            }
            *entry = reference_read(text, options)?;
            Ok(())
        });
    if result.is_err() {
        *entry = LogEntry::default();
    }
    result
}

/// The reference reader: prost-reflect's proto3 JSON support, refusing
/// repeated keys, then converted to the prost struct.
fn reference_read(text: &str, options: &JsonOptions) -> Result<LogEntry> {
    let parse = |track: bool| {
        let mut de = serde_json::Deserializer::from_str(text);
        let message = deserialize(&mut de, options, track)?;
        de.end().map_err(|e| json_error(&e, String::new()))?;
        Ok(message)
    };
    // Tracking the JSON path costs as much as the parse itself, so it is only
    // done again, to name the field, once a parse has failed.
    let message = parse(false).or_else(|_: Error| parse(true))?;
    typed(message)
}

/// Reads one entry from proto3 JSON given as bytes, which must be UTF-8.
pub fn from_json_slice(bytes: &[u8], options: &JsonOptions) -> Result<LogEntry> {
    check_size("JSON text", bytes.len(), options.limits.max_json_bytes)?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Error::Json {
            line,
            column: e.valid_up_to() - line_start + 1,
            path: String::new(),
            message: "invalid UTF-8".into(),
        }
    })?;
    from_json_with(text, options)
}

/// Reads one entry from an already-parsed JSON value (an element of a JSON
/// array of entries, say). Errors carry no line and column (they are 0).
///
/// A `serde_json::Value` has already settled an object's repeated key (it
/// keeps the last value), so this cannot refuse one as [`from_json`] does:
/// read entries from their text where that matters (for an array, parse it
/// as `Vec<&serde_json::value::RawValue>` and read each element's text).
pub fn from_json_value(value: serde_json::Value, options: &JsonOptions) -> Result<LogEntry> {
    let message = match deserialize(&value, options, false) {
        Ok(message) => message,
        Err(_) => deserialize(value, options, true)?,
    };
    typed(message)
}

fn deserialize<'de, D>(de: D, options: &JsonOptions, track: bool) -> Result<DynamicMessage>
where
    D: serde::Deserializer<'de, Error = serde_json::Error>,
{
    let descriptor = LogEntry::default().descriptor();
    let de_options = DeserializeOptions::new().deny_unknown_fields(!options.ignore_unknown_fields);
    let de = unique::Unique(de);
    if !track {
        return DynamicMessage::deserialize_with_options(descriptor, de, &de_options)
            .map_err(|e| json_error(&e, String::new()));
    }
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(de, &mut track);
    DynamicMessage::deserialize_with_options(descriptor, tracked, &de_options)
        .map_err(|e| json_error(&e, track.path().to_string()))
}

fn json_error(err: &serde_json::Error, path: String) -> Error {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let path = if path == "." || path == "?" {
        String::new()
    } else {
        path
    };
    Error::Json {
        line,
        column,
        path,
        message: redact_values(message),
    }
}

/// Removes input values that serde quotes in its messages (`invalid type:
/// string "4111…", expected …`), since audit records carry sensitive data
/// and error messages end up in logs. Enum names that look like identifiers
/// are kept: they tell the user which name was misspelt.
fn redact_values(message: &str) -> String {
    for prefix in ["invalid type: string \"", "invalid value: string \""] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some(end) = rest.find("\", expected") {
                let kind = prefix.trim_end_matches(" \"");
                return format!("{kind}{}", rest.get(end + 1..).unwrap_or_default());
            }
        }
    }
    if let Some(name) = message
        .strip_prefix("unrecognized enum value '")
        .and_then(|r| r.strip_suffix('\''))
    {
        let identifier =
            name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !identifier {
            return "unrecognized enum value".into();
        }
    }
    message.to_owned()
}

/// Checks `text` is one well-formed JSON value without reading it into the
/// schema (used to tell JSON from JSON Lines).
pub(crate) fn is_single_json_value(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// The code generated writers are built from.
pub(crate) mod write {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use crate::{Error, Result};

    /// The bytes [`JsonWriter::string`] looks at twice: `"`, `\\`, the
    /// control characters, and the lead bytes of U+0085 (`0xc2`) and of
    /// U+2028 and U+2029 (`0xe2`).
    #[allow(clippy::indexing_slicing)] // compile time: c < 256 indexes 256 entries
    static ATTENTION: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = c < 0x20 || c == b'"' as usize || c == b'\\' as usize || c == 0xc2 || c == 0xe2;
            c += 1;
        }
        t
    };

    /// True when one of the eight bytes is one of [`ATTENTION`]'s (SWAR:
    /// a byte below 0x20, or equal to one of the four others, makes the
    /// borrow tests below set its high bit; they never miss one, and as a
    /// yes-or-no answer they are exact).
    fn needs_attention(word: &[u8]) -> bool {
        use crate::swar::{below, eq, word_at};
        // Not eight bytes: the byte-by-byte path decides.
        word_at(word, 0).is_none_or(|w| {
            below(w, 0x20) | eq(w, b'"') | eq(w, b'\\') | eq(w, 0xc2) | eq(w, 0xe2) != 0
        })
    }

    /// Whether `b` is one of [`ATTENTION`]'s bytes, by comparisons (which
    /// vectorise) instead of the table.
    #[inline(always)]
    fn attention(b: u8) -> bool {
        (b < 0x20) | (b == b'"') | (b == b'\\') | (b == 0xc2) | (b == 0xe2)
    }

    /// Implemented by the generated code for every message of the schema.
    pub(crate) trait WriteJson {
        fn write_json<const ALL: bool>(&self, w: &mut JsonWriter<'_, ALL>) -> Result<()>;
    }

    /// Appends JSON tokens to a string. Commas are the caller's: `key` and
    /// `element` write them from the `first` flag and the index. With `ALL`
    /// every field is written, at its default value too (`null` for an unset
    /// message), instead of the canonical mapping's omission of them.
    pub(crate) struct JsonWriter<'a, const ALL: bool> {
        pub(crate) out: &'a mut String,
    }

    impl<const ALL: bool> JsonWriter<'_, ALL> {
        pub(crate) fn null(&mut self) {
            self.out.push_str("null");
        }

        pub(crate) fn begin_object(&mut self) {
            self.out.push('{');
        }

        pub(crate) fn end_object(&mut self) {
            self.out.push('}');
        }

        pub(crate) fn begin_array(&mut self) {
            self.out.push('[');
        }

        pub(crate) fn end_array(&mut self) {
            self.out.push(']');
        }

        /// Writes `"key":`, preceded by a comma unless it is the first key.
        pub(crate) fn key(&mut self, first: &mut bool, key: &str) {
            self.out.reserve(key.len() + 4);
            if !*first {
                self.out.push(',');
            }
            *first = false;
            self.out.push('"');
            self.out.push_str(key);
            self.out.push_str("\":");
        }

        /// Precedes array element `index` with a comma unless it is the first.
        pub(crate) fn element(&mut self, index: usize) {
            if index > 0 {
                self.out.push(',');
            }
        }

        /// A JSON string. Besides what JSON requires, U+0085, U+2028 and
        /// U+2029 are escaped: they are line breaks to many line splitters
        /// (Python's `str.splitlines`, JavaScript before ES2019), and output
        /// meant for JSON Lines must not break a record in two.
        pub(crate) fn string(&mut self, s: &str) {
            let bytes = s.as_bytes();
            // Most strings need no escape: one pass over all their bytes
            // (without an early exit, so that it is vectorised), then one
            // copy.
            if !bytes.iter().fold(false, |any, &b| any | attention(b)) {
                self.out.reserve(bytes.len() + 2);
                self.out.push('"');
                self.out.push_str(s);
                self.out.push('"');
                return;
            }
            self.out.push('"');
            let mut start = 0;
            let mut i = 0;
            while let Some(&b) = bytes.get(i) {
                if let Some(word) = bytes.get(i..i + 8)
                    && !needs_attention(word)
                {
                    // Eight plain bytes at once.
                    i += 8;
                    continue;
                }
                if !ATTENTION.get(usize::from(b)).copied().unwrap_or(true) {
                    // Most bytes need nothing: pass over them by table.
                    i += 1;
                    continue;
                }
                let (escape, len): (&str, usize) = match b {
                    b'"' => ("\\\"", 1),
                    b'\\' => ("\\\\", 1),
                    b'\n' => ("\\n", 1),
                    b'\r' => ("\\r", 1),
                    b'\t' => ("\\t", 1),
                    0x08 => ("\\b", 1),
                    0x0c => ("\\f", 1),
                    0x00..=0x1f => ("", 1),
                    0xc2 if bytes.get(i + 1) == Some(&0x85) => ("\\u0085", 2),
                    0xe2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xa8) => {
                        ("\\u2028", 3)
                    }
                    0xe2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xa9) => {
                        ("\\u2029", 3)
                    }
                    _ => {
                        i += 1;
                        continue;
                    }
                };
                // Escapes start at ASCII bytes or at the lead byte of a whole
                // character, so these are char boundaries.
                self.out.push_str(s.get(start..i).unwrap_or_default());
                if escape.is_empty() {
                    self.out.push_str(&format!("\\u{b:04x}"));
                } else {
                    self.out.push_str(escape);
                }
                i += len;
                start = i;
            }
            self.out.push_str(s.get(start..).unwrap_or_default());
            self.out.push('"');
        }

        pub(crate) fn bytes(&mut self, b: &[u8]) {
            self.out.push('"');
            STANDARD.encode_string(b, self.out);
            self.out.push('"');
        }

        // The schema has no bool or uint64 field yet; the generator emits
        // calls to these as soon as it does.
        #[allow(dead_code)]
        pub(crate) fn boolean(&mut self, b: bool) {
            self.out.push_str(if b { "true" } else { "false" });
        }

        pub(crate) fn int(&mut self, v: i64) {
            self.out.push_str(itoa::Buffer::new().format(v));
        }

        /// 64-bit integers are strings in proto3 JSON (JavaScript numbers
        /// cannot hold them exactly).
        pub(crate) fn int64(&mut self, v: i64) {
            self.out.push('"');
            self.int(v);
            self.out.push('"');
        }

        #[allow(dead_code)]
        pub(crate) fn uint64(&mut self, v: u64) {
            self.out.push('"');
            self.out.push_str(itoa::Buffer::new().format(v));
            self.out.push('"');
        }

        pub(crate) fn double(&mut self, v: f64) {
            if v.is_nan() {
                self.out.push_str("\"NaN\"");
            } else if v.is_infinite() {
                self.out.push_str(if v > 0.0 {
                    "\"Infinity\""
                } else {
                    "\"-Infinity\""
                });
            } else {
                let mut buf = ryu::Buffer::new();
                self.out.push_str(buf.format_finite(v));
            }
        }

        /// An enum value: its name when the schema knows it, else its number.
        pub(crate) fn enumeration(&mut self, v: i32, name: Option<&str>) {
            match name {
                Some(name) => {
                    self.out.push('"');
                    self.out.push_str(name);
                    self.out.push('"');
                }
                None => self.int(i64::from(v)),
            }
        }

        pub(crate) fn timestamp(
            &mut self,
            ts: &prost_types::Timestamp,
            field: &'static str,
        ) -> Result<()> {
            self.out.push('"');
            let start = self.out.len();
            if let Err(reason) = super::write_rfc3339(self.out, ts.seconds, ts.nanos) {
                self.out.truncate(start - 1);
                return Err(Error::JsonValue { field, reason });
            }
            self.out.push('"');
            Ok(())
        }
    }
}

/// Seconds since the Unix epoch at 0001-01-01T00:00:00Z and just past
/// 9999-12-31T23:59:59Z: the range proto3 JSON allows for a Timestamp.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// Formats a Timestamp as proto3 JSON does: UTC with a `Z`, and 0, 3, 6 or 9
/// fractional digits, the fewest that hold the nanos exactly.
#[cfg(test)]
fn rfc3339(seconds: i64, nanos: i32) -> Result<String, String> {
    let mut out = String::with_capacity(30);
    write_rfc3339(&mut out, seconds, nanos)?;
    Ok(out)
}

/// Appends a Timestamp as proto3 JSON writes it to `out` (nothing on
/// error): UTC with a `Z`, and 0, 3, 6 or 9 fractional digits, the fewest
/// that hold the nanos exactly. Digit by digit: every JSON record has a
/// timestamp, and `format!` cost more than the rest of the record's numbers
/// together.
pub(crate) fn write_rfc3339(out: &mut String, seconds: i64, nanos: i32) -> Result<(), String> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return Err(format!("{seconds} seconds is outside years 1-9999"));
    }
    if !(0..1_000_000_000).contains(&nanos) {
        return Err(format!("nanos {nanos} is outside 0..=999999999"));
    }
    let days = seconds.div_euclid(86_400);
    let secs_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    // In range, every value is non-negative and has at most its width in
    // digits (years 1-9999), so each is written zero-padded to that width.
    let mut buf = [0u8; 30];
    let mut len = 0;
    #[allow(clippy::cast_possible_truncation)] // widths are at most 9
    let mut put = |value: i64, width: u32, after: u8| {
        let mut v = u64::try_from(value).unwrap_or(0);
        for k in (0..width).rev() {
            if let Some(slot) = buf.get_mut(len + k as usize) {
                // A digit: below 10.
                *slot = b'0' + u8::try_from(v % 10).unwrap_or(0);
            }
            v /= 10;
        }
        len += width as usize;
        if after != 0 {
            if let Some(slot) = buf.get_mut(len) {
                *slot = after;
            }
            len += 1;
        }
    };
    put(year, 4, b'-');
    put(month, 2, b'-');
    put(day, 2, b'T');
    put(h, 2, b':');
    put(m, 2, b':');
    let nanos = i64::from(nanos);
    put(s, 2, if nanos == 0 { 0 } else { b'.' });
    if nanos != 0 {
        if nanos % 1_000_000 == 0 {
            put(nanos / 1_000_000, 3, 0);
        } else if nanos % 1_000 == 0 {
            put(nanos / 1_000, 6, 0);
        } else {
            put(nanos, 9, 0);
        }
    }
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or_default());
    out.push('Z');
    Ok(())
}

/// The UTC calendar date (year, month 1–12, day 1–31, proleptic Gregorian)
/// of a count of days since 1970-01-01, as the JSON writer dates timestamps
/// (Howard Hinnant's `civil_from_days`). For a time in seconds since the
/// epoch pass `seconds.div_euclid(86_400)`.
///
/// ```
/// use lokryn_compliance_log::json::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(11_016), (2000, 2, 29));
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

mod generated {
    include!("generated/json.rs");
}

/// Moving the values of a `DynamicMessage` into prost structs: the helpers
/// of the generated [`FromDynamic`](take::FromDynamic) implementations (one
/// per scalar type, some unused by today's schema).
#[allow(dead_code)]
mod take {
    use prost_reflect::{DynamicMessage, Value};

    /// A field number whose value did not have the type its field has (or a
    /// number the struct does not have): the descriptor rules it out, and it
    /// is reported rather than dropped.
    #[derive(Debug)]
    pub(super) struct Mismatch(pub(super) u32);

    /// Implemented by the generated code for every message of the schema.
    pub(super) trait FromDynamic: Sized {
        fn from_dynamic(message: DynamicMessage) -> Result<Self, Mismatch>;
    }

    macro_rules! scalar {
        ($name:ident, $variant:ident, $ty:ty) => {
            pub(super) fn $name(value: Value, number: u32) -> Result<$ty, Mismatch> {
                match value {
                    Value::$variant(v) => Ok(v),
                    _ => Err(Mismatch(number)),
                }
            }
        };
    }

    scalar!(string, String, String);
    scalar!(boolean, Bool, bool);
    scalar!(int32, I32, i32);
    scalar!(uint32, U32, u32);
    scalar!(int64, I64, i64);
    scalar!(uint64, U64, u64);
    scalar!(double, F64, f64);
    scalar!(float, F32, f32);
    scalar!(enumeration, EnumNumber, i32);

    pub(super) fn bytes(value: Value, number: u32) -> Result<Vec<u8>, Mismatch> {
        match value {
            Value::Bytes(b) => Ok(Vec::from(b)),
            _ => Err(Mismatch(number)),
        }
    }

    pub(super) fn message<T: FromDynamic>(value: Value, number: u32) -> Result<T, Mismatch> {
        match value {
            Value::Message(m) => T::from_dynamic(m),
            _ => Err(Mismatch(number)),
        }
    }

    pub(super) fn timestamp(value: Value, number: u32) -> Result<prost_types::Timestamp, Mismatch> {
        let Value::Message(mut m) = value else {
            return Err(Mismatch(number));
        };
        Ok(prost_types::Timestamp {
            seconds: m
                .take_field_by_number(1)
                .map_or(Ok(0), |v| int64(v, number))?,
            nanos: m
                .take_field_by_number(2)
                .map_or(Ok(0), |v| int32(v, number))?,
        })
    }

    pub(super) fn list<T>(
        value: Value,
        number: u32,
        item: fn(Value, u32) -> Result<T, Mismatch>,
    ) -> Result<Vec<T>, Mismatch> {
        match value {
            Value::List(items) => items.into_iter().map(|v| item(v, number)).collect(),
            _ => Err(Mismatch(number)),
        }
    }
}

#[allow(clippy::all, clippy::pedantic, unused_qualifications)]
mod from_dynamic {
    include!("generated/from_dynamic.rs");
}

/// The typed entry of a `DynamicMessage` read from JSON.
fn typed(message: DynamicMessage) -> Result<LogEntry> {
    <LogEntry as take::FromDynamic>::from_dynamic(message).map_err(|take::Mismatch(number)| {
        Error::Json {
            line: 0,
            column: 0,
            path: String::new(),
            message: format!(
                "internal error: field {number} of the JSON reader's message does not match the schema"
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_do_not_echo_values() {
        let err =
            from_json(r#"{"actorId": "a", "policyTags": "4111 1111 1111 1111"}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("(field `policyTags`)"), "{text}");
        assert!(!text.contains("4111"), "{text}");
        assert_eq!(
            text,
            "invalid JSON at line 1, column 52 (field `policyTags`): invalid type: string, expected a list"
        );

        let err = from_json(r#"{"delegationChain": [{"actorType": "ROBOT"}]}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("(field `delegationChain[0].actorType`)"),
            "{err}"
        );
        assert!(
            err.to_string().contains("unrecognized enum value 'ROBOT'"),
            "{err}"
        );

        let err = from_json(r#"{"eventType": "jane.doe@example.com"}"#).unwrap_err();
        assert!(!err.to_string().contains("jane"), "{err}");

        let err = from_json("{\"actorId\": \"a\"} trailing").unwrap_err();
        assert!(
            matches!(err, Error::Json { ref path, .. } if path.is_empty()),
            "{err}"
        );
    }

    /// A key given twice is refused, not settled by "last wins": parsers
    /// disagree on which value counts, and an audit record must read the
    /// same everywhere.
    #[test]
    fn repeated_keys_are_refused_with_their_path() {
        let cases = [
            (
                r#"{"eventType": "EVENT_LOGIN", "actorId": "alice", "actorId": "mallory"}"#,
                "actorId",
                "duplicate key `actorId`",
            ),
            (
                r#"{"actorId": "alice", "actor_id": "mallory"}"#,
                "actor_id",
                "duplicate key `actor_id`: the field was already given as `actorId`",
            ),
            (
                r#"{"actor_id": "alice", "actorId": null}"#,
                "actorId",
                "duplicate key `actorId`: the field was already given as `actor_id`",
            ),
            (
                r#"{"delegationChain": [{"actorId": "a"}, {"actorId": "b", "actorId": "c"}]}"#,
                "delegationChain[1].actorId",
                "duplicate key `actorId`",
            ),
            (
                r#"{"genai": {"topP": 0.5, "top_p": 0.9}}"#,
                "genai.top_p",
                "duplicate key `top_p`: the field was already given as `topP`",
            ),
            (
                r#"{"policyTags": ["a"], "policy_tags": ["b"]}"#,
                "policy_tags",
                "duplicate key `policy_tags`: the field was already given as `policyTags`",
            ),
            (
                r#"{"mcp": {}, "mcp": {"method": "x"}}"#,
                "mcp",
                "duplicate key `mcp`",
            ),
            (
                r#"{"actorId": "alice", "actorId": "mallory"}"#,
                "actorId",
                "duplicate key `actorId`",
            ),
        ];
        for (text, path, message) in cases {
            let err = from_json(text).unwrap_err();
            match &err {
                Error::Json {
                    path: p,
                    message: m,
                    line,
                    ..
                } => {
                    assert_eq!((p.as_str(), m.as_str()), (path, message), "{text}");
                    assert_eq!(*line, 1, "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
            assert_eq!(err.code(), "JSON");
        }
        // Unknown keys skipped on request are still keys of the object.
        let lenient = JsonOptions::default().ignore_unknown_fields(true);
        let err = from_json_with(r#"{"extra": 1, "extra": 2}"#, &lenient).unwrap_err();
        assert!(err.to_string().contains("duplicate key `extra`"), "{err}");
        let err = from_json_with(r#"{"extra": {"a": 1, "a": 2}}"#, &lenient).unwrap_err();
        assert!(err.to_string().contains("(field `extra.a`)"), "{err}");
        // The same key in different objects is fine.
        let entry = from_json(
            r#"{"actorId": "a", "delegationChain": [{"actorId": "b"}, {"actorId": "c"}], "producer": {"name": "n"}, "genai": {"requestModel": "m"}}"#,
        )
        .unwrap();
        assert_eq!(entry.delegation_chain.len(), 2);
    }

    /// Keys are compared by the field they name, which is exact only while
    /// every JSON object of an entry is a message: a `map` field or a
    /// `google.protobuf.Struct` would have keys that are data.
    #[test]
    fn every_object_of_the_entry_json_is_a_message() {
        fn walk(message: &prost_reflect::MessageDescriptor, seen: &mut Vec<String>) {
            if seen.contains(&message.full_name().to_owned()) {
                return;
            }
            seen.push(message.full_name().to_owned());
            for field in message.fields() {
                assert!(!field.is_map(), "{} is a map", field.full_name());
                if let prost_reflect::Kind::Message(m) = field.kind() {
                    assert!(
                        !matches!(
                            m.full_name(),
                            "google.protobuf.Struct"
                                | "google.protobuf.Value"
                                | "google.protobuf.Any"
                        ),
                        "{}",
                        field.full_name()
                    );
                    walk(&m, seen);
                }
            }
        }
        walk(&LogEntry::default().descriptor(), &mut Vec::new());
    }

    /// Strings are escaped as the character-by-character rules say, wherever
    /// the special characters fall relative to the eight-byte steps.
    #[test]
    fn strings_escape_at_every_offset() {
        fn reference(s: &str) -> String {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\u{0}'..='\u{1f}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                        out.push_str(&format!("\\u{:04x}", u32::from(c)));
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        let alphabet = [
            "a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{1}", "\u{1f}",
            "\u{7f}", "é", "\u{85}", "\u{a0}", "\u{2027}", "\u{2028}", "\u{2029}", "\u{202a}", "€",
            "😀",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..40usize {
            for _ in 0..200 {
                let mut s = String::new();
                for _ in 0..len {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Mostly plain letters, so that whole plain words occur.
                    let pick = usize::try_from(x % 64).unwrap();
                    s.push_str(alphabet.get(pick).copied().unwrap_or("q"));
                }
                let mut out = String::new();
                write::JsonWriter::<false> { out: &mut out }.string(&s);
                assert_eq!(out, reference(&s), "{s:?}");
            }
        }
    }

    /// The digit-by-digit writer gives what `format!` gives, over the whole
    /// range (a linear congruential walk of seconds, every kind of nanos).
    #[test]
    fn timestamps_match_the_formatted_reference() {
        fn reference(seconds: i64, nanos: i32) -> String {
            let days = seconds.div_euclid(86_400);
            let secs_of_day = seconds.rem_euclid(86_400);
            let (year, month, day) = civil_from_days(days);
            let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
            let mut out = format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}");
            if nanos != 0 {
                if nanos % 1_000_000 == 0 {
                    out.push_str(&format!(".{:03}", nanos / 1_000_000));
                } else if nanos % 1_000 == 0 {
                    out.push_str(&format!(".{:06}", nanos / 1_000));
                } else {
                    out.push_str(&format!(".{nanos:09}"));
                }
            }
            out.push('Z');
            out
        }
        let span = u64::try_from(MAX_SECONDS - MIN_SECONDS).unwrap();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..20_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let seconds = MIN_SECONDS + i64::try_from((x >> 11) % (span + 1)).unwrap();
            let nanos = match i % 4 {
                0 => 0,
                1 => i32::try_from((x >> 3) % 1000).unwrap() * 1_000_000,
                2 => i32::try_from((x >> 5) % 1_000_000).unwrap() * 1_000,
                _ => i32::try_from((x >> 7) % 1_000_000_000).unwrap(),
            };
            let mut out = String::from("x");
            write_rfc3339(&mut out, seconds, nanos).unwrap();
            assert_eq!(
                out,
                format!("x{}", reference(seconds, nanos)),
                "{seconds} {nanos}"
            );
        }
        for seconds in [MIN_SECONDS, MAX_SECONDS, 0, -1] {
            assert_eq!(rfc3339(seconds, 1).unwrap(), reference(seconds, 1));
        }
        let mut out = String::from("x");
        assert!(write_rfc3339(&mut out, MAX_SECONDS + 1, 0).is_err());
        assert_eq!(out, "x");
    }

    #[test]
    fn timestamps_use_the_fewest_fraction_digits() {
        assert_eq!(rfc3339(0, 0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_700_000_000, 5_000_000).unwrap(),
            "2023-11-14T22:13:20.005Z"
        );
        assert_eq!(
            rfc3339(1_700_000_000, 5_000).unwrap(),
            "2023-11-14T22:13:20.000005Z"
        );
        assert_eq!(
            rfc3339(1_700_000_000, 5).unwrap(),
            "2023-11-14T22:13:20.000000005Z"
        );
        assert_eq!(rfc3339(MIN_SECONDS, 0).unwrap(), "0001-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(MAX_SECONDS, 999_999_999).unwrap(),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(rfc3339(951_782_400, 0).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1, 0).unwrap(), "1969-12-31T23:59:59Z");
        assert!(rfc3339(MAX_SECONDS + 1, 0).is_err());
        assert!(rfc3339(MIN_SECONDS - 1, 0).is_err());
        assert!(rfc3339(0, -1).is_err());
        assert!(rfc3339(0, 1_000_000_000).is_err());
    }
}

#[cfg(test)]
mod slice_tests {
    use super::*;

    #[test]
    fn from_json_slice_reads_utf8_and_locates_invalid_bytes() {
        let options = JsonOptions::default();
        let entry = from_json_slice(br#"{"actorId":"alice"}"#, &options).unwrap();
        assert_eq!(entry.actor_id, "alice");
        let err = from_json_slice(b"{\n  \"actorId\": \"a\xffb\"}", &options).unwrap_err();
        assert_eq!(err.code(), "JSON");
        assert!(
            err.to_string()
                .starts_with("invalid JSON at line 2, column 16: invalid UTF-8"),
            "{err}"
        );
        let small = JsonOptions {
            limits: Limits::with_max_entry_bytes(1),
            ..options
        };
        assert_eq!(
            from_json_slice(b"{}    ", &small).unwrap_err().code(),
            "TOO_LARGE"
        );
    }
}

#[cfg(test)]
mod double_tests {
    use super::*;
    use crate::GenAiPayload;

    /// JSON numbers must parse to the nearest double (serde_json's default
    /// parser can be one ulp off), or a value does not survive a round trip.
    #[test]
    fn doubles_round_trip_exactly() {
        let entry = from_json(r#"{"genai": {"topP": 0.98274693029350269}}"#).unwrap();
        assert_eq!(entry.genai.unwrap().top_p, Some(0.982_746_930_293_502_7));
        for v in [
            0.982_746_930_293_502_7,
            0.1 + 0.2,
            5e-324,
            1.797_693_134_862_315_7e308,
            2.225_073_858_507_201e-308,
            123_456_789.125,
            1e21,
        ] {
            let entry = LogEntry {
                genai: Some(GenAiPayload {
                    temperature: Some(v),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let back = from_json(&to_json(&entry).unwrap()).unwrap();
            assert_eq!(
                back.genai.unwrap().temperature.map(f64::to_bits),
                Some(v.to_bits()),
                "{v}"
            );
        }
    }
}
