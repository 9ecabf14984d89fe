//! Builds the two npm packages in place, for the tests, the benchmarks and
//! `cargo xtask dist`:
//!
//! * both: the runtime and the TypeScript declarations (`runtime.cjs` or
//!   `runtime.js`, `index.d.ts`), from the schema and the one hand-written
//!   half of each in `bindings/js` (see `crate::codegen::typescript`);
//!   each build writes them for both packages, so that the TypeScript check
//!   of both APIs needs only one of the builds.
//! * `bindings/node`: the napi-rs addon (`compliance-log.<platform>.node`),
//!   by `napi build` (npm `@napi-rs/cli`). Its loader, `native.cjs`, is
//!   written by hand and committed.
//! * `bindings/wasm`: `pkg/`, by `cargo build --target wasm32-unknown-unknown`
//!   and the wasm-bindgen CLI (installed on first use under the tools
//!   directory, at exactly the version of the `wasm-bindgen` crate in
//!   Cargo.lock).
//!
//! Where rustup has no wasm32 target (`rustup target add` needs the network),
//! the wasm build falls back to Debian's second compiler, `rustc-web`, with
//! its own target directory (see `xtask/src/system.rs` for the packages).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{root, run, target_dir};

pub(crate) const NODE_DIR: &str = "bindings/node";
pub(crate) const WASM_DIR: &str = "bindings/wasm";
const WASM_CRATE: &str = "lokryn-compliance-log-wasm";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The file wasm-bindgen writes; package.json's `files` and the entries name it.
pub(crate) const WASM_FILE: &str = "pkg/lokryn_compliance_log_wasm_bg.wasm";

/// `cargo xtask npm`: the root dev tools, then the packages asked for.
pub(crate) fn build(node: bool, wasm: bool) -> Result<()> {
    crate::test::ensure_node_modules()?;
    if node {
        build_node()?;
    }
    if wasm {
        build_wasm()?;
    }
    Ok(())
}

/// Builds the napi addon (release) next to the package's files.
///
/// (Not `--strip`: it sets RUSTFLAGS, which would make this build and the
/// Python wheel's, sharing the target directory, rebuild each other's
/// dependencies on every run; stripping would save 15 %.)
pub(crate) fn build_node() -> Result<()> {
    write_sources()?;
    let napi = crate::test::js_bin("napi");
    run(Command::new(napi)
        .current_dir(root().join(NODE_DIR))
        .env("CARGO_TARGET_DIR", target_dir())
        .args([
            "build",
            "--platform",
            "--release",
            "--no-js",
            "--dts",
            "native.d.ts",
        ]))?;
    let addon = node_addon()?;
    eprintln!(
        "{}: {} KiB",
        addon.display(),
        std::fs::metadata(&addon)?.len() / 1024
    );
    Ok(())
}

/// Writes the runtime and the type declarations of both packages (each
/// only when it changed, so that timestamps stay put).
pub(crate) fn write_sources() -> Result<()> {
    let root = root();
    let schema = crate::codegen::schema::Schema::compile(&root.join("proto"))?;
    for file in crate::codegen::typescript::package_files(&schema)? {
        let path = root.join(&file.path);
        if std::fs::read(&path).ok().as_deref() != Some(file.contents.as_slice()) {
            std::fs::write(&path, &file.contents)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", file.path.display());
        }
    }
    Ok(())
}

/// The addon `build_node` made for this platform.
pub(crate) fn node_addon() -> Result<PathBuf> {
    let dir = root().join(NODE_DIR);
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "node") {
            return Ok(path);
        }
    }
    bail!(
        "no .node file in {}: run `cargo xtask test` or `cargo xtask dist`",
        dir.display()
    )
}

/// How this machine compiles Rust to wasm32.
enum WasmToolchain {
    /// rustup's toolchain has the target installed.
    Rustup,
    /// Debian's `rustc-web` in /usr/bin, std built from `rust-web-src`.
    DebianWeb,
}

