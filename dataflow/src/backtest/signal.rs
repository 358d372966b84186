//! A signal's values and the names it may trade: the weighted sum of its
//! columns, the liquidity filter, and the per-symbol bar returns.

use super::panel::Panel;
use crate::{Result, TickflowError};
use std::collections::BTreeMap;

/// The weighted sum of `weights`' columns, summed in column-name order;
/// NaN where any of them is missing.
pub fn combine(panel: &Panel, weights: &BTreeMap<String, f64>) -> Result<Vec<f64>> {
    let mut out = vec![0.0; panel.close.len()];
    for (name, &w) in weights {
        let column = panel.column(name).ok_or_else(|| TickflowError::Config {
            path: "signal".into(),
            message: format!("the panel has no column `{name}`"),
        })?;
        for (o, &v) in out.iter_mut().zip(column) {
            *o += w * v;
        }
    }
    Ok(out)
}

/// Which cells a portfolio formed at `t` may hold: the symbol has a bar at
/// `t` and at `t + 1` (the execution bar), and, when `min_dollar_volume` is
/// positive, its last `window` bars (its own, ending at `t`) average at
/// least that much `close * volume`. Nothing after `t + 1` is looked at.
pub fn tradable(panel: &Panel, min_dollar_volume: f64, window: usize) -> Vec<bool> {
    let n = panel.width();
    let times = panel.ts.len();
    let mut out = vec![false; panel.close.len()];
    let mut liquid = Liquidity::new(n, window);
    for t in 0..times {
        let row = t * n;
        for i in 0..n {
            let dv = panel.dollar_volume[row + i];
            let here = panel.close[row + i].is_finite();
            let average = if here { liquid.push(i, dv) } else { None };
            let next = t + 1 < times && panel.close[row + n + i].is_finite();
            let liquid_enough =
                min_dollar_volume <= 0.0 || average.is_some_and(|a| a >= min_dollar_volume);
            out[row + i] = here && next && liquid_enough;
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

/// Rolling means of each symbol's last `window` dollar volumes. The sum is
/// recomputed from the ring every time it wraps, so rounding cannot drift.
struct Liquidity {
    window: usize,
    ring: Vec<f64>,
    next: Vec<usize>,
    count: Vec<usize>,
    sum: Vec<f64>,
}

impl Liquidity {
    fn new(symbols: usize, window: usize) -> Self {
        Self {
            window,
            ring: vec![0.0; symbols * window],
            next: vec![0; symbols],
            count: vec![0; symbols],
            sum: vec![0.0; symbols],
        }
    }

    /// Adds symbol `i`'s value (NaN counts as 0 volume traded); the mean of
    /// its last `window` values once it has that many.
    fn push(&mut self, i: usize, value: f64) -> Option<f64> {
        let value = if value.is_finite() { value } else { 0.0 };
        let ring = &mut self.ring[i * self.window..(i + 1) * self.window];
        let k = self.next[i];
        self.sum[i] += value - ring[k];
        ring[k] = value;
        self.next[i] = (k + 1) % self.window;
        if self.next[i] == 0 {
            self.sum[i] = ring.iter().sum();
        }
        self.count[i] += 1;
        (self.count[i] >= self.window).then(|| self.sum[i] / self.window as f64)
    }
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
    fn tradable_needs_the_next_bar_and_a_full_liquid_window() {
        let nan = f64::NAN;
        let p = panel(
            &[&[1.0, 10.0], &[1.0, 10.0], &[nan, 10.0], &[1.0, 10.0]],
            100.0,
        );
        assert_eq!(
            tradable(&p, 0.0, 2),
            [true, true, false, true, false, true, false, false]
        );
        // Symbol 1 trades 1000 a bar; symbol 0 only 100.
        assert_eq!(
            tradable(&p, 500.0, 2),
            [false, false, false, true, false, true, false, false]
        );
    }

    #[test]
    fn combine_is_null_where_any_column_is() {
        let mut p = panel(&[&[1.0, 2.0]], 1.0);
        p.columns.push(("y".into(), vec![f64::NAN, 3.0]));
        let w = BTreeMap::from([("x".to_string(), 2.0), ("y".to_string(), -1.0)]);
        let s = combine(&p, &w).unwrap();
        assert!(s[0].is_nan());
        assert_eq!(s[1], -1.0);
        assert!(combine(&p, &BTreeMap::from([("z".to_string(), 1.0)])).is_err());
    }
}
