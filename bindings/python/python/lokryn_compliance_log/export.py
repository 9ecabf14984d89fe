"""Entries in the formats security teams search, and back.

The mappings are the ones ``complog export`` follows (docs/exports.md): every
field of an entry goes somewhere, what a target has no attribute for going to
its extension area (OCSF ``unmapped``, OpenTelemetry attributes under
``lokryn.``, ECS ``labels``). Each function takes a ``LogEntry`` message or
its serialized bytes.

* ``to_ocsf``: an OCSF 1.7.0 event (dict); ``from_ocsf`` reads one back;
* ``to_ecs``: an ECS 9.x document (dict);
* ``to_otlp_json`` / ``to_otlp``: entries as one OpenTelemetry
  ``ExportLogsServiceRequest``, as OTLP/JSON (dict) or protobuf (bytes);
* ``from_lokryn_0_2``: entries from records of the vendor's 0.2.0 package
  (``lokryn.compliance.v1.LogRequest``): binary, or the JSON its
  ``lokryn-mcp-log`` sinks write.

Errors are the package's: ``DecodeError`` for input that cannot be read or
imported, with ``code`` set (``"IMPORT"`` for an import).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Union, cast

from lokryn_compliance_log import _native
from lokryn_compliance_log.v1.logentry_pb2 import LogEntry

__all__ = ["from_lokryn_0_2", "from_ocsf", "to_ecs", "to_ocsf", "to_otlp", "to_otlp_json"]

_Entry = Union[LogEntry, bytes, bytearray]


def to_ocsf(
    entry: _Entry, *, observed_time_ns: Optional[int] = None, log_name: Optional[str] = None
) -> Dict[str, Any]:
    """The entry as an OCSF 1.7.0 event. ``observed_time_ns`` is when it was
    seen (the event's ``time`` when the entry has none); ``log_name`` goes to
    ``metadata.log_name``."""
    result: Dict[str, Any] = json.loads(_native.export_ocsf(entry, observed_time_ns, log_name))
    return result


def to_ecs(entry: _Entry) -> Dict[str, Any]:
    """The entry as an ECS 9.x document."""
    result: Dict[str, Any] = json.loads(_native.export_ecs(entry))
    return result


def to_otlp_json(entries: Iterable[_Entry], *, observed_time_ns: Optional[int] = None) -> Dict[str, Any]:
    """The entries as one ``ExportLogsServiceRequest`` in OTLP/JSON (hex trace
    and span ids), grouped by resource and scope."""
    result: Dict[str, Any] = json.loads(cast(str, _native.export_otlp(entries, True, observed_time_ns)))
    return result


def to_otlp(entries: Iterable[_Entry], *, observed_time_ns: Optional[int] = None) -> bytes:
    """The entries as one ``ExportLogsServiceRequest``, protobuf bytes (the
    body of an OTLP/HTTP protobuf POST)."""
    return cast(bytes, _native.export_otlp(entries, False, observed_time_ns))


def from_ocsf(event: Union[Mapping[str, Any], str]) -> LogEntry:
    """The entry an OCSF event exported by ``to_ocsf`` (or ``complog export``)
    came from, exactly."""
    text = event if isinstance(event, str) else json.dumps(event)
    return _native.import_ocsf(text)


def from_lokryn_0_2(
    data: Union[str, bytes], *, framing: Literal["auto", "single", "delimited"] = "auto"
) -> List[LogEntry]:
    """Entries from records of the vendor's 0.2.0 package. ``str``: one JSON
    record or JSON Lines, as its sinks write them; ``bytes``: binary, one
    record (``framing="single"``), length-delimited (``"delimited"``), or
    whichever the bytes read as (``"auto"``). What has no field here is kept
    in ``payload`` as JSON (docs/compatibility.md)."""
    return _native.import_lokryn_0_2(data, framing)
