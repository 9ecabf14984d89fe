//! OCSF events written straight to JSON text: byte for byte what serializing
//! [`to_ocsf`]'s value gives, without building that value.
//!
//! The mapping options are compiled once, per event type, into a plan: the
//! attributes a record can fill, each with its place in the output (objects
//! nested by path, keys in the sorted order `serde_json` writes), where its
//! value comes from (a field read by number through the core's generated
//! [`Access`], no reflection) and how it is written. A record then costs a
//! field read and a few byte copies per set field, and one sort of the
//! attributes it filled.
//!
//! What a plan does not cover (a field kind no mapping uses today, a
//! mapping error) is handed to [`to_ocsf`], so the output never differs:
//! the tests compare the two on every vector, example and random record.
//!
//! [`to_ocsf`]: crate::ocsf::to_ocsf

use std::collections::HashMap;
use std::sync::LazyLock;

use base64::Engine as _;
use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::access::{Access, FieldRef};
use lokryn_compliance_log::mapping::{FieldMapping, FieldShape, Mappings, mappings};
use lokryn_compliance_log::v1::OcsfEvent;
use prost_reflect::{Kind, MessageDescriptor};

use crate::fields::is_inside_list;
use crate::ocsf::{OCSF_VERSION, base_event, category_name};
use crate::typed::{Field, NumberMap, Reader, has_presence, is_set, read, resolve};
use crate::{Error, Options, Record};

/// Writes `entry` as one OCSF 1.7.0 event (compact JSON, no newline) at the
/// end of `out`: the bytes `serde_json::to_vec(&to_ocsf(entry, options)?)`
/// gives.
pub fn write_ocsf(entry: &LogEntry, options: &Options, out: &mut Vec<u8>) -> Result<(), Error> {
    write_ocsf_record(Record::Entry(entry), options, out)
}

/// [`write_ocsf`] of a decoded entry or of a [view](Record::View) of an
/// encoded one: the same bytes either way. A view is read without being
/// decoded, except for a record the plans leave to the general path.
pub fn write_ocsf_record(
    record: Record<'_>,
    options: &Options,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => write_with(&mut scratch, record, options, out),
        // Re-entered (not done by this module): a fresh scratch.
        Err(_) => write_with(&mut Scratch::default(), record, options, out),
    })
}

/// Whether [`write_ocsf`] writes `entry` itself rather than through
/// [`to_ocsf`](crate::ocsf::to_ocsf) (for the tests, which hold it to
/// covering every record of the schema's vectors).
#[doc(hidden)]
pub fn writes_directly<'a>(entry: impl Into<Record<'a>>, options: &Options) -> bool {
    let record = entry.into();
    let Ok(plans) = &*PLANS else {
        return false;
    };
    let plan = plans
        .by_event_type
        .get(&record.event_type())
        .unwrap_or(&plans.base);
    let mut scratch = Scratch::default();
    !plan.slow
        && fill(plans, plan, record, options, &mut scratch).is_some()
        && order(plans, &mut scratch).is_some()
        && emit(plans, &mut scratch, &mut Vec::new()).is_some()
}

