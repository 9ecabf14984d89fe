//! Files of entries, delegated to `lokryn_compliance_log::stream`: a lazy
//! reader that yields `LogEntry` messages (or their bytes) one at a time, so
//! a file of any size streams in bounded memory, and a writer.
//!
//! A source or target is a path (`str` or `os.PathLike`), which the core
//! opens and buffers itself, or a binary file object (anything with `read`,
//! or `write`), which is called in chunks of 64 KiB. A reader also takes
//! `bytes`. gzip and zstd input is decompressed as it is read, told by its
//! magic bytes; a writer given a path ending in `.gz` or `.zst` compresses.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Read, Write};
use std::path::PathBuf;

use lokryn_compliance_log::codec::{self, Limits};
use lokryn_compliance_log::compress::{Compression, Compressor, Decompressed, decompress};
use lokryn_compliance_log::json::JsonOptions;
use lokryn_compliance_log::stream::{DelimitedReader, DelimitedWriter, JsonLinesReader};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes};

use crate::entries::{entry_bytes, log_entry_class, log_entry_from_bytes};
use crate::errors::{Context, at_index, refused_by_protobuf, to_py_err};

const CHUNK: usize = 64 * 1024;

/// A Python binary file object read through `read(n)`.
#[derive(Debug)]
struct PyFileReader(Py<PyAny>);

impl Read for PyFileReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let chunk = self
                .0
                .bind(py)
                .call_method1(intern!(py, "read"), (buf.len(),))?;
            let n = if let Ok(bytes) = chunk.cast::<PyBytes>() {
                copy_into(buf, bytes.as_bytes())
            } else if let Ok(array) = chunk.cast::<PyByteArray>() {
                copy_into(buf, &array.to_vec())
            } else if chunk.is_none() {
                // A non-blocking file with nothing to read yet.
                return Err(io::Error::from(io::ErrorKind::WouldBlock));
            } else {
                return Err(PyTypeError::new_err(format!(
                    "the file's read() returned {}, not bytes; open it in binary mode",
                    chunk.get_type().name()?
                ))
                .into());
            };
            n.ok_or_else(|| {
                PyValueError::new_err("the file's read(n) returned more than n bytes").into()
            })
        })
    }
}

fn copy_into(buf: &mut [u8], data: &[u8]) -> Option<usize> {
    buf.get_mut(..data.len())?.copy_from_slice(data);
    Some(data.len())
}

/// A Python binary file object written through `write(b)`.
#[derive(Debug)]
struct PyFileWriter(Py<PyAny>);

impl Write for PyFileWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let written = self
                .0
                .bind(py)
                .call_method1(intern!(py, "write"), (PyBytes::new(py, buf),))?;
            // Raw files may write less than asked and say so; buffered ones
            // write everything and may return None.
            Ok(written.extract::<Option<usize>>()?.unwrap_or(buf.len()))
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Python::attach(|py| {
            let file = self.0.bind(py);
            if file.hasattr(intern!(py, "flush"))? {
                file.call_method0(intern!(py, "flush"))?;
            }
            Ok(())
        })
    }
}

/// Where a reader's bytes come from.
#[derive(Debug)]
enum Source {
    File(BufReader<File>),
    Python(BufReader<PyFileReader>),
    Bytes(Cursor<PyBackedBytes>),
    /// One of the others, gzip- or zstd-compressed.
    Decompressed(Decompressing),
}

/// A decompressing reader. (In a `Mutex` only to be `Sync`, as a Python
/// class must be: it is reached through `get_mut`, never locked.)
struct Decompressing(std::sync::Mutex<Decompressed<'static>>);

impl Decompressing {
    fn get(&mut self) -> &mut Decompressed<'static> {
        self.0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Decompressing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decompressing")
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::File(r) => r.read(buf),
            Self::Python(r) => r.read(buf),
            Self::Bytes(r) => r.read(buf),
            Self::Decompressed(r) => r.get().read(buf),
        }
    }
}

impl BufRead for Source {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Self::File(r) => r.fill_buf(),
            Self::Python(r) => r.fill_buf(),
            Self::Bytes(r) => r.fill_buf(),
            Self::Decompressed(r) => r.get().fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            Self::File(r) => r.consume(amount),
            Self::Python(r) => r.consume(amount),
            Self::Bytes(r) => r.consume(amount),
            Self::Decompressed(r) => r.get().consume(amount),
        }
    }
}

