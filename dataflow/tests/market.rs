//! The market series on real S&P 500 data: `beta` and `corr` see nothing of
//! the market after a bar (a market file cut short changes no row before
//! the cut), the equal-weight series `tickflow market` builds does not
//! depend on the input's row order, a revised bar recomputes the betas
//! like a rebuild, a corrected market bar revises every symbol's affected
//! rows (and leaves what was known before readable), and a missing or
//! mismatched market is a clear error.
//! Their values are checked against an independent recompute by
//! `tests/oracle/market_oracle.py` (in `scripts/test.sh`).

mod common;

use common::versions::{assert_same, rows};
use common::{bits, panel_slice, read_store, sp500_args};
use std::path::{Path, PathBuf};
use tickflow::backfill::{self, BackfillArgs};
use tickflow::config::PipelineConfig;
use tickflow::reference::equal_weight;
use tickflow_connectors::file::CsvOptions;
use tickflow_connectors::TsParser;

fn config() -> PipelineConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oracle/market.toml");
    PipelineConfig::load(path.to_str().unwrap()).unwrap()
}

/// The equal-weight series of `input`, written to `dir/name`.
fn series(input: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let inputs = [input.display().to_string()];
    equal_weight::build(&inputs, &CsvOptions::default(), &TsParser::default(), &out).unwrap();
    out
}

/// A directory with every 25th symbol of the panel and the whole panel's
/// equal-weight market.
fn fixture() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 25);
    let market = series(&common::data("sp500_5yr.csv.gz"), tmp.path(), "ew.csv");
    (tmp, input, market)
}

fn market_args(input: &Path, output: &Path, market: &Path) -> BackfillArgs {
    BackfillArgs {
        config: config(),
        market: Some(market.to_path_buf()),
        ..sp500_args(input, output, 2)
    }
}

#[test]
fn a_market_cut_short_changes_no_row_before_the_cut() {
    let (tmp, input, full) = fixture();
    let text = std::fs::read_to_string(&full).unwrap();
    let cut = "2016-06-30";
    let short: String = text
        .lines()
        .filter(|l| l.starts_with("date") || &l[..10] <= cut)
        .map(|l| format!("{l}\n"))
        .collect();
    let short_path = tmp.path().join("short.csv");
    std::fs::write(&short_path, &short).unwrap();
    assert!(short.lines().count() < text.lines().count());

    let (a, b) = (tmp.path().join("full"), tmp.path().join("short"));
    backfill::run(&market_args(&input, &a, &full)).unwrap();
    backfill::run(&market_args(&input, &b, &short_path)).unwrap();
    let (columns, ta) = read_store(&a);
    let (_, tb) = read_store(&b);
    let cut_day = common::days(cut);
    let before = |t: &common::Table| {
        let kept: common::Table = t
            .iter()
            .filter(|((_, ts), _)| *ts <= cut_day)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        bits(&kept)
    };
    assert_eq!(before(&ta), before(&tb), "rows up to the cut");
    // After it the short market stands still: its moves are 0, so the
    // betas and correlations there differ (are null once the window is
    // all zero moves).
    let beta = columns.iter().position(|c| c == "beta_20").unwrap() - 3;
    let after = |t: &common::Table| {
        t.iter()
            .filter(|((_, ts), _)| *ts > cut_day + 60)
            .map(|(_, (_, v))| v[beta])
            .collect::<Vec<_>>()
    };
    assert!(after(&ta).iter().any(Option::is_some));
    assert!(after(&tb).iter().all(Option::is_none));
}

#[test]
fn the_equal_weight_series_does_not_depend_on_row_order() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 10);
    let text = std::fs::read_to_string(&input).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let reversed = tmp.path().join("reversed.csv");
    std::fs::write(&reversed, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    let a = series(&input, tmp.path(), "a.csv");
    let b = series(&reversed, tmp.path(), "b.csv");
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn a_revised_bar_recomputes_the_betas_like_a_rebuild() {
    let (tmp, input, market) = fixture();
    let text = std::fs::read_to_string(&input).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = lines.remove(0);
    let cut = "2018-01-25";
    // One symbol's bar 30 bars before the cut, its close 5% higher.
    let symbol = lines[0].rsplit(',').next().unwrap().to_string();
    let mine: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].ends_with(&format!(",{symbol}")) && &lines[i][..10] < cut)
        .collect();
    let target = mine[mine.len() - 30];
    let f: Vec<&str> = lines[target].split(',').collect();
    let close = f[4].parse::<f64>().unwrap() * 1.05;
    let high = close.max(f[2].parse().unwrap());
    let revised = format!(
        "{},{},{high},{},{close},{},{}",
        f[0], f[1], f[3], f[5], f[6]
    );
    let join = |rows: Vec<&String>| {
        let body: Vec<&str> = rows.iter().map(|s| s.as_str()).collect();
        format!("{header}\n{}\n", body.join("\n"))
    };
    let old = join(lines.iter().filter(|l| &l[..10] < cut).collect());
    let later: Vec<&String> = lines.iter().filter(|l| &l[..10] >= cut).collect();
    let append = format!(
        "{header}\n{revised}\n{}",
        join(later).split_once('\n').unwrap().1
    );
    lines[target] = revised;
    let corrected = join(lines.iter().collect());
    let [o, a, c] = ["old.csv", "append.csv", "corrected.csv"].map(|n| tmp.path().join(n));
    for (p, t) in [(&o, &old), (&a, &append), (&c, &corrected)] {
        std::fs::write(p, t).unwrap();
    }
    let store = tmp.path().join("store");
    backfill::run(&market_args(&o, &store, &market)).unwrap();
    let run = backfill::run(&BackfillArgs {
        append: true,
        ..market_args(&a, &store, &market)
    })
    .unwrap();
    assert!(run.revisions.is_some(), "the revised bar was applied");
    let rebuild = tmp.path().join("rebuild");
    backfill::run(&market_args(&c, &rebuild, &market)).unwrap();
    assert_same(
        &rows(&store, None, None),
        &rows(&rebuild, None, None),
        "latest view vs the rebuild",
    );
}

