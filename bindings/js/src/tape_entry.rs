//! A `LogEntry` read straight from a split input tape (the Node package's,
//! see [`Tape::parse_split`](crate::tape::Tape::parse_split)), and the
//! strings of the record written that JavaScript already holds.
//!
//! [`read_entry`] reads the tape of an entry object in one pass into the
//! entry, without parsing it into nodes first and without the generic
//! [`Taped`](crate::tape::Taped) host (which makes a vector of values per
//! message and per array). It takes the common shapes only: the LogEntry
//! reader's 31 values, each a value of its field's kind (a string, an
//! integral number, a bigint, an array of strings for `policyTags`) or
//! `undefined`/`null`. For anything else (a nested message, a `Date`, bytes,
//! a key that is not a field, a value of the wrong kind, a number out of
//! range, a tape that is not well formed) it returns `None` and the caller
//! reads the tape through the generic host, which gives the same entry or
//! the error the live object gives. So the two never disagree: wherever
//! this reader answers, every one of the generic readers it stands for
//! (`read::string`, `read::enumeration`, `read::int64`, `read::repeated`
//! of strings, and the zero value of an unset field) answers the same.
//!
//! The field indexes are the positions of the LogEntry reader's values (the
//! keys of `LogEntry::from_js` in the generated code, field-number order);
//! `tests` holds this reader to the generic one on an entry that sets every
//! field it takes.
//!
//! [`TextSpans`] records what the caller passed for each field: where each
//! top-level string lies in the tape's text, the number of each enum, the
//! bigint of `durationMs`, and which fields were left `undefined` or
//! `null`. After logging, [`TextSpans::unchanged`] tells which fields of the
//! written record the caller's values stand for exactly (a string the engine
//! neither filled nor redacted, the same number or bigint, a field unset on
//! both sides): the package's JavaScript gives those values to the record's
//! factory instead of receiving them back, and [`write_changed`] writes
//! only the other fields on the output tape.
//!
//! Text that is all ASCII (the common case) is narrowed to bytes once, and
//! each string is a copy of its slice; other text is converted string by
//! string.

use lokryn_compliance_log::LogEntry;

use crate::tape::tag;
use crate::{Factory, Host, Message, ToJs, write};

/// The number of values the LogEntry reader returns (one per field).
pub const FIELDS: usize = 31;
const POLICY_TAGS: usize = 9;
const DELEGATION_CHAIN: usize = 14;
const DURATION_MS: usize = 23;
/// The most `policyTags` whose sameness [`TextSpans`] can tell.
const MAX_TAGS: usize = 8;
/// The message fields (with presence): `time`, `producer`, `genai`, `mcp`.
const MESSAGE_FIELDS: [usize; 4] = [11, 26, 28, 29];

/// The `string` field at `index` among the LogEntry reader's values.
fn string_field(e: &mut LogEntry, index: usize) -> Option<&mut String> {
    Some(match index {
        3 => &mut e.actor_id,
        4 => &mut e.component,
        5 => &mut e.environment,
        6 => &mut e.resource,
        7 => &mut e.message,
        12 => &mut e.event_id,
        15 => &mut e.source_ip,
        16 => &mut e.host,
        17 => &mut e.user_agent,
        18 => &mut e.trace_id,
        19 => &mut e.span_id,
        20 => &mut e.parent_span_id,
        21 => &mut e.session_id,
        22 => &mut e.request_id,
        24 => &mut e.error_code,
        25 => &mut e.error_message,
        27 => &mut e.schema_version,
        _ => return None,
    })
}

/// The enum field at `index` among the LogEntry reader's values.
fn enum_field(e: &mut LogEntry, index: usize) -> Option<&mut i32> {
    Some(match index {
        0 => &mut e.event_type,
        1 => &mut e.outcome,
        2 => &mut e.severity,
        10 => &mut e.sensitivity,
        13 => &mut e.actor_type,
        30 => &mut e.payload_format,
        _ => return None,
    })
}

/// What the caller passed for the fields of the tape [`read_entry`] read
/// (bit `i` of each mask for field index `i`): the top-level strings
/// (`present`) and their spans in UTF-16 units, the enums' numbers
/// (`numbers`, as f64 bits), a bigint `durationMs`, and the fields left
/// `undefined` or `null` (`unset`). With `ascii`, the text narrowed to
/// bytes when all of it is ASCII.
#[derive(Debug, Clone)]
pub struct TextSpans {
    present: u32,
    spans: [(u32, u32); FIELDS],
    unset: u32,
    numbers: u32,
    number_bits: [u64; FIELDS],
    duration: Option<i64>,
    /// A `policyTags` array of at most [`MAX_TAGS`] strings: where their
    /// text starts, how many there are and their lengths.
    tags: Option<(usize, usize, [u32; MAX_TAGS])>,
    ascii: Option<String>,
}

