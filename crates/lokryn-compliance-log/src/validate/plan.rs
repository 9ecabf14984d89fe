//! Planning: from the compiled rules ([`crate::rules`]), the plan the
//! engine runs for one combination of profiles, derived once per
//! combination. Per message, only the fields to look at (those with checks
//! under the plan's profiles, or with such checks below them), rules of the
//! same id on the same field merged (the stricter level wins, clauses are
//! joined), and what a finding of each kind means.

use std::sync::{Arc, OnceLock};

use crate::rules::{
    Check, Cross, EVERY_PROFILE, EnumInfo, FieldKind, Format, Kind, MASKS, Meta, Profile,
    ProfileMask, Rule, Rules,
};

/// A field the engine visits, with the checks that apply under the plan's
/// profiles.
#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    pub(crate) number: u32,
    pub(crate) json_name: String,
    pub(crate) list: bool,
    pub(crate) kind: FieldKind,
    pub(crate) checks: Vec<Rule<Check>>,
    /// The message plan of a field holding messages of this package.
    pub(crate) child: Option<usize>,
    /// All of `checks` folded together, to tell quickly that none is broken.
    pub(crate) fast: Fast,
}

#[derive(Debug, Clone)]
pub(crate) struct MessagePlan {
    pub(crate) fields: Vec<FieldPlan>,
    pub(crate) cross: Vec<Rule<Cross>>,
    /// True when this message or one below it has a check under the plan's
    /// profiles.
    pub(crate) active: bool,
}

/// The checks of one field folded into one predicate. [`super::run`] asks it
/// first and runs the checks one by one (to name what is broken) only when
/// it fails, so a valid record costs one pass per field.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fast {
    pub(crate) required: bool,
    pub(crate) not_unspecified: bool,
    pub(crate) defined: Option<Arc<EnumInfo>>,
    pub(crate) min_bytes: Option<u32>,
    pub(crate) max_bytes: Option<u32>,
    pub(crate) printable: bool,
    pub(crate) formats: Vec<Format>,
    pub(crate) gte: Option<i64>,
    pub(crate) min_items: Option<u32>,
    pub(crate) max_items: Option<u32>,
    pub(crate) unique: bool,
    pub(crate) valid_timestamp: bool,
    pub(crate) well_formed: Option<(u32, usize)>,
}

impl Fast {
    fn of(checks: &[Rule<Check>]) -> Self {
        let mut f = Self::default();
        let tighter_min = |a: Option<u32>, b: u32| Some(a.map_or(b, |a| a.max(b)));
        let tighter_max = |a: Option<u32>, b: u32| Some(a.map_or(b, |a| a.min(b)));
        for rule in checks {
            match &rule.check {
                Check::Required => f.required = true,
                Check::NotUnspecified => f.not_unspecified = true,
                Check::DefinedOnly(info) => f.defined = Some(Arc::clone(info)),
                Check::MinBytes(n) => f.min_bytes = tighter_min(f.min_bytes, *n),
                Check::MaxBytes(n) => f.max_bytes = tighter_max(f.max_bytes, *n),
                Check::Format(format) => f.formats.push(*format),
                Check::Printable => f.printable = true,
                Check::Gte(n) => f.gte = Some(f.gte.map_or(*n, |g| g.max(*n))),
                Check::MinItems(n) => f.min_items = tighter_min(f.min_items, *n),
                Check::MaxItems(n) => f.max_items = tighter_max(f.max_items, *n),
                Check::Unique => f.unique = true,
                Check::ValidTimestamp => f.valid_timestamp = true,
                Check::WellFormed {
                    format_field,
                    max_depth,
                } => f.well_formed = Some((*format_field, *max_depth)),
            }
        }
        f
    }
}

/// The rules for one combination of profiles.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) messages: Vec<MessagePlan>,
    /// Per kind (indexed like [`Kind::ALL`]): what a finding means.
    pub(crate) sensitive: [Option<Arc<Meta>>; Kind::COUNT],
}

impl Plan {
    pub(crate) fn scans(&self) -> bool {
        self.sensitive.iter().any(Option::is_some)
    }
}

/// The bit of `baseline`, always applied.
const BASELINE: ProfileMask = 1 << (Profile::Baseline as u8 - 1);

static PLANS: [OnceLock<Plan>; MASKS] = [const { OnceLock::new() }; MASKS];

