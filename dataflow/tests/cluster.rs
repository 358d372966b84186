//! Timely's cluster mode on loopback, with real processes and sockets:
//! 2 processes x 2 workers write exactly the rows of 1 process x 1 worker
//! on the real S&P 500 file (every 5th symbol in a debug build), each
//! process writing some of them; a process that dies mid-run (aborted as
//! abruptly as `kill -9`, at a failpoint) takes the other one down with an
//! error naming it, and restarting both completes the store with the rows
//! of an uninterrupted run.

mod common;

use common::cluster::{address, check_store, hostfile, wait_all};
use common::{bits, data, panel_slice, read_store};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tickflow::durable::Manifest;

fn input(dir: &Path) -> PathBuf {
    if cfg!(debug_assertions) {
        panel_slice(dir, 5)
    } else {
        data("sp500_5yr.csv.gz")
    }
}

fn backfill(input: &Path, out: &Path, workers: usize) -> Command {
    // About 60-75 blocks and 25-30 checkpoints for either input, so the
    // failpoints below fall mid-run.
    let block_rows = if cfg!(debug_assertions) {
        "2048"
    } else {
        "8192"
    };
    let mut c = Command::new(env!("CARGO_BIN_EXE_tickflow"));
    c.args(["backfill", "-q", "--metrics-addr", "off"])
        .args(["--checkpoint-every", "40", "--block-rows", block_rows])
        .args(["--workers", &workers.to_string(), "--input"])
        .arg(input)
        .arg("--sectors")
        .arg(data("sp500_sectors.csv"))
        .arg("--output")
        .arg(out)
        .env_remove("TICKFLOW_FAILPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Process `id` of the two-process cluster, 2 workers each.
fn member(input: &Path, out: &Path, hosts: &Path, id: usize, failpoint: Option<&str>) -> Child {
    let mut c = backfill(input, out, 2);
    c.args(["--processes", "2", "--process-id", &id.to_string()])
        .arg("--hostfile")
        .arg(hosts);
    if let Some(f) = failpoint {
        c.env("TICKFLOW_FAILPOINT", f);
    }
    c.spawn().unwrap()
}

/// Runs both processes (1 first: it waits for 0); their exit statuses,
/// standard outputs and standard errors.
fn run_cluster(
    input: &Path,
    out: &Path,
    hosts: &Path,
    failpoints: [Option<&str>; 2],
) -> Vec<(bool, String, String)> {
    wait_all([
        member(input, out, hosts, 1, failpoints[1]),
        member(input, out, hosts, 0, failpoints[0]),
    ])
}

fn reference(input: &Path, dir: &Path) -> Vec<common::BitRow> {
    let out = dir.join("reference");
    let output = backfill(input, &out, 1).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    bits(&read_store(&out).1)
}

#[test]
fn two_processes_of_two_workers_write_the_rows_of_one_worker() {
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path());
    let expected = reference(&input, dir.path());
    let out = dir.path().join("cluster");
    let hosts = hostfile(dir.path());
    let results = run_cluster(&input, &out, &hosts, [None, None]);
    for (p, (ok, _, err)) in results.iter().enumerate() {
        assert!(ok, "process {p} failed: {err}");
    }
    check_store(&out, &expected);
    // Process 1 reports the rows its workers wrote; process 0 the run.
    let wrote: u64 = results[1]
        .1
        .split("wrote ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no row count in: {}", results[1].1));
    assert!(wrote > 0 && (wrote as usize) < expected.len());
    assert!(results[0].1.contains("rows out"), "{}", results[0].1);
}

#[test]
fn a_lost_process_stops_the_other_and_a_restart_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path());
    let expected = reference(&input, dir.path());
    let out = dir.path().join("cluster");
    let hosts = hostfile(dir.path());
    let address = |p: usize| address(&hosts, p);

    // Process 1 dies after its 20th completed file: process 0 names it.
    let results = run_cluster(&input, &out, &hosts, [None, Some("after_rename:20")]);
    assert!(!results[1].0, "process 1 was to abort");
    let (ok, _, err) = &results[0];
    assert!(!ok, "process 0 went on without process 1");
    let named = format!("lost cluster process 1 ({})", address(1));
    assert!(err.contains(&named), "process 0 said: {err}");
    assert!(
        !err.contains("poisoned"),
        "the cascade is not reported: {err}"
    );
    let first = Manifest::load(&out).unwrap().expect("a manifest");
    assert!(!first.complete);
    let first = first
        .checkpoint
        .expect("a checkpoint before the loss")
        .epoch;

    // The same commands resume there; now process 0 dies at its 40th
    // batch write: process 1 names it.
    let results = run_cluster(&input, &out, &hosts, [Some("sink_write:40"), None]);
    assert!(!results[0].0, "process 0 was to abort");
    let (ok, _, err) = &results[1];
    assert!(!ok, "process 1 went on without process 0");
    let named = format!("lost cluster process 0 ({})", address(0));
    assert!(err.contains(&named), "process 1 said: {err}");
    let second = Manifest::load(&out).unwrap().expect("a manifest");
    assert!(
        second.checkpoint.unwrap().epoch > first,
        "the second run resumed and went on"
    );

    // The same two commands again finish the store.
    let results = run_cluster(&input, &out, &hosts, [None, None]);
    for (p, (ok, _, err)) in results.iter().enumerate() {
        assert!(ok, "process {p} failed on the restart: {err}");
    }
    assert!(!results[0].2.contains("error"), "{}", results[0].2);
    assert!(
        results[0].1.contains("continued after bar time"),
        "the restart did not resume from a checkpoint: {}",
        results[0].1
    );
    check_store(&out, &expected);
}
