//! Compressed inputs and outputs of `complog`: gzip and zstd, told by the
//! file name or by the magic bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write as _;

use common::{complog, root, scratch, succeed, validate_json, verdicts};

use lokryn_compliance_log::compress::{Compression, Compressor};

fn compressed(data: &[u8], compression: Compression) -> Vec<u8> {
    let mut w = Compressor::new(Vec::new(), compression);
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

#[test]
fn compressed_inputs_are_read_by_name_and_by_magic_bytes() {
    let dir = scratch("compressed");
    let lines = std::fs::read(root().join("examples/good/agent-session.jsonl")).unwrap();
    let binary = std::fs::read(root().join("examples/good/mcp-session.binpb")).unwrap();
    let plain = |path: &str| {
        let (entries, _) = validate_json(&root().join(path));
        entries.len()
    };
    let (n_lines, n_binary) = (
        plain("examples/good/agent-session.jsonl"),
        plain("examples/good/mcp-session.binpb"),
    );
    for (compression, ext) in [(Compression::Gzip, "gz"), (Compression::Zstd, "zst")] {
        std::fs::write(
            dir.join(format!("day.jsonl.{ext}")),
            compressed(&lines, compression),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("day.binpb.{ext}")),
            compressed(&binary, compression),
        )
        .unwrap();
        // By name.
        for (name, n) in [("jsonl", n_lines), ("binpb", n_binary)] {
            let (entries, summary) = validate_json(&dir.join(format!("day.{name}.{ext}")));
            assert_eq!(entries.len(), n, "{ext} {name}");
            assert_eq!(summary["passed"], n, "{ext} {name}: {entries:?}");
        }
        // Standard input, by magic bytes.
        let out = succeed(&["validate", "-"], &compressed(&lines, compression));
        assert!(String::from_utf8_lossy(&out.stdout).contains("PASS  <stdin>:4\n"));
    }
    // A directory contributes compressed files too.
    let out = succeed(
        &["validate", "--format", "json", dir.to_str().unwrap()],
        b"",
    );
    let (_, summary) = verdicts(&out);
    assert_eq!(summary["inputs"], 4);
    assert_eq!(summary["entries"], 2 * (n_lines + n_binary));
}

#[test]
fn convert_compresses_when_the_output_name_asks() {
    let dir = scratch("convert");
    let input = "examples/good/agent-session.jsonl";
    let original = std::fs::read(root().join(input)).unwrap();
    for (compression, ext) in [(Compression::Gzip, "gz"), (Compression::Zstd, "zst")] {
        let out_path = dir.join(format!("x.jsonl.{ext}"));
        succeed(
            &[
                "convert",
                "--to",
                "jsonl",
                input,
                "-o",
                out_path.to_str().unwrap(),
            ],
            b"",
        );
        let written = std::fs::read(&out_path).unwrap();
        assert_eq!(Compression::sniff(&written), compression);
        // Back to plain JSON Lines, through the reader.
        let back = succeed(
            &["convert", "--to", "jsonl", out_path.to_str().unwrap()],
            b"",
        );
        let canonical = complog(&["convert", "--to", "jsonl", input], b"");
        assert_eq!(back.stdout, canonical.stdout);
        assert!(!original.is_empty());
    }
}
