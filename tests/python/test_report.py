"""The evidence report from Python (``lokryn_compliance_log.report``).

Every count, share and missing-category flag of the report of a generated
ledger is checked against a computation in plain Python over the JSON of
the same records read back from the ledger; the data equals what
``complog report --format json`` writes; a tampered ledger names its first
bad record; entries handed over in memory; the errors.
"""

import json
import random
from collections import Counter, defaultdict

import pytest

import lokryn_compliance_log as lcl

TYPES = [
    "EVENT_LOGIN",
    "EVENT_FILE_ACCESS",
    "EVENT_PRIVILEGE_USE",
    "EVENT_USER_MANAGEMENT",
    "EVENT_LOGOUT",
    "EVENT_RESOURCE_ACCESS",
    "EVENT_TOOL_INVOCATION",
    "EVENT_DELEGATION",
    "EVENT_GUARDRAIL_CHECK",
    "EVENT_PROCESS_START",
    "EVENT_DATA_EXPORT",
    "EVENT_MODEL_INFERENCE",
]
OUTCOMES = [
    "OUTCOME_SUCCESS",
    "OUTCOME_FAILURE_DENIED",
    "OUTCOME_SUCCESS",
    "OUTCOME_FAILURE_UNAUTHORIZED",
    "OUTCOME_FAILURE_ERROR",
    "OUTCOME_UNSPECIFIED",
]
FAILURES = {"OUTCOME_FAILURE_UNAUTHORIZED", "OUTCOME_FAILURE_DENIED", "OUTCOME_FAILURE_ERROR"}
SINCE, UNTIL = "2026-03-02T00:00:00Z", "2026-03-06T00:00:00Z"


