//! The borrowed view of an encoded entry against the owned path: on every
//! golden wire vector, every record of the validation corpus and of
//! `examples/`, random records and thousands of mutations of all of them
//! (bytes flipped, inserted and dropped; unknown fields of every wire type,
//! groups included; fields repeated; varints overlong), the view reader
//! accepts exactly what prost accepts with the same error, reads the same
//! values, lists the same unknown fields as the reflective scan, and
//! `validate_bytes` gives the report prost decode + `validate_with` + the
//! unknown-field warnings give, under every profile; detection finds the
//! same sensitive data in the view as in the decoded entry.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::panic
)]

#[path = "support/random.rs"]
mod random;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use lokryn_compliance_log::access::{Access, FieldRef};
use lokryn_compliance_log::validate::{self, BatchValidator, Options, Report, Violation};
use lokryn_compliance_log::{LogEntry, Result, codec, json, sensitive, view};
use random::{Rng, random_entry};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The owned path as it was before views: prost decode, validation of the
/// decoded entry, then one warning per unknown field from the reflective
/// scan (always run, so that it is the reference).
fn owned(bytes: &[u8], options: &Options) -> Result<Report> {
    let entry = codec::decode_with(bytes, &options.limits())?;
    let mut report = validate::validate_with(&entry, options);
    for unknown in codec::unknown_fields(bytes)? {
        report.violations.push(Violation {
            message: format!(
                "field number {} is not defined by schema {}; readers of this version drop it",
                unknown.number,
                lokryn_compliance_log::VERSION
            ),
            field: unknown.path,
            rule_id: "unknown_field".into(),
            level: validate::Level::Warning,
            clauses: Vec::new(),
        });
    }
    Ok(report)
}

