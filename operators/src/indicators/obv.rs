//! On-balance volume (TA-Lib OBV: starts at volume_0).

use serde::{Deserialize, Serialize};

/// TA-Lib OBV: `obv_0 = volume_0`; then volume is added on an up close,
/// subtracted on a down close, and nothing changes on an equal close.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Obv {
    prev_close: Option<f64>,
    obv: f64,
}

impl Obv {
    /// A fresh OBV.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one bar's close and volume; OBV is defined from the first bar.
    #[inline]
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        match self.prev_close {
            None => self.obv = volume,
            Some(prev) => {
                if close > prev {
                    self.obv += volume;
                } else if close < prev {
                    self.obv -= volume;
                }
            }
        }
        self.prev_close = Some(close);
        Some(self.obv)
    }

    /// True once a bar was seen.
    pub fn is_ready(&self) -> bool {
        self.prev_close.is_some()
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_signed_volume() {
        let mut o = Obv::new();
        assert_eq!(o.update(10.0, 100.0), Some(100.0));
        assert_eq!(o.update(11.0, 50.0), Some(150.0));
        assert_eq!(o.update(11.0, 70.0), Some(150.0));
        assert_eq!(o.update(9.0, 20.0), Some(130.0));
    }
}
