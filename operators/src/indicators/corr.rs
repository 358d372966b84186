//! Rolling correlation of a column with the market series (`corr_60`).

use crate::rolling::MarketPairs;
use serde::{Deserialize, Serialize};

/// Pearson's correlation, in [-1, 1], of the last `period` pairs of the
/// symbol's value `x` (by default its `ret_1`) and the market's move `m`
/// over the same bar interval (see [`MarketPairs`]). Null until `period`
/// pairs, on a bar that is no pair, and while either side's values in the
/// window are all equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corr {
    pairs: MarketPairs,
}

impl Corr {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.pairs.prefetch();
    }

    /// Over windows of `period` (>= 2) pairs.
    pub fn new(period: usize) -> Self {
        Self {
            pairs: MarketPairs::new(period),
        }
    }

    /// Feeds one bar: `x` and the market's log level as of the bar (NaN:
    /// unknown); the correlation once the window is full.
    #[inline]
    pub fn update(&mut self, x: f64, level: f64) -> Option<f64> {
        if !self.pairs.push(x, level) || self.pairs.own_flat() || self.pairs.market_flat() {
            return None;
        }
        let co = self.pairs.moments();
        let r = co.cxy() / (co.m2x().sqrt() * co.m2y().sqrt());
        Some(r.clamp(-1.0, 1.0))
    }

    /// True once the window is full.
    pub fn is_ready(&self) -> bool {
        self.pairs.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.pairs.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opposite_moves_correlate_minus_one() {
        let mut c = Corr::new(3);
        c.update(f64::NAN, 0.0);
        c.update(1.0, -2.0);
        c.update(3.0, -8.0);
        let v = c.update(2.0, -12.0).unwrap();
        assert!((v + 1.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_flat_side_is_null() {
        let mut c = Corr::new(2);
        c.update(1.0, 0.0);
        c.update(1.0, 0.5);
        assert_eq!(c.update(1.0, 0.7), None);
        assert!(c.update(2.0, 0.9).is_some());
        c.reset();
        assert!(!c.is_ready());
    }
}
