//! The records the logger benchmark and its callgrind example
//! (`examples/logger_peer.rs`) log, and the `tracing` event and subscriber
//! they measure as the peer, so both measure the same work.

use std::fs::File;
use std::sync::Mutex;

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};

/// The fields both sides log: an agent's tool call, with an email address in
/// the message (which the audit logger redacts).
pub(crate) fn entry(i: u64) -> LogEntry {
    record(
        i,
        format!("sent the report of request {i} to ops@example.com"),
    )
}

/// The same record with nothing sensitive in it.
pub(crate) fn clean(i: u64) -> LogEntry {
    record(
        i,
        format!("sent the report of request {i} to the operators"),
    )
}

/// The record with `message` (made once: `..clean(i)` would make and drop
/// the other message, a cost the record with an email address alone paid).
fn record(i: u64, message: String) -> LogEntry {
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: "agent-042".into(),
        component: "mcp-client".into(),
        environment: "staging".into(),
        resource: "tools/database_query".into(),
        message,
        policy_tags: vec!["SOC2".into(), "data-access".into()],
        session_id: "sess-9f2c".into(),
        request_id: format!("req-{i}"),
        duration_ms: 12,
        ..Default::default()
    }
}

/// The peer: `tracing-subscriber`'s JSON layer writing each event to `file`
/// (one `write` per event, no buffering, as the logger's JSON Lines sink).
pub(crate) fn peer(file: File) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .json()
        .with_writer(Mutex::new(file))
        .finish()
}

/// The peer's event: `tracing::info!` with the fields of [`entry`].
pub(crate) fn peer_event(i: u64) {
    let (request_id, tags) = (format!("req-{i}"), ["SOC2", "data-access"]);
    tracing::info!(
        target: "audit",
        event_type = "EVENT_TOOL_INVOCATION",
        outcome = "OUTCOME_SUCCESS",
        actor_id = "agent-042",
        component = "mcp-client",
        environment = "staging",
        resource = "tools/database_query",
        policy_tags = ?tags,
        session_id = "sess-9f2c",
        request_id = %request_id,
        duration_ms = 12,
        "sent the report of request {i} to ops@example.com"
    );
}
