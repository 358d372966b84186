//! Rolling maximum / minimum with a cached extremum (TA-Lib's scheme).

use super::Ring;
use serde::{Deserialize, Serialize};

/// Which extremum a [`RollingExtremum`] tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Extremum {
    /// The largest value; among equal values the most recent.
    Max,
    /// The smallest value; among equal values the most recent.
    Min,
}

/// The extremum of the last `period` values and the position it was pushed at.
///
/// Ties resolve to the most recent position, as TA-Lib's scans with `>=`/`<=`
/// do. Like TA-Lib, the current extremum is cached and the window is rescanned
/// only when it expires: O(1) amortised on market data, O(period) at worst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollingExtremum {
    kind: Extremum,
    ring: Ring,
    pushed: u64,
    best: f64,
    best_at: u64,
}

impl RollingExtremum {
    /// Tracks `kind` over windows of `period` (>= 1) values.
    pub fn new(kind: Extremum, period: usize) -> Self {
        Self {
            kind,
            ring: Ring::new(period),
            pushed: 0,
            best: 0.0,
            best_at: 0,
        }
    }

    #[inline]
    fn beats(&self, x: f64, best: f64) -> bool {
        match self.kind {
            Extremum::Max => x >= best,
            Extremum::Min => x <= best,
        }
    }

    /// Pushes `x`; returns the window's extremum and its position
    /// (0 = the first value ever pushed).
    #[inline]
    pub fn push(&mut self, x: f64) -> (f64, u64) {
        let idx = self.pushed;
        self.pushed += 1;
        self.ring.push(x);
        let period = self.ring.capacity() as u64;
        if idx == 0 || self.best_at + period <= idx {
            self.rescan(idx);
        } else if self.beats(x, self.best) {
            self.best = x;
            self.best_at = idx;
        }
        (self.best, self.best_at)
    }

    #[cold]
    fn rescan(&mut self, newest: u64) {
        let first = newest + 1 - self.ring.len() as u64;
        let (mut best, mut best_at) = (f64::NAN, first);
        for (k, v) in self.ring.iter().enumerate() {
            if k == 0 || self.beats(v, best) {
                best = v;
                best_at = first + k as u64;
            }
        }
        self.best = best;
        self.best_at = best_at;
    }

    /// How many values have been pushed since creation or reset.
    #[inline]
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// True once a full window has been seen.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.pushed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(xs: &[f64], end: usize, period: usize, kind: Extremum) -> (f64, u64) {
        let start = (end + 1).saturating_sub(period);
        let mut best = (xs[start], start as u64);
        for (i, &x) in xs.iter().enumerate().take(end + 1).skip(start) {
            let better = match kind {
                Extremum::Max => x >= best.0,
                Extremum::Min => x <= best.0,
            };
            if better {
                best = (x, i as u64);
            }
        }
        best
    }

    #[test]
    fn matches_naive_scan_with_ties() {
        let xs = [3.0, 1.0, 3.0, 2.0, 2.0, 5.0, 1.0, 1.0, 4.0, 4.0, 0.5, 6.0];
        for period in 1..=5 {
            for kind in [Extremum::Max, Extremum::Min] {
                let mut r = RollingExtremum::new(kind, period);
                for i in 0..xs.len() {
                    assert_eq!(
                        r.push(xs[i]),
                        naive(&xs, i, period, kind),
                        "p={period} i={i}"
                    );
                }
            }
        }
    }
}
