//! The engine side: the [`Host`] each binding implements, the property
//! [`Key`]s it is asked for, the [`JsType`] of a value and the [`Factory`]
//! objects it builds.

use std::ffi::CStr;

use crate::{ConvertError, Message};

/// A property name, with the NUL-terminated copy napi wants and, for the
/// schema's field names, an index into [`KEY_NAMES`](crate::KEY_NAMES) under which a host may
/// keep the name as a ready-made JavaScript string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The name.
    pub name: &'static str,
    /// The same, NUL-terminated.
    pub c_name: &'static CStr,
    /// Its index in [`KEY_NAMES`](crate::KEY_NAMES), or [`Key::NO_ID`].
    pub id: u16,
}

impl Key {
    /// The `id` of a key that is not in [`KEY_NAMES`](crate::KEY_NAMES).
    pub const NO_ID: u16 = u16::MAX;

    /// A key; `c_name` must be `name` followed by NUL.
    pub const fn new(name: &'static str, c_name: &'static CStr) -> Self {
        Self {
            name,
            c_name,
            id: Self::NO_ID,
        }
    }

    /// The key `KEY_NAMES[id]` (generated code only).
    pub const fn indexed(name: &'static str, c_name: &'static CStr, id: u16) -> Self {
        Self { name, c_name, id }
    }

    /// Its index in [`KEY_NAMES`](crate::KEY_NAMES), if it has one.
    pub fn index(self) -> Option<usize> {
        (self.id != Self::NO_ID).then_some(usize::from(self.id))
    }
}

/// What `typeof` says of a value, with `null` told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsType {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Boolean,
    /// A number.
    Number,
    /// A bigint.
    BigInt,
    /// A string.
    String,
    /// A symbol.
    Symbol,
    /// An object (arrays and typed arrays included).
    Object,
    /// A function.
    Function,
}

impl JsType {
    /// The type with an article, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Undefined => "undefined",
            Self::Null => "null",
            Self::Boolean => "a boolean",
            Self::Number => "a number",
            Self::BigInt => "a bigint",
            Self::String => "a string",
            Self::Symbol => "a symbol",
            Self::Object => "an object",
            Self::Function => "a function",
        }
    }
}

/// The objects the native code asks the JavaScript side to build, each by a
/// function the package registers at load time (as it registers one reader
/// per message, see [`Host::fields`]) (see the `init` of each
/// binding). Building an object in one call with positional arguments is
/// much cheaper than setting its properties one by one across the boundary,
/// and it keeps the shapes of the returned objects in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factory {
    /// A message of the schema (arguments: its fields in field-number order;
    /// `undefined` for a zero value or an unset field).
    Message(Message),
    /// A `Violation`: `(field, ruleId, message, level, clauses)`.
    Violation,
    /// A `ValidationReport`: `(valid, violations, findings)`.
    Report,
    /// A `Finding`: `(kind, field, start, end, confidence)`.
    Finding,
    /// A `Redaction`: `(entry, findings)`.
    Redaction,
    /// What a ledger proof check established: `(type, origin, size, index,
    /// size1, entryChecked)`, `undefined` for what does not apply.
    ProofCheck,
    /// A thrown error: `(code, message, details)` where `details` is an
    /// array of alternating names and values.
    Error,
}

/// The operations on JavaScript values the conversions need. Implemented by
/// each binding over its engine API.
pub trait Host {
    /// A handle to a JavaScript value.
    type Value;
    /// An exception or failure of the engine itself.
    type Error;

