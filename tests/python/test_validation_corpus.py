"""The shared validation corpus (tests/vectors/validation/) through the
`complog` CLI: every case's violations, findings and redactions, as the Rust
core produces them for every binding. The format is in the corpus README."""

import base64
import json
import os
from collections import defaultdict

import pytest

from conftest import ROOT, delimited

CORPUS = ROOT / "tests" / "vectors" / "validation"
ALL = ["soc2", "hipaa", "pci"]
MAX_FINDINGS = 1000


def load():
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            cases.append((path.name, doc.get("redactionKey"), case))
    return cases


CASES = load()


def entry_json(case):
    entry = dict(case["entry"])
    g = case.get("generate")
    if g:
        part = (lambda s: bytes.fromhex(s)) if g.get("hex") else (lambda s: s.encode())
        data = part(g.get("prefix", "")) + part(g["repeat"]) * g["count"] + part(g.get("suffix", ""))
        entry[g["field"]] = base64.b64encode(data).decode() if g["field"] == "payload" else data.decode()
    return entry


def entry_text(case):
    """The record of a JSON case as one line of JSON text."""
    if "entryJson" in case:
        return case["entryJson"]
    return json.dumps(entry_json(case))


def run(complog_path, args, data, env=None):
    import subprocess

    proc = subprocess.run([complog_path, *args], input=data, capture_output=True, check=False, env=env)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return proc.stdout.decode()


def verdicts(complog_path, cases, profiles):
    """complog validate --format json over the cases (JSON ones as JSON Lines,
    binary ones as a length-delimited stream): {name: verdict}."""
    out = {}
    args = ["validate", "--format", "json", "--max-consecutive-errors", "0"]
    for p in profiles:
        args += ["--profile", p]
    json_cases = [c for c in cases if "entryBinary" not in c]
    bin_cases = [c for c in cases if "entryBinary" in c]
    if json_cases:
        text = "\n".join(entry_text(c) for c in json_cases) + "\n"
        lines = run(complog_path, args + ["--input-format", "jsonl", "-"], text.encode()).splitlines()[:-1]
        assert len(lines) == len(json_cases)
        out.update({c["name"]: json.loads(l) for c, l in zip(json_cases, lines)})
    if bin_cases:
        data = delimited([base64.b64decode(c["entryBinary"]) for c in bin_cases])
        lines = run(complog_path, args + ["--input-format", "binary", "-"], data).splitlines()[:-1]
        assert len(lines) == len(bin_cases)
        out.update({c["name"]: json.loads(l) for c, l in zip(bin_cases, lines)})
    return out


@pytest.fixture(scope="module")
def complog_path():
    path = os.environ.get("COMPLOG")
    if not path:
        pytest.skip("COMPLOG is not set; run through `cargo xtask test`")
    return path


def test_the_corpus_is_large_and_names_are_unique():
    names = [c["name"] for _, _, c in CASES]
    assert len(names) >= 150
    assert len(set(names)) == len(names)


def test_violations(complog_path):
    by_profiles = defaultdict(list)
    for _, _, case in CASES:
        by_profiles[tuple(case.get("profiles", []))].append(case)
    failures = []
    for profiles, cases in by_profiles.items():
        got = verdicts(complog_path, cases, profiles)
        for case in cases:
            v = got[case["name"]]
            if "decodeError" in case:
                if not (v["error"] and v["error"]["code"] == case["decodeError"]):
                    failures.append((case["name"], v))
                elif "errorPath" in case and f"(field `{case['errorPath']}`)" not in v["error"]["message"]:
                    failures.append((case["name"], v))
                continue
            if "counts" in case:
                n = case["counts"].get("violations")
                if n is not None and len(v["violations"]) != n:
                    failures.append((case["name"], len(v["violations"])))
                continue
            have = sorted((x["field"], x["ruleId"], x["level"]) for x in v["violations"])
            want = sorted((x["field"], x["ruleId"], x["level"]) for x in case["violations"])
            if have != want and "knownDeviation" not in case:
                failures.append((case["name"], have, want))
    assert not failures, failures


def test_findings(complog_path):
    cases = [c for _, _, c in CASES if "decodeError" not in c]
    got = verdicts(complog_path, cases, ALL)
    failures = []
    for case in cases:
        findings = got[case["name"]]["findings"]
        if "counts" in case:
            n = case["counts"].get("findings")
            if n is not None and len(findings) != min(n, MAX_FINDINGS):
                failures.append((case["name"], len(findings)))
            continue
        key = lambda f: (f["kind"], f["field"], f["start"], f["end"], f["confidence"])
        have = sorted(map(key, findings))
        want = sorted(map(key, case["findings"]))
        if have != want and "knownDeviation" not in case:
            failures.append((case["name"], have, want))
    assert not failures, failures


@pytest.mark.parametrize("member", ["redacted", "redactedWithKey"])
def test_redaction(complog_path, member):
    cases = [(key, c) for _, key, c in CASES if member in c]
    assert cases
    args = ["redact", "--quiet", "--input-format", "jsonl"]
    env = None
    if member == "redactedWithKey":
        env = dict(os.environ, LOKRYN_CORPUS_KEY=cases[0][0])
        args += ["--key-env", "LOKRYN_CORPUS_KEY"]
    text = "\n".join(entry_text(c) for _, c in cases) + "\n"
    lines = run(complog_path, args + ["-"], text.encode(), env).splitlines()
    assert len(lines) == len(cases)
    for (_, case), line in zip(cases, lines):
        assert json.loads(line) == case[member], case["name"]


