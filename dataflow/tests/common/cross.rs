//! Cross-sections recomputed in the tests, sharing nothing with the
//! kernels: a store's cells by (ts, symbol) and population z-scores.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};
use std::collections::BTreeMap;

/// A row's sector and two float columns (null: `None`).
pub type Cell = (Option<String>, Option<f64>, Option<f64>);

/// Cells by (ts, symbol).
pub type Cells = BTreeMap<(i64, String), Cell>;

/// `batch`'s sector and two float columns by (ts, symbol).
pub fn cells(batch: &RecordBatch, input: &str, output: &str) -> Cells {
    let symbol = batch.column(0).as_string::<i32>();
    let ts = tickflow::query::ts_values(batch.column(1));
    let sector = batch.column_by_name("sector").unwrap().as_string::<i32>();
    let float = |name: &str| {
        let c = batch.column_by_name(name).unwrap();
        c.as_primitive::<Float64Type>().clone()
    };
    let (x, y) = (float(input), float(output));
    let get = |a: &arrow_array::Float64Array, r: usize| (!a.is_null(r)).then(|| a.value(r));
    (0..batch.num_rows())
        .map(|r| {
            let s = (!sector.is_null(r)).then(|| sector.value(r).to_string());
            let key = (ts[r], symbol.value(r).to_string());
            (key, (s, get(&x, r), get(&y, r)))
        })
        .collect()
}

/// The cells at bar time `t`.
pub fn at(cells: &Cells, t: i64) -> impl Iterator<Item = (&String, &Cell)> {
    cells
        .range((t, String::new())..(t + 1, String::new()))
        .map(|((_, s), c)| (s, c))
}

/// Population z-scores of `values` (None below two values or without
/// spread).
pub fn z_scores(values: &[f64]) -> Option<Vec<f64>> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (values.len() >= 2 && var > 0.0)
        .then(|| values.iter().map(|v| (v - mean) / var.sqrt()).collect())
}

/// Asserts `got` equals `want` to 1e-9 relative.
pub fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}
