//! Backtests on the S&P 500 panel against an independent recompute: the
//! oracle here reads the raw CSV (parsed by the test's own code), takes
//! only the signal columns from the store, and rebuilds the portfolios,
//! daily returns, costs, turnover, rank ICs, quantile returns and drawdown
//! naively (maps by symbol and date, holdings summed from scratch every
//! day). A backtest of a store cut at a date gives the same returns up to
//! the cut (no look-ahead). Bad signals fail with clear errors.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use common::{data, valid_bars, Bars};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use tickflow::backfill;
use tickflow::backtest::{self, BacktestArgs, Panel, Side, SignalConfig};
use tickflow::config::PipelineConfig;
use tickflow::query::{query, QueryArgs};

const CONFIG: &str = r#"
[[features]]
kind = "pct_return"
period = 5

[[features]]
kind = "rsi"
period = 14

[cross_section]
features = ["ret_5", "rsi_14"]

[[signal]]
name = "reversal"
weights = { cs_rank_ret_5 = -1.0, rsi_14 = -0.01 }
quantiles = 5
rebalance = 5
holding = 10
cost_bps = 10
min_dollar_volume = 1e8
ic_horizons = [1, 5, 20]

[[signal]]
name = "momentum_long"
column = "ret_5"
side = "long_only"
quantiles = 10
cost_bps = 5
ic_horizons = [1]
"#;

