//! The one version of every package, and every place that writes it down.
//!
//! The version is set in one place, `[workspace.package] version` in the
//! root Cargo.toml. The crates inherit it (`version.workspace = true`) and
//! the Python wheel takes it from Cargo through maturin
//! (`dynamic = ["version"]` in pyproject.toml), so neither writes it again.
//! npm and Cargo's lock file need it literally, and a few documents quote it;
//! each such place is a [`Site`]. [`check`] (a tidy test, `cargo xtask dist`
//! and `cargo xtask release`) fails when any disagrees with Cargo.toml, and
//! [`set`] (`cargo xtask release`) rewrites them all.
//!
//! napi's per-platform packages (`bindings/node/npm/*`) are not committed:
//! `cargo xtask dist` makes them from `bindings/node/package.json`, so they
//! carry its version, and checks that they do.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
pub(crate) use semver::Version;

/// The root manifest, which sets the version.
const CARGO_TOML: &str = "Cargo.toml";

/// How a site spells the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `0.3.0`.
    Full,
    /// `0.3`: a Cargo dependency requirement as a user writes it.
    MajorMinor,
}

impl Form {
    fn render(self, v: &Version) -> String {
        match self {
            Self::Full => v.to_string(),
            Self::MajorMinor => format!("{}.{}", v.major, v.minor),
        }
    }
}

/// One place that writes the version: a file, what the place is, and where
/// in the file's text the version stands.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) file: String,
    pub(crate) what: String,
    range: Range<usize>,
    form: Form,
    /// What the file says there now.
    pub(crate) found: String,
}

/// The version of `[workspace.package]` in the root Cargo.toml.
pub(crate) fn workspace_version(root: &Path) -> Result<Version> {
    let text = read(root, CARGO_TOML)?;
    let range = value_after(
        &text,
        "\n[workspace.package]\n",
        "\nversion = \"",
        CARGO_TOML,
    )?;
    let found = text.get(range).unwrap_or_default();
    Version::parse(found).with_context(|| format!("{CARGO_TOML}: version `{found}` is not semver"))
}

