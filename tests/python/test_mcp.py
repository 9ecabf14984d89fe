"""lokryn_compliance_log.mcp: audit records of an MCP client's calls.

The end-to-end tests run a real server written with the official SDK
(tests/python/mcp_test_server.py) over stdio, once through the wrapper and once
without it, and need the `mcp` package: `cargo xtask test` runs this file in
a venv with mcp 1.x and in one with mcp 2.x. Without `mcp` only the tests
that need no server run.
"""

import datetime
import importlib.metadata
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log import sinks
from lokryn_compliance_log.mcp import METHODS, LoggingProxy, McpLoggingWarning, with_logging

SERVER = Path(__file__).with_name("mcp_test_server.py")
CARD = "4111111111111111"
OPTIONS = dict(
    actor_id="agent-7",
    on_behalf_of="alice@example.com",
    component="billing-agent",
    environment="staging",
    policy_tags=["pci"],
    session_id="s-42",
    client_id="billing-agent-client",
    client_version="1.2.3",
    transport="stdio",
    conversation_id="conv-9",
)


class Memory:
    """A sink keeping every record."""

    def __init__(self):
        self.entries = []

    def write(self, entry):
        self.entries.append(entry)


class Broken:
    """A sink that always fails."""

    name = "broken"

    def write(self, entry):
        raise OSError("disk full")


# -- without a server ---------------------------------------------------------


class FakeResult:
    def __init__(self, text, is_error=False):
        self.content = [type("Text", (), {"text": text, "type": "text"})()]
        self.isError = is_error


class FakeSession:
    """Just enough of a ClientSession for the tests that need no server."""

    def __init__(self):
        self.extra = "forwarded"
        self._request_id = 7

    async def call_tool(self, name, arguments=None):
        self._request_id += 1
        if name == "explode":
            raise ValueError("no such thing")
        return FakeResult(f"ok {name}")

    def get_server_capabilities(self):
        return "capabilities"


def run(coroutine):
    import asyncio

    return asyncio.run(coroutine)


def test_imports_without_mcp():
    code = "import sys; sys.modules['mcp'] = None; import lokryn_compliance_log.mcp as m; print(m.with_logging.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "with_logging", done.stderr


def test_forwards_what_it_does_not_cover():
    fake = FakeSession()
    proxy = with_logging(fake, lcl.AuditLogger([Memory()]))
    assert isinstance(proxy, LoggingProxy) and proxy.wrapped is fake
    assert proxy.extra == "forwarded" and proxy.get_server_capabilities() == "capabilities"
    proxy.extra = "set through the proxy"
    assert fake.extra == "set through the proxy"
    assert "call_tool" in dir(proxy) and proxy.call_tool.__name__ == "call_tool"
    with pytest.raises(AttributeError):
        proxy.no_such_attribute


def test_the_vendor_wrappers_options_are_accepted():
    memory = Memory()
    proxy = with_logging(FakeSession(), lcl.AuditLogger([memory]), environment="production", actor_id="a",
                         component="c", policy_tags=["SOC2"], session_id="s", client_id="cid", client_version="9")
    run(proxy.call_tool("t", {"x": 1}))
    [entry] = memory.entries
    assert (entry.environment, entry.actor_id, entry.component, list(entry.policy_tags), entry.session_id) == (
        "production", "a", "c", ["SOC2"], "s")
    assert (entry.mcp.client_name, entry.mcp.client_version, entry.mcp.session_id) == ("cid", "9", "s")
    assert entry.mcp.request_id == "7"


def test_a_failing_sink_never_changes_the_call():
    audit = lcl.AuditLogger([Broken()])
    proxy = with_logging(FakeSession(), audit)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(proxy.call_tool("t", {}))
        with pytest.raises(ValueError, match="no such thing"):
            run(proxy.call_tool("explode", {}))
    assert result.content[0].text == "ok t"
    assert [w.category for w in caught] == [McpLoggingWarning, McpLoggingWarning]
    assert isinstance(caught[0].message.error, lcl.LoggerError) and caught[0].message.error.code == "SINK"
    assert proxy.logging_errors == 2 and audit.stats["broken"].failed == 2


