//! The buf steps: `buf lint`, the two breaking-change checks, and the proof
//! that those checks fail on a breaking change.
//!
//! * FILE rules against the schema of the last release, a buf image committed
//!   at [`BASELINE`] (see `tests/breaking/README.md`; `cargo xtask
//!   schema-baseline` records it when a release is cut).
//! * WIRE_JSON rules against the published lokryn-compliance-log 0.1.1: its
//!   wheel, fetched from PyPI and checked against a pinned SHA-256, carries
//!   the schema only as protoc's serialized descriptor, which
//!   `tests/breaking/wheel_descriptor.py` turns into a buf image. Its file
//!   layout (`proto/logentry.proto`) differs from ours, which is why FILE
//!   rules cannot be used against it and WIRE_JSON (types, numbers, JSON
//!   names) is the contract.
//! * Each entry of [`MUTANTS`] applies one breaking edit to a scratch copy of
//!   the module and must make the named check fail with the named rule; an
//!   unedited copy must pass, so a failure is the edit's doing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use super::Runner;
use super::js::bin;
use super::python::{PUBLISHED, ensure_venv};
use crate::util::{output, root, run, stamp_matches, tools_dir, write_stamp};

/// The buf image of the last released schema (FILE rules' baseline).
pub(crate) const BASELINE: &str = "tests/breaking/last-release.json";

/// The SHA-256 of `lokryn_compliance_log-0.1.1-py3-none-any.whl` on PyPI.
const PUBLISHED_WHEEL_SHA256: &str =
    "56b939594d64be606b4f319d5b62c8ba907bba0d4bb3d6e92a418620947406f4";

/// buf's configuration for the check against 0.1.1: the module as in
/// `buf.yaml`, with WIRE_JSON instead of FILE.
const WIRE_JSON_CONFIG: &str =
    r#"{"version":"v2","modules":[{"path":"proto"}],"breaking":{"use":["WIRE_JSON"]}}"#;

/// Which check a breaking change is run against.
#[derive(Debug, Clone, Copy)]
enum Against {
    /// FILE rules, against [`BASELINE`].
    LastRelease,
    /// WIRE_JSON rules, against the published 0.1.1 schema.
    Published,
}

impl Against {
    fn label(self) -> &'static str {
        match self {
            Self::LastRelease => "FILE against the last release",
            Self::Published => "WIRE_JSON against 0.1.1",
        }
    }
}

/// One breaking edit of `proto/lokryn/compliancelog/v1/logentry.proto`, and
/// the buf rule that must report it. Field declarations carry validation
/// options (`string actor_id = 4 [(rules) = …];`) and enum values export
/// options (`EVENT_LOGIN = 1 [(value_export) = …];`), so the edits match a
/// declaration up to its number.
struct Mutant {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    against: Against,
    rule: &'static str,
}

const MUTANTS: &[Mutant] = &[
    Mutant {
        what: "renumbering a field",
        from: "string actor_id = 4 ",
        to: "string actor_id = 40 ",
        against: Against::LastRelease,
        rule: "FIELD_NO_DELETE",
    },
    Mutant {
        what: "renumbering a 0.1.1 field",
        from: "string actor_id = 4 ",
        to: "string actor_id = 40 ",
        against: Against::Published,
        rule: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
    },
    Mutant {
        what: "renaming a field",
        from: "string session_id = 22 ",
        to: "string session = 22 ",
        against: Against::LastRelease,
        rule: "FIELD_SAME_NAME",
    },
    Mutant {
        what: "renaming a 0.1.1 field (its JSON name changes)",
        from: "string component = 5 ",
        to: "string subsystem = 5 ",
        against: Against::Published,
        rule: "FIELD_SAME_JSON_NAME",
    },
    Mutant {
        what: "changing a field's type",
        from: "int64 duration_ms = 24 ",
        to: "int32 duration_ms = 24 ",
        against: Against::LastRelease,
        rule: "FIELD_SAME_TYPE",
    },
    Mutant {
        what: "changing a 0.1.1 field's type",
        from: "bytes payload = 9 ",
        to: "string payload = 9 ",
        against: Against::Published,
        rule: "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
    },
    Mutant {
        what: "deleting an enum value (its options kept on a new number)",
        from: "EVENT_TRANSPORT_ERROR = 42 ",
        to: "reserved 42; EVENT_TRANSPORT_ERROR_AGAIN = 1042 ",
        against: Against::LastRelease,
        rule: "ENUM_VALUE_NO_DELETE",
    },
    Mutant {
        what: "renaming a 0.1.1 enum value (its JSON spelling changes)",
        from: "EVENT_LOGIN = 1 ",
        to: "EVENT_SIGN_IN = 1 ",
        against: Against::Published,
        rule: "ENUM_VALUE_SAME_NAME",
    },
    Mutant {
        what: "making a field repeated",
        from: "string resource = 7 ",
        to: "repeated string resource = 7 ",
        against: Against::Published,
        rule: "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
    },
];