def _records(n, seed=18):
    """``n`` records of known shape (JSON dicts): no policy or config change
    (10.2.1.7 missing), some without an actor, an outcome, a host or a
    time, some with a card number, agents and delegations."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        t = rnd.choice(TYPES)
        e = {
            "eventType": t,
            "severity": "SEVERITY_INFO",
            "actorId": f"user{rnd.randrange(4)}@example.com" if rnd.random() > 0.05 else "",
            "actorType": "ACTOR_TYPE_USER",
            "component": "billing",
            "resource": "audit/trail" if rnd.random() < 0.15 else f"r{rnd.randrange(3)}",
            "message": "card 4111 1111 1111 1111 seen" if rnd.random() < 0.1 else f"record {i}",
            "eventId": f"00000000-0000-4000-8000-{i:012}",
        }
        outcome = rnd.choice(OUTCOMES)
        if outcome != "OUTCOME_UNSPECIFIED":
            e["outcome"] = outcome
        if rnd.random() > 0.03:
            e["time"] = f"2026-03-0{rnd.randrange(1, 8)}T{rnd.randrange(24):02}:{i % 60:02}:00Z"
        if rnd.random() > 0.25:
            e["host"] = "web-1.example.com"
        if t in ("EVENT_TOOL_INVOCATION", "EVENT_GUARDRAIL_CHECK"):
            e["actorType"] = "ACTOR_TYPE_AGENT"
            e["genai"] = {"agentName": f"agent{rnd.randrange(2)}", "toolName": f"tool{rnd.randrange(3)}"}
        if t == "EVENT_DELEGATION":
            e["delegationChain"] = [{"actorId": "agent:helper", "actorType": "ACTOR_TYPE_AGENT"}]
        out.append({k: v for k, v in e.items() if v != ""})
    return out


@pytest.fixture()
def ledger(tmp_path):
    private, public = lcl.Ledger.keygen("example.com/audit")
    (tmp_path / "audit.key").write_text(private + "\n")
    (tmp_path / "audit.pub").write_text(public + "\n")
    lcl.Ledger.init(tmp_path / "L", tmp_path / "audit.key")
    led = lcl.Ledger(tmp_path / "L", allow_invalid=True)
    entries = [lcl.from_json(json.dumps(r)) for r in _records(600)]
    for start in range(0, len(entries), 100):
        led.append(entries[start : start + 100])
    led.close()
    return tmp_path


# --- The independent computation: plain Python over the records' JSON. ---

ACCESS = {"EVENT_FILE_ACCESS", "EVENT_RESOURCE_ACCESS", "EVENT_RESOURCE_READ", "EVENT_DATA_EXPORT"}


def _categories(r):
    t, o = r.get("eventType", ""), r.get("outcome", "OUTCOME_UNSPECIFIED")
    audit = "audit" in r.get("resource", "").lower() or "audit" in r.get("component", "").lower()
    return [
        t in ACCESS,
        t == "EVENT_PRIVILEGE_USE",
        t in ACCESS and audit,
        o in ("OUTCOME_FAILURE_UNAUTHORIZED", "OUTCOME_FAILURE_DENIED"),
        t == "EVENT_USER_MANAGEMENT",
        t in ("EVENT_PROCESS_START", "EVENT_PROCESS_STOP"),
        t in ("EVENT_CONFIG_CHANGE", "EVENT_POLICY_CHANGE"),
    ]


def _elements(r):
    return [
        bool(r.get("actorId")),
        bool(r.get("eventType")),
        "time" in r,
        bool(r.get("outcome")),
        bool(r.get("sourceIp") or r.get("host")),
        bool(r.get("resource") or r.get("component")),
    ]


def _share(n, of):
    return None if of == 0 else n / of


def _rows(rows, *keys):
    return {tuple(row[k] for k in keys): row["count"] for row in rows}


def _label(s):
    return s or "(none)"


def _independent(records, entries):
    """The figures of the report computed here, from the records' JSON and
    each record's own validation report."""
    n = len(records)
    cats = [_categories(r) for r in records]
    els = [_elements(r) for r in records]
    complete = [all(e) for e in els]
    fig = {"records": n, "withoutTime": sum("time" not in r for r in records)}
    times = sorted(r["time"] for r in records if "time" in r)
    fig["first"], fig["last"] = times[0], times[-1]
    fig["categories"] = [
        (sum(c[i] for c in cats), sum(c[i] and k for c, k in zip(cats, complete))) for i in range(7)
    ]
    fig["elements"] = [sum(e[i] for e in els) for i in range(6)]
    fig["complete"] = sum(complete)
    checks = [lcl.check(e, profile="pci") for e in entries]
    fig["passed"] = sum(c.valid for c in checks)
    fig["withWarnings"] = sum(bool(c.warnings) for c in checks)
    rules = defaultdict(lambda: [0, 0, "warning"])
    clauses = Counter()
    for c in checks:
        for v in c.violations:
            rules[v.rule_id][0] += 1
            if v.level == "error":
                rules[v.rule_id][2] = "error"
            clauses.update(v.clauses)
        for rule in {v.rule_id for v in c.violations}:
            rules[rule][1] += 1
    fig["rules"] = {k: tuple(v) for k, v in rules.items()}
    fig["clauses"] = dict(clauses)
    fig["findings"] = Counter((f.kind, f.field) for c in checks for f in c.findings)
    fig["byEventType"] = Counter(r.get("eventType", "EVENT_TYPE_UNSPECIFIED") for r in records)
    fig["byOutcome"] = Counter(r.get("outcome", "OUTCOME_UNSPECIFIED") for r in records)
    days = defaultdict(lambda: [0, 0, 0])
    for r in records:
        if "time" in r:
            o = r.get("outcome", "")
            days[r["time"][:10]][0 if o == "OUTCOME_SUCCESS" else 1 if o in FAILURES else 2] += 1
    fig["overTime"] = {d: tuple(v) for d, v in days.items()}
    failed = [r for r in records if r.get("outcome") in FAILURES]
    fig["failedByActor"] = Counter(_label(r.get("actorId", "")) for r in failed)
    fig["failedByResource"] = Counter(_label(r.get("resource", "")) for r in failed)
    fig["privilegeUseByActor"] = Counter(
        _label(r.get("actorId", "")) for r in records if r.get("eventType") == "EVENT_PRIVILEGE_USE"
    )

    def agent(r):
        g = r.get("genai", {})
        return g.get("agentName") or g.get("agentId") or r.get("actorId", "")

    outcome = lambda r: r.get("outcome", "OUTCOME_UNSPECIFIED")  # noqa: E731
    fig["tools"] = Counter(
        (_label(agent(r)), _label(r.get("genai", {}).get("toolName", "")), outcome(r))
        for r in records
        if r.get("eventType") == "EVENT_TOOL_INVOCATION"
    )
    fig["delegations"] = Counter(
        (_label(r.get("actorId", "")), _label(r["delegationChain"][-1]["actorId"]), outcome(r))
        for r in records
        if r.get("eventType") == "EVENT_DELEGATION"
    )
    fig["guardrails"] = Counter(
        (_label(agent(r)), outcome(r)) for r in records if r.get("eventType") == "EVENT_GUARDRAIL_CHECK"
    )
    return fig


