//! JSON Lines and length-delimited binary files, with rotation and
//! compression of rotated files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::compress::{Compression, Compressor};
use lokryn_compliance_log::stream::DelimitedReader;

use crate::{Record, Sink, SinkError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    JsonLines,
    Binary,
}

/// The file machinery both file sinks share.
#[derive(Debug)]
struct LogFile {
    format: Format,
    name: String,
    path: PathBuf,
    file: Option<File>,
    size: u64,
    opened: Instant,
    rotate_bytes: Option<u64>,
    rotate_every: Option<Duration>,
    compression: Compression,
    durable: bool,
    buf: Vec<u8>,
    /// A failure that did not concern a record (compressing a rotated
    /// file), for the next `flush` or `close` to report.
    deferred: Option<SinkError>,
    closed: bool,
}

impl LogFile {
    fn create(format: Format, path: &Path) -> Result<Self, SinkError> {
        let prefix = match format {
            Format::JsonLines => "jsonl",
            Format::Binary => "binary",
        };
        let mut out = Self {
            format,
            name: format!("{prefix}:{}", path.display()),
            path: path.to_owned(),
            file: None,
            size: 0,
            opened: Instant::now(),
            rotate_bytes: None,
            rotate_every: None,
            compression: Compression::None,
            durable: false,
            buf: Vec::new(),
            deferred: None,
            closed: false,
        };
        out.open()?;
        Ok(out)
    }

    /// Opens (or creates) the file for appending. A partial trailing record
    /// left by a crash is cut off first, so that appended records start at
    /// a record boundary (the partial one was never acknowledged).
    fn open(&mut self) -> Result<(), SinkError> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| self.io("creating the directory", &e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.io("opening", &e))?;
        let len = file.metadata().map_err(|e| self.io("reading", &e))?.len();
        let complete = match self.format {
            Format::JsonLines => complete_lines(&mut file, len),
            Format::Binary => complete_frames(&mut file),
        }
        .map_err(|e| self.io("checking the end of", &e))?;
        if complete < len {
            file.set_len(complete)
                .and_then(|()| file.sync_data())
                .map_err(|e| self.io("cutting a partial record off", &e))?;
        }
        self.size = complete;
        self.opened = Instant::now();
        self.file = Some(file);
        Ok(())
    }

    fn io(&self, what: &str, e: &io::Error) -> SinkError {
        SinkError::new("IO", format!("{what} {}: {e}", self.path.display()))
    }

    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
        if self.closed {
            return Err(SinkError::new("CLOSED", format!("{} is closed", self.name)));
        }
        self.buf.clear();
        match self.format {
            Format::JsonLines => {
                // The line is written into the buffer as text (empty, so
                // taking it as a `String` checks nothing), then given back.
                let mut line = String::from_utf8(std::mem::take(&mut self.buf)).unwrap_or_default();
                let written = record.write_json(&mut line);
                line.push('\n');
                self.buf = line.into_bytes();
                written?;
            }
            Format::Binary => {
                put_varint(&mut self.buf, record.encoded.len() as u64);
                self.buf.extend_from_slice(record.encoded);
            }
        }
        let len = self.buf.len() as u64;
        if self.due(len) {
            self.rotate()?;
        }
        if self.file.is_none() {
            // A rotation that could not open the new file: try again.
            self.open()?;
        }
        let Some(file) = self.file.as_mut() else {
            return Err(SinkError::new("IO", format!("{} is not open", self.name)));
        };
        let written = file.write_all(&self.buf).and_then(|()| {
            if self.durable {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            // The file may end in part of this record: cut it off so that the
            // next record starts at a boundary.
            let _ = file.set_len(self.size);
            return Err(self.io("writing", &e));
        }
        self.size += len;
        Ok(())
    }

    /// True when the next record of `len` bytes should go to a new file.
    fn due(&self, len: u64) -> bool {
        if self.size == 0 {
            return false;
        }
        self.rotate_bytes.is_some_and(|max| self.size + len > max)
            || self
                .rotate_every
                .is_some_and(|every| self.opened.elapsed() >= every)
    }

    /// Moves the current file aside under a time-stamped name and starts a
    /// new one; then compresses the rotated file when asked. A compression
    /// that fails leaves the rotated file uncompressed (readable as it is)
    /// and is reported by the next `flush` or `close`: the record being
    /// written is not refused for it.
    fn rotate(&mut self) -> Result<(), SinkError> {
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(|e| self.io("syncing", &e))?;
        }
        let rotated = self.rotated_name();
        fs::rename(&self.path, &rotated).map_err(|e| self.io("rotating", &e))?;
        self.open()?;
        sync_parent(&self.path).map_err(|e| self.io("syncing the directory of", &e))?;
        if self.compression != Compression::None
            && let Err(e) = compress_file(&rotated, self.compression)
        {
            self.deferred = Some(SinkError::new(
                "IO",
                format!("compressing {}: {e}", rotated.display()),
            ));
        }
        Ok(())
    }

    /// `dir/audit.jsonl` → `dir/audit.20261207T063800.123456789Z.jsonl`, with
    /// `-1`, `-2`… after the time when that name is taken.
    fn rotated_name(&self) -> PathBuf {
        let stamp = utc_stamp(SystemTime::now());
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = self
            .path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let suffix = match self.compression {
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
            _ => "",
        };
        let mut n = 0u32;
        loop {
            let dash = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            let candidate = self
                .path
                .with_file_name(format!("{stem}.{stamp}{dash}{ext}"));
            let compressed = PathBuf::from(format!("{}{suffix}", candidate.display()));
            if !candidate.exists() && !compressed.exists() {
                return candidate;
            }
            n += 1;
        }
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        if let Some(file) = &self.file {
            file.sync_data().map_err(|e| self.io("syncing", &e))?;
        }
        self.deferred.take().map_or(Ok(()), Err)
    }

    fn close(&mut self) -> Result<(), SinkError> {
        let result = self.flush();
        self.file = None;
        self.closed = true;
        result
    }
}

