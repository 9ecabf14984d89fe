//! Readers for each kind of field, shared by the generated code. Each takes
//! the property's value and returns the field's Rust value; `undefined` and
//! `null` read as the zero value (or `None` for fields with presence).

use crate::{ConvertError, FromJs, Host, JsType, Key};

type R<T, H> = Result<T, ConvertError<<H as Host>::Error>>;

fn unexpected<H: Host>(expected: &str, kind: JsType) -> ConvertError<H::Error> {
    ConvertError::invalid(format!("expected {expected}, got {}", kind.describe()))
}

fn is_unset(kind: JsType) -> bool {
    matches!(kind, JsType::Undefined | JsType::Null)
}

/// The error for a key of an object that is not a field of `message`
/// (the runtime's reader reports the first one after the fields' values):
/// a misspelt field must not be dropped silently from an audit record.
pub fn unknown_field<H: Host>(
    h: &H,
    key: Option<H::Value>,
    fields: &[Key],
    message: &str,
) -> ConvertError<H::Error> {
    let key = match key.map(|k| h.as_string(&k)) {
        Some(Ok(Some(key))) => key,
        Some(Err(e)) => return ConvertError::Host(e),
        _ => String::from("?"),
    };
    // A field spelt with other capitals or in snake_case.
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let hint = fields
        .iter()
        .find(|f| fold(f.name) == fold(&key))
        .map(|f| format!(" (did you mean `{}`?)", f.name))
        .unwrap_or_default();
    let shown: String = key.chars().take(64).collect();
    ConvertError::invalid(format!("`{shown}` is not a field of {message}{hint}"))
}

/// A `string` field.
pub fn string<H: Host>(h: &H, v: &H::Value) -> R<String, H> {
    if let Some(s) = h.as_string(v)? {
        return Ok(s);
    }
    match h.type_of(v)? {
        k if is_unset(k) => Ok(String::new()),
        k => Err(unexpected::<H>("a string", k)),
    }
}

/// A `bytes` field: a `Uint8Array`.
pub fn bytes<H: Host>(h: &H, v: &H::Value) -> R<Vec<u8>, H> {
    match h.type_of(v)? {
        JsType::Object => h
            .bytes(v)?
            .ok_or_else(|| ConvertError::invalid("expected a Uint8Array, got an object".into())),
        k if is_unset(k) => Ok(Vec::new()),
        k => Err(unexpected::<H>("a Uint8Array", k)),
    }
}

/// A `double` field: any number.
pub fn double<H: Host>(h: &H, v: &H::Value) -> R<f64, H> {
    if let Some(n) = h.as_number(v)? {
        return Ok(n);
    }
    match h.type_of(v)? {
        k if is_unset(k) => Ok(0.0),
        k => Err(unexpected::<H>("a number", k)),
    }
}

/// A `bool` field.
pub fn boolean<H: Host>(h: &H, v: &H::Value) -> R<bool, H> {
    match h.type_of(v)? {
        JsType::Boolean => Ok(h.boolean(v)?),
        k if is_unset(k) => Ok(false),
        k => Err(unexpected::<H>("a boolean", k)),
    }
}

/// A `float` field: any number, rounded to single precision.
pub fn float<H: Host>(h: &H, v: &H::Value) -> R<f32, H> {
    #[allow(clippy::cast_possible_truncation)] // Rounding is what `float` means.
    double(h, v).map(|n| n as f32)
}

/// A `uint32` or `fixed32` field: an integral number in range.
pub fn uint32<H: Host>(h: &H, v: &H::Value) -> R<u32, H> {
    if let Some(n) = h.as_number(v)? {
        if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // Checked.
            return Ok(n as u32);
        }
        return Err(ConvertError::invalid(format!(
            "expected an unsigned 32-bit integer, got {n}"
        )));
    }
    match h.type_of(v)? {
        k if is_unset(k) => Ok(0),
        k => Err(unexpected::<H>("a number", k)),
    }
}

/// A `uint64` or `fixed64` field: a bigint, a safe integer number, or a
/// decimal string (for values above the range of `i64`).
pub fn uint64<H: Host>(h: &H, v: &H::Value) -> R<u64, H> {
    if h.type_of(v)? == JsType::String {
        return h.string(v)?.parse().map_err(|_| {
            ConvertError::invalid(
                "expected an unsigned 64-bit integer, got a string that is not one".into(),
            )
        });
    }
    let n = int64(h, v)?;
    u64::try_from(n)
        .map_err(|_| ConvertError::invalid(format!("expected an unsigned 64-bit integer, got {n}")))
}

/// An `int32` field: an integral number in range.
pub fn int32<H: Host>(h: &H, v: &H::Value) -> R<i32, H> {
    if let Some(n) = h.as_number(v)? {
        return int32_of(n);
    }
    match h.type_of(v)? {
        k if is_unset(k) => Ok(0),
        k => Err(unexpected::<H>("a number", k)),
    }
}

fn int32_of<E>(n: f64) -> Result<i32, ConvertError<E>> {
    if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) {
        #[allow(clippy::cast_possible_truncation)] // Checked just above.
        Ok(n as i32)
    } else {
        Err(ConvertError::invalid(format!(
            "expected a 32-bit integer, got {n}"
        )))
    }
}