/// Every place that writes the version, each with what it says now.
pub(crate) fn sites(root: &Path) -> Result<Vec<Site>> {
    let mut sites = Vec::new();
    let mut add = |file: &str, what: String, text: &str, range: Range<usize>, form: Form| {
        let found = text.get(range.clone()).unwrap_or_default().to_owned();
        sites.push(Site {
            file: file.to_owned(),
            what,
            range,
            form,
            found,
        });
    };

    // Cargo: the workspace's version, and the exact requirements on the core
    // and the ledger that complog publishes with (`lokryn-compliance-log = "=X"`).
    let cargo = read(root, CARGO_TOML)?;
    let range = value_after(
        &cargo,
        "\n[workspace.package]\n",
        "\nversion = \"",
        CARGO_TOML,
    )?;
    add(
        CARGO_TOML,
        "[workspace.package] version".into(),
        &cargo,
        range,
        Form::Full,
    );
    let range = value_after(
        &cargo,
        "\n[workspace.dependencies]\n",
        "\nlokryn-compliance-log = { path = \"crates/lokryn-compliance-log\", version = \"=",
        CARGO_TOML,
    )?;
    add(
        CARGO_TOML,
        "[workspace.dependencies] lokryn-compliance-log = \"=…\"".into(),
        &cargo,
        range,
        Form::Full,
    );
    let range = value_after(
        &cargo,
        "\n[workspace.dependencies]\n",
        "\nlokryn-ledger = { path = \"crates/lokryn-ledger\", version = \"=",
        CARGO_TOML,
    )?;
    add(
        CARGO_TOML,
        "[workspace.dependencies] lokryn-ledger = \"=…\"".into(),
        &cargo,
        range,
        Form::Full,
    );
    let range = value_after(
        &cargo,
        "\n[workspace.dependencies]\n",
        "\nlokryn-export = { path = \"crates/lokryn-export\", version = \"=",
        CARGO_TOML,
    )?;
    add(
        CARGO_TOML,
        "[workspace.dependencies] lokryn-export = \"=…\"".into(),
        &cargo,
        range,
        Form::Full,
    );

    // Cargo.lock: every workspace member (the packages without a `source`).
    let lock = read(root, "Cargo.lock")?;
    let members = lock_members(&lock)?;
    ensure!(
        members.len() >= 2,
        "Cargo.lock lists {} workspace members",
        members.len()
    );
    for (name, range) in members {
        add(
            "Cargo.lock",
            format!("package {name}"),
            &lock,
            range,
            Form::Full,
        );
    }

    // npm: each workspace package's package.json, and its entry in the lock.
    let npm_lock = read(root, "package-lock.json")?;
    for dir in npm_workspaces(root)? {
        let file = format!("{dir}/package.json");
        let text = read(root, &file)?;
        let range = value_after(&text, "{\n", "\n  \"version\": \"", &file)?;
        add(&file, "\"version\"".into(), &text, range, Form::Full);

        let block = format!("\n    \"{dir}\": {{\n");
        let range = value_after(
            &npm_lock,
            &block,
            "\n      \"version\": \"",
            "package-lock.json",
        )?;
        let block_end = npm_lock
            .get(range.start..)
            .and_then(|rest| rest.find("\n    }"))
            .map(|i| range.start + i);
        ensure!(
            npm_lock
                .find(&block)
                .is_some_and(|start| block_end > Some(start)),
            "package-lock.json: the entry of {dir} has no \"version\""
        );
        add(
            "package-lock.json",
            format!("packages[\"{dir}\"].version"),
            &npm_lock,
            range,
            Form::Full,
        );
    }

    let manifest = format!("{}/manifest.json", crate::test::VECTORS);
    let text = read(root, &manifest)?;
    let range = unique_value(&text, "\"schemaVersion\": \"", &manifest)?;
    add(
        &manifest,
        "schemaVersion (generated)".into(),
        &text,
        range,
        Form::Full,
    );

    // Documents that quote it.
    let readme = read(root, "README.md")?;
    let range = unique_value(&readme, "\nlokryn-compliance-log = \"", "README.md")?;
    add(
        "README.md",
        "Rust dependency line".into(),
        &readme,
        range,
        Form::MajorMinor,
    );
    let range = unique_value(&readme, "\n    tag: v", "README.md")?;
    add(
        "README.md",
        "buf.gen.yaml `tag:`".into(),
        &readme,
        range,
        Form::Full,
    );
    let baseline = "tests/breaking/README.md";
    let text = read(root, baseline)?;
    let range = unique_value(&text, "schema of release **", baseline)?;
    add(
        baseline,
        "the release last-release.json records".into(),
        &text,
        range,
        Form::Full,
    );
    Ok(sites)
}

/// Fails unless every site says the workspace version, and the manifests
/// that inherit it still do; returns the version.
pub(crate) fn check(root: &Path) -> Result<Version> {
    let version = workspace_version(root)?;
    let mut wrong = Vec::new();
    for site in sites(root)? {
        let want = site.form.render(&version);
        if site.found != want {
            wrong.push(format!(
                "{}: {} is {}, expected {want}",
                site.file, site.what, site.found
            ));
        }
    }
    for manifest in member_manifests(root)? {
        let text = read(root, &manifest)?;
        if !text.contains("\nversion.workspace = true\n") {
            wrong.push(format!(
                "{manifest}: the version must be `version.workspace = true`"
            ));
        }
    }
    let pyproject = read(root, "bindings/python/pyproject.toml")?;
    if !pyproject.contains("\ndynamic = [\"version\"]\n") || pyproject.contains("\nversion = ") {
        wrong.push(
            "bindings/python/pyproject.toml: the version must be dynamic (maturin takes Cargo's)"
                .to_owned(),
        );
    }
    if !wrong.is_empty() {
        bail!(
            "the version is {version} ({CARGO_TOML}), but:\n  {}\n(`cargo xtask release <version>` rewrites every one)",
            wrong.join("\n  ")
        );
    }
    Ok(version)
}

