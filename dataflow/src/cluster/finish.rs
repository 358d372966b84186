//! How a worker leaves a run, in any process of a cluster: its main
//! dataflow drains while its process's checkpoint reports keep going to
//! process 0, then the reports route closes. [`Leave`] marks the worker
//! gone on its board exactly once, also when it unwinds (a lost cluster
//! process makes every worker panic), so that the manifest writer never
//! waits for a worker that is gone.

use super::peers;
use super::relay::Reports;
use crate::durable::board::Board;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use timely::worker::Worker;

/// Marks a worker gone on its board (once); a panic stops the run.
pub struct Leave<'a> {
    board: &'a Board,
    abort: &'a AtomicBool,
    left: bool,
}

impl<'a> Leave<'a> {
    /// A worker of the process whose board and abort flag these are.
    pub fn new(board: &'a Board, abort: &'a AtomicBool) -> Self {
        Self {
            board,
            abort,
            left: false,
        }
    }

    /// The worker is gone (only the first call counts).
    pub fn now(&mut self) {
        if !self.left {
            self.left = true;
            self.board.exited();
        }
    }
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.abort.store(true, Ordering::SeqCst);
            self.board
                .fail(peers::lost().unwrap_or_else(|| "a worker panicked (see above)".into()));
        }
        self.now();
    }
}

/// Steps `worker` until the dataflow numbered `main` (whose inputs this
/// worker has dropped) is done, forwarding its process's reports; then
/// closes the reports route and steps the rest out. A relaying process's
/// workers leave once the main dataflow is done (its first worker waits for
/// them before closing the reports); process 0's only when every report
/// has arrived, so that its manifest writer does not stop early.
pub fn finish(worker: &mut Worker, main: usize, mut reports: Reports, leave: &mut Leave<'_>) {
    while worker.installed_dataflows().contains(&main) {
        reports.forward();
        worker.step_or_park(Some(Duration::from_millis(5)));
    }
    if leave.board.relays() && !reports.forwards() {
        leave.now();
    }
    reports.close(worker);
    // (`step_or_park` parks even with no dataflow left: ask first.)
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    leave.now();
}
