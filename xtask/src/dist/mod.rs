//! `cargo xtask dist [--check]`: every release artifact, built once into
//! `dist/`, at the one version (see [`crate::version`]):
//!
//! | Artifact | Made by | Published to |
//! |---|---|---|
//! | `lokryn_compliance_log-<v>-cp39-abi3-<platform>.whl` | maturin (this machine's platform) | PyPI (CI builds every platform) |
//! | `lokryn_compliance_log-<v>.tar.gz` | `maturin sdist` (vendors the core crate) | PyPI |
//! | `lokryn-compliance-log-<v>.tgz` | `npm pack` of `@lokryn/compliance-log`, its addons as optional dependencies | npm |
//! | `lokryn-compliance-log-<platform>-<v>.tgz` | napi's per-platform package of this machine's addon | npm (CI builds every `napi.targets` entry) |
//! | `lokryn-compliance-log-wasm-<v>.tgz` | `npm pack` of `@lokryn/compliance-log-wasm` | npm |
//! | `lokryn-compliance-log-<v>.crate`, `complog-<v>.crate` | `cargo package` | crates.io |
//! | `lokryn-compliance-log-<v>.binpb` | the core crate's `DESCRIPTOR_SET` (`complog schema --descriptor-set`) | the GitHub release |
//! | `SHA256SUMS` | this command (`sha256sum -c` reads it) | the GitHub release |
//!
//! `--check` then installs each into a clean, temporary environment and uses
//! it as a user would (see [`python`], [`npm`], [`crates`]), and fails
//! unless every artifact, inside as in its name, is at the workspace version.

pub(crate) mod crates;
pub(crate) mod npm;
mod python;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use sha2::{Digest, Sha256};

use crate::test::Runner;
use crate::util::{output, root};
use crate::version::{self, Version};

/// The file of checksums, in `sha256sum` format.
pub(crate) const SUMS: &str = "SHA256SUMS";

/// `cargo xtask dist [--check]`, into `dist/`.
pub(crate) fn run(check: bool) -> Result<()> {
    let mut r = Runner::default();
    let artifacts = steps(&mut r, &root().join("dist"), check, Build::All)?;
    r.summary();
    eprintln!("\ndist/:");
    for path in artifacts.all() {
        eprintln!(
            "  {:>8} KiB  {}",
            std::fs::metadata(path)?.len().div_ceil(1024),
            file_name(path)
        );
    }
    Ok(())
}

/// The artifacts of one build.
pub(crate) struct Artifacts {
    pub(crate) wheel: PathBuf,
    pub(crate) sdist: PathBuf,
    pub(crate) npm: npm::Tarballs,
    pub(crate) crates: Vec<PathBuf>,
    pub(crate) descriptor: PathBuf,
    pub(crate) sums: PathBuf,
}

impl Artifacts {
    fn all(&self) -> Vec<&PathBuf> {
        let mut all = vec![&self.wheel, &self.sdist];
        all.extend(self.npm.all());
        all.extend(&self.crates);
        all.push(&self.descriptor);
        all.push(&self.sums);
        all
    }
}

/// `cargo xtask dist --napi <platform>`: the per-platform npm package of an
/// addon built in `bindings/node` (by `napi build --platform --target …`,
/// one runner per target in the release workflow), into `dist/`.
pub(crate) fn napi_platform(platform: &str) -> Result<()> {
    let version = version::check(&root())?;
    crate::test::ensure_node_modules()?;
    let addon = root()
        .join(crate::npm::NODE_DIR)
        .join(format!("compliance-log.{platform}.node"));
    ensure!(addon.exists(), "{} is not built", addon.display());
    let (platforms, _) = npm::platform_packages(&version)?;
    let tarball = npm::platform_tarball(&platforms, &addon, &root().join("dist"))?;
    eprintln!("{}", tarball.display());
    Ok(())
}

/// What [`steps`] has to build before it packs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Build {
    /// Everything (`cargo xtask dist`).
    All,
    /// Not the npm packages, which `cargo xtask test` has just built.
    NotNpm,
}

