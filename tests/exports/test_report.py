"""The evidence report's figures, recomputed by DuckDB over our Parquet export.

A ledger of generated records is reported (`complog report --format json`)
and exported (`complog export --to parquet`) by complog; DuckDB (the PyPI
wheel) then answers, in SQL over the Parquet file alone, every count the
report gives that the records' columns determine: the period, the records by
event type, outcome and day, the failures by actor and resource, privilege
use, the seven PCI DSS 10.2.1 categories (records, complete records, the
missing ones), the 10.2.2 elements, the agents' tool calls and guardrail
checks. Two implementations (the report's aggregation, and the Parquet
writer plus SQL) must agree on each. tests/python/test_report.py checks the
validation figures against plain Python.

`cargo xtask test` (step "exports") sets LOKRYN_COMPLOG.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import duckdb
import pytest

TYPES = [
    "EVENT_LOGIN",
    "EVENT_FILE_ACCESS",
    "EVENT_RESOURCE_READ",
    "EVENT_PRIVILEGE_USE",
    "EVENT_USER_MANAGEMENT",
    "EVENT_POLICY_CHANGE",
    "EVENT_RESOURCE_ACCESS",
    "EVENT_TOOL_INVOCATION",
    "EVENT_GUARDRAIL_CHECK",
    "EVENT_DATA_EXPORT",
    "EVENT_LOGOUT",
]
OUTCOMES = [
    "OUTCOME_SUCCESS",
    "OUTCOME_FAILURE_DENIED",
    "OUTCOME_FAILURE_UNAUTHORIZED",
    "OUTCOME_FAILURE_ERROR",
    "OUTCOME_PARTIAL",
    None,
]
SINCE, UNTIL = "2026-05-03T00:00:00Z", "2026-05-09T00:00:00Z"


def records(n: int) -> list[dict]:
    """No process start or stop: 10.2.1.6 is missing."""
    rnd = random.Random(2026)
    out = []
    for i in range(n):
        t = rnd.choice(TYPES)
        e: dict = {
            "eventType": t,
            "severity": "SEVERITY_NOTICE",
            "actorId": rnd.choice(["alice@example.com", "bob@example.com", "svc-backup", ""]),
            "component": rnd.choice(["billing", "audit-store", ""]),
            "resource": rnd.choice(["cardholder/db", "audit/trail", "r1", ""]),
            "message": f"record {i}",
            "eventId": f"00000000-0000-4000-8000-{i:012}",
        }
        outcome = rnd.choice(OUTCOMES)
        if outcome:
            e["outcome"] = outcome
        if rnd.random() > 0.05:
            e["time"] = f"2026-05-{rnd.randrange(1, 11):02}T{rnd.randrange(24):02}:{rnd.randrange(60):02}:07Z"
        if rnd.random() > 0.3:
            e[rnd.choice(["host", "sourceIp"])] = rnd.choice(["web-1.example.com", "203.0.113.9"])
        if t in ("EVENT_TOOL_INVOCATION", "EVENT_GUARDRAIL_CHECK"):
            e["genai"] = {"agentName": rnd.choice(["planner", "coder"]), "toolName": rnd.choice(["search", "sql"])}
        out.append({k: v for k, v in e.items() if v != ""})
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    complog = os.environ.get("LOKRYN_COMPLOG")
    if not complog:
        pytest.skip("LOKRYN_COMPLOG is not set; run through `cargo xtask test`")
    d: Path = tmp_path_factory.mktemp("report")

    def run(*args: str) -> bytes:
        done = subprocess.run([complog, *args], cwd=d, capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    (d / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records(2000)))
    private = run("ledger", "keygen", "example.com/audit").decode().splitlines()[0]
    (d / "audit.key").write_text(private + "\n")
    run("ledger", "init", "L", "--key", "audit.key")
    run("ledger", "append", "L", "in.jsonl", "--allow-invalid")
    run("export", "--to", "parquet", "L", "-o", "L.parquet")
    report = json.loads(run("report", "L", "--profile", "pci", "--since", SINCE, "--until", UNTIL, "--format", "json"))
    db = duckdb.connect()
    db.sql("SET TimeZone = 'UTC'")
    db.sql(
        f"create view r as select * from read_parquet('{d / 'L.parquet'}') "
        f"where time >= TIMESTAMPTZ '{SINCE}' and time < TIMESTAMPTZ '{UNTIL}'"
    )
    return report, db


def one(db, sql: str):
    ((value,),) = db.sql(sql).fetchall()
    return value


def table(db, sql: str) -> dict:
    return {row[:-1] if len(row) > 2 else row[0]: row[-1] for row in db.sql(sql).fetchall()}


def rows(report_rows: list, *keys: str) -> dict:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r["count"] for r in report_rows}


NONEMPTY = "coalesce({}, '') <> ''"
ACCESS = "event_type in ('EVENT_FILE_ACCESS', 'EVENT_RESOURCE_ACCESS', 'EVENT_RESOURCE_READ', 'EVENT_DATA_EXPORT')"
AUDIT = "(lower(coalesce(resource, '')) like '%audit%' or lower(coalesce(component, '')) like '%audit%')"
CATEGORIES = [
    ACCESS,
    "event_type = 'EVENT_PRIVILEGE_USE'",
    f"{ACCESS} and {AUDIT}",
    "outcome in ('OUTCOME_FAILURE_UNAUTHORIZED', 'OUTCOME_FAILURE_DENIED')",
    "event_type = 'EVENT_USER_MANAGEMENT'",
    "event_type in ('EVENT_PROCESS_START', 'EVENT_PROCESS_STOP')",
    "event_type in ('EVENT_CONFIG_CHANGE', 'EVENT_POLICY_CHANGE')",
]
ELEMENTS = [
    NONEMPTY.format("actor_id"),
    "event_type is not null",
    "time is not null",
    "outcome is not null",
    f"({NONEMPTY.format('source_ip')} or {NONEMPTY.format('host')})",
    f"({NONEMPTY.format('resource')} or {NONEMPTY.format('component')})",
]
COMPLETE = " and ".join(ELEMENTS)
FAILED = "outcome in ('OUTCOME_FAILURE_UNAUTHORIZED', 'OUTCOME_FAILURE_DENIED', 'OUTCOME_FAILURE_ERROR')"
LABEL = "coalesce(nullif({}, ''), '(none)')"


def test_scope(made):
    report, db = made
    n = one(db, "select count(*) from r")
    assert report["scope"]["records"] == n and 0 < n < 2000
    first, last = db.sql("select min(time), max(time) from r").fetchall()[0]
    assert report["scope"]["first"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert report["scope"]["last"] == last.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_coverage(made):
    report, db = made
    n = one(db, "select count(*) from r")
    missing = []
    for row, where in zip(report["coverage"]["categories"], CATEGORIES):
        count = one(db, f"select count(*) from r where {where}")
        complete = one(db, f"select count(*) from r where ({where}) and {COMPLETE}")
        assert (row["records"], row["complete"], row["present"]) == (count, complete, count > 0), row["clause"]
        assert row["completeShare"] == (None if count == 0 else pytest.approx(complete / count))
        if count == 0:
            missing.append(row["clause"])
    assert report["coverage"]["missing"] == missing == ["PCI DSS v4.0 10.2.1.6"]
    for row, where in zip(report["coverage"]["elements"], ELEMENTS):
        count = one(db, f"select count(*) from r where {where}")
        assert (row["records"], row["share"]) == (count, pytest.approx(count / n)), row["element"]
    complete = one(db, f"select count(*) from r where {COMPLETE}")
    assert report["coverage"]["completeRecords"] == complete > 0
    assert report["coverage"]["completeShare"] == pytest.approx(complete / n)


def test_activity(made):
    report, db = made
    activity = report["activity"]
    assert rows(activity["byEventType"], "eventType") == table(db, "select event_type, count(*) from r group by 1")
    assert rows(activity["byOutcome"], "outcome") == table(
        db, "select coalesce(outcome, 'OUTCOME_UNSPECIFIED'), count(*) from r group by 1"
    )
    days = db.sql(
        "select strftime(time, '%Y-%m-%d'), "
        "count(*) filter (where outcome = 'OUTCOME_SUCCESS'), "
        f"count(*) filter (where {FAILED}), "
        f"count(*) filter (where outcome is null or (outcome <> 'OUTCOME_SUCCESS' and not {FAILED})) "
        "from r group by 1"
    ).fetchall()
    assert {d["day"]: (d["success"], d["failure"], d["other"]) for d in activity["overTime"]} == {
        day: (s, f, o) for day, s, f, o in days
    }
    assert rows(activity["failedByActor"], "actor") == table(
        db, f"select {LABEL.format('actor_id')}, count(*) from r where {FAILED} group by 1"
    )
    assert rows(activity["failedByResource"], "resource") == table(
        db, f"select {LABEL.format('resource')}, count(*) from r where {FAILED} group by 1"
    )
    assert rows(activity["privilegeUseByActor"], "actor") == table(
        db, f"select {LABEL.format('actor_id')}, count(*) from r where event_type = 'EVENT_PRIVILEGE_USE' group by 1"
    )


def test_agents(made):
    report, db = made
    agent = LABEL.format("coalesce(nullif(genai_agent_name, ''), nullif(genai_agent_id, ''), actor_id)")
    outcome = "coalesce(outcome, 'OUTCOME_UNSPECIFIED')"
    assert rows(report["agents"]["toolInvocations"], "agent", "tool", "outcome") == table(
        db,
        f"select {agent}, {LABEL.format('genai_tool_name')}, {outcome}, count(*) from r "
        "where event_type = 'EVENT_TOOL_INVOCATION' group by 1, 2, 3",
    )
    assert rows(report["agents"]["guardrails"], "agent", "outcome") == table(
        db, f"select {agent}, {outcome}, count(*) from r where event_type = 'EVENT_GUARDRAIL_CHECK' group by 1, 2"
    )
    assert report["agents"]["toolInvocations"], "the generator makes tool calls"