/// [`write_ocsf`] into a new string.
pub fn to_ocsf_json(entry: &LogEntry, options: &Options) -> Result<String, Error> {
    let mut out = Vec::with_capacity(1024);
    write_ocsf(entry, options, &mut out)?;
    String::from_utf8(out).map_err(|e| Error::Write(format!("OCSF JSON: {e}")))
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

fn write_with(
    scratch: &mut Scratch,
    record: Record<'_>,
    options: &Options,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let Ok(plans) = &*PLANS else {
        // The general path reports what is wrong with the mappings.
        return reference(record, options, out);
    };
    let plan = plans
        .by_event_type
        .get(&record.event_type())
        .unwrap_or(&plans.base);
    let start = out.len();
    if plan.slow
        || fill(plans, plan, record, options, scratch).is_none()
        || order(plans, scratch).is_none()
    {
        return reference(record, options, out);
    }
    if emit(plans, scratch, out).is_none() {
        out.truncate(start);
        return reference(record, options, out);
    }
    Ok(())
}

/// The general path, for what no plan covers: the same bytes (or the same
/// error). A view is decoded for it.
fn reference(record: Record<'_>, options: &Options, out: &mut Vec<u8>) -> Result<(), Error> {
    let event = crate::ocsf::to_ocsf(&*record.to_entry()?, options)?;
    serde_json::to_writer(out, &event).map_err(|e| Error::Write(format!("OCSF JSON: {e}")))
}

/// Marks the ranks the slots take (ranks are small, so a bit set of them
/// replaces a sort: [`emit`] writes the slots in the order of its bits).
/// `None` when two slots have one rank: a path set twice, which the
/// general path reports.
fn order(plans: &Plans, scratch: &mut Scratch) -> Option<()> {
    let Scratch {
        slots,
        ranks,
        by_rank,
        ..
    } = scratch;
    let n = plans.paths.len();
    ranks.clear();
    ranks.resize(n.div_ceil(64), 0);
    if by_rank.len() < n {
        by_rank.resize(n, 0);
    }
    for (i, slot) in slots.iter().enumerate() {
        let rank = slot.rank as usize;
        // A run of fixed attributes takes the ranks of all of them.
        let last = if slot.end == slot.path {
            rank
        } else {
            plans.paths.get(slot.end as usize)?.rank as usize
        };
        for taken in rank..=last {
            let word = ranks.get_mut(taken / 64)?;
            let bit = 1u64 << (taken % 64);
            if *word & bit != 0 {
                return None;
            }
            *word |= bit;
            // No slot starts inside a run.
            *by_rank.get_mut(taken)? = u32::MAX;
        }
        *by_rank.get_mut(rank)? = u32::try_from(i).ok()?;
    }
    Some(())
}

/// Buffers reused from record to record.
#[derive(Default)]
struct Scratch {
    slots: Vec<Slot>,
    /// The ranks taken, as a bit set.
    ranks: Vec<u64>,
    /// The slot of each rank taken (`u32::MAX` inside a run).
    by_rank: Vec<u32>,
    values: Vec<u8>,
    /// The objects open while [`emit`] writes (their path segments).
    open: Vec<u32>,
    /// The last key written in each open object (the root first).
    last: Vec<Option<&'static [u8]>>,
}

/// One attribute of the event being written.
#[derive(Clone, Copy)]
struct Slot {
    /// The attribute's place in the output order.
    rank: u32,
    /// The attribute (an index into [`Plans::paths`]).
    path: u32,
    /// The last attribute of a run of fixed ones written as one (their
    /// ranks follow each other, in one object): `value` holds the first
    /// one's value and the others' keys and values. `path` for one
    /// attribute.
    end: u32,
    value: Value,
}

#[derive(Clone, Copy)]
enum Value {
    /// JSON text of the plan's.
    Static(&'static [u8]),
    /// JSON text in [`Scratch::values`].
    Written(u32, u32),
}

/// An attribute path: its segments, by interned id.
struct PathInfo {
    segments: Vec<u32>,
    rank: u32,
    /// The object holding the attribute (an id shared by the paths with
    /// the same segments before their last).
    parent: u32,
    /// `,"key":` of the last segment, escaped.
    comma_key: Vec<u8>,
}

/// An object key of some path.
struct Segment {
    /// `"key":`, escaped.
    json: Vec<u8>,
    /// The key holds an array of one object (`resources[]`).
    array: bool,
}

/// Every plan, and the paths and segments they name.
struct Plans {
    by_event_type: NumberMap<Plan>,
    base: Plan,
    paths: Vec<PathInfo>,
    segments: Vec<Segment>,
    /// Attributes every event may get.
    common: Common,
}

/// The attributes outside any class's options.
struct Common {
    log_name: u32,
    event_code: Option<u32>,
    severity_id: u32,
    severity: u32,
    time: u32,
    time_sub_ms: u32,
    time_unset: u32,
    product_name: u32,
    producer_unset: u32,
    payload_encoding: u32,
    status_detail: u32,
    log_level: u32,
    empty_messages: u32,
    /// Messages whose being set with no field would be recorded.
    nested: Vec<Nested>,
}

/// One event type's plan.
struct Plan {
    /// Nothing of this class can be written here (see the module docs).
    slow: bool,
    /// The class attributes, written as they are: runs of them whose
    /// ranks follow each other in one object joined into one
    /// (see [`join_header`]).
    header: Vec<Fixed>,
    places: Vec<Place>,
    leaves: Vec<Leaf>,
    /// The leaves a record's fields are read into (not the moved ones nor
    /// the event type), indices into [`Plan::leaves`]: those under one
    /// message next to each other, so that the message is looked up once.
    read: Vec<usize>,
    /// `metadata.event_code` of this plan's event type (a JSON string);
    /// `None` for the base plan, which serves many.
    event_code: Option<Vec<u8>>,
}

/// Attributes the plan writes as they are (one, or a run of them).
struct Fixed {
    path: u32,
    /// The run's last attribute (`path` for one).
    end: u32,
    /// The first attribute's value, then `,"key":value` of each other.
    json: Vec<u8>,
}

struct Place {
    path: u32,
    /// The leaf it takes its value from (index into [`Plan::leaves`]).
    from: Option<usize>,
    /// The JSON literal written when that field is unset.
    literal: Option<Vec<u8>>,
}

/// A field with a home.
struct Leaf {
    field: Field,
    map: &'static FieldMapping,
    /// Where it goes in this class.
    home: u32,
    /// The home is under `unmapped`.
    unmapped: bool,
    /// A place of the class takes the field instead of its home.
    moved: bool,
    /// The event type (written as `metadata.event_code` before the leaves).
    event_type: bool,
    kind: LeafKind,
}

enum LeafKind {
    Scalar,
    Payload,
    Timestamp,
    Enum(EnumPlan),
    List(ListPlan),
}

struct EnumPlan {
    values: NumberMap<EnumValue>,
    severity: bool,
    /// `home` without `_id`, for the caption.
    sibling: Option<u32>,
    /// `unmapped.<field path>`, for a number without a mapping.
    fallback: u32,
}

struct EnumValue {
    /// The value's name, a JSON string.
    name: Vec<u8>,
    /// Where OCSF has the value, when mapped.
    ocsf: Option<OcsfValue>,
}

/// An enum value's OCSF id, caption and status detail, as JSON.
struct OcsfValue {
    id: Vec<u8>,
    caption: Vec<u8>,
    detail: Option<Vec<u8>>,
}

/// An index as a `u32` (plans hold a few hundred paths; an impossible
/// overflow gives an id no path has, and so the general path).
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A repeated message, written as an array of objects keyed by the element
/// fields' homes, in sorted order.
pub(crate) struct ListPlan {
    elements: Vec<Element>,
}

impl ListPlan {
    /// The plan of a repeated message whose element fields are keyed by
    /// `key`; `None` when an element field is a message (not in the schema
    /// today) or two fields share a key.
    pub(crate) fn new(
        element: &MessageDescriptor,
        key: impl Fn(&prost_reflect::FieldDescriptor) -> String,
    ) -> Result<Option<Self>, Error> {
        let mut elements = Vec::new();
        for f in element.fields() {
            let names = match f.kind() {
                Kind::Enum(e) => Some(enum_names(&e)?),
                Kind::Message(_) => return Ok(None),
                _ => None,
            };
            let key = key(&f);
            let mut json_key = json(&key)?;
            json_key.push(b':');
            elements.push((
                key,
                Element {
                    number: f.number(),
                    presence: has_presence(&f),
                    key: json_key,
                    names,
                },
            ));
        }
        elements.sort_by(|a, b| a.0.cmp(&b.0));
        if elements
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.0 == b.0))
        {
            return Ok(None);
        }
        Ok(Some(Self {
            elements: elements.into_iter().map(|(_, e)| e).collect(),
        }))
    }
}

