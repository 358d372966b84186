//! A live run's market symbol (`--market-symbol SPY`): the bars of one of
//! the topic's symbols are the market series that `beta` and `corr` pair
//! every symbol with, as a backfill's `--market` file of its closes would
//! be. The feed that reads the symbol's bar at a bar time sends its close
//! to every worker with that time's bars
//! ([`crate::ops::MarketLevels::Live`]), so each symbol's bar sees the
//! market's latest close at or before its time; the symbol's own row is
//! computed as any other's. A resumed run starts from the symbol's last
//! stored close, and revisions replay against its stored closes.

use crate::error::Result;
use crate::query::{scan, ts_values, QueryArgs};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::Array;
use std::path::Path;
use tickflow_connectors::TsKind;

/// `symbol`'s stored (time, close) pairs after `after` (all without).
pub fn stored_closes(root: &Path, symbol: &str, after: Option<i64>) -> Result<Vec<(i64, f64)>> {
    let scanned = scan(&QueryArgs {
        store: root.to_path_buf(),
        symbols: Some(vec![symbol.to_string()]),
        columns: Some(vec!["close".into()]),
        after,
        ..Default::default()
    })?;
    let mut out = Vec::new();
    for batch in &scanned.batches {
        let ts = ts_values(batch.column(1));
        let close = batch.column(2).as_primitive::<Float64Type>();
        for (r, &t) in ts.iter().enumerate() {
            if !close.is_null(r) {
                out.push((t, close.value(r)));
            }
        }
    }
    Ok(out)
}

/// The log of `symbol`'s last stored close at or before `last_ts` (the
/// checkpoint's last bar time), if it has one.
pub fn last_level(root: &Path, symbol: &str, kind: TsKind, last_ts: i64) -> Result<Option<f64>> {
    // The last few weeks first; the whole store only if it is not there.
    let window = match kind {
        TsKind::Date => 40,
        TsKind::Micros => 7 * 86_400_000_000,
    };
    let mut closes = stored_closes(root, symbol, Some(last_ts - window))?;
    if closes.is_empty() {
        closes = stored_closes(root, symbol, None)?;
    }
    Ok(closes
        .into_iter()
        .filter(|&(t, _)| t <= last_ts)
        .max_by_key(|&(t, _)| t)
        .map(|(_, c)| c.ln()))
}
