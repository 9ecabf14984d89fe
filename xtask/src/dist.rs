//! `cargo xtask dist [--check]`: the release artifacts, built into `dist/`.
//!
//! So far the npm packages (the release issue extends this to every
//! artifact):
//!
//! * `lokryn-compliance-log-<version>.tgz`: `@lokryn/compliance-log` with
//!   the addon of this machine's platform inside, so that it installs on its
//!   own (`npm install <tarball>`); the published package carries none and
//!   depends on the per-platform packages instead, in napi-rs's usual layout.
//! * `lokryn-compliance-log-<platform>-<version>.tgz`: that per-platform
//!   package (`@lokryn/compliance-log-linux-x64-gnu`, …), made from the
//!   `napi.targets` of package.json with `napi create-npm-dirs` into
//!   `bindings/node/npm/` (not committed: derived from package.json).
//! * `lokryn-compliance-log-wasm-<version>.tgz`: `@lokryn/compliance-log-wasm`.
//!
//! Their versions are the workspace version: dist refuses to pack a
//! package.json that says otherwise (and so do the tests).
//!
//! With `--check`, each tarball is then installed into an empty folder and
//! used as a user would: `require` and `import` in Node, and a page in
//! headless Chromium (tests/npm/smoke/).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::npm::{self, NODE_DIR, WASM_DIR};
use crate::util::{self, root, target_dir};

pub(crate) fn run(check: bool) -> Result<()> {
    crate::codegen::typescript::check_package_versions()?;
    crate::test::ensure_node_modules()?;
    npm::build_node()?;
    npm::build_wasm()?;
    let tarballs = npm_tarballs(&root().join("dist"))?;
    if check {
        check_npm(&tarballs)?;
    }
    eprintln!("\ndist/:");
    for t in tarballs.all() {
        eprintln!(
            "  {} ({} KiB)",
            file_name(t),
            std::fs::metadata(t)?.len() / 1024
        );
    }
    Ok(())
}

/// The npm tarballs of one build.
pub(crate) struct NpmTarballs {
    pub(crate) node: PathBuf,
    pub(crate) node_platform: PathBuf,
    pub(crate) wasm: PathBuf,
}

impl NpmTarballs {
    fn all(&self) -> [&PathBuf; 3] {
        [&self.node, &self.node_platform, &self.wasm]
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `npm pack`s the built packages into `out`.
pub(crate) fn npm_tarballs(out: &Path) -> Result<NpmTarballs> {
    std::fs::create_dir_all(out)?;
    let node = pack(&root().join(NODE_DIR), out)?;
    let wasm = pack(&root().join(WASM_DIR), out)?;

    // The per-platform package of this machine's addon.
    let addon = npm::node_addon()?;
    let platform = file_name(&addon)
        .strip_prefix("compliance-log.")
        .and_then(|n| n.strip_suffix(".node"))
        .map(str::to_owned)
        .context("unexpected addon file name")?;
    // napi keeps these inside the project; made afresh each time, ignored by git.
    let staging = root().join(NODE_DIR).join("npm");
    let _ = std::fs::remove_dir_all(&staging);
    util::run(
        Command::new(root().join("node_modules/.bin/napi"))
            .current_dir(root().join(NODE_DIR))
            .arg("create-npm-dirs")
            .arg("--npm-dir")
            .arg(&staging),
    )?;
    let dir = staging.join(&platform);
    if !dir.join("package.json").exists() {
        bail!(
            "{platform} is not among the napi.targets of {NODE_DIR}/package.json; add its triple"
        );
    }
    std::fs::copy(&addon, dir.join(file_name(&addon)))?;
    let node_platform = pack(&dir, out)?;
    Ok(NpmTarballs {
        node,
        node_platform,
        wasm,
    })
}

/// Runs `npm pack` in `dir`, returns the tarball.
fn pack(dir: &Path, out: &Path) -> Result<PathBuf> {
    eprintln!("$ npm pack ({})", dir.display());
    let output = Command::new("npm")
        .current_dir(dir)
        .args(["pack", "--json", "--pack-destination"])
        .arg(out)
        .output()
        .context("running npm pack")?;
    if !output.status.success() {
        bail!(
            "npm pack failed in {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let json = String::from_utf8_lossy(&output.stdout);
    let name = json
        .split("\"filename\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("npm pack printed no filename")?;
    // Scoped names are packed as `scope-name-version.tgz`.
    let name = name.trim_start_matches('@').replace('/', "-");
    let path = out.join(name);
    if !path.exists() {
        bail!("npm pack did not write {}", path.display());
    }
    Ok(path)
}

/// Installs the tarballs into an empty folder and uses them: the spec
/// README's first example must encode to the Rust core's bytes
/// (tests/vectors/wire/spec-tool-invocation.binpb) and validate, through
/// `require` and `import` in Node and through a page in headless Chromium.
pub(crate) fn check_npm(tarballs: &NpmTarballs) -> Result<()> {
    let dir = target_dir().join("npm").join("smoke");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("package.json"),
        "{\n  \"private\": true,\n  \"description\": \"cargo xtask: npm tarballs, installed\"\n}\n",
    )?;
    util::run(
        Command::new("npm")
            .current_dir(&dir)
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
                "--no-package-lock",
            ])
            .arg(&tarballs.node)
            .arg(&tarballs.wasm),
    )?;

    let golden = std::fs::read(root().join("tests/vectors/wire/spec-tool-invocation.binpb"))
        .context("tests/vectors/wire/spec-tool-invocation.binpb")?;
    let hex: String = golden.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        dir.join("expected.json"),
        format!("{{ \"hex\": \"{hex}\" }}\n"),
    )?;
    let templates = root().join("tests/npm/smoke");
    for name in ["smoke.cjs", "smoke.mjs", "smoke.html", "smoke-page.js"] {
        std::fs::copy(templates.join(name), dir.join(name))
            .with_context(|| format!("copying tests/npm/smoke/{name}"))?;
    }
    util::run(Command::new("node").current_dir(&dir).arg("smoke.cjs"))?;
    util::run(Command::new("node").current_dir(&dir).arg("smoke.mjs"))?;
    util::run(
        Command::new("node")
            .current_dir(root())
            .args(["tests/npm/browser.js", "smoke"])
            .arg(&dir),
    )
}
