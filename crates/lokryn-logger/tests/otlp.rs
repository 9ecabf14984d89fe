//! The `Otlp` sink's delivery rules against a tiny in-process OTLP/HTTP
//! server: retries (503, 429 with Retry-After), permanent refusals, partial
//! success, giving up, a full queue under a slow server, spilling and
//! replaying in order, also across a restart.

#![cfg(feature = "otlp")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod otlp_support;

use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use lokryn_logger::otlp::{Dropped, Otlp, OtlpHandle};
use lokryn_logger::{AuditLogger, Record, Sink, SinkError};
use otlp_support::{Reply, Server, entry};

/// Logs `n` records, returning their event ids in order.
fn log_n(audit: &AuditLogger, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| audit.log(entry(i)).unwrap().event_id)
        .collect()
}

/// A sink with tiny backoffs, so that retries take milliseconds.
fn quick(endpoint: &str) -> Otlp {
    Otlp::new(endpoint)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
        .batch_timeout(Duration::from_millis(5))
}

fn drops() -> (
    Arc<Mutex<Vec<Dropped>>>,
    impl Fn(&Dropped) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = {
        let seen = Arc::clone(&seen);
        move |d: &Dropped| seen.lock().unwrap().push(d.clone())
    };
    (seen, hook)
}

const LONG: Option<Duration> = Some(Duration::from_secs(30));

/// Waits until the sink's worker has stopped (after a close).
fn wait_stopped(handle: &OtlpHandle) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !handle.stats().stopped {
        assert!(Instant::now() < deadline, "the worker did not stop");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The event ids the drop hook heard of, in order.
fn dropped_ids(dropped: &Mutex<Vec<Dropped>>) -> Vec<String> {
    dropped
        .lock()
        .unwrap()
        .iter()
        .flat_map(|d| d.ids.clone())
        .collect()
}

#[test]
fn a_503_is_retried_and_each_record_arrives_once() {
    let server = Server::start(vec![Reply::Status(503, None), Reply::Status(503, None)]);
    let sink = quick(&server.endpoint()).batch_size(5);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 5);
    audit.flush(LONG).unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "two refusals, then the delivery");
    assert!(
        seen.iter().all(|s| s.ids == ids),
        "the same batch each time"
    );
    assert!(
        seen.iter()
            .all(|s| s.content_type == "application/x-protobuf")
    );
    assert_eq!(server.delivered(), ids);
    let stats = handle.stats();
    assert_eq!(
        (stats.written, stats.retried, stats.dropped, stats.queued),
        (5, 10, 0, 0)
    );
    let sink_stats = &audit.stats().sinks[0];
    assert_eq!(sink_stats.name, format!("otlp:{}", server.endpoint()));
    assert_eq!((sink_stats.written, sink_stats.retried), (5, 10));
    audit.close(LONG).unwrap();
}

#[test]
fn retry_after_is_honoured() {
    let server = Server::start(vec![Reply::Status(429, Some("1"))]);
    let sink = quick(&server.endpoint()).batch_size(1);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 1);
    audit.flush(LONG).unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    // The backoff alone is at most 5 ms: only the Retry-After explains a
    // second between the attempts.
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1));
    assert_eq!(server.delivered(), ids);
    assert_eq!(handle.stats().written, 1);
}

#[test]
fn a_400_is_permanent_and_dropped_with_its_reason() {
    let server = Server::start(vec![Reply::Status(400, None)]);
    let (dropped, hook) = drops();
    let sink = quick(&server.endpoint()).batch_size(3).on_drop(hook);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 3);
    audit.flush(LONG).unwrap();
    assert_eq!(server.seen().len(), 1, "no retry");
    let stats = handle.stats();
    assert_eq!((stats.written, stats.dropped, stats.retried), (0, 3, 0));
    assert_eq!(stats.dropped_by_reason.get("permanent"), Some(&3));
    let dropped = dropped.lock().unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].ids, ids);
    assert!(
        dropped[0].reason.starts_with("HTTP 400"),
        "{}",
        dropped[0].reason
    );
    // Later batches go through.
    let more = log_n(&audit, 2);
    audit.flush(LONG).unwrap();
    assert_eq!(server.delivered(), more);
}

#[test]
fn a_partial_success_counts_the_refused_records_as_dropped() {
    let server = Server::start(vec![Reply::Partial(2)]);
    let sink = quick(&server.endpoint()).batch_size(4);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    log_n(&audit, 4);
    audit.flush(LONG).unwrap();
    let stats = handle.stats();
    assert_eq!((stats.written, stats.dropped), (2, 2));
    assert_eq!(stats.dropped_by_reason.get("rejected"), Some(&2));
}

