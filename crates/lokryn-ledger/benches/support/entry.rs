//! The record the ledger's benchmark and its instruction-count example
//! write, shared by both (`#[path]`-included).

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity, Timestamp};

/// A record of about the size the project's figures use (≈ 340 bytes).
pub(crate) fn entry(i: u64) -> LogEntry {
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: format!("agent-{:03}", i % 500),
        component: "mcp-client".into(),
        environment: "production".into(),
        resource: "tools/database_query".into(),
        message: format!("Executed database query tool, request {i}"),
        payload:
            br#"{"query":"SELECT * FROM users WHERE id = ?","rows_returned":42,"cached":false}"#
                .to_vec(),
        policy_tags: vec!["SOC2".into(), "data-access".into()],
        time: Some(Timestamp {
            seconds: 1_764_326_470 + i64::try_from(i).unwrap_or_default(),
            nanos: 950_000_000,
        }),
        event_id: format!("019ac9f4-59a6-7c70-8b3e-{i:012x}"),
        ..Default::default()
    }
}
