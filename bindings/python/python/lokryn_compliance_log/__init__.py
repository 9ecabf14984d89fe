"""Compliance-grade audit log records (SOC 2, HIPAA, PCI DSS, AI agents).

The schema's messages (``LogEntry`` and the messages it holds) are genuine
google.protobuf message classes, exported here with every enum wrapper and
enum value constant; ``lokryn_compliance_log.v1`` holds the same names.

The functions are the project's Rust core, which every language binding
shares, so an entry gets the same JSON and the same verdict everywhere. Each
takes a ``LogEntry`` message or its serialized bytes:

* ``to_json`` / ``from_json``: canonical proto3 JSON, the same JSON value as
  ``google.protobuf.json_format`` produces;
* ``validate`` (raises ``ValidationError``), ``check`` and ``is_valid``,
  and ``check_many`` for a batch, under the profiles ``baseline`` (always),
  ``soc2``, ``hipaa`` and ``pci`` (``profile="pci"``, ``profile=["soc2", "pci"]``);
* ``find_sensitive`` / ``scan_text``: card numbers, SSNs, contact details and
  secrets, as ``Finding`` objects (kind, field path, byte span, confidence);
* ``redact`` / ``redact_text``: a copy with them replaced;
* ``read_entries`` / ``EntryWriter`` / ``write_entries``: files of
  length-delimited entries, read lazily;
* ``Ledger``: a tamper-evident ledger (append, verify, prove, read) and
  ``Ledger.check_proof`` for auditors; failures raise ``LedgerError``;
* ``AuditLogger``: one call writes a complete, checked and redacted record
  to the sinks of ``lokryn_compliance_log.sinks`` (files, the ledger, an
  OpenTelemetry Collector, standard output, your own); failures raise
  ``LoggerError``. ``lokryn_compliance_log.logging`` and
  ``lokryn_compliance_log.structlog`` connect it to ``logging`` and
  structlog, and ``lokryn_compliance_log.mcp`` to MCP client sessions and
  servers;
* ``report``: the evidence report of a ledger or of entries for an audit
  period (the data of ``complog report --format json``, or its HTML page),
  and ``render_report_html``; also in ``lokryn_compliance_log.export``.
"""

from lokryn_compliance_log import sinks, v1
from lokryn_compliance_log._logger import AuditLogger, AuditWarning, Operation, SinkStats, Stats
from lokryn_compliance_log._native import (
    ComplianceLogError,
    DecodeError,
    EntryReader,
    EntryWriter,
    Finding,
    JsonError,
    Ledger,
    LedgerError,
    LoggerError,
    Redaction,
    ValidationError,
    ValidationReport,
    Violation,
    __version__,
    check,
    check_many,
    find_sensitive,
    from_json,
    is_valid,
    profiles,
    read_entries,
    redact,
    redact_text,
    scan_text,
    to_json,
    to_json_many,
    validate,
    write_entries,
)
from lokryn_compliance_log.export import render_report_html, report
from lokryn_compliance_log.v1 import *  # noqa: F403

__all__ = [
    "AuditLogger",
    "AuditWarning",
    "ComplianceLogError",
    "DecodeError",
    "EntryReader",
    "EntryWriter",
    "Finding",
    "JsonError",
    "Ledger",
    "LedgerError",
    "LoggerError",
    "Operation",
    "Redaction",
    "ValidationError",
    "SinkStats",
    "Stats",
    "ValidationReport",
    "Violation",
    "__version__",
    "check",
    "check_many",
    "find_sensitive",
    "from_json",
    "is_valid",
    "profiles",
    "read_entries",
    "redact",
    "redact_text",
    "render_report_html",
    "report",
    "scan_text",
    "sinks",
    "to_json",
    "to_json_many",
    "validate",
    "write_entries",
]
__all__ += v1.__all__
