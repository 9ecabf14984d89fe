//! Running a plan over a record: a walk over the plan's fields through the
//! generated accessors. Nothing is allocated until a rule is broken (the
//! path of the field is kept as a stack of borrowed names and indices and
//! only spelled out for a violation).

use std::fmt::Write as _;

use super::formats;
use super::plan::{Fast, FieldPlan, Plan};
use super::{MAX_FINDINGS, Report, Violation};
use crate::access::{Access, FieldRef, Strs};
use crate::payload::{self, Encoding, PayloadError};
use crate::rules::{Check, Cross, FieldKind, Format, Meta, Rule};
use crate::sensitive;

#[derive(Clone, Copy)]
enum Seg<'p> {
    Name(&'p str),
    Index(usize),
}

/// The path to the field being checked, kept without allocating: records
/// nest at most four levels (entry, list, item, field), so eight is ample;
/// deeper segments are dropped (and the depth still tracked).
struct Path<'p> {
    segs: [Seg<'p>; 8],
    len: usize,
}

impl<'p> Path<'p> {
    fn push(&mut self, seg: Seg<'p>) {
        if let Some(slot) = self.segs.get_mut(self.len) {
            *slot = seg;
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    fn iter(&self) -> impl Iterator<Item = &Seg<'p>> {
        self.segs.iter().take(self.len)
    }
}

struct Ctx<'p, 'r> {
    path: Path<'p>,
    out: &'r mut Vec<Violation>,
    /// Use the one-pass predicates (off only to test them).
    fast: bool,
    /// Only the verdict is asked for: rules below [`Level::Error`] are
    /// not run (see [`run_found`]).
    ///
    /// [`Level::Error`]: crate::rules::Level::Error
    verdict_only: bool,
}

impl Ctx<'_, '_> {
    /// Whether a rule of `meta` can change what is asked for: any rule,
    /// or for a verdict only, a rule at [`Level::Error`].
    ///
    /// [`Level::Error`]: crate::rules::Level::Error
    fn wants(&self, meta: &Meta) -> bool {
        !self.verdict_only || meta.level == crate::rules::Level::Error
    }
}

impl Ctx<'_, '_> {
    fn path(&self) -> String {
        let mut s = String::new();
        for seg in self.path.iter() {
            match seg {
                Seg::Name(n) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(n);
                }
                Seg::Index(i) => {
                    let _ = write!(s, "[{i}]");
                }
            }
        }
        s
    }

    fn violate(&mut self, meta: &Meta, rule_id: &str, message: String) {
        let field = self.path();
        self.push(field, meta, rule_id, message);
    }

    fn push(&mut self, field: String, meta: &Meta, rule_id: &str, message: String) {
        self.out.push(Violation {
            field,
            rule_id: rule_id.to_owned(),
            message,
            level: meta.level,
            clauses: meta.clauses.clone(),
        });
    }
}

pub(super) fn run(plan: &Plan, entry: &dyn Access, report: &mut Report) {
    run_with(plan, entry, report, true);
}

pub(super) fn run_with(plan: &Plan, entry: &dyn Access, report: &mut Report, fast: bool) {
    run_found(plan, entry, report, fast, None, false, 0);
}

/// The bit of top-level field `number` in a `skip` mask of [`run_found`].
pub(super) fn field_bit(number: u32) -> u64 {
    1u64.checked_shl(number).unwrap_or(0)
}

/// True when the top-level field `number` of `entry` breaks no rule of the
/// plan, at any level: neither its own checks nor those of the messages
/// below it (their cross-field rules included). What it reports depends on
/// the field's value alone for a string field and for a message field
/// (only a bytes field's checks read another field), so a record holding
/// the same value gets the same answer.
pub(super) fn field_clean(plan: &Plan, entry: &dyn Access, number: u32) -> bool {
    let Some(field) = plan
        .messages
        .first()
        .and_then(|m| m.fields.iter().find(|f| f.number == number))
    else {
        // No rule looks at the field.
        return true;
    };
    let mut out = Vec::new();
    let mut ctx = Ctx {
        // Every check run, not only the folded predicate.
        fast: false,
        verdict_only: false,
        path: Path {
            segs: [Seg::Index(0); 8],
            len: 0,
        },
        out: &mut out,
    };
    visit(plan, field, entry, &mut ctx);
    out.is_empty()
}

