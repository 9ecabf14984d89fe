"""The Python examples of docs/logging.md run, in order, as a reader would run them."""

import json
import logging

import pytest

from conftest import ROOT
from test_readme import python_blocks


def test_logging_docs_examples_run(tmp_path, monkeypatch, capsys):
    pytest.importorskip("structlog", reason="structlog is in tests/python/requirements.txt, not in the matrix venvs")
    blocks = python_blocks((ROOT / "docs/logging.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "the Python examples of docs/logging.md are missing"
    monkeypatch.chdir(tmp_path)  # the examples write audit.jsonl and others
    scope = {"__name__": "__docs__"}
    handlers = list(logging.getLogger("audit").handlers)
    try:
        for block in blocks:
            exec(compile(block, "<docs/logging.md>", "exec"), scope)
    finally:  # the example's handler on the "audit" logger
        logging.getLogger("audit").handlers[:] = handlers
    [five_line] = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()][:1]
    assert five_line["actorId"] == "alice"
    assert len((tmp_path / "quarantine.jsonl").read_text().splitlines()) == 1
    assert len((tmp_path / "operations.jsonl").read_text().splitlines()) == 4  # 2 operations, logging, structlog
    assert '"event": "exported report"' in capsys.readouterr().out
