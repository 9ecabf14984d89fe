//! Small helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The repository root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Runs `cmd`, echoing it first, and fails when it exits non-zero.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", display(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", display(cmd));
    }
    Ok(())
}

fn display(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// The `cargo` that runs this xtask.
pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Cargo's target directory (`CARGO_TARGET_DIR`, else `target/`).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Where test tools that need no root live: the Python virtual environment,
/// downloaded reference packages. `LOKRYN_TOOLS_DIR`, else `tools/` in the
/// target directory, so a shared target directory shares them too.
pub(crate) fn tools_dir() -> PathBuf {
    std::env::var_os("LOKRYN_TOOLS_DIR").map_or_else(|| target_dir().join("tools"), PathBuf::from)
}

/// True when `stamp` exists and records exactly `content` (the inputs an
/// installation step was last run with); see [`write_stamp`].
pub(crate) fn stamp_matches(stamp: &Path, content: &str) -> bool {
    std::fs::read_to_string(stamp).is_ok_and(|s| s == content)
}

/// Records that an installation step ran with `content` as its inputs.
pub(crate) fn write_stamp(stamp: &Path, content: &str) -> Result<()> {
    if let Some(dir) = stamp.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(stamp, content).with_context(|| format!("writing {}", stamp.display()))
}
