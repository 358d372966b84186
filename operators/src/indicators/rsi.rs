//! Relative Strength Index, Wilder's smoothing (TA-Lib RSI).

use serde::{Deserialize, Serialize};

/// TA-Lib 0.8 RSI: the first `period` changes are averaged, later ones
/// smoothed as `avg = (avg * (period - 1) + x) * (1 / period)`; the output is
/// `100 * gain / (gain + loss)`, or 0 when `gain + loss` is not positive
/// (a flat window gives 0, a value, not a null). First value at index `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rsi {
    period: usize,
    inv_period: f64,
    prev: Option<f64>,
    changes: usize,
    gain: f64,
    loss: f64,
}

impl Rsi {
    /// RSI over `period` (>= 1) changes (TA-Lib accepts 2 and up; 1 gives 100 on an
    /// up move and 0 otherwise).
    pub fn new(period: usize) -> Self {
        Self {
            period,
            inv_period: 1.0 / period as f64,
            prev: None,
            changes: 0,
            gain: 0.0,
            loss: 0.0,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.prev.replace(x)?;
        let diff = x - prev;
        self.changes += 1;
        if self.changes > self.period {
            let m = (self.period - 1) as f64;
            self.loss *= m;
            self.gain *= m;
        }
        let gain_delta = if diff > 0.0 { diff } else { 0.0 };
        self.gain += gain_delta;
        self.loss += gain_delta - diff;
        if self.changes < self.period {
            return None;
        }
        self.loss *= self.inv_period;
        self.gain *= self.inv_period;
        let total = self.gain + self.loss;
        Some(if total > 0.0 {
            100.0 * (self.gain / total)
        } else {
            0.0
        })
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.changes >= self.period
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
    fn period_one_is_direction() {
        let mut r = Rsi::new(1);
        assert_eq!(r.update(1.0), None);
        assert_eq!(r.update(2.0), Some(100.0));
        assert_eq!(r.update(1.5), Some(0.0));
        assert_eq!(r.update(1.5), Some(0.0));
    }

    #[test]
    fn flat_series_gives_zero_not_null() {
        let mut r = Rsi::new(3);
        let out: Vec<_> = (0..6).map(|_| r.update(5.0)).collect();
        assert_eq!(out[2], None);
        assert_eq!(out[3], Some(0.0));
    }

    #[test]
    fn first_value_is_simple_average() {
        let mut r = Rsi::new(2);
        r.update(10.0);
        r.update(11.0);
        // changes +1, -0.5: gain 0.5, loss 0.25
        assert_eq!(r.update(10.5), Some(100.0 * (0.5 / 0.75)));
    }
}