impl Default for TextSpans {
    /// Spans of nothing, for [`read_entry_into`] to fill.
    fn default() -> Self {
        Self {
            present: 0,
            spans: [(0, 0); FIELDS],
            unset: 0,
            numbers: 0,
            number_bits: [0; FIELDS],
            duration: None,
            tags: None,
            ascii: None,
        }
    }
}

impl TextSpans {
    /// The fields of `written` (bit `i` for field index `i`) for which the
    /// caller's value, given to the record's factory, makes exactly the
    /// value the record holds: a string of exactly the UTF-16 units the
    /// caller passed for it in `text`, an enum of the same number (not
    /// `-0` for zero), a `durationMs` of the same bigint, or a field the
    /// caller left `undefined` or `null` that holds its zero value, or a
    /// `policyTags` array of strings each of exactly the units of the
    /// record's (the package gives the record a copy of the caller's
    /// elements). `text` is the one [`read_entry`] read.
    pub fn unchanged(&self, written: &mut LogEntry, text: &[u16]) -> u32 {
        let mut mask = 0;
        if let Some((at, n, lengths)) = &self.tags
            && self.same_tags(&written.policy_tags, text, *at, lengths.get(..*n))
        {
            mask |= 1 << POLICY_TAGS;
        }
        let mut present = self.present;
        while present != 0 {
            let i = present.trailing_zeros() as usize;
            present &= present - 1;
            let Some(&(start, len)) = self.spans.get(i) else {
                continue;
            };
            let (start, end) = (start as usize, start as usize + len as usize);
            let same = match &self.ascii {
                Some(ascii) => {
                    let passed = ascii.get(start..end).unwrap_or_default();
                    string_field(written, i).is_some_and(|s| s == passed)
                }
                None => {
                    let units = text.get(start..end).unwrap_or_default();
                    string_field(written, i).is_some_and(|s| same_text(s, units))
                }
            };
            if same {
                mask |= 1 << i;
            }
        }
        let mut numbers = self.numbers;
        while numbers != 0 {
            let i = numbers.trailing_zeros() as usize;
            numbers &= numbers - 1;
            let bits = self.number_bits.get(i).copied();
            if enum_field(written, i).is_some_and(|v| Some(f64::from(*v).to_bits()) == bits) {
                mask |= 1 << i;
            }
        }
        if self.duration.is_some_and(|d| d == written.duration_ms) {
            mask |= 1 << DURATION_MS;
        }
        let mut unset = self.unset;
        while unset != 0 {
            let i = unset.trailing_zeros() as usize;
            unset &= unset - 1;
            if is_zero(written, i) {
                mask |= 1 << i;
            }
        }
        mask
    }
}

impl TextSpans {
    /// Whether `tags` are the strings of `lengths` units each, one after
    /// the other in `text` from `at`.
    fn same_tags(
        &self,
        tags: &[String],
        text: &[u16],
        mut at: usize,
        lengths: Option<&[u32]>,
    ) -> bool {
        let Some(lengths) = lengths.filter(|l| l.len() == tags.len()) else {
            return false;
        };
        for (tag, len) in tags.iter().zip(lengths) {
            let end = at + *len as usize;
            let same = match &self.ascii {
                Some(ascii) => ascii.get(at..end).is_some_and(|passed| passed == tag),
                None => text.get(at..end).is_some_and(|units| same_text(tag, units)),
            };
            if !same {
                return false;
            }
            at = end;
        }
        true
    }
}

/// Whether field index `i` of `e` holds its zero value (what the record's
/// factory makes of `undefined`).
fn is_zero(e: &mut LogEntry, i: usize) -> bool {
    if let Some(s) = string_field(e, i) {
        return s.is_empty();
    }
    if let Some(v) = enum_field(e, i) {
        return *v == 0;
    }
    match i {
        8 => e.payload.is_empty(),
        POLICY_TAGS => e.policy_tags.is_empty(),
        11 => e.time.is_none(),
        DELEGATION_CHAIN => e.delegation_chain.is_empty(),
        DURATION_MS => e.duration_ms == 0,
        26 => e.producer.is_none(),
        28 => e.genai.is_none(),
        29 => e.mcp.is_none(),
        _ => false,
    }
}

