//! Directional movement: ADX, +DI and -DI (TA-Lib ADX, PLUS_DI, MINUS_DI).

use super::{ta_is_zero, true_range::true_range};
use serde::{Deserialize, Serialize};

/// ADX, +DI and -DI of one bar (each `None` until its own lookback).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdxOutput {
    /// Average directional index, from index `2 * period - 1`.
    pub adx: Option<f64>,
    /// +DI, from index `period`.
    pub plus_di: Option<f64>,
    /// -DI, from index `period`.
    pub minus_di: Option<f64>,
}

/// TA-Lib 0.8.1 directional movement with Wilder smoothing through
/// `x - x / period + new`; the smoothed sums are seeded with
/// `period - 1` raw values (TA-Lib's quirk), DX values are averaged into the
/// first ADX and smoothed afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adx {
    period: usize,
    prev: Option<(f64, f64, f64)>,
    moves: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
}

impl Adx {
    /// Over `period` (>= 2) bars.
    pub fn new(period: usize) -> Self {
        Self {
            period,
            prev: None,
            moves: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> AdxOutput {
        let none = AdxOutput {
            adx: None,
            plus_di: None,
            minus_di: None,
        };
        let Some((prev_high, prev_low, prev_close)) = self.prev.replace((high, low, close)) else {
            return none;
        };
        let diff_p = high - prev_high;
        let diff_m = prev_low - low;
        let plus_dm1 = if diff_p > 0.0 && diff_p - diff_m > 0.0 {
            diff_p
        } else {
            0.0
        };
        let minus_dm1 = if diff_m > 0.0 && diff_m - diff_p > 0.0 {
            diff_m
        } else {
            0.0
        };
        let tr = true_range(high, low, prev_close);
        self.moves += 1;
        let n = self.period;
        if self.moves < n {
            self.plus_dm += plus_dm1;
            self.minus_dm += minus_dm1;
            self.tr += tr;
            return none;
        }
        let nf = n as f64;
        self.plus_dm = (self.plus_dm - self.plus_dm / nf) + plus_dm1;
        self.minus_dm = (self.minus_dm - self.minus_dm / nf) + minus_dm1;
        self.tr = self.tr - self.tr / nf + tr;
        let (plus_di, minus_di, dx) = if self.tr > 0.0 {
            let minus_di = 100.0 * (self.minus_dm / self.tr);
            let plus_di = 100.0 * (self.plus_dm / self.tr);
            let sum = minus_di + plus_di;
            let dx = (!ta_is_zero(sum)).then(|| 100.0 * ((minus_di - plus_di).abs() / sum));
            (plus_di, minus_di, dx)
        } else {
            (0.0, 0.0, None)
        };
        // DX values for bars n ..= 2n-1 are summed; the first ADX is their mean.
        let dx_index = self.moves - n; // 0 at bar n
        let adx = if dx_index + 1 < n {
            self.sum_dx += dx.unwrap_or(0.0);
            None
        } else if dx_index + 1 == n {
            self.sum_dx += dx.unwrap_or(0.0);
            self.adx = self.sum_dx / n as f64;
            Some(self.adx)
        } else {
            if let Some(dx) = dx {
                self.adx = (self.adx * (nf - 1.0) + dx) / nf;
            }
            Some(self.adx)
        };
        AdxOutput {
            adx,
            plus_di: Some(plus_di),
            minus_di: Some(minus_di),
        }
    }

    /// True once all three outputs are produced.
    pub fn is_ready(&self) -> bool {
        self.moves + 1 >= 2 * self.period
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.period);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookbacks() {
        let mut a = Adx::new(14);
        let outs: Vec<_> = (0..40)
            .map(|i| {
                let c = 100.0 + (i as f64 * 0.7).sin() * 3.0;
                a.update(c + 1.0, c - 1.0, c)
            })
            .collect();
        assert!(outs[13].plus_di.is_none());
        assert!(outs[14].plus_di.is_some() && outs[14].minus_di.is_some());
        assert!(outs[26].adx.is_none());
        assert!(outs[27].adx.is_some());
    }
}
