//! Repository-wide checks that run as ordinary tests (`cargo test -p xtask`).

#[cfg(test)]
mod tests {
    use heck::ToShoutySnakeCase;

    use crate::codegen::{GeneratedFile, HEADER, generate_all, schema::Schema};
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
}
