//! `tickflow market`: a panel's equal-weight market series, the mean of its
//! symbols' `ret_1` (`ln(close / previous close)`, each over the symbol's
//! own previous bar) at each bar time, written as the `date,ret_1,members`
//! file `--market` reads. Sums run in symbol-name order, so the series does
//! not depend on the input's row order. Built from the bars as read: give
//! adjusted bars for an index over splits and dividends.

use crate::durable::manifest::write_atomic;
use crate::error::{Result, TickflowError};
use crate::inspect::format_ts;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use tickflow_connectors::file::{expand_inputs, BarFileReader, CsvOptions};
use tickflow_connectors::{BarBatch, Interner, TsKind, TsParser};

/// What [`build`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// Bar times written (the first with a blank return).
    pub times: usize,
    /// Symbols read.
    pub symbols: usize,
    /// Valid bars read.
    pub bars: u64,
    /// Invalid rows skipped.
    pub rejected: u64,
}

/// Reads `inputs` and writes their equal-weight market series to `output`.
pub fn build(
    inputs: &[String],
    options: &CsvOptions,
    ts: &TsParser,
    output: &Path,
) -> Result<Built> {
    let files = expand_inputs(inputs)?;
    let (mut symbols, mut sectors) = (Interner::default(), Interner::default());
    // symbol id -> (time, close), later rows of a time replacing earlier
    let mut closes: Vec<BTreeMap<i64, f64>> = Vec::new();
    let (mut batch, mut rejects) = (BarBatch::default(), Vec::new());
    let (mut kind, mut bars, mut rejected) = (None::<TsKind>, 0u64, 0u64);
    for (index, path) in files.iter().enumerate() {
        let mut reader = BarFileReader::open(path, index as u32, options, &mut symbols)?;
        loop {
            batch.clear();
            batch.ts_kind = kind;
            rejects.clear();
            if reader.read_batch(ts, &mut symbols, &mut sectors, &mut batch, &mut rejects)? == 0 {
                break;
            }
            kind = kind.or(batch.ts_kind);
            rejected += rejects.len() as u64;
            for i in 0..batch.len() {
                let s = batch.symbol[i] as usize;
                if closes.len() <= s {
                    closes.resize_with(s + 1, BTreeMap::new);
                }
                closes[s].insert(batch.ts[i], batch.bar[i].close);
                bars += 1;
            }
        }
    }
    let kind = kind.ok_or_else(|| TickflowError::Config {
        path: inputs.join(" "),
        message: "no valid bars".into(),
    })?;
    let mut order: Vec<usize> = (0..closes.len()).collect();
    order.sort_by(|&a, &b| symbols.name(a as u32).cmp(symbols.name(b as u32)));
    // time -> (sum of returns, members)
    let mut by_time: BTreeMap<i64, (f64, u32)> = BTreeMap::new();
    for s in order {
        let mut previous: Option<f64> = None;
        for (&t, &close) in &closes[s] {
            let entry = by_time.entry(t).or_insert((0.0, 0));
            if let Some(p) = previous {
                entry.0 += (close / p).ln();
                entry.1 += 1;
            }
            previous = Some(close);
        }
    }
    let column = match kind {
        TsKind::Date => "date",
        TsKind::Micros => "ts",
    };
    let mut text = format!("{column},ret_1,members\n");
    let mut times = 0;
    for (k, (&t, &(sum, n))) in by_time.iter().enumerate() {
        // A later time without returns (only first bars) leaves the level
        // as it was: no row.
        match (k, n) {
            (0, 0) => writeln!(text, "{},,0", format_ts(kind, t)),
            (_, 0) => continue,
            _ => writeln!(text, "{},{:?},{n}", format_ts(kind, t), sum / n as f64),
        }
        .expect("writing to a String");
        times += 1;
    }
    write_atomic(output, text.as_bytes())?;
    Ok(Built {
        times,
        symbols: closes.len(),
        bars,
        rejected,
    })
}
