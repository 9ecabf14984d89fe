"""The Parquet file `complog export --to parquet` wrote from every golden
vector and example, read by DuckDB (the PyPI wheel): the same filters and
group-bys give the same answers over it as over our own records (the canonical
JSON Lines `complog convert` wrote from the same inputs).

`cargo xtask test` (step "exports") sets LOKRYN_PARQUET and LOKRYN_RECORDS.
"""

from __future__ import annotations

import base64
import collections
import datetime
import json
import os
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def records() -> list[dict]:
    text = Path(os.environ["LOKRYN_RECORDS"]).read_text()
    return [json.loads(line) for line in text.split("\n") if line.strip()]


@pytest.fixture(scope="module")
def table() -> str:
    return f"read_parquet('{os.environ['LOKRYN_PARQUET']}')"


def test_one_row_per_record(records, table):
    ((count,),) = duckdb.sql(f"select count(*) from {table}").fetchall()
    assert count == len(records) > 100


def test_failures_by_event_type(records, table):
    rows = duckdb.sql(
        f"select event_type, count(*) from {table} "
        "where outcome is not null and outcome <> 'OUTCOME_SUCCESS' group by 1"
    ).fetchall()
    # An event type the schema does not define is its number (text in Parquet).
    expected = collections.Counter(
        None if r.get("eventType") is None else str(r["eventType"])
        for r in records
        if r.get("outcome") not in (None, "OUTCOME_SUCCESS")
    )
    assert dict(rows) == dict(expected)
    assert sum(expected.values()) > 5


def test_tokens_by_actor_and_provider(records, table):
    rows = duckdb.sql(
        f"select actor_id, genai_provider_name, sum(genai_input_tokens), sum(genai_output_tokens) "
        f"from {table} where genai_input_tokens is not null group by 1, 2"
    ).fetchall()
    expected: dict = collections.defaultdict(lambda: [0, 0])
    for r in records:
        genai = r.get("genai") or {}
        if "inputTokens" in genai:
            key = (r.get("actorId"), genai.get("providerName"))
            expected[key][0] += int(genai["inputTokens"])
            expected[key][1] += int(genai.get("outputTokens", 0))
    got = {(a, p): [i, o or 0] for a, p, i, o in rows}
    assert got == dict(expected)


def test_times_and_payloads_are_exact(records, table):
    # DuckDB keeps a file's row order: row i is record i.
    rows = duckdb.sql(f"select time, time_nanos, payload, policy_tags from {table}").fetchall()
    assert len(rows) == len(records)
    timed = 0
    for (time, nanos, payload, tags), record in zip(rows, records):
        if "time" in record and not record["time"].startswith(("0001", "9999")):
            timed += 1
            text = record["time"]
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            assert time.replace(microsecond=0) == parsed.replace(microsecond=0)
            fraction = text.split(".")[1].rstrip("Z") if "." in text else ""
            assert nanos == int((fraction + "000000000")[:9])
        assert payload == (base64.b64decode(record["payload"]) if "payload" in record else None)
        assert tags == (record.get("policyTags") or None)
    assert timed > 20


def test_every_field_has_a_column(table):
    columns = {name for name, *_ in duckdb.sql(f"describe select * from {table}").fetchall()}
    for name in ("event_type", "actor_id", "time", "genai_request_model", "mcp_method_name",
                 "producer_name", "delegation_chain", "payload_format"):
        assert name in columns
