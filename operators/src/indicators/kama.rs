//! Kaufman adaptive moving average (TA-Lib KAMA, fast 2 / slow 30).

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};

const CONST_MAX: f64 = 2.0 / (30.0 + 1.0);
const CONST_DIFF: f64 = 2.0 / (2.0 + 1.0) - CONST_MAX;

/// TA-Lib 0.8 KAMA: efficiency ratio `|x_t - x_{t-p}| / sum |changes|` over
/// `period` changes (1 when the window is flat or the ratio would exceed 1),
/// smoothing `sc = (er * diff + max)^2`, `kama = fma(sc, x - kama, kama)`.
/// First value at index `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kama {
    period: usize,
    /// The last `period + 2` inputs.
    ring: Ring,
    seen: usize,
    sum_changes: f64,
    zero_run: usize,
    value: f64,
}

impl Kama {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// Over `period` (>= 1) changes.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            ring: Ring::new(period + 2),
            seen: 0,
            sum_changes: 0.0,
            zero_run: 0,
            value: 0.0,
        }
    }

    #[inline]
    fn efficiency(&self, period_roc: f64) -> f64 {
        let s = self.sum_changes;
        if s <= 0.0 || period_roc >= s {
            1.0
        } else {
            (period_roc / s).abs().min(1.0)
        }
    }

    #[inline]
    fn smooth(&mut self, er: f64, x: f64) -> f64 {
        let sc = er.mul_add(CONST_DIFF, CONST_MAX);
        let sc = sc * sc;
        self.value = sc.mul_add(x - self.value, self.value);
        self.value
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let p = self.period;
        let index = self.seen;
        self.seen += 1;
        if p == 1 {
            // TA-Lib's lookback for period 1 is 0: the input is copied.
            return Some(x);
        }
        let prev = self.ring.back(0);
        self.ring.push(x);
        let prev = prev?;
        let d = x - prev;
        self.zero_run = if d == 0.0 { self.zero_run + 1 } else { 0 };
        if index < p {
            self.sum_changes += d.abs();
            return None;
        }
        if index == p {
            self.sum_changes += d.abs();
            self.value = self.ring.back(1).expect("period + 1 values held");
            let period_roc = x - self.ring.back(p).expect("period + 1 values held");
            let er = self.efficiency(period_roc);
            return Some(self.smooth(er, x));
        }
        let trail = self.ring.back(p).expect("period + 2 values held");
        let trail_prev = self.ring.back(p + 1).expect("period + 2 values held");
        let period_roc = x - trail;
        let er = if self.zero_run >= p {
            self.zero_run = p;
            self.sum_changes = 0.0;
            1.0
        } else {
            self.sum_changes = d.abs() + (self.sum_changes - (trail_prev - trail).abs());
            self.efficiency(period_roc)
        };
        Some(self.smooth(er, x))
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.seen > self.period || (self.period == 1 && self.seen > 0)
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_at_period() {
        let mut k = Kama::new(3);
        let xs = [10.0, 11.0, 10.5, 12.0, 12.5];
        let out: Vec<_> = xs.iter().map(|&x| k.update(x)).collect();
        assert_eq!(&out[..3], &[None, None, None]);
        // er = |12 - 10| / (1 + 0.5 + 1.5) = 2/3, seeded from x[2]
        let sc = (2.0f64 / 3.0).mul_add(CONST_DIFF, CONST_MAX).powi(2);
        assert_eq!(out[3], Some(sc.mul_add(12.0 - 10.5, 10.5)));
        assert!(out[4].is_some());
    }

    #[test]
    fn flat_series_stays_flat() {
        let mut k = Kama::new(4);
        let out: Vec<_> = (0..30).map(|_| k.update(9.0)).collect();
        assert!(out[4..].iter().all(|v| *v == Some(9.0)));
    }
}
