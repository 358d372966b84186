//! Returns: `ret_1 = ln(close_i / close_{i-1})` and `ret_k = close_i / close_{i-k} - 1`.

use crate::rolling::Ring;
use serde::{Deserialize, Serialize};

/// Which return a [`Return`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnKind {
    /// `ln(x_i / x_{i-k})`.
    Log,
    /// `x_i / x_{i-k} - 1`.
    Simple,
}

impl ReturnKind {
    /// The return from `base` to `x`.
    #[inline]
    pub fn of(self, x: f64, base: f64) -> f64 {
        match self {
            ReturnKind::Log => (x / base).ln(),
            ReturnKind::Simple => x / base - 1.0,
        }
    }
}

/// The k-bar return of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Return {
    kind: ReturnKind,
    ring: Ring,
}

impl Return {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.ring.prefetch_next();
    }

    /// A `kind` return over `period` (>= 1) bars.
    pub fn new(kind: ReturnKind, period: usize) -> Self {
        Self {
            kind,
            ring: Ring::new(period + 1),
        }
    }

    /// Feeds one value; the return once `period` earlier values exist.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.ring.push(x);
        if !self.ring.is_full() {
            return None;
        }
        let base = self.ring.front().expect("full ring");
        Some(self.kind.of(x, base))
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
    fn log_and_simple() {
        let mut l = Return::new(ReturnKind::Log, 1);
        assert_eq!(l.update(100.0), None);
        assert_eq!(l.update(110.0), Some((110.0f64 / 100.0).ln()));
        let mut s = Return::new(ReturnKind::Simple, 2);
        assert_eq!(s.update(100.0), None);
        assert_eq!(s.update(50.0), None);
        assert!(!s.is_ready());
        assert_eq!(s.update(125.0), Some(125.0 / 100.0 - 1.0));
        assert_eq!(s.update(100.0), Some(100.0 / 50.0 - 1.0));
        s.reset();
        assert_eq!(s.update(1.0), None);
    }
}
