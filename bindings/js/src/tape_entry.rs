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
//! [`TextSpans`] records where each top-level string lies in the tape's
//! text. After logging, [`TextSpans::unchanged`] tells which string fields
//! of the written record are, unit for unit, the strings the caller passed
//! (the engine neither filled nor redacted them): the package's JavaScript
//! reuses those strings for the returned record instead of receiving them
//! back, and [`swap_strings`] takes them out of the output tape.

use lokryn_compliance_log::LogEntry;

use crate::tape::{tag, utf16_string};

/// The number of values the LogEntry reader returns (one per field).
pub const FIELDS: usize = 31;
const POLICY_TAGS: usize = 9;
const DELEGATION_CHAIN: usize = 14;
const DURATION_MS: usize = 23;

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

/// Where the caller's top-level strings lie in the text of the tape
/// [`read_entry`] read: bit `i` of `present` for field index `i`, and its
/// span in UTF-16 units.
#[derive(Debug, Clone)]
pub struct TextSpans {
    present: u32,
    spans: [(u32, u32); FIELDS],
}

impl TextSpans {
    /// The string fields of `written` (bit `i` for field index `i`) that
    /// hold exactly the UTF-16 units the caller passed for them in `text`.
    pub fn unchanged(&self, written: &mut LogEntry, text: &[u16]) -> u32 {
        let mut mask = 0;
        let mut present = self.present;
        while present != 0 {
            let i = present.trailing_zeros() as usize;
            present &= present - 1;
            let Some(&(start, len)) = self.spans.get(i) else {
                continue;
            };
            let units = text
                .get(start as usize..start as usize + len as usize)
                .unwrap_or_default();
            if string_field(written, i).is_some_and(|s| same_text(s, units)) {
                mask |= 1 << i;
            }
        }
        mask
    }
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

/// Swaps the string fields of `entry` named by `mask` (bit `i` for field
/// index `i`) with `strings[i]`: with empty strings, takes them out; done
/// again, puts them back.
pub fn swap_strings(entry: &mut LogEntry, mask: u32, strings: &mut [String; FIELDS]) {
    for (i, slot) in strings.iter_mut().enumerate() {
        if mask & (1 << i) != 0
            && let Some(s) = string_field(entry, i)
        {
            std::mem::swap(s, slot);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    text: &'a [u16],
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

    /// The next `len` units of the text, and where they start.
    fn text(&mut self, len: u32) -> Option<(u32, &'a [u16])> {
        let start = self.at;
        let end = start.checked_add(len as usize)?;
        let units = self.text.get(start..end)?;
        self.at = end;
        Some((u32::try_from(start).ok()?, units))
    }

    /// A string value (its tag read already).
    fn string(&mut self) -> Option<(u32, u32, String)> {
        let len = self.u32()?;
        let (start, units) = self.text(len)?;
        Some((start, len, utf16_string(units)))
    }
}

/// The LogEntry of a split input tape written from an entry object, and
/// where its strings lie; `None` when the tape holds anything else than
/// the shapes this reader takes (see the module documentation).
pub fn read_entry(bytes: &[u8], text: &[u16]) -> Option<(LogEntry, TextSpans)> {
    let mut r = Reader {
        bytes,
        pos: 0,
        text,
        at: 0,
    };
    if r.u8()? != tag::MESSAGE || r.u32()? as usize != FIELDS {
        return None;
    }
    let mut e = LogEntry::default();
    let mut spans = TextSpans {
        present: 0,
        spans: [(0, 0); FIELDS],
    };
    for i in 0..FIELDS {
        let t = r.u8()?;
        if t == tag::UNDEFINED || t == tag::NULL {
            // The zero value, or no message: what the default holds.
            continue;
        }
        if let Some(slot) = string_field(&mut e, i) {
            if t != tag::STRING {
                return None;
            }
            let (start, len, s) = r.string()?;
            *slot = s;
            spans.present |= 1 << i;
            if let Some(span) = spans.spans.get_mut(i) {
                *span = (start, len);
            }
        } else if let Some(slot) = enum_field(&mut e, i) {
            if t != tag::NUMBER {
                return None;
            }
            *slot = int32(r.f64()?)?;
        } else {
            match (i, t) {
                (DURATION_MS, tag::BIGINT) => e.duration_ms = r.i64()?,
                (DURATION_MS, tag::NUMBER) => e.duration_ms = safe_integer(r.f64()?)?,
                (POLICY_TAGS, tag::ARRAY) => {
                    let n = r.u32()? as usize;
                    // Each element takes five bytes at least.
                    let mut tags = Vec::with_capacity(n.min(bytes.len() / 5));
                    for _ in 0..n {
                        if r.u8()? != tag::STRING {
                            return None;
                        }
                        tags.push(r.string()?.2);
                    }
                    e.policy_tags = tags;
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
    Some((e, spans))
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

    #[test]
    fn unchanged_strings_are_those_the_caller_passed() {
        let lone: &[u16] = &[0x61, 0xd800];
        let (bytes, text) = tape(&full(vec![(4, T::Units(lone)), (12, T::Undefined)]));
        let (mut e, spans) = read_entry(&bytes, &text).unwrap();
        // What the engine does: fills one, redacts one; a lone surrogate
        // was read as U+FFFD, so it is not the caller's string either.
        e.event_id = "0190-filled".into();
        e.message = "[REDACTED]".into();
        assert_eq!(e.component, "a\u{fffd}");
        let mask = spans.unchanged(&mut e, &text);
        let expected = [3, 5, 6, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 27]
            .iter()
            .fold(0, |m, i| m | 1 << i);
        assert_eq!(mask, expected);
        let before = e.clone();
        let mut strings: [String; FIELDS] = Default::default();
        swap_strings(&mut e, mask, &mut strings);
        assert_eq!(e.actor_id, "");
        assert_eq!(e.message, "[REDACTED]");
        assert_eq!(strings[3], "actor");
        swap_strings(&mut e, mask, &mut strings);
        assert_eq!(e, before);
    }
}
