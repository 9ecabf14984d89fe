//! Record completion: time, event id, producer, schema version, host, trace
//! context and defaults.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use lokryn_compliance_log::validate::{Filled, Known, Options};
use lokryn_compliance_log::{LogEntry, Producer, Timestamp};

/// The W3C trace context of the current span, as hex strings (`trace_id`
/// 32 digits, `span_id` and `parent_span_id` 16; the parent may be empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace id, 32 lower-case hex digits.
    pub trace_id: String,
    /// The span id, 16 lower-case hex digits.
    pub span_id: String,
    /// The parent span id, 16 lower-case hex digits, or empty.
    pub parent_span_id: String,
}

/// The current time as a protobuf timestamp (UTC, nanoseconds).
pub(crate) fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        // Below 10^9, so it fits.
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    }
}

/// The machine's host name (empty when it cannot be read as UTF-8).
pub(crate) fn host_name() -> String {
    gethostname::gethostname().into_string().unwrap_or_default()
}

/// The 74 random bits of a UUIDv7 (`rand_a` and `rand_b`).
const RAND_BITS: u32 = 74;
const RAND_MASK: u128 = (1 << RAND_BITS) - 1;

/// UUIDv7 (RFC 9562) generator, monotonic within the process: within one
/// millisecond (or when the clock steps back) the 74 random bits of the last
/// id are incremented (RFC 9562 section 6.2, method 2), starting from a random
/// value whose top bit is clear so that increments have room.
#[derive(Debug, Default)]
pub(crate) struct Uuid7 {
    last: Mutex<(u64, u128)>,
}

impl Uuid7 {
    pub(crate) fn next(&self) -> String {
        let now_ms = u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
        )
        .unwrap_or(u64::MAX);
        let (ms, rand) = {
            let mut last = self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let (last_ms, last_rand) = *last;
            let next = if now_ms > last_ms {
                (now_ms, random_bits() & (RAND_MASK >> 1))
            } else if last_rand < RAND_MASK {
                (last_ms, last_rand + 1)
            } else {
                // 2^74 ids in one millisecond: borrow the next one.
                (last_ms + 1, random_bits() & (RAND_MASK >> 1))
            };
            *last = next;
            next
        };
        format_uuid7(ms, rand)
    }
}

fn random_bits() -> u128 {
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_err() {
        // No system randomness: fall back on the clock's nanoseconds; the
        // ids stay unique within the process (monotonic), less so across.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        return nanos.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
    }
    u128::from_le_bytes(buf)
}

