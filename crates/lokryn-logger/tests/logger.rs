//! Behaviour of the logger: completion, policies, errors, operations, sinks.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lokryn_compliance_log::{
    ActorType, DelegationLink, EventType, GenAiPayload, LogEntry, McpPayload, Outcome,
    PayloadFormat, Producer, Sensitivity, Severity, Timestamp, codec,
};
use lokryn_logger::sinks::{Binary, Compression, JsonLines};
use lokryn_logger::{
    AuditLogger, OnInvalid, Record, Redaction, Sink, SinkError, TraceContext, is_uuid7,
};

use common::valid;

/// A user sink keeping what it is given, failing on demand.
#[derive(Clone, Default)]
struct Memory {
    name: String,
    records: Arc<Mutex<Vec<LogEntry>>>,
    fail: Arc<AtomicUsize>,
}

impl Memory {
    fn named(name: &str) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    fn actors(&self) -> Vec<String> {
        self.records
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.actor_id.clone())
            .collect()
    }
}

impl Sink for Memory {
    fn name(&self) -> &str {
        &self.name
    }

    fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
        if self.fail.load(Ordering::SeqCst) > 0 {
            return Err(SinkError::new("IO", "disk on fire"));
        }
        // The encoding handed over is the entry's.
        assert_eq!(codec::decode(record.encoded).unwrap(), *record.entry);
        self.records.lock().unwrap().push(record.entry.clone());
        Ok(())
    }
}

#[test]
fn completion_fills_what_is_unset() {
    let mem = Memory::named("mem");
    let audit = AuditLogger::builder()
        .sink(mem.clone())
        .trace_context(|| {
            Some(TraceContext {
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                span_id: "00f067aa0ba902b7".into(),
                parent_span_id: String::new(),
            })
        })
        .build()
        .unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let written = audit.log(valid("alice")).unwrap();
    let time = written.time.unwrap();
    assert!(time.seconds >= i64::try_from(before.as_secs()).unwrap());
    assert!(is_uuid7(&written.event_id), "{}", written.event_id);
    assert_eq!(
        written.producer,
        Some(Producer {
            name: "lokryn-compliance-log".into(),
            version: lokryn_compliance_log::VERSION.into()
        })
    );
    assert_eq!(written.schema_version, lokryn_compliance_log::VERSION);
    assert!(!written.host.is_empty());
    assert_eq!(written.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(written.span_id, "00f067aa0ba902b7");
    // A record that carries its own trace keeps it, span included.
    let own = audit
        .log(LogEntry {
            trace_id: "0af7651916cd43dd8448eb211c80319c".into(),
            ..valid("bob")
        })
        .unwrap();
    assert_eq!(own.trace_id, "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(own.span_id, "");
    assert!(own.event_id > written.event_id);
    assert_eq!(mem.records.lock().unwrap().len(), 2);
}

/// A record with every field of LogEntry set.
fn every_field() -> LogEntry {
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Notice as i32,
        actor_id: "a".into(),
        component: "c".into(),
        environment: "staging".into(),
        resource: "r".into(),
        message: "m".into(),
        payload: b"{}".to_vec(),
        policy_tags: vec!["t".into()],
        sensitivity: Sensitivity::Internal as i32,
        time: Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 5,
        }),
        event_id: "0190b8a4-7c3e-7a1b-9c2d-3e4f5a6b7c8d".into(),
        actor_type: ActorType::Agent as i32,
        delegation_chain: vec![DelegationLink {
            actor_id: "u".into(),
            ..Default::default()
        }],
        source_ip: "10.0.0.1".into(),
        host: "h".into(),
        user_agent: "ua".into(),
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
        span_id: "00f067aa0ba902b7".into(),
        parent_span_id: "00f067aa0ba902b8".into(),
        session_id: "s".into(),
        request_id: "q".into(),
        duration_ms: 7,
        error_code: "E".into(),
        error_message: "em".into(),
        producer: Some(Producer {
            name: "p".into(),
            version: "1.0.0".into(),
        }),
        schema_version: "0.1.0".into(),
        genai: Some(GenAiPayload::default()),
        mcp: Some(McpPayload::default()),
        payload_format: PayloadFormat::Json as i32,
    }
}

#[test]
fn defaults_cover_every_field() {
    let full = every_field();
    // Every field really is set: the encoding has all 31 of them.
    let encoded = codec::encode(&full);
    assert_eq!(field_numbers(&encoded), 31);
    let audit = AuditLogger::builder()
        .sink(Memory::named("mem"))
        .defaults(full.clone())
        .on_invalid(OnInvalid::Warn)
        .redact(Redaction::Off)
        .build()
        .unwrap();
    assert_eq!(audit.log(LogEntry::default()).unwrap(), full);
}