#[test]
fn a_batch_is_given_up_after_max_elapsed() {
    let server = Server::start(Vec::new());
    server.then(Reply::Status(503, None));
    let (dropped, hook) = drops();
    let sink = quick(&server.endpoint())
        .batch_size(3)
        .max_elapsed(Duration::from_millis(50))
        .on_drop(hook);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 3);
    audit.flush(LONG).unwrap();
    let stats = handle.stats();
    assert_eq!((stats.written, stats.dropped, stats.queued), (0, 3, 0));
    assert_eq!(stats.dropped_by_reason.get("gave up"), Some(&3));
    let dropped = dropped.lock().unwrap();
    assert_eq!(dropped[0].ids, ids);
    assert!(
        dropped[0].reason.contains("HTTP 503"),
        "{}",
        dropped[0].reason
    );
    assert!(server.seen().len() >= 2, "retried before giving up");
}

#[test]
fn max_retries_limits_the_attempts() {
    let server = Server::start(Vec::new());
    server.then(Reply::Status(502, None));
    let sink = quick(&server.endpoint()).batch_size(1).max_retries(2);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    log_n(&audit, 1);
    audit.flush(LONG).unwrap();
    assert_eq!(server.seen().len(), 3, "one attempt and two retries");
    assert_eq!(handle.stats().dropped, 1);
}

#[test]
fn a_slow_server_never_blocks_the_caller_past_block_timeout() {
    let server = Server::start(vec![Reply::Hold]);
    let (dropped, hook) = drops();
    let sink = quick(&server.endpoint())
        .batch_size(2)
        .queue_capacity(4)
        .block_timeout(Duration::from_millis(20))
        .on_drop(hook);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    // The server holds the first request: the queue (the held batch
    // included) fills at 4 records and the rest are dropped after waiting
    // 20 ms each. If `write` blocked, the channel would stay empty.
    let (tx, rx) = mpsc::channel();
    let logger = audit.clone();
    std::thread::spawn(move || tx.send(log_n(&logger, 10)).unwrap());
    let ids = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("log blocked");
    let stats = handle.stats();
    assert_eq!(stats.dropped, 6);
    assert_eq!(stats.dropped_by_reason.get("queue full"), Some(&6));
    assert_eq!(stats.high_water, 4);
    let dropped_ids = dropped_ids(&dropped);
    server.release();
    audit.flush(LONG).unwrap();
    let delivered = server.delivered();
    assert_eq!(delivered.len(), 4);
    // Everything logged is either delivered or reported dropped, once.
    let mut all: Vec<String> = delivered.iter().chain(&dropped_ids).cloned().collect();
    all.sort();
    let mut logged = ids;
    logged.sort();
    assert_eq!(all, logged);
    assert_eq!(handle.stats().written, 4);
}

#[test]
fn a_full_queue_spills_and_replays_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Vec::new());
    server.then(Reply::Status(503, None));
    let sink = quick(&server.endpoint())
        .batch_size(2)
        .queue_capacity(2)
        .spill_dir(dir.path());
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 10);
    let stats = handle.stats();
    assert_eq!(stats.dropped, 0);
    assert!(stats.spilled >= 8, "{stats:?}");
    assert_eq!(stats.queued, 10);
    server.then(Reply::Ok);
    audit.flush(LONG).unwrap();
    assert_eq!(server.delivered(), ids, "every record once, in order");
    let stats = handle.stats();
    assert_eq!((stats.written, stats.queued, stats.dropped), (10, 0, 0));
    assert_eq!(stats.high_water, 2);
    audit.close(LONG).unwrap();
}