/// The same values through `Access`, field by field, messages included.
fn same_fields(a: &dyn Access, b: &dyn Access, at: &str) {
    for n in 1..64 {
        let here = format!("{at}#{n}");
        match (a.field(n), b.field(n)) {
            (FieldRef::Str(x), FieldRef::Str(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Strs(x), FieldRef::Strs(y)) => {
                assert!(x.iter().eq(y.iter()), "{here}");
            }
            (FieldRef::Bytes(x), FieldRef::Bytes(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Enum(x), FieldRef::Enum(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Enums(x), FieldRef::Enums(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Int(x), FieldRef::Int(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Uint(x), FieldRef::Uint(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Bool(x), FieldRef::Bool(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Float(x), FieldRef::Float(y)) => {
                assert_eq!(x.map(f64::to_bits), y.map(f64::to_bits), "{here}");
            }
            (FieldRef::Count(x), FieldRef::Count(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Present(x), FieldRef::Present(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Timestamp(x), FieldRef::Timestamp(y)) => assert_eq!(x, y, "{here}"),
            (FieldRef::Message(x), FieldRef::Message(y)) => match (x, y) {
                (Some(x), Some(y)) => same_fields(x, y, &here),
                (None, None) => {}
                _ => panic!("{here}: one message set, the other not"),
            },
            (FieldRef::Messages(x), FieldRef::Messages(y)) => {
                assert_eq!(x.len(), y.len(), "{here}");
                for i in 0..x.len() {
                    same_fields(
                        x.item(i).unwrap(),
                        y.item(i).unwrap(),
                        &format!("{here}[{i}]"),
                    );
                }
            }
            (FieldRef::Other, FieldRef::Other) => {}
            _ => panic!("{here}: different kinds"),
        }
    }
}

fn profiles() -> [Options; 3] {
    [
        Options::default(),
        Options::for_profile("pci").unwrap(),
        Options::for_profile("soc2,hipaa,pci").unwrap(),
    ]
}

/// Checks one input both ways; true when prost accepts it.
fn agree(bytes: &[u8], batches: &mut [BatchValidator; 3]) -> bool {
    let limits = codec::Limits::DEFAULT;
    let decoded = codec::decode_with(bytes, &limits);
    let viewed = view::decode(bytes, &limits);
    let accepted = match (&decoded, &viewed) {
        (Ok(entry), Ok(v)) => {
            same_fields(entry, v, "");
            assert_eq!(sensitive::find(v), sensitive::find(entry), "{bytes:02x?}");
            assert_eq!(
                v.unknown_fields(),
                codec::unknown_fields(bytes).unwrap(),
                "{bytes:02x?}"
            );
            true
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{bytes:02x?}");
            false
        }
        (a, b) => panic!(
            "prost {:?} but view {:?} on {bytes:02x?}",
            a.as_ref().err(),
            b.as_ref().err()
        ),
    };
    for (options, batch) in profiles().iter().zip(batches.iter_mut()) {
        let want = owned(bytes, options).map_err(|e| e.to_string());
        let got = validate::validate_bytes(bytes, options).map_err(|e| e.to_string());
        assert_eq!(got, want, "validate_bytes on {bytes:02x?}");
        let got = batch.validate_encoded(bytes).map_err(|e| e.to_string());
        assert_eq!(got, want, "BatchValidator on {bytes:02x?}");
        let got = validate::validate_encoded(bytes, options)
            .map(|(_, report)| report)
            .map_err(|e| e.to_string());
        assert_eq!(got, want, "validate_encoded on {bytes:02x?}");
    }
    accepted
}

fn batches() -> [BatchValidator; 3] {
    profiles().map(BatchValidator::new)
}

/// Every encoded entry the repository holds: the golden wire vectors, the
/// records of the validation corpus (binary ones as they are), the
/// examples.
fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    for dir in [
        "tests/vectors/wire",
        "tests/vectors/validation",
        "examples/good",
        "examples/bad",
    ] {
        for file in std::fs::read_dir(root().join(dir)).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    for path in files {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let text = || std::fs::read_to_string(&path).unwrap();
        match ext {
            "binpb" => {
                let bytes = std::fs::read(&path).unwrap();
                // A single entry, or a length-delimited stream of them.
                let mut rest = bytes.as_slice();
                while let Some((len, used)) = prefix(rest) {
                    match rest.get(used..used + len) {
                        Some(frame) => out.push(frame.to_vec()),
                        None => break,
                    }
                    rest = &rest[used + len..];
                }
                out.push(bytes);
            }
            "json" if path.parent().unwrap().ends_with("validation") => {
                let doc: serde_json::Value = serde_json::from_str(&text()).unwrap();
                for case in doc["cases"].as_array().into_iter().flatten() {
                    if let Some(b) = case["entryBinary"].as_str() {
                        out.push(base64::engine::general_purpose::STANDARD.decode(b).unwrap());
                    } else if let Some(entry) = case.get("entry") {
                        if let Ok(e) = json::from_json_value(entry.clone(), &Default::default()) {
                            out.push(codec::encode(&e));
                        }
                    }
                }
            }
            "json" => {
                if let Ok(e) = json::from_json(&text()) {
                    out.push(codec::encode(&e));
                }
            }
            "jsonl" => {
                for line in text().lines() {
                    if let Ok(e) = json::from_json(line) {
                        out.push(codec::encode(&e));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn prefix(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, b) in bytes.iter().take(5).enumerate() {
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Encodings prost writes differently but reads: an unknown field of each
/// wire type (a group holding fields and another group among them), at the
/// top and in nested messages; fields repeated; negative numbers in five
/// bytes; overlong varints.
fn unusual(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut out = base.to_vec();
    let number = [5u64, 40, 99, 111, 1000, 536_870_911][rng.below(6) as usize];
    match rng.below(9) {
        0 => {
            varint(number << 3, &mut out);
            varint(rng.next() >> rng.below(64), &mut out);
        }
        1 => {
            varint((number << 3) | 1, &mut out);
            out.extend(rng.next().to_le_bytes());
        }
        2 => {
            varint((number << 3) | 5, &mut out);
            out.extend([1, 2, 3, 4]);
        }
        3 => {
            varint((number << 3) | 2, &mut out);
            varint(3, &mut out);
            out.extend(b"abc");
        }
        4 => {
            // A group holding a varint and a nested group.
            varint((number << 3) | 3, &mut out);
            out.extend([0x08, 0x01]);
            out.extend([0x13, 0x10, 0x02, 0x14]); // group 2 { 2: 2 }
            varint((number << 3) | 4, &mut out);
        }
        5 => {
            // A producer (27) with an unknown field, then another producer
            // that merges into it; a delegation link (15) with one; a time
            // (12) with one.
            let field = [27u64, 15, 12, 29, 30][rng.below(5) as usize];
            let inner = [0x0a, 0x01, b'x', 0xb8, 0x06, 0x07]; // 1: "x", 103: 7
            let inner: &[u8] = if field == 12 {
                &[0x08, 0x05, 0xb8, 0x06, 0x07]
            } else {
                &inner
            };
            for _ in 0..=rng.below(2) {
                varint((field << 3) | 2, &mut out);
                varint(inner.len() as u64, &mut out);
                out.extend(inner);
            }
        }
        6 => {
            // eventType -1 in five bytes, which prost writes in ten: with an
            // unknown field of five bytes the length equals the canonical one.
            out.extend([0x08, 0xff, 0xff, 0xff, 0xff, 0x0f]);
            out.extend([0xf8, 0x06, 0x80, 0x80, 0x01]);
        }
        7 => {
            // An overlong varint for durationMs (24) and a ten-byte one.
            out.extend([0xc0, 0x01, 0x85, 0x80, 0x80, 0x00]);
            out.extend([0xc0, 0x01]);
            out.extend([0xff; 9]);
            out.push(if rng.chance(50) { 0x01 } else { 0x02 });
        }
        _ => {
            // A policy tag (10) and a finish reason inside genai (29) added.
            out.extend([0x52, 0x02, b'o', b'k']);
            out.extend([0xea, 0x01, 0x04, 0x42, 0x02, 0xc3, 0xa9]);
        }
    }
    out
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    const BYTES: &[u8] = &[
        0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x12, 0x7f, 0x80, 0xff, 0xc3, 0xe2,
    ];
    let mut bytes = base.to_vec();
    for _ in 0..=rng.below(2) {
        let at = rng.below(bytes.len() as u64 + 1) as usize;
        let byte = if rng.chance(50) {
            BYTES[rng.below(BYTES.len() as u64) as usize]
        } else {
            rng.next() as u8
        };
        match rng.below(3) {
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            1 if at < bytes.len() => bytes[at] = byte,
            _ => bytes.insert(at, byte),
        }
    }
    bytes
}

#[test]
fn the_corpus_reads_and_validates_the_same_through_a_view() {
    let corpus = corpus();
    assert!(corpus.len() > 300, "only {} encodings", corpus.len());
    let mut batches = batches();
    let accepted = corpus.iter().filter(|b| agree(b, &mut batches)).count();
    assert!(
        accepted > corpus.len() / 2,
        "{accepted} of {}",
        corpus.len()
    );
}

#[test]
fn random_and_unusual_encodings_read_and_validate_the_same() {
    let mut rng = Rng(0x5eed_0f0a_11ca_fe00);
    let mut batches = batches();
    let mut accepted = 0;
    let mut total = 0;
    for _ in 0..300 {
        let bytes = codec::encode(&random_entry(&mut rng));
        accepted += usize::from(agree(&bytes, &mut batches));
        for _ in 0..4 {
            let odd = unusual(&mut rng, &bytes);
            accepted += usize::from(agree(&odd, &mut batches));
            total += 1;
        }
        total += 1;
    }
    // The unusual encodings are (mostly) valid protobuf.
    assert!(accepted > total * 3 / 4, "{accepted} of {total}");
}

#[test]
fn mutated_encodings_are_refused_or_read_the_same() {
    let mut rng = Rng(0x0ddb_a115_eed1_2340);
    let mut bases = corpus();
    bases.extend((0..30).map(|_| codec::encode(&random_entry(&mut rng))));
    let mut batches = batches();
    let (mut accepted, mut total) = (0, 0);
    for base in &bases {
        for _ in 0..12 {
            let bytes = mutate(&mut rng, base);
            let bytes = if rng.chance(20) {
                unusual(&mut rng, &bytes)
            } else {
                bytes
            };
            accepted += usize::from(agree(&bytes, &mut batches));
            total += 1;
        }
    }
    // Both outcomes must be exercised.
    assert!(
        accepted > total / 20 && accepted < total * 9 / 10,
        "{accepted} of {total}"
    );
}

/// The old shortcut skipped the scan for unknown fields when the input was
/// as long as the canonical encoding of what it decoded to: a negative enum
/// in five bytes (prost writes ten) plus an unknown field of five bytes hid
/// the unknown field.
#[test]
fn an_unknown_field_is_reported_even_when_the_lengths_match() {
    let mut bytes = vec![0x08, 0xff, 0xff, 0xff, 0xff, 0x0f];
    bytes.extend([0xf8, 0x06, 0x80, 0x80, 0x01]); // field 111, five bytes
    let entry = codec::decode(&bytes).unwrap();
    assert_eq!(prost::Message::encoded_len(&entry), bytes.len());
    let warnings = validate::unknown_field_warnings(&bytes, &entry).unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].rule_id, "unknown_field");
    let (_, report) = validate::validate_encoded(&bytes, &Options::default()).unwrap();
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.rule_id == "unknown_field")
    );
    let report = validate::validate_bytes(&bytes, &Options::default()).unwrap();
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.rule_id == "unknown_field")
    );
}

#[test]
fn views_hold_lists_past_their_inline_room() {
    let entry = LogEntry {
        policy_tags: (0..9).map(|i| format!("tag{i}")).collect(),
        delegation_chain: (0..5)
            .map(|i| lokryn_compliance_log::DelegationLink {
                actor_id: format!("a{i}"),
                scopes: vec!["s".into(); i],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let bytes = codec::encode(&entry);
    let v = view::decode(&bytes, &codec::Limits::DEFAULT).unwrap();
    assert_eq!(v.policy_tags.as_slice(), entry.policy_tags.as_slice());
    assert_eq!(v.delegation_chain.len(), 5);
    same_fields(&entry, &v, "");
    let tight = codec::Limits::with_max_entry_bytes(8);
    assert_eq!(
        view::decode(&bytes, &tight).unwrap_err().code(),
        "TOO_LARGE"
    );
}

/// Strings are taken without `str::from_utf8` when their bytes are ASCII:
/// every length across the word and block sizes of that check, with a
/// non-ASCII byte (valid UTF-8 or not) at each end and in the middle, in a
/// field of the entry, a list item and a field of a nested message, read
/// as prost reads them (the same string, or prost's error).
#[test]
fn strings_read_as_prost_reads_them_whatever_their_bytes() {
    let mut texts: Vec<Vec<u8>> = Vec::new();
    for len in 0..=70usize {
        let ascii: Vec<u8> = (0..len).map(|i| b" az~\x7f\x00"[i % 6]).collect();
        texts.push(ascii.clone());
        for at in [0, len / 2, len.saturating_sub(1)] {
            if at >= len {
                continue;
            }
            for bad in [
                &[0x80u8][..],
                &[0xff],
                &[0xc3],
                &[0xc3, 0xa9],
                &[0xe2, 0x82, 0xac],
            ] {
                let mut t = ascii.clone();
                t.splice(at..=at, bad.iter().copied());
                texts.push(t);
            }
        }
    }
    let (mut read, mut refused) = (0, 0);
    for text in &texts {
        let field = |key: u8| {
            let mut out = vec![key];
            varint(text.len() as u64, &mut out);
            out.extend(text);
            out
        };
        // actorId (4), a policy tag (10), a delegation link's actorId.
        let link = field(0x0a);
        let mut nested = vec![0x7a];
        varint(link.len() as u64, &mut nested);
        nested.extend(&link);
        for bytes in [field(0x22), field(0x52), nested] {
            let owned = codec::decode(&bytes);
            match (view::decode(&bytes, &codec::Limits::DEFAULT), owned) {
                (Ok(v), Ok(entry)) => {
                    same_fields(&entry, &v, "");
                    read += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{text:?}");
                    refused += 1;
                }
                (a, b) => panic!("{text:?}: view {:?}, prost {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
    // Both outcomes are exercised on every length.
    assert!(
        read > 3 * 71 && refused > 3 * 70,
        "{read} read, {refused} refused"
    );
}

/// The fields of one encoded message as written: each key's number and
/// wire type, and the bytes of its value (with the length of a
/// length-delimited one).
fn split_fields(mut bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (key, n) = prefix(bytes).unwrap();
        bytes = &bytes[n..];
        let len = match key & 7 {
            0 => bytes.iter().position(|b| b & 0x80 == 0).unwrap() + 1,
            1 => 8,
            5 => 4,
            2 => {
                let (len, n) = prefix(bytes).unwrap();
                n + len
            }
            other => panic!("wire type {other}"),
        };
        out.push((key as u64, bytes[..len].to_vec()));
        bytes = &bytes[len..];
    }
    out
}

/// Writes `fields` back, each key in `extra` more bytes than it needs.
fn join_fields<'f>(fields: impl IntoIterator<Item = &'f (u64, Vec<u8>)>, extra: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in fields {
        let start = out.len();
        varint(*key, &mut out);
        if extra > 0 {
            *out.last_mut().unwrap() |= 0x80;
            out.extend(std::iter::repeat_n(0x80, extra - 1));
            out.push(0);
        }
        debug_assert!(out.len() > start);
        out.extend(value);
    }
    out
}

/// The record is read field after field in number order first, each key
/// compared with the one its field is written with, and what that leaves is
/// read the general way. Every field of a record with all of them set, in
/// order, reversed, each written twice, each key written longer, each value
/// in the wrong wire type, each string with bytes past ASCII (valid UTF-8 or
/// not) and each with a length of two bytes: read as prost reads it, or
/// refused with its error, and judged the same.
#[test]
fn every_field_reads_the_same_in_order_and_out_of_order() {
    let mut rng = Rng(0x0bde_a5ed_f1e1_d500);
    let mut batches = batches();
    let mut entry = random_entry(&mut rng);
    while entry.genai.is_none() || entry.mcp.is_none() || entry.producer.is_none() {
        entry = random_entry(&mut rng);
    }
    entry.policy_tags = (0..6).map(|i| format!("tag-{i}")).collect();
    entry.actor_id = "a".repeat(150);
    // Every field set, so that each is read (and varints of 3+ bytes).
    (entry.event_type, entry.outcome, entry.severity) = (3, 1, 2);
    (entry.sensitivity, entry.actor_type, entry.payload_format) = (2, 1, 1);
    entry.duration_ms = 1 << 40;
    for (i, s) in [
        &mut entry.component,
        &mut entry.environment,
        &mut entry.resource,
        &mut entry.message,
        &mut entry.event_id,
        &mut entry.source_ip,
        &mut entry.host,
        &mut entry.user_agent,
        &mut entry.trace_id,
        &mut entry.span_id,
        &mut entry.parent_span_id,
        &mut entry.session_id,
        &mut entry.request_id,
        &mut entry.error_code,
        &mut entry.error_message,
        &mut entry.schema_version,
    ]
    .into_iter()
    .enumerate()
    {
        if s.is_empty() {
            *s = format!("value-{i}");
        }
    }
    entry.payload = b"{}".to_vec();
    entry.time = Some(prost_types::Timestamp {
        seconds: 1_764_320_047,
        nanos: 250_000_000,
    });
    if entry.delegation_chain.len() < 3 {
        entry.delegation_chain = vec![Default::default(); 3];
        for (i, link) in entry.delegation_chain.iter_mut().enumerate() {
            link.actor_id = format!("link-{i}");
        }
    }
    let bytes = codec::encode(&entry);
    let fields = split_fields(&bytes);
    assert!(fields.len() >= 31 + 5 + 2, "{} fields", fields.len());
    assert_eq!(join_fields(&fields, 0), bytes);
    let (mut read, mut refused) = (0, 0);
    let mut check = |bytes: &[u8]| {
        if agree(bytes, &mut batches) {
            read += 1;
        } else {
            refused += 1;
        }
    };
    check(&bytes);
    check(&join_fields(fields.iter().rev(), 0));
    check(&join_fields(&fields, 1));
    for (i, (key, value)) in fields.iter().enumerate() {
        let mut odd = fields.clone();
        odd.insert(i + 1, (*key, value.clone()));
        check(&join_fields(&odd, 0));
        let mut long = join_fields(&fields[..i], 0);
        long.extend(join_fields(&fields[i..=i], 1));
        long.extend(join_fields(&fields[i + 1..], 0));
        check(&long);
        // The same value under another wire type: prost refuses it.
        for wire in [0, 1, 2, 5] {
            if wire != key & 7 {
                let mut wrong = fields.clone();
                wrong[i].0 = (key & !7) | wire;
                check(&join_fields(&wrong, 0));
            }
        }
        if key & 7 != 2 {
            continue;
        }
        // Length-delimited: every byte past the length, past ASCII.
        let (len, n) = prefix(value).unwrap();
        for bad in [&[0xffu8][..], &[0xc3, 0xa9], &[0xe2, 0x82, 0xac]] {
            if len >= bad.len() {
                let mut text = value.clone();
                text.splice(n..n + bad.len(), bad.iter().copied());
                let mut odd = fields.clone();
                odd[i].1 = text;
                check(&join_fields(&odd, 0));
            }
        }
        // A length of two bytes.
        let mut longer = Vec::new();
        varint((len + 130) as u64, &mut longer);
        longer.extend(&value[n..]);
        longer.extend(std::iter::repeat_n(b'x', 130));
        let mut odd = fields.clone();
        odd[i].1 = longer;
        check(&join_fields(&odd, 0));
    }
    assert!(
        read > 100 && refused > 100,
        "{read} read, {refused} refused"
    );
}