def _in_period(r):
    return "time" in r and SINCE <= r["time"] < UNTIL


def test_every_figure_equals_an_independent_count(ledger):
    data = lcl.report(ledger / "L", profiles="pci", since=SINCE, until=UNTIL)
    # The records as stored, read back, as JSON; those of the period.
    entries = [e for e in lcl.Ledger(ledger / "L").read() if _in_period(json.loads(lcl.to_json(e)))]
    records = [json.loads(lcl.to_json(e)) for e in entries]
    assert 0 < len(records) < 600
    fig = _independent(records, entries)

    scope = data["scope"]
    assert scope["records"] == fig["records"] == len(records)
    assert scope["unreadable"] == 0 and scope["withoutTime"] == 0
    assert (scope["first"], scope["last"]) == (fig["first"], fig["last"])
    assert (scope["inputs"], scope["inputErrors"], scope["inputsGivenUp"]) == (1, 0, 0)

    integrity = data["integrity"]
    assert integrity["kind"] == "ledger" and integrity["verified"] is True
    assert integrity["recordsVerified"] == 600
    assert integrity["checkpoint"]["size"] == 600 and integrity["checkpoint"]["signature"] == "valid"
    assert integrity["checkpointsChecked"] >= 1

    coverage = data["coverage"]
    missing = []
    for row, (count, complete) in zip(coverage["categories"], fig["categories"]):
        assert row["records"] == count, row["id"]
        assert row["present"] is (count > 0), row["id"]
        assert row["complete"] == complete, row["id"]
        assert row["completeShare"] == pytest.approx(_share(complete, count)), row["id"]
        if count == 0:
            missing.append(row["clause"])
    assert coverage["missing"] == missing
    # The generator makes no config or policy change: 10.2.1.7 is missing,
    # and everything else is present.
    assert missing == ["PCI DSS v4.0 10.2.1.7"]
    for row, count in zip(coverage["elements"], fig["elements"]):
        assert row["records"] == count, row["element"]
        assert row["share"] == pytest.approx(count / len(records)), row["element"]
    assert coverage["completeRecords"] == fig["complete"]
    assert coverage["completeShare"] == pytest.approx(fig["complete"] / len(records))
    soc2, hipaa = coverage["otherFrameworks"]
    assert soc2["met"] is False and soc2["evidence"]["systemObjectChanges"] is False
    assert soc2["evidence"]["failureRecords"] == sum(
        r.get("outcome") in FAILURES for r in records
    )
    assert hipaa["met"] is True

    validation = data["validation"]
    assert validation["passed"] == fig["passed"]
    assert validation["failed"] == len(records) - fig["passed"]
    assert validation["withWarnings"] == fig["withWarnings"]
    assert {r["rule"]: (r["violations"], r["records"], r["level"]) for r in validation["rules"]} == fig["rules"]
    assert {c["clause"]: c["violations"] for c in validation["clauses"]} == fig["clauses"]
    assert _rows(validation["findings"], "kind", "field") == fig["findings"]
    assert fig["findings"], "the generator puts card numbers in messages"
    worst = validation["worst"]
    assert 0 < len(worst) <= 20
    assert all("4111" not in json.dumps(w) for w in worst)

    activity = data["activity"]
    assert _rows(activity["byEventType"], "eventType") == {(k,): v for k, v in fig["byEventType"].items()}
    assert _rows(activity["byOutcome"], "outcome") == {(k,): v for k, v in fig["byOutcome"].items()}
    assert {d["day"]: (d["success"], d["failure"], d["other"]) for d in activity["overTime"]} == fig["overTime"]
    assert _rows(activity["failedByActor"], "actor") == {(k,): v for k, v in fig["failedByActor"].items()}
    assert _rows(activity["failedByResource"], "resource") == {
        (k,): v for k, v in fig["failedByResource"].items()
    }
    assert _rows(activity["privilegeUseByActor"], "actor") == {
        (k,): v for k, v in fig["privilegeUseByActor"].items()
    }
    agents = data["agents"]
    assert _rows(agents["toolInvocations"], "agent", "tool", "outcome") == fig["tools"]
    assert _rows(agents["delegations"], "from", "to", "outcome") == fig["delegations"]
    assert _rows(agents["guardrails"], "agent", "outcome") == fig["guardrails"]

    rp = data["reproducibility"]
    assert rp["since"] == SINCE and rp["until"] == UNTIL
    assert rp["inputHash"].startswith("sha256:") and str(len(records)) in rp["inputHashCovers"]
    assert data["profiles"] == ["baseline", "pci"]


