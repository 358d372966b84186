//! The market series in a live run, against a real broker: SPY's daily
//! bars on the topic beside every 25th S&P 500 symbol, `--market-symbol
//! SPY`, the `beta`/`corr` set of `tests/oracle/market.toml`. In three
//! runs over one store (a resume whose first day has no SPY bar, so it
//! pairs with SPY's last stored close; then a corrected SPY close 10 days
//! back, which revises every symbol's affected rows) the latest view equals
//! a backfill of the same bars with `--market` a file of SPY's closes; a
//! fourth run given a split of SPY 30 days back (`--actions`, new to the
//! store) equals the backfill with that split and the market's closes
//! adjusted alike.

mod common;

use common::daily::{self, publish, Bar};
use common::kafka::{brokers, live, ok, unique};
use common::{args, data, date_of, versions};
use std::path::{Path, PathBuf};
use tickflow::config::PipelineConfig;

/// A `--actions` file: SPY splits by `factor` on `day`.
fn actions_file(dir: &Path, name: &str, (day, factor): (i64, f64)) -> PathBuf {
    let path = dir.join(format!("{name}-actions.csv"));
    let text = format!(
        "symbol,date,kind,factor\nSPY,{},split,{factor}\n",
        date_of(day)
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oracle/market.toml")
}

/// A backfill of `bars` with `--market` a file of SPY's closes among them
/// (with `split`, SPY splitting by that factor on that day: `--actions`,
/// and the market's closes before the day adjusted alike).
fn backfill(dir: &Path, name: &str, bars: &[Bar], split: Option<(i64, f64)>) -> PathBuf {
    let input = dir.join(format!("{name}.csv"));
    daily::write_csv(&input, bars);
    let mut market = String::from("date,close\n");
    for (_, d, b) in bars.iter().filter(|b| b.0 == "SPY") {
        let factor = split.filter(|&(day, _)| *d < day).map_or(1.0, |s| s.1);
        market += &format!("{},{}\n", date_of(*d), b[3] * factor);
    }
    let market_file = dir.join(format!("{name}-market.csv"));
    std::fs::write(&market_file, market).unwrap();
    let out = dir.join(name);
    let mut a = args(&input, &out, 1);
    a.config = PipelineConfig::load(config_path().to_str().unwrap()).unwrap();
    a.market = Some(market_file);
    a.actions = split.map(|s| actions_file(dir, name, s));
    tickflow::backfill::run(&a).unwrap();
    out
}

#[test]
fn a_market_symbol_on_the_topic_gives_the_backfills_betas_across_resumes_and_a_corrected_close() {
    let dir = tempfile::tempdir().unwrap();
    let (from, to) = (common::days("2017-01-03"), common::days("2018-02-07"));
    let mut bars = daily::panel_bars(dir.path(), 25, (from, to));
    let spy = std::fs::read_to_string(data("spy_daily_2017_2018.csv")).unwrap();
    for line in spy.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let day = common::days(f[0]);
        if (from..=to).contains(&day) {
            let v: Vec<f64> = f[1..6].iter().map(|x| x.parse().unwrap()).collect();
            bars.push(("SPY".into(), day, [v[0], v[1], v[2], v[3], v[4]]));
        }
    }
    daily::sort(&mut bars);
    let days = daily::days(&bars);
    // The second run's first day has no SPY bar: it pairs with SPY's last
    // close of the first run, from the store.
    let resume_day = days[150];
    bars.retain(|b| !(b.0 == "SPY" && b.1 == resume_day));
    let split = bars.iter().position(|b| b.1 >= resume_day).unwrap();

    let (topic, store) = (unique("market"), dir.path().join("live"));
    let run = |group: &str, actions: &[&Path]| {
        ok(live(&brokers(), &topic, group, &store)
            .args([
                "--idle-exit",
                "2",
                "--metrics-addr",
                "off",
                "--workers",
                "2",
            ])
            .args(["--market-symbol", "SPY", "--config"])
            .arg(config_path())
            .args(actions.iter().flat_map(|a| [Path::new("--actions"), a])))
    };
    publish(&topic, &bars[..split]);
    run(&unique("g"), &[]);
    publish(&topic, &bars[split..]);
    run(&unique("g"), &[]);
    versions::assert_same(
        &versions::rows(&store, None, None),
        &versions::rows(&backfill(dir.path(), "expected", &bars, None), None, None),
        "live with a market symbol against the backfill with its closes",
    );

    // A corrected SPY close 10 days back: every symbol's rows from then on.
    let back = *days.iter().rev().nth(10).unwrap();
    let at = bars
        .iter()
        .position(|b| b.0 == "SPY" && b.1 == back)
        .unwrap();
    let mut fixed = bars[at].clone();
    fixed.2[3] *= 1.01;
    fixed.2[1] = fixed.2[1].max(fixed.2[3]);
    publish(&topic, std::slice::from_ref(&fixed));
    let out = run(&unique("g"), &[]);
    assert!(out.contains("1 late"), "{out}");
    let mut corrected = bars.clone();
    corrected[at] = fixed;
    versions::assert_same(
        &versions::rows(&store, None, None),
        &versions::rows(
            &backfill(dir.path(), "corrected", &corrected, None),
            None,
            None,
        ),
        "after the corrected market close",
    );

    // A 2-for-1 split of the market symbol itself, 30 days back, new to
    // the store: its bars and every symbol's pairing with it are revised.
    let split = (*days.iter().rev().nth(30).unwrap(), 0.5);
    let actions = actions_file(dir.path(), "live", split);
    let out = run(&unique("g"), &[&actions]);
    assert!(out.contains("1 corporate actions"), "{out}");
    versions::assert_same(
        &versions::rows(&store, None, None),
        &versions::rows(
            &backfill(dir.path(), "split", &corrected, Some(split)),
            None,
            None,
        ),
        "after a split of the market symbol",
    );
}