/// [`run_with`], taking the sensitive-data findings from a walk the caller
/// already made (every finding, in field order) instead of walking again.
///
/// With `verdict_only`, the report is only good for
/// [`Report::is_valid`]: findings of kinds reported below
/// [`Level::Error`](crate::rules::Level::Error) are left out of it (their
/// messages are most of the cost of a record with something sensitive in
/// it, and a caller that drops a valid record's report never reads them),
/// so are the violations of rules below that level (a warning such as an
/// agent's missing delegation chain, spelled out for every record that
/// breaks it), and violations are not sorted.
pub(super) fn run_found(
    plan: &Plan,
    entry: &dyn Access,
    report: &mut Report,
    fast: bool,
    found: Option<&[sensitive::Finding]>,
    verdict_only: bool,
    skip: u64,
) {
    let mut ctx = Ctx {
        fast,
        verdict_only,
        path: Path {
            segs: [Seg::Index(0); 8],
            len: 0,
        },
        out: &mut report.violations,
    };
    message(plan, 0, entry, &mut ctx, skip);
    if plan.scans() {
        let mut walked = Vec::new();
        let findings: &[sensitive::Finding] = match found {
            // The same findings a walk limited to MAX_FINDINGS keeps: the
            // walk stops at the limit, in field order.
            Some(all) => all.get(..MAX_FINDINGS).unwrap_or(all),
            None => {
                sensitive::find_limited(entry, MAX_FINDINGS, &mut walked);
                &walked
            }
        };
        for finding in findings {
            let Some(Some(meta)) = plan.sensitive.get(finding.kind.index()) else {
                continue;
            };
            if verdict_only && meta.level != crate::rules::Level::Error {
                continue;
            }
            let why = if meta.why.is_empty() {
                String::new()
            } else {
                format!(": {}", meta.why)
            };
            ctx.push(
                finding.field.clone(),
                meta,
                &meta.rule_id,
                format!(
                    "{} at bytes {}..{} ({} confidence){why}",
                    finding.kind.description(),
                    finding.start,
                    finding.end,
                    finding.confidence.as_str()
                ),
            );
            report.findings.push(finding.clone());
        }
    }
    if report.violations.len() > 1 && !verdict_only {
        let root = crate::rules::compiled().messages.first();
        let order = |field: &str| {
            let top = field.split(['.', '[']).next().unwrap_or_default();
            root.and_then(|m| m.fields.iter().find(|f| f.json_name == top))
                .map_or(0, |f| f.number)
        };
        report.violations.sort_by_cached_key(|v| order(&v.field));
    }
}

/// Checks `msg` (message `index` of the plan), except the fields whose
/// bits `skip` holds (see [`field_bit`]: fields the caller knows to be
/// clean, by [`field_clean`]; top level only, 0 below).
fn message<'p>(plan: &'p Plan, index: usize, msg: &dyn Access, ctx: &mut Ctx<'p, '_>, skip: u64) {
    let Some(mp) = plan.messages.get(index) else {
        return;
    };
    // The plan holds only fields with checks or with checks below them.
    for field in &mp.fields {
        if skip != 0 && skip & field_bit(field.number) != 0 {
            continue;
        }
        visit(plan, field, msg, ctx);
    }
    for rule in &mp.cross {
        cross(rule, msg, ctx);
    }
}

