"""The shared MCP cases (tests/vectors/mcp/cases.json) through
lokryn_compliance_log.mcp: each case's call made on a stub session that
answers with the case's result or fails as it says, and the records compared
with the expected ones. The Node wrapper runs the same file
(tests/npm/mcp-cases.test.js). No `mcp` package is needed."""

import asyncio
import base64
import json
from pathlib import Path

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log.mcp import ASKED, EVENT_TYPES, event_type_of, with_logging

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "mcp" / "cases.json").read_text(encoding="utf-8"))
CASES = VECTORS["cases"]


def test_event_types_are_the_shared_ones():
    name = lcl.v1.logentry_pb2.EventType.Name
    assert {m: name(event_type_of(m)) for m in VECTORS["eventTypes"]} == VECTORS["eventTypes"]
    # Every method the wrapper names is in the shared table (so Node is held to it too).
    assert set(EVENT_TYPES) <= set(VECTORS["eventTypes"])
    assert {m: name(t) for m, t in ASKED.items()} == VECTORS["asked"]


class Obj:
    """A value the SDK would give as a pydantic model: attributes, and model_dump."""

    def __init__(self, data):
        self._data = data
        for key, value in data.items():
            setattr(self, key, _obj(value))

    def model_dump(self, **_options):
        return self._data


def _obj(value):
    if isinstance(value, dict):
        return Obj(value)
    if isinstance(value, list):
        return [_obj(v) for v in value]
    return value


class RpcError(Exception):
    """Like mcp.McpError: the JSON-RPC error in `error`."""

    def __init__(self, code, message):
        super().__init__(message)
        self.error = type("ErrorData", (), {"code": code, "message": message})()


class StubSession:
    """Answers every call with the case's result, or fails as the case says."""

    def __init__(self, case):
        self.case = case
        self._request_id = 7

    def __getattr__(self, name):
        if name.startswith("_"):  # the SDK's internals the wrapper looks for: none here
            raise AttributeError(name)

        async def call(*args, **kwargs):
            if self.case["method"].startswith("notifications/"):
                return None
            self._request_id += 1
            error, failure = self.case.get("error"), self.case.get("failure")
            if error is not None:
                raise RpcError(error["code"], error["message"])
            if failure == "timeout":
                raise RpcError(-32001, "Request timed out")
            if failure == "connection_closed":
                raise RpcError(-32000, "Connection closed")
            if failure == "cancelled":
                raise asyncio.CancelledError()
            if failure == "exception":
                raise ValueError(self.case["exception"]["message"])
            return _obj(self.case.get("result", {}))

        return call

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None


def invoke(session, method, params):
    """The session call that sends `method`."""
    p = params or {}
    calls = {
        "initialize": lambda: session.initialize(),
        "ping": lambda: session.send_ping(),
        "tools/list": lambda: session.list_tools(),
        "tools/call": lambda: session.call_tool(p["name"], p.get("arguments")),
        "resources/list": lambda: session.list_resources(),
        "resources/templates/list": lambda: session.list_resource_templates(),
        "resources/read": lambda: session.read_resource(p["uri"]),
        "resources/subscribe": lambda: session.subscribe_resource(p["uri"]),
        "resources/unsubscribe": lambda: session.unsubscribe_resource(p["uri"]),
        "prompts/list": lambda: session.list_prompts(),
        "prompts/get": lambda: session.get_prompt(p["name"], p.get("arguments")),
        "completion/complete": lambda: session.complete(_obj(p["ref"]), p.get("argument")),
        "logging/setLevel": lambda: session.set_logging_level(p["level"]),
        "notifications/roots/list_changed": lambda: session.send_roots_list_changed(),
    }
    return calls[method]()


def expected(case, record):
    """The expected record, with the placeholders of the case resolved."""
    record = dict(record)
    for key in ("errorCode", "message"):
        if "exception" in case:
            record[key] = record[key].replace("<exception class>", case["exception"]["python"])
    return record


def actual(entry, keys):
    """The record's proto3 JSON, limited to `keys`; the payload as its JSON value."""
    data = json.loads(lcl.to_json(entry))
    out = {}
    for key in keys:
        if key == "payloadJson":
            raw = data.get("payload")
            out[key] = json.loads(base64.b64decode(raw)) if raw else None
        else:
            out[key] = data.get(key, "" if key in ("errorCode", "errorMessage") else None)
    return out


class Wire:
    """A ``SessionMessage`` as the SDK puts it on a stream: ``message`` holds
    the JSON-RPC fields."""

    def __init__(self, **fields):
        self.message = type("JSONRPCMessage", (), {})()
        self.message.__dict__.update(fields)


class Stream:
    """One side of a session's transport: what was sent, and what is to be read."""

    def __init__(self, items=()):
        self.items = list(items)

    async def receive(self):
        return self.items.pop(0)

    async def send(self, item):
        self.items.append(item)


class StreamSession:
    """A session that holds transport streams (as ``ClientSession`` does), for
    the cases of messages the server sends: the proxy taps them."""

    def __init__(self, case):
        self._read_stream = Stream([Wire(jsonrpc="2.0", **case["from_server"])])
        self._write_stream = Stream()

    async def serve(self, case):
        """Reads the server's message, and sends the case's answer to it."""
        request = await self._read_stream.receive()
        answer = case.get("answer")
        if answer is not None:
            await self._write_stream.send(Wire(jsonrpc="2.0", id=request.message.id, **answer))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    entries = []
    audit = lcl.AuditLogger([type("Memory", (), {"write": lambda self, e: entries.append(e)})()])
    session = StreamSession(case) if "from_server" in case else StubSession(case)
    proxy = with_logging(session, audit, **case["options"])

    async def run():
        if "from_server" in case:
            await session.serve(case)
            return
        try:
            await invoke(proxy, case["method"], case.get("params"))
        except (Exception, asyncio.CancelledError):
            pass

    asyncio.run(run())
    assert proxy.logging_errors == 0
    want = [expected(case, r) for r in case["records"]]
    got = [actual(e, want[i].keys() if i < len(want) else ()) for i, e in enumerate(entries)]
    assert got == want
