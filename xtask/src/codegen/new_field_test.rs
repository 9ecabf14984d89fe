//! CONTRIBUTING's "Adding a field" recipe, followed in a scratch copy: the
//! schema gains a field of every scalar type and a new enum, each with a
//! rule; codegen runs into the copy; the generated accessors cover every
//! field; and the core crate of the copy compiles and runs its rules over
//! the new fields (only the core and the JavaScript conversions are built,
//! in a target directory kept between runs, so a second run compiles just
//! those two crates).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::schema::Schema;
use super::{generate_all, write_files};
use crate::util::{cargo, root, run, target_dir};

/// The fields and the enum a contributor adds, with rules, at the end of
/// `LogEntry` (numbers from 900, far from the real schema's).
const NEW_FIELDS: &str = r#"
  // Scratch: a bool a reviewer sets.
  bool reviewed = 900 [(rules) = {rule: [{required: true, profiles: [PROFILE_SOC2]}]}];
  // Scratch: a double.
  double risk_score = 901 [(rules) = {rule: [{required: true, profiles: [PROFILE_SOC2]}]}];
  // Scratch: a float.
  float weight = 902 [(rules) = {rule: [{required: true, profiles: [PROFILE_PCI]}]}];
  // Scratch: a uint64.
  uint64 bytes_sent = 903 [(rules) = {rule: [{gte: 10}]}];
  // Scratch: a fixed64.
  fixed64 checksum = 904 [(rules) = {rule: [{required: true, profiles: [PROFILE_PCI]}]}];
  // Scratch: a sint64.
  sint64 delta = 905 [(rules) = {rule: [{gte: -5}]}];
  // Scratch: an optional uint32.
  optional uint32 retries = 906 [(rules) = {rule: [{gte: 1}]}];
  // Scratch: a list of numbers.
  repeated int32 codes = 907 [(rules) = {rule: [{max_items: 2}]}];
  // Scratch: a new enum.
  ReviewState review_state = 908 [(rules) = {rule: [{not_unspecified: true, defined_only: true}]}];
  // Scratch: a list of bools.
  repeated bool flags = 909 [(rules) = {rule: [{required: true, profiles: [PROFILE_HIPAA]}]}];
"#;

const NEW_ENUM: &str = r"
// Scratch: where a review stands.
enum ReviewState {
  // Not stated.
  REVIEW_STATE_UNSPECIFIED = 0;
  // Waiting for a reviewer.
  REVIEW_STATE_OPEN = 1;
  // Reviewed.
  REVIEW_STATE_DONE = 2;
}
";

/// A test of the copy's core crate: every new field's rule is compiled and
/// checked.
const SCRATCH_TEST: &str = r#"
use crate::validate::{validate_with, Options};
// The new enum is re-exported at the crate root with no edit of lib.rs.
use crate::{LogEntry, ReviewState};

