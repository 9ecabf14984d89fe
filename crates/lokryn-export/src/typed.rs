//! Fields of a record read through the core's generated field access
//! ([`Access`], a `match` per field), with no reflection: the mapped fields
//! resolved once to field numbers, enum value names tabled once, so that an
//! exporter pays a field read per field and no transcoding of the record.
//!
//! The direct writers (OCSF JSON, OTLP, Parquet) and the ECS export read
//! records through this module; each falls back to its reflection-based general path for what a
//! plan does not cover, and the tests hold the two to the same output.

use std::collections::HashMap;
use std::sync::LazyLock;

use lokryn_compliance_log::access::{Access, FieldRef};
use lokryn_compliance_log::mapping::{FieldMapping, FieldShape, mappings};
use prost_reflect::{Kind, MessageDescriptor};

use crate::fields::is_inside_list;

/// How to read one field from a record.
pub(crate) struct Field {
    /// Field numbers from `LogEntry`.
    pub(crate) numbers: Vec<u32>,
    /// The last field has explicit presence (`optional`).
    pub(crate) presence: bool,
}

/// The descriptors on the way to a field, by proto path.
pub(crate) fn resolve(
    root: &MessageDescriptor,
    path: &str,
) -> Option<(Vec<u32>, prost_reflect::FieldDescriptor)> {
    let mut message = root.clone();
    let mut numbers = Vec::new();
    let mut last = None;
    for name in path.split('.') {
        let field = message.get_field_by_name(name)?;
        numbers.push(field.number());
        if let Kind::Message(inner) = field.kind() {
            message = inner;
        }
        last = Some(field);
    }
    Some((numbers, last?))
}

/// The `LogEntry` descriptor.
pub(crate) fn root() -> Option<MessageDescriptor> {
    lokryn_compliance_log::DESCRIPTOR_POOL
        .get_message_by_name(lokryn_compliance_log::LOG_ENTRY_NAME)
}

impl Field {
    /// The field at a proto path, with its descriptor.
    pub(crate) fn at(
        root: &MessageDescriptor,
        path: &str,
    ) -> Option<(Self, prost_reflect::FieldDescriptor)> {
        let (numbers, field) = resolve(root, path)?;
        Some((
            Self {
                numbers,
                presence: has_presence(&field),
            },
            field,
        ))
    }
}

/// Whether a field has explicit presence (a proto3 `optional` scalar).
pub(crate) fn has_presence(field: &prost_reflect::FieldDescriptor) -> bool {
    field.supports_presence() && !field.is_list()
}

/// The value of a field: `Some(None)` when it (or a message on the way) is
/// unset, `None` for a kind the direct writers do not read.
pub(crate) fn read<'a>(entry: &'a dyn Access, field: &Field) -> Option<Option<FieldRef<'a>>> {
    let (last, init) = field.numbers.split_last()?;
    let mut message: &dyn Access = entry;
    for n in init {
        match message.field(*n) {
            FieldRef::Message(Some(m)) => message = m,
            FieldRef::Message(None) => return Some(None),
            _ => return None,
        }
    }
    let value = message.field(*last);
    Some(is_set(&value, field.presence)?.then_some(value))
}

/// Reads fields of one record in turn, like [`read`], looking the message
/// that holds a nested field up once for a run of fields under it (the
/// fields of an unset message then cost a comparison each).
pub(crate) struct Reader<'a> {
    entry: &'a dyn Access,
    /// The number of the message last looked up (0: none), and the message.
    parent: (u32, Option<&'a dyn Access>),
}

impl<'a> Reader<'a> {
    pub(crate) fn new(entry: &'a dyn Access) -> Self {
        Self {
            entry,
            parent: (0, None),
        }
    }

    /// What [`read`] gives for the field. Inlined into each loop over the
    /// fields (a call per field costs more than the read).
    #[inline(always)]
    pub(crate) fn read(&mut self, field: &Field) -> Option<Option<FieldRef<'a>>> {
        let value = match field.numbers.as_slice() {
            [number] => self.entry.field(*number),
            [outer, number] => {
                if self.parent.0 != *outer {
                    self.parent = match self.entry.field(*outer) {
                        FieldRef::Message(m) => (*outer, m),
                        _ => return None,
                    };
                }
                match self.parent.1 {
                    Some(m) => m.field(*number),
                    None => return Some(None),
                }
            }
            _ => return read(self.entry, field),
        };
        Some(is_set(&value, field.presence)?.then_some(value))
    }
}