def test_a_warnings_filter_set_to_error_does_not_break_the_call():
    proxy = with_logging(FakeSession(), lcl.AuditLogger([Broken()]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run(proxy.call_tool("t", {})).content[0].text == "ok t"
    assert proxy.logging_errors == 1


def test_large_values_keep_their_size_and_hash_and_arguments_can_be_left_out():
    import hashlib

    memory = Memory()
    audit = lcl.AuditLogger([memory])
    run(with_logging(FakeSession(), audit, max_value_bytes=64).call_tool("t", {"blob": "y" * 1000, "small": "z"}))
    run(with_logging(FakeSession(), audit, log_arguments=False).call_tool("t", {"card": CARD}))
    payload = json.loads(memory.entries[0].payload)
    text = json.dumps("y" * 1000).encode()
    assert payload["arguments"] == {"blob": {"truncated": True, "bytes": len(text),
                                             "sha256": hashlib.sha256(text).hexdigest()}, "small": "z"}
    assert memory.entries[1].payload == b""


def test_a_long_error_message_is_cut_to_what_the_field_holds():
    class Failing(FakeSession):
        async def call_tool(self, name, arguments=None):
            return FakeResult("é" * 5000, is_error=True)

    memory = Memory()
    proxy = with_logging(Failing(), lcl.AuditLogger([memory]))
    assert run(proxy.call_tool("t", {})).isError and proxy.logging_errors == 0
    [entry] = memory.entries
    assert entry.error_code == "TOOL_ERROR" and len(entry.error_message.encode()) == 4000


def test_every_covered_method_has_an_event_type():
    names = {v.name for v in lcl.v1.logentry_pb2.EventType.DESCRIPTOR.values}
    for method, event_type in METHODS.values():
        assert lcl.v1.logentry_pb2.EventType.Name(event_type) in names, method


# -- a real server --------------------------------------------------------------


def scenario(audit=None, **options):
    """Runs the same calls against the test server, through the wrapper when
    `audit` is given; returns what each call returned or raised (as JSON
    values), the proxy and the trace id of the caller's span."""
    mcp = pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import anyio
    from mcp.client.stdio import stdio_client
    from opentelemetry.sdk.trace import TracerProvider

    major = int(importlib.metadata.version("mcp").split(".")[0])
    timeout = 0.5 if major >= 2 else datetime.timedelta(seconds=0.5)
    outcomes = {}

    async def call(label, coroutine):
        try:
            result = await coroutine
            outcomes[label] = ("result", result.model_dump(mode="json", by_alias=True, exclude={"meta"}))
        except Exception as err:
            error = getattr(err, "error", None)
            outcomes[label] = ("raised", type(err).__name__, getattr(error, "code", None))

    async def main():
        params = mcp.StdioServerParameters(command=sys.executable, args=[str(SERVER)])
        async with stdio_client(params, errlog=subprocess.DEVNULL) as (read, write):
            session = mcp.ClientSession(read, write)
            if audit is not None:
                session = with_logging(session, audit, **options)
            async with session:
                await call("initialize", session.initialize())
                await call("list_tools", session.list_tools())
                await call("charge", session.call_tool("charge", {"card": CARD, "amount": 42}))
                await call("refuse", session.call_tool("refuse", {"card": CARD}))
                await call("crash", session.call_tool("crash", {}))
                await call("timeout", session.call_tool("slow", {"seconds": 3}, read_timeout_seconds=timeout))
                with anyio.move_on_after(0.5) as scope:
                    await session.call_tool("slow", {"seconds": 3})
                outcomes["cancel"] = ("cancelled", scope.cancelled_caught)
                await call("big", session.call_tool("big", {"size": 10000}))
                async with anyio.create_task_group() as group:  # two calls in flight at once
                    for amount in (1, 2):
                        group.start_soon(call, f"concurrent {amount}", session.call_tool("charge", {"card": CARD, "amount": amount}))
                await call("list_resources", session.list_resources())
                await call("read_resource", session.read_resource("memo://policy"))
                await call("list_prompts", session.list_prompts())
                await call("get_prompt", session.get_prompt("review", {"topic": "refunds"}))
                await call("missing_prompt", session.get_prompt("missing", {"topic": "x"}))
                await call("ping", session.send_ping())
        return session

    tracer = TracerProvider().get_tracer("test_mcp")
    with tracer.start_as_current_span("agent-turn") as span:
        session = anyio.run(main)
        trace_id = format(span.get_span_context().trace_id, "032x")
    return outcomes, session, trace_id


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    path = tmp_path_factory.mktemp("mcp") / "audit.jsonl"
    memory = Memory()
    audit = lcl.AuditLogger([memory, sinks.JsonLines(str(path))], profile="soc2", on_invalid="raise")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", McpLoggingWarning)
        outcomes, proxy, trace_id = scenario(audit, **OPTIONS)
    audit.close()
    raw, _, _ = scenario()
    return {
        "outcomes": outcomes,
        "raw": raw,
        "proxy": proxy,
        "trace_id": trace_id,
        "entries": memory.entries,
        "text": path.read_text(),
        "warnings": [w for w in caught if w.category is McpLoggingWarning],
    }


def major():
    return int(importlib.metadata.version("mcp").split(".")[0])


def by_method(entries, method, tool=""):
    return [e for e in entries if e.mcp.method_name == method and e.mcp.tool_name == tool]


def test_results_and_exceptions_are_the_sessions_own(logged):
    assert logged["outcomes"] == logged["raw"]
    assert logged["outcomes"]["timeout"][0] == "raised" and logged["outcomes"]["cancel"] == ("cancelled", True)


def test_every_call_is_logged_without_a_logging_error(logged):
    assert logged["warnings"] == [] and logged["proxy"].logging_errors == 0
    methods = [e.mcp.method_name for e in logged["entries"]]
    assert [m for m in methods if m != "notifications/cancelled"] == [
        "transport/connect", "initialize", "notifications/initialized", "tools/list"] + ["tools/call"] * 8 + [
        "resources/list", "resources/read", "prompts/list", "prompts/get", "prompts/get", "ping", "shutdown"]


def test_the_client_telling_the_server_it_gave_up_is_recorded(logged):
    # 2.x sends notifications/cancelled for the call that timed out and the
    # one the caller cancelled; 1.x sends nothing.
    entries = logged["entries"]
    cancelled = [e for e in entries if e.mcp.method_name == "notifications/cancelled"]
    slow = by_method(entries, "tools/call", "slow")
    if major() < 2:
        assert cancelled == []
        return
    assert [e.mcp.request_id for e in cancelled] == [e.mcp.request_id for e in slow]
    for notice, call in zip(cancelled, slow):
        assert notice.event_type == lcl.EVENT_TOOL_INVOCATION and notice.actor_id == "agent-7"
        assert json.loads(notice.payload)["about"] == "tools/call" and entries.index(notice) < entries.index(call)


def test_records_validate_under_soc2_and_carry_the_callers_trace(logged):
    for entry in logged["entries"]:
        report = lcl.check(entry, profile="soc2")
        assert report.valid, (entry.mcp.method_name, [(v.field, v.message) for v in report.violations])
        assert entry.trace_id == logged["trace_id"] and entry.span_id


def test_no_card_number_reaches_the_log(logged):
    assert CARD not in logged["text"]
    for entry in logged["entries"]:
        assert {f.kind for f in lcl.find_sensitive(entry)} <= {"email"}  # alice@example.com, the delegator


def test_initialize_record(logged):
    [init] = by_method(logged["entries"], "initialize")
    assert init.event_type == lcl.EVENT_MCP_INITIALIZE and init.outcome == lcl.OUTCOME_SUCCESS
    answer = logged["outcomes"]["initialize"][1]
    assert init.mcp.server_name == "lokryn-test-server" and init.mcp.protocol_version == answer["protocolVersion"]
    assert init.mcp.server_version == (answer["serverInfo"].get("version") or "")  # 2.x's server sends none
    assert (init.mcp.client_name, init.mcp.client_version, init.mcp.transport) == ("billing-agent-client", "1.2.3", "stdio")
    assert init.mcp.request_id in ("0", "1")  # 1.x counts from 0, 2.x from 1
    assert (init.actor_id, init.actor_type, init.component, init.environment, init.session_id, init.mcp.session_id) == (
        "agent-7", lcl.ACTOR_TYPE_AGENT, "billing-agent", "staging", "s-42", "s-42")
    assert [(link.actor_id, link.actor_type) for link in init.delegation_chain] == [
        ("alice@example.com", lcl.ACTOR_TYPE_USER)]
    [ready] = by_method(logged["entries"], "notifications/initialized")
    assert ready.event_type == lcl.EVENT_MCP_INITIALIZED and ready.mcp.server_name == "lokryn-test-server"


def test_tool_call_records(logged):
    entries = logged["entries"]
    charge = by_method(entries, "tools/call", "charge")[0]
    assert charge.event_type == lcl.EVENT_TOOL_INVOCATION and charge.outcome == lcl.OUTCOME_SUCCESS
    [init] = by_method(entries, "initialize")
    assert charge.resource == "tools/charge" and int(charge.mcp.request_id) == int(init.mcp.request_id) + 2
    assert (charge.genai.operation_name, charge.genai.tool_name, charge.genai.conversation_id) == (
        "execute_tool", "charge", "conv-9")
    assert charge.mcp.protocol_version and charge.mcp.server_name == "lokryn-test-server"
    payload = json.loads(charge.payload)
    assert payload["arguments"]["amount"] == 42 and payload["arguments"]["card"] == "411111******1111"
    assert payload["result"]["content"][0]["text"] == "charged 42 to the card ending 1111"

    [refuse] = by_method(entries, "tools/call", "refuse")
    assert (refuse.outcome, refuse.severity, refuse.error_code) == (lcl.OUTCOME_FAILURE_ERROR, lcl.SEVERITY_ERROR, "TOOL_ERROR")
    assert "declined" in refuse.error_message and CARD not in refuse.error_message
    assert not refuse.mcp.HasField("jsonrpc_error_code")
    [crash] = by_method(entries, "tools/call", "crash")
    assert crash.error_code == "TOOL_ERROR"

    [slow_timeout, slow_cancelled] = by_method(entries, "tools/call", "slow")
    assert (slow_timeout.outcome, slow_timeout.error_code) == (lcl.OUTCOME_FAILURE_ERROR, "TIMEOUT")
    assert slow_timeout.mcp.jsonrpc_error_code == logged["outcomes"]["timeout"][2] and slow_timeout.duration_ms >= 400
    assert (slow_cancelled.outcome, slow_cancelled.error_code) == (lcl.OUTCOME_FAILURE_ERROR, "CANCELLED")
    assert not slow_cancelled.mcp.HasField("jsonrpc_error_code") and slow_cancelled.duration_ms >= 400

    concurrent = by_method(entries, "tools/call", "charge")[1:]
    ids = sorted(int(e.mcp.request_id) for e in concurrent)
    assert len(concurrent) == 2 and ids[1] == ids[0] + 1 and ids[0] > int(charge.mcp.request_id)

    [big] = by_method(entries, "tools/call", "big")
    item = json.loads(big.payload)["result"]["content"][0]
    assert item["truncated"] is True and item["bytes"] > 10000 and len(item["sha256"]) == 64


def test_resource_prompt_and_ping_records(logged):
    entries = logged["entries"]
    [listed] = by_method(entries, "resources/list")
    [read] = by_method(entries, "resources/read")
    assert (listed.event_type, read.event_type) == (lcl.EVENT_RESOURCE_LIST, lcl.EVENT_RESOURCE_READ)
    assert read.mcp.resource_uri == "memo://policy" and read.resource == "memo://policy"
    [prompts] = by_method(entries, "prompts/list")
    assert prompts.event_type == lcl.EVENT_PROMPT_LIST
    review, missing = by_method(entries, "prompts/get")
    assert (review.event_type, review.mcp.prompt_name, review.outcome) == (
        lcl.EVENT_PROMPT_EXECUTION, "review", lcl.OUTCOME_SUCCESS)
    assert json.loads(review.payload)["arguments"] == {"topic": "refunds"}
    code = logged["outcomes"]["missing_prompt"][2]
    assert (missing.outcome, missing.error_code, missing.mcp.jsonrpc_error_code) == (
        lcl.OUTCOME_FAILURE_ERROR, str(code), code)
    [ping] = by_method(entries, "ping")
    assert ping.event_type == lcl.EVENT_MCP_PING and ping.outcome == lcl.OUTCOME_SUCCESS
    [shutdown] = by_method(entries, "shutdown")
    assert shutdown.event_type == lcl.EVENT_MCP_SHUTDOWN


def docs_block(marker):
    """The Python block after `<!-- marker -->` in docs/mcp.md."""
    import re

    from conftest import ROOT

    text = (ROOT / "docs/mcp.md").read_text(encoding="utf-8")
    return re.search(rf"<!-- {marker} -->\n```python\n(.*?)```", text, re.S).group(1)


def test_docs_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("mcp", reason="mcp is installed in the mcp venvs of `cargo xtask test`")
    import shutil

    block = docs_block("ten-line-python")
    assert len(block.strip().splitlines()) <= 16
    shutil.copy(SERVER, tmp_path / "server.py")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "<docs/mcp.md>", "exec"), {"__name__": "__docs__"})
    records = [json.loads(line) for line in (tmp_path / "mcp-audit.jsonl").read_text().splitlines()]
    assert [r["mcp"]["methodName"] for r in records] == [
        "transport/connect", "initialize", "notifications/initialized", "tools/call", "shutdown"]
    assert json.loads(__import__("base64").b64decode(records[3]["payload"]))["arguments"]["card"] == "411111******1111"
