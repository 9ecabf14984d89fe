//! Reading an encoded entry without copying it: a [`LogEntryView`] borrows
//! its strings and bytes from the encoding, so the paths that only read a
//! record (validation, detection) skip the allocation of one `String` per
//! field that decoding into a [`LogEntry`](crate::LogEntry) costs.
//!
//! [`decode`] accepts exactly the bytes [`codec::decode_with`] accepts, and
//! fails with the same error when it does not: the reader checks what prost
//! checks (wire types, varint overflow, UTF-8 in strings, lengths, the
//! recursion limit on groups), and on anything else hands the input to prost
//! for its error. The view implements [`Access`](crate::access::Access), the
//! field access the validation engine and the sensitive-data walk run on, so
//! a view gets the same verdict as the decoded entry
//! ([`validate::validate_bytes`](crate::validate::validate_bytes)). While it
//! reads, it notes the fields the schema does not define
//! ([`LogEntryView::unknown_fields`]).
//!
//! The view types are generated from the schema by `cargo xtask codegen`
//! (`xtask/src/codegen/view.rs`).
//!
//! ```
//! use lokryn_compliance_log::{codec, view, LogEntry};
//!
//! let entry = LogEntry {
//!     actor_id: "alice".into(),
//!     policy_tags: vec!["SOC2".into()],
//!     ..Default::default()
//! };
//! let bytes = codec::encode(&entry);
//! let v = view::decode(&bytes, &codec::Limits::DEFAULT)?;
//! assert_eq!(v.actor_id, "alice");
//! assert_eq!(v.policy_tags.as_slice(), ["SOC2"]);
//! assert!(view::decode(&[0xff], &codec::Limits::DEFAULT).is_err());
//! # Ok::<(), lokryn_compliance_log::Error>(())
//! ```

use crate::access::{Access, List};
use crate::codec::{Limits, UnknownField};
use crate::{Error, Result};

#[allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    unreachable_pub,
    unused_qualifications
)]
mod generated {
    include!("generated/view.rs");
}
pub use generated::*;

/// The recursion budget prost starts a decode with (its `RECURSION_LIMIT`),
/// plus one for the entry itself.
const DEPTH: u32 = 101;

/// Decodes a view of one encoded entry, refusing input over
/// `limits.max_entry_bytes`; fails exactly when
/// [`codec::decode_with`](crate::codec::decode_with) fails, with the same
/// error.
pub fn decode<'a>(bytes: &'a [u8], limits: &Limits) -> Result<LogEntryView<'a>> {
    limits.check_entry(bytes.len())?;
    let mut view = LogEntryView::default();
    match read_into(bytes, &mut view) {
        Ok(()) => Ok(view),
        Err(Fallback) => Err(prost_error(bytes)),
    }
}

/// The view, or [`Fallback`] for any input the reader does not take.
pub(crate) fn read(bytes: &[u8]) -> std::result::Result<LogEntryView<'_>, Fallback> {
    let mut view = LogEntryView::default();
    read_into(bytes, &mut view)?;
    Ok(view)
}

/// Reads `bytes` into a new (default) `view`, in place.
pub(crate) fn read_into<'a>(
    bytes: &'a [u8],
    view: &mut LogEntryView<'a>,
) -> std::result::Result<(), Fallback> {
    view.merge(bytes, DEPTH)
}

/// prost's error for bytes the view reader refused.
fn prost_error(bytes: &[u8]) -> Error {
    match <crate::LogEntry as prost::Message>::decode(bytes) {
        Err(e) => e.into(),
        // The reader refuses nothing prost takes (the tests hold it to
        // that); were it to, the caller learns it instead of a wrong view.
        #[allow(deprecated)]
        Ok(_) => prost::DecodeError::new("entry not readable as a view").into(),
    }
}

impl LogEntryView<'_> {
    /// The fields of the entry that the schema does not define, as
    /// [`codec::unknown_fields`](crate::codec::unknown_fields) lists them.
    pub fn unknown_fields(&self) -> Vec<UnknownField> {
        let mut out = Vec::new();
        if self.has_unknown() {
            self.collect_unknown("", &mut out);
        }
        out
    }
}