/// Checks one field of `msg` and the messages below it. (Inlined into
/// [`message`]'s loop, where it was written before [`field_clean`] needed it.)
#[inline(always)]
fn visit<'p>(plan: &'p Plan, field: &'p FieldPlan, msg: &dyn Access, ctx: &mut Ctx<'p, '_>) {
    let child = field
        .child
        .filter(|c| plan.messages.get(*c).is_some_and(|m| m.active));
    let value = msg.field(field.number);
    let passes = ctx.fast && fast_ok(&field.fast, &value, msg);
    if passes && child.is_none() {
        // The common case: nothing to report and nothing below, so the
        // path is not needed.
        return;
    }
    ctx.path.push(Seg::Name(&field.json_name));
    if !passes {
        for rule in &field.checks {
            if ctx.wants(&rule.meta) {
                check(rule, field, &value, msg, ctx);
            }
        }
    }
    if let Some(child) = child {
        match value {
            FieldRef::Message(Some(inner)) => message(plan, child, inner, ctx, 0),
            FieldRef::Messages(list) => {
                for i in 0..list.len() {
                    if let Some(inner) = list.item(i) {
                        ctx.path.push(Seg::Index(i));
                        message(plan, child, inner, ctx, 0);
                        ctx.path.pop();
                    }
                }
            }
            _ => {}
        }
    }
    ctx.path.pop();
}

/// True when no check of the field can be broken: the one-pass predicate
/// of [`Fast`]. Must never be true when [`check`] would report something.
fn fast_ok(f: &Fast, value: &FieldRef<'_>, msg: &dyn Access) -> bool {
    if f.required && !is_set(value) {
        return false;
    }
    let text_ok = |s: &str, item: bool| {
        let len = s.len();
        f.min_bytes
            .is_none_or(|m| len >= m as usize || (len == 0 && !item))
            && f.max_bytes.is_none_or(|m| len <= m as usize)
            && (s.is_empty() || f.formats.iter().all(|&format| format_ok(format, s)))
            && (!f.printable || formats::first_unprintable(s).is_none())
    };
    let items_ok = |n: usize| {
        f.min_items.is_none_or(|m| n >= m as usize) && f.max_items.is_none_or(|m| n <= m as usize)
    };
    let enum_ok =
        |n: i32| !(f.not_unspecified && n == 0) && f.defined.as_ref().is_none_or(|d| d.defines(n));
    match value {
        FieldRef::Str(s) => text_ok(s, false),
        FieldRef::Strs(items) => {
            items_ok(items.len())
                && match items {
                    Strs::Owned(v) => v.iter().all(|s| text_ok(s, true)),
                    Strs::Borrowed(v) => v.iter().all(|s| text_ok(s, true)),
                }
                && !(f.unique && has_duplicates(*items))
        }
        FieldRef::Bytes(b) => {
            f.min_bytes
                .is_none_or(|m| b.is_empty() || b.len() >= m as usize)
                && f.max_bytes.is_none_or(|m| b.len() <= m as usize)
                && f.well_formed.is_none_or(|(format_field, max_depth)| {
                    b.is_empty()
                        || match msg.field(format_field) {
                            FieldRef::Enum(Some(1)) => {
                                payload::walk(Encoding::Json, b, max_depth, None).is_ok()
                            }
                            FieldRef::Enum(Some(2)) => {
                                payload::walk(Encoding::Cbor, b, max_depth, None).is_ok()
                            }
                            _ => true,
                        }
                })
        }
        FieldRef::Enum(v) => match v {
            Some(n) => enum_ok(*n),
            None => !f.not_unspecified,
        },
        FieldRef::Enums(items) => items_ok(items.len()) && items.iter().all(|n| enum_ok(*n)),
        FieldRef::Int(_) | FieldRef::Uint(_) => f.gte.is_none_or(|min| !below(value, min)),
        FieldRef::Bool(_) | FieldRef::Float(_) | FieldRef::Present(_) => true,
        FieldRef::Count(n) => items_ok(*n),
        FieldRef::Timestamp(t) => {
            !f.valid_timestamp
                || t.is_none_or(|t| {
                    formats::TIMESTAMP_SECONDS.contains(&t.seconds)
                        && (0..1_000_000_000).contains(&t.nanos)
                })
        }
        FieldRef::Message(_) => true,
        FieldRef::Messages(items) => items_ok(items.len()),
        FieldRef::Other => true,
    }
}

