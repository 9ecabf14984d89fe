//! The npm artifacts, packed from the packages `crate::npm` builds:
//!
//! * `lokryn-compliance-log-<version>.tgz`: `@lokryn/compliance-log` as
//!   published: no addon inside, and an optional dependency on the
//!   per-platform package of every `napi.targets` entry at the same version
//!   (napi-rs's layout: npm installs only the one matching the machine).
//!   Packed from a staged copy, so the committed package.json stays free of
//!   them (the workspace's `npm ci` would otherwise look them up).
//! * `lokryn-compliance-log-<platform>-<version>.tgz`: the per-platform
//!   package of this machine's addon, made by `napi create-npm-dirs` into
//!   `bindings/node/npm/` (where napi wants it; ignored by git). CI builds
//!   the others, one runner per target (.github/workflows/release.yml).
//! * `lokryn-compliance-log-wasm-<version>.tgz`: `@lokryn/compliance-log-wasm`.
//!
//! Every package carries the repository's LICENSE, and a README: the
//! committed `bindings/node/README.md` and `bindings/wasm/README.md` (which
//! `npm pack` always includes), and the one-line README `napi create-npm-dirs`
//! writes into each per-platform package.
//!
//! [`check`] installs them into an empty folder, as a user's `npm install`
//! would (the main package finds this machine's addon in its per-platform
//! package), and uses them: `require` and `import` in Node, and a page in
//! headless Chromium (tests/npm/smoke/).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use super::file_name;
use crate::npm::{self, NODE_DIR, WASM_DIR};
use crate::util::{self, root, target_dir};
use crate::version::Version;

/// The npm tarballs of one build.
pub(crate) struct Tarballs {
    pub(crate) node: PathBuf,
    pub(crate) node_platform: PathBuf,
    pub(crate) wasm: PathBuf,
}

impl Tarballs {
    pub(super) fn all(&self) -> [&PathBuf; 3] {
        [&self.node, &self.node_platform, &self.wasm]
    }
}

/// Packs the built packages into `out`.
pub(crate) fn tarballs(out: &Path, version: &Version) -> Result<Tarballs> {
    std::fs::create_dir_all(out)?;
    let staging = target_dir().join("npm").join("staging");
    let _ = std::fs::remove_dir_all(&staging);
    let (platforms, optional) = platform_packages(version)?;

    // The main package as published: staged without the addon.
    let main = staging.join("node");
    stage(&root().join(NODE_DIR), &main, |file| {
        !file.ends_with(".node") && file != "package.json"
    })?;
    let manifest = std::fs::read_to_string(root().join(NODE_DIR).join("package.json"))?;
    std::fs::write(
        main.join("package.json"),
        with_optional_dependencies(&manifest, &optional, version)?,
    )?;
    let node = pack(&main, out)?;

    let node_platform = platform_tarball(&platforms, &npm::node_addon()?, out)?;

    // The wasm package, staged too (for its LICENSE).
    let wasm_dir = staging.join("wasm");
    stage(&root().join(WASM_DIR), &wasm_dir, |_| true)?;
    let wasm = pack(&wasm_dir, out)?;
    Ok(Tarballs {
        node,
        node_platform,
        wasm,
    })
}

/// Makes every per-platform package folder (napi makes them from
/// package.json, into `bindings/node/npm/`), checks their version, and
/// returns the folder and their names.
pub(crate) fn platform_packages(version: &Version) -> Result<(PathBuf, Vec<String>)> {
    let platforms = root().join(NODE_DIR).join("npm");
    let _ = std::fs::remove_dir_all(&platforms);
    util::run(
        Command::new(crate::test::js_bin("napi"))
            .current_dir(root().join(NODE_DIR))
            .arg("create-npm-dirs")
            .arg("--npm-dir")
            .arg(&platforms),
    )?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&platforms)? {
        let dir = entry?.path();
        let json = package_json(&dir)?;
        let name = json_str(&json, "name", &dir)?;
        let found = json_str(&json, "version", &dir)?;
        ensure!(
            found == version.to_string(),
            "{name} ({}) has version {found}, not {version}",
            dir.display()
        );
        names.push(name);
    }
    names.sort();
    Ok((platforms, names))
}