/// The reader met something it leaves to prost: malformed input, or a field
/// of a type the views do not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fallback;

type Read<T> = std::result::Result<T, Fallback>;

/// The items of a list field: up to `N` held inline, more in a `Vec`.
/// (The inline room is written when a view is made, so lists of messages,
/// whose views are large and rare, hold none: `N` is 0 for them.)
#[derive(Debug, Clone)]
pub struct Rep<T, const N: usize> {
    inline: [T; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Default, const N: usize> Default for Rep<T, N> {
    fn default() -> Self {
        Self {
            inline: std::array::from_fn(|_| T::default()),
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl<T: Default, const N: usize> Rep<T, N> {
    /// The items, in order.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        if self.spill.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.spill
        }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if !self.spill.is_empty() {
            self.spill.push(item);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = item;
            self.len += 1;
        } else {
            self.spill_with(item);
        }
    }

    /// Moves the (full) inline items to the heap, then `item` after them.
    #[cold]
    #[inline(never)]
    fn spill_with(&mut self, item: T) {
        self.spill.reserve(2 * N + 1);
        self.spill
            .extend(self.inline.iter_mut().map(std::mem::take));
        self.spill.push(item);
    }

    /// Appends a default item and returns it.
    pub(crate) fn push_default(&mut self) -> &mut T {
        self.push(T::default());
        let items: &mut [T] = if self.spill.is_empty() {
            self.inline.get_mut(..self.len).unwrap_or_default()
        } else {
            &mut self.spill
        };
        // An item was just added, so there is a last one.
        let last = items.len() - 1;
        #[allow(clippy::indexing_slicing)]
        &mut items[last]
    }
}

impl<T: Access + Default, const N: usize> List for Rep<T, N> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn item(&self, index: usize) -> Option<&dyn Access> {
        self.as_slice().get(index).map(|m| m as &dyn Access)
    }
}

/// A cursor over the fields of one encoded message.
pub(crate) struct Wire<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
}

impl<'a> Wire<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { rest: buf }
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// True when everything is read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Takes `key` (the bytes of a key) when the input goes on with it.
    #[inline]
    pub(crate) fn at<const N: usize>(&mut self, key: &[u8; N]) -> bool {
        match self.rest.split_first_chunk::<N>() {
            Some((next, tail)) if next == key => {
                self.rest = tail;
                true
            }
            _ => false,
        }
    }

    /// The next field's key (number and wire type), `None` at the end;
    /// what prost's `decode_key` refuses is refused when the key is not one
    /// of the schema's ([`Wire::skip_unknown`]), except a key over 32 bits.
    /// Keys of one and two bytes (fields 1 to 2047) are read inline, longer
    /// ones out of line.
    #[inline]
    pub(crate) fn key(&mut self) -> Read<Option<u32>> {
        match *self.rest {
            [] => Ok(None),
            [b, ref tail @ ..] if b < 0x80 => {
                self.rest = tail;
                Ok(Some(u32::from(b)))
            }
            [b0, b1, ref tail @ ..] if b1 < 0x80 => {
                self.rest = tail;
                Ok(Some(u32::from(b0 & 0x7f) | (u32::from(b1) << 7)))
            }
            _ => {
                let key = self.varint_long()?;
                u32::try_from(key).map(Some).map_err(|_| Fallback)
            }
        }
    }

    /// A varint, as prost reads it: at most ten bytes, the tenth below 2.
    #[inline]
    pub(crate) fn varint(&mut self) -> Read<u64> {
        match *self.rest {
            [b, ref tail @ ..] if b < 0x80 => {
                self.rest = tail;
                Ok(u64::from(b))
            }
            [b0, b1, ref tail @ ..] if b1 < 0x80 => {
                self.rest = tail;
                Ok(u64::from(b0 & 0x7f) | (u64::from(b1) << 7))
            }
            _ => self.varint_long(),
        }
    }

    /// A varint of three bytes or more (or a malformed one), read out of
    /// line on a copy of the cursor (see [`Wire::skip_unknown`]).
    #[inline]
    fn varint_long(&mut self) -> Read<u64> {
        let (value, rest) = Self::varint_long_in(self.rest)?;
        self.rest = rest;
        Ok(value)
    }

