//! Performance statistics of a per-bar return series: compounded and
//! annualised return, volatility, Sharpe, drawdown, hit rate, turnover and
//! the mean rank IC, over any run of bars (the whole test, a year, a fold).

use serde::Serialize;

/// Statistics of a run of bars. Undefined values (a constant series, no
/// bars) are NaN, written as null.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// Bars in the run.
    pub bars: usize,
    /// Compounded return, `prod(1 + net) - 1`.
    pub total_return: f64,
    /// `(1 + total_return)^(periods_per_year / bars) - 1`.
    pub annual_return: f64,
    /// Sample standard deviation of the bar returns times `sqrt(periods_per_year)`.
    pub annual_volatility: f64,
    /// Mean over standard deviation of the bar returns times
    /// `sqrt(periods_per_year)` (no risk-free rate).
    pub sharpe: f64,
    /// The deepest fall of the compounded equity from its running peak
    /// (negative).
    pub max_drawdown: f64,
    /// Share of the bars with holdings whose net return is positive.
    pub hit_rate: f64,
    /// Mean turnover per bar times `periods_per_year` (1.0 = the whole
    /// gross book traded once a year).
    pub annual_turnover: f64,
    /// Total cost paid, as a sum of bar returns.
    pub total_cost: f64,
    /// Mean rank IC at the holding horizon.
    pub mean_ic: f64,
    /// Mean IC over its standard deviation.
    pub ic_ir: f64,
    /// Share of the defined ICs that are positive.
    pub ic_positive: f64,
}

/// The series a [`Stats`] is computed from (equal-length slices).
pub struct Series<'a> {
    /// Net return per bar.
    pub net: &'a [f64],
    /// Turnover per bar.
    pub turnover: &'a [f64],
    /// Cost per bar.
    pub cost: &'a [f64],
    /// Whether anything was held over the bar.
    pub held: &'a [bool],
    /// The rank IC per bar (NaN where undefined).
    pub ic: &'a [f64],
}

impl Stats {
    /// The statistics of `s`.
    pub fn of(s: &Series, periods_per_year: f64) -> Self {
        let bars = s.net.len();
        let growth: f64 = s.net.iter().map(|r| 1.0 + r).product();
        let (mean, sd) = mean_sd(s.net.iter().copied());
        let held: Vec<f64> = s
            .net
            .iter()
            .zip(s.held)
            .filter(|(_, &h)| h)
            .map(|(&r, _)| r)
            .collect();
        let wins = held.iter().filter(|&&r| r > 0.0).count();
        let ics: Vec<f64> = s.ic.iter().copied().filter(|v| v.is_finite()).collect();
        let (ic_mean, ic_sd) = mean_sd(ics.iter().copied());
        let positive = ics.iter().filter(|&&v| v > 0.0).count();
        Stats {
            bars,
            total_return: growth - 1.0,
            annual_return: match bars {
                0 => f64::NAN,
                _ => growth.powf(periods_per_year / bars as f64) - 1.0,
            },
            annual_volatility: sd * periods_per_year.sqrt(),
            sharpe: ratio(mean, sd) * periods_per_year.sqrt(),
            max_drawdown: drawdown(s.net).iter().copied().fold(0.0, f64::min),
            hit_rate: ratio(wins as f64, held.len() as f64),
            annual_turnover: ratio(s.turnover.iter().sum(), bars as f64) * periods_per_year,
            total_cost: s.cost.iter().sum(),
            mean_ic: ic_mean,
            ic_ir: ratio(ic_mean, ic_sd),
            ic_positive: ratio(positive as f64, ics.len() as f64),
        }
    }
}

/// `a / b`, NaN when `b` is 0.
pub(super) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

/// Mean and sample standard deviation (NaN below 2 values).
pub fn mean_sd(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let ss: f64 = values.map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64).sqrt())
}

/// The compounded equity (starting at 1) after each bar.
pub fn equity(net: &[f64]) -> Vec<f64> {
    net.iter()
        .scan(1.0, |e, r| {
            *e *= 1.0 + r;
            Some(*e)
        })
        .collect()
}

/// The equity's fall from its running peak (the start, 1, included) after
/// each bar: 0 at a new peak, negative below it.
pub fn drawdown(net: &[f64]) -> Vec<f64> {
    let mut peak = 1.0f64;
    equity(net)
        .into_iter()
        .map(|e| {
            peak = peak.max(e);
            e / peak - 1.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_and_compounding() {
        let net = [0.1, -0.5, 0.2, 1.0];
        let e = equity(&net);
        assert_eq!(e[1], 1.1 * 0.5);
        let dd = drawdown(&net);
        assert_eq!(dd[0], 0.0);
        assert_eq!(dd[1], 0.5 - 1.0);
        assert_eq!(dd[3], 0.0);
        let s = Stats::of(
            &Series {
                net: &net,
                turnover: &[1.0, 0.0, 0.0, 1.0],
                cost: &[0.0; 4],
                held: &[true, true, false, true],
                ic: &[0.1, f64::NAN, -0.1, 0.3],
            },
            4.0,
        );
        assert_eq!(s.bars, 4);
        assert!((s.total_return - (1.1 * 0.5 * 1.2 * 2.0 - 1.0)).abs() < 1e-15);
        assert!((s.annual_return - s.total_return).abs() < 1e-15);
        assert_eq!(s.max_drawdown, 0.5 - 1.0);
        assert_eq!(s.hit_rate, 2.0 / 3.0);
        assert_eq!(s.annual_turnover, 2.0);
        assert!((s.mean_ic - 0.1).abs() < 1e-15);
        assert_eq!(s.ic_positive, 2.0 / 3.0);
    }

    #[test]
    fn a_constant_series_has_no_sharpe() {
        let s = Stats::of(
            &Series {
                net: &[0.0; 3],
                turnover: &[0.0; 3],
                cost: &[0.0; 3],
                held: &[false; 3],
                ic: &[f64::NAN; 3],
            },
            252.0,
        );
        assert!(s.sharpe.is_nan() && s.hit_rate.is_nan() && s.mean_ic.is_nan());
        assert_eq!(s.max_drawdown, 0.0);
    }
}