struct Element {
    number: u32,
    presence: bool,
    key: Vec<u8>,
    /// Value names, for an enum field.
    names: Option<NumberMap<Vec<u8>>>,
}

/// A message that, set with no field, is listed in
/// `unmapped.empty_messages`.
struct Nested {
    numbers: Vec<u32>,
    /// Its fields: (number, explicit presence).
    fields: Vec<(u32, bool)>,
    /// Its path as a JSON string.
    name: Vec<u8>,
}

static PLANS: LazyLock<Result<Plans, String>> =
    LazyLock::new(|| build().map_err(|e| e.to_string()));

fn json(value: impl serde::Serialize) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(&value).map_err(|e| Error::Mapping(e.to_string()))
}

/// Interns paths and segments while the plans are built.
#[derive(Default)]
struct Interner {
    paths: HashMap<String, u32>,
    segments: HashMap<(String, bool), u32>,
    path_list: Vec<Vec<u32>>,
    segment_list: Vec<(String, bool)>,
}

impl Interner {
    fn path(&mut self, path: &str) -> u32 {
        if let Some(id) = self.paths.get(path) {
            return *id;
        }
        let segments = path
            .split('.')
            .map(|s| {
                let (key, array) = match s.strip_suffix("[]") {
                    Some(key) => (key.to_owned(), true),
                    None => (s.to_owned(), false),
                };
                let next = small(self.segment_list.len());
                *self
                    .segments
                    .entry((key.clone(), array))
                    .or_insert_with(|| {
                        self.segment_list.push((key, array));
                        next
                    })
            })
            .collect();
        let id = small(self.path_list.len());
        self.path_list.push(segments);
        self.paths.insert(path.to_owned(), id);
        id
    }

