//! Signal backtests on a feature store: a vectorised quantile portfolio per
//! `[[signal]]` of the config, its daily rank IC at several horizons,
//! returns by signal quantile, statistics overall, by year and by
//! walk-forward fold, and a report directory per signal (Markdown with PNG
//! charts, `summary.json`, the daily series as Parquet).
//!
//! Timing (stated in every report): the signal at bar `t` uses the store's
//! row at `t`; trades execute at the close of bar `t + 1`; the portfolio
//! earns from bar `t + 2` on (see [`portfolio`]).

pub mod charts;
pub mod config;
pub mod ic;
pub mod metrics;
pub mod panel;
pub mod portfolio;
pub mod report;
pub mod signal;
pub mod targets;
pub mod walk;

pub use config::{Fit, Side, SignalConfig, WalkForward};
pub use metrics::Stats;
pub use panel::Panel;

use crate::{Result, TickflowError};
use portfolio::{Daily, QuantileReturns, Simulation};
use serde::Serialize;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;
use tickflow_connectors::{civil_from_days, TsKind};

/// What to backtest and where the reports go.
#[derive(Debug, Clone)]
pub struct BacktestArgs {
    /// The feature store.
    pub store: PathBuf,
    /// The signals (the config's `[[signal]]` tables).
    pub signals: Vec<SignalConfig>,
    /// The report directory (one folder per signal inside).
    pub output: PathBuf,
    /// First bar, inclusive.
    pub from: Option<String>,
    /// Last bar, inclusive.
    pub to: Option<String>,
    /// Threads (0: every core).
    pub threads: usize,
    /// Also write each signal's formed portfolios (`targets.parquet`).
    pub targets: bool,
}

/// One signal's backtest, computed.
#[derive(Debug, Clone)]
pub struct Backtest {
    /// The signal.
    pub config: SignalConfig,
    /// The signal's value per panel cell.
    pub values: Vec<f64>,
    /// Which panel cells a portfolio may pick ([`signal::eligible`]).
    pub eligible: Vec<bool>,
    /// The simulation over the whole panel.
    pub simulation: Simulation,
    /// `(horizon, IC per bar)`, horizons ascending.
    pub ic: Vec<(usize, Vec<f64>)>,
    /// The evaluated bars: from the first bar with holdings to the last.
    pub first: usize,
    /// The walk-forward folds and their stitched simulation.
    pub walk_forward: Option<(Vec<walk::Fold>, Simulation, Vec<f64>)>,
    /// The statistics.
    pub summary: Summary,
}

/// A backtest's numbers (`summary.json`).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The signal's name.
    pub signal: String,
    /// First evaluated bar.
    pub from: String,
    /// Last evaluated bar.
    pub to: String,
    /// How trades are timed.
    pub execution: String,
    /// After costs.
    pub net: Stats,
    /// Before costs.
    pub gross: Stats,
    /// Net statistics by calendar year.
    pub by_year: Vec<(i64, Stats)>,
    /// Mean rank IC by horizon.
    pub ic_decay: Vec<IcAtHorizon>,
    /// Mean return per holding period by quantile (lowest signal first).
    pub quantiles: QuantileReturns,
    /// The walk-forward folds' out-of-sample statistics.
    pub walk_forward: Vec<FoldStats>,
}

/// The IC at one horizon.
#[derive(Debug, Clone, Serialize)]
pub struct IcAtHorizon {
    /// Bars.
    pub horizon: usize,
    /// Mean daily rank IC.
    pub mean: f64,
    /// Mean over standard deviation.
    pub ir: f64,
    /// Bars with a defined IC.
    pub bars: usize,
}

/// One walk-forward fold's test window.
#[derive(Debug, Clone, Serialize)]
pub struct FoldStats {
    /// The fold.
    pub fold: walk::Fold,
    /// First training bar.
    pub train_from: String,
    /// Last training bar.
    pub train_to: String,
    /// First test bar.
    pub test_from: String,
    /// Last test bar.
    pub test_to: String,
    /// Net statistics over the test window.
    pub net: Stats,
}

/// The execution rule, as reports state it.
pub const EXECUTION: &str = "signal at the close of bar t; trades at the close of bar t+1; \
     returns from bar t+2 on; weights held constant between rebalances";

/// Backtests one signal on a loaded panel.
pub fn backtest(panel: &Panel, config: &SignalConfig, threads: usize) -> Result<Backtest> {
    config.validate()?;
    let width = panel.width();
    let values = signal::combine(panel.close.len(), &config.weights(), |c| panel.column(c))?;
    let eligible = signal::eligible(panel, config.min_dollar_volume, config.liquidity_window);
    let returns = signal::returns(panel);
    let simulation = portfolio::simulate(config, width, &values, &eligible, &returns, &panel.close);
    let first = simulation.first_held.ok_or_else(|| TickflowError::Config {
        path: format!("signal `{}`", config.name),
        message: format!(
            "never formed a portfolio: no rebalance had {} eligible names with a value \
                 (check the columns, min_dollar_volume and the window)",
            config.quantiles
        ),
    })?;
    let horizons = config.horizons();
    let ic: Vec<(usize, Vec<f64>)> = horizons
        .iter()
        .copied()
        .zip(ic::rank_ic(
            width,
            &values,
            &eligible,
            &panel.close,
            &horizons,
            threads,
        ))
        .collect();
    let walk_forward = config.walk_forward.as_ref().map(|wf| {
        let (folds, stitched) = walk::stitch(config, wf, panel, &eligible, threads);
        let sim = portfolio::simulate(config, width, &stitched, &eligible, &returns, &panel.close);
        let wf_ic = ic::rank_ic(
            width,
            &stitched,
            &eligible,
            &panel.close,
            &[config.holding],
            threads,
        );
        (folds, sim, wf_ic.into_iter().next().unwrap_or_default())
    });
    let summary = summarise(
        panel,
        config,
        &simulation,
        &ic,
        first,
        walk_forward.as_ref(),
    );
    Ok(Backtest {
        config: config.clone(),
        values,
        eligible,
        simulation,
        ic,
        first,
        walk_forward,
        summary,
    })
}

