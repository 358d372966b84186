//! Labels of a live run (`--labels`): `STORE/labels/` rewritten from the
//! durable store on a background thread after a checkpoint, at most once
//! per `--labels-interval`, and once more at the end of the run. A label
//! row appears only once its symbol's bar of the longest horizon is in the
//! store (see [`crate::labels`]), so a live run never writes a label before
//! its horizon has passed. Each rewrite reads the store's closes: its cost
//! grows with the store, not with the new bars.

use crate::labels::{write_labels, LabelsSummary};
use crate::{Result, TickflowError};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Rewrites a live store's labels now and then.
pub struct LabelWriter {
    store: PathBuf,
    horizons: Vec<usize>,
    interval: Duration,
    last: Option<Instant>,
    running: Option<JoinHandle<Result<LabelsSummary>>>,
}

impl LabelWriter {
    /// Labels at `horizons` for `store`, at most every `interval`.
    pub fn new(store: PathBuf, horizons: Vec<usize>, interval: Duration) -> Self {
        Self {
            store,
            horizons,
            interval,
            last: None,
            running: None,
        }
    }

    /// After a durable checkpoint: starts a rewrite unless one is running
    /// or the last started less than `interval` ago. A failed rewrite is
    /// reported as a warning (the next one starts from the store again).
    pub fn checkpointed(&mut self) {
        if self.running.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        if let Some(Err(e)) = self.running.take().map(join) {
            eprintln!("warning: labels: {e}");
        }
        if self.last.is_some_and(|l| l.elapsed() < self.interval) {
            return;
        }
        self.last = Some(Instant::now());
        let (store, horizons) = (self.store.clone(), self.horizons.clone());
        self.running = std::thread::Builder::new()
            .name("tickflow-labels".into())
            .spawn(move || write_labels(&store, &horizons))
            .map_err(|e| eprintln!("warning: labels: no thread: {e}"))
            .ok();
    }

    /// At the end of the run, once the last manifest is saved: waits for a
    /// running rewrite and writes the labels of the whole store.
    pub fn finish(mut self) -> Result<LabelsSummary> {
        if let Some(h) = self.running.take() {
            let _ = join(h);
        }
        write_labels(&self.store, &self.horizons)
    }
}

fn join(h: JoinHandle<Result<LabelsSummary>>) -> Result<LabelsSummary> {
    h.join()
        .unwrap_or_else(|_| Err(TickflowError::Runtime("the labels thread panicked".into())))
}
