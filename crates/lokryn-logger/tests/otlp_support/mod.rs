//! A tiny OTLP/HTTP receiver on a std `TcpListener` for the `Otlp` sink's
//! tests: it answers each request as scripted and records the event ids
//! (`log.record.uid`) of every request it saw.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use lokryn_compliance_log::{EventType, LogEntry, Outcome, Severity};
use lokryn_export::opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use lokryn_export::opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message as _;

/// A valid record (under `baseline`) numbered `i`.
pub(crate) fn entry(i: usize) -> LogEntry {
    LogEntry {
        event_type: EventType::EventFileAccess as i32,
        outcome: Outcome::Success as i32,
        severity: Severity::Info as i32,
        actor_id: "billing-api".into(),
        resource: format!("cards/{i}"),
        message: format!("record {i}"),
        ..Default::default()
    }
}

/// A port nothing listens on (at the moment).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An OpenTelemetry Collector process (killed when dropped).
pub(crate) struct Collector {
    child: Child,
}

impl Collector {
    /// Starts `binary` with the configuration `yaml` (written to
    /// `dir/collector.yaml`) and waits until `port` accepts connections.
    pub(crate) fn start(binary: &Path, dir: &Path, yaml: &str, port: u16) -> Self {
        let config = dir.join("collector.yaml");
        std::fs::write(&config, yaml).unwrap();
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the collector exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the collector did not open {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child }
    }

    /// SIGTERM (a graceful stop), then waits for the process to end.
    pub(crate) fn stop(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the server answers one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// 200 with an empty response.
    Ok,
    /// A status, with an optional Retry-After value.
    Status(u16, Option<&'static str>),
    /// 200 with a partial success refusing this many records.
    Partial(i64),
    /// Waits until [`Server::release`], then 200.
    Hold,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) at: Instant,
    pub(crate) ids: Vec<String>,
    pub(crate) status: u16,
    pub(crate) content_type: String,
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Reply>,
    /// The answer once the script is used up.
    then: Option<Reply>,
    seen: Vec<Seen>,
    released: bool,
}

#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) port: u16,
    inner: Arc<(Mutex<Inner>, Condvar)>,
}

impl Server {
    /// Starts answering `script` in order, then 200 to everything.
    pub(crate) fn start(script: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::on(listener, script)
    }

    /// Serves on an already bound listener.
    pub(crate) fn on(listener: TcpListener, script: Vec<Reply>) -> Self {
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new((
            Mutex::new(Inner {
                script: script.into(),
                ..Inner::default()
            }),
            Condvar::new(),
        ));
        let server = Self { port, inner };
        let accept = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let conn = accept.clone();
                std::thread::spawn(move || conn.serve(stream));
            }
        });
        server
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Answers with `reply` once the script is used up.
    pub(crate) fn then(&self, reply: Reply) {
        self.inner.0.lock().unwrap().then = Some(reply);
    }

    /// Lets held requests go.
    pub(crate) fn release(&self) {
        self.inner.0.lock().unwrap().released = true;
        self.inner.1.notify_all();
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.inner.0.lock().unwrap().seen.clone()
    }

    /// The ids of the requests answered 200, in order.
    pub(crate) fn delivered(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| s.status == 200)
            .flat_map(|s| s.ids)
            .collect()
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let mut length = 0usize;
            let mut gzip = false;
            let mut content_type = String::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 {
                    return;
                }
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap();
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap(),
                    "content-encoding" => gzip = value == "gzip",
                    "content-type" => content_type = value.to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            if gzip {
                let mut plain = Vec::new();
                GzDecoder::new(&body[..]).read_to_end(&mut plain).unwrap();
                body = plain;
            }
            let ids = event_ids(&ExportLogsServiceRequest::decode(&body[..]).unwrap());
            let reply = {
                let (lock, cvar) = &*self.inner;
                let mut inner = lock.lock().unwrap();
                let reply = inner
                    .script
                    .pop_front()
                    .or_else(|| inner.then.clone())
                    .unwrap_or(Reply::Ok);
                if matches!(reply, Reply::Hold) {
                    while !inner.released {
                        inner = cvar.wait(inner).unwrap();
                    }
                }
                let status = match reply {
                    Reply::Status(code, _) => code,
                    _ => 200,
                };
                inner.seen.push(Seen {
                    at: Instant::now(),
                    ids,
                    status,
                    content_type,
                });
                reply
            };
            let (status, extra, payload) = match reply {
                Reply::Ok | Reply::Hold => (
                    200,
                    String::new(),
                    ExportLogsServiceResponse::default().encode_to_vec(),
                ),
                Reply::Partial(n) => (
                    200,
                    String::new(),
                    ExportLogsServiceResponse {
                        partial_success: Some(ExportLogsPartialSuccess {
                            rejected_log_records: n,
                            error_message: "too old".into(),
                        }),
                    }
                    .encode_to_vec(),
                ),
                Reply::Status(code, after) => (
                    code,
                    after
                        .map(|a| format!("Retry-After: {a}\r\n"))
                        .unwrap_or_default(),
                    b"scripted failure".to_vec(),
                ),
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n{extra}\r\n",
                payload.len()
            );
            if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&payload).is_err() {
                return;
            }
        }
    }
}

/// The `log.record.uid` attribute (our event id) of every record, in order.
pub(crate) fn event_ids(request: &ExportLogsServiceRequest) -> Vec<String> {
    let mut ids = Vec::new();
    for rl in &request.resource_logs {
        for sl in &rl.scope_logs {
            for record in &sl.log_records {
                for kv in &record.attributes {
                    if kv.key == "log.record.uid"
                        && let Some(any_value::Value::StringValue(id)) =
                            kv.value.as_ref().and_then(|v| v.value.as_ref())
                    {
                        ids.push(id.clone());
                    }
                }
            }
        }
    }
    ids
}
