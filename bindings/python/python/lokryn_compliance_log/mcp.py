"""Audit records for every request an MCP client makes.

``with_logging(session, logger, **options)`` wraps an ``mcp.ClientSession``
(the official ``mcp`` SDK, 1.x or 2.x) in a ``LoggingProxy``: a drop-in that
has the session's methods, returns their results and raises their exceptions
unchanged, forwards every attribute it does not cover, and writes one audit
record through an ``AuditLogger`` for each call it covers::

    from mcp import ClientSession
    from lokryn_compliance_log.mcp import with_logging

    async with ClientSession(read, write) as raw:
        session = with_logging(raw, audit, actor_id="agent-7", on_behalf_of="alice")
        await session.initialize()
        result = await session.call_tool("search", {"query": "invoices"})

The ``mcp`` package is not imported here, so this module imports without it.

What goes into a record, and the options, are described in docs/mcp.md.
Logging never changes what a call returns or raises: a record that cannot be
written (a failing sink, an invalid record under ``on_invalid="raise"``, a
bug) is reported as an ``McpLoggingWarning`` through ``warnings`` and counted
in ``LoggingProxy.logging_errors``; the sinks' own failures are also counted
in the logger's ``stats``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time
import warnings
from types import TracebackType
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Type, Union

from lokryn_compliance_log import _native
from lokryn_compliance_log._logger import AuditLogger
from lokryn_compliance_log.v1 import logentry_pb2 as pb

__all__ = ["METHODS", "LoggingProxy", "McpLoggingWarning", "with_logging"]


class McpLoggingWarning(UserWarning):
    """An audit record of an MCP call could not be written. The call itself
    was not affected; ``error`` is the exception logging raised."""

    def __init__(self, message: str, error: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.error = error


# The session methods the proxy covers: method name -> (MCP method, EventType).
METHODS: Mapping[str, Tuple[str, int]] = {
    "initialize": ("initialize", pb.EVENT_MCP_INITIALIZE),
    "send_ping": ("ping", pb.EVENT_MCP_PING),
    "list_tools": ("tools/list", pb.EVENT_TOOL_LIST),
    "call_tool": ("tools/call", pb.EVENT_TOOL_INVOCATION),
    "list_resources": ("resources/list", pb.EVENT_RESOURCE_LIST),
    "list_resource_templates": ("resources/templates/list", pb.EVENT_RESOURCE_LIST),
    "read_resource": ("resources/read", pb.EVENT_RESOURCE_READ),
    "subscribe_resource": ("resources/subscribe", pb.EVENT_RESOURCE_ACCESS),
    "unsubscribe_resource": ("resources/unsubscribe", pb.EVENT_RESOURCE_ACCESS),
    "list_prompts": ("prompts/list", pb.EVENT_PROMPT_LIST),
    "get_prompt": ("prompts/get", pb.EVENT_PROMPT_EXECUTION),
    "complete": ("completion/complete", pb.EVENT_RESOURCE_ACCESS),
    "set_logging_level": ("logging/setLevel", pb.EVENT_CONFIG_CHANGE),
    "send_roots_list_changed": ("notifications/roots/list_changed", pb.EVENT_CONFIG_CHANGE),
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
    if isinstance(value, Mapping):
        return {str(k): _dump(v) for k, v in value.items()}
    return str(value)


def _attribute(value: Any, *names: str) -> Any:
    """The first of ``names`` that ``value`` has (snake case for 2.x, camel case for 1.x)."""
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


class _Call:
    """What the proxy learned about one call, turned into a record."""

    __slots__ = ("method", "event_type", "request_id", "tool", "prompt", "uri", "arguments", "payload")

    def __init__(self, method: str, event_type: int) -> None:
        self.method = method
        self.event_type = event_type
        self.request_id = ""
        self.tool = ""
        self.prompt = ""
        self.uri = ""
        self.arguments: Any = None
        self.payload: Dict[str, Any] = {}


class LoggingProxy:
    """An ``mcp.ClientSession`` that writes an audit record for every call
    it covers (see ``METHODS``); everything else is the session's own.

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
        self._lokryn_logger = logger
        self._lokryn_log_arguments = log_arguments
        self._lokryn_limit = max_value_bytes
        self._lokryn_redact = redact
        self.logging_errors = 0
        base: Dict[str, Any] = {
            "actor_id": actor_id or client_id or "mcp-client",
            "actor_type": actor_type,
            "component": component,
        }
        if environment:
            base["environment"] = environment
        if policy_tags:
            base["policy_tags"] = list(policy_tags)
        if sensitivity is not None:
            base["sensitivity"] = sensitivity
        if session_id:
            base["session_id"] = session_id
        chain = _delegation(delegation_chain, on_behalf_of)
        if chain:
            base["delegation_chain"] = chain
        self._lokryn_base = base
        info = getattr(session, "_client_info", None)
        self._lokryn_mcp: Dict[str, Any] = {
            "session_id": session_id or "",
            "transport": transport or "",
            "client_name": client_id or str(getattr(info, "name", "") or ""),
            "client_version": client_version or str(getattr(info, "version", "") or ""),
        }
        self._lokryn_genai = {
            k: v for k, v in (("agent_id", agent_id), ("agent_name", agent_name), ("conversation_id", conversation_id)) if v
        }

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
        if name.startswith("_lokryn_") or name == "logging_errors":
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

    async def __aenter__(self) -> LoggingProxy:
        await self._lokryn_session.__aenter__()
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
            self._lokryn_write(_Call("shutdown", pb.EVENT_MCP_SHUTDOWN), started, None, None)
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
                self._lokryn_failed(err)
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
                initialized = _Call("notifications/initialized", pb.EVENT_MCP_INITIALIZED)
                self._lokryn_write(initialized, time.monotonic(), None, None)
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

        if name == "call_tool":
            record.tool = str(arg(0, "name") or "")
            record.arguments = arg(1, "arguments")
        elif name == "get_prompt":
            record.prompt = str(arg(0, "name") or "")
            record.arguments = arg(1, "arguments")
        elif name in ("read_resource", "subscribe_resource", "unsubscribe_resource"):
            record.uri = str(arg(0, "uri") or "")
        elif name == "complete":
            ref = arg(0, "ref")
            record.uri = str(_attribute(ref, "uri") or "")
            record.prompt = str(_attribute(ref, "name") or "") if not record.uri else ""
            record.arguments = arg(1, "argument")
        elif name == "set_logging_level":
            record.payload["level"] = _dump(arg(0, "level"))

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

    def _lokryn_failed(self, err: BaseException) -> None:
        self.logging_errors += 1
        try:
            warnings.warn(
                McpLoggingWarning(f"lokryn_compliance_log.mcp: an audit record was not written: {err!r}", err),
                stacklevel=3,
            )
        except Exception:  # a warnings filter set to "error": still never break the call
            pass

    def _lokryn_write(self, record: _Call, started: float, result: Any, error: Optional[BaseException]) -> None:
        try:
            fields = self._lokryn_fields(record, started, result, error)
            entry = pb.LogEntry(**fields)
            if self._lokryn_redact is not False:
                key = self._lokryn_redact if isinstance(self._lokryn_redact, bytes) else None
                entry = _native.redact(entry, key=key).entry
            self._lokryn_logger.log_entry(entry)
        except Exception as err:
            self._lokryn_failed(err)

    def _lokryn_fields(self, record: _Call, started: float, result: Any, error: Optional[BaseException]) -> Dict[str, Any]:
        fields = dict(self._lokryn_base)
        fields["event_type"] = record.event_type
        fields["duration_ms"] = max(0, int((time.monotonic() - started) * 1000))
        mcp: Dict[str, Any] = {k: v for k, v in self._lokryn_mcp.items() if v}
        mcp["method_name"] = record.method
        if record.request_id:
            mcp["request_id"] = record.request_id
        if record.tool:
            mcp["tool_name"] = record.tool
        if record.prompt:
            mcp["prompt_name"] = record.prompt
        if record.uri:
            mcp["resource_uri"] = record.uri
        self._lokryn_server(mcp, result if record.method == "initialize" else None)
        genai: Dict[str, Any] = dict(self._lokryn_genai)
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
        if self._lokryn_log_arguments and record.arguments is not None:
            arguments = _dump(record.arguments)
            if isinstance(arguments, dict):
                payload["arguments"] = {k: _cut(v, self._lokryn_limit) for k, v in arguments.items()}
            else:
                payload["arguments"] = _cut(arguments, self._lokryn_limit)

        outcome: int = pb.OUTCOME_SUCCESS
        code, message = "", ""
        if error is not None:
            outcome, code, message = self._lokryn_error(error, mcp)
        elif record.tool and result is not None:
            if bool(_attribute(result, "is_error", "isError")):
                outcome, code = pb.OUTCOME_FAILURE_ERROR, TOOL_ERROR
                message = _text_of(result) or "the tool reported an error"
            if self._lokryn_log_arguments:
                content = _dump(_attribute(result, "content") or [])
                payload["result"] = {"content": [_cut(item, self._lokryn_limit) for item in content]}
                structured = _attribute(result, "structured_content", "structuredContent")
                if structured is not None:
                    payload["result"]["structuredContent"] = _cut(_dump(structured), self._lokryn_limit)
        fields["outcome"] = outcome
        fields["severity"] = pb.SEVERITY_INFO if outcome == pb.OUTCOME_SUCCESS else pb.SEVERITY_ERROR
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

    @staticmethod
    def _lokryn_error(error: BaseException, mcp: Dict[str, Any]) -> Tuple[int, str, str]:
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
            return pb.OUTCOME_FAILURE_ERROR, str(code), text
        if isinstance(error, TimeoutError):
            return pb.OUTCOME_FAILURE_ERROR, TIMEOUT, str(error)
        return pb.OUTCOME_FAILURE_ERROR, type(error).__name__, str(error)


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
