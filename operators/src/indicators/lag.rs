//! `lag(k)`: the value of a column k bars ago.

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};

/// The input as it was `k` bars earlier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lag {
    ring: Ring,
}

impl Lag {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// Lag by `k` (>= 1) bars.
    pub fn new(k: usize) -> Self {
        Self {
            ring: Ring::new(k + 1),
        }
    }

    /// Feeds one value; the value `k` bars back once it exists.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.ring.push(x);
        if self.ring.is_full() {
            self.ring.front()
        } else {
            None
        }
    }

    /// True once a value is produced.
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
    fn lags_by_k() {
        let mut l = Lag::new(2);
        assert_eq!(l.update(1.0), None);
        assert_eq!(l.update(2.0), None);
        assert_eq!(l.update(3.0), Some(1.0));
        assert_eq!(l.update(4.0), Some(2.0));
    }
}
