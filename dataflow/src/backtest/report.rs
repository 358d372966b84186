//! A backtest's report directory: `report.md` (the summary, with the
//! charts), `summary.json` (every number), `daily.parquet` (the per-bar
//! series) and the PNG charts. Every file is written under a temporary
//! name and renamed.

use super::charts::{self, Line};
use super::metrics::{drawdown, equity, Stats};
use super::{Backtest, Panel};
use crate::query::print::{write_file, write_parquet};
use crate::schema::{ts_array, ts_type};
use crate::{Result, TickflowError};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use plotters::style::RGBColor;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use tickflow_connectors::{civil_from_days, days_from_civil, TsKind};

const BLUE: RGBColor = RGBColor(46, 117, 182);
const GREY: RGBColor = RGBColor(150, 150, 150);
const RED: RGBColor = RGBColor(200, 70, 60);
const GREEN: RGBColor = RGBColor(60, 150, 80);

/// Writes the report of `b` into `dir` (created if needed).
pub fn write(dir: &Path, panel: &Panel, b: &Backtest) -> Result<()> {
    let err = |e: std::io::Error| TickflowError::Output {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let json =
        serde_json::to_string_pretty(&b.summary).map_err(|e| err(std::io::Error::other(e)))?;
    write_file(&dir.join("summary.json"), |w| w.write_all(json.as_bytes())).map_err(err)?;
    write_parquet(&daily_batch(panel, b), &dir.join("daily.parquet")).map_err(err)?;
    draw(dir, panel, b).map_err(err)?;
    let md = markdown(b);
    write_file(&dir.join("report.md"), |w| w.write_all(md.as_bytes())).map_err(err)
}

/// The per-bar series from the first evaluated bar.
fn daily_batch(panel: &Panel, b: &Backtest) -> RecordBatch {
    let from = b.first;
    let d = &b.simulation.daily;
    let mut fields = vec![Field::new("ts", ts_type(panel.ts_kind), false)];
    let mut columns = vec![ts_array(panel.ts_kind, panel.ts[from..].to_vec())];
    let mut float = |name: String, values: &[f64]| {
        fields.push(Field::new(name, DataType::Float64, true));
        columns.push(Arc::new(Float64Array::from_iter(
            values.iter().map(|v| v.is_finite().then_some(*v)),
        )) as ArrayRef);
    };
    float("gross_return".into(), &d.gross[from..]);
    float("cost".into(), &d.cost[from..]);
    float("net_return".into(), &d.net[from..]);
    float("equity".into(), &equity(&d.net[from..]));
    float("drawdown".into(), &drawdown(&d.net[from..]));
    float("turnover".into(), &d.turnover[from..]);
    for (h, ic) in &b.ic {
        float(format!("ic_{h}"), &ic[from..]);
    }
    if let Some((_, wf, _)) = &b.walk_forward {
        float("walk_forward_net_return".into(), &wf.daily.net[from..]);
    }
    fields.push(Field::new("longs", DataType::UInt32, false));
    columns.push(Arc::new(UInt32Array::from(d.longs[from..].to_vec())));
    fields.push(Field::new("shorts", DataType::UInt32, false));
    columns.push(Arc::new(UInt32Array::from(d.shorts[from..].to_vec())));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("the columns match the fields")
}

/// A bar time as a fractional year (the charts' x axis).
fn year_fraction(kind: TsKind, ts: i64) -> f64 {
    let days = match kind {
        TsKind::Date => ts as f64,
        TsKind::Micros => ts as f64 / 86_400_000_000.0,
    };
    let y = civil_from_days(days.floor() as i64).0;
    y as f64 + (days - days_from_civil(y, 1, 1) as f64) / 365.25
}

fn draw(dir: &Path, panel: &Panel, b: &Backtest) -> std::io::Result<()> {
    let from = b.first;
    let d = &b.simulation.daily;
    let x: Vec<f64> = panel.ts[from..]
        .iter()
        .map(|&t| year_fraction(panel.ts_kind, t))
        .collect();
    let along = |y: Vec<f64>| x.iter().copied().zip(y).collect::<Vec<_>>();
    let name = &b.config.name;
    let mut equity_lines = vec![
        Line {
            label: "net of costs",
            points: along(equity(&d.net[from..])),
            color: BLUE,
            fill: false,
        },
        Line {
            label: "before costs",
            points: along(equity(&d.gross[from..])),
            color: GREY,
            fill: false,
        },
    ];
    if let Some((_, wf, _)) = &b.walk_forward {
        equity_lines.push(Line {
            label: "walk-forward, net",
            points: along(equity(&wf.daily.net[from..])),
            color: GREEN,
            fill: false,
        });
    }
    charts::lines(
        &dir.join("equity.png"),
        &format!("{name}: equity (start = 1)"),
        "equity",
        &equity_lines,
    )?;
    charts::lines(
        &dir.join("drawdown.png"),
        &format!("{name}: drawdown, net"),
        "drawdown",
        &[Line {
            label: "drawdown",
            points: along(drawdown(&d.net[from..])),
            color: RED,
            fill: true,
        }],
    )?;
    let holding = b.config.holding;
    let ic = super::ic::at(&b.ic, holding);
    charts::lines(
        &dir.join("rolling_ic.png"),
        &format!(
            "{name}: rank IC at {holding} bars, rolling {}-bar mean",
            b.config.rolling_ic
        ),
        "IC",
        &[Line {
            label: "rolling mean IC",
            points: along(rolling_mean(&ic[from..], b.config.rolling_ic)),
            color: BLUE,
            fill: false,
        }],
    )?;
    let years: Vec<String> = b
        .summary
        .by_year
        .iter()
        .map(|(y, _)| y.to_string())
        .collect();
    let ic_by_year: Vec<f64> = b.summary.by_year.iter().map(|(_, s)| s.mean_ic).collect();
    charts::bars(
        &dir.join("ic_by_year.png"),
        &format!("{name}: mean rank IC at {holding} bars, by year"),
        "IC",
        &years,
        &ic_by_year,
    )?;
    let q = &b.summary.quantiles;
    let labels: Vec<String> = (1..=q.mean.len()).map(|k| format!("Q{k}")).collect();
    let bps: Vec<f64> = q.mean.iter().map(|m| m * 1e4).collect();
    charts::bars(
        &dir.join("quantile_returns.png"),
        &format!("{name}: mean {holding}-bar return by signal quantile (Q1 lowest)"),
        "bps",
        &labels,
        &bps,
    )?;
    Ok(())
}

/// The mean of the finite values among the last `window` (NaN when fewer
/// than half of them are finite).
fn rolling_mean(values: &[f64], window: usize) -> Vec<f64> {
    let (mut sum, mut count) = (0.0, 0usize);
    let mut out = Vec::with_capacity(values.len());
    for (k, &v) in values.iter().enumerate() {
        if v.is_finite() {
            sum += v;
            count += 1;
        }
        if k >= window {
            let old = values[k - window];
            if old.is_finite() {
                sum -= old;
                count -= 1;
            }
        }
        out.push(if 2 * count >= window && count > 0 {
            sum / count as f64
        } else {
            f64::NAN
        });
    }
    out
}

fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.2}%", v * 100.0)
    } else {
        "n/a".into()
    }
}

