"""lokryn_compliance_log.mcp beyond the client's own calls: what the server
sends on its own (sampling, elicitation and roots requests, notifications),
the client's own notifications, transport events, a server that dies in the
middle of a call, the server-side middleware (`log_server`) and streamable
HTTP. Real servers written with the official SDK (tests/python/mcp_test_server.py,
tests/python/mcp_lowlevel_server.py) driven by a real `ClientSession`;
`cargo xtask test` runs this file with mcp 1.x and with mcp 2.x."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log.mcp import EVENT_TYPES, McpLoggingWarning, log_server, with_logging

HERE = Path(__file__).parent
SERVER = HERE / "mcp_test_server.py"
LOWLEVEL = HERE / "mcp_lowlevel_server.py"
CARD = "4111111111111111"
OPTIONS = dict(actor_id="agent-7", on_behalf_of="alice@example.com", component="billing-agent", transport="stdio")


class Memory:
    def __init__(self):
        self.entries = []

    def write(self, entry):
        self.entries.append(entry)


def callbacks():
    """The client's answers to the server's requests (the card number goes
    both ways, to check that neither reaches the log)."""
    from mcp import types

    async def sampling(ctx, params):
        return types.CreateMessageResult.model_validate({
            "role": "assistant", "content": {"type": "text", "text": f"{CARD} looks valid"},
            "model": "test-model", "stopReason": "endTurn"})

    async def elicitation(ctx, params):
        return types.ElicitResult.model_validate({"action": "accept", "content": {"approve": True}})

    async def roots(ctx):
        return types.ListRootsResult.model_validate({"roots": [{"uri": "file:///srv/project", "name": "project"}]})

    async def logging(params):
        pass

    return dict(sampling_callback=sampling, elicitation_callback=elicitation, list_roots_callback=roots,
                logging_callback=logging)


def traced(function):
    """Runs `function` under a span of the caller; returns its result and the span's trace id."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test_mcp_traffic")
    with tracer.start_as_current_span("agent-turn") as span:
        result = function()
        return result, format(span.get_span_context().trace_id, "032x")
    del trace


def server_records(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import anyio
    from mcp.client.stdio import stdio_client

    server_log = tmp_path_factory.mktemp("mcp") / "server.jsonl"
    memory = Memory()
    audit = lcl.AuditLogger([memory], profile="soc2", on_invalid="raise")
    seen = {}

    async def main():
        env = dict(os.environ, LOKRYN_SERVER_AUDIT=str(server_log))
        params = mcp.StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=env)
        progress = []

        async def on_progress(value, total, message):
            progress.append(value)

        async with stdio_client(params, errlog=subprocess.DEVNULL) as (read, write):
            info = mcp.types.Implementation(name="billing-agent-client", version="1.2.3")
            session = with_logging(mcp.ClientSession(read, write, client_info=info, **callbacks()), audit, **OPTIONS)
            async with session:
                await session.initialize()
                result = await session.call_tool("consult", {"card": CARD}, progress_callback=on_progress)
                seen["consult"] = result.content[0].text
                seen["progress"] = progress
                await session.send_progress_notification("client-token", 0.5, 1.0)
                try:
                    await session.call_tool("die", {})
                except Exception as err:
                    seen["die"] = (type(err).__name__, err.error.code)
        seen["proxy"] = session

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", McpLoggingWarning)
        _, trace_id = traced(lambda: anyio.run(main))
    seen.update(entries=memory.entries, trace_id=trace_id, server=server_records(server_log),
                warnings=[w for w in caught if w.category is McpLoggingWarning])
    return seen


def only(entries, method, event_type=None):
    found = [e for e in entries if e.mcp.method_name == method and (event_type is None or e.event_type == event_type)]
    assert len(found) == 1, (method, [e.mcp.method_name for e in entries])
    return found[0]


def test_the_session_still_works(traffic):
    assert traffic["consult"] == f"1 roots; the model said {CARD} looks valid; the user chose accept"
    assert traffic["progress"] == [1, 3]
    assert traffic["die"][1] == -32000
    assert traffic["warnings"] == [] and traffic["proxy"].logging_errors == 0


