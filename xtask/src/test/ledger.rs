//! The ledger checked by an independent implementation: a Go program
//! (`tests/ledger-go/`) built on `golang.org/x/mod/sumdb/tlog` and
//! `sumdb/note` recomputes the root and tiles of a ledger written by
//! `complog ledger`, opens its signed checkpoints with its public key,
//! re-signs with its private key byte for byte, and checks its inclusion and
//! consistency proofs; then it makes a log, notes and proofs of its own that
//! `complog ledger check-proof` must accept (and a tampered one it must refuse).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use super::Runner;
use super::rust::complog_bin;
use crate::util::{
    files_under, fingerprint, output, root, run, stamp_matches, target_dir, write_stamp,
};

fn work_dir() -> PathBuf {
    target_dir().join("ledger-go")
}

pub(crate) fn steps(r: &mut Runner) -> Result<()> {
    let program = r.step(
        "build the Go ledger checker (sumdb/tlog, sumdb/note)",
        build,
    )?;
    r.step(
        "a complog ledger, checked by Go's sumdb/tlog and sumdb/note",
        || check_ours(&program),
    )?;
    r.step(
        "Go-made checkpoints and proofs, checked by complog ledger check-proof",
        || check_theirs(&program),
    )?;
    Ok(())
}

/// Builds `ledgercheck` into the target directory, again only when its sources change.
fn build() -> Result<PathBuf> {
    let src = root().join("tests/ledger-go");
    let out = work_dir().join("ledgercheck");
    let inputs = files_under(&src, "")?;
    let stamp = work_dir().join(".ledgercheck-stamp");
    let wanted = fingerprint(&inputs)?;
    if out.exists() && stamp_matches(&stamp, &wanted) {
        eprintln!("{} is up to date", out.display());
        return Ok(out);
    }
    std::fs::create_dir_all(work_dir())?;
    run(Command::new("go")
        .current_dir(&src)
        .args(["build", "-o"])
        .arg(&out)
        .arg("."))?;
    write_stamp(&stamp, &wanted)?;
    Ok(out)
}

fn complog(dir: &Path, args: &[&str]) -> Result<String> {
    output(
        Command::new(complog_bin())
            .current_dir(dir)
            .arg("ledger")
            .args(args),
    )
}

/// `count` valid JSON Lines entries starting at `first`, of varied sizes.
fn entries(first: u64, count: u64) -> String {
    let mut s = String::new();
    for i in first..first + count {
        let _ = writeln!(
            s,
            r#"{{"eventType":"EVENT_LOGIN","outcome":"OUTCOME_SUCCESS","severity":"SEVERITY_INFO","actorId":"user-{}","component":"auth","resource":"apps/{i}","message":"{}","time":"2026-11-28T10:41:12Z","eventId":"019ac9f4-5e21-7a03-9c11-{i:012x}"}}"#,
            i % 13,
            "x".repeat(usize::try_from(i % 200).unwrap_or(0))
        );
    }
    s
}

fn check_ours(program: &Path) -> Result<()> {
    let dir = work_dir().join("ours");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("proofs"))?;
    let keys = complog(&dir, &["keygen", "example.com/audit"])?;
    let mut lines = keys.lines();
    let (private, public) = (
        lines.next().context("no key")?,
        lines.next().context("no key")?,
    );
    std::fs::write(dir.join("audit.key"), format!("{private}\n"))?;
    std::fs::write(dir.join("audit.pub"), format!("{public}\n"))?;
    complog(
        &dir,
        &["init", "L", "--key", "audit.key", "--profile", "soc2"],
    )?;
    // Several commits, so that several checkpoints are kept and tiles are partial.
    for (n, (first, count)) in [(0u64, 255u64), (255, 1), (256, 4000), (4256, 66_000 - 4256)]
        .into_iter()
        .enumerate()
    {
        let file = dir.join(format!("part{n}.jsonl"));
        std::fs::write(&file, entries(first, count))?;
        complog(&dir, &["append", "L", file.to_str().context("path")?])?;
    }
    let proofs = dir.join("proofs");
    for index in [0u64, 1, 254, 255, 256, 4255, 65_535, 65_536, 65_999] {
        let p = complog(&dir, &["prove", "L", "--index", &index.to_string()])?;
        std::fs::write(proofs.join(format!("inclusion-{index}.json")), p)?;
    }
    let p = complog(&dir, &["prove", "L", "--index", "100", "--size", "256"])?;
    std::fs::write(proofs.join("inclusion-100-at-256.json"), p)?;
    for (from, to) in [
        (255u64, None),
        (256, None),
        (1, Some(4256)),
        (4256, Some(4256)),
    ] {
        let mut args = vec!["prove", "L", "--from"];
        let from_s = from.to_string();
        args.push(&from_s);
        let to_s = to.map(|t: u64| t.to_string());
        if let Some(t) = &to_s {
            args.extend(["--size", t]);
        }
        let p = complog(&dir, &args)?;
        std::fs::write(
            proofs.join(format!("consistency-{from}-{}.json", to.unwrap_or(66_000))),
            p,
        )?;
    }
    run(Command::new(program)
        .current_dir(&dir)
        .args(["verify", "L", "audit.pub", "proofs"]))
}

fn check_theirs(program: &Path) -> Result<()> {
    let dir = work_dir().join("theirs");
    let _ = std::fs::remove_dir_all(&dir);
    run(Command::new(program).arg("make").arg(&dir))?;
    let mut checked = 0;
    for f in files_under(&dir, ".json")? {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let f = f.to_str().context("path")?.to_owned();
        if let Some(i) = name
            .strip_prefix("inclusion-")
            .and_then(|n| n.strip_suffix(".json"))
        {
            let entry = dir.join(format!("entry-{i}.bin"));
            complog(
                &dir,
                &[
                    "check-proof",
                    "--proof",
                    &f,
                    "--checkpoint",
                    "checkpoint-1000",
                    "--key",
                    "key.pub",
                    entry.to_str().context("path")?,
                ],
            )?;
            // The neighbouring entry is not the one proven.
            let other = std::fs::read(&entry)?;
            let mut other = other.clone();
            other.push(b'!');
            let wrong = dir.join("wrong.bin");
            std::fs::write(&wrong, other)?;
            let out = Command::new(complog_bin())
                .current_dir(&dir)
                .args([
                    "ledger",
                    "check-proof",
                    "--proof",
                    &f,
                    "--checkpoint",
                    "checkpoint-1000",
                    "--key",
                    "key.pub",
                ])
                .arg(&wrong)
                .output()?;
            ensure!(
                out.status.code() == Some(1),
                "{name}: a wrong entry was accepted"
            );
        } else {
            complog(
                &dir,
                &[
                    "check-proof",
                    "--proof",
                    &f,
                    "--checkpoint",
                    "checkpoint-389",
                    "--checkpoint",
                    "checkpoint-1000",
                    "--key",
                    "key.pub",
                ],
            )?;
        }
        checked += 1;
    }
    ensure!(checked > 5, "only {checked} Go-made proofs");
    eprintln!("complog ledger check-proof accepted {checked} Go-made proofs");
    Ok(())
}