/// The store of the whole panel under `CONFIG`, and the config.
fn build(dir: &Path) -> (std::path::PathBuf, PipelineConfig) {
    let path = dir.join("config.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let config = PipelineConfig::load(path.to_str().unwrap()).unwrap();
    let store = dir.join("store");
    backfill::run(&backfill::BackfillArgs {
        config: config.clone(),
        ..common::args(&data("sp500_5yr.csv.gz"), &store, 2)
    })
    .unwrap();
    (store, config)
}

fn raw_bars() -> Bars {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data("sp500_5yr.csv.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    valid_bars(&text).0
}

/// (date, symbol) -> the signal, summed in column-name order as the
/// config defines it, from the store's columns.
fn signal_values(store: &Path, weights: &BTreeMap<String, f64>) -> BTreeMap<(i64, String), f64> {
    let columns: Vec<String> = weights.keys().cloned().collect();
    let r = query(&QueryArgs {
        store: store.to_path_buf(),
        columns: Some(columns.clone()),
        ..Default::default()
    })
    .unwrap();
    let b = &r.batch;
    let sym = b.column(0).as_string::<i32>();
    let ts = b.column(1).as_primitive::<Date32Type>();
    let mut out = BTreeMap::new();
    for row in 0..b.num_rows() {
        let mut s = 0.0;
        let mut ok = true;
        for (k, c) in columns.iter().enumerate() {
            let col = b.column(2 + k).as_primitive::<Float64Type>();
            ok &= col.is_valid(row);
            s += weights[c] * col.value(row);
        }
        if ok && s.is_finite() {
            out.insert((ts.value(row) as i64, sym.value(row).to_string()), s);
        }
    }
    out
}

struct Oracle {
    dates: Vec<i64>,
    first: usize,
    gross: Vec<f64>,
    net: Vec<f64>,
    turnover: Vec<f64>,
    ic: BTreeMap<usize, Vec<f64>>,
    quantiles: Vec<f64>,
    /// (date, symbol) -> (quantile, weight) of every formed portfolio.
    targets: BTreeMap<(i64, String), (u32, f64)>,
}

fn spearman(x: &[f64], y: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].partial_cmp(&v[b]).unwrap());
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let j = (i..idx.len())
                .take_while(|&j| v[idx[j]] == v[idx[i]])
                .count()
                + i;
            for &k in &idx[i..j] {
                r[k] = (i + 1 + j) as f64 / 2.0;
            }
            i = j;
        }
        r
    }
    let (a, b) = (ranks(x), ranks(y));
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(&b).map(|(p, q)| (p - ma) * (q - mb)).sum();
    let va: f64 = a.iter().map(|p| (p - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|q| (q - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        return f64::NAN;
    }
    cov / (va * vb).sqrt()
}

fn oracle(bars: &Bars, signal: &BTreeMap<(i64, String), f64>, c: &SignalConfig) -> Oracle {
    let mut dates: Vec<i64> = bars.values().flat_map(|b| b.keys().copied()).collect();
    dates.sort();
    dates.dedup();
    let n_times = dates.len();
    let close = |t: usize, s: &str| bars[s].get(&dates[t]).map(|b| b[3]);
    let ret = |t: usize, s: &str| {
        let now = close(t, s)?;
        let prev = bars[s].range(..dates[t]).next_back()?.1[3];
        Some(now / prev - 1.0)
    };
    let liquid = |t: usize, s: &str| {
        if c.min_dollar_volume == 0.0 {
            return true;
        }
        let last: Vec<f64> = bars[s]
            .range(..=dates[t])
            .rev()
            .take(c.liquidity_window)
            .map(|(_, b)| b[3] * b[4])
            .collect();
        last.len() == c.liquidity_window
            && last.iter().sum::<f64>() / c.liquidity_window as f64 >= c.min_dollar_volume
    };
    let eligible = |t: usize, s: &str| close(t, s).is_some() && liquid(t, s);
    // Candidates at t: eligible names with a signal, by (value, symbol).
    let candidates = |t: usize| {
        let mut v: Vec<(f64, &str)> = bars
            .keys()
            .filter(|s| eligible(t, s))
            .filter_map(|s| signal.get(&(dates[t], s.clone())).map(|&x| (x, s.as_str())))
            .collect();
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(b.1)));
        v
    };

    // Portfolios.
    let q = c.quantiles;
    let share = 1.0 / c.holding.div_ceil(c.rebalance) as f64;
    let mut tranches: Vec<(usize, usize, BTreeMap<String, f64>)> = Vec::new();
    let mut targets = BTreeMap::new();
    let mut sums = vec![0.0; q];
    let mut periods = 0;
    let mut t = 0;
    while t + 2 < n_times {
        let cands = candidates(t);
        let n = cands.len();
        let mut w = BTreeMap::new();
        if n >= q {
            let top: Vec<&str> = (0..n)
                .filter(|p| p * q / n == q - 1)
                .map(|p| cands[p].1)
                .collect();
            let bottom: Vec<&str> = (0..n)
                .filter(|p| p * q / n == 0)
                .map(|p| cands[p].1)
                .collect();
            // Picks without an execution bar are not bought.
            let wl = share / top.len() as f64;
            let ws = match c.side {
                Side::LongShort => -share / bottom.len() as f64,
                Side::LongOnly => 0.0,
            };
            for (p, (_, s)) in cands.iter().enumerate() {
                let bucket = p * q / n;
                let weight = match bucket {
                    b if b == q - 1 => wl,
                    0 => ws,
                    _ => 0.0,
                };
                targets.insert((dates[t], s.to_string()), (bucket as u32, weight));
                if weight != 0.0 && close(t + 1, s).is_some() {
                    w.insert(s.to_string(), weight);
                }
            }
            let end = t + 1 + c.holding;
            if end < n_times {
                periods += 1;
                for (b, sum) in sums.iter_mut().enumerate() {
                    let r: Vec<f64> = (0..n)
                        .filter(|p| p * q / n == b)
                        .filter_map(|p| {
                            Some(close(end, cands[p].1)? / close(t + 1, cands[p].1)? - 1.0)
                        })
                        .collect();
                    if !r.is_empty() {
                        *sum += r.iter().sum::<f64>() / r.len() as f64;
                    }
                }
            }
        }
        tranches.push((t + 2, (t + 1 + c.holding).min(n_times - 1), w));
        t += c.rebalance;
    }
    let holdings = |d: usize| {
        let mut h: BTreeMap<String, f64> = BTreeMap::new();
        for (first, last, w) in &tranches {
            if *first <= d && d <= *last {
                for (s, x) in w {
                    *h.entry(s.clone()).or_default() += x;
                }
            }
        }
        h
    };
    let all: Vec<BTreeMap<String, f64>> = (0..n_times).map(holdings).collect();
    let mut gross = vec![0.0; n_times];
    let mut turnover = vec![0.0; n_times];
    for d in 0..n_times {
        gross[d] = all[d]
            .iter()
            .map(|(s, w)| w * ret(d, s).unwrap_or(0.0))
            .sum();
        if d + 1 < n_times {
            let mut names: Vec<&String> = all[d].keys().chain(all[d + 1].keys()).collect();
            names.sort();
            names.dedup();
            turnover[d] = names
                .iter()
                .map(|s| {
                    (all[d + 1].get(*s).unwrap_or(&0.0) - all[d].get(*s).unwrap_or(&0.0)).abs()
                })
                .sum();
        }
    }
    let net = (0..n_times)
        .map(|d| gross[d] - turnover[d] * c.cost_bps / 1e4)
        .collect();
    let first = (0..n_times)
        .find(|&d| all[d].values().any(|w| w.abs() > 1e-12))
        .unwrap();

    // Rank ICs.
    let mut ic = BTreeMap::new();
    for h in c.horizons() {
        let v = (0..n_times)
            .map(|t| {
                if t + 1 + h >= n_times {
                    return f64::NAN;
                }
                let (mut x, mut y) = (Vec::new(), Vec::new());
                for (sig, s) in candidates(t) {
                    if let (Some(a), Some(b)) = (close(t + 1, s), close(t + 1 + h, s)) {
                        x.push(sig);
                        y.push(b / a - 1.0);
                    }
                }
                if x.len() < 3 {
                    f64::NAN
                } else {
                    spearman(&x, &y)
                }
            })
            .collect();
        ic.insert(h, v);
    }
    Oracle {
        dates,
        first,
        gross,
        net,
        turnover,
        ic,
        quantiles: sums.iter().map(|s| s / periods as f64).collect(),
        targets,
    }
}

