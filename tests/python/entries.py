"""Entries for the tests of the Python package: one with every field set, and
random ones with edge values (unicode, 64-bit extremes, timestamps of every
precision, enum numbers the schema does not define)."""

import random

import lokryn_compliance_log as lcl

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


def full_entry() -> lcl.LogEntry:
    """An entry with every field of the schema set, nested messages included."""
    entry = lcl.LogEntry(
        event_type=lcl.EVENT_TOOL_INVOCATION,
        outcome=lcl.OUTCOME_SUCCESS,
        severity=lcl.SEVERITY_INFO,
        actor_id="agent-001",
        component="mcp-client",
        environment="production",
        resource="tools/database_query",
        message="Executed database query tool",
        payload=b'{"query": "SELECT * FROM users", "rows_returned": 42}',
        policy_tags=["SOC2", "data-access"],
        sensitivity=lcl.SENSITIVITY_CONFIDENTIAL,
        event_id="0190f3b4-7c1e-7d2a-9b3c-4d5e6f708192",
        actor_type=lcl.ACTOR_TYPE_AGENT,
        delegation_chain=[
            lcl.DelegationLink(
                actor_id="alice",
                actor_type=lcl.ACTOR_TYPE_USER,
                scopes=["db:read"],
                reason="ticket 42",
            ),
            lcl.DelegationLink(actor_id="planner", actor_type=lcl.ACTOR_TYPE_AGENT),
        ],
        source_ip="2001:db8::1",
        host="web-1",
        user_agent="curl/8.5.0",
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        span_id="00f067aa0ba902b7",
        parent_span_id="00f067aa0ba902b8",
        session_id="sess-1",
        request_id="req-1",
        duration_ms=42,
        error_code="E1",
        error_message="none",
        producer=lcl.Producer(name="lokryn-mcp", version="1.4.2"),
        schema_version="0.3.0",
        genai=lcl.GenAIPayload(
            operation_name="chat",
            provider_name="openai",
            request_model="gpt-x",
            response_model="gpt-x-1",
            response_id="r1",
            input_tokens=12,
            output_tokens=34,
            finish_reasons=["stop"],
            temperature=0.7,
            top_p=0.95,
            max_tokens=256,
            conversation_id="c1",
            agent_id="a1",
            agent_name="Agent",
            tool_name="sql",
            tool_call_id="call-1",
            tool_type="function",
            data_source_id="ds-1",
        ),
        mcp=lcl.McpPayload(
            method_name="tools/call",
            protocol_version="2025-06-18",
            session_id="m1",
            request_id="7",
            tool_name="sql",
            prompt_name="p",
            resource_uri="file:///x",
            transport="stdio",
            client_name="cli",
            client_version="1",
            server_name="srv",
            server_version="2",
            jsonrpc_error_code=-32601,
        ),
        payload_format=lcl.PAYLOAD_FORMAT_JSON,
    )
    entry.time.seconds = 1_700_000_000
    entry.time.nanos = 123_000_000
    return entry


_TEXT = ["", "a", "ünïcödé ✓", "日本語", "emoji 🦀🔐", 'quote " backslash \\ slash /',
         "ctl \x00\x01\x1f\x7f", "line\nbreak\ttab\r", "\u2028\u2029", "<script>&amp;"]


def random_entry(rng: random.Random) -> lcl.LogEntry:
    """A random entry: every field set or left at its default, with edge values."""

    def text():
        return rng.choice(_TEXT) if rng.random() < 0.5 else "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0xA0, 0xD7FF), rng.randrange(0x10000, 0x10FFFF)]))
            for _ in range(rng.randrange(0, 12))
        )

    def maybe(p=0.5):
        return rng.random() < p

    def enum_number(enum):
        numbers = list(enum.values())
        return rng.choice(numbers + [0, 999, -1, INT32_MAX, INT32_MIN]) if maybe(0.9) else rng.choice(numbers)

    e = lcl.LogEntry()
    for name in ("actor_id", "component", "environment", "resource", "message", "event_id", "source_ip",
                 "host", "user_agent", "trace_id", "span_id", "parent_span_id", "session_id", "request_id",
                 "error_code", "error_message", "schema_version"):
        if maybe():
            setattr(e, name, text())
    for name, enum in (("event_type", lcl.EventType), ("outcome", lcl.Outcome), ("severity", lcl.Severity),
                       ("sensitivity", lcl.Sensitivity), ("actor_type", lcl.ActorType),
                       ("payload_format", lcl.PayloadFormat)):
        if maybe():
            setattr(e, name, enum_number(enum))
    if maybe():
        e.payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    if maybe():
        e.policy_tags.extend(text() for _ in range(rng.randrange(0, 4)))
    if maybe():
        e.duration_ms = rng.choice([0, 1, -1, INT64_MAX, INT64_MIN, 2**53 + 1, rng.randrange(INT64_MIN, INT64_MAX)])
    if maybe():
        e.time.seconds = rng.choice([0, -1, -62_135_596_800, 253_402_300_799, rng.randrange(-62_135_596_800, 253_402_300_799)])
        e.time.nanos = rng.choice([0, 1, 5_000, 123_000_000, 999_999_999, 10_000, rng.randrange(0, 1_000_000_000)])
    for _ in range(rng.randrange(0, 3)):
        link = e.delegation_chain.add()
        if maybe():
            link.actor_id = text()
        if maybe():
            link.actor_type = enum_number(lcl.ActorType)
        if maybe():
            link.scopes.extend(text() for _ in range(rng.randrange(0, 3)))
        if maybe():
            link.reason = text()
    if maybe(0.3):
        e.producer.name = text()
        e.producer.version = text()
    if maybe(0.4):
        g = e.genai
        g.operation_name = text()
        g.input_tokens = rng.choice([0, 1, INT64_MAX, INT64_MIN])
        g.output_tokens = rng.randrange(0, 10**12)
        if maybe():
            g.temperature = rng.choice([0.0, -0.0, 0.7, 1e-300, 1.7976931348623157e308, 5e-324, 0.1 + 0.2, 1e21, 123456789.125])
        if maybe():
            g.top_p = rng.random()
        if maybe():
            g.max_tokens = rng.choice([0, INT64_MAX, INT64_MIN])
        g.finish_reasons.extend(text() for _ in range(rng.randrange(0, 3)))
    if maybe(0.4):
        m = e.mcp
        m.method_name = text()
        if maybe():
            m.jsonrpc_error_code = rng.choice([0, -32601, INT32_MAX, INT32_MIN])
    return e