/// Whether a field is set, as protobuf's encoding (and so reflection) says:
/// a value with presence when present, any other when not its default.
/// `None` for a kind the direct writers do not read.
pub(crate) fn is_set(value: &FieldRef<'_>, presence: bool) -> Option<bool> {
    Some(match value {
        FieldRef::Str(s) if !presence => !s.is_empty(),
        FieldRef::Strs(v) => !v.is_empty(),
        FieldRef::Bytes(b) if !presence => !b.is_empty(),
        FieldRef::Enum(n) => n.is_some_and(|n| presence || n != 0),
        FieldRef::Enums(v) => !v.is_empty(),
        FieldRef::Int(n) => n.is_some_and(|n| presence || n != 0),
        FieldRef::Uint(n) => n.is_some_and(|n| presence || n != 0),
        FieldRef::Bool(b) => b.is_some_and(|b| presence || b),
        FieldRef::Float(f) => f.is_some_and(|f| presence || f.to_bits() != 0),
        FieldRef::Timestamp(t) => t.is_some(),
        FieldRef::Message(m) => m.is_some(),
        FieldRef::Messages(list) => !list.is_empty(),
        _ => return None,
    })
}

/// Values by enum number: in a table indexed by number for the small,
/// dense numbers the schema's enums use, in a map for any other, so that a
/// lookup per field of a record costs no hashing.
#[derive(Debug, Clone)]
pub(crate) struct NumberMap<V> {
    dense: Vec<Option<V>>,
    other: HashMap<i32, V>,
}

impl<V> Default for NumberMap<V> {
    fn default() -> Self {
        Self {
            dense: Vec::new(),
            other: HashMap::new(),
        }
    }
}

/// The largest number kept in the table rather than the map.
const DENSE_MAX: i32 = 1023;

impl<V> NumberMap<V> {
    /// Sets the value of a number (replacing any it had).
    pub(crate) fn insert(&mut self, number: i32, value: V) {
        match usize::try_from(number) {
            Ok(i) if number <= DENSE_MAX => {
                if self.dense.len() <= i {
                    self.dense.resize_with(i + 1, || None);
                }
                if let Some(slot) = self.dense.get_mut(i) {
                    *slot = Some(value);
                }
            }
            _ => {
                self.other.insert(number, value);
            }
        }
    }

    /// Every value, to change.
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.dense
            .iter_mut()
            .flatten()
            .chain(self.other.values_mut())
    }

    /// The value of a number.
    pub(crate) fn get(&self, number: &i32) -> Option<&V> {
        match usize::try_from(*number) {
            Ok(i) if *number <= DENSE_MAX => self.dense.get(i)?.as_ref(),
            _ => self.other.get(number),
        }
    }
}

impl<V> FromIterator<(i32, V)> for NumberMap<V> {
    fn from_iter<I: IntoIterator<Item = (i32, V)>>(iter: I) -> Self {
        let mut out = Self::default();
        for (number, value) in iter {
            out.insert(number, value);
        }
        out
    }
}

/// The value names of one enum of the schema, by number, as
/// [`enum_value_name`](crate::fields::enum_value_name) gives them.
#[derive(Default)]
pub(crate) struct EnumNames {
    names: NumberMap<String>,
}

