//! Stochastic oscillator, slow %K and %D with SMA smoothing (TA-Lib STOCH).

use super::{sma::Sma, ta_is_zero_scaled};
use crate::rolling::{Extremum, RollingExtremum};
use serde::{Deserialize, Serialize};

/// Slow %K and %D.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StochOutput {
    /// Slow %K: SMA of the fast %K.
    pub k: f64,
    /// Slow %D: SMA of the slow %K.
    pub d: f64,
}

/// TA-Lib STOCH with SMA smoothing: fast %K = `(close - lowest) / (highest - lowest) * 100`
/// over `fastk_period` bars (0 when the range is zero relative to the prices),
/// then slow %K = SMA(fast %K, `slowk_period`), slow %D = SMA(slow %K, `slowd_period`).
/// Both outputs start at index `fastk + slowk + slowd - 3`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stoch {
    highest: RollingExtremum,
    lowest: RollingExtremum,
    slow_k: Sma,
    slow_d: Sma,
}

impl Stoch {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.highest.prefetch();
        self.lowest.prefetch();
        self.slow_k.prefetch();
        self.slow_d.prefetch();
    }

    /// Periods each >= 1.
    pub fn new(fastk_period: usize, slowk_period: usize, slowd_period: usize) -> Self {
        Self {
            highest: RollingExtremum::new(Extremum::Max, fastk_period),
            lowest: RollingExtremum::new(Extremum::Min, fastk_period),
            slow_k: Sma::new(slowk_period),
            slow_d: Sma::new(slowd_period),
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<StochOutput> {
        let (hi, _) = self.highest.push(high);
        let (lo, _) = self.lowest.push(low);
        if !self.highest.is_full() {
            return None;
        }
        let range = hi - lo;
        let fast_k = if ta_is_zero_scaled(range, hi.abs() + lo.abs()) {
            0.0
        } else {
            ((close - lo) / range) * 100.0
        };
        let k = self.slow_k.update(fast_k)?;
        let d = self.slow_d.update(k)?;
        Some(StochOutput { k, d })
    }

    /// The highest high and lowest low of the last `fastk_period` bars, as
    /// of the last update, once that many bars exist.
    #[inline]
    pub fn extremes(&self) -> Option<(f64, f64)> {
        self.highest
            .is_full()
            .then(|| (self.highest.current(), self.lowest.current()))
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.slow_d.is_ready()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.highest.reset();
        self.lowest.reset();
        self.slow_k.reset();
        self.slow_d.reset();
    }
}
