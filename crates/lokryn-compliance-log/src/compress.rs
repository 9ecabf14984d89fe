//! Gzip- and zstd-compressed streams (feature `compression`): rotated audit
//! logs are usually stored as `audit.jsonl.gz` or `audit.binpb.zst`.
//!
//! [`decompress`] wraps a reader so that compressed input, recognised by its
//! magic bytes, is decompressed as it is read, and anything else passes
//! through unchanged; the readers of [`crate::stream`] then take it as they
//! would the plain file. Decompression streams: memory stays bounded by the
//! readers' [`Limits`](crate::codec::Limits), one entry at a time, however
//! large the decompressed data is (a decompression bomb costs time, never
//! memory). Concatenated gzip members and zstd frames are read in order, as
//! `zcat` and `zstdcat` do, and zstd's skippable frames are skipped.
//!
//! [`Compressor`] writes either format; the file name picks it with
//! [`Compression::from_path`]. Both decoders and encoders are pure Rust
//! (miniz_oxide through flate2, and ruzstd).
//!
//! ```
//! use std::io::{BufRead, Write};
//! use lokryn_compliance_log::compress::{Compression, Compressor, decompress};
//!
//! let mut writer = Compressor::new(Vec::new(), Compression::Zstd);
//! writer.write_all(b"{\"actorId\":\"alice\"}\n")?;
//! let bytes = writer.finish()?;
//!
//! let (found, mut reader) = decompress(bytes.as_slice())?;
//! assert_eq!(found, Compression::Zstd);
//! let mut line = String::new();
//! reader.read_line(&mut line)?;
//! assert_eq!(line, "{\"actorId\":\"alice\"}\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::path::Path;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// A compression format of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952), `.gz`.
    Gzip,
    /// Zstandard (RFC 8878), `.zst`.
    Zstd,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// The longest magic number, the bytes [`decompress`] looks at.
const MAGIC_LEN: usize = 4;
/// Uncompressed bytes per zstd frame written by [`Compressor`].
const ZSTD_FRAME: usize = 1 << 20;

impl Compression {
    /// The compression the first bytes of a stream show: gzip's `1f 8b` or
    /// zstd's `28 b5 2f fd`; [`Compression::None`] otherwise. (No entry
    /// stream starts with either: a length-delimited stream would start
    /// with a 31-byte entry whose first field has tag `8b`, which is not a
    /// valid field key.)
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(ZSTD_MAGIC) {
            Self::Zstd
        } else if head.starts_with(GZIP_MAGIC) {
            Self::Gzip
        } else {
            Self::None
        }
    }

    /// The compression a file name asks for: `.gz` or `.zst` (any case).
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("gz") => Self::Gzip,
            Some("zst") => Self::Zstd,
            _ => Self::None,
        }
    }

    /// The file name without its compression extension (`day.jsonl.gz` →
    /// `day.jsonl`), whose own extension names the format of the entries.
    pub fn strip_extension(path: &Path) -> Cow<'_, Path> {
        match Self::from_path(path) {
            Self::None => Cow::Borrowed(path),
            _ => Cow::Owned(path.with_extension("")),
        }
    }

    /// The lower-case name: `none`, `gzip`, `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
        }
    }
}

/// A reader decompressing what it reads, or passing it through.
pub type Decompressed<'a> = Box<dyn BufRead + Send + 'a>;

/// Wraps `inner` so that gzip or zstd input (told by its magic bytes) is
/// decompressed as it is read; other input passes through unchanged.
/// Returns the compression found. Reads at most four bytes before
/// returning; errors in the compressed data surface from the reads that
/// meet them, as [`io::ErrorKind::InvalidData`].
pub fn decompress<'a, R: BufRead + Send + 'a>(
    mut inner: R,
) -> io::Result<(Compression, Decompressed<'a>)> {
    // Usually the buffer already holds the magic bytes: look without
    // consuming them. Otherwise take them out and put them back in front.
    let peeked = inner.fill_buf()?;
    if peeked.len() >= MAGIC_LEN {
        let compression = Compression::sniff(peeked);
        return Ok((compression, wrap(compression, inner)));
    }
    let mut head = Vec::with_capacity(MAGIC_LEN);
    while head.len() < MAGIC_LEN {
        let available = inner.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let take = available.len().min(MAGIC_LEN - head.len());
        head.extend_from_slice(available.get(..take).unwrap_or_default());
        inner.consume(take);
    }
    let compression = Compression::sniff(&head);
    Ok((
        compression,
        wrap(compression, Cursor::new(head).chain(inner)),
    ))
}

