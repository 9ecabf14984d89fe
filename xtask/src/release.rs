//! `cargo xtask release <version> [--date YYYY-MM-DD]`: prepares a release
//! commit, for review. It
//!
//! 1. refuses on a dirty tree, on a version that is not semver, that does not
//!    increase (below the workspace version, not above the newest release in
//!    CHANGELOG.md), whose tag already exists, or when the manifests already
//!    disagree;
//! 2. moves CHANGELOG.md's Unreleased section under the version and date;
//! 3. rewrites every manifest that carries the version (see
//!    [`crate::version`]: Cargo.toml, Cargo.lock, each package.json and
//!    package-lock.json, the documents that quote it) and regenerates what
//!    embeds it (`cargo xtask codegen`);
//! 4. re-records the breaking-change baseline (`cargo xtask schema-baseline`);
//! 5. runs the checks that the rewrite can break: every site agrees, Cargo's
//!    lock is current (`cargo metadata --locked`), generated files are fresh,
//!    and `buf breaking` passes against the new baseline.
//!
//! It commits nothing: it prints the diff's files and the next steps
//! (`cargo xtask test` and `cargo xtask dist --check`, commit, tag `v<version>`,
//! push; the tag runs `.github/workflows/release.yml`). See CONTRIBUTING.md.

use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::changelog;
use crate::util::{cargo, output, root, run};
use crate::version::{self, Version};

pub(crate) fn run_release(args: &[&str]) -> Result<()> {
    let (version, date) = match args {
        [v] => (*v, changelog::today()),
        [v, "--date", d] | ["--date", d, v] => (*v, (*d).to_owned()),
        _ => bail!("usage: cargo xtask release <version> [--date YYYY-MM-DD]"),
    };
    ensure!(
        date.len() == 10 && date.bytes().filter(|b| *b == b'-').count() == 2,
        "--date takes YYYY-MM-DD, not `{date}`"
    );
    let root = root();
    ensure!(
        !version.starts_with('v'),
        "give the version without its tag's `v`: `{}`",
        version.trim_start_matches('v')
    );
    let new = Version::parse(version)
        .with_context(|| format!("`{version}` is not a semver version (MAJOR.MINOR.PATCH)"))?;

    // 1. Refusals.
    let dirty = output(Command::new("git").current_dir(&root).args([
        "status",
        "--porcelain",
        "--untracked-files=normal",
    ]))?;
    ensure!(
        dirty.trim().is_empty(),
        "the working tree is not clean; commit or stash first:\n{dirty}"
    );
    let current = version::check(&root).context("the manifests disagree before the release")?;
    let log_text = std::fs::read_to_string(root.join(changelog::FILE))
        .with_context(|| format!("reading {}", changelog::FILE))?;
    let released = changelog::releases(&log_text)?;
    ensure!(
        new >= current,
        "{new} is below the workspace version {current}"
    );
    if let Some(newest) = released.iter().max() {
        ensure!(
            new > *newest,
            "{new} does not increase on {newest}, the newest release in {}",
            changelog::FILE
        );
    }
    let tag = format!("v{new}");
    let tags = output(
        Command::new("git")
            .current_dir(&root)
            .args(["tag", "--list", &tag]),
    )?;
    ensure!(tags.trim().is_empty(), "the tag {tag} already exists");

    // 2. CHANGELOG.md.
    let log_text = changelog::release(&log_text, &new, &date)?;
    std::fs::write(root.join(changelog::FILE), log_text)?;
    eprintln!("{}: Unreleased is now [{new}] - {date}", changelog::FILE);

    // 3. Every manifest, then what is generated from them.
    for file in version::set(&root, &new)? {
        eprintln!("{file}: {current} -> {new}");
    }
    crate::codegen::run(false)?;

    // 4. The breaking-change baseline: this release's schema.
    crate::test::buf::record_baseline()?;

    // 5. Checks.
    version::check(&root)?;
    run(cargo()
        .current_dir(&root)
        .args([
            "metadata",
            "--locked",
            "--offline",
            "--format-version",
            "1",
            "--no-deps",
            "--quiet",
        ])
        .stdout(std::process::Stdio::null()))
    .context("Cargo.lock does not match the manifests")?;
    crate::codegen::run(true)?;
    crate::test::buf::check_against_baseline()?;

    let changed = output(
        Command::new("git")
            .current_dir(&root)
            .args(["status", "--short"]),
    )?;
    eprintln!(
        "\nrelease {new} prepared:\n{changed}\nnext:\n  \
         cargo xtask test && cargo xtask dist --check\n  \
         git commit -am \"Release {new}\"   # through a pull request, as any change\n  \
         git tag -a {tag} -m \"{new}\" && git push origin {tag}   # once merged: runs .github/workflows/release.yml"
    );
    Ok(())
}
