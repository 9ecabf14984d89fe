//! Logs `N` records as the `logger` benchmark does (`pci`, redaction on, a
//! JSON Lines file), for counting instructions with callgrind:
//! `(Ir(N + 1) - Ir(1)) / N` is the cost of one `log`, the one-time setup
//! excluded. Instruction counts do not move with the load of a shared
//! machine, so they compare versions where wall-clock time cannot.
//!
//! `cargo run --release -p lokryn-logger --example log_instructions -- <email|clean|tracing> <N>`

#![allow(clippy::print_stderr)]

use std::hint::black_box;
use std::process::ExitCode;

use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};
use lokryn_logger::AuditLogger;
use lokryn_logger::sinks::JsonLines;

/// The benchmark's record: an agent's tool call, with an email address in
/// the message when `email`.
fn entry(i: u64, email: bool) -> LogEntry {
    let to = if email {
        "ops@example.com"
    } else {
        "the operators"
    };
    LogEntry {
        event_type: EventType::EventToolInvocation as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: "agent-042".into(),
        component: "mcp-client".into(),
        environment: "staging".into(),
        resource: "tools/database_query".into(),
        message: format!("sent the report of request {i} to {to}"),
        policy_tags: vec!["SOC2".into(), "data-access".into()],
        session_id: "sess-9f2c".into(),
        request_id: format!("req-{i}"),
        duration_ms: 12,
        ..Default::default()
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("log_instructions: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(what), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: log_instructions <email|clean|tracing> <N>".into());
    };
    let n: u64 = n.parse()?;
    let dir = std::env::temp_dir().join(format!("log-instructions-{}", std::process::id()));
    let email = match what.as_str() {
        "email" => true,
        "clean" => false,
        "tracing" => return peer(&dir, n),
        _ => return Err(format!("unknown record {what}: email, clean or tracing").into()),
    };
    let audit = AuditLogger::builder()
        .sink(JsonLines::create(dir.join("audit.jsonl"))?)
        .profiles(["pci"])?
        .build()?;
    for i in 0..n {
        black_box(audit.log(entry(i, email))?);
    }
    audit.close(None)?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The benchmark's peer: `tracing::info!` through the JSON layer to a file.
fn peer(dir: &std::path::Path, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::File::create(dir.join("tracing.jsonl"))?;
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(std::sync::Mutex::new(file))
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..n {
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
    });
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