#[test]
fn the_spill_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Vec::new());
    server.then(Reply::Status(503, None));
    // First run: the collector is down, the run ends.
    let first = quick(&server.endpoint())
        .batch_size(2)
        .queue_capacity(2)
        .spill_dir(dir.path());
    let handle = first.handle();
    let audit = AuditLogger::builder().sink(first).build().unwrap();
    let ids = log_n(&audit, 7);
    let err = audit.close(Some(Duration::from_millis(100))).unwrap_err();
    assert_eq!(err.code(), "TIMEOUT", "{err}");
    wait_stopped(&handle);
    let stats = handle.stats();
    assert_eq!(
        (stats.written, stats.dropped, stats.queued),
        (0, 0, 7),
        "{stats:?}"
    );
    // Second run: the collector is back; the records of the first run go
    // first, in order, then the new ones.
    server.then(Reply::Ok);
    let second = quick(&server.endpoint())
        .batch_size(2)
        .spill_dir(dir.path());
    let handle = second.handle();
    let audit = AuditLogger::builder().sink(second).build().unwrap();
    let more = log_n(&audit, 3);
    audit.close(LONG).unwrap();
    let expected: Vec<String> = ids.into_iter().chain(more).collect();
    assert_eq!(server.delivered(), expected);
    assert_eq!(handle.stats().written, 10);
    // Third run: nothing left to replay.
    let third = quick(&server.endpoint()).spill_dir(dir.path());
    let audit = AuditLogger::builder().sink(third).build().unwrap();
    audit.close(LONG).unwrap();
    assert_eq!(server.delivered().len(), 10);
}

#[test]
fn gzip_bodies_arrive_intact() {
    let server = Server::start(Vec::new());
    let sink = quick(&server.endpoint()).gzip(true).batch_size(3);
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 3);
    audit.close(LONG).unwrap();
    assert_eq!(server.delivered(), ids);
}

#[test]
fn a_bad_endpoint_is_a_config_error() {
    let audit = AuditLogger::builder()
        .sink(Otlp::new("ftp://example.com"))
        .build()
        .unwrap();
    let err = audit.log(entry(0)).unwrap_err();
    assert_eq!(err.code(), "SINK");
    assert!(err.to_string().contains("CONFIG"), "{err}");
}

#[test]
fn a_close_deadline_without_spill_drops_and_counts_what_is_left() {
    let server = Server::start(vec![Reply::Hold]);
    let (dropped, hook) = drops();
    let sink = quick(&server.endpoint())
        .batch_size(2)
        .queue_capacity(100)
        .on_drop(hook);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    let ids = log_n(&audit, 6);
    let err = audit.close(Some(Duration::from_millis(50))).unwrap_err();
    assert_eq!(err.code(), "TIMEOUT", "{err}");
    assert!(err.to_string().contains("6 records"), "{err}");
    // The held request returns; what was behind it is dropped as `closed`.
    server.release();
    wait_stopped(&handle);
    let stats = handle.stats();
    let delivered = server.delivered();
    assert_eq!(stats.written, delivered.len() as u64);
    assert_eq!(stats.written + stats.dropped, 6, "{stats:?}");
    assert_eq!(stats.dropped_by_reason.get("closed"), Some(&stats.dropped));
    let dropped_ids = dropped_ids(&dropped);
    let all: Vec<String> = delivered.into_iter().chain(dropped_ids).collect();
    assert_eq!(all, ids);
    assert_eq!(audit.log(entry(0)).unwrap_err().code(), "CLOSED");
}

#[test]
fn the_byte_bound_holds_and_a_record_larger_than_it_is_dropped() {
    let server = Server::start(vec![Reply::Hold]);
    // The weight of one record in the queue: its encoding (as completed by
    // the logger) and its event id.
    let one = {
        struct Size(Arc<Mutex<usize>>);
        impl Sink for Size {
            fn name(&self) -> &str {
                "size"
            }
            fn write(&mut self, record: &Record<'_>) -> Result<(), SinkError> {
                *self.0.lock().unwrap() = record.encoded.len() + record.entry.event_id.len();
                Ok(())
            }
        }
        let size = Arc::new(Mutex::new(0));
        let probe = AuditLogger::builder()
            .sink(Size(Arc::clone(&size)))
            .build()
            .unwrap();
        probe.log(entry(0)).unwrap();
        *size.lock().unwrap()
    };
    let sink = quick(&server.endpoint())
        .batch_size(1)
        .queue_capacity(1000)
        .queue_bytes(3 * one + one / 2);
    let handle = sink.handle();
    let audit = AuditLogger::builder().sink(sink).build().unwrap();
    log_n(&audit, 10);
    let stats = handle.stats();
    assert_eq!(stats.high_water, 3, "{stats:?}");
    assert!(stats.high_water_bytes <= 3 * one + one / 2, "{stats:?}");
    assert_eq!(stats.dropped_by_reason.get("queue full"), Some(&7));
    let mut big = entry(1);
    big.message = "x".repeat(10 * one);
    audit.log(big).unwrap();
    assert_eq!(handle.stats().dropped_by_reason.get("too large"), Some(&1));
    server.release();
    audit.close(LONG).unwrap();
    assert_eq!(handle.stats().written, 3);
}