/// `text`'s lines before `cut` (by their first ten characters) and from it
/// on, each under `header`.
fn split(text: &str, cut: &str) -> (String, String) {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut old, mut new) = (format!("{header}\n"), format!("{header}\n"));
    for l in lines {
        let part = if &l[..10] < cut { &mut old } else { &mut new };
        part.push_str(l);
        part.push('\n');
    }
    (old, new)
}

#[test]
fn a_corrected_market_bar_revises_every_symbols_affected_rows() {
    let (tmp, input, market) = fixture();
    // The market's return 30 bar times before the cut, corrected.
    let (cut, date) = ("2018-01-25", "2017-12-08");
    let text = std::fs::read_to_string(&market).unwrap();
    let corrected_text: String = text
        .lines()
        .map(|l| match l.strip_prefix(&format!("{date},")) {
            Some(rest) => {
                let (ret, members) = rest.split_once(',').unwrap();
                let ret: f64 = ret.parse().unwrap();
                format!("{date},{:?},{members}\n", ret + 0.01)
            }
            None => format!("{l}\n"),
        })
        .collect();
    assert_ne!(corrected_text, text);
    let corrected = tmp.path().join("corrected.csv");
    std::fs::write(&corrected, corrected_text).unwrap();
    let (old, new) = split(&std::fs::read_to_string(&input).unwrap(), cut);
    let [o, n] = ["old.csv", "new.csv"].map(|f| tmp.path().join(f));
    std::fs::write(&o, old).unwrap();
    std::fs::write(&n, new).unwrap();

    let store = tmp.path().join("store");
    backfill::run(&market_args(&o, &store, &market)).unwrap();
    let original = rows(&store, None, None);
    let run = backfill::run(&BackfillArgs {
        append: true,
        ..market_args(&n, &store, &corrected)
    })
    .unwrap();
    let record = run.revisions.expect("the market change was applied");
    assert!(record.market && record.rows > 0, "{record:?}");

    let rebuild = tmp.path().join("rebuild");
    backfill::run(&market_args(&input, &rebuild, &corrected)).unwrap();
    assert_same(
        &rows(&store, None, None),
        &rows(&rebuild, None, None),
        "latest view vs a rebuild under the corrected market",
    );
    let last_old = common::date_of(common::days(cut) - 1);
    let before = rows(&store, Some("2020-01-01"), Some(&last_old));
    assert_eq!(before, original, "the as-of view before the correction");
    // Only rows from the corrected date on changed.
    let now = rows(&store, None, Some(&last_old));
    let (a, b) = (
        common::versions::values(&original),
        common::versions::values(&now),
    );
    assert_eq!(a.len(), b.len());
    let day = common::days(date);
    let changed: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
    assert!(!changed.is_empty());
    assert!(
        changed.iter().all(|(x, _)| x.1 >= day),
        "a row before the correction changed"
    );
    // Appending the same again is nothing new to revise.
    let again = backfill::run(&BackfillArgs {
        append: true,
        ..market_args(&n, &store, &corrected)
    });
    assert!(again.is_err(), "the same input twice is refused");
}

#[test]
fn a_missing_or_mismatched_market_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 50);
    let missing = backfill::run(&BackfillArgs {
        config: config(),
        ..sp500_args(&input, &tmp.path().join("a"), 1)
    })
    .unwrap_err()
    .to_string();
    assert!(
        missing.contains("beta_20, beta_60, corr_20, corr_60") && missing.contains("--market"),
        "{missing}"
    );
    let intraday = tmp.path().join("intraday.csv");
    std::fs::write(
        &intraday,
        "ts,close\n2016-01-04T15:00:00Z,100\n2016-01-05T15:00:00Z,101\n",
    )
    .unwrap();
    let mismatched = backfill::run(&market_args(&input, &tmp.path().join("b"), &intraday))
        .unwrap_err()
        .to_string();
    assert!(mismatched.contains("instants"), "{mismatched}");
}
