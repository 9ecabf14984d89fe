//! Every kind of change to a ledger of a few thousand entries is detected
//! and located: byte flips, deleted, inserted and swapped entries,
//! truncation, a checkpoint signed by another key, forked checkpoints.

#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use lokryn_ledger::store::{self, Reader};
use lokryn_ledger::tiles::TileBuilder;
use lokryn_ledger::{Checkpoint, Error, Signer, checkpoint, merkle};

const N: u64 = 3000;

/// The pristine ledger, built once (3000 entries in commits of 250).
fn template() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::ledger(tmp.path(), N, 250);
        (tmp, dir)
    })
    .1
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A fresh copy of the template (its private key path still works).
fn copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    copy_dir(template(), &dir);
    (tmp, dir)
}

/// Every entry: (offset, stored bytes).
fn frames(dir: &Path) -> Vec<(u64, Vec<u8>)> {
    let mut r = Reader::open(dir).unwrap();
    let mut out = Vec::new();
    while let Some(e) = r.next_raw().unwrap() {
        out.push((e.offset, e.bytes));
    }
    out
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes `entries` as the entry file and, when `fix_index`, an index that agrees with it.
fn rewrite(dir: &Path, entries: &[Vec<u8>], fix_index: bool) {
    let mut data = Vec::new();
    let mut idx = Vec::new();
    for e in entries {
        varint(e.len() as u64, &mut data);
        data.extend_from_slice(e);
        idx.extend_from_slice(&(data.len() as u64).to_le_bytes());
    }
    fs::write(dir.join("entries.ldpb"), data).unwrap();
    if fix_index {
        fs::write(dir.join("entries.idx"), idx).unwrap();
    }
}

/// Rewrites every tile from the entries, as an attacker who knows the format would.
fn rewrite_tiles(dir: &Path, entries: &[Vec<u8>]) {
    fs::remove_dir_all(dir.join("tile")).unwrap();
    let mut b = TileBuilder::new();
    let write = |t: lokryn_ledger::tiles::Tile| {
        let p = dir.join(t.path());
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, t.bytes()).unwrap();
    };
    for e in entries {
        b.push(merkle::leaf_hash(e));
        for t in b.take_full() {
            write(t);
        }
    }
    for t in b.partials() {
        write(t);
    }
}

fn verify(dir: &Path) -> Result<store::VerifyReport, Error> {
    store::verify(dir, None)
}

fn assert_at(err: &Error, index: u64, offset: Option<u64>) {
    let loc = err.location.unwrap_or_else(|| panic!("no location: {err}"));
    assert_eq!(loc.index, Some(index), "{err}");
    if offset.is_some() {
        assert_eq!(loc.offset, offset, "{err}");
    }
}

fn signer() -> Signer {
    Signer::from_seed("example.com/audit", [1; 32]).unwrap()
}

#[test]
fn the_pristine_ledger_verifies() {
    let r = verify(template()).unwrap();
    assert_eq!(r.size, N);
    assert_eq!(r.checkpoints, 13);
}

#[test]
fn every_flipped_byte_of_a_sample_of_entries_is_located() {
    let (_tmp, dir) = copy();
    let path = dir.join("entries.ldpb");
    let pristine = fs::read(&path).unwrap();
    let all = frames(&dir);
    let mut checked = 0;
    // Every byte (length prefix included) of the first, a middle and the
    // last entry; every seventh byte of a few more.
    for &(i, step) in &[
        (0u64, 1usize),
        (1499, 1),
        (2999, 1),
        (1, 7),
        (255, 7),
        (256, 7),
        (2047, 7),
    ] {
        let (offset, bytes) = &all[i as usize];
        let end = all
            .get(i as usize + 1)
            .map_or(pristine.len() as u64, |f| f.0);
        assert!(end - offset > bytes.len() as u64);
        for at in (*offset..end).step_by(step) {
            let mut data = pristine.clone();
            data[at as usize] ^= 0x20;
            fs::write(&path, &data).unwrap();
            let err = verify(&dir).expect_err("a flipped byte passed verification");
            assert!(matches!(err.code, "TAMPERED" | "TRUNCATED"), "{err}");
            assert_at(&err, i, Some(*offset));
            checked += 1;
        }
    }
    fs::write(&path, &pristine).unwrap();
    verify(&dir).unwrap();
    assert!(checked > 400, "{checked}");
}

