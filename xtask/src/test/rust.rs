//! The Rust steps: generated files, formatting, lints, tests.

use std::path::PathBuf;

use anyhow::Result;

use super::Runner;
use crate::util::{cargo, root, run, target_dir};

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    r.step("codegen --check", || crate::codegen::run(true))?;
    lint_steps(r)?;
    r.step("cargo test", || {
        run(cargo()
            .current_dir(root())
            .args(["test", "--workspace", "--locked"]))
    })?;
    // The workspace build leaves out the logger's optional features
    // (`tracing`, `opentelemetry`) and the examples of docs/logging.md,
    // which use them.
    r.step("lokryn-logger with every feature", || {
        run(cargo().current_dir(root()).args([
            "clippy",
            "-p",
            "lokryn-logger",
            "--all-targets",
            "--all-features",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))?;
        run(cargo().current_dir(root()).args([
            "test",
            "-p",
            "lokryn-logger",
            "--all-features",
            "--locked",
        ]))
    })?;
    // complog without Arrow: Parquet targets fail with a clear message.
    r.step("complog without the parquet feature", || {
        run(cargo().current_dir(root()).args([
            "test",
            "-p",
            "complog",
            "--no-default-features",
            "--locked",
            "--test",
            "export",
        ]))
    })?;
    build_complog(r)
}

/// Builds the debug `complog` the other languages' tests run.
pub(crate) fn build_complog(r: &mut Runner) -> Result<()> {
    r.step("build complog (for the other languages' tests)", || {
        run(cargo()
            .current_dir(root())
            .args(["build", "--locked", "-p", "complog"]))
    })
}

/// rustfmt and clippy; also `cargo xtask lint`.
pub(crate) fn lint_steps(r: &mut Runner) -> Result<()> {
    r.step("rustfmt --check", || {
        run(cargo()
            .current_dir(root())
            .args(["fmt", "--all", "--check"]))
    })?;
    r.step("clippy -D warnings", || {
        run(cargo().current_dir(root()).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    })
}

/// The debug `complog` binary the other languages' tests drive.
pub(crate) fn complog_bin() -> PathBuf {
    target_dir()
        .join("debug")
        .join(format!("complog{}", std::env::consts::EXE_SUFFIX))
}
