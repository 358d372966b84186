//! Rolling maximum / minimum with a monotonic deque (O(1) amortised).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
/// Ties resolve to the most recent position, as TA-Lib's scans with `>=`/`<=` do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollingExtremum {
    kind: Extremum,
    period: u64,
    pushed: u64,
    deque: VecDeque<(u64, f64)>,
}

impl RollingExtremum {
    /// Tracks `kind` over windows of `period` (>= 1) values.
    pub fn new(kind: Extremum, period: usize) -> Self {
        assert!(period >= 1, "extremum period must be at least 1");
        Self {
            kind,
            period: period as u64,
            pushed: 0,
            deque: VecDeque::new(),
        }
    }

    /// Pushes `x`; returns the window's extremum and its position
    /// (0 = the first value ever pushed).
    #[inline]
    pub fn push(&mut self, x: f64) -> (f64, u64) {
        let idx = self.pushed;
        self.pushed += 1;
        match self.kind {
            Extremum::Max => {
                while matches!(self.deque.back(), Some(&(_, v)) if v <= x) {
                    self.deque.pop_back();
                }
            }
            Extremum::Min => {
                while matches!(self.deque.back(), Some(&(_, v)) if v >= x) {
                    self.deque.pop_back();
                }
            }
        }
        self.deque.push_back((idx, x));
        while let Some(&(front, _)) = self.deque.front() {
            if front + self.period <= idx {
                self.deque.pop_front();
            } else {
                break;
            }
        }
        let &(i, v) = self
            .deque
            .front()
            .expect("deque holds the value just pushed");
        (v, i)
    }

    /// How many values have been pushed since creation or reset.
    #[inline]
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// True once a full window has been seen.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.pushed >= self.period
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.pushed = 0;
        self.deque.clear();
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
