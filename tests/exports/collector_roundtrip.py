"""Our OTLP through a real OpenTelemetry Collector.

Starts a small OTLP/HTTP receiver (this script, parsing with the
`opentelemetry-proto` package), starts the collector with an OTLP receiver on
127.0.0.1 and an `otlphttp` exporter pointed at it, posts the requests
`complog export --to otlp` (protobuf) and `--to otlp-json` (OTLP/JSON) wrote,
and checks that exactly the log records we sent came out of the collector:
every record, with its resource and scope, once per encoding, nothing else.

Usage: python collector_roundtrip.py COLLECTOR REQUESTS.binpb REQUESTS.jsonl
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from google.protobuf.internal.decoder import _DecodeVarint
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

received: list[ExportLogsServiceRequest] = []
lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        request = ExportLogsServiceRequest()
        if self.path != "/v1/logs" or "protobuf" not in self.headers.get("Content-Type", ""):
            self.send_response(400)
            self.end_headers()
            return
        request.ParseFromString(body)
        with lock:
            received.append(request)
        reply = ExportLogsServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frames(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        size, pos = _DecodeVarint(data, pos)
        out.append(data[pos : pos + size])
        pos += size
    return out


def records(requests) -> list[bytes]:
    """Each log record with its resource and scope, as one canonical message."""
    out = []
    for request in requests:
        for rl in request.resource_logs:
            for sl in rl.scope_logs:
                for record in sl.log_records:
                    one = ExportLogsServiceRequest()
                    r = one.resource_logs.add()
                    r.resource.CopyFrom(rl.resource)
                    s = r.scope_logs.add()
                    s.scope.CopyFrom(sl.scope)
                    copy = s.log_records.add()
                    copy.CopyFrom(record)
                    # The collector's pdata always carries a body; an empty
                    # AnyValue is OTLP's "no value", the same as none.
                    if copy.HasField("body") and copy.body.WhichOneof("value") is None:
                        copy.ClearField("body")
                    out.append(one.SerializeToString(deterministic=True))
    return sorted(out)


def post(port: int, body: bytes, content_type: str) -> None:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/logs", data=body, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            assert response.status == 200, response.status
    except urllib.error.HTTPError as e:
        raise SystemExit(f"the collector refused a {content_type} request: {e.code} {e.read()[:500]!r}") from None


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the collector exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the collector did not open its OTLP/HTTP port")


def main(argv: list[str]) -> int:
    collector, binary, jsonl = argv[1], Path(argv[2]), Path(argv[3])
    sent_binary = frames(binary.read_bytes())
    sent_json = [line for line in jsonl.read_text().split("\n") if line.strip()]
    expected = records(ExportLogsServiceRequest.FromString(b) for b in sent_binary)
    assert expected, "nothing to send"

    sink_port, otlp_port = free_port(), free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", sink_port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = f"""
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp_port}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:{sink_port}
    compression: none
    retry_on_failure:
      enabled: false
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
"""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(config)
        proc = subprocess.Popen(
            [collector, "--config", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_for_port(otlp_port, proc)
            for body in sent_binary:
                post(otlp_port, body, "application/x-protobuf")
            for line in sent_json:
                post(otlp_port, line.encode(), "application/json")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with lock:
                    got = records(received)
                if len(got) >= 2 * len(expected):
                    break
                time.sleep(0.2)
        finally:
            proc.terminate()
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            server.shutdown()
    with lock:
        got = records(received)
    want = sorted(expected + expected)
    if got != want:
        print(
            f"collector: sent {len(want)} records (protobuf and JSON), received {len(got)}; "
            f"{len(set(want) - set(got))} sent records missing, {len(set(got) - set(want))} unexpected",
            file=sys.stderr,
        )
        missing = sorted(set(want) - set(got))
        unexpected = sorted(set(got) - set(want))
        if missing and unexpected:
            print("first missing:\n" + str(ExportLogsServiceRequest.FromString(missing[0])), file=sys.stderr)
            print("first unexpected:\n" + str(ExportLogsServiceRequest.FromString(unexpected[0])), file=sys.stderr)
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
        return 1
    print(
        f"collector: {len(expected)} records sent as OTLP/HTTP protobuf and as OTLP/JSON "
        f"arrived intact through otelcol ({len(received)} requests)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
