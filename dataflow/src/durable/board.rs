//! Where a run's workers meet for checkpoints. The feeding worker asks for
//! a checkpoint after a block; each worker's rolling operator snapshots its
//! states once it has processed that block and nothing later, and each
//! worker's sink completes its open files at the same point. When every
//! worker has done both, the epoch is complete and its manifest can be
//! written (by the thread that waits in [`Board::wait`]). A live run's
//! workers also report their feeds' topic positions at each checkpoint's
//! cut ([`Board::with_feeds`]).
//!
//! In a cluster every process has a board. Requests reach each one in the
//! dataflow (with the bars); the workers' reports ([`Note`]s) are applied
//! by process 0's board, while the other processes' boards hold theirs for
//! [`crate::cluster::relay::Reports`] to carry to it.

use super::manifest::{PartitionPosition, StoreFile};
use serde::{Deserialize, Serialize};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Workers whose feed positions are in (live runs).
    pub feeds: usize,
    /// Per topic partition, where the checkpoint leaves it (live runs).
    pub positions: BTreeMap<i32, PartitionPosition>,
}

/// One worker's report on one part of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Note {
    /// Its states for `epoch` are durable; its counters through it.
    Snapshot {
        /// The checkpoint.
        epoch: u64,
        /// Identical second copies dropped.
        duplicates: u64,
        /// Differing second copies applied.
        corrections: u64,
    },
    /// Its files up to `epoch` are complete.
    Sink {
        /// The checkpoint.
        epoch: u64,
        /// The files completed since the previous one.
        files: Vec<StoreFile>,
    },
    /// Its feed positions at `epoch`'s cut are durable.
    Feed {
        /// The checkpoint.
        epoch: u64,
        /// Per partition.
        positions: Vec<(i32, PartitionPosition)>,
        /// At the end: the last bar time it sent.
        last_ts: Option<i64>,
    },
    /// It could not take its part; the run stops.
    Failed(String),
}

#[derive(Debug, Default)]
struct Inner {
    /// Requests not yet completed, in epoch order.
    requests: Vec<Request>,
    /// The epoch of the last request taken.
    last: Option<u64>,
    reports: BTreeMap<u64, EpochReport>,
    failed: Option<String>,
    exited: usize,
    durable: bool,
    /// The epoch of the request at the end, once asked for.
    end: Option<u64>,
    /// State snapshots handed to a writer thread and not yet reported.
    writing: usize,
    /// Notes to relay to process 0 (a relaying board).
    outbox: Vec<Note>,
}

/// The meeting point (one per process, shared by its workers).
#[derive(Debug)]
pub struct Board {
    /// Workers whose reports complete an epoch (all of the cluster's).
    peers: usize,
    /// Workers of this process.
    local: usize,
    /// Feed reports an epoch needs: `peers` in a live run, else 0.
    feeds: usize,
    /// Keep notes for the relay instead of applying them.
    relay: bool,
    inner: Mutex<Inner>,
    changed: Condvar,
}