/// The value of field index `i` of `e` as the generated `ToJs` of
/// `LogEntry` makes it (`tests` holds the two to the same tape).
fn write_field<H: Host>(h: &H, e: &LogEntry, i: usize) -> Result<H::Value, H::Error> {
    match i {
        0 => write::int32(h, e.event_type),
        1 => write::int32(h, e.outcome),
        2 => write::int32(h, e.severity),
        3 => write::string(h, &e.actor_id),
        4 => write::string(h, &e.component),
        5 => write::string(h, &e.environment),
        6 => write::string(h, &e.resource),
        7 => write::string(h, &e.message),
        8 => write::bytes(h, &e.payload),
        POLICY_TAGS => write::repeated(h, &e.policy_tags, |h, v| h.new_string(v)),
        10 => write::int32(h, e.sensitivity),
        11 => write::message(h, e.time.as_ref()),
        12 => write::string(h, &e.event_id),
        13 => write::int32(h, e.actor_type),
        DELEGATION_CHAIN => write::repeated(h, &e.delegation_chain, |h, v| v.to_js(h)),
        15 => write::string(h, &e.source_ip),
        16 => write::string(h, &e.host),
        17 => write::string(h, &e.user_agent),
        18 => write::string(h, &e.trace_id),
        19 => write::string(h, &e.span_id),
        20 => write::string(h, &e.parent_span_id),
        21 => write::string(h, &e.session_id),
        22 => write::string(h, &e.request_id),
        DURATION_MS => write::int64(h, e.duration_ms),
        24 => write::string(h, &e.error_code),
        25 => write::string(h, &e.error_message),
        26 => write::message(h, e.producer.as_ref()),
        27 => write::string(h, &e.schema_version),
        28 => write::message(h, e.genai.as_ref()),
        29 => write::message(h, e.mcp.as_ref()),
        _ => write::int32(h, e.payload_format),
    }
}

/// Writes the record `e` as the generated `ToJs` does, but only the fields
/// that `keep` leaves out (bit `i` for field index `i`): the record's
/// factory call takes as many arguments as were written, and the package's
/// JavaScript puts the caller's values of the kept fields among them.
/// With `keep` zero, exactly what `e.to_js(h)` writes.
pub fn write_changed<H: Host>(h: &H, e: &LogEntry, keep: u32) -> Result<H::Value, H::Error> {
    let mut args = Vec::with_capacity(FIELDS);
    for i in 0..FIELDS {
        if keep & (1 << i) == 0 {
            args.push(write_field(h, e, i)?);
        }
    }
    h.build(Factory::Message(Message::LogEntry), args)
}

/// Whether `s` is the text of the UTF-16 `units`.
fn same_text(s: &str, units: &[u16]) -> bool {
    // ASCII text, the common case, in one pass (a byte above 0x7f is part
    // of a longer character, never a unit of its own).
    if s.len() == units.len()
        && s.bytes()
            .zip(units)
            .all(|(b, u)| b < 0x80 && u16::from(b) == *u)
    {
        return true;
    }
    !s.is_ascii() && s.encode_utf16().eq(units.iter().copied())
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    text: &'a [u16],
    /// `text` as a string, when it is all ASCII.
    ascii: Option<&'a str>,
    at: usize,
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let s = self.bytes.get(self.pos..self.pos.checked_add(N)?)?;
        self.pos += N;
        s.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    fn f64(&mut self) -> Option<f64> {
        self.take().map(f64::from_le_bytes)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_le_bytes)
    }

    /// A string value (its tag read already) read into `slot` (its text
    /// replaced, its allocation kept), and where it starts.
    fn string_into(&mut self, slot: &mut String) -> Option<(u32, u32)> {
        let len = self.u32()?;
        let start = self.at;
        let end = start.checked_add(len as usize)?;
        slot.clear();
        match self.ascii {
            // A unit per byte: the same text, copied.
            Some(ascii) => slot.push_str(ascii.get(start..end)?),
            // What `utf16_string` makes of the units, into `slot`.
            None => slot.extend(
                char::decode_utf16(self.text.get(start..end)?.iter().copied())
                    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
            ),
        }
        self.at = end;
        Some((u32::try_from(start).ok()?, len))
    }
}

/// The LogEntry of a split input tape written from an entry object, and
/// where its strings lie; `None` when the tape holds anything else than
/// the shapes this reader takes (see the module documentation).
pub fn read_entry(bytes: &[u8], text: &[u16]) -> Option<(LogEntry, TextSpans)> {
    let mut e = LogEntry::default();
    let mut spans = TextSpans::default();
    read_entry_into(&mut e, &mut spans, bytes, text).then_some((e, spans))
}

/// [`read_entry`] into an entry and spans used before (the last record's,
/// say): reads the tape into `e`, reusing the allocations of its strings
/// and of its policy tags, and records the spans in `spans` (reusing its
/// ASCII text). When it returns `true`, `e` and `spans` are exactly what
/// [`read_entry`] returns, whatever they held before: every field the tape
/// does not set is reset to its zero value. When it returns `false` (a
/// tape of other shapes), both hold anything and the caller reads the tape
/// through the generic host.
pub fn read_entry_into(
    e: &mut LogEntry,
    spans: &mut TextSpans,
    bytes: &[u8],
    text: &[u16],
) -> bool {
    read_into(e, spans, bytes, text).is_some()
}