/// The source, decompressed as it is read when it starts with gzip's or
/// zstd's magic bytes.
fn open_source(source: &Bound<'_, PyAny>) -> PyResult<Source> {
    let mut source = open_plain(source)?;
    let head = source.fill_buf()?;
    if head.is_empty() || (head.len() >= 4 && Compression::sniff(head) == Compression::None) {
        return Ok(source);
    }
    // Too few bytes to tell yet, or compressed: let the core look.
    let (_, reader) = decompress(source)?;
    Ok(Source::Decompressed(Decompressing(std::sync::Mutex::new(
        reader,
    ))))
}

fn open_plain(source: &Bound<'_, PyAny>) -> PyResult<Source> {
    if let Ok(bytes) = source.extract::<PyBackedBytes>() {
        return Ok(Source::Bytes(Cursor::new(bytes)));
    }
    if let Ok(path) = source.extract::<PathBuf>() {
        let file = File::open(&path).map_err(|e| with_path(&e, &path))?;
        return Ok(Source::File(BufReader::with_capacity(CHUNK, file)));
    }
    if source.hasattr(intern!(source.py(), "read"))? {
        let reader = PyFileReader(source.clone().unbind());
        return Ok(Source::Python(BufReader::with_capacity(CHUNK, reader)));
    }
    Err(PyTypeError::new_err(format!(
        "expected a path, bytes or a binary file object to read entries from, got {}",
        source.get_type().name()?
    )))
}

fn with_path(err: &io::Error, path: &std::path::Path) -> PyErr {
    PyErr::from(io::Error::new(
        err.kind(),
        format!("{}: {err}", path.display()),
    ))
}

/// The size limits of a `max_entry_bytes` argument: the default when
/// `None`. Readers and writers take the same argument, so that what a writer
/// was allowed to write, a reader given the same value reads.
pub(crate) fn limits(max_entry_bytes: Option<usize>) -> PyResult<Limits> {
    match max_entry_bytes {
        None => Ok(Limits::DEFAULT),
        Some(0) => Err(PyValueError::new_err("max_entry_bytes must be positive")),
        Some(n) => Ok(Limits::with_max_entry_bytes(n)),
    }
}

/// The two framings a reader understands.
#[derive(Debug)]
enum Framing {
    Delimited(DelimitedReader<Source>),
    JsonLines(JsonLinesReader<Source>),
}

/// Reads entries from a file lazily; iterate over it. Yields `LogEntry`
/// messages, or each entry's serialized bytes with `raw=True`.
///
/// `format` is `"binary"` (length-delimited protobuf, the default) or
/// `"jsonl"` (one JSON entry per line). An entry that cannot be read raises
/// `DecodeError` or `JsonError` naming its index and byte offset; when the
/// framing is intact (a body that does not decode, a bad JSON line) the
/// iteration can go on with the next entry.
#[pyclass(module = "lokryn_compliance_log")]
#[derive(Debug)]
pub(crate) struct EntryReader {
    framing: Option<Framing>,
    raw: bool,
    count: u64,
}

