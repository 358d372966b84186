//! `tickflow demo`: the README's first command. Generates a small universe,
//! backfills it into a store, prints the run's summary and a preview of
//! the store (its last bar time), read back through `tickflow query`.

use std::io::Write;
use std::path::Path;
use tickflow::backfill::{self, BackfillArgs};
use tickflow::query::{self, print, QueryArgs};
use tickflow::{Result, TickflowError};

/// The preview's columns after `symbol` and `ts`.
const PREVIEW_COLUMNS: [&str; 6] = [
    "sector",
    "close",
    "ret_1",
    "rsi_14",
    "cs_rank_ret_1",
    "sector_z_ret_1",
];

/// Rows the preview shows.
const PREVIEW_ROWS: usize = 5;

/// Runs the demo under `dir` (created; its store replaced).
pub fn demo(dir: &Path) -> Result<()> {
    let io = |e: std::io::Error| TickflowError::Output {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let input = dir.join("universe.csv");
    let rows =
        tickflow::gen::generate(&input, 300, 750, 7, tickflow::gen::GenOrder::Time).map_err(io)?;
    println!(
        "generated {rows} bars of 300 symbols over 750 days: {}",
        input.display()
    );
    let store = dir.join("store");
    let _ = std::fs::remove_dir_all(&store);
    let args = BackfillArgs::new(vec![input.display().to_string()], store.clone());
    let s = backfill::run(&args)?;
    crate::print_summary(&s, &store);
    println!(
        "  read it: polars.scan_parquet(\"{}/**/*.parquet\", hive_partitioning=True)",
        store.display()
    );
    preview(&store)
}

/// Prints the first rows of the store's last bar time, and the query that
/// shows them all.
fn preview(store: &Path) -> Result<()> {
    let result = query::query(&QueryArgs {
        store: store.to_path_buf(),
        columns: Some(PREVIEW_COLUMNS.iter().map(|c| c.to_string()).collect()),
        ..Default::default()
    })?;
    let batch = &result.batch;
    let Some(ts) = batch.column_by_name("ts") else {
        return Ok(());
    };
    let ts = query::ts_values(ts);
    let Some(&last) = ts.last() else {
        println!("(the store has no rows)");
        return Ok(());
    };
    // Rows are sorted by (ts, symbol): the last bar time's come last.
    let first = ts.partition_point(|&t| t < last);
    let shown = batch.slice(first, PREVIEW_ROWS.min(ts.len() - first));
    let day = print::cell(&shown.columns()[1], 0);
    println!(
        "\npreview, the last bar time (all of it: tickflow query {} --from {day} --columns {}):",
        store.display(),
        PREVIEW_COLUMNS.join(",")
    );
    let mut out = std::io::stdout().lock();
    print::write_table(&shown, &mut out)
        .and_then(|()| out.flush())
        .map_err(|e| TickflowError::Output {
            path: "standard output".into(),
            message: e.to_string(),
        })
}
