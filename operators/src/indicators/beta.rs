//! Rolling beta of a column on the market series (`beta_60`).

use crate::rolling::MarketPairs;
use serde::{Deserialize, Serialize};

/// `cov(x, m) / var(m)` over the last `period` pairs of the symbol's value
/// `x` (by default its `ret_1`) and the market's move `m` over the same
/// bar interval (see [`MarketPairs`]). Null until `period` pairs, on a bar
/// that is no pair, and while the market's moves in the window are all
/// equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beta {
    pairs: MarketPairs,
}

impl Beta {
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
    /// unknown); the beta once the window is full.
    #[inline]
    pub fn update(&mut self, x: f64, level: f64) -> Option<f64> {
        if !self.pairs.push(x, level) || self.pairs.market_flat() {
            return None;
        }
        let co = self.pairs.moments();
        Some(co.cxy() / co.m2y())
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
    fn twice_the_market_has_beta_two() {
        let mut b = Beta::new(3);
        assert_eq!(b.update(f64::NAN, 1.0), None);
        assert_eq!(b.update(0.02, 1.01), None);
        assert_eq!(b.update(-0.04, 0.99), None);
        let v = b.update(0.06, 1.02).unwrap();
        assert!((v - 2.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_flat_market_is_null_then_recovers() {
        let mut b = Beta::new(2);
        b.update(0.0, 0.0);
        assert_eq!(b.update(0.1, 0.01), None);
        assert_eq!(b.update(0.2, 0.02), None, "two equal moves");
        assert!(b.update(0.3, 0.04).is_some());
        assert_eq!(b.update(0.3, f64::NAN), None, "no market level");
        assert_eq!(b.update(0.3, 0.05), None, "no move from an unknown level");
        b.reset();
        assert!(!b.is_ready());
    }
}
