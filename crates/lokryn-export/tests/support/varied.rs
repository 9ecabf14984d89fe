//! Random records with the payloads and strings the exporters treat
//! specially (JSON text canonical or not, plain text, bytes that are not
//! UTF-8, CBOR), for the tests that hold a direct path to its general one.
//! Included by path next to `random.rs` (as the crate's `random` module).

use lokryn_compliance_log::{LogEntry, PayloadFormat};

use crate::random::{Rng, random_entry};

const PAYLOADS: &[&[u8]] = &[
    br#"{"a":1,"b":[true,null,"x\"y"],"c":{"d":-2.5}}"#,
    br#"{"b":1,"a":2}"#,
    br#"{"a": 1}"#,
    b"[1,2,3]",
    b"\"text\"",
    b"1e5",
    b"1e400",
    b"\"\xff\"",
    b"plain text",
    b"\xff\xfe not utf-8",
];

/// A random record, varied further where the exporters branch.
pub(crate) fn varied_entry(rng: &mut Rng) -> LogEntry {
    let mut entry = random_entry(rng);
    if rng.chance(50) {
        entry.event_type = rng.below(40) as i32;
    }
    if rng.chance(40) {
        entry.payload = PAYLOADS[rng.below(PAYLOADS.len() as u64) as usize].to_vec();
        if rng.chance(20) {
            entry.payload_format = PayloadFormat::Cbor as i32;
        }
    }
    for field in [
        &mut entry.host,
        &mut entry.user_agent,
        &mut entry.span_id,
        &mut entry.session_id,
        &mut entry.request_id,
        &mut entry.error_code,
        &mut entry.error_message,
        &mut entry.schema_version,
    ] {
        *field = rng.string();
    }
    if let Some(mcp) = entry.mcp.as_mut() {
        mcp.tool_name = rng.string();
        mcp.resource_uri = rng.string();
    }
    entry
}
