//! Revisions of past bars on real S&P 500 data: a store of the panel but
//! its last ten days (and one MSFT bar), then one append holding those
//! days, a revised AAPL bar thirty bars before the store's end and the
//! missing MSFT bar. The latest view equals a
//! full rebuild from the corrected input (and carries on past the revision:
//! the appended days continue from the corrected states); the view as of a
//! time before the revision equals the original store; only AAPL's rows
//! from the revised time on and the cross-sections of those times changed;
//! a plain glob of the partitions still sees one version of every row.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMicrosecondType};
use arrow_array::RecordBatch;
use common::versions::{assert_known_before, assert_same, rows, values, Row};
use common::{read_store, sp500_args};
use tickflow::backfill::{self, BackfillArgs};
use tickflow::durable::Manifest;

/// The first of the panel's last ten days.
const CUT: &str = "2018-01-25";
const SYMBOL: &str = "AAPL";
/// A symbol whose bar forty bars before the store's end is missing from the
/// store and arrives with the append.
const LATE: &str = "MSFT";
/// How many of the symbol's bars before the store's end the revision is.
const BACK: usize = 30;

struct Inputs {
    /// The panel before `CUT`.
    old: String,
    /// The panel from `CUT` on, after the revised bar.
    append: String,
    /// The whole panel with the revised bar in place of the original.
    corrected: String,
    /// The revised bar's date.
    date: String,
    /// The late bar's date.
    late: String,
}

/// The line numbers of `symbol`'s bars before `CUT`.
fn bars_of(lines: &[&str], symbol: &str) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| lines[i].ends_with(&format!(",{symbol}")) && &lines[i][..10] < CUT)
        .collect()
}

fn inputs() -> Inputs {
    let text = common::sp500_text();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let lines: Vec<&str> = lines.collect();
    let mine = bars_of(&lines, SYMBOL);
    let target = mine[mine.len() - BACK];
    let theirs = bars_of(&lines, LATE);
    let late = theirs[theirs.len() - 40];
    let f: Vec<&str> = lines[target].split(',').collect();
    let close: f64 = f[4].parse::<f64>().unwrap() * 1.05;
    let high = close.max(f[2].parse().unwrap());
    let revised = format!(
        "{},{},{high},{},{close},{},{}",
        f[0], f[1], f[3], f[5], f[6]
    );
    let (mut old, mut append, mut corrected) = (
        format!("{header}\n"),
        format!("{header}\n{revised}\n{}\n", lines[late]),
        format!("{header}\n"),
    );
    for (i, line) in lines.iter().enumerate() {
        let part = if &line[..10] < CUT {
            &mut old
        } else {
            &mut append
        };
        if i != late {
            part.push_str(line);
            part.push('\n');
        }
        corrected.push_str(if i == target { &revised } else { line });
        corrected.push('\n');
    }
    Inputs {
        old,
        append,
        corrected,
        date: f[0].to_string(),
        late: lines[late][..10].to_string(),
    }
}

fn column_names(batch: &RecordBatch) -> Vec<String> {
    batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

#[test]
fn a_revised_bar_equals_a_rebuild_and_leaves_what_was_known_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = inputs();
    let [old, append, corrected] =
        ["old.csv", "append.csv", "corrected.csv"].map(|n| tmp.path().join(n));
    std::fs::write(&old, &inputs.old).unwrap();
    std::fs::write(&append, &inputs.append).unwrap();
    std::fs::write(&corrected, &inputs.corrected).unwrap();
    let store = tmp.path().join("store");
    backfill::run(&sp500_args(&old, &store, 2)).unwrap();
    let original = rows(&store, None, None);

    let run = backfill::run(&BackfillArgs {
        append: true,
        ..sp500_args(&append, &store, 2)
    })
    .unwrap();
    let revised = run.revisions.expect("the revised bar was applied");
    assert_eq!(revised.bars, 2, "one revised bar, one late bar");
    assert!(revised.rows > BACK as u64, "{revised:?}");

    // the latest view equals a rebuild from the corrected input
    let rebuild = tmp.path().join("rebuild");
    backfill::run(&sp500_args(&corrected, &rebuild, 2)).unwrap();
    let latest = rows(&store, None, None);
    let expected = rows(&rebuild, None, None);
    assert_eq!(column_names(&latest), column_names(&expected));
    assert_same(&latest, &expected, "latest view vs the rebuild");

    // new versions are known from the revision on, the rest from their bar
    let known = latest
        .column_by_name("known_at")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    let recent = known.values().iter().filter(|&&k| k == revised.known_at);
    assert_eq!(recent.count() as u64, revised.rows);

    // as of a time before the revision: the original rows
    let last_old = assert_known_before(&store, &original, "the as-of view before the revision");
    let last_old = common::date_of(last_old);

    // only the symbol's rows from the revised bar on and those times'
    // cross-sections changed
    let revised_day = common::days(&inputs.date);
    let now = rows(&store, None, Some(&last_old));
    let names = column_names(&now);
    let cross: Vec<bool> = names
        .iter()
        .filter(|n| {
            let c = now.column_by_name(n).unwrap();
            c.as_primitive_opt::<Float64Type>().is_some()
        })
        .map(|n| n.starts_with("cs_") || n.starts_with("sector_z_"))
        .collect();
    let late_day = common::days(&inputs.late);
    let a: std::collections::HashMap<(String, i64), Row> = values(&original)
        .into_iter()
        .map(|r| ((r.0.clone(), r.1), r))
        .collect();
    let b = values(&now);
    assert_eq!(a.len() + 1, b.len(), "one row added");
    let (mut mine, mut others) = (0, 0);
    for y in &b {
        let Some(x) = a.get(&(y.0.clone(), y.1)) else {
            assert_eq!((y.0.as_str(), y.1), (LATE, late_day), "the only new row");
            continue;
        };
        if x == y {
            continue;
        }
        let from = if x.0 == LATE {
            late_day
        } else {
            revised_day.min(late_day)
        };
        assert!(x.1 >= from, "a row before the revisions changed: {x:?}");
        if x.0 == SYMBOL || x.0 == LATE {
            mine += 1;
        } else {
            others += 1;
            assert_eq!(x.2, y.2);
            let moved: Vec<usize> = (0..cross.len()).filter(|&c| x.3[c] != y.3[c]).collect();
            assert!(
                moved.iter().all(|&c| cross[c]),
                "{} at {}: a column other than a cross-section changed",
                x.0,
                x.1
            );
        }
    }
    // the added row is a new version without an old one
    mine += 1;
    assert!(mine >= BACK && others > 0, "{mine} {others}");
    assert_eq!((mine + others) as u64, revised.rows);

    // a plain glob of the partitions sees one version of every row (the
    // reader refuses duplicates), the latest
    let (_, table) = read_store(&store);
    assert_eq!(table.len(), latest.num_rows());
    let manifest = Manifest::load(&store).unwrap().unwrap();
    let history: u64 = manifest.history.iter().map(|f| f.rows).sum();
    assert_eq!(history + 1, revised.rows, "every old version is kept");
    assert!(manifest
        .files
        .iter()
        .all(|f| !f.path.starts_with("_history")));
    // `OUT/**/*.parquet` (the documented Polars glob) never reads history
    assert!(manifest
        .history
        .iter()
        .all(|f| f.path.starts_with("_history/")
            && f.path.ends_with(".parquet.history")
            && store.join(&f.path).is_file()));
}
