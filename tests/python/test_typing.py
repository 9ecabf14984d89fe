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
'''


def run(*args, cwd):
    done = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_stubs_match_the_native_module(tmp_path):
    run("mypy.stubtest", "lokryn_compliance_log._native", cwd=tmp_path)


def test_typical_use_type_checks_strictly(tmp_path):
    (tmp_path / "use.py").write_text(textwrap.dedent(USAGE))
    run("mypy", "--strict", "--no-incremental", "use.py", cwd=tmp_path)
