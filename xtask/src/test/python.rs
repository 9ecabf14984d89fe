//! The Python steps: a virtual environment with the test requirements, the
//! wheel of `bindings/python` built once (maturin, into the target
//! directory) and installed into it, the published 0.1.1 wheel installed
//! apart (it shares our import name), pytest over `tests/python`, and the
//! protobuf matrix.
//!
//! The matrix has two ends. The newest protobuf is the main venv's (pinned in
//! tests/python/requirements.txt); the oldest the package supports, 4.21, gets
//! a venv of its own into which the wheel is installed with plain `pip
//! install`, as a user would, and the whole suite runs again, once more with
//! the pure-Python protobuf implementation.
//!
//! The MCP wrapper runs against real MCP servers in two more venvs, one per
//! major version of the `mcp` SDK (`tests/python/test_mcp*.py` only, with the
//! shared cases of `test_mcp_cases.py`; the main venv has no `mcp`, so there
//! the suite checks that the package imports without it). In the 1.x venv the
//! vendor's wrapper (lokryn-mcp-log, installed apart) records the same
//! session for comparison.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::Runner;
use super::rust::complog_bin;
use crate::util::{root, run, stamp_matches, target_dir, tools_dir, write_stamp};

/// The MCP SDK releases the MCP wrapper (`lokryn_compliance_log.mcp`) is
/// tested with, each in a venv of its own: the major version (the suffix of
/// `tests/python/requirements-mcp<major>.txt`) and the release it pins.
const MCP_SDKS: [(u32, &str); 2] = [(1, "mcp 1.30.0"), (2, "mcp 2.3.0")];

/// The published release the wire-compatibility tests compare against.
pub(crate) const PUBLISHED: &str = "lokryn-compliance-log==0.1.1";

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    let python = r.step("python venv (test requirements)", ensure_venv)?;
    let published = r.step("published lokryn-compliance-log 0.1.1 (isolated)", || {
        ensure_published(&python)
    })?;
    let wheel = r.step("build the Python wheel (maturin, release)", || {
        build_wheel(&python, &target_dir().join("wheels/python"))
    })?;
    r.step("install the wheel", || install_wheel(&python, &wheel))?;
    r.step("pytest tests/python (newest protobuf)", || {
        pytest(&python, Some(&published), &[])
    })?;
    for (major, sdk) in MCP_SDKS {
        let venv = r.step(&format!("python venv with {sdk}"), || {
            ensure_venv_in(
                &tools_dir().join(format!("venv-mcp{major}")),
                &root().join(format!("tests/python/requirements-mcp{major}.txt")),
            )
        })?;
        r.step(&format!("install the wheel ({sdk})"), || {
            install_wheel(&venv, &wheel)
        })?;
        // The vendor's wrapper reads 1.x's result attributes: it is compared
        // with ours in the 1.x venv only.
        let vendor = if major == 1 {
            Some(r.step("lokryn-mcp-log 0.4.0 (isolated)", || {
                ensure_target(&venv, "vendor-mcp-log", "requirements-vendor-mcp-log.txt")
            })?)
        } else {
            None
        };
        r.step(&format!("pytest tests/python/test_mcp*.py ({sdk})"), || {
            let mut cmd = Command::new(&venv);
            cmd.current_dir(root()).args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/python/test_mcp.py",
                "tests/python/test_mcp_cases.py",
                "tests/python/test_mcp_traffic.py",
                "tests/python/test_mcp_vendor.py",
            ]);
            if let Some(vendor) = &vendor {
                cmd.env("LOKRYN_VENDOR_MCP_LOG", vendor);
            }
            run(&mut cmd)
        })?;
    }
    let oldest = r.step(
        "python venv with the oldest protobuf (4.21)",
        ensure_oldest_venv,
    )?;
    r.step("pip install the wheel (oldest protobuf)", || {
        // Plain `pip install`, dependencies resolved, as a user would; the
        // constraint keeps the venv's protobuf at the oldest release.
        run(Command::new(&oldest)
            .args(["-m", "pip", "install", "-q", "--force-reinstall", "-c"])
            .arg(oldest_requirements())
            .arg(&wheel))
    })?;
    r.step("pytest tests/python (protobuf 4.21)", || {
        pytest(&oldest, None, &[])
    })?;
    r.step("pytest tests/python (protobuf 4.21, pure-Python)", || {
        pytest(
            &oldest,
            None,
            &[("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")],
        )
    })?;
    Ok(())
}