    #[inline(never)]
    fn varint_long_in(mut rest: &'a [u8]) -> Read<(u64, &'a [u8])> {
        let mut value = 0u64;
        for count in 0..10 {
            let (&b, tail) = rest.split_first().ok_or(Fallback)?;
            rest = tail;
            value |= u64::from(b & 0x7f) << (count * 7);
            if b < 0x80 {
                if count == 9 && b >= 2 {
                    return Err(Fallback);
                }
                return Ok((value, rest));
            }
        }
        Err(Fallback)
    }

    #[inline]
    fn take(&mut self, len: usize) -> Read<&'a [u8]> {
        let (bytes, tail) = self.rest.split_at_checked(len).ok_or(Fallback)?;
        self.rest = tail;
        Ok(bytes)
    }

    /// A length-delimited value.
    #[inline]
    pub(crate) fn bytes(&mut self) -> Read<&'a [u8]> {
        let len = self.varint()?;
        self.take(usize::try_from(len).map_err(|_| Fallback)?)
    }

    /// A string: a length-delimited value that must be UTF-8. Most strings
    /// of a record are short and ASCII: those are checked a word at a time
    /// and taken as they are (`str::from_utf8` goes byte by byte below 16
    /// bytes, and costs a call); the others go through `str::from_utf8`.
    #[inline]
    pub(crate) fn str(&mut self) -> Read<&'a str> {
        let bytes = self.bytes()?;
        match ascii::AsciiStr::from_ascii(bytes) {
            Ok(text) => Ok(text.as_str()),
            Err(_) => Self::utf8(bytes),
        }
    }

    /// A string with bytes past ASCII, out of line (they are rare, and the
    /// readers stay small enough to take the ASCII check inline).
    #[cold]
    #[inline(never)]
    fn utf8(bytes: &'a [u8]) -> Read<&'a str> {
        std::str::from_utf8(bytes).map_err(|_| Fallback)
    }

    /// Checks the key of a field the schema does not define as prost's
    /// `decode_key` does, skips the field as its `skip_field` does with the
    /// recursion budget `depth`, and returns the field's number.
    ///
    /// The work is done out of line on a copy of the cursor, so that no
    /// call takes the cursor's address and the generated readers keep it
    /// in registers.
    #[inline]
    pub(crate) fn skip_unknown(&mut self, key: u32, depth: u32) -> Read<u32> {
        let (number, rest) = Self::skip_unknown_in(self.rest, key, depth)?;
        self.rest = rest;
        Ok(number)
    }

    #[inline(never)]
    fn skip_unknown_in(rest: &'a [u8], key: u32, depth: u32) -> Read<(u32, &'a [u8])> {
        #[allow(clippy::cast_possible_truncation)]
        let (number, wire) = (key >> 3, (key & 7) as u8);
        if wire > 5 || number == 0 {
            return Err(Fallback);
        }
        let mut w = Wire::new(rest);
        w.skip(wire, number, depth)?;
        Ok((number, w.rest))
    }

    /// Skips a field whatever its number, by its wire type.
    pub(crate) fn skip_key(&mut self, key: u32, depth: u32) -> Read<()> {
        #[allow(clippy::cast_possible_truncation)]
        let (number, wire) = (key >> 3, (key & 7) as u8);
        self.skip(wire, number, depth)
    }

    /// Skips a field the schema does not define, as prost's `skip_field`
    /// does with the recursion budget `depth`.
    pub(crate) fn skip(&mut self, wire: u8, number: u32, depth: u32) -> Read<()> {
        if depth == 0 {
            return Err(Fallback);
        }
        match wire {
            0 => {
                self.varint()?;
            }
            1 => {
                self.take(8)?;
            }
            2 => {
                self.bytes()?;
            }
            5 => {
                self.take(4)?;
            }
            3 => loop {
                let key = self.key()?.ok_or(Fallback)?;
                #[allow(clippy::cast_possible_truncation)]
                let (inner, inner_wire) = (key >> 3, (key & 7) as u8);
                if inner_wire > 5 || inner == 0 {
                    return Err(Fallback);
                }
                if inner_wire == 4 {
                    if inner != number {
                        return Err(Fallback);
                    }
                    break;
                }
                self.skip(inner_wire, inner, depth - 1)?;
            },
            _ => return Err(Fallback),
        }
        Ok(())
    }
}

