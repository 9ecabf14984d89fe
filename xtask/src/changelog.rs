//! CHANGELOG.md ([Keep a Changelog](https://keepachangelog.com/en/1.1.0/)):
//! the releases it lists, and moving its Unreleased section under a new
//! version at a release.

use anyhow::{Context, Result, bail, ensure};

use crate::version::Version;

pub(crate) const FILE: &str = "CHANGELOG.md";
const UNRELEASED: &str = "## [Unreleased]";
const REPOSITORY: &str = "https://github.com/lokryn-llc/compliance-log-schema";

/// The versions of the released sections (`## [0.2.0] …`), newest first as
/// written.
pub(crate) fn releases(text: &str) -> Result<Vec<Version>> {
    text.lines()
        .filter_map(|l| l.strip_prefix("## ["))
        .filter_map(|l| l.split_once(']').map(|(v, _)| v))
        .filter(|v| *v != "Unreleased")
        .map(|v| Version::parse(v).with_context(|| format!("{FILE}: `## [{v}]` is not semver")))
        .collect()
}

/// The text with the Unreleased section's entries moved under
/// `## [version] - date`, an empty Unreleased section above it, and the
/// link references at the bottom updated. Fails when there is nothing
/// under Unreleased, or the version is already listed.
pub(crate) fn release(text: &str, version: &Version, date: &str) -> Result<String> {
    ensure!(
        !releases(text)?.contains(version),
        "{FILE} already has a section for {version}"
    );
    let heading = text
        .find(&format!("\n{UNRELEASED}\n"))
        .map(|i| i + 1)
        .with_context(|| format!("{FILE} has no `{UNRELEASED}` section"))?;
    let body_start = heading + UNRELEASED.len() + 1;
    let rest = text.get(body_start..).unwrap_or_default();
    let body_len = ["\n## [", "\n["]
        .iter()
        .filter_map(|end| rest.find(end))
        .min()
        .map_or(rest.len(), |i| i + 1);
    let body = rest.get(..body_len).unwrap_or_default();
    if !body
        .lines()
        .any(|l| l.starts_with("- ") || l.starts_with("* "))
    {
        bail!("{FILE}: the Unreleased section lists no change; describe the release first");
    }

    let mut out = String::with_capacity(text.len() + 200);
    out.push_str(text.get(..body_start).unwrap_or_default());
    out.push_str(&format!("\n## [{version}] - {date}\n"));
    out.push_str(body);
    out.push_str(rest.get(body_len..).unwrap_or_default());

    // Links: Unreleased compares the new tag with HEAD; the new version
    // points at its tag's release page.
    let unreleased_link = format!("[Unreleased]: {REPOSITORY}/compare/v{version}...HEAD");
    let version_link = format!("[{version}]: {REPOSITORY}/releases/tag/v{version}");
    let mut lines: Vec<String> = out.lines().map(str::to_owned).collect();
    match lines.iter().position(|l| l.starts_with("[Unreleased]: ")) {
        Some(i) => {
            if let Some(line) = lines.get_mut(i) {
                *line = unreleased_link;
            }
            lines.insert(i + 1, version_link);
        }
        None => {
            lines.push(String::new());
            lines.push(unreleased_link);
            lines.push(version_link);
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(i64::try_from(secs / 86_400).unwrap_or_default())
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n### Added\n\n- A thing.\n\n## [0.2.0] - 2025-01-02\n\n- Old.\n\n[Unreleased]: https://github.com/lokryn-llc/compliance-log-schema/compare/v0.2.0...HEAD\n[0.2.0]: https://pypi.org/project/x/0.2.0/\n";

    #[test]
    fn moves_unreleased_under_the_version() {
        let v = Version::parse("0.3.0").unwrap();
        let out = release(SAMPLE, &v, "2026-11-28").unwrap();
        assert_eq!(
            out,
            "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [0.3.0] - 2026-11-28\n\n### Added\n\n- A thing.\n\n## [0.2.0] - 2025-01-02\n\n- Old.\n\n[Unreleased]: https://github.com/lokryn-llc/compliance-log-schema/compare/v0.3.0...HEAD\n[0.3.0]: https://github.com/lokryn-llc/compliance-log-schema/releases/tag/v0.3.0\n[0.2.0]: https://pypi.org/project/x/0.2.0/\n"
        );
        assert_eq!(
            releases(&out).unwrap(),
            [
                Version::parse("0.3.0").unwrap(),
                Version::parse("0.2.0").unwrap()
            ]
        );
        // Nothing left to release.
        let next = Version::parse("0.3.1").unwrap();
        assert!(release(&out, &next, "2026-11-29").is_err());
        // A version already listed.
        assert!(release(SAMPLE, &Version::parse("0.2.0").unwrap(), "x").is_err());
    }

    #[test]
    fn the_repository_changelog_parses() {
        let text = std::fs::read_to_string(crate::util::root().join(FILE)).unwrap();
        assert!(text.contains(&format!("\n{UNRELEASED}\n")));
        let releases = releases(&text).unwrap();
        assert!(releases.windows(2).all(|w| w[0] > w[1]), "{releases:?}");
        let version = crate::version::workspace_version(&crate::util::root()).unwrap();
        assert!(
            releases.first().is_none_or(|newest| *newest <= version),
            "{FILE} lists a release newer than the workspace version {version}"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_785), "2026-11-28");
        assert_eq!(today().len(), 10);
    }
}
