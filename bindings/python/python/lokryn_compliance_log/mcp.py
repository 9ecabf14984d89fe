"""Audit records for every request an MCP client makes, and every request an
MCP server handles.

``with_logging(session, logger, **options)`` wraps an ``mcp.ClientSession``
(the official ``mcp`` SDK, 1.x or 2.x) in a ``LoggingProxy``: a drop-in that
has the session's methods, returns their results and raises their exceptions
unchanged, forwards every attribute it does not cover, and writes one audit
record through an ``AuditLogger`` for each call it covers, and for what the
server sends on its own (sampling, elicitation and roots requests,
notifications)::

    from mcp import ClientSession
    from lokryn_compliance_log.mcp import with_logging

    async with with_logging(ClientSession(read, write), audit, actor_id="agent-7") as session:
        await session.initialize()
        result = await session.call_tool("search", {"query": "invoices"})

``log_server(server, logger, **options)`` does the same on the server side
for a ``FastMCP`` (1.x), ``MCPServer`` (2.x) or low-level ``Server``: one
record for every request it handles.

The ``mcp`` package is not imported here, so this module imports without it.

What goes into a record, and the options, are described in docs/mcp.md.
Logging never changes what a call returns or raises: a record that cannot be
written (a failing sink, an invalid record under ``on_invalid="raise"``, a
bug) is reported as an ``McpLoggingWarning`` through ``warnings`` and counted
in ``logging_errors`` (of the proxy, or of what ``log_server`` returns); the
sinks' own failures are also counted in the logger's ``stats``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
import time
import warnings
from collections import abc
from types import TracebackType
from typing import Any, Awaitable, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple, Type, Union

from lokryn_compliance_log import _native
from lokryn_compliance_log._logger import AuditLogger
from lokryn_compliance_log.v1 import logentry_pb2 as pb

__all__ = ["ASKED", "EVENT_TYPES", "METHODS", "LoggingProxy", "McpLoggingWarning", "ServerLogging", "event_type_of", "log_server", "with_logging"]


class McpLoggingWarning(UserWarning):
    """An audit record of an MCP call could not be written. The call itself
    was not affected; ``error`` is the exception logging raised."""

    def __init__(self, message: str, error: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.error = error


EVENT_TYPES: Mapping[str, int] = {
    # Requests from the client to the server.
    "initialize": pb.EVENT_MCP_INITIALIZE,
    "ping": pb.EVENT_MCP_PING,
    "tools/list": pb.EVENT_TOOL_LIST,
    "tools/call": pb.EVENT_TOOL_INVOCATION,
    "resources/list": pb.EVENT_RESOURCE_LIST,
    "resources/templates/list": pb.EVENT_RESOURCE_LIST,
    "resources/read": pb.EVENT_RESOURCE_READ,
    "resources/subscribe": pb.EVENT_RESOURCE_ACCESS,
    "resources/unsubscribe": pb.EVENT_RESOURCE_ACCESS,
    "prompts/list": pb.EVENT_PROMPT_LIST,
    "prompts/get": pb.EVENT_PROMPT_EXECUTION,
    "completion/complete": pb.EVENT_RESOURCE_ACCESS,
    "logging/setLevel": pb.EVENT_CONFIG_CHANGE,
    # Requests from the server to the client. Sampling and elicitation get
    # two records each: the *_REQUEST type when the request arrives (see
    # ASKED), this one when the client answers.
    "sampling/createMessage": pb.EVENT_SAMPLING_RESPONSE,
    "elicitation/create": pb.EVENT_ELICITATION_RESPONSE,
    "roots/list": pb.EVENT_ROOTS_LIST,
    # Notifications, both ways. Progress and cancellation take the event
    # type of the request they are about, when it is known (this is the
    # fallback, as for any other notification not listed).
    "notifications/initialized": pb.EVENT_MCP_INITIALIZED,
    "notifications/roots/list_changed": pb.EVENT_MCP_NOTIFICATION,
    "notifications/tools/list_changed": pb.EVENT_MCP_NOTIFICATION,
    "notifications/resources/list_changed": pb.EVENT_MCP_NOTIFICATION,
    "notifications/prompts/list_changed": pb.EVENT_MCP_NOTIFICATION,
    "notifications/resources/updated": pb.EVENT_MCP_NOTIFICATION,
    "notifications/message": pb.EVENT_MCP_LOG_MESSAGE,
    "notifications/progress": pb.EVENT_MCP_NOTIFICATION,
    "notifications/cancelled": pb.EVENT_MCP_NOTIFICATION,
    # Not MCP methods: the session's and the transport's own events.
    "shutdown": pb.EVENT_MCP_SHUTDOWN,
    "transport/connect": pb.EVENT_TRANSPORT_CONNECT,
    "transport/close": pb.EVENT_TRANSPORT_DISCONNECT,
    "transport/error": pb.EVENT_TRANSPORT_ERROR,
}
"""The ``EventType`` of the record of each MCP method (and of the session and
transport events, under the names the records give them in
``mcp.method_name``). A method not listed gets ``EVENT_MCP_NOTIFICATION`` when
it is a notification (its name starts with ``notifications/``), else
``EVENT_RESOURCE_ACCESS``."""

ASKED: Mapping[str, int] = {
    "sampling/createMessage": pb.EVENT_SAMPLING_REQUEST,
    "elicitation/create": pb.EVENT_ELICITATION_REQUEST,
}
"""The server's requests that are recorded twice: on arrival with this
``EventType`` (the request's arguments), and when the client answers with
the one in ``EVENT_TYPES`` (the answer)."""


def event_type_of(method: str) -> int:
    """The ``EventType`` of a record of ``method`` (see ``EVENT_TYPES``)."""
    found = EVENT_TYPES.get(method)
    if found is not None:
        return found
    return pb.EVENT_MCP_NOTIFICATION if method.startswith("notifications/") else pb.EVENT_RESOURCE_ACCESS

# The session methods the proxy covers: method name -> (MCP method, EventType).
METHODS: Mapping[str, Tuple[str, int]] = {
    name: (method, EVENT_TYPES[method])
    for name, method in (
        ("initialize", "initialize"),
        ("send_ping", "ping"),
        ("list_tools", "tools/list"),
        ("call_tool", "tools/call"),
        ("list_resources", "resources/list"),
        ("list_resource_templates", "resources/templates/list"),
        ("read_resource", "resources/read"),
        ("subscribe_resource", "resources/subscribe"),
        ("unsubscribe_resource", "resources/unsubscribe"),
        ("list_prompts", "prompts/list"),
        ("get_prompt", "prompts/get"),
        ("complete", "completion/complete"),
        ("set_logging_level", "logging/setLevel"),
        ("send_roots_list_changed", "notifications/roots/list_changed"),
    )
}
"""The ``ClientSession`` methods ``LoggingProxy`` covers, each with the MCP
method it sends and the ``EventType`` of its record."""

# Error codes of the outcomes that are not JSON-RPC errors.
TOOL_ERROR = "TOOL_ERROR"
TIMEOUT = "TIMEOUT"
CANCELLED = "CANCELLED"
CONNECTION_CLOSED = "CONNECTION_CLOSED"

# JSON-RPC error codes the SDKs use for a request that got no answer in time
# (1.x: HTTP 408; 2.x and the TypeScript SDK: -32001) and a closed connection.
_TIMEOUT_CODES = frozenset({408, -32001})
_CONNECTION_CLOSED_CODE = -32000
_INVALID_PARAMS = -32602
# What 1.x sessions answer a request with when the peer cancelled it (code 0
# is no JSON-RPC code; 1.x servers also answer other failures with it).
_CANCELLED_ANSWER = (0, "Request cancelled")

# The severity of a server's log message (notifications/message), by its level.
_LOG_SEVERITY: Mapping[str, int] = {
    "debug": pb.SEVERITY_DEBUG,
    "info": pb.SEVERITY_INFO,
    "notice": pb.SEVERITY_NOTICE,
    "warning": pb.SEVERITY_WARNING,
    "error": pb.SEVERITY_ERROR,
    "critical": pb.SEVERITY_CRITICAL,
    "alert": pb.SEVERITY_ALERT,
    "emergency": pb.SEVERITY_EMERGENCY,
}

# Requests whose answer goes to the record (under `log_arguments`): the
# client's answers to the server.
_KEEP_RESULT = frozenset({"sampling/createMessage", "elicitation/create", "roots/list"})

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


def _dump(value: Any) -> Any:
    """A JSON-able form of an SDK value (pydantic models, URLs, bytes)."""
    # Plain values first: arguments are mostly JSON already.
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, abc.Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return str(value)


def _attribute(value: Any, *names: str) -> Any:
    """The first of ``names`` that ``value`` has (snake case for 2.x, camel
    case for 1.x and the wire), as an attribute or a key."""
    if isinstance(value, dict) or (value is not None and isinstance(value, abc.Mapping)):
        for name in names:
            found = value.get(name)
            if found is not None:
                return found
        return None
    for name in names:
        found = getattr(value, name, None)
        if found is not None:
            return found
    return None


def _cut(value: Any, limit: Optional[int]) -> Any:
    """``value``, or when its JSON is longer than ``limit`` bytes a summary
    keeping its size and SHA-256 instead of the content."""
    if limit is None:
        return value
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    if len(text) <= limit:
        return value
    return {"truncated": True, "bytes": len(text), "sha256": hashlib.sha256(text).hexdigest()}


def _delegation(chain: Any, on_behalf_of: Optional[str]) -> List[pb.DelegationLink]:
    links: List[pb.DelegationLink] = []
    if on_behalf_of:
        links.append(pb.DelegationLink(actor_id=on_behalf_of, actor_type=pb.ACTOR_TYPE_USER))
    for link in chain or ():
        if isinstance(link, pb.DelegationLink):
            links.append(link)
        elif isinstance(link, str):
            links.append(pb.DelegationLink(actor_id=link))
        else:
            links.append(pb.DelegationLink(**dict(link)))
    return links


def _trace_of(params: Any) -> Optional[Tuple[str, str]]:
    """The trace id and the caller's span id of a W3C ``traceparent`` in a
    request's ``_meta`` (the 2.x SDKs send one), or ``None``."""
    meta = _attribute(params, "_meta", "meta")
    parent = _attribute(meta, "traceparent") if meta is not None else None
    if not isinstance(parent, str):
        return None
    found = _TRACEPARENT.match(parent.strip())
    if found is None or found.group(1) == "0" * 32:
        return None
    return found.group(1), found.group(2)


class _Call:
    """What is known about one call or message, turned into a record."""

    __slots__ = (
        "method", "event_type", "request_id", "tool", "prompt", "uri", "arguments", "payload",
        "actor", "mcp", "genai", "severity", "trace", "keep_result",
    )

    def __init__(self, method: str, event_type: Optional[int] = None) -> None:
        self.method = method
        self.event_type = event_type_of(method) if event_type is None else event_type
        self.request_id = ""
        self.tool = ""
        self.prompt = ""
        self.uri = ""
        self.arguments: Any = None
        self.payload: Dict[str, Any] = {}
        self.actor: Optional[Tuple[str, int]] = None
        self.mcp: Dict[str, Any] = {}
        self.genai: Dict[str, Any] = {}
        self.severity: Optional[int] = None
        self.trace: Optional[Tuple[str, str]] = None
        self.keep_result = False


def _describe(record: _Call, params: Any) -> None:
    """Fills ``record`` from the params of its MCP message (a wire dict or a
    pydantic model)."""
    method = record.method
    record.keep_result = method in _KEEP_RESULT
    if params is None:
        return
    if method in ("tools/call", "prompts/get"):
        name = str(_attribute(params, "name") or "")
        if method == "tools/call":
            record.tool = name
        else:
            record.prompt = name
        record.arguments = _attribute(params, "arguments")
    elif method in ("resources/read", "resources/subscribe", "resources/unsubscribe", "notifications/resources/updated"):
        record.uri = str(_attribute(params, "uri") or "")
    elif method == "completion/complete":
        ref = _attribute(params, "ref")
        record.uri = str(_attribute(ref, "uri") or "")
        record.prompt = str(_attribute(ref, "name") or "") if not record.uri else ""
        record.arguments = _attribute(params, "argument")
    elif method == "logging/setLevel":
        record.payload["level"] = _dump(_attribute(params, "level"))
    elif method == "sampling/createMessage":
        record.arguments = {k: v for k, v in _dump(params).items() if k != "_meta"}
        record.genai["operation_name"] = "chat"
        max_tokens = _attribute(params, "maxTokens", "max_tokens")
        if isinstance(max_tokens, int):
            record.genai["max_tokens"] = max_tokens
        temperature = _attribute(params, "temperature")
        if isinstance(temperature, (int, float)):
            record.genai["temperature"] = float(temperature)
    elif method == "elicitation/create":
        record.arguments = {k: v for k, v in _dump(params).items() if k != "_meta"}
    elif method == "notifications/message":
        level = str(_attribute(params, "level") or "")
        record.severity = _LOG_SEVERITY.get(level, pb.SEVERITY_INFO)
        record.payload["level"] = level
        logger = _attribute(params, "logger")
        if logger:
            record.payload["logger"] = str(logger)
        record.arguments = {"data": _attribute(params, "data")}
    elif method == "notifications/progress":
        record.request_id = str(_attribute(params, "progressToken", "progress_token") or "")
        for key in ("progress", "total", "message"):
            value = _attribute(params, key)
            if value is not None:
                record.payload[key] = _dump(value)
    elif method == "notifications/cancelled":
        record.request_id = str(_attribute(params, "requestId", "request_id") or "")
        reason = _attribute(params, "reason")
        if reason:
            record.payload["reason"] = str(reason)


class _WireError(Exception):
    """A JSON-RPC error answer seen on the wire, shaped like the SDK's
    ``McpError`` (``error.code``, ``error.message``)."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(_attribute(error, "message") or ""))
        self.error = type("ErrorData", (), {"code": _attribute(error, "code"), "message": str(self)})()


class _Recorder:
    """Builds the records of one wrapper (client proxy or server
    middleware) and writes them, never raising."""

    def __init__(self, logger: AuditLogger, options: Mapping[str, Any]) -> None:
        """``options``: every key of ``_DEFAULTS``."""
        actor_id, client_id, session_id = options["actor_id"], options["client_id"], options["session_id"]
        self.logger = logger
        self.log_arguments: bool = options["log_arguments"]
        self.limit: Optional[int] = options["max_value_bytes"]
        self.redact: Union[bool, bytes] = options["redact"]
        self.errors = 0
        # Options the caller set that a server's records must not override.
        self.explicit: FrozenSet[str] = frozenset()
        base: Dict[str, Any] = {
            "actor_id": actor_id or client_id or "mcp-client",
            "actor_type": options["actor_type"],
            "component": options["component"],
        }
        if options["environment"]:
            base["environment"] = options["environment"]
        if options["policy_tags"]:
            base["policy_tags"] = list(options["policy_tags"])
        if options["sensitivity"] is not None:
            base["sensitivity"] = options["sensitivity"]
        if session_id:
            base["session_id"] = session_id
        chain = _delegation(options["delegation_chain"], options["on_behalf_of"])
        if chain:
            base["delegation_chain"] = chain
        self.base = base
        self.mcp: Dict[str, Any] = {
            "session_id": session_id or "",
            "transport": options["transport"] or "",
            "client_name": client_id or "",
            "client_version": options["client_version"] or "",
        }
        self.genai = {k: options[k] for k in ("agent_id", "agent_name", "conversation_id") if options[k]}

    def failed(self, err: BaseException) -> None:
        self.errors += 1
        try:
            warnings.warn(
                McpLoggingWarning(f"lokryn_compliance_log.mcp: an audit record was not written: {err!r}", err),
                stacklevel=4,
            )
        except Exception:  # a warnings filter set to "error": still never break the call
            pass

    def write(self, record: _Call, started: float, result: Any, error: Optional[BaseException]) -> None:
        try:
            fields = self.fields(record, started, result, error)
            entry = pb.LogEntry(**fields)
            if self.redact is not False:
                key = self.redact if isinstance(self.redact, bytes) else None
                entry = _native.redact(entry, key=key).entry
            self.logger.log_entry(entry)
        except Exception as err:
            self.failed(err)

    def fields(self, record: _Call, started: float, result: Any, error: Optional[BaseException]) -> Dict[str, Any]:
        fields = dict(self.base)
        if record.actor is not None:
            fields["actor_id"], fields["actor_type"] = record.actor
        fields["event_type"] = record.event_type
        fields["duration_ms"] = max(0, int((time.monotonic() - started) * 1000))
        if record.trace is not None:
            fields["trace_id"], fields["parent_span_id"] = record.trace
        mcp: Dict[str, Any] = {k: v for k, v in self.mcp.items() if v}
        if record.mcp:
            mcp.update((k, v) for k, v in record.mcp.items() if v)
        mcp["method_name"] = record.method
        if record.request_id:
            mcp["request_id"] = record.request_id
        if record.tool:
            mcp["tool_name"] = record.tool
        if record.prompt:
            mcp["prompt_name"] = record.prompt
        if record.uri:
            mcp["resource_uri"] = record.uri
        genai: Dict[str, Any] = dict(self.genai)
        if record.genai:
            genai.update(record.genai)
        if record.tool:
            genai["operation_name"] = "execute_tool"
            genai["tool_name"] = record.tool
            fields["resource"] = f"tools/{record.tool}"
        elif record.prompt:
            fields["resource"] = f"prompts/{record.prompt}"
        elif record.uri:
            fields["resource"] = record.uri
        else:
            fields["resource"] = record.method

        payload = dict(record.payload)
        if self.log_arguments and record.arguments is not None:
            arguments = _dump(record.arguments)
            if isinstance(arguments, dict):
                payload["arguments"] = {k: _cut(v, self.limit) for k, v in arguments.items()}
            else:
                payload["arguments"] = _cut(arguments, self.limit)

        outcome: int = pb.OUTCOME_SUCCESS
        code, message = "", ""
        if error is not None:
            outcome, code, message = _error_outcome(error, mcp)
        elif record.tool and result is not None:
            if bool(_attribute(result, "is_error", "isError")):
                outcome, code = pb.OUTCOME_FAILURE_ERROR, TOOL_ERROR
                message = _text_of(result) or "the tool reported an error"
            if self.log_arguments:
                content = _dump(_attribute(result, "content") or [])
                payload["result"] = {"content": [_cut(item, self.limit) for item in content]}
                structured = _attribute(result, "structured_content", "structuredContent")
                if structured is not None:
                    payload["result"]["structuredContent"] = _cut(_dump(structured), self.limit)
        elif record.keep_result and result is not None:
            answer = _dump(result)
            if isinstance(answer, dict):
                answer = {k: v for k, v in answer.items() if k != "_meta"}
                if record.method == "sampling/createMessage":
                    model, stop = answer.get("model"), answer.get("stopReason")
                    if isinstance(model, str) and model:
                        genai["response_model"] = model
                    if isinstance(stop, str) and stop:
                        genai["finish_reasons"] = [stop]
                elif record.method == "elicitation/create" and isinstance(answer.get("action"), str):
                    payload["action"] = answer["action"]
            if self.log_arguments:
                payload["result"] = _cut(answer, self.limit)
        fields["outcome"] = outcome
        if outcome != pb.OUTCOME_SUCCESS:
            fields["severity"] = pb.SEVERITY_ERROR
        else:
            fields["severity"] = record.severity if record.severity is not None else pb.SEVERITY_INFO
        if code:
            fields["error_code"] = code
            # error_message holds at most 4096 bytes: cut on a character boundary.
            fields["error_message"] = message.encode()[:4000].decode(errors="ignore")
        fields["message"] = _summary(record, outcome, code)
        fields["mcp"] = pb.McpPayload(**mcp)
        if genai:
            fields["genai"] = pb.GenAIPayload(**genai)
        if payload:
            fields["payload"] = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()
            fields["payload_format"] = pb.PAYLOAD_FORMAT_JSON
        return fields


def _error_outcome(error: BaseException, mcp: Dict[str, Any]) -> Tuple[int, str, str]:
    if _is_cancellation(error):
        return pb.OUTCOME_FAILURE_ERROR, CANCELLED, "the call was cancelled before the server answered"
    data = getattr(error, "error", None)
    code = getattr(data, "code", None)
    if isinstance(code, int):
        text = str(getattr(data, "message", "") or error)
        mcp["jsonrpc_error_code"] = code
        if code in _TIMEOUT_CODES:
            return pb.OUTCOME_FAILURE_ERROR, TIMEOUT, text
        if code == _CONNECTION_CLOSED_CODE:
            return pb.OUTCOME_FAILURE_ERROR, CONNECTION_CLOSED, text
        if (code, text) == _CANCELLED_ANSWER:
            return pb.OUTCOME_FAILURE_ERROR, CANCELLED, text
        return pb.OUTCOME_FAILURE_ERROR, str(code), text
    if isinstance(error, TimeoutError):
        return pb.OUTCOME_FAILURE_ERROR, TIMEOUT, str(error)
    if type(error).__name__ == "ValidationError":  # pydantic: the params did not validate
        mcp["jsonrpc_error_code"] = _INVALID_PARAMS
        return pb.OUTCOME_FAILURE_ERROR, str(_INVALID_PARAMS), "Invalid request parameters"
    return pb.OUTCOME_FAILURE_ERROR, type(error).__name__, str(error)


def _message_parts(item: Any) -> Tuple[str, Any, Any, Any, Any]:
    """(kind, id, method, params, result-or-error) of a ``SessionMessage``
    on a stream: kind is "request", "notification", "result", "error" or
    "" (not a JSON-RPC message)."""
    # The fields of the pydantic models, read from their __dict__: asking a
    # model for a field it lacks costs a raised and caught AttributeError.
    # 1.x wraps the message in a RootModel, 2.x does not.
    message = getattr(item, "message", None)
    root = (getattr(message, "__dict__", None) or {}).get("root", message)
    fields = getattr(root, "__dict__", None)
    if not fields:
        return "", None, None, None, None
    method = fields.get("method")
    ident = fields.get("id")
    if isinstance(method, str):
        return ("request" if ident is not None else "notification"), ident, method, fields.get("params"), None
    error = fields.get("error")
    if error is not None:
        return "error", ident, None, None, error
    return "result", ident, None, None, fields.get("result")


class _Tap:
    """A stream of ``SessionMessage``s (the read or the write side of a
    transport) that shows every item to ``observe`` on its way through; all
    else is the stream's own. ``observe`` never raises."""

    def __init__(self, inner: Any, observe: Callable[[Any], None], closed: Optional[Callable[[], None]] = None) -> None:
        self._lokryn_inner = inner
        self._lokryn_observe = observe
        self._lokryn_closed = closed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lokryn_inner, name)

    async def __aenter__(self) -> _Tap:
        await self._lokryn_inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._lokryn_inner.__aexit__(*exc)

    def __aiter__(self) -> _Tap:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self._lokryn_inner.__anext__()
        except StopAsyncIteration:
            if self._lokryn_closed is not None:
                self._lokryn_closed()
            raise
        self._lokryn_observe(item)
        return item

    async def receive(self) -> Any:
        try:
            item = await self._lokryn_inner.receive()
        except Exception as err:
            if type(err).__name__ == "EndOfStream" and self._lokryn_closed is not None:
                self._lokryn_closed()
            raise
        self._lokryn_observe(item)
        return item

    async def send(self, item: Any) -> None:
        await self._lokryn_inner.send(item)
        self._lokryn_observe(item)