/// The year of a bar time.
pub fn year_of(kind: TsKind, ts: i64) -> i64 {
    let days = match kind {
        TsKind::Date => ts,
        TsKind::Micros => ts.div_euclid(86_400_000_000),
    };
    civil_from_days(days).0
}

fn summarise(
    panel: &Panel,
    config: &SignalConfig,
    sim: &Simulation,
    ic: &[(usize, Vec<f64>)],
    first: usize,
    walk_forward: Option<&(Vec<walk::Fold>, Simulation, Vec<f64>)>,
) -> Summary {
    let ppy = config.periods_per_year;
    let d = &sim.daily;
    let holding_ic = ic::at(ic, config.holding);
    let end = panel.ts.len();
    let fmt = |t: usize| tickflow_connectors::format_ts(panel.ts_kind, panel.ts[t]);
    let years: BTreeSet<i64> = panel.ts[first..]
        .iter()
        .map(|&t| year_of(panel.ts_kind, t))
        .collect();
    let by_year = years
        .into_iter()
        .map(|y| {
            let from =
                first + panel.ts[first..].partition_point(|&t| year_of(panel.ts_kind, t) < y);
            let to = first + panel.ts[first..].partition_point(|&t| year_of(panel.ts_kind, t) <= y);
            (y, stats_over(d, &d.net, holding_ic, from..to, ppy))
        })
        .collect();
    let ic_decay = ic
        .iter()
        .map(|(h, v)| {
            let defined = v[first..].iter().copied().filter(|x| x.is_finite());
            let (mean, sd) = metrics::mean_sd(defined.clone());
            IcAtHorizon {
                horizon: *h,
                mean,
                ir: metrics::ratio(mean, sd),
                bars: defined.count(),
            }
        })
        .collect();
    let walk_forward = walk_forward
        .map(|(folds, wsim, wic)| {
            folds
                .iter()
                .map(|f| FoldStats {
                    fold: f.clone(),
                    train_from: fmt(f.train_from),
                    train_to: fmt(f.train_to.saturating_sub(1)),
                    test_from: fmt(f.test_from),
                    test_to: fmt(f.test_to - 1),
                    net: stats_over(
                        &wsim.daily,
                        &wsim.daily.net,
                        wic,
                        f.test_from..f.test_to,
                        ppy,
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    Summary {
        signal: config.name.clone(),
        from: fmt(first),
        to: fmt(end - 1),
        execution: EXECUTION.into(),
        net: stats_over(d, &d.net, holding_ic, first..end, ppy),
        gross: stats_over(d, &d.gross, holding_ic, first..end, ppy),
        by_year,
        ic_decay,
        quantiles: sim.quantiles.clone(),
        walk_forward,
    }
}

/// The statistics of `returns` (net or gross) over the bars `r` of a
/// simulation's series.
fn stats_over(d: &Daily, returns: &[f64], ic: &[f64], r: Range<usize>, ppy: f64) -> Stats {
    let held: Vec<bool> = d.longs[r.clone()]
        .iter()
        .zip(&d.shorts[r.clone()])
        .map(|(l, s)| l + s > 0)
        .collect();
    Stats::of(
        &metrics::Series {
            net: &returns[r.clone()],
            turnover: &d.turnover[r.clone()],
            cost: &d.cost[r.clone()],
            held: &held,
            ic: &ic[r],
        },
        ppy,
    )
}

/// Loads the store once and writes a report per signal; the summaries.
pub fn run(args: &BacktestArgs) -> Result<Vec<Summary>> {
    if args.signals.is_empty() {
        return Err(TickflowError::Config {
            path: "--config".into(),
            message:
                "the config defines no signal; add a [[signal]] table (see the README's Backtests)"
                    .into(),
        });
    }
    let mut columns: Vec<String> = Vec::new();
    for s in &args.signals {
        s.validate()?;
        for c in s.weights().into_keys() {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
    }
    let panel = Panel::load(
        &args.store,
        args.from.as_deref(),
        args.to.as_deref(),
        &columns,
        args.threads,
    )?;
    let mut out = Vec::new();
    for s in &args.signals {
        let b = backtest(&panel, s, args.threads)?;
        let dir = args.output.join(&s.name);
        report::write(&dir, &panel, &b)?;
        if args.targets {
            targets::write(&dir, &panel, &b)?;
        }
        out.push(b.summary);
    }
    Ok(out)
}
