//! Refusing a key given twice in one JSON object.
//!
//! JSON parsers disagree on `{"actorId": "alice", "actorId": "mallory"}`:
//! some keep the first value, most the last, Python's `json_format` refuses
//! it. For an audit record that disagreement is an attack (a SIEM shows one
//! actor, the archive holds another), so the reader refuses it too.
//!
//! [`Unique`] wraps a serde `Deserializer` and checks the keys of every
//! object as the wrapped parser reads them, in the same pass. Keys are
//! compared by the field they name: `actor_id` and `actorId` are the same
//! field under its two spellings (the proto name and its JSON name), so they
//! collide too. Every object of the `LogEntry` JSON is a message (the schema
//! has no `map` field and no `google.protobuf.Struct`; a test holds it to
//! that), which is what makes this comparison exact.
//!
//! The error is raised from the repeated member's value, so that a path
//! tracker wrapping this deserializer names the key in its path.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A deserializer that refuses repeated keys in every object it reads.
pub(super) struct Unique<D>(pub(super) D);

/// Folds a key to the JSON name of the field it spells: an underscore is
/// dropped and the letter after it upper-cased, as protoc derives a field's
/// `json_name` from its name.
fn folded(key: &str) -> impl Iterator<Item = u8> + '_ {
    let mut upper = false;
    key.bytes().filter_map(move |b| {
        if b == b'_' {
            upper = true;
            None
        } else if std::mem::take(&mut upper) {
            Some(b.to_ascii_uppercase())
        } else {
            Some(b)
        }
    })
}

/// Whether two keys name the same field.
fn same_field(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if !a.contains('_') && !b.contains('_') {
        return false;
    }
    folded(a).eq(folded(b))
}

/// The FNV-1a hash of a key folded to the field's JSON name: equal for the
/// two spellings of one field, so most keys are told apart by comparing
/// hashes alone.
fn folded_hash(key: &str) -> u64 {
    let step = |h: u64, b: u8| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    const SEED: u64 = 0xcbf2_9ce4_8422_2325;
    if key.contains('_') {
        folded(key).fold(SEED, step)
    } else {
        key.bytes().fold(SEED, step)
    }
}

/// Objects with more keys than this are checked with a hash set instead of
/// comparing each key with every other (hostile input can have thousands).
const FEW: usize = 32;

