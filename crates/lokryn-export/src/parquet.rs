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
    ArrayBuilder, BinaryBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder,
    ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use lokryn_compliance_log::LogEntry;
use lokryn_compliance_log::mapping::{FieldShape, mappings};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use prost_reflect::{Kind, Value};

use crate::Error;
use crate::fields::{enum_value_name, set_fields};
use crate::value::{list, timestamp};

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

    fn builder(self) -> Box<dyn ArrayBuilder> {
        match self {
            Self::Text => Box::new(StringBuilder::new()),
            Self::Bytes => Box::new(BinaryBuilder::new()),
            Self::Int32 | Self::TimeNanos => Box::new(Int32Builder::new()),
            Self::Int64 => Box::new(Int64Builder::new()),
            Self::Double => Box::new(Float64Builder::new()),
            Self::Bool => Box::new(BooleanBuilder::new()),
            Self::Texts => Box::new(ListBuilder::new(StringBuilder::new())),
            Self::Time => Box::new(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
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
pub struct FlatWriter<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    columns: Vec<(String, String, Column)>,
    builders: Vec<Box<dyn ArrayBuilder>>,
    rows: usize,
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
/// limits, statistics on.
pub(crate) fn properties() -> Result<WriterProperties, Error> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(parquet_error)?,
        ))
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .build())
}

impl<W: Write + Send> FlatWriter<W> {
    /// A writer into `out`.
    pub fn new(out: W) -> Result<Self, Error> {
        let schema = flat_schema()?;
        let columns = columns()?;
        let builders = columns.iter().map(|(_, _, kind)| kind.builder()).collect();
        let writer = ArrowWriter::try_new(out, Arc::clone(&schema), Some(properties()?))
            .map_err(parquet_error)?;
        Ok(Self {
            writer,
            schema,
            columns,
            builders,
            rows: 0,
        })
    }

    /// Adds one record.
    pub fn push(&mut self, entry: &LogEntry) -> Result<(), Error> {
        let maps = mappings().map_err(|e| Error::Mapping(e.0))?;
        let set = set_fields(maps, entry);
        for ((path, _, kind), builder) in self.columns.iter().zip(self.builders.iter_mut()) {
            let value = set.iter().find(|f| &f.map.path == path);
            append(
                builder.as_mut(),
                *kind,
                value.map(|f| (f.map, &f.value)),
                maps,
            )?;
        }
        self.rows += 1;
        if self.rows >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), Error> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let batch =
            RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(parquet_error)?;
        self.writer.write(&batch).map_err(parquet_error)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes what is buffered and the file footer; returns the output.
    pub fn finish(mut self) -> Result<W, Error> {
        self.flush_batch()?;
        self.writer.into_inner().map_err(parquet_error)
    }
}

fn downcast<T: 'static>(builder: &mut dyn ArrayBuilder) -> Result<&mut T, Error> {
    builder
        .as_any_mut()
        .downcast_mut::<T>()
        .ok_or_else(|| Error::Mapping("column builder of the wrong type".into()))
}

fn append(
    builder: &mut dyn ArrayBuilder,
    kind: Column,
    value: Option<(&lokryn_compliance_log::mapping::FieldMapping, &Value)>,
    maps: &lokryn_compliance_log::mapping::Mappings,
) -> Result<(), Error> {
    match kind {
        Column::Text => {
            let b = downcast::<StringBuilder>(builder)?;
            match value {
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
            }
        }
        Column::Texts => {
            let b = downcast::<ListBuilder<StringBuilder>>(builder)?;
            match value {
                Some((_, Value::List(items))) => {
                    for item in items {
                        b.values().append_option(item.as_str());
                    }
                    b.append(true);
                }
                _ => b.append(false),
            }
        }
        Column::Bytes => {
            let b = downcast::<BinaryBuilder>(builder)?;
            match value {
                Some((_, Value::Bytes(bytes))) => b.append_value(bytes),
                _ => b.append_null(),
            }
        }
        Column::Int32 => {
            let b = downcast::<Int32Builder>(builder)?;
            b.append_option(value.and_then(|(_, v)| v.as_i32()));
        }
        Column::Int64 => {
            let b = downcast::<Int64Builder>(builder)?;
            b.append_option(value.and_then(|(_, v)| match v {
                Value::I64(n) => Some(*n),
                Value::U32(n) => Some(i64::from(*n)),
                _ => None,
            }));
        }
        Column::Double => {
            let b = downcast::<Float64Builder>(builder)?;
            b.append_option(value.and_then(|(_, v)| v.as_f64()));
        }
        Column::Bool => {
            let b = downcast::<BooleanBuilder>(builder)?;
            b.append_option(value.and_then(|(_, v)| v.as_bool()));
        }
        Column::Time => {
            let b = downcast::<TimestampMicrosecondBuilder>(builder)?;
            b.append_option(value.and_then(|(_, v)| timestamp(v)).map(|ts| {
                ts.seconds
                    .saturating_mul(1_000_000)
                    .saturating_add(i64::from(ts.nanos).div_euclid(1000))
            }));
        }
        Column::TimeNanos => {
            let b = downcast::<Int32Builder>(builder)?;
            b.append_option(value.and_then(|(_, v)| timestamp(v)).map(|ts| ts.nanos));
        }
    }
    Ok(())
}