#[pymethods]
impl EntryReader {
    #[new]
    #[pyo3(signature = (source, *, format = "binary", raw = false, max_entry_bytes = None, ignore_unknown_fields = false))]
    fn new(
        source: &Bound<'_, PyAny>,
        format: &str,
        raw: bool,
        max_entry_bytes: Option<usize>,
        ignore_unknown_fields: bool,
    ) -> PyResult<Self> {
        let limits = limits(max_entry_bytes)?;
        let framing = match format {
            "binary" => {
                Framing::Delimited(DelimitedReader::with_limits(open_source(source)?, limits))
            }
            "jsonl" => {
                let mut options =
                    JsonOptions::default().ignore_unknown_fields(ignore_unknown_fields);
                options.limits = limits;
                Framing::JsonLines(JsonLinesReader::with_options(open_source(source)?, options))
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown format {other:?}; expected \"binary\" or \"jsonl\""
                )));
            }
        };
        Ok(Self {
            framing: Some(framing),
            raw,
            count: 0,
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(framing) = self.framing.as_mut() else {
            return Err(PyValueError::new_err(
                "I/O operation on a closed EntryReader",
            ));
        };
        let item = match framing {
            Framing::Delimited(reader) => match reader.next_frame() {
                None => return Ok(None),
                Some(Err(e)) => return Err(to_py_err(py, &e, Context::Binary)),
                Some(Ok(frame)) if self.raw => PyBytes::new(py, &frame.bytes).into_any(),
                // google.protobuf parses; the core explains a refusal.
                Some(Ok(frame)) => log_entry_from_bytes(py, &frame.bytes).map_err(|err| {
                    let explained = codec::decode(&frame.bytes)
                        .err()
                        .map(|e| e.at_entry(frame.index, frame.offset, None));
                    match explained {
                        Some(e) => to_py_err(py, &e, Context::Binary),
                        None => refused_by_protobuf(py, &err, frame.index, frame.offset),
                    }
                })?,
            },
            Framing::JsonLines(reader) => match reader.next() {
                None => return Ok(None),
                Some(Err(e)) => return Err(to_py_err(py, &e, Context::Json)),
                Some(Ok(entry)) if self.raw => PyBytes::new(py, &codec::encode(&entry)).into_any(),
                Some(Ok(entry)) => log_entry_from_bytes(py, &codec::encode(&entry))?,
            },
        };
        self.count += 1;
        Ok(Some(item))
    }

    /// How many entries have been yielded so far.
    #[getter]
    fn count(&self) -> u64 {
        self.count
    }

    /// How many bytes of the source have been consumed so far (of the
    /// decompressed stream, when the source is compressed).
    #[getter]
    fn position(&self) -> u64 {
        match &self.framing {
            Some(Framing::Delimited(r)) => r.position(),
            Some(Framing::JsonLines(r)) => r.position(),
            None => 0,
        }
    }

    /// Closes the file the reader opened (a file object passed in is left
    /// open: it is the caller's).
    fn close(&mut self) {
        self.framing = None;
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }
}

/// Reads entries lazily from a path, bytes or binary file object; the same
/// as `EntryReader(source, ...)`.
#[pyfunction]
#[pyo3(signature = (source, *, format = "binary", raw = false, max_entry_bytes = None, ignore_unknown_fields = false))]
pub(crate) fn read_entries(
    source: &Bound<'_, PyAny>,
    format: &str,
    raw: bool,
    max_entry_bytes: Option<usize>,
    ignore_unknown_fields: bool,
) -> PyResult<EntryReader> {
    EntryReader::new(source, format, raw, max_entry_bytes, ignore_unknown_fields)
}

/// Where a writer's bytes go.
#[derive(Debug)]
enum Sink {
    File(BufWriter<File>),
    /// A file whose name ends in `.gz` or `.zst`.
    Compressed(Compressor<BufWriter<File>>),
    Python(BufWriter<PyFileWriter>),
}

