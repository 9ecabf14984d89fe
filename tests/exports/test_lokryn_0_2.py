"""Records built with the vendor's published 0.2.0 package
(`lokryn-compliance-log==0.2.0`, `lokryn.compliance.v1.LogRequest`), imported
by `complog import --from lokryn-0.2` from the three forms they travel in:
one binary record a file (the HTTP sink's body), a length-delimited stream, and
the JSON Lines the `lokryn-mcp-log` 0.4.0 sinks write
(`json.dumps(MessageToDict(record, preserving_proto_field_name=True))`).

Checks: the schema compiled into complog is the one the wheel ships; the three
forms give the same entries; the entries validate under `baseline`; and
nothing is lost: each entry, read back through the inverse of the mapping
(its `payload` holding what had no home), gives the 0.2.0 record exactly.

`cargo xtask test` (step "exports") points LOKRYN_COMPLOG at the binary.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from lokryn_compliance_log.v1 import logentry_pb2 as v02

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTOR = ROOT / "crates/lokryn-export/data/lokryn-compliance-log-0.2.0.logentry.fdp"

# Ours by meaning (crates/lokryn-export/src/lokryn_v0_2.rs); the other enums keep their names.
SENSITIVITY = {
    "SENSITIVITY_PUBLIC": "SENSITIVITY_PUBLIC",
    "SENSITIVITY_PUBLIC_INTERNAL": "SENSITIVITY_INTERNAL",
    "SENSITIVITY_CONFIDENTIAL": "SENSITIVITY_CONFIDENTIAL",
    "SENSITIVITY_SECRET": "SENSITIVITY_RESTRICTED",
    "SENSITIVITY_TOP_SECRET": "SENSITIVITY_HIGHLY_RESTRICTED",
}
ACTOR_TYPES = ["user", "service", "agent", "tool", "system"]
GENAI = {  # ours (JSON name) -> 0.2.0 (proto name), in GenAIPayload
    "requestModel": "model",
    "providerName": "provider",
    "inputTokens": "input_tokens",
    "outputTokens": "output_tokens",
    "temperature": "temperature",
    "topP": "top_p",
    "maxTokens": "max_tokens",
    "responseId": "response_id",
}
MCP = {
    "protocolVersion": "protocol_version",
    "requestId": "request_id",
    "toolName": "tool_name",
    "resourceUri": "resource_uri",
}
MCP_TOP = {  # ours in McpPayload -> 0.2.0 top-level fields
    "clientName": "client_id",
    "clientVersion": "client_version",
    "serverName": "server_id",
    "serverVersion": "server_version",
}
TOP = {
    "actorId": "actor_id",
    "component": "component",
    "environment": "environment",
    "resource": "resource",
    "message": "message",
    "traceId": "trace_id",
    "spanId": "span_id",
    "parentSpanId": "parent_span_id",
    "sessionId": "session_id",
    "policyTags": "policy_tags",
    "durationMs": "duration_ms",
}
INT_FIELDS = {"input_tokens", "output_tokens", "max_tokens"}  # int32 in 0.2.0, int64 here


def _records() -> list[v02.LogRequest]:
    """One record per 0.2.0 event type, every field set, the payload kinds in turn."""
    event_types = [v for v in v02.EventType.values() if v != 0]
    sensitivities = [v02.Sensitivity.Value(name) for name in SENSITIVITY]
    records = []
    for i, event_type in enumerate(event_types):
        r = v02.LogRequest(
            event_type=event_type,
            outcome=1 + i % 4,
            severity=1 + i % 8,
            sensitivity=sensitivities[i % len(sensitivities)],
            ocsf_class_uid=4010,
            ocsf_activity_id=3,
            otel_operation_name="chat" if i % 3 == 0 else "",
            duration_ms=1000 + i,
            actor_id=f"user{i}@example.com",
            actor_type=ACTOR_TYPES[i % len(ACTOR_TYPES)] if i % 6 else "Service Account",
            component="billing-api",
            environment="prod",
            resource=f"/invoices/{i}",
            message=f"record {i}",
            trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
            span_id="00f067aa0ba902b7",
            parent_span_id="53995c3f42cd8ad8",
            session_id=f"sess-{i}",
            policy_tags=["pci", f"tag-{i}"],
            client_id="claude-desktop",
            client_version="1.2.3",
            server_id="files-mcp",
            server_version="0.9.0",
            request_size_bytes=100 + i,
            response_size_bytes=2000 + i,
            geo_region="eu-west-1",
        )
        r.time.FromNanoseconds(1_764_547_200_123_456_789 + i * 1_000_000_000)
        r.metadata.schema_version = "0.2.0"
        r.metadata.product_name = "lokryn-mcp-log"
        r.metadata.product_version = "0.4.0"
        r.metadata.vendor_name = "Lokryn"
        kind = i % 3
        if kind == 0:
            g = r.genai
            g.model, g.provider = "gpt-4o", "openai"
            g.input_tokens, g.output_tokens, g.total_tokens = 120 + i, 30, 150 + i
            g.temperature, g.top_p, g.max_tokens = 0.25, 0.9, 512
            g.finish_reason, g.time_to_first_token_ms, g.response_id = "stop", 85, f"resp-{i}"
            g.input_messages.add(role="user", content="How many invoices?", name="alice")
            g.output_messages.add(role="assistant", content="Twelve.")
            g.tool_calls.add(id="call-1", name="count", arguments='{"q": 1}', result="12")
        elif kind == 1:
            m = r.mcp
            m.protocol_version, m.request_id, m.tool_name = "2025-06-18", f"{i}", "read_file"
            m.tool_arguments.update({"path": "/etc/motd", "lines": 3, "follow": False})
            m.tool_result.update({"content": [{"type": "text", "text": "hello"}]})
            m.resource_uri, m.resource_mime_type = "file:///etc/motd", "text/plain"
            m.sampling.model = "claude"
            m.sampling.input_tokens = 7
            m.client_capabilities.extend(["sampling", "roots"])
            m.server_capabilities.append("tools")
        else:
            r.data.update({"invoice": i, "currency": "EUR", "lines": [1, 2.5, None]})
        records.append(r)
    # A value no enum of ours has: kept in the payload, and the record is then
    # (rightly) invalid, as it does not say whether the action succeeded.
    other = copy.deepcopy(records[0])
    other.outcome = v02.OUTCOME_OTHER
    records.append(other)
    return records


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _import(complog: str, *inputs: Path, extra: tuple[str, ...] = ()) -> list[dict]:
    result = subprocess.run(
        [complog, "import", "--quiet", "--from", "lokryn-0.2", *extra, *map(str, inputs)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def complog() -> str:
    return os.environ["LOKRYN_COMPLOG"]


@pytest.fixture(scope="module")
def records() -> list[v02.LogRequest]:
    return _records()


@pytest.fixture(scope="module")
def imported(complog, records, tmp_path_factory) -> list[dict]:
    """The records imported from each form; the forms must agree."""
    d = tmp_path_factory.mktemp("v02")
    singles = []
    for i, r in enumerate(records):
        path = d / f"record-{i:03}.bin"
        path.write_bytes(r.SerializeToString())
        singles.append(path)
    stream = d / "stream.ldpb"
    stream.write_bytes(b"".join(_varint(r.ByteSize()) + r.SerializeToString() for r in records))
    lines = d / "sink.jsonl"
    lines.write_text(
        "".join(
            json.dumps(MessageToDict(r, preserving_proto_field_name=True), default=str) + "\n"
            for r in records
        )
    )
    from_singles = _import(complog, *singles)
    from_singles_forced = _import(complog, *singles, extra=("--framing", "single"))
    from_stream = _import(complog, stream)
    from_stream_forced = _import(complog, stream, extra=("--framing", "delimited"))
    from_lines = _import(complog, lines)
    assert len(from_singles) == len(records)
    assert from_stream == from_singles
    assert from_stream_forced == from_singles
    assert from_singles_forced == from_singles
    assert from_lines == from_singles
    return from_singles


def test_the_schema_is_the_one_the_wheel_ships():
    assert DESCRIPTOR.read_bytes() == v02.DESCRIPTOR.serialized_pb


def test_every_record_imports_and_validates_under_baseline(complog, imported, tmp_path):
    path = tmp_path / "imported.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in imported))
    result = subprocess.run(
        [complog, "validate", "--profile", "baseline", "--format", "json", "--exit-zero", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    verdicts = [row for row in rows if "summary" not in row]
    assert len(verdicts) == len(imported)
    *mapped, other = verdicts
    assert all(row["valid"] for row in mapped), [row for row in mapped if not row["valid"]]
    assert not other["valid"], "OUTCOME_OTHER has no outcome of ours: the rule must say so"


def test_renumbered_enums(records, imported):
    for r, e in zip(records, imported):
        name = v02.EventType.Name(r.event_type)
        assert e["eventType"] == name  # same name, number moved for the AI events
    by_name = {e["eventType"]: e for e in imported}
    assert "EVENT_TOOL_INVOCATION" in by_name and "EVENT_GUARDRAIL_CHECK" in by_name


def _back(entry: dict) -> dict:
    """The 0.2.0 record (as MessageToDict gives it) an imported entry came from."""
    e = copy.deepcopy(entry)
    out = json.loads(base64.b64decode(e.pop("payload"))) if "payload" in e else {}
    if "payload" in entry:
        assert e.pop("payloadFormat") == "PAYLOAD_FORMAT_JSON"
    for key in ("eventType", "outcome", "severity"):
        if key in e:
            out[{"eventType": "event_type"}.get(key, key)] = e.pop(key)
    if "sensitivity" in e:
        ours = e.pop("sensitivity")
        out["sensitivity"] = next(k for k, v in SENSITIVITY.items() if v == ours)
    for ours, theirs in TOP.items():
        if ours in e:
            out[theirs] = e.pop(ours)
    if "actorType" in e:
        out["actor_type"] = e.pop("actorType").removeprefix("ACTOR_TYPE_").lower()
    if "time" in e:
        out["time"] = e.pop("time")
    meta = out.setdefault("metadata", {})
    if "schemaVersion" in e:
        meta["schema_version"] = e.pop("schemaVersion")
    producer = e.pop("producer", {})
    for ours, theirs in (("name", "product_name"), ("version", "product_version")):
        if ours in producer:
            meta[theirs] = producer.pop(ours)
    assert not producer
    genai = e.pop("genai", {})
    if "operationName" in genai:
        out["otel_operation_name"] = genai.pop("operationName")
    if genai:
        g = out.setdefault("genai", {})
        for ours, theirs in GENAI.items():
            if ours in genai:
                value = genai.pop(ours)
                g[theirs] = int(value) if theirs in INT_FIELDS else value
        if "finishReasons" in genai:
            (g["finish_reason"],) = genai.pop("finishReasons")
        assert not genai, genai
    mcp = e.pop("mcp", {})
    for ours, theirs in MCP_TOP.items():
        if ours in mcp:
            out[theirs] = mcp.pop(ours)
    if mcp:
        m = out.setdefault("mcp", {})
        for ours, theirs in MCP.items():
            if ours in mcp:
                m[theirs] = mcp.pop(ours)
        assert not mcp, mcp
    if not meta:
        del out["metadata"]
    assert not e, f"fields of ours with no 0.2.0 origin: {e}"
    # 64-bit integers: MessageToDict writes them as strings, the payload as numbers.
    for key in ("ocsf_class_uid", "ocsf_activity_id"):
        if key in out:
            out[key] = int(out[key])
    for key in ("duration_ms", "request_size_bytes", "response_size_bytes"):
        if key in out:
            out[key] = str(out[key])
    if "genai" in out and "time_to_first_token_ms" in out["genai"]:
        out["genai"]["time_to_first_token_ms"] = str(out["genai"]["time_to_first_token_ms"])
    return out


def _normal(record: dict) -> dict:
    """Timestamps as (seconds, nanos): both sides write RFC 3339, maybe with other digits."""
    r = copy.deepcopy(record)
    if "time" in r:
        t = Timestamp()
        t.FromJsonString(r["time"])
        r["time"] = (t.seconds, t.nanos)
    return r


def test_nothing_is_lost(records, imported):
    assert len(records) == len(imported)
    for r, e in zip(records, imported):
        original = MessageToDict(r, preserving_proto_field_name=True)
        assert _normal(_back(e)) == _normal(original)


def test_what_has_no_home_is_in_the_payload(imported):
    payload = json.loads(base64.b64decode(imported[0]["payload"]))
    assert payload["ocsf_class_uid"] == 4010  # the 0.2.0 package's own (wrong) class
    assert payload["genai"]["tool_calls"][0]["name"] == "count"
    assert payload["actor_type"] == "Service Account"  # not one of our actor types, kept as written
    assert "actorType" not in imported[0]