fn wrap<'a, R: BufRead + Send + 'a>(compression: Compression, inner: R) -> Decompressed<'a> {
    match compression {
        Compression::None => Box::new(inner),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            64 * 1024,
            GzipReader(flate2::bufread::MultiGzDecoder::new(inner)),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            64 * 1024,
            ZstdReader {
                source: inner,
                decoder: FrameDecoder::new(),
                in_frame: false,
            },
        )),
    }
}

/// flate2's gzip decoder, whose errors about the data (a bad header or
/// checksum, which it calls invalid input) are reported as invalid data.
struct GzipReader<R>(flate2::bufread::MultiGzDecoder<R>);

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|err| match err.kind() {
            io::ErrorKind::InvalidInput => {
                io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {err}"))
            }
            _ => err,
        })
    }
}

/// Reads every zstd frame of `source` in turn (ruzstd's own streaming
/// decoder stops after the first).
struct ZstdReader<R> {
    source: R,
    decoder: FrameDecoder,
    in_frame: bool,
}

fn invalid(err: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {err}"))
}

impl<R: BufRead> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if self.source.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                match self.decoder.reset(&mut self.source) {
                    Ok(()) => self.in_frame = true,
                    Err(FrameDecoderError::ReadFrameHeaderError(
                        ReadFrameHeaderError::SkipFrame { length, .. },
                    )) => {
                        let skipped = io::copy(
                            &mut (&mut self.source).take(u64::from(length)),
                            &mut io::sink(),
                        )?;
                        if skipped < u64::from(length) {
                            return Err(invalid("the input ended inside a skippable frame"));
                        }
                        continue;
                    }
                    Err(err) => return Err(invalid(err)),
                }
            }
            while self.decoder.can_collect() < buf.len() && !self.decoder.is_finished() {
                let wanted = buf.len() - self.decoder.can_collect();
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBytes(wanted))
                    .map_err(invalid)?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The frame is decoded and drained: check it, then go on with
            // the next one, if any.
            if let (Some(stored), Some(computed)) = (
                self.decoder.get_checksum_from_data(),
                self.decoder.get_calculated_checksum(),
            ) {
                if stored != computed {
                    return Err(invalid("checksum mismatch: the data is corrupted"));
                }
            }
            self.in_frame = false;
        }
    }
}

/// Writes a stream compressed as asked ([`Compression::None`] writes it as
/// is). Call [`Compressor::finish`] at the end: it writes the trailer
/// (gzip) or the last frame (zstd, written in frames of 1 MiB so that
/// memory stays bounded).
#[derive(Debug)]
pub struct Compressor<W: Write> {
    inner: Encoder<W>,
}

enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd {
        out: W,
        pending: Vec<u8>,
        frames: u64,
    },
}

impl<W: Write> std::fmt::Debug for Encoder<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Plain",
            Self::Gzip(_) => "Gzip",
            Self::Zstd { .. } => "Zstd",
        })
    }
}

impl<W: Write> Compressor<W> {
    /// A writer compressing into `out`.
    pub fn new(out: W, compression: Compression) -> Self {
        let inner = match compression {
            Compression::None => Encoder::Plain(out),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                out,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Encoder::Zstd {
                out,
                pending: Vec::new(),
                frames: 0,
            },
        };
        Self { inner }
    }

    /// Completes the compressed stream, flushes, and returns the writer.
    pub fn finish(self) -> io::Result<W> {
        let mut out = match self.inner {
            Encoder::Plain(out) => out,
            Encoder::Gzip(encoder) => encoder.finish()?,
            Encoder::Zstd {
                mut out,
                pending,
                frames,
            } => {
                // An empty stream is still one (empty) frame.
                if !pending.is_empty() || frames == 0 {
                    out.write_all(&zstd_frame(&pending))?;
                }
                out
            }
        };
        out.flush()?;
        Ok(out)
    }
}

