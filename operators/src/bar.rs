//! One OHLCV bar and the spec's validity rule.

use serde::{Deserialize, Serialize};

/// The numeric part of a bar: what the indicators read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
    /// Traded volume.
    pub volume: f64,
}

/// Why a bar is rejected (the spec's validity rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RejectReason {
    /// A price is NaN or infinite.
    NonFinitePrice,
    /// A price is zero or negative.
    NonPositivePrice,
    /// The volume is NaN or infinite.
    NonFiniteVolume,
    /// The volume is negative.
    NegativeVolume,
    /// `low > min(open, close)`.
    LowAboveBody,
    /// `high < max(open, close)`.
    HighBelowBody,
}

impl RejectReason {
    /// Every reason, in a stable order (for reports and metrics).
    pub const ALL: [RejectReason; 6] = [
        RejectReason::NonFinitePrice,
        RejectReason::NonPositivePrice,
        RejectReason::NonFiniteVolume,
        RejectReason::NegativeVolume,
        RejectReason::LowAboveBody,
        RejectReason::HighBelowBody,
    ];

    /// A short snake_case label, stable across versions.
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::NonFinitePrice => "non_finite_price",
            RejectReason::NonPositivePrice => "non_positive_price",
            RejectReason::NonFiniteVolume => "non_finite_volume",
            RejectReason::NegativeVolume => "negative_volume",
            RejectReason::LowAboveBody => "low_above_open_close",
            RejectReason::HighBelowBody => "high_below_open_close",
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl From<[f64; 5]> for Bar {
    /// A bar from `[open, high, low, close, volume]`.
    fn from([open, high, low, close, volume]: [f64; 5]) -> Self {
        Self {
            open,
            high,
            low,
            close,
            volume,
        }
    }
}

impl Bar {
    /// Checks the spec's rule: prices finite and > 0, volume finite and >= 0,
    /// `low <= min(open, close)`, `high >= max(open, close)`.
    ///
    /// ```
    /// use tickflow_operators::{Bar, RejectReason};
    /// let bar = Bar { open: 10.0, high: 11.0, low: 9.0, close: 10.5, volume: 100.0 };
    /// assert_eq!(bar.validate(), Ok(()));
    /// let bad = Bar { low: 10.2, ..bar };
    /// assert_eq!(bad.validate(), Err(RejectReason::LowAboveBody));
    /// ```
    pub fn validate(&self) -> Result<(), RejectReason> {
        let finite = self.open.is_finite()
            & self.high.is_finite()
            & self.low.is_finite()
            & self.close.is_finite();
        if !finite {
            return Err(RejectReason::NonFinitePrice);
        }
        if (self.open <= 0.0) | (self.high <= 0.0) | (self.low <= 0.0) | (self.close <= 0.0) {
            return Err(RejectReason::NonPositivePrice);
        }
        if !self.volume.is_finite() {
            return Err(RejectReason::NonFiniteVolume);
        }
        if self.volume < 0.0 {
            return Err(RejectReason::NegativeVolume);
        }
        if self.low > self.open.min(self.close) {
            return Err(RejectReason::LowAboveBody);
        }
        if self.high < self.open.max(self.close) {
            return Err(RejectReason::HighBelowBody);
        }
        Ok(())
    }
}
