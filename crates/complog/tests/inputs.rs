//! How `complog` reads damaged and linked inputs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{complog, root, scratch, validate_json};

use lokryn_compliance_log::stream::DelimitedWriter;
use lokryn_compliance_log::{LogEntry, json};

/// A record that passes the baseline rules.
fn good_entry(actor: &str) -> LogEntry {
    let text = std::fs::read_to_string(root().join("examples/good/login.json")).unwrap();
    let mut entry = json::from_json(&text).unwrap();
    entry.actor_id = actor.into();
    entry
}

#[test]
fn a_damaged_but_well_framed_binary_file_is_judged_to_the_end() {
    // 60 frames whose bodies are not protobuf (bit rot inside each entry,
    // the length prefixes intact), then three good entries.
    let mut writer = DelimitedWriter::new(Vec::new());
    for i in 0..60u8 {
        writer.write_encoded(&[0xff, 0xff, 0xff, i, 0x07]).unwrap();
    }
    for actor in ["a", "b", "c"] {
        writer.write(&good_entry(actor)).unwrap();
    }
    let path = scratch("framed").join("rotten.binpb");
    std::fs::write(&path, writer.into_inner()).unwrap();

    let (entries, summary) = validate_json(&path);
    assert_eq!(entries.len(), 63, "{entries:?}");
    assert!(
        entries
            .iter()
            .take(60)
            .all(|e| e["error"]["code"] == "DECODE")
    );
    assert!(
        entries.iter().skip(60).all(|e| e["valid"] == true),
        "{entries:?}"
    );
    assert_eq!(summary["unreadable"], 60);
    assert_eq!(summary["passed"], 3);
    assert_eq!(summary["gaveUp"], 0);
}

#[test]
fn json_lines_that_are_json_but_not_entries_are_each_judged() {
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&format!("{{\"actorId\": {i}}}\n"));
    }
    text.push_str(&json::to_json(&good_entry("z")).unwrap());
    text.push('\n');
    let path = scratch("lines").join("wrong-types.jsonl");
    std::fs::write(&path, text).unwrap();
    let (entries, summary) = validate_json(&path);
    assert_eq!(entries.len(), 41);
    assert_eq!(summary["unreadable"], 40);
    assert_eq!(summary["passed"], 1);
    assert_eq!(summary["gaveUp"], 0);
}

#[test]
fn giving_up_on_broken_framing_says_how_many_bytes_were_left_unread() {
    // One good entry, then a length prefix claiming 1 GiB, then 5000 bytes.
    let mut writer = DelimitedWriter::new(Vec::new());
    writer.write(&good_entry("a")).unwrap();
    let mut bytes = writer.into_inner();
    let broken_at = bytes.len();
    bytes.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x04]);
    bytes.extend(std::iter::repeat_n(0x42, 5000));
    let path = scratch("broken").join("broken.binpb");
    std::fs::write(&path, &bytes).unwrap();

    let (entries, summary) = validate_json(&path);
    assert_eq!(entries[0]["valid"], true);
    assert_eq!(entries[1]["error"]["code"], "TOO_LARGE");
    assert_eq!(entries[1]["offset"], broken_at);
    let gave_up = &entries[2];
    assert_eq!(gave_up["error"]["code"], "GAVE_UP");
    let message = gave_up["error"]["message"].as_str().unwrap();
    assert!(message.contains("5000 bytes left unread"), "{message}");
    assert_eq!(summary["gaveUp"], 1);
    assert_eq!(summary["unreadBytes"], 5000);

    let out = complog(&["validate", path.to_str().unwrap()], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gave up reading 1 input with 5000 bytes left unread"),
        "{text}"
    );

    // JSON Lines: a run of lines that are not JSON at all.
    let mut text = json::to_json(&good_entry("a")).unwrap();
    text.push('\n');
    for _ in 0..25 {
        text.push_str("\u{1}\u{2} not json \u{3}\n");
    }
    let path = path.with_file_name("binary-noise.jsonl");
    std::fs::write(&path, &text).unwrap();
    let (entries, summary) = validate_json(&path);
    assert_eq!(entries.len(), 1 + 20 + 1, "{entries:?}");
    assert_eq!(entries[21]["error"]["code"], "GAVE_UP");
    assert_eq!(
        summary["unreadBytes"],
        5 * "\u{1}\u{2} not json \u{3}\n".len()
    );
}

#[cfg(unix)]
#[test]
fn a_directory_link_cycle_reads_each_file_once() {
    let dir = scratch("cycle");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::copy(
        root().join("examples/good/login.json"),
        dir.join("login.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..", dir.join("a/back")).unwrap();
    // A second name for the same file.
    std::os::unix::fs::symlink("../login.json", dir.join("a/same.json")).unwrap();
    let (entries, summary) = validate_json(&dir);
    assert_eq!(summary["entries"], 1, "{entries:?}");
    assert_eq!(summary["passed"], 1, "{entries:?}");
    assert_eq!(summary["inputs"], 1);
}
