//! Compensated (Neumaier) sums, plain and rolling.

use serde::{Deserialize, Serialize};

/// A Kahan-Babuska-Neumaier compensated sum.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// Adds `x` (subtract by adding `-x`).
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    #[inline]
    pub fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

/// A sum over a sliding window that the caller moves by `add`/`remove`.
///
/// Non-finite values are counted in and out instead of being summed, so one
/// NaN makes the value NaN exactly while it is inside the window and the sum
/// recovers as soon as it leaves (no `inf - inf` poisoning).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RollingSum {
    sum: CompensatedSum,
    non_finite: usize,
}

impl RollingSum {
    /// Brings `x` into the window.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if x.is_finite() {
            self.sum.add(x);
        } else {
            self.non_finite += 1;
        }
    }

    /// Takes `x` (a value added earlier) out of the window.
    #[inline]
    pub fn remove(&mut self, x: f64) {
        if x.is_finite() {
            self.sum.add(-x);
        } else {
            self.non_finite -= 1;
        }
    }

    /// The sum, or NaN while a non-finite value is inside the window.
    #[inline]
    pub fn value(&self) -> f64 {
        if self.non_finite > 0 {
            f64::NAN
        } else {
            self.sum.value()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensation_recovers_small_terms() {
        let mut s = CompensatedSum::default();
        s.add(1e16);
        for _ in 0..1000 {
            s.add(1.0);
        }
        s.add(-1e16);
        assert_eq!(s.value(), 1000.0);
    }

    #[test]
    fn nan_is_counted_in_and_out() {
        let mut s = RollingSum::default();
        s.add(1.0);
        s.add(f64::NAN);
        s.add(2.0);
        assert!(s.value().is_nan());
        s.remove(f64::NAN);
        assert_eq!(s.value(), 3.0);
        s.add(f64::INFINITY);
        assert!(s.value().is_nan());
        s.remove(f64::INFINITY);
        s.remove(1.0);
        assert_eq!(s.value(), 2.0);
    }

    #[test]
    fn no_drift_over_a_long_window_walk() {
        // 200,000 pushes through a 20-wide window of values with large offset.
        let xs: Vec<f64> = (0..200_000)
            .map(|i| 1e6 + ((i * 7919) % 1000) as f64 * 0.001)
            .collect();
        let mut s = RollingSum::default();
        for (i, &x) in xs.iter().enumerate() {
            s.add(x);
            if i >= 20 {
                s.remove(xs[i - 20]);
            }
        }
        let exact: f64 = xs[xs.len() - 20..].iter().sum();
        assert!((s.value() - exact).abs() <= 1e-9 * exact.abs());
    }
}
