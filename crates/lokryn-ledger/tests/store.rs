//! The ledger on disk: append, reopen, prove, read, locks and recovery.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lokryn_compliance_log::codec;

use lokryn_ledger::proof::{self, Proof};
use lokryn_ledger::store::{self, AppendOptions, Filter, Reader, Writer};
use lokryn_ledger::{Checkpoint, Verifier, checkpoint, merkle};

use common::{entry, keys, ledger};

#[test]
fn append_reopen_prove_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 1000, 97);
    let report = store::verify(&dir, None).unwrap();
    assert_eq!(report.size, 1000);
    // One checkpoint per commit, plus the empty one.
    assert_eq!(report.checkpoints, 12);
    assert_eq!(report.unsigned_tail_bytes, 0);

    // Reopen and keep appending.
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    assert_eq!(w.size(), 1000);
    assert_eq!(w.append(&[entry(1000), entry(1001)]).unwrap(), 1000..1002);
    drop(w);

    let config = store::Config::load(&dir).unwrap();
    let key = Verifier::parse(&config.public_key).unwrap();
    let latest = store::latest_checkpoint(&dir).unwrap();
    let cp = checkpoint::open(&latest, &key).unwrap();
    assert_eq!(cp.size, 1002);

    // Every proof checks offline against the signed checkpoint.
    for index in [0, 1, 255, 256, 511, 999, 1001] {
        let p = store::prove_inclusion(&dir, index, None).unwrap();
        let json = Proof::Inclusion(p).to_json();
        let checked = proof::check_json(&json, &[&latest], &config.public_key, None).unwrap();
        assert!(checked.entry_checked);
    }
    let old = store::checkpoint_at(&dir, 582).unwrap();
    let p = store::prove_consistency(&dir, 582, None).unwrap();
    let json = Proof::Consistency(p).to_json();
    proof::check_json(&json, &[&old, &latest], &config.public_key, None).unwrap();
    // A proof for a different entry does not check.
    let mut p = store::prove_inclusion(&dir, 5, None).unwrap();
    p.index = 6;
    assert!(
        proof::check_json(
            &Proof::Inclusion(p).to_json(),
            &[&latest],
            &config.public_key,
            None
        )
        .is_err()
    );

    // The root agrees with a tree built straight from the entries.
    let mut r = Reader::open(&dir).unwrap();
    let mut cr = merkle::CompactRange::new();
    while let Some(e) = r.next_raw().unwrap() {
        assert_eq!(e.bytes, codec::encode(&entry(e.index)));
        cr.push(merkle::leaf_hash(&e.bytes));
    }
    assert_eq!(cr.root(), cp.root);
}

#[test]
fn filters_select_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 300, 300);
    let filter = Filter {
        actor: Some("actor-3".into()),
        outcome: Some(lokryn_compliance_log::Outcome::FailureDenied as i32),
        since: Some((1_700_000_100, 0)),
        ..Default::default()
    };
    let mut got = Vec::new();
    filter
        .scan(&mut Reader::open(&dir).unwrap(), &mut |raw, _| {
            got.push(raw.index);
            Ok(true)
        })
        .unwrap();
    let want: Vec<u64> = (100..300).filter(|i| i % 7 == 3 && i % 5 == 0).collect();
    assert_eq!(got, want);
}

/// An entry whose filtered fields vary with `i`: some unset (no time, empty
/// strings, enum zero), times equal to a bound to the nanosecond, strings
/// that contain another entry's actor (so the byte prefilter lets them
/// through to the field comparison), and unknown enum values.
fn varied(i: u64) -> lokryn_compliance_log::LogEntry {
    let n = i64::try_from(i).unwrap();
    lokryn_compliance_log::LogEntry {
        event_type: [0, 1, 2, 3, 99][(i % 5) as usize],
        outcome: [0, 1, 2, 3][(i % 4) as usize],
        actor_id: ["", "alice", "alice-2", "bob", "bob\u{e9}"][(i % 5) as usize].into(),
        component: ["", "billing", "billing-api"][(i % 3) as usize].into(),
        resource: if i.is_multiple_of(6) {
            String::new()
        } else {
            format!("invoices/{}", i % 4)
        },
        // An actor's name in another field: the bytes match, the field not.
        message: format!("on behalf of alice, entry {i}"),
        time: (!i.is_multiple_of(7)).then(|| lokryn_compliance_log::Timestamp {
            seconds: 1_700_000_000 + n % 10,
            nanos: [0, 1, 500_000_000][(i % 3) as usize],
        }),
        ..Default::default()
    }
}

