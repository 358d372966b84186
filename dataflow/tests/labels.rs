//! Labels (`--labels 1,5,20`) on a slice of the S&P 500 panel: every label
//! equals `close[i+h] / close[i] - 1` recomputed from the raw CSV (parsed
//! here); exactly the rows whose longest horizon has arrived are labelled;
//! the dataset reads back with `tickflow query`; a store built from the
//! input cut at a date labels a subset of the same rows with the same
//! values, and none whose horizon passes the cut; a second run replaces
//! the first's files.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type};
use common::{days, panel_slice, valid_bars};
use std::collections::BTreeMap;
use std::path::Path;
use tickflow::backfill;
use tickflow::labels::{write_labels, LABELS};
use tickflow::query::{query, QueryArgs};

type Labels = BTreeMap<(String, i64), Vec<u64>>;

fn labels_of(store: &Path) -> Labels {
    let r = query(&QueryArgs {
        store: store.join(LABELS),
        ..Default::default()
    })
    .unwrap();
    let b = &r.batch;
    let names: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        ["symbol", "ts", "fwd_ret_1", "fwd_ret_5", "fwd_ret_20"]
    );
    let sym = b.column(0).as_string::<i32>();
    let ts = b.column(1).as_primitive::<Date32Type>();
    (0..b.num_rows())
        .map(|r| {
            (
                (sym.value(r).to_string(), ts.value(r) as i64),
                (2..5)
                    .map(|c| b.column(c).as_primitive::<Float64Type>().value(r).to_bits())
                    .collect(),
            )
        })
        .collect()
}

fn build(input: &Path, out: &Path) {
    backfill::run(&common::args(input, out, 2)).unwrap();
    write_labels(out, &[1, 5, 20]).unwrap();
}

#[test]
fn labels_equal_an_independent_recompute_and_never_precede_their_horizon() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 8);
    let text = std::fs::read_to_string(&input).unwrap();
    let store = tmp.path().join("store");
    build(&input, &store);
    let got = labels_of(&store);

    let (bars, _) = valid_bars(&text);
    let mut want = Labels::new();
    for (sym, b) in &bars {
        let rows: Vec<(i64, f64)> = b.iter().map(|(t, v)| (*t, v[3])).collect();
        for i in 0..rows.len() {
            if i + 20 < rows.len() {
                let values = [1, 5, 20]
                    .iter()
                    .map(|&h| (rows[i + h].1 / rows[i].1 - 1.0).to_bits())
                    .collect();
                want.insert((sym.clone(), rows[i].0), values);
            }
        }
    }
    assert!(want.len() > 50_000, "{}", want.len());
    assert_eq!(got, want);

    // the input cut at a date: the same values, and no row whose 20th
    // next bar lies beyond the cut
    let cut = days("2016-09-30");
    let mut lines = text.lines();
    let mut prefix = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| days(&l[..10]) <= cut) {
        prefix.push_str(line);
        prefix.push('\n');
    }
    let cut_input = tmp.path().join("cut.csv");
    std::fs::write(&cut_input, prefix).unwrap();
    let cut_store = tmp.path().join("cut_store");
    build(&cut_input, &cut_store);
    let early = labels_of(&cut_store);
    assert!(early.len() > 30_000);
    for (key, values) in &early {
        assert_eq!(want.get(key), Some(values), "{key:?}");
    }
    for (sym, b) in &bars {
        let ts: Vec<i64> = b.keys().copied().filter(|&t| t <= cut).collect();
        for (i, t) in ts.iter().enumerate() {
            let labelled = early.contains_key(&(sym.clone(), *t));
            assert_eq!(labelled, i + 20 < ts.len(), "{sym} {t}");
        }
    }

    // a second run replaces the first's files
    let before = std::fs::read_to_string(store.join(LABELS).join("_manifest.json")).unwrap();
    write_labels(&store, &[1, 5, 20]).unwrap();
    assert_eq!(labels_of(&store), want);
    let files = common::store_files(&store.join(LABELS));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(store.join(LABELS).join("_manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(files.len(), manifest["files"].as_array().unwrap().len());
    assert_ne!(before, serde_json::to_string(&manifest).unwrap());
    // and the features store's restart pruning leaves the labels alone
    let removed = tickflow::durable::manifest::prune(
        &store,
        tickflow::durable::Manifest::load(&store).unwrap().as_ref(),
    )
    .unwrap();
    assert!(
        removed.iter().all(|p| !p.starts_with(store.join(LABELS))),
        "{removed:?}"
    );
    assert_eq!(labels_of(&store), want);

    // files of a rewrite that died before its manifest go at the next one
    let listed = common::store_files(&store.join(LABELS));
    let orphan = listed[0].with_file_name("part-99999999.parquet");
    let temp = listed[0].with_file_name(".part-99999998.parquet.tmp");
    std::fs::copy(&listed[0], &orphan).unwrap();
    std::fs::write(&temp, b"half").unwrap();
    write_labels(&store, &[1, 5, 20]).unwrap();
    assert!(!orphan.exists() && !temp.exists());
    assert_eq!(labels_of(&store), want);

    let e = write_labels(&store, &[0]).unwrap_err().to_string();
    assert!(e.contains("at least one bar"), "{e}");
}