    /// The value's type (`typeof`, with `null` told apart).
    fn type_of(&self, value: &Self::Value) -> Result<JsType, Self::Error>;
    /// `object[key]`.
    fn get(&self, object: &Self::Value, key: Key) -> Result<Self::Value, Self::Error>;
    /// The values of a message's fields, one per key of `keys` (its fields
    /// in field-number order). Hosts call the runtime's reader of `message`,
    /// one call for the whole object; this default reads them one by one.
    fn fields(
        &self,
        object: &Self::Value,
        message: Message,
        keys: &[Key],
    ) -> Result<Vec<Self::Value>, Self::Error> {
        let _ = message;
        keys.iter().map(|k| self.get(object, *k)).collect()
    }
    /// The value of a string (`type_of` is [`JsType::String`]).
    fn string(&self, value: &Self::Value) -> Result<String, Self::Error>;
    /// The value if it is a string, else `None`: one engine call where the
    /// host can tell and read at once (the default asks [`Host::type_of`]).
    fn as_string(&self, value: &Self::Value) -> Result<Option<String>, Self::Error> {
        if self.type_of(value)? == JsType::String {
            self.string(value).map(Some)
        } else {
            Ok(None)
        }
    }
    /// The value if it is a number, else `None` (as [`Host::as_string`]).
    fn as_number(&self, value: &Self::Value) -> Result<Option<f64>, Self::Error> {
        if self.type_of(value)? == JsType::Number {
            self.number(value).map(Some)
        } else {
            Ok(None)
        }
    }
    /// The value of a boolean (`type_of` is [`JsType::Boolean`]).
    fn boolean(&self, value: &Self::Value) -> Result<bool, Self::Error>;
    /// The names of an object's own enumerable string-keyed properties.
    fn own_keys(&self, object: &Self::Value) -> Result<Vec<String>, Self::Error>;
    /// The value of a number (`type_of` is [`JsType::Number`]).
    fn number(&self, value: &Self::Value) -> Result<f64, Self::Error>;
    /// The value of a bigint (`type_of` is [`JsType::BigInt`]), `None` outside the
    /// range of `i64`.
    fn bigint(&self, value: &Self::Value) -> Result<Option<i64>, Self::Error>;
    /// Whether the value is a `Uint8Array` (Node's `Buffer` is one).
    fn is_bytes(&self, value: &Self::Value) -> Result<bool, Self::Error>;
    /// The bytes of a `Uint8Array`, `None` for any other value.
    fn bytes(&self, value: &Self::Value) -> Result<Option<Vec<u8>>, Self::Error>;
    /// The elements of an `Array`, `None` for any other value.
    fn array(&self, value: &Self::Value) -> Result<Option<Vec<Self::Value>>, Self::Error>;
    /// The time of a `Date` in milliseconds since the epoch, `None` for any
    /// other value.
    fn date_millis(&self, value: &Self::Value) -> Result<Option<f64>, Self::Error>;

    /// `undefined`.
    fn undefined(&self) -> Result<Self::Value, Self::Error>;
    /// A boolean.
    fn new_boolean(&self, value: bool) -> Result<Self::Value, Self::Error>;
    /// A string.
    fn new_string(&self, value: &str) -> Result<Self::Value, Self::Error>;
    /// A number.
    fn new_number(&self, value: f64) -> Result<Self::Value, Self::Error>;
    /// A bigint.
    fn new_bigint(&self, value: i64) -> Result<Self::Value, Self::Error>;
    /// A new `Uint8Array` holding a copy of `value`.
    fn new_bytes(&self, value: &[u8]) -> Result<Self::Value, Self::Error>;
    /// An `Array` of `items`.
    fn new_array(&self, items: Vec<Self::Value>) -> Result<Self::Value, Self::Error>;
    /// Calls the registered factory with `args`.
    fn build(&self, factory: Factory, args: Vec<Self::Value>) -> Result<Self::Value, Self::Error>;
}

/// A message of the schema that can be read from a JavaScript object.
pub trait FromJs: Sized {
    /// Reads `value`, which must be an object; fields that are `undefined`
    /// or `null` keep their zero value.
    fn from_js<H: Host>(host: &H, value: &H::Value) -> Result<Self, ConvertError<H::Error>>;
}

/// A message of the schema that can be written as a JavaScript object.
pub trait ToJs {
    /// Builds the object.
    fn to_js<H: Host>(&self, host: &H) -> Result<H::Value, H::Error>;
}