/// The scalar types, read as prost reads them (truncating varints to 32
/// bits, zigzag for `sint`): the generated readers call those the schema's
/// fields have, the others are there for the fields it may gain.
#[allow(dead_code)]
impl Wire<'_> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn int32(&mut self) -> Read<i32> {
        Ok(self.varint()? as i32)
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn int64(&mut self) -> Read<i64> {
        Ok(self.varint()? as i64)
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn uint32(&mut self) -> Read<u32> {
        Ok(self.varint()? as u32)
    }

    pub(crate) fn uint64(&mut self) -> Read<u64> {
        self.varint()
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn sint32(&mut self) -> Read<i32> {
        let v = self.varint()? as u32;
        Ok(((v >> 1) as i32) ^ (-((v & 1) as i32)))
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn sint64(&mut self) -> Read<i64> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ (-((v & 1) as i64)))
    }

    pub(crate) fn bool(&mut self) -> Read<bool> {
        Ok(self.varint()? != 0)
    }

    pub(crate) fn fixed32(&mut self) -> Read<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes(b.try_into().map_err(|_| Fallback)?))
    }

    pub(crate) fn fixed64(&mut self) -> Read<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().map_err(|_| Fallback)?))
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn sfixed32(&mut self) -> Read<i32> {
        Ok(self.fixed32()? as i32)
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    pub(crate) fn sfixed64(&mut self) -> Read<i64> {
        Ok(self.fixed64()? as i64)
    }

    pub(crate) fn float(&mut self) -> Read<f32> {
        Ok(f32::from_bits(self.fixed32()?))
    }

    pub(crate) fn double(&mut self) -> Read<f64> {
        Ok(f64::from_bits(self.fixed64()?))
    }
}

/// Reads one encoding of a `google.protobuf.Timestamp` into `time`, noting
/// the numbers of fields it does not define in `unknown`.
pub(crate) fn merge_timestamp(
    time: &mut prost_types::Timestamp,
    unknown: &mut Vec<u32>,
    bytes: &[u8],
    depth: u32,
) -> Read<()> {
    let depth = depth.checked_sub(1).ok_or(Fallback)?;
    let mut w = Wire::new(bytes);
    while let Some(key) = w.key()? {
        match key {
            0x08 => time.seconds = w.int64()?,
            0x10 => time.nanos = w.int32()?,
            key if matches!(key >> 3, 1 | 2) => return Err(Fallback),
            key => unknown.push(w.skip_unknown(key, depth)?),
        }
    }
    Ok(())
}

/// Whether a `google.protobuf.Timestamp` that prost decoded holds a field
/// it does not define.
pub(crate) fn skim_timestamp(bytes: &[u8], depth: u32) -> Read<bool> {
    let depth = depth.checked_sub(1).ok_or(Fallback)?;
    let mut w = Wire::new(bytes);
    let mut found = false;
    while let Some(key) = w.key()? {
        found |= !matches!(key >> 3, 1 | 2);
        w.skip_key(key, depth)?;
    }
    Ok(found)
}

/// Whether `bytes`, which prost decoded into an entry, hold a field the
/// schema does not define: a walk over the keys alone, values skipped.
pub(crate) fn has_unknown(bytes: &[u8]) -> std::result::Result<bool, Fallback> {
    LogEntryView::skim(bytes, DEPTH)
}

/// Lists the unknown fields of one message, by number (in the order read
/// for equal numbers), as a reflected message holds them.
pub(crate) fn own_unknown(numbers: &[u32], path: &str, out: &mut Vec<UnknownField>) {
    let mut sorted = numbers.to_vec();
    sorted.sort();
    out.extend(sorted.into_iter().map(|number| UnknownField {
        path: path.to_owned(),
        number,
    }));
}

/// The path of a field below `path`.
pub(crate) fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}