    /// The paths in output order (object keys sorted at every level, as a
    /// `serde_json::Map` keeps them), and the segments.
    fn finish(self) -> Result<(Vec<PathInfo>, Vec<Segment>), Error> {
        let key = |segments: &[u32]| -> Vec<&str> {
            segments
                .iter()
                .filter_map(|s| self.segment_list.get(*s as usize))
                .map(|(k, _)| k.as_str())
                .collect()
        };
        let mut order: Vec<usize> = (0..self.path_list.len()).collect();
        order.sort_by(|a, b| {
            let (Some(a), Some(b)) = (self.path_list.get(*a), self.path_list.get(*b)) else {
                return std::cmp::Ordering::Equal;
            };
            key(a).cmp(&key(b))
        });
        let mut ranks = vec![0u32; order.len()];
        for (rank, id) in order.into_iter().enumerate() {
            if let Some(r) = ranks.get_mut(id) {
                *r = small(rank);
            }
        }
        let mut parents: HashMap<&[u32], u32> = HashMap::new();
        let paths = self
            .path_list
            .iter()
            .zip(ranks)
            .map(|(segments, rank)| {
                let (last, init) = segments.split_last().unwrap_or((&u32::MAX, &[]));
                let next = small(parents.len());
                let parent = *parents.entry(init).or_insert(next);
                let key = self
                    .segment_list
                    .get(*last as usize)
                    .map_or("", |(k, _)| k.as_str());
                let mut comma_key = b",".to_vec();
                comma_key.extend(json(key)?);
                comma_key.push(b':');
                Ok(PathInfo {
                    segments: segments.clone(),
                    rank,
                    parent,
                    comma_key,
                })
            })
            .collect::<Result<_, Error>>()?;
        let segments = self
            .segment_list
            .iter()
            .map(|(k, array)| {
                let mut json = json(k)?;
                json.push(b':');
                Ok(Segment {
                    json,
                    array: *array,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok((paths, segments))
    }
}

/// Value names of an enum, as JSON strings.
fn enum_names(e: &prost_reflect::EnumDescriptor) -> Result<NumberMap<Vec<u8>>, Error> {
    e.values()
        .map(|v| Ok((v.number(), json(v.name())?)))
        .collect()
}

fn build() -> Result<Plans, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    let root = lokryn_compliance_log::DESCRIPTOR_POOL
        .get_message_by_name(lokryn_compliance_log::LOG_ENTRY_NAME)
        .ok_or_else(|| Error::Mapping("no LogEntry".into()))?;
    let mut paths = Interner::default();
    let common = Common {
        log_name: paths.path("metadata.log_name"),
        event_code: maps
            .field("event_type")
            .map(|f| f.export.ocsf.clone())
            .map(|home| paths.path(&home)),
        severity_id: paths.path("severity_id"),
        severity: paths.path("severity"),
        time: paths.path("time"),
        time_sub_ms: paths.path("unmapped.time_sub_ms_nanos"),
        time_unset: paths.path("unmapped.time_unset"),
        product_name: paths.path("metadata.product.name"),
        producer_unset: paths.path("unmapped.producer_unset"),
        payload_encoding: paths.path("unmapped.payload_encoding"),
        status_detail: paths.path("status_detail"),
        log_level: paths.path("metadata.log_level"),
        empty_messages: paths.path("unmapped.empty_messages"),
        nested: maps
            .fields()
            .iter()
            .filter(|m| m.shape == FieldShape::Nested && !is_inside_list(maps, &m.path))
            .map(|m| {
                let (numbers, field) = resolve(&root, &m.path)
                    .ok_or_else(|| Error::Mapping(format!("no field {}", m.path)))?;
                let Kind::Message(message) = field.kind() else {
                    return Err(Error::Mapping(format!("{} is not a message", m.path)));
                };
                Ok(Nested {
                    numbers,
                    fields: message
                        .fields()
                        .map(|f| (f.number(), f.supports_presence() && !f.is_list()))
                        .collect(),
                    name: json(&m.path)?,
                })
            })
            .collect::<Result<_, Error>>()?,
    };
    let mut by_event_type = NumberMap::default();
    let event_types = lokryn_compliance_log::DESCRIPTOR_POOL
        .get_enum_by_name("lokryn.compliancelog.v1.EventType")
        .ok_or_else(|| Error::Mapping("no EventType".into()))?;
    for value in event_types.values() {
        if let Some(class) = maps
            .event_type(value.number())
            .and_then(|v| v.ocsf_event.as_ref())
        {
            let code = (value.number() != 0)
                .then(|| json(value.name()))
                .transpose()?;
            by_event_type.insert(value.number(), plan(maps, &root, class, &mut paths, code)?);
        }
    }
    let mut base = plan(maps, &root, &base_event(), &mut paths, None)?;
    let (paths, segments) = paths.finish()?;
    for plan in by_event_type.values_mut().chain([&mut base]) {
        plan.header = join_header(std::mem::take(&mut plan.header), &paths)?;
    }
    Ok(Plans {
        by_event_type,
        base,
        paths,
        segments,
        common,
    })
}

/// The header in output order, each run of attributes whose ranks follow
/// each other (no other attribute of any plan can come between them) in
/// one object joined into one [`Fixed`].
fn join_header(mut header: Vec<Fixed>, paths: &[PathInfo]) -> Result<Vec<Fixed>, Error> {
    let info = |path: u32| {
        paths
            .get(path as usize)
            .ok_or_else(|| Error::Mapping(format!("no path {path}")))
    };
    header.sort_by_key(|f| info(f.path).map_or(u32::MAX, |p| p.rank));
    let mut out: Vec<Fixed> = Vec::with_capacity(header.len());
    for f in header {
        let this = info(f.path)?;
        if let Some(run) = out.last_mut() {
            let end = info(run.end)?;
            if end.rank.checked_add(1) == Some(this.rank) && end.parent == this.parent {
                run.json.extend_from_slice(&this.comma_key);
                run.json.extend_from_slice(&f.json);
                run.end = f.path;
                continue;
            }
        }
        out.push(f);
    }
    Ok(out)
}

fn plan(
    maps: &'static Mappings,
    root: &MessageDescriptor,
    class: &OcsfEvent,
    paths: &mut Interner,
    event_code: Option<Vec<u8>>,
) -> Result<Plan, Error> {
    let mut slow = false;
    let category = class.class_uid / 1000;
    let type_uid = i64::from(class.class_uid) * 100 + i64::from(class.activity_id);
    let header: Vec<(u32, Vec<u8>)> = vec![
        (paths.path("class_uid"), json(class.class_uid)?),
        (paths.path("class_name"), json(&class.class_name)?),
        (paths.path("category_uid"), json(category)?),
        (paths.path("category_name"), json(category_name(category))?),
        (paths.path("activity_id"), json(class.activity_id)?),
        (paths.path("activity_name"), json(&class.activity_name)?),
        (paths.path("type_uid"), json(type_uid)?),
        (
            paths.path("type_name"),
            json(format!("{}: {}", class.class_name, class.activity_name))?,
        ),
        (paths.path("metadata.version"), json(OCSF_VERSION)?),
    ];

    let mut leaves = Vec::new();
    for map in maps.fields() {
        if map.shape == FieldShape::Nested || is_inside_list(maps, &map.path) {
            continue;
        }
        let Some((numbers, field)) = resolve(root, &map.path) else {
            continue;
        };
        let field_ref = Field {
            numbers,
            presence: has_presence(&field),
        };
        let top = map.export.ocsf.split(['.', '[']).next().unwrap_or_default();
        let home_text = if class.absent.iter().any(|a| a == top) {
            format!("unmapped.{}", map.path)
        } else {
            map.export.ocsf.clone()
        };
        let unmapped = home_text.starts_with("unmapped.");
        let kind = match map.shape {
            FieldShape::Timestamp => LeafKind::Timestamp,
            FieldShape::Scalar if map.path == "payload" => LeafKind::Payload,
            FieldShape::Scalar => LeafKind::Scalar,
            FieldShape::Enum => {
                let Kind::Enum(e) = field.kind() else {
                    slow = true;
                    continue;
                };
                let enum_name = map.enum_name.as_deref().unwrap_or_default();
                let mut values = NumberMap::default();
                for v in e.values() {
                    let ocsf = match maps.value(enum_name, v.number()) {
                        Some(m) => match m.ocsf_id {
                            Some(id) => Some(OcsfValue {
                                id: json(id)?,
                                caption: json(&m.ocsf_caption)?,
                                detail: (!m.ocsf_detail.is_empty())
                                    .then(|| json(&m.ocsf_detail))
                                    .transpose()?,
                            }),
                            None => None,
                        },
                        None => None,
                    };
                    values.insert(
                        v.number(),
                        EnumValue {
                            name: json(v.name())?,
                            ocsf,
                        },
                    );
                }
                LeafKind::Enum(EnumPlan {
                    values,
                    severity: enum_name == "Severity",
                    sibling: home_text.strip_suffix("_id").map(|s| paths.path(s)),
                    fallback: paths.path(&format!("unmapped.{}", map.path)),
                })
            }
            FieldShape::List => {
                let Kind::Message(element) = field.kind() else {
                    slow = true;
                    continue;
                };
                let key = |f: &prost_reflect::FieldDescriptor| {
                    maps.field(&format!("{}.{}", map.path, f.name()))
                        .map_or_else(|| f.name().to_owned(), |m| m.export.ocsf.clone())
                };
                match ListPlan::new(&element, key)? {
                    Some(list) => LeafKind::List(list),
                    None => {
                        // An element holding a message, or two element
                        // fields with one key: the general path.
                        slow = true;
                        continue;
                    }
                }
            }
            FieldShape::Nested => continue,
        };
        leaves.push(Leaf {
            field: field_ref,
            map,
            home: paths.path(&home_text),
            unmapped,
            moved: false,
            event_type: map.path == "event_type",
            kind,
        });
    }

    let mut places = Vec::new();
    for place in &class.place {
        let from = (!place.field.is_empty())
            .then(|| leaves.iter().position(|l| l.map.path == place.field))
            .flatten();
        if let Some(i) = from {
            if !place.copy {
                if let Some(leaf) = leaves.get_mut(i) {
                    leaf.moved = true;
                }
            }
        }
        let literal = if place.value.is_empty() {
            None
        } else {
            let value: serde_json::Value = serde_json::from_str(&place.value).map_err(|e| {
                Error::Mapping(format!("{}: value {}: {e}", place.path, place.value))
            })?;
            Some(json(value)?)
        };
        places.push(Place {
            path: paths.path(&place.path),
            from,
            literal,
        });
    }
    // Leaves under one message together (a stable sort: schema order
    // otherwise, though the slots are put in output order anyway).
    let mut read: Vec<usize> = (0..leaves.len())
        .filter(|i| leaves.get(*i).is_some_and(|l| !l.moved && !l.event_type))
        .collect();
    read.sort_by_key(|i| {
        leaves
            .get(*i)
            .and_then(|l| l.field.numbers.split_last().map(|(_, init)| init.to_vec()))
    });
    Ok(Plan {
        slow,
        header: header
            .into_iter()
            .map(|(path, json)| Fixed {
                path,
                end: path,
                json,
            })
            .collect(),
        places,
        leaves,
        read,
        event_code,
    })
}

/// A double as `crate::value::double` gives it.
fn write_double(f: f64, out: &mut Vec<u8>) {
    if f.is_finite() {
        write_num(f, out);
    } else if f.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if f > 0.0 {
        out.extend_from_slice(b"\"Infinity\"");
    } else {
        out.extend_from_slice(b"\"-Infinity\"");
    }
}

/// A number (or a finite double) as `serde_json` writes it.
fn write_num(n: impl serde::Serialize, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &n);
}

/// A string as `serde_json` writes it: the runs with nothing to escape
/// copied as they are (found eight bytes at a time), `"`, `\\` and control
/// characters escaped as `serde_json` escapes them.
fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut rest = bytes;
    while let Some(at) = find_escape(rest) {
        let (run, tail) = rest.split_at(at);
        out.extend_from_slice(run);
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        escape(b, out);
        rest = tail;
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// Whether JSON needs the byte escaped.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The index of the first byte JSON needs escaped. Eight bytes at a time:
/// a byte below 0x20, or equal to `"` or `\\` (zero after an exclusive or),
/// sets its top bit in the masks below; a borrow can only mark bytes above
/// the first real one, so the lowest mark is exact.
fn find_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & TOPS;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let marks = below(w, 0x20) | below(w ^ (ONES * 0x22), 1) | below(w ^ (ONES * 0x5c), 1);
        if marks != 0 {
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| needs_escape(b))
        .map(|i| at + i)
}

/// One escaped byte, as `serde_json` writes it.
fn escape(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => {
            out.extend_from_slice(b"\\u00");
            let digit = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
            out.push(digit(b >> 4));
            out.push(digit(b & 0xf));
        }
    }
}

/// A scalar (or repeated scalar) field as `crate::value::scalar` writes it
/// (enums as their number); `None` for a kind it does not cover.
fn write_scalar(value: &FieldRef<'_>, out: &mut Vec<u8>) -> Option<()> {
    match value {
        FieldRef::Str(s) => write_str(s, out),
        FieldRef::Strs(items) => {
            out.push(b'[');
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(s, out);
            }
            out.push(b']');
        }
        FieldRef::Bytes(b) => {
            out.push(b'"');
            let mut text = String::new();
            base64::engine::general_purpose::STANDARD.encode_string(b, &mut text);
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
        FieldRef::Enum(Some(n)) => write_num(*n, out),
        FieldRef::Enums(items) => {
            out.push(b'[');
            for (i, n) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_num(*n, out);
            }
            out.push(b']');
        }
        FieldRef::Int(Some(n)) => write_num(*n, out),
        FieldRef::Uint(Some(n)) => write_num(*n, out),
        FieldRef::Bool(Some(b)) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        FieldRef::Float(Some(f)) => write_double(*f, out),
        _ => return None,
    }
    Some(())
}