fn num(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "n/a".into()
    }
}

fn stats_row(label: &str, s: &Stats) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        s.bars,
        pct(s.total_return),
        pct(s.annual_return),
        pct(s.annual_volatility),
        num(s.sharpe, 2),
        pct(s.max_drawdown),
        pct(s.hit_rate),
        num(s.annual_turnover, 1),
        num(s.mean_ic, 4),
    )
}

const STATS_HEADER: &str = "| | bars | total return | annual return | annual vol | Sharpe | max drawdown | hit rate | turnover / yr | mean IC |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

/// The Markdown summary.
fn markdown(b: &Backtest) -> String {
    let s = &b.summary;
    let c = &b.config;
    let mut md = String::new();
    let _ = writeln!(md, "# Backtest: {}\n", c.name);
    let weights: Vec<String> = c
        .weights()
        .iter()
        .map(|(k, w)| format!("{w} x `{k}`"))
        .collect();
    let side = match c.side {
        super::Side::LongShort => "long the top quantile, short the bottom",
        super::Side::LongOnly => "long the top quantile only",
    };
    let _ = writeln!(md, "- Signal: {}", weights.join(" + "));
    let _ = writeln!(
        md,
        "- Portfolio: {} quantiles, {side}, equal weights within a side; rebalanced every {} bars, each portfolio held {} bars",
        c.quantiles, c.rebalance, c.holding
    );
    let _ = writeln!(md, "- Execution: {}", s.execution);
    let _ = writeln!(md, "- Costs: {} bps of traded notional", c.cost_bps);
    let liquidity = match c.min_dollar_volume > 0.0 {
        true => format!(
            "average close x volume over the last {} bars at least {}",
            c.liquidity_window, c.min_dollar_volume
        ),
        false => "none".into(),
    };
    let _ = writeln!(md, "- Liquidity filter: {liquidity}");
    let _ = writeln!(
        md,
        "- Evaluated: {} to {} ({} bars, {} bars a year)\n",
        s.from, s.to, s.net.bars, c.periods_per_year
    );
    let _ = writeln!(
        md,
        "## Performance\n\n{STATS_HEADER}{}{}",
        stats_row("net of costs", &s.net),
        stats_row("before costs", &s.gross)
    );
    let _ = writeln!(md, "![equity](equity.png)\n\n![drawdown](drawdown.png)\n");
    let _ = writeln!(md, "## Rank IC by horizon (decay)\n\nForward return from the execution close (bar t+1) to h bars later.\n\n| horizon (bars) | mean IC | IC IR | bars |\n|---:|---:|---:|---:|");
    for ic in &s.ic_decay {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            ic.horizon,
            num(ic.mean, 4),
            num(ic.ir, 3),
            ic.bars
        );
    }
    let _ = writeln!(md, "\n![rolling IC](rolling_ic.png)\n");
    let _ = writeln!(
        md,
        "## Returns by signal quantile\n\nMean {}-bar return from the execution close, equal weights, before costs, over {} rebalances (Q1: lowest signal).\n\n| quantile | mean return | annualised |\n|---|---:|---:|",
        c.holding, s.quantiles.periods
    );
    for (k, m) in s.quantiles.mean.iter().enumerate() {
        let _ = writeln!(
            md,
            "| Q{} | {} | {} |",
            k + 1,
            pct(*m),
            pct(m * c.periods_per_year / c.holding as f64)
        );
    }
    let _ = writeln!(md, "\n![quantile returns](quantile_returns.png)\n");
    let _ = write!(
        md,
        "## By year (net of costs)\n\n{}",
        STATS_HEADER.replacen("| |", "| year |", 1)
    );
    for (y, st) in &s.by_year {
        md.push_str(&stats_row(&y.to_string(), st));
    }
    let _ = writeln!(md, "\n![IC by year](ic_by_year.png)\n");
    if let (Some(wf), false) = (&c.walk_forward, s.walk_forward.is_empty()) {
        let fit = match wf.fit {
            super::Fit::Fixed => "the configured weights in every fold",
            super::Fit::Ic => {
                "each column weighted by its mean rank IC over the fold's training bars"
            }
        };
        let _ = writeln!(
            md,
            "## Walk-forward\n\nTest windows of {} bars after {} training bars ({}), an embargo of {} bars between them; {fit}.\n\n| test window | training window | weights | annual return | Sharpe | max drawdown | mean IC |\n|---|---|---|---:|---:|---:|---:|",
            wf.test,
            wf.train,
            if wf.expanding { "expanding" } else { "rolling" },
            c.holding + 1
        );
        for f in &s.walk_forward {
            let w: Vec<String> = f
                .fold
                .weights
                .iter()
                .map(|(k, v)| format!("{k}: {v:.3}"))
                .collect();
            let _ = writeln!(
                md,
                "| {} to {} | {} to {} | {} | {} | {} | {} | {} |",
                f.test_from,
                f.test_to,
                f.train_from,
                f.train_to,
                w.join(", "),
                pct(f.net.annual_return),
                num(f.net.sharpe, 2),
                pct(f.net.max_drawdown),
                num(f.net.mean_ic, 4)
            );
        }
    }
    let _ = writeln!(
        md,
        "\nThe per-bar series are in `daily.parquet`; every number above is in `summary.json`."
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_mean_needs_half_the_window() {
        let nan = f64::NAN;
        let r = rolling_mean(&[1.0, nan, 3.0, 5.0], 2);
        assert_eq!(r[0], 1.0);
        assert!(r[1].is_finite());
        assert_eq!(r[2], 3.0);
        assert_eq!(r[3], 4.0);
        assert!(rolling_mean(&[nan, nan], 2)[1].is_nan());
    }

    #[test]
    fn fractional_years() {
        assert_eq!(
            year_fraction(TsKind::Date, days_from_civil(2016, 1, 1)),
            2016.0
        );
        let mid = year_fraction(TsKind::Date, days_from_civil(2016, 7, 2));
        assert!((mid - 2016.5).abs() < 0.01);
    }
}
