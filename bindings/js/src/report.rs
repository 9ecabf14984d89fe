//! The objects of a validation: the report, its violations and findings.

use lokryn_compliance_log::sensitive::Finding;
use lokryn_compliance_log::validate::{Level, Report};

use crate::{ErrorInfo, Factory, Host};

/// Builds the `ValidationReport` object of `report`: the fields of the
/// `ValidationReport` message of report.proto (`error` is `undefined` here,
/// `null` in the object the runtime's factory makes).
pub fn report_to_js<H: Host>(host: &H, report: &Report) -> Result<H::Value, H::Error> {
    let violations = violations_to_js(host, report)?;
    let findings = findings_to_js(host, &report.findings)?;
    host.build(
        Factory::Report,
        vec![
            host.new_boolean(report.is_valid())?,
            violations,
            findings,
            host.undefined()?,
        ],
    )
}

/// Builds the report of an entry that could not be read: not valid, no
/// violations or findings, `error` the error object `info` describes.
pub fn unreadable_to_js<H: Host>(host: &H, info: &ErrorInfo) -> Result<H::Value, H::Error> {
    host.build(
        Factory::Report,
        vec![
            host.new_boolean(false)?,
            host.new_array(Vec::new())?,
            host.new_array(Vec::new())?,
            info.to_js(host)?,
        ],
    )
}

/// Builds the array of `Finding` objects.
pub fn findings_to_js<H: Host>(host: &H, findings: &[Finding]) -> Result<H::Value, H::Error> {
    let mut items = Vec::with_capacity(findings.len());
    for f in findings {
        items.push(host.build(
            Factory::Finding,
            vec![
                host.new_string(f.kind.as_str())?,
                host.new_string(&f.field)?,
                host.new_number(f.start as f64)?,
                host.new_number(f.end as f64)?,
                host.new_string(f.confidence.as_str())?,
            ],
        )?);
    }
    host.new_array(items)
}

/// Builds the array of `Violation` objects of `report`.
pub fn violations_to_js<H: Host>(host: &H, report: &Report) -> Result<H::Value, H::Error> {
    let mut items = Vec::with_capacity(report.violations.len());
    for v in &report.violations {
        let clauses = v
            .clauses
            .iter()
            .map(|c| host.new_string(c))
            .collect::<Result<Vec<_>, _>>()?;
        let level = match v.level {
            Level::Error => "error",
            _ => "warning",
        };
        items.push(host.build(
            Factory::Violation,
            vec![
                host.new_string(&v.field)?,
                host.new_string(&v.rule_id)?,
                host.new_string(&v.message)?,
                host.new_string(level)?,
                host.new_array(clauses)?,
            ],
        )?);
    }
    host.new_array(items)
}