/// The number of distinct top-level field numbers in an encoded message.
fn field_numbers(bytes: &[u8]) -> usize {
    fn varint(b: &[u8]) -> (u64, usize) {
        let mut v = 0;
        for (i, byte) in b.iter().enumerate() {
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return (v, i + 1);
            }
        }
        panic!("bad varint")
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let (key, n) = varint(&bytes[i..]);
        i += n;
        seen.insert(key >> 3);
        match key & 7 {
            0 => i += varint(&bytes[i..]).1,
            2 => {
                let (len, n) = varint(&bytes[i..]);
                i += n + usize::try_from(len).unwrap();
            }
            other => panic!("wire type {other}"),
        }
    }
    seen.len()
}

#[test]
fn policies_count_and_route() {
    let (main, quarantine) = (Memory::named("main"), Memory::named("q"));
    let audit = AuditLogger::builder()
        .sink(main.clone())
        .quarantine(quarantine.clone())
        .on_invalid(OnInvalid::Quarantine)
        .build()
        .unwrap();
    let bad = LogEntry {
        severity: 0,
        message: "call 555-867-5309 or mail eve@example.com".into(),
        ..valid("eve")
    };
    let written = audit.log(bad).unwrap();
    assert!(
        written.message.contains("[REDACTED:email]"),
        "{}",
        written.message
    );
    audit.log(valid("alice")).unwrap();
    assert_eq!(main.actors(), ["alice"]);
    assert_eq!(quarantine.actors(), ["eve"]);
    assert_eq!(quarantine.records.lock().unwrap()[0], written);
    let stats = audit.stats();
    assert_eq!((stats.logged, stats.invalid, stats.quarantined), (2, 1, 1));
    assert_eq!(stats.sinks.len(), 2);
    assert_eq!(
        (stats.sinks[0].name.as_str(), stats.sinks[0].written),
        ("main", 1)
    );
    assert_eq!(
        (stats.sinks[1].name.as_str(), stats.sinks[1].written),
        ("q", 1)
    );

    // Warn: written, and the hook sees the record before redaction and the report.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let main = Memory::named("main");
    let audit = AuditLogger::builder()
        .sink(main.clone())
        .on_invalid(OnInvalid::Warn)
        .on_warning(move |entry, report| {
            s.lock()
                .unwrap()
                .push((entry.message.clone(), report.errors().count()));
        })
        .build()
        .unwrap();
    audit
        .log(LogEntry {
            severity: 0,
            message: "mail eve@example.com".into(),
            ..valid("eve")
        })
        .unwrap();
    // The hook sees the record as written (redacted), never the raw value.
    assert_eq!(
        *seen.lock().unwrap(),
        [("mail [REDACTED:email]".to_owned(), 1)]
    );
    assert_eq!(main.actors(), ["eve"]);

    // Raise: the report comes back, nothing is written.
    let main = Memory::named("main");
    let audit = AuditLogger::builder().sink(main.clone()).build().unwrap();
    let err = audit
        .log(LogEntry {
            severity: 0,
            ..valid("eve")
        })
        .unwrap_err();
    assert_eq!(err.code(), "INVALID");
    assert_eq!(
        err.report().unwrap().errors().next().unwrap().field,
        "severity"
    );
    assert!(main.actors().is_empty());
    assert_eq!(audit.stats().invalid, 1);
}

#[test]
fn the_logger_is_shared_across_threads() {
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<AuditLogger>();
}