/// Packs the per-platform package of `addon` (`compliance-log.<platform>.node`)
/// into `out`.
pub(crate) fn platform_tarball(platforms: &Path, addon: &Path, out: &Path) -> Result<PathBuf> {
    let platform = file_name(addon)
        .strip_prefix("compliance-log.")
        .and_then(|n| n.strip_suffix(".node"))
        .map(str::to_owned)
        .with_context(|| format!("unexpected addon file name {}", addon.display()))?;
    let dir = platforms.join(&platform);
    if !dir.join("package.json").exists() {
        bail!(
            "{platform} is not among the napi.targets of {NODE_DIR}/package.json; add its triple"
        );
    }
    std::fs::copy(addon, dir.join(file_name(addon)))
        .with_context(|| format!("copying {}", addon.display()))?;
    license(&dir)?;
    std::fs::create_dir_all(out)?;
    pack(&dir, out)
}

/// Copies the files `npm pack` would put in the package of `from` that
/// `keep` keeps into `to`, with the LICENSE.
fn stage(from: &Path, to: &Path, keep: impl Fn(&str) -> bool) -> Result<()> {
    for file in npm_pack_files(from)? {
        if !keep(&file) {
            continue;
        }
        let dest = to.join(&file);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(from.join(&file), &dest)
            .with_context(|| format!("staging {}", from.join(&file).display()))?;
    }
    license(to)
}

fn license(dir: &Path) -> Result<()> {
    std::fs::copy(root().join("LICENSE"), dir.join("LICENSE"))
        .map(drop)
        .with_context(|| format!("copying LICENSE into {}", dir.display()))
}

fn package_json(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join("package.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn json_str(json: &serde_json::Value, key: &str, dir: &Path) -> Result<String> {
    json.get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("{}/package.json has no \"{key}\"", dir.display()))
}

/// The files `npm pack` would put in the package of `dir`.
fn npm_pack_files(dir: &Path) -> Result<Vec<String>> {
    let out = util::output(util::npm().current_dir(dir).args([
        "pack",
        "--dry-run",
        "--json",
        "--ignore-scripts",
    ]))?;
    let json: serde_json::Value = serde_json::from_str(&out).context("npm pack --json")?;
    json.get(0)
        .and_then(|p| p.get("files"))
        .and_then(serde_json::Value::as_array)
        .context("npm pack --json listed no files")?
        .iter()
        .map(|f| {
            f.get("path")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .context("npm pack --json: a file without a path")
        })
        .collect()
}

/// package.json with `"optionalDependencies"` on `names` at `version`,
/// inserted before `"napi"` (the text is otherwise unchanged).
fn with_optional_dependencies(
    manifest: &str,
    names: &[String],
    version: &Version,
) -> Result<String> {
    ensure!(
        !manifest.contains("\"optionalDependencies\""),
        "{NODE_DIR}/package.json must not list optionalDependencies: dist adds them"
    );
    let at = manifest
        .find("\n  \"napi\": {")
        .context("package.json has no top-level \"napi\"")?;
    let deps: Vec<String> = names
        .iter()
        .map(|n| format!("    \"{n}\": \"{version}\""))
        .collect();
    let block = format!(
        "\n  \"optionalDependencies\": {{\n{}\n  }},",
        deps.join(",\n")
    );
    let mut out = manifest.to_owned();
    out.insert_str(at, &block);
    serde_json::from_str::<serde_json::Value>(&out).context("staged package.json")?;
    Ok(out)
}