/// Collects the attributes of one record into the scratch; `None` when the
/// record needs the general path.
fn fill(
    plans: &'static Plans,
    plan: &'static Plan,
    record: Record<'_>,
    options: &Options,
    scratch: &mut Scratch,
) -> Option<()> {
    let entry = record.access();
    let event_type = record.event_type();
    let Scratch { slots, values, .. } = scratch;
    slots.clear();
    values.clear();
    let mut out = Slots {
        paths: &plans.paths,
        slots,
        values,
    };
    let c = &plans.common;

    for f in &plan.header {
        out.slots.push(Slot {
            rank: out.paths.get(f.path as usize)?.rank,
            path: f.path,
            end: f.end,
            value: Value::Static(&f.json),
        });
    }
    if let Some(name) = &options.log_name {
        let start = out.start();
        write_str(name, out.values);
        out.written(c.log_name, start)?;
    }
    if event_type != 0 {
        if let Some(home) = c.event_code {
            match &plan.event_code {
                Some(name) => out.fixed(home, name)?,
                None => {
                    let start = out.start();
                    match plan_enum_name(plan, event_type) {
                        Some(name) => out.values.extend_from_slice(name),
                        None => write_str(&event_type.to_string(), out.values),
                    }
                    out.written(home, start)?;
                }
            }
        }
    }
    for place in &plan.places {
        let from = match place.from.and_then(|i| plan.leaves.get(i)) {
            Some(leaf) => read(entry, &leaf.field)?,
            None => None,
        };
        match (from, &place.literal) {
            (Some(value), _) => {
                let start = out.start();
                write_scalar(&value, out.values)?;
                out.written(place.path, start)?;
            }
            (None, Some(literal)) => out.fixed(place.path, literal)?,
            (None, None) => {}
        }
    }

    let mut severity_set = false;
    let mut reader = Reader::new(entry);
    for leaf in plan.read.iter().filter_map(|i| plan.leaves.get(*i)) {
        let Some(value) = reader.read(&leaf.field)? else {
            continue;
        };
        match &leaf.kind {
            LeafKind::Timestamp => {
                let FieldRef::Timestamp(Some(ts)) = value else {
                    return None;
                };
                let (ms, sub_ms) = crate::value::millis(ts);
                let start = out.start();
                write_num(ms, out.values);
                out.written(leaf.home, start)?;
                if sub_ms != 0 {
                    let start = out.start();
                    write_num(sub_ms, out.values);
                    out.written(c.time_sub_ms, start)?;
                }
            }
            LeafKind::Enum(e) => {
                let FieldRef::Enum(Some(number)) = value else {
                    return None;
                };
                let known = e.values.get(&number);
                match known.and_then(|k| k.ocsf.as_ref()) {
                    Some(o) if !leaf.unmapped => {
                        out.fixed(leaf.home, &o.id)?;
                        if let Some(sibling) = e.sibling {
                            out.fixed(sibling, &o.caption)?;
                        }
                        if let Some(detail) = &o.detail {
                            out.fixed(c.status_detail, detail)?;
                        }
                        if e.severity {
                            severity_set = true;
                            out.fixed(c.log_level, &known?.name)?;
                        }
                    }
                    _ if leaf.unmapped => match known {
                        Some(k) => out.fixed(leaf.home, &k.name)?,
                        None => {
                            let start = out.start();
                            write_str(&number.to_string(), out.values);
                            out.written(leaf.home, start)?;
                        }
                    },
                    _ => {
                        let start = out.start();
                        write_num(number, out.values);
                        out.written(e.fallback, start)?;
                    }
                }
            }
            LeafKind::List(list) => {
                let FieldRef::Messages(items) = value else {
                    return None;
                };
                let start = out.start();
                write_list(list, items, out.values)?;
                out.written(leaf.home, start)?;
            }
            LeafKind::Payload => {
                let FieldRef::Bytes(payload) = value else {
                    return None;
                };
                let start = out.start();
                if !record.payload_is_cbor() && canonical_json(payload) {
                    out.values.extend_from_slice(payload);
                    out.written(leaf.home, start)?;
                } else {
                    match std::str::from_utf8(payload) {
                        Ok(text) => {
                            write_str(text, out.values);
                            out.written(leaf.home, start)?;
                            out.fixed(c.payload_encoding, b"\"text\"")?;
                        }
                        Err(_) => {
                            write_scalar(&value, out.values)?;
                            out.written(leaf.home, start)?;
                            out.fixed(c.payload_encoding, b"\"base64\"")?;
                        }
                    }
                }
            }
            LeafKind::Scalar => {
                let start = out.start();
                write_scalar(&value, out.values)?;
                out.written(leaf.home, start)?;
            }
        }
    }

    if !severity_set {
        out.fixed(c.severity_id, b"0")?;
        out.fixed(c.severity, b"\"Unknown\"")?;
    }
    if !out.slots.iter().any(|s| s.path == c.time) {
        let start = out.start();
        write_num(options.observed_time_ms(), out.values);
        out.written(c.time, start)?;
        out.fixed(c.time_unset, b"true")?;
    }
    if !out.slots.iter().any(|s| s.path == c.product_name) {
        out.fixed(c.product_name, b"\"unknown\"")?;
        out.fixed(c.producer_unset, b"true")?;
    }
    let mut empty = c
        .nested
        .iter()
        .filter(|n| is_empty_message(entry, n))
        .peekable();
    if empty.peek().is_some() {
        let start = out.start();
        out.values.push(b'[');
        for (i, n) in empty.enumerate() {
            if i > 0 {
                out.values.push(b',');
            }
            out.values.extend_from_slice(&n.name);
        }
        out.values.push(b']');
        out.written(c.empty_messages, start)?;
    }
    Some(())
}