/// The vendor's hash-chain library checks only the links between records,
/// so a record edited in place passes its own verification. Here an edited
/// record (a valid entry, another actor) fails, at its index, even when the
/// attacker also rewrites the index and every hash tile.
#[test]
fn regression_edited_record_passes_verification() {
    let (_tmp, dir) = copy();
    let mut entries: Vec<Vec<u8>> = frames(&dir).into_iter().map(|f| f.1).collect();
    let mut e = lokryn_compliance_log::codec::decode(&entries[1234]).unwrap();
    assert_eq!(e.actor_id, "actor-2");
    e.actor_id = "actor-5".into();
    entries[1234] = lokryn_compliance_log::codec::encode(&e);
    let offset = frames(&dir)[1234].0;
    rewrite(&dir, &entries, true);
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "TAMPERED");
    assert_at(&err, 1234, Some(offset));

    // The attacker recomputes every tile: the signed checkpoints still differ.
    rewrite_tiles(&dir, &entries);
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "TAMPERED", "{err}");
    // Located to the commit that holds it: entries 1000..1250.
    assert_at(&err, 1000, Some(frames(&dir)[1000].0));
    assert!(err.message.contains("1250"), "{err}");
}

#[test]
fn deleted_inserted_and_swapped_entries_are_located() {
    let original: Vec<Vec<u8>> = frames(template()).into_iter().map(|f| f.1).collect();
    let offsets: Vec<u64> = frames(template()).into_iter().map(|f| f.0).collect();
    for fix_index in [false, true] {
        // Deleted.
        for &i in &[0usize, 700, 2999] {
            let (_tmp, dir) = copy();
            let mut e = original.clone();
            e.remove(i);
            rewrite(&dir, &e, fix_index);
            let err = verify(&dir).unwrap_err();
            assert_at(&err, i as u64, Some(offsets[i]));
        }
        // Inserted (a valid entry, or a copy of a neighbour).
        for &i in &[0usize, 1001, 2999] {
            let (_tmp, dir) = copy();
            let mut e = original.clone();
            e.insert(
                i,
                lokryn_compliance_log::codec::encode(&common::entry(99_999)),
            );
            rewrite(&dir, &e, fix_index);
            let err = verify(&dir).unwrap_err();
            assert_at(&err, i as u64, Some(offsets[i]));
            let (_tmp, dir) = copy();
            let mut e = original.clone();
            e.insert(i, original[i].clone());
            rewrite(&dir, &e, fix_index);
            if i + 1 < original.len() {
                let err = verify(&dir).unwrap_err();
                assert_at(&err, i as u64 + 1, None);
            } else {
                // After the last signed entry: not part of the log, and reported as such.
                let report = verify(&dir).unwrap();
                assert!(report.unsigned_tail_bytes > 0);
            }
        }
        // Swapped neighbours and distant entries.
        for &(a, b) in &[(0usize, 1usize), (511, 512), (10, 2990)] {
            let (_tmp, dir) = copy();
            let mut e = original.clone();
            e.swap(a, b);
            rewrite(&dir, &e, fix_index);
            let err = verify(&dir).unwrap_err();
            assert_eq!(err.code, "TAMPERED", "{err}");
            assert_at(&err, a as u64, Some(offsets[a]));
        }
    }
}