/// The keys an object has had so far, with their folded hashes.
enum Seen<'de> {
    Few(Vec<(u64, Cow<'de, str>)>),
    Many(HashSet<Vec<u8>>),
}

impl<'de> Seen<'de> {
    /// Records `key`; returns the error message when it repeats a key.
    fn insert(&mut self, key: Cow<'de, str>) -> Option<String> {
        match self {
            Self::Few(keys) => {
                let hash = folded_hash(&key);
                if let Some((_, earlier)) =
                    keys.iter().find(|(h, k)| *h == hash && same_field(k, &key))
                {
                    return Some(repeated(&key, earlier));
                }
                if keys.capacity() == 0 {
                    // One allocation for the keys of a typical message.
                    keys.reserve_exact(FEW);
                }
                keys.push((hash, key));
                if keys.len() > FEW {
                    let set = keys.iter().map(|(_, k)| folded(k).collect()).collect();
                    *self = Self::Many(set);
                }
                None
            }
            Self::Many(set) => (!set.insert(folded(&key).collect())).then(|| repeated(&key, &key)),
        }
    }
}

/// A key worth quoting in an error message: a field name, not data.
fn quotable(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The error message for `key` repeating `earlier`.
fn repeated(key: &str, earlier: &str) -> String {
    match (quotable(key), quotable(earlier)) {
        (true, true) if key == earlier => format!("duplicate key `{key}`"),
        (true, true) => {
            format!("duplicate key `{key}`: the field was already given as `{earlier}`")
        }
        _ => "duplicate key".into(),
    }
}

macro_rules! forward_deserializer {
    ($($method:ident $(, $arg:ident: $ty:ty)*;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self $(, $arg: $ty)*, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method($($arg,)* Wrap(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Unique<D> {
    type Error = D::Error;

    forward_deserializer! {
        deserialize_any; deserialize_bool; deserialize_i8; deserialize_i16; deserialize_i32;
        deserialize_i64; deserialize_i128; deserialize_u8; deserialize_u16; deserialize_u32;
        deserialize_u64; deserialize_u128; deserialize_f32; deserialize_f64; deserialize_char;
        deserialize_str; deserialize_string; deserialize_bytes; deserialize_byte_buf;
        deserialize_option; deserialize_unit; deserialize_seq; deserialize_map;
        deserialize_identifier;
        deserialize_unit_struct, name: &'static str;
        deserialize_newtype_struct, name: &'static str;
        deserialize_tuple, len: usize;
        deserialize_tuple_struct, name: &'static str, len: usize;
        deserialize_struct, name: &'static str, fields: &'static [&'static str];
        deserialize_enum, name: &'static str, variants: &'static [&'static str];
    }

    /// A skipped value (an unknown field, with `ignore_unknown_fields`) is
    /// walked rather than skipped unseen, so its objects are checked too.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// A visitor whose nested maps and sequences are checked.
struct Wrap<V>(V);

macro_rules! forward_visit {
    ($($method:ident: $ty:ty;)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.0.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool: bool; visit_i8: i8; visit_i16: i16; visit_i32: i32; visit_i64: i64;
        visit_i128: i128; visit_u8: u8; visit_u16: u16; visit_u32: u32; visit_u64: u64;
        visit_u128: u128; visit_f32: f32; visit_f64: f64; visit_char: char;
        visit_str: &str; visit_borrowed_str: &'de str; visit_string: String;
        visit_bytes: &[u8]; visit_borrowed_bytes: &'de [u8]; visit_byte_buf: Vec<u8>;
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Unique(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Unique(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Seq(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Map {
            inner: map,
            seen: Seen::Few(Vec::new()),
            repeated: None,
        })
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        // JSON has no enum syntax of its own; serde_json presents objects
        // as maps, never through here, to the reader of the schema.
        self.0.visit_enum(data)
    }
}

/// A seed whose value is read through [`Unique`].
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Unique(d))
    }
}

struct Seq<A>(A);

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

struct Map<'de, A> {
    inner: A,
    seen: Seen<'de>,
    /// The message for the key just read, when it repeats an earlier one.
    repeated: Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut key = None;
        let value = self.inner.next_key_seed(KeySeed {
            seed,
            key: &mut key,
        })?;
        if let Some(key) = key {
            self.repeated = self.seen.insert(key);
        }
        Ok(value)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        match self.repeated.take() {
            // Fail from inside the value's seed, so that a path tracker
            // wrapping this map already has the key in its path.
            Some(message) => self.inner.next_value_seed(Refuse { seed, message }),
            None => self.inner.next_value_seed(Seed(seed)),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// Reads a key through the seed the caller gave, keeping a copy of it.
struct KeySeed<'k, 'de, K> {
    seed: K,
    key: &'k mut Option<Cow<'de, str>>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, 'de, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K::Value, D::Error> {
        self.seed.deserialize(KeyDeserializer {
            inner: d,
            key: self.key,
        })
    }
}

struct KeyDeserializer<'k, 'de, D> {
    inner: D,
    key: &'k mut Option<Cow<'de, str>>,
}

macro_rules! forward_key {
    ($($method:ident $(, $arg:ident: $ty:ty)*;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self $(, $arg: $ty)*, visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* KeyVisitor { inner: visitor, key: self.key })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDeserializer<'_, 'de, D> {
    type Error = D::Error;

    forward_key! {
        deserialize_any; deserialize_bool; deserialize_i8; deserialize_i16; deserialize_i32;
        deserialize_i64; deserialize_i128; deserialize_u8; deserialize_u16; deserialize_u32;
        deserialize_u64; deserialize_u128; deserialize_f32; deserialize_f64; deserialize_char;
        deserialize_str; deserialize_string; deserialize_bytes; deserialize_byte_buf;
        deserialize_option; deserialize_unit; deserialize_seq; deserialize_map;
        deserialize_identifier; deserialize_ignored_any;
        deserialize_unit_struct, name: &'static str;
        deserialize_newtype_struct, name: &'static str;
        deserialize_tuple, len: usize;
        deserialize_tuple_struct, name: &'static str, len: usize;
        deserialize_struct, name: &'static str, fields: &'static [&'static str];
        deserialize_enum, name: &'static str, variants: &'static [&'static str];
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Sees the key as the parser hands it over (JSON keys are always strings).
struct KeyVisitor<'k, 'de, V> {
    inner: V,
    key: &'k mut Option<Cow<'de, str>>,
}

macro_rules! forward_key_visit {
    ($($method:ident: $ty:ty;)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        *self.key = Some(Cow::Borrowed(v));
        self.inner.visit_borrowed_str(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        *self.key = Some(Cow::Owned(v.to_owned()));
        self.inner.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        *self.key = Some(Cow::Owned(v.clone()));
        self.inner.visit_string(v)
    }

    forward_key_visit! {
        visit_bool: bool; visit_i8: i8; visit_i16: i16; visit_i32: i32; visit_i64: i64;
        visit_i128: i128; visit_u8: u8; visit_u16: u16; visit_u32: u32; visit_u64: u64;
        visit_u128: u128; visit_f32: f32; visit_f64: f64; visit_char: char;
        visit_bytes: &[u8]; visit_borrowed_bytes: &'de [u8]; visit_byte_buf: Vec<u8>;
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }
}

/// A seed that fails with `message` from inside the value's deserializer.
struct Refuse<S> {
    seed: S,
    message: String,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Refuse<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Fail {
            message: self.message,
            error: PhantomData,
        })
    }
}

/// A deserializer that fails whatever is asked of it.
struct Fail<E> {
    message: String,
    error: PhantomData<E>,
}

impl<'de, E: de::Error> Deserializer<'de> for Fail<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
        Err(E::custom(self.message))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_field_are_the_same_key() {
        assert!(same_field("actorId", "actorId"));
        assert!(same_field("actor_id", "actorId"));
        assert!(same_field("actorId", "actor_id"));
        assert!(same_field("delegation_chain", "delegationChain"));
        assert!(!same_field("actorId", "actorid"));
        assert!(!same_field("actorId", "actorType"));
        assert!(!same_field("a", "ab"));
    }

    #[test]
    fn many_keys_switch_to_a_set_and_still_catch_repeats() {
        let mut seen = Seen::Few(Vec::new());
        for i in 0..100 {
            assert!(seen.insert(Cow::Owned(format!("key_{i}"))).is_none());
        }
        assert!(matches!(seen, Seen::Many(_)));
        assert_eq!(
            seen.insert(Cow::Borrowed("key7")).as_deref(),
            Some("duplicate key `key7`")
        );
        assert!(seen.insert(Cow::Borrowed("key_100")).is_none());
    }

    #[test]
    fn messages_quote_field_names_only() {
        assert_eq!(repeated("actorId", "actorId"), "duplicate key `actorId`");
        assert_eq!(
            repeated("actor_id", "actorId"),
            "duplicate key `actor_id`: the field was already given as `actorId`"
        );
        assert_eq!(repeated("4111 1111", "4111 1111"), "duplicate key");
    }
}
