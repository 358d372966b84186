//! The crash harness over a live run: `tickflow replay` puts a slice of the
//! real S&P 500 file on a four-partition topic of the test broker, and a
//! two-worker `tickflow live` over it is stopped again and again, at every
//! failpoint (the one between the manifest and the offset commit included)
//! and by random `kill -9`s, and restarted with the same command each time.
//! The store it ends with holds exactly the rows of an uninterrupted
//! backfill of the slice, bit for bit, nothing the manifest does not list,
//! no late bar, and positions that account for every message.

mod common;

use common::kafka::{brokers, replay, unique};
use common::{
    abort_at_every_failpoint, args, assert_only_listed, bits, kill_at_random, panel_slice,
    read_store, stderr_of,
};
use std::cell::RefCell;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;
use tickflow::durable::Manifest;

fn live(topic: &str, group: &str, out: &Path, failpoint: Option<String>) -> Command {
    let mut c = common::kafka::live(&brokers(), topic, group, out);
    // Idle exit after 5 s: the test broker's SQLite fetches stall for
    // seconds while the other test of this file loads it (a 2 s limit once
    // ended a resumed run before its first message on the CI machine).
    c.args(["--workers", "2", "--metrics-addr", "off"])
        .args(["--idle-exit", "5", "--checkpoint-every", "25", "--sectors"])
        .arg(common::data("sp500_sectors.csv"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match failpoint {
        Some(f) => c.env("TICKFLOW_FAILPOINT", f),
        None => c.env_remove("TICKFLOW_FAILPOINT"),
    };
    c
}

fn check_store(out: &Path, expected: &[common::BitRow], messages: usize) {
    let manifest = Manifest::load(out).unwrap().expect("a manifest");
    assert!(manifest.complete, "the last run completed");
    assert_only_listed(out, &manifest);
    let got = bits(&read_store(out).1);
    assert_eq!(got.len(), expected.len(), "row count");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
        panic!("first differing row ({}, {})", got[i].0, got[i].1);
    }
    let positions = manifest.positions.expect("live positions");
    let resumed: i64 = positions.partitions.values().map(|p| p.resume).sum();
    assert_eq!(resumed, messages as i64, "every message accounted for");
    let late = std::fs::read_to_string(out.join("_late_bars.csv")).unwrap();
    assert_eq!(late.lines().count(), 1, "no late bar: {late}");
}

#[test]
fn killed_live_runs_end_with_the_rows_of_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 12);
    let topic = unique("crash");
    let replayed = replay(&input, &brokers(), &topic, &tmp.path().join("replay"));
    let mut a = args(&input, &tmp.path().join("backfill"), 1);
    a.sectors = Some(common::data("sp500_sectors.csv"));
    tickflow::backfill::run(&a).unwrap();
    let expected = bits(&read_store(&a.output).1);
    assert!(
        replayed.contains(&format!("replay: {} bars", expected.len())),
        "{replayed}"
    );

    // An uninterrupted run, for its duration.
    let started = Instant::now();
    let reference = tmp.path().join("reference");
    let mut child = live(&topic, &unique("ref"), &reference, None)
        .spawn()
        .unwrap();
    let err = stderr_of(&mut child);
    assert!(child.wait().unwrap().success(), "{err}");
    let full_run = started.elapsed();
    check_store(&reference, &expected, expected.len());
    // The whole topic was there before the run: a backlog closed in big
    // steps still makes a checkpoint per 25 bar times (so the failpoints'
    // second hits below are reached).
    let times: std::collections::BTreeSet<i64> = expected.iter().map(|r| r.1).collect();
    let epochs = Manifest::load(&reference)
        .unwrap()
        .unwrap()
        .checkpoint
        .unwrap()
        .epoch;
    assert!(
        epochs as usize >= times.len() / 25,
        "{epochs} checkpoints for {} bar times",
        times.len()
    );

    let (group, out) = (RefCell::new(unique("crashed")), tmp.path().join("crashed"));
    let mut kills = abort_at_every_failpoint(|f| live(&topic, &group.borrow(), &out, f));
    let random = 6;
    kill_at_random(
        random,
        full_run,
        |rng| 0.1 + 0.8 * rng.unit(),
        || live(&topic, &group.borrow(), &out, None),
        // Finished first: the rest of the kills start over (a new store,
        // so a new group: the old one's offsets are at the end).
        || {
            check_store(&out, &expected, expected.len());
            std::fs::remove_dir_all(&out).unwrap();
            *group.borrow_mut() = unique("crashed");
        },
    );
    kills += random;
    assert!(kills >= 14);
    let mut child = live(&topic, &group.borrow(), &out, None).spawn().unwrap();
    let err = stderr_of(&mut child);
    assert!(child.wait().unwrap().success(), "{err}");
    check_store(&out, &expected, expected.len());
}

#[test]
fn a_full_disk_stops_a_live_run_cleanly_and_the_next_run_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 24);
    let topic = unique("full");
    replay(&input, &brokers(), &topic, &tmp.path().join("replay"));
    let mut a = args(&input, &tmp.path().join("backfill"), 1);
    a.sectors = Some(common::data("sp500_sectors.csv"));
    tickflow::backfill::run(&a).unwrap();
    let expected = bits(&read_store(&a.output).1);

    // ENOSPC from the sink's 30th write on: a clean error exit, nothing
    // partial, positions (and offsets) only for what the store holds.
    let (group, out) = (unique("full"), tmp.path().join("store"));
    let mut child = live(&topic, &group, &out, Some("disk_full:30".into()))
        .spawn()
        .unwrap();
    let err = stderr_of(&mut child);
    assert_eq!(child.wait().unwrap().code(), Some(1), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    let manifest = Manifest::load(&out).unwrap().unwrap();
    assert!(!manifest.complete);
    assert_only_listed(&out, &manifest);

    // Space is back: the same command resumes and completes.
    let mut child = live(&topic, &group, &out, None).spawn().unwrap();
    let err = stderr_of(&mut child);
    assert!(child.wait().unwrap().success(), "{err}");
    check_store(&out, &expected, expected.len());
}