def test_the_data_is_what_complog_report_writes(ledger, complog):
    args = ["report", str(ledger / "L"), "--profile", "pci", "--since", SINCE, "--format", "json"]
    cli = json.loads(complog(args))
    ours = lcl.report(str(ledger / "L"), profiles=["pci"], since=SINCE)
    for d in (cli, ours):
        del d["reproducibility"]["command"]
    assert ours == cli
    # The same page, from the same template.
    html = lcl.report(ledger / "L", profiles="pci", since=SINCE, format="html")
    assert html.startswith("<!DOCTYPE html>") and 'id="coverage"' in html
    assert lcl.render_report_html(lcl.report(ledger / "L", profiles="pci", since=SINCE)) == html


def test_a_tampered_ledger_names_its_first_bad_record(ledger):
    path = ledger / "L" / "entries.ldpb"
    data = bytearray(path.read_bytes())
    # Record 7's message text ("record 7" unless the generator put a card
    # there): change one byte of it, so it still decodes but no longer hashes.
    at = data.index(b"00000000-0000-4000-8000-000000000007")
    data[at + 3] ^= 0x01
    path.write_bytes(bytes(data))
    report = lcl.report(ledger / "L", profiles="pci")
    assert report["integrity"]["verified"] is False
    assert report["integrity"]["error"]["code"] == "TAMPERED"
    assert report["integrity"]["error"]["index"] == 7
    html = lcl.report(ledger / "L", profiles="pci", format="html")
    alert = html.index("INTEGRITY FAILED")
    assert "first bad record is index 7" in html[alert:]
    assert alert < html.index('id="scope"'), "before every other section"


def test_entries_in_memory_cannot_show_integrity_and_match_a_file(tmp_path, complog):
    records = _records(120, seed=7)
    entries = [lcl.from_json(json.dumps(r)) for r in records]
    data = lcl.report(iter(entries), profiles="soc2")
    assert data["integrity"]["kind"] == "files" and data["integrity"]["verified"] is None
    assert data["scope"]["records"] == 120
    assert data["reproducibility"]["inputs"] == ["<120 records>"]
    # The same records, as bytes, give the same report.
    assert lcl.report([e.SerializeToString() for e in entries], profiles="soc2") == data
    # And complog reads the same figures from a JSON Lines file of them.
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    cli = json.loads(complog(["report", str(tmp_path / "in.jsonl"), "--profile", "soc2", "--format", "json"]))
    for d in (cli, data):
        del d["reproducibility"]["command"], d["reproducibility"]["inputs"]
    assert data == cli
    html = lcl.report(entries, format="html")
    assert "integrity cannot be shown" in html


def test_bad_arguments_are_errors(ledger):
    with pytest.raises(lcl.ComplianceLogError) as err:
        lcl.report(ledger / "L", profiles="pcii")
    assert err.value.code == "UNKNOWN_PROFILE"
    with pytest.raises(lcl.ComplianceLogError) as err:
        lcl.report(ledger / "L", since="last tuesday")
    assert err.value.code == "BAD_TIME"
    with pytest.raises(lcl.ComplianceLogError):
        lcl.report(ledger)  # a directory, but not a ledger
    with pytest.raises(lcl.DecodeError) as err:
        lcl.report([lcl.LogEntry().SerializeToString(), b"\xff\xff"])
    assert err.value.index == 1
    with pytest.raises(TypeError):
        lcl.report([42])
    with pytest.raises(ValueError):
        lcl.report(ledger / "L", format="pdf")  # type: ignore[call-overload]


def test_a_ledger_is_verified_with_the_key_given(ledger):
    good = lcl.report(ledger / "L", key=ledger / "audit.pub")
    assert good["integrity"]["verified"] is True
    _, other = lcl.Ledger.keygen("example.com/audit")
    (ledger / "other.pub").write_text(other + "\n")
    bad = lcl.report(ledger / "L", key=str(ledger / "other.pub"))
    assert bad["integrity"]["verified"] is False
    assert bad["integrity"]["checkpoint"]["signature"].startswith("invalid")
