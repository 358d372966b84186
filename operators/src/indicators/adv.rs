//! Average dollar volume: the mean `close * volume` of a symbol's last n
//! bars, the liquidity measure of the backtest's and the live signals'
//! minimum-liquidity filter.

use crate::rolling::{Ring, RollingSum};
use serde::{Deserialize, Serialize};

/// Mean `close * volume` over the last `period` bars. A non-finite product
/// counts as nothing traded. The window's sum is compensated (Neumaier), so
/// a window of zeros after large values is 0, and nothing drifts over long
/// series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvgDollarVolume {
    ring: Ring,
    sum: RollingSum,
}

impl AvgDollarVolume {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// A fresh average over `period` bars (at least 1).
    pub fn new(period: usize) -> Self {
        Self {
            ring: Ring::new(period.max(1)),
            sum: RollingSum::default(),
        }
    }

    /// Feeds one bar; the mean of the last `period` dollar volumes once
    /// that many bars were seen.
    #[inline]
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        self.push(close * volume)
    }

    /// Feeds one bar's dollar volume (`close * volume`, computed by the
    /// caller).
    #[inline]
    pub fn push(&mut self, dollar_volume: f64) -> Option<f64> {
        let value = if dollar_volume.is_finite() {
            dollar_volume
        } else {
            0.0
        };
        if let Some(old) = self.ring.push(value) {
            self.sum.remove(old);
        }
        self.sum.add(value);
        self.is_ready()
            .then(|| self.sum.value() / self.ring.capacity() as f64)
    }

    /// True once `period` bars were seen.
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.ring.capacity());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_n_dollar_volumes() {
        let mut a = AvgDollarVolume::new(2);
        assert_eq!(a.update(10.0, 1.0), None);
        assert!(!a.is_ready());
        assert_eq!(a.update(20.0, 2.0), Some(25.0));
        assert_eq!(a.update(1.0, 5.0), Some(22.5));
        a.reset();
        assert_eq!(a.update(1.0, 5.0), None);
    }

    #[test]
    fn period_one_is_the_bars_own_and_nan_trades_nothing() {
        let mut a = AvgDollarVolume::new(1);
        assert_eq!(a.update(3.0, 4.0), Some(12.0));
        assert_eq!(a.update(f64::NAN, 4.0), Some(0.0));
        assert_eq!(a.update(2.0, 4.0), Some(8.0));
    }

    #[test]
    fn a_window_of_zeros_after_large_values_is_zero() {
        let mut a = AvgDollarVolume::new(3);
        for (c, v) in [(19271.46, 51696.0), (17529.05, 12345.0), (0.3, 7.0)] {
            a.update(c, v);
        }
        for _ in 0..3 {
            a.update(17529.05, 0.0);
        }
        assert_eq!(a.update(1.0, 0.0), Some(0.0));
    }

    #[test]
    fn no_drift_over_a_long_series() {
        let mut a = AvgDollarVolume::new(20);
        let mut last = None;
        let dv = |i: usize| 1e9 * (1.0 + (i as f64 * 0.37).sin()) + 0.1;
        for i in 0..200_003 {
            last = a.update(dv(i), 1.0);
        }
        let exact: f64 = (200_003 - 20..200_003).map(dv).sum::<f64>() / 20.0;
        assert!((last.unwrap() - exact).abs() <= 1e-9 * exact);
    }
}
