//! The repository root is found at run time, so an xtask binary built in one
//! clone (and still fresh for Cargo under a shared `CARGO_TARGET_DIR`) acts on
//! the clone it is run in, never on the one it was compiled in.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A minimal workspace in a fresh temporary directory: a `Cargo.toml` with
/// `[workspace]` and an `xtask/` package, plus a sub-folder to run from.
fn fake_clone(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-root-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("xtask")).unwrap();
    std::fs::create_dir_all(dir.join("crates/deep/src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"xtask\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("xtask/Cargo.toml"),
        "[package]\nname = \"xtask\"\n",
    )
    .unwrap();
    dir.canonicalize().unwrap()
}

fn root_seen(cwd: &Path, manifest_dir: Option<&Path>) -> PathBuf {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.arg("root")
        .current_dir(cwd)
        .env_remove("CARGO_MANIFEST_DIR");
    if let Some(dir) = manifest_dir {
        cmd.env("CARGO_MANIFEST_DIR", dir);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn the_root_is_the_clone_run_in_not_the_one_built_in() {
    let this_clone = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .canonicalize()
        .unwrap();
    let other = fake_clone("other");
    assert_ne!(other, this_clone);

    // `cargo xtask` in the other clone: Cargo says which manifest it ran.
    assert_eq!(root_seen(&other, Some(&other.join("xtask"))), other);
    // Run directly, from anywhere inside the other clone.
    assert_eq!(root_seen(&other.join("crates/deep/src"), None), other);
    // A CARGO_MANIFEST_DIR that is not an xtask of a workspace is not trusted.
    assert_eq!(
        root_seen(&other.join("crates/deep"), Some(&other.join("crates/deep"))),
        other
    );

    // And the commands act there: `version` reads the other clone's
    // manifests (it has none) instead of printing this clone's version.
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("version")
        .current_dir(&other)
        .env("CARGO_MANIFEST_DIR", other.join("xtask"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && out.stdout.is_empty(),
        "`xtask version` in another clone printed {} ({stderr})",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("Cargo.toml"), "{stderr}");
    std::fs::remove_dir_all(&other).unwrap();
}
