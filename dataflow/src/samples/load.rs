//! The input bars of a samples run, per symbol in time order: every file is
//! read with the connectors' validation (rejected rows go to the rejects
//! file, counted by reason), and of two bars with the same symbol and time
//! the later one (by file, line) is kept and the other counted.

use crate::error::{Result, TickflowError};
use crate::rejects::RejectsFile;
use std::path::{Path, PathBuf};
use tickflow_connectors::file::{expand_inputs, BarFileReader, CsvOptions};
use tickflow_connectors::{BarBatch, Interner, RejectCounts, TsKind, TsParser};

/// One symbol's bars, sorted by time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The symbol.
    pub symbol: String,
    /// Bar times.
    pub ts: Vec<i64>,
    /// Opens.
    pub open: Vec<f64>,
    /// Highs.
    pub high: Vec<f64>,
    /// Lows.
    pub low: Vec<f64>,
    /// Closes.
    pub close: Vec<f64>,
    /// Volumes.
    pub volume: Vec<f64>,
}

impl Series {
    /// Bars.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True without bars.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The values of a bar column by name (`open`, `high`, `low`, `close`, `volume`).
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        Some(match name {
            "open" => &self.open,
            "high" => &self.high,
            "low" => &self.low,
            "close" => &self.close,
            "volume" => &self.volume,
            _ => return None,
        })
    }
}

/// Everything read.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Per symbol, in symbol name order.
    pub series: Vec<Series>,
    /// Dates or instants.
    pub ts_kind: Option<TsKind>,
    /// Data rows read.
    pub rows: u64,
    /// Rejections by reason.
    pub rejected: RejectCounts,
    /// Second copies of a (symbol, time) dropped.
    pub duplicates: u64,
}

/// Reads `inputs`; rejected rows go to `rejects_path`. More rejections than
/// `max_reject_rate` of the rows stop the run.
pub fn load(
    inputs: &[String],
    options: &CsvOptions,
    ts: &TsParser,
    rejects_path: &Path,
    max_reject_rate: f64,
) -> Result<Loaded> {
    let files: Vec<PathBuf> = expand_inputs(inputs)?;
    let mut rejects_file = RejectsFile::create(rejects_path, &files)?;
    let mut symbols = Interner::default();
    let mut sectors = Interner::default();
    let mut all = BarBatch::default();
    let mut out = Loaded::default();
    let mut rejects = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let mut reader = BarFileReader::open(path, i as u32, options, &mut symbols)?;
        loop {
            rejects.clear();
            let n = reader.read_batch(ts, &mut symbols, &mut sectors, &mut all, &mut rejects)?;
            rejects_file.write(&rejects)?;
            if n == 0 {
                break;
            }
        }
        out.rows += reader.rows();
        out.rejected.merge(reader.reject_counts());
    }
    rejects_file.finish(rejects_path)?;
    let rejected = out.rejected.total();
    if rejected as f64 > max_reject_rate * out.rows as f64 {
        return Err(TickflowError::TooManyRejects {
            rejected,
            rows: out.rows,
            rate: 100.0 * rejected as f64 / out.rows.max(1) as f64,
            max: 100.0 * max_reject_rate,
        });
    }
    out.ts_kind = all.ts_kind;
    // (symbol, ts, input order): the later copy of a (symbol, ts) wins
    let mut order: Vec<u32> = (0..all.len() as u32).collect();
    order.sort_unstable_by_key(|&r| {
        let r = r as usize;
        (all.symbol[r], all.ts[r], all.file[r], all.line[r])
    });
    // by interned id while filling, by name at the end
    let mut series: Vec<Series> = symbols
        .names()
        .iter()
        .map(|n| Series {
            symbol: n.clone(),
            ..Default::default()
        })
        .collect();
    for (k, &r) in order.iter().enumerate() {
        let r = r as usize;
        if let Some(&next) = order.get(k + 1) {
            let next = next as usize;
            if all.symbol[next] == all.symbol[r] && all.ts[next] == all.ts[r] {
                out.duplicates += 1;
                continue;
            }
        }
        let s = &mut series[all.symbol[r] as usize];
        let bar = &all.bar[r];
        s.ts.push(all.ts[r]);
        s.open.push(bar.open);
        s.high.push(bar.high);
        s.low.push(bar.low);
        s.close.push(bar.close);
        s.volume.push(bar.volume);
    }
    series.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    series.retain(|s| !s.is_empty());
    out.series = series;
    Ok(out)
}
