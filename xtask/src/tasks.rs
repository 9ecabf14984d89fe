//! `cargo xtask test` and `cargo xtask lint`.

use anyhow::Result;

use crate::util::{cargo, root, run};

pub(crate) fn lint() -> Result<()> {
    run(cargo().current_dir(root()).args(["fmt", "--all", "--check"]))?;
    run(cargo().current_dir(root()).args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))
}

pub(crate) fn test(_rust_only: bool) -> Result<()> {
    crate::codegen::run(true)?;
    lint()?;
    run(cargo().current_dir(root()).args(["test", "--workspace"]))
}
