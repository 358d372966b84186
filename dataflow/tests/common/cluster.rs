//! Two-process clusters on loopback for the cluster tests.

use super::stderr_of;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Child;
use tickflow::durable::Manifest;

/// A hostfile of two free loopback ports (held together while chosen, so
/// that they differ).
pub fn hostfile(dir: &Path) -> PathBuf {
    let path = dir.join("hosts");
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = |l: &TcpListener| l.local_addr().unwrap().port();
    let text = format!(
        "# process 0, then process 1\n127.0.0.1:{}\n127.0.0.1:{}\n",
        port(&a),
        port(&b)
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The `host:port` of process `p` in `hosts`.
pub fn address(hosts: &Path, p: usize) -> String {
    std::fs::read_to_string(hosts)
        .unwrap()
        .lines()
        .nth(p + 1)
        .unwrap()
        .to_string()
}

/// Waits for the processes (given in the order they were started: 1,
/// then 0); their exit statuses, standard outputs and standard errors, in
/// process order.
pub fn wait_all(children: [Child; 2]) -> Vec<(bool, String, String)> {
    let mut results: Vec<(bool, String, String)> = children
        .into_iter()
        .map(|mut child| {
            let err = stderr_of(&mut child);
            let output = child.wait_with_output().unwrap();
            (
                output.status.success(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                err,
            )
        })
        .collect();
    results.reverse();
    results
}

/// The store at `out` is complete, lists exactly its files, equals
/// `expected` (a one-worker run's rows), came from 4 workers, and each of
/// the two processes wrote files of it.
pub fn check_store(out: &Path, expected: &[super::BitRow]) {
    let manifest = Manifest::load(out).unwrap().expect("a manifest");
    assert!(manifest.complete);
    super::assert_only_listed(out, &manifest);
    assert_eq!(manifest.checkpoint.unwrap().workers, 4);
    let got = super::bits(&super::read_store(out).1);
    assert_eq!(got.len(), expected.len());
    assert!(
        got == expected,
        "the cluster's rows differ from one worker's"
    );
    for p in 0..2 {
        assert!(files_written_by(out, p) > 0, "process {p} wrote no file");
    }
}

/// Data files of the store at `out` written by cluster process `process`.
pub fn files_written_by(out: &Path, process: usize) -> usize {
    super::store_files(out)
        .iter()
        .filter(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&format!("part-p{process:02}-"))
        })
        .count()
}
