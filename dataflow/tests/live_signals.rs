//! Live research outputs against a real Kafka-protocol broker: a
//! multi-symbol S&P slice replayed into a topic and run live with
//! `--signals-topic` gives, for every bar time, exactly the portfolios
//! `tickflow backtest --targets` forms from the live run's own store (the
//! same functions compute both), liquidity filter included; with
//! `--labels` the run's `labels/` equals a backfill's of the same file.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, UInt32Type};
use common::kafka::{brokers, drain, live, ok, run_ok, unique};
use common::panel_slice;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tickflow_connectors::{format_ts, TsKind};

const CONFIG: &str = r#"
[[signal]]
name = "reversal"
weights = { cs_rank_ret_5 = -1.0, cs_z_rsi_14 = -0.5 }
quantiles = 5
holding = 3
min_dollar_volume = 3e8
liquidity_window = 10

[[signal]]
name = "momentum"
column = "ret_20"
quantiles = 4
side = "long_only"
"#;

/// (signal, ts, symbol) -> (score bits, quantile, weight bits).
type Picks = BTreeMap<(String, String, String), (u64, u64, u64)>;

fn targets(dir: &Path, signal: &str, out: &mut Picks) {
    let b = common::read_file(&dir.join(signal).join("targets.parquet"));
    let ts = b.column(0).as_primitive::<Date32Type>();
    let sym = b.column(1).as_string::<i32>();
    let score = b.column(2).as_primitive::<Float64Type>();
    let quantile = b.column(3).as_primitive::<UInt32Type>();
    let weight = b.column(4).as_primitive::<Float64Type>();
    for r in 0..b.num_rows() {
        let key = (
            signal.to_string(),
            format_ts(TsKind::Date, ts.value(r) as i64),
            sym.value(r).to_string(),
        );
        let value = (
            score.value(r).to_bits(),
            quantile.value(r) as u64,
            weight.value(r).to_bits(),
        );
        assert!(out.insert(key, value).is_none(), "a repeated target row");
    }
}

