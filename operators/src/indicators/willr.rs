//! Williams %R (TA-Lib WILLR).

use super::ta_is_zero_scaled;
use crate::rolling::{Extremum, RollingExtremum};
use serde::{Deserialize, Serialize};

/// `((highest - close) / (highest - lowest)) * -100` over `period` bars,
/// clamped to [-100, 0]; 0 when the range is zero relative to the prices.
/// First value at index `period - 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Willr {
    highest: RollingExtremum,
    lowest: RollingExtremum,
}

/// %R of `close` within the window's `highest` and `lowest`, as [`Willr`]
/// reports it.
#[inline]
pub(crate) fn williams_r(highest: f64, lowest: f64, close: f64) -> f64 {
    let range = highest - lowest;
    if ta_is_zero_scaled(range, highest.abs() + lowest.abs()) {
        return 0.0;
    }
    (((highest - close) / range) * -100.0).clamp(-100.0, 0.0)
}

impl Willr {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.highest.prefetch();
        self.lowest.prefetch();
    }

    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            highest: RollingExtremum::new(Extremum::Max, period),
            lowest: RollingExtremum::new(Extremum::Min, period),
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let (hi, _) = self.highest.push(high);
        let (lo, _) = self.lowest.push(low);
        if !self.highest.is_full() {
            return None;
        }
        Some(williams_r(hi, lo, close))
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.highest.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.highest.reset();
        self.lowest.reset();
    }
}
