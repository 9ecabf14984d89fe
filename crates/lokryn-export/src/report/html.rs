//! The one template of the evidence report: a self-contained HTML page
//! (inline CSS, inline SVG charts with text alternatives and a table behind
//! each, no scripts, no network) rendered from [`super::Builder::finish`]'s data.

use std::fmt::Write as _;

use serde_json::Value;

const CSS: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem;margin-top:2rem;break-after:avoid}
h3{font-size:1.05rem;margin-top:1.4rem;break-after:avoid}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr{break-inside:avoid}
.alert{border:3px solid #b42318;background:#fef3f2;padding:.8rem 1rem;font-weight:600}
.ok{border:2px solid #067647;background:#ecfdf3;padding:.6rem 1rem}
.note{border:2px solid #b54708;background:#fffaeb;padding:.6rem 1rem}
.missing{color:#b42318;font-weight:600}.present{color:#067647;font-weight:600}
figure{margin:.5rem 0}figcaption{font-size:.85rem;color:#57606a}
code{font-size:.85rem;word-break:break-all}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;list-style:none;font-size:.9rem}
.summary li{margin:.2rem 0}
@media print{body{margin:0;max-width:none}a{color:inherit}}
";

/// Text escaped for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A JSON value as display text.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join("; "),
        Value::Object(_) => v.to_string(),
    }
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "—".into(), |f| format!("{:.1} %", f * 100.0))
}

/// A table from rows of objects: `cols` are (key, header).
fn table(out: &mut String, caption: &str, rows: &Value, cols: &[(&str, &str)]) {
    let rows = rows.as_array().map_or(&[][..], Vec::as_slice);
    if rows.is_empty() {
        let _ = writeln!(out, "<p>{}: none.</p>", esc(caption));
        return;
    }
    let _ = write!(out, "<table><caption>{}</caption><thead><tr>", esc(caption));
    for (_, h) in cols {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for (k, _) in cols {
            let v = r.get(*k).unwrap_or(&Value::Null);
            let class = if v.is_number() { " class=\"n\"" } else { "" };
            let shown = if k.ends_with("Share") || *k == "share" {
                pct(v)
            } else {
                text(v)
            };
            let _ = write!(out, "<td{class}>{}</td>", esc(&shown));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

/// A horizontal bar chart of `rows[label]` by `rows[value]` (at most 15 bars),
/// with a text alternative; the table behind it follows it.
fn bars(out: &mut String, title: &str, rows: &Value, label: &str, value: &str) {
    let rows = rows.as_array().map_or(&[][..], Vec::as_slice);
    let shown: Vec<(String, f64)> = rows
        .iter()
        .take(15)
        .map(|r| {
            (
                r.get(label).map(text).unwrap_or_default(),
                r.get(value).and_then(Value::as_f64).unwrap_or(0.0),
            )
        })
        .collect();
    if shown.is_empty() {
        return;
    }
    let max = shown.iter().map(|(_, v)| *v).fold(1.0_f64, f64::max);
    let alt = shown
        .iter()
        .map(|(l, v)| format!("{l}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let h = shown.len() * 22 + 8;
    let _ = write!(
        out,
        "<figure><svg role=\"img\" width=\"100%\" viewBox=\"0 0 640 {h}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title><desc>{}</desc>",
        esc(title),
        esc(&alt)
    );
    for (i, (l, v)) in shown.iter().enumerate() {
        let y = i * 22 + 4;
        let w = (v / max * 330.0).max(1.0);
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"250\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"#0969da\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{v}</text>",
            y + 12,
            esc(&truncate(l, 38)),
            250.0 + w + 4.0,
            y + 12
        );
    }
    let _ = writeln!(
        out,
        "</svg><figcaption>{} (the table below holds every value)</figcaption></figure>",
        esc(title)
    );
}

/// Stacked day columns: success, failure, other.
fn days(out: &mut String, rows: &Value) {
    let rows = rows.as_array().map_or(&[][..], Vec::as_slice);
    if rows.is_empty() {
        return;
    }
    let get = |r: &Value, k: &str| r.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let total = |r: &Value| get(r, "success") + get(r, "failure") + get(r, "other");
    let max = rows.iter().map(total).fold(1.0_f64, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let w = 600.0 / rows.len() as f64;
    let alt = format!(
        "Records per day from {} to {}; the largest day holds {max} records.",
        rows.first()
            .and_then(|r| r.get("day"))
            .map(text)
            .unwrap_or_default(),
        rows.last()
            .and_then(|r| r.get("day"))
            .map(text)
            .unwrap_or_default(),
    );
    let _ = write!(
        out,
        "<figure><svg role=\"img\" width=\"100%\" viewBox=\"0 0 640 170\" xmlns=\"http://www.w3.org/2000/svg\"><title>Records per day by outcome</title><desc>{}</desc>",
        esc(&alt)
    );
    for (i, r) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = 20.0 + i as f64 * w;
        let mut y = 150.0;
        for (k, color) in [
            ("success", "#1a7f37"),
            ("failure", "#cf222e"),
            ("other", "#8c959f"),
        ] {
            let hgt = get(r, k) / max * 140.0;
            y -= hgt;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{hgt:.1}\" fill=\"{color}\"/>",
                (w * 0.8).max(0.5)
            );
        }
    }
    out.push_str("<text x=\"20\" y=\"166\" font-size=\"11\">green: success, red: failure, grey: other or unspecified</text></svg><figcaption>Records per day by outcome (the table below holds every value)</figcaption></figure>\n");
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn dl(out: &mut String, items: &[(&str, String)]) {
    out.push_str("<table><tbody>");
    for (k, v) in items {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            esc(k),
            esc(v)
        );
    }
    out.push_str("</tbody></table>\n");
}

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .fold(v, |v, k| v.get(*k).unwrap_or(&Value::Null))
}

fn integrity(out: &mut String, i: &Value) {
    out.push_str("<h2 id=\"integrity\">Integrity</h2>\n");
    match i.get("kind").and_then(Value::as_str) {
        Some("ledger") => {
            let verified = i.get("verified").and_then(Value::as_bool) == Some(true);
            if verified {
                out.push_str("<p class=\"ok\">The ledger verified: every record, the Merkle tree, the signed checkpoint and every kept checkpoint agree.</p>\n");
            } else {
                let first = at(i, &["error", "index"]);
                let named = if first.is_null() {
                    String::new()
                } else {
                    format!(" The first bad record is index {}.", text(first))
                };
                let _ = writeln!(
                    out,
                    "<p class=\"alert\" role=\"alert\">INTEGRITY FAILED: the ledger does not verify ({}: {}).{named} The records below cannot be shown to be complete and unaltered.</p>",
                    esc(&text(at(i, &["error", "code"]))),
                    esc(&text(at(i, &["error", "message"]))),
                );
            }
            dl(
                out,
                &[
                    ("Ledger directory", text(at(i, &["dir"]))),
                    ("Origin", text(at(i, &["checkpoint", "origin"]))),
                    ("Tree size (records)", text(at(i, &["checkpoint", "size"]))),
                    ("Root hash (base64)", text(at(i, &["checkpoint", "root"]))),
                    ("Key ID", text(at(i, &["checkpoint", "keyId"]))),
                    ("Signature", text(at(i, &["checkpoint", "signature"]))),
                    ("Every record verified", text(at(i, &["verified"]))),
                    (
                        "Kept checkpoints checked",
                        text(at(i, &["checkpointsChecked"])),
                    ),
                    ("Unsigned tail (bytes)", text(at(i, &["unsignedTailBytes"]))),
                ],
            );
        }
        _ => {
            let ledgers = i.get("ledgers").and_then(Value::as_u64).unwrap_or(0);
            if ledgers > 0 {
                let _ = writeln!(
                    out,
                    "<p class=\"note\">These records were read from several inputs, {ledgers} of them ledgers, as plain records. Their integrity cannot be shown for them together: a report verifies one ledger at a time. Report on each ledger alone to verify it.</p>"
                );
            } else {
                out.push_str("<p class=\"note\">These records were not read from a ledger (plain files, or records handed over by a program). Their integrity cannot be shown: nothing proves that records were not removed, added or changed. Keep audit records in a ledger (<code>complog ledger</code>) to prove it.</p>\n");
            }
        }
    }
}

/// Renders the report data as one self-contained HTML page.
pub fn render(r: &Value) -> String {
    let mut o = String::with_capacity(64 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Audit log evidence report</title><style>");
    o.push_str(CSS);
    o.push_str("</style></head><body><main>\n<h1>Audit log evidence report</h1>\n");
    let scope = at(r, &["scope"]);
    let profiles = text(at(r, &["profiles"]));
    let _ = writeln!(
        o,
        "<p>Period {} to {}; {} records; profiles: {}.</p>",
        esc(&text(at(scope, &["first"]))),
        esc(&text(at(scope, &["last"]))),
        esc(&text(at(scope, &["records"]))),
        esc(if profiles.is_empty() {
            "baseline"
        } else {
            &profiles
        }),
    );
    o.push_str("<nav aria-label=\"Sections\"><ol><li><a href=\"#scope\">Scope</a></li><li><a href=\"#integrity\">Integrity</a></li><li><a href=\"#coverage\">Coverage of required events</a></li><li><a href=\"#validation\">Validation</a></li><li><a href=\"#activity\">Activity</a></li><li><a href=\"#agents\">AI agents</a></li><li><a href=\"#reproducibility\">Reproducibility</a></li></ol></nav>\n");

    // The findings at a glance.
    let failed = at(r, &["integrity", "verified"]) == &Value::Bool(false);
    let integrity_line = match at(r, &["integrity", "verified"]) {
        Value::Bool(true) => {
            "verified: every record and checkpoint of the ledger checks out".to_owned()
        }
        Value::Bool(false) => format!(
            "FAILED, first bad record {}",
            text(at(r, &["integrity", "error", "index"]))
        ),
        _ => "cannot be shown (plain files)".to_owned(),
    };
    let missing_line = match at(r, &["coverage", "missing"])
        .as_array()
        .map_or(0, Vec::len)
    {
        0 => "all 7 PCI DSS 10.2.1 categories present".to_owned(),
        n => format!(
            "{n} of 7 PCI DSS 10.2.1 categories missing: {}",
            text(at(r, &["coverage", "missing"]))
        ),
    };
    let _ = writeln!(
        o,
        "<ul class=\"summary\"><li><strong>Integrity:</strong> {}</li><li><strong>Coverage:</strong> {}; {} of records carry every 10.2.2 element</li><li><strong>Validation:</strong> {} records pass, {} fail</li></ul>",
        esc(&integrity_line),
        esc(&missing_line),
        esc(&pct(at(r, &["coverage", "completeShare"]))),
        esc(&text(at(r, &["validation", "passed"]))),
        esc(&text(at(r, &["validation", "failed"]))),
    );
    // Integrity first when it failed: it must not be missed.
    if failed {
        integrity(&mut o, at(r, &["integrity"]));
    }
    o.push_str("<h2 id=\"scope\">Scope</h2>\n");
    let rp = at(r, &["reproducibility"]);
    dl(
        &mut o,
        &[
            ("Inputs", text(at(rp, &["inputs"]))),
            ("First record time", text(at(scope, &["first"]))),
            ("Last record time", text(at(scope, &["last"]))),
            ("Requested period from", text(at(rp, &["since"]))),
            ("Requested period until", text(at(rp, &["until"]))),
            ("Records in the period", text(at(scope, &["records"]))),
            ("Unreadable records", text(at(scope, &["unreadable"]))),
            ("Records without a time", text(at(scope, &["withoutTime"]))),
            (
                "Inputs that could not be read",
                text(at(scope, &["inputErrors"])),
            ),
            (
                "Inputs given up before their end",
                text(at(scope, &["inputsGivenUp"])),
            ),
            ("Bytes left unread", text(at(scope, &["unreadBytes"]))),
        ],
    );
    if !failed {
        integrity(&mut o, at(r, &["integrity"]));
    }

    let cov = at(r, &["coverage"]);
    o.push_str(
        "<h2 id=\"coverage\">Coverage of required events (PCI DSS v4.0 10.2.1, 10.2.2)</h2>\n",
    );
    let missing = at(cov, &["missing"]).as_array().map_or(0, Vec::len);
    if missing > 0 {
        let _ = writeln!(
            o,
            "<p class=\"missing\">{missing} of the 7 required event categories have no record in this period: {}.</p>",
            esc(&text(at(cov, &["missing"])))
        );
    } else {
        o.push_str(
            "<p class=\"present\">Every required event category has records in this period.</p>\n",
        );
    }
    let cats: Vec<Value> = at(cov, &["categories"])
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(obj) = c.as_object_mut() {
                let p = obj.get("present") == Some(&Value::Bool(true));
                obj.insert(
                    "status".into(),
                    Value::String(if p { "present" } else { "MISSING" }.into()),
                );
            }
            c
        })
        .collect();
    table(
        &mut o,
        "PCI DSS v4.0 10.2.1.1–10.2.1.7: categories in the period",
        &Value::Array(cats),
        &[
            ("clause", "Clause"),
            ("title", "Category"),
            ("status", "Status"),
            ("records", "Records"),
            ("completeShare", "With every 10.2.2 element"),
            ("basis", "Counted from"),
        ],
    );
    let _ = writeln!(
        o,
        "<p>{} of the readable records ({}) carry every element PCI DSS v4.0 10.2.2 requires.</p>",
        esc(&text(at(cov, &["completeRecords"]))),
        esc(&pct(at(cov, &["completeShare"])))
    );
    table(
        &mut o,
        "PCI DSS v4.0 10.2.2: records carrying each element",
        at(cov, &["elements"]),
        &[
            ("element", "Element"),
            ("fields", "Fields"),
            ("records", "Records"),
            ("share", "Share"),
        ],
    );
    o.push_str("<h3>SOC 2 CC7.2 and HIPAA 164.312(b)</h3>\n");
    table(
        &mut o,
        "Expectations of other frameworks",
        at(cov, &["otherFrameworks"]),
        &[
            ("clause", "Clause"),
            ("expectation", "Expectation"),
            ("met", "Evidenced"),
            ("evidence", "Evidence"),
        ],
    );

    let v = at(r, &["validation"]);
    o.push_str("<h2 id=\"validation\">Validation</h2>\n");
    let _ = writeln!(
        o,
        "<p>{} records pass, {} fail, {} have warnings.</p>",
        esc(&text(at(v, &["passed"]))),
        esc(&text(at(v, &["failed"]))),
        esc(&text(at(v, &["withWarnings"])))
    );
    bars(
        &mut o,
        "Violations by rule",
        at(v, &["rules"]),
        "rule",
        "violations",
    );
    table(
        &mut o,
        "Violations by rule",
        at(v, &["rules"]),
        &[
            ("rule", "Rule"),
            ("level", "Level"),
            ("violations", "Violations"),
            ("records", "Records"),
            ("clauses", "Clauses"),
        ],
    );
    table(
        &mut o,
        "Violations by clause",
        at(v, &["clauses"]),
        &[("clause", "Clause"), ("violations", "Violations")],
    );
    table(
        &mut o,
        "Worst records (by index and event id; values are never shown)",
        at(v, &["worst"]),
        &[
            ("index", "Index"),
            ("eventId", "Event id"),
            ("errors", "Errors"),
            ("warnings", "Warnings"),
            ("rules", "Rules"),
        ],
    );
    table(
        &mut o,
        "Sensitive data found, by kind and field",
        at(v, &["findings"]),
        &[("kind", "Kind"), ("field", "Field"), ("count", "Findings")],
    );

    let a = at(r, &["activity"]);
    o.push_str("<h2 id=\"activity\">Activity</h2>\n");
    days(&mut o, at(a, &["overTime"]));
    table(
        &mut o,
        "Records per day by outcome",
        at(a, &["overTime"]),
        &[
            ("day", "Day (UTC)"),
            ("success", "Success"),
            ("failure", "Failure"),
            ("other", "Other"),
        ],
    );
    bars(
        &mut o,
        "Records by event type",
        at(a, &["byEventType"]),
        "eventType",
        "count",
    );
    table(
        &mut o,
        "Records by event type",
        at(a, &["byEventType"]),
        &[("eventType", "Event type"), ("count", "Records")],
    );
    table(
        &mut o,
        "Records by outcome",
        at(a, &["byOutcome"]),
        &[("outcome", "Outcome"), ("count", "Records")],
    );
    o.push_str("<h3>Failed and denied actions</h3>\n");
    bars(
        &mut o,
        "Failed and denied actions by actor",
        at(a, &["failedByActor"]),
        "actor",
        "count",
    );
    table(
        &mut o,
        "Failed and denied actions by actor",
        at(a, &["failedByActor"]),
        &[("actor", "Actor"), ("count", "Records")],
    );
    table(
        &mut o,
        "Failed and denied actions by resource",
        at(a, &["failedByResource"]),
        &[("resource", "Resource"), ("count", "Records")],
    );
    table(
        &mut o,
        "Privilege use by actor",
        at(a, &["privilegeUseByActor"]),
        &[("actor", "Actor"), ("count", "Records")],
    );

    let g = at(r, &["agents"]);
    o.push_str("<h2 id=\"agents\">AI agents</h2>\n");
    table(
        &mut o,
        "Tool invocations by agent, tool and outcome",
        at(g, &["toolInvocations"]),
        &[
            ("agent", "Agent"),
            ("tool", "Tool"),
            ("outcome", "Outcome"),
            ("count", "Records"),
        ],
    );
    table(
        &mut o,
        "Delegations",
        at(g, &["delegations"]),
        &[
            ("from", "From"),
            ("to", "To"),
            ("outcome", "Outcome"),
            ("count", "Records"),
        ],
    );
    table(
        &mut o,
        "Guardrail decisions by agent and outcome",
        at(g, &["guardrails"]),
        &[
            ("agent", "Agent"),
            ("outcome", "Outcome"),
            ("count", "Records"),
        ],
    );

    o.push_str("<h2 id=\"reproducibility\">Reproducibility</h2>\n");
    dl(
        &mut o,
        &[
            ("Command", text(at(rp, &["command"]))),
            ("complog version", text(at(rp, &["version"]))),
            ("Schema", text(at(rp, &["schema"]))),
            ("Schema version", text(at(rp, &["schemaVersion"]))),
            ("Report layout version", text(at(r, &["reportVersion"]))),
            ("Profiles", profiles),
            ("Input hash", text(at(rp, &["inputHash"]))),
            ("Input hash covers", text(at(rp, &["inputHashCovers"]))),
        ],
    );
    o.push_str("</main></body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
