"""The audit logger next to what a Python service would do otherwise, in one run.

    python bindings/python/benches/logger.py [--quick] [--wall]

Per-record cost of ``AuditLogger.log(...)`` with ``profile="pci"`` and
redaction (the default) to a JSON Lines file, next to

* Python's ``logging`` with a JSON formatter (a ``Formatter`` subclass that
  ``json.dumps`` the record and its ``extra=`` fields) on a ``FileHandler``;
* the same ``AuditLogger`` behind ``logging`` (``AuditHandler``), for the
  cost of the ``logging`` machinery in front of it;
* structlog with ``add_log_level``, an ISO ``TimeStamper`` and
  ``JSONRenderer`` on a ``WriteLogger`` to a file.

Each writes the same fields, one ``write(2)`` per record (``FileHandler``
and ``WriteLogger`` flush after every record; the ``JsonLines`` sink does not
buffer), to a file in a temporary directory. The peers neither validate nor
redact. Needs the wheel and structlog installed (``cargo xtask test``'s
venv has both). Prints a Markdown table of per-record times and the ratios
quoted in docs/logging.md. Not a test: nothing here asserts a speed.
"""

import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import structlog

import lokryn_compliance_log as lcl
from lokryn_compliance_log import sinks
from lokryn_compliance_log.logging import AuditHandler

QUICK = "--quick" in sys.argv
REPEATS = 3 if QUICK else 7
NUMBER = 2_000 if QUICK else 10_000
# CPU time of this process (user + system, so the write(2) calls count), the
# steadiest figure on a shared machine; --wall for wall-clock time.
CLOCK = time.perf_counter if "--wall" in sys.argv else time.process_time

# One payment event as a service would log it. The message carries an email
# address, which the audit logger redacts (and its pci profile allows: a full
# card number it would refuse) and the peers write as given.
FIELDS = {
    "event_type": lcl.EVENT_RESOURCE_ACCESS,
    "outcome": lcl.OUTCOME_SUCCESS,
    "severity": lcl.SEVERITY_INFO,
    "actor_id": "agent-001",
    "actor_type": lcl.ACTOR_TYPE_AGENT,
    "resource": "payments/charge",
    "message": "receipt for order 1042 sent to bob@example.com",
    "source_ip": "10.20.30.40",
    "session_id": "sess-7f3a9c",
    "request_id": "req-0042",
}
DEFAULTS = {"component": "checkout", "environment": "staging", "policy_tags": ["PCI"]}
# The same fields with enum names, as the peers write them.
PLAIN = {
    "event_type": "EVENT_RESOURCE_ACCESS",
    "outcome": "OUTCOME_SUCCESS",
    "actor_id": "agent-001",
    "actor_type": "ACTOR_TYPE_AGENT",
    "resource": "payments/charge",
    "source_ip": "10.20.30.40",
    "session_id": "sess-7f3a9c",
    "request_id": "req-0042",
    "component": "checkout",
    "environment": "staging",
    "policy_tags": ["PCI"],
}
MESSAGE = FIELDS["message"]


class JsonFormatter(logging.Formatter):
    """The usual hand-written JSON formatter: the record's time, level,
    logger and message, and the fields given through ``extra=``."""

    KEYS = tuple(PLAIN)

    def format(self, record):
        doc = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attributes = record.__dict__
        for key in self.KEYS:
            if key in attributes:
                doc[key] = attributes[key]
        return json.dumps(doc)


def per_record(fn):
    """Seconds per call: the best of REPEATS runs of NUMBER calls."""
    runs = []
    for _ in range(REPEATS):
        start = CLOCK()
        for _ in range(NUMBER):
            fn()
        runs.append((CLOCK() - start) / NUMBER)
    return min(runs)


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        audit = lcl.AuditLogger([sinks.JsonLines(tmp / "audit.jsonl")], profile="pci", **DEFAULTS)
        audit.log(**FIELDS)  # warm up; also checks the record is valid under pci
        rows.append(("AuditLogger.log, pci + redaction, JsonLines", per_record(lambda: audit.log(**FIELDS))))
        audit.close()

        routed = lcl.AuditLogger([sinks.JsonLines(tmp / "handler.jsonl")], profile="pci", **DEFAULTS)
        via = logging.getLogger("bench.via_handler")
        via.propagate = False
        via.setLevel(logging.INFO)
        via.addHandler(AuditHandler(routed, raise_errors=True))
        extra = {k: v for k, v in FIELDS.items() if k != "message"}
        rows.append(("logging + AuditHandler, pci + redaction, JsonLines", per_record(lambda: via.info(MESSAGE, extra=extra))))
        routed.close()

        plain = lcl.AuditLogger([sinks.JsonLines(tmp / "plain.jsonl")], redact=False, **DEFAULTS)
        rows.append(("AuditLogger.log, baseline, no redaction, JsonLines", per_record(lambda: plain.log(**FIELDS))))
        plain.close()

        std = logging.getLogger("bench.audit")
        std.propagate = False
        std.setLevel(logging.INFO)
        handler = logging.FileHandler(tmp / "logging.jsonl")
        handler.setFormatter(JsonFormatter())
        std.addHandler(handler)
        rows.append(("logging + JSON formatter, FileHandler", per_record(lambda: std.info(MESSAGE, extra=PLAIN))))
        handler.close()

        with open(tmp / "structlog.jsonl", "w") as out:
            slog = structlog.wrap_logger(
                structlog.WriteLogger(out),
                processors=[
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.JSONRenderer(),
                ],
            )
            rows.append(("structlog + JSONRenderer, WriteLogger", per_record(lambda: slog.info(MESSAGE, **PLAIN))))

        sizes = {p.name: os.path.getsize(p) for p in tmp.iterdir()}

    print(f"lokryn-compliance-log {lcl.__version__}; structlog {structlog.__version__}; "
          f"Python {platform.python_version()}; {platform.machine()}; "
          f"{'wall' if CLOCK is time.perf_counter else 'CPU'} time, best of {REPEATS} runs of {NUMBER} records")
    print()
    print("| writer | µs per record | vs AuditLogger (pci + redaction) |")
    print("|---|---:|---:|")
    ours = rows[0][1]
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1e6:.2f} | {seconds / ours:.2f}× |")
    print()
    print("bytes written (all runs): " + ", ".join(f"{k} {v}" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
