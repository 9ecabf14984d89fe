//! Writers for each kind of field, shared by the generated code. A field
//! holding its zero value becomes `undefined`, which the message factory
//! turns into the zero value (so that `[]` and `new Uint8Array(0)` are made
//! on the JavaScript side, where it is cheap).

use crate::{Host, ToJs};

type R<H> = Result<<H as Host>::Value, <H as Host>::Error>;

/// A `string` field.
pub fn string<H: Host>(h: &H, v: &str) -> R<H> {
    if v.is_empty() {
        h.undefined()
    } else {
        h.new_string(v)
    }
}

/// A `bytes` field.
pub fn bytes<H: Host>(h: &H, v: &[u8]) -> R<H> {
    if v.is_empty() {
        h.undefined()
    } else {
        h.new_bytes(v)
    }
}

/// An `int32` or enum field.
pub fn int32<H: Host>(h: &H, v: i32) -> R<H> {
    if v == 0 {
        h.undefined()
    } else {
        h.new_number(f64::from(v))
    }
}

/// An `int64` field.
pub fn int64<H: Host>(h: &H, v: i64) -> R<H> {
    if v == 0 {
        h.undefined()
    } else {
        h.new_bigint(v)
    }
}

/// A `bool` field.
pub fn boolean<H: Host>(h: &H, v: bool) -> R<H> {
    if v {
        h.new_boolean(true)
    } else {
        h.undefined()
    }
}

/// A `uint32` or `fixed32` field.
pub fn uint32<H: Host>(h: &H, v: u32) -> R<H> {
    if v == 0 {
        h.undefined()
    } else {
        h.new_number(f64::from(v))
    }
}

/// A present `uint64` or `fixed64` value: a bigint, or above the range of
/// `i64` (which the hosts' bigints take) its decimal string, which
/// [`crate::read::uint64`] reads back.
pub fn uint64_value<H: Host>(h: &H, v: u64) -> R<H> {
    match i64::try_from(v) {
        Ok(n) => h.new_bigint(n),
        Err(_) => h.new_string(&v.to_string()),
    }
}

/// A `uint64` or `fixed64` field.
pub fn uint64<H: Host>(h: &H, v: u64) -> R<H> {
    if v == 0 {
        h.undefined()
    } else {
        uint64_value(h, v)
    }
}

/// A `double` field. Zero (or negative zero) is the default.
pub fn double<H: Host>(h: &H, v: f64) -> R<H> {
    if v == 0.0 && v.is_sign_positive() {
        h.undefined()
    } else {
        h.new_number(v)
    }
}

/// A message field.
pub fn message<H: Host, M: ToJs>(h: &H, v: Option<&M>) -> R<H> {
    match v {
        Some(m) => m.to_js(h),
        None => h.undefined(),
    }
}

/// An `optional` scalar field: present even when zero.
pub fn optional<H: Host, T: Copy>(h: &H, v: Option<T>, write: impl FnOnce(&H, T) -> R<H>) -> R<H> {
    match v {
        Some(v) => write(h, v),
        None => h.undefined(),
    }
}

/// A `repeated` field.
pub fn repeated<H: Host, T>(h: &H, v: &[T], write: impl Fn(&H, &T) -> R<H>) -> R<H> {
    if v.is_empty() {
        return h.undefined();
    }
    let items = v
        .iter()
        .map(|item| write(h, item))
        .collect::<Result<Vec<_>, _>>()?;
    h.new_array(items)
}
