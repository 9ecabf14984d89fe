//! OCSF events as Parquet in the layout Amazon Security Lake expects from a
//! custom source: one OCSF class per source folder, partitioned
//! `region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/`, rows sorted by
//! `time`, zstd-compressed, with OCSF's nested objects as Parquet structs
//! and `unmapped` as a map of strings (as Security Lake's tables declare it).
//!
//! Events are buffered per partition and written when the buffer holds
//! [`SecurityLakeWriter::with_max_buffered`] rows (or at the end), so memory
//! stays bounded however large the input; each write is one file, sorted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_json::reader::infer_json_schema_from_iterator;
use arrow_schema::{DataType, Field, Fields, Schema};
use lokryn_compliance_log::LogEntry;
use parquet::arrow::ArrowWriter;
use serde_json::{Map, Value};

use crate::parquet::properties;
use crate::{Error, Options, ocsf};

/// Rows buffered across partitions before the largest is written.
const DEFAULT_MAX_BUFFERED: usize = 100_000;

/// Where one partition's files go: (class folder, event day).
type Key = (String, String);

/// Writes OCSF events into a Security Lake custom-source folder tree.
#[derive(Debug)]
pub struct SecurityLakeWriter {
    root: PathBuf,
    region: String,
    account_id: String,
    options: Options,
    buffered: BTreeMap<Key, Vec<(i64, Value)>>,
    rows: usize,
    max_buffered: usize,
    files: Vec<PathBuf>,
}

/// The folder of a class: its name in snake case and its uid
/// (`api_activity_6003`).
fn class_folder(event: &Value) -> String {
    let name = event
        .get("class_name")
        .and_then(Value::as_str)
        .unwrap_or("base_event")
        .to_ascii_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let uid = event
        .get("class_uid")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    format!("{name}_{uid}")
}

/// `YYYYMMDD` of a time in milliseconds since the epoch (UTC).
fn event_day(ms: i64) -> String {
    let ts = lokryn_compliance_log::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: 0,
    };
    let text = crate::value::rfc3339(&ts);
    text.get(..10).unwrap_or_default().replace('-', "")
}

/// `unmapped` as Security Lake declares it: a map of strings (values that
/// are not strings as their JSON text).
fn flatten_unmapped(event: &mut Value) {
    if let Some(Value::Object(unmapped)) = event.get_mut("unmapped") {
        let flat: Map<String, Value> = std::mem::take(unmapped)
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, Value::String(s)),
                other => (k, Value::String(other.to_string())),
            })
            .collect();
        *unmapped = flat;
    }
}

fn arrow_error(e: impl std::fmt::Display) -> Error {
    Error::Write(format!("parquet: {e}"))
}

impl SecurityLakeWriter {
    /// A writer into the folder `root`, for the Security Lake region and
    /// AWS account id of the partitions.
    pub fn new(root: &Path, region: &str, account_id: &str, options: Options) -> Self {
        Self {
            root: root.to_path_buf(),
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            options,
            buffered: BTreeMap::new(),
            rows: 0,
            max_buffered: DEFAULT_MAX_BUFFERED,
            files: Vec::new(),
        }
    }

    /// Rows buffered (across partitions) before the largest partition is
    /// written; at least 1.
    pub fn with_max_buffered(mut self, rows: usize) -> Self {
        self.max_buffered = rows.max(1);
        self
    }

    /// Adds one record.
    pub fn push(&mut self, entry: &LogEntry) -> Result<(), Error> {
        let mut event = ocsf::to_ocsf(entry, &self.options)?;
        let time = event
            .get("time")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        flatten_unmapped(&mut event);
        let key = (class_folder(&event), event_day(time));
        self.buffered.entry(key).or_default().push((time, event));
        self.rows += 1;
        if self.rows >= self.max_buffered {
            let largest = self
                .buffered
                .iter()
                .max_by_key(|(_, rows)| rows.len())
                .map(|(k, _)| k.clone());
            if let Some(key) = largest {
                self.write_partition(&key)?;
            }
        }
        Ok(())
    }

    fn write_partition(&mut self, key: &Key) -> Result<(), Error> {
        let Some(mut rows) = self.buffered.remove(key) else {
            return Ok(());
        };
        self.rows -= rows.len();
        rows.sort_by_key(|(time, _)| *time);
        let events: Vec<Value> = rows.into_iter().map(|(_, e)| e).collect();

        // Nested objects become structs, inferred from these events;
        // `unmapped` is declared a map of strings.
        let without_unmapped = events.iter().map(|e| {
            let mut e = e.clone();
            if let Value::Object(map) = &mut e {
                map.remove("unmapped");
            }
            Ok::<_, arrow_schema::ArrowError>(e)
        });
        let inferred = infer_json_schema_from_iterator(without_unmapped).map_err(arrow_error)?;
        let mut fields: Vec<Arc<Field>> = inferred.fields().iter().cloned().collect();
        if events.iter().any(|e| e.get("unmapped").is_some()) {
            let entries = Field::new(
                "entries",
                DataType::Struct(Fields::from(vec![
                    Field::new("key", DataType::Utf8, false),
                    Field::new("value", DataType::Utf8, true),
                ])),
                false,
            );
            fields.push(Arc::new(Field::new(
                "unmapped",
                DataType::Map(Arc::new(entries), false),
                true,
            )));
        }
        let schema = Arc::new(Schema::new(fields));
        let mut decoder = arrow_json::ReaderBuilder::new(Arc::clone(&schema))
            .with_batch_size(events.len().max(1))
            .build_decoder()
            .map_err(arrow_error)?;
        decoder.serialize(&events).map_err(arrow_error)?;

        let (class, day) = key;
        let dir = self
            .root
            .join(class)
            .join(format!("region={}", self.region))
            .join(format!("accountId={}", self.account_id))
            .join(format!("eventDay={day}"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Write(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!("part-{:05}.zstd.parquet", self.files.len()));
        let file =
            File::create(&path).map_err(|e| Error::Write(format!("{}: {e}", path.display())))?;
        let mut writer = ArrowWriter::try_new(BufWriter::new(file), schema, Some(properties()?))
            .map_err(arrow_error)?;
        while let Some(batch) = decoder.flush().map_err(arrow_error)? {
            writer.write(&batch).map_err(arrow_error)?;
        }
        writer.close().map_err(arrow_error)?;
        self.files.push(path);
        Ok(())
    }

    /// Writes every buffered partition; returns the files written.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, Error> {
        let keys: Vec<Key> = self.buffered.keys().cloned().collect();
        for key in keys {
            self.write_partition(&key)?;
        }
        Ok(self.files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_days_are_utc_dates() {
        assert_eq!(event_day(0), "19700101");
        assert_eq!(event_day(1_764_321_234_567), "20251128");
        assert_eq!(event_day(-1), "19691231");
    }
}
