//! `stream::DelimitedDecoder` reads what `DelimitedWriter` writes, pushed in
//! chunks of every size, and reports broken streams as `DelimitedReader`
//! does.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use lokryn_compliance_log::codec::Limits;
use lokryn_compliance_log::stream::{DelimitedDecoder, DelimitedReader, DelimitedWriter};
use lokryn_compliance_log::{Error, LogEntry};

fn entries() -> Vec<LogEntry> {
    (0..20)
        .map(|i| LogEntry {
            actor_id: "a".repeat(i * 13),
            duration_ms: i as i64,
            ..Default::default()
        })
        .collect()
}

fn stream(entries: &[LogEntry]) -> Vec<u8> {
    let mut w = DelimitedWriter::new(Vec::new());
    for e in entries {
        w.write(e).unwrap();
    }
    w.into_inner()
}

fn drain(decoder: &mut DelimitedDecoder, out: &mut Vec<Result<LogEntry, Error>>) {
    while let Some(entry) = decoder.next_entry() {
        out.push(entry);
    }
}

#[test]
fn any_chunking_gives_the_same_entries() {
    let entries = entries();
    let bytes = stream(&entries);
    for size in [1, 2, 3, 7, 64, 1000, bytes.len()] {
        let mut decoder = DelimitedDecoder::new();
        let mut out = Vec::new();
        for chunk in bytes.chunks(size) {
            decoder.push(chunk);
            drain(&mut decoder, &mut out);
        }
        decoder.finish().unwrap();
        let out: Vec<LogEntry> = out.into_iter().map(Result::unwrap).collect();
        assert_eq!(out, entries, "chunks of {size}");
        assert_eq!(decoder.position(), bytes.len() as u64);
    }
}

#[test]
fn a_stream_cut_inside_an_entry_fails_at_finish_naming_it() {
    let entries = entries();
    let bytes = stream(&entries[..3]);
    let mut decoder = DelimitedDecoder::new();
    decoder.push(&bytes[..bytes.len() - 5]);
    let mut out = Vec::new();
    drain(&mut decoder, &mut out);
    assert_eq!(out.len(), 2);
    let err = decoder.finish().unwrap_err();
    assert_eq!(err.code(), "TRUNCATED");
    let Error::Entry { index, source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*index, 2);
    assert!(matches!(**source, Error::Truncated { needed: 5 }), "{err}");
}

#[test]
fn errors_match_the_reader() {
    let mut bytes = vec![2, 0xff, 0xff];
    bytes.extend(stream(&entries()[..2]));
    bytes.extend([0xff; 11]);
    let from_reader: Vec<String> = DelimitedReader::new(bytes.as_slice())
        .map(|r| r.map_or_else(|e| e.to_string(), |e| e.actor_id))
        .collect();
    let mut decoder = DelimitedDecoder::new();
    decoder.push(&bytes);
    let mut out = Vec::new();
    drain(&mut decoder, &mut out);
    let from_decoder: Vec<String> = out
        .into_iter()
        .map(|r| r.map_or_else(|e| e.to_string(), |e| e.actor_id))
        .collect();
    assert_eq!(from_decoder, from_reader);
    assert_eq!(from_decoder.len(), 4);
    // After a broken length prefix nothing more is read.
    decoder.push(&stream(&entries()[..1]));
    assert!(decoder.next_entry().is_none());
    decoder.finish().unwrap();
}

#[test]
fn an_oversized_entry_is_refused_before_it_is_buffered() {
    let mut decoder = DelimitedDecoder::with_limits(Limits::with_max_entry_bytes(16));
    decoder.push(&[0xff, 0xff, 0x03]);
    let err = decoder.next_entry().unwrap().unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE");
    decoder.push(&[0; 1000]);
    assert!(decoder.next_entry().is_none());
}
