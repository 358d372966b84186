//! Rolling co-moments of paired values: Welford replace-updates with a
//! periodic exact refresh (the pairwise sibling of [`super::RollingMoments`]).

use super::Ring;
use serde::{Deserialize, Serialize};

/// Means, sums of squared deviations and the sum of cross deviations of the
/// last `period` pairs `(x, y)`.
///
/// Each push is an O(1) replace-update; everything is recomputed exactly
/// (two passes over the window) every `period` pushes, and at once when
/// either sum of squares falls below 1e-6 of its peak since the last
/// recompute, so rounding error stays relative to the current window, never
/// to history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollingCoMoments {
    x: Ring,
    y: Ring,
    inv_full: f64,
    mean_x: f64,
    mean_y: f64,
    m2x: f64,
    m2y: f64,
    cxy: f64,
    peak_x: f64,
    peak_y: f64,
    since_refresh: usize,
}

impl RollingCoMoments {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.x.prefetch_next();
        self.y.prefetch_next();
    }

    /// Co-moments over windows of `period` (>= 1) pairs.
    pub fn new(period: usize) -> Self {
        Self {
            x: Ring::new(period),
            y: Ring::new(period),
            inv_full: 1.0 / period as f64,
            mean_x: 0.0,
            mean_y: 0.0,
            m2x: 0.0,
            m2y: 0.0,
            cxy: 0.0,
            peak_x: 0.0,
            peak_y: 0.0,
            since_refresh: 0,
        }
    }

    /// Pushes the pair `(x, y)` (both finite) into the window.
    #[inline]
    pub fn push(&mut self, x: f64, y: f64) {
        let (old_x, old_y) = (self.x.push(x), self.y.push(y));
        let (mx, my) = (self.mean_x, self.mean_y);
        match old_x.zip(old_y) {
            None => {
                let n = self.x.len() as f64;
                let (dx, dy) = (x - mx, y - my);
                self.mean_x += dx / n;
                self.mean_y += dy / n;
                self.m2x += dx * (x - self.mean_x);
                self.m2y += dy * (y - self.mean_y);
                self.cxy += dx * (y - self.mean_y);
            }
            Some((ox, oy)) => {
                let (dx, dy) = (x - ox, y - oy);
                self.mean_x += dx * self.inv_full;
                self.mean_y += dy * self.inv_full;
                self.m2x += dx * (x - self.mean_x + ox - mx);
                self.m2y += dy * (y - self.mean_y + oy - my);
                self.cxy += (x - mx) * (y - self.mean_y) - (ox - mx) * (oy - self.mean_y);
            }
        }
        self.since_refresh += 1;
        self.peak_x = self.peak_x.max(self.m2x);
        self.peak_y = self.peak_y.max(self.m2y);
        if self.since_refresh >= self.x.capacity()
            || self.m2x < 1e-6 * self.peak_x
            || self.m2y < 1e-6 * self.peak_y
        {
            self.refresh();
        }
    }

    fn refresh(&mut self) {
        self.since_refresh = 0;
        let n = self.x.len() as f64;
        let mx = self.x.iter().sum::<f64>() / n;
        let my = self.y.iter().sum::<f64>() / n;
        let (mut m2x, mut m2y, mut cxy) = (0.0, 0.0, 0.0);
        for (x, y) in self.x.iter().zip(self.y.iter()) {
            let (dx, dy) = (x - mx, y - my);
            m2x += dx * dx;
            m2y += dy * dy;
            cxy += dx * dy;
        }
        (self.mean_x, self.mean_y) = (mx, my);
        (self.m2x, self.m2y, self.cxy) = (m2x, m2y, cxy);
        (self.peak_x, self.peak_y) = (m2x, m2y);
    }

    /// True when the window is full.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.x.is_full()
    }

    /// Sum of squared deviations of the `x` values from their mean.
    #[inline]
    pub fn m2x(&self) -> f64 {
        self.m2x
    }

    /// Sum of squared deviations of the `y` values from their mean.
    #[inline]
    pub fn m2y(&self) -> f64 {
        self.m2y
    }

    /// Sum of the products of the `x` and `y` deviations.
    #[inline]
    pub fn cxy(&self) -> f64 {
        self.cxy
    }

    /// Forgets every pair.
    pub fn reset(&mut self) {
        *self = Self::new(self.x.capacity());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(xs: &[f64], ys: &[f64]) -> (f64, f64, f64) {
        let n = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let m2x = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        let m2y = ys.iter().map(|y| (y - my) * (y - my)).sum();
        let c = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        (m2x, m2y, c)
    }

    #[test]
    fn matches_a_recompute_after_every_push() {
        let xs: Vec<f64> = (0..500)
            .map(|i| (i as f64 * 0.37).sin() * 1e3 + 5e4)
            .collect();
        let ys: Vec<f64> = (0..500).map(|i| (i as f64 * 0.11).cos() * 1e-3).collect();
        let mut m = RollingCoMoments::new(7);
        for i in 0..xs.len() {
            m.push(xs[i], ys[i]);
            let lo = i.saturating_sub(6);
            let (m2x, m2y, c) = exact(&xs[lo..=i], &ys[lo..=i]);
            assert!((m.m2x() - m2x).abs() <= 1e-9 * m2x.max(1.0), "{i}");
            assert!((m.m2y() - m2y).abs() <= 1e-9 * m2y.max(1e-12), "{i}");
            assert!(
                (m.cxy() - c).abs() <= 1e-9 * (m2x * m2y).sqrt().max(1e-12),
                "{i}"
            );
        }
    }

    #[test]
    fn period_one_has_no_spread() {
        let mut m = RollingCoMoments::new(1);
        m.push(3.0, 4.0);
        m.push(5.0, -1.0);
        assert!(m.is_full());
        assert_eq!((m.m2x(), m.m2y(), m.cxy()), (0.0, 0.0, 0.0));
    }
}
