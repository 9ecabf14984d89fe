//! The evidence report: what a set of records shows for an audit period,
//! computed in one streaming pass in bounded memory ([`Builder`]), as JSON
//! data ([`Builder::finish`]) that one template renders as a self-contained
//! HTML page ([`html::render`]).
//!
//! A [`Collector`] takes the records of the input in order, keeps those of
//! the period, validates each under the chosen profiles and hands both to
//! the [`Builder`]; the caller supplies what the records cannot tell: the
//! integrity of the input (`ledger::integrity` for a ledger, [`unproven`]
//! otherwise) and how the report was made ([`Provenance`]).
//! `ledger::report` (feature `ledger`) does all of it for a ledger
//! directory. `complog
//! report` and the Python and Node `report` functions use these, so their
//! data is the same.
//! docs/report.md explains every section and the clause it serves.

mod collect;
pub mod html;
#[cfg(feature = "ledger")]
pub mod ledger;

pub use collect::{Collector, InputTotals, Provenance, Settings, parse_time, unproven};

use std::collections::BTreeMap;

use lokryn_compliance_log::json::civil_from_days;
use lokryn_compliance_log::validate::{Level, Report};
use lokryn_compliance_log::{EventType, LogEntry, Outcome};
use serde_json::{Value, json};

/// The version of the report's JSON layout.
pub const REPORT_VERSION: &str = "1";

/// Distinct keys kept per table (actors, resources, agents, fields...);
/// anything beyond is counted under [`OTHER`] so memory stays bounded.
pub const MAX_KEYS: usize = 1000;

/// The key that collects what is past [`MAX_KEYS`].
pub const OTHER: &str = "(other)";

/// Records named in the "worst records" table.
pub const WORST: usize = 20;

/// A PCI DSS v4.0 requirement 10.2.1.x category and the event types that
/// evidence it.
struct Category {
    id: &'static str,
    clause: &'static str,
    title: &'static str,
    basis: &'static str,
}

const CATEGORIES: [Category; 7] = [
    Category {
        id: "cardholder_data_access",
        clause: "PCI DSS v4.0 10.2.1.1",
        title: "Individual user access to cardholder data",
        basis: "EVENT_FILE_ACCESS, EVENT_RESOURCE_ACCESS, EVENT_RESOURCE_READ, EVENT_DATA_EXPORT",
    },
    Category {
        id: "administrative_actions",
        clause: "PCI DSS v4.0 10.2.1.2",
        title: "Actions taken with administrative access",
        basis: "EVENT_PRIVILEGE_USE",
    },
    Category {
        id: "audit_log_access",
        clause: "PCI DSS v4.0 10.2.1.3",
        title: "Access to audit logs",
        basis: "an access event (as 10.2.1.1) whose resource or component names an audit log (contains \"audit\")",
    },
    Category {
        id: "invalid_access_attempts",
        clause: "PCI DSS v4.0 10.2.1.4",
        title: "Invalid logical access attempts",
        basis: "outcome OUTCOME_FAILURE_UNAUTHORIZED or OUTCOME_FAILURE_DENIED",
    },
    Category {
        id: "credential_changes",
        clause: "PCI DSS v4.0 10.2.1.5",
        title: "Changes to identification and authentication credentials",
        basis: "EVENT_USER_MANAGEMENT",
    },
    Category {
        id: "audit_log_start_stop",
        clause: "PCI DSS v4.0 10.2.1.6",
        title: "Initialisation, stopping or pausing of audit logs",
        basis: "EVENT_PROCESS_START, EVENT_PROCESS_STOP",
    },
    Category {
        id: "system_object_changes",
        clause: "PCI DSS v4.0 10.2.1.7",
        title: "Creation and deletion of system-level objects",
        basis: "EVENT_CONFIG_CHANGE, EVENT_POLICY_CHANGE",
    },
];

/// The PCI DSS 10.2.2 elements a record must carry, and the fields that carry them.
const ELEMENTS: [(&str, &str); 6] = [
    ("user identification", "actorId"),
    ("type of event", "eventType"),
    ("date and time", "time"),
    ("success or failure", "outcome"),
    ("origination", "sourceIp or host"),
    (
        "affected data, component or resource",
        "resource or component",
    ),
];

fn is_access(t: i32) -> bool {
    [
        EventType::EventFileAccess,
        EventType::EventResourceAccess,
        EventType::EventResourceRead,
        EventType::EventDataExport,
    ]
    .iter()
    .any(|e| *e as i32 == t)
}

