//! The objects of a validation: the report, its violations and findings,
//! built from the core's report as the `ValidationReport` message of
//! report.proto, whose shape `generated_report.rs` follows.

use lokryn_compliance_log::sensitive::Finding;
use lokryn_compliance_log::v1;
use lokryn_compliance_log::validate::Report;

use crate::generated_report::{finding_object, validation_report_object, violation_object};
use crate::{ErrorInfo, Host};

/// Builds the `ValidationReport` object of `report` (`error` is `null`).
pub fn report_to_js<H: Host>(host: &H, report: &Report) -> Result<H::Value, H::Error> {
    validation_report_object(host, &report.to_message(), host.undefined()?)
}

/// Builds the report of an entry that could not be read: not valid, no
/// violations or findings, `error` the error object `info` describes.
pub fn unreadable_to_js<H: Host>(host: &H, info: &ErrorInfo) -> Result<H::Value, H::Error> {
    let message = v1::ValidationReport {
        valid: false,
        ..Default::default()
    };
    validation_report_object(host, &message, info.to_js(host)?)
}

/// Builds the array of `Finding` objects.
pub fn findings_to_js<H: Host>(host: &H, findings: &[Finding]) -> Result<H::Value, H::Error> {
    let items = findings
        .iter()
        .map(|f| finding_object(host, &f.to_message()))
        .collect::<Result<Vec<_>, _>>()?;
    host.new_array(items)
}

/// Builds the array of `Violation` objects of `report`.
pub fn violations_to_js<H: Host>(host: &H, report: &Report) -> Result<H::Value, H::Error> {
    let items = report
        .violations
        .iter()
        .map(|v| violation_object(host, &v.to_message()))
        .collect::<Result<Vec<_>, _>>()?;
    host.new_array(items)
}
