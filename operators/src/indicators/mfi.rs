//! Money flow index (TA-Lib MFI).

use super::ta_is_zero_scaled;
use crate::prefetch;
use serde::{Deserialize, Serialize};

/// TA-Lib 0.8 MFI: typical price `((h + l) + c) / 3`, money flow `tp * volume`
/// counted positive or negative by the direction of the typical price (no
/// flow when it is unchanged within 1e-14 relative), summed over `period`
/// bars; `100 * pos / (pos + neg)`, 0 when the total is not positive.
/// First value at index `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mfi {
    pos: Vec<f64>,
    neg: Vec<f64>,
    next: usize,
    prev_tp: Option<f64>,
    flows: usize,
    pos_sum: f64,
    neg_sum: f64,
    null_run: usize,
}

impl Mfi {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        prefetch::slice(&self.pos);
        prefetch::slice(&self.neg);
    }

    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            pos: vec![0.0; period],
            neg: vec![0.0; period],
            next: 0,
            prev_tp: None,
            flows: 0,
            pos_sum: 0.0,
            neg_sum: 0.0,
            null_run: 0,
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let n = self.pos.len();
        let tp = ((high + low) + close) / 3.0;
        let prev = self.prev_tp.replace(tp)?;
        let i = self.next;
        // The sums move in locals and are stored once (see Vidya::update).
        let (mut pos_sum, mut neg_sum) = (self.pos_sum, self.neg_sum);
        if self.flows >= n {
            pos_sum -= self.pos[i];
            neg_sum -= self.neg[i];
        }
        let change = tp - prev;
        let scale = tp.abs() + prev.abs();
        let flow = if ta_is_zero_scaled(change, scale) {
            0.0
        } else {
            tp * volume
        };
        let (pos, neg) = if change < 0.0 {
            (0.0, flow)
        } else {
            (flow, 0.0)
        };
        self.pos[i] = pos;
        self.neg[i] = neg;
        pos_sum += pos;
        neg_sum += neg;
        self.null_run = if flow == 0.0 { self.null_run + 1 } else { 0 };
        if self.null_run >= n {
            self.null_run = n;
            pos_sum = 0.0;
            neg_sum = 0.0;
        }
        (self.pos_sum, self.neg_sum) = (pos_sum, neg_sum);
        self.next = if i + 1 == n { 0 } else { i + 1 };
        self.flows += 1;
        if self.flows < n {
            return None;
        }
        let total = pos_sum + neg_sum;
        let pos = pos_sum.max(0.0).min(total);
        Some(if total <= 0.0 {
            0.0
        } else {
            100.0 * (pos / total)
        })
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.flows >= self.pos.len()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.pos.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_up_is_100_and_flat_is_0() {
        let mut m = Mfi::new(2);
        assert_eq!(m.update(10.0, 9.0, 9.5, 100.0), None);
        assert_eq!(m.update(11.0, 10.0, 10.5, 100.0), None);
        assert_eq!(m.update(12.0, 11.0, 11.5, 100.0), Some(100.0));
        let mut f = Mfi::new(2);
        let out: Vec<_> = (0..5).map(|_| f.update(10.0, 9.0, 9.5, 100.0)).collect();
        assert_eq!(out[2], Some(0.0));
    }
}
