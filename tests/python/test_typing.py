"""The package's type stubs match the native module and type-check real use."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mypy", reason="mypy is in tests/python/requirements.txt, not in the matrix venvs")

USAGE = '''
import gzip
import lokryn_compliance_log as lcl
from lokryn_compliance_log import LogEntry, EVENT_LOGIN, DelegationLink, ACTOR_TYPE_USER

entry = LogEntry(event_type=EVENT_LOGIN, actor_id="a", policy_tags=["x"],
                 delegation_chain=[DelegationLink(actor_type=ACTOR_TYPE_USER)])
report: lcl.ValidationReport = lcl.check(entry, profile="baseline")
valid: bool = report.valid and lcl.is_valid(entry.SerializeToString())
fields: list[str] = [v.field for v in report.violations] + [c for v in report.errors for c in v.clauses]
reports: list[lcl.ValidationReport] = lcl.check_many([entry, b""])
text: str = lcl.to_json(entry)
back: LogEntry = lcl.from_json(text, ignore_unknown_fields=True)
try:
    lcl.validate(entry)
except lcl.ValidationError as err:
    codes: tuple[str | None, int | None] = (err.code, err.index)
    first: lcl.Violation = err.violations[0]
for e in lcl.read_entries("audit.binpb"):
    actor: str = e.actor_id
for raw in lcl.read_entries(b"", raw=True):
    size: int = len(raw)
with gzip.open("x.gz", "wb") as f, lcl.EntryWriter(f) as out:
    out.write(entry)
    written: int = out.write_many([entry, b""])
count: int = lcl.write_entries("y.binpb", [entry])
evidence: dict[str, object] = lcl.report("audit-ledger", profiles="pci", since="2026-01-01T00:00:00Z")
page: str = lcl.report(lcl.read_entries("audit.binpb"), profiles=["soc2", "pci"], format="html")
page_again: str = lcl.render_report_html(evidence)

import logging
from lokryn_compliance_log import sinks
from lokryn_compliance_log.logging import AuditHandler
from lokryn_compliance_log.structlog import AuditProcessor

audit = lcl.AuditLogger(
    [sinks.JsonLines("a.jsonl", rotate_bytes=1 << 20, compress_rotated="zstd"), sinks.Stdout(),
     sinks.Otlp("http://127.0.0.1:4318", batch_size=10, headers={"x": "y"})],
    profile=["soc2", "pci"], on_invalid="quarantine", quarantine=sinks.Binary("q.binpb"),
    redact=b"key", producer=("svc", "1.0"), component="svc",
)
logged: LogEntry = audit.log(event_type=EVENT_LOGIN, actor_id="a")
again: LogEntry = audit.log_entry(entry)
with audit.operation(EVENT_LOGIN, actor_id="a") as op:
    op.set(message="m")
    op.fail("E", "why")
done: LogEntry | None = op.entry
stats: lcl.Stats = audit.stats
counted: int = stats.sinks[0].written + stats["stdout"].dropped + stats.logged
audit.flush(timeout=1.5)
audit.close()
closed: bool = audit.closed
try:
    audit.log()
except lcl.LoggerError as err:
    failed: tuple[str | None, str | None] = (err.code, err.sink)
logging.getLogger("audit").addHandler(AuditHandler(audit, event_type=EVENT_LOGIN, raise_errors=True))
processor = AuditProcessor(audit, drop=True)
event: object = processor(None, "info", {"event": "x"})

from lokryn_compliance_log.mcp import METHODS, LoggingProxy, McpLoggingWarning, with_logging
proxy: LoggingProxy = with_logging(object(), audit, actor_id="agent-7", on_behalf_of="alice", policy_tags=["pci"],
                                   max_value_bytes=None, redact=b"key", log_arguments=False)
inner: object = proxy.wrapped
errors: int = proxy.logging_errors
covered: tuple[str, int] = METHODS["call_tool"]
warning_error: BaseException | None = McpLoggingWarning("m").error
from lokryn_compliance_log.mcp import EVENT_TYPES, ServerLogging, log_server
serving: ServerLogging = log_server(object(), audit, environment="prod", log_arguments=False)
server_errors: int = serving.logging_errors
tool_event: int = EVENT_TYPES["tools/call"]
'''


def run(*args, cwd):
    done = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_stubs_match_the_native_module(tmp_path):
    run("mypy.stubtest", "lokryn_compliance_log._native", cwd=tmp_path)


def test_typical_use_type_checks_strictly(tmp_path):
    (tmp_path / "use.py").write_text(textwrap.dedent(USAGE))
    run("mypy", "--strict", "--no-incremental", "use.py", cwd=tmp_path)
