//! `cargo xtask bench`: the codec benchmarks of the core next to their peers
//! (prost, prost-reflect, pbjson, Python's google.protobuf), measured in one run and
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
    let mut all = rust("lokryn-compliance-log", "codec")?;
    all.extend(rust("lokryn-bench-json-peers", "from_json")?);
    all.extend(python(&["benches/upb_peer.py"])?);
    print_table(&all);
    println!();
    validation()
}

/// The validation benchmarks next to protovalidate (Python and JavaScript)
/// on equivalent rules, with detection throughput.
fn validation() -> Result<()> {
    let mut all = rust("lokryn-compliance-log", "validate")?;
    let dir = crate::util::target_dir().join("bench-validate");
    std::fs::create_dir_all(&dir)?;
    let fds = dir.join("protovalidate-peer.binpb");
    let entry = dir.join("entry.binpb");
    all.extend(python(&[
        "benches/protovalidate_peer.py",
        "--write-descriptor-set",
        &fds.to_string_lossy(),
        "--write-entry",
        &entry.to_string_lossy(),
    ])?);
    eprintln!("==> node benches/protovalidate_peer.mjs");
    crate::test::ensure_node_modules()?;
    let out = Command::new("node")
        .current_dir(root())
        .arg("benches/protovalidate_peer.mjs")
        .args([&fds, &entry])
        .output()
        .context("running node")?;
    if !out.status.success() {
        bail!(
            "benches/protovalidate_peer.mjs failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    all.extend(json_lines(&String::from_utf8_lossy(&out.stdout), "")?);
    print_table(&all);
    println!();
    println!("| Text | Implementation | MB/s |");
    println!("|---|---|---:|");
    for m in all.iter().filter(|m| m.group.contains("64 KiB")) {
        println!("| {} | {} | {:.0} |", m.group, m.name, 65536.0 / m.ns * 1e3);
    }
    Ok(())
}

fn rust(package: &str, bench: &str) -> Result<Vec<Measurement>> {
    eprintln!("==> cargo bench -p {package} --bench {bench}");
    let out = cargo()
        .current_dir(root())
        .args([
            "bench",
            "-p",
            package,
            "--bench",
            bench,
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
            name: if name.ends_with(')') {
                name.to_owned()
            } else {
                format!("{name} (Rust)")
            },
            ns,
        });
    }
    if found.is_empty() {
        bail!("no benchmark results in cargo bench output");
    }
    Ok(found)
}

fn python(args: &[&str]) -> Result<Vec<Measurement>> {
    eprintln!("==> python {}", args.join(" "));
    let python = crate::test::python_venv()?;
    let out = Command::new(python)
        .current_dir(root())
        .args(args)
        .output()?;
    if !out.status.success() {
        bail!(
            "{} failed:\n{}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    json_lines(&String::from_utf8_lossy(&out.stdout), " (Python)")
}

/// Measurements printed as JSON lines `{group, name, median_ns}`.
fn json_lines(text: &str, suffix: &str) -> Result<Vec<Measurement>> {
    let mut found = Vec::new();
    for line in text.lines() {
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
            name: if name.ends_with(')') {
                name.to_owned()
            } else {
                format!("{name}{suffix}")
            },
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

/// `cargo xtask bench report [N]`: `complog report` of a ledger of N
/// generated records (1 million by default) next to `complog ledger verify`
/// and `complog validate` of the same ledger, in one run
/// (benches/report_1m.py); fails when the report misses the target
/// of 10 seconds for 1 million records.
pub(crate) fn report(records: Option<&str>) -> Result<()> {
    let n: u64 = records
        .unwrap_or("1000000")
        .parse()
        .context("the record count must be a whole number")?;
    eprintln!("==> cargo build --release -p complog");
    crate::util::run(cargo().current_dir(root()).args([
        "build",
        "--release",
        "--locked",
        "-p",
        "complog",
    ]))?;
    let binary = crate::util::target_dir().join("release").join("complog");
    crate::util::run(
        Command::new("python3")
            .current_dir(root())
            .arg("benches/report_1m.py")
            .arg(&binary)
            .arg(n.to_string()),
    )
}
