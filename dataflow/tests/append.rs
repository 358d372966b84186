//! Incremental append on real S&P 500 data: a store of the first four
//! years, its input deleted, plus the fifth year appended equals a one-shot
//! backfill of all five, bit for bit; an append under changed settings is
//! refused with what changed and the command that rebuilds; rows already in
//! the store are skipped and counted; an input appended twice is refused.

mod common;

use common::{bits, data, read_store, sp500_args};
use std::path::{Path, PathBuf};
use tickflow::backfill::{self, BackfillArgs};
use tickflow::durable::Manifest;

/// The first day of the fifth year of the panel.
const SPLIT: &str = "2017-02-08";

fn split_panel(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let text = common::sp500_text();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut old, mut new, mut overlap) = (
        format!("{header}\n"),
        format!("{header}\n"),
        format!("{header}\n"),
    );
    for line in lines {
        let date = &line[..10];
        let target = if date < SPLIT { &mut old } else { &mut new };
        target.push_str(line);
        target.push('\n');
        if date == "2017-02-07" {
            overlap.push_str(line);
            overlap.push('\n');
        }
    }
    let paths = ["old.csv", "new.csv", "overlap.csv"].map(|n| dir.join(n));
    for (p, t) in paths.iter().zip([old, new, overlap]) {
        std::fs::write(p, t).unwrap();
    }
    let [a, b, c] = paths;
    (a, b, c)
}

fn append(input: &Path, output: &Path) -> BackfillArgs {
    BackfillArgs {
        append: true,
        ..sp500_args(input, output, 2)
    }
}

#[test]
fn append_equals_a_full_rebuild_and_refuses_what_would_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new, overlap) = split_panel(tmp.path());
    let store = tmp.path().join("store");

    // appending to nothing is an error
    let err = backfill::run(&append(&new, &store))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no tickflow store here"), "{err}");

    let first = backfill::run(&sp500_args(&old, &store, 2)).unwrap();
    assert!(first.rows_out > 450_000);
    std::fs::remove_file(&old).unwrap();

    // a changed setting: refused, nothing touched
    let before = std::fs::read(store.join("_manifest.json")).unwrap();
    let mut changed = append(&new, &store);
    changed.config.cross_section.min_count = 5;
    changed.config.features[5] = tickflow_operators::FeatureDef::new("sma", &[("period", 50)]);
    let err = backfill::run(&changed).unwrap_err().to_string();
    assert!(err.contains("cross_section.min_count: 1 -> 5"), "{err}");
    assert!(err.contains("features[5].period: 20 -> 50"), "{err}");
    assert!(err.contains("tickflow backfill --input"), "{err}");
    assert!(err.contains("old.csv") && err.contains("new.csv"), "{err}");
    assert_eq!(std::fs::read(store.join("_manifest.json")).unwrap(), before);

    // the fifth year, from the checkpoint, without the old input
    let appended = backfill::run(&append(&new, &store)).unwrap();
    let new_rows = std::fs::read_to_string(&new).unwrap().lines().count() as u64 - 1;
    assert_eq!(appended.rows_in, new_rows, "only the new input is read");
    assert_eq!(appended.skipped, 0);
    assert_eq!(appended.store_rows, first.rows_out + appended.rows_out);

    // the same input again: refused; rows already in the store: skipped
    let err = backfill::run(&append(&new, &store))
        .unwrap_err()
        .to_string();
    assert!(err.contains("already in the store"), "{err}");
    let again = backfill::run(&append(&overlap, &store)).unwrap();
    assert_eq!((again.rows_out, again.skipped > 400), (0, true));

    let full = tmp.path().join("full");
    backfill::run(&sp500_args(&data("sp500_5yr.csv.gz"), &full, 2)).unwrap();
    let (cols_a, a) = read_store(&store);
    let (cols_b, b) = read_store(&full);
    assert_eq!(cols_a, cols_b);
    let (a, b) = (bits(&a), bits(&b));
    assert_eq!(a.len(), b.len());
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("first differing row: ({}, {})", a[i].0, a[i].1);
    }
    let manifest = Manifest::load(&store).unwrap().unwrap();
    assert_eq!(manifest.runs.len(), 3);
    assert!(manifest.complete && manifest.runs.iter().all(|r| r.complete));
}