def test_redacted_records_revalidate_clean_and_stay_redacted(complog_path):
    cases = [c for _, _, c in CASES if "entryBinary" not in c and "counts" not in c and "decodeError" not in c]
    text = "\n".join(entry_text(c) for c in cases) + "\n"
    once = run(complog_path, ["redact", "--quiet", "--input-format", "jsonl", "-"], text.encode())
    twice = run(complog_path, ["redact", "--quiet", "--input-format", "jsonl", "-"], once.encode())
    assert once == twice
    lines = run(
        complog_path,
        ["validate", "--format", "json", *sum((["--profile", p] for p in ALL), []), "--input-format", "jsonl", "-"],
        once.encode(),
    ).splitlines()[:-1]
    for case, line in zip(cases, lines):
        v = json.loads(line)
        assert not [x for x in v["violations"] if x["ruleId"].startswith("sensitive.")], case["name"]


# --- The same corpus through the Python binding (the wheel's native module).

lcl = pytest.importorskip("lokryn_compliance_log")


def binding_input(case):
    if "entryBinary" in case:
        return base64.b64decode(case["entryBinary"])
    return lcl.from_json(entry_text(case))


def test_binding_violations():
    failures = []
    for _, _, case in CASES:
        if "decodeError" in case and "entryJson" in case:
            with pytest.raises(lcl.JsonError) as caught:
                lcl.from_json(case["entryJson"])
            if (caught.value.code, caught.value.field) != (case["decodeError"], case.get("errorPath")):
                failures.append((case["name"], caught.value.code, caught.value.field))
            continue
        entry = case.get("entryBinary") and base64.b64decode(case["entryBinary"])
        if "decodeError" in case:
            with pytest.raises(lcl.DecodeError):
                lcl.check(entry, profile=case.get("profiles", []))
            continue
        report = lcl.check(binding_input(case), profile=case.get("profiles", []))
        if "counts" in case:
            n = case["counts"].get("violations")
            if n is not None and len(report.violations) != n:
                failures.append((case["name"], len(report.violations)))
            continue
        have = sorted((v.field, v.rule_id, v.level) for v in report.violations)
        want = sorted((v["field"], v["ruleId"], v["level"]) for v in case["violations"])
        if have != want and "knownDeviation" not in case:
            failures.append((case["name"], have, want))
    assert not failures, failures


def test_binding_findings():
    failures = []
    for _, _, case in CASES:
        if "decodeError" in case:
            continue
        found = lcl.find_sensitive(binding_input(case))
        if "counts" in case:
            n = case["counts"].get("findings")
            if n is not None and len(found) != n:
                failures.append((case["name"], len(found)))
            continue
        have = sorted((f.kind, f.field, f.start, f.end, f.confidence) for f in found)
        want = sorted((f["kind"], f["field"], f["start"], f["end"], f["confidence"]) for f in case["findings"])
        if have != want and "knownDeviation" not in case:
            failures.append((case["name"], have, want))
    assert not failures, failures


def test_binding_redaction():
    from google.protobuf import json_format

    for _, key, case in CASES:
        for member, options in [("redacted", {}), ("redactedWithKey", {"key": key})]:
            if member not in case:
                continue
            entry = binding_input(case)
            before = entry.SerializeToString()
            out = lcl.redact(entry, **options)
            assert entry.SerializeToString() == before, "redaction changed its input"
            want = lcl.from_json(json.dumps(case[member]))
            assert out.entry == want, (case["name"], json_format.MessageToJson(out.entry))
            assert lcl.redact(out.entry, **options).entry == out.entry, case["name"]


def test_binding_profiles_combine_and_report_findings():
    assert lcl.profiles() == ("baseline", "soc2", "hipaa", "pci")
    entry = lcl.from_json(json.dumps({
        "eventType": "EVENT_LOGIN", "outcome": "OUTCOME_SUCCESS", "severity": "SEVERITY_INFO",
        "actorId": "alice", "message": "card 4111 1111 1111 1111",
    }))
    assert lcl.check(entry).valid
    for profile in ("pci", "soc2,pci", ["soc2", "pci"], ("pci",)):
        report = lcl.check(entry, profile=profile)
        assert not report.valid
        assert [f.kind for f in report.findings] == ["card_number"]
        assert report.findings[0].field == "message"
        assert "4111" not in repr(report.violations)
    with pytest.raises(ValueError, match="unknown validation profile `gdpr`"):
        lcl.check(entry, profile=["pci", "gdpr"])
    [m] = lcl.scan_text("mail bob@example.com")
    assert (m.kind, m.field, m.start, m.end, m.confidence) == ("email", "", 5, 20, "high")
    assert lcl.redact_text("mail bob@example.com") == "mail [REDACTED:email]"
    assert lcl.redact_text("mail bob@example.com", key=b"k").startswith("mail [REDACTED:email:")


def test_readme_validation_example_runs(capsys):
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Validation, detection and redaction")
    section = text[start:text.index("\n## ", start + 10)]
    [block] = re.findall(r"```python\n(.*?)```", section, re.S)
    exec(compile(block, "<README.md validation>", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "error message sensitive.api_key" in out
    assert "retried with token=[REDACTED:api_key:" in out