/// Builds every artifact into `out` (emptied first) as steps of `r`, and with
/// `check` installs and uses each.
pub(crate) fn steps(r: &mut Runner, out: &Path, check: bool, build: Build) -> Result<Artifacts> {
    let version = r.step(
        "versions agree (every manifest)",
        || version::check(&root()),
    )?;
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;

    let python = r.step("python venv (maturin)", crate::test::python_venv)?;
    let wheel = r.step("wheel (maturin build --release)", || {
        python::wheel(&python, out)
    })?;
    let sdist = r.step("sdist (maturin sdist)", || python::sdist(&python, out))?;
    if build == Build::All {
        r.step("npm ci (root dev tools)", crate::test::ensure_node_modules)?;
        r.step(
            "build @lokryn/compliance-log (napi-rs)",
            crate::npm::build_node,
        )?;
        r.step("build @lokryn/compliance-log-wasm", crate::npm::build_wasm)?;
    }
    let npm = r.step("npm pack (main, this platform's addon, wasm)", || {
        npm::tarballs(out, &version)
    })?;
    let crates = r.step("cargo package (lokryn-compliance-log, complog)", || {
        crates::package(out, &version)
    })?;
    let descriptor = r.step("descriptor set", || descriptor(out, &version))?;
    let mut artifacts = Artifacts {
        wheel,
        sdist,
        npm,
        crates,
        descriptor,
        sums: out.join(SUMS),
    };
    r.step("every artifact's name carries the version", || {
        check_names(&artifacts, &version)
    })?;
    artifacts.sums = r.step(SUMS, || write_sums(out, &artifacts))?;

    if check {
        // Outside the repository (so that no Cargo workspace, Python path
        // or node_modules of it is found from there), at a path that is the
        // same on every run (so that builds of dependencies are reused).
        let scratch = std::env::temp_dir().join("lokryn-dist-check");
        let _ = std::fs::remove_dir_all(&scratch);
        r.step(
            "check: pip install the wheel into a new venv, use it",
            || python::check_wheel(&artifacts.wheel, &scratch.join("wheel"), &version),
        )?;
        r.step(
            "check: the sdist builds a wheel by itself (pip wheel), use it",
            || python::check_sdist(&artifacts.sdist, &scratch.join("sdist"), &version),
        )?;
        r.step(
            "check: npm install the tarballs into an empty folder, use them",
            || npm::check(&artifacts.npm, &scratch.join("npm"), &version),
        )?;
        r.step(
            "check: a crate depending on the packaged crate; complog from its .crate",
            || crates::check(&artifacts.crates, &scratch.join("crates"), &version),
        )?;
        r.step(
            "check: the descriptor set decodes a record (buf convert)",
            || check_descriptor(&artifacts.descriptor),
        )?;
        r.step(&format!("check: {SUMS}"), || verify_sums(out))?;
    }
    Ok(artifacts)
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The only file in `dir` whose name ends with `suffix`.
pub(crate) fn only_file(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| file_name(p).ends_with(suffix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => bail!(
            "expected one *{suffix} in {}, found {found:?}",
            dir.display()
        ),
    }
}

/// The schema as a `FileDescriptorSet`: exactly the bytes the core crate
/// embeds as `DESCRIPTOR_SET` (and `complog schema --descriptor-set` prints).
fn descriptor(out: &Path, version: &Version) -> Result<PathBuf> {
    let from = root().join("crates/lokryn-compliance-log/src/generated/descriptor_set.binpb");
    let to = out.join(format!("lokryn-compliance-log-{version}.binpb"));
    std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
    Ok(to)
}

/// Decodes the spec example's golden bytes with the descriptor set alone
/// (`buf convert`, as a user without this project's code would) and
/// compares the JSON with the golden JSON.
fn check_descriptor(descriptor: &Path) -> Result<()> {
    let vectors = root().join(crate::test::VECTORS);
    let json = output(
        Command::new(crate::test::js_bin("buf"))
            .arg("convert")
            .arg(descriptor)
            .args(["--type", "lokryn.compliancelog.v1.LogEntry", "--from"])
            .arg(vectors.join("spec-tool-invocation.binpb"))
            .args(["--to", "-#format=json"]),
    )?;
    let got: serde_json::Value =
        serde_json::from_str(&json).context("buf convert wrote no JSON")?;
    let want: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        vectors.join("spec-tool-invocation.json"),
    )?)?;
    ensure!(
        got == want,
        "the descriptor set decodes the spec example as\n{got}\nnot\n{want}"
    );
    eprintln!("buf convert: the golden bytes decode to the golden JSON");
    Ok(())
}

