//! The words the rules are written in: the kinds of sensitive data, the
//! levels of a violation and the profiles. Each mirrors an enum of
//! rules.proto without restating it: the numbers are the generated enum's
//! discriminants, the names come from the generated value names, and the
//! conversions from the generated enums are exhaustive matches, so a value
//! added to the schema does not compile until it is given its meaning here.

use std::sync::LazyLock;

use crate::v1::{Profile as ProtoProfile, RuleLevel, SensitiveDataKind};

/// The short names of enum values: the generated value names without
/// `prefix`, in lower case (`SENSITIVE_DATA_KIND_CARD_NUMBER` ->
/// `card_number`).
fn short_names<const N: usize>(full: [&'static str; N], prefix: &str) -> [String; N] {
    full.map(|name| name.trim_start_matches(prefix).to_ascii_lowercase())
}

/// A kind of sensitive data (the `SensitiveDataKind` enum of rules.proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(i32)]
pub enum Kind {
    /// A payment card number (PAN).
    CardNumber = SensitiveDataKind::CardNumber as i32,
    /// A US social security number.
    UsSsn = SensitiveDataKind::UsSsn as i32,
    /// An email address.
    Email = SensitiveDataKind::Email as i32,
    /// A phone number.
    PhoneNumber = SensitiveDataKind::PhoneNumber as i32,
    /// An AWS access key id.
    AwsAccessKey = SensitiveDataKind::AwsAccessKey as i32,
    /// A PEM private key block.
    PrivateKey = SensitiveDataKind::PrivateKey as i32,
    /// A JSON Web Token.
    Jwt = SensitiveDataKind::Jwt as i32,
    /// The token of an HTTP `Bearer` authorization.
    BearerToken = SensitiveDataKind::BearerToken as i32,
    /// An API key in a vendor's published format.
    ApiKey = SensitiveDataKind::ApiKey as i32,
    /// A password or secret given by name, in a URL or in Basic credentials.
    Credential = SensitiveDataKind::Credential as i32,
}

impl TryFrom<SensitiveDataKind> for Kind {
    type Error = SensitiveDataKind;

    /// The kind of a generated value; `Unspecified` is not a kind.
    fn try_from(kind: SensitiveDataKind) -> Result<Self, Self::Error> {
        Ok(match kind {
            SensitiveDataKind::Unspecified => return Err(kind),
            SensitiveDataKind::CardNumber => Self::CardNumber,
            SensitiveDataKind::UsSsn => Self::UsSsn,
            SensitiveDataKind::Email => Self::Email,
            SensitiveDataKind::PhoneNumber => Self::PhoneNumber,
            SensitiveDataKind::AwsAccessKey => Self::AwsAccessKey,
            SensitiveDataKind::PrivateKey => Self::PrivateKey,
            SensitiveDataKind::Jwt => Self::Jwt,
            SensitiveDataKind::BearerToken => Self::BearerToken,
            SensitiveDataKind::ApiKey => Self::ApiKey,
            SensitiveDataKind::Credential => Self::Credential,
        })
    }
}

impl From<Kind> for SensitiveDataKind {
    fn from(kind: Kind) -> Self {
        Self::try_from(kind as i32).unwrap_or(Self::Unspecified)
    }
}

static KIND_NAMES: LazyLock<[String; Kind::COUNT]> = LazyLock::new(|| {
    short_names(
        Kind::ALL.map(|k| SensitiveDataKind::from(k).as_str_name()),
        "SENSITIVE_DATA_KIND_",
    )
});

impl Kind {
    /// Every kind, in the order of the proto enum.
    pub const ALL: [Kind; 10] = [
        Kind::CardNumber,
        Kind::UsSsn,
        Kind::Email,
        Kind::PhoneNumber,
        Kind::AwsAccessKey,
        Kind::PrivateKey,
        Kind::Jwt,
        Kind::BearerToken,
        Kind::ApiKey,
        Kind::Credential,
    ];

    /// How many kinds there are.
    pub const COUNT: usize = Self::ALL.len();

    /// The stable name: `card_number`, `us_ssn`, `email`, … (the proto enum
    /// value name without its prefix, in lower case).
    pub fn as_str(self) -> &'static str {
        KIND_NAMES.get(self.index()).map_or("", String::as_str)
    }

    /// The kind named by [`Kind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The number of the `SensitiveDataKind` value in rules.proto.
    pub fn proto_number(self) -> i32 {
        self as i32
    }

    /// The kind of a `SensitiveDataKind` number.
    pub fn from_proto_number(n: i32) -> Option<Self> {
        SensitiveDataKind::try_from(n)
            .ok()
            .and_then(|k| Self::try_from(k).ok())
    }

    /// A short description for messages: "a payment card number".
    pub fn description(self) -> &'static str {
        match self {
            Self::CardNumber => "a payment card number",
            Self::UsSsn => "a US social security number",
            Self::Email => "an email address",
            Self::PhoneNumber => "a phone number",
            Self::AwsAccessKey => "an AWS access key id",
            Self::PrivateKey => "a private key",
            Self::Jwt => "a JSON Web Token",
            Self::BearerToken => "a bearer token",
            Self::ApiKey => "an API key",
            Self::Credential => "a password or secret",
        }
    }

    /// The position of the kind in [`Kind::ALL`] (the proto numbers start
    /// at 1 and have no gaps; a test holds it).
    pub(crate) fn index(self) -> usize {
        (self as usize).saturating_sub(1)
    }
}

