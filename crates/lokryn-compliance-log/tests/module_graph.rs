//! A tidy test of the core's shape: the top-level modules of the crate
//! import each other without a cycle. Every `crate::…` path in the code of
//! a module (comments and doc links aside, files it `include!`s counted) is
//! an edge to the module it names; a name the crate root re-exports
//! (`crate::Error`) is an edge to the module it comes from.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The code of a file without its comments (a `//` inside a string ends
/// the line early, which only hides paths, never invents one).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut in_block = false;
    for line in text.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(i) => {
                        rest = &rest[i + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), Some(b)) if b < l => {
                        kept.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (None, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (Some(l), _) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first path segment of every `crate::…` path in `code`, including
/// each member of a `crate::{a, b::c}` group.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // One level of nesting is enough for the group's first segments.
            let mut depth = 0;
            let mut item = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        at_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && at_start && is_ident(c) {
                    item.push(c);
                } else if !item.is_empty() {
                    out.insert(std::mem::take(&mut item));
                    at_start = false;
                }
            }
            if !item.is_empty() {
                out.insert(item);
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The files `include!`d by `text`, relative to `dir`.
fn includes(text: &str, dir: &Path) -> Vec<PathBuf> {
    text.match_indices("include!(\"")
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest.find('"').map(|end| dir.join(&rest[..end]))
        })
        .collect()
}

/// The code of a module: its file or directory, and what they include.
fn module_code(path: &Path) -> String {
    let mut files = Vec::new();
    let mut stack = vec![path.to_owned()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for entry in std::fs::read_dir(&p).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            files.push(p);
        }
    }
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    while let Some(file) = files.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        files.extend(includes(&text, file.parent().unwrap()));
        out.push_str(&code(&text));
    }
    out
}

/// The graph of the crate's top-level modules.
fn graph() -> Graph {
    let root = src();
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    let lib_code = code(&lib);
    // Modules with a file or directory of their own.
    let mut modules: BTreeMap<String, PathBuf> = BTreeMap::new();
    for line in lib_code.lines() {
        let line = line.trim();
        let decl = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
            .or_else(|| line.strip_prefix("pub(crate) mod "));
        if let Some(name) = decl.and_then(|d| d.strip_suffix(';')) {
            let file = root.join(format!("{name}.rs"));
            let dir = root.join(name);
            modules.insert(name.to_owned(), if file.exists() { file } else { dir });
        }
    }
    // Names the root re-exports from a module: `pub use error::{Error, Result};`.
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    for statement in lib_code.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = path.split_once("::") else {
            continue;
        };
        for name in names
            .split(|c: char| !is_ident(c))
            .filter(|n| !n.is_empty())
        {
            reexported.insert(name.to_owned(), module.to_owned());
        }
    }
    let mut graph = Graph::new();
    for (name, path) in &modules {
        let edges = graph.entry(name.clone()).or_default();
        for first in crate_paths(&module_code(path)) {
            let target = if modules.contains_key(&first) {
                Some(first)
            } else {
                reexported.get(&first).cloned()
            };
            if let Some(target) = target.filter(|t| t != name && modules.contains_key(t)) {
                edges.insert(target);
            }
        }
    }
    graph
}

/// A cycle of the graph, as the list of its modules, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, State>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), State::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(State::New) {
                State::Open => {
                    let from = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                State::New => {
                    if let Some(cycle) = visit(next, graph, state, stack) {
                        return Some(cycle);
                    }
                }
                State::Done => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), State::Done);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(State::New) == State::New {
            if let Some(cycle) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn the_core_modules_import_each_other_without_a_cycle() {
    let graph = graph();
    // The graph is read for real: the modules are there, with their edges.
    for (module, target) in [
        ("validate", "rules"),
        ("sensitive", "rules"),
        ("redact", "sensitive"),
        ("validate", "error"),
    ] {
        assert!(
            graph.get(module).is_some_and(|e| e.contains(target)),
            "{module} -> {target} not seen in {graph:?}"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the core's modules import each other in a cycle: {}\n(graph: {graph:?})",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn rules_sit_below_detection_and_validation() {
    let graph = graph();
    let rules = graph.get("rules").unwrap();
    for above in ["validate", "sensitive", "redact", "codec", "json", "stream"] {
        assert!(!rules.contains(above), "rules imports {above}");
    }
}

#[test]
fn the_parser_and_the_cycle_finder_see_what_is_there() {
    let text = "use crate::a::X; // crate::zz\nuse crate::{b::Y, c};\nfn f() { crate::d(); }\n/* crate::yy */";
    assert_eq!(
        crate_paths(&code(text)).into_iter().collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