/// Whether rustup's toolchain has the wasm32 target installed.
pub(crate) fn rustup_has_wasm_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WASM_TARGET)
        })
}

fn wasm_toolchain() -> Result<WasmToolchain> {
    if rustup_has_wasm_target() {
        return Ok(WasmToolchain::Rustup);
    }
    if Path::new("/usr/bin/rustc").exists() && Path::new("/usr/bin/wasm-ld").exists() {
        return Ok(WasmToolchain::DebianWeb);
    }
    bail!(
        "no Rust compiler for {WASM_TARGET}: run `rustup target add {WASM_TARGET}`, \
         or on Debian `apt-get install rustc-web cargo-web rust-web-src lld` \
         (`cargo xtask system-packages` does)"
    )
}

/// Builds the wasm module (release, size-optimised) and runs wasm-bindgen.
pub(crate) fn build_wasm() -> Result<()> {
    write_sources()?;
    let bindgen = ensure_wasm_bindgen()?;
    let mut cmd;
    let target;
    match wasm_toolchain()? {
        WasmToolchain::Rustup => {
            cmd = crate::util::cargo();
            // Apart from the host builds, whose profile this build overrides.
            target = target_dir().join("wasm");
            cmd.args(["build", "--release", "--locked", "--target", WASM_TARGET]);
        }
        WasmToolchain::DebianWeb => {
            // Never the rustup shims, and never rustup's artifacts.
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![PathBuf::from("/usr/bin")];
            dirs.extend(std::env::split_paths(&path));
            cmd = Command::new("/usr/bin/cargo");
            target = target_dir().join("wasm-rustc-web");
            cmd.env("PATH", std::env::join_paths(dirs)?)
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC")
                .env_remove("RUSTDOC")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld")
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["build", "--release", "--locked", "--target", WASM_TARGET])
                .arg("-Zbuild-std=std,panic_abort");
        }
    }
    cmd.current_dir(root())
        .env("CARGO_TARGET_DIR", &target)
        // Size over speed, one unit, no unwinding, no symbol names (the
        // name section is a fifth of the module): the module is downloaded.
        // Our own crates, where the time goes, at `s`; the dependencies
        // (std, prost-reflect, serde_json, ...) at `z`, which keeps the
        // module about 9 KB (gzipped) smaller.
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s")
        .args(["--config", "profile.release.package.\"*\".opt-level=\"z\""])
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .args(["-p", WASM_CRATE]);
    run(&mut cmd)?;
    let wasm = target
        .join(WASM_TARGET)
        .join("release")
        .join(format!("{}.wasm", WASM_CRATE.replace('-', "_")));
    let out = root().join(WASM_DIR).join("pkg");
    let _ = std::fs::remove_dir_all(&out);
    run(Command::new(bindgen)
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&out)
        .arg(&wasm))?;
    let size = std::fs::metadata(root().join(WASM_DIR).join(WASM_FILE))?.len();
    eprintln!("{WASM_FILE}: {} KiB", size / 1024);
    Ok(())
}

/// The version of the `wasm-bindgen` crate in Cargo.lock: the CLI must match.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return Ok(v.trim_matches('"').to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

/// Installs the wasm-bindgen CLI of the locked version once (it builds from
/// crates.io) and returns its path.
fn ensure_wasm_bindgen() -> Result<PathBuf> {
    let version = wasm_bindgen_version()?;
    // Not `--locked`: the CLI's lock file pins crates that a registry
    // mirror may not carry yet; semver-compatible versions are fine. Only
    // the one binary, without TLS (which only the test runner uses): about
    // 4.5 minutes on 2 cores.
    crate::tools::cargo_install("wasm-bindgen-cli", &version, "wasm-bindgen", |cmd| {
        cmd.args(["--no-default-features", "--bin", "wasm-bindgen"]);
    })
}
