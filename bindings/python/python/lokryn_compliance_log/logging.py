"""``AuditHandler``: a ``logging.Handler`` that writes audit records.

Attach it to the logger your audit events go through::

    import logging
    from lokryn_compliance_log.logging import AuditHandler

    audit_log = logging.getLogger("audit")
    audit_log.addHandler(AuditHandler(audit))      # audit: an AuditLogger
    audit_log.warning("card update refused", extra={
        "event_type": EVENT_RESOURCE_ACCESS, "actor_id": "u-42", "outcome": OUTCOME_FAILURE_DENIED})

Each ``LogRecord`` becomes one call of ``AuditLogger.log``: the items of
``extra=`` whose names are ``LogEntry`` fields become record fields (values as
``LogEntry(**fields)`` accepts them), the formatted message becomes
``message``, the level becomes ``severity``, and an exception being handled
(``exc_info``, as ``logging.exception`` passes) makes ``outcome``
``OUTCOME_FAILURE_ERROR``, ``error_code`` its class name and
``error_message`` its text, unless ``extra=`` gives them. The other items
of ``extra=`` are kept as a JSON object in ``payload`` (with
``payload_format`` ``PAYLOAD_FORMAT_JSON``; values JSON cannot hold as
their ``str``) unless ``extra=`` gives a ``payload``, so nothing is lost.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from lokryn_compliance_log.v1 import logentry_pb2

if TYPE_CHECKING:
    from lokryn_compliance_log._logger import AuditLogger

__all__ = ["AuditHandler", "severity_of_level"]

# Every field of LogEntry but `message` (LogRecord computes its own), so that
# `extra=` may carry any of them.
_FIELDS = tuple(f.name for f in logentry_pb2.LogEntry.DESCRIPTOR.fields if f.name != "message")

# The attributes every LogRecord has (and those formatting adds): what is
# not among them came through `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}
_FIELD_SET = frozenset(_FIELDS)
_KNOWN = _STANDARD | _FIELD_SET

# Python's levels, highest first, and the severity each starts.
_LEVELS = (
    (logging.CRITICAL, logentry_pb2.SEVERITY_CRITICAL),
    (logging.ERROR, logentry_pb2.SEVERITY_ERROR),
    (logging.WARNING, logentry_pb2.SEVERITY_WARNING),
    (logging.INFO, logentry_pb2.SEVERITY_INFO),
)


def severity_of_level(level: int) -> int:
    """The ``Severity`` value of a ``logging`` level: ``CRITICAL`` and above
    are ``SEVERITY_CRITICAL``, then ``ERROR``, ``WARNING``, ``INFO``; below
    ``INFO`` is ``SEVERITY_DEBUG``. Custom levels take the severity of the
    standard level at or below them."""
    for start, severity in _LEVELS:
        if level >= start:
            return severity
    return logentry_pb2.SEVERITY_DEBUG


def fields_of_record(record: logging.LogRecord, message: str) -> Dict[str, Any]:
    """The ``LogEntry`` fields a ``LogRecord`` carries."""
    attributes = record.__dict__
    # Set operations on the attribute names (in C): most records carry a
    # few fields and nothing else.
    fields: Dict[str, Any] = {name: attributes[name] for name in attributes.keys() & _FIELD_SET}
    fields["message"] = message
    if "payload" not in fields:
        other = attributes.keys() - _KNOWN
        if other:
            extra = {k: v for k, v in attributes.items() if k in other}
            fields["payload"] = json.dumps(extra, default=str, separators=(",", ":")).encode()
            fields["payload_format"] = logentry_pb2.PAYLOAD_FORMAT_JSON
    fields.setdefault("severity", severity_of_level(record.levelno))
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        fields.setdefault("outcome", logentry_pb2.OUTCOME_FAILURE_ERROR)
        fields.setdefault("error_code", type(error).__name__)
        fields.setdefault("error_message", str(error))
    return fields


class AuditHandler(logging.Handler):
    """A ``logging.Handler`` writing each record it handles through an
    ``AuditLogger`` (see the module's documentation for the mapping).

    ``event_type`` (optional) is the event type of records whose ``extra=``
    gives none (the ``AuditLogger``'s own defaults apply after it).

    A record the audit logger refuses (``ValidationError`` under the
    ``raise`` policy, ``LoggerError`` from a sink) goes to ``handleError``
    like any handler's failure, which prints it to ``sys.stderr`` when
    ``logging.raiseExceptions`` is true; with ``raise_errors=True`` the
    exception propagates to the caller of the logging call instead, which
    an application that must not lose an audit record silently may prefer.
    """

    def __init__(
        self,
        logger: AuditLogger,
        level: Union[int, str] = logging.NOTSET,
        *,
        event_type: Optional[Union[int, str]] = None,
        raise_errors: bool = False,
    ) -> None:
        super().__init__(level)
        self.audit_logger = logger
        self.event_type = event_type
        self.raise_errors = raise_errors

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # The formatter's message when one is set, else the record's own.
            message = self.format(record) if self.formatter is not None else record.getMessage()
            fields = fields_of_record(record, message)
            if self.event_type is not None:
                fields.setdefault("event_type", self.event_type)
            self.audit_logger.log(**fields)
        except RecursionError:  # as logging's own handlers do
            raise
        except Exception:
            if self.raise_errors:
                raise
            self.handleError(record)

    def flush(self) -> None:
        """Flushes the audit logger's sinks (nothing once it is closed:
        ``logging`` flushes every handler at exit)."""
        if not self.audit_logger.closed:
            self.audit_logger.flush()