/// Lays out a UUIDv7 from its 48-bit millisecond time and 74 random bits.
fn format_uuid7(ms: u64, rand: u128) -> String {
    let rand_a = (rand >> 62) & 0xfff;
    let rand_b = rand & ((1 << 62) - 1);
    let value: u128 = (u128::from(ms & 0xffff_ffff_ffff) << 80)
        | (0x7 << 76)
        | (rand_a << 64)
        | (0b10 << 62)
        | rand_b;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Where the two hex digits of each byte of the value go (hyphens at
    // 8, 13, 18 and 23).
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let hex = |nibble: u8| HEX.get(usize::from(nibble & 0xf)).copied().unwrap_or(b'0');
    let mut text = [b'-'; 36];
    for (&byte, &at) in value.to_be_bytes().iter().zip(AT.iter()) {
        if let Some([high, low]) = text.get_mut(at..at + 2) {
            *high = hex(byte >> 4);
            *low = hex(byte);
        }
    }
    // Hex digits and hyphens only: always UTF-8 (checked, not converted
    // piece by piece as a lossy conversion would).
    std::str::from_utf8(&text)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The lowest and the highest id [`Uuid7::next`] can make: every id it
/// makes has their form (36 bytes, hyphens at the same places, hex digits
/// elsewhere, `7` and one of `89ab` at the same places), so the rules of the
/// event id, which look only at that, judge every id as they judge these.
fn uuid7_extremes() -> [String; 2] {
    [
        format_uuid7(0, 0),
        format_uuid7(0xffff_ffff_ffff, RAND_MASK),
    ]
}

/// True for a lower-case hyphenated UUID of version 7 and the RFC variant.
pub fn is_uuid7(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .flat_map(|g| g.bytes())
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && groups.get(2).is_some_and(|g| g.starts_with('7'))
        && groups
            .get(3)
            .is_some_and(|g| g.starts_with(['8', '9', 'a', 'b']))
}

fn unset<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Copies into `entry` every field `defaults` sets and `entry` leaves unset;
/// repeated fields get the defaults' values first, then the record's, without
/// duplicates. Sub-messages are taken whole.
pub(crate) fn merge_defaults(entry: &mut LogEntry, defaults: &LogEntry) {
    macro_rules! scalar {
        ($($f:ident),* $(,)?) => {$(
            if unset(&entry.$f) && !unset(&defaults.$f) {
                entry.$f.clone_from(&defaults.$f);
            }
        )*};
    }
    macro_rules! message {
        ($($f:ident),* $(,)?) => {$(
            if entry.$f.is_none() && defaults.$f.is_some() {
                entry.$f.clone_from(&defaults.$f);
            }
        )*};
    }
    macro_rules! repeated {
        ($($f:ident),* $(,)?) => {$(
            if !defaults.$f.is_empty() {
                let mut merged = defaults.$f.clone();
                for item in std::mem::take(&mut entry.$f) {
                    if !merged.contains(&item) {
                        merged.push(item);
                    }
                }
                entry.$f = merged;
            }
        )*};
    }
    // Every field of LogEntry, by kind (the test `defaults_cover_every_field`
    // keeps this list complete).
    scalar!(
        event_type,
        outcome,
        severity,
        actor_id,
        component,
        environment,
        resource,
        message,
        payload,
        sensitivity,
        event_id,
        actor_type,
        source_ip,
        host,
        user_agent,
        trace_id,
        span_id,
        parent_span_id,
        session_id,
        request_id,
        duration_ms,
        error_code,
        error_message,
        schema_version,
        payload_format,
    );
    message!(time, producer, genai, mcp);
    repeated!(policy_tags, delegation_chain);
}

/// What the logger fills in, fixed when it is built.
#[derive(Debug, Clone)]
pub(crate) struct Fill {
    pub(crate) producer: Producer,
    pub(crate) schema_version: String,
    pub(crate) host: String,
}

impl Fill {
    /// These values and the generator's ids, checked once under `options`.
    pub(crate) fn known(&self, options: &Options) -> Known {
        let [low, high] = uuid7_extremes();
        Known::new(
            options,
            &self.host,
            &self.schema_version,
            &self.producer,
            &[&low, &high],
        )
    }
}

/// Completes `entry`: the defaults first (a value the user chose wins over a
/// computed one), then time, event id, producer, schema version, host and
/// the trace context, each only where still unset. Returns which of the
/// event id, producer, schema version and host it filled from `ids` and
/// `fill` (not from the record or the defaults).
pub(crate) fn complete(
    entry: &mut LogEntry,
    defaults: Option<&LogEntry>,
    fill: &Fill,
    ids: &Uuid7,
    trace: Option<&(dyn Fn() -> Option<TraceContext> + Send + Sync)>,
) -> Filled {
    if let Some(defaults) = defaults {
        merge_defaults(entry, defaults);
    }
    let mut filled = Filled::default();
    if entry.time.is_none() {
        entry.time = Some(now());
    }
    if entry.event_id.is_empty() {
        entry.event_id = ids.next();
        filled.event_id = true;
    }
    if entry.producer.is_none() {
        entry.producer = Some(fill.producer.clone());
        filled.producer = true;
    }
    if entry.schema_version.is_empty() {
        entry.schema_version.clone_from(&fill.schema_version);
        filled.schema_version = true;
    }
    if entry.host.is_empty() {
        entry.host.clone_from(&fill.host);
        filled.host = true;
    }
    if entry.trace_id.is_empty()
        && let Some(ctx) = trace.and_then(|f| f())
    {
        entry.trace_id = ctx.trace_id;
        if entry.span_id.is_empty() {
            entry.span_id = ctx.span_id;
        }
        if entry.parent_span_id.is_empty() {
            entry.parent_span_id = ctx.parent_span_id;
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid7_form_and_order() {
        let ids = Uuid7::default();
        let all: Vec<String> = (0..2000).map(|_| ids.next()).collect();
        for id in &all {
            assert!(is_uuid7(id), "{id}");
        }
        for pair in all.windows(2) {
            if let [a, b] = pair {
                assert!(a < b, "{a} !< {b}");
            }
        }
    }

    #[test]
    fn uuid7_extremes_bound_every_id() {
        let [low, high] = uuid7_extremes();
        assert_eq!(low, "00000000-0000-7000-8000-000000000000");
        assert_eq!(high, "ffffffff-ffff-7fff-bfff-ffffffffffff");
        // Every id: hyphens where the extremes have them, hex digits
        // elsewhere, the version and variant digits in their ranges.
        let ids = Uuid7::default();
        for id in (0..1000).map(|_| ids.next()) {
            assert_eq!(id.len(), 36);
            for (i, ((c, l), h)) in id.bytes().zip(low.bytes()).zip(high.bytes()).enumerate() {
                if l == b'-' {
                    assert_eq!(c, b'-', "{id}");
                } else {
                    assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{id}");
                    assert!((l..=h).contains(&c), "{id} at {i}");
                }
            }
        }
    }

    /// The layout digit by digit, as it was first written: the same text.
    fn format_uuid7_by_digit(ms: u64, rand: u128) -> String {
        let rand_a = (rand >> 62) & 0xfff;
        let rand_b = rand & ((1 << 62) - 1);
        let value: u128 = (u128::from(ms & 0xffff_ffff_ffff) << 80)
            | (0x7 << 76)
            | (rand_a << 64)
            | (0b10 << 62)
            | rand_b;
        let mut text = String::new();
        for i in 0..32u32 {
            if matches!(i, 8 | 12 | 16 | 20) {
                text.push('-');
            }
            let nibble = u32::try_from((value >> (124 - 4 * i)) & 0xf).unwrap();
            text.push(char::from_digit(nibble, 16).unwrap());
        }
        text
    }

    #[test]
    fn uuid7_text_is_the_layout_digit_by_digit() {
        let mut cases = vec![
            (0, 0),
            (0xffff_ffff_ffff, RAND_MASK),
            (0x0123_4567_89ab, 0x2_3456_789a_bcde_f012_3456),
        ];
        for i in 0..2000u64 {
            cases.push((i.wrapping_mul(0x9e37_79b9_7f4a), random_bits() & RAND_MASK));
        }
        for (ms, rand) in cases {
            assert_eq!(format_uuid7(ms, rand), format_uuid7_by_digit(ms, rand));
        }
    }

    #[test]
    fn uuid7_layout() {
        let s = format_uuid7(0x0123_4567_89ab, RAND_MASK);
        assert_eq!(s, "01234567-89ab-7fff-bfff-ffffffffffff");
        assert!(!is_uuid7("01234567-89ab-4fff-bfff-ffffffffffff"));
    }

    #[test]
    fn uuid7_carries_into_the_next_millisecond() {
        let ids = Uuid7::default();
        let far = 0x0fff_ffff_ffff;
        *ids.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (far, RAND_MASK);
        let next = ids.next();
        assert!(next > format_uuid7(far, RAND_MASK), "{next}");
    }
}