/// The schema file the mutants edit, relative to the module root.
const SCHEMA_FILE: &str = "lokryn/compliancelog/v1/logentry.proto";

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    r.step("buf lint", || run(buf().current_dir(root()).arg("lint")))?;
    let published = r.step(
        "published 0.1.1 schema as a buf image (from PyPI)",
        fetch_published,
    )?;
    r.step(
        &format!("buf breaking --against {BASELINE} (FILE)"),
        check_against_baseline,
    )?;
    r.step("buf breaking --against published 0.1.1 (WIRE_JSON)", || {
        run(&mut breaking(&root(), Against::Published, &published))
    })?;
    r.step(
        &format!("buf breaking rejects {} breaking edits", MUTANTS.len()),
        || check_mutants(&published),
    )?;
    Ok(())
}

fn buf() -> Command {
    Command::new(bin("buf"))
}

/// `buf breaking` (FILE rules) of the repository's module against
/// [`BASELINE`].
pub(crate) fn check_against_baseline() -> Result<()> {
    // The image of 0.1.1 is not needed for this check.
    run(&mut breaking(&root(), Against::LastRelease, Path::new("")))
}

/// `buf breaking` of the module in `dir` (a folder holding `buf.yaml` and
/// `proto/`) against one of the two references.
fn breaking(dir: &Path, against: Against, published: &Path) -> Command {
    let mut cmd = buf();
    cmd.current_dir(dir).args(["breaking", "--against"]);
    match against {
        Against::LastRelease => {
            cmd.arg(root().join(BASELINE));
        }
        Against::Published => {
            cmd.arg(published).args(["--config", WIRE_JSON_CONFIG]);
        }
    }
    cmd
}

/// Downloads the 0.1.1 wheel from PyPI (once) and writes its schema as a buf
/// image; returns the image's path.
fn fetch_published() -> Result<PathBuf> {
    let image = tools_dir().join("published-0.1.1-image/logentry.binpb");
    let Some(dir) = image.parent() else {
        bail!("{} has no parent folder", image.display());
    };
    let stamp = dir.join(".lokryn-stamp");
    let wanted = format!("{PUBLISHED} {PUBLISHED_WHEEL_SHA256}\n");
    if image.exists() && stamp_matches(&stamp, &wanted) {
        eprintln!("{} is up to date", image.display());
        return Ok(image);
    }
    let _ = std::fs::remove_dir_all(dir);
    let python = ensure_venv()?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .arg("--dest")
        .arg(dir)
        .arg(PUBLISHED))?;
    let wheels = crate::util::files_under(dir, ".whl")?;
    let [wheel] = wheels.as_slice() else {
        bail!("expected one wheel in {}, found {wheels:?}", dir.display());
    };
    run(Command::new(&python)
        .arg(root().join("tests/breaking/wheel_descriptor.py"))
        .arg(wheel)
        .arg(PUBLISHED_WHEEL_SHA256)
        .arg(&image))?;
    write_stamp(&stamp, &wanted)?;
    Ok(image)
}

