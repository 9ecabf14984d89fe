"""The Python examples of the READMEs run, in order, as a reader would run them."""

import re

import pytest

from conftest import ROOT


def python_blocks(markdown, section=None):
    if section:
        start = markdown.index(section)
        end = markdown.find("\n## ", start + len(section))
        markdown = markdown[start:end if end != -1 else None]
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


@pytest.mark.parametrize("readme,section", [
    ("README.md", "## Python"),
    ("bindings/python/README.md", None),
])
def test_readme_examples_run(readme, section, tmp_path, monkeypatch, capsys):
    blocks = python_blocks((ROOT / readme).read_text(encoding="utf-8"), section)
    assert blocks, f"no Python examples in {readme}"
    monkeypatch.chdir(tmp_path)  # the examples write audit.binpb
    scope = {"__name__": "__readme__"}
    for block in blocks:
        exec(compile(block, f"<{readme}>", "exec"), scope)
    assert (tmp_path / "audit.binpb").stat().st_size > 0
    assert "agent-001" in capsys.readouterr().out
