//! Rolling sample standard deviation (`vol_n`: the n-1 std of the last n `ret_1`).

use crate::rolling::RollingMoments;
use serde::{Deserialize, Serialize};

/// Sample standard deviation (divides by n - 1) of the last `period` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volatility {
    moments: RollingMoments,
}

impl Volatility {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.moments.prefetch();
    }

    /// Over windows of `period` (>= 2) values.
    pub fn new(period: usize) -> Self {
        Self {
            moments: RollingMoments::new(period),
        }
    }

    /// Feeds one value; the std once the window is full.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.moments.push(x);
        self.moments
            .is_full()
            .then(|| self.moments.sample_variance().sqrt())
    }

    /// True once the window is full.
    pub fn is_ready(&self) -> bool {
        self.moments.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.moments.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_std() {
        let mut v = Volatility::new(3);
        assert_eq!(v.update(1.0), None);
        assert_eq!(v.update(2.0), None);
        let s = v.update(4.0).unwrap();
        let mean = 7.0 / 3.0;
        let exp = (((1.0f64 - mean).powi(2) + (2.0f64 - mean).powi(2) + (4.0f64 - mean).powi(2))
            / 2.0)
            .sqrt();
        assert!((s - exp).abs() < 1e-15);
    }
}
