//! VIDYA (14, 9): an EMA whose smoothing scales with |CMO| (the spec's formula).

use crate::rolling::{Ring, RollingSum};
use serde::{Deserialize, Serialize};

/// Chande's Variable Index Dynamic Average as the spec defines it:
/// `k_i = 2 / (period + 1) * |cmo_i|` with CMO over the last `cmo_period`
/// changes; `v_{m-1} = x_{m-1}` (not emitted), `v_i = k_i x_i + (1 - k_i) v_{i-1}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vidya {
    period: usize,
    alpha: f64,
    cmo_period: usize,
    prev_x: Option<f64>,
    changes: Ring,
    up: RollingSum,
    down: RollingSum,
    value: Option<f64>,
    seen: usize,
}

impl Vidya {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.changes.prefetch_next();
    }

    /// VIDYA with smoothing `period` (>= 1) and CMO window `cmo_period` (>= 1).
    pub fn new(period: usize, cmo_period: usize) -> Self {
        Self {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            cmo_period,
            prev_x: None,
            changes: Ring::new(cmo_period),
            up: RollingSum::default(),
            down: RollingSum::default(),
            value: None,
            seen: 0,
        }
    }

    /// Feeds one value; VIDYA from index `cmo_period` on.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let index = self.seen;
        self.seen += 1;
        // The sums move in locals and are stored once: stored field by field
        // around the ring's write, they were read back as one vector the
        // stores could not forward to (a stall per bar).
        let (mut up, mut down) = (self.up, self.down);
        if let Some(prev) = self.prev_x.replace(x) {
            let change = x - prev;
            if let Some(old) = self.changes.push(change) {
                up.remove(old.max(0.0));
                down.remove((-old).max(0.0));
            }
            up.add(change.max(0.0));
            down.add((-change).max(0.0));
            (self.up, self.down) = (up, down);
        }
        if index + 1 < self.cmo_period {
            return None;
        }
        if index + 1 == self.cmo_period {
            self.value = Some(x);
            return None;
        }
        let (su, sd) = (up.value(), down.value());
        let cmo = if su + sd == 0.0 {
            0.0
        } else {
            (su - sd) / (su + sd)
        };
        let k = self.alpha * cmo.abs();
        let prev = self.value.expect("seeded at index cmo_period - 1");
        let v = k * x + (1.0 - k) * prev;
        self.value = Some(v);
        Some(v)
    }

    /// True once values are emitted.
    pub fn is_ready(&self) -> bool {
        self.seen > self.cmo_period
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.period, self.cmo_period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_at_cmo_period() {
        let xs = [10.0, 11.0, 10.5, 12.0, 12.5];
        let mut v = Vidya::new(14, 2);
        assert_eq!(v.update(xs[0]), None);
        assert_eq!(v.update(xs[1]), None); // v_1 = x_1, not emitted
                                           // i = 2: changes +1.0, -0.5 -> cmo = 0.5 / 1.5
        let k = 2.0 / 15.0 * (0.5f64 / 1.5);
        assert_eq!(v.update(xs[2]), Some(k * 10.5 + (1.0 - k) * 11.0));
        assert!(v.is_ready());
    }

    #[test]
    fn flat_series_keeps_value() {
        let mut v = Vidya::new(14, 9);
        let out: Vec<_> = (0..20).map(|_| v.update(7.0)).collect();
        assert_eq!(out[8], None);
        assert_eq!(out[9], Some(7.0));
        assert_eq!(out[19], Some(7.0));
    }
}
