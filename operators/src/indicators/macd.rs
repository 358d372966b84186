//! MACD line, signal and histogram (TA-Lib MACD).

use serde::{Deserialize, Serialize};

/// One MACD row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdOutput {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of the MACD line.
    pub signal: f64,
    /// MACD minus signal.
    pub hist: f64,
}

/// TA-Lib MACD. Not `ema_fast - ema_slow`: both EMAs are seeded on the same
/// bar (`slow - 1`), the fast one with the mean of its own last `fast` bars;
/// the signal is seeded with the mean of the first `signal` MACD values.
/// First output at index `slow + signal - 2` (33 for 12/26/9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Macd {
    fast: usize,
    slow: usize,
    signal: usize,
    k_fast: f64,
    k_slow: f64,
    k_signal: f64,
    seen: usize,
    fast_ema: f64,
    slow_ema: f64,
    signal_ema: f64,
}

impl Macd {
    /// Periods: `fast`, `slow` >= 2 (swapped if `slow < fast`), `signal` >= 1.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        let k = |p: usize| 2.0 / (p as f64 + 1.0);
        Self {
            fast,
            slow,
            signal,
            k_fast: k(fast),
            k_slow: k(slow),
            k_signal: k(signal),
            seen: 0,
            fast_ema: 0.0,
            slow_ema: 0.0,
            signal_ema: 0.0,
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<MacdOutput> {
        let index = self.seen;
        self.seen += 1;
        let seed_bar = self.slow - 1;
        if index < seed_bar {
            self.slow_ema += x;
            if index >= self.slow - self.fast {
                self.fast_ema += x;
            }
            return None;
        }
        if index == seed_bar {
            self.fast_ema = (self.fast_ema + x) / self.fast as f64;
            self.slow_ema = (self.slow_ema + x) / self.slow as f64;
            let macd = self.fast_ema - self.slow_ema;
            self.signal_ema = 0.0 + macd;
            if self.signal > 1 {
                return None;
            }
            self.signal_ema /= self.signal as f64;
            return Some(MacdOutput {
                macd,
                signal: self.signal_ema,
                hist: macd - self.signal_ema,
            });
        }
        self.fast_ema = (x - self.fast_ema).mul_add(self.k_fast, self.fast_ema);
        self.slow_ema = (x - self.slow_ema).mul_add(self.k_slow, self.slow_ema);
        let macd = self.fast_ema - self.slow_ema;
        let first_output = seed_bar + self.signal - 1;
        if index < first_output {
            self.signal_ema += macd;
            return None;
        }
        if index == first_output {
            self.signal_ema = (self.signal_ema + macd) / self.signal as f64;
        } else if self.signal == 1 {
            self.signal_ema = macd;
        } else {
            self.signal_ema = (macd - self.signal_ema).mul_add(self.k_signal, self.signal_ema);
        }
        Some(MacdOutput {
            macd,
            signal: self.signal_ema,
            hist: macd - self.signal_ema,
        })
    }

    /// True once values are produced.
    pub fn is_ready(&self) -> bool {
        self.seen + 1 >= self.slow + self.signal
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::new(self.fast, self.slow, self.signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_output_at_33() {
        let mut m = Macd::new(12, 26, 9);
        let out: Vec<_> = (0..40)
            .map(|i| m.update(100.0 + (i as f64 * 0.3).sin()))
            .collect();
        assert!(out[..33].iter().all(Option::is_none));
        assert!(out[33..].iter().all(Option::is_some));
    }

    #[test]
    fn signal_one_has_zero_histogram() {
        let mut m = Macd::new(2, 3, 1);
        let out: Vec<_> = [1.0, 2.0, 4.0, 3.0].iter().map(|&x| m.update(x)).collect();
        assert!(out[1].is_none());
        let first = out[2].unwrap();
        // slow seed = (1+2+4)/3, fast seed = (2+4)/2
        assert_eq!(first.macd, 3.0 - 7.0 / 3.0);
        assert_eq!(first.hist, 0.0);
    }
}