impl Sink {
    /// Flushes, completing a compressed file.
    fn finish(self) -> io::Result<()> {
        match self {
            Self::File(mut w) => w.flush(),
            Self::Compressed(w) => w.finish().map(drop),
            Self::Python(mut w) => w.flush(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::File(w) => w.write(buf),
            Self::Compressed(w) => w.write(buf),
            Self::Python(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::File(w) => w.write_all(buf),
            Self::Compressed(w) => w.write_all(buf),
            Self::Python(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::File(w) => w.flush(),
            Self::Compressed(w) => w.flush(),
            Self::Python(w) => w.flush(),
        }
    }
}

/// Writes entries to a file, length-delimited (the framing `EntryReader`
/// reads by default, and Java's `writeDelimitedTo`, protobuf-es's
/// `sizeDelimitedEncode` and C++'s `SerializeDelimitedToOstream` write).
///
/// Use it as a context manager, or call `close()`: writes are buffered.
#[pyclass(module = "lokryn_compliance_log")]
#[derive(Debug)]
pub(crate) struct EntryWriter {
    inner: Option<DelimitedWriter<Sink>>,
    limits: Limits,
    count: u64,
}

impl EntryWriter {
    fn writer(&mut self) -> PyResult<&mut DelimitedWriter<Sink>> {
        self.inner
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("I/O operation on a closed EntryWriter"))
    }

    fn write_one(&mut self, entry: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = entry.py();
        let bytes = entry_bytes(entry)?;
        // Bytes from the caller must be an entry; a message's own
        // serialization is. Either way an entry over the limit is refused
        // (TOO_LARGE) before any of it is written.
        if entry.is_instance_of::<PyBytes>() || !entry.get_type().is(log_entry_class(py)?) {
            codec::decode_with(bytes.as_bytes(), &self.limits)
                .map_err(|e| to_py_err(py, &e, Context::Binary))?;
        }
        self.writer()?
            .write_encoded(bytes.as_bytes())
            .map_err(|e| to_py_err(py, &e, Context::Binary))?;
        self.count += 1;
        Ok(())
    }
}

#[pymethods]
impl EntryWriter {
    /// Opens `target` (a path, created or truncated, or appended to with
    /// `append=True`, compressed when it ends in `.gz` or `.zst`; or a
    /// binary file object). An entry whose encoding is over
    /// `max_entry_bytes` (default 4 MiB, the readers' default) is refused
    /// with `DecodeError` code `TOO_LARGE`; give the readers of the file the
    /// same `max_entry_bytes` when raising it.
    #[new]
    #[pyo3(signature = (target, *, append = false, max_entry_bytes = None))]
    fn new(
        target: &Bound<'_, PyAny>,
        append: bool,
        max_entry_bytes: Option<usize>,
    ) -> PyResult<Self> {
        let limits = limits(max_entry_bytes)?;
        let sink = if let Ok(path) = target.extract::<PathBuf>() {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .append(append)
                .truncate(!append)
                .open(&path)
                .map_err(|e| with_path(&e, &path))?;
            let file = BufWriter::with_capacity(CHUNK, file);
            match Compression::from_path(&path) {
                Compression::None => Sink::File(file),
                // Appending adds a gzip member or zstd frames: readers take
                // the file as one stream.
                compression => Sink::Compressed(Compressor::new(file, compression)),
            }
        } else if target.hasattr(intern!(target.py(), "write"))? {
            let writer = PyFileWriter(target.clone().unbind());
            Sink::Python(BufWriter::with_capacity(CHUNK, writer))
        } else {
            return Err(PyTypeError::new_err(format!(
                "expected a path or a binary file object to write entries to, got {}",
                target.get_type().name()?
            )));
        };
        Ok(Self {
            inner: Some(DelimitedWriter::with_limits(sink, limits)),
            limits,
            count: 0,
        })
    }

    /// Writes one entry: a `LogEntry` message or its serialized bytes.
    fn write(&mut self, entry: &Bound<'_, PyAny>) -> PyResult<()> {
        self.write_one(entry)
    }

    /// Writes every entry of an iterable; returns how many were written.
    fn write_many(&mut self, entries: &Bound<'_, PyAny>) -> PyResult<u64> {
        let py = entries.py();
        let mut written = 0;
        for (index, item) in entries.try_iter()?.enumerate() {
            self.write_one(&item?).map_err(|e| at_index(py, e, index))?;
            written += 1;
        }
        Ok(written)
    }

    /// How many entries have been written.
    #[getter]
    fn count(&self) -> u64 {
        self.count
    }

    /// Pushes buffered entries to the file.
    fn flush(&mut self) -> PyResult<()> {
        Ok(self.writer()?.flush()?)
    }

    /// Flushes and closes the file the writer opened (a file object passed
    /// in is flushed and left open: it is the caller's). Closing twice is
    /// allowed.
    fn close(&mut self) -> PyResult<()> {
        match self.inner.take() {
            Some(writer) => Ok(writer.into_inner().finish()?),
            None => Ok(()),
        }
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&mut self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }
}

/// Writes every entry of an iterable to `target` (a path or a binary file
/// object) and returns how many were written.
#[pyfunction]
#[pyo3(signature = (target, entries, *, append = false, max_entry_bytes = None))]
pub(crate) fn write_entries(
    target: &Bound<'_, PyAny>,
    entries: &Bound<'_, PyAny>,
    append: bool,
    max_entry_bytes: Option<usize>,
) -> PyResult<u64> {
    let mut writer = EntryWriter::new(target, append, max_entry_bytes)?;
    let written = writer.write_many(entries);
    let closed = writer.close();
    let written = written?;
    closed?;
    Ok(written)
}
