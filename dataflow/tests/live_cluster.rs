//! `tickflow live` on timely's cluster mode, with real processes, sockets
//! and a real broker: 2 processes x 2 workers reading a 4-partition topic
//! of S&P 500 bars (every 12th symbol) write exactly the rows of a
//! one-worker backfill of the same bars, each process writing some of them;
//! a process that dies mid-run (aborted as abruptly as `kill -9`, at a
//! failpoint; process 1, then process 0) takes the other one down with an
//! error naming it, and restarting both completes the store with the same
//! rows.

mod common;

use common::cluster::{address, check_store, hostfile, wait_all};
use common::kafka::{brokers, live, replay, unique};
use common::{args, bits, data, panel_slice, read_store};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use tickflow::durable::Manifest;

/// One cluster at a time: four live processes of a debug build and a
/// replay at once would make the first fetch outlast `--idle-exit`.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A topic of the bars of every 12th S&P 500 symbol, the rows a
/// one-worker backfill makes of them, and the store, hostfile and consumer
/// group of a two-process cluster reading it.
struct Cluster {
    /// Removed with the cluster.
    _dir: tempfile::TempDir,
    brokers: String,
    topic: String,
    group: String,
    store: PathBuf,
    hosts: PathBuf,
    expected: Vec<common::BitRow>,
}

impl Cluster {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let input = panel_slice(dir.path(), 12);
        let (brokers, topic) = (brokers(), unique("cluster"));
        replay(&input, &brokers, &topic, &dir.path().join("replay"));
        let mut a = args(&input, &dir.path().join("backfill"), 1);
        a.sectors = Some(data("sp500_sectors.csv"));
        tickflow::backfill::run(&a).unwrap();
        let expected = bits(&read_store(&dir.path().join("backfill")).1);
        Self {
            store: dir.path().join("live"),
            hosts: hostfile(dir.path()),
            _dir: dir,
            brokers,
            topic,
            group: unique("g"),
            expected,
        }
    }

    /// Process `id` of the two-process cluster, 2 workers each.
    fn member(&self, id: usize, failpoint: Option<&str>) -> Child {
        let mut c = live(&self.brokers, &self.topic, &self.group, &self.store);
        c.args([
            "--idle-exit",
            "3",
            "--metrics-addr",
            "off",
            "--workers",
            "2",
        ])
        .args(["--checkpoint-every", "25", "--checkpoint-interval", "1h"])
        .arg("--sectors")
        .arg(data("sp500_sectors.csv"))
        .args(["--processes", "2", "--process-id", &id.to_string()])
        .arg("--hostfile")
        .arg(&self.hosts)
        .env_remove("TICKFLOW_FAILPOINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if let Some(f) = failpoint {
            c.env("TICKFLOW_FAILPOINT", f);
        }
        c.spawn().unwrap()
    }

    /// Both processes (1 first: it waits for 0), to their end.
    fn cluster(&self, failpoints: [Option<&str>; 2]) -> Vec<(bool, String, String)> {
        wait_all([self.member(1, failpoints[1]), self.member(0, failpoints[0])])
    }
}

#[test]
fn live_on_two_processes_of_two_workers_writes_the_rows_of_one_worker() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let run = Cluster::new();
    let (store, expected) = (&run.store, &run.expected);
    let results = run.cluster([None, None]);
    for (p, (ok, _, err)) in results.iter().enumerate() {
        assert!(ok, "process {p} failed: {err}");
    }
    assert!(
        results.iter().all(|r| !r.1.contains(" 0 bars in")),
        "{results:?}"
    );
    check_store(store, expected);
    // Each process read its own partitions: together, every bar once.
    let bars_in = |out: &str| -> usize {
        let n = out.split("live: ").nth(1).and_then(|s| s.split(' ').next());
        n.and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no bar count in: {out}"))
    };
    let (a, b) = (bars_in(&results[0].1), bars_in(&results[1].1));
    assert!(a > 0 && b > 0, "{a} and {b} bars");
    assert_eq!(a + b, expected.len());
}

#[test]
fn a_lost_live_process_stops_the_other_and_a_restart_resumes() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let run = Cluster::new();
    let (store, hosts, expected) = (&run.store, &run.hosts, &run.expected);

    // Process 1 dies at its 10th batch write: process 0 names it.
    let results = run.cluster([None, Some("sink_write:10")]);
    assert!(!results[1].0, "process 1 was to abort: {results:?}");
    let (ok, _, err) = &results[0];
    assert!(!ok, "process 0 went on without process 1");
    let named = format!("lost cluster process 1 ({})", address(hosts, 1));
    assert!(err.contains(&named), "process 0 said: {err}");
    assert!(!Manifest::load(store).unwrap().expect("a manifest").complete);

    // The same commands again; now process 0 dies once its first manifest
    // is durable: process 1 names it.
    let results = run.cluster([Some("after_manifest:1"), None]);
    assert!(!results[0].0, "process 0 was to abort: {results:?}");
    let (ok, _, err) = &results[1];
    assert!(!ok, "process 1 went on without process 0");
    let named = format!("lost cluster process 0 ({})", address(hosts, 0));
    assert!(err.contains(&named), "process 1 said: {err}");
    let manifest = Manifest::load(store).unwrap().expect("a manifest");
    assert!(!manifest.complete);
    let last = manifest.checkpoint.expect("a checkpoint").epoch;

    // Once more: the store completes with the uninterrupted rows.
    let results = run.cluster([None, None]);
    for (p, (ok, _, err)) in results.iter().enumerate() {
        assert!(ok, "process {p} failed after the restarts: {err}");
    }
    let resumed = format!("resuming from checkpoint {last}");
    assert!(results[0].2.contains(&resumed), "{}", results[0].2);
    check_store(store, expected);
}
