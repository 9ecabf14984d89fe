//! Repository-wide checks that run as ordinary tests (`cargo test -p xtask`).

#[cfg(test)]
mod tests {
    use heck::ToShoutySnakeCase;

    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use crate::codegen::{GeneratedFile, HEADER, carries_header, generate_all, schema::Schema};
    use crate::util::root;

    fn schema() -> Schema {
        Schema::compile(&root().join("proto")).unwrap()
    }

    /// buf.yaml exempts logentry.proto from ENUM_VALUE_PREFIX for EventType's
    /// published names only; every other enum must keep the prefix.
    #[test]
    fn enum_value_prefixes() {
        for file in schema().own_files() {
            for e in &file.enum_type {
                let prefix = if e.name() == "EventType" {
                    "EVENT_".to_owned()
                } else {
                    format!("{}_", e.name().to_shouty_snake_case())
                };
                for value in &e.value {
                    assert!(
                        value.name().starts_with(&prefix),
                        "{}.{} must start with {prefix}",
                        e.name(),
                        value.name()
                    );
                }
            }
        }
    }

    #[test]
    fn generated_text_files_carry_the_header() {
        let files: Vec<GeneratedFile> = generate_all(&root()).unwrap();
        assert!(!files.is_empty());
        for file in files {
            if let Ok(text) = std::str::from_utf8(&file.contents) {
                let first = text.lines().next().unwrap_or_default();
                assert!(
                    first.contains(HEADER),
                    "{} does not start with the header",
                    file.path.display()
                );
            }
        }
    }

    /// Field numbers 1-11 and the enum values published in 0.1.x never change.
    #[test]
    fn published_numbers_are_frozen() {
        let schema = schema();
        let file = schema
            .own_files()
            .find(|f| f.name().ends_with("logentry.proto"))
            .unwrap();
        let entry = file
            .message_type
            .iter()
            .find(|m| m.name() == "LogEntry")
            .unwrap();
        let fields: Vec<(&str, i32)> = entry.field.iter().map(|f| (f.name(), f.number())).collect();
        let published = [
            ("event_type", 1),
            ("outcome", 2),
            ("severity", 3),
            ("actor_id", 4),
            ("component", 5),
            ("environment", 6),
            ("resource", 7),
            ("message", 8),
            ("payload", 9),
            ("policy_tags", 10),
            ("sensitivity", 11),
        ];
        for pair in published {
            assert!(fields.contains(&pair), "{pair:?} changed");
        }
        let value = |enum_name: &str, value: &str| {
            file.enum_type
                .iter()
                .find(|e| e.name() == enum_name)
                .and_then(|e| e.value.iter().find(|v| v.name() == value))
                .map(|v| v.number())
        };
        assert_eq!(value("EventType", "EVENT_TYPE_UNSPECIFIED"), Some(0));
        assert_eq!(value("EventType", "EVENT_GUARDRAIL_CHECK"), Some(19));
        assert_eq!(value("Outcome", "OUTCOME_PARTIAL"), Some(5));
        assert_eq!(value("Severity", "SEVERITY_EMERGENCY"), Some(8));
        assert_eq!(
            value("Sensitivity", "SENSITIVITY_HIGHLY_RESTRICTED"),
            Some(5)
        );
    }

