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

use arrow_array::ArrayRef;
use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use lokryn_compliance_log::access::{Access, FieldRef};
use lokryn_compliance_log::mapping::{FieldShape, mappings};
use lokryn_compliance_log::{LogEntry, Timestamp};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use prost_reflect::{Kind, Value};

use crate::fields::{enum_value_name, set_fields};
use crate::ocsf_writer::{ListPlan, write_list};
use crate::typed::{self, EnumNames};
use crate::value::{list, timestamp};
use crate::{Error, Record};

/// The Arrow batches [`FlatRows`] makes and [`FlatWriter::write_rows`] takes.
pub use arrow_array::RecordBatch;

/// Rows buffered before they are written out as one batch.
const BATCH_ROWS: usize = 8192;
/// The most room for values a column's builder starts a batch with (it
/// grows past it when it must): a batch of large values does not make
/// every later batch reserve as much.
const MAX_RESERVED_BYTES: usize = 16 << 20;
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

    /// A builder with room for `rows` rows, and `bytes` of string or
    /// bytes values.
    fn builder(self, rows: usize, bytes: usize) -> Builder {
        match self {
            Self::Text => Builder::Text(StringBuilder::with_capacity(rows, bytes)),
            Self::Bytes => Builder::Bytes(BinaryBuilder::with_capacity(rows, bytes)),
            Self::Int32 | Self::TimeNanos => Builder::Int32(Int32Builder::with_capacity(rows)),
            Self::Int64 => Builder::Int64(Int64Builder::with_capacity(rows)),
            Self::Double => Builder::Double(Float64Builder::with_capacity(rows)),
            Self::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            Self::Texts => Builder::Texts(ListBuilder::with_capacity(
                StringBuilder::with_capacity(rows, bytes),
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

    /// Bytes of string or bytes values held (0 for other columns).
    fn value_bytes(&mut self) -> usize {
        match self {
            Self::Text(b) => b.values_slice().len(),
            Self::Texts(b) => b.values().values_slice().len(),
            Self::Bytes(b) => b.values_slice().len(),
            _ => 0,
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
///
/// The rows can also be built elsewhere, on other threads, with
/// [`FlatRows`], and handed over as Arrow batches ([`FlatWriter::write_rows`]):
/// the file is the same as if their records had been pushed here one by
/// one in that order, batch for batch.
pub struct FlatWriter<W: Write + Send> {
    writer: Encoder<W>,
    /// The records pushed here and not yet written.
    rows: FlatRows,
}

/// The rows of the flat layout being built from records: the Arrow column
/// builders, filled through the typed plan (or by reflection), taken out as
/// a [`RecordBatch`] of the flat schema with [`FlatRows::take`].
///
/// Building the rows is most of the per-record work of a Parquet export;
/// a `FlatRows` per thread builds the batches of its records, and the
/// thread that owns the [`FlatWriter`] writes them in order.
pub struct FlatRows {
    schema: SchemaRef,
    columns: Vec<(String, String, Column)>,
    builders: Vec<Builder>,
    /// Rows each builder holds (values and nulls). A column that has no
    /// value in a record is not touched: its nulls are appended as one run
    /// when its next value (or the end of the batch) comes.
    filled: Vec<usize>,
    /// Bytes of values each column held in the last batch: the next
    /// batch's builders start with that much room (no growing copies), up
    /// to [`MAX_RESERVED_BYTES`].
    value_bytes: Vec<usize>,
    /// Rows a batch's builders start with room for.
    batch_rows: usize,
    /// How each column is read from a typed record; `None` when some
    /// column is not covered (every record then goes by reflection).
    typed: Option<TypedPlan>,
    /// The set cells of the record being added, by column (reused).
    cells: Vec<(usize, Cell<'static>)>,
    /// JSON text of the repeated messages of the record being added
    /// (reused).
    text: Vec<u8>,
    rows: usize,
    /// Records read by reflection so far.
    by_reflection: usize,
}
/// The typed plan: the columns, and the runs of them under one message.
struct TypedPlan {
    columns: Vec<TypedColumn>,
    groups: Vec<Group>,
}

/// A run of consecutive columns read from the same message.
struct Group {
    parent: Parent,
    columns: std::ops::Range<usize>,
}

/// Where the fields of a [`Group`] are read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent {
    /// `LogEntry` itself.
    Root,
    /// The message in this field of `LogEntry` (an unset one: every
    /// column of the group is null, at the cost of one read).
    Message(u32),
    /// Deeper: each field read on its own path.
    Deep,
}

/// How one column is read from a typed record.
struct TypedColumn {
    field: typed::Field,
    /// Its field number in its group's message.
    number: u32,
    kind: Column,
    /// Value names of an enum column.
    names: Option<EnumNames>,
    /// The JSON plan of a repeated message column.
    list: Option<ListPlan>,
}

/// One set value of one record, checked to fit its column.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Str(&'a str),
    Strs(lokryn_compliance_log::access::Strs<'a>),
    Bytes(&'a [u8]),
    Enum(i32),
    /// JSON text of a repeated message: a range of the writer's `text`.
    Json(usize, usize),
    Int32(i32),
    Int64(i64),
    Float(f64),
    Bool(bool),
    Time(&'a Timestamp),
}

impl<W: Write + Send> std::fmt::Debug for FlatWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlatWriter")
            .field("rows", &self.rows)
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
/// record (the event id, the time, the ids of a request, span or call) and
/// free text (the message, the payload, an error's message), which a
/// dictionary would mostly collect until it gave up on it, hashing every
/// value on the way. Repeated values in them still cost little room: each
/// page is compressed with zstd, which finds the repeats.
const NO_DICTIONARY: [&str; 12] = [
    "event_id",
    "time",
    "time_nanos",
    "message",
    "payload",
    "error_message",
    "request_id",
    "span_id",
    "parent_span_id",
    "genai_response_id",
    "genai_tool_call_id",
    "mcp_request_id",
];

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

    /// A writer into `out` that encodes on `threads` threads of its own,
    /// each its share of the columns (see [`FlatWriter::write_rows`]); the
    /// same file as [`FlatWriter::new`] writes. One thread or none: the
    /// calling thread encodes, as with [`FlatWriter::new`].
    pub fn with_threads(out: W, threads: usize) -> Result<Self, Error> {
        Self::with_properties_and_threads(out, flat_properties()?, threads)
    }

    /// [`FlatWriter::with_threads`] with other Parquet settings (for the
    /// tests, which cut row groups shorter).
    #[doc(hidden)]
    pub fn with_properties_and_threads(
        out: W,
        properties: WriterProperties,
        threads: usize,
    ) -> Result<Self, Error> {
        let max_row_group_rows = properties.max_row_group_size();
        let mut writer = Self::with_settings(out, true, properties)?;
        if threads > 1 {
            writer.writer = match writer.writer {
                Encoder::Arrow(arrow) => Encoder::Threads(ThreadedEncoder::new(
                    arrow,
                    &writer.rows.schema,
                    threads,
                    max_row_group_rows,
                )?),
                threaded => threaded,
            };
        }
        Ok(writer)
    }

    fn with_settings(out: W, typed: bool, properties: WriterProperties) -> Result<Self, Error> {
        let rows = FlatRows::with_plan(typed, BATCH_ROWS)?;
        let writer = ArrowWriter::try_new(out, Arc::clone(&rows.schema), Some(properties))
            .map_err(parquet_error)?;
        Ok(Self {
            writer: Encoder::Arrow(writer),
            rows,
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
        self.rows.push_record(record)?;
        if self.rows.len() >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Writes rows built by a [`FlatRows`] (on any thread), after the
    /// records pushed here before them. `rows` must have the flat schema
    /// ([`flat_schema`]); an empty batch writes nothing.
    pub fn write_rows(&mut self, rows: &RecordBatch) -> Result<(), Error> {
        if rows.schema() != self.rows.schema {
            return Err(Error::Write(
                "parquet: rows of another schema than the flat layout's".into(),
            ));
        }
        self.flush_batch()?;
        self.writer.write(rows)
    }

    fn flush_batch(&mut self) -> Result<(), Error> {
        match self.rows.take()? {
            Some(batch) => self.writer.write(&batch),
            None => Ok(()),
        }
    }

    /// How many records were read by reflection rather than by the typed
    /// plan (for the tests, which hold the plan to covering every record).
    #[doc(hidden)]
    pub fn rows_by_reflection(&self) -> usize {
        self.rows.by_reflection
    }

    /// Writes what is buffered and the file footer; returns the output.
    pub fn finish(mut self) -> Result<W, Error> {
        self.flush_batch()?;
        self.writer.into_inner()
    }
}

impl std::fmt::Debug for FlatRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlatRows")
            .field("rows", &self.rows)
            .field("typed", &self.typed.is_some())
            .finish_non_exhaustive()
    }
}

impl FlatRows {
    /// Empty rows, whose builders start each batch with room for
    /// `batch_rows` rows (they grow past it when they must).
    pub fn new(batch_rows: usize) -> Result<Self, Error> {
        Self::with_plan(true, batch_rows)
    }

    fn with_plan(typed: bool, batch_rows: usize) -> Result<Self, Error> {
        let schema = flat_schema()?;
        let columns = columns()?;
        let batch_rows = batch_rows.max(1);
        let value_bytes = vec![batch_rows * 16; columns.len()];
        let builders = columns
            .iter()
            .map(|(_, _, kind)| kind.builder(batch_rows, batch_rows * 16))
            .collect();
        let typed = if typed { typed_plan(&columns) } else { None };
        Ok(Self {
            schema,
            cells: Vec::with_capacity(columns.len()),
            filled: vec![0; columns.len()],
            value_bytes,
            batch_rows,
            columns,
            builders,
            typed,
            text: Vec::new(),
            rows: 0,
            by_reflection: 0,
        })
    }

    /// Rows held (added since the last [`FlatRows::take`]).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The Arrow schema of the rows (the flat layout's).
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Adds one record, decoded or a [view](Record::View) of an encoded
    /// one, as [`FlatWriter::push_record`] does.
    pub fn push_record(&mut self, record: Record<'_>) -> Result<(), Error> {
        if !self.push_typed(record.access())? {
            self.push_by_reflection(&*record.to_entry()?)?;
            self.by_reflection += 1;
        }
        self.rows += 1;
        Ok(())
    }

    /// Whether the record is one the typed plan covers (and so was added).
    /// Reads and checks every set value first, so that nothing is added
    /// unless all are; then appends them, each after its column's run of
    /// nulls. Unset values cost nothing here.
    fn push_typed(&mut self, entry: &dyn Access) -> Result<bool, Error> {
        let Some(plan) = &self.typed else {
            return Ok(false);
        };
        // The cells borrow `entry` for this call only: the vector is
        // emptied before it returns, and so never outlives the borrow (an
        // empty vector collected into another lifetime keeps its room).
        let mut cells: Vec<(usize, Cell<'_>)> =
            std::mem::take(&mut self.cells).into_iter().collect();
        cells.clear();
        self.text.clear();
        let covered = read_cells(plan, entry, &mut cells, &mut self.text);
        let mut result = Ok(covered);
        if covered {
            let row = self.rows;
            for &(i, cell) in &cells {
                let (Some(builder), Some(filled), Some(column)) = (
                    self.builders.get_mut(i),
                    self.filled.get_mut(i),
                    plan.columns.get(i),
                ) else {
                    result = Err(wrong_builder());
                    break;
                };
                if *filled < row {
                    builder.append_nulls(row - *filled);
                }
                *filled = row + 1;
                if !append_cell(builder, cell, column, &self.text) {
                    // Only a column whose builder does not match its kind
                    // (impossible: both come from `columns()`).
                    result = Err(wrong_builder());
                    break;
                }
            }
        }
        cells.clear();
        self.cells = cells.into_iter().map(|_| (0, Cell::Int32(0))).collect();
        result
    }

    /// Appends the nulls each column owes up to the current row.
    fn fill_nulls(&mut self) {
        for (builder, filled) in self.builders.iter_mut().zip(&mut self.filled) {
            if *filled < self.rows {
                builder.append_nulls(self.rows - *filled);
                *filled = self.rows;
            }
        }
    }

    fn push_by_reflection(&mut self, entry: &LogEntry) -> Result<(), Error> {
        self.fill_nulls();
        let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
        let set = set_fields(maps, entry);
        for ((path, _, kind), builder) in self.columns.iter().zip(self.builders.iter_mut()) {
            let value = set.iter().find(|f| &f.map.path == path);
            append(builder, *kind, value.map(|f| (f.map, &f.value)), maps)?;
        }
        for filled in &mut self.filled {
            *filled = self.rows + 1;
        }
        Ok(())
    }

    /// The rows held, as a batch of the flat schema (`None` when there are
    /// none); the builders start again empty.
    pub fn take(&mut self) -> Result<Option<RecordBatch>, Error> {
        if self.rows == 0 {
            return Ok(None);
        }
        self.fill_nulls();
        // Each column starts the next batch with room for a batch like
        // this one (a finished builder gives its buffers away and would
        // grow again).
        let batch_rows = self.batch_rows;
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .zip(&self.columns)
            .zip(&mut self.value_bytes)
            .map(|((b, (_, _, kind)), bytes)| {
                *bytes = b.value_bytes().min(MAX_RESERVED_BYTES);
                let mut full = std::mem::replace(b, kind.builder(batch_rows, *bytes));
                full.finish()
            })
            .collect();
        let batch =
            RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(parquet_error)?;
        self.rows = 0;
        self.filled.iter_mut().for_each(|f| *f = 0);
        Ok(Some(batch))
    }

    /// How many records were read by reflection rather than by the typed
    /// plan.
    #[doc(hidden)]
    pub fn rows_by_reflection(&self) -> usize {
        self.by_reflection
    }
}
/// What writes the batches of a [`FlatWriter`]: arrow-rs's [`ArrowWriter`]
/// on the calling thread, or the same column writers spread over threads.
enum Encoder<W: Write + Send> {
    Arrow(ArrowWriter<W>),
    Threads(ThreadedEncoder<W>),
}

impl<W: Write + Send> Encoder<W> {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        match self {
            Self::Arrow(w) => w.write(batch).map_err(parquet_error),
            Self::Threads(w) => w.write(batch),
        }
    }

    fn into_inner(self) -> Result<W, Error> {
        match self {
            Self::Arrow(w) => w.into_inner().map_err(parquet_error),
            Self::Threads(w) => w.into_inner(),
        }
    }
}

/// What an encoding thread is told.
enum Lane {
    /// The column writers of a new row group, with their column numbers.
    Start(Vec<(usize, ArrowColumnWriter)>),
    /// Rows to encode (each thread its own columns of them).
    Rows(RecordBatch),
    /// The row group is over: close the writers and send the chunks back.
    Close,
}

/// The column chunks of a row group an encoding thread closed, with their
/// column numbers.
type Chunks = Result<Vec<(usize, ArrowColumnChunk)>, Error>;

/// One encoding thread: where to send it work and get its chunks from.
struct EncodingThread {
    work: std::sync::mpsc::SyncSender<Lane>,
    chunks: std::sync::mpsc::Receiver<Chunks>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// [`ArrowWriter`]'s work spread over threads by column: each row group's
/// column writers (arrow-rs's [`ArrowColumnWriter`], made as `ArrowWriter`
/// makes them) are shared out among the threads, which encode their
/// columns of every batch; at the end of a row group the chunks come back
/// and are appended in column order, as `ArrowWriter` appends them. The
/// file is the same, byte for byte, as `ArrowWriter` writes from the same
/// batches (same column writers, fed the same leaves in the same order),
/// and row groups are cut at the same rows. Batches in flight are bounded
/// by the channels.
struct ThreadedEncoder<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    threads: Vec<EncodingThread>,
    /// Rows of the row group being written.
    buffered: usize,
    max_row_group_rows: usize,
}

impl<W: Write + Send> ThreadedEncoder<W> {
    fn new(
        writer: ArrowWriter<W>,
        schema: &SchemaRef,
        threads: usize,
        max_row_group_rows: usize,
    ) -> Result<Self, Error> {
        let max_row_group_rows = max_row_group_rows.max(1);
        let (file, factory) = writer.into_serialized_writer().map_err(parquet_error)?;
        let threads = (0..threads.max(1))
            .map(|_| {
                let (work, lane) = std::sync::mpsc::sync_channel::<Lane>(4);
                let (chunks_tx, chunks) = std::sync::mpsc::channel::<Chunks>();
                let schema = Arc::clone(schema);
                let thread = std::thread::Builder::new()
                    .name("parquet-encode".into())
                    .spawn(move || encode_columns(&schema, &lane, &chunks_tx))
                    .map_err(parquet_error)?;
                Ok(EncodingThread {
                    work,
                    chunks,
                    thread: Some(thread),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            file,
            factory,
            threads,
            buffered: 0,
            max_row_group_rows,
        })
    }

    fn send(thread: &EncodingThread, lane: Lane) -> Result<(), Error> {
        thread
            .work
            .send(lane)
            .map_err(|_| Error::Write("parquet: an encoding thread stopped".into()))
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        // Row groups are cut where `ArrowWriter` cuts them.
        if self.buffered + rows > self.max_row_group_rows {
            let first = self.max_row_group_rows - self.buffered;
            self.write(&batch.slice(0, first))?;
            return self.write(&batch.slice(first, rows - first));
        }
        if self.buffered == 0 {
            let index = self.file.flushed_row_groups().len();
            let writers = self
                .factory
                .create_column_writers(index)
                .map_err(parquet_error)?;
            if writers.len() != batch.num_columns() {
                return Err(Error::Write(
                    "parquet: a column writer per column expected".into(),
                ));
            }
            let n = self.threads.len();
            let mut shares: Vec<Vec<(usize, ArrowColumnWriter)>> =
                (0..n).map(|_| Vec::new()).collect();
            for (i, writer) in writers.into_iter().enumerate() {
                if let Some(share) = shares.get_mut(i % n) {
                    share.push((i, writer));
                }
            }
            for (thread, share) in self.threads.iter().zip(shares) {
                Self::send(thread, Lane::Start(share))?;
            }
        }
        for thread in &self.threads {
            Self::send(thread, Lane::Rows(batch.clone()))?;
        }
        self.buffered += rows;
        if self.buffered >= self.max_row_group_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Closes the row group being written and appends it to the file.
    fn flush(&mut self) -> Result<(), Error> {
        if self.buffered == 0 {
            return Ok(());
        }
        for thread in &self.threads {
            Self::send(thread, Lane::Close)?;
        }
        let mut chunks = Vec::new();
        for thread in &self.threads {
            let closed = thread
                .chunks
                .recv()
                .map_err(|_| Error::Write("parquet: an encoding thread stopped".into()))??;
            chunks.extend(closed);
        }
        chunks.sort_by_key(|(i, _)| *i);
        let mut row_group = self.file.next_row_group().map_err(parquet_error)?;
        for (_, chunk) in chunks {
            chunk
                .append_to_row_group(&mut row_group)
                .map_err(parquet_error)?;
        }
        row_group.close().map_err(parquet_error)?;
        self.buffered = 0;
        Ok(())
    }

    fn into_inner(mut self) -> Result<W, Error> {
        self.flush()?;
        self.stop();
        self.file.into_inner().map_err(parquet_error)
    }

    /// Ends the encoding threads (they see their channel closed; dropping
    /// the encoder ends them the same way, without waiting).
    fn stop(&mut self) {
        for thread in self.threads.drain(..) {
            let EncodingThread {
                work,
                chunks,
                thread,
            } = thread;
            drop(work);
            drop(chunks);
            if let Some(thread) = thread {
                let _ = thread.join();
            }
        }
    }
}

/// An encoding thread: encodes its columns of every batch into its column
/// writers until the row group is closed, then sends the chunks back.
fn encode_columns(
    schema: &SchemaRef,
    lane: &std::sync::mpsc::Receiver<Lane>,
    chunks: &std::sync::mpsc::Sender<Chunks>,
) {
    let mut writers: Vec<(usize, ArrowColumnWriter)> = Vec::new();
    let mut failed: Option<Error> = None;
    while let Ok(message) = lane.recv() {
        match message {
            Lane::Start(share) => {
                writers = share;
                failed = None;
            }
            Lane::Rows(batch) => {
                if failed.is_some() {
                    continue;
                }
                for (i, writer) in &mut writers {
                    let encoded = match (schema.fields().get(*i), batch.columns().get(*i)) {
                        (Some(field), Some(column)) => compute_leaves(field, column)
                            .and_then(|leaves| leaves.iter().try_for_each(|l| writer.write(l)))
                            .map_err(parquet_error),
                        _ => Err(Error::Write("parquet: no such column".into())),
                    };
                    if let Err(err) = encoded {
                        failed = Some(err);
                        break;
                    }
                }
            }
            Lane::Close => {
                let closed = match failed.take() {
                    Some(err) => Err(err),
                    None => std::mem::take(&mut writers)
                        .into_iter()
                        .map(|(i, w)| w.close().map(|c| (i, c)).map_err(parquet_error))
                        .collect(),
                };
                if chunks.send(closed).is_err() {
                    return;
                }
            }
        }
    }
}

/// The set values of a record, checked to fit their columns, into `cells`
/// (JSON text of repeated messages into `text`); `false` when a value is
/// one the typed plan does not cover.
fn read_cells<'a>(
    plan: &TypedPlan,
    entry: &'a dyn Access,
    cells: &mut Vec<(usize, Cell<'a>)>,
    text: &mut Vec<u8>,
) -> bool {
    for group in &plan.groups {
        let message = match group.parent {
            Parent::Root => entry,
            Parent::Message(number) => match entry.field(number) {
                FieldRef::Message(Some(m)) => m,
                FieldRef::Message(None) => continue,
                _ => return false,
            },
            Parent::Deep => {
                for i in group.columns.clone() {
                    let Some(column) = plan.columns.get(i) else {
                        return false;
                    };
                    match typed::read(entry, &column.field) {
                        Some(Some(value)) => match cell(column, value, text) {
                            Some(Some(c)) => cells.push((i, c)),
                            Some(None) => {}
                            None => return false,
                        },
                        Some(None) => {}
                        None => return false,
                    }
                }
                continue;
            }
        };
        let Some(columns) = plan.columns.get(group.columns.clone()) else {
            return false;
        };
        for (i, column) in group.columns.clone().zip(columns) {
            match cell(column, message.field(column.number), text) {
                Some(Some(c)) => cells.push((i, c)),
                Some(None) => {}
                None => return false,
            }
        }
    }
    true
}

/// The typed plan of the columns; `None` when one is not covered.
fn typed_plan(columns: &[(String, String, Column)]) -> Option<TypedPlan> {
    let root = typed::root()?;
    let columns = columns
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
            let number = *field.numbers.last()?;
            Some(TypedColumn {
                field,
                number,
                kind: *kind,
                names,
                list,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let mut groups: Vec<Group> = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let parent = match column.field.numbers.as_slice() {
            [_] => Parent::Root,
            [outer, _] => Parent::Message(*outer),
            _ => Parent::Deep,
        };
        match groups.last_mut() {
            Some(last) if last.parent == parent => last.columns.end = i + 1,
            _ => groups.push(Group {
                parent,
                columns: i..i + 1,
            }),
        }
    }
    Some(TypedPlan { columns, groups })
}

/// The cell of a value: `Some(None)` when it is unset (as
/// [`typed::is_set`] says), `None` for a value the typed plan does not
/// cover (then the general path adds the record). One `match` for both, as
/// it runs for every column of every record.
#[inline(always)]
fn cell<'a>(
    column: &TypedColumn,
    value: FieldRef<'a>,
    text: &mut Vec<u8>,
) -> Option<Option<Cell<'a>>> {
    let presence = column.field.presence;
    let cell = match value {
        FieldRef::Str(s) if !presence => {
            if s.is_empty() {
                return Some(None);
            }
            match column.kind {
                Column::Text => Cell::Str(s),
                _ => return None,
            }
        }
        FieldRef::Enum(n) => match n {
            Some(n) if presence || n != 0 => match column.kind {
                Column::Text if column.names.is_some() => Cell::Enum(n),
                _ => return None,
            },
            _ => return Some(None),
        },
        FieldRef::Timestamp(t) => match (t, column.kind) {
            (None, _) => return Some(None),
            (Some(ts), Column::Time | Column::TimeNanos) => Cell::Time(ts),
            _ => return None,
        },
        FieldRef::Int(n) => match n {
            Some(n) if presence || n != 0 => match column.kind {
                Column::Int32 => Cell::Int32(i32::try_from(n).ok()?),
                Column::Int64 => Cell::Int64(n),
                _ => return None,
            },
            _ => return Some(None),
        },
        FieldRef::Strs(items) => {
            if items.is_empty() {
                return Some(None);
            }
            match column.kind {
                Column::Texts => Cell::Strs(items),
                _ => return None,
            }
        }
        FieldRef::Bytes(b) if !presence => {
            if b.is_empty() {
                return Some(None);
            }
            match column.kind {
                Column::Bytes => Cell::Bytes(b),
                _ => return None,
            }
        }
        FieldRef::Float(f) => match f {
            Some(f) if presence || f.to_bits() != 0 => match column.kind {
                Column::Double => Cell::Float(f),
                _ => return None,
            },
            _ => return Some(None),
        },
        FieldRef::Bool(b) => match b {
            Some(b) if presence || b => match column.kind {
                Column::Bool => Cell::Bool(b),
                _ => return None,
            },
            _ => return Some(None),
        },
        FieldRef::Messages(items) => {
            if items.is_empty() {
                return Some(None);
            }
            if column.kind != Column::Text {
                return None;
            }
            let start = text.len();
            write_list(column.list.as_ref()?, items, text)?;
            std::str::from_utf8(text.get(start..)?).ok()?;
            Cell::Json(start, text.len())
        }
        // What `typed::is_set` tells apart but no column holds (an unset
        // one of these is still unset).
        other => {
            return if typed::is_set(&other, presence)? {
                None
            } else {
                Some(None)
            };
        }
    };
    Some(Some(cell))
}

/// Adds a cell to its column; `false` when the builder does not fit it.
fn append_cell(builder: &mut Builder, cell: Cell<'_>, column: &TypedColumn, text: &[u8]) -> bool {
    match (builder, cell) {
        (Builder::Text(b), Cell::Str(s)) => b.append_value(s),
        (Builder::Text(b), Cell::Enum(n)) => match &column.names {
            Some(names) => b.append_value(names.name(n)),
            None => return false,
        },
        (Builder::Text(b), Cell::Json(start, end)) => {
            // Checked as UTF-8 when it was written.
            match text.get(start..end).map(std::str::from_utf8) {
                Some(Ok(json)) => b.append_value(json),
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
        (Builder::Int32(b), Cell::Int32(n)) => b.append_value(n),
        (Builder::Int32(b), Cell::Time(ts)) => b.append_value(ts.nanos),
        (Builder::Int64(b), Cell::Int64(n)) => b.append_value(n),
        (Builder::Double(b), Cell::Float(f)) => b.append_value(f),
        (Builder::Bool(b), Cell::Bool(v)) => b.append_value(v),
        (Builder::Time(b), Cell::Time(ts)) => b.append_value(micros(ts)),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Records that set different columns, so that columns go without a
    /// value for a run of rows and then get one.
    fn records() -> Vec<LogEntry> {
        let mut out = Vec::new();
        for i in 0..40 {
            let mut entry = LogEntry {
                event_type: i % 7,
                actor_id: format!("actor-{i}"),
                ..Default::default()
            };
            if i % 3 == 0 {
                entry.host = format!("host-{i}");
            }
            if i % 5 == 0 {
                entry.policy_tags = vec!["SOC2".into(), format!("tag-{i}")];
                entry.duration_ms = i64::from(i) * 10;
            }
            out.push(entry);
        }
        out
    }

    /// A record added by reflection between typed ones (as one the typed
    /// plan does not cover would be) gets the row the typed path gives it,
    /// and the columns' runs of nulls on either side stay in step.
    #[test]
    fn reflected_rows_among_typed_ones_make_the_same_file() {
        let records = records();
        let mut mixed = FlatWriter::new(Vec::new()).unwrap();
        let mut typed = FlatWriter::new(Vec::new()).unwrap();
        for (i, entry) in records.iter().enumerate() {
            if i % 4 == 1 {
                mixed.rows.push_by_reflection(entry).unwrap();
                mixed.rows.rows += 1;
            } else {
                mixed.push(entry).unwrap();
            }
            typed.push(entry).unwrap();
        }
        assert_eq!(typed.rows_by_reflection(), 0);
        assert!(mixed.finish().unwrap() == typed.finish().unwrap());
    }

    /// The rows of the records, each read back as its column values (Debug
    /// text of every cell), row groups joined.
    fn read_back(file: Vec<u8>) -> (Vec<usize>, Vec<String>) {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(file)).unwrap();
        let groups = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| usize::try_from(g.num_rows()).unwrap())
            .collect();
        assert_eq!(builder.schema(), &flat_schema().unwrap());
        let mut rows = Vec::new();
        for batch in builder.build().unwrap() {
            let batch = batch.unwrap();
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = batch
                    .columns()
                    .iter()
                    .map(|c| format!("{:?}", c.slice(row, 1)))
                    .collect();
                rows.push(cells.join("|"));
            }
        }
        (groups, rows)
    }

    /// Rows built elsewhere ([`FlatRows`], in batches of any size) and
    /// written with [`FlatWriter::write_rows`], encoded on the calling
    /// thread or on several, make the file the records pushed one by one
    /// make: the same rows in the same row groups; and the threads write
    /// the bytes the calling thread writes from the same batches.
    #[test]
    fn rows_built_elsewhere_and_encoded_on_threads_make_the_same_file() {
        let mut all = Vec::new();
        for round in 0..70 {
            for mut entry in records() {
                entry.request_id = format!("req-{round}");
                all.push(entry);
            }
        }
        let properties = || {
            flat_properties()
                .unwrap()
                .into_builder()
                .set_max_row_group_size(1000)
                .build()
        };
        let mut one_by_one = FlatWriter::with_properties(Vec::new(), properties()).unwrap();
        for entry in &all {
            one_by_one.push(entry).unwrap();
        }
        let one_by_one = one_by_one.finish().unwrap();
        // Batches of uneven sizes, some across a row group's end.
        let sizes = [7, 512, 300, 1, 999, 1000, 64];
        let mut batches = Vec::new();
        let mut rows = FlatRows::new(64).unwrap();
        let mut at = 0;
        for (i, entry) in all.iter().enumerate() {
            rows.push_record(Record::Entry(entry)).unwrap();
            if i + 1 - at == sizes[batches.len() % sizes.len()] {
                batches.push(rows.take().unwrap().unwrap());
                at = i + 1;
            }
        }
        batches.extend(rows.take().unwrap());
        assert!(rows.take().unwrap().is_none());
        let write = |threads: usize| {
            let mut w =
                FlatWriter::with_properties_and_threads(Vec::new(), properties(), threads).unwrap();
            for batch in &batches {
                w.write_rows(batch).unwrap();
            }
            w.finish().unwrap()
        };
        let here = write(1);
        for threads in [2, 3, 5] {
            assert!(write(threads) == here, "{threads} threads");
        }
        let (groups, rows) = read_back(here);
        assert_eq!(groups, [1000, 1000, 800]);
        assert_eq!((groups, rows), read_back(one_by_one));
    }
}