/// Appends `value` as a protobuf varint.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(u8::try_from(value & 0x7f).unwrap_or(0) | 0x80);
        value >>= 7;
    }
    out.push(u8::try_from(value).unwrap_or(0));
}

/// The length of the file up to and including its last newline.
fn complete_lines(file: &mut File, len: u64) -> io::Result<u64> {
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let n = usize::try_from(end.min(chunk.len() as u64)).unwrap_or(chunk.len());
        let start = end - n as u64;
        file.seek(SeekFrom::Start(start))?;
        let part = chunk.get_mut(..n).unwrap_or_default();
        file.read_exact(part)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The length of the file's complete length-delimited frames. Fails when the
/// file is not a stream of frames (rather than cutting off what is not ours).
fn complete_frames(file: &mut File) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = DelimitedReader::with_limits(
        BufReader::new(&mut *file),
        Limits::with_max_entry_bytes(usize::MAX),
    );
    let mut end = 0;
    while let Some(frame) = reader.next_frame() {
        match frame {
            Ok(_) => end = reader.position(),
            Err(e) => match e.root() {
                lokryn_compliance_log::Error::Truncated { .. } => break,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("not a length-delimited stream: {e}"),
                    ));
                }
            },
        }
    }
    Ok(end)
}

/// Compresses `path` into `path.gz` / `path.zst` (written to a temporary
/// name, synced, then renamed), then removes `path`.
fn compress_file(path: &Path, compression: Compression) -> io::Result<()> {
    let ext = match compression {
        Compression::Zstd => "zst",
        _ => "gz",
    };
    let target = PathBuf::from(format!("{}.{ext}", path.display()));
    let tmp = PathBuf::from(format!("{}.{ext}.tmp", path.display()));
    {
        let mut input = File::open(path)?;
        let out = File::create(&tmp)?;
        let mut compressor = Compressor::new(io::BufWriter::new(out), compression);
        io::copy(&mut input, &mut compressor)?;
        let out = compressor
            .finish()?
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        out.sync_all()?;
    }
    fs::rename(&tmp, &target)?;
    sync_parent(&target)?;
    fs::remove_file(path)
}