/// An enum field: its number (protobuf-es enums are numeric).
pub fn enumeration<H: Host>(h: &H, v: &H::Value, name: &str) -> R<i32, H> {
    if let Some(n) = h.as_number(v)? {
        return int32_of::<H::Error>(n).map_err(|_| {
            ConvertError::invalid(format!(
                "expected a value of {name} (a 32-bit integer), got {n}"
            ))
        });
    }
    match h.type_of(v)? {
        k if is_unset(k) => Ok(0),
        k => Err(ConvertError::invalid(format!(
            "expected a value of {name} (a number), got {}",
            k.describe()
        ))),
    }
}

/// An `int64` field: a bigint, a safe integer number, or a decimal string.
pub fn int64<H: Host>(h: &H, v: &H::Value) -> R<i64, H> {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    match h.type_of(v)? {
        JsType::BigInt => h.bigint(v)?.ok_or_else(|| {
            ConvertError::invalid("expected a 64-bit integer, got a bigint out of range".into())
        }),
        JsType::Number => {
            let n = h.number(v)?;
            if n.fract() == 0.0 && n.abs() <= SAFE {
                #[allow(clippy::cast_possible_truncation)] // A safe integer.
                Ok(n as i64)
            } else {
                Err(ConvertError::invalid(format!(
                    "expected a 64-bit integer (a bigint, or a number that is a safe integer), got {n}"
                )))
            }
        }
        JsType::String => {
            let s = h.string(v)?;
            s.parse().map_err(|_| {
                ConvertError::invalid(
                    "expected a 64-bit integer, got a string that is not one".into(),
                )
            })
        }
        k if is_unset(k) => Ok(0),
        k => Err(unexpected::<H>("a bigint", k)),
    }
}

/// A message field.
pub fn message<H: Host, M: FromJs>(h: &H, v: &H::Value) -> R<Option<M>, H> {
    match h.type_of(v)? {
        JsType::Object => Ok(Some(M::from_js(h, v)?)),
        k if is_unset(k) => Ok(None),
        k => Err(unexpected::<H>("an object", k)),
    }
}

/// A `google.protobuf.Timestamp` field: `{ seconds, nanos }` (what
/// protobuf-es's `timestampFromDate` returns) or a `Date`.
pub fn timestamp<H: Host>(h: &H, v: &H::Value) -> R<Option<prost_types::Timestamp>, H> {
    match h.type_of(v)? {
        JsType::Object => {
            if let Some(ms) = h.date_millis(v)? {
                return from_millis(ms).map(Some);
            }
            Ok(Some(prost_types::Timestamp::from_js(h, v)?))
        }
        k if is_unset(k) => Ok(None),
        k => Err(unexpected::<H>("a Timestamp or a Date", k)),
    }
}

fn from_millis<E>(ms: f64) -> Result<prost_types::Timestamp, ConvertError<E>> {
    if !ms.is_finite() {
        return Err(ConvertError::invalid(
            "expected a valid Date, got an invalid one".into(),
        ));
    }
    let seconds = (ms / 1000.0).floor();
    let nanos = ((ms - seconds * 1000.0) * 1_000_000.0).round();
    // A valid Date is within ±8.64e15 ms, so both fit.
    #[allow(clippy::cast_possible_truncation)]
    Ok(prost_types::Timestamp {
        seconds: seconds as i64,
        nanos: nanos as i32,
    })
}

/// An `optional` scalar field.
pub fn optional<H: Host, T>(
    h: &H,
    v: &H::Value,
    read: impl FnOnce(&H, &H::Value) -> R<T, H>,
) -> R<Option<T>, H> {
    if is_unset(h.type_of(v)?) {
        Ok(None)
    } else {
        read(h, v).map(Some)
    }
}

/// A `repeated` field: an `Array` whose elements `read` reads.
pub fn repeated<H: Host, T>(
    h: &H,
    v: &H::Value,
    read: impl Fn(&H, &H::Value) -> R<T, H>,
) -> R<Vec<T>, H> {
    match h.type_of(v)? {
        JsType::Object => {
            let items = h
                .array(v)?
                .ok_or_else(|| ConvertError::invalid("expected an Array, got an object".into()))?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| read(h, item).map_err(|e| e.at_index(i)))
                .collect()
        }
        k if is_unset(k) => Ok(Vec::new()),
        k => Err(unexpected::<H>("an Array", k)),
    }
}

/// A repeated message field's element (which may not be unset).
pub fn element<H: Host, M: FromJs>(h: &H, v: &H::Value) -> R<M, H> {
    match h.type_of(v)? {
        JsType::Object => M::from_js(h, v),
        k => Err(unexpected::<H>("an object", k)),
    }
}

/// A repeated string field's element (which may not be unset).
pub fn string_element<H: Host>(h: &H, v: &H::Value) -> R<String, H> {
    match h.as_string(v)? {
        Some(s) => Ok(s),
        None => Err(unexpected::<H>("a string", h.type_of(v)?)),
    }
}