def test_every_message_is_recorded_in_order(traffic):
    methods = [(e.mcp.method_name, lcl.v1.logentry_pb2.EventType.Name(e.event_type)) for e in traffic["entries"]]
    expected = [
        ("transport/connect", "EVENT_TRANSPORT_CONNECT"),
        ("initialize", "EVENT_MCP_INITIALIZE"),
        ("notifications/initialized", "EVENT_MCP_INITIALIZED"),
        ("notifications/message", "EVENT_MCP_LOG_MESSAGE"),
        ("notifications/progress", "EVENT_TOOL_INVOCATION"),
        ("ping", "EVENT_MCP_PING"),
        ("roots/list", "EVENT_ROOTS_LIST"),
        ("sampling/createMessage", "EVENT_SAMPLING_REQUEST"),
        ("sampling/createMessage", "EVENT_SAMPLING_RESPONSE"),
        ("elicitation/create", "EVENT_ELICITATION_REQUEST"),
        ("elicitation/create", "EVENT_ELICITATION_RESPONSE"),
        ("notifications/progress", "EVENT_TOOL_INVOCATION"),
        ("notifications/tools/list_changed", "EVENT_MCP_NOTIFICATION"),
        ("notifications/resources/updated", "EVENT_MCP_NOTIFICATION"),
        ("tools/call", "EVENT_TOOL_INVOCATION"),
        ("notifications/progress", "EVENT_MCP_NOTIFICATION"),
        ("transport/close", "EVENT_TRANSPORT_DISCONNECT"),
        ("tools/call", "EVENT_TOOL_INVOCATION"),
        ("shutdown", "EVENT_MCP_SHUTDOWN"),
    ]
    assert methods == expected
    for method, name in expected:
        if method in EVENT_TYPES and method not in ("sampling/createMessage", "elicitation/create", "notifications/progress"):
            assert lcl.v1.logentry_pb2.EventType.Name(EVENT_TYPES[method]) == name


def test_records_validate_carry_the_trace_and_hold_no_card_number(traffic):
    for entry in traffic["entries"]:
        report = lcl.check(entry, profile="soc2")
        assert report.valid, (entry.mcp.method_name, [(v.field, v.message) for v in report.violations])
        assert entry.trace_id == traffic["trace_id"], entry.mcp.method_name
        assert {f.kind for f in lcl.find_sensitive(entry)} <= {"email"}
        assert CARD not in entry.SerializeToString().decode(errors="ignore")


def test_server_requests_are_recorded_with_their_answers(traffic):
    entries = traffic["entries"]
    [call] = [e for e in entries if e.mcp.tool_name == "consult"]
    asked = only(entries, "sampling/createMessage", lcl.EVENT_SAMPLING_REQUEST)
    answered = only(entries, "sampling/createMessage", lcl.EVENT_SAMPLING_RESPONSE)
    for entry in (asked, answered):
        assert (entry.actor_id, entry.actor_type, entry.component) == ("lokryn-test-server", lcl.ACTOR_TYPE_SERVICE, "billing-agent")
        assert entry.mcp.request_id == asked.mcp.request_id != "" and entry.mcp.server_name == "lokryn-test-server"
        assert entry.genai.operation_name == "chat" and entry.genai.max_tokens == 64
        assert [(l.actor_id, l.actor_type) for l in entry.delegation_chain] == [("alice@example.com", lcl.ACTOR_TYPE_USER)]
    assert json.loads(asked.payload)["arguments"]["messages"][0]["content"]["text"] == "Is 411111******1111 valid?"
    assert (answered.genai.response_model, list(answered.genai.finish_reasons)) == ("test-model", ["endTurn"])
    assert json.loads(answered.payload) == {"result": {
        "role": "assistant", "content": {"type": "text", "text": "411111******1111 looks valid"},
        "model": "test-model", "stopReason": "endTurn"}}
    question = only(entries, "elicitation/create", lcl.EVENT_ELICITATION_REQUEST)
    elicited = only(entries, "elicitation/create", lcl.EVENT_ELICITATION_RESPONSE)
    assert question.mcp.request_id == elicited.mcp.request_id != ""
    assert json.loads(question.payload) == {"arguments": json.loads(question.payload)["arguments"]}
    assert json.loads(question.payload)["arguments"]["message"] == "May the card be charged?"
    payload = json.loads(elicited.payload)
    assert payload["action"] == "accept" and payload["result"]["content"] == {"approve": True}
    assert "arguments" not in payload and elicited.outcome == lcl.OUTCOME_SUCCESS
    ping = only(entries, "ping")
    assert (ping.actor_id, ping.outcome, ping.mcp.request_id != "") == ("lokryn-test-server", lcl.OUTCOME_SUCCESS, True)
    roots = only(entries, "roots/list")
    assert json.loads(roots.payload) == {"result": {"roots": [{"uri": "file:///srv/project", "name": "project"}]}}
    assert roots.mcp.request_id and roots.actor_id == "lokryn-test-server"
    assert call.outcome == lcl.OUTCOME_SUCCESS


