//! The export steps: `complog export` over every golden vector and example,
//! checked by tools we did not write.
//!
//! * OCSF 1.7.0: the events are validated by pydantic-ocsf 3.0.0's models and,
//!   strictly, against the OCSF 1.7.0 schema JSON it bundles
//!   (`tests/exports/test_ocsf.py`).
//! * Parquet: DuckDB reads the flat file and answers filters and group-bys
//!   as our own records do (`tests/exports/test_parquet.py`), and reads the
//!   OCSF Security Lake tree (`tests/exports/test_security_lake.py`); Apache
//!   Spark (the `pyspark` wheel, one local session on the machine's JDK, in
//!   a venv of its own, cached: it is large) reads both with the same schema
//!   and rows as DuckDB and the same answers (`tests/exports/spark_check.py`).
//!   DuckDB also recomputes, in SQL over the Parquet export of a generated
//!   ledger, the figures of that ledger's evidence report
//!   (`tests/exports/test_report.py`).
//! * OpenTelemetry: a real OpenTelemetry Collector, built offline from the Go
//!   module proxy with the collector builder (core modules only, manifest
//!   `tests/exports/otelcol/builder.yaml`) and cached in the tools directory,
//!   receives our OTLP/HTTP, protobuf and JSON, and forwards it with
//!   `otlphttp` to a test receiver that checks exactly our records arrived
//!   (`tests/exports/collector_roundtrip.py`). The same collector is stopped
//!   and started again under the audit logger's `Otlp` sink
//!   (`crates/lokryn-logger/tests/collector.rs`): every record arrives once
//!   or is reported dropped, and the queue bound holds.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::Runner;
use super::python::ensure_venv_in;
use super::rust::complog_bin;
use crate::util::{cargo, root, run, stamp_matches, target_dir, tools_dir, write_stamp};

/// The collector builder and the core modules it builds, one release.
const COLLECTOR_BUILDER: &str = "go.opentelemetry.io/collector/cmd/builder@v0.165.0";

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    let python = r.step("exports: venv (pydantic-ocsf, opentelemetry-proto)", || {
        ensure_venv_in(
            &tools_dir().join("exports-venv"),
            &root().join("tests/exports/requirements.txt"),
        )
    })?;
    let out = target_dir().join("exports");
    r.step(
        "exports: complog export over the vectors and examples",
        || export_all(&out),
    )?;
    r.step(
        "exports: OCSF 1.7.0 validation, Parquet in DuckDB, 0.2.0 import (pytest tests/exports)",
        || {
            run(Command::new(&python)
                .current_dir(root().join("tests/exports"))
                .env("LOKRYN_OCSF_EVENTS", out.join("ocsf.jsonl"))
                .env("LOKRYN_OCSF_VERDICTS", out.join("verdicts.jsonl"))
                .env("LOKRYN_PARQUET", out.join("flat.parquet"))
                .env("LOKRYN_RECORDS", out.join("records.jsonl"))
                .env("LOKRYN_LAKE", out.join("lake"))
                .env("LOKRYN_COMPLOG", complog_bin())
                .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "."]))
        },
    )?;
    let spark = r.step("exports: venv for Spark (pyspark, cached)", || {
        ensure_venv_in(
            &tools_dir().join("spark-venv"),
            &root().join("tests/exports/requirements-spark.txt"),
        )
    })?;
    r.step(
        "exports: Parquet in Apache Spark (pytest tests/exports/spark_check.py)",
        || {
            run(Command::new(&spark)
                .current_dir(root().join("tests/exports"))
                .env("LOKRYN_OCSF_EVENTS", out.join("ocsf.jsonl"))
                .env("LOKRYN_PARQUET", out.join("flat.parquet"))
                .env("LOKRYN_RECORDS", out.join("records.jsonl"))
                .env("LOKRYN_LAKE", out.join("lake"))
                // Spark's Python workers and its datetimes in UTC.
                .env("TZ", "UTC")
                .args([
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "spark_check.py",
                ]))
        },
    )?;
    let collector = r.step(
        "exports: OpenTelemetry Collector (builder, cached)",
        ensure_collector,
    )?;
    r.step("exports: OTLP/HTTP through the collector", || {
        run(Command::new(&python)
            .current_dir(root())
            .arg("tests/exports/collector_roundtrip.py")
            .arg(&collector)
            .arg(out.join("otlp.binpb"))
            .arg(out.join("otlp.jsonl")))
    })?;
    r.step(
        "exports: the logger's Otlp sink, collector stopped and restarted",
        || {
            run(cargo()
                .current_dir(root())
                .env("LOKRYN_OTELCOL", &collector)
                .args([
                    "test",
                    "--locked",
                    "-p",
                    "lokryn-logger",
                    "--test",
                    "collector",
                ])
                .args(["--", "--ignored"]))
        },
    )?;
    Ok(())
}

