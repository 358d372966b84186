//! No look-ahead: the rows computed from the input truncated at a date are
//! bit-identical to the full run's rows up to that date, for every column of
//! the standard set, on real S&P 500 data.

mod common;

use common::read_bars;
use tickflow_operators::FeatureEngine;

#[test]
fn truncated_input_gives_identical_prefix() {
    let bars = read_bars("sp500_5yr.csv.gz", Some("Name"), "");
    let engine = FeatureEngine::standard();
    let width = engine.columns().len();
    let cuts = [
        "2013-03-01",
        "2013-06-28",
        "2014-01-02",
        "2015-07-17",
        "2016-11-08",
        "2018-02-06",
    ];
    let mut compared = 0usize;
    for symbol in ["AAPL", "DHR", "O", "ALLE", "APTV", "GOOG", "WRK", "BHF"] {
        let mut series = bars[symbol].clone();
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let run = |upto: &str| -> Vec<(String, Vec<u64>)> {
            let mut st = engine.new_state();
            let mut row = vec![0.0; width];
            let mut out = Vec::new();
            for (ts, bar) in series.iter().filter(|(ts, _)| ts.as_str() <= upto) {
                if engine.update(&mut st, bar, &mut row).is_ok() {
                    out.push((ts.clone(), row.iter().map(|v| v.to_bits()).collect()));
                }
            }
            out
        };
        let full = run("9999-12-31");
        for cut in cuts {
            let truncated = run(cut);
            let prefix: Vec<_> = full
                .iter()
                .filter(|(ts, _)| ts.as_str() <= cut)
                .cloned()
                .collect();
            assert_eq!(truncated.len(), prefix.len(), "{symbol} cut at {cut}");
            assert!(
                truncated == prefix,
                "{symbol}: rows up to {cut} change when later bars exist"
            );
            compared += truncated.len();
        }
    }
    assert!(compared > 10_000, "only {compared} rows compared");
}