def test_notifications_are_recorded(traffic):
    entries = traffic["entries"]
    [call] = [e for e in entries if e.mcp.tool_name == "consult"]
    message = only(entries, "notifications/message")
    assert message.severity == lcl.SEVERITY_INFO and json.loads(message.payload) == {
        "level": "info", "arguments": {"data": "checking the card 411111******1111"}}
    server_progress = [e for e in entries if e.mcp.method_name == "notifications/progress" and e.actor_id == "lokryn-test-server"]
    assert [json.loads(e.payload) for e in server_progress] == [
        {"progress": 1, "total": 3, "message": "asking the client", "about": "tools/call"},
        {"progress": 3, "total": 3, "message": "done", "about": "tools/call"}]
    assert {e.mcp.request_id for e in server_progress} == {call.mcp.request_id}
    own = [e for e in entries if e.mcp.method_name == "notifications/progress" and e.actor_id == "agent-7"]
    assert [(e.mcp.request_id, json.loads(e.payload)) for e in own] == [("client-token", {"progress": 0.5, "total": 1.0})]
    assert only(entries, "notifications/tools/list_changed").outcome == lcl.OUTCOME_SUCCESS
    updated = only(entries, "notifications/resources/updated")
    assert updated.mcp.resource_uri == "memo://policy" and updated.resource == "memo://policy"


def test_a_server_that_dies_mid_call(traffic):
    entries = traffic["entries"]
    [died] = [e for e in entries if e.mcp.tool_name == "die"]
    assert (died.outcome, died.error_code, died.mcp.jsonrpc_error_code) == (lcl.OUTCOME_FAILURE_ERROR, "CONNECTION_CLOSED", -32000)
    closed = only(entries, "transport/close")
    assert closed.event_type == lcl.EVENT_TRANSPORT_DISCONNECT and closed.outcome == lcl.OUTCOME_SUCCESS
    assert entries.index(closed) < entries.index(died)


