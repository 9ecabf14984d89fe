//! The system packages the full suite needs, in one place: `cargo xtask
//! test` installs the missing ones before its first step when it can (as
//! root, or with password-less sudo, on a machine with apt-get), and
//! otherwise stops with the one command that does. `cargo xtask
//! system-packages` does the same on its own, and `.ci/run` needs nothing
//! more than `cargo xtask test`.
//!
//! Set `LOKRYN_NO_APT=1` to have the missing packages reported, never
//! installed.

use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::util::run;

/// Debian packages, each with why the suite needs it, and when.
const PACKAGES: &[Package] = &[
    // protoc and the protobuf runtimes the generated code of tests/langs/
    // builds against (one release, 3.21.12 on Debian 12): the C++ headers
    // and library, the Java jars (with protobuf-java-util's JsonFormat and
    // its gson and guava).
    Package::always("protobuf-compiler"),
    Package::always("libprotobuf-dev"),
    Package::always("pkg-config"),
    Package::always("libprotobuf-java"),
    Package::always("libgoogle-gson-java"),
    Package::always("libguava-java"),
    // actionlint runs shellcheck over the workflows' scripts.
    Package::always("shellcheck"),
    // The browser suite of the npm packages, unless a Chrome is installed.
    Package {
        name: "chromium",
        when: When::NoCommand(&["chromium", "google-chrome"]),
    },
    // Apache Spark, which reads the exported Parquet files (the exports
    // steps), runs on a Java runtime, 17 or newer (Debian 12's default).
    Package {
        name: "default-jre-headless",
        when: When::NoCommand(&["java"]),
    },
    // Where rustup has no wasm32 target (it cannot always download one),
    // Debian's second Rust compiler, whose LLVM has the wasm backend (see
    // xtask/src/npm.rs).
    Package {
        name: "rustc-web",
        when: When::NoWasmTarget,
    },
    Package {
        name: "cargo-web",
        when: When::NoWasmTarget,
    },
    Package {
        name: "rust-web-src",
        when: When::NoWasmTarget,
    },
    Package {
        name: "lld",
        when: When::NoWasmTarget,
    },
];

struct Package {
    name: &'static str,
    when: When,
}

enum When {
    Always,
    /// Only when none of these commands is on `PATH`.
    NoCommand(&'static [&'static str]),
    /// Only when rustup has no `wasm32-unknown-unknown` target.
    NoWasmTarget,
}

impl Package {
    const fn always(name: &'static str) -> Self {
        Self {
            name,
            when: When::Always,
        }
    }

    fn wanted(&self) -> bool {
        match self.when {
            When::Always => true,
            When::NoCommand(commands) => !commands.iter().any(|c| on_path(c)),
            When::NoWasmTarget => !crate::npm::rustup_has_wasm_target(),
        }
    }
}

/// The packages this machine needs (conditions applied).
pub(crate) fn wanted() -> Vec<&'static str> {
    PACKAGES
        .iter()
        .filter(|p| p.wanted())
        .map(|p| p.name)
        .collect()
}

/// Every package of the list, whatever the conditions (for the docs).
#[cfg(test)]
fn all() -> impl Iterator<Item = &'static str> {
    PACKAGES.iter().map(|p| p.name)
}

/// The one command that installs `missing`.
pub(crate) fn install_command(missing: &[&str]) -> String {
    format!(
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    )
}

/// Which of `packages` dpkg does not have installed.
fn missing(packages: &[&'static str]) -> Vec<&'static str> {
    packages
        .iter()
        .copied()
        .filter(|name| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", name])
                .output()
                .is_ok_and(|o| {
                    o.status.success() && String::from_utf8_lossy(&o.stdout).ends_with(" installed")
                })
        })
        .collect()
}

/// How this process can run apt-get: directly (root), through sudo
/// without a password, or not at all.
fn apt_prefix() -> Option<Vec<&'static str>> {
    if !on_path("apt-get") || std::env::var_os("LOKRYN_NO_APT").is_some_and(|v| v != "0") {
        return None;
    }
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if uid.as_deref() == Some("0") {
        return Some(Vec::new());
    }
    let sudo = Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    sudo.then(|| vec!["sudo", "-n"])
}

/// Makes sure the system packages are installed: installs the missing
/// ones when it can, otherwise fails naming the command that does. On a
/// machine without dpkg (not Debian or Ubuntu) it only says what the suite
/// expects, and the steps that need a package say so when they run.
pub(crate) fn ensure() -> Result<()> {
    let wanted = wanted();
    if !on_path("dpkg-query") {
        eprintln!(
            "not a Debian or Ubuntu machine: the full suite expects the equivalents of {}",
            wanted.join(" ")
        );
        return Ok(());
    }
    let missing = missing(&wanted);
    if missing.is_empty() {
        eprintln!("all {} system packages are installed", wanted.len());
        return Ok(());
    }
    let Some(prefix) = apt_prefix() else {
        bail!(
            "missing system packages: {}. Install them with:\n\n    {}\n\n(or run `cargo xtask test` as root, which installs them itself)",
            missing.join(" "),
            install_command(&missing)
        );
    };
    eprintln!("installing {}", missing.join(" "));
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            cmd.args(prefix.iter().skip(1)).arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update", "-qq"])).context("apt-get update")?;
    run(apt(&["install", "-y", "-qq", "--no-install-recommends"]).args(&missing))
        .context("apt-get install")?;
    let still = self::missing(&missing);
    if !still.is_empty() {
        bail!("apt-get did not install {}", still.join(" "));
    }
    Ok(())
}

/// Whether `name` is a file in a directory of `PATH`.
pub(crate) fn on_path(name: &str) -> bool {
    which(name).is_some()
}

/// The first `name` on `PATH`.
pub(crate) fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CONTRIBUTING.md lists the packages: it must list these.
    #[test]
    fn contributing_lists_every_package() {
        let text = std::fs::read_to_string(crate::util::root().join("CONTRIBUTING.md")).unwrap();
        for name in all() {
            assert!(
                text.contains(&format!("`{name}`")),
                "CONTRIBUTING.md does not list {name}"
            );
        }
    }

    /// `.ci/run` does not keep a list of its own.
    #[test]
    fn ci_run_has_no_second_list() {
        let text = std::fs::read_to_string(crate::util::root().join(".ci/run")).unwrap();
        assert!(
            !text.contains("apt-get"),
            ".ci/run must leave apt-get to xtask"
        );
        for name in all() {
            assert!(
                !text.split_whitespace().any(|w| w == name),
                ".ci/run names {name}: the list lives in xtask/src/system.rs"
            );
        }
    }

    #[test]
    fn the_install_command_names_every_missing_package() {
        assert_eq!(
            install_command(&["shellcheck", "protobuf-compiler"]),
            "sudo apt-get update && sudo apt-get install -y --no-install-recommends shellcheck protobuf-compiler"
        );
    }
}
