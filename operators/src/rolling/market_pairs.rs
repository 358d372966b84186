//! The window of (value, market move) pairs that `beta` and `corr` share.

use super::{Change, EqualRun, RollingCoMoments};
use serde::{Deserialize, Serialize};

/// The last `period` pairs of a symbol's value `x` and the market's move
/// over the same bar interval (the change of the market's log level since
/// the symbol's previous bar); a bar where either is unknown is no pair.
/// Keeps their co-moments and whether either side's values are all equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketPairs {
    period: usize,
    co: RollingCoMoments,
    level: Change,
    own: EqualRun,
    market: EqualRun,
}

impl MarketPairs {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.co.prefetch();
    }

    /// Over windows of `period` (>= 1) pairs.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            co: RollingCoMoments::new(period),
            level: Change::default(),
            own: EqualRun::default(),
            market: EqualRun::default(),
        }
    }

    /// Feeds one bar: `x` and the market's log level as of the bar (NaN:
    /// unknown). True when the bar is a pair and the window is full.
    #[inline]
    pub fn push(&mut self, x: f64, level: f64) -> bool {
        let Some(market) = self.level.push(level).filter(|_| x.is_finite()) else {
            return false;
        };
        self.co.push(x, market);
        self.own.push(x);
        self.market.push(market);
        self.co.is_full()
    }

    /// The window's `x` values are all equal (or have no spread).
    #[inline]
    pub fn own_flat(&self) -> bool {
        self.own.last_all_equal(self.period) || self.co.m2x() <= 0.0
    }

    /// The window's market moves are all equal (or have no spread).
    #[inline]
    pub fn market_flat(&self) -> bool {
        self.market.last_all_equal(self.period) || self.co.m2y() <= 0.0
    }

    /// The window's co-moments.
    #[inline]
    pub fn moments(&self) -> &RollingCoMoments {
        &self.co
    }

    /// True once the window is full.
    pub fn is_full(&self) -> bool {
        self.co.is_full()
    }

    /// Forgets every pair and the last level.
    pub fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}
