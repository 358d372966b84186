//! TA-Lib 0.8 rolling population variance: shifted sums with exact reseeds.

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};

/// Population variance of the last `period` values, as TA-Lib 0.8's VAR
/// computes it: running sums of `x - shift` and `(x - shift)^2`, recomputed
/// from the window (with the window mean as the new shift) whenever
/// cancellation threatens (variance below 1e-6 of the mean square), an
/// outlier leaves the window, or `32 * period` bars have passed. That bounds
/// the drift, and it matches TA-Lib bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variance {
    ring: Ring,
    sums: VarianceSums,
}

impl Variance {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// Over `period` (>= 1) values.
    pub fn new(period: usize) -> Self {
        Self {
            ring: Ring::new(period),
            sums: VarianceSums::new(period),
        }
    }

    /// Feeds one value; the variance once `period` values exist.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let first = self.ring.is_empty();
        self.ring.push(x);
        self.sums.update(&self.ring, x, first)
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.ring.capacity());
    }
}

/// [`Variance`]'s sums over a window kept by its owner (a `Bbands` shares
/// the ring of its middle band's SMA).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct VarianceSums {
    inv_period: f64,
    shift: f64,
    total1: f64,
    total2: f64,
    bars_to_reseed: i64,
}

impl VarianceSums {
    /// For a window of `period` (>= 1) values.
    pub(crate) fn new(period: usize) -> Self {
        Self {
            inv_period: 1.0 / period as f64,
            shift: 0.0,
            total1: 0.0,
            total2: 0.0,
            bars_to_reseed: 32 * period as i64,
        }
    }

    #[inline]
    fn add(&mut self, x: f64) {
        let t = x - self.shift;
        self.total1 += t;
        self.total2 += t * t;
    }

    /// Removes `x` from the sums; returns its squared deviation from the shift.
    #[inline]
    fn remove(&mut self, x: f64) -> f64 {
        let t = x - self.shift;
        self.total1 -= t;
        let t2 = t * t;
        self.total2 -= t2;
        t2
    }

    #[inline]
    fn current(&self) -> f64 {
        let mean = self.total1 * self.inv_period;
        self.total2 * self.inv_period - mean * mean
    }

    /// Takes in `x`, just pushed to `window` (`first`: the window was
    /// empty before it); the variance once the window is full.
    #[inline]
    pub(crate) fn update(&mut self, window: &Ring, x: f64, first: bool) -> Option<f64> {
        if first {
            self.shift = x;
        }
        self.add(x);
        if !window.is_full() {
            return None;
        }
        let mut variance = self.current();
        let oldest = window.front().expect("full ring");
        let removed = self.remove(oldest);
        self.bars_to_reseed -= 1;
        if variance < 0.000001 * (self.total2 * self.inv_period)
            || removed > 1_000_000.0 * self.total2
            || self.bars_to_reseed <= 0
        {
            variance = self.reseed(window);
        }
        Some(variance)
    }

    fn reseed(&mut self, window: &Ring) -> f64 {
        self.bars_to_reseed = 32 * window.capacity() as i64;
        let mut sum = 0.0;
        for v in window.iter() {
            sum += v;
        }
        self.shift = sum * self.inv_period;
        self.total1 = 0.0;
        self.total2 = 0.0;
        for i in 0..window.len() {
            let v = window.back(window.len() - 1 - i).expect("index in range");
            self.add(v);
        }
        let mut variance = self.current();
        if variance < 0.000000000001 * (self.total2 * self.inv_period) {
            variance = 0.0;
        }
        let oldest = window.front().expect("full ring");
        self.remove(oldest);
        variance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_has_no_drift() {
        let xs: Vec<f64> = (0..120_000)
            .map(|i| 5000.0 + ((i as u64 * 2_654_435_761) % 9973) as f64 * 0.013)
            .collect();
        let mut v = Variance::new(20);
        let mut last = None;
        for &x in &xs {
            last = v.update(x);
        }
        let w = &xs[xs.len() - 20..];
        let mean = w.iter().sum::<f64>() / 20.0;
        let exp = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 20.0;
        assert!((last.unwrap() - exp).abs() <= 1e-9 * exp);
    }

    #[test]
    fn flat_window_is_exactly_zero() {
        let mut v = Variance::new(5);
        let mut last = None;
        for x in [1.0, 2.0, 3.0, 7.0, 7.0, 7.0, 7.0, 7.0] {
            last = v.update(x);
        }
        assert_eq!(last, Some(0.0));
    }
}
