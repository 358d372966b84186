//! Bollinger bands with %b and width (TA-Lib BBANDS, SMA middle band).

use super::{sma::Sma, variance::VarianceSums};
use crate::rolling::EqualRun;
use serde::{Deserialize, Serialize};

/// One row of bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BbandsOutput {
    /// Middle + nbdev_up * std.
    pub upper: f64,
    /// SMA of the window.
    pub middle: f64,
    /// Middle - nbdev_dn * std.
    pub lower: f64,
    /// `(x - lower) / (upper - lower)`; `None` when the window is flat.
    pub pctb: Option<f64>,
    /// `(upper - lower) / middle`; `None` when the middle band is 0.
    pub width: Option<f64>,
}

/// TA-Lib BBANDS(period, nbdev_up, nbdev_dn, SMA) plus the spec's %b and width.
/// First value at index `period - 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bbands {
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    /// The middle band; its window is the variance's too.
    middle: Sma,
    variance: VarianceSums,
    run: EqualRun,
    /// The window's variance as of the last update, once a window is full.
    last_variance: Option<f64>,
}

impl Bbands {
    /// Hints the cache lines the next updates touch (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch(&self) {
        self.middle.prefetch();
    }

    /// Over `period` (>= 2) values with the two deviation factors.
    pub fn new(period: usize, nbdev_up: f64, nbdev_dn: f64) -> Self {
        Self {
            period,
            nbdev_up,
            nbdev_dn,
            middle: Sma::new(period),
            variance: VarianceSums::new(period),
            run: EqualRun::default(),
            last_variance: None,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<BbandsOutput> {
        self.run.push(x);
        let first = self.middle.window().is_empty();
        let middle = self.middle.update(x);
        let variance = self.variance.update(self.middle.window(), x, first)?;
        self.last_variance = Some(variance);
        let middle = middle?;
        let sd = if variance != 0.0 {
            variance.sqrt()
        } else {
            0.0
        };
        let (upper, lower) = if self.nbdev_up == self.nbdev_dn {
            let t = sd * self.nbdev_up;
            (middle + t, middle - t)
        } else {
            (
                sd.mul_add(self.nbdev_up, middle),
                middle - sd * self.nbdev_dn,
            )
        };
        let range = upper - lower;
        let pctb =
            (!self.run.last_all_equal(self.period) && range != 0.0).then(|| (x - lower) / range);
        let width = (middle != 0.0).then(|| range / middle);
        Some(BbandsOutput {
            upper,
            middle,
            lower,
            pctb,
            width,
        })
    }

    /// The middle band (the window's mean) as of the last update.
    #[inline]
    pub fn mean(&self) -> Option<f64> {
        self.middle.value()
    }

    /// The window's population variance as of the last update.
    #[inline]
    pub fn variance(&self) -> Option<f64> {
        self.last_variance
    }

    /// The last `period` values fed (the newest `back(0)`).
    #[inline]
    pub fn window(&self) -> &crate::rolling::Ring {
        self.middle.window()
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.middle.is_ready()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.period, self.nbdev_up, self.nbdev_dn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_window_has_null_pctb() {
        let mut b = Bbands::new(3, 2.0, 2.0);
        let mut last = None;
        for _ in 0..5 {
            last = b.update(4.0);
        }
        let o = last.unwrap();
        assert_eq!((o.upper, o.middle, o.lower), (4.0, 4.0, 4.0));
        assert_eq!(o.pctb, None);
        assert_eq!(o.width, Some(0.0));
    }
}