/// The string fields of `$e` whose allocations [`read_entry_into`] reuses,
/// borrowed as `$borrow` (`&` or `&mut`): the one list both [`reset`] and
/// [`string_capacity`] go by.
macro_rules! kept_strings {
    ($e:ident, $($borrow:tt)+) => {
        [
            $($borrow)+ $e.actor_id,
            $($borrow)+ $e.component,
            $($borrow)+ $e.environment,
            $($borrow)+ $e.resource,
            $($borrow)+ $e.message,
            $($borrow)+ $e.event_id,
            $($borrow)+ $e.source_ip,
            $($borrow)+ $e.host,
            $($borrow)+ $e.user_agent,
            $($borrow)+ $e.trace_id,
            $($borrow)+ $e.span_id,
            $($borrow)+ $e.parent_span_id,
            $($borrow)+ $e.session_id,
            $($borrow)+ $e.request_id,
            $($borrow)+ $e.error_code,
            $($borrow)+ $e.error_message,
            $($borrow)+ $e.schema_version,
        ]
    };
}

/// The bytes allocated for the strings of `e` that [`read_entry_into`]
/// reuses (its string fields, policy tags and payload).
pub fn string_capacity(e: &LogEntry) -> usize {
    let tags: usize = e.policy_tags.iter().map(String::capacity).sum();
    kept_strings!(e, &)
        .iter()
        .map(|s| s.capacity())
        .sum::<usize>()
        + tags
        + e.payload.capacity()
}

/// Resets `e` to the zero value of every field, keeping the allocations of
/// its strings and of its `payload` (all emptied); `policy_tags` are left
/// to the reader, which reuses their strings. The entry starts again from
/// the default, so a field added to the schema is reset with the rest
/// without being named here.
fn reset(e: &mut LogEntry) {
    let mut old = std::mem::take(e);
    for (kept, used) in kept_strings!(e, &mut)
        .into_iter()
        .zip(kept_strings!(old, &mut))
    {
        std::mem::swap(kept, used);
        kept.clear();
    }
    e.payload = old.payload;
    e.payload.clear();
    e.policy_tags = old.policy_tags;
}

fn read_into(e: &mut LogEntry, spans: &mut TextSpans, bytes: &[u8], text: &[u16]) -> Option<()> {
    if bytes.first() != Some(&tag::MESSAGE) {
        return None;
    }
    let ascii = ascii_text(text, spans.ascii.take());
    let mut r = Reader {
        bytes,
        pos: 0,
        text,
        ascii: ascii.as_deref(),
        at: 0,
    };
    if r.u8()? != tag::MESSAGE || r.u32()? as usize != FIELDS {
        return None;
    }
    reset(e);
    spans.present = 0;
    spans.unset = 0;
    spans.numbers = 0;
    spans.duration = None;
    spans.tags = None;
    for i in 0..FIELDS {
        let t = r.u8()?;
        if t == tag::UNDEFINED || t == tag::NULL {
            // The zero value, or no message: what the default holds. The
            // factory turns `undefined` into either, `null` only into a
            // zero value (a message field given `null` would be set to it).
            if t == tag::UNDEFINED || !MESSAGE_FIELDS.contains(&i) {
                spans.unset |= 1 << i;
            }
            if i == POLICY_TAGS {
                e.policy_tags.clear();
            }
            continue;
        }
        if let Some(slot) = string_field(e, i) {
            if t != tag::STRING {
                return None;
            }
            let (start, len) = r.string_into(slot)?;
            spans.present |= 1 << i;
            if let Some(span) = spans.spans.get_mut(i) {
                *span = (start, len);
            }
        } else if let Some(slot) = enum_field(e, i) {
            if t != tag::NUMBER {
                return None;
            }
            let n = r.f64()?;
            *slot = int32(n)?;
            spans.numbers |= 1 << i;
            if let Some(bits) = spans.number_bits.get_mut(i) {
                *bits = n.to_bits();
            }
        } else {
            match (i, t) {
                (DURATION_MS, tag::BIGINT) => {
                    e.duration_ms = r.i64()?;
                    spans.duration = Some(e.duration_ms);
                }
                (DURATION_MS, tag::NUMBER) => e.duration_ms = safe_integer(r.f64()?)?,
                (POLICY_TAGS, tag::ARRAY) => {
                    let n = r.u32()? as usize;
                    let at = r.at;
                    let mut lengths = [0; MAX_TAGS];
                    let tags = &mut e.policy_tags;
                    // Each element takes five bytes at least.
                    tags.reserve(n.min(bytes.len() / 5).saturating_sub(tags.len()));
                    for k in 0..n {
                        if r.u8()? != tag::STRING {
                            return None;
                        }
                        // The strings of the last tags, reused in order.
                        if tags.len() == k {
                            tags.push(String::new());
                        }
                        let (_, len) = r.string_into(tags.get_mut(k)?)?;
                        if let Some(slot) = lengths.get_mut(k) {
                            *slot = len;
                        }
                    }
                    tags.truncate(n);
                    if n <= MAX_TAGS {
                        spans.tags = Some((at, n, lengths));
                    }
                }
                (DELEGATION_CHAIN, tag::ARRAY) => {
                    if r.u32()? != 0 {
                        return None;
                    }
                }
                // Bytes, messages, times, links, and values of other kinds.
                _ => return None,
            }
        }
    }
    if r.pos != bytes.len() || r.at != text.len() {
        return None;
    }
    spans.ascii = ascii;
    Some(())
}

