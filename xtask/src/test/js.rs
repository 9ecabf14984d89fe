//! The JavaScript-side steps: npm packages and the Node tests
//! that hold the core to protobuf-es.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use super::Runner;
use super::rust::complog_bin;
use crate::util::{root, run, stamp_matches, write_stamp};

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    r.step("npm ci (root dev tools)", ensure_node_modules)?;
    r.step("node --test tests/js", || {
        run(Command::new("node")
            .current_dir(root())
            .env("COMPLOG", complog_bin())
            .args(["--test", "--test-reporter=spec"])
            .arg(root().join("tests/js")))
    })?;
    Ok(())
}

/// A tool installed in the root `node_modules/.bin`.
pub(crate) fn bin(name: &str) -> PathBuf {
    root().join("node_modules/.bin").join(name)
}

/// Runs `npm ci` at the root unless `node_modules` already matches the lock.
pub(crate) fn ensure_node_modules() -> Result<()> {
    let lock = std::fs::read_to_string(root().join("package-lock.json"))
        .context("package-lock.json is missing")?;
    let stamp = root().join("node_modules/.lokryn-stamp");
    if stamp_matches(&stamp, &lock) {
        eprintln!("node_modules is up to date");
        return Ok(());
    }
    run(Command::new("npm")
        .current_dir(root())
        .args(["ci", "--no-audit", "--no-fund"]))?;
    write_stamp(&stamp, &lock)
}
