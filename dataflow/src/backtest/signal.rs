//! A signal's values and the names it may trade: the weighted sum of its
//! columns, the liquidity filter, and the per-symbol bar returns.

use super::panel::Panel;
use crate::{Result, TickflowError};
use std::collections::BTreeMap;
use tickflow_operators::indicators::AvgDollarVolume;

/// The weighted sum of `weights`' columns over `len` rows, summed in
/// column-name order (`0 + w1 * x1 + w2 * x2 ...`); NaN where any of them
/// is missing. `column` looks a column up by name: the backtest's panel
/// and the live signals' cross-section call this same function.
pub fn combine<'a>(
    len: usize,
    weights: &BTreeMap<String, f64>,
    column: impl Fn(&str) -> Option<&'a [f64]>,
) -> Result<Vec<f64>> {
    let mut out = vec![0.0; len];
    for (name, &w) in weights {
        let column = column(name).ok_or_else(|| TickflowError::Config {
            path: "signal".into(),
            message: format!("no column `{name}`"),
        })?;
        for (o, &v) in out.iter_mut().zip(column) {
            *o += w * v;
        }
    }
    Ok(out)
}

/// Whether a name with this liquidity average may be held: always when
/// the filter is off (`min_dollar_volume` 0), else once its average over
/// the window exists and reaches the minimum.
pub fn liquid_enough(min_dollar_volume: f64, average: Option<f64>) -> bool {
    min_dollar_volume <= 0.0 || average.is_some_and(|a| a >= min_dollar_volume)
}

/// Which cells a portfolio formed at `t` may pick: the symbol has a bar at
/// `t` and, when `min_dollar_volume` is positive, its last `window` bars
/// (its own, ending at `t`) average at least that much `close * volume`
/// (the `adv` indicator, the same state the live pipeline's `adv_<window>`
/// column comes from). Nothing after `t` is looked at; a pick without a
/// bar at `t + 1` cannot be bought (see [`super::portfolio`]).
pub fn eligible(panel: &Panel, min_dollar_volume: f64, window: usize) -> Vec<bool> {
    let n = panel.width();
    let mut out = vec![false; panel.close.len()];
    let mut averages = vec![AvgDollarVolume::new(window); n];
    for (row, cells) in out.chunks_mut(n.max(1)).enumerate() {
        for (i, cell) in cells.iter_mut().enumerate() {
            let k = row * n + i;
            if panel.close[k].is_finite() {
                let average = averages[i].push(panel.dollar_volume[k]);
                *cell = liquid_enough(min_dollar_volume, average);
            }
        }
    }
    out
}

/// Each symbol's bar return, `close / previous close of the symbol - 1`
/// (NaN where it has no bar or no earlier one): the spec's `ret_1`.
pub fn returns(panel: &Panel) -> Vec<f64> {
    let n = panel.width();
    let mut previous = vec![f64::NAN; n];
    let mut out = vec![f64::NAN; panel.close.len()];
    for (row, cells) in out.chunks_mut(n.max(1)).enumerate() {
        for (i, cell) in cells.iter_mut().enumerate() {
            let c = panel.close[row * n + i];
            if c.is_finite() {
                *cell = c / previous[i] - 1.0;
                previous[i] = c;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_connectors::TsKind;

    fn panel(close: &[&[f64]], volume: f64) -> Panel {
        let n = close[0].len();
        let flat: Vec<f64> = close.iter().flat_map(|r| r.iter().copied()).collect();
        Panel {
            ts_kind: TsKind::Date,
            ts: (0..close.len() as i64).collect(),
            symbols: (0..n).map(|i| format!("S{i}")).collect(),
            dollar_volume: flat.iter().map(|c| c * volume).collect(),
            close: flat,
            columns: vec![("x".into(), vec![1.0; close.len() * n])],
        }
    }

    #[test]
    fn returns_skip_gaps_to_the_symbols_previous_bar() {
        let nan = f64::NAN;
        let p = panel(&[&[10.0, 1.0], &[nan, 2.0], &[12.0, 3.0]], 1.0);
        let r = returns(&p);
        assert!(r[0].is_nan() && r[1].is_nan() && r[2].is_nan());
        assert_eq!((r[3], r[4], r[5]), (1.0, 1.2 - 1.0, 0.5));
    }

    #[test]
    fn eligible_needs_a_bar_and_a_full_liquid_window() {
        let nan = f64::NAN;
        let p = panel(
            &[&[1.0, 10.0], &[1.0, 10.0], &[nan, 10.0], &[1.0, 10.0]],
            100.0,
        );
        assert_eq!(
            eligible(&p, 0.0, 2),
            [true, true, true, true, false, true, true, true]
        );
        // Symbol 1 trades 1000 a bar; symbol 0 only 100.
        assert_eq!(
            eligible(&p, 500.0, 2),
            [false, false, false, true, false, true, false, true]
        );
    }

    #[test]
    fn combine_is_null_where_any_column_is() {
        let mut p = panel(&[&[1.0, 2.0]], 1.0);
        p.columns.push(("y".into(), vec![f64::NAN, 3.0]));
        let w = BTreeMap::from([("x".to_string(), 2.0), ("y".to_string(), -1.0)]);
        let s = combine(2, &w, |n| p.column(n)).unwrap();
        assert!(s[0].is_nan());
        assert_eq!(s[1], -1.0);
        let z = BTreeMap::from([("z".to_string(), 1.0)]);
        assert!(combine(2, &z, |n| p.column(n)).is_err());
    }
}