    /// Whether a `.gitattributes` pattern matches a path (`*` within a
    /// folder name, `**` across folders, `?` one character).
    fn glob(pattern: &[u8], path: &[u8]) -> bool {
        match (pattern, path) {
            ([], []) => true,
            ([b'*', b'*', rest @ ..], _) => {
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=path.len()).any(|i| glob(rest, &path[i..]))
            }
            ([b'*', rest @ ..], _) => (0..=path.len())
                .take_while(|&i| i == 0 || path[i - 1] != b'/')
                .any(|i| glob(rest, &path[i..])),
            ([b'?', rest @ ..], [c, more @ ..]) if *c != b'/' => glob(rest, more),
            ([p, rest @ ..], [c, more @ ..]) if p == c => glob(rest, more),
            _ => false,
        }
    }

    #[test]
    fn glob_matches_like_git() {
        assert!(glob(b"a/generated/**", b"a/generated/x.rs"));
        assert!(glob(b"a/generated/*.binpb", b"a/generated/d.binpb"));
        assert!(!glob(b"a/*.rs", b"a/b/c.rs"));
        assert!(glob(b"docs/rules.md", b"docs/rules.md"));
        assert!(!glob(b"docs/rules.md", b"docs/rules.mdx"));
    }

    /// The files in git, with forward slashes.
    fn tracked() -> Vec<String> {
        let out = std::process::Command::new("git")
            .current_dir(root())
            .args(["ls-files", "-z"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Codegen owns exactly the files that say they are generated, and
    /// `.gitattributes` marks exactly those (so reviews and GitHub's
    /// statistics treat them as generated): a generated file missing from
    /// it, or a line marking files codegen does not write, fails.
    #[test]
    fn gitattributes_marks_exactly_the_generated_files() {
        let generated: BTreeSet<String> = generate_all(&root())
            .unwrap()
            .into_iter()
            .map(|f| f.path.to_string_lossy().replace('\\', "/"))
            .collect();
        let tracked = tracked();
        let with_header: BTreeSet<String> = tracked
            .iter()
            .filter(|p| !p.starts_with("xtask/"))
            .filter(|p| carries_header(&root().join(PathBuf::from(p.as_str()))))
            .cloned()
            .collect();
        let unowned: Vec<&String> = with_header.difference(&generated).collect();
        assert!(
            unowned.is_empty(),
            "files carry the generated header but codegen does not write them: {unowned:?}"
        );

        let text = std::fs::read_to_string(root().join(".gitattributes")).unwrap();
        let patterns: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().any(|a| a == "linguist-generated=true"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let marked = |path: &str| patterns.iter().any(|p| glob(p.as_bytes(), path.as_bytes()));
        let unmarked: Vec<&String> = generated.iter().filter(|p| !marked(p)).collect();
        assert!(
            unmarked.is_empty(),
            ".gitattributes does not mark these generated files linguist-generated: {unmarked:?}"
        );
        for pattern in &patterns {
            let hits: Vec<&String> = tracked
                .iter()
                .filter(|p| glob(pattern.as_bytes(), p.as_bytes()))
                .collect();
            assert!(
                !hits.is_empty(),
                ".gitattributes: {pattern} matches no file"
            );
            for hit in hits {
                assert!(
                    generated.contains(hit),
                    ".gitattributes: {pattern} marks {hit}, which codegen does not write"
                );
            }
        }
    }

    /// README's layout table names each path once and every package
    /// folder; the Python section sits with the other languages' sections,
    /// before the layout table.
    #[test]
    fn readme_layout_table_lists_every_package_once() {
        let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
        let table = readme
            .split("## Repository layout")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap();
        let paths: Vec<&str> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| `")?.split('`').next())
            .collect();
        let unique: BTreeSet<&str> = paths.iter().copied().collect();
        assert_eq!(
            unique.len(),
            paths.len(),
            "a path is listed twice: {paths:?}"
        );
        for parent in ["crates", "bindings"] {
            for entry in std::fs::read_dir(root().join(parent)).unwrap() {
                let name = format!("{parent}/{}", entry.unwrap().file_name().to_string_lossy());
                assert!(
                    unique.contains(name.as_str()),
                    "README's layout table omits {name}"
                );
            }
        }
        let at = |heading: &str| readme.find(&format!("\n## {heading}\n")).unwrap();
        assert!(at("Python") < at("Repository layout"));
        assert!(at("JavaScript (browsers)") < at("Python"));
    }

    /// The workspace denies `unsafe_code`; the one module allowed it is the
    /// raw Node-API function of the Node logger's hot path
    /// (CONTRIBUTING.md, "unsafe code"). There, every `unsafe` block and
    /// function says why it is sound in a `// SAFETY:` comment, or in a doc
    /// comment for an `unsafe extern "C" fn` whose whole body is a callback.
    #[test]
    fn unsafe_code_stays_in_its_one_module() {
        const ALLOWED: &str = "bindings/node/src/raw.rs";
        let mut files = Vec::new();
        for dir in ["crates", "bindings", "xtask"] {
            files.extend(crate::util::files_under(&root().join(dir), ".rs").unwrap());
        }
        // Spelled in pieces, so that this test's own text does not match.
        let [block, function, allow] = [
            ["unsafe", " {"],
            ["unsafe", " extern"],
            ["allow(", "unsafe_code)"],
        ]
        .map(|p| p.concat());
        let mut seen_allowed = false;
        for path in files {
            let relative = path
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if relative.contains("/node_modules/") || relative.contains("/target/") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                let opens = code.contains(&block) || code.contains(&function);
                let allows = code.contains(&allow);
                if allows {
                    assert_eq!(
                        (relative.as_str(), lines.get(i + 1).map(|l| l.trim())),
                        ("bindings/node/src/lib.rs", Some("mod raw;")),
                        "{relative}:{}: `unsafe_code` is allowed on bindings/node/src/raw.rs only",
                        i + 1
                    );
                }
                if !opens {
                    continue;
                }
                assert_eq!(
                    relative,
                    ALLOWED,
                    "{relative}:{}: `unsafe` outside {ALLOWED}",
                    i + 1
                );
                seen_allowed = true;
                // The comment before the statement the block belongs to.
                let justified = lines[..i]
                    .iter()
                    .rev()
                    .take(12)
                    .take_while(|l| !l.trim().is_empty() || l.trim_start().starts_with("//"))
                    .any(|l| {
                        l.contains("SAFETY:")
                            || (code.contains(&function) && l.trim_start().starts_with("///"))
                    });
                assert!(
                    justified,
                    "{relative}:{}: `unsafe` without a `// SAFETY:` comment",
                    i + 1
                );
            }
        }
        assert!(
            seen_allowed,
            "{ALLOWED} holds no `unsafe` code: drop its exception"
        );
    }
}
