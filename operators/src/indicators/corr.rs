//! Rolling correlation of a column with the market series (`corr_60`).

use crate::rolling::{EqualRun, RollingCoMoments};
use serde::{Deserialize, Serialize};

/// Pearson's correlation of the last `period` pairs of the symbol's value
/// `x` (by default its `ret_1`) and the market's `m` at the same bar, in
/// [-1, 1]; null until `period` pairs, and while either side's values in
/// the window are all equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corr {
    period: usize,
    co: RollingCoMoments,
    own: EqualRun,
    market: EqualRun,
}

impl Corr {
    /// Over windows of `period` (>= 2) pairs.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            co: RollingCoMoments::new(period),
            own: EqualRun::default(),
            market: EqualRun::default(),
        }
    }

    /// Feeds one pair (both finite); the correlation once the window is full.
    #[inline]
    pub fn update(&mut self, x: f64, market: f64) -> Option<f64> {
        self.co.push(x, market);
        self.own.push(x);
        self.market.push(market);
        let flat = self.own.last_all_equal(self.period)
            || self.market.last_all_equal(self.period)
            || self.co.m2x() <= 0.0
            || self.co.m2y() <= 0.0;
        if !self.co.is_full() || flat {
            return None;
        }
        let r = self.co.cxy() / (self.co.m2x().sqrt() * self.co.m2y().sqrt());
        Some(r.clamp(-1.0, 1.0))
    }

    /// True once the window is full.
    pub fn is_ready(&self) -> bool {
        self.co.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.co.reset();
        self.own = EqualRun::default();
        self.market = EqualRun::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opposite_moves_correlate_minus_one() {
        let mut c = Corr::new(3);
        c.update(1.0, -2.0);
        c.update(3.0, -6.0);
        let v = c.update(2.0, -4.0).unwrap();
        assert!((v + 1.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn a_flat_side_is_null() {
        let mut c = Corr::new(2);
        c.update(1.0, 0.5);
        assert_eq!(c.update(1.0, 0.7), None);
        assert!(c.update(2.0, 0.9).is_some());
        c.reset();
        assert!(!c.is_ready());
    }
}
