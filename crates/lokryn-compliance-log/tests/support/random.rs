//! Random records for the tests (`json_oracle.rs` here, and lokryn-export's,
//! which include this file by path): every field, edge values (unicode,
//! 64-bit extremes, timestamps of every precision, non-finite doubles, enum
//! numbers the schema does not define). Deterministic, no dependency.

use lokryn_compliance_log::v1::{DelegationLink, GenAiPayload, LogEntry, McpPayload, Producer};

/// xorshift64*: deterministic, no dependency.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub(crate) fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "日本", "😀",
            "\u{2028}", "\u{2029}", "\u{85}", "\u{7f}", "-", "\r",
        ];
        if self.chance(30) {
            return String::new();
        }
        (0..self.below(12))
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }
    pub(crate) fn strings(&mut self) -> Vec<String> {
        (0..self.below(4)).map(|_| self.string()).collect()
    }
    pub(crate) fn enum_value(&mut self) -> i32 {
        match self.below(10) {
            0 => 0,
            1 => self.next() as i32,
            2 => -(self.below(5) as i32),
            _ => self.below(45) as i32,
        }
    }
    pub(crate) fn int64(&mut self) -> i64 {
        match self.below(6) {
            0 => 0,
            1 => i64::MAX,
            2 => i64::MIN,
            3 => -(self.below(1000) as i64),
            _ => self.next() as i64 >> self.below(63),
        }
    }
    pub(crate) fn double(&mut self) -> f64 {
        match self.below(8) {
            0 => 0.0,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => -0.0,
            4 => f64::from_bits(self.next()) % 1e300,
            _ => (self.below(1_000_000) as f64) / 1000.0,
        }
    }
}

pub(crate) fn random_entry(rng: &mut Rng) -> LogEntry {
    let mut e = LogEntry {
        event_type: rng.enum_value(),
        outcome: rng.enum_value(),
        severity: rng.enum_value(),
        actor_id: rng.string(),
        component: rng.string(),
        environment: rng.string(),
        resource: rng.string(),
        message: rng.string(),
        payload: (0..rng.below(20)).map(|_| rng.next() as u8).collect(),
        policy_tags: rng.strings(),
        sensitivity: rng.enum_value(),
        actor_type: rng.enum_value(),
        event_id: rng.string(),
        source_ip: rng.string(),
        trace_id: rng.string(),
        duration_ms: rng.int64(),
        payload_format: rng.enum_value(),
        ..Default::default()
    };
    if rng.chance(60) {
        let max = 253_402_300_799 + 62_135_596_800;
        let seconds = rng.below(max) as i64 - 62_135_596_800;
        let nanos = match rng.below(4) {
            0 => 0,
            1 => rng.below(1000) as i32 * 1_000_000,
            2 => rng.below(1_000_000) as i32 * 1000,
            _ => rng.below(1_000_000_000) as i32,
        };
        e.time = Some(lokryn_compliance_log::Timestamp { seconds, nanos });
    }
    for _ in 0..rng.below(3) {
        e.delegation_chain.push(DelegationLink {
            actor_id: rng.string(),
            actor_type: rng.enum_value(),
            scopes: rng.strings(),
            reason: rng.string(),
        });
    }
    if rng.chance(40) {
        e.producer = Some(Producer {
            name: rng.string(),
            version: rng.string(),
        });
    }
    if rng.chance(50) {
        e.genai = Some(GenAiPayload {
            operation_name: rng.string(),
            input_tokens: rng.int64(),
            output_tokens: rng.int64(),
            finish_reasons: rng.strings(),
            temperature: rng.chance(50).then(|| rng.double()),
            top_p: rng.chance(50).then(|| rng.double()),
            max_tokens: rng.chance(50).then(|| rng.int64()),
            ..Default::default()
        });
    }
    if rng.chance(50) {
        e.mcp = Some(McpPayload {
            method_name: rng.string(),
            jsonrpc_error_code: rng.chance(50).then(|| rng.next() as i32),
            ..Default::default()
        });
    }
    e
}
