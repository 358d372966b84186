//! The crash harness: a backfill of the real S&P 500 file (every 5th symbol
//! in a debug build, all of them in a release build) is stopped again and
//! again, at every failpoint and by random `kill -9`s, and restarted with
//! the same command each time. The store it ends with holds exactly the
//! rows of an uninterrupted run, bit for bit, and nothing the manifest does
//! not list. A full disk (ENOSPC injected at the sink's writes) stops a run
//! with a clear error and nothing partial, and the next run resumes.

mod common;

use common::{
    abort_at_every_failpoint, assert_only_listed, bits, data, kill_at_random, panel_slice,
    read_store, stderr_of,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use tickflow::durable::Manifest;

/// The input: the whole file in a release build; every 5th symbol in a
/// debug build (about 7x slower).
fn input(dir: &Path) -> PathBuf {
    if cfg!(debug_assertions) {
        panel_slice(dir, 5)
    } else {
        data("sp500_5yr.csv.gz")
    }
}

fn backfill(input: &Path, out: &Path, failpoint: Option<String>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tickflow"));
    c.args(["backfill", "-q", "--workers", "2", "--metrics-addr", "off"])
        .args([
            "--checkpoint-every",
            "40",
            "--block-rows",
            "8192",
            "--input",
        ])
        .arg(input)
        .arg("--sectors")
        .arg(data("sp500_sectors.csv"))
        .arg("--output")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match failpoint {
        Some(f) => c.env("TICKFLOW_FAILPOINT", f),
        None => c.env_remove("TICKFLOW_FAILPOINT"),
    };
    c
}

/// The store equals the uninterrupted one and holds only what its
/// manifest lists.
fn check_store(out: &Path, expected: &[common::BitRow]) {
    let manifest = Manifest::load(out).unwrap().expect("a manifest");
    assert!(manifest.complete);
    assert_only_listed(out, &manifest);
    let (_, table) = read_store(out);
    assert_eq!(table.len() as u64, manifest.rows_out);
    let got = bits(&table);
    assert_eq!(got.len(), expected.len(), "row count");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != expected[i]) {
        panic!(
            "first differing row ({}, {}): {:?} vs {:?}",
            got[i].0, got[i].1, got[i].3, expected[i].3
        );
    }
    let checkpoints: Vec<_> = std::fs::read_dir(out.join("_checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(checkpoints.len(), 1, "one checkpoint kept: {checkpoints:?}");
}

#[test]
fn killed_backfills_end_with_the_rows_of_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let input = input(tmp.path());
    let reference = tmp.path().join("reference");
    let started = Instant::now();
    let status = backfill(&input, &reference, None).status().unwrap();
    assert!(status.success());
    let full_run = started.elapsed();
    let (_, table) = read_store(&reference);
    let expected = bits(&table);
    assert!(expected.len() > 100_000);

    let out = tmp.path().join("crashed");
    // Every failpoint, at its first and its second hit.
    let mut kills = abort_at_every_failpoint(|f| backfill(&input, &out, f));
    // Random SIGKILLs between 5% and 100% of an uninterrupted run's time;
    // a run that finishes first is checked, and the next starts over.
    let random = 14;
    kill_at_random(
        random,
        full_run,
        |rng| 0.05 + 0.95 * rng.unit(),
        || backfill(&input, &out, None),
        || {
            check_store(&out, &expected);
            std::fs::remove_dir_all(&out).unwrap();
        },
    );
    kills += random;
    assert!(kills >= 22);
    let mut child = backfill(&input, &out, None).spawn().unwrap();
    let err = stderr_of(&mut child);
    assert!(child.wait().unwrap().success(), "{err}");
    check_store(&out, &expected);
}

fn every_file(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            every_file(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn a_full_disk_stops_the_run_cleanly_and_the_next_run_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = input(tmp.path());
    let reference = tmp.path().join("reference");
    assert!(backfill(&input, &reference, None)
        .status()
        .unwrap()
        .success());
    let expected = bits(&read_store(&reference).1);

    // ENOSPC from the sink's 20th write on
    let out = tmp.path().join("store");
    let mut child = backfill(&input, &out, Some("disk_full:20".into()))
        .spawn()
        .unwrap();
    let err = stderr_of(&mut child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "a clean error exit: {err}");
    assert!(err.contains("No space left on device"), "{err}");
    let mut files = Vec::new();
    every_file(&out, &mut files);
    let partial: Vec<_> = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(partial.is_empty(), "partial files left: {partial:?}");
    let manifest = Manifest::load(&out).unwrap().unwrap();
    assert!(!manifest.complete);
    assert!(
        manifest.checkpoint.is_some(),
        "work before the error is kept"
    );
    assert_only_listed(&out, &manifest);

    // space is back: the same command resumes and completes
    let mut child = backfill(&input, &out, None).spawn().unwrap();
    let err = stderr_of(&mut child);
    assert!(child.wait().unwrap().success(), "{err}");
    check_store(&out, &expected);
}
