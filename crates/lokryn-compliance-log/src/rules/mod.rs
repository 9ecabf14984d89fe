//! The rules a record is held to, as the schema declares them.
//!
//! At the bottom, the vocabulary every rule is written in: the [`Kind`]s
//! of sensitive data, the [`Level`] of a violation and the [`Profile`]s a
//! user selects, each derived from its enum in rules.proto. Above it, the
//! rule model compiled once from the custom options of the embedded
//! descriptor: the checks of every field, the cross-field rules, and which
//! fields are searched for sensitive data. [`crate::validate`] plans and
//! runs the checks; [`crate::sensitive`] and [`crate::redact`] walk the
//! searched fields. This module imports no other module of the crate but
//! the generated types.

mod compile;
mod vocab;

pub(crate) use compile::{
    Check, Cross, EnumInfo, FieldKind, Format, Meta, Rule, Rules, ScanTarget, ScanWhat, compiled,
};
pub(crate) use vocab::{EVERY_PROFILE, MASKS, ProfileMask};
pub use vocab::{Kind, KindSet, Level, Profile};
