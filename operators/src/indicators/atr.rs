//! Average true range and its normalised form (TA-Lib ATR, NATR).

use super::true_range::true_range;
use serde::{Deserialize, Serialize};

/// ATR and NATR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtrOutput {
    /// Wilder-smoothed true range.
    pub atr: f64,
    /// `(atr / close) * 100` (TA-Lib gives 0 for a zero close).
    pub natr: Option<f64>,
}

/// TA-Lib 0.8 ATR/NATR: seeded with the mean of the first `period` true
/// ranges (bars 1..=period), then `atr = fma(beta, atr, alpha * tr)` with
/// `beta = (period - 1) / period`, `alpha = 1 - beta`. First value at index `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Atr {
    period: usize,
    alpha: f64,
    beta: f64,
    prev_close: Option<f64>,
    ranges: usize,
    value: f64,
}

impl Atr {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let beta = (period - 1) as f64 / period as f64;
        Self {
            period,
            alpha: 1.0 - beta,
            beta,
            prev_close: None,
            ranges: 0,
            value: 0.0,
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<AtrOutput> {
        let prev_close = self.prev_close.replace(close)?;
        let tr = true_range(high, low, prev_close);
        self.ranges += 1;
        if self.ranges < self.period {
            self.value += tr;
            return None;
        }
        if self.ranges == self.period {
            self.value = (self.value + tr) / self.period as f64;
        } else {
            self.value = self.beta.mul_add(self.value, self.alpha * tr);
        }
        let natr = if self.period == 1 {
            tr
        } else if close != 0.0 {
            (self.value / close) * 100.0
        } else {
            0.0
        };
        Some(AtrOutput {
            atr: self.value,
            natr: Some(natr),
        })
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.ranges >= self.period
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
    fn period_one_is_true_range() {
        let mut a = Atr::new(1);
        assert_eq!(a.update(11.0, 10.0, 10.5), None);
        let o = a.update(12.0, 10.0, 11.0).unwrap();
        assert_eq!(o.atr, 2.0);
    }

    #[test]
    fn seed_is_mean_of_first_ranges() {
        let mut a = Atr::new(2);
        assert_eq!(a.update(11.0, 10.0, 10.5), None);
        assert_eq!(a.update(12.0, 10.0, 11.0), None); // tr 2
        let o = a.update(12.0, 11.0, 11.5).unwrap(); // tr 1
        assert_eq!(o.atr, 1.5);
        assert_eq!(o.natr, Some((1.5 / 11.5) * 100.0));
    }
}
