//! The first pass over the input: validates every row and learns what the
//! run needs before any output is written: the symbols and sectors (ids in
//! name order, so that id order is output order), the timestamp kind,
//! whether the rows already come in time order, how many rows each bar time
//! has (to plan the spill buckets), and the rejection counts (so that a run
//! over mostly bad input stops before it starts).

use std::collections::HashMap;
use std::path::PathBuf;
use tickflow_connectors::file::{BarFileReader, CsvOptions};
use tickflow_connectors::{BarBatch, ConnectorError, Interner, RejectCounts, TsKind, TsParser};

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
    /// Rejections by reason.
    pub rejected: RejectCounts,
    /// True when the valid rows, file after file, never go back in time.
    pub time_ordered: bool,
    /// Each bar time with its number of valid rows, in time order.
    pub times: Vec<(i64, u64)>,
}

impl InputPlan {
    /// Valid rows.
    pub fn valid_rows(&self) -> u64 {
        self.times.iter().map(|t| t.1).sum()
    }
}

/// Reads every file once (see the module docs).
pub fn scan(
    files: &[PathBuf],
    options: &CsvOptions,
    ts: &TsParser,
    sector_map: &HashMap<String, String>,
) -> Result<InputPlan, ConnectorError> {
    let mut symbols = Interner::default();
    let mut sectors = Interner::default();
    for s in sector_map.values() {
        sectors.intern(s);
    }
    let mut counts: HashMap<i64, u64> = HashMap::new();
    let mut rejected = RejectCounts::default();
    let (mut rows, mut last, mut time_ordered) = (0u64, i64::MIN, true);
    let mut ts_kind = None;
    let mut batch = BarBatch::default();
    let mut rejects = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let mut reader = BarFileReader::open(path, index as u32, options, &mut symbols)?;
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
                time_ordered &= t >= last;
                last = t;
                *counts.entry(t).or_default() += 1;
            }
        }
        rows += reader.rows();
        rejected.merge(reader.reject_counts());
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
