//! Exponential moving average (TA-Lib EMA, seeded with the SMA).

use serde::{Deserialize, Serialize};

/// TA-Lib EMA: the first value (index `period - 1`) is the plain mean of the
/// first `period` values, then `ema = fma(x - ema, k, ema)` with
/// `k = 2 / (period + 1)` (TA-Lib 0.8 fuses this step). Period 1 copies the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    value: f64,
}

impl Ema {
    /// Over `period` (>= 1) values.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            k: 2.0 / (period as f64 + 1.0),
            seen: 0,
            value: 0.0,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.seen += 1;
        if self.period == 1 {
            return Some(x);
        }
        if self.seen < self.period {
            self.value += x;
            return None;
        }
        if self.seen == self.period {
            self.value = (self.value + x) / self.period as f64;
        } else {
            self.value = (x - self.value).mul_add(self.k, self.value);
        }
        Some(self.value)
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.seen >= self.period
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
    fn seeded_with_mean() {
        let mut e = Ema::new(3);
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(2.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert_eq!(e.update(6.0), Some(4.0));
    }

    #[test]
    fn period_one_copies() {
        let mut e = Ema::new(1);
        assert_eq!(e.update(5.0), Some(5.0));
        assert_eq!(e.update(-2.0), Some(-2.0));
    }
}