/// The inputs: every golden vector's JSON twin (the binary twins hold the
/// same records) and every example, good and bad (unreadable entries are
/// skipped by the export and by the verdicts alike).
fn inputs() -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> =
        crate::util::files_under(&root().join("tests/vectors/wire"), ".json")?
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n != "manifest.json"))
            .collect();
    files.extend(crate::util::files_under(&root().join("examples"), "")?);
    Ok(files)
}

fn export_all(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let inputs = inputs()?;
    let complog = complog_bin();
    // A fixed observed time keeps the output reproducible.
    let observed = "1764547200000000000";
    for (to, file) in [
        ("ocsf", "ocsf.jsonl"),
        ("otlp", "otlp.binpb"),
        ("otlp-json", "otlp.jsonl"),
        ("ecs", "ecs.jsonl"),
        ("parquet", "flat.parquet"),
    ] {
        // Exit code 1: the bad examples hold unreadable entries, skipped.
        let status = Command::new(&complog)
            .args([
                "export",
                "--quiet",
                "--batch",
                "16",
                "--observed-time-ns",
                observed,
                "--to",
                to,
                "-o",
            ])
            .arg(out.join(file))
            .args(&inputs)
            .stderr(std::process::Stdio::null())
            .status()
            .with_context(|| format!("running {}", complog.display()))?;
        anyhow::ensure!(
            status.code() == Some(1) || status.success(),
            "complog export --to {to}: {status}"
        );
    }
    let lake = out.join("lake");
    if lake.exists() {
        std::fs::remove_dir_all(&lake)?;
    }
    let status = Command::new(&complog)
        .args([
            "export",
            "--quiet",
            "--observed-time-ns",
            observed,
            "--to",
            "ocsf-parquet",
        ])
        .args([
            "--region",
            "eu-west-1",
            "--account-id",
            "123456789012",
            "-o",
        ])
        .arg(&lake)
        .args(&inputs)
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(
        status.code() == Some(1) || status.success(),
        "complog export --to ocsf-parquet: {status}"
    );
    let status = Command::new(&complog)
        .args(["convert", "--to", "jsonl", "-o"])
        .arg(out.join("records.jsonl"))
        .args(&inputs)
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(
        status.code() == Some(1) || status.success(),
        "complog convert: {status}"
    );
    let verdicts = Command::new(&complog)
        .args(["validate", "--format", "json", "--exit-zero"])
        .args(&inputs)
        .stderr(std::process::Stdio::null())
        .output()?;
    anyhow::ensure!(
        verdicts.status.success(),
        "complog validate: {}",
        verdicts.status
    );
    std::fs::write(out.join("verdicts.jsonl"), verdicts.stdout)?;
    Ok(())
}

/// Builds the collector once per manifest (cached under the tools
/// directory) and returns its path.
fn ensure_collector() -> Result<PathBuf> {
    let dir = tools_dir().join("otelcol");
    let dist = dir.join("dist");
    let binary = dist.join("otelcol-lokryn");
    let manifest = std::fs::read_to_string(root().join("tests/exports/otelcol/builder.yaml"))?
        .replace("OUTPUT_PATH", &dist.to_string_lossy());
    let stamp = dir.join(".lokryn-stamp");
    let wanted = format!("{COLLECTOR_BUILDER}\n{manifest}");
    if binary.exists() && stamp_matches(&stamp, &wanted) {
        eprintln!("{} is up to date", binary.display());
        return Ok(binary);
    }
    std::fs::create_dir_all(&dir)?;
    let gobin = dir.join("bin");
    run(Command::new("go")
        .current_dir(&dir)
        .env("GOBIN", &gobin)
        .args(["install", COLLECTOR_BUILDER]))?;
    let config = dir.join("builder.yaml");
    std::fs::write(&config, &manifest)?;
    run(Command::new(gobin.join("builder"))
        .current_dir(&dir)
        .arg("--config")
        .arg(&config))?;
    write_stamp(&stamp, &wanted)?;
    Ok(binary)
}
