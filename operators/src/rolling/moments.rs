//! Rolling mean and variance: Welford replace-updates with a periodic exact refresh.

use super::Ring;
use serde::{Deserialize, Serialize};

/// Mean and sum of squared deviations of the last `period` values.
///
/// Each push is an O(1) Welford replace-update; the moments are recomputed
/// exactly (two passes over the window) every `period` pushes, and at once
/// when the sum of squares falls below 1e-6 of its peak since the last
/// recompute (a calm window after a volatile one, where the residue of the
/// big values would dominate). Rounding error therefore stays relative to the
/// current window, not to history: O(1) amortised, no drift. Callers feed finite values (a non-finite one
/// poisons the moments only until it leaves the window and a refresh runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollingMoments {
    ring: Ring,
    inv_full: f64,
    mean: f64,
    m2: f64,
    m2_peak: f64,
    since_refresh: usize,
}

impl RollingMoments {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// Moments over windows of `period` (>= 1) values.
    pub fn new(period: usize) -> Self {
        Self {
            ring: Ring::new(period),
            inv_full: 1.0 / period as f64,
            mean: 0.0,
            m2: 0.0,
            m2_peak: 0.0,
            since_refresh: 0,
        }
    }

    /// Pushes `x` into the window.
    #[inline]
    pub fn push(&mut self, x: f64) {
        match self.ring.push(x) {
            None => {
                let n = self.ring.len() as f64;
                let delta = x - self.mean;
                self.mean += delta / n;
                self.m2 += delta * (x - self.mean);
            }
            Some(old) => {
                let old_mean = self.mean;
                let delta = x - old;
                self.mean += delta * self.inv_full;
                self.m2 += delta * (x - self.mean + old - old_mean);
            }
        }
        self.since_refresh += 1;
        self.m2_peak = self.m2_peak.max(self.m2);
        if self.since_refresh >= self.ring.capacity() || self.m2 < 1e-6 * self.m2_peak {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.since_refresh = 0;
        let n = self.ring.len() as f64;
        let mean = self.ring.iter().sum::<f64>() / n;
        let m2 = self
            .ring
            .iter()
            .map(|v| (v - mean) * (v - mean))
            .sum::<f64>();
        self.mean = mean;
        self.m2 = m2;
        self.m2_peak = m2;
    }

    /// True when the window is full.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// Mean of the window.
    #[inline]
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Population variance (divides by n).
    #[inline]
    pub fn population_variance(&self) -> f64 {
        self.m2 / self.ring.len() as f64
    }

    /// Sample variance (divides by n - 1).
    #[inline]
    pub fn sample_variance(&self) -> f64 {
        self.m2 / (self.ring.len() as f64 - 1.0)
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.mean = 0.0;
        self.m2 = 0.0;
        self.m2_peak = 0.0;
        self.since_refresh = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_matches_two_pass_recompute() {
        let xs: Vec<f64> = (0..150_000)
            .map(|i| 1e8 + ((i as u64 * 2_654_435_761) % 10_007) as f64 * 0.37)
            .collect();
        let mut m = RollingMoments::new(20);
        for &x in &xs {
            m.push(x);
        }
        let w = &xs[xs.len() - 20..];
        let mean = w.iter().sum::<f64>() / 20.0;
        let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 20.0;
        assert!((m.mean() - mean).abs() <= 1e-12 * mean);
        assert!((m.population_variance() - var).abs() <= 1e-9 * var);
    }

    #[test]
    fn calm_window_after_volatile_one_is_accurate() {
        let mut m = RollingMoments::new(20);
        for i in 0..25 {
            m.push(if i % 2 == 0 { 1e6 } else { -1e6 });
        }
        for _ in 0..20 {
            m.push(0.4);
        }
        // exact up to the rounding of the window mean itself
        assert!(m.population_variance() <= 1e-30);
        m.push(0.4 + 1e-9);
        let w: Vec<f64> = std::iter::repeat_n(0.4, 19).chain([0.4 + 1e-9]).collect();
        let mean = w.iter().sum::<f64>() / 20.0;
        let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 20.0;
        assert!((m.population_variance() - var).abs() <= 1e-6 * var);
    }

    #[test]
    fn constant_window_has_zero_variance() {
        let mut m = RollingMoments::new(5);
        for _ in 0..17 {
            m.push(42.5);
        }
        assert_eq!(m.population_variance(), 0.0);
    }
}