#[test]
fn filters_on_views_select_what_filters_on_decoded_entries_select() {
    use lokryn_compliance_log::view;
    let tmp = tempfile::tempdir().unwrap();
    let (private, _) = keys(tmp.path(), "example.com/audit", 1);
    let dir = tmp.path().join("ledger");
    store::init(&dir, &private, &["soc2".to_string()]).unwrap();
    let entries: Vec<_> = (0..420).map(varied).collect();
    let mut w = Writer::open(
        &dir,
        AppendOptions {
            allow_invalid: true,
            ..AppendOptions::default()
        },
    )
    .unwrap();
    w.append(&entries).unwrap();
    w.publish().unwrap();
    drop(w);

    let t = |seconds, nanos| Some((seconds, nanos));
    let text = |s: &str| Some(s.to_owned());
    let mut filters = vec![Filter::default()];
    for since in [t(1_700_000_003, 0), t(1_700_000_003, 1), t(0, 0)] {
        filters.push(Filter {
            since,
            ..Filter::default()
        });
    }
    for until in [
        t(1_700_000_005, 500_000_000),
        t(1_700_000_000, 0),
        t(i64::MAX, 0),
    ] {
        filters.push(Filter {
            until,
            ..Filter::default()
        });
    }
    for actor in ["", "alice", "bob", "bob\u{e9}", "carol", "li"] {
        filters.push(Filter {
            actor: text(actor),
            ..Filter::default()
        });
    }
    for event_type in [0, 1, 3, 99, 4] {
        filters.push(Filter {
            event_type: Some(event_type),
            ..Filter::default()
        });
    }
    for outcome in [0, 2, 3] {
        filters.push(Filter {
            outcome: Some(outcome),
            ..Filter::default()
        });
    }
    for component in ["", "billing", "billing-api", "bill"] {
        filters.push(Filter {
            component: text(component),
            ..Filter::default()
        });
    }
    for resource in ["", "invoices/1", "invoices/"] {
        filters.push(Filter {
            resource: text(resource),
            ..Filter::default()
        });
    }
    filters.push(Filter {
        since: t(1_700_000_002, 0),
        until: t(1_700_000_008, 0),
        actor: text("alice"),
        event_type: Some(1),
        outcome: Some(1),
        component: text("billing"),
        resource: text("invoices/1"),
    });
    filters.push(Filter {
        actor: text("alice"),
        component: text("billing-api"),
        outcome: Some(2),
        ..Filter::default()
    });

    let mut selected_some = 0;
    for filter in &filters {
        // The decoded path: `matches` on each entry, field by field.
        let want: Vec<u64> = (0u64..)
            .zip(&entries)
            .filter(|(_, e)| filter.matches(e))
            .map(|(i, _)| i)
            .collect();
        // The same verdict through `Access`, on the view and on the entry.
        for (e, i) in entries.iter().zip(0u64..) {
            let bytes = codec::encode(e);
            let v = view::decode(&bytes, &codec::Limits::DEFAULT).unwrap();
            assert_eq!(
                filter.matches_access(&v),
                want.contains(&i),
                "{filter:?} on {e:?}"
            );
            assert_eq!(
                filter.matches_access(e),
                want.contains(&i),
                "{filter:?} on {e:?}"
            );
        }
        let (mut by_scan, mut by_views) = (Vec::new(), Vec::new());
        filter
            .scan(&mut Reader::open(&dir).unwrap(), &mut |raw, e| {
                assert_eq!(e, &entries[usize::try_from(raw.index).unwrap()]);
                by_scan.push(raw.index);
                Ok(true)
            })
            .unwrap();
        filter
            .scan_views(&mut Reader::open(&dir).unwrap(), &mut |raw, v| {
                assert_eq!(
                    raw.bytes,
                    codec::encode(&entries[usize::try_from(raw.index).unwrap()])
                );
                assert_eq!(
                    v.actor_id,
                    entries[usize::try_from(raw.index).unwrap()].actor_id
                );
                by_views.push(raw.index);
                Ok(true)
            })
            .unwrap();
        assert_eq!(by_scan, want, "{filter:?}");
        assert_eq!(by_views, want, "{filter:?}");
        if !want.is_empty() && want.len() < entries.len() {
            selected_some += 1;
        }
    }
    // Most filters select some entries and pass over others.
    assert!(
        selected_some >= filters.len() - 8,
        "{selected_some} of {}",
        filters.len()
    );
}

