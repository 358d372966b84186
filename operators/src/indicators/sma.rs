//! Simple moving average (TA-Lib SMA).

use crate::rolling::{Ring, RollingSum};
use serde::{Deserialize, Serialize};

/// The mean of the last `period` values; first value at index `period - 1`.
///
/// The window total is a compensated rolling sum, so the value does not
/// drift however long the series (TA-Lib keeps a plain running total; the
/// two agree far inside the spec's tolerance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sma {
    ring: Ring,
    total: RollingSum,
}

impl Sma {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]):
    /// the whole window when it is at most 8 lines, since features that
    /// read values further back in it may share it (`engine::share`).
    #[inline]
    pub fn prefetch(&self) {
        if self.ring.capacity() <= 64 {
            self.ring.prefetch_all();
        } else {
            self.ring.prefetch_next();
        }
    }

    /// Over `period` (>= 1) values.
    pub fn new(period: usize) -> Self {
        Self {
            ring: Ring::new(period),
            total: RollingSum::default(),
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if let Some(old) = self.ring.push(x) {
            self.total.remove(old);
        }
        self.total.add(x);
        self.value()
    }

    /// The mean as of the last update, once `period` values exist.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        self.ring
            .is_full()
            .then(|| self.total.value() / self.ring.capacity() as f64)
    }

    /// The last `period` values fed (the newest `back(0)`).
    #[inline]
    pub fn window(&self) -> &Ring {
        &self.ring
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.total = RollingSum::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_one_is_identity() {
        let mut s = Sma::new(1);
        for x in [3.5, -1.25, 1e300, 7.0] {
            assert_eq!(s.update(x), Some(x));
        }
    }

    #[test]
    fn nan_inside_window_only() {
        let mut s = Sma::new(2);
        assert_eq!(s.update(1.0), None);
        assert!(s.update(f64::NAN).unwrap().is_nan());
        assert!(s.update(3.0).unwrap().is_nan());
        assert_eq!(s.update(5.0), Some(4.0));
    }
}