/// Rewrites every site to `version`; returns the files it changed.
pub(crate) fn set(root: &Path, version: &Version) -> Result<Vec<String>> {
    let mut by_file: BTreeMap<String, Vec<Site>> = BTreeMap::new();
    for site in sites(root)? {
        by_file.entry(site.file.clone()).or_default().push(site);
    }
    let mut changed = Vec::new();
    for (file, mut sites) in by_file {
        let mut text = read(root, &file)?;
        let before = text.clone();
        // From the end, so that earlier ranges stay valid.
        sites.sort_by_key(|s| std::cmp::Reverse(s.range.start));
        for site in sites {
            text.replace_range(site.range, &site.form.render(version));
        }
        if text != before {
            std::fs::write(root.join(&file), text).with_context(|| format!("writing {file}"))?;
            changed.push(file);
        }
    }
    Ok(changed)
}

/// A file's text, with LF line ends (a Windows checkout may have CRLF; the
/// repository's files are LF, and `set` writes them so).
fn read(root: &Path, file: &str) -> Result<String> {
    let text =
        std::fs::read_to_string(root.join(file)).with_context(|| format!("reading {file}"))?;
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    })
}

/// The range of the version that follows `key` (the characters a semver
/// version is made of), looking from the first occurrence of `anchor` on
/// (`""`: the whole text).
fn value_after(text: &str, anchor: &str, key: &str, file: &str) -> Result<Range<usize>> {
    let from = text
        .find(anchor)
        .with_context(|| format!("{file}: `{}` not found", anchor.trim()))?;
    let start = text
        .get(from..)
        .and_then(|rest| rest.find(key))
        .map(|i| from + i + key.len())
        .with_context(|| format!("{file}: `{}` not found", key.trim()))?;
    let len = text
        .get(start..)
        .map(|rest| {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
                .unwrap_or(rest.len())
        })
        .unwrap_or_default();
    ensure!(len > 0, "{file}: no version after `{}`", key.trim());
    Ok(start..start + len)
}

/// Like [`value_after`] over the whole text, for a `key` that must occur once.
fn unique_value(text: &str, key: &str, file: &str) -> Result<Range<usize>> {
    ensure!(
        text.matches(key).count() == 1,
        "{file}: `{}` must occur exactly once",
        key.trim()
    );
    value_after(text, "", key, file)
}

/// The workspace members in Cargo.lock (its packages without a `source`),
/// each with the range of its version.
fn lock_members(lock: &str) -> Result<Vec<(String, Range<usize>)>> {
    let mut members = Vec::new();
    let mut offset = 0;
    for block in lock.split_inclusive("[[package]]\n") {
        let start = offset;
        offset += block.len();
        if block.contains("\nsource = ") || !block.starts_with("name = ") {
            continue;
        }
        let name = block
            .strip_prefix("name = \"")
            .and_then(|rest| rest.split('"').next())
            .context("Cargo.lock: a package without a name")?;
        let range = value_after(block, "", "\nversion = \"", "Cargo.lock")?;
        members.push((name.to_owned(), start + range.start..start + range.end));
    }
    Ok(members)
}

/// The folders of the npm workspace packages (the root package.json's
/// `workspaces`).
pub(crate) fn npm_workspaces(root: &Path) -> Result<Vec<String>> {
    let json: serde_json::Value =
        serde_json::from_str(&read(root, "package.json")?).context("package.json is not JSON")?;
    json.get("workspaces")
        .and_then(serde_json::Value::as_array)
        .context("package.json has no \"workspaces\"")?
        .iter()
        .map(|w| {
            w.as_str()
                .map(str::to_owned)
                .context("package.json: a workspace that is not a string")
        })
        .collect()
}

