//! The README shows the five-line version of docs/logging.md, which runs as
//! a doctest (the README's own Rust blocks run in the core crate, which
//! cannot see this one): the two must stay the same code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// The code of the fenced block after the `<!-- five-line-rust -->` marker,
/// without lines hidden from readers (`# …`).
fn five_lines(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let after = text
        .split_once("<!-- five-line-rust -->")
        .unwrap_or_else(|| panic!("{file}: no five-line-rust marker"))
        .1;
    let mut lines = after.lines().skip_while(|l| !l.starts_with("```")).skip(1);
    let code: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.starts_with("```"))
        .filter(|l| !l.starts_with("# "))
        .collect();
    code.join("\n")
}

#[test]
fn readme_shows_the_tested_five_lines() {
    let docs = five_lines("docs/logging.md");
    assert!(docs.contains("AuditLogger::builder()"), "{docs}");
    assert_eq!(five_lines("README.md"), docs);
}