#[test]
fn production_needs_a_quarantine_sink() {
    let err = AuditLogger::builder()
        .defaults(LogEntry {
            environment: "PROD".into(),
            ..Default::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "CONFIG");
    assert!(err.message().contains("quarantine"), "{err}");
    // Choosing a policy explicitly is enough.
    AuditLogger::builder()
        .defaults(LogEntry {
            environment: "production".into(),
            ..Default::default()
        })
        .on_invalid(OnInvalid::Raise)
        .build()
        .unwrap();
}

#[test]
fn a_failing_sink_does_not_stop_the_others() {
    let (a, b, c) = (Memory::named("a"), Memory::named("b"), Memory::named("c"));
    b.fail.store(1, Ordering::SeqCst);
    let audit = AuditLogger::builder()
        .sink(a.clone())
        .sink(b.clone())
        .sink(c.clone())
        .build()
        .unwrap();
    let err = audit.log(valid("alice")).unwrap_err();
    assert_eq!(err.code(), "SINK");
    assert_eq!(err.sink(), Some("b"));
    assert_eq!(err.failures().len(), 1);
    assert_eq!(err.failures()[0].error.code(), "IO");
    assert_eq!(a.actors(), ["alice"]);
    assert_eq!(c.actors(), ["alice"]);
    let stats = audit.stats();
    assert_eq!((stats.sinks[1].written, stats.sinks[1].failed), (0, 1));
    b.fail.store(0, Ordering::SeqCst);
    audit.log(valid("bob")).unwrap();
    assert_eq!(b.actors(), ["bob"]);
}

#[test]
fn closed_and_too_large() {
    let audit = AuditLogger::builder()
        .sink(Memory::named("m"))
        .limits(codec::Limits::with_max_entry_bytes(200))
        .build()
        .unwrap();
    let err = audit
        .log(LogEntry {
            message: "x".repeat(300),
            ..valid("alice")
        })
        .unwrap_err();
    assert_eq!(err.code(), "TOO_LARGE");
    let other = audit.clone();
    audit.close(None).unwrap();
    audit.close(None).unwrap();
    assert!(audit.is_closed());
    assert_eq!(audit.log(valid("alice")).unwrap_err().code(), "CLOSED");
    // Clones share the state.
    assert_eq!(other.log(valid("bob")).unwrap_err().code(), "CLOSED");
}

/// A logger whose sinks do not read the protobuf encoding skips it, and
/// still refuses a record over the size limit; a sink that reads it next to
/// one that does not still gets it (`Memory` checks it decodes to the entry).
#[test]
fn encoding_only_for_sinks_that_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let audit = AuditLogger::builder()
        .sink(JsonLines::create(&path).unwrap())
        .limits(codec::Limits::with_max_entry_bytes(200))
        .build()
        .unwrap();
    let big = LogEntry {
        message: "x".repeat(300),
        ..valid("alice")
    };
    assert_eq!(audit.log(big.clone()).unwrap_err().code(), "TOO_LARGE");
    audit.log(valid("bob")).unwrap();
    audit.close(None).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"actorId\":\"bob\""), "{text}");

    let memory = Memory::named("m");
    let audit = AuditLogger::builder()
        .sink(JsonLines::create(dir.path().join("b.jsonl")).unwrap())
        .sink(memory.clone())
        .build()
        .unwrap();
    audit.log(big).unwrap();
    assert_eq!(memory.actors(), ["alice"]);
}

#[test]
fn every_sink_gets_every_record_once_from_many_threads() {
    let (a, b) = (Memory::named("a"), Memory::named("b"));
    let audit = AuditLogger::builder()
        .sink(a.clone())
        .sink(b.clone())
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let audit = audit.clone();
            s.spawn(move || {
                for i in 0..100 {
                    audit.log(valid(&format!("{t}-{i}"))).unwrap();
                }
            });
        }
    });
    for sink in [&a, &b] {
        let mut actors = sink.actors();
        // Each thread's records arrive in the order it logged them.
        for t in 0..4 {
            let mine: Vec<u32> = actors
                .iter()
                .filter_map(|x| x.strip_prefix(&format!("{t}-")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..100).collect::<Vec<_>>());
        }
        actors.sort();
        actors.dedup();
        assert_eq!(actors.len(), 400);
    }
}

#[test]
fn operations_record_outcomes_errors_and_panics() {
    let mem = Memory::named("m");
    let audit = AuditLogger::builder().sink(mem.clone()).build().unwrap();
    let template = LogEntry {
        actor_id: "agent".into(),
        ..Default::default()
    };
    let ok: Result<u32, String> =
        audit.in_operation(EventType::EventToolInvocation, template.clone(), |op| {
            op.entry_mut().resource = "tools/a".into();
            Ok(3)
        });
    assert_eq!(ok, Ok(3));
    let err: Result<u32, String> =
        audit.in_operation(EventType::EventToolInvocation, template.clone(), |_| {
            Err("backend down".to_owned())
        });
    assert_eq!(err, Err("backend down".to_owned()));
    let a = audit.clone();
    let t = template.clone();
    let panicked = std::thread::spawn(move || {
        let _: Result<(), String> =
            a.in_operation(EventType::EventToolInvocation, t, |_| panic!("boom"));
    })
    .join();
    assert!(panicked.is_err());
    drop(audit.operation(EventType::EventToolInvocation, template));
    let records = mem.records.lock().unwrap().clone();
    let summary: Vec<(i32, i32, &str, &str, &str)> = records
        .iter()
        .map(|e| {
            (
                e.outcome,
                e.severity,
                e.error_code.as_str(),
                e.error_message.as_str(),
                e.resource.as_str(),
            )
        })
        .collect();
    let (ok, fail) = (Outcome::Success as i32, Outcome::FailureError as i32);
    let (info, error) = (Severity::Info as i32, Severity::Error as i32);
    assert_eq!(
        summary,
        [
            (ok, info, "", "", "tools/a"),
            (fail, error, "ERROR", "backend down", ""),
            (fail, error, "PANIC", "the operation panicked", ""),
            (
                fail,
                error,
                "UNFINISHED",
                "the operation was dropped without an outcome",
                ""
            ),
        ]
    );
    assert!(
        records
            .iter()
            .all(|e| e.event_type == EventType::EventToolInvocation as i32)
    );
}