/// Installs the wheel into the venv of `python`, without its dependencies
/// (the venv's requirements pin them).
fn install_wheel(python: &Path, wheel: &Path) -> Result<()> {
    run(Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(wheel))
}

fn pytest(python: &Path, published: Option<&Path>, env: &[(&str, &str)]) -> Result<()> {
    let mut cmd = Command::new(python);
    cmd.current_dir(root()).env("COMPLOG", complog_bin()).args([
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/python",
    ]);
    if let Some(published) = published {
        cmd.env("LOKRYN_PUBLISHED_0_1_1", published);
    }
    for (key, value) in env {
        cmd.env(key, value);
    }
    run(&mut cmd)
}

/// Builds the abi3 wheel with the venv's maturin into `out` (emptied of
/// wheels first) and returns its path. Cargo reuses the shared target
/// directory, so a warm build only relinks what changed.
pub(crate) fn build_wheel(python: &Path, out: &Path) -> Result<PathBuf> {
    for old in crate::util::files_under(out, ".whl").unwrap_or_default() {
        std::fs::remove_file(old)?;
    }
    run(Command::new(python)
        .current_dir(root())
        .env("CARGO_TARGET_DIR", target_dir())
        .args([
            "-m",
            "maturin",
            "build",
            "--release",
            "--locked",
            "--manifest-path",
        ])
        .arg(root().join("bindings/python/Cargo.toml"))
        .arg("--out")
        .arg(out))?;
    crate::dist::only_file(out, ".whl")
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

/// The pins of the oldest-protobuf venv.
fn oldest_requirements() -> PathBuf {
    root().join("tests/python/requirements-oldest-protobuf.txt")
}

/// The venv of the oldest protobuf the wheel supports.
fn ensure_oldest_venv() -> Result<PathBuf> {
    ensure_venv_in(
        &tools_dir().join("venv-protobuf-oldest"),
        &oldest_requirements(),
    )
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
    create_venv(dir)?;
    run(Command::new(&python).args(["-m", "pip", "install", "-q", "--upgrade", "pip"]))?;
    run(Command::new(&python)
        .args(["-m", "pip", "install", "-q", "-r"])
        .arg(requirements))?;
    write_stamp(&stamp, &wanted)?;
    Ok(python)
}

/// Creates a virtual environment in `dir` with the host's Python; returns
/// its interpreter.
pub(crate) fn create_venv(dir: &Path) -> Result<PathBuf> {
    run(Command::new(crate::util::host_python())
        .args(["-m", "venv"])
        .arg(dir))?;
    Ok(python_in(dir))
}

/// Installs the pinned `tests/python/<requirements>` apart, into
/// `<tools>/<name>` (see `install_apart`).
fn ensure_target(python: &Path, name: &str, requirements: &str) -> Result<PathBuf> {
    let requirements = root().join("tests/python").join(requirements);
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    install_apart(
        python,
        name,
        &wanted,
        &["-r".as_ref(), requirements.as_os_str()],
    )
}

/// Installs the published wheel apart (it has the same import name as the
/// wheel this project builds).
fn ensure_published(python: &Path) -> Result<PathBuf> {
    install_apart(python, "published-0.1.1", PUBLISHED, &[PUBLISHED.as_ref()])
}

/// Installs `what` (pip arguments) with `pip install --no-deps --target`
/// into `<tools>/<name>`, never into a venv, unless the folder already holds
/// what `wanted` describes; returns the folder, for tests to put on
/// `PYTHONPATH` in a subprocess.
fn install_apart(
    python: &Path,
    name: &str,
    wanted: &str,
    what: &[&std::ffi::OsStr],
) -> Result<PathBuf> {
    let dir = tools_dir().join(name);
    let stamp = dir.join(".lokryn-stamp");
    if stamp_matches(&stamp, wanted) {
        eprintln!("{} is up to date", dir.display());
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(python)
        .args(["-m", "pip", "install", "-q", "--no-deps", "--target"])
        .arg(&dir)
        .args(what))?;
    write_stamp(&stamp, wanted)?;
    Ok(dir)
}
