//! Second, independent check: Skender's Stock.Indicators outputs shipped in
//! `../shared/data/spy_daily_2017_2018_expected_skender.csv`, for the
//! indicators where that library agrees with TA-Lib (see SOURCES.md). Only
//! values both define are compared (their warm-up nulls differ slightly).

mod common;

use common::{data_dir, Mismatches};
use tickflow_operators::{Bar, FeatureEngine, FeatureSet};

const CONFIG: &str = r#"
[[features]]
kind = "sma"
period = 20

[[features]]
kind = "ema"
period = 20

[[features]]
kind = "rsi"
period = 14

[[features]]
kind = "atr"
period = 14

[[features]]
kind = "bbands"
period = 20
nbdev_up = 2.0
nbdev_dn = 2.0

[[features]]
kind = "cci"
period = 20

[[features]]
kind = "willr"
period = 14

[[features]]
kind = "stoch"

[[features]]
kind = "kama"
period = 10

[[features]]
kind = "mfi"
period = 14

[[features]]
kind = "roc"
period = 14

[[features]]
kind = "stddev"
period = 14
"#;

const PAIRS: &[(&str, &str)] = &[
    ("sma20", "sma_20"),
    ("ema20", "ema_20"),
    ("rsi14", "rsi_14"),
    ("atr14", "atr_14"),
    ("bb20_mid", "bb_middle"),
    ("bb20_upper", "bb_upper"),
    ("bb20_lower", "bb_lower"),
    ("cci20", "cci_20"),
    ("willr14", "willr_14"),
    ("stoch_k_14_3_3", "stoch_k"),
    ("stoch_d_14_3_3", "stoch_d"),
    ("kama_10_2_30", "kama_10"),
    ("mfi14", "mfi_14"),
    ("roc14", "roc_14"),
    ("stdev14", "stddev_14"),
];

#[test]
fn agrees_with_skender_where_skender_agrees_with_talib() {
    let set: FeatureSet = toml::from_str(CONFIG).unwrap();
    let engine = FeatureEngine::new(&set).unwrap();
    let path = data_dir().join("spy_daily_2017_2018_expected_skender.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let ours = |name: &str| engine.columns().iter().position(|c| c == name).unwrap();
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let mut state = engine.new_state();
    let mut row = vec![0.0; engine.columns().len()];
    let mut mismatches = Mismatches::default();
    let mut per_column = vec![0usize; PAIRS.len()];
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let bar = Bar {
            open: num(&rec[col("open")]),
            high: num(&rec[col("high")]),
            low: num(&rec[col("low")]),
            close: num(&rec[col("close")]),
            volume: num(&rec[col("volume")]),
        };
        engine.update(&mut state, &bar, &mut row).unwrap();
        for (k, (theirs, mine)) in PAIRS.iter().enumerate() {
            let exp = num(&rec[col(theirs)]);
            let got = row[ours(mine)];
            if exp.is_nan() || got.is_nan() {
                continue;
            }
            per_column[k] += 1;
            mismatches.check(mine, &rec[col("date")], got, exp);
        }
    }
    mismatches.assert_none("skender");
    for (k, n) in per_column.iter().enumerate() {
        assert!(*n >= 470, "{}: only {n} values compared", PAIRS[k].1);
    }
}
