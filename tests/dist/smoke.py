"""`cargo xtask dist --check`: the wheel, pip-installed into a new virtual
environment, used as a user would use it.

    python smoke.py VERSION PEP440_VERSION REPOSITORY

Run from an empty folder with the environment's interpreter. Runs the
published README's examples (kept verbatim in
tests/python/test_spec_examples.py) and the repository README's Python
examples, and holds the first example to the Rust core's golden bytes and
JSON. Needs nothing but the installed package and its dependencies.
"""

import ast
import importlib.metadata
import json
import pathlib
import re
import sys

version, pep440, repo = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]).resolve()
passed = 0


def ok(what):
    global passed
    passed += 1
    print(f"ok - {what}")


import lokryn_compliance_log as lcl  # noqa: E402

installed = pathlib.Path(lcl.__file__).resolve()
assert repo not in installed.parents, f"imported from the source tree: {installed}"
ok(f"import lokryn_compliance_log from {installed.parent}")

assert importlib.metadata.version("lokryn-compliance-log") == pep440, importlib.metadata.version(
    "lokryn-compliance-log"
)
assert lcl.__version__ == version, lcl.__version__
ok(f"version {pep440} (metadata), {version} (__version__)")


def examples():
    """The EXAMPLE_* strings of tests/python/test_spec_examples.py, without importing it."""
    source = (repo / "tests/python/test_spec_examples.py").read_text(encoding="utf-8")
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            name = getattr(node.targets[0], "id", "")
            if name.startswith("EXAMPLE_"):
                found[name] = node.value.value
    assert len(found) == 3, sorted(found)
    return found


# The golden vectors of tests/vectors (wherever in it they are kept).
(golden_path,) = (repo / "tests/vectors").rglob("spec-tool-invocation.binpb")
golden = golden_path.read_bytes()
golden_json = json.loads(golden_path.with_suffix(".json").read_text(encoding="utf-8"))
for name, source in examples().items():
    scope = {"__name__": "__example__"}
    exec(compile(source, f"<{name}>", "exec"), scope)
    log = scope["log"]
    assert lcl.validate(log).valid
    assert lcl.from_json(lcl.to_json(log)) == log
    if name == "EXAMPLE_MCP_TOOL_CALL":
        assert scope["data"] == golden, "the spec example's bytes are not the Rust core's"
        assert json.loads(lcl.to_json(log)) == golden_json
        assert lcl.LogEntry.FromString(golden) == log
    ok(f"published README example {name}: valid, JSON round trip")
ok("the first example is the Rust core's golden bytes and JSON")

readme = (repo / "README.md").read_text(encoding="utf-8")
section = readme[readme.index("\n## Python\n") :]
section = section[: section.find("\n## ", 1)]
scope = {"__name__": "__readme__"}
blocks = re.findall(r"```python\n(.*?)```", section, re.S)
assert blocks, "README.md has no Python examples"
for block in blocks:
    exec(compile(block, "<README.md>", "exec"), scope)
assert pathlib.Path("audit.binpb").stat().st_size > 0
ok(f"README.md's {len(blocks)} Python examples, in order")

print(f"{passed} passed, 0 failed")