#[test]
fn a_scan_stops_where_the_visitor_says_and_reports_an_unreadable_entry_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 40, 40);
    let filter = Filter {
        actor: Some("actor-3".into()),
        ..Filter::default()
    };
    let mut reader = Reader::open(&dir).unwrap();
    let mut got = Vec::new();
    filter
        .scan(&mut reader, &mut |raw, _| {
            got.push(raw.index);
            Ok(got.len() < 2)
        })
        .unwrap();
    assert_eq!(got, [3, 10]);
    // The reader is left just past the last entry visited.
    assert_eq!(reader.next_raw().unwrap().unwrap().index, 11);

    // Entry 10 made invalid UTF-8 (its length framing kept): reported with
    // the decoder's error by both scans, once the prefilter lets it through.
    let path = dir.join("entries.ldpb");
    let mut data = fs::read(&path).unwrap();
    let at = data
        .windows(16)
        .position(|w| w == b"record number 10")
        .unwrap();
    data[at] = 0xff;
    fs::write(&path, &data).unwrap();
    let bad = Reader::open(&dir).unwrap().entry(10).unwrap();
    let decoded = codec::decode(&bad).unwrap_err();
    let mut seen = Vec::new();
    let err = filter
        .scan(&mut Reader::open(&dir).unwrap(), &mut |raw, _| {
            seen.push(raw.index);
            Ok(true)
        })
        .unwrap_err();
    assert_eq!(seen, [3]);
    assert_eq!(err.code, "UNREADABLE");
    assert_eq!(err.message, format!("entry 10: {decoded}"));
    let err = filter
        .scan_views(&mut Reader::open(&dir).unwrap(), &mut |_, _| Ok(true))
        .unwrap_err();
    assert_eq!(err.message, format!("entry 10: {decoded}"));
    // A filter the entry's bytes cannot match never reads it.
    let other = Filter {
        actor: Some("actor-4".into()),
        ..Filter::default()
    };
    let mut seen = 0;
    other
        .scan(&mut Reader::open(&dir).unwrap(), &mut |_, _| {
            seen += 1;
            Ok(true)
        })
        .unwrap();
    assert_eq!(seen, 6);
}

#[test]
fn a_second_writer_is_refused_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 3, 3);
    let _w = Writer::open(&dir, AppendOptions::default()).unwrap();
    let err = Writer::open(&dir, AppendOptions::default()).unwrap_err();
    assert_eq!(err.code, "LOCKED");
    assert!(
        err.message.contains(&format!("pid {}", std::process::id())),
        "{}",
        err.message
    );
    // Readers are not blocked.
    assert_eq!(Reader::open(&dir).unwrap().size(), 3);
}

#[test]
fn invalid_entries_are_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 2, 2);
    let mut bad = entry(2);
    bad.actor_id.clear();
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    let err = w.append(&[entry(2), bad.clone()]).unwrap_err();
    assert_eq!(err.code, "INVALID");
    assert!(err.message.contains("actorId"), "{}", err.message);
    // Nothing of the refused batch was kept.
    assert_eq!(w.append(&[entry(2)]).unwrap(), 2..3);
    drop(w);
    let mut w = Writer::open(
        &dir,
        AppendOptions {
            allow_invalid: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(w.append(&[bad]).unwrap(), 3..4);
    drop(w);
    store::verify(&dir, None).unwrap();
}

#[test]
fn redaction_happens_before_storing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 1, 1);
    let mut e = entry(1);
    e.message = "refund to 4111 1111 1111 1111".into();
    let mut w = Writer::open(
        &dir,
        AppendOptions {
            redact: Some(Default::default()),
            ..Default::default()
        },
    )
    .unwrap();
    w.append(&[e]).unwrap();
    drop(w);
    let bytes = Reader::open(&dir).unwrap().entry(1).unwrap();
    let stored = codec::decode(&bytes).unwrap();
    assert_eq!(stored.message, "refund to 4111 11** **** 1111");
}

#[test]
fn unacknowledged_data_is_discarded_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 10, 10);
    // A writer staged entries and wrote some bytes, then died before its checkpoint.
    let mut data = fs::OpenOptions::new()
        .append(true)
        .open(dir.join("entries.ldpb"))
        .unwrap();
    std::io::Write::write_all(&mut data, b"\x05garbage-half-written").unwrap();
    let mut idx = fs::OpenOptions::new()
        .append(true)
        .open(dir.join("entries.idx"))
        .unwrap();
    std::io::Write::write_all(&mut idx, &[1, 2, 3]).unwrap();
    let report = store::verify(&dir, None).unwrap();
    assert_eq!(report.size, 10);
    assert!(report.unsigned_tail_bytes > 0);
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    assert_eq!(w.append(&[entry(10)]).unwrap(), 10..11);
    drop(w);
    let report = store::verify(&dir, None).unwrap();
    assert_eq!((report.size, report.unsigned_tail_bytes), (11, 0));
}

