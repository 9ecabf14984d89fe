//! The JavaScript-side steps: npm packages, the Node tests that hold the
//! core to protobuf-es, and the npm packages of `bindings/node` and
//! `bindings/wasm`: each built once, then one suite (`tests/npm`) run
//! against both in Node and against the wasm one in headless Chromium, and
//! the playground exercised. (Their tarballs are installed into an empty
//! folder and used by the dist steps, with every other artifact.)

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use super::Runner;
use super::rust::complog_bin;
use crate::npm;
use crate::util::{root, run, stamp_matches, target_dir, write_stamp};

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    r.step("npm ci (root dev tools)", ensure_node_modules)?;
    r.step("node --test tests/js", || {
        run(Command::new("node")
            .current_dir(root())
            .env("COMPLOG", complog_bin())
            .args(["--test", "--test-reporter=spec"])
            .arg(root().join("tests/js")))
    })?;
    build_node(r)?;
    r.step(
        "build @lokryn/compliance-log-wasm (wasm32, release)",
        npm::build_wasm,
    )?;
    typed_suite(r)?;
    for binding in ["node", "wasm"] {
        npm_suite(r, binding)?;
    }
    browser_steps(r)
}

/// The napi package and its suite only (`cargo xtask test --portable`).
pub(crate) fn node_steps(r: &mut Runner) -> Result<()> {
    r.step("npm ci (root dev tools)", ensure_node_modules)?;
    build_node(r)?;
    typed_suite(r)?;
    npm_suite(r, "node")
}

fn build_node(r: &mut Runner) -> Result<()> {
    r.step(
        "build @lokryn/compliance-log (napi-rs, release)",
        npm::build_node,
    )
}

/// protobuf-es code for the interop tests, and the TypeScript API checked.
fn typed_suite(r: &mut Runner) -> Result<()> {
    r.step("buf generate (protobuf-es code for tests/npm)", || {
        run(Command::new(bin("buf")).current_dir(root()).args([
            "generate",
            "--template",
            "tests/npm/buf.gen.yaml",
        ]))
    })?;
    r.step(
        "tsc (the TypeScript API, used with protobuf-es types)",
        || {
            run(Command::new(bin("tsc"))
                .current_dir(root())
                .args(["--project", "tests/npm/tsconfig.json"]))
        },
    )
}

fn npm_suite(r: &mut Runner, binding: &str) -> Result<()> {
    r.step(&format!("node --test tests/npm ({binding})"), || {
        run(Command::new("node")
            .current_dir(root())
            .env("LOKRYN_JS_BINDING", binding)
            // report.test.js compares with `complog report`.
            .env("COMPLOG", complog_bin())
            .args(["--test", "--test-reporter=spec"])
            .arg(root().join("tests/npm")))
    })
}

fn browser_steps(r: &mut Runner) -> Result<()> {
    r.step("tests/npm in headless Chromium (wasm)", || {
        run(Command::new("node")
            .current_dir(root())
            .args(["tests/npm/browser.js", "suite"]))
    })?;
    r.step("playground in headless Chromium (screenshot)", || {
        let shot = target_dir().join("npm").join("playground.png");
        run(Command::new("node")
            .current_dir(root())
            .args(["tests/npm/browser.js", "playground"])
            .arg(&shot))
    })?;
    r.step(
        "evidence report in headless Chromium (screenshot, PDF)",
        || {
            let dir = target_dir().join("npm");
            std::fs::create_dir_all(&dir)?;
            let page = dir.join("report.html");
            run(Command::new(complog_bin())
                .current_dir(root())
                .args(["report", "--profile", "pci", "examples/", "-o"])
                .arg(&page))?;
            run(Command::new("node")
                .current_dir(root())
                .args(["tests/npm/browser.js", "report"])
                .arg(&page)
                .arg(dir.join("report.png")))
        },
    )?;
    // The tarballs are packed, installed and used with every other artifact
    // by the dist steps (`cargo xtask dist --check`) at the end of the run.
    Ok(())
}

/// A tool installed in the root `node_modules/.bin` (its `.cmd` shim on
/// Windows).
pub(crate) fn bin(name: &str) -> PathBuf {
    let shim = if cfg!(windows) {
        format!("{name}.cmd")
    } else {
        name.to_owned()
    };
    root().join("node_modules/.bin").join(shim)
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
    run(crate::util::npm()
        .current_dir(root())
        .args(["ci", "--no-audit", "--no-fund"]))?;
    write_stamp(&stamp, &lock)
}