/// The slots of the record being collected, and the JSON text they take
/// from the values buffer.
struct Slots<'s> {
    paths: &'static [PathInfo],
    slots: &'s mut Vec<Slot>,
    values: &'s mut Vec<u8>,
}

impl Slots<'_> {
    /// An attribute whose JSON text is the plan's.
    #[inline]
    fn fixed(&mut self, path: u32, bytes: &'static [u8]) -> Option<()> {
        self.slots.push(Slot {
            rank: self.paths.get(path as usize)?.rank,
            path,
            end: path,
            value: Value::Static(bytes),
        });
        Some(())
    }

    /// Where the next value starts in the values buffer.
    #[inline]
    fn start(&self) -> usize {
        self.values.len()
    }

    /// An attribute whose JSON text was written to the values buffer from
    /// `start` on.
    #[inline]
    fn written(&mut self, path: u32, start: usize) -> Option<()> {
        self.slots.push(Slot {
            rank: self.paths.get(path as usize)?.rank,
            path,
            end: path,
            value: Value::Written(
                u32::try_from(start).ok()?,
                u32::try_from(self.values.len()).ok()?,
            ),
        });
        Some(())
    }
}

/// The JSON name of an `EventType` value, from the plan's tables.
fn plan_enum_name(plan: &'static Plan, number: i32) -> Option<&'static [u8]> {
    plan.leaves.iter().find_map(|l| match &l.kind {
        LeafKind::Enum(e) if l.map.path == "event_type" => {
            e.values.get(&number).map(|v| v.name.as_slice())
        }
        _ => None,
    })
}

/// Whether a nested message is set with no field set.
fn is_empty_message(entry: &dyn Access, n: &Nested) -> bool {
    let Some((last, init)) = n.numbers.split_last() else {
        return false;
    };
    let mut message: &dyn Access = entry;
    for number in init {
        match message.field(*number) {
            FieldRef::Message(Some(m)) => message = m,
            _ => return false,
        }
    }
    let FieldRef::Message(Some(inner)) = message.field(*last) else {
        return false;
    };
    n.fields
        .iter()
        .all(|(number, presence)| is_set(&inner.field(*number), *presence) == Some(false))
}

/// A repeated message as `crate::value::list` writes it.
pub(crate) fn write_list(
    list: &ListPlan,
    items: &dyn lokryn_compliance_log::access::List,
    out: &mut Vec<u8>,
) -> Option<()> {
    out.push(b'[');
    for i in 0..items.len() {
        if i > 0 {
            out.push(b',');
        }
        let item = items.item(i)?;
        out.push(b'{');
        let mut first = true;
        for e in &list.elements {
            let value = item.field(e.number);
            if !is_set(&value, e.presence)? {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(&e.key);
            match (&e.names, &value) {
                (Some(names), FieldRef::Enum(Some(n))) => match names.get(n) {
                    Some(name) => out.extend_from_slice(name),
                    None => write_str(&n.to_string(), out),
                },
                (Some(names), FieldRef::Enums(ns)) => {
                    out.push(b'[');
                    for (j, n) in ns.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        match names.get(n) {
                            Some(name) => out.extend_from_slice(name),
                            None => write_str(&n.to_string(), out),
                        }
                    }
                    out.push(b']');
                }
                (None, v) => write_scalar(v, out)?,
                _ => return None,
            }
        }
        out.push(b'}');
    }
    out.push(b']');
    Some(())
}

/// Whether the payload (not declared CBOR: the caller checks) is embedded
/// as JSON: JSON text that `serde_json` writes back byte for byte.
/// Canonical text has no whitespace outside its strings, which rules most
/// payloads out without parsing them.
fn canonical_json(payload: &[u8]) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for &b in payload {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return false;
        }
    }
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(json) => serde_json::to_vec(&json).ok().as_deref() == Some(payload),
        Err(_) => false,
    }
}