/// Runs every mutant (and an unedited control copy) and fails unless each
/// mutant is rejected with its rule.
fn check_mutants(published: &Path) -> Result<()> {
    let scratch = tools_dir().join("buf-mutants");
    let _ = std::fs::remove_dir_all(&scratch);
    let schema = std::fs::read_to_string(root().join("proto").join(SCHEMA_FILE))?;

    for against in [Against::LastRelease, Against::Published] {
        let dir = module_copy(&scratch.join(format!("control-{against:?}")), &schema)?;
        let (ok, out) = breaking_json(&dir, against, published)?;
        ensure!(
            ok,
            "the unedited schema fails buf breaking ({}):\n{out}",
            against.label()
        );
    }
    let mut missed = Vec::new();
    for (i, m) in MUTANTS.iter().enumerate() {
        ensure!(
            schema.matches(m.from).count() == 1,
            "mutant `{}`: `{}` does not occur exactly once in {SCHEMA_FILE}",
            m.what,
            m.from
        );
        let dir = module_copy(
            &scratch.join(format!("mutant-{i}")),
            &schema.replacen(m.from, m.to, 1),
        )?;
        let (ok, out) = breaking_json(&dir, m.against, published)?;
        let rules = reported_rules(&out);
        if !ok && rules.iter().any(|r| r == m.rule) {
            eprintln!(
                "  rejected ({}): {}: {}",
                m.against.label(),
                m.what,
                rules.join(", ")
            );
        } else {
            missed.push(format!(
                "{} ({}): expected {}, buf reported [{}]",
                m.what,
                m.against.label(),
                m.rule,
                rules.join(", ")
            ));
        }
    }
    if !missed.is_empty() {
        bail!("buf breaking let through:\n  {}", missed.join("\n  "));
    }
    Ok(())
}

/// A scratch module: the repository's `buf.yaml` and `proto/` (the files
/// `SCHEMA_FILE` imports, such as rules.proto), with `schema` as the schema.
fn module_copy(dir: &Path, schema: &str) -> Result<PathBuf> {
    let file = dir.join("proto").join(SCHEMA_FILE);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
        let ours = root().join("proto").join(SCHEMA_FILE);
        for entry in std::fs::read_dir(ours.parent().context("SCHEMA_FILE has a folder")?)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "proto") {
                if let Some(name) = path.file_name() {
                    std::fs::copy(&path, parent.join(name))?;
                }
            }
        }
    }
    std::fs::copy(root().join("buf.yaml"), dir.join("buf.yaml"))?;
    std::fs::write(&file, schema)?;
    Ok(dir.to_path_buf())
}

/// Runs `buf breaking --error-format json`; returns whether it passed and
/// what it printed.
fn breaking_json(dir: &Path, against: Against, published: &Path) -> Result<(bool, String)> {
    let out = breaking(dir, against, published)
        .args(["--error-format", "json"])
        .output()
        .context("running buf breaking")?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Ok((out.status.success(), text))
}

/// The rule ids in buf's JSON error lines (`{"path":...,"type":"RULE",...}`).
fn reported_rules(out: &str) -> Vec<String> {
    let mut rules: Vec<String> = out
        .lines()
        .filter_map(|line| {
            let rest = line.split_once(r#""type":""#)?.1;
            Some(rest.split_once('"')?.0.to_owned())
        })
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// `cargo xtask schema-baseline`: records the current schema as the last
/// release's, for the FILE check. Run it when a release is cut, and commit
/// the result with the release.
pub(crate) fn record_baseline() -> Result<()> {
    super::js::ensure_node_modules()?;
    let image = output(buf().current_dir(root()).args([
        "build",
        "--exclude-source-info",
        "-o",
        "-#format=json",
    ]))?;
    let value: serde_json::Value =
        serde_json::from_str(&image).context("buf build wrote invalid JSON")?;
    let mut text = serde_json::to_string_pretty(&value)?;
    text.push('\n');
    let path = root().join(BASELINE);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "wrote {BASELINE} (`cargo xtask release` also names the release in tests/breaking/README.md)"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rule_ids_from_buf_json_errors() {
        let out = concat!(
            r#"{"path":"a.proto","start_line":1,"type":"FIELD_SAME_NAME","message":"x"}"#,
            "\n",
            r#"{"path":"a.proto","start_line":2,"type":"FIELD_NO_DELETE","message":"y"}"#,
            "\nFailure: something\n"
        );
        assert_eq!(reported_rules(out), ["FIELD_NO_DELETE", "FIELD_SAME_NAME"]);
    }

    #[test]
    fn every_mutant_edits_the_schema() {
        for m in MUTANTS {
            assert_ne!(m.from, m.to, "{}", m.what);
        }
    }
}