#[test]
fn live_signals_equal_the_backtests_portfolios_bar_by_bar() {
    let dir = tempfile::tempdir().unwrap();
    let input = panel_slice(dir.path(), 12);
    let config = dir.path().join("signals.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let (topic, group, signals) = (unique("sp"), unique("g"), unique("signals"));
    let store = dir.path().join("live");
    let brokers = brokers();
    common::kafka::replay(&input, &brokers, &topic, &dir.path().join("replay"));
    let out = ok(live(&brokers, &topic, &group, &store)
        .args(["--idle-exit", "2", "--metrics-addr", "off"])
        .args(["--workers", "2", "--checkpoint-interval", "1s"])
        .args(["--labels", "1,5,20", "--labels-interval", "0s"])
        .args(["--signals-topic", &signals, "--config"])
        .arg(&config));

    // Labels: those of a backfill of the same file with the same config.
    let mut a = common::args(&input, &dir.path().join("backfill"), 1);
    a.config = tickflow::config::PipelineConfig::load(config.to_str().unwrap()).unwrap();
    tickflow::backfill::run(&a).unwrap();
    let l = tickflow::labels::write_labels(&a.output, &[1, 5, 20]).unwrap();
    assert!(out.contains(&format!("labels: {} rows", l.rows)), "{out}");
    let labels = |store: &Path| {
        tickflow::query::query(&tickflow::query::QueryArgs {
            store: store.join(tickflow::labels::LABELS),
            ..Default::default()
        })
        .unwrap()
        .batch
    };
    let (live_labels, backfill_labels) = (labels(&store), labels(&a.output));
    assert!(live_labels.num_rows() > 40_000);
    assert!(live_labels == backfill_labels, "live labels differ");

    let mut got = Picks::new();
    let mut ranked: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (key, payload) in drain(&signals) {
        let m: serde_json::Value = serde_json::from_str(&payload).unwrap();
        let text = |k: &str| m[k].as_str().unwrap().to_string();
        assert_eq!(key, text("signal"));
        let value = (
            m["score"].as_f64().unwrap().to_bits(),
            m["quantile"].as_u64().unwrap(),
            m["weight"].as_f64().unwrap().to_bits(),
        );
        let n = m["ranked"].as_u64().unwrap();
        assert_eq!(*ranked.entry((text("signal"), text("ts"))).or_insert(n), n);
        let at = (text("signal"), text("ts"), text("symbol"));
        assert!(
            got.insert(at, value).is_none(),
            "a repeated message: {payload}"
        );
    }
    // Each message says how many its bar time has.
    for ((signal, ts), n) in &ranked {
        let count = got
            .keys()
            .filter(|(s, t, _)| s == signal && t == ts)
            .count();
        assert_eq!(count as u64, *n, "{signal} at {ts}");
    }

    // The backtest of the live store, with its formed portfolios.
    let report = dir.path().join("report");
    run_ok(&[
        "backtest",
        store.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--output",
        report.to_str().unwrap(),
        "--targets",
        "--threads",
        "2",
    ]);
    let mut expected = Picks::new();
    targets(&report, "reversal", &mut expected);
    targets(&report, "momentum", &mut expected);

    // The backtest forms no portfolio in the last two bars (no execution
    // bar and no return yet); live publishes there too.
    let times: BTreeSet<&String> = got.keys().map(|(_, ts, _)| ts).collect();
    let formed: BTreeSet<&String> = expected.keys().map(|(_, ts, _)| ts).collect();
    assert!(times.len() > 1200, "{} bar times", times.len());
    assert_eq!(times.len(), formed.len() + 2);
    let last_two: Vec<&String> = times.iter().rev().take(2).copied().collect();
    let live_formed: Picks = got
        .iter()
        .filter(|((_, ts, _), _)| !last_two.contains(&ts))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(live_formed.len(), expected.len());
    let differ = live_formed
        .iter()
        .zip(&expected)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("live {a:?} vs backtest {b:?}"));
    assert!(differ.is_none(), "{}", differ.unwrap_or_default());

    // The liquidity filter drops names from the reversal ranking: fewer
    // picks than the momentum ranking, which has no filter, on the same bar.
    let count = |signal: &str, ts: &String| {
        got.keys()
            .filter(|(s, t, _)| s == signal && t == ts)
            .count()
    };
    let filtered = times
        .iter()
        .filter(|ts| count("reversal", ts) < count("momentum", ts))
        .count();
    assert!(
        filtered > 100,
        "{filtered} bar times with names filtered out"
    );
    // Long/short: both sides weigh -1 and +1 in total; long only: +1.
    let total = |signal: &str, ts: &String, positive: bool| -> f64 {
        got.iter()
            .filter(|((s, t, _), v)| {
                s == signal && t == ts && (f64::from_bits(v.2) > 0.0) == positive
            })
            .map(|(_, v)| f64::from_bits(v.2))
            .sum()
    };
    let ts = times.iter().nth(600).unwrap();
    assert!((total("reversal", ts, true) - 1.0 / 3.0).abs() < 1e-12);
    assert!((total("reversal", ts, false) + 1.0 / 3.0).abs() < 1e-12);
    assert!((total("momentum", ts, true) - 1.0).abs() < 1e-12);
}

#[test]
fn a_signals_topic_needs_signals_whose_columns_exist() {
    let dir = tempfile::tempdir().unwrap();
    let run = |config: &str| {
        let path = dir.path().join("c.toml");
        std::fs::write(&path, config).unwrap();
        let out = live("localhost:1", "bars", "g", &dir.path().join("store"))
            .args([
                "--signals-topic",
                "signals",
                "--metrics-addr",
                "off",
                "--config",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let e = run("");
    assert!(e.contains("defines no signal"), "{e}");
    let e = run("[[signal]]\nname = \"a\"\ncolumn = \"cs_rank_rsi_2\"\n");
    assert!(e.contains("no column `cs_rank_rsi_2`"), "{e}");
}