/// Every entry of the files of a file sink, oldest first, and the files.
fn read_all(dir: &Path, stem: &str, current: &str) -> (Vec<String>, Vec<PathBuf>) {
    let files = common::sink_files(dir, stem, current);
    let actors = files
        .iter()
        .flat_map(|f| common::read_file(f))
        .map(|e| e.unwrap().actor_id)
        .collect();
    (actors, files)
}

#[test]
fn rotation_by_size_with_compression_keeps_every_record() {
    for (compression, suffix) in [
        (Compression::None, ""),
        (Compression::Gzip, ".gz"),
        (Compression::Zstd, ".zst"),
    ] {
        for binary in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let (current, sink): (&str, Box<dyn Sink>) = if binary {
                // Synced per record too: the same files, only slower.
                let s = Binary::create(dir.path().join("audit.ldpb"))
                    .unwrap()
                    .rotate_bytes(2_000)
                    .compress_rotated(compression)
                    .durable(true);
                ("audit.ldpb", Box::new(s))
            } else {
                let s = JsonLines::create(dir.path().join("audit.jsonl"))
                    .unwrap()
                    .rotate_bytes(2_000)
                    .compress_rotated(compression);
                ("audit.jsonl", Box::new(s))
            };
            let audit = AuditLogger::builder().boxed_sink(sink).build().unwrap();
            let want: Vec<String> = (0..60).map(|i| format!("actor-{i:03}")).collect();
            for a in &want {
                audit.log(valid(a)).unwrap();
            }
            audit.close(None).unwrap();
            let (actors, files) = read_all(dir.path(), "audit", current);
            assert_eq!(actors, want, "{compression:?} binary={binary}");
            assert!(files.len() > 3, "{files:?}");
            for f in &files[..files.len() - 1] {
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                assert!(name.ends_with(suffix), "{name}");
                assert!(!name.ends_with(".tmp"), "{name}");
                if compression == Compression::None {
                    assert!(fs::metadata(f).unwrap().len() <= 2_000, "{name}");
                }
            }
        }
    }
}

#[test]
fn rotation_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let sink = JsonLines::create(dir.path().join("audit.jsonl"))
        .unwrap()
        .rotate_every(Duration::from_millis(30));
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    audit.log(valid("a")).unwrap();
    audit.log(valid("b")).unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(40) {
        std::thread::sleep(Duration::from_millis(10));
    }
    audit.log(valid("c")).unwrap();
    audit.close(None).unwrap();
    let (actors, files) = read_all(dir.path(), "audit", "audit.jsonl");
    assert_eq!(actors, ["a", "b", "c"]);
    // `c` came more than the period after the file holding `b` was opened,
    // so it starts a file of its own (on a loaded machine `a` and `b` may
    // be apart too: two rotated files then).
    assert!(files.len() >= 2, "{files:?}");
    let current: Vec<String> = common::read_file(files.last().unwrap())
        .into_iter()
        .map(|e| e.unwrap().actor_id)
        .collect();
    assert_eq!(current, ["c"]);
}

