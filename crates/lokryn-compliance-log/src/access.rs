//! Field access by number over the prost structs, for the validation engine
//! and the exporters of `lokryn-export` (implemented by generated code for
//! every message a record can hold): reading a field costs a `match`, where
//! reflection over a `DynamicMessage` costs a transcoding of the record.

use prost_types::Timestamp;

/// A message whose fields can be read (and some written) by number.
pub trait Access {
    /// The value of field `number`; [`FieldRef::Other`] for numbers the
    /// message does not define.
    fn field(&self, number: u32) -> FieldRef<'_>;
    /// Mutable access to the string, bytes and message fields, for redaction.
    fn field_mut(&mut self, number: u32) -> FieldMut<'_>;
}

/// A read-only view of one field's value.
#[allow(missing_debug_implementations)] // holds `dyn Access`
pub enum FieldRef<'a> {
    Str(&'a str),
    /// A repeated string: the owned strings of a message, or the borrowed
    /// ones of a [view](crate::view).
    Strs(Strs<'a>),
    Bytes(&'a [u8]),
    /// An enum; `None` for a proto3 `optional` enum that is not set.
    Enum(Option<i32>),
    /// A repeated enum (the schema has none today; the generator emits it).
    #[allow(dead_code)]
    Enums(&'a [i32]),
    /// Any integer type that fits 64 bits signed; `None` for an unset
    /// `optional`.
    Int(Option<i64>),
    /// `uint64` and `fixed64`. The variants below are emitted by the
    /// generator for the types a field may have; the schema uses them as
    /// fields are added (`cargo xtask`'s scratch-schema test builds them).
    #[allow(dead_code)]
    Uint(Option<u64>),
    #[allow(dead_code)]
    Bool(Option<bool>),
    /// `float` (widened) and `double`.
    Float(Option<f64>),
    /// A repeated field of numbers, bools, bytes or messages of another
    /// package: its length.
    #[allow(dead_code)]
    Count(usize),
    /// A message of another package (`google.protobuf.Duration`, …):
    /// whether it is set.
    #[allow(dead_code)]
    Present(bool),
    Timestamp(Option<&'a Timestamp>),
    Message(Option<&'a dyn Access>),
    Messages(&'a dyn List),
    /// A number the message does not define.
    Other,
}

/// The items of a repeated string field, owned by a message or borrowed
/// from encoded bytes by a [view](crate::view).
#[derive(Debug, Clone, Copy)]
pub enum Strs<'a> {
    /// The strings of a prost message.
    Owned(&'a [String]),
    /// The strings of a view, borrowed from the encoded entry.
    Borrowed(&'a [&'a str]),
}

impl<'a> Strs<'a> {
    /// How many items.
    pub fn len(&self) -> usize {
        match self {
            Self::Owned(items) => items.len(),
            Self::Borrowed(items) => items.len(),
        }
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index`.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        match self {
            Self::Owned(items) => items.get(index).map(String::as_str),
            Self::Borrowed(items) => items.get(index).copied(),
        }
    }

    /// The items in order.
    pub fn iter(&self) -> StrsIter<'a> {
        match self {
            Self::Owned(items) => StrsIter::Owned(items.iter()),
            Self::Borrowed(items) => StrsIter::Borrowed(items.iter()),
        }
    }
}

impl<'a> IntoIterator for Strs<'a> {
    type Item = &'a str;
    type IntoIter = StrsIter<'a>;

    fn into_iter(self) -> StrsIter<'a> {
        self.iter()
    }
}

/// The iterator of [`Strs::iter`].
#[derive(Debug, Clone)]
pub enum StrsIter<'a> {
    /// Over owned strings.
    Owned(std::slice::Iter<'a, String>),
    /// Over borrowed strings.
    Borrowed(std::slice::Iter<'a, &'a str>),
}

impl<'a> Iterator for StrsIter<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Self::Owned(items) => items.next().map(String::as_str),
            Self::Borrowed(items) => items.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Owned(items) => items.size_hint(),
            Self::Borrowed(items) => items.size_hint(),
        }
    }
}

impl ExactSizeIterator for StrsIter<'_> {}

/// A mutable view of one field's value.
#[allow(missing_debug_implementations)] // holds `dyn Access`
pub enum FieldMut<'a> {
    Str(&'a mut String),
    Strs(&'a mut Vec<String>),
    Bytes(&'a mut Vec<u8>),
    Message(Option<&'a mut dyn Access>),
    Messages(&'a mut dyn ListMut),
    Other,
}

/// A repeated message field.
pub trait List {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn item(&self, index: usize) -> Option<&dyn Access>;
}

/// A repeated message field, mutably.
pub trait ListMut {
    fn item_mut(&mut self, index: usize) -> Option<&mut dyn Access>;
}

impl<T: Access> List for Vec<T> {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }

    fn item(&self, index: usize) -> Option<&dyn Access> {
        self.get(index).map(|m| m as &dyn Access)
    }
}

impl<T: Access> ListMut for Vec<T> {
    fn item_mut(&mut self, index: usize) -> Option<&mut dyn Access> {
        self.get_mut(index).map(|m| m as &mut dyn Access)
    }
}

#[allow(clippy::all, unreachable_pub, unused_qualifications)]
mod generated {
    include!("generated/access.rs");
}

pub(crate) use generated::numbers;
