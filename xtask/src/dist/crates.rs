//! The crates.io artifacts: `cargo package` of the core crate, the crates
//! beside it and complog, which depend on it at exactly the same version (cargo packages
//! both against a local registry overlay, so complog's lock file resolves
//! the core before it is published).
//!
//! Packaging does not compile (`--no-verify`): [`check`] does what cargo's
//! verification would and more. It unpacks each `.crate` apart from the
//! repository, then
//!
//! * builds and runs `tests/dist/crate-smoke/`, a crate that depends on
//!   `lokryn-compliance-log = "=<version>"` from crates.io, patched to the
//!   unpacked crate (`[patch.crates-io]`, as a user would try a crate
//!   before its release): the README's Rust examples, verbatim, and the
//!   spec example against the golden bytes;
//! * builds complog from its unpacked crate against the same patch and runs
//!   it over the repository's examples;
//! * builds the logger from its unpacked crate, every feature on.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use super::file_name;
use crate::util::{cargo, output, root, run, target_dir};
use crate::version::Version;

/// The published crates, in the order they are published.
pub(crate) const CRATES: &[&str] = &[
    "lokryn-compliance-log",
    "lokryn-ledger",
    "lokryn-export",
    "lokryn-logger",
    "complog",
];

pub(super) fn package(out: &Path, version: &Version) -> Result<Vec<PathBuf>> {
    let mut cmd = cargo();
    cmd.current_dir(root())
        .args(["package", "--no-verify", "--locked", "--allow-dirty"]);
    for name in CRATES {
        cmd.args(["-p", name]);
    }
    run(&mut cmd)?;
    let mut crates = Vec::new();
    for name in CRATES {
        let file = format!("{name}-{version}.crate");
        let from = target_dir().join("package").join(&file);
        let to = out.join(&file);
        std::fs::copy(&from, &to).with_context(|| format!("copying {}", from.display()))?;
        crates.push(to);
    }
    Ok(crates)
}

pub(super) fn check(crates: &[PathBuf], dir: &Path, version: &Version) -> Result<()> {
    let unpacked = dir.join("unpacked");
    std::fs::create_dir_all(&unpacked)?;
    for file in crates {
        run(Command::new("tar")
            .arg("-xzf")
            .arg(file)
            .arg("-C")
            .arg(&unpacked))?;
        let name = file_name(file);
        let stem = name.trim_end_matches(".crate");
        let manifest = std::fs::read_to_string(unpacked.join(stem).join("Cargo.toml"))?;
        ensure!(
            manifest.contains(&format!("\nversion = \"{version}\"\n")),
            "{name}: its Cargo.toml is not at version {version}"
        );
        for needed in ["LICENSE", "README.md"] {
            ensure!(
                unpacked.join(stem).join(needed).exists(),
                "{name} has no {needed}"
            );
        }
    }
    crate::util::touch_tree(&unpacked)?;
    let core = unpacked.join(format!("lokryn-compliance-log-{version}"));
    let patch = format!(
        "patch.crates-io.lokryn-compliance-log.path={}",
        toml_string(&core)?
    );

    // A user's crate.
    let smoke = dir.join("crate-smoke");
    std::fs::create_dir_all(smoke.join("src"))?;
    let template = root().join("tests/dist/crate-smoke");
    let manifest = std::fs::read_to_string(template.join("Cargo.toml"))?
        .replace("@VERSION@", &version.to_string());
    std::fs::write(smoke.join("Cargo.toml"), manifest)?;
    std::fs::copy(template.join("src/main.rs"), smoke.join("src/main.rs"))?;
    std::fs::write(smoke.join("src/readme.rs"), readme_examples()?)?;
    // The workspace's lock, so that the dependencies are those tested here.
    std::fs::copy(root().join("Cargo.lock"), smoke.join("Cargo.lock"))?;
    // A target directory of its own (kept between runs for the
    // dependencies): these builds must not replace the workspace's complog.
    let target = target_dir().join("dist-check");
    run(cargo()
        .current_dir(&smoke)
        .env("CARGO_TARGET_DIR", &target)
        .args(["run", "--quiet", "--config"])
        .arg(&patch)
        .arg("--")
        .arg(version.to_string())
        .arg(root().join(crate::test::VECTORS)))?;

    // complog, built from its .crate (with the ledger and the exporters
    // from their own .crates).
    let complog = unpacked.join(format!("complog-{version}"));
    let ledger_patch = format!(
        "patch.crates-io.lokryn-ledger.path={}",
        toml_string(&unpacked.join(format!("lokryn-ledger-{version}")))?
    );
    let export_patch = format!(
        "patch.crates-io.lokryn-export.path={}",
        toml_string(&unpacked.join(format!("lokryn-export-{version}")))?
    );
    run(cargo()
        .current_dir(&complog)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--quiet", "--config"])
        .arg(&patch)
        .arg("--config")
        .arg(&ledger_patch)
        .arg("--config")
        .arg(&export_patch))?;
    // The logger, built from its .crate with every feature (against the
    // same .crates of the core, the ledger and the exporters).
    run(cargo()
        .current_dir(unpacked.join(format!("lokryn-logger-{version}")))
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--quiet", "--all-features", "--config"])
        .arg(&patch)
        .arg("--config")
        .arg(&ledger_patch)
        .arg("--config")
        .arg(&export_patch))?;
    let exe = target
        .join("debug")
        .join(format!("complog{}", std::env::consts::EXE_SUFFIX));
    let text = output(Command::new(&exe).arg("--version"))?;
    ensure!(
        text.trim() == format!("complog {version}"),
        "complog --version printed `{}`",
        text.trim()
    );
    run(Command::new(&exe)
        .current_dir(root())
        .args(["validate", "examples/good"]))?;
    let descriptor = Command::new(&exe)
        .args(["schema", "--descriptor-set"])
        .output()?;
    ensure!(
        descriptor.status.success(),
        "complog schema --descriptor-set failed"
    );
    ensure!(
        descriptor.stdout
            == std::fs::read(
                root().join("crates/lokryn-compliance-log/src/generated/descriptor_set.binpb")
            )?,
        "the packaged complog prints another descriptor set"
    );
    eprintln!("complog {version} from its .crate: validate, schema --descriptor-set");
    Ok(())
}

