//! Tools the checks install on first use, at pinned versions, under the
//! tools directory ([`crate::util::tools_dir`]; cached with the target
//! directory, reinstalled when the pin changes).
//!
//! Every other tool is pinned where its ecosystem pins it: the npm tools
//! (buf, napi, tsc, …) by package-lock.json, Python's (maturin, pytest, …)
//! by tests/python/requirements.txt, protoc-gen-go by tests/langs/go/go.mod,
//! the wasm-bindgen CLI by the `wasm-bindgen` crate in Cargo.lock (see
//! `crate::npm`), and the GitHub Actions by commit in the workflows.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{cargo, root, run, stamp_matches, tools_dir, write_stamp};

/// rhysd/actionlint, the GitHub Actions workflow linter (Go).
pub(crate) const ACTIONLINT: &str = "1.7.12";

/// cargo-deny, the dependency policy check (deny.toml).
pub(crate) const CARGO_DENY: &str = "0.20.2";

fn exe(dir: &std::path::Path, name: &str) -> PathBuf {
    dir.join("bin")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A `cargo install` of exactly `version` of `package`, once, into
/// `<tools>/<bin>-<version>`; returns the path of its binary `bin`.
/// `configure` adds arguments and environment to the install command.
pub(crate) fn cargo_install(
    package: &str,
    version: &str,
    bin: &str,
    configure: impl FnOnce(&mut Command),
) -> Result<PathBuf> {
    let dir = tools_dir().join(format!("{bin}-{version}"));
    let exe = exe(&dir, bin);
    let stamp = dir.join(".lokryn-stamp");
    if exe.exists() && stamp_matches(&stamp, version) {
        return Ok(exe);
    }
    let mut cmd = cargo();
    cmd.env_remove("CARGO_TARGET_DIR")
        .args(["install", "--quiet", "--force", package, "--version"])
        .arg(format!("={version}"))
        .arg("--root")
        .arg(&dir);
    configure(&mut cmd);
    run(&mut cmd).with_context(|| format!("installing {package} {version}"))?;
    write_stamp(&stamp, version)?;
    Ok(exe)
}

/// actionlint, built by `go install` from the Go module proxy.
pub(crate) fn actionlint() -> Result<PathBuf> {
    let dir = tools_dir().join(format!("actionlint-{ACTIONLINT}"));
    let bin = exe(&dir, "actionlint");
    let stamp = dir.join(".lokryn-stamp");
    if bin.exists() && stamp_matches(&stamp, ACTIONLINT) {
        return Ok(bin);
    }
    run(Command::new("go")
        .env("GOBIN", dir.join("bin"))
        .arg("install")
        .arg(format!(
            "github.com/rhysd/actionlint/cmd/actionlint@v{ACTIONLINT}"
        )))
    .context("installing actionlint (needs Go)")?;
    write_stamp(&stamp, ACTIONLINT)?;
    Ok(bin)
}

/// cargo-deny, built by `cargo install --locked --debug` from crates.io,
/// once: an unoptimised build takes 2.5 minutes on 2 cores where a release
/// build takes 3.5 (10 with its link-time optimisation), and checks this tree
/// in about a second instead of half of one.
pub(crate) fn cargo_deny() -> Result<PathBuf> {
    cargo_install("cargo-deny", CARGO_DENY, "cargo-deny", |cmd| {
        cmd.args(["--locked", "--debug"]);
    })
}

/// `cargo deny check <checks>` with the pinned cargo-deny, over deny.toml.
/// `offline` for the checks that need no advisory database (all but
/// `advisories`). cargo-deny reads `cargo metadata` for every platform, so
/// the crates of other platforms (Windows, macOS) must be in the local
/// registry first: a fresh machine has only those its own builds fetched.
pub(crate) fn deny(checks: &[&str], offline: bool) -> Result<()> {
    let bin = cargo_deny()?;
    if offline {
        run(cargo().current_dir(root()).args(["fetch", "--locked"]))
            .context("fetching the crates of every platform for cargo-deny")?;
    }
    let mut cmd = Command::new(bin);
    cmd.current_dir(root()).arg("--locked");
    if offline {
        cmd.arg("--offline");
    }
    run(cmd.args(["check", "--hide-inclusion-graph"]).args(checks))
}