/// A set of [`Kind`]s, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct KindSet(u32);

const _: () = assert!(Kind::COUNT <= 32, "KindSet holds at most 32 kinds");

impl KindSet {
    /// No kind.
    pub const EMPTY: Self = Self(0);

    /// True when `kind` is in the set.
    pub fn contains(self, kind: Kind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    /// The set with `kind` added.
    #[must_use]
    pub fn with(self, kind: Kind) -> Self {
        Self(self.0 | 1 << kind.index())
    }

    /// The kinds of both sets.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// True when the set has no kind.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in the order of [`Kind::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

impl FromIterator<Kind> for KindSet {
    fn from_iter<I: IntoIterator<Item = Kind>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

/// How serious a violation is (rules.proto's `RuleLevel`, where an
/// unstated level is an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Level {
    /// Worth fixing; the record is still accepted.
    Warning,
    /// The record is not fit for an audit trail.
    Error,
}

impl From<RuleLevel> for Level {
    fn from(level: RuleLevel) -> Self {
        match level {
            RuleLevel::Warning => Self::Warning,
            RuleLevel::Unspecified | RuleLevel::Error => Self::Error,
        }
    }
}

impl From<Level> for RuleLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::Warning => Self::Warning,
            Level::Error => Self::Error,
        }
    }
}

static LEVEL_NAMES: LazyLock<[String; 2]> = LazyLock::new(|| {
    short_names(
        [Level::Warning, Level::Error].map(|l| RuleLevel::from(l).as_str_name()),
        "RULE_LEVEL_",
    )
});

impl Level {
    /// `"warning"` or `"error"`.
    pub fn as_str(self) -> &'static str {
        LEVEL_NAMES.get(self as usize).map_or("", String::as_str)
    }

    /// The level of a `RuleLevel` number (unknown numbers are errors, as an
    /// unstated level is).
    pub(crate) fn from_proto_number(n: i32) -> Self {
        RuleLevel::try_from(n).map_or(Self::Error, Self::from)
    }
}

/// A named set of rules (the `Profile` enum of rules.proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
#[repr(i32)]
pub enum Profile {
    /// What every record needs; always applied.
    Baseline = ProtoProfile::Baseline as i32,
    /// SOC 2 Trust Services Criteria.
    Soc2 = ProtoProfile::Soc2 as i32,
    /// HIPAA Security Rule audit controls.
    Hipaa = ProtoProfile::Hipaa as i32,
    /// PCI DSS v4.0.
    Pci = ProtoProfile::Pci as i32,
}

impl TryFrom<ProtoProfile> for Profile {
    type Error = ProtoProfile;

    /// The profile of a generated value; `Unspecified` is not a profile.
    fn try_from(profile: ProtoProfile) -> Result<Self, Self::Error> {
        Ok(match profile {
            ProtoProfile::Unspecified => return Err(profile),
            ProtoProfile::Baseline => Self::Baseline,
            ProtoProfile::Soc2 => Self::Soc2,
            ProtoProfile::Hipaa => Self::Hipaa,
            ProtoProfile::Pci => Self::Pci,
        })
    }
}

impl From<Profile> for ProtoProfile {
    fn from(profile: Profile) -> Self {
        Self::try_from(profile as i32).unwrap_or(Self::Unspecified)
    }
}

