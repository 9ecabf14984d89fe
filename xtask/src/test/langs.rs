//! The cross-language steps: `buf generate` with local plugins only
//! (`tests/langs/buf.gen.yaml`) into the tools directory, then a small
//! round-trip program per language (`tests/langs/<lang>/`) built on that code
//! and run over every golden vector in [`VECTORS`]. Each program decodes the
//! binary, compares its library's proto3 JSON with the golden JSON as a JSON
//! value, re-encodes byte for byte, and parses the golden JSON and its own
//! JSON back to the same bytes; it names every vector that fails and exits 1.
//!
//! | language   | generator                     | runtime                                      |
//! |------------|-------------------------------|----------------------------------------------|
//! | Go         | protoc-gen-go (go.mod)        | google.golang.org/protobuf, protojson        |
//! | Java       | protoc (Debian)               | Debian's protobuf-java + -util (JsonFormat)  |
//! | C++        | protoc (Debian)               | Debian's libprotobuf (util/json_util.h)      |
//! | Python     | protoc (Debian)               | protobuf from PyPI, pinned to protoc's release |
//! | TypeScript | protoc-gen-es (package-lock)  | @bufbuild/protobuf, type-checked by tsc      |
//! | C#         | protoc (Debian)               | generated only: no .NET SDK here             |
//!
//! Builds are cached under the tools directory and redone only when their
//! inputs change.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use super::Runner;
use super::js::bin;
use super::python::ensure_venv_in;
use crate::util::{
    copy_files, files_under, fingerprint, output, root, run, stamp_matches, tools_dir, write_stamp,
};

/// The golden vectors (the folder holding `manifest.json`).
pub(crate) const VECTORS: &str = "tests/vectors/wire";

/// Debian's protobuf-java jar.
const PROTOBUF_JAR: &str = "/usr/share/java/protobuf.jar";

/// It, protobuf-java-util and what JsonFormat needs at run time (`cargo xtask system-packages`
/// installs them).
const JAVA_CLASSPATH: &[&str] = &[
    PROTOBUF_JAR,
    "/usr/share/java/protobuf-util.jar",
    "/usr/share/java/gson.jar",
    "/usr/share/java/guava.jar",
];

fn langs_dir() -> PathBuf {
    tools_dir().join("langs")
}

fn sources(lang: &str) -> PathBuf {
    root().join("tests/langs").join(lang)
}

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    r.step("toolchains of the generated code", versions)?;
    r.step("protoc-gen-go (pinned by tests/langs/go/go.mod)", || {
        run(Command::new("go")
            .current_dir(sources("go"))
            .arg("build")
            .arg("-o")
            .arg(langs_dir().join("bin/protoc-gen-go"))
            .arg("google.golang.org/protobuf/cmd/protoc-gen-go"))
    })?;
    r.step(
        "buf generate (tests/langs/buf.gen.yaml, local plugins)",
        generate,
    )?;
    r.step("C# generated (not compiled: no .NET SDK)", check_csharp)?;
    let programs = [
        r.step("build Go round trip", build_go)?,
        r.step("build Java round trip", build_java)?,
        r.step("build C++ round trip", build_cpp)?,
        r.step("build Python round trip (venv)", build_python)?,
        r.step(
            "build TypeScript round trip (tsc --strict)",
            build_typescript,
        )?,
    ];
    let vectors = root().join(VECTORS);
    for p in &programs {
        r.step(&format!("{} round trip over {VECTORS}", p.lang), || {
            run(&mut p.command(&vectors))
        })?;
    }
    r.step("round-trip programs fail on wrong vectors", || {
        reject_wrong_vectors(&programs)
    })?;
    Ok(())
}

