//! `cargo xtask bench`: the codec benchmarks of the core next to their peers
//! (prost, prost-reflect, Python's google.protobuf), measured in one run and
//! printed as a Markdown table of per-entry medians with ratios, ready for
//! docs/performance.md. Figures from a shared, noisy machine are only
//! comparable within one run; the ratios are what to quote.

use std::collections::BTreeMap;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::util::{cargo, root};

struct Measurement {
    group: String,
    name: String,
    ns: f64,
}

pub(crate) fn run() -> Result<()> {
    let mut all = rust()?;
    all.extend(python()?);
    print_table(&all);
    Ok(())
}

fn rust() -> Result<Vec<Measurement>> {
    eprintln!("==> cargo bench -p lokryn-compliance-log --bench codec");
    let out = cargo()
        .current_dir(root())
        .args([
            "bench",
            "-p",
            "lokryn-compliance-log",
            "--bench",
            "codec",
            "--",
            "--output-format",
            "bencher",
        ])
        .output()
        .context("running cargo bench")?;
    if !out.status.success() {
        bail!(
            "cargo bench failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Lines look like: `test encode/prost encode (peer) ... bench:  381 ns/iter (+/- 12)`.
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((id, figures)) = rest.split_once(" ... bench:") else {
            continue;
        };
        let Some((group, name)) = id.split_once('/') else {
            continue;
        };
        let ns: f64 = figures
            .split_whitespace()
            .next()
            .map(|n| n.replace(',', ""))
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("unreadable bench line: {line}"))?;
        found.push(Measurement {
            group: group.into(),
            name: format!("{name} (Rust)"),
            ns,
        });
    }
    if found.is_empty() {
        bail!("no benchmark results in cargo bench output");
    }
    Ok(found)
}

fn python() -> Result<Vec<Measurement>> {
    eprintln!("==> python benches/upb_peer.py");
    let python = crate::test::python_venv()?;
    let out = Command::new(python)
        .current_dir(root())
        .arg("benches/upb_peer.py")
        .output()?;
    if !out.status.success() {
        bail!(
            "benches/upb_peer.py failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut found = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("bad line: {line}"))?;
        let (Some(group), Some(name), Some(ns)) = (
            value.get("group").and_then(|v| v.as_str()),
            value.get("name").and_then(|v| v.as_str()),
            value.get("median_ns").and_then(serde_json::Value::as_f64),
        ) else {
            bail!("incomplete line: {line}");
        };
        found.push(Measurement {
            group: group.into(),
            name: format!("{name} (Python)"),
            ns,
        });
    }
    Ok(found)
}

fn print_table(all: &[Measurement]) {
    let mut groups: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
    for m in all {
        groups.entry(m.group.as_str()).or_default().push(m);
    }
    println!("| Operation | Implementation | ns per entry (median) | × lokryn |");
    println!("|---|---|---:|---:|");
    for (group, ms) in groups {
        let ours = ms
            .iter()
            .find(|m| m.name.starts_with("lokryn"))
            .map(|m| m.ns);
        for m in ms {
            let ratio = ours.map_or_else(|| "–".to_owned(), |o| format!("{:.2}", m.ns / o));
            println!("| {group} | {} | {:.0} | {ratio} |", m.name, m.ns);
        }
    }
}
