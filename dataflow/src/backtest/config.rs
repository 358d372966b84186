//! A signal as the TOML config defines it (`[[signal]]` tables): which
//! columns, how they combine, and how the portfolio trades it.

use crate::{Result, TickflowError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which sides of the cross-section the portfolio holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Long the top quantile, short the bottom one (net zero, gross 2).
    #[default]
    LongShort,
    /// Long the top quantile only (gross 1).
    LongOnly,
}

/// How a walk-forward fold sets the signal's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// The configured weights in every fold (an out-of-sample stability
    /// check).
    #[default]
    Fixed,
    /// Each column's weight is its mean daily rank IC (at the holding
    /// horizon) over the fold's training bars, scaled to a sum of absolute
    /// weights of 1.
    Ic,
}

/// Walk-forward splits: consecutive test windows of `test` bars, each after
/// a training window of `train` bars (all earlier bars when `expanding`),
/// with an embargo of `holding + 1` bars so that no training label reaches
/// into the test window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkForward {
    /// Training bars before the first test window.
    pub train: usize,
    /// Bars per test window.
    pub test: usize,
    /// Train on every earlier bar instead of the last `train`.
    #[serde(default)]
    pub expanding: bool,
    /// How each fold's weights are set.
    #[serde(default)]
    pub fit: Fit,
}

/// One `[[signal]]` table.
///
/// ```
/// use tickflow::backtest::SignalConfig;
/// let s: SignalConfig = toml::from_str(r#"
///     name = "reversal"
///     weights = { cs_rank_ret_5 = -1.0, cs_rank_rsi_14 = -0.5 }
///     quantiles = 5
///     rebalance = 5
///     holding = 10
///     cost_bps = 10
///     min_dollar_volume = 5e6
/// "#).unwrap();
/// s.validate().unwrap();
/// assert_eq!(s.weights().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalConfig {
    /// The signal's name (report folder, signals topic key).
    pub name: String,
    /// A single column as the signal (or use `weights`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// A weighted sum of columns, summed in column-name order; null when
    /// any of them is null.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, f64>,
    /// Quantile buckets of the cross-section (long the top, short the bottom).
    #[serde(default = "five")]
    pub quantiles: usize,
    /// Long/short or long only.
    #[serde(default)]
    pub side: Side,
    /// Bars between rebalances.
    #[serde(default = "one")]
    pub rebalance: usize,
    /// Bars each rebalance's portfolio is held; with `holding` longer than
    /// `rebalance` the portfolios overlap, each with an equal share.
    #[serde(default = "one")]
    pub holding: usize,
    /// Cost in basis points of traded notional.
    #[serde(default)]
    pub cost_bps: f64,
    /// Minimum average dollar volume (close x volume) over the last
    /// `liquidity_window` bars; 0 turns the filter off.
    #[serde(default)]
    pub min_dollar_volume: f64,
    /// Bars of the liquidity average.
    #[serde(default = "twenty")]
    pub liquidity_window: usize,
    /// Forward-return horizons (bars) of the rank IC and its decay; the
    /// holding period is always included.
    #[serde(default = "horizons")]
    pub ic_horizons: Vec<usize>,
    /// Bars of the rolling IC chart.
    #[serde(default = "quarter")]
    pub rolling_ic: usize,
    /// Bars per year, for annualising (252 for daily bars).
    #[serde(default = "year")]
    pub periods_per_year: f64,
    /// Walk-forward splits (off unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk_forward: Option<WalkForward>,
}

fn one() -> usize {
    1
}
fn five() -> usize {
    5
}
fn twenty() -> usize {
    20
}
fn quarter() -> usize {
    63
}
fn year() -> f64 {
    252.0
}
fn horizons() -> Vec<usize> {
    vec![1, 5, 10, 20]
}

impl SignalConfig {
    /// The columns and their weights, in summation order.
    pub fn weights(&self) -> BTreeMap<String, f64> {
        match &self.column {
            Some(c) => BTreeMap::from([(c.clone(), 1.0)]),
            None => self.weights.clone(),
        }
    }

    /// The feature column of the liquidity filter, `adv_<liquidity_window>`
    /// (none when the filter is off): live runs read it from the rolling
    /// engine, which computes it for every config with such a signal.
    pub fn liquidity_column(&self) -> Option<String> {
        (self.min_dollar_volume > 0.0).then(|| format!("adv_{}", self.liquidity_window))
    }

