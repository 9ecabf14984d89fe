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
  ``lokryn-mcp-log`` sinks write;
* ``report``: the evidence report of a ledger or of entries, the data of
  ``complog report --format json`` (or its HTML page), and
  ``render_report_html`` for data already in hand (docs/report.md). Both are
  also importable from ``lokryn_compliance_log`` itself.

Errors are the package's: ``DecodeError`` for input that cannot be read or
imported, with ``code`` set (``"IMPORT"`` for an import).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Union, cast, overload

from lokryn_compliance_log import _native
from lokryn_compliance_log.v1.logentry_pb2 import LogEntry

__all__ = [
    "from_lokryn_0_2",
    "from_ocsf",
    "render_report_html",
    "report",
    "to_ecs",
    "to_ocsf",
    "to_otlp",
    "to_otlp_json",
]

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


_Source = Union[str, "os.PathLike[str]", Iterable[_Entry]]


@overload
def report(
    source: _Source,
    *,
    profiles: Union[str, Sequence[str], None] = ...,
    since: Optional[str] = ...,
    until: Optional[str] = ...,
    key: Union[str, "os.PathLike[str]", None] = ...,
    format: Literal["json"] = ...,
) -> Dict[str, Any]: ...
@overload
def report(
    source: _Source,
    *,
    profiles: Union[str, Sequence[str], None] = ...,
    since: Optional[str] = ...,
    until: Optional[str] = ...,
    key: Union[str, "os.PathLike[str]", None] = ...,
    format: Literal["html"],
) -> str: ...
def report(
    source: _Source,
    *,
    profiles: Union[str, Sequence[str], None] = None,
    since: Optional[str] = None,
    until: Optional[str] = None,
    key: Union[str, "os.PathLike[str]", None] = None,
    format: Literal["json", "html"] = "json",
) -> Union[Dict[str, Any], str]:
    """The evidence report of a ledger, or of entries, for an audit period:
    the same data as ``complog report --format json`` (docs/report.md lays
    it out), computed by the same Rust code.

    ``source`` is a ledger directory (a path): its integrity is verified and
    reported, and records are named by their ledger index. Or it is an
    iterable of entries (``LogEntry`` messages or their bytes, such as
    ``read_entries(path)``), read once, lazily: their integrity cannot be
    shown, and records are named by their position from 0.

    ``profiles`` are validated under besides baseline (``"pci"``,
    ``["soc2", "hipaa"]``); ``since`` (inclusive) and ``until`` (exclusive)
    bound the period on each record's ``time`` (RFC 3339); ``key`` is the
    path of the ledger's public key to verify its checkpoints with, instead
    of the one its ``ledger.json`` names (an auditor should pass the key the
    organisation published).

    Returns the report data as a dict, or with ``format="html"`` the
    self-contained HTML page. A ledger that does not verify is reported in
    ``["integrity"]`` (``verified`` false, ``error.index`` the first bad
    record), not raised. Raises ``ComplianceLogError`` with ``code`` for an
    unknown profile (``"UNKNOWN_PROFILE"``), a time that is not RFC 3339
    (``"BAD_TIME"``) or a directory that is not a ledger; ``DecodeError``
    naming the ``index`` of an entry that cannot be decoded; ``TypeError``
    for a source that is neither.
    """
    if format not in ("json", "html"):
        raise ValueError(f'format must be "json" or "html", not {format!r}')
    names = [] if profiles is None else [profiles] if isinstance(profiles, str) else list(profiles)
    text = _native.report(
        source, names, since, until, None if key is None else os.fspath(key), format == "html"
    )
    if format == "html":
        return text
    result: Dict[str, Any] = json.loads(text)
    return result


def render_report_html(data: Mapping[str, Any]) -> str:
    """Report data (as ``report`` returns it) rendered as the self-contained
    HTML page ``complog report`` writes, by the same template."""
    return _native.render_report_html(json.dumps(data))