fn check_names(artifacts: &Artifacts, version: &Version) -> Result<()> {
    // Python normalises the version in file names (PEP 440: 1.0.0-rc.1 -> 1.0.0rc1).
    let python = pep440(version);
    for path in artifacts.all() {
        let name = file_name(path);
        if name == SUMS {
            continue;
        }
        let want = if name.ends_with(".whl") || name.ends_with(".tar.gz") {
            &python
        } else {
            &version.to_string()
        };
        ensure!(
            name.contains(&format!("-{want}")),
            "{name} does not carry the version {want}"
        );
    }
    Ok(())
}

/// The PEP 440 spelling of a semver version, as maturin writes it.
pub(crate) fn pep440(version: &Version) -> String {
    let base = format!("{}.{}.{}", version.major, version.minor, version.patch);
    let pre = version.pre.as_str();
    if pre.is_empty() {
        return base;
    }
    let (kind, number) = pre.split_once('.').unwrap_or((pre, "0"));
    let kind = match kind {
        "alpha" | "a" => "a",
        "beta" | "b" => "b",
        "rc" | "c" => "rc",
        other => other,
    };
    format!("{base}{kind}{number}")
}

fn sha256_hex(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        write!(hex, "{b:02x}")?;
    }
    Ok(hex)
}

/// Writes `SHA256SUMS` (`<hex>  <name>` per artifact, sorted by name).
fn write_sums(out: &Path, artifacts: &Artifacts) -> Result<PathBuf> {
    let mut names: Vec<&PathBuf> = artifacts
        .all()
        .into_iter()
        .filter(|p| file_name(p) != SUMS)
        .collect();
    names.sort_by_key(|p| file_name(p));
    let mut text = String::new();
    for path in names {
        ensure!(
            path.parent() == Some(out),
            "{} is not in {}",
            path.display(),
            out.display()
        );
        writeln!(text, "{}  {}", sha256_hex(path)?, file_name(path))?;
    }
    let sums = out.join(SUMS);
    std::fs::write(&sums, &text)?;
    eprint!("{text}");
    Ok(sums)
}

/// Every line of `SHA256SUMS` names a file of `out` with that digest, and
/// every file of `out` has a line.
fn verify_sums(out: &Path) -> Result<()> {
    let text = std::fs::read_to_string(out.join(SUMS))?;
    let mut listed = Vec::new();
    for line in text.lines() {
        let (hex, name) = line
            .split_once("  ")
            .with_context(|| format!("{SUMS}: bad line `{line}`"))?;
        ensure!(
            sha256_hex(&out.join(name))? == hex,
            "{SUMS}: {name} does not match"
        );
        listed.push(name.to_owned());
    }
    for entry in std::fs::read_dir(out)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        ensure!(
            name == SUMS || listed.contains(&name),
            "{name} is in {} but not in {SUMS}",
            out.display()
        );
    }
    eprintln!("{SUMS}: {} files match", listed.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep440_spellings() {
        let v = |s| Version::parse(s).unwrap();
        assert_eq!(pep440(&v("0.3.0")), "0.3.0");
        assert_eq!(pep440(&v("1.0.0-rc.1")), "1.0.0rc1");
        assert_eq!(pep440(&v("1.0.0-beta.2")), "1.0.0b2");
        assert_eq!(pep440(&v("1.0.0-alpha")), "1.0.0a0");
    }
}