#[test]
fn reopening_cuts_a_partial_trailing_record() {
    let dir = tempfile::tempdir().unwrap();
    for (name, garbage) in [
        ("a.jsonl", &b"{\"actorId\":\"half"[..]),
        ("a.ldpb", &[0x40, 0x08, 0x01][..]),
    ] {
        let path = dir.path().join(name);
        let make = || -> Box<dyn Sink> {
            if name.ends_with(".jsonl") {
                Box::new(JsonLines::create(&path).unwrap())
            } else {
                Box::new(Binary::create(&path).unwrap())
            }
        };
        let audit = AuditLogger::builder().boxed_sink(make()).build().unwrap();
        audit.log(valid("one")).unwrap();
        audit.close(None).unwrap();
        // A crash in the middle of the next record.
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(garbage)
            .unwrap();
        let audit = AuditLogger::builder().boxed_sink(make()).build().unwrap();
        audit.log(valid("two")).unwrap();
        audit.close(None).unwrap();
        let (actors, _) = read_all(dir.path(), name, name);
        assert_eq!(actors, ["one", "two"], "{name}");
    }
    // A file that is not a stream of records is refused, not cut.
    let path = dir.path().join("other.ldpb");
    fs::write(&path, [0xff; 12]).unwrap();
    assert_eq!(Binary::create(&path).unwrap_err().code(), "IO");
    assert_eq!(fs::read(&path).unwrap().len(), 12);
}

#[cfg(feature = "ledger")]
#[test]
fn ledger_sink_is_verified_by_the_ledger() {
    use lokryn_ledger::store;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    fs::write(
        &key,
        store::generate_key("example.com/audit").unwrap().to_text(),
    )
    .unwrap();
    let ledger = dir.path().join("ledger");
    store::init(&ledger, &key, &[]).unwrap();

    let audit = AuditLogger::builder()
        .sink(lokryn_logger::sinks::Ledger::open(&ledger).unwrap())
        .build()
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(audit.log(valid(&format!("u{i}"))).unwrap().event_id);
        // Acknowledged means committed: a reader sees it now.
        assert_eq!(store::Reader::open(&ledger).unwrap().size(), i + 1);
    }
    audit.close(None).unwrap();
    let report = store::verify(&ledger, None).unwrap();
    assert_eq!(report.size, 5);
    let reader = store::Reader::open(&ledger).unwrap();
    for (i, id) in ids.iter().enumerate() {
        let entry = codec::decode(&reader.entry(i as u64).unwrap()).unwrap();
        assert_eq!(&entry.event_id, id);
    }

    // Group commit: staged until the group is full, then all at once; close
    // commits the rest.
    let audit = AuditLogger::builder()
        .sink(
            lokryn_logger::sinks::Ledger::open(&ledger)
                .unwrap()
                .commit_every(3, Duration::from_secs(3600)),
        )
        .build()
        .unwrap();
    audit.log(valid("g1")).unwrap();
    audit.log(valid("g2")).unwrap();
    assert_eq!(store::Reader::open(&ledger).unwrap().size(), 5);
    audit.log(valid("g3")).unwrap();
    assert_eq!(store::Reader::open(&ledger).unwrap().size(), 8);
    audit.log(valid("g4")).unwrap();
    audit.flush(None).unwrap();
    assert_eq!(store::Reader::open(&ledger).unwrap().size(), 9);
    audit.close(None).unwrap();
    assert_eq!(store::verify(&ledger, None).unwrap().size, 9);

    // A second writer while the first is open: the ledger's lock says no.
    let _first = lokryn_logger::sinks::Ledger::open(&ledger).unwrap();
    let err = lokryn_logger::sinks::Ledger::open(&ledger).unwrap_err();
    assert_eq!(err.code(), "LOCKED");
}

#[cfg(feature = "tracing")]
#[test]
fn tracing_layer_turns_events_of_its_target_into_records() {
    use lokryn_logger::AuditLayer;
    use tracing_subscriber::layer::SubscriberExt as _;

    let mem = Memory::named("m");
    let audit = AuditLogger::builder().sink(mem.clone()).build().unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = Arc::clone(&errors);
    let layer = AuditLayer::new(audit, "audit").on_error(move |err| {
        e.lock().unwrap().push(err.code());
    });
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(
            target: "audit",
            event_type = "EVENT_PRIVILEGE_USE",
            outcome = "failure_denied",
            actor_id = "bob",
            actor_type = "user",
            policy_tags = "soc2, pci",
            duration_ms = 12_i64,
            ticket = 42_u64,
            "sudo refused for {}", "bob"
        );
        tracing::info!(target: "other", actor_id = "nobody", "ignored");
        tracing::info!(target: "audit", actor_id = "carol", "no event type");
    });
    let records = mem.records.lock().unwrap().clone();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.event_type, EventType::EventPrivilegeUse as i32);
    assert_eq!(r.outcome, Outcome::FailureDenied as i32);
    assert_eq!(r.severity, Severity::Warning as i32);
    assert_eq!(r.actor_type, ActorType::User as i32);
    assert_eq!(r.message, "sudo refused for bob");
    assert_eq!(r.policy_tags, ["soc2", "pci"]);
    assert_eq!(r.duration_ms, 12);
    assert_eq!(r.payload, br#"{"ticket":42}"#);
    assert_eq!(r.payload_format, PayloadFormat::Json as i32);
    assert_eq!(*errors.lock().unwrap(), ["INVALID"]);
}

