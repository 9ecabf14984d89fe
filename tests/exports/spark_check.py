"""Our Parquet files read by Apache Spark (the `pyspark` wheel, one local
session on the machine's JDK): the flat file `complog export --to parquet`
wrote and the OCSF tree of `--to ocsf-parquet` (Amazon Security Lake's
custom-source layout, partitions discovered from the folder names as Spark,
Athena and Glue do). Spark must see the same schema and the same rows as
DuckDB (tests/exports/test_parquet.py and test_security_lake.py check DuckDB
against our own records), and the same filters and group-bys must give the
same answers as over our records.

`cargo xtask test --exports` runs it (step "exports: Parquet in Apache
Spark") with LOKRYN_PARQUET, LOKRYN_RECORDS and LOKRYN_LAKE set.
"""

from __future__ import annotations

import collections
import json
import math
import os
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

REGION, ACCOUNT = "eu-west-1", "123456789012"


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[1]")
        .appName("lokryn-parquet-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        # Partition values as the folder names say them (eventDay=20251128 is
        # a day, not a number), as Security Lake's tables declare them.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.driver.memory", "512m")
        # A few hundred rows: compiling query code costs more than it saves.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    text = Path(os.environ["LOKRYN_RECORDS"]).read_text()
    return [json.loads(line) for line in text.split("\n") if line.strip()]


@pytest.fixture(scope="module")
def flat() -> str:
    return os.environ["LOKRYN_PARQUET"]


@pytest.fixture(scope="module")
def lake() -> Path:
    return Path(os.environ["LOKRYN_LAKE"])


# --- schema: Spark's and DuckDB's types, in one vocabulary -----------------

SPARK_SCALARS = {
    T.StringType: "string",
    T.BinaryType: "binary",
    T.IntegerType: "int32",
    T.LongType: "int64",
    T.DoubleType: "double",
    T.BooleanType: "bool",
    T.TimestampType: "timestamp",
}

DUCKDB_SCALARS = {
    "VARCHAR": "string",
    "BLOB": "binary",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "DOUBLE": "double",
    "BOOLEAN": "bool",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
}


def spark_type(t: T.DataType) -> Any:
    if isinstance(t, T.StructType):
        return ("struct", tuple((f.name, spark_type(f.dataType)) for f in t.fields))
    if isinstance(t, T.ArrayType):
        return ("list", spark_type(t.elementType))
    if isinstance(t, T.MapType):
        return ("map", spark_type(t.keyType), spark_type(t.valueType))
    for cls, name in SPARK_SCALARS.items():
        if isinstance(t, cls):
            return name
    raise AssertionError(f"Spark type {t!r} is not one our files use")


def duckdb_type(t: duckdb.typing.DuckDBPyType) -> Any:
    kind = t.id
    if kind == "struct":
        return ("struct", tuple((name, duckdb_type(child)) for name, child in t.children))
    if kind == "list":
        return ("list", duckdb_type(t.child))
    if kind == "map":
        return ("map", duckdb_type(t.key), duckdb_type(t.value))
    name = DUCKDB_SCALARS.get(str(t))
    assert name is not None, f"DuckDB type {t} is not one our files use"
    return name


def same_schema(df: DataFrame, rel: duckdb.DuckDBPyRelation) -> list[tuple[str, Any]]:
    spark_schema = [(f.name, spark_type(f.dataType)) for f in df.schema.fields]
    duck_schema = [(name, duckdb_type(t)) for name, t in zip(rel.columns, rel.types)]
    assert spark_schema == duck_schema
    return spark_schema


# --- rows: both engines' values, in one form -------------------------------


def plain(value: Any, kind: Any) -> Any:
    """A value as JSON-ready data, guided by its column type (both engines
    hand back structs, maps, bytes and doubles in their own shapes)."""
    if value is None:
        return None
    if isinstance(kind, tuple) and kind[0] == "struct":
        get = value.__getitem__
        return {name: plain(get(name), k) for name, k in kind[1]}
    if isinstance(kind, tuple) and kind[0] == "list":
        return [plain(v, kind[1]) for v in value]
    if isinstance(kind, tuple) and kind[0] == "map":
        if isinstance(value, dict) and set(value) == {"key", "value"} and isinstance(value["key"], list):
            value = dict(zip(value["key"], value["value"]))
        return {str(k): plain(v, kind[2]) for k, v in dict(value).items()}
    if kind == "binary":
        return bytes(value).hex()
    if kind == "double" and isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def spark_rows(df: DataFrame, schema: list[tuple[str, Any]]) -> list[str]:
    return sorted(
        json.dumps([plain(row[i], kind) for i, (_, kind) in enumerate(schema)], sort_keys=True)
        for row in df.collect()
    )



def duckdb_rows(rel: duckdb.DuckDBPyRelation, schema: list[tuple[str, Any]]) -> list[str]:
    return sorted(
        json.dumps([plain(v, kind) for v, (_, kind) in zip(row, schema)], sort_keys=True)
        for row in rel.fetchall()
    )


def with_micros(df: DataFrame, schema: list[tuple[str, Any]]) -> DataFrame:
    """Timestamps as microseconds since the epoch (each engine's datetime
    objects carry its own time zone conventions)."""
    for name, kind in schema:
        if kind == "timestamp":
            df = df.withColumn(name, F.unix_micros(F.col(name)))
    return df


def duck_micros(rel: duckdb.DuckDBPyRelation, schema: list[tuple[str, Any]]) -> duckdb.DuckDBPyRelation:
    columns = [f"epoch_us({n}) as {n}" if k == "timestamp" else f'"{n}"' for n, k in schema]
    return rel.project(", ".join(columns))


# --- the flat layout -----------------------------------------------------


def test_flat_file_same_schema_and_rows_as_duckdb(spark, flat):
    df = spark.read.parquet(flat)
    rel = duckdb.read_parquet(flat)
    schema = same_schema(df, rel)
    assert ("time", "timestamp") in schema and ("policy_tags", ("list", "string")) in schema
    scalar = [(n, "int64" if k == "timestamp" else k) for n, k in schema]
    spark_side = spark_rows(with_micros(df, schema), scalar)
    duck_side = duckdb_rows(duck_micros(rel, schema), scalar)
    assert len(spark_side) > 100
    assert spark_side == duck_side


def test_flat_file_answers_as_our_records(spark, flat, records):
    spark.read.parquet(flat).createOrReplaceTempView("flat")
    failures = spark.sql(
        "select event_type, count(*) from flat "
        "where outcome is not null and outcome <> 'OUTCOME_SUCCESS' group by 1"
    ).collect()
    expected = collections.Counter(
        None if r.get("eventType") is None else str(r["eventType"])
        for r in records
        if r.get("outcome") not in (None, "OUTCOME_SUCCESS")
    )
    assert {row[0]: row[1] for row in failures} == dict(expected)
    assert sum(expected.values()) > 5

    tokens = spark.sql(
        "select actor_id, genai_provider_name, sum(genai_input_tokens), sum(genai_output_tokens) "
        "from flat where genai_input_tokens is not null group by 1, 2"
    ).collect()
    want: dict = collections.defaultdict(lambda: [0, 0])
    for r in records:
        genai = r.get("genai") or {}
        if "inputTokens" in genai:
            key = (r.get("actorId"), genai.get("providerName"))
            want[key][0] += int(genai["inputTokens"])
            want[key][1] += int(genai.get("outputTokens", 0))
    assert {(a, p): [i, o or 0] for a, p, i, o in tokens} == dict(want)
    assert want


# --- the Security Lake layout ----------------------------------------------


def sources(lake: Path) -> list[Path]:
    found = sorted(p for p in lake.iterdir() if p.is_dir())
    assert found
    return found


@pytest.fixture(scope="module")
def lake_tables(spark, lake) -> list[tuple[Path, DataFrame, list]]:
    """Each class folder read once: one table, its partitions (region,
    accountId, eventDay) discovered from the folder names."""
    tables = []
    for source in sources(lake):
        df = spark.read.option("mergeSchema", "true").parquet(str(source))
        tables.append((source, df, df.collect()))
    return tables


def test_security_lake_tree_same_schema_and_rows_as_duckdb(lake_tables):
    for source, df, rows in lake_tables:
        assert df.columns[-3:] == ["region", "accountId", "eventDay"], source.name
        assert {r.region for r in rows} == {REGION}
        assert {r.accountId for r in rows} == {ACCOUNT}
        assert all(len(r.eventDay) == 8 and r.eventDay.isdigit() for r in rows)

        rel = duckdb.sql(
            f"select * from read_parquet('{source}/*/*/*/*.parquet', union_by_name=true, "
            "hive_partitioning=true, hive_types_autocast=false)"
        )
        # The partition columns in Spark's order (DuckDB has its own).
        rel = rel.project(", ".join(f'"{c}"' for c in df.columns))
        schema = same_schema(df, rel)
        if any(n == "unmapped" for n, _ in schema):
            assert ("unmapped", ("map", "string", "string")) in schema
        spark_side = sorted(
            json.dumps([plain(row[i], kind) for i, (_, kind) in enumerate(schema)], sort_keys=True)
            for row in rows
        )
        assert spark_side == duckdb_rows(rel, schema), source.name


def test_security_lake_answers_as_the_json_events(lake_tables):
    events = [
        json.loads(line)
        for line in Path(os.environ["LOKRYN_OCSF_EVENTS"]).read_text().split("\n")
        if line.strip()
    ]
    counts = collections.Counter(
        (row.class_uid, row.severity_id) for _, _, rows in lake_tables for row in rows
    )
    assert counts == collections.Counter((e["class_uid"], e["severity_id"]) for e in events)
