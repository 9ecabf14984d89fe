//! Supply-chain and release hygiene: the GitHub workflows pass actionlint
//! (with shellcheck over their `run:` scripts), pin every third-party
//! action by commit and grant least privilege; the Rust dependency tree
//! passes cargo-deny's license, ban and source policy (deny.toml).

use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use super::Runner;
use crate::util::{root, run};

/// The workflows.
const WORKFLOWS: &str = ".github/workflows";

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    let actionlint = r.step(
        &format!("actionlint {} (install once)", crate::tools::ACTIONLINT),
        crate::tools::actionlint,
    )?;
    r.step(&format!("actionlint {WORKFLOWS} (with shellcheck)"), || {
        let shellcheck = crate::system::which("shellcheck").context(
            "shellcheck is not installed (`cargo xtask system-packages` installs it; it checks \
             the workflows' scripts)",
        )?;
        run(Command::new(&actionlint)
            .current_dir(root())
            .arg("-shellcheck")
            .arg(shellcheck))
    })?;
    r.step("workflows pin actions by commit, least privilege", || {
        check_workflows(&root().join(WORKFLOWS))
    })?;
    r.step(
        &format!("cargo-deny {} (install once)", crate::tools::CARGO_DENY),
        crate::tools::cargo_deny,
    )?;
    r.step("cargo deny check licenses bans sources (deny.toml)", || {
        crate::tools::deny(&["licenses", "bans", "sources"], true)
    })?;
    Ok(())
}

/// What actionlint does not check: every `uses:` of another repository is
/// pinned to a full commit (with its tag in a comment), and every workflow
/// starts from no permission or read-only contents (`permissions:` at the
/// top), so that a job gets only what it asks for.
fn check_workflows(dir: &std::path::Path) -> Result<()> {
    let mut problems = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let Some(name) = name.filter(|n| n.ends_with(".yml") || n.ends_with(".yaml")) else {
            continue;
        };
        files += 1;
        let text = std::fs::read_to_string(&path)?;
        problems.extend(workflow_problems(&name, &text));
    }
    ensure!(files > 0, "no workflows in {}", dir.display());
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    eprintln!("{files} workflows: every action pinned by commit, permissions set at the top");
    Ok(())
}

fn workflow_problems(name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(uses) = line
            .trim_start()
            .trim_start_matches("- ")
            .strip_prefix("uses:")
        else {
            continue;
        };
        let uses = uses.trim();
        if uses.starts_with("./") || uses.starts_with("docker://") {
            continue;
        }
        let (action, rest) = uses.split_once('@').unwrap_or((uses, ""));
        let (reference, comment) = rest.split_once('#').unwrap_or((rest, ""));
        let reference = reference.trim();
        let pinned = reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit());
        if !pinned {
            problems.push(format!(
                "{name}:{}: {action}@{reference} is not pinned to a commit",
                i + 1
            ));
        } else if !comment.trim().starts_with('v') {
            problems.push(format!(
                "{name}:{}: {action}: name the tag of the pinned commit in a comment (`# vX.Y.Z`)",
                i + 1
            ));
        }
    }
    let top_permissions = text
        .lines()
        .any(|l| l == "permissions: {}" || l == "permissions:");
    if !top_permissions {
        problems.push(format!(
            "{name}: set `permissions:` at the top (`{{}}` or `contents: read`); jobs ask for more"
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_unpinned_actions_and_missing_permissions() {
        let text = "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/cache@0123456789abcdef0123456789abcdef01234567\n      - uses: ./local\n";
        let problems = workflow_problems("x.yml", text);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("actions/checkout@v4 is not pinned"));
        assert!(problems[1].contains("name the tag"));
        assert!(problems[2].contains("permissions"));

        let good = "permissions: {}\njobs:\n  a:\n    steps:\n      - uses: actions/cache@0123456789abcdef0123456789abcdef01234567 # v5.0.2\n";
        assert!(workflow_problems("y.yml", good).is_empty());
    }

    #[test]
    fn the_repository_workflows_pass() {
        check_workflows(&root().join(WORKFLOWS)).unwrap();
    }
}