static PROFILE_NAMES: LazyLock<[String; Profile::COUNT]> = LazyLock::new(|| {
    short_names(
        Profile::ALL.map(|p| ProtoProfile::from(p).as_str_name()),
        "PROFILE_",
    )
});

static PROFILE_NAME_LIST: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| Profile::ALL.into_iter().map(Profile::as_str).collect());

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 4] = [Self::Baseline, Self::Soc2, Self::Hipaa, Self::Pci];

    /// How many profiles there are.
    pub const COUNT: usize = Self::ALL.len();

    /// `"baseline"`, `"soc2"`, `"hipaa"` or `"pci"`.
    pub fn as_str(self) -> &'static str {
        PROFILE_NAMES.get(self.index()).map_or("", String::as_str)
    }

    /// The names of every profile, in the order of [`Profile::ALL`].
    pub fn names() -> &'static [&'static str] {
        &PROFILE_NAME_LIST
    }

    /// The profile of a name, ignoring case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The profile of a `Profile` number.
    pub fn from_proto_number(n: i32) -> Option<Self> {
        ProtoProfile::try_from(n)
            .ok()
            .and_then(|p| Self::try_from(p).ok())
    }

    /// The position of the profile in [`Profile::ALL`].
    pub(crate) fn index(self) -> usize {
        (self as usize).saturating_sub(1)
    }

    /// The profile's bit in a [`ProfileMask`].
    pub(crate) fn bit(self) -> ProfileMask {
        1 << self.index()
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of profiles, one bit each (bit `i` for `Profile::ALL[i]`).
pub(crate) type ProfileMask = u8;

const _: () = assert!(Profile::COUNT <= 8, "ProfileMask holds at most 8 profiles");

/// Every profile's bit.
pub(crate) const EVERY_PROFILE: ProfileMask = ProfileMask::MAX >> (8 - Profile::COUNT);

/// How many different [`ProfileMask`]s there are.
pub(crate) const MASKS: usize = 1 << Profile::COUNT;

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists cover every value of the generated enums, in order, and
    /// each value's position is its number minus one.
    #[test]
    fn the_vocabulary_covers_the_generated_enums() {
        let values = |name: &str| -> Vec<(i32, String)> {
            crate::DESCRIPTOR_POOL
                .get_enum_by_name(&format!("lokryn.compliancelog.v1.{name}"))
                .unwrap()
                .values()
                .filter(|v| v.number() != 0)
                .map(|v| (v.number(), v.name().to_owned()))
                .collect()
        };
        let kinds: Vec<(i32, String)> = Kind::ALL
            .iter()
            .map(|k| {
                (
                    k.proto_number(),
                    format!("SENSITIVE_DATA_KIND_{}", k.as_str().to_uppercase()),
                )
            })
            .collect();
        assert_eq!(kinds, values("SensitiveDataKind"));
        let profiles: Vec<(i32, String)> = Profile::ALL
            .iter()
            .map(|p| (*p as i32, format!("PROFILE_{}", p.as_str().to_uppercase())))
            .collect();
        assert_eq!(profiles, values("Profile"));
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(Kind::from_proto_number(k.proto_number()), Some(*k));
            assert_eq!(Kind::from_name(k.as_str()), Some(*k));
        }
        for (i, p) in Profile::ALL.iter().enumerate() {
            assert_eq!(p.index(), i);
            assert_eq!(usize::from(p.bit()), 1 << i);
            assert_eq!(Profile::from_proto_number(*p as i32), Some(*p));
        }
        assert_eq!(Kind::from_proto_number(0), None);
        assert_eq!(Profile::from_proto_number(0), None);
        assert_eq!(Level::Warning.as_str(), "warning");
        assert_eq!(Level::Error.as_str(), "error");
        assert_eq!(Level::from_proto_number(0), Level::Error);
        assert_eq!(Level::from_proto_number(2), Level::Warning);
    }

    #[test]
    fn kind_sets_hold_their_kinds() {
        let set: KindSet = [Kind::Email, Kind::Credential].into_iter().collect();
        assert!(set.contains(Kind::Email) && !set.contains(Kind::Jwt));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Kind::Email, Kind::Credential]
        );
        assert!(KindSet::EMPTY.is_empty() && !set.is_empty());
        assert_eq!(KindSet::EMPTY.union(set), set);
    }
}
