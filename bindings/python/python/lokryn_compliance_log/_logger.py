"""``AuditLogger``: complete, check, redact and write audit records.

The engine is the Rust crate ``lokryn-logger``, shared with the Rust and
Node packages, so a call sequence gives the same records everywhere. This
module adds what is Python's own: keyword arguments as fields, the
OpenTelemetry trace context of the current span, ``warnings`` for the
``warn`` policy, the ``operation`` context manager and the flush at
interpreter exit.
"""

from __future__ import annotations

import atexit
import sys
import time
import warnings
import weakref
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Type, Union

from lokryn_compliance_log import _native, _otel
from lokryn_compliance_log._native import ValidationReport
from lokryn_compliance_log.v1 import logentry_pb2
from lokryn_compliance_log.v1.logentry_pb2 import LogEntry

__all__ = ["AuditLogger", "AuditWarning", "Operation", "SinkStats", "Stats"]


# How long the flush at interpreter exit waits for each logger, by default.
EXIT_TIMEOUT = 5.0


class AuditWarning(UserWarning):
    """A record that failed validation and was written anyway, under
    ``on_invalid="warn"``. ``entry`` is the record as written, ``report``
    the ``ValidationReport`` that found it invalid."""

    def __init__(self, message: str, entry: Optional[LogEntry] = None, report: Optional[ValidationReport] = None) -> None:
        super().__init__(message)
        self.entry = entry
        self.report = report


@dataclass(frozen=True)
class SinkStats:
    """Counters of one sink: records ``written`` (for a network sink,
    acknowledged by the receiver), ``queued`` (waiting in memory or in a
    spill file), ``retried`` (attempts repeated), ``dropped`` (given up on)
    and ``failed`` (writes that returned an error to the caller)."""

    name: str
    written: int
    queued: int
    retried: int
    dropped: int
    failed: int


@dataclass(frozen=True)
class Stats:
    """Counters of an ``AuditLogger``: records ``logged`` (handed to the
    sinks, quarantined ones included), ``invalid`` (failed validation under
    any policy), ``quarantined``, and each sink's counters in ``sinks`` (in
    the order given, the quarantine sink last). ``stats["jsonl:/path"]``
    looks a sink up by name."""

    logged: int
    invalid: int
    quarantined: int
    sinks: Tuple[SinkStats, ...]

    def __getitem__(self, name: str) -> SinkStats:
        for sink in self.sinks:
            if sink.name == name:
                return sink
        raise KeyError(name)

    def __iter__(self) -> Iterator[SinkStats]:
        return iter(self.sinks)


# Loggers still open, closed (so flushed) at interpreter exit.
_OPEN: "weakref.WeakSet[AuditLogger]" = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    for logger in list(_OPEN):
        try:
            logger.close(timeout=logger.exit_timeout)
        except Exception as err:  # nothing to raise to at exit: say it
            print(f"lokryn_compliance_log: closing an AuditLogger at exit: {err!r}", file=sys.stderr)


def _with_trace(fields: Dict[str, Any], has_default: bool = False) -> Dict[str, Any]:
    """``fields`` with the current span's trace context when neither they
    nor the logger's defaults (``has_default``) give a ``trace_id``: values
    the user chose win over computed ones, as in the engine."""
    if "trace_id" not in fields and not has_default:
        context = _otel.current()
        if context is not None:
            trace_id, span_id, parent = context
            fields.setdefault("trace_id", trace_id)
            fields.setdefault("span_id", span_id)
            if parent:
                fields.setdefault("parent_span_id", parent)
    return fields


def _producer(producer: Any) -> Optional[Tuple[str, str]]:
    if producer is None:
        return None
    if isinstance(producer, tuple):
        name, version = producer
        return str(name), str(version)
    if isinstance(producer, dict):
        return str(producer.get("name", "")), str(producer.get("version", ""))
    return str(producer.name), str(producer.version)


def _profiles(profile: Union[None, str, Iterable[str]]) -> List[str]:
    if profile is None:
        return []
    if isinstance(profile, str):
        return [profile]
    return list(profile)


