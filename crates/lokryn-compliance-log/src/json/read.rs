//! The fast path of the JSON reader: a pull parser and the readers generated
//! over it (`generated/json_read.rs`, from `cargo xtask codegen`).
//!
//! It reads the spellings writers produce (ours, protobuf-es, Python's
//! `json_format`, hand-written records): either field name, `null`, enum
//! names and numbers, integers as plain decimal numbers or
//! strings, standard padded base64, RFC 3339 timestamps in UTC, any JSON
//! string escapes. Everything else makes it give up (`None`), and the caller
//! reads the text again with the reference reader: a rarer spelling it then
//! accepts, an error it reports with line, column and field. Giving up is
//! always safe; answering is only allowed where the reference reader would
//! give the same entry, which the tests check on every vector and on mutated
//! input.
//!
//! Keys are matched on their bytes, so a key written with escapes gives up
//! too, and a field given twice (under either of its names) gives up at the
//! second, for the reference reader to refuse it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prost_types::Timestamp;

/// Implemented by the generated code for every message of the schema.
pub(super) trait ReadJson: Sized {
    /// Reads one message (an object; the caller has handled `null`) over
    /// `self`, whatever an earlier read left in it: every field the text
    /// does not set is put back to its default, and the strings and lists
    /// of `self` are written over rather than made anew. Gives up (`None`)
    /// with `self` in an unspecified state.
    fn read_json_into(&mut self, r: &mut Reader<'_>) -> Option<()>;
}

/// Reads `text` as one `T`, or gives up.
#[cfg(test)]
pub(super) fn read<T: ReadJson + Default>(text: &str) -> Option<T> {
    let mut value = T::default();
    read_into(text, &mut value).map(|()| value)
}

/// Reads `text` over `value` (see [`ReadJson::read_json_into`]), or gives
/// up, leaving `value` in an unspecified state.
pub(super) fn read_into<T: ReadJson>(text: &str, value: &mut T) -> Option<()> {
    let mut r = Reader { text, pos: 0 };
    value.read_json_into(&mut r)?;
    r.ws();
    (r.pos == text.len()).then_some(())
}

/// The fields given a value: given (`seen`) and not `null`.
fn given<const N: usize>(seen: &[u64; N], nulls: &[u64; N]) -> [u64; N] {
    let mut set = *seen;
    for (s, n) in set.iter_mut().zip(nulls) {
        *s &= !n;
    }
    set
}

/// Element `n` of a list being read over an earlier one: the one there, or
/// a new one at the end (`n` is at most the length).
fn slot<T: Default>(list: &mut Vec<T>, n: usize) -> Option<&mut T> {
    if n >= list.len() {
        list.push(T::default());
    }
    list.get_mut(n)
}

/// A cursor over JSON text.
#[derive(Debug)]
pub(super) struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    /// Gives up: for constructs left to the reference reader.
    #[allow(
        dead_code,
        reason = "for field types the schema may gain; codegen emits calls to it"
    )]
    pub(super) fn give_up<T>(&mut self) -> Option<T> {
        None
    }

    pub(super) fn begin_object(&mut self) -> Option<()> {
        self.expect(b'{')
    }

    #[allow(
        dead_code,
        reason = "for field types the schema may gain; codegen emits calls to it"
    )]
    pub(super) fn empty_object(&mut self) -> Option<()> {
        self.expect(b'{')?;
        self.expect(b'}')
    }

    /// The next key of the object being read, with its colon consumed;
    /// `Some(None)` at the end of the object.
    pub(super) fn key(&mut self, first: &mut bool) -> Option<Option<&'a [u8]>> {
        if self.eat(b'}') {
            return Some(None);
        }
        if !std::mem::take(first) {
            self.expect(b',')?;
            self.ws();
        }
        if self.peek() != Some(b'"') {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        // Up to the next quote: a key with an escape or a control character
        // in it is no field name (they are `[A-Za-z0-9_]+`), so the match on
        // it gives up.
        let len = first_special(self.bytes().get(start..)?, |word| {
            crate::swar::eq(word, b'"')
        })?;
        self.pos += len;
        let key = self.bytes().get(start..self.pos)?;
        self.pos += 1;
        self.expect(b':')?;
        Some(Some(key))
    }

    /// Records that field `index` was given; gives up if it already was.
    pub(super) fn mark<const N: usize>(&mut self, seen: &mut [u64; N], index: usize) -> Option<()> {
        let word = seen.get_mut(index / 64)?;
        let bit = 1u64 << (index % 64);
        if *word & bit != 0 {
            return None;
        }
        *word |= bit;
        Some(())
    }

    /// Consumes a `null` if one comes next.
    pub(super) fn null(&mut self) -> bool {
        self.ws();
        let rest = self.bytes().get(self.pos..).unwrap_or_default();
        if rest.starts_with(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    pub(super) fn begin_array(&mut self) -> Option<()> {
        self.expect(b'[')
    }

    /// Whether another element follows (its comma consumed).
    pub(super) fn element(&mut self, first: &mut bool) -> Option<bool> {
        if self.eat(b']') {
            return Some(false);
        }
        if !std::mem::take(first) {
            self.expect(b',')?;
        }
        Some(true)
    }

    pub(super) fn boolean(&mut self) -> Option<bool> {
        self.ws();
        let rest = self.bytes().get(self.pos..)?;
        if rest.starts_with(b"true") {
            self.pos += 4;
            Some(true)
        } else if rest.starts_with(b"false") {
            self.pos += 5;
            Some(false)
        } else {
            None
        }
    }

    /// The text of a string value: a slice of the input when it has no
    /// escapes.
    fn str_value(&mut self) -> Option<std::borrow::Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.pos;
        self.plain_run()?;
        if self.peek()? == b'"' {
            let s = self.text.get(start..self.pos)?;
            self.pos += 1;
            return Some(s.into());
        }
        let mut out = String::from(self.text.get(start..self.pos)?);
        self.escaped_rest(&mut out)?;
        Some(out.into())
    }

    /// A string value, written over `out`.
    pub(super) fn string_into(&mut self, out: &mut String) -> Option<()> {
        out.clear();
        self.expect(b'"')?;
        let start = self.pos;
        self.plain_run()?;
        out.push_str(self.text.get(start..self.pos)?);
        if self.peek()? == b'"' {
            self.pos += 1;
            return Some(());
        }
        self.escaped_rest(out)
    }

    /// The rest of a string from its first backslash (at `pos`), appended
    /// to `out`, up to and including the closing quote.
    fn escaped_rest(&mut self, out: &mut String) -> Option<()> {
        loop {
            // At a backslash.
            self.pos += 1;
            let escaped = self.peek()?;
            self.pos += 1;
            out.push(if escaped == b'u' {
                let (ch, len) = super::escape::unicode(self.bytes(), self.pos).ok()?;
                self.pos += len;
                ch
            } else {
                super::escape::short(escaped)?
            });
            let run = self.pos;
            self.plain_run()?;
            out.push_str(self.text.get(run..self.pos)?);
            if self.peek()? == b'"' {
                self.pos += 1;
                return Some(());
            }
        }
    }

    /// Moves to the next quote or backslash of a string; gives up at a
    /// control character or the end of the text. Eight bytes at a time.
    fn plain_run(&mut self) -> Option<()> {
        let rest = self.bytes().get(self.pos..)?;
        let n = first_special(rest, |word| {
            use crate::swar::{below, eq};
            eq(word, b'"') | eq(word, b'\\') | below(word, 0x20)
        })?;
        self.pos += n;
        (self.peek()? >= 0x20).then_some(())
    }

    /// Standard padded base64, decoded over `out`.
    pub(super) fn bytes_into(&mut self, out: &mut Vec<u8>) -> Option<()> {
        out.clear();
        let text = self.str_value()?;
        STANDARD.decode_vec(text.as_bytes(), out).ok()
    }

    /// A plain decimal integer, `-?(0|[1-9][0-9]*)`, as a number or a
    /// string. Fractions, exponents, `-0` and leading zeros give up.
    fn integer(&mut self) -> Option<i128> {
        self.ws();
        let quoted = self.peek()? == b'"';
        if quoted {
            self.pos += 1;
        }
        let negative = self.peek()? == b'-';
        if negative {
            self.pos += 1;
        }
        let start = self.pos;
        let mut value: i128 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
            if value > i128::from(u64::MAX) {
                return None;
            }
            self.pos += 1;
        }
        let digits = self.pos - start;
        let leading_zero = digits > 1 && self.bytes().get(start) == Some(&b'0');
        if digits == 0 || leading_zero || (negative && value == 0) {
            return None;
        }
        if quoted {
            if self.peek()? != b'"' {
                return None;
            }
            self.pos += 1;
        } else if let Some(b'.' | b'e' | b'E') = self.peek() {
            return None;
        }
        Some(if negative { -value } else { value })
    }

    pub(super) fn int32(&mut self) -> Option<i32> {
        i32::try_from(self.integer()?).ok()
    }

    pub(super) fn uint32(&mut self) -> Option<u32> {
        u32::try_from(self.integer()?).ok()
    }

    pub(super) fn int64(&mut self) -> Option<i64> {
        i64::try_from(self.integer()?).ok()
    }

    #[allow(
        dead_code,
        reason = "for field types the schema may gain; codegen emits calls to it"
    )]
    pub(super) fn uint64(&mut self) -> Option<u64> {
        u64::try_from(self.integer()?).ok()
    }

    /// A JSON number (not a string: `"NaN"` and quoted numbers are left to
    /// the reference reader), finite.
    pub(super) fn double(&mut self) -> Option<f64> {
        self.ws();
        let start = self.pos;
        if self.peek()? == b'-' {
            self.pos += 1;
        }
        let int_start = self.pos;
        self.digits();
        let int_digits = self.pos - int_start;
        if int_digits == 0 || (int_digits > 1 && self.bytes().get(int_start) == Some(&b'0')) {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        let value: f64 = self.text.get(start..self.pos)?.parse().ok()?;
        value.is_finite().then_some(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// An enum value by name, or by number (any `int32`: proto3 enums are
    /// open, and the writer spells values this schema does not know as
    /// numbers).
    pub(super) fn enumeration(&mut self, by_name: impl FnOnce(&str) -> Option<i32>) -> Option<i32> {
        self.ws();
        if self.peek()? == b'"' {
            by_name(&self.str_value()?)
        } else {
            self.int32()
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, years 1 to 9999.
    pub(super) fn timestamp(&mut self) -> Option<Timestamp> {
        let text = self.str_value()?;
        parse_utc(text.as_bytes())
    }
}

/// The offset of the first byte of `bytes` that `flags` (a `swar` test,
/// whose lowest flag is exact) flags, eight bytes at a time; the last
/// bytes (fewer than eight) are tested as one word, padded with quotes
/// that cannot be the answer.
#[inline(always)]
fn first_special(bytes: &[u8], flags: impl Fn(u64) -> u64) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        if let Some(n) = crate::swar::first(flags(u64::from_le_bytes(chunk.try_into().ok()?))) {
            return Some(offset + n);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    let mut word = [b'"'; 8];
    word.get_mut(..tail.len())?.copy_from_slice(tail);
    crate::swar::first(flags(u64::from_le_bytes(word)))
        .filter(|&n| n < tail.len())
        .map(|n| offset + n)
}

/// Reads an RFC 3339 time in UTC (`Z`); anything else gives up.
fn parse_utc(s: &[u8]) -> Option<Timestamp> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0;
        for &d in s.get(range)? {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(d - b'0');
        }
        Some(v)
    };
    let at = |i: usize, b: u8| s.get(i) == Some(&b);
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year < 1 || !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut nanos = 0;
    let mut end = 19;
    if at(19, b'.') {
        let digits = s
            .get(20..)?
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = num(20..20 + digits)? * 10_i64.pow(u32::try_from(9 - digits).ok()?);
        end = 20 + digits;
    }
    if !at(end, b'Z') || s.len() != end + 1 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(Timestamp {
        seconds,
        nanos: i32::try_from(nanos).ok()?,
    })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

mod generated {
    include!("../generated/json_read.rs");
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#[allow(clippy::cast_possible_truncation)]
#[path = "../../tests/support/random.rs"]
mod random;

#[cfg(test)]
#[allow(clippy::cast_possible_truncation, reason = "small test indices")]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::random::{Rng, random_entry};
    use super::*;
    use crate::LogEntry;
    use crate::json::{JsonOptions, reference_read, to_json};

    fn fast(text: &str) -> Option<LogEntry> {
        read::<LogEntry>(text)
    }

    fn reference(text: &str) -> crate::Result<LogEntry> {
        reference_read(text, &JsonOptions::default())
    }

    /// Where the fast reader answers, the reference reader gives the same
    /// entry.
    fn agree(text: &str) -> bool {
        match fast(text) {
            Some(entry) => {
                let expected = reference(text).unwrap_or_else(|e| {
                    panic!("fast path accepted what the reference refuses ({e}): {text}")
                });
                assert_eq!(entry, expected, "{text}");
                true
            }
            None => false,
        }
    }

    fn wire_vectors() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/wire");
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| p.file_stem().is_some_and(|s| s != "manifest"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        out.sort();
        assert!(out.len() > 20, "{} vectors in {}", out.len(), dir.display());
        out
    }

    #[test]
    fn strings_are_scanned_to_their_first_quote_backslash_or_control_byte() {
        let specials = ["\"", "\\", "\u{0}", "\u{1f}", "\n"];
        // Bytes either side of the special ones, and multi-byte characters
        // (all bytes >= 0x80).
        let ordinary = ["a", " ", "!", "#", "[", "]", "\u{7f}", "é", "日", "😀"];
        for len in 0..20 {
            for at in 0..=len {
                for special in specials {
                    for fill in ordinary {
                        let mut text = String::new();
                        for i in 0..len {
                            text.push_str(if i == at {
                                special
                            } else if i > at && i % 3 == 0 {
                                "\""
                            } else {
                                fill
                            });
                        }
                        let bytes = text.as_bytes();
                        let first = bytes
                            .iter()
                            .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                        let want = first.filter(|&n| bytes[n] >= 0x20);
                        let mut r = Reader {
                            text: &text,
                            pos: 0,
                        };
                        let got = r.plain_run().map(|()| r.pos);
                        assert_eq!(got, want, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_golden_vector_takes_the_fast_path_but_non_finite_doubles() {
        for (name, text) in wire_vectors() {
            // proto3 JSON spells these "NaN" and "Infinity", left to the
            // reference reader.
            let non_finite = name.starts_with("doubles-special") || name.contains("infinity");
            assert_eq!(agree(&text), !non_finite, "{name}");
        }
    }

    #[test]
    fn random_entries_read_back_through_the_fast_path() {
        let mut rng = Rng(0x0bad_cafe_f00d_1234);
        let mut fast_count = 0;
        for i in 0..3000 {
            let entry = random_entry(&mut rng);
            let text = to_json(&entry).unwrap();
            let finite = entry.genai.as_ref().is_none_or(|g| {
                g.temperature.is_none_or(f64::is_finite) && g.top_p.is_none_or(f64::is_finite)
            });
            if finite {
                fast_count += 1;
                assert!(agree(&text), "entry {i}");
                let back = fast(&text).unwrap();
                assert_eq!(
                    crate::codec::encode(&back),
                    crate::codec::encode(&entry),
                    "entry {i}"
                );
            } else {
                assert!(fast(&text).is_none(), "entry {i}");
            }
        }
        assert!(
            fast_count > 2000,
            "only {fast_count} of 3000 took the fast path"
        );
    }

    #[test]
    fn other_spellings_agree_with_the_reference() {
        let cases = [
            // Proto field names, enum numbers, quoted and unquoted integers.
            r#"{"event_type": 5, "actor_id": "a", "duration_ms": 12, "genai": {"input_tokens": "7", "max_tokens": 0}}"#,
            r#"{"eventType":"EVENT_LOGIN","durationMs":"-9223372036854775808"}"#,
            r#"{"durationMs":9223372036854775807}"#,
            // null is "not set", for every kind of field.
            r#"{"actorId":null,"policyTags":null,"time":null,"genai":null,"eventType":null,"durationMs":null,"payload":null}"#,
            r#"{"genai":{"temperature":null,"topP":0.5,"maxTokens":null},"mcp":{"jsonrpcErrorCode":null}}"#,
            r#"{"mcp":{"jsonrpcErrorCode":0}}"#,
            r#"{"eventType":9999,"outcome":-3}"#,
            r#"{"genai":{"temperature":1e-3,"topP":-0.0}}"#,
            r#"{"genai":{"temperature":12.5E+2}}"#,
            // Escapes, in values and enum names.
            r#"{"actorId":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00","eventType":"EVENT_\u004cOGIN"}"#,
            // Whitespace everywhere.
            " \n{ \"actorId\" : \"a\" ,\t\"policyTags\" : [ \"x\" , \"y\" ] , \"delegationChain\" : [ { } , { \"actorId\" : \"b\" } ] }\r\n",
            r#"{}"#,
            r#"{"policyTags":[],"delegationChain":[],"producer":{}}"#,
            r#"{"payload":"AAEC/+8="}"#,
            r#"{"payload":""}"#,
        ];
        for text in cases {
            assert!(agree(text), "the fast path gave up on {text}");
        }
        for fraction in [
            "",
            ".1",
            ".12",
            ".123",
            ".1234",
            ".12345",
            ".123456",
            ".1234567",
            ".12345678",
            ".123456789",
        ] {
            for date in [
                "1970-01-01T00:00:00",
                "2024-02-29T23:59:59",
                "0001-01-01T00:00:00",
                "9999-12-31T23:59:59",
                "1969-12-31T12:30:00",
            ] {
                let text = format!(r#"{{"time":"{date}{fraction}Z"}}"#);
                assert!(agree(&text), "the fast path gave up on {text}");
            }
        }
    }

    #[test]
    fn what_the_fast_path_leaves_to_the_reference() {
        let cases = [
            // Errors: the reference reader words them.
            r#"{"actorId":"a","actor_id":"b"}"#,
            r#"{"actorId":"a","actorId":"a"}"#,
            r#"{"nope":1}"#,
            r#"{"actorId":"a",}"#,
            r#"{"actorId":"a"} x"#,
            r#"{"time":"2023-02-29T00:00:00Z"}"#,
            r#"{"time":"2023-01-01T24:00:00Z"}"#,
            r#"{"time":"2023-01-01T00:00:00.1234567890Z"}"#,
            r#"{"eventType":"EVENT_NOPE"}"#,
            r#"{"durationMs":9223372036854775808}"#,
            r#"{"actorId":"\ud800"}"#,
            // Rarer spellings: the reference reader accepts them.
            r#"{"time":"2023-01-01T00:00:00+01:00"}"#,
            r#"{"durationMs":1e3}"#,
            r#"{"durationMs":"007"}"#,
            r#"{"payload":"AAEC_-8"}"#,
            r#"{"genai":{"temperature":"NaN"}}"#,
            r#"{"act\u006frId":"a"}"#,
            // Keys are cut at their closing quote alone: escapes and control
            // characters in them match no field.
            r#"{"actorId\"":"a"}"#,
            r#"{"actorId\\":"a"}"#,
            "{\"actor\u{1}Id\":\"a\"}",
            "{\"actorId\u{1f}\":\"a\"}",
            r#"{"actorId"#,
        ];
        for text in cases {
            assert!(fast(text).is_none(), "the fast path answered {text}");
        }
    }

    /// Small edits of real records (bytes deleted, inserted, replaced): the
    /// fast path may give up on any of them, but where it answers, the
    /// reference reader answers the same.
    #[test]
    fn mutated_records_never_disagree() {
        const ALPHABET: &[u8] = b"{}[]\",:0123456789-+.eEaZnultrf\\ /_";
        let mut rng = Rng(0xfeed_beef_0123_4567);
        let mut texts: Vec<String> = wire_vectors().into_iter().map(|(_, t)| t).collect();
        texts.extend((0..20).map(|_| to_json(&random_entry(&mut rng)).unwrap()));
        let (mut answered, mut total) = (0, 0);
        // Also read over one entry, which a give-up leaves half-written.
        let mut scratch = LogEntry::default();
        for text in &texts {
            for _ in 0..400 {
                let mut bytes = text.clone().into_bytes();
                for _ in 0..=rng.below(2) {
                    let at = rng.below(bytes.len() as u64 + 1) as usize;
                    let byte = ALPHABET[rng.below(ALPHABET.len() as u64) as usize];
                    match rng.below(3) {
                        0 if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        1 if at < bytes.len() => bytes[at] = byte,
                        _ => bytes.insert(at, byte),
                    }
                }
                let Ok(mutated) = String::from_utf8(bytes) else {
                    continue;
                };
                total += 1;
                if agree(&mutated) {
                    answered += 1;
                }
                match read_into(&mutated, &mut scratch) {
                    Some(()) => assert_eq!(Some(&scratch), fast(&mutated).as_ref(), "{mutated}"),
                    None => assert!(fast(&mutated).is_none(), "{mutated}"),
                }
            }
        }
        // The mutations must exercise the fast path, not only its refusals.
        assert!(answered > total / 10, "{answered} of {total} answered");
    }

    /// Whether every field of `message`, and of the messages in it, is set.
    fn every_field_set(message: &prost_reflect::DynamicMessage) -> bool {
        use prost_reflect::{ReflectMessage as _, Value};
        message.descriptor().fields().all(|field| {
            message.has_field(&field)
                && match &*message.get_field(&field) {
                    Value::Message(m) if !m.descriptor().full_name().starts_with("google.") => {
                        every_field_set(m)
                    }
                    Value::List(list) => {
                        !list.is_empty()
                            && list
                                .iter()
                                .all(|v| v.as_message().is_none_or(every_field_set))
                    }
                    _ => true,
                }
        })
    }

    /// Every key of `message` given as `null`, or (`nested`) every key of
    /// a message field given as an object of `null`s.
    fn nulls(message: &prost_reflect::MessageDescriptor, nested: bool) -> String {
        let keys: Vec<String> = message
            .fields()
            .map(|field| {
                let value = match field.kind() {
                    prost_reflect::Kind::Message(m)
                        if nested && !field.is_list() && !m.full_name().starts_with("google.") =>
                    {
                        nulls(&m, true)
                    }
                    _ => "null".into(),
                };
                format!("\"{}\":{value}", field.json_name())
            })
            .collect();
        format!("{{{}}}", keys.join(","))
    }

    /// One entry read over from text to text, starting each time from an
    /// entry with every field set and from what the text before left,
    /// holds what a fresh read gives: no field, list element or nested
    /// field is left over from an earlier text.
    #[test]
    fn an_entry_read_over_again_is_what_a_fresh_read_gives() {
        use prost_reflect::ReflectMessage as _;
        let vectors = wire_vectors();
        let full_text = &vectors
            .iter()
            .find(|(n, _)| n == "all-fields")
            .unwrap()
            .1
            .clone();
        let mut full = fast(full_text).unwrap();
        // Some links of the vector leave a field out: fill them in.
        for link in &mut full.delegation_chain {
            if link.reason.is_empty() {
                link.reason = "left over".into();
            }
            if link.scopes.is_empty() {
                link.scopes.push("left over".into());
            }
        }
        assert!(every_field_set(&full.transcode_to_dynamic()), "{full_text}");
        let descriptor = full.descriptor();
        let mut texts: Vec<String> = vectors.into_iter().map(|(_, t)| t).collect();
        texts.push(nulls(&descriptor, false));
        texts.push(nulls(&descriptor, true));
        let mut rng = Rng(0x5eed_1234_abcd_0987);
        texts.extend((0..1500).map(|_| to_json(&random_entry(&mut rng)).unwrap()));
        let mut scratch = LogEntry::default();
        let (mut answered, mut from_full) = (0, 0);
        for text in &texts {
            let fresh = fast(text);
            for start in [Some(&full), None] {
                if let Some(start) = start {
                    scratch.clone_from(start);
                }
                match read_into(text, &mut scratch) {
                    Some(()) => {
                        assert_eq!(Some(&scratch), fresh.as_ref(), "{text}");
                        answered += 1;
                        from_full += usize::from(start.is_some() && scratch != full);
                    }
                    None => assert!(fresh.is_none(), "{text}"),
                }
            }
        }
        assert!(answered > texts.len(), "{answered} of {}", 2 * texts.len());
        assert!(from_full > texts.len() / 2, "{from_full}");
        // The public entry point, fallback and errors included: what the
        // reference reader reads replaces the entry, and an error leaves
        // the default entry.
        let options = JsonOptions::default();
        for text in [
            r#"{"durationMs":1e3}"#,
            r#"{"time":"2023-01-01T00:00:00+01:00","policyTags":["x"]}"#,
            r#"{"genai":{"temperature":"NaN"}}"#,
            "{}",
            full_text,
        ] {
            scratch.clone_from(&full);
            crate::json::from_json_into(text, &options, &mut scratch).unwrap();
            // Compared encoded: NaN is not equal to itself.
            let want = crate::codec::encode(&reference(text).unwrap());
            assert_eq!(crate::codec::encode(&scratch), want, "{text}");
        }
        for text in [r#"{"actorId":"a","actorId":"b"}"#, "{", r#"{"nope":1}"#] {
            scratch.clone_from(&full);
            assert!(crate::json::from_json_into(text, &options, &mut scratch).is_err());
            assert_eq!(scratch, LogEntry::default(), "{text}");
        }
    }
}