/// A built round-trip program: `program args... VECTORS_DIR`.
struct Program {
    lang: &'static str,
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(&'static str, OsString)>,
}

impl Program {
    fn new(lang: &'static str, program: impl Into<OsString>) -> Self {
        Self {
            lang,
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    fn command(&self, vectors: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .arg(vectors)
            .envs(self.env.iter().cloned());
        cmd
    }
}

/// Prints the version of every tool and runtime involved, and fails when the
/// C++ or Java runtime is not the release of the `protoc` that generates for
/// it (C++ code only compiles against its own release; Java's is pinned the
/// same way for clarity) or the Python pin does not match it.
fn versions() -> Result<()> {
    let protoc = output(Command::new("protoc").arg("--version"))
        .context("protoc is missing: install Debian's protobuf-compiler (`cargo xtask system-packages` does)")?;
    let protoc = protoc.trim().trim_start_matches("libprotoc ").to_owned();
    let cpp = output(Command::new("pkg-config").args(["--modversion", "protobuf"]))
        .context("libprotobuf is missing: install Debian's libprotobuf-dev (`cargo xtask system-packages` does)")?;
    let jar = std::fs::canonicalize(PROTOBUF_JAR).with_context(|| {
        format!("{PROTOBUF_JAR} is missing: install Debian's libprotobuf-java (`cargo xtask system-packages` does)")
    })?;
    for jar in JAVA_CLASSPATH {
        ensure!(
            Path::new(jar).exists(),
            "{jar} is missing (`cargo xtask system-packages` installs it)"
        );
    }
    let python_pin = std::fs::read_to_string(sources("python").join("requirements.txt"))?;
    let python_pin = python_pin
        .lines()
        .find_map(|l| l.strip_prefix("protobuf=="))
        .unwrap_or_default()
        .to_owned();
    let go_pin = std::fs::read_to_string(sources("go").join("go.mod"))?;
    let go_pin = go_pin
        .lines()
        .find_map(|l| l.trim().strip_prefix("require google.golang.org/protobuf "))
        .unwrap_or_default()
        .to_owned();
    let first_line = |s: String| s.lines().next().unwrap_or_default().to_owned();

    let lines = [
        ("buf", output(Command::new(bin("buf")).arg("--version"))?),
        ("protoc", protoc.clone()),
        ("go", first_line(output(Command::new("go").arg("version"))?)),
        ("protoc-gen-go and Go runtime", go_pin),
        ("javac", output(Command::new("javac").arg("-version"))?),
        ("protobuf-java jar", jar.display().to_string()),
        (
            "g++",
            first_line(output(Command::new("g++").arg("--version"))?),
        ),
        ("libprotobuf (C++)", cpp.clone()),
        ("Python protobuf", python_pin.clone()),
        (
            "protoc-gen-es / @bufbuild/protobuf",
            npm_version("@bufbuild/protobuf")?,
        ),
        ("tsc", output(Command::new(bin("tsc")).arg("--version"))?),
        ("node", output(Command::new("node").arg("--version"))?),
    ];
    for (what, version) in &lines {
        eprintln!("  {what:<36} {}", version.trim());
    }
    ensure!(
        cpp.trim() == protoc,
        "libprotobuf {} is not protoc's release {protoc}: generated C++ only builds against its own release",
        cpp.trim()
    );
    ensure!(
        jar.to_string_lossy()
            .ends_with(&format!("protobuf-{protoc}.jar")),
        "{} is not protoc's release {protoc}",
        jar.display()
    );
    // protobuf's Python releases are numbered 4.21.x for protoc 3.21.x.
    ensure!(
        python_pin.split_once('.').map(|(_, rest)| rest)
            == protoc.split_once('.').map(|(_, rest)| rest),
        "tests/langs/python/requirements.txt pins protobuf {python_pin}, not the release of protoc {protoc}"
    );
    Ok(())
}

/// The version of an npm package in the root `node_modules`.
fn npm_version(package: &str) -> Result<String> {
    let json = std::fs::read_to_string(
        root()
            .join("node_modules")
            .join(package)
            .join("package.json"),
    )?;
    let value: serde_json::Value = serde_json::from_str(&json)?;
    Ok(value
        .get("version")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("?")
        .to_owned())
}

/// `buf generate` with the CI template, the local plugins first on `PATH`.
fn generate() -> Result<()> {
    let mut path = vec![langs_dir().join("bin"), root().join("node_modules/.bin")];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    run(Command::new(bin("buf"))
        .current_dir(root())
        .env("PATH", std::env::join_paths(path)?)
        .args([
            "generate",
            "--template",
            "tests/langs/buf.gen.yaml",
            "--output",
        ])
        .arg(langs_dir()))
}

/// C# is generated like the others, but not compiled: there is no .NET SDK on
/// this machine (Debian 12 does not package one) and NuGet, which serves
/// Google.Protobuf, is not reachable. This checks that the file exists and
/// declares the messages in the managed-mode namespace.
fn check_csharp() -> Result<()> {
    let file = langs_dir().join("csharp/gen/Logentry.cs");
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    for needle in [
        "namespace Lokryn.Compliancelog.V1",
        "public sealed partial class LogEntry : pb::IMessage<LogEntry>",
        "public enum EventType",
    ] {
        ensure!(text.contains(needle), "{} lacks `{needle}`", file.display());
    }
    eprintln!("{}: {} bytes, not compiled", file.display(), text.len());
    Ok(())
}

fn build_go() -> Result<Program> {
    let dir = langs_dir().join("go");
    copy_files(&sources("go"), &dir)?;
    run(Command::new("go")
        .current_dir(&dir)
        .args(["build", "-o", "roundtrip", "."]))?;
    Ok(Program::new("Go", dir.join("roundtrip")))
}

fn build_java() -> Result<Program> {
    let dir = langs_dir().join("java");
    let classes = dir.join("classes");
    let generated = files_under(&dir.join("gen"), ".java")?;
    let program = sources("java").join("RoundTrip.java");
    let classpath = std::env::join_paths(JAVA_CLASSPATH)?;
    let mut inputs = generated.clone();
    inputs.push(program.clone());
    let jars = JAVA_CLASSPATH
        .iter()
        .map(|jar| std::fs::canonicalize(jar).map(|p| p.display().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    cached(&dir, &inputs, &jars.join(" "), || {
        let _ = std::fs::remove_dir_all(&classes);
        // Generated code first, without lints; then the program, with all of them.
        run(Command::new("javac")
            .arg("-nowarn")
            .arg("-d")
            .arg(&classes)
            .arg("-cp")
            .arg(&classpath)
            .args(&generated))?;
        run(Command::new("javac")
            .args(["-Xlint:all", "-Werror", "-d"])
            .arg(&classes)
            .arg("-cp")
            .arg(prepend(&classes, JAVA_CLASSPATH)?)
            .arg(&program))
    })?;
    Ok(Program::new("Java", "java")
        .arg("-cp")
        .arg(prepend(&classes, JAVA_CLASSPATH)?)
        .arg("RoundTrip"))
}

/// A class path of `first` followed by `rest`.
fn prepend(first: &Path, rest: &[&str]) -> Result<OsString> {
    let mut paths = vec![first.to_path_buf()];
    paths.extend(rest.iter().map(PathBuf::from));
    Ok(std::env::join_paths(paths)?)
}

fn build_cpp() -> Result<Program> {
    let dir = langs_dir().join("cpp");
    let gen_dir = dir.join("gen");
    // Every generated file: logentry.proto imports rules.proto.
    let generated: Vec<PathBuf> = files_under(&gen_dir, ".pb.cc")?;
    let program = sources("cpp").join("roundtrip.cc");
    let exe = dir.join("roundtrip");
    let flags = output(Command::new("pkg-config").args(["--cflags", "--libs", "protobuf"]))?;
    let flags: Vec<&str> = flags.split_whitespace().collect();
    let mut inputs = files_under(&gen_dir, "")?;
    inputs.push(program.clone());
    let settings = format!(
        "{} {}",
        output(Command::new("g++").arg("-dumpfullversion"))?.trim(),
        flags.join(" ")
    );
    cached(&dir, &inputs, &settings, || {
        // Generated code without warnings; the program with -Werror.
        let mut objects = Vec::new();
        for (i, source) in generated.iter().enumerate() {
            let object = dir.join(format!("generated-{i}.pb.o"));
            run(Command::new("g++")
                .args(["-std=c++17", "-O1", "-c", "-w", "-I"])
                .arg(&gen_dir)
                .arg(source)
                .arg("-o")
                .arg(&object)
                .args(&flags))?;
            objects.push(object);
        }
        run(Command::new("g++")
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(&gen_dir)
            .arg(&program)
            .args(&objects)
            .arg("-o")
            .arg(&exe)
            .args(&flags))
    })?;
    Ok(Program::new("C++", exe))
}

fn build_python() -> Result<Program> {
    let dir = langs_dir().join("python");
    let python = ensure_venv_in(
        &dir.join("venv"),
        &sources("python").join("requirements.txt"),
    )?;
    let mut program = Program::new("Python", python).arg(sources("python").join("roundtrip.py"));
    program.env.push(("PYTHONPATH", dir.join("gen").into()));
    Ok(program)
}

fn build_typescript() -> Result<Program> {
    let dir = langs_dir().join("ts");
    copy_files(&sources("ts"), &dir)?;
    // The generated code imports @bufbuild/protobuf; resolve it (and the type
    // definitions) from the repository's node_modules.
    let link = dir.join("node_modules");
    let _ = std::fs::remove_file(&link);
    symlink_dir(&root().join("node_modules"), &link)?;
    let mut inputs = files_under(&dir.join("gen"), ".ts")?;
    inputs.extend(files_under(&sources("ts"), "")?);
    inputs.push(root().join("package-lock.json"));
    cached(&dir, &inputs, "", || {
        run(Command::new(bin("tsc")).arg("-p").arg(&dir))
    })?;
    Ok(Program::new("TypeScript", "node").arg(dir.join("out/roundtrip.js")))
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> Result<()> {
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("linking {} to {}", link.display(), target.display()))
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
        .with_context(|| format!("linking {} to {}", link.display(), target.display()))
}

/// Runs `build` unless `dir`'s stamp records exactly these input files and
/// `settings` (flags, tool versions).
fn cached(
    dir: &Path,
    inputs: &[PathBuf],
    settings: &str,
    build: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let stamp = dir.join(".lokryn-stamp");
    let wanted = format!("{settings}\n{}", fingerprint(inputs)?);
    if stamp_matches(&stamp, &wanted) {
        eprintln!("{} is up to date", dir.display());
        return Ok(());
    }
    build()?;
    write_stamp(&stamp, &wanted)
}

/// Two deliberately wrong vectors: each program must fail on both, name
/// both, and pass neither.
const WRONG_VECTORS: &[(&str, &[u8], &str)] = &[
    // The JSON says something the binary does not.
    ("json-differs", b"", r#"{"actorId":"someone else"}"#),
    // severity=DEBUG then severity=0: decodes to the empty entry, whose
    // canonical encoding is zero bytes.
    ("binary-not-canonical", b"\x18\x01\x18\x00", "{}"),
];

fn reject_wrong_vectors(programs: &[Program]) -> Result<()> {
    let dir = langs_dir().join("wrong-vectors");
    std::fs::create_dir_all(&dir)?;
    let mut manifest = Vec::new();
    for (name, binary, json) in WRONG_VECTORS {
        std::fs::write(dir.join(format!("{name}.binpb")), binary)?;
        std::fs::write(dir.join(format!("{name}.json")), json)?;
        manifest.push(serde_json::json!({
            "name": name,
            "binary": format!("{name}.binpb"),
            "json": format!("{name}.json"),
        }));
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "vectors": manifest }))?,
    )?;
    for p in programs {
        let out = p
            .command(&dir)
            .output()
            .with_context(|| format!("running the {} round trip", p.lang))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let summary = format!("0 passed, {} failed", WRONG_VECTORS.len());
        let named = WRONG_VECTORS
            .iter()
            .all(|(name, ..)| stderr.contains(&format!("FAIL {name}: ")));
        if out.status.code() != Some(1) || !stdout.contains(&summary) || !named {
            bail!(
                "the {} round trip did not fail as it should on {} ({}):\n{stdout}{stderr}",
                p.lang,
                dir.display(),
                out.status
            );
        }
        eprintln!("  {:<10} exit 1, {summary}, both named", p.lang);
    }
    Ok(())
}
