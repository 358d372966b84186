//! Commodity Channel Index (TA-Lib CCI).

use super::ta_is_zero_scaled;
use crate::prefetch;
use serde::{Deserialize, Serialize};

/// `(tp - mean) / (0.015 * mean deviation)` of the typical price
/// `((high + low) + close) / 3` over `period` bars; 0 when either part is zero
/// relative to the mean. O(period) per bar by definition (the mean deviation
/// needs every value); the buffer is summed in TA-Lib's slot order
/// (slot = bar index mod period) so values match bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cci {
    slots: Vec<f64>,
    next: usize,
    seen: usize,
}

impl Cci {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        prefetch::slice(&self.slots);
    }

    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            slots: vec![0.0; period],
            next: 0,
            seen: 0,
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let n = self.slots.len();
        let tp = ((high + low) + close) / 3.0;
        self.slots[self.next] = tp;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen += 1;
        if self.seen < n {
            return None;
        }
        let mut average = 0.0;
        for &v in &self.slots {
            average += v;
        }
        average /= n as f64;
        let mut deviation = 0.0;
        for &v in &self.slots {
            deviation += (v - average).abs();
        }
        let diff = tp - average;
        deviation /= n as f64;
        let scale = average.abs();
        if ta_is_zero_scaled(diff, scale) || ta_is_zero_scaled(deviation, scale) {
            return Some(0.0);
        }
        let denominator = deviation * 0.015;
        Some(if denominator == 0.0 {
            0.0
        } else {
            diff / denominator
        })
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.seen >= self.slots.len()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.slots.len());
    }
}