class AuditLogger:
    """Writes complete, checked and redacted audit records to its sinks.

    ``sinks``: where records go, in order: the sinks of
    ``lokryn_compliance_log.sinks`` (``JsonLines``, ``Binary``, ``Ledger``,
    ``Otlp``, ``Stdout``) or any object with a ``write(entry)`` method
    (and optionally ``flush()`` and ``close()``), which receives each
    record as a ``LogEntry``. A sink belongs to one logger.

    ``profile``: the validation profiles besides ``baseline`` (always on):
    ``"soc2"``, ``"hipaa"``, ``"pci"`` or a list of them.

    ``on_invalid``: what becomes of a record that fails validation:
    ``"raise"`` (``ValidationError``, nothing written), ``"warn"`` (written,
    and an ``AuditWarning`` through ``warnings``) or ``"quarantine"``
    (written to the ``quarantine`` sink only). Not given: ``"quarantine"``
    when the ``environment`` default is ``production`` or ``prod``, else
    ``"raise"``.

    ``redact``: ``True`` (the default) replaces card numbers, secrets and
    other sensitive values before any sink sees the record; ``b"key"`` does
    so with keyed hashes (equal values stay linkable); ``False`` leaves
    records as given. Validation judges the record before redaction, so
    redaction never hides a violation.

    ``**defaults``: fields (any ``LogEntry`` field, values as
    ``LogEntry(**fields)`` accepts them) copied into every record that
    leaves them unset, such as ``component``, ``environment`` or
    ``policy_tags``.

    ``producer``: the ``Producer`` records are stamped with (a
    ``Producer`` message, ``{"name": ..., "version": ...}`` or a
    ``(name, version)`` pair); by default this package and its version.
    Records that set their own keep it.

    ``exit_timeout``: seconds the flush at interpreter exit may take.

    Every record is completed with ``time``, ``event_id`` (UUIDv7),
    ``producer``, ``schema_version``, ``host`` and, when an OpenTelemetry
    span is active and neither the record nor the defaults give a
    ``trace_id``, the span's ``trace_id``, ``span_id`` and
    ``parent_span_id``. Values the record or the defaults give always win
    over computed ones.
    Failures raise ``ValidationError`` (an invalid record under ``"raise"``)
    or ``LoggerError`` (``code``: ``SINK``, ``CLOSED``, ``CONFIG``,
    ``TIMEOUT``...; ``sink``: which sinks failed).
    """

    def __init__(
        self,
        sinks: Sequence[Any],
        *,
        profile: Union[None, str, Iterable[str]] = None,
        on_invalid: Optional[str] = None,
        quarantine: Any = None,
        redact: Union[bool, bytes] = True,
        producer: Any = None,
        exit_timeout: float = EXIT_TIMEOUT,
        **defaults: Any,
    ) -> None:
        self.exit_timeout = exit_timeout
        self._trace_default = bool(defaults.get("trace_id"))
        self._native = _native.AuditEngine(
            list(sinks),
            profiles=_profiles(profile),
            on_invalid=on_invalid,
            quarantine=quarantine,
            redact=redact,
            defaults=LogEntry(**defaults) if defaults else None,
            producer=_producer(producer),
            on_warning=self._warn,
        )
        _OPEN.add(self)

    @staticmethod
    def _warn(entry: LogEntry, report: ValidationReport) -> None:
        # Called by the engine after it wrote the record: stack level 3 is
        # the caller of `log` (this hook, `log`, its caller).
        text = "; ".join(f"{v.field}: {v.message}" for v in report.violations) or "invalid record"
        warnings.warn(AuditWarning(f"invalid audit record written: {text}", entry, report), stacklevel=3)

    def log(self, **fields: Any) -> LogEntry:
        """Writes one record made of ``fields`` (``LogEntry`` field names,
        values as ``LogEntry(**fields)`` accepts them); returns the
        ``LogEntry`` as written: completed and redacted."""
        return self._native.log(LogEntry(**_with_trace(fields, self._trace_default)))

    def log_entry(self, entry: Union[LogEntry, bytes]) -> LogEntry:
        """Writes a ``LogEntry`` (or its serialized bytes) as ``log`` does;
        the entry passed is not changed."""
        if isinstance(entry, (bytes, bytearray)):
            entry = LogEntry.FromString(bytes(entry))
        context = None if self._trace_default else _otel.current()
        if context is not None and not entry.trace_id:
            copy = LogEntry()
            copy.CopyFrom(entry)
            trace_id, span_id, parent = context
            copy.trace_id = trace_id
            if not copy.span_id:
                copy.span_id = span_id
            if parent and not copy.parent_span_id:
                copy.parent_span_id = parent
            entry = copy
        return self._native.log(entry)

    def operation(self, event_type: Union[int, str], **fields: Any) -> Operation:
        """A context manager that writes one record when its block ends:
        ``event_type`` and ``fields``, with ``duration_ms`` the time the
        block took, ``outcome`` ``OUTCOME_SUCCESS`` and (unless given)
        ``severity`` ``SEVERITY_INFO``. When the block raises, ``outcome``
        is ``OUTCOME_FAILURE_ERROR``, ``severity`` ``SEVERITY_ERROR``,
        ``error_code`` the exception's class name and ``error_message`` its
        text, and the exception propagates. ``as op`` gives the
        ``Operation``: ``op.set(**fields)`` adds fields, ``op.fail(code,
        message)`` records a failure without an exception, and ``op.entry``
        is the record once written."""
        return Operation(self, event_type, fields)

    def flush(self, timeout: Optional[float] = None) -> None:
        """Makes every record written so far durable or delivered, waiting
        at most ``timeout`` seconds (``LoggerError`` ``TIMEOUT`` after)."""
        self._native.flush(timeout)

    def close(self, timeout: Optional[float] = None) -> None:
        """Flushes and closes every sink; ``log`` raises ``LoggerError``
        ``CLOSED`` afterwards. Closing again does nothing."""
        _OPEN.discard(self)
        self._native.close(timeout)

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return bool(self._native.closed)

    @property
    def stats(self) -> Stats:
        """The logger's counters, as of now."""
        logged, invalid, quarantined, sinks = self._native.stats()
        return Stats(logged, invalid, quarantined, tuple(SinkStats(*s) for s in sinks))

    def __enter__(self) -> AuditLogger:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class Operation:
    """One timed operation of ``AuditLogger.operation``: timing starts when
    the ``with`` block is entered and the record is written when it ends
    (``entry`` then holds it). The engine's operation does the rest, so the
    record is the same as in Rust and Node."""

    def __init__(self, logger: AuditLogger, event_type: Union[int, str], fields: Dict[str, Any]) -> None:
        self._logger = logger
        self._event_type = event_type
        self._fields = fields
        self._extra: Dict[str, Any] = {}
        self._failure: Optional[Tuple[str, str]] = None
        self._native: Any = None
        self.entry: Optional[LogEntry] = None

    def set(self, **fields: Any) -> None:
        """Adds or replaces fields of the record (an ``outcome`` set here is
        the outcome of a block that does not raise)."""
        self._extra.update(fields)

    def fail(self, code: str, message: str = "") -> None:
        """Records a failure with this error code and message without an
        exception (``outcome`` ``OUTCOME_FAILURE_ERROR`` unless set)."""
        self._failure = (code, message)

    def __enter__(self) -> Operation:
        if self._native is not None:
            raise RuntimeError("an Operation is entered once")
        event_type = self._event_type
        if isinstance(event_type, str):
            event_type = logentry_pb2.EventType.Value(event_type)
        template = LogEntry(**_with_trace(dict(self._fields), self._logger._trace_default))
        self._native = self._logger._native.operation(event_type, template)
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        extra = dict(self._extra)
        outcome = extra.pop("outcome", None)
        if isinstance(outcome, str):
            outcome = logentry_pb2.Outcome.Value(outcome)
        code, message = "", ""
        if exc is not None:
            outcome = logentry_pb2.OUTCOME_FAILURE_ERROR
            code, message = type(exc).__name__, str(exc)
        elif self._failure is not None:
            code, message = self._failure
            if outcome is None:
                outcome = logentry_pb2.OUTCOME_FAILURE_ERROR
        if outcome is None:
            outcome = logentry_pb2.OUTCOME_SUCCESS
        # A failure to write the record propagates, with the block's own
        # exception (if any) as its __context__.
        self.entry = self._native.finish(outcome, code, message, LogEntry(**extra) if extra else None)