/// The Cargo.toml of every workspace member (`crates/*` and the listed
/// folders of `[workspace] members`).
fn member_manifests(root: &Path) -> Result<Vec<String>> {
    let cargo = read(root, CARGO_TOML)?;
    let line = cargo
        .lines()
        .find(|l| l.starts_with("members = ["))
        .context("Cargo.toml has no `members = [...]` line")?;
    let mut manifests = Vec::new();
    for member in line.split('"').skip(1).step_by(2) {
        if let Some(parent) = member.strip_suffix("/*") {
            let mut dirs: Vec<String> = std::fs::read_dir(root.join(parent))?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join(CARGO_TOML).exists())
                .map(|e| format!("{parent}/{}/{CARGO_TOML}", e.file_name().to_string_lossy()))
                .collect();
            dirs.sort();
            manifests.extend(dirs);
        } else {
            manifests.push(format!("{member}/{CARGO_TOML}"));
        }
    }
    Ok(manifests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::root;

    /// The tidy test of the one version: every manifest, lock file and
    /// document that carries it agrees with Cargo.toml.
    #[test]
    fn every_manifest_carries_the_workspace_version() {
        check(&root()).unwrap();
    }

    #[test]
    fn sites_cover_every_kind_of_manifest() {
        let sites = sites(&root()).unwrap();
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "bindings/node/package.json",
            "bindings/wasm/package.json",
            "package-lock.json",
            "README.md",
            &format!("{}/manifest.json", crate::test::VECTORS),
        ] {
            assert!(sites.iter().any(|s| s.file == file), "{file} is not a site");
        }
        let lock_members = sites.iter().filter(|s| s.file == "Cargo.lock").count();
        assert_eq!(lock_members, member_manifests(&root()).unwrap().len());
    }

    #[test]
    fn set_rewrites_every_site_in_a_copy() {
        let scratch = crate::util::target_dir().join("tmp/version-set-test");
        let _ = std::fs::remove_dir_all(&scratch);
        let sites = sites(&root()).unwrap();
        let mut files: Vec<&str> = sites.iter().map(|s| s.file.as_str()).collect();
        files.extend(["package.json", "bindings/python/pyproject.toml"]);
        for manifest in member_manifests(&root()).unwrap() {
            let dest = scratch.join(&manifest);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(root().join(&manifest), dest).unwrap();
        }
        for file in files {
            let dest = scratch.join(file);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(root().join(file), dest).unwrap();
        }
        let next = Version::parse("12.34.5-rc.1").unwrap();
        let changed = set(&scratch, &next).unwrap();
        assert!(changed.len() >= 7, "{changed:?}");
        assert_eq!(check(&scratch).unwrap(), next);
        let readme = std::fs::read_to_string(scratch.join("README.md")).unwrap();
        assert!(readme.contains("\nlokryn-compliance-log = \"12.34\"\n"));
        assert!(readme.contains("tag: v12.34.5-rc.1 "));
        let cargo = std::fs::read_to_string(scratch.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("version = \"=12.34.5-rc.1\" }"));
        // Nothing but the version changed.
        let old = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
        let new = std::fs::read_to_string(scratch.join("Cargo.lock")).unwrap();
        assert_eq!(
            old.lines().count(),
            new.lines().count(),
            "Cargo.lock gained or lost lines"
        );
        let _ = std::fs::remove_dir_all(&scratch);
    }

    #[test]
    fn finds_lock_members_only() {
        let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n\n[[package]]\nname = \"b\"\nversion = \"0.3.0\"\ndependencies = [\n \"a\",\n]\n";
        let members = lock_members(lock).unwrap();
        assert_eq!(members.len(), 1);
        let (name, range) = &members[0];
        assert_eq!(name, "b");
        assert_eq!(&lock[range.clone()], "0.3.0");
    }
}
