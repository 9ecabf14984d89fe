//! Records as Parquet (arrow-rs): a flat, typed, columnar layout, one column
//! per field of the schema, written in bounded memory.
//!
//! Column names are the fields' proto paths with `_` for `.`
//! (`genai_input_tokens`); enums hold their value names; unset fields are
//! null. The time is a UTC timestamp in microseconds (`time`; years 1-9999
//! fit) with the exact nanoseconds of its second in `time_nanos`. The
//! delegation chain is JSON text. Files are zstd-compressed.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use lokryn_compliance_log::access::{Access, FieldRef, List};
use lokryn_compliance_log::mapping::{FieldShape, mappings};
use lokryn_compliance_log::{LogEntry, Timestamp};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use prost_reflect::{Kind, Value};

use crate::fields::{enum_value_name, set_fields};
use crate::ocsf_writer::{ListPlan, write_list};
use crate::typed::{self, EnumNames};
use crate::value::{list, timestamp};
use crate::{Error, Record};

/// Rows buffered before they are written out as one batch.
const BATCH_ROWS: usize = 8192;
/// Rows per row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Text,
    Bytes,
    Int32,
    Int64,
    Double,
    Bool,
    Texts,
    Time,
    TimeNanos,
}

impl Column {
    fn data_type(self) -> DataType {
        match self {
            Self::Text => DataType::Utf8,
            Self::Bytes => DataType::Binary,
            Self::Int32 | Self::TimeNanos => DataType::Int32,
            Self::Int64 => DataType::Int64,
            Self::Double => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::Texts => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            Self::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }

    fn builder(self) -> Builder {
        let rows = BATCH_ROWS;
        match self {
            Self::Text => Builder::Text(StringBuilder::with_capacity(rows, rows * 16)),
            Self::Bytes => Builder::Bytes(BinaryBuilder::with_capacity(rows, rows * 16)),
            Self::Int32 | Self::TimeNanos => Builder::Int32(Int32Builder::with_capacity(rows)),
            Self::Int64 => Builder::Int64(Int64Builder::with_capacity(rows)),
            Self::Double => Builder::Double(Float64Builder::with_capacity(rows)),
            Self::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            Self::Texts => Builder::Texts(ListBuilder::with_capacity(
                StringBuilder::with_capacity(rows, rows * 8),
                rows,
            )),
            Self::Time => {
                Builder::Time(TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"))
            }
        }
    }
}

/// The builder of one column.
enum Builder {
    Text(StringBuilder),
    Texts(ListBuilder<StringBuilder>),
    Bytes(BinaryBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Double(Float64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMicrosecondBuilder),
}

impl Builder {
    fn append_nulls(&mut self, n: usize) {
        match self {
            Self::Text(b) => b.append_nulls(n),
            Self::Texts(b) => b.append_nulls(n),
            Self::Bytes(b) => b.append_nulls(n),
            Self::Int32(b) => b.append_nulls(n),
            Self::Int64(b) => b.append_nulls(n),
            Self::Double(b) => b.append_nulls(n),
            Self::Bool(b) => b.append_nulls(n),
            Self::Time(b) => b.append_nulls(n),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Text(b) => Arc::new(b.finish()),
            Self::Texts(b) => Arc::new(b.finish()),
            Self::Bytes(b) => Arc::new(b.finish()),
            Self::Int32(b) => Arc::new(b.finish()),
            Self::Int64(b) => Arc::new(b.finish()),
            Self::Double(b) => Arc::new(b.finish()),
            Self::Bool(b) => Arc::new(b.finish()),
            Self::Time(b) => Arc::new(b.finish()),
        }
    }
}

/// (field path, column name, kind) of every column, in schema order.
fn columns() -> Result<Vec<(String, String, Column)>, Error> {
    let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
    let root = lokryn_compliance_log::DESCRIPTOR_POOL
        .get_message_by_name(lokryn_compliance_log::LOG_ENTRY_NAME)
        .ok_or_else(|| Error::Mapping("no LogEntry".into()))?;
    let mut out = Vec::new();
    for f in maps.fields() {
        if f.shape == FieldShape::Nested {
            continue;
        }
        // Fields of a repeated message are in its JSON column.
        let parent = f.path.rsplit_once('.').map(|(p, _)| p);
        if parent.is_some_and(|p| maps.field(p).is_some_and(|m| m.shape == FieldShape::List)) {
            continue;
        }
        let name = f.path.replace('.', "_");
        let kind = match f.shape {
            FieldShape::Timestamp => {
                out.push((f.path.clone(), name.clone(), Column::Time));
                out.push((f.path.clone(), format!("{name}_nanos"), Column::TimeNanos));
                continue;
            }
            FieldShape::Enum | FieldShape::List => Column::Text,
            _ => {
                let field = descriptor_field(&root, &f.path)
                    .ok_or_else(|| Error::Mapping(format!("no field {}", f.path)))?;
                match (field.kind(), f.repeated) {
                    (Kind::String, true) => Column::Texts,
                    (Kind::String, false) => Column::Text,
                    (Kind::Bytes, _) => Column::Bytes,
                    (Kind::Int32 | Kind::Sint32 | Kind::Sfixed32, _) => Column::Int32,
                    (
                        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint32 | Kind::Fixed32,
                        _,
                    ) => Column::Int64,
                    (Kind::Double | Kind::Float, _) => Column::Double,
                    (Kind::Bool, _) => Column::Bool,
                    (other, _) => {
                        return Err(Error::Mapping(format!(
                            "{}: no column type for {other:?}",
                            f.path
                        )));
                    }
                }
            }
        };
        out.push((f.path.clone(), name, kind));
    }
    Ok(out)
}

fn descriptor_field(
    root: &prost_reflect::MessageDescriptor,
    path: &str,
) -> Option<prost_reflect::FieldDescriptor> {
    match path.split_once('.') {
        None => root.get_field_by_name(path),
        Some((head, rest)) => match root.get_field_by_name(head)?.kind() {
            Kind::Message(m) => descriptor_field(&m, rest),
            _ => None,
        },
    }
}

/// The Arrow schema of the flat layout.
pub fn flat_schema() -> Result<SchemaRef, Error> {
    let fields: Vec<Field> = columns()?
        .into_iter()
        .map(|(_, name, kind)| Field::new(name, kind.data_type(), true))
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Writes records to a Parquet file in the flat layout, a batch at a time.
///
/// Records are read through the core's generated field access into the
/// Arrow column builders (no reflection); a record the typed plan does not
/// cover is read by reflection instead, into the same columns.
pub struct FlatWriter<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    columns: Vec<(String, String, Column)>,
    builders: Vec<Builder>,
    /// Nulls of each column not yet appended to its builder: the typed
    /// path appends a column's run of nulls at once, when a value (or the
    /// end of the batch) comes.
    nulls: Vec<usize>,
    /// How each column is read from a typed record; `None` when some
    /// column is not covered (every record then goes by reflection).
    typed: Option<Vec<TypedColumn>>,
    /// Cells of the record being added (reused).
    cells: Vec<Cell<'static>>,
    /// JSON text of a repeated message (reused).
    text: Vec<u8>,
    rows: usize,
    /// Records read by reflection so far.
    by_reflection: usize,
}

/// How one column is read from a typed record.
struct TypedColumn {
    field: typed::Field,
    /// Value names of an enum column.
    names: Option<EnumNames>,
    /// The JSON plan of a repeated message column.
    list: Option<ListPlan>,
}

/// One column's value of one record.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Null,
    Str(&'a str),
    Strs(lokryn_compliance_log::access::Strs<'a>),
    Bytes(&'a [u8]),
    Enum(i32),
    List(&'a dyn List),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(&'a Timestamp),
}

impl<W: Write + Send> std::fmt::Debug for FlatWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlatWriter")
            .field("rows", &self.rows)
            .field("typed", &self.typed.is_some())
            .finish_non_exhaustive()
    }
}

fn parquet_error(e: impl std::fmt::Display) -> Error {
    Error::Write(format!("parquet: {e}"))
}

/// zstd, row groups within Amazon Security Lake's and engines' usual
/// limits, statistics on: the Security Lake layout's settings, and the
/// flat layout's before [`flat_properties`] narrows them.
///
/// Pages are bounded by their size (1 MiB, the default) rather than also
/// by 20,000 rows: each page is compressed on its own, and starting a zstd
/// stream costs more than compressing a small page; statistics are kept
/// per column chunk (as pyarrow writes them), which is what the engines
/// that read these files prune row groups by.
pub(crate) fn properties() -> Result<WriterProperties, Error> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(parquet_error)?,
        ))
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .set_data_page_row_count_limit(ROW_GROUP_ROWS)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .build())
}

