//! Binary protobuf encoding of single entries, with size limits.
//!
//! The wire format is plain proto3, byte-identical to what google.protobuf,
//! protobuf-es or any other conforming implementation writes for the same
//! message.

use prost::Message as _;
use prost_reflect::{DynamicMessage, ReflectMessage as _, Value};

use crate::{Error, LogEntry, Result};

/// Bounds on the size of what the readers accept, so that hostile or broken
/// input costs bounded memory.
///
/// The writers hold to the same bounds: [`encode_with`],
/// [`DelimitedWriter`](crate::stream::DelimitedWriter) and
/// [`to_json_with`](crate::json::to_json_with) refuse, before writing
/// anything and with the same [`Error::TooLarge`], an entry that a reader
/// with the same limits would refuse. A larger limit given to the writer must
/// then be given to the readers of what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest encoded entry accepted, in bytes.
    pub max_entry_bytes: usize,
    /// Largest JSON text accepted for one entry, in bytes.
    pub max_json_bytes: usize,
}

impl Limits {
    /// 4 MiB for an encoded entry and 16 MiB for its JSON text: far above any
    /// sane audit record, far below what would hurt a collector.
    pub const DEFAULT: Self = Self {
        max_entry_bytes: 4 << 20,
        max_json_bytes: 16 << 20,
    };

    /// Limits with the given largest encoded entry (JSON text may be four
    /// times as large, as base64 and escaping inflate it).
    pub const fn with_max_entry_bytes(max_entry_bytes: usize) -> Self {
        Self {
            max_entry_bytes,
            max_json_bytes: max_entry_bytes.saturating_mul(4),
        }
    }
}

impl Limits {
    /// Checks that an encoded entry of `len` bytes is within
    /// `max_entry_bytes` (an [`Error::TooLarge`] if not).
    pub fn check_entry(&self, len: usize) -> Result<()> {
        check_size("entry", len, self.max_entry_bytes)
    }

    /// Checks that the JSON text of one entry, `len` bytes, is within
    /// `max_json_bytes`.
    pub fn check_json(&self, len: usize) -> Result<()> {
        check_size("JSON text", len, self.max_json_bytes)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Encodes `entry` to a new buffer, whatever its size. [`encode_with`]
/// refuses an entry that [`decode`] would refuse.
pub fn encode(entry: &LogEntry) -> Vec<u8> {
    entry.encode_to_vec()
}

/// Encodes `entry` to a new buffer, refusing (before encoding) an entry
/// whose encoding is over `limits.max_entry_bytes`: what
/// [`decode_with`] under the same limits would refuse.
pub fn encode_with(entry: &LogEntry, limits: &Limits) -> Result<Vec<u8>> {
    check_encoded_size(entry, limits)?;
    Ok(entry.encode_to_vec())
}

/// What [`encode_with`] checks, without encoding: fails with
/// [`Error::TooLarge`](crate::Error::TooLarge) when the encoding of `entry`
/// would be over `limits.max_entry_bytes`.
pub fn check_encoded_size(entry: &LogEntry, limits: &Limits) -> Result<()> {
    limits.check_entry(entry.encoded_len())
}

/// Appends the encoding of `entry` to `buf`.
pub fn encode_into(entry: &LogEntry, buf: &mut Vec<u8>) {
    // Writing into a Vec cannot run out of space.
    let _ = entry.encode(buf);
}

/// Decodes one entry under the default [`Limits`].
pub fn decode(bytes: &[u8]) -> Result<LogEntry> {
    decode_with(bytes, &Limits::DEFAULT)
}

/// Decodes one entry, refusing input over `limits.max_entry_bytes`.
///
/// As in every protobuf implementation, fields this schema does not know are
/// skipped; [`unknown_fields`] reports them.
pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<LogEntry> {
    limits.check_entry(bytes.len())?;
    Ok(LogEntry::decode(bytes)?)
}

/// Decodes one entry into `entry`, as [`decode_with`] does, reusing the
/// memory its strings and lists already hold (for a caller that decodes
/// many entries one at a time). On error `entry` holds part of the input.
pub fn decode_into(bytes: &[u8], limits: &Limits, entry: &mut LogEntry) -> Result<()> {
    check_size("entry", bytes.len(), limits.max_entry_bytes)?;
    entry.clear();
    entry.merge(bytes)?;
    Ok(())
}

pub(crate) fn check_size(what: &'static str, size: usize, limit: usize) -> Result<()> {
    if size > limit {
        return Err(Error::TooLarge {
            what,
            size: size as u64,
            limit: limit as u64,
        });
    }
    Ok(())
}

/// A field present on the wire that this version of the schema does not
/// define: written by a newer producer, or by mistake. Decoding into
/// [`LogEntry`] drops it, so tools that copy records should report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    /// Where it was found, in JSON names: `""` for the entry itself,
    /// `"delegationChain[1]"` for a nested message.
    pub path: String,
    /// Its field number.
    pub number: u32,
}

/// Lists the fields of an encoded entry that this schema does not define.
pub fn unknown_fields(bytes: &[u8]) -> Result<Vec<UnknownField>> {
    let message = DynamicMessage::decode(LogEntry::default().descriptor(), bytes)?;
    let mut found = Vec::new();
    collect_unknown(&message, "", &mut found);
    Ok(found)
}

fn collect_unknown(message: &DynamicMessage, path: &str, out: &mut Vec<UnknownField>) {
    for field in message.unknown_fields() {
        out.push(UnknownField {
            path: path.to_owned(),
            number: field.number(),
        });
    }
    for (field, value) in message.fields() {
        let name = field.json_name();
        let child = |suffix: String| {
            if path.is_empty() {
                suffix
            } else {
                format!("{path}.{suffix}")
            }
        };
        match value {
            Value::Message(m) => collect_unknown(m, &child(name.to_owned()), out),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Message(m) = item {
                        collect_unknown(m, &child(format!("{name}[{i}]")), out);
                    }
                }
            }
            _ => {}
        }
    }
}
