"""The shared cases of the audit logger (tests/vectors/logger/cases.json),
run through the Python API as a user calls it: options as keyword
arguments, records as ``log(**fields)``, operations as ``with`` blocks."""

import json
import re
import warnings

import pytest

import lokryn_compliance_log as lcl
from lokryn_compliance_log import sinks
from conftest import ROOT

CASES = json.loads((ROOT / "tests/vectors/logger/cases.json").read_text())["cases"]
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def fields(doc):
    """Keyword arguments of a record in proto3 JSON form, as a user would
    write them: enum values, lists, messages."""
    entry = lcl.from_json(json.dumps(doc))
    out = {}
    for descriptor, value in entry.ListFields():
        # `is_repeated` in protobuf >= 6.32, `label` before (gone in 7).
        repeated = getattr(descriptor, "is_repeated", None)
        if repeated is None:
            repeated = descriptor.label == descriptor.LABEL_REPEATED
        out[descriptor.name] = list(value) if repeated else value
    return out


def options(case, tmp_path):
    opts = case["options"]
    kwargs = {}
    if "producer" in opts:
        kwargs["producer"] = (opts["producer"]["name"], opts["producer"]["version"])
    if "profiles" in opts:
        kwargs["profile"] = opts["profiles"]
    if "onInvalid" in opts:
        kwargs["on_invalid"] = opts["onInvalid"]
    if "redact" in opts:
        redact = opts["redact"]
        kwargs["redact"] = redact["key"].encode() if isinstance(redact, dict) else redact
    if opts.get("quarantine"):
        kwargs["quarantine"] = sinks.JsonLines(tmp_path / "quarantine.jsonl")
    kwargs.update(fields(opts.get("defaults", {})))
    return kwargs


def matches(expected, actual, ids):
    """Whether the record (a proto3 JSON value) is the expected one, placeholders aside."""
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and expected.keys() == actual.keys()
                and all(matches(expected[k], actual[k], ids) for k in expected))
    if expected == "<time>":
        return isinstance(actual, str) and bool(TIME.match(actual))
    if expected == "<uuid7>":
        ok = isinstance(actual, str) and bool(UUID7.match(actual)) and (not ids or ids[-1] < actual)
        ids.append(actual)
        return ok
    if expected == "<host>":
        return isinstance(actual, str) and actual != ""
    if expected == "<version>":
        return actual == lcl.__version__
    if expected == "<duration>":
        return isinstance(actual, str) and actual.isdigit()
    return expected == actual


def matches_record(expected, actual, ids):
    # "<duration>" may be absent (zero milliseconds).
    if expected.get("durationMs") == "<duration>" and "durationMs" not in actual:
        expected = {k: v for k, v in expected.items() if k != "durationMs"}
    return matches(expected, actual, ids)


def run_call(audit, call):
    if "log" in call:
        return audit.log(**fields(call["log"]))
    op = call["operation"]
    template = fields(op.get("fields", {}))
    if "error" in op:
        failure = type(op["error"]["code"], (Exception,), {})
        with pytest.raises(failure):
            with audit.operation(op["eventType"], **template) as handle:
                raise failure(op["error"]["message"])
        return handle.entry
    assert op["outcome"] == "success"
    with audit.operation(op["eventType"], **template) as handle:
        pass
    return handle.entry


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_case(case, tmp_path):
    path = tmp_path / "audit.jsonl"
    if "buildError" in case:
        with pytest.raises(lcl.ComplianceLogError) as err:
            lcl.AuditLogger([sinks.JsonLines(path)], **options(case, tmp_path))
        assert err.value.code == case["buildError"]
        return
    audit = lcl.AuditLogger([sinks.JsonLines(path)], **options(case, tmp_path))
    written, quarantined, ids = [], [], []
    for call in case["calls"]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if "error" in call:
                with pytest.raises(lcl.ComplianceLogError) as err:
                    run_call(audit, call)
                assert err.value.code == call["error"]
                continue
            entry = run_call(audit, call)
        warned = [w for w in caught if issubclass(w.category, lcl.AuditWarning)]
        assert len(warned) == (1 if call.get("warned") else 0)
        returned = json.loads(lcl.to_json(entry))
        assert matches_record(call["expect"], returned, ids), returned
        (quarantined if call.get("quarantined") else written).append(returned)
    audit.close()
    assert [json.loads(line) for line in path.read_text().splitlines()] == written
    held = tmp_path / "quarantine.jsonl"
    assert [json.loads(line) for line in held.read_text().splitlines()] == quarantined if held.exists() else not quarantined
