//! The Python artifacts: the abi3 wheel of this machine's platform and the
//! sdist, both by maturin, and their checks.
//!
//! maturin's sdist carries what the wheel needs from the workspace: the core
//! crate's sources, a workspace Cargo.toml reduced to the members it needs,
//! and Cargo.lock. `check_sdist` proves it builds on its own: unpacked, then
//! `pip wheel` in a fresh virtual environment, with build isolation (so
//! maturin comes from the `[build-system]` requirement, not from this
//! repository's venv).
//!
//! Each check installs into a new virtual environment with plain `pip
//! install` (dependencies resolved, as a user's would be) and runs
//! `tests/dist/smoke.py`: the spec README's first example, the repository
//! README's Python examples, and the golden bytes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::only_file;
use crate::util::{root, run, target_dir};
use crate::version::Version;

pub(super) fn wheel(python: &Path, out: &Path) -> Result<PathBuf> {
    crate::test::build_wheel(python, out)
}

pub(super) fn sdist(python: &Path, out: &Path) -> Result<PathBuf> {
    run(Command::new(python)
        .current_dir(root())
        .args(["-m", "maturin", "sdist", "--manifest-path"])
        .arg(root().join("bindings/python/Cargo.toml"))
        .arg("--out")
        .arg(out))?;
    only_file(out, ".tar.gz")
}

pub(super) fn check_wheel(wheel: &Path, dir: &Path, version: &Version) -> Result<()> {
    let python = crate::test::create_venv(&dir.join("venv"))?;
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-q"])
        .arg(wheel))?;
    smoke(&python, dir, version)
}

pub(super) fn check_sdist(sdist: &Path, dir: &Path, version: &Version) -> Result<()> {
    let python = crate::test::create_venv(&dir.join("venv"))?;
    // Unpacked at a path that is the same on every run, and built into a
    // target directory of its own (never replacing the workspace's build of
    // the module) that is kept between runs for the dependencies; the
    // sdist's own crates build from these sources, by the maturin that pip
    // installs into an isolated build environment from the `[build-system]`
    // requirement.
    let src = dir.join("src");
    std::fs::create_dir_all(&src)?;
    run(Command::new("tar")
        .arg("-xzf")
        .arg(sdist)
        .arg("-C")
        .arg(&src))?;
    let tree = only_file(&src, "")?;
    crate::util::touch_tree(&tree)?;
    let wheels = dir.join("wheels");
    run(Command::new(&python)
        .env("CARGO_TARGET_DIR", target_dir().join("dist-check"))
        .args(["-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir"])
        .arg(&wheels)
        .arg(&tree))?;
    let wheel = only_file(&wheels, ".whl")?;
    eprintln!("built {} from the sdist", super::file_name(&wheel));
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-q"])
        .arg(&wheel))?;
    smoke(&python, dir, version)
}

/// Runs `tests/dist/smoke.py` in `dir` with the venv's Python, outside the
/// repository (so nothing imports from the source tree).
fn smoke(python: &Path, dir: &Path, version: &Version) -> Result<()> {
    let work = dir.join("work");
    std::fs::create_dir_all(&work)?;
    run(Command::new(python)
        .current_dir(&work)
        .env_remove("PYTHONPATH")
        .arg(root().join("tests/dist/smoke.py"))
        .arg(version.to_string())
        .arg(super::pep440(version))
        .arg(root()))
}
