//! Connors RSI (3, 2, 100): price RSI, streak RSI and percent rank of the 1-bar change.

use super::rsi::Rsi;
use crate::rolling::Ring;
use serde::{Deserialize, Serialize};

/// `(RSI(close, 3) + RSI(streak, 2) + pr) / 3` with TA-Lib RSIs and the
/// spec's streak and percent-rank definitions; null until all three exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnorsRsi {
    rsi_period: usize,
    streak_period: usize,
    rank_period: usize,
    price_rsi: Rsi,
    streak_rsi: Rsi,
    prev_close: Option<f64>,
    streak: f64,
    /// The previous `rank_period` one-bar changes `r_j`.
    changes: Ring,
}

impl ConnorsRsi {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.changes.prefetch_all();
    }

    /// Connors RSI with the three periods (each >= 1).
    pub fn new(rsi_period: usize, streak_period: usize, rank_period: usize) -> Self {
        Self {
            rsi_period,
            streak_period,
            rank_period,
            price_rsi: Rsi::new(rsi_period),
            streak_rsi: Rsi::new(streak_period),
            prev_close: None,
            streak: 0.0,
            changes: Ring::new(rank_period),
        }
    }

    /// Feeds one close; the Connors RSI once all three parts are defined.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        let price = self.price_rsi.update(close);
        let mut rank = None;
        if let Some(prev) = self.prev_close {
            self.streak = if close > prev {
                self.streak.max(0.0) + 1.0
            } else if close < prev {
                self.streak.min(0.0) - 1.0
            } else {
                0.0
            };
            let r = close / prev - 1.0;
            if self.changes.is_full() {
                let (a, b) = self.changes.as_slices();
                let below = count_below(a, r) + count_below(b, r);
                rank = Some(100.0 * below as f64 / self.rank_period as f64);
            }
            self.changes.push(r);
        }
        self.prev_close = Some(close);
        let streak = self.streak_rsi.update(self.streak);
        match (price, streak, rank) {
            (Some(p), Some(s), Some(r)) => Some((p + s + r) / 3.0),
            _ => None,
        }
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.changes.is_full() && self.price_rsi.is_ready() && self.streak_rsi.is_ready()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.rsi_period, self.streak_period, self.rank_period);
    }
}

#[inline]
fn count_below(xs: &[f64], r: f64) -> usize {
    xs.iter().map(|&x| usize::from(x < r)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_at_rank_period_plus_one() {
        let mut c = ConnorsRsi::new(3, 2, 100);
        let closes: Vec<f64> = (0..120).map(|i| 50.0 + ((i * 37) % 11) as f64).collect();
        let out: Vec<_> = closes.iter().map(|&x| c.update(x)).collect();
        assert!(out[..101].iter().all(Option::is_none));
        assert!(out[101..].iter().all(Option::is_some));
    }
}
