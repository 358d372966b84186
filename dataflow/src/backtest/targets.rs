//! `targets.parquet` (`tickflow backtest --targets`): every portfolio a
//! signal forms, one row per ranked name: `ts`, `symbol`, `score` (the
//! signal's value), `quantile` (0: lowest) and `weight` (0 in the middle
//! buckets). These are the rows the live pipeline publishes on its signals
//! topic for the same bars: both come from [`signal::combine`](super::signal::combine),
//! [`signal::liquid_enough`](super::signal::liquid_enough), [`portfolio::ranked`] and
//! [`portfolio::targets`]. The weights are the picks at the signal's bar;
//! a pick without a bar at the execution bar is not bought.

use super::{portfolio, Backtest, Panel};
use crate::query::print::write_parquet;
use crate::schema::{ts_array, ts_type};
use crate::{Result, TickflowError};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use std::path::Path;
use std::sync::Arc;

/// Writes `targets.parquet` of backtest `b` into `dir`; returns its rows.
pub fn write(dir: &Path, panel: &Panel, b: &Backtest) -> Result<usize> {
    let (config, values, eligible) = (&b.config, &b.values, &b.eligible);
    let width = panel.width();
    let (mut ts, mut symbol, mut score, mut quantile, mut weight) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in portfolio::rebalances(config, panel.ts.len()) {
        let ranked = portfolio::ranked(width, t, values, eligible);
        for p in portfolio::targets(config, &ranked) {
            ts.push(panel.ts[t]);
            symbol.push(panel.symbols[p.index].as_str());
            score.push(values[t * width + p.index]);
            quantile.push(p.quantile as u32);
            weight.push(p.weight);
        }
    }
    let rows = ts.len();
    let schema = Schema::new(vec![
        Field::new("ts", ts_type(panel.ts_kind), false),
        Field::new("symbol", DataType::Utf8, false),
        Field::new("score", DataType::Float64, false),
        Field::new("quantile", DataType::UInt32, false),
        Field::new("weight", DataType::Float64, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        ts_array(panel.ts_kind, ts),
        Arc::new(StringArray::from(symbol)),
        Arc::new(Float64Array::from(score)),
        Arc::new(UInt32Array::from(quantile)),
        Arc::new(Float64Array::from(weight)),
    ];
    let err = |message: String| TickflowError::Output {
        path: dir.display().to_string(),
        message,
    };
    let batch = RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| err(e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    write_parquet(&batch, &dir.join("targets.parquet")).map_err(|e| err(e.to_string()))?;
    Ok(rows)
}