#[test]
fn truncation_is_located() {
    let pristine = fs::read(template().join("entries.ldpb")).unwrap();
    let offsets: Vec<u64> = frames(template()).into_iter().map(|f| f.0).collect();
    for &(i, into) in &[(2999usize, 0u64), (2999, 3), (1500, 0), (1500, 1), (0, 0)] {
        let (_tmp, dir) = copy();
        let cut = offsets[i] + into;
        fs::write(dir.join("entries.ldpb"), &pristine[..cut as usize]).unwrap();
        let err = verify(&dir).unwrap_err();
        assert_eq!(err.code, "TRUNCATED", "{err}");
        assert_at(&err, i as u64, Some(offsets[i]));
        // A writer refuses to open it rather than silently shortening the log.
        let w = store::Writer::open(&dir, store::AppendOptions::default());
        assert_eq!(w.unwrap_err().code, "CORRUPT");
    }
    // The index truncated as well.
    let (_tmp, dir) = copy();
    let idx = fs::read(dir.join("entries.idx")).unwrap();
    fs::write(dir.join("entries.idx"), &idx[..idx.len() - 8]).unwrap();
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "INDEX_MISMATCH", "{err}");
    assert_at(&err, 2999, Some(offsets[2999]));
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    let other = Signer::from_seed("example.com/audit", [2; 32]).unwrap();
    let key = signer().verifier();
    let latest = checkpoint::open(&store::latest_checkpoint(template()).unwrap(), &key).unwrap();
    // The latest checkpoint, re-signed by another key of the same name.
    let (_tmp, dir) = copy();
    fs::write(dir.join("checkpoint"), latest.sign(&other).unwrap()).unwrap();
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "UNVERIFIED", "{err}");
    assert!(err.message.contains("checkpoint"), "{err}");
    // A kept checkpoint replaced by one another key signed.
    let (_tmp, dir) = copy();
    let kept = checkpoint::open(&store::checkpoint_at(&dir, 1000).unwrap(), &key).unwrap();
    fs::write(dir.join("checkpoints/1000"), kept.sign(&other).unwrap()).unwrap();
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "UNVERIFIED", "{err}");
    assert!(err.message.contains("checkpoints/1000"), "{err}");
    // And the whole ledger checked against a key the auditor trusts, which is not the ledger's.
    let err = store::verify(template(), Some(&other.verifier())).unwrap_err();
    assert_eq!(err.code, "UNVERIFIED", "{err}");
}

#[test]
fn forked_checkpoints_are_detected() {
    let key = signer().verifier();
    let fork = |cp: &Checkpoint| Checkpoint {
        root: merkle::leaf_hash(b"another history"),
        ..cp.clone()
    };
    // Two signed checkpoints of the latest size with different roots.
    let (_tmp, dir) = copy();
    let latest = checkpoint::open(&store::latest_checkpoint(&dir).unwrap(), &key).unwrap();
    fs::write(
        dir.join(format!("checkpoints/{N}")),
        fork(&latest).sign(&signer()).unwrap(),
    )
    .unwrap();
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "FORKED", "{err}");
    // The pair itself is proof of the fork, offline.
    let err = lokryn_ledger::proof::check_roots(&latest, &fork(&latest), &[]).unwrap_err();
    assert_eq!(err.code, "FORKED");

    // A kept checkpoint in the middle with another root (validly signed):
    // located to the commit it claims to cover.
    let (_tmp, dir) = copy();
    let kept = checkpoint::open(&store::checkpoint_at(&dir, 1500).unwrap(), &key).unwrap();
    fs::write(
        dir.join("checkpoints/1500"),
        fork(&kept).sign(&signer()).unwrap(),
    )
    .unwrap();
    let err = verify(&dir).unwrap_err();
    assert_eq!(err.code, "TAMPERED", "{err}");
    assert_at(&err, 1250, None);
    assert!(err.message.contains("1500"), "{err}");

    // The latest checkpoint swapped for a signed one of another history.
    let (_tmp, dir) = copy();
    fs::write(
        dir.join("checkpoint"),
        fork(&latest).sign(&signer()).unwrap(),
    )
    .unwrap();
    assert_eq!(verify(&dir).unwrap_err().code, "FORKED");
}

#[test]
fn a_changed_tile_is_detected() {
    let (_tmp, dir) = copy();
    let path = dir.join("tile/1/000.p/11");
    let mut t = fs::read(&path).unwrap();
    t[40] ^= 1;
    fs::write(&path, t).unwrap();
    assert_eq!(verify(&dir).unwrap_err().code, "TILE_MISMATCH");
    let (_tmp, dir) = copy();
    let path = dir.join("tile/0/003");
    let mut t = fs::read(&path).unwrap();
    t[32 * 7] ^= 1;
    fs::write(&path, t).unwrap();
    let err = verify(&dir).unwrap_err();
    // The stored hash of entry 3*256+7 no longer matches its entry.
    assert_at(&err, 3 * 256 + 7, None);
}
