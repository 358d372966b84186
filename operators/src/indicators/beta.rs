//! Rolling beta of a column on the market series (`beta_60`).

use crate::rolling::{EqualRun, RollingCoMoments};
use serde::{Deserialize, Serialize};

/// `cov(x, m) / var(m)` over the last `period` pairs of the symbol's value
/// `x` (by default its `ret_1`) and the market's `m` at the same bar; null
/// until `period` pairs, and while the market's values in the window are
/// all equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beta {
    period: usize,
    co: RollingCoMoments,
    market: EqualRun,
}

impl Beta {
    /// Over windows of `period` (>= 2) pairs.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            co: RollingCoMoments::new(period),
            market: EqualRun::default(),
        }
    }

    /// Feeds one pair (both finite); the beta once the window is full.
    #[inline]
    pub fn update(&mut self, x: f64, market: f64) -> Option<f64> {
        self.co.push(x, market);
        self.market.push(market);
        let flat = self.market.last_all_equal(self.period) || self.co.m2y() <= 0.0;
        if !self.co.is_full() || flat {
            return None;
        }
        Some(self.co.cxy() / self.co.m2y())
    }

    /// True once the window is full.
    pub fn is_ready(&self) -> bool {
        self.co.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.co.reset();
        self.market = EqualRun::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twice_the_market_has_beta_two() {
        let mut b = Beta::new(3);
        assert_eq!(b.update(0.02, 0.01), None);
        assert_eq!(b.update(-0.04, -0.02), None);
        let v = b.update(0.06, 0.03).unwrap();
        assert!((v - 2.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_flat_market_is_null_then_recovers() {
        let mut b = Beta::new(2);
        assert_eq!(b.update(0.1, 0.01), None);
        assert_eq!(b.update(0.2, 0.01), None);
        assert!(b.update(0.3, 0.02).is_some());
        b.reset();
        assert!(!b.is_ready());
    }
}