/// Columns of the flat layout kept without statistics: free text and
/// bytes, which nobody prunes row groups by (a minimum and maximum of
/// messages say nothing a query can use), and whose statistics cost the
/// writer a comparison of every value.
const NO_STATISTICS: [&str; 5] = [
    "message",
    "payload",
    "error_message",
    "user_agent",
    "delegation_chain",
];

/// Columns of the flat layout written without a dictionary: a value per
/// record (the event id, the time), which a dictionary would only collect
/// until it gave up on it.
const NO_DICTIONARY: [&str; 3] = ["event_id", "time", "time_nanos"];

/// The flat layout's settings: [`properties`], without statistics for the
/// [`NO_STATISTICS`] columns and without a dictionary for the
/// [`NO_DICTIONARY`] ones.
fn flat_properties() -> Result<WriterProperties, Error> {
    use parquet::schema::types::ColumnPath;
    let mut builder = properties()?.into_builder();
    for column in NO_STATISTICS {
        builder = builder
            .set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::None);
    }
    for column in NO_DICTIONARY {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    Ok(builder.build())
}

impl<W: Write + Send> FlatWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Result<Self, Error> {
        Self::with_plan(out, true)
    }

    /// A writer that reads every record by reflection (the general path),
    /// for the tests that hold the typed path to the same file.
    #[doc(hidden)]
    pub fn by_reflection(out: W) -> Result<Self, Error> {
        Self::with_plan(out, false)
    }

    /// A writer with other Parquet settings than the layout's (for the
    /// benchmark that weighs them: `examples/export_instructions.rs`).
    #[doc(hidden)]
    pub fn with_properties(out: W, properties: WriterProperties) -> Result<Self, Error> {
        Self::with_settings(out, true, properties)
    }

    fn with_plan(out: W, typed: bool) -> Result<Self, Error> {
        Self::with_settings(out, typed, flat_properties()?)
    }

    fn with_settings(out: W, typed: bool, properties: WriterProperties) -> Result<Self, Error> {
        let schema = flat_schema()?;
        let columns = columns()?;
        let builders = columns.iter().map(|(_, _, kind)| kind.builder()).collect();
        let typed = if typed { typed_columns(&columns) } else { None };
        let writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties))
            .map_err(parquet_error)?;
        Ok(Self {
            writer,
            schema,
            cells: Vec::with_capacity(columns.len()),
            nulls: vec![0; columns.len()],
            columns,
            builders,
            typed,
            text: Vec::new(),
            rows: 0,
            by_reflection: 0,
        })
    }

    /// Adds one record.
    pub fn push(&mut self, entry: &LogEntry) -> Result<(), Error> {
        self.push_record(Record::Entry(entry))
    }

    /// Adds one record, decoded or a [view](Record::View) of an encoded one
    /// (the same row either way; a view is decoded only for a record the
    /// typed plan does not cover).
    pub fn push_record(&mut self, record: Record<'_>) -> Result<(), Error> {
        if !self.push_typed(record.access()) {
            self.push_by_reflection(&*record.to_entry()?)?;
            self.by_reflection += 1;
        }
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Whether the record is one the typed plan covers (and so was added).
    /// Reads every cell first, so that nothing is added unless all are.
    fn push_typed(&mut self, entry: &dyn Access) -> bool {
        let Some(plan) = &self.typed else {
            return false;
        };
        // The cells borrow `entry` for this call only: the vector is
        // emptied before it returns, and so never outlives the borrow.
        let mut cells: Vec<Cell<'_>> = std::mem::take(&mut self.cells)
            .into_iter()
            .map(|_| Cell::Null)
            .collect();
        cells.clear();
        let mut covered = true;
        let mut reader = typed::Reader::new(entry);
        for (column, (_, _, kind)) in plan.iter().zip(&self.columns) {
            match cell(&mut reader, column, *kind) {
                Some(c) => cells.push(c),
                None => {
                    covered = false;
                    break;
                }
            }
        }
        if covered {
            let columns = cells
                .iter()
                .zip(plan)
                .zip(&mut self.builders)
                .zip(&mut self.nulls);
            for (((cell, column), builder), nulls) in columns {
                if let Cell::Null = cell {
                    *nulls += 1;
                    continue;
                }
                if *nulls > 0 {
                    builder.append_nulls(*nulls);
                    *nulls = 0;
                }
                if !append_cell(builder, *cell, column, &mut self.text) {
                    // Only a column whose builder does not match its kind
                    // (impossible: both come from `columns()`).
                    covered = false;
                    break;
                }
            }
        }
        cells.clear();
        self.cells = cells.into_iter().map(|_| Cell::Null).collect();
        covered
    }

    /// Appends the nulls the typed path has held back.
    fn append_nulls(&mut self) {
        for (builder, nulls) in self.builders.iter_mut().zip(&mut self.nulls) {
            if *nulls > 0 {
                builder.append_nulls(*nulls);
                *nulls = 0;
            }
        }
    }

    fn push_by_reflection(&mut self, entry: &LogEntry) -> Result<(), Error> {
        self.append_nulls();
        let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
        let set = set_fields(maps, entry);
        for ((path, _, kind), builder) in self.columns.iter().zip(self.builders.iter_mut()) {
            let value = set.iter().find(|f| &f.map.path == path);
            append(builder, *kind, value.map(|f| (f.map, &f.value)), maps)?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), Error> {
        if self.rows == 0 {
            return Ok(());
        }
        self.append_nulls();
        // Each column starts the next batch with room for a batch (a
        // finished builder gives its buffers away and would grow again).
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .zip(&self.columns)
            .map(|(b, (_, _, kind))| {
                let mut full = std::mem::replace(b, kind.builder());
                full.finish()
            })
            .collect();
        let batch =
            RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(parquet_error)?;
        self.writer.write(&batch).map_err(parquet_error)?;
        self.rows = 0;
        Ok(())
    }

    /// How many records were read by reflection rather than by the typed
    /// plan (for the tests, which hold the plan to covering every record).
    #[doc(hidden)]
    pub fn rows_by_reflection(&self) -> usize {
        self.by_reflection
    }

    /// Writes what is buffered and the file footer; returns the output.
    pub fn finish(mut self) -> Result<W, Error> {
        self.flush_batch()?;
        self.writer.into_inner().map_err(parquet_error)
    }
}

/// The typed plan of the columns; `None` when one is not covered.
fn typed_columns(columns: &[(String, String, Column)]) -> Option<Vec<TypedColumn>> {
    let root = typed::root()?;
    columns
        .iter()
        .map(|(path, _, kind)| {
            let leaf = typed::LEAVES.iter().find(|l| &l.map.path == path)?;
            let (field, descriptor) = typed::Field::at(&root, path)?;
            let list = match (leaf.map.shape, descriptor.kind()) {
                (FieldShape::List, Kind::Message(element)) => {
                    Some(ListPlan::new(&element, |f| f.name().to_owned()).ok()??)
                }
                (FieldShape::List, _) => return None,
                _ => None,
            };
            let names = match (leaf.map.shape, *kind) {
                (FieldShape::Enum, Column::Text) => Some(EnumNames::of(
                    leaf.map.enum_name.as_deref().unwrap_or_default(),
                )),
                _ => None,
            };
            Some(TypedColumn { field, names, list })
        })
        .collect()
}

/// The cell of one column: what the general path adds for it, or `None`
/// for a value the typed plan does not cover.
fn cell<'a>(
    reader: &mut typed::Reader<'a>,
    column: &TypedColumn,
    kind: Column,
) -> Option<Cell<'a>> {
    let Some(value) = reader.read(&column.field)? else {
        return Some(Cell::Null);
    };
    Some(match (kind, value) {
        (Column::Text, FieldRef::Str(s)) => Cell::Str(s),
        (Column::Text, FieldRef::Enum(Some(n))) if column.names.is_some() => Cell::Enum(n),
        (Column::Text, FieldRef::Messages(items)) if column.list.is_some() => Cell::List(items),
        (Column::Texts, FieldRef::Strs(items)) => Cell::Strs(items),
        (Column::Bytes, FieldRef::Bytes(b)) => Cell::Bytes(b),
        (Column::Int32 | Column::Int64, FieldRef::Int(Some(n))) => Cell::Int(n),
        (Column::Double, FieldRef::Float(Some(f))) => Cell::Float(f),
        (Column::Bool, FieldRef::Bool(Some(b))) => Cell::Bool(b),
        (Column::Time | Column::TimeNanos, FieldRef::Timestamp(Some(ts))) => Cell::Time(ts),
        _ => return None,
    })
}

