//! Forward-return labels as their own dataset beside a store: `labels/`,
//! with the store's partitioning and keys and a manifest of its own, so
//! `tickflow query STORE/labels` reads it and model training joins it to the
//! features on `(symbol, ts)`. `fwd_ret_<h>` = close at bar i+h / close at
//! bar i - 1 over each symbol's rows in the store; a label row is written
//! only once the bar of its longest horizon is in the store, so a label is
//! never written before its horizon has passed. Each run rewrites the
//! dataset from the store: new files under new names, then the manifest,
//! then the old files go.

use crate::durable::manifest::{
    prune, store_error, ts_name, Manifest, RunKind, RunRecord, StoreFile,
};
use crate::query::{self, print, QueryArgs};
use crate::sink::partition_of;
use crate::{Result, TickflowError};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// The labels directory of a store.
pub const LABELS: &str = "labels";

/// What a labels run wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LabelsSummary {
    /// Label rows.
    pub rows: u64,
    /// Store rows whose longest horizon has not arrived yet.
    pub pending: u64,
    /// Files.
    pub files: usize,
}

/// Checks label horizons: one or more, each at least one bar.
pub fn check_horizons(horizons: &[usize]) -> Result<()> {
    if horizons.is_empty() || horizons.contains(&0) {
        return Err(TickflowError::Config {
            path: "--labels".into(),
            message: "give one or more horizons of at least one bar, e.g. 1,5,20".into(),
        });
    }
    Ok(())
}

/// Writes `STORE/labels/` for `horizons` (bars).
pub fn write_labels(store: &Path, horizons: &[usize]) -> Result<LabelsSummary> {
    check_horizons(horizons)?;
    let rows = query::query(&QueryArgs {
        store: store.to_path_buf(),
        columns: Some(vec!["close".into()]),
        ..Default::default()
    })?;
    let batch = &rows.batch;
    let ts = query::ts_values(batch.column(1));
    let symbols = batch.column(0).as_string::<i32>();
    let close = batch.column(2).as_primitive::<Float64Type>();
    // each symbol's rows, in time order (the batch is in (ts, symbol) order)
    let mut by_symbol: HashMap<&str, Vec<u32>> = HashMap::new();
    for r in 0..batch.num_rows() {
        by_symbol
            .entry(symbols.value(r))
            .or_default()
            .push(r as u32);
    }
    let longest = *horizons.iter().max().expect("checked");
    // row r's labels at values[r * k..(r + 1) * k], when labelled[r]
    let k = horizons.len();
    let mut values = vec![0.0; batch.num_rows() * k];
    let mut labelled = vec![false; batch.num_rows()];
    let mut pending = 0u64;
    for rows in by_symbol.values() {
        for (i, &r) in rows.iter().enumerate() {
            let row = r as usize;
            if i + longest >= rows.len() {
                pending += 1;
                continue;
            }
            let c = close.value(row);
            for (slot, &h) in values[row * k..(row + 1) * k].iter_mut().zip(horizons) {
                *slot = close.value(rows[i + h] as usize) / c - 1.0;
            }
            labelled[row] = true;
        }
    }
    // the labelled rows per partition, in (ts, symbol) order
    let mut partitions: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (r, &is) in labelled.iter().enumerate() {
        if is {
            partitions
                .entry(partition_of(rows.ts_kind, ts[r]))
                .or_default()
                .push(r as u32);
        }
    }
    let dir = store.join(LABELS);
    let old = Manifest::load(&dir)?;
    // files of a rewrite that died before its manifest
    prune(&dir, old.as_ref())?;
    let mut manifest = Manifest::new(
        serde_json::json!({ "horizons": horizons, "store_rows": batch.num_rows() }),
        RunRecord::new(RunKind::Build, Vec::new()),
    );
    manifest.next_seq = old.as_ref().map_or(0, |m| m.next_seq);
    manifest.ts = ts_name(rows.ts_kind).into();
    let mut fields = vec![
        batch.schema().field(0).clone(),
        batch.schema().field(1).clone(),
    ];
    fields.extend(
        horizons
            .iter()
            .map(|h| Field::new(format!("fwd_ret_{h}"), DataType::Float64, false)),
    );
    let schema = Arc::new(Schema::new(fields));
    manifest.columns = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut files = Vec::new();
    for (partition, rows_of) in &partitions {
        let take = UInt32Array::from(rows_of.clone());
        let mut columns: Vec<ArrayRef> = vec![
            arrow_select::take::take(batch.column(0), &take, None)
                .map_err(|e| store_error(&dir, e.to_string()))?,
            arrow_select::take::take(batch.column(1), &take, None)
                .map_err(|e| store_error(&dir, e.to_string()))?,
        ];
        for h in 0..k {
            columns.push(Arc::new(Float64Array::from(
                rows_of
                    .iter()
                    .map(|&r| values[r as usize * k + h])
                    .collect::<Vec<_>>(),
            )));
        }
        let part = RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| store_error(&dir, e.to_string()))?;
        let relative = format!("{partition}/part-{:08}.parquet", manifest.next_seq);
        manifest.next_seq += 1;
        let path = dir.join(&relative);
        std::fs::create_dir_all(path.parent().expect("a partition"))
            .and_then(|()| print::write_parquet(&part, &path))
            .map_err(|e| store_error(&path, e.to_string()))?;
        files.push(StoreFile {
            path: relative,
            partition: partition.clone(),
            rows: part.num_rows() as u64,
        });
    }
    let summary = LabelsSummary {
        rows: files.iter().map(|f| f.rows).sum(),
        pending,
        files: files.len(),
    };
    manifest.add_files(files);
    manifest.current_run().complete = true;
    manifest.complete = true;
    manifest.save(&dir)?;
    // the previous run's files are no longer listed
    if let Some(old) = old {
        for f in &old.files {
            let _ = std::fs::remove_file(dir.join(&f.path));
        }
    }
    Ok(summary)
}
