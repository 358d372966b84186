//! Population standard deviation times a factor (TA-Lib STDDEV).

use super::variance::Variance;
use serde::{Deserialize, Serialize};

/// `sqrt(variance) * nbdev` over `period` values (TA-Lib 0.8 VAR underneath).
/// First value at index `period - 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StdDev {
    variance: Variance,
    nbdev: f64,
}

/// `sqrt(variance) * nbdev`, as [`StdDev`] reports it.
#[inline]
pub(crate) fn scaled_deviation(variance: f64, nbdev: f64) -> f64 {
    let sd = variance.sqrt();
    if nbdev != 1.0 {
        sd * nbdev
    } else {
        sd
    }
}

impl StdDev {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.variance.prefetch();
    }

    /// Over `period` (>= 1) values, scaled by `nbdev`.
    pub fn new(period: usize, nbdev: f64) -> Self {
        Self {
            variance: Variance::new(period),
            nbdev,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        Some(scaled_deviation(self.variance.update(x)?, self.nbdev))
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.variance.is_ready()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.variance.reset();
    }
}
