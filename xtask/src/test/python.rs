//! The Python steps: a virtual environment with the test requirements, the
//! published 0.1.1 wheel installed apart (it shares our import name), and
//! pytest over `tests/python`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::Runner;
use super::rust::complog_bin;
use crate::util::{root, run, stamp_matches, tools_dir, write_stamp};

/// The published release the wire-compatibility tests compare against.
pub(crate) const PUBLISHED: &str = "lokryn-compliance-log==0.1.1";

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    let python = r.step("python venv (test requirements)", ensure_venv)?;
    let published = r.step("published lokryn-compliance-log 0.1.1 (isolated)", || {
        ensure_published(&python)
    })?;
    r.step("pytest tests/python", || {
        run(Command::new(&python)
            .current_dir(root())
            .env("COMPLOG", complog_bin())
            .env("LOKRYN_PUBLISHED_0_1_1", &published)
            .args(["-m", "pytest", "-q", "tests/python"]))
    })?;
    Ok(())
}

fn venv_dir() -> PathBuf {
    tools_dir().join("venv")
}

/// The interpreter of the virtual environment in `dir`.
fn python_in(dir: &Path) -> PathBuf {
    if cfg!(windows) {
        dir.join("Scripts/python.exe")
    } else {
        dir.join("bin/python")
    }
}

/// Creates the venv and installs `tests/python/requirements.txt` into it,
/// unless it already holds exactly those requirements.
pub(crate) fn ensure_venv() -> Result<PathBuf> {
    ensure_venv_in(&venv_dir(), &root().join("tests/python/requirements.txt"))
}

/// Creates a virtual environment in `dir` and installs `requirements` into
/// it, unless it already holds exactly those requirements; returns its
/// interpreter.
pub(crate) fn ensure_venv_in(dir: &Path, requirements: &Path) -> Result<PathBuf> {
    let wanted = std::fs::read_to_string(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = dir.join(".lokryn-stamp");
    let python = python_in(dir);
    if python.exists() && stamp_matches(&stamp, &wanted) {
        eprintln!("{} is up to date", dir.display());
        return Ok(python);
    }
    let host = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(Command::new(host).args(["-m", "venv"]).arg(dir))?;
    run(Command::new(&python).args(["-m", "pip", "install", "-q", "--upgrade", "pip"]))?;
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-q", "-r"])
        .arg(requirements))?;
    write_stamp(&stamp, &wanted)?;
    Ok(python)
}

/// Installs the published wheel into a folder of its own (never into the
/// venv: it has the same import name as the wheel this project builds) and
/// returns that folder, for tests to put on `PYTHONPATH` in a subprocess.
fn ensure_published(python: &PathBuf) -> Result<PathBuf> {
    let dir = tools_dir().join("published-0.1.1");
    let stamp = dir.join(".lokryn-stamp");
    if stamp_matches(&stamp, PUBLISHED) {
        eprintln!("{} is up to date", dir.display());
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(python)
        .args(["-m", "pip", "install", "-q", "--no-deps", "--target"])
        .arg(&dir)
        .arg(PUBLISHED))?;
    write_stamp(&stamp, PUBLISHED)?;
    Ok(dir)
}