/// Adds a cell to its column; `false` when the builder does not fit it.
fn append_cell(
    builder: &mut Builder,
    cell: Cell<'_>,
    column: &TypedColumn,
    text: &mut Vec<u8>,
) -> bool {
    match (builder, cell) {
        (Builder::Text(b), Cell::Str(s)) => b.append_value(s),
        (Builder::Text(b), Cell::Enum(n)) => match &column.names {
            Some(names) => b.append_value(names.name(n)),
            None => return false,
        },
        (Builder::Text(b), Cell::List(items)) => {
            text.clear();
            let written = column
                .list
                .as_ref()
                .and_then(|plan| write_list(plan, items, text));
            match (written, std::str::from_utf8(text)) {
                (Some(()), Ok(json)) => b.append_value(json),
                _ => return false,
            }
        }
        (Builder::Texts(b), Cell::Strs(items)) => {
            for item in items {
                b.values().append_value(item);
            }
            b.append(true);
        }
        (Builder::Bytes(b), Cell::Bytes(bytes)) => b.append_value(bytes),
        (Builder::Int32(b), Cell::Int(n)) => match i32::try_from(n) {
            Ok(n) => b.append_value(n),
            Err(_) => return false,
        },
        (Builder::Int32(b), Cell::Time(ts)) => b.append_value(ts.nanos),
        (Builder::Int64(b), Cell::Int(n)) => b.append_value(n),
        (Builder::Double(b), Cell::Float(f)) => b.append_value(f),
        (Builder::Bool(b), Cell::Bool(v)) => b.append_value(v),
        (Builder::Time(b), Cell::Time(ts)) => b.append_value(micros(ts)),
        (b, Cell::Null) => b.append_nulls(1),
        _ => return false,
    }
    true
}

