"""The OCSF Parquet tree `complog export --to ocsf-parquet` wrote (Amazon
Security Lake's custom-source layout), read by DuckDB: one OCSF class per
source folder, partitioned region=/accountId=/eventDay=YYYYMMDD/, rows sorted
by time in every file, zstd, and the same answers as the OCSF JSON events.

`cargo xtask test` (step "exports") sets LOKRYN_LAKE (the folder, written for
region eu-west-1 and account 123456789012) and LOKRYN_OCSF_EVENTS.
"""

from __future__ import annotations

import collections
import datetime
import json
import os
from pathlib import Path

import duckdb
import pytest

REGION, ACCOUNT = "eu-west-1", "123456789012"


@pytest.fixture(scope="module")
def lake() -> Path:
    return Path(os.environ["LOKRYN_LAKE"])


@pytest.fixture(scope="module")
def events() -> list[dict]:
    text = Path(os.environ["LOKRYN_OCSF_EVENTS"]).read_text()
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def files(lake: Path) -> list[Path]:
    found = sorted(lake.rglob("*.parquet"))
    assert found
    return found


def test_layout_is_one_class_per_source_and_partitioned(lake):
    for path in files(lake):
        source, region, account, day = path.relative_to(lake).parts[:4]
        assert (region, account) == (f"region={REGION}", f"accountId={ACCOUNT}")
        assert day.startswith("eventDay=") and len(day) == len("eventDay=") + 8
        classes = duckdb.sql(f"select distinct class_uid from read_parquet('{path}')").fetchall()
        assert len(classes) == 1
        assert source.endswith(f"_{classes[0][0]}")
        times = [t for (t,) in duckdb.sql(f"select time from read_parquet('{path}')").fetchall()]
        assert times == sorted(times)
        for (t,) in duckdb.sql(f"select distinct time from read_parquet('{path}')").fetchall():
            date = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=t)
            assert date.strftime("%Y%m%d").rjust(8, "0") == day.removeprefix("eventDay=")


def test_zstd_everywhere(lake):
    codecs = duckdb.sql(
        f"select distinct compression from parquet_metadata('{lake}/*/*/*/*/*.parquet')"
    ).fetchall()
    assert codecs == [("ZSTD",)]


def test_same_answers_as_the_json_events(lake, events):
    rows = duckdb.sql(
        f"select class_uid, severity_id, count(*) from read_parquet('{lake}/*/*/*/*/*.parquet', "
        "union_by_name=true) group by all"
    ).fetchall()
    expected = collections.Counter((e["class_uid"], e["severity_id"]) for e in events)
    assert {(c, s): n for c, s, n in rows} == dict(expected)
    (actors,) = duckdb.sql(
        f"select count(distinct actor.user.uid) from read_parquet('{lake}/api_activity_6003/*/*/*/*.parquet', "
        "union_by_name=true)"
    ).fetchall()
    assert actors[0] == len({e["actor"]["user"]["uid"] for e in events
                              if e["class_uid"] == 6003 and "user" in e.get("actor", {})})


def test_unmapped_is_a_map_of_strings(lake):
    kinds = duckdb.sql(
        f"select distinct typeof(unmapped) from read_parquet('{lake}/api_activity_6003/*/*/*/*.parquet', "
        "union_by_name=true)"
    ).fetchall()
    assert kinds == [("MAP(VARCHAR, VARCHAR)",)]
