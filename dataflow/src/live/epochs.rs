//! The live run's main thread: turns every completed checkpoint into the
//! manifest (files, states, topic positions), and only once that manifest
//! is durable commits the positions to Kafka as the group's offsets.

use super::labels::LabelWriter;
use crate::durable::board::Board;
use crate::durable::failpoint;
use crate::durable::manifest::{drop_checkpoints_before, LivePositions, Manifest};
use crate::error::Result;
use crate::metrics;
use crate::schema::OutputSchema;
use std::cell::RefCell;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};
use tickflow_connectors::kafka::BarConsumer;
use tickflow_connectors::TsKind;

/// What the recorder needs.
pub(super) struct Recorder<'a> {
    pub board: &'a Board,
    pub root: &'a Path,
    pub workers: usize,
    /// A client of the group that commits the offsets.
    pub committer: &'a BarConsumer,
    /// The run's timestamp kind, once known.
    pub ts_kind: &'a OnceLock<TsKind>,
    /// The value columns.
    pub columns: &'a [String],
    pub float32: bool,
    /// Rewrites the labels after checkpoints (`--labels`).
    pub labels: Option<&'a RefCell<LabelWriter>>,
}

/// Records checkpoints until every worker has exited; the first failure
/// stops the run (the workers see it on the board).
pub(super) fn record(r: &Recorder<'_>, manifest: &mut Manifest) -> Result<()> {
    let base = manifest.current_run().clone();
    let mut outcome: Result<()> = Ok(());
    while let Some((epoch, report)) = r.board.wait() {
        if outcome.is_err() {
            continue;
        }
        let previous = manifest.positions.take();
        let prev_cut = previous.as_ref().map_or(i64::MIN, |p| p.cut);
        let cut = report
            .last_ts
            .map_or(prev_cut, |t| t.saturating_add(1))
            .max(prev_cut);
        let mut partitions = previous.map(|p| p.partitions).unwrap_or_default();
        partitions.extend(report.positions);
        let commits: Vec<(i32, i64)> = partitions.iter().map(|(&p, at)| (p, at.resume)).collect();
        manifest.positions = Some(LivePositions { cut, partitions });
        let last_ts = (cut != i64::MIN).then(|| cut - 1);
        manifest.record_epoch(epoch, report.files, last_ts, r.workers);
        if manifest.ts.is_empty() {
            if let Some(&kind) = r.ts_kind.get() {
                let schema = OutputSchema::new(kind, r.columns.to_vec(), r.float32);
                manifest.ts = crate::durable::manifest::ts_name(kind).into();
                manifest.columns = schema.column_names();
            }
        }
        let run = manifest.current_run();
        run.duplicates = base.duplicates + report.duplicates;
        run.corrections = base.corrections + report.corrections;
        outcome = manifest.save(r.root).and_then(|()| {
            r.board.mark_durable();
            let m = metrics::global();
            m.checkpoints.inc();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            m.last_checkpoint_seconds.set(now);
            failpoint::hit("after_manifest");
            if let Some(l) = r.labels {
                l.borrow_mut().checkpointed();
            }
            // The manifest holds the positions; a failed commit only
            // leaves the group's offsets behind (a hint, never the truth).
            if let Err(e) = r.committer.commit(&commits) {
                m.kafka_errors.with_label_values(&["commit"]).inc();
                eprintln!("warning: {e}");
            }
            drop_checkpoints_before(r.root, manifest)
        });
        if let Err(e) = &outcome {
            r.board
                .fail(format!("the manifest could not be written: {e}"));
        }
    }
    outcome
}
