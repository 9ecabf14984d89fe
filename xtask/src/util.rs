//! Small helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The repository root this run acts on, resolved at run time: the
/// workspace whose xtask Cargo is running (`CARGO_MANIFEST_DIR`, which
/// `cargo run` sets to `<root>/xtask`), else the nearest directory at or
/// above the current one that holds a workspace `Cargo.toml` and `xtask/`.
///
/// Never the directory the binary was compiled in: with a shared
/// `CARGO_TARGET_DIR`, an xtask built in one clone and still fresh runs for
/// another clone, and must act on that one.
pub(crate) fn root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    find_root(manifest_dir.as_deref(), &cwd).unwrap_or(cwd)
}

/// [`root`] from its inputs: the runtime `CARGO_MANIFEST_DIR` (if any) and
/// the current directory.
fn find_root(manifest_dir: Option<&Path>, cwd: &Path) -> Option<PathBuf> {
    if let Some(root) = manifest_dir
        .and_then(Path::parent)
        .filter(|dir| is_root(dir))
    {
        return Some(root.to_path_buf());
    }
    cwd.ancestors()
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
}

/// A directory with a `Cargo.toml` that declares a `[workspace]`, and `xtask/`.
fn is_root(dir: &Path) -> bool {
    dir.join("xtask").join("Cargo.toml").is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"))
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

/// `npm` (on Windows `npm.cmd`, which `Command` does not find by itself).
pub(crate) fn npm() -> Command {
    Command::new(if cfg!(windows) { "npm.cmd" } else { "npm" })
}

/// The Python that creates the virtual environments: `PYTHON`, else
/// `python3` (`python` on Windows).
pub(crate) fn host_python() -> String {
    std::env::var("PYTHON")
        .unwrap_or_else(|_| if cfg!(windows) { "python" } else { "python3" }.into())
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

/// Runs `cmd` and returns its standard output, failing when it exits non-zero.
pub(crate) fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("could not start `{}`", display(cmd)))?;
    if !out.status.success() {
        bail!(
            "`{}` failed with {}: {}",
            display(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A fingerprint of files' paths and contents, for stamps that skip a build
/// whose inputs did not change. FNV-1a: change detection, not security.
pub(crate) fn fingerprint(files: &[PathBuf]) -> Result<String> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in files {
        feed(file.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(file).with_context(|| format!("reading {}", file.display()))?);
        feed(&[0]);
    }
    Ok(format!("{hash:016x} over {} files\n", files.len()))
}

/// Every file under `dir` whose name ends with `suffix`, sorted.
pub(crate) fn files_under(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Copies the files (not sub-folders) of `from` into `to`, creating `to`.
pub(crate) fn copy_files(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        if path.is_file() {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, to.join(name))
                    .with_context(|| format!("copying {}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Sets the modification time of every file under `dir` to now, so that
/// Cargo builds sources unpacked from an archive (whose recorded times may
/// be older than an earlier build of another version at the same path)
/// instead of taking that build as fresh.
pub(crate) fn touch_tree(dir: &Path) -> Result<()> {
    let now = std::time::SystemTime::now();
    for file in files_under(dir, "")? {
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(now))
            .with_context(|| format!("touching {}", file.display()))?;
    }
    Ok(())
}