/// `path` as a TOML string.
fn toml_string(path: &Path) -> Result<String> {
    let path = path.to_str().context("a path that is not UTF-8")?;
    Ok(format!("'{path}'"))
}

/// The README's Rust examples (its `## Rust` section), each as a function of
/// a `readme` module: `pub(crate) fn example_N()` running the example's
/// `main`.
fn readme_examples() -> Result<String> {
    let readme = std::fs::read_to_string(root().join("README.md"))?;
    let start = readme
        .find("\n## Rust\n")
        .context("README.md has no `## Rust` section")?;
    let section = readme.get(start + 1..).unwrap_or_default();
    let section = section
        .find("\n## ")
        .and_then(|end| section.get(..end))
        .unwrap_or(section);
    let mut out = String::from(
        "// The Rust examples of README.md's `## Rust` section, verbatim, written by\n\
         // `cargo xtask dist --check` (xtask/src/dist/crates.rs).\n",
    );
    let mut count = 0;
    let mut rest = section;
    while let Some(open) = rest.find("```rust") {
        let after = rest.get(open..).unwrap_or_default();
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let fence = after.get(..body_start).unwrap_or_default().trim();
        let body = after.get(body_start..).unwrap_or_default();
        let end = body
            .find("```")
            .context("README.md: an unclosed ```rust block")?;
        let code = body.get(..end).unwrap_or_default();
        rest = body.get(end + 3..).unwrap_or_default();
        // A block rustdoc ignores shows another crate (the audit logger's
        // five lines, run as a doctest of docs/logging.md): not this one's.
        if fence.split(',').any(|attr| attr.trim() == "ignore") {
            continue;
        }
        count += 1;
        let run = !fence.contains("no_run");
        out.push_str(&format!(
            "\n#[allow(dead_code)]\npub(crate) mod example_{count} {{\n\
             pub(crate) const RUNS: bool = {run};\n\
             pub(crate) fn run() -> Result<(), Box<dyn std::error::Error>> {{\n\
                 main()?;\n    Ok(())\n}}\n\n{code}}}\n"
        ));
    }
    ensure!(
        count > 0,
        "README.md's `## Rust` section has no Rust example"
    );
    out.push_str(&format!(
        "\npub(crate) const EXAMPLES: usize = {count};\n\n\
         /// Runs every example that is not `no_run`; returns how many ran.\n\
         pub(crate) fn run_all() -> Result<usize, Box<dyn std::error::Error>> {{\n    let mut ran = 0;\n"
    ));
    for n in 1..=count {
        out.push_str(&format!(
            "    if example_{n}::RUNS {{\n        example_{n}::run()?;\n        ran += 1;\n    }}\n"
        ));
    }
    out.push_str("    Ok(ran)\n}\n");
    Ok(out)
}