/// Microseconds since the epoch, floored.
fn micros(ts: &Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(ts.nanos).div_euclid(1000))
}

fn wrong_builder() -> Error {
    Error::Mapping("column builder of the wrong type".into())
}

/// Adds a set field's reflected value (or null) to its column.
fn append(
    builder: &mut Builder,
    kind: Column,
    value: Option<(&lokryn_compliance_log::mapping::FieldMapping, &Value)>,
    maps: &lokryn_compliance_log::mapping::Mappings,
) -> Result<(), Error> {
    match (kind, builder) {
        (Column::Text, Builder::Text(b)) => match value {
            Some((_, Value::String(s))) => b.append_value(s),
            Some((m, Value::EnumNumber(n))) => {
                b.append_value(enum_value_name(
                    m.enum_name.as_deref().unwrap_or_default(),
                    *n,
                ));
            }
            Some((m, v @ Value::List(_))) => {
                b.append_value(
                    list(maps, &m.path, v, |f| {
                        f.path.rsplit('.').next().unwrap_or_default().to_owned()
                    })
                    .to_string(),
                );
            }
            _ => b.append_null(),
        },
        (Column::Texts, Builder::Texts(b)) => match value {
            Some((_, Value::List(items))) => {
                for item in items {
                    b.values().append_option(item.as_str());
                }
                b.append(true);
            }
            _ => b.append(false),
        },
        (Column::Bytes, Builder::Bytes(b)) => match value {
            Some((_, Value::Bytes(bytes))) => b.append_value(bytes),
            _ => b.append_null(),
        },
        (Column::Int32, Builder::Int32(b)) => {
            b.append_option(value.and_then(|(_, v)| v.as_i32()));
        }
        (Column::Int64, Builder::Int64(b)) => {
            b.append_option(value.and_then(|(_, v)| match v {
                Value::I64(n) => Some(*n),
                Value::U32(n) => Some(i64::from(*n)),
                _ => None,
            }));
        }
        (Column::Double, Builder::Double(b)) => {
            // A `float` field widened, as the typed path reads it.
            b.append_option(value.and_then(|(_, v)| v.as_f64().or(v.as_f32().map(f64::from))));
        }
        (Column::Bool, Builder::Bool(b)) => {
            b.append_option(value.and_then(|(_, v)| v.as_bool()));
        }
        (Column::Time, Builder::Time(b)) => {
            b.append_option(value.and_then(|(_, v)| timestamp(v)).map(|ts| micros(&ts)));
        }
        (Column::TimeNanos, Builder::Int32(b)) => {
            b.append_option(value.and_then(|(_, v)| timestamp(v)).map(|ts| ts.nanos));
        }
        _ => return Err(wrong_builder()),
    }
    Ok(())
}
