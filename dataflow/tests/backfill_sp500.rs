//! Backfill end to end on real S&P 500 data: the store's rows do not depend
//! on the worker count, features equal the operator engine run per symbol,
//! cross-sections equal a naive recompute, and nothing partial is left.

mod common;

use common::{bits, panel_slice, read_store, sp500_args, Table};
use std::collections::BTreeMap;
use tickflow::backfill;
use tickflow::config::PipelineConfig;
use tickflow_operators::{Bar, FeatureEngine};

type StoredRow<'a> = (&'a String, &'a Option<String>, &'a Vec<Option<f64>>);

#[test]
fn store_is_independent_of_workers_and_matches_the_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 10);
    let mut stores = Vec::new();
    for workers in [1, 2, 4] {
        let out = tmp.path().join(format!("out{workers}"));
        let summary = backfill::run(&sp500_args(&input, &out, workers)).unwrap();
        assert!(summary.rows_out > 50_000);
        assert!(out.join("_manifest.json").exists() && out.join("_rejects.csv").exists());
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("_manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["rows_out"], summary.rows_out);
        stores.push(read_store(&out));
    }
    assert!(
        bits(&stores[0].1) == bits(&stores[1].1),
        "1 and 2 workers differ"
    );
    assert!(
        bits(&stores[0].1) == bits(&stores[2].1),
        "1 and 4 workers differ"
    );

    // Features equal the engine run directly over each symbol's valid bars.
    let (names, table): &(Vec<String>, Table) = &stores[0];
    let engine = FeatureEngine::standard();
    let width = engine.columns().len();
    assert_eq!(&names[8..8 + width], engine.columns());
    let text = std::fs::read_to_string(&input).unwrap();
    let mut per_symbol: BTreeMap<String, Vec<(String, Bar)>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        let bar = Bar {
            open: num(f[1]),
            high: num(f[2]),
            low: num(f[3]),
            close: num(f[4]),
            volume: num(f[5]),
        };
        per_symbol
            .entry(f[6].to_string())
            .or_default()
            .push((f[0].to_string(), bar));
    }
    let epoch = |d: &str| tickflow_connectors::TsParser::default().parse(d).unwrap().1;
    let mut compared = 0;
    for (symbol, bars) in &per_symbol {
        let mut state = engine.new_state();
        let mut row = vec![0.0; width];
        for (date, bar) in bars {
            if engine.update(&mut state, bar, &mut row).is_err() {
                assert!(
                    !table.contains_key(&(symbol.clone(), epoch(date))),
                    "rejected bar stored"
                );
                continue;
            }
            let (_, stored) = &table[&(symbol.clone(), epoch(date))];
            for c in 0..width {
                let exp = (!row[c].is_nan()).then_some(row[c]);
                assert_eq!(
                    stored[5 + c].map(f64::to_bits),
                    exp.map(f64::to_bits),
                    "{symbol} {date} {}",
                    names[8 + c]
                );
            }
            compared += 1;
        }
    }
    assert_eq!(compared, table.len());

    // Cross-sections: naive recompute for every timestamp.
    let mut by_ts: BTreeMap<i64, Vec<StoredRow>> = BTreeMap::new();
    for ((s, d), (sector, v)) in table {
        by_ts.entry(*d).or_default().push((s, sector, v));
    }
    let cs_start = 5 + width;
    let cs_features = PipelineConfig::default().cross_section.features;
    for rows in by_ts.values() {
        for (k, f) in cs_features.iter().enumerate() {
            let src = 5 + engine.columns().iter().position(|c| c == f).unwrap();
            let present: Vec<f64> = rows.iter().filter_map(|r| r.2[src]).collect();
            for r in rows {
                let got_rank = r.2[cs_start + 3 * k];
                match r.2[src] {
                    None => assert!(got_rank.is_none()),
                    Some(x) => {
                        let less = present.iter().filter(|&&y| y < x).count() as f64;
                        let eq = present.iter().filter(|&&y| y == x).count() as f64;
                        assert_eq!(
                            got_rank,
                            Some((less + (eq + 1.0) / 2.0) / present.len() as f64)
                        );
                        let n = present.len() as f64;
                        let mean = present.iter().sum::<f64>() / n;
                        let sd =
                            (present.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n).sqrt();
                        let got_z = r.2[cs_start + 3 * k + 1];
                        if present.len() < 2 || present.iter().all(|&y| y == present[0]) {
                            assert!(got_z.is_none());
                        } else {
                            let z = (x - mean) / sd;
                            assert!(
                                (got_z.unwrap() - z).abs() <= 1e-9 * z.abs().max(1.0),
                                "{f}: {got_z:?} vs {z}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn bad_input_is_a_clear_error_and_leaves_no_partial_files() {
    let tmp = tempfile::tempdir().unwrap();
    let no_close = tmp.path().join("bad.csv");
    std::fs::write(
        &no_close,
        "date,open,high,low,volume,Name\n2020-01-02,1,1,1,1,A\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let err = backfill::run(&sp500_args(&no_close, &out, 2)).unwrap_err();
    assert!(err.to_string().contains("no column for close"), "{err}");

    let garbage = tmp.path().join("garbage.csv");
    let mut text = String::from("date,open,high,low,close,volume,Name\n");
    for i in 0..100 {
        text.push_str(&format!(
            "2020-01-{:02},{},1,1,1,1,A\n",
            1 + i % 28,
            if i % 3 == 0 { "1" } else { "x" }
        ));
    }
    std::fs::write(&garbage, text).unwrap();
    let err = backfill::run(&sp500_args(&garbage, &out, 2)).unwrap_err();
    assert!(err.to_string().contains("above --max-reject-rate"), "{err}");

    // a dead run's temporary file is cleaned up by the next run
    std::fs::create_dir_all(out.join("year=2019")).unwrap();
    std::fs::write(out.join("year=2019/.part-000.parquet.tmp"), b"partial").unwrap();
    let ok = tmp.path().join("ok.csv");
    std::fs::write(
        &ok,
        "date,open,high,low,close,volume,Name\n2020-01-02,1,1.5,0.5,1.2,10,A\n",
    )
    .unwrap();
    backfill::run(&sp500_args(&ok, &out, 1)).unwrap();
    assert!(!out.join("year=2019/.part-000.parquet.tmp").exists());
    assert!(out.join("year=2020/part-000-00000000.parquet").exists());
}