/// One zstd frame holding `data`. Compressed into memory: ruzstd's
/// streaming compressor cannot report a failed write.
fn zstd_frame(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Encoder::Plain(out) => out.write(buf),
            Encoder::Gzip(encoder) => encoder.write(buf),
            Encoder::Zstd {
                out,
                pending,
                frames,
            } => {
                let room = ZSTD_FRAME - pending.len();
                let take = buf.len().min(room);
                pending.extend_from_slice(buf.get(..take).unwrap_or_default());
                if pending.len() >= ZSTD_FRAME {
                    out.write_all(&zstd_frame(pending))?;
                    pending.clear();
                    *frames += 1;
                }
                Ok(take)
            }
        }
    }

    /// Flushes what is complete. A zstd frame is only written once full or
    /// at [`Compressor::finish`].
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Encoder::Plain(out) => out.flush(),
            Encoder::Gzip(encoder) => encoder.flush(),
            Encoder::Zstd { out, .. } => out.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(compression: Compression, data: &[u8]) -> Vec<u8> {
        let mut writer = Compressor::new(Vec::new(), compression);
        // Odd-sized writes, crossing zstd frame boundaries.
        for chunk in data.chunks(7919) {
            writer.write_all(chunk).unwrap();
        }
        let bytes = writer.finish().unwrap();
        assert_eq!(Compression::sniff(&bytes), compression);
        // Read back through a reader that hands out one byte at a time, so
        // sniffing cannot rely on a full buffer.
        let (found, mut reader) =
            decompress(BufReader::with_capacity(1, bytes.as_slice())).unwrap();
        assert_eq!(found, compression);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn every_format_round_trips_across_frames() {
        let data: Vec<u8> = (0..3 * ZSTD_FRAME + 12_345)
            .map(|i| u8::try_from(i * 31 % 251).unwrap())
            .collect();
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            assert_eq!(round_trip(compression, &data), data, "{compression:?}");
            assert_eq!(round_trip(compression, b""), b"", "{compression:?}");
            assert_eq!(round_trip(compression, b"x"), b"x", "{compression:?}");
        }
    }

    #[test]
    fn concatenated_members_and_skippable_frames_are_read() {
        let part = |c, text: &[u8]| {
            let mut w = Compressor::new(Vec::new(), c);
            w.write_all(text).unwrap();
            w.finish().unwrap()
        };
        for c in [Compression::Gzip, Compression::Zstd] {
            let mut bytes = part(c, b"one\n");
            if c == Compression::Zstd {
                // A skippable frame: magic 0x184D2A50, length 3, payload.
                bytes.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
            }
            bytes.extend(part(c, b"two\n"));
            let (_, mut reader) = decompress(bytes.as_slice()).unwrap();
            let mut text = String::new();
            reader.read_to_string(&mut text).unwrap();
            assert_eq!(text, "one\ntwo\n", "{c:?}");
        }
    }

    #[test]
    fn corrupted_data_is_an_invalid_data_error() {
        for c in [Compression::Gzip, Compression::Zstd] {
            let mut w = Compressor::new(Vec::new(), c);
            w.write_all(&[b'a'; 10_000]).unwrap();
            let mut bytes = w.finish().unwrap();
            let last = bytes.len() - 2;
            bytes[last] ^= 0xff;
            let (_, mut reader) = decompress(bytes.as_slice()).unwrap();
            let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{c:?}: {err}");
        }
    }

    #[test]
    fn names_and_sniffing() {
        assert_eq!(
            Compression::from_path(Path::new("a/day.jsonl.GZ")),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_path(Path::new("day.binpb.zst")),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_path(Path::new("day.jsonl")),
            Compression::None
        );
        assert_eq!(
            Compression::strip_extension(Path::new("logs/day.jsonl.gz")).extension(),
            Some("jsonl".as_ref())
        );
        assert_eq!(
            Compression::strip_extension(Path::new("day.jsonl")),
            Path::new("day.jsonl")
        );
        assert_eq!(
            Compression::strip_extension(Path::new("day.zst")),
            Path::new("day")
        );
        assert_eq!(Compression::sniff(b"{\"a\""), Compression::None);
        assert_eq!(Compression::sniff(b"\x1f"), Compression::None);
        let (found, mut reader) = decompress(&b"\x1f"[..]).unwrap();
        assert_eq!(found, Compression::None);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"\x1f");
    }
}