impl EnumNames {
    /// The names of the enum with this short name (`"Severity"`); none for
    /// an unknown enum (every number is then written as text).
    pub(crate) fn of(enum_name: &str) -> Self {
        let names = lokryn_compliance_log::DESCRIPTOR_POOL
            .get_enum_by_name(&format!("lokryn.compliancelog.v1.{enum_name}"))
            .map(|e| {
                e.values()
                    .map(|v| (v.number(), v.name().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { names }
    }

    /// The name of a value, when the schema defines it.
    pub(crate) fn get(&self, number: i32) -> Option<&str> {
        self.names.get(&number).map(String::as_str)
    }

    /// The name of a value, or its number as text.
    pub(crate) fn name(&self, number: i32) -> std::borrow::Cow<'_, str> {
        match self.get(number) {
            Some(name) => std::borrow::Cow::Borrowed(name),
            None => std::borrow::Cow::Owned(number.to_string()),
        }
    }
}

/// A field of the elements of a repeated message.
pub(crate) struct ElementField {
    pub(crate) number: u32,
    pub(crate) presence: bool,
    /// Its proto name.
    pub(crate) name: String,
    /// Its own mapping, when the schema declares one.
    pub(crate) map: Option<&'static FieldMapping>,
    /// Value names of the enum its own mapping names (as the OTLP export
    /// writes them); `None` without one.
    pub(crate) names: Option<EnumNames>,
}

/// A field with a home, resolved for typed reading.
pub(crate) struct Leaf {
    pub(crate) map: &'static FieldMapping,
    pub(crate) field: Field,
    /// Value names, for an enum field (by the mapping's enum name).
    pub(crate) names: Option<EnumNames>,
    /// The element fields, in field-number order, for a repeated message;
    /// `None` when an element holds a message (not read directly).
    pub(crate) elements: Option<Vec<ElementField>>,
}

/// Every field with a home (not the containers of nested fields, not the
/// fields of a repeated message), in schema order: the fields
/// [`set_fields`](crate::fields::set_fields) reports, resolved once.
pub(crate) static LEAVES: LazyLock<Vec<Leaf>> = LazyLock::new(|| {
    let (Ok(maps), Some(root)) = (mappings(), root()) else {
        return Vec::new();
    };
    maps.fields()
        .iter()
        .filter(|m| m.shape != FieldShape::Nested && !is_inside_list(maps, &m.path))
        .filter_map(|map| {
            let (field, descriptor) = Field::at(&root, &map.path)?;
            let names = map.enum_name.as_deref().map(EnumNames::of);
            let elements = match descriptor.kind() {
                Kind::Message(element) if descriptor.is_list() => {
                    element_fields(maps, map, &element)
                }
                _ => None,
            };
            Some(Leaf {
                map,
                field,
                names,
                elements,
            })
        })
        .collect()
});

fn element_fields(
    maps: &'static lokryn_compliance_log::mapping::Mappings,
    map: &FieldMapping,
    element: &MessageDescriptor,
) -> Option<Vec<ElementField>> {
    let mut out = Vec::new();
    for f in element.fields() {
        if matches!(f.kind(), Kind::Message(_)) {
            return None;
        }
        let own = maps.field(&format!("{}.{}", map.path, f.name()));
        out.push(ElementField {
            number: f.number(),
            presence: has_presence(&f),
            name: f.name().to_owned(),
            map: own,
            names: own.and_then(|m| m.enum_name.as_deref()).map(EnumNames::of),
        });
    }
    out.sort_by_key(|f| f.number);
    Some(out)
}

/// Whether the bytes are JSON text: exactly what `serde_json` parses as a
/// [`serde_json::Value`] (strings checked as UTF-8, numbers in range),
/// without building the value.
pub(crate) fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<AnyJson>(bytes).is_ok()
}

/// A JSON value read the way [`serde_json::Value`] reads one
/// (`deserialize_any` all the way down), and dropped.
struct AnyJson;

impl<'de> serde::Deserialize<'de> for AnyJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> serde::de::Visitor<'de> for AnyVisitor {
    type Value = AnyJson;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_i64<E>(self, _: i64) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_u64<E>(self, _: u64) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_f64<E>(self, _: f64) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_str<E>(self, _: &str) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_unit<E>(self) -> Result<AnyJson, E> {
        Ok(AnyJson)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<AnyJson, A::Error> {
        while seq.next_element::<AnyJson>()?.is_some() {}
        Ok(AnyJson)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<AnyJson, A::Error> {
        while map.next_entry::<AnyJson, AnyJson>()?.is_some() {}
        Ok(AnyJson)
    }
}
