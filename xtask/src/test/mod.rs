//! `cargo xtask test`: every test of every language, in the order CI runs
//! them, with a timed summary at the end.
//!
//! Each language has its own module contributing steps. Tools that do not
//! need root (a Python virtual environment, npm packages) are installed on
//! first use under the tools directory (see [`crate::util::tools_dir`]);
//! the full run starts by installing the missing system packages (see
//! [`crate::system`]).

pub(crate) mod buf;
mod exports;
mod hygiene;
mod js;
mod langs;
mod ledger;
mod python;
mod rust;

pub(crate) use js::{bin as js_bin, ensure_node_modules};
pub(crate) use langs::VECTORS;
pub(crate) use python::{build_wheel, create_venv, ensure_venv as python_venv};

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// What `cargo xtask test` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Everything (Linux, with the system packages of [`crate::system`]).
    All,
    /// Only the Rust steps (no Python, Node, buf or the generated languages).
    RustOnly,
    /// What every operating system the packages ship for must pass (CI's
    /// macOS and Windows jobs): the Rust steps, the Python wheel and its
    /// tests, the napi addon and the Node suite.
    Portable,
    /// Only the export checks (`complog` and `tests/exports`).
    Exports,
}

/// Runs the steps in order and prints a summary. Stops at the first failure
/// so its output is the last thing on screen.
pub(crate) fn run(scope: Scope) -> Result<()> {
    let mut runner = Runner::default();
    if scope == Scope::Exports {
        rust::build_complog(&mut runner)?;
        exports::steps(&mut runner)?;
        runner.summary();
        return Ok(());
    }
    if scope == Scope::All {
        runner.step(
            "system packages (apt-get, when missing)",
            crate::system::ensure,
        )?;
    }
    rust::steps(&mut runner)?;
    if scope == Scope::Portable {
        js::node_steps(&mut runner)?;
        python::steps(&mut runner)?;
    }
    if scope == Scope::All {
        hygiene::steps(&mut runner)?;
        js::steps(&mut runner)?;
        python::steps(&mut runner)?;
        exports::steps(&mut runner)?;
        buf::steps(&mut runner)?;
        langs::steps(&mut runner)?;
        ledger::steps(&mut runner)?;
        // Every release artifact, packed, installed into a clean environment
        // and used (`cargo xtask dist --check`, into the target directory).
        crate::dist::steps(
            &mut runner,
            &crate::util::target_dir().join("dist"),
            true,
            crate::dist::Build::NotNpm,
        )?;
    }
    runner.summary();
    Ok(())
}

/// `cargo xtask test --ledger-go`: builds complog, then the ledger's Go cross-check alone.
pub(crate) fn ledger_go() -> Result<()> {
    let mut runner = Runner::default();
    runner.step("build complog", || {
        crate::util::run(crate::util::cargo().args(["build", "--locked", "-p", "complog"]))
    })?;
    ledger::steps(&mut runner)?;
    runner.summary();
    Ok(())
}

/// `cargo xtask test --schema`: the schema's checks alone (buf lint, buf
/// breaking and its mutants, the generated-language round trips).
pub(crate) fn schema() -> Result<()> {
    let mut runner = Runner::default();
    buf::steps(&mut runner)?;
    langs::steps(&mut runner)?;
    runner.summary();
    Ok(())
}

/// `cargo xtask lint`.
pub(crate) fn lint() -> Result<()> {
    let mut runner = Runner::default();
    rust::lint_steps(&mut runner)?;
    runner.summary();
    Ok(())
}

#[derive(Default)]
pub(crate) struct Runner {
    done: Vec<(String, Duration)>,
}

impl Runner {
    /// Runs one named step, timing it.
    pub(crate) fn step<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        match f() {
            Ok(value) => {
                self.done.push((name.to_owned(), start.elapsed()));
                Ok(value)
            }
            Err(err) => {
                self.summary();
                bail!("step `{name}` failed: {err:#}")
            }
        }
    }

    pub(crate) fn summary(&self) {
        eprintln!("\n==> summary");
        for (name, took) in &self.done {
            eprintln!("  ok  {:>7.1}s  {name}", took.as_secs_f64());
        }
    }
}