impl Board {
    /// A board for `peers` workers in one process.
    pub fn new(peers: usize) -> Self {
        Self {
            peers,
            local: peers,
            feeds: 0,
            relay: false,
            inner: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    /// The board of process `process` of a cluster of `processes` with
    /// `local` workers each: process 0's gathers every worker's notes,
    /// the others relay theirs.
    pub fn cluster(local: usize, processes: usize, process: usize) -> Self {
        Self {
            local,
            relay: process > 0,
            ..Self::new(local * processes)
        }
    }

    /// True when this board's notes go to process 0.
    pub fn relays(&self) -> bool {
        self.relay
    }

    /// Workers of this process.
    pub fn local_workers(&self) -> usize {
        self.local
    }

    /// This board for live workers, each of which also reports its feed.
    pub fn with_feeds(self) -> Self {
        Self {
            feeds: self.peers,
            ..self
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for a checkpoint; refused (false) once the end was asked for.
    /// A request already taken (each worker of a process registers the
    /// ones it receives) is not taken again.
    pub fn request(&self, request: Request) -> bool {
        let mut inner = self.lock();
        if inner.end.is_some() {
            return false;
        }
        let at = inner.requests.partition_point(|r| r.epoch < request.epoch);
        if inner
            .requests
            .get(at)
            .is_some_and(|r| r.epoch == request.epoch)
            || inner
                .last
                .is_some_and(|l| l >= request.epoch && at == inner.requests.len())
        {
            return true;
        }
        inner.reports.entry(request.epoch).or_default().last_ts = request.last_ts;
        inner.requests.insert(at, request);
        inner.last = inner.last.max(Some(request.epoch));
        if request.time == AT_END {
            inner.end = Some(request.epoch);
        }
        true
    }

    /// True once the checkpoint at the end was asked for.
    pub fn ended(&self) -> bool {
        self.lock().end.is_some()
    }

    /// The epoch of the checkpoint at the end ([`AT_END`]): asked for by the
    /// first caller (the epoch after the last request, or `first`), the
    /// same for every later one. No request is taken after it.
    pub fn end(&self, first: u64) -> u64 {
        let mut inner = self.lock();
        if let Some(e) = inner.end {
            return e;
        }
        let epoch = inner.last.map_or(first, |e| e + 1);
        inner.end = Some(epoch);
        inner.last = Some(epoch);
        inner.reports.entry(epoch).or_default();
        inner.requests.push(Request {
            epoch,
            time: AT_END,
            last_ts: None,
        });
        epoch
    }

    /// The requests from `*next` on, in order (for feeds, which decide
    /// themselves when they have passed a cut); advances nothing.
    pub fn requests_from(&self, next: u64) -> Vec<Request> {
        let inner = self.lock();
        let from = inner.requests.partition_point(|r| r.epoch < next);
        inner.requests[from..].to_vec()
    }

    /// The requests from `*next` on whose block `passed` says this
    /// operator has processed (and nothing after it), in order; advances
    /// `*next` past them.
    pub fn due(&self, next: &mut u64, passed: impl Fn(u64) -> bool) -> Vec<Request> {
        let inner = self.lock();
        let mut out = Vec::new();
        let from = inner.requests.partition_point(|r| r.epoch < *next);
        for r in &inner.requests[from..] {
            if !passed(r.time) {
                break;
            }
            out.push(*r);
            *next = r.epoch + 1;
        }
        out
    }

    fn note(&self, note: Note) {
        if self.relay {
            let mut inner = self.lock();
            if let Note::Failed(m) = &note {
                inner.failed.get_or_insert(m.clone());
            }
            inner.outbox.push(note);
            drop(inner);
            self.changed.notify_all();
        } else {
            self.apply(note);
        }
    }

    /// Records a worker's note (on process 0, for every worker).
    pub fn apply(&self, note: Note) {
        let mut inner = self.lock();
        match note {
            Note::Snapshot {
                epoch,
                duplicates,
                corrections,
            } => {
                let r = inner.reports.entry(epoch).or_default();
                r.snapshots += 1;
                r.duplicates += duplicates;
                r.corrections += corrections;
            }
            Note::Sink { epoch, files } => {
                let r = inner.reports.entry(epoch).or_default();
                r.sinks += 1;
                r.files.extend(files);
            }
            Note::Feed {
                epoch,
                positions,
                last_ts,
            } => {
                let r = inner.reports.entry(epoch).or_default();
                r.feeds += 1;
                r.positions.extend(positions);
                r.last_ts = r.last_ts.max(last_ts);
            }
            Note::Failed(m) => {
                inner.failed.get_or_insert(m);
            }
        }
        drop(inner);
        self.changed.notify_all();
    }

    /// The notes a relaying board holds, oldest first.
    pub fn take_notes(&self) -> Vec<Note> {
        std::mem::take(&mut self.lock().outbox)
    }

    /// True when all but `running` workers of this process have exited and
    /// every snapshot writer has reported.
    pub fn settled(&self, running: usize) -> bool {
        let inner = self.lock();
        inner.exited + running >= self.local && inner.writing == 0
    }

    /// A snapshot was handed to a writer thread; it reports with
    /// [`Board::snapshot_done`] or [`Board::fail`] and then
    /// [`Board::written`]. Until then [`Board::wait`] keeps waiting.
    pub fn writing(&self) {
        self.lock().writing += 1;
    }

    /// A snapshot handed over with [`Board::writing`] has reported.
    pub fn written(&self) {
        self.lock().writing -= 1;
        self.changed.notify_all();
    }

    /// A worker's states for `epoch` are durable.
    pub fn snapshot_done(&self, epoch: u64, duplicates: u64, corrections: u64) {
        self.note(Note::Snapshot {
            epoch,
            duplicates,
            corrections,
        });
    }

    /// A worker's files up to `epoch` are complete.
    pub fn sink_done(&self, epoch: u64, files: Vec<StoreFile>) {
        self.note(Note::Sink { epoch, files });
    }

    /// A worker's feed positions at `epoch`'s cut are durable in the side
    /// outputs; `last_ts`, at the end, the last bar time it sent.
    pub fn feed_done(
        &self,
        epoch: u64,
        positions: Vec<(i32, PartitionPosition)>,
        last_ts: Option<i64>,
    ) {
        self.note(Note::Feed {
            epoch,
            positions,
            last_ts,
        });
    }

    /// A worker could not take its part; the run stops.
    pub fn fail(&self, message: String) {
        self.note(Note::Failed(message));
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
    /// done its parts) and takes its report, or returns None once every
    /// worker of this process has exited (and every snapshot writer
    /// reported) without completing one. (Process 0's workers exit only
    /// after the other processes closed their reports.)
    pub fn wait(&self) -> Option<(u64, EpochReport)> {
        let mut inner = self.lock();
        loop {
            let complete = inner
                .reports
                .iter()
                .find(|(_, r)| {
                    r.snapshots == self.peers && r.sinks == self.peers && r.feeds == self.feeds
                })
                .map(|(&e, _)| e);
            if let Some(epoch) = complete {
                let report = inner.reports.remove(&epoch).expect("found above");
                // Every worker has passed it (and each takes requests in
                // order): a long live run keeps only the open ones.
                inner.requests.retain(|r| r.epoch > epoch);
                return Some((epoch, report));
            }
            if inner.exited == self.local && inner.writing == 0 {
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

    #[test]
    fn a_live_epoch_also_needs_every_feed_and_nothing_follows_the_end() {
        let board = Board::new(2).with_feeds();
        let request = |epoch| Request {
            epoch,
            time: 7,
            last_ts: Some(3),
        };
        assert!(board.request(request(0)));
        assert_eq!(board.end(0), 1);
        assert_eq!(board.end(0), 1, "the same end for every worker");
        assert!(!board.request(request(2)), "refused after the end");
        assert_eq!(board.requests_from(0).len(), 2);
        for _ in 0..2 {
            board.snapshot_done(1, 0, 0);
            board.sink_done(1, vec![]);
        }
        let position = |resume| PartitionPosition {
            resume,
            consumed: resume,
        };
        board.feed_done(1, vec![(0, position(5))], Some(9));
        assert!(board.lock().reports[&1].feeds == 1);
        board.feed_done(1, vec![(1, position(6))], Some(8));
        let (epoch, report) = board.wait().unwrap();
        assert_eq!(
            (epoch, report.last_ts, report.positions.len()),
            (1, Some(9), 2)
        );
    }
}