/// The plan for a set of profiles (bits; baseline is always included).
pub(crate) fn plan(profiles: ProfileMask) -> &'static Plan {
    let mask = (profiles | BASELINE) & EVERY_PROFILE;
    match PLANS.get(usize::from(mask)) {
        Some(slot) => slot.get_or_init(|| derive(crate::rules::compiled(), mask)),
        // The mask has a bit per profile, so this cannot happen; stay total.
        None => plan(BASELINE),
    }
}

/// Merges `meta` into `into`: the stricter level wins, clauses are joined.
fn merge(into: &mut Arc<Meta>, meta: &Meta) {
    if **into == *meta {
        return;
    }
    let m = Arc::make_mut(into);
    if meta.level > m.level {
        m.level = meta.level;
        if !meta.why.is_empty() {
            m.why.clone_from(&meta.why);
        }
    }
    if m.why.is_empty() {
        m.why.clone_from(&meta.why);
    }
    for clause in &meta.clauses {
        if !m.clauses.contains(clause) {
            m.clauses.push(clause.clone());
        }
    }
}

fn derive(rules: &Rules, mask: ProfileMask) -> Plan {
    let applies = |profiles: u8| profiles & mask != 0;
    let mut messages: Vec<MessagePlan> = rules
        .messages
        .iter()
        .map(|m| {
            let fields = m
                .fields
                .iter()
                .map(|f| {
                    let mut checks: Vec<Rule<Check>> = Vec::new();
                    for rule in f.checks.iter().filter(|r| applies(r.profiles)) {
                        match checks.iter_mut().find(|c| c.check == rule.check) {
                            Some(existing) => merge(&mut existing.meta, &rule.meta),
                            None => checks.push(rule.clone()),
                        }
                    }
                    FieldPlan {
                        number: f.number,
                        json_name: f.json_name.clone(),
                        list: f.list,
                        kind: f.kind,
                        fast: Fast::of(&checks),
                        checks,
                        child: f.child,
                    }
                })
                .collect();
            let mut cross: Vec<Rule<Cross>> = Vec::new();
            for rule in m.cross.iter().filter(|r| applies(r.profiles)) {
                match cross
                    .iter_mut()
                    .find(|c| c.meta.rule_id == rule.meta.rule_id && c.check == rule.check)
                {
                    Some(existing) => merge(&mut existing.meta, &rule.meta),
                    None => cross.push(rule.clone()),
                }
            }
            MessagePlan {
                fields,
                cross,
                active: false,
            }
        })
        .collect();
    // A message is active when it or a message below it has checks.
    let own: Vec<bool> = messages
        .iter()
        .map(|m| m.fields.iter().any(|f| !f.checks.is_empty()) || !m.cross.is_empty())
        .collect();
    for i in 0..messages.len() {
        let mut seen = vec![false; messages.len()];
        let mut stack = vec![i];
        let mut active = false;
        while let Some(j) = stack.pop() {
            if std::mem::replace(seen.get_mut(j).unwrap_or(&mut true), true) {
                continue;
            }
            active |= own.get(j).copied().unwrap_or(false);
            if let Some(m) = messages.get(j) {
                stack.extend(m.fields.iter().filter_map(|f| f.child));
            }
        }
        if let Some(m) = messages.get_mut(i) {
            m.active = active;
        }
    }
    // Keep only the fields the engine must visit.
    let active: Vec<bool> = messages.iter().map(|m| m.active).collect();
    for m in &mut messages {
        m.fields.retain(|f| {
            !f.checks.is_empty()
                || f.child
                    .is_some_and(|c| active.get(c).copied().unwrap_or(false))
        });
    }
    let mut sensitive: [Option<Arc<Meta>>; Kind::COUNT] = std::array::from_fn(|_| None);
    for (kinds, rule) in rules.sensitive.iter().filter(|(_, r)| applies(r.profiles)) {
        for kind in kinds.iter() {
            let meta = Meta {
                rule_id: format!("sensitive.{}", kind.as_str()),
                ..(*rule.meta).clone()
            };
            if let Some(slot) = sensitive.get_mut(kind.index()) {
                match slot {
                    Some(existing) => merge(existing, &meta),
                    None => *slot = Some(Arc::new(meta)),
                }
            }
        }
    }
    Plan {
        messages,
        sensitive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_plans() {
        for mask in 0..u8::try_from(MASKS).unwrap() {
            let _ = plan(mask);
        }
        assert!(!plan(BASELINE).scans());
        assert!(plan(Profile::Pci.bit()).scans());
    }
}