#[test]
fn lost_tiles_are_rebuilt_from_the_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 600, 600);
    fs::remove_dir_all(dir.join("tile")).unwrap();
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    w.append(&[entry(600)]).unwrap();
    drop(w);
    store::verify(&dir, None).unwrap();
}

#[test]
fn keys_round_trip_and_checkpoints_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = keys(tmp.path(), "example.com/audit", 9);
    let s = store::load_signer(&private).unwrap();
    let v = store::load_verifier(&public).unwrap();
    assert_eq!(s.verifier(), v);
    let g = store::generate_key("example.com/x").unwrap();
    assert!(g.to_text().starts_with("PRIVATE+KEY+example.com/x+"));
    let cp = Checkpoint {
        origin: "example.com/audit".into(),
        size: 12,
        root: merkle::leaf_hash(b"x"),
        extensions: vec![],
    };
    assert_eq!(Checkpoint::parse(&cp.to_text()).unwrap(), cp);
    assert!(Checkpoint::parse("o\n012\nAAAA\n").is_err());
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of the directory taken while a writer is between an
/// acknowledgement and the checkpoint that publishes it: what a power cut
/// at that moment leaves (every write was synced, or is in the journal).
fn cut_power(dir: &Path, to: &Path) -> PathBuf {
    let copy = to.join("after-the-cut");
    copy_dir(dir, &copy);
    copy
}

#[test]
fn acknowledged_entries_are_kept_before_any_checkpoint_covers_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 10, 10);
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    w.set_publish_interval(Duration::from_secs(3600));
    for start in [10, 110, 210] {
        let batch: Vec<_> = (start..start + 100).map(entry).collect();
        assert_eq!(w.append(&batch).unwrap(), start..start + 100);
    }
    // Acknowledged, not yet published: readers still see the checkpoint of 10.
    assert_eq!((w.size(), w.signed_size()), (310, 10));
    assert_eq!(Reader::open(&dir).unwrap().size(), 10);
    let copy = cut_power(&dir, tmp.path());
    drop(w);
    // The next writer publishes what the journal holds.
    let w = Writer::open(&copy, AppendOptions::default()).unwrap();
    assert_eq!((w.size(), w.signed_size()), (310, 310));
    drop(w);
    let report = store::verify(&copy, None).unwrap();
    assert_eq!(report.size, 310);
    let mut r = Reader::open(&copy).unwrap();
    while let Some(e) = r.next_raw().unwrap() {
        assert_eq!(e.bytes, codec::encode(&entry(e.index)));
    }
    // Dropping the writer published too.
    assert_eq!(store::verify(&dir, None).unwrap().size, 310);
}

#[test]
fn a_torn_or_damaged_journal_record_is_not_replayed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = ledger(tmp.path(), 10, 10);
    let mut w = Writer::open(&dir, AppendOptions::default()).unwrap();
    w.set_publish_interval(Duration::from_secs(3600));
    for start in [10, 110, 210] {
        let batch: Vec<_> = (start..start + 100).map(entry).collect();
        w.append(&batch).unwrap();
    }
    let copy = cut_power(&dir, tmp.path());
    drop(w);
    let journal = fs::read(copy.join("journal")).unwrap();
    let third = journal.len() / 3 * 2;
    // The last record cut short (its commit never returned): the two before it stay.
    let torn = tmp.path().join("torn");
    copy_dir(&copy, &torn);
    fs::write(torn.join("journal"), &journal[..journal.len() - 5]).unwrap();
    assert_eq!(
        Writer::open(&torn, AppendOptions::default())
            .unwrap()
            .size(),
        210
    );
    assert_eq!(store::verify(&torn, None).unwrap().size, 210);
    // A byte of the second record changed: its checksum fails, and nothing from there on is replayed.
    let damaged = tmp.path().join("damaged");
    copy_dir(&copy, &damaged);
    let mut j = journal;
    j[third - 100] ^= 0x20;
    fs::write(damaged.join("journal"), &j).unwrap();
    assert_eq!(
        Writer::open(&damaged, AppendOptions::default())
            .unwrap()
            .size(),
        110
    );
    assert_eq!(store::verify(&damaged, None).unwrap().size, 110);
}
