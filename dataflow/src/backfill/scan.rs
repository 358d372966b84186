//! The first pass over the input: reads the keys of every row (symbol, time,
//! sector; columnar files skip the bar columns; `tickflow inspect` reads and
//! validates whole rows instead) and learns what the run needs
//! before any output is written: the symbols and sectors (ids in name order,
//! so that id order is output order), the timestamp kind, whether the rows
//! already come in time order, how many rows each bar time has (to plan the
//! spill buckets and show progress) and the total row count.

use crate::reference::SectorSchedule;
use std::path::PathBuf;
use tickflow_connectors::file::{BarFileReader, CsvOptions};
use tickflow_connectors::{
    BarBatch, ConnectorError, FastMap, Interner, RejectCounts, TsKind, TsParser,
};

/// What the first pass learned.
#[derive(Debug, Clone)]
pub struct InputPlan {
    /// Every symbol, ids in name order.
    pub symbols: Interner,
    /// Every sector (from the input and the sector map), ids in name order.
    pub sectors: Interner,
    /// Dates or instants (dates when there is no valid row).
    pub ts_kind: TsKind,
    /// Data rows (valid and rejected).
    pub rows: u64,
    /// Rejections by reason (key faults only, when only keys were read).
    pub rejected: RejectCounts,
    /// True when the valid rows, file after file, never go back in time.
    pub time_ordered: bool,
    /// Each bar time with its number of rows with valid keys, in time order.
    pub times: Vec<(i64, u64)>,
}

impl InputPlan {
    /// Rows with valid keys (an upper bound on the valid rows).
    pub fn keyed_rows(&self) -> u64 {
        self.times.iter().map(|t| t.1).sum()
    }
}

/// Reads every file once (see the module docs): only the keys with
/// `keys_only`, else whole validated rows.
pub fn scan(
    files: &[PathBuf],
    options: &CsvOptions,
    ts: &TsParser,
    sector_schedule: &SectorSchedule,
    keys_only: bool,
) -> Result<InputPlan, ConnectorError> {
    let mut symbols = Interner::default();
    let mut sectors = Interner::default();
    for s in sector_schedule.sectors() {
        sectors.intern(s);
    }
    let mut counts: FastMap<i64, u64> = FastMap::default();
    let mut run = 0u64;
    let (mut rows, mut last, mut time_ordered) = (0u64, i64::MIN, true);
    let mut ts_kind = None;
    let mut rejected = RejectCounts::default();
    let mut batch = BarBatch::default();
    let mut rejects = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let index = index as u32;
        let mut reader = if keys_only {
            BarFileReader::open_keys(path, index, options, &mut symbols)?
        } else {
            BarFileReader::open(path, index, options, &mut symbols)?
        };
        loop {
            batch.clear();
            batch.ts_kind = ts_kind;
            rejects.clear();
            let n = reader.read_batch(ts, &mut symbols, &mut sectors, &mut batch, &mut rejects)?;
            if n == 0 {
                break;
            }
            ts_kind = ts_kind.or(batch.ts_kind);
            for &t in &batch.ts {
                if t != last {
                    time_ordered &= t > last;
                    if run > 0 {
                        *counts.entry(last).or_default() += run;
                    }
                    (last, run) = (t, 0);
                }
                run += 1;
            }
        }
        rows += reader.rows();
        rejected.merge(reader.reject_counts());
    }
    if run > 0 {
        *counts.entry(last).or_default() += run;
    }
    let mut times: Vec<(i64, u64)> = counts.into_iter().collect();
    times.sort_unstable();
    Ok(InputPlan {
        symbols: symbols.sorted(),
        sectors: sectors.sorted(),
        ts_kind: ts_kind.unwrap_or(TsKind::Date),
        rows,
        rejected,
        time_ordered,
        times,
    })
}