def test_the_server_records_every_request_it_handled(traffic):
    records = traffic["server"]
    methods = [(r["mcp"]["methodName"], r["eventType"]) for r in records]
    assert methods[:3] == [("initialize", "EVENT_MCP_INITIALIZE"), ("notifications/initialized", "EVENT_MCP_INITIALIZED"),
                           ("tools/call", "EVENT_TOOL_INVOCATION")]
    # `die` ended the process before it could answer: no record of it.
    assert [r["mcp"].get("toolName") for r in records if r["mcp"]["methodName"] == "tools/call"] == ["consult"]
    for record in records:
        assert (record["actorId"], record["actorType"], record["component"], record["environment"]) == (
            "billing-agent-client", "ACTOR_TYPE_AGENT", "lokryn-test-server", "staging")
        assert (record["mcp"]["clientName"], record["mcp"]["clientVersion"], record["mcp"]["serverName"]) == (
            "billing-agent-client", "1.2.3", "lokryn-test-server")
        assert CARD not in json.dumps(record)
        entry = lcl.from_json(json.dumps(record))
        assert lcl.check(entry, profile="soc2").valid and {f.kind for f in lcl.find_sensitive(entry)} == set()
    consult = [r for r in records if r["mcp"].get("toolName") == "consult"][0]
    assert consult["outcome"] == "OUTCOME_SUCCESS" and consult["genai"]["toolName"] == "consult"
    assert consult["resource"] == "tools/consult" and int(consult.get("durationMs", 0)) >= 0
    [client_call] = [e for e in traffic["entries"] if e.mcp.tool_name == "consult"]
    assert consult["mcp"]["requestId"] == client_call.mcp.request_id
    assert (consult["eventType"], consult["severity"], consult["genai"]["operationName"]) == (
        "EVENT_TOOL_INVOCATION", "SEVERITY_INFO", "execute_tool")
    assert consult["mcp"]["protocolVersion"] == client_call.mcp.protocol_version
    assert consult["mcp"].get("serverVersion", "") == client_call.mcp.server_version  # 2.x servers send none
    payload = json.loads(__import__("base64").b64decode(consult["payload"]))
    assert payload["arguments"] == {"card": "411111******1111"}
    assert payload["result"]["content"][0]["text"] == (
        "1 roots; the model said 411111******1111 looks valid; the user chose accept")
    if "traceId" in consult:  # the 2.x client sends the caller's traceparent in _meta; 1.x sends none
        assert consult["traceId"] == traffic["trace_id"]
    import importlib.metadata

    if int(importlib.metadata.version("mcp").split(".")[0]) >= 2:
        assert consult["traceId"] == traffic["trace_id"]


def run_client(connect, calls, audit=None, **options):
    """Opens a session over `connect()` (an async context manager giving the
    transport's streams), through the wrapper when `audit` is given, and
    runs `calls(session)`; returns what it returned."""
    import anyio
    from mcp import ClientSession

    async def main():
        async with connect() as streams:
            session = ClientSession(streams[0], streams[1])
            if audit is not None:
                session = with_logging(session, audit, **options)
            async with session:
                await session.initialize()
                return await calls(session)

    return anyio.run(main)


async def tool_calls(session):
    """Calls that succeed, fail, raise and time out, as JSON values."""
    import datetime
    import importlib.metadata

    major = int(importlib.metadata.version("mcp").split(".")[0])
    timeout = 0.5 if major >= 2 else datetime.timedelta(seconds=0.5)
    outcomes = []
    for name, arguments, extra in (("charge", {"card": CARD, "amount": 5}, {}), ("refuse", {"card": CARD}, {}),
                                   ("crash", {}, {}), ("slow", {"seconds": 3}, {"read_timeout_seconds": timeout})):
        try:
            result = await session.call_tool(name, arguments, **extra)
            outcomes.append(("result", result.model_dump(mode="json", by_alias=True, exclude={"meta"})))
        except Exception as err:
            outcomes.append(("raised", type(err).__name__, getattr(getattr(err, "error", None), "code", None)))
    return outcomes


def test_lowlevel_server(tmp_path):
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    from mcp.client.stdio import stdio_client

    path = tmp_path / "server.jsonl"
    env = dict(os.environ, LOKRYN_SERVER_AUDIT=str(path))
    params = mcp.StdioServerParameters(command=sys.executable, args=[str(LOWLEVEL)], env=env)

    async def calls(session):
        ok = await session.call_tool("echo", {"text": "hi"})
        refused = await session.call_tool("echo", {"fail": True})
        return ok.content[0].text, bool(getattr(refused, "is_error", getattr(refused, "isError", None)))

    assert run_client(lambda: stdio_client(params, errlog=subprocess.DEVNULL), calls) == ("echo hi", True)
    records = server_records(path)
    calls_seen = [r for r in records if r["mcp"]["methodName"] == "tools/call"]
    assert [(r["outcome"], r.get("errorCode")) for r in calls_seen] == [
        ("OUTCOME_SUCCESS", None), ("OUTCOME_FAILURE_ERROR", "TOOL_ERROR")]
    assert records[0]["mcp"]["methodName"] == "initialize" and records[0]["eventType"] == "EVENT_MCP_INITIALIZE"
    for record in records:
        assert record["component"] == "lokryn-lowlevel-server" and record["mcp"]["serverName"] == "lokryn-lowlevel-server"
        assert lcl.check(lcl.from_json(json.dumps(record)), profile="soc2").valid