/// True when an integer field holds a value below `min`.
fn below(value: &FieldRef<'_>, min: i64) -> bool {
    match value {
        FieldRef::Int(Some(v)) => *v < min,
        FieldRef::Uint(Some(v)) => u64::try_from(min).is_ok_and(|min| *v < min),
        _ => false,
    }
}

fn has_duplicates(items: Strs<'_>) -> bool {
    match items {
        Strs::Owned(v) => duplicated(v),
        Strs::Borrowed(v) => duplicated(v),
    }
}

fn duplicated<T: AsRef<str> + PartialEq>(items: &[T]) -> bool {
    if items.len() <= 16 {
        items
            .iter()
            .enumerate()
            .any(|(j, x)| items.iter().take(j).any(|y| y == x))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        !items.iter().all(|x| seen.insert(x.as_ref()))
    }
}

fn is_set(value: &FieldRef<'_>) -> bool {
    match value {
        FieldRef::Str(s) => !s.trim().is_empty(),
        FieldRef::Strs(items) => !items.is_empty(),
        FieldRef::Bytes(b) => !b.is_empty(),
        FieldRef::Enum(v) => v.is_some_and(|v| v != 0),
        FieldRef::Enums(items) => !items.is_empty(),
        FieldRef::Int(v) => v.is_some_and(|v| v != 0),
        FieldRef::Uint(v) => v.is_some_and(|v| v != 0),
        FieldRef::Bool(v) => *v == Some(true),
        // Set when not zero, as proto3 writes it (-0.0 is written).
        FieldRef::Float(v) => v.is_some_and(|v| v.to_bits() != 0),
        FieldRef::Count(n) => *n > 0,
        FieldRef::Present(set) => *set,
        FieldRef::Timestamp(t) => t.is_some(),
        FieldRef::Message(m) => m.is_some(),
        FieldRef::Messages(list) => !list.is_empty(),
        FieldRef::Other => false,
    }
}

fn with_why(text: String, meta: &Meta) -> String {
    if meta.why.is_empty() {
        text
    } else {
        format!("{text}: {}", meta.why)
    }
}

/// Runs `f` on the field's string, or on each item of a repeated string,
/// with the item's index on the path.
fn each_str<'v>(
    value: &FieldRef<'v>,
    ctx: &mut Ctx<'_, '_>,
    mut f: impl FnMut(&'v str, &mut Ctx<'_, '_>),
) {
    match value {
        FieldRef::Str(s) => f(s, ctx),
        FieldRef::Strs(items) => {
            for (i, s) in items.iter().enumerate() {
                ctx.path.push(Seg::Index(i));
                f(s, ctx);
                ctx.path.pop();
            }
        }
        _ => {}
    }
}

fn list_len(value: &FieldRef<'_>) -> Option<usize> {
    match value {
        FieldRef::Strs(items) => Some(items.len()),
        FieldRef::Enums(items) => Some(items.len()),
        FieldRef::Messages(list) => Some(list.len()),
        FieldRef::Count(n) => Some(*n),
        _ => None,
    }
}

fn format_ok(format: Format, s: &str) -> bool {
    match format {
        Format::Uuid => formats::is_uuid(s),
        Format::TraceId => formats::is_trace_hex(s, 32),
        Format::SpanId => formats::is_trace_hex(s, 16),
        Format::Ip => formats::is_ip(s),
        Format::Hostname => formats::is_hostname(s),
        Format::Semver => formats::is_semver(s),
    }
}

