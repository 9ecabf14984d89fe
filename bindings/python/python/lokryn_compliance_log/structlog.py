"""``AuditProcessor``: a structlog processor that writes audit records.

Put it in a processor chain before the renderer::

    import structlog
    from lokryn_compliance_log.structlog import AuditProcessor

    log = structlog.wrap_logger(
        structlog.PrintLogger(),
        processors=[AuditProcessor(audit), structlog.processors.JSONRenderer()],
    )
    log.info("exported report", event_type=EVENT_DATA_EXPORT, actor_id="u-42")

Each event it sees becomes one call of ``AuditLogger.log``: the keys of the
event dictionary that are ``LogEntry`` field names become record fields
(values as ``LogEntry(**fields)`` accepts them), the ``event`` text becomes
``message``, the method name (``info``, ``warning``...) becomes ``severity``,
and an exception (``exc_info``, as ``log.exception`` sets) makes
``outcome`` ``OUTCOME_FAILURE_ERROR`` and fills ``error_code`` and
``error_message``, unless the event gives them. The other keys (but for
those of structlog's own processors: ``level``, ``timestamp``, ``logger``)
are kept as a JSON object in ``payload`` (``payload_format``
``PAYLOAD_FORMAT_JSON``) unless the event gives a ``payload``. The event dictionary goes on to the next processor unchanged;
with ``drop=True`` the processor ends the chain instead (``DropEvent``).

structlog is an optional dependency: this module imports it only to raise
``DropEvent``, so it needs structlog installed only with ``drop=True``.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Dict, MutableMapping, Optional, Union

from lokryn_compliance_log.v1 import logentry_pb2

if TYPE_CHECKING:
    from lokryn_compliance_log._logger import AuditLogger

__all__ = ["AuditProcessor"]

_FIELDS = frozenset(f.name for f in logentry_pb2.LogEntry.DESCRIPTOR.fields if f.name != "message")

# Keys of structlog's own processors, not the application's.
_OWN = frozenset({"event", "exc_info", "stack_info", "level", "timestamp", "logger", "_record", "_from_structlog"})

_SEVERITY = {
    "debug": logentry_pb2.SEVERITY_DEBUG,
    "info": logentry_pb2.SEVERITY_INFO,
    "msg": logentry_pb2.SEVERITY_INFO,
    "notice": logentry_pb2.SEVERITY_NOTICE,
    "warn": logentry_pb2.SEVERITY_WARNING,
    "warning": logentry_pb2.SEVERITY_WARNING,
    "error": logentry_pb2.SEVERITY_ERROR,
    "err": logentry_pb2.SEVERITY_ERROR,
    "exception": logentry_pb2.SEVERITY_ERROR,
    "critical": logentry_pb2.SEVERITY_CRITICAL,
    "fatal": logentry_pb2.SEVERITY_CRITICAL,
}


def _exception(value: Any) -> Optional[BaseException]:
    """The exception an ``exc_info`` value names: an exception, a
    ``sys.exc_info()`` tuple, or ``True`` for the one being handled."""
    if isinstance(value, BaseException):
        return value
    if isinstance(value, tuple) and len(value) == 3:
        error = value[1]
        return error if isinstance(error, BaseException) else None
    if value is True:
        return sys.exc_info()[1]
    return None


class AuditProcessor:
    """A structlog processor writing each event through an ``AuditLogger``
    (see the module's documentation for the mapping).

    ``event_type`` (optional) is the event type of events that give none.
    Errors of the audit logger (``ValidationError``, ``LoggerError``)
    propagate to the caller of the log method, as structlog does with every
    processor's exceptions.
    """

    def __init__(
        self,
        logger: AuditLogger,
        *,
        event_type: Optional[Union[int, str]] = None,
        drop: bool = False,
    ) -> None:
        self.audit_logger = logger
        self.event_type = event_type
        self.drop = drop

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        fields: Dict[str, Any] = {k: v for k, v in event_dict.items() if k in _FIELDS}
        if "payload" not in fields:
            other = {k: v for k, v in event_dict.items() if k not in _FIELDS and k not in _OWN}
            if other:
                fields["payload"] = json.dumps(other, default=str, separators=(",", ":")).encode()
                fields["payload_format"] = logentry_pb2.PAYLOAD_FORMAT_JSON
        event = event_dict.get("event")
        if event is not None:
            fields["message"] = str(event)
        severity = _SEVERITY.get(method_name)
        if severity is None:
            severity = _SEVERITY.get(str(event_dict.get("level", "")).lower())
        if severity is not None:
            fields.setdefault("severity", severity)
        error = _exception(event_dict.get("exc_info"))
        if error is not None:
            fields.setdefault("outcome", logentry_pb2.OUTCOME_FAILURE_ERROR)
            fields.setdefault("error_code", type(error).__name__)
            fields.setdefault("error_message", str(error))
        if self.event_type is not None:
            fields.setdefault("event_type", self.event_type)
        self.audit_logger.log(**fields)
        if self.drop:
            import structlog

            raise structlog.DropEvent
        return event_dict