    /// The IC horizons, sorted, without repeats, the holding period included.
    pub fn horizons(&self) -> Vec<usize> {
        let mut h = self.ic_horizons.clone();
        h.push(self.holding);
        h.sort_unstable();
        h.dedup();
        h
    }

    /// Checks what TOML can hold but a backtest cannot use.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| {
            Err(TickflowError::Config {
                path: format!("signal `{}`", self.name),
                message,
            })
        };
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return bad("name must be non-empty letters, digits, `_` or `-`".into());
        }
        match (&self.column, self.weights.is_empty()) {
            (Some(_), false) => return bad("give `column` or `weights`, not both".into()),
            (None, true) => {
                return bad("give `column = \"NAME\"` or `weights = { NAME = W }`".into())
            }
            _ => {}
        }
        if let Some((c, w)) = self.weights.iter().find(|(_, w)| !w.is_finite()) {
            return bad(format!("weight of `{c}` is {w}; weights must be finite"));
        }
        if self.quantiles < 2 {
            return bad(format!("quantiles = {}; at least 2", self.quantiles));
        }
        for (key, v) in [
            ("rebalance", self.rebalance),
            ("holding", self.holding),
            ("liquidity_window", self.liquidity_window),
            ("rolling_ic", self.rolling_ic),
        ] {
            if v == 0 {
                return bad(format!("{key} must be at least 1"));
            }
        }
        if self.ic_horizons.contains(&0) {
            return bad("ic_horizons must be at least 1 bar each".into());
        }
        if !(self.cost_bps.is_finite() && self.cost_bps >= 0.0) {
            return bad(format!("cost_bps = {}; must be 0 or more", self.cost_bps));
        }
        if !(self.min_dollar_volume.is_finite() && self.min_dollar_volume >= 0.0) {
            return bad(format!(
                "min_dollar_volume = {}; must be 0 or more",
                self.min_dollar_volume
            ));
        }
        if !(self.periods_per_year.is_finite() && self.periods_per_year > 0.0) {
            return bad(format!(
                "periods_per_year = {}; must be positive",
                self.periods_per_year
            ));
        }
        if let Some(wf) = &self.walk_forward {
            if wf.train == 0 || wf.test == 0 {
                return bad("walk_forward train and test must be at least 1 bar".into());
            }
            if wf.train <= self.holding + 1 {
                return bad(format!(
                    "walk_forward train = {} leaves nothing after the embargo of holding + 1 = {} bars",
                    wf.train,
                    self.holding + 1
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<SignalConfig, String> {
        let s: SignalConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        s.validate().map_err(|e| e.to_string())?;
        Ok(s)
    }

    #[test]
    fn defaults_and_a_single_column() {
        let s = parse("name = \"mom\"\ncolumn = \"ret_20\"\n").unwrap();
        assert_eq!(s.weights(), BTreeMap::from([("ret_20".into(), 1.0)]));
        assert_eq!((s.quantiles, s.rebalance, s.holding), (5, 1, 1));
        assert_eq!(s.side, Side::LongShort);
        assert_eq!(s.horizons(), [1, 5, 10, 20]);
        let s = parse("name = \"m\"\ncolumn = \"x\"\nholding = 3\nside = \"long_only\"\n").unwrap();
        assert_eq!(s.horizons(), [1, 3, 5, 10, 20]);
        assert_eq!(s.side, Side::LongOnly);
    }

    #[test]
    fn bad_signals_say_what_is_wrong() {
        for (text, needle) in [
            ("name = \"a\"\n", "give `column ="),
            ("name = \"a\"\ncolumn = \"x\"\nweights = { y = 1 }\n", "not both"),
            ("name = \"a b\"\ncolumn = \"x\"\n", "name must be"),
            ("name = \"a\"\ncolumn = \"x\"\nquantiles = 1\n", "quantiles = 1"),
            ("name = \"a\"\ncolumn = \"x\"\nholding = 0\n", "holding must be"),
            ("name = \"a\"\ncolumn = \"x\"\ncost_bps = -1\n", "cost_bps"),
            ("name = \"a\"\ncolumn = \"x\"\nquantile = 5\n", "unknown field"),
            ("name = \"a\"\ncolumn = \"x\"\nside = \"short\"\n", "unknown variant"),
            (
                "name = \"a\"\ncolumn = \"x\"\nholding = 5\nwalk_forward = { train = 6, test = 5 }\n",
                "embargo",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