/// Runs `npm pack` in `dir`, returns the tarball.
fn pack(dir: &Path, out: &Path) -> Result<PathBuf> {
    eprintln!("$ npm pack ({})", dir.display());
    let output = util::npm()
        .current_dir(dir)
        .args(["pack", "--json", "--ignore-scripts", "--pack-destination"])
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
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("npm pack --json")?;
    let name = json
        .get(0)
        .and_then(|p| p.get("filename"))
        .and_then(serde_json::Value::as_str)
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
/// README's first example must encode to the Rust core's bytes (the golden
/// vector `spec-tool-invocation.binpb`) and validate, through
/// `require` and `import` in Node and through a page in headless Chromium;
/// and every installed package must be at `version`.
pub(crate) fn check(tarballs: &Tarballs, dir: &Path, version: &Version) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("package.json"),
        "{\n  \"private\": true,\n  \"description\": \"cargo xtask: npm tarballs, installed\"\n}\n",
    )?;
    // The per-platform package stands in for the registry's copy (the
    // main package's optional dependency on it is met by it; those of other
    // platforms npm skips).
    util::run(
        util::npm()
            .current_dir(dir)
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
                "--no-package-lock",
            ])
            .arg(&tarballs.node)
            .arg(&tarballs.node_platform)
            .arg(&tarballs.wasm),
    )?;
    let installed = dir.join("node_modules/@lokryn");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&installed)? {
        let pkg = entry?.path();
        let json = package_json(&pkg)?;
        let found = json_str(&json, "version", &pkg)?;
        ensure!(
            found == version.to_string(),
            "{} is at {found}, not {version}",
            pkg.display()
        );
        // The README is the page npm shows (napi writes the per-platform
        // packages' one-line README; the other two are committed).
        for needed in ["LICENSE", "README.md"] {
            ensure!(
                pkg.join(needed).exists(),
                "{} has no {needed}",
                pkg.display()
            );
        }
        names.push(file_name(&pkg));
    }
    names.sort();
    ensure!(names.len() == 3, "installed {names:?}");
    let addons = std::fs::read_dir(installed.join("compliance-log"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "node"))
        .count();
    ensure!(addons == 0, "the main package carries an addon");

    let golden_file = root()
        .join(crate::test::VECTORS)
        .join("spec-tool-invocation.binpb");
    let golden = std::fs::read(&golden_file)
        .with_context(|| format!("reading {}", golden_file.display()))?;
    let hex: String = golden.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(
        dir.join("expected.json"),
        format!("{{ \"hex\": \"{hex}\", \"version\": \"{version}\" }}\n"),
    )?;
    let templates = root().join("tests/npm/smoke");
    for name in ["smoke.cjs", "smoke.mjs", "smoke.html", "smoke-page.js"] {
        std::fs::copy(templates.join(name), dir.join(name))
            .with_context(|| format!("copying tests/npm/smoke/{name}"))?;
    }
    util::run(Command::new("node").current_dir(dir).arg("smoke.cjs"))?;
    util::run(Command::new("node").current_dir(dir).arg("smoke.mjs"))?;
    util::run(
        Command::new("node")
            .current_dir(root())
            .args(["tests/npm/browser.js", "smoke"])
            .arg(dir),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_dependencies_go_before_napi() {
        let manifest = "{\n  \"name\": \"@x/y\",\n  \"version\": \"1.0.0\",\n  \"napi\": {\n    \"binaryName\": \"y\"\n  }\n}\n";
        let out = with_optional_dependencies(
            manifest,
            &["@x/y-a".into(), "@x/y-b".into()],
            &Version::parse("1.0.0").unwrap(),
        )
        .unwrap();
        assert_eq!(
            out,
            "{\n  \"name\": \"@x/y\",\n  \"version\": \"1.0.0\",\n  \"optionalDependencies\": {\n    \"@x/y-a\": \"1.0.0\",\n    \"@x/y-b\": \"1.0.0\"\n  },\n  \"napi\": {\n    \"binaryName\": \"y\"\n  }\n}\n"
        );
    }
}
