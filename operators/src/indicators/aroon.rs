//! Aroon up and down (TA-Lib AROON).

use crate::rolling::{Extremum, RollingExtremum};
use serde::{Deserialize, Serialize};

/// Aroon up and down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AroonOutput {
    /// `100 / period * (period - bars since the highest high)`.
    pub up: f64,
    /// `100 / period * (period - bars since the lowest low)`.
    pub down: f64,
}

/// TA-Lib AROON over a window of `period + 1` bars; ties go to the most
/// recent bar. First value at index `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aroon {
    period: usize,
    highest: RollingExtremum,
    lowest: RollingExtremum,
}

impl Aroon {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.highest.prefetch();
        self.lowest.prefetch();
    }

    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            highest: RollingExtremum::new(Extremum::Max, period + 1),
            lowest: RollingExtremum::new(Extremum::Min, period + 1),
        }
    }

    /// Feeds one bar's high and low.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64) -> Option<AroonOutput> {
        let today = self.highest.pushed();
        let (_, hi_idx) = self.highest.push(high);
        let (_, lo_idx) = self.lowest.push(low);
        if !self.highest.is_full() {
            return None;
        }
        let n = self.period as i64;
        let factor = 100.0 / self.period as f64;
        Some(AroonOutput {
            up: factor * (n - (today - hi_idx) as i64) as f64,
            down: factor * (n - (today - lo_idx) as i64) as f64,
        })
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