#[cfg(feature = "opentelemetry")]
#[test]
fn the_current_opentelemetry_span_fills_the_trace_context() {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };

    let audit = AuditLogger::builder()
        .sink(Memory::named("m"))
        .build()
        .unwrap();
    // No active span: nothing filled.
    assert_eq!(audit.log(valid("before")).unwrap().trace_id, "");
    let sc = SpanContext::new(
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        SpanId::from_hex("00f067aa0ba902b7").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let _guard = opentelemetry::Context::current()
        .with_remote_span_context(sc)
        .attach();
    let written = audit.log(valid("inside")).unwrap();
    assert_eq!(written.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(written.span_id, "00f067aa0ba902b7");
}

/// The logger checks the values it fills itself (event id, host, schema
/// version, producer) once, when it is built; a value the caller gives in
/// the record or as a default is checked with every record, and a bad one
/// still fails (or warns) exactly as before.
#[test]
fn caller_values_of_filled_fields_are_checked() {
    let fields = |report: &lokryn_compliance_log::validate::Report| -> Vec<String> {
        report.violations.iter().map(|v| v.field.clone()).collect()
    };
    // Valid under `pci` too.
    let base = |actor: &str| LogEntry {
        resource: "r".into(),
        ..valid(actor)
    };
    for profile in ["baseline", "pci"] {
        let main = Memory::named("main");
        let audit = AuditLogger::builder()
            .sink(main.clone())
            .profiles([profile])
            .unwrap()
            .build()
            .unwrap();
        // The logger's own values: valid, record after record.
        for _ in 0..3 {
            audit.log(base("alice")).unwrap();
        }
        let bad: [(&str, LogEntry); 3] = [
            (
                "host",
                LogEntry {
                    host: "bad host\n".into(),
                    ..base("eve")
                },
            ),
            (
                "eventId",
                LogEntry {
                    event_id: "not-a-uuid".into(),
                    ..base("eve")
                },
            ),
            (
                "producer.name",
                LogEntry {
                    producer: Some(Producer {
                        name: "bad\u{7}name".into(),
                        version: "1.0.0".into(),
                    }),
                    ..base("eve")
                },
            ),
        ];
        for (field, entry) in bad {
            let err = audit.log(entry.clone()).unwrap_err();
            assert_eq!(err.code(), "INVALID", "{field}");
            assert!(
                fields(err.report().unwrap()).contains(&field.to_owned()),
                "{field}"
            );
            // The same value as a default.
            let defaults = LogEntry {
                host: entry.host.clone(),
                event_id: entry.event_id.clone(),
                producer: entry.producer.clone(),
                ..LogEntry::default()
            };
            let with_defaults = AuditLogger::builder()
                .sink(Memory::named("d"))
                .profiles([profile])
                .unwrap()
                .defaults(defaults)
                .build()
                .unwrap();
            let err = with_defaults.log(base("eve")).unwrap_err();
            assert_eq!(err.code(), "INVALID", "default {field}");
            assert!(
                fields(err.report().unwrap()).contains(&field.to_owned()),
                "default {field}"
            );
        }
        // A schema version that is not semantic is a warning: written, and
        // reported to the hook under `Warn`.
        let warned = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&warned);
        let warn = AuditLogger::builder()
            .sink(Memory::named("w"))
            .profiles([profile])
            .unwrap()
            .on_invalid(OnInvalid::Warn)
            .on_warning(move |_, report| seen.lock().unwrap().push(fields(report)))
            .build()
            .unwrap();
        let err = warn.log(LogEntry {
            host: "bad host".into(),
            schema_version: "v1".into(),
            ..base("eve")
        });
        assert!(err.is_ok());
        let warned = warned.lock().unwrap();
        assert_eq!(warned.len(), 1);
        assert!(warned[0].contains(&"host".to_owned()), "{warned:?}");
        assert!(
            warned[0].contains(&"schemaVersion".to_owned()),
            "{warned:?}"
        );
        assert_eq!(main.actors(), ["alice", "alice", "alice"]);
    }
}