@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    """The test server over streamable HTTP: its URL and its audit file."""
    pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    server_log = tmp_path_factory.mktemp("http") / "server.jsonl"
    env = dict(os.environ, LOKRYN_SERVER_AUDIT=str(server_log))
    process = subprocess.Popen([sys.executable, str(SERVER), "http"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/mcp", server_log
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def test_streamable_http(http_server):
    from mcp.client.streamable_http import streamable_http_client

    http_server, server_log = http_server
    memory = Memory()
    audit = lcl.AuditLogger([memory], profile="soc2", on_invalid="raise")
    connect = lambda: streamable_http_client(http_server)  # noqa: E731
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", McpLoggingWarning)
        (logged, trace_id) = traced(lambda: run_client(connect, tool_calls, audit, transport="streamable-http"))
    raw = run_client(connect, tool_calls)
    assert logged == raw and [w for w in caught if w.category is McpLoggingWarning] == []
    calls = [e for e in memory.entries if e.mcp.method_name == "tools/call"]
    assert [(e.mcp.tool_name, e.outcome, e.error_code) for e in calls] == [
        ("charge", lcl.OUTCOME_SUCCESS, ""), ("refuse", lcl.OUTCOME_FAILURE_ERROR, "TOOL_ERROR"),
        ("crash", lcl.OUTCOME_FAILURE_ERROR, "TOOL_ERROR"), ("slow", lcl.OUTCOME_FAILURE_ERROR, "TIMEOUT")]
    for entry in memory.entries:
        assert lcl.check(entry, profile="soc2").valid and entry.trace_id == trace_id
        assert entry.mcp.transport == "streamable-http" and CARD not in entry.SerializeToString().decode(errors="ignore")
    assert memory.entries[0].mcp.method_name == "transport/connect"
    assert json.loads(calls[0].payload)["arguments"]["card"] == "411111******1111"

    # The server's side of both sessions (through the wrapper and without).
    records = server_records(server_log)
    answered = [(r["mcp"].get("toolName"), r["outcome"], r.get("errorCode")) for r in records
                if r["mcp"]["methodName"] == "tools/call" and r["mcp"].get("toolName") != "slow"]
    assert answered == [("charge", "OUTCOME_SUCCESS", None), ("refuse", "OUTCOME_FAILURE_ERROR", "TOOL_ERROR"),
                        ("crash", "OUTCOME_FAILURE_ERROR", "TOOL_ERROR")] * 2
    assert [r["mcp"]["methodName"] for r in records].count("initialize") == 2
    for record in records:
        assert lcl.check(lcl.from_json(json.dumps(record)), profile="soc2").valid and CARD not in json.dumps(record)
        assert record["component"] == "lokryn-test-server" and record["actorId"] == "mcp"  # the SDK's default clientInfo
    [charge] = [r for r in records if r["mcp"].get("toolName") == "charge"][:1]
    assert charge["mcp"]["requestId"] == calls[0].mcp.request_id
    assert charge["mcp"]["protocolVersion"] == calls[0].mcp.protocol_version


def test_log_server_refuses_unknown_options():
    class Lowlevel:
        name = "x"
        middleware = []

    with pytest.raises(TypeError, match="no_such_option"):
        log_server(Lowlevel(), lcl.AuditLogger([Memory()]), no_such_option=1)


def major():
    import importlib.metadata

    return int(importlib.metadata.version("mcp").split(".")[0])


@pytest.fixture(scope="module")
def cancellations(tmp_path_factory):
    """A call that times out, and one the client cancels by sending
    notifications/cancelled itself, recorded on both sides."""
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import datetime

    import anyio
    from mcp import types
    from mcp.client.stdio import stdio_client

    def seconds(value):
        return value if major() >= 2 else datetime.timedelta(seconds=value)

    server_log = tmp_path_factory.mktemp("mcp") / "server.jsonl"
    memory = Memory()
    audit = lcl.AuditLogger([memory], profile="soc2", on_invalid="raise")
    seen = {}

    async def call(label, coroutine):
        try:
            await coroutine
            seen[label] = "answered"
        except Exception as err:
            seen[label] = err.error.code

    async def main():
        env = dict(os.environ, LOKRYN_SERVER_AUDIT=str(server_log))
        params = mcp.StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=env)
        async with stdio_client(params, errlog=subprocess.DEVNULL) as (read, write):
            async with with_logging(mcp.ClientSession(read, write), audit) as session:
                await session.initialize()
                await call("timeout", session.call_tool("slow", {"seconds": 1}, read_timeout_seconds=seconds(0.3)))
                async with anyio.create_task_group() as group:
                    group.start_soon(call, "cancelled", session.call_tool(
                        "slow", {"seconds": 2}, read_timeout_seconds=seconds(1.5)))
                    await anyio.sleep(0.3)
                    # The id the SDK gave the call in flight (1.x counts the next id, 2.x the last).
                    ident = session._request_id - 1 if major() < 2 else session._dispatcher._next_id
                    note = types.CancelledNotification.model_validate(
                        {"method": "notifications/cancelled", "params": {"requestId": ident, "reason": "the user stopped it"}})
                    await session.send_notification(types.ClientNotification(note) if major() < 2 else note)
                await anyio.sleep(2)  # a 1.x server finishes the call that timed out (1 s)
                await session.send_ping()

    anyio.run(main)
    seen.update(entries=memory.entries, server=server_records(server_log))
    return seen


def test_timeouts_and_cancellations_on_the_client(cancellations):
    entries = cancellations["entries"]
    timed_out, cancelled = [e for e in entries if e.mcp.method_name == "tools/call"]
    assert (timed_out.error_code, timed_out.mcp.jsonrpc_error_code) == ("TIMEOUT", cancellations["timeout"])
    [notice] = [e for e in entries if e.mcp.method_name == "notifications/cancelled" and b"the user" in e.payload]
    assert notice.mcp.request_id == cancelled.mcp.request_id and notice.event_type == lcl.EVENT_TOOL_INVOCATION
    assert json.loads(notice.payload) == {"reason": "the user stopped it", "about": "tools/call"}
    if major() < 2:  # a 1.x server answers a cancelled request with error 0, "Request cancelled"
        assert cancellations["cancelled"] == 0
        assert (cancelled.error_code, cancelled.mcp.jsonrpc_error_code) == ("CANCELLED", 0)
    else:  # a 2.x server does not answer it (as the protocol says): the client gives up in time
        assert (cancelled.error_code, cancellations["cancelled"]) == ("TIMEOUT", -32001)
    for entry in entries:
        assert lcl.check(entry, profile="soc2").valid


def test_timeouts_and_cancellations_on_the_server(cancellations):
    records = cancellations["server"]
    entries = cancellations["entries"]
    timed_out, cancelled = [e.mcp.request_id for e in entries if e.mcp.method_name == "tools/call"]
    calls = {r["mcp"]["requestId"]: r for r in records if r["mcp"]["methodName"] == "tools/call"}
    assert calls[cancelled]["errorCode"] == "CANCELLED" and calls[cancelled]["outcome"] == "OUTCOME_FAILURE_ERROR"
    if major() < 2:  # the 1.x client does not tell the server it stopped waiting: the call runs to its end
        assert calls[timed_out]["outcome"] == "OUTCOME_SUCCESS" and int(calls[timed_out]["durationMs"]) >= 1000
    else:
        assert calls[timed_out]["errorCode"] == "CANCELLED"
    notices = [r for r in records if r["mcp"]["methodName"] == "notifications/cancelled"]
    assert cancelled in {r["mcp"]["requestId"] for r in notices}
    for record in notices:
        assert record["eventType"] == "EVENT_TOOL_INVOCATION"
        assert json.loads(__import__("base64").b64decode(record["payload"]))["about"] == "tools/call"
    for record in records:
        assert lcl.check(lcl.from_json(json.dumps(record)), profile="soc2").valid


def test_docs_server_example_runs(tmp_path):
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    from mcp.client.stdio import stdio_client
    from test_mcp import docs_block

    block = docs_block("ten-line-python-server")
    assert len(block.strip().splitlines()) <= 16
    (tmp_path / "server.py").write_text(block)
    params = mcp.StdioServerParameters(command=sys.executable, args=["server.py"], cwd=str(tmp_path))

    async def calls(session):
        result = await session.call_tool("charge", {"card": CARD, "amount": 42})
        return result.content[0].text

    connect = lambda: stdio_client(params, errlog=subprocess.DEVNULL)  # noqa: E731
    assert run_client(connect, calls) == "charged 42 to the card ending 1111"
    records = server_records(tmp_path / "server-audit.jsonl")
    # The client SDK lists the tools after a first call, to learn their output schemas.
    assert [r["mcp"]["methodName"] for r in records] == ["initialize", "notifications/initialized", "tools/call", "tools/list"]
    assert {(r["component"], r["environment"], r["mcp"]["serverName"]) for r in records} == {("billing", "production", "billing")}
    assert json.loads(__import__("base64").b64decode(records[2]["payload"]))["arguments"]["card"] == "411111******1111"
    assert CARD not in (tmp_path / "server-audit.jsonl").read_text()


def stream_pairs():
    """Two in-memory streams (server to client, client to server), as a
    context manager that closes all four ends (an unclosed end warns when
    it is collected, in whichever test runs then)."""
    import contextlib

    import anyio

    @contextlib.asynccontextmanager
    async def pairs():
        to_client, client_reads = anyio.create_memory_object_stream(10)
        client_writes, from_client = anyio.create_memory_object_stream(10)
        async with to_client, client_reads, client_writes, from_client:
            yield to_client, client_reads, client_writes, from_client

    return pairs()


class Broken:
    name = "broken"

    def write(self, entry):
        raise OSError("disk full")


def test_transport_errors_and_the_end_of_the_stream(recwarn):
    """A real ClientSession over in-memory streams: an error item on the read
    stream (what transports send when, say, a line is not JSON) and then the
    stream's end are recorded; the session sees both as it would without the
    proxy."""
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import anyio

    memory = Memory()
    audit = lcl.AuditLogger([memory], profile="soc2", on_invalid="raise")
    handled = []

    async def handler(message):
        handled.append(message)

    async def main():
        async with stream_pairs() as (to_client, client_reads, client_writes, _):
            session = mcp.ClientSession(client_reads, client_writes, message_handler=handler)
            async with with_logging(session, audit, actor_id="agent-7"):
                await to_client.send(ValueError("line 3 is not JSON"))
                await to_client.aclose()
                with anyio.fail_after(5):
                    while not handled:
                        await anyio.sleep(0.01)

    anyio.run(main)
    assert [type(m).__name__ for m in handled] == ["ValueError"]
    records = [(e.mcp.method_name, e.event_type, e.outcome, e.error_code, e.error_message) for e in memory.entries]
    assert records == [
        ("transport/connect", lcl.EVENT_TRANSPORT_CONNECT, lcl.OUTCOME_SUCCESS, "", ""),
        ("transport/error", lcl.EVENT_TRANSPORT_ERROR, lcl.OUTCOME_FAILURE_ERROR, "ValueError", "line 3 is not JSON"),
        ("transport/close", lcl.EVENT_TRANSPORT_DISCONNECT, lcl.OUTCOME_SUCCESS, "", ""),
        ("shutdown", lcl.EVENT_MCP_SHUTDOWN, lcl.OUTCOME_SUCCESS, "", ""),
    ]
    assert not [w for w in recwarn if w.category is McpLoggingWarning]


def test_a_failing_sink_never_changes_what_the_server_sends_or_gets():
    """The stream taps with a sink that always fails: every message still
    goes through unchanged, and every record is counted as not written."""
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import anyio
    from mcp import types
    from mcp.shared.message import SessionMessage

    def message(model):
        try:
            return SessionMessage(types.JSONRPCMessage(model))  # 1.x: a RootModel around it
        except Exception:
            return SessionMessage(model)

    request = message(types.JSONRPCRequest(jsonrpc="2.0", id=9, method="roots/list"))
    notice = message(types.JSONRPCNotification(jsonrpc="2.0", method="notifications/message",
                                               params={"level": "error", "data": CARD}))
    audit = lcl.AuditLogger([Broken()])
    received = []

    async def main():
        async with stream_pairs() as (to_client, client_reads, client_writes, from_client):
            proxy = with_logging(mcp.ClientSession(client_reads, client_writes, **callbacks()), audit)
            async with proxy:
                await to_client.send(notice)  # first: the session reads in order
                await to_client.send(request)
                with anyio.fail_after(5):
                    received.append(await from_client.receive())
        return proxy

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proxy = anyio.run(main)
    [answer] = received
    root = getattr(answer.message, "root", answer.message)
    assert root.id == 9 and root.result == {"roots": [{"uri": "file:///srv/project", "name": "project"}]}
    # connect, the log message, the roots/list answer, shutdown
    assert proxy.logging_errors == 4 == audit.stats["broken"].failed
    assert [w.category for w in caught if w.category is McpLoggingWarning] == [McpLoggingWarning] * 4


def test_a_failing_sink_never_changes_what_a_server_answers():
    """log_server's middleware (as 2.x servers call it), driven directly, with
    a sink that always fails: results and exceptions pass through unchanged.
    (1.x's taps are the client's, tested above.)"""
    import asyncio

    class Context:
        method, request_id, params, meta, protocol_version = "tools/call", 4, {"name": "t", "arguments": {}}, None, "x"
        session = None

    class Lowlevel:
        name = "s"
        middleware = []

    audit = lcl.AuditLogger([Broken()])
    handle = log_server(Lowlevel(), audit)

    async def answer(ctx):
        return {"content": [], "isError": False}

    async def fail(ctx):
        raise LookupError("no such tool")

    async def main():
        result = await Lowlevel.middleware[0](Context(), answer)
        with pytest.raises(LookupError, match="no such tool"):
            await Lowlevel.middleware[0](Context(), fail)
        return result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert asyncio.run(main()) == {"content": [], "isError": False}
    assert handle.logging_errors == 2 == audit.stats["broken"].failed


def test_wrapping_an_entered_session_says_what_is_not_recorded():
    """A session entered before it is wrapped (as the vendor's wrapper is
    used) already reads its stream: the proxy warns that what the server
    sends on its own will not be recorded; its calls still are."""
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import anyio

    async def main():
        async with stream_pairs() as (_, client_reads, client_writes, _):
            async with mcp.ClientSession(client_reads, client_writes) as session:
                with pytest.warns(McpLoggingWarning, match="entered before it was wrapped"):
                    proxy = with_logging(session, lcl.AuditLogger([Memory()]))
        return proxy

    assert anyio.run(main).logging_errors == 0


def test_wrapping_before_entering_says_nothing(recwarn):
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import anyio

    async def main():
        async with stream_pairs() as (_, client_reads, client_writes, _):
            with_logging(mcp.ClientSession(client_reads, client_writes), lcl.AuditLogger([Memory()]))

    anyio.run(main)
    assert not [w for w in recwarn if w.category is McpLoggingWarning]