/// Writes the attributes in output order (as [`order`] marked them) as
/// nested objects; `None` when two attributes collide (the general path
/// reports the mapping error).
fn emit(plans: &'static Plans, scratch: &mut Scratch, out: &mut Vec<u8>) -> Option<()> {
    let Scratch {
        slots,
        ranks,
        by_rank,
        values,
        open,
        last,
    } = scratch;
    open.clear();
    last.clear();
    last.push(None);
    out.push(b'{');
    // The object of the attribute written last (the innermost open one).
    let mut previous = None;
    // The slots in output order: by the bits of the ranks they take.
    for (w, word) in ranks.iter().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            let rank = w * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let i = *by_rank.get(rank)?;
            if i == u32::MAX {
                continue;
            }
            let slot = slots.get(i as usize)?;
            let info = plans.paths.get(slot.path as usize)?;
            let (leaf, parents) = info.segments.split_last()?;
            let s = plans.segments.get(*leaf as usize)?;
            if s.array {
                return None;
            }
            if previous == Some(info.parent) {
                // Next to the attribute before, in its object: no object to
                // close or open.
                let top = last.last_mut()?;
                if *top == Some(s.json.as_slice()) {
                    return None;
                }
                *top = Some(&s.json);
                out.extend_from_slice(&info.comma_key);
            } else {
                let common = open.iter().zip(parents).take_while(|(a, b)| a == b).count();
                while open.len() > common {
                    let seg = open.pop()?;
                    last.pop();
                    out.push(b'}');
                    if plans.segments.get(seg as usize)?.array {
                        out.push(b']');
                    }
                }
                for seg in parents.get(common..)? {
                    let s = plans.segments.get(*seg as usize)?;
                    key(last, &s.json, out)?;
                    out.extend_from_slice(if s.array { b"[{" } else { b"{" });
                    open.push(*seg);
                    last.push(None);
                }
                key(last, &s.json, out)?;
            }
            match slot.value {
                Value::Static(bytes) => out.extend_from_slice(bytes),
                Value::Written(start, end) => {
                    out.extend_from_slice(values.get(start as usize..end as usize)?);
                }
            }
            if slot.end != slot.path {
                // A run: its last key is the one the next attribute follows.
                let end = plans.paths.get(slot.end as usize)?.segments.last()?;
                *last.last_mut()? = Some(&plans.segments.get(*end as usize)?.json);
            }
            previous = Some(info.parent);
        }
    }
    while let Some(seg) = open.pop() {
        out.push(b'}');
        if plans.segments.get(seg as usize)?.array {
            out.push(b']');
        }
    }
    out.push(b'}');
    Some(())
}

/// Writes `"key":` in the innermost open object; `None` when the key was
/// just written there (a path set twice, or a value and an object at one
/// key: keys are sorted, so such pairs are neighbours).
fn key<'p>(last: &mut [Option<&'p [u8]>], json: &'p [u8], out: &mut Vec<u8>) -> Option<()> {
    let previous = last.last_mut()?;
    match previous {
        Some(p) if *p == json => return None,
        Some(_) => out.push(b','),
        None => {}
    }
    *previous = Some(json);
    out.extend_from_slice(json);
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::write_str;

    /// Every ASCII byte and some non-ASCII text, at every offset around the
    /// eight-byte steps, written as `serde_json` writes the string.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut specials: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        specials.extend([
            "é".to_owned(),
            "日本".to_owned(),
            "\u{7f}".to_owned(),
            "😀".to_owned(),
        ]);
        for special in &specials {
            for before in 0..18 {
                for after in [0, 1, 7, 8, 9] {
                    let s = format!(
                        "{}{special}{}{special}",
                        "a".repeat(before),
                        "z".repeat(after)
                    );
                    let mut out = Vec::new();
                    write_str(&s, &mut out);
                    assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
                }
            }
        }
    }
}
