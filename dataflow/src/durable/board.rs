//! Where a run's workers meet for checkpoints. The feeding worker asks for
//! a checkpoint after a block; each worker's rolling operator snapshots its
//! states once it has processed that block and nothing later, and each
//! worker's sink completes its open files at the same point. When every
//! worker has done both, the epoch is complete and its manifest can be
//! written (by the thread that waits in [`Board::wait`]).

use super::manifest::StoreFile;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// An operator's handle on the run's checkpoints.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    /// The run's board.
    pub board: Arc<Board>,
    /// The first epoch of this run.
    pub first_epoch: u64,
}

/// The block time of the checkpoint taken when the input ends.
pub const AT_END: u64 = u64::MAX;

/// A checkpoint asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The checkpoint's number (increasing over a store's life).
    pub epoch: u64,
    /// The last block (timely time) it covers; [`AT_END`]: all of them.
    pub time: u64,
    /// The last bar time it covers (None: no bar yet).
    pub last_ts: Option<i64>,
}

/// What the workers reported for one epoch.
#[derive(Debug, Clone, Default)]
pub struct EpochReport {
    /// Workers whose states are durable.
    pub snapshots: usize,
    /// Workers whose files are complete.
    pub sinks: usize,
    /// The files completed since the previous epoch.
    pub files: Vec<StoreFile>,
    /// Duplicates counted by the workers, through this epoch.
    pub duplicates: u64,
    /// Corrections counted by the workers, through this epoch.
    pub corrections: u64,
    /// The last bar time the epoch covers.
    pub last_ts: Option<i64>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: Vec<Request>,
    reports: BTreeMap<u64, EpochReport>,
    failed: Option<String>,
    exited: usize,
    durable: bool,
}

/// The meeting point (one per run, shared by the workers).
#[derive(Debug)]
pub struct Board {
    peers: usize,
    inner: Mutex<Inner>,
    changed: Condvar,
}

impl Board {
    /// A board for `peers` workers.
    pub fn new(peers: usize) -> Self {
        Self {
            peers,
            inner: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for a checkpoint (epochs in increasing order).
    pub fn request(&self, request: Request) {
        let mut inner = self.lock();
        inner.reports.entry(request.epoch).or_default().last_ts = request.last_ts;
        inner.requests.push(request);
    }

    /// The requests from `*next` on whose block `passed` says this
    /// operator has processed (and nothing after it), in order; advances
    /// `*next` past them.
    pub fn due(&self, next: &mut u64, passed: impl Fn(u64) -> bool) -> Vec<Request> {
        let inner = self.lock();
        let mut out = Vec::new();
        let first = *next;
        for r in inner.requests.iter().filter(|r| r.epoch >= first) {
            if !passed(r.time) {
                break;
            }
            out.push(*r);
            *next = r.epoch + 1;
        }
        out
    }

    fn update(&self, epoch: u64, f: impl FnOnce(&mut EpochReport)) {
        f(self.lock().reports.entry(epoch).or_default());
        self.changed.notify_all();
    }

    /// A worker's states for `epoch` are durable.
    pub fn snapshot_done(&self, epoch: u64, duplicates: u64, corrections: u64) {
        self.update(epoch, |r| {
            r.snapshots += 1;
            r.duplicates += duplicates;
            r.corrections += corrections;
        });
    }

    /// A worker's files up to `epoch` are complete.
    pub fn sink_done(&self, epoch: u64, files: Vec<StoreFile>) {
        self.update(epoch, |r| {
            r.sinks += 1;
            r.files.extend(files);
        });
    }

    /// A worker could not take its part; the run stops.
    pub fn fail(&self, message: String) {
        self.lock().failed.get_or_insert(message);
        self.changed.notify_all();
    }

    /// The first failure, if any.
    pub fn failed(&self) -> Option<String> {
        self.lock().failed.clone()
    }

    /// A manifest with one of this run's checkpoints is durable.
    pub fn mark_durable(&self) {
        self.lock().durable = true;
    }

    /// True once [`Board::mark_durable`] was called.
    pub fn is_durable(&self) -> bool {
        self.lock().durable
    }

    /// A worker has left the dataflow.
    pub fn exited(&self) {
        self.lock().exited += 1;
        self.changed.notify_all();
    }

    /// Waits until the oldest reported epoch is complete (every worker has
    /// done both parts) and takes its report, or returns None once every
    /// worker has exited without completing one.
    pub fn wait(&self) -> Option<(u64, EpochReport)> {
        let mut inner = self.lock();
        loop {
            let complete = inner
                .reports
                .iter()
                .find(|(_, r)| r.snapshots == self.peers && r.sinks == self.peers)
                .map(|(&e, _)| e);
            if let Some(epoch) = complete {
                let report = inner.reports.remove(&epoch).expect("found above");
                return Some((epoch, report));
            }
            if inner.exited == self.peers {
                return None;
            }
            inner = self
                .changed
                .wait_timeout(inner, Duration::from_millis(200))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Files reported for epochs that never completed (to remove after a failure).
    pub fn orphaned_files(&self) -> Vec<StoreFile> {
        self.lock()
            .reports
            .values()
            .flat_map(|r| r.files.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_completes_when_every_worker_did_both_parts() {
        let board = Board::new(2);
        board.request(Request {
            epoch: 5,
            time: 3,
            last_ts: Some(10),
        });
        board.request(Request {
            epoch: 6,
            time: AT_END,
            last_ts: Some(20),
        });
        let mut next = 5;
        assert!(board.due(&mut next, |t| t < 3).is_empty());
        let due = board.due(&mut next, |t| t < 4);
        assert_eq!((due.len(), due[0].epoch, next), (1, 5, 6));
        assert!(board.due(&mut next, |t| t < 100).is_empty(), "AT_END waits");
        board.snapshot_done(5, 1, 0);
        board.snapshot_done(5, 0, 2);
        board.sink_done(5, vec![]);
        board.sink_done(6, vec![]);
        board.sink_done(5, vec![]);
        let (epoch, report) = board.wait().unwrap();
        assert_eq!((epoch, report.duplicates, report.corrections), (5, 1, 2));
        board.exited();
        board.exited();
        assert!(board.wait().is_none());
        assert!(board.orphaned_files().is_empty());
    }
}
