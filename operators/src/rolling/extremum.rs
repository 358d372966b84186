//! Rolling maximum / minimum with a monotonic deque (O(1) amortised).

use crate::prefetch;
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
/// A monotonic deque in fixed arrays: O(1) amortised per push whatever the
/// input (each value enters and leaves the deque once). Ties resolve to the
/// most recent position, as TA-Lib's scans with `>=`/`<=` do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ExtremumParts")]
pub struct RollingExtremum {
    kind: Extremum,
    period: u64,
    pushed: u64,
    /// The deque's (value, position) entries in a ring of `period + 1`: a
    /// value beside its position, so each end is one cache line.
    entries: Vec<(f64, u64)>,
    head: usize,
    len: usize,
}

/// A [`RollingExtremum`] as a snapshot holds it, before its indices are
/// checked.
#[derive(Deserialize)]
struct ExtremumParts {
    kind: Extremum,
    period: u64,
    pushed: u64,
    entries: Vec<(f64, u64)>,
    head: usize,
    len: usize,
}

impl TryFrom<ExtremumParts> for RollingExtremum {
    type Error = String;

    fn try_from(p: ExtremumParts) -> Result<Self, String> {
        let cap = p.entries.len();
        if p.period == 0 || cap as u64 != p.period + 1 || p.head >= cap || p.len > cap {
            return Err(format!(
                "extremum snapshot out of range: period {}, {} entries, head {}, len {}",
                p.period, cap, p.head, p.len
            ));
        }
        Ok(Self {
            kind: p.kind,
            period: p.period,
            pushed: p.pushed,
            entries: p.entries,
            head: p.head,
            len: p.len,
        })
    }
}

impl RollingExtremum {
    /// Tracks `kind` over windows of `period` (>= 1) values.
    pub fn new(kind: Extremum, period: usize) -> Self {
        assert!(period >= 1, "extremum period must be at least 1");
        Self {
            kind,
            period: period as u64,
            pushed: 0,
            entries: vec![(0.0, 0); period + 1],
            head: 0,
            len: 0,
        }
    }

    #[inline]
    fn slot(&self, offset: usize) -> usize {
        let i = self.head + offset;
        if i >= self.entries.len() {
            i - self.entries.len()
        } else {
            i
        }
    }

    /// Pushes `x`; returns the window's extremum and its position
    /// (0 = the first value ever pushed).
    #[inline]
    pub fn push(&mut self, x: f64) -> (f64, u64) {
        let idx = self.pushed;
        self.pushed += 1;
        while self.len > 0 {
            let back = self.entries[self.slot(self.len - 1)].0;
            let dominated = match self.kind {
                Extremum::Max => back <= x,
                Extremum::Min => back >= x,
            };
            if !dominated {
                break;
            }
            self.len -= 1;
        }
        let tail = self.slot(self.len);
        self.entries[tail] = (x, idx);
        self.len += 1;
        if self.entries[self.head].1 + self.period <= idx {
            self.head = self.slot(1);
            self.len -= 1;
        }
        self.entries[self.head]
    }

    /// Hints the deque's ends, where the next pushes read and write.
    #[inline]
    pub fn prefetch(&self) {
        if self.entries.len() <= 16 {
            prefetch::slice(&self.entries);
        } else {
            prefetch::at(&self.entries, self.head);
            prefetch::at(&self.entries, self.slot(self.len.saturating_sub(1)));
        }
    }

    /// The window's extremum as the last push returned it (NaN before any).
    #[inline]
    pub fn current(&self) -> f64 {
        if self.len == 0 {
            f64::NAN
        } else {
            self.entries[self.head].0
        }
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
        self.head = 0;
        self.len = 0;
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
    fn monotone_input_stays_correct() {
        for kind in [Extremum::Max, Extremum::Min] {
            let mut r = RollingExtremum::new(kind, 4);
            let xs: Vec<f64> = (0..50)
                .map(|i| {
                    if kind == Extremum::Max {
                        -(i as f64)
                    } else {
                        i as f64
                    }
                })
                .collect();
            for i in 0..xs.len() {
                assert_eq!(r.push(xs[i]), naive(&xs, i, 4, kind));
            }
        }
    }

    #[test]
    fn snapshots_round_trip_and_out_of_range_ones_are_refused() {
        let mut r = RollingExtremum::new(Extremum::Max, 3);
        for x in [2.0, 5.0, 1.0, 4.0, 3.0] {
            r.push(x);
        }
        let json = serde_json::to_string(&r).unwrap();
        let mut back: RollingExtremum = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.push(0.5), r.push(0.5));
        let bad = json.replace("\"head\":", "\"head\":9");
        let e = serde_json::from_str::<RollingExtremum>(&bad).unwrap_err();
        assert!(
            e.to_string().contains("extremum snapshot out of range"),
            "{e}"
        );
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