fn floats(b: &RecordBatch, name: &str) -> Vec<f64> {
    let c = b
        .column_by_name(name)
        .unwrap()
        .as_primitive::<Float64Type>();
    (0..c.len())
        .map(|r| if c.is_valid(r) { c.value(r) } else { f64::NAN })
        .collect()
}

fn close_enough(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || (g - w).abs() <= tol;
        assert!(ok, "{what}[{k}]: {g} vs oracle {w}");
    }
}

#[test]
fn backtests_equal_an_independent_recompute_and_never_look_ahead() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, config) = build(tmp.path());
    let bars = raw_bars();
    let out = tmp.path().join("report");
    let summaries = backtest::run(&BacktestArgs {
        store: store.clone(),
        signals: config.signals.clone(),
        output: out.clone(),
        from: None,
        to: None,
        threads: 2,
        targets: true,
    })
    .unwrap();
    assert_eq!(summaries.len(), 2);

    for signal in &config.signals {
        let dir = out.join(&signal.name);
        for f in [
            "report.md",
            "summary.json",
            "daily.parquet",
            "equity.png",
            "drawdown.png",
            "rolling_ic.png",
            "ic_by_year.png",
            "quantile_returns.png",
        ] {
            assert!(dir.join(f).exists(), "{}: no {f}", signal.name);
        }
        let o = oracle(&bars, &signal_values(&store, &signal.weights()), signal);
        let daily = common::read_file(&dir.join("daily.parquet"));
        let ts = daily.column(0).as_primitive::<Date32Type>();
        let got_dates: Vec<i64> = ts.values().iter().map(|&d| d as i64).collect();
        assert!(
            got_dates == o.dates[o.first..],
            "{}: evaluated bars: {} from day {:?}, oracle {} from day {}",
            signal.name,
            got_dates.len(),
            got_dates.first(),
            o.dates.len() - o.first,
            o.dates[o.first]
        );
        let what = |s: &str| format!("{} {s}", signal.name);
        close_enough(
            &what("gross"),
            &floats(&daily, "gross_return"),
            &o.gross[o.first..],
            1e-12,
        );
        close_enough(
            &what("turnover"),
            &floats(&daily, "turnover"),
            &o.turnover[o.first..],
            1e-12,
        );
        close_enough(
            &what("net"),
            &floats(&daily, "net_return"),
            &o.net[o.first..],
            1e-12,
        );
        for (h, ic) in &o.ic {
            close_enough(
                &what(&format!("ic_{h}")),
                &floats(&daily, &format!("ic_{h}")),
                &ic[o.first..],
                1e-10,
            );
        }
        // Something was traded and the IC is defined on most bars.
        assert!(o.turnover.iter().sum::<f64>() > 10.0, "{}", signal.name);
        assert!(o.ic[&1][o.first..].iter().filter(|v| v.is_finite()).count() > 1000);

        // Compounded return and drawdown, recomputed from the oracle's series.
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap())
                .unwrap();
        let net = &o.net[o.first..];
        let total: f64 = net.iter().map(|r| 1.0 + r).product::<f64>() - 1.0;
        let (mut equity, mut peak, mut worst) = (1.0f64, 1.0f64, 0.0f64);
        for r in net {
            equity *= 1.0 + r;
            peak = peak.max(equity);
            worst = worst.min(equity / peak - 1.0);
        }
        let got = |k: &str| summary["net"][k].as_f64().unwrap();
        assert!(
            (got("total_return") - total).abs() < 1e-9,
            "{}",
            signal.name
        );
        assert!(
            (got("max_drawdown") - worst).abs() < 1e-9,
            "{}",
            signal.name
        );
        assert!(worst < -0.01);
        let mean_ic = {
            let v: Vec<f64> = o.ic[&signal.holding][o.first..]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!((got("mean_ic") - mean_ic).abs() < 1e-10, "{}", signal.name);
        let quantiles: Vec<f64> = summary["quantiles"]["mean"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        close_enough(&what("quantiles"), &quantiles, &o.quantiles, 1e-12);

        // The formed portfolios (what the live signals topic carries).
        let t = common::read_file(&dir.join("targets.parquet"));
        let (ts, sym) = (
            t.column(0).as_primitive::<Date32Type>(),
            t.column(1).as_string::<i32>(),
        );
        let (score, quantile, weight) = (
            floats(&t, "score"),
            t.column(3).as_primitive::<arrow_array::types::UInt32Type>(),
            floats(&t, "weight"),
        );
        let values = signal_values(&store, &signal.weights());
        let mut got = BTreeMap::new();
        for r in 0..t.num_rows() {
            let key = (ts.value(r) as i64, sym.value(r).to_string());
            assert_eq!(score[r].to_bits(), values[&key].to_bits(), "{key:?}");
            got.insert(key, (quantile.value(r), weight[r]));
        }
        assert_eq!(got.len(), t.num_rows(), "{}: repeated rows", signal.name);
        assert_eq!(got, o.targets, "{}: targets", signal.name);
    }

    // No look-ahead: a panel cut at a date gives the same returns up to it.
    let signal = &config.signals[0];
    let full = Panel::load(
        &store,
        None,
        None,
        &signal.weights().into_keys().collect::<Vec<_>>(),
        2,
    )
    .unwrap();
    let cut = Panel::load(
        &store,
        None,
        Some("2016-06-30"),
        &signal.weights().into_keys().collect::<Vec<_>>(),
        2,
    )
    .unwrap();
    let a = backtest::backtest(&full, signal, 2).unwrap();
    let b = backtest::backtest(&cut, signal, 2).unwrap();
    let last = cut.ts.len() - 1;
    assert!(last > 500 && last + 300 < full.ts.len());
    let (da, db) = (&a.simulation.daily, &b.simulation.daily);
    assert_eq!(da.gross[..=last], db.gross[..=last]);
    assert_eq!(da.net[..last], db.net[..last]);
    for ((h, ia), (_, ib)) in a.ic.iter().zip(&b.ic) {
        let known = last - 1 - h;
        let same = ia[..known]
            .iter()
            .zip(&ib[..known])
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "IC at horizon {h} differs before the cut");
    }
}

#[test]
fn bad_signals_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    backfill::run(&common::args(
        &common::panel_slice(tmp.path(), 25),
        &store,
        1,
    ))
    .unwrap();
    let run = |text: &str| {
        let signal: SignalConfig = toml::from_str(text).unwrap();
        backtest::run(&BacktestArgs {
            store: store.clone(),
            signals: vec![signal],
            output: tmp.path().join("report"),
            from: None,
            to: None,
            threads: 1,
            targets: false,
        })
        .unwrap_err()
        .to_string()
    };
    let e = run("name = \"a\"\ncolumn = \"no_such_column\"\n");
    assert!(e.contains("no column `no_such_column`"), "{e}");
    let e = run("name = \"a\"\ncolumn = \"rsi_14\"\nmin_dollar_volume = 1e15\n");
    assert!(e.contains("never formed a portfolio"), "{e}");
    let e = run("name = \"a\"\ncolumn = \"rsi_14\"\nquantiles = 0\n");
    assert!(e.contains("quantiles = 0"), "{e}");
    assert!(!tmp.path().join("report").exists());
}