class LoggingProxy:
    """An ``mcp.ClientSession`` that writes an audit record for every call
    it covers (see ``METHODS``) and for what the server sends on its own;
    everything else is the session's own.

    ``session``: the ``ClientSession`` (or any object with its methods).
    ``logger``: the ``AuditLogger`` the records go through.

    Options (all keyword-only): ``actor_id`` (who acts; default
    ``client_id`` or ``"mcp-client"``), ``actor_type`` (default
    ``ACTOR_TYPE_AGENT``), ``on_behalf_of`` (the user the agent acts for,
    first link of the delegation chain) and ``delegation_chain`` (further
    links: ``DelegationLink``s, dicts of its fields or actor ids),
    ``component`` (default ``"mcp-client"``), ``environment``,
    ``policy_tags``, ``sensitivity``, ``session_id`` (also
    ``mcp.session_id``), ``client_id`` and ``client_version`` (the client's
    name and version in ``mcp``; default the session's ``client_info``),
    ``transport`` (``"stdio"``, ``"streamable-http"``...), ``agent_id``,
    ``agent_name`` and ``conversation_id`` (GenAI fields),
    ``log_arguments`` (default ``True``: tool and prompt arguments and tool
    results go to ``payload``, redacted; ``False`` leaves them out),
    ``max_value_bytes`` (default 4096: an argument or result item whose JSON
    is longer is replaced by its size and SHA-256; ``None``: no limit) and
    ``redact`` (``True``, ``False`` or a key for keyed tokens: the record is
    redacted before the logger sees it, so it stays valid under profiles
    that forbid, say, card numbers in records; the logger redacts again).

    What the server sends on its own (requests for sampling, elicitation and
    roots, notifications) and the client's own notifications (progress,
    cancellation) are seen on the session's transport streams, which the
    proxy taps when it is created: wrap the session before entering it.
    """

    def __init__(
        self,
        session: Any,
        logger: AuditLogger,
        *,
        actor_id: Optional[str] = None,
        actor_type: Union[int, str] = pb.ACTOR_TYPE_AGENT,
        on_behalf_of: Optional[str] = None,
        delegation_chain: Optional[Iterable[Any]] = None,
        component: str = "mcp-client",
        environment: Optional[str] = None,
        policy_tags: Optional[Iterable[str]] = None,
        sensitivity: Union[None, int, str] = None,
        session_id: Optional[str] = None,
        client_id: Optional[str] = None,
        client_version: Optional[str] = None,
        transport: Optional[str] = None,
        agent_id: Optional[str] = None,
        agent_name: Optional[str] = None,
        conversation_id: Optional[str] = None,
        log_arguments: bool = True,
        max_value_bytes: Optional[int] = 4096,
        redact: Union[bool, bytes] = True,
    ) -> None:
        # Attributes of the proxy itself live in __dict__ under names the
        # session has no reason to use; everything else is forwarded.
        self._lokryn_session = session
        options = {k: v for k, v in locals().items() if k in _DEFAULTS}
        # The client's name and version default to what the session sends.
        info = getattr(session, "_client_info", None)
        recorder = _Recorder(logger, dict(options, client_version=client_version or str(getattr(info, "version", "") or "")))
        recorder.mcp["client_name"] = client_id or str(getattr(info, "name", "") or "")
        self._lokryn_recorder = recorder
        # Requests the server sent, waiting for the client's answer:
        # id -> (record, start); requests the client sent: id -> method.
        self._lokryn_pending: Dict[str, Tuple[_Call, float]] = {}
        self._lokryn_sent = _Recent()
        self._lokryn_received = _Recent()
        self._lokryn_closed = False
        try:
            self._lokryn_tap()
        except Exception as err:  # an SDK this does not know: the calls are still logged
            self._lokryn_recorder.failed(err)

    # -- forwarding ---------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only called for names the proxy does not have itself.
        session = self.__dict__.get("_lokryn_session")
        if session is None:
            raise AttributeError(name)
        if name in METHODS:
            method = getattr(session, name)
            return self._lokryn_wrap(name, method)
        return getattr(session, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_lokryn_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._lokryn_session, name, value)

    def __dir__(self) -> List[str]:
        return sorted(set(dir(type(self))) | set(dir(self._lokryn_session)))

    def __repr__(self) -> str:
        return f"LoggingProxy({self._lokryn_session!r})"

    @property
    def wrapped(self) -> Any:
        """The session this proxy wraps."""
        return self._lokryn_session

    @property
    def logging_errors(self) -> int:
        """How many records could not be written."""
        return self._lokryn_recorder.errors

    async def __aenter__(self) -> LoggingProxy:
        started = time.monotonic()
        try:
            await self._lokryn_session.__aenter__()
        except BaseException as err:
            self._lokryn_write(_Call("transport/connect"), started, None, err)
            raise
        self._lokryn_write(_Call("transport/connect"), started, None, None)
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> Optional[bool]:
        started = time.monotonic()
        try:
            result: Optional[bool] = await self._lokryn_session.__aexit__(exc_type, exc, tb)
        finally:
            self._lokryn_write(_Call("shutdown"), started, None, None)
        return result

    # -- calls --------------------------------------------------------------

    def _lokryn_wrap(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        mcp_method, event_type = METHODS[name]

        async def call(*args: Any, **kwargs: Any) -> Any:
            record = _Call(mcp_method, event_type)
            try:
                self._lokryn_describe(name, record, args, kwargs)
                next_id = self._lokryn_next_request_id()
            except Exception as err:  # describing a call never stops it
                self._lokryn_recorder.failed(err)
                next_id = None
            started = time.monotonic()
            try:
                result = await method(*args, **kwargs)
            except BaseException as err:
                record.request_id = self._lokryn_request_id(next_id)
                self._lokryn_write(record, started, None, err)
                raise
            record.request_id = self._lokryn_request_id(next_id)
            self._lokryn_write(record, started, result, None)
            if name == "initialize":
                self._lokryn_write(_Call("notifications/initialized"), time.monotonic(), None, None)
            return result

        call.__name__ = name
        call.__qualname__ = f"LoggingProxy.{name}"
        call.__doc__ = getattr(method, "__doc__", None)
        call.__wrapped__ = method  # type: ignore[attr-defined]
        return call

    def _lokryn_describe(self, name: str, record: _Call, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        def arg(position: int, keyword: str) -> Any:
            if keyword in kwargs:
                return kwargs[keyword]
            return args[position] if len(args) > position else None

        if name == "call_tool":  # the hot path: directly
            record.tool = str(arg(0, "name") or "")
            record.arguments = arg(1, "arguments")
        elif name == "get_prompt":
            record.prompt = str(arg(0, "name") or "")
            record.arguments = arg(1, "arguments")
        elif name in ("read_resource", "subscribe_resource", "unsubscribe_resource"):
            _describe(record, {"uri": arg(0, "uri")})
        elif name == "complete":
            _describe(record, {"ref": arg(0, "ref"), "argument": arg(1, "argument")})
        elif name == "set_logging_level":
            _describe(record, {"level": arg(0, "level")})

    def _lokryn_counter(self) -> Tuple[Any, str]:
        """Where the session counts its JSON-RPC request ids: 1.x keeps
        ``_request_id`` (the next id), 2.x's dispatcher ``_next_id`` (the
        last one)."""
        session = self._lokryn_session
        if isinstance(getattr(session, "_request_id", None), int):
            return session, "_request_id"
        dispatcher = getattr(session, "_dispatcher", None)
        if isinstance(getattr(dispatcher, "_next_id", None), int):
            return dispatcher, "_next_id"
        return None, ""

    def _lokryn_next_request_id(self) -> Optional[int]:
        owner, attribute = self._lokryn_counter()
        if owner is None:
            return None
        value: int = getattr(owner, attribute)
        return value if attribute == "_request_id" else value + 1

    def _lokryn_request_id(self, expected: Optional[int]) -> str:
        # The SDK takes the id synchronously when the request is sent, which
        # happens before the call first waits: the counter moved past it.
        owner, attribute = self._lokryn_counter()
        if owner is None or expected is None:
            return ""
        now: int = getattr(owner, attribute)
        moved = now > expected if attribute == "_request_id" else now >= expected
        return str(expected) if moved else ""

    def _lokryn_write(self, record: _Call, started: float, result: Any, error: Optional[BaseException]) -> None:
        try:
            self._lokryn_server(record.mcp, result if record.method == "initialize" else None)
        except Exception as err:
            self._lokryn_recorder.failed(err)
            return
        self._lokryn_recorder.write(record, started, result, error)

    def _lokryn_server(self, mcp: Dict[str, Any], initialized: Any) -> None:
        """The negotiated protocol version and the server's name and
        version, from the initialize result (this call's, or the session's
        once it has one)."""
        session = self._lokryn_session
        result = initialized if initialized is not None else getattr(session, "_initialize_result", None)
        version = _attribute(result, "protocol_version", "protocolVersion") or getattr(session, "_negotiated_version", None)
        info = _attribute(result, "server_info", "serverInfo")
        if result is None and initialized is None:
            cached = self.__dict__.get("_lokryn_initialized")
            if cached is not None:
                version, info = cached
        if initialized is not None:
            object.__setattr__(self, "_lokryn_initialized", (version, info))
        if version:
            mcp["protocol_version"] = str(version)
        if info is not None:
            mcp["server_name"] = str(getattr(info, "name", "") or "")
            mcp["server_version"] = str(getattr(info, "version", "") or "")

    # -- what the server sends on its own, seen on the streams --------------

    def _lokryn_tap(self) -> None:
        """Puts taps on the session's transport streams: 1.x keeps them on
        the session, 2.x on its dispatcher."""
        session = self._lokryn_session
        if getattr(session, "_task_group", None) is not None:
            # Entered already: its reading task holds the stream it started with.
            warnings.warn(
                McpLoggingWarning(
                    "lokryn_compliance_log.mcp: the session was entered before it was wrapped, so what the "
                    "server sends on its own (sampling, elicitation, roots, notifications) is not recorded; "
                    "wrap it first: async with with_logging(ClientSession(...), logger)"
                ),
                stacklevel=4,
            )
        for owner in (session, getattr(session, "_dispatcher", None)):
            if owner is None:
                continue
            read, write = getattr(owner, "_read_stream", None), getattr(owner, "_write_stream", None)
            if read is not None and write is not None:
                if not isinstance(read, _Tap):
                    owner._read_stream = _Tap(read, self._lokryn_incoming, self._lokryn_end)
                if not isinstance(write, _Tap):
                    owner._write_stream = _Tap(write, self._lokryn_outgoing)
                return

    def _lokryn_from_server(self, method: str) -> _Call:
        record = _Call(method)
        name = (self.__dict__.get("_lokryn_initialized") or (None, None))[1]
        record.actor = (str(getattr(name, "name", "") or "mcp-server"), pb.ACTOR_TYPE_SERVICE)
        return record

    def _lokryn_incoming(self, item: Any) -> None:
        try:
            if isinstance(item, Exception):
                record = _Call("transport/error")
                self._lokryn_write(record, time.monotonic(), None, item)
                return
            kind, ident, method, params, _ = _message_parts(item)
            now = time.monotonic()
            if kind == "request":
                record = self._lokryn_from_server(method)
                record.request_id = str(ident)
                _describe(record, params)
                asked = ASKED.get(method)
                if asked is not None:
                    # The request (the messages, the question) when it
                    # arrives; the answer (the model's reply, the user's) when
                    # the client sends it.
                    arrived = self._lokryn_from_server(method)
                    arrived.event_type = asked
                    arrived.request_id = record.request_id
                    _describe(arrived, params)
                    self._lokryn_write(arrived, now, None, None)
                    record.arguments = None
                self._lokryn_pending[_request_key(ident)] = (record, now)
                self._lokryn_received.add(ident, method)
            elif kind == "notification":
                record = self._lokryn_from_server(method)
                _describe(record, params)
                if method == "notifications/progress":  # of a request the client sent
                    self._lokryn_sent.about(record)
                elif method == "notifications/cancelled":  # of a request the server sent
                    self._lokryn_received.about(record)
                self._lokryn_write(record, now, None, None)
        except Exception as err:
            self._lokryn_recorder.failed(err)

    def _lokryn_outgoing(self, item: Any) -> None:
        try:
            kind, ident, method, params, answer = _message_parts(item)
            if kind == "request":
                self._lokryn_sent.add(ident, method)
            elif kind in ("result", "error"):
                pending = self._lokryn_pending.pop(_request_key(ident), None)
                if pending is not None:
                    record, started = pending
                    error = _WireError(answer) if kind == "error" else None
                    self._lokryn_write(record, started, answer if kind == "result" else None, error)
            elif kind == "notification" and method in ("notifications/progress", "notifications/cancelled"):
                # The SDK sends these itself (progress: send_progress_notification;
                # cancelled: when a call is abandoned); initialized and
                # roots/list_changed are logged by their session methods.
                record = _Call(method)
                _describe(record, params)
                if method == "notifications/cancelled":  # of a request the client sent
                    self._lokryn_sent.about(record)
                else:  # progress of a request the server sent
                    self._lokryn_received.about(record)
                self._lokryn_write(record, time.monotonic(), None, None)
        except Exception as err:
            self._lokryn_recorder.failed(err)

    def _lokryn_end(self) -> None:
        """The server closed the connection (its side of the stream ended)."""
        if not self._lokryn_closed:
            self._lokryn_closed = True
            self._lokryn_write(_Call("transport/close"), time.monotonic(), None, None)


def _request_key(ident: Any) -> str:
    """JSON-RPC ids are compared as text: a progress token or a cancelled id
    may come back as a string."""
    return str(ident)


class _Recent:
    """The MCP methods of the last requests, by id (as text): what a
    progress or cancellation notification is about. Bounded: the oldest
    go first."""

    LIMIT = 1024

    def __init__(self) -> None:
        self._methods: Dict[str, str] = {}

    def add(self, ident: Any, method: str) -> None:
        key = _request_key(ident)
        self._methods.pop(key, None)
        self._methods[key] = method
        if len(self._methods) > self.LIMIT:
            del self._methods[next(iter(self._methods))]

    def about(self, record: _Call) -> None:
        """Gives a progress or cancellation record the event type of the
        request it is about, and names that request's method in its payload."""
        method = self._methods.get(_request_key(record.request_id))
        if method is not None:
            record.event_type = event_type_of(method)
            record.payload["about"] = method


class ServerLogging:
    """What ``log_server`` installed on a server: ``logging_errors`` counts
    the records that could not be written, ``server`` is the low-level
    server the records come from."""

    def __init__(self, server: Any, recorder: _Recorder, name: str, version: str) -> None:
        self.server = server
        self._recorder = recorder
        self._name = name
        self._version = version
        # 2.x: the recent requests of each connection (by its id()), for
        # what a cancellation or progress notification is about.
        self._requests: Dict[int, _Recent] = {}

    @property
    def logging_errors(self) -> int:
        """How many records could not be written."""
        return self._recorder.errors

    def _record(self, method: str, ident: Any, params: Any, client: Any, protocol: Any) -> _Call:
        record = _Call(method)
        if ident is not None:
            record.request_id = str(ident)
        _describe(record, params)
        record.trace = _trace_of(params)
        record.mcp["server_name"] = self._name
        record.mcp["server_version"] = self._version
        if protocol:
            record.mcp["protocol_version"] = str(protocol)
        if method == "initialize" and params is not None:
            client = _attribute(params, "clientInfo", "client_info")
            record.mcp["protocol_version"] = str(_attribute(params, "protocolVersion", "protocol_version") or "")
        if client is not None:
            name = str(_attribute(client, "name") or "")
            record.mcp["client_name"] = name
            record.mcp["client_version"] = str(_attribute(client, "version") or "")
            if name and not self._recorder.explicit:
                record.actor = (name, self._recorder.base["actor_type"])
        return record

    # -- 2.x: a middleware on Server.middleware ------------------------------

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        started = time.monotonic()
        record: Optional[_Call] = None
        try:
            session = getattr(ctx, "session", None)
            params = _attribute(session, "client_params")
            record = self._record(
                ctx.method, ctx.request_id, ctx.params, _attribute(params, "client_info", "clientInfo"),
                getattr(ctx, "protocol_version", None),
            )
            if record.trace is None:
                record.trace = _trace_of({"_meta": _dump(getattr(ctx, "meta", None))})
            requests = self._requests_of(session)
            if ctx.request_id is not None:
                requests.add(ctx.request_id, ctx.method)
            elif ctx.method in ("notifications/cancelled", "notifications/progress"):
                requests.about(record)
        except Exception as err:  # describing a request never stops it
            self._recorder.failed(err)
        try:
            result = await call_next(ctx)
        except BaseException as err:
            if record is not None:
                self._recorder.write(record, started, None, err)
            raise
        if record is not None:
            self._recorder.write(record, started, result, None)
        return result

    def _requests_of(self, session: Any) -> _Recent:
        """The recent requests of the connection ``session`` serves (2.x
        gives each request a session object of its own over one connection)."""
        connection = getattr(session, "_connection", None) or session
        key = id(connection)
        requests = self._requests.get(key)
        if requests is None:
            requests = self._requests[key] = _Recent()
            if len(self._requests) > 256:  # connections long gone
                del self._requests[next(iter(self._requests))]
        return requests

    # -- 1.x: taps on the streams Server.run is given -------------------------

    def _run(self, original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def run(read_stream: Any, write_stream: Any, *args: Any, **kwargs: Any) -> Any:
            connection = _ServerConnection(self)
            return await original(
                _Tap(read_stream, connection.incoming), _Tap(write_stream, connection.outgoing), *args, **kwargs
            )

        run.__wrapped__ = original  # type: ignore[attr-defined]
        return run


class _ServerConnection:
    """One connection of a 1.x server: requests waiting for their answer,
    and the client's name once it said it."""

    def __init__(self, owner: ServerLogging) -> None:
        self.owner = owner
        self.pending: Dict[str, Tuple[_Call, float]] = {}
        self.requests = _Recent()
        self.client: Any = None
        self.protocol: Any = None

    def incoming(self, item: Any) -> None:
        recorder = self.owner._recorder
        try:
            if isinstance(item, Exception):
                record = self.owner._record("transport/error", None, None, self.client, self.protocol)
                recorder.write(record, time.monotonic(), None, item)
                return
            kind, ident, method, params, _ = _message_parts(item)
            if kind not in ("request", "notification"):
                return
            if method == "initialize":
                self.client = _attribute(params, "clientInfo", "client_info")
                self.protocol = _attribute(params, "protocolVersion", "protocol_version")
            record = self.owner._record(method, ident, params, self.client, self.protocol)
            if kind == "request":
                self.pending[_request_key(ident)] = (record, time.monotonic())
                self.requests.add(ident, method)
            else:
                if method in ("notifications/cancelled", "notifications/progress"):
                    self.requests.about(record)
                recorder.write(record, time.monotonic(), None, None)
        except Exception as err:
            recorder.failed(err)

    def outgoing(self, item: Any) -> None:
        recorder = self.owner._recorder
        try:
            kind, ident, _, _, answer = _message_parts(item)
            if kind not in ("result", "error"):
                return
            pending = self.pending.pop(_request_key(ident), None)
            if pending is None:
                return
            record, started = pending
            if kind == "error":
                recorder.write(record, started, None, _WireError(answer))
            else:
                recorder.write(record, started, answer, None)
        except Exception as err:
            recorder.failed(err)


def log_server(server: Any, logger: AuditLogger, **options: Any) -> ServerLogging:
    """Records every request ``server`` handles through ``logger``: a
    ``FastMCP`` (mcp 1.x), an ``MCPServer`` (2.x) or the low-level
    ``Server`` of either. Call it once, before the server runs; it returns
    a ``ServerLogging`` whose ``logging_errors`` counts the records that
    could not be written.

    ``options`` are those of ``LoggingProxy``, with server defaults:
    ``component`` is the server's name, and the actor of a record is the
    client that sent the request (its ``clientInfo.name`` from
    ``initialize``; ``actor_id`` overrides it, ``actor_type`` defaults to
    ``ACTOR_TYPE_AGENT``).

    In 2.x the records come from a middleware appended to the low-level
    server's ``middleware`` list (every transport); in 1.x from taps on the
    streams its ``run`` is given (stdio, SSE and streamable HTTP all call
    it)."""
    lowlevel = getattr(server, "_lowlevel_server", None) or getattr(server, "_mcp_server", None) or server
    name, version = _server_info(lowlevel)
    options.setdefault("component", name)
    recorder = _Recorder(logger, _options(options))
    recorder.explicit = frozenset(k for k in ("actor_id", "client_id") if options.get(k))
    handle = ServerLogging(lowlevel, recorder, name, version)
    middleware = getattr(lowlevel, "middleware", None)
    if isinstance(middleware, list):
        middleware.append(handle)
    else:
        lowlevel.run = handle._run(lowlevel.run)
    return handle


def _server_info(lowlevel: Any) -> Tuple[str, str]:
    """The name and version a low-level server sends in its initialize
    answer: 2.x has ``server_info``; 1.x fills a missing version with the
    SDK's own in ``create_initialization_options``."""
    name = str(getattr(lowlevel, "name", "") or "mcp-server")
    version = getattr(lowlevel, "version", None)
    if not version:
        try:
            info = getattr(lowlevel, "server_info", None)
            if info is None:
                info = lowlevel.create_initialization_options()
            version = _attribute(info, "version", "server_version")
        except Exception:  # not an mcp server we know: no version
            version = None
    return name, str(version or "")


_DEFAULTS: Mapping[str, Any] = {
    "actor_id": None,
    "actor_type": pb.ACTOR_TYPE_AGENT,
    "on_behalf_of": None,
    "delegation_chain": None,
    "component": "mcp-client",
    "environment": None,
    "policy_tags": None,
    "sensitivity": None,
    "session_id": None,
    "client_id": None,
    "client_version": None,
    "transport": None,
    "agent_id": None,
    "agent_name": None,
    "conversation_id": None,
    "log_arguments": True,
    "max_value_bytes": 4096,
    "redact": True,
}


def _options(options: Mapping[str, Any]) -> Dict[str, Any]:
    unknown = set(options) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    merged = dict(_DEFAULTS)
    merged.update(options)
    return merged


def _is_cancellation(error: BaseException) -> bool:
    if isinstance(error, asyncio.CancelledError):
        return True
    # trio's cancellation, when the SDK's anyio runs on trio (anyio is
    # imported by then: the SDK uses it).
    anyio = sys.modules.get("anyio")
    if anyio is None:
        return False
    try:
        return isinstance(error, anyio.get_cancelled_exc_class())
    except Exception:  # no async library running
        return False


def _text_of(result: Any) -> str:
    """The text of a tool result's text items, joined."""
    parts = []
    for item in _attribute(result, "content") or ():
        text = getattr(item, "text", None)
        if isinstance(text, str):
            parts.append(text)
    return "\n".join(parts)


def _summary(record: _Call, outcome: int, code: str) -> str:
    target = record.tool or record.prompt or record.uri
    text = f"MCP {record.method} {target}".rstrip()
    if outcome != pb.OUTCOME_SUCCESS:
        text += f" failed ({code})"
    return text


def with_logging(session: Any, logger: AuditLogger, **options: Any) -> LoggingProxy:
    """Wraps ``session`` (an ``mcp.ClientSession``) so that every call it
    covers writes an audit record through ``logger``; ``options`` are those of
    ``LoggingProxy``. Use the returned proxy wherever the session was used."""
    return LoggingProxy(session, logger, **options)
