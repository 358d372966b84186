//! Rate of change in percent (TA-Lib ROC).

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};

/// `((x / base) - 1) * 100`, 0 when `base` is 0, as [`Roc`] reports it.
#[inline]
pub(crate) fn rate_of_change(x: f64, base: f64) -> f64 {
    if base != 0.0 {
        ((x / base) - 1.0) * 100.0
    } else {
        0.0
    }
}

/// `((x_i / x_{i-period}) - 1) * 100`, 0 when the earlier value is 0.
/// First value at index `period`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roc {
    ring: Ring,
}

impl Roc {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            ring: Ring::new(period + 1),
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.ring.push(x);
        let base = if self.ring.is_full() {
            self.ring.front()?
        } else {
            return None;
        };
        Some(rate_of_change(x, base))
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.ring.is_full()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.ring.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_change() {
        let mut r = Roc::new(1);
        assert_eq!(r.update(100.0), None);
        assert_eq!(r.update(110.0), Some(((110.0f64 / 100.0) - 1.0) * 100.0));
        assert!(r.is_ready());
    }
}
