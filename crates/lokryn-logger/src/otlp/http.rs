//! OTLP/HTTP with protobuf bodies: one POST of an `ExportLogsServiceRequest`
//! per batch, through `ureq` (blocking, pure Rust, HTTPS with rustls).

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::write::GzEncoder;
use lokryn_compliance_log::{LogEntry, codec};
use lokryn_export::Options;
use lokryn_export::opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use lokryn_export::otlp::encode_request;
use prost::Message as _;

use crate::delivery::{Item, Outcome, Transport};

/// The largest response body read (a status or a partial-success message).
const RESPONSE_LIMIT: u64 = 64 * 1024;

/// Posts batches to `<endpoint>/v1/logs`.
pub(crate) struct HttpSender {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    gzip: bool,
    /// The body of the last batch (first id, count, bytes), reused by its
    /// retries.
    last: Option<(String, usize, u64, Vec<u8>)>,
}

impl HttpSender {
    pub(crate) fn new(
        url: String,
        headers: Vec<(String, String)>,
        gzip: bool,
        timeout: Duration,
    ) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("lokryn-logger/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Self {
            agent,
            url,
            headers,
            gzip,
            last: None,
        }
    }

    /// The request body of a batch: records that do not decode are left
    /// out and counted.
    fn body(&mut self, batch: &[Item]) -> Result<(u64, Vec<u8>), String> {
        let first = batch.first().map(|i| i.id.clone()).unwrap_or_default();
        if let Some((id, len, bad, body)) = &self.last
            && *id == first
            && *len == batch.len()
        {
            return Ok((*bad, body.clone()));
        }
        let mut entries: Vec<LogEntry> = Vec::with_capacity(batch.len());
        let mut bad = 0u64;
        for item in batch {
            match codec::decode(&item.bytes) {
                Ok(entry) => entries.push(entry),
                Err(_) => bad += 1,
            }
        }
        let observed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|d| u64::try_from(d.as_nanos()).ok());
        let options = Options {
            observed_time_ns: observed,
            ..Options::default()
        };
        let mut body = encode_request(&entries, &options).map_err(|e| e.to_string())?;
        if self.gzip {
            let mut gz = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
            gz.write_all(&body).map_err(|e| e.to_string())?;
            body = gz.finish().map_err(|e| e.to_string())?;
        }
        self.last = Some((first, batch.len(), bad, body.clone()));
        Ok((bad, body))
    }
}

impl Transport for HttpSender {
    fn send(&mut self, batch: &[Item]) -> Outcome {
        let (bad, body) = match self.body(batch) {
            Ok(b) => b,
            Err(reason) => {
                return Outcome::Permanent {
                    reason: format!("OTLP mapping: {reason}"),
                };
            }
        };
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/x-protobuf");
        if self.gzip {
            request = request.header("Content-Encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let mut response = match request.send(&body[..]) {
            Ok(r) => r,
            Err(ureq::Error::BadUri(uri)) => {
                return Outcome::Permanent {
                    reason: format!("bad endpoint URL {uri}"),
                };
            }
            Err(e) => {
                return Outcome::Retry {
                    reason: format!("POST {}: {e}", self.url),
                    after: None,
                };
            }
        };
        let status = response.status().as_u16();
        let after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(retry_after);
        let reply = response
            .body_mut()
            .with_config()
            .limit(RESPONSE_LIMIT)
            .read_to_vec()
            .unwrap_or_default();
        match status {
            200..=299 => {
                self.last = None;
                let partial = ExportLogsServiceResponse::decode(&reply[..])
                    .ok()
                    .and_then(|r| r.partial_success);
                let (rejected, message) = partial
                    .map(|p| {
                        (
                            u64::try_from(p.rejected_log_records).unwrap_or(0),
                            p.error_message,
                        )
                    })
                    .unwrap_or_default();
                let mut reason = message;
                if bad > 0 {
                    reason = format!("{bad} records could not be decoded; {reason}");
                }
                Outcome::Delivered {
                    rejected: rejected + bad,
                    reason,
                }
            }
            429 | 502 | 503 | 504 => Outcome::Retry {
                reason: format!("HTTP {status}{}", status_message(&reply)),
                after,
            },
            _ => {
                self.last = None;
                Outcome::Permanent {
                    reason: format!("HTTP {status}{}", status_message(&reply)),
                }
            }
        }
    }
}

/// `google.rpc.Status`, what the collector answers an error with.
#[derive(Clone, PartialEq, prost::Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The message of a `google.rpc.Status` reply, or the start of a text reply.
fn status_message(reply: &[u8]) -> String {
    let text = match Status::decode(reply) {
        Ok(s) if !s.message.is_empty() => s.message,
        _ => String::from_utf8_lossy(reply.get(..200).unwrap_or(reply))
            .trim()
            .to_owned(),
    };
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// A Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate).
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the epoch of `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || day == 0 || day > 31 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::try_from(day).ok()? - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days)
        .ok()
        .map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            retry_after("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
    }

    #[test]
    fn status_messages_come_from_the_rpc_status() {
        let reply = Status {
            code: 3,
            message: "bad record".into(),
        }
        .encode_to_vec();
        assert_eq!(status_message(&reply), ": bad record");
        assert_eq!(status_message(b""), "");
    }
}