/// `text` as a string when all of it is ASCII (one pass to check, one to
/// narrow, both vectorised), else `None`; written into `reuse` when given.
fn ascii_text(text: &[u16], reuse: Option<String>) -> Option<String> {
    // Without an early exit, so that it is vectorised.
    if text.iter().fold(0, |all, u| all | *u) >= 0x80 {
        return None;
    }
    let mut bytes = reuse.map(String::into_bytes).unwrap_or_default();
    bytes.clear();
    #[allow(clippy::cast_possible_truncation)] // Each is below 0x80.
    bytes.extend(text.iter().map(|u| *u as u8));
    String::from_utf8(bytes).ok()
}

/// `read::enumeration`'s number: an integer in the range of i32.
fn int32(n: f64) -> Option<i32> {
    if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) {
        #[allow(clippy::cast_possible_truncation)] // Checked just above.
        Some(n as i32)
    } else {
        None
    }
}

/// `read::int64`'s number: a safe integer.
fn safe_integer(n: f64) -> Option<i64> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    if n.fract() == 0.0 && n.abs() <= SAFE {
        #[allow(clippy::cast_possible_truncation)] // A safe integer.
        Some(n as i64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use crate::FromJs;
    use crate::tape::{Tape, TapeError, TapeWriter, Taped};

    /// A value of a test tape.
    enum T<'a> {
        Undefined,
        Null,
        Str(&'a str),
        /// A string given as UTF-16 units (lone surrogates).
        Units(&'a [u16]),
        Num(f64),
        Big(i64),
        Array(Vec<T<'a>>),
        /// A `Date`, or a message object: what this reader leaves alone.
        Date(f64),
        Message(Vec<T<'a>>),
    }

    fn write(v: &T<'_>, bytes: &mut Vec<u8>, text: &mut Vec<u16>) {
        let mut units = |bytes: &mut Vec<u8>, u: &[u16]| {
            bytes.push(tag::STRING);
            bytes.extend_from_slice(&u32::try_from(u.len()).unwrap().to_le_bytes());
            text.extend_from_slice(u);
        };
        match v {
            T::Undefined => bytes.push(tag::UNDEFINED),
            T::Null => bytes.push(tag::NULL),
            T::Str(s) => units(bytes, &s.encode_utf16().collect::<Vec<_>>()),
            T::Units(u) => units(bytes, u),
            T::Num(n) => {
                bytes.push(tag::NUMBER);
                bytes.extend_from_slice(&n.to_le_bytes());
            }
            T::Big(n) => {
                bytes.push(tag::BIGINT);
                bytes.extend_from_slice(&n.to_le_bytes());
            }
            T::Date(ms) => {
                bytes.push(tag::DATE);
                bytes.extend_from_slice(&ms.to_le_bytes());
            }
            T::Array(items) | T::Message(items) => {
                bytes.push(if matches!(v, T::Array(_)) {
                    tag::ARRAY
                } else {
                    tag::MESSAGE
                });
                bytes.extend_from_slice(&u32::try_from(items.len()).unwrap().to_le_bytes());
                for item in items {
                    write(item, bytes, text);
                }
            }
        }
    }

    fn tape(v: &T<'_>) -> (Vec<u8>, Vec<u16>) {
        let (mut bytes, mut text) = (Vec::new(), Vec::new());
        write(v, &mut bytes, &mut text);
        (bytes, text)
    }

    /// What the generic reader makes of a tape.
    fn generic(bytes: &[u8], text: &[u16]) -> Result<LogEntry, String> {
        let tape = Tape::parse_split(bytes, text).map_err(|e| e.to_string())?;
        let host = TapeWriter::new();
        let taped = Taped::new(&host, &tape, TapeError::clone);
        LogEntry::from_js(&taped, &taped.root()).map_err(|e| format!("{e:?}"))
    }

    /// An entry object's 31 values with every field this reader takes set
    /// (each string field to a text of its own), `changes` applied.
    fn full<'a>(changes: Vec<(usize, T<'a>)>) -> T<'a> {
        const STRINGS: [&str; 17] = [
            "actor",
            "component",
            "env",
            "resource",
            "café ✓ 😀",
            "id",
            "10.0.0.1",
            "host",
            "agent",
            "trace",
            "span",
            "parent",
            "session",
            "request",
            "E1",
            "boom",
            "1.0",
        ];
        let mut strings = STRINGS.iter();
        let mut values: Vec<T<'a>> = (0..FIELDS)
            .map(|i| {
                let mut probe = LogEntry::default();
                if string_field(&mut probe, i).is_some() {
                    T::Str(strings.next().unwrap())
                } else if enum_field(&mut probe, i).is_some() {
                    T::Num(f64::from(u8::try_from(i).unwrap() + 1))
                } else if i == DURATION_MS {
                    T::Big(-(1 << 40))
                } else if i == POLICY_TAGS {
                    T::Array(vec![T::Str("SOC2"), T::Str("PCI")])
                } else if i == DELEGATION_CHAIN {
                    T::Array(Vec::new())
                } else {
                    T::Undefined
                }
            })
            .collect();
        assert!(strings.next().is_none(), "17 string fields");
        for (i, v) in changes {
            values[i] = v;
        }
        T::Message(values)
    }

    #[test]
    fn reads_what_the_generic_reader_reads() {
        let lone: &[u16] = &[0x61, 0xd800, 0x62];
        let cases = [
            full(vec![]),
            full((0..FIELDS).map(|i| (i, T::Undefined)).collect()),
            full((0..FIELDS).map(|i| (i, T::Null)).collect()),
            full(vec![(DURATION_MS, T::Num(-87.0)), (3, T::Units(lone))]),
            full(vec![(0, T::Num(-0.0)), (1, T::Num(f64::from(i32::MIN)))]),
            full(vec![(POLICY_TAGS, T::Array(Vec::new())), (7, T::Str(""))]),
            // All ASCII: read from the narrowed text.
            full(vec![(7, T::Str("plain text"))]),
        ];
        for (n, case) in cases.iter().enumerate() {
            let (bytes, text) = tape(case);
            let (fast, _) = read_entry(&bytes, &text).unwrap_or_else(|| panic!("case {n}"));
            assert_eq!(Ok(fast), generic(&bytes, &text), "case {n}");
        }
        // The strings are where the reader says.
        let (bytes, text) = tape(&full(vec![]));
        let (e, spans) = read_entry(&bytes, &text).unwrap();
        assert_eq!(e.actor_id, "actor");
        assert_eq!(e.message, "café ✓ 😀");
        assert_eq!(e.schema_version, "1.0");
        assert_eq!(e.policy_tags, ["SOC2", "PCI"]);
        assert_eq!(e.duration_ms, -(1 << 40));
        assert_eq!(e.payload_format, 31);
        assert_eq!(spans.present.count_ones(), 17);
    }

    #[test]
    fn reads_into_a_used_entry_what_a_fresh_read_gives() {
        let lone: &[u16] = &[0x61, 0xd800, 0x62];
        // A: every field the reader takes, more tags than B, and the
        // values the engine adds to a record it writes.
        let a = full(vec![(
            POLICY_TAGS,
            T::Array(vec![T::Str("SOC2"), T::Str("PCI"), T::Str("data-access")]),
        )]);
        let (bytes, text) = tape(&a);
        let mut e = LogEntry::default();
        let mut spans = TextSpans::default();
        assert!(read_entry_into(&mut e, &mut spans, &bytes, &text));
        let written = |e: &mut LogEntry| {
            e.time = Some(lokryn_compliance_log::Timestamp {
                seconds: 1_700_000_000,
                nanos: 5,
            });
            e.producer = Some(lokryn_compliance_log::Producer {
                name: "p".into(),
                version: "1".into(),
            });
            e.payload = vec![1, 2, 3];
            e.delegation_chain = vec![lokryn_compliance_log::DelegationLink::default()];
            e.genai = Some(lokryn_compliance_log::GenAiPayload::default());
            e.mcp = Some(lokryn_compliance_log::McpPayload::default());
            e.message = "[REDACTED] and a longer text than the caller's".into();
        };
        written(&mut e);
        // B after it: fields A had and B lacks (undefined, null), fewer
        // tags, none, more, ASCII and not, a number `durationMs`.
        let cases = [
            full((0..FIELDS).map(|i| (i, T::Undefined)).collect()),
            full((0..FIELDS).map(|i| (i, T::Null)).collect()),
            full(vec![
                (POLICY_TAGS, T::Array(vec![T::Str("x")])),
                (3, T::Undefined),
            ]),
            full(vec![(POLICY_TAGS, T::Array(Vec::new())), (7, T::Null)]),
            full(vec![
                (
                    POLICY_TAGS,
                    T::Array((0..12).map(|_| T::Str("tag")).collect()),
                ),
                (DURATION_MS, T::Num(-87.0)),
                (3, T::Units(lone)),
            ]),
            full(vec![
                (7, T::Str("plain text")),
                (12, T::Undefined),
                (0, T::Null),
            ]),
            full(vec![]),
        ];
        for (n, case) in cases.iter().enumerate() {
            let (bytes, text) = tape(case);
            assert!(
                read_entry_into(&mut e, &mut spans, &bytes, &text),
                "case {n}"
            );
            let (fresh, fresh_spans) = read_entry(&bytes, &text).unwrap();
            assert_eq!(e, fresh, "case {n}");
            assert_eq!(Ok(e.clone()), generic(&bytes, &text), "case {n}");
            assert_eq!(spans.present, fresh_spans.present, "case {n}");
            assert_eq!(spans.unset, fresh_spans.unset, "case {n}");
            assert_eq!(spans.numbers, fresh_spans.numbers, "case {n}");
            assert_eq!(spans.duration, fresh_spans.duration, "case {n}");
            assert_eq!(spans.tags, fresh_spans.tags, "case {n}");
            assert_eq!(spans.ascii, fresh_spans.ascii, "case {n}");
            // The spans tell the same fields unchanged, of the record as
            // read and of one the engine changed.
            let mut same = e.clone();
            assert_eq!(
                spans.unchanged(&mut same, &text),
                fresh_spans.unchanged(&mut same, &text),
                "case {n}"
            );
            written(&mut same);
            assert_eq!(
                spans.unchanged(&mut same, &text),
                fresh_spans.unchanged(&mut same, &text),
                "case {n}"
            );
            written(&mut e);
        }
        // A tape of other shapes leaves the reading to the generic host;
        // the next read is whole again.
        let (bytes, text) = tape(&full(vec![(11, T::Date(1.7e12))]));
        assert!(!read_entry_into(&mut e, &mut spans, &bytes, &text));
        let (bytes, text) = tape(&full(vec![(4, T::Undefined)]));
        assert!(read_entry_into(&mut e, &mut spans, &bytes, &text));
        assert_eq!(Some(e), read_entry(&bytes, &text).map(|(e, _)| e));
    }

    #[test]
    fn leaves_everything_else_to_the_generic_reader() {
        let too_far = 2f64.powi(53);
        let cases = [
            // A key that is not a field (the reader's 32nd value).
            {
                let T::Message(mut values) = full(vec![]) else {
                    unreachable!()
                };
                values.push(T::Str("actorid"));
                T::Message(values)
            },
            full(vec![(11, T::Date(1.7e12))]),
            full(vec![(26, T::Message(vec![T::Str("p"), T::Str("1")]))]),
            full(vec![(3, T::Num(5.0))]),
            full(vec![(0, T::Num(1.5))]),
            full(vec![(0, T::Num(2f64.powi(31)))]),
            full(vec![(0, T::Num(f64::NAN))]),
            full(vec![(0, T::Str("EVENT_LOGIN"))]),
            full(vec![(DURATION_MS, T::Num(too_far))]),
            full(vec![(DURATION_MS, T::Str("87"))]),
            full(vec![(
                POLICY_TAGS,
                T::Array(vec![T::Str("a"), T::Num(1.0)]),
            )]),
            full(vec![(POLICY_TAGS, T::Str("SOC2"))]),
            full(vec![(DELEGATION_CHAIN, T::Array(vec![T::Null]))]),
            T::Str("not an entry"),
        ];
        for (n, case) in cases.iter().enumerate() {
            let (bytes, text) = tape(case);
            assert!(read_entry(&bytes, &text).is_none(), "case {n}");
        }
        // A tape cut short, or with text left over.
        let (bytes, text) = tape(&full(vec![]));
        assert!(read_entry(&bytes[..bytes.len() - 1], &text).is_none());
        assert!(read_entry(&bytes, &text[..text.len() - 1]).is_none());
        let mut more = text;
        more.push(0x61);
        assert!(read_entry(&bytes, &more).is_none());
    }

    #[test]
    fn same_text_compares_characters_not_bytes() {
        let units = |s: &str| s.encode_utf16().collect::<Vec<_>>();
        assert!(same_text("agent-7", &units("agent-7")));
        assert!(same_text("café 😀", &units("café 😀")));
        assert!(same_text("", &[]));
        assert!(!same_text("agent-7", &units("agent-8")));
        assert!(!same_text("agent", &units("agent-7")));
        // The two bytes of "é" read as two units are another text ("Ã©").
        assert!(!same_text("é", &[0xc3, 0xa9]));
        assert!(!same_text("a\u{fffd}", &[0x61, 0xd800]));
    }

    /// The mask of field indexes `fields`.
    fn mask(fields: &[usize]) -> u32 {
        fields.iter().fold(0, |m, i| m | 1 << i)
    }

    #[test]
    fn unchanged_fields_are_those_the_caller_passed() {
        let lone: &[u16] = &[0x61, 0xd800];
        let (bytes, text) = tape(&full(vec![
            (4, T::Units(lone)),
            (12, T::Undefined),
            (17, T::Null),
            (13, T::Num(-0.0)),
            // A message field given `null` is not the record's (unset).
            (29, T::Null),
        ]));
        let (mut e, spans) = read_entry(&bytes, &text).unwrap();
        assert!(spans.ascii.is_none());
        // What the engine does: fills two, redacts one, changes one; a
        // lone surrogate was read as U+FFFD, so it is not the caller's
        // string either, and -0 is not the record's 0.
        e.event_id = "0190-filled".into();
        e.producer = Some(lokryn_compliance_log::Producer::default());
        e.message = "[REDACTED]".into();
        e.severity = 9;
        assert_eq!(e.component, "a\u{fffd}");
        assert_eq!(e.actor_type, 0);
        let strings = [3, 5, 6, 15, 16, 18, 19, 20, 21, 22, 24, 25, 27];
        // The enums the caller passed as they are, `durationMs` (a
        // bigint), the tags, and what stayed unset (`userAgent`, given as
        // null).
        let others = [0, 1, 10, 30, DURATION_MS, POLICY_TAGS, 8, 11, 17, 28];
        let expected = mask(&strings) | mask(&others);
        assert_eq!(spans.unchanged(&mut e, &text), expected);

        // The same from ASCII text, and a duration given as a number
        // (the record's is a bigint) is not the caller's.
        let (bytes, text) = tape(&full(vec![
            (7, T::Str("plain")),
            (DURATION_MS, T::Num(87.0)),
        ]));
        let (mut e, spans) = read_entry(&bytes, &text).unwrap();
        assert!(spans.ascii.is_some());
        assert_eq!(e.message, "plain");
        e.resource.push('!');
        let unchanged = spans.unchanged(&mut e, &text);
        assert_eq!(unchanged & mask(&[DURATION_MS, 6]), 0);
        assert_eq!(
            unchanged & mask(&[3, 4, 7, POLICY_TAGS]),
            mask(&[3, 4, 7, POLICY_TAGS])
        );
        // Tags added, changed or split otherwise are not the caller's.
        for tags in [
            vec!["SOC2", "PCI", "HIPAA"],
            vec!["SOC2"],
            vec!["SOC2P", "CI"],
            vec!["PCI", "SOC2"],
        ] {
            e.policy_tags = tags.iter().map(|t| (*t).to_owned()).collect();
            assert_eq!(
                spans.unchanged(&mut e, &text) & mask(&[POLICY_TAGS]),
                0,
                "{tags:?}"
            );
        }
        // More tags than the spans hold are never taken as the caller's.
        let many: Vec<T<'_>> = (0..=MAX_TAGS).map(|_| T::Str("t")).collect();
        let (bytes, text) = tape(&full(vec![(POLICY_TAGS, T::Array(many))]));
        let (mut e, spans) = read_entry(&bytes, &text).unwrap();
        assert_eq!(e.policy_tags.len(), MAX_TAGS + 1);
        assert_eq!(spans.unchanged(&mut e, &text) & mask(&[POLICY_TAGS]), 0);
    }

    #[test]
    fn writes_what_the_generated_writer_writes() {
        let (bytes, text) = tape(&full(vec![]));
        let (mut e, _) = read_entry(&bytes, &text).unwrap();
        e.time = Some(lokryn_compliance_log::Timestamp {
            seconds: 1_700_000_000,
            nanos: 5,
        });
        e.payload = vec![1, 2, 3];
        e.producer = Some(lokryn_compliance_log::Producer {
            name: "p".into(),
            version: "1".into(),
        });
        let tape_of = |write: &dyn Fn(&TapeWriter) -> Result<(), TapeError>| {
            let w = TapeWriter::new();
            write(&w).unwrap();
            w.finish().unwrap().0
        };
        let generated = tape_of(&|w| e.to_js(w));
        assert_eq!(tape_of(&|w| write_changed(w, &e, 0)), generated);
        // Kept fields are left out, and the factory call counts the rest.
        let only_two = tape_of(&|w| write_changed(w, &e, !mask(&[3, 12])));
        let expected = tape_of(&|w| {
            w.new_string(&e.actor_id)?;
            w.new_string(&e.event_id)?;
            w.build(Factory::Message(Message::LogEntry), vec![(), ()])
        });
        assert_eq!(only_two, expected);
    }
}
