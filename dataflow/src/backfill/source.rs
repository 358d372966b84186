//! The input thread: reads the files again (the first pass planned the run),
//! writes rejected rows to the rejects file as it goes, and hands time
//! blocks to the dataflow through a bounded channel. Input in time order
//! streams straight through; any other order is spilled to time buckets
//! first (see [`super::spill`]).

use super::blocks::{Block, Cutter};
use super::progress::Progress;
use super::scan::InputPlan;
use super::spill::{bucket_starts, SpillWriter};
use crate::error::{Result, TickflowError};
use crate::reference::{actions, sectors, Action, Actions, SectorSchedule};
use crate::rejects::RejectsFile;
use crate::schema::ts_micros;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use tickflow_connectors::file::{BarFileReader, CsvOptions};
use tickflow_connectors::{BarBatch, Interner, RejectCounts, TsParser};

/// What the input thread needs.
pub struct Source<'a> {
    /// The input files, in order.
    pub files: &'a [PathBuf],
    /// Column mapping and the default symbol.
    pub options: &'a CsvOptions,
    /// Timestamp parsing.
    pub ts: &'a TsParser,
    /// Sectors over time, for rows without a sector column.
    pub sectors: &'a SectorSchedule,
    /// Corporate actions the input's bars are adjusted for.
    pub actions: &'a Actions,
    /// The first pass's findings.
    pub plan: &'a InputPlan,
    /// Workers.
    pub peers: usize,
    /// Stop once more rows than this are rejected (`--max-reject-rate`
    /// times the rows the first pass counted).
    pub max_rejects: u64,
    /// Block and bucket sizes.
    pub tuning: super::Tuning,
    /// The rejects file (written under a temporary name, renamed at the end).
    pub rejects_path: &'a Path,
    /// Where spill buckets go.
    pub spill_dir: &'a Path,
    /// Bars at or before this time are already in the store: skipped.
    pub after: Option<i64>,
}

/// What the input thread read.
#[derive(Debug, Default)]
pub struct SourceReport {
    /// Data rows.
    pub rows: u64,
    /// Rejections by reason.
    pub counts: RejectCounts,
    /// True when the input went through spill buckets.
    pub spilled: bool,
    /// Valid rows skipped as at or before [`Source::after`].
    pub skipped: u64,
}

impl Source<'_> {
    /// Reads everything, sending blocks to `tx`; stops early when `abort` is
    /// set or the receiver is gone.
    pub fn run(
        &self,
        tx: &SyncSender<Block>,
        abort: &AtomicBool,
        progress: &Progress,
    ) -> Result<SourceReport> {
        let mut report = SourceReport {
            spilled: !self.plan.time_ordered,
            ..Default::default()
        };
        let mut rejects = RejectsFile::create(self.rejects_path, self.files)?;
        let mut cutter = Cutter::new(self.peers, self.tuning.block_rows);
        let send = |block: Block| -> bool {
            progress.advance(block.rows as u64);
            !abort.load(Ordering::Relaxed) && tx.send(block).is_ok()
        };
        if self.plan.time_ordered {
            let done = self.read_all(&mut report, &mut rejects, abort, |bars| {
                cutter.push(bars);
                while let Some(block) = cutter.next_block(false) {
                    if !send(block) {
                        return Ok(false);
                    }
                }
                Ok(true)
            })?;
            if done {
                while let Some(block) = cutter.next_block(true) {
                    if !send(block) {
                        break;
                    }
                }
            }
        } else {
            progress.message("spilling to time buckets");
            let starts = bucket_starts(&self.plan.times, self.tuning.spill_bucket_rows);
            let dir = self.spill_dir;
            let mut spill =
                SpillWriter::create(dir, starts).map_err(|e| TickflowError::output(dir, e))?;
            let done = self.read_all(&mut report, &mut rejects, abort, |bars| {
                spill
                    .write(bars)
                    .map_err(|e| TickflowError::output(dir, e))?;
                Ok(true)
            })?;
            let mut buckets = spill.finish().map_err(|e| TickflowError::output(dir, e))?;
            progress.message("features");
            if done {
                'buckets: while let Some(bars) = buckets
                    .next_bucket(self.plan.ts_kind)
                    .map_err(|e| TickflowError::output(dir, e))?
                {
                    cutter.push_owned(bars);
                    while let Some(block) = cutter.next_block(true) {
                        if !send(block) {
                            break 'buckets;
                        }
                    }
                    cutter.release_drained();
                }
            }
            buckets.remove();
        }
        rejects.finish(self.rejects_path)?;
        Ok(report)
    }

    /// Reads every file in order, giving each batch of valid bars (symbol
    /// and sector ids from the plan) to `sink`; false from `sink` stops.
    fn read_all(
        &self,
        report: &mut SourceReport,
        rejects_file: &mut RejectsFile<'_>,
        abort: &AtomicBool,
        mut sink: impl FnMut(&BarBatch) -> Result<bool>,
    ) -> Result<bool> {
        let mut symbols: Interner = self.plan.symbols.clone();
        let mut sectors: Interner = self.plan.sectors.clone();
        // The sector schedule and the actions by symbol id.
        let mapped: Vec<sectors::Timeline> = symbols
            .names()
            .iter()
            .map(|sym| self.sectors.timeline(sym, |s| sectors.get(s)))
            .collect();
        let adjusting: Vec<&[Action]> = symbols
            .names()
            .iter()
            .map(|sym| self.actions.of(sym))
            .collect();
        let kind = self.plan.ts_kind;
        let mut batch = BarBatch::default();
        let mut rejects = Vec::new();
        for (index, path) in self.files.iter().enumerate() {
            let mut reader = BarFileReader::open(path, index as u32, self.options, &mut symbols)?;
            let go_on = loop {
                if abort.load(Ordering::Relaxed) {
                    break false;
                }
                batch.clear();
                batch.ts_kind = Some(self.plan.ts_kind);
                rejects.clear();
                let n = reader.read_batch(
                    self.ts,
                    &mut symbols,
                    &mut sectors,
                    &mut batch,
                    &mut rejects,
                )?;
                if n == 0 {
                    break true;
                }
                rejects_file.write(&rejects)?;
                if report.counts.total() + reader.reject_counts().total() > self.max_rejects {
                    break false;
                }
                for i in 0..batch.len() {
                    let (symbol, micros) = (batch.symbol[i] as usize, ts_micros(kind, batch.ts[i]));
                    if batch.sector[i].is_none() {
                        batch.sector[i] = mapped.get(symbol).and_then(|t| sectors::at(t, micros));
                    }
                    let of_symbol = adjusting.get(symbol).copied().unwrap_or_default();
                    actions::adjust(of_symbol, micros, &mut batch.bar[i]);
                }
                if let Some(after) = self.after {
                    report.skipped += batch.retain_after(after) as u64;
                }
                if !sink(&batch)? {
                    break false;
                }
            };
            report.rows += reader.rows();
            report.counts.merge(reader.reject_counts());
            if !go_on {
                return Ok(false);
            }
        }
        if symbols.len() != self.plan.symbols.len() || sectors.len() != self.plan.sectors.len() {
            return Err(TickflowError::Runtime(
                "the input changed between the two passes (new symbols or sectors appeared)".into(),
            ));
        }
        Ok(true)
    }
}
