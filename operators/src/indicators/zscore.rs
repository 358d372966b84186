//! Rolling z-score of the newest value (`volume_z_20`).

use crate::rolling::{EqualRun, RollingMoments};
use serde::{Deserialize, Serialize};

/// `(x_i - mean) / std` over the last `period` values including `x_i`,
/// population std; null when those values are all equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZScore {
    period: usize,
    moments: RollingMoments,
    run: EqualRun,
}

impl ZScore {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.moments.prefetch();
    }

    /// Over windows of `period` (>= 2) values.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            moments: RollingMoments::new(period),
            run: EqualRun::default(),
        }
    }

    /// Feeds one value; the z-score once the window is full and not flat.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.moments.push(x);
        self.run.push(x);
        if !self.moments.is_full() || self.run.last_all_equal(self.period) {
            return None;
        }
        Some((x - self.moments.mean()) / self.moments.population_variance().sqrt())
    }

    /// True once the window is full.
    pub fn is_ready(&self) -> bool {
        self.moments.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.moments.reset();
        self.run = EqualRun::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_window_is_null_then_recovers() {
        let mut z = ZScore::new(3);
        assert_eq!(z.update(5.0), None);
        assert_eq!(z.update(5.0), None);
        assert_eq!(z.update(5.0), None);
        let v = z.update(8.0).unwrap();
        // window 5, 5, 8: mean 6, population std sqrt(2)
        assert!((v - 2.0 / 2f64.sqrt()).abs() < 1e-15);
    }
}
