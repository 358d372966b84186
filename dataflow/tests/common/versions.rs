//! Reading a store's rows through `tickflow query` (latest or as of a
//! time) and comparing them bit for bit, for the revision tests.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};
use std::path::Path;
use tickflow::query::{query, QueryArgs};

/// The store's rows, as of `as_of` (latest when `None`), up to bar time `to`.
pub fn rows(store: &Path, as_of: Option<&str>, to: Option<&str>) -> RecordBatch {
    query(&QueryArgs {
        store: store.to_path_buf(),
        as_of: as_of.map(String::from),
        to: to.map(String::from),
        ..Default::default()
    })
    .unwrap()
    .batch
}

/// (symbol, ts, sector, the float columns' bits): every column but `known_at`.
pub type Row = (String, i64, Option<String>, Vec<Option<u64>>);

/// `batch`'s rows as [`Row`]s.
pub fn values(batch: &RecordBatch) -> Vec<Row> {
    let symbol = batch.column(0).as_string::<i32>();
    let ts = tickflow::query::ts_values(batch.column(1));
    let sector = batch.column(2).as_string::<i32>();
    let floats: Vec<_> = batch
        .columns()
        .iter()
        .filter_map(|c| c.as_primitive_opt::<Float64Type>())
        .collect();
    (0..batch.num_rows())
        .map(|r| {
            let v = floats
                .iter()
                .map(|a| (!a.is_null(r)).then(|| a.value(r).to_bits()))
                .collect();
            let sector = (!sector.is_null(r)).then(|| sector.value(r).to_string());
            (symbol.value(r).to_string(), ts[r], sector, v)
        })
        .collect()
}

/// Asserts that the store's view as of a time after `original` was read
/// (its rows before an append), up to `original`'s last bar time, is
/// `original`: what the append revised stays readable as first published.
/// Returns that last bar time.
pub fn assert_known_before(store: &Path, original: &RecordBatch, what: &str) -> i64 {
    let last = tickflow::query::ts_values(original.column(1))
        .into_iter()
        .max()
        .unwrap();
    let before = rows(store, Some("2020-01-01"), Some(&super::date_of(last)));
    assert_eq!(before, *original, "{what}");
    last
}

/// Panics at the first row where `got` and `expected` differ (every column
/// but `known_at`).
pub fn assert_same(got: &RecordBatch, expected: &RecordBatch, what: &str) {
    let (a, b) = (values(got), values(expected));
    assert_eq!(a.len(), b.len(), "{what}: row count");
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("{what}: first row unlike: ({}, {})", a[i].0, a[i].1);
    }
}