#[allow(clippy::too_many_lines)]
fn check(
    rule: &Rule<Check>,
    field: &FieldPlan,
    value: &FieldRef<'_>,
    msg: &dyn Access,
    ctx: &mut Ctx<'_, '_>,
) {
    let meta = &*rule.meta;
    let id = meta.rule_id.as_str();
    match &rule.check {
        Check::Required => {
            if !is_set(value) {
                let what = if field.list {
                    "must have at least one item"
                } else if field.kind == FieldKind::Str {
                    "is required and must not be blank"
                } else {
                    "is required"
                };
                let text = format!("{} {what}", ctx.path());
                ctx.violate(meta, id, with_why(text, meta));
            }
        }
        Check::NotUnspecified => {
            let bad = |n: i32, ctx: &mut Ctx<'_, '_>| {
                if n == 0 {
                    let text = format!(
                        "{} must be set to a value other than the UNSPECIFIED zero value",
                        ctx.path()
                    );
                    ctx.violate(meta, id, with_why(text, meta));
                }
            };
            match value {
                FieldRef::Enum(v) => bad(v.unwrap_or(0), ctx),
                FieldRef::Enums(items) => {
                    for (i, n) in items.iter().enumerate() {
                        ctx.path.push(Seg::Index(i));
                        bad(*n, ctx);
                        ctx.path.pop();
                    }
                }
                _ => {}
            }
        }
        Check::DefinedOnly(info) => {
            let bad = |n: i32, ctx: &mut Ctx<'_, '_>| {
                if !info.defines(n) {
                    let text = format!(
                        "{} holds {n}, which is not a value of {}",
                        ctx.path(),
                        info.name
                    );
                    ctx.violate(meta, id, text);
                }
            };
            match value {
                FieldRef::Enum(Some(n)) => bad(*n, ctx),
                FieldRef::Enums(items) => {
                    for (i, n) in items.iter().enumerate() {
                        ctx.path.push(Seg::Index(i));
                        bad(*n, ctx);
                        ctx.path.pop();
                    }
                }
                _ => {}
            }
        }
        Check::MinBytes(min) => {
            let min = *min as usize;
            let test = |len: usize, is_item: bool, ctx: &mut Ctx<'_, '_>| {
                if len < min && (len > 0 || is_item) {
                    let text = format!("{} is {len} bytes; the minimum is {min}", ctx.path());
                    ctx.violate(meta, id, with_why(text, meta));
                }
            };
            match value {
                FieldRef::Str(s) => test(s.len(), false, ctx),
                FieldRef::Bytes(b) => test(b.len(), false, ctx),
                FieldRef::Strs(items) => {
                    for (i, s) in items.iter().enumerate() {
                        ctx.path.push(Seg::Index(i));
                        test(s.len(), true, ctx);
                        ctx.path.pop();
                    }
                }
                _ => {}
            }
        }
        Check::MaxBytes(max) => {
            let max = *max as usize;
            let test = |len: usize, ctx: &mut Ctx<'_, '_>| {
                if len > max {
                    let text = format!("{} is {len} bytes, over the limit of {max}", ctx.path());
                    ctx.violate(meta, id, with_why(text, meta));
                }
            };
            match value {
                FieldRef::Bytes(b) => test(b.len(), ctx),
                _ => each_str(value, ctx, |s, ctx| test(s.len(), ctx)),
            }
        }
        Check::Format(format) => each_str(value, ctx, |s, ctx| {
            if !s.is_empty() && !format_ok(*format, s) {
                let text = format!("{} is not {}", ctx.path(), format.describe());
                ctx.violate(meta, id, with_why(text, meta));
            }
        }),
        Check::Printable => each_str(value, ctx, |s, ctx| {
            if let Some(at) = formats::first_unprintable(s) {
                let text = format!(
                    "{} holds a control character at byte {at}, which could forge or hide log lines",
                    ctx.path()
                );
                ctx.violate(meta, id, with_why(text, meta));
            }
        }),
        Check::Gte(min) => {
            if below(value, *min) {
                let text = format!("{} must be at least {min}", ctx.path());
                ctx.violate(meta, id, with_why(text, meta));
            }
        }
        Check::MinItems(min) => {
            if let Some(len) = list_len(value) {
                if len < *min as usize {
                    let text = format!("{} has {len} items; the minimum is {min}", ctx.path());
                    ctx.violate(meta, id, with_why(text, meta));
                }
            }
        }
        Check::MaxItems(max) => {
            if let Some(len) = list_len(value) {
                if len > *max as usize {
                    let text = format!("{} has {len} items, over the limit of {max}", ctx.path());
                    ctx.violate(meta, id, with_why(text, meta));
                }
            }
        }
        Check::Unique => {
            if let FieldRef::Strs(items) = value {
                unique(*items, meta, id, ctx);
            }
        }
        Check::ValidTimestamp => {
            if let FieldRef::Timestamp(Some(t)) = value {
                if !formats::TIMESTAMP_SECONDS.contains(&t.seconds)
                    || !(0..1_000_000_000).contains(&t.nanos)
                {
                    let text = format!(
                        "{} is outside years 0001-9999 or its nanos are outside 0-999999999",
                        ctx.path()
                    );
                    ctx.violate(meta, id, with_why(text, meta));
                }
            }
        }
        Check::WellFormed {
            format_field,
            max_depth,
        } => {
            let FieldRef::Bytes(bytes) = value else {
                return;
            };
            if bytes.is_empty() {
                // proto3 cannot tell empty bytes from unset: nothing to check.
                return;
            }
            let encoding = match msg.field(*format_field) {
                FieldRef::Enum(Some(1)) => Encoding::Json,
                FieldRef::Enum(Some(2)) => Encoding::Cbor,
                _ => return,
            };
            let name = match encoding {
                Encoding::Json => "JSON",
                Encoding::Cbor => "CBOR",
            };
            match payload::walk(encoding, bytes, *max_depth, None) {
                Ok(()) => {}
                Err(PayloadError::Malformed { offset, what }) => {
                    let rule_id = match encoding {
                        Encoding::Json => "payload.json",
                        Encoding::Cbor => "payload.cbor",
                    };
                    let text = format!(
                        "{} is declared {name} but is not well-formed: {what} at byte {offset}",
                        ctx.path()
                    );
                    ctx.violate(meta, rule_id, text);
                }
                Err(PayloadError::TooDeep { offset }) => {
                    let text = format!(
                        "{} nests arrays and objects more than {max_depth} levels deep (at byte {offset})",
                        ctx.path()
                    );
                    ctx.violate(meta, "payload.max_depth", text);
                }
            }
        }
    }
}