/// Syncs the directory holding `path`, so that a rename in it survives a crash.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// `20261207T063800.123456789Z`, UTC: fixed width, so that rotated files
/// sort by time.
fn utc_stamp(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (mut days, rem) = (secs / 86_400, secs % 86_400);
    let leap = |y: u64| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    // Rotation is rare: walking the years since 1970 is plenty fast.
    let mut year = 1970;
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let february = if leap(year) { 29 } else { 28 };
    let mut month = 1;
    for len in [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    format!(
        "{year:04}{month:02}{:02}T{:02}{:02}{:02}.{:09}Z",
        days + 1,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_nanos()
    )
}

macro_rules! file_sink {
    ($(#[$doc:meta])* $ty:ident, $format:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $ty {
            file: LogFile,
        }

        impl $ty {
            /// Opens `path` for appending (creating it and its directory). A
            /// partial trailing record left by a crash is cut off first.
            pub fn create(path: impl AsRef<Path>) -> Result<Self, SinkError> {
                Ok(Self {
                    file: LogFile::create($format, path.as_ref())?,
                })
            }

            /// Starts a new file when the next record would take this one
            /// over `bytes` (a record is never split; one larger than
            /// `bytes` gets a file of its own).
            #[must_use]
            pub fn rotate_bytes(mut self, bytes: u64) -> Self {
                self.file.rotate_bytes = Some(bytes);
                self
            }

            /// Starts a new file at the first record written `every` after
            /// the current one was opened.
            #[must_use]
            pub fn rotate_every(mut self, every: Duration) -> Self {
                self.file.rotate_every = Some(every);
                self
            }

            /// Compresses rotated files (`.gz` or `.zst` added to their name),
            /// as the core's readers and `complog` read them.
            #[must_use]
            pub fn compress_rotated(mut self, compression: Compression) -> Self {
                self.file.compression = compression;
                self
            }

            /// Syncs the data to the disk (`fdatasync`) before each write
            /// returns, so that an acknowledged record survives a power
            /// failure, not only a crash of the process.
            #[must_use]
            pub fn durable(mut self, durable: bool) -> Self {
                self.file.durable = durable;
                self
            }

            /// The path of the current file.
            pub fn path(&self) -> &Path {
                &self.file.path
            }
        }

        impl Sink for $ty {
            fn name(&self) -> &str {
                &self.file.name
            }

            fn wants_encoded(&self) -> bool {
                self.file.format == Format::Binary
            }

            fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
                self.file.write(record)
            }

            fn flush(&mut self, _deadline: Instant) -> Result<(), SinkError> {
                self.file.flush()
            }

            fn close(&mut self, _deadline: Instant) -> Result<(), SinkError> {
                self.file.close()
            }
        }
    };
}

file_sink!(
    /// A JSON Lines file: one canonical proto3 JSON record per line, written
    /// with one `write` per record and no buffering in the process, so that
    /// a record `log` returned is in the file even if the process is killed
    /// the next instant. `complog` and the core's `JsonLinesReader` read it.
    JsonLines,
    Format::JsonLines
);

file_sink!(
    /// A length-delimited binary file (varint length, then the protobuf
    /// encoding), as `complog` and the core's `DelimitedReader` and
    /// `read_entries` read it; written like [`JsonLines`].
    Binary,
    Format::Binary
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamp_is_civil_time() {
        let t = UNIX_EPOCH + Duration::new(1_796_625_480, 5);
        assert_eq!(utc_stamp(t), "20261207T063800.000000005Z");
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101T000000.000000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_stamp(leap), "20000229T000000.000000000Z");
        let new_year = UNIX_EPOCH + Duration::from_secs(1_798_761_599);
        assert_eq!(utc_stamp(new_year), "20261231T235959.000000000Z");
    }

    #[test]
    fn varint() {
        let mut out = Vec::new();
        put_varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