/// Which of the seven categories `entry` evidences.
fn categories(entry: &LogEntry) -> [bool; 7] {
    let t = entry.event_type;
    let is = |e: EventType| e as i32 == t;
    let audit = entry.resource.to_ascii_lowercase().contains("audit")
        || entry.component.to_ascii_lowercase().contains("audit");
    [
        is_access(t),
        is(EventType::EventPrivilegeUse),
        is_access(t) && audit,
        entry.outcome == Outcome::FailureUnauthorized as i32
            || entry.outcome == Outcome::FailureDenied as i32,
        is(EventType::EventUserManagement),
        is(EventType::EventProcessStart) || is(EventType::EventProcessStop),
        is(EventType::EventConfigChange) || is(EventType::EventPolicyChange),
    ]
}

/// Which 10.2.2 elements `entry` carries.
fn elements(entry: &LogEntry) -> [bool; 6] {
    [
        !entry.actor_id.is_empty(),
        entry.event_type != 0,
        entry.time.is_some(),
        entry.outcome != 0,
        !entry.source_ip.is_empty() || !entry.host.is_empty(),
        !entry.resource.is_empty() || !entry.component.is_empty(),
    ]
}

/// The name of an event type (`EVENT_LOGIN`), or its number when unknown.
fn event_name(t: i32) -> String {
    EventType::try_from(t).map_or_else(|_| format!("EVENT_TYPE_{t}"), |e| e.as_str_name().into())
}

/// The name of an outcome (`OUTCOME_SUCCESS`), or its number when unknown.
fn outcome_name(o: i32) -> String {
    Outcome::try_from(o).map_or_else(|_| format!("OUTCOME_{o}"), |e| e.as_str_name().into())
}

fn is_failure(o: i32) -> bool {
    o == Outcome::FailureUnauthorized as i32
        || o == Outcome::FailureDenied as i32
        || o == Outcome::FailureError as i32
}

/// A counter keyed by text, holding at most [`MAX_KEYS`] keys.
#[derive(Debug, Default)]
struct Counts(BTreeMap<String, u64>);

impl Counts {
    fn add(&mut self, key: &str) {
        if let Some(n) = self.0.get_mut(key) {
            *n += 1;
        } else if self.0.len() < MAX_KEYS {
            self.0.insert(key.to_owned(), 1);
        } else {
            *self.0.entry(OTHER.to_owned()).or_default() += 1;
        }
    }

    /// Rows `{key: …, count: …}`, largest first, then by key.
    fn rows(&self, key: &str) -> Value {
        let mut v: Vec<(&String, &u64)> = self.0.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        Value::Array(
            v.into_iter()
                .map(|(k, n)| json!({ key: k, "count": n }))
                .collect(),
        )
    }
}

fn label(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}

/// A rule's tally.
#[derive(Debug, Default)]
struct RuleTally {
    level: &'static str,
    violations: u64,
    records: u64,
    clauses: Vec<String>,
}

/// One of the worst records: where it is, never what it holds.
#[derive(Debug, Clone)]
struct Worst {
    errors: u64,
    warnings: u64,
    index: u64,
    event_id: String,
    rules: Vec<String>,
}

/// The streaming aggregation: [`Builder::add`] each record, then
/// [`Builder::finish`].
#[derive(Debug, Default)]
pub struct Builder {
    records: u64,
    unreadable: u64,
    passed: u64,
    failed: u64,
    with_warnings: u64,
    first: Option<(i64, i32)>,
    last: Option<(i64, i32)>,
    no_time: u64,
    by_type: Counts,
    by_outcome: Counts,
    by_day: BTreeMap<String, [u64; 3]>,
    category_records: [u64; 7],
    category_complete: [u64; 7],
    complete: u64,
    element_present: [u64; 6],
    rules: BTreeMap<String, RuleTally>,
    clauses: BTreeMap<String, u64>,
    worst: Vec<Worst>,
    findings: Counts,
    failed_actor: Counts,
    failed_resource: Counts,
    privilege_actor: Counts,
    tools: Counts,
    delegations: Counts,
    guardrails: Counts,
}

impl Builder {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records added so far (readable or not).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Counts a record that could not be read (it fails every profile).
    pub fn add_unreadable(&mut self) {
        self.records += 1;
        self.unreadable += 1;
        self.failed += 1;
    }