/// Reports each item that repeats an earlier one (at most 16).
fn unique(items: Strs<'_>, meta: &Meta, id: &str, ctx: &mut Ctx<'_, '_>) {
    if items.len() < 2 {
        return;
    }
    let mut reported = 0;
    let mut report = |i: usize, j: usize, ctx: &mut Ctx<'_, '_>| {
        if reported < 16 {
            ctx.path.push(Seg::Index(j));
            let text = format!("{} repeats item {i}", ctx.path());
            ctx.violate(meta, id, with_why(text, meta));
            ctx.path.pop();
        }
        reported += 1;
    };
    if items.len() <= 16 {
        for j in 1..items.len() {
            if let Some(i) = items.iter().take(j).position(|x| Some(x) == items.get(j)) {
                report(i, j, ctx);
            }
        }
    } else {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (j, item) in items.iter().enumerate() {
            match seen.get(item) {
                Some(&i) => report(i, j, ctx),
                None => {
                    seen.insert(item, j);
                }
            }
        }
    }
}

fn cross(rule: &Rule<Cross>, msg: &dyn Access, ctx: &mut Ctx<'_, '_>) {
    if !ctx.wants(&rule.meta) {
        return;
    }
    let c = &rule.check;
    let applies = match &c.when {
        None => true,
        Some((number, values)) => match msg.field(*number) {
            FieldRef::Enum(Some(v)) if !values.is_empty() => values.contains(&v),
            other => values.is_empty() && is_set(&other),
        },
    };
    if !applies || c.require_any.iter().any(|n| is_set(&msg.field(*n))) {
        return;
    }
    let prefix = ctx.path();
    let field = match (prefix.is_empty(), c.field.is_empty()) {
        (true, _) => c.field.clone(),
        (false, true) => prefix,
        (false, false) => format!("{prefix}.{}", c.field),
    };
    ctx.push(field, &rule.meta, &rule.meta.rule_id, c.message.clone());
}