fn broken(entry: &LogEntry, profiles: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = validate_with(entry, &Options::for_profile(profiles).unwrap())
        .violations
        .into_iter()
        .map(|v| (v.field, v.rule_id))
        .filter(|(f, _)| {
            ["reviewed", "riskScore", "weight", "bytesSent", "checksum", "delta", "retries", "codes", "reviewState", "flags"]
                .contains(&f.as_str())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn rules_on_fields_of_every_type() {
    let pair = |f: &str, r: &str| (f.to_owned(), r.to_owned());
    let mut entry = LogEntry {
        bytes_sent: 3,
        delta: -9,
        retries: Some(0),
        codes: vec![1, 2, 3],
        review_state: 7,
        ..Default::default()
    };
    assert_eq!(
        broken(&entry, "soc2,hipaa,pci"),
        [
            pair("bytesSent", "int64.gte"),
            pair("checksum", "required"),
            pair("codes", "repeated.max_items"),
            pair("delta", "int64.gte"),
            pair("flags", "required"),
            pair("retries", "int64.gte"),
            pair("reviewState", "enum.defined_only"),
            pair("reviewed", "required"),
            pair("riskScore", "required"),
            pair("weight", "required"),
        ]
    );
    entry.reviewed = true;
    entry.risk_score = -0.5;
    entry.weight = 1.5;
    entry.bytes_sent = u64::MAX;
    entry.checksum = 1;
    entry.delta = -5;
    entry.retries = None;
    entry.codes.pop();
    entry.review_state = ReviewState::Done.into();
    entry.flags = vec![false];
    assert_eq!(broken(&entry, "soc2,hipaa,pci"), []);
    entry.review_state = 0;
    assert_eq!(broken(&entry, "baseline"), [pair("reviewState", "enum.not_unspecified")]);

    // A view of the encoding reads the new scalars (the lists of numbers
    // send it to the owned path) and gets the same report.
    let options = Options::for_profile("soc2,hipaa,pci").unwrap();
    for flags in [vec![], vec![true]] {
        entry.flags = flags;
        let bytes = crate::codec::encode(&entry);
        let (_, want) = crate::validate::validate_encoded(&bytes, &options).unwrap();
        assert_eq!(crate::validate::validate_bytes(&bytes, &options).unwrap(), want);
    }
    entry.codes.clear();
    entry.flags.clear();
    let bytes = crate::codec::encode(&entry);
    let view = crate::view::decode(&bytes, &Default::default()).unwrap();
    assert_eq!((view.reviewed, view.risk_score, view.weight), (true, -0.5, 1.5));
    assert_eq!((view.bytes_sent, view.checksum, view.delta, view.retries), (u64::MAX, 1, -5, None));
}
"#;

/// Loads the Node and wasm packages' enum lists of the copy and checks that
/// both hold the new enum, after the schema's own, in declaration order.
const NODE_CHECK: &str = r#"
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
const node = createRequire(import.meta.url)(process.cwd() + "/bindings/node/enums.cjs");
const wasm = await import(pathToFileURL(process.cwd() + "/bindings/wasm/enums.js"));
assert.equal(Object.keys(node).at(-1), "ReviewState");
assert.equal(node.ReviewState.DONE, 2);
assert.equal(node.ReviewState[1], "OPEN");
assert.equal(wasm.ReviewState.DONE, 2);
assert.deepEqual(Object.keys(wasm).sort(), Object.keys(node).sort());
// The generated codecs load; they leave types they do not handle yet to the
// native code (`undefined`), and handle entries without them.
const codec = createRequire(import.meta.url)(process.cwd() + "/bindings/node/codec.cjs");
await import(pathToFileURL(process.cwd() + "/bindings/wasm/codec.js"));
assert.equal(codec.encodeEntry({ reviewed: true }), undefined);
assert.equal(codec.toJsonEntry({ codes: [1] }), undefined);
const bytes = codec.encodeEntry({ actorId: "a", reviewed: null });
assert.deepEqual(Array.from(bytes), [34, 1, 97]);
const decoded = codec.decodeEntry(bytes);
assert.equal(decoded.reviewed, false);
assert.equal(decoded.bytesSent, 0n);
assert.deepEqual(decoded.codes, []);
assert.equal("retries" in decoded, false);
assert.equal(codec.decodeEntry(new Uint8Array([0xa0, 0x38, 0x01])), undefined);
assert.equal(codec.toJsonEntry({ actorId: "a" }), '{"actorId":"a"}');
assert.equal(codec.toJsonBytes(new Uint8Array([0xa0, 0x38, 0x01])), undefined);
assert.equal(codec.toJsonBytes(bytes), '{"actorId":"a"}');
assert.equal(codec.fromJsonEntry('{"reviewed":true}'), undefined);
const read = codec.fromJsonEntry('{"actorId":"a","reviewed":null,"review_state":null}');
assert.equal(read.actorId, "a");
assert.equal(read.reviewed, false);
assert.equal("retries" in read, false);
"#;

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            fs::copy(&path, &dest).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    Ok(())
}

fn insert_before_last_brace_of(text: &str, marker: &str, insert: &str) -> Result<String> {
    let start = text.find(marker).context("marker not found")?;
    let close = text[start..].find("\n}").context("no closing brace")? + start;
    Ok(format!("{}{insert}{}", &text[..close], &text[close..]))
}

/// A scratch workspace holding only the core crate, with the schema grown.
fn scratch() -> Result<PathBuf> {
    let repo = root();
    let dir = target_dir().join("scratch-new-field");
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    copy_dir(&repo.join("proto"), &dir.join("proto"))?;
    let core = "crates/lokryn-compliance-log";
    let js = "bindings/js";
    copy_dir(&repo.join(js), &dir.join(js))?;
    // bindings/js checks ledger proofs with the ledger crate's pure part.
    let ledger = "crates/lokryn-ledger";
    copy_dir(&repo.join(ledger), &dir.join(ledger))?;
    for sub in ["src", "tests", "benches"] {
        copy_dir(&repo.join(core).join(sub), &dir.join(core).join(sub))?;
    }
    fs::copy(
        repo.join(core).join("Cargo.toml"),
        dir.join(core).join("Cargo.toml"),
    )?;
    fs::write(dir.join("README.md"), "scratch\n")?;
    fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    // The workspace manifest with the core, the ledger and bindings/js as
    // its only members.
    let manifest = fs::read_to_string(repo.join("Cargo.toml"))?;
    let members_start = manifest.find("members = [").context("no members")?;
    let members_end = manifest[members_start..].find(']').context("no ]")? + members_start + 1;
    let manifest = format!(
        "{}members = [\"{core}\", \"{ledger}\", \"{js}\"]{}",
        &manifest[..members_start],
        &manifest[members_end..]
    );
    fs::write(dir.join("Cargo.toml"), manifest)?;

    let proto = dir.join("proto/lokryn/compliancelog/v1/logentry.proto");
    let text = fs::read_to_string(&proto)?;
    let text = insert_before_last_brace_of(&text, "message LogEntry {", NEW_FIELDS)?;
    fs::write(&proto, format!("{text}{NEW_ENUM}"))?;
    Ok(dir)
}

#[test]
fn a_field_of_every_type_and_a_new_enum_need_only_the_schema() -> Result<()> {
    let dir = scratch()?;
    let files = generate_all(&dir)?;
    write_files(&dir, &files)?;

    // Every new field has an accessor of its type; none is left out.
    let access =
        fs::read_to_string(dir.join("crates/lokryn-compliance-log/src/generated/access.rs"))?;
    for expected in [
        "900 => FieldRef::Bool(Some(bool::from(self.reviewed)))",
        "901 => FieldRef::Float(Some(f64::from(self.risk_score)))",
        "902 => FieldRef::Float(Some(f64::from(self.weight)))",
        "903 => FieldRef::Uint(Some(u64::from(self.bytes_sent)))",
        "904 => FieldRef::Uint(Some(u64::from(self.checksum)))",
        "905 => FieldRef::Int(Some(i64::from(self.delta)))",
        "906 => FieldRef::Int(self.retries.map(i64::from))",
        "907 => FieldRef::Count(self.codes.len())",
        "908 => FieldRef::Enum(Some(self.review_state))",
        "909 => FieldRef::Count(self.flags.len())",
    ] {
        if !access.contains(expected) {
            bail!("generated access.rs lacks `{expected}`");
        }
    }
    // The new enum reaches the prost types and the docs.
    let prost = fs::read_to_string(
        dir.join("crates/lokryn-compliance-log/src/generated/lokryn.compliancelog.v1.rs"),
    )?;
    if !prost.contains("pub enum ReviewState") {
        bail!("the prost types lack ReviewState");
    }

    // The new enum is exported by name from every package, with no hand
    // edit of an export list: the core's re-exports (compiled below, where
    // the scratch test imports `crate::ReviewState`), the lists the npm
    // entry points re-export (loaded below) and Python's `v1` package.
    let exports =
        fs::read_to_string(dir.join("crates/lokryn-compliance-log/src/generated/exports.rs"))?;
    if !exports.contains(" ReviewState,") {
        bail!("the core's re-exports lack ReviewState:\n{exports}");
    }
    let python = fs::read_to_string(dir.join(super::python::PY_V1_DIR).join("__init__.py"))?;
    for expected in [
        "    ReviewState,\n",
        "    REVIEW_STATE_DONE,\n",
        "\"ReviewState\"",
    ] {
        if !python.contains(expected) {
            bail!("lokryn_compliance_log.v1 lacks `{expected}`");
        }
    }
    // The packages' runtime modules, as the npm build writes them, then the
    // generated enum lists loaded through them by Node.
    for file in super::typescript::package_files(&Schema::compile(&dir.join("proto"))?)? {
        fs::write(dir.join(&file.path), &file.contents)?;
    }
    run(Command::new("node")
        .current_dir(&dir)
        .args(["--input-type=module", "-e", NODE_CHECK]))
    .context("the scratch copy's npm enum lists")?;

    // The JavaScript conversions handle every type.
    let convert = fs::read_to_string(dir.join("bindings/js/src/generated.rs"))?;
    for expected in [
        "read::boolean(h, &f",
        "write::uint64(h, self.bytes_sent)",
        "read::float(h, &f",
    ] {
        if !convert.contains(expected) {
            bail!("the JavaScript conversions lack `{expected}`");
        }
    }

    // The core of the copy compiles and enforces the new rules; the
    // JavaScript conversions compile.
    let lib = dir.join("crates/lokryn-compliance-log/src/lib.rs");
    let text = fs::read_to_string(&lib)?;
    fs::write(&lib, format!("{text}\n#[cfg(test)]\nmod scratch_fields;\n"))?;
    fs::write(
        dir.join("crates/lokryn-compliance-log/src/scratch_fields.rs"),
        format!("#![allow(clippy::unwrap_used)]\n{SCRATCH_TEST}"),
    )?;
    // A target directory of its own, kept between runs: cargo names the
    // copy's crates as it names the real ones (a path package is hashed
    // relative to its workspace), so sharing the real one would overwrite
    // the real core's build with the copy's.
    run(cargo()
        .current_dir(&dir)
        .env(
            "CARGO_TARGET_DIR",
            target_dir().join("scratch-new-field-target"),
        )
        .args([
            "test",
            "--offline",
            "--quiet",
            "-p",
            "lokryn-compliance-log",
            "-p",
            "lokryn-compliance-log-js",
            "--lib",
            "--",
            "scratch_fields",
            "rules::",
        ]))
    .context("the scratch copy's core")
}