    /// Adds one record, at `index` in the input, and its validation report.
    pub fn add(&mut self, index: u64, entry: &LogEntry, report: &Report) {
        self.records += 1;
        let errors = report
            .violations
            .iter()
            .filter(|v| v.level == Level::Error)
            .count() as u64;
        let warnings = report.violations.len() as u64 - errors;
        if errors == 0 {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
        if warnings > 0 {
            self.with_warnings += 1;
        }

        // Period and activity.
        let outcome_class = if entry.outcome == Outcome::Success as i32 {
            0
        } else if is_failure(entry.outcome) {
            1
        } else {
            2
        };
        match &entry.time {
            Some(t) => {
                let k = (t.seconds, t.nanos);
                if self.first.is_none_or(|f| k < f) {
                    self.first = Some(k);
                }
                if self.last.is_none_or(|l| k > l) {
                    self.last = Some(k);
                }
                let day = civil_day(t.seconds);
                if let Some(slot) = self.by_day.get_mut(&day) {
                    bump(slot, outcome_class);
                } else {
                    let key = if self.by_day.len() < MAX_KEYS {
                        day
                    } else {
                        OTHER.to_owned()
                    };
                    bump(self.by_day.entry(key).or_default(), outcome_class);
                }
            }
            None => self.no_time += 1,
        }
        self.by_type.add(&event_name(entry.event_type));
        self.by_outcome.add(&outcome_name(entry.outcome));

        // Coverage.
        let el = elements(entry);
        let complete = el.iter().all(|b| *b);
        for (n, present) in self.element_present.iter_mut().zip(el) {
            *n += u64::from(present);
        }
        self.complete += u64::from(complete);
        let cats = categories(entry);
        for ((n, c), is) in self
            .category_records
            .iter_mut()
            .zip(self.category_complete.iter_mut())
            .zip(cats)
        {
            if is {
                *n += 1;
                *c += u64::from(complete);
            }
        }

        // Validation.
        let mut seen: Vec<&str> = Vec::new();
        for v in &report.violations {
            let tally = if let Some(t) = self.rules.get_mut(&v.rule_id) {
                t
            } else {
                self.rules
                    .entry(v.rule_id.clone())
                    .or_insert_with(|| RuleTally {
                        level: v.level.as_str(),
                        clauses: v.clauses.clone(),
                        ..RuleTally::default()
                    })
            };
            tally.violations += 1;
            if v.level == Level::Error {
                tally.level = "error";
            }
            if !seen.contains(&v.rule_id.as_str()) {
                tally.records += 1;
                seen.push(&v.rule_id);
            }
            for c in &v.clauses {
                *self.clauses.entry(c.clone()).or_default() += 1;
            }
        }
        for f in &report.findings {
            self.findings
                .add(&format!("{}\u{1f}{}", f.kind.as_str(), f.field));
        }
        if errors + warnings > 0 {
            self.keep_worst(Worst {
                errors,
                warnings,
                index,
                event_id: entry.event_id.clone(),
                rules: seen.iter().map(|s| (*s).to_owned()).collect(),
            });
        }

        // Failures, privilege, agents.
        if is_failure(entry.outcome) {
            self.failed_actor.add(label(&entry.actor_id));
            self.failed_resource.add(label(&entry.resource));
        }
        if cats.get(1).copied().unwrap_or(false) {
            self.privilege_actor.add(label(&entry.actor_id));
        }
        let outcome = outcome_name(entry.outcome);
        let agent = entry
            .genai
            .as_ref()
            .map(|g| {
                if g.agent_name.is_empty() {
                    g.agent_id.as_str()
                } else {
                    g.agent_name.as_str()
                }
            })
            .filter(|a| !a.is_empty())
            .unwrap_or(entry.actor_id.as_str());
        let t = entry.event_type;
        if t == EventType::EventToolInvocation as i32 {
            let tool = entry
                .genai
                .as_ref()
                .map(|g| g.tool_name.as_str())
                .filter(|s| !s.is_empty())
                .or_else(|| entry.mcp.as_ref().map(|m| m.tool_name.as_str()))
                .unwrap_or("");
            self.tools.add(&format!(
                "{}\u{1f}{}\u{1f}{outcome}",
                label(agent),
                label(tool)
            ));
        } else if t == EventType::EventDelegation as i32 {
            let to = entry
                .delegation_chain
                .last()
                .map_or("", |d| d.actor_id.as_str());
            self.delegations.add(&format!(
                "{}\u{1f}{}\u{1f}{outcome}",
                label(&entry.actor_id),
                label(to)
            ));
        } else if t == EventType::EventGuardrailCheck as i32 {
            self.guardrails
                .add(&format!("{}\u{1f}{outcome}", label(agent)));
        }
    }

    fn keep_worst(&mut self, w: Worst) {
        let rank = |w: &Worst| {
            (
                std::cmp::Reverse(w.errors),
                std::cmp::Reverse(w.warnings),
                w.index,
            )
        };
        let pos = self.worst.partition_point(|x| rank(x) <= rank(&w));
        if pos < WORST {
            self.worst.insert(pos, w);
            self.worst.truncate(WORST);
        }
    }

    /// The report data. `integrity` and `reproducibility` come from the
    /// caller (see docs/report.md for their shape); `profiles` are the
    /// profile names the records were validated under.
    pub fn finish(&self, profiles: &[String], integrity: &Value, reproducibility: &Value) -> Value {
        let share = |n: u64, of: u64| {
            if of == 0 {
                Value::Null
            } else {
                #[allow(clippy::cast_precision_loss)]
                let s = n as f64 / of as f64;
                json!(s)
            }
        };
        let readable = self.records - self.unreadable;
        let categories: Vec<Value> = CATEGORIES
            .iter()
            .zip(self.category_records)
            .zip(self.category_complete)
            .map(|((c, n), complete)| {
                json!({
                    "id": c.id,
                    "clause": c.clause,
                    "title": c.title,
                    "basis": c.basis,
                    "records": n,
                    "present": n > 0,
                    "complete": complete,
                    "completeShare": share(complete, n),
                })
            })
            .collect();
        let missing: Vec<&str> = CATEGORIES
            .iter()
            .zip(self.category_records)
            .filter(|(_, n)| *n == 0)
            .map(|(c, _)| c.clause)
            .collect();
        let present = |i: usize| self.category_records.get(i).copied().unwrap_or(0) > 0;
        let failures: u64 = self.by_day.values().map(|d| d[1]).sum();
        let other_frameworks = json!([
            {
                "clause": "SOC 2 CC7.2",
                "expectation": "System components are monitored for anomalies: failed and denied actions, privileged actions and configuration changes are logged.",
                "evidence": {
                    "invalidAccessAttempts": present(3),
                    "administrativeActions": present(1),
                    "systemObjectChanges": present(6),
                    "failureRecords": failures,
                },
                "met": present(3) && present(1) && present(6),
            },
            {
                "clause": "HIPAA 164.312(b)",
                "expectation": "Activity in systems that hold ePHI is recorded and can be examined: access to data is logged with who, what and when.",
                "evidence": {
                    "dataAccess": present(0),
                    "completeShare": share(self.category_complete.first().copied().unwrap_or(0), self.category_records.first().copied().unwrap_or(0)),
                },
                "met": present(0),
            },
        ]);
        let rules: Vec<Value> = {
            let mut v: Vec<(&String, &RuleTally)> = self.rules.iter().collect();
            v.sort_by(|a, b| {
                b.1.violations
                    .cmp(&a.1.violations)
                    .then_with(|| a.0.cmp(b.0))
            });
            v.into_iter()
                .map(|(id, t)| {
                    json!({"rule": id, "level": t.level, "violations": t.violations,
                           "records": t.records, "clauses": t.clauses})
                })
                .collect()
        };
        let clauses: Vec<Value> = self
            .clauses
            .iter()
            .map(|(c, n)| json!({"clause": c, "violations": n}))
            .collect();
        let worst: Vec<Value> = self
            .worst
            .iter()
            .map(|w| {
                json!({"index": w.index, "eventId": w.event_id, "errors": w.errors,
                       "warnings": w.warnings, "rules": w.rules})
            })
            .collect();
        let split = |c: &Counts, names: &[&str]| -> Value {
            let mut v: Vec<(&String, &u64)> = c.0.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            Value::Array(
                v.into_iter()
                    .map(|(k, n)| {
                        let mut o = serde_json::Map::new();
                        let mut parts = k.split('\u{1f}');
                        for name in names {
                            o.insert((*name).into(), json!(parts.next().unwrap_or(OTHER)));
                        }
                        o.insert("count".into(), json!(n));
                        Value::Object(o)
                    })
                    .collect(),
            )
        };
        let over_time: Vec<Value> = self
            .by_day
            .iter()
            .map(|(d, [s, f, o])| json!({"day": d, "success": s, "failure": f, "other": o}))
            .collect();
        json!({
            "reportVersion": REPORT_VERSION,
            "profiles": profiles,
            "scope": {
                "records": self.records,
                "unreadable": self.unreadable,
                "withoutTime": self.no_time,
                "first": self.first.map(|(s, n)| rfc3339(s, n)),
                "last": self.last.map(|(s, n)| rfc3339(s, n)),
            },
            "integrity": integrity,
            "coverage": {
                "categories": categories,
                "missing": missing,
                "elements": ELEMENTS.iter().zip(self.element_present).map(|((e, f), n)| json!({
                    "element": e, "fields": f, "records": n, "share": share(n, readable),
                })).collect::<Vec<_>>(),
                "completeRecords": self.complete,
                "completeShare": share(self.complete, readable),
                "otherFrameworks": other_frameworks,
            },
            "validation": {
                "passed": self.passed,
                "failed": self.failed,
                "withWarnings": self.with_warnings,
                "rules": rules,
                "clauses": clauses,
                "worst": worst,
                "findings": split(&self.findings, &["kind", "field"]),
            },
            "activity": {
                "byEventType": self.by_type.rows("eventType"),
                "byOutcome": self.by_outcome.rows("outcome"),
                "overTime": over_time,
                "failedByActor": self.failed_actor.rows("actor"),
                "failedByResource": self.failed_resource.rows("resource"),
                "privilegeUseByActor": self.privilege_actor.rows("actor"),
            },
            "agents": {
                "toolInvocations": split(&self.tools, &["agent", "tool", "outcome"]),
                "delegations": split(&self.delegations, &["from", "to", "outcome"]),
                "guardrails": split(&self.guardrails, &["agent", "outcome"]),
            },
            "reproducibility": reproducibility,
        })
    }
}

fn bump(slot: &mut [u64; 3], class: usize) {
    if let Some(n) = slot.get_mut(class) {
        *n += 1;
    }
}

/// The UTC day of a time, `YYYY-MM-DD`.
fn civil_day(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// A time as RFC 3339 in UTC.
pub fn rfc3339(seconds: i64, nanos: i32) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    let frac = if nanos == 0 {
        String::new()
    } else {
        let digits = format!(".{nanos:09}");
        digits.trim_end_matches('0').to_owned()
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times() {
        assert_eq!(civil_day(0), "1970-01-01");
        assert_eq!(civil_day(951_782_400), "2000-02-29");
        assert_eq!(rfc3339(1_767_225_600, 5), "2026-01-01T00:00:00.000000005Z");
        assert_eq!(rfc3339(0, 250_000_000), "1970-01-01T00:00:00.25Z");
        assert_eq!(rfc3339(-1, 0), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn tables_stay_bounded_and_count_everything() {
        let mut b = Builder::new();
        for i in 0..(MAX_KEYS as i64 + 5) {
            let entry = LogEntry {
                actor_id: format!("user{i}"),
                outcome: Outcome::FailureDenied as i32,
                time: Some(lokryn_compliance_log::Timestamp {
                    seconds: i * 86_400,
                    nanos: 0,
                }),
                ..LogEntry::default()
            };
            b.add(0, &entry, &Report::default());
        }
        assert_eq!(b.failed_actor.0.len(), MAX_KEYS + 1);
        assert_eq!(b.failed_actor.0.get(OTHER), Some(&5));
        assert_eq!(b.by_day.len(), MAX_KEYS + 1);
        assert_eq!(b.by_day.get(OTHER), Some(&[0, 5, 0]));
        let total: u64 = b.by_day.values().map(|d| d.iter().sum::<u64>()).sum();
        assert_eq!(total, MAX_KEYS as u64 + 5);
    }

    #[test]
    fn worst_keeps_the_most_errors() {
        let mut b = Builder::new();
        for i in 0..30u64 {
            b.keep_worst(Worst {
                errors: i % 5,
                warnings: 0,
                index: i,
                event_id: String::new(),
                rules: vec![],
            });
        }
        assert_eq!(b.worst.len(), WORST);
        assert_eq!(b.worst.first().map(|w| (w.errors, w.index)), Some((4, 4)));
    }
}
