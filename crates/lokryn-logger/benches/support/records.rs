//! The records the logger benchmark and its callgrind example
//! (`examples/logger_peer.rs`) log, so both measure the same work.

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};

/// The fields both sides log: an agent's tool call, with an email address in
/// the message (which the audit logger redacts).
pub(crate) fn entry(i: u64) -> LogEntry {
    LogEntry {
        message: format!("sent the report of request {i} to ops@example.com"),
        ..clean(i)
    }
}

/// The same record with nothing sensitive in it.
pub(crate) fn clean(i: u64) -> LogEntry {
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: "agent-042".into(),
        component: "mcp-client".into(),
        environment: "staging".into(),
        resource: "tools/database_query".into(),
        message: format!("sent the report of request {i} to the operators"),
        policy_tags: vec!["SOC2".into(), "data-access".into()],
        session_id: "sess-9f2c".into(),
        request_id: format!("req-{i}"),
        duration_ms: 12,
        ..Default::default()
    }
}
