//! A full disk under the writer: a small tmpfs is mounted for the ledger
//! (this needs root with CAP_SYS_ADMIN; without it the test says why it
//! did not run and passes). Appends go on until one fails with `DISK_FULL`;
//! then nothing acknowledged is lost, the ledger verifies, and once space
//! is freed a writer opens it again and appends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use lokryn_compliance_log::{LogEntry, codec};
use lokryn_ledger::store::{self, AppendOptions, Reader, Writer};

/// Unmounts the tmpfs when the test ends, however it ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Mounts a tmpfs of `bytes` at `at`, or says why it cannot.
fn mount_tmpfs(at: &Path, bytes: u64) -> Result<Mount, String> {
    std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
        .arg(at)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(Mount(at.to_path_buf()))
    } else {
        Err(format!(
            "mount -t tmpfs failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn check_entries(dir: &Path, at_least: u64) -> u64 {
    let report = store::verify(dir, None).unwrap();
    assert!(
        report.size >= at_least,
        "{} entries, {at_least} were acknowledged",
        report.size
    );
    let mut r = Reader::open(dir).unwrap();
    while let Some(e) = r.next_raw().unwrap() {
        assert_eq!(
            e.bytes,
            codec::encode(&common::entry(e.index)),
            "entry {}",
            e.index
        );
    }
    report.size
}

#[test]
fn a_full_disk_fails_appends_loses_nothing_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    let _mount = match mount_tmpfs(&mnt, 2 << 20) {
        Ok(m) => m,
        Err(why) => {
            eprintln!("NOT RUN: a_full_disk_fails_appends_loses_nothing_and_recovers: {why}");
            return;
        }
    };
    // Room to free later, taken before the ledger fills the rest.
    let ballast = mnt.join("ballast");
    std::fs::write(&ballast, vec![7u8; 512 << 10]).unwrap();
    let (private, _) = common::keys(tmp.path(), "example.com/audit", 1);
    let dir = mnt.join("ledger");
    store::init(&dir, &private, &["soc2".to_string()]).unwrap();

    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    // Publish at every other commit, so that both the journal and the
    // tiles and checkpoints meet the full disk.
    let mut acked = 0u64;
    let mut commits = 0u64;
    let err = loop {
        let batch: Vec<LogEntry> = (acked..acked + 37).map(common::entry).collect();
        match w.append(&batch) {
            Ok(got) => {
                assert_eq!(got.start, acked);
                acked = got.end;
                commits += 1;
                if commits.is_multiple_of(2)
                    && let Err(e) = w.publish()
                {
                    break e;
                }
            }
            Err(e) => break e,
        }
        assert!(acked < 1_000_000, "the disk never filled");
    };
    assert_eq!(err.code, "DISK_FULL", "{err}");
    assert!(acked > 0, "nothing fit before the disk was full");
    // The writer does not go on pretending: it fails the same way, or
    // (when the failure was before anything was synced) stays usable.
    match w.append(&[common::entry(acked)]) {
        Ok(got) => acked = got.end,
        Err(e) => assert_eq!(e.code, "DISK_FULL", "{e}"),
    }
    drop(w);

    // Still full: what is published verifies and holds only our entries.
    check_entries(&dir, 0);

    // Space freed: a writer opens (publishing what was acknowledged but
    // not yet published), nothing acknowledged is missing, and appends work.
    std::fs::remove_file(&ballast).unwrap();
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    assert!(
        w.size() >= acked,
        "size {} < acknowledged {acked}",
        w.size()
    );
    let start = w.size();
    let got = w
        .append(&(start..start + 10).map(common::entry).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(got, start..start + 10);
    w.publish().unwrap();
    drop(w);
    let size = check_entries(&dir, start + 10);
    eprintln!("disk full after {acked} acknowledged entries; {size} after recovery");
}
