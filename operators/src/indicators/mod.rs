//! Per-symbol indicators, one file each: plain structs with `new`, `update`
//! (one bar in, `None` while in the lookback), `reset` and `is_ready`, free of
//! dataflow types. TA-Lib ones reproduce TA-Lib C 0.8.1's arithmetic.

mod adv;
mod adx;
mod aroon;
mod atr;
mod bbands;
mod beta;
mod cci;
mod corr;
mod crsi;
mod ema;
mod ffd;
mod kama;
mod lag;
mod macd;
mod mfi;
mod obv;
mod returns;
mod roc;
mod rsi;
mod sma;
mod stddev;
mod stoch;
mod true_range;
mod variance;
mod vidya;
mod vol;
mod willr;
mod zscore;

pub use adv::AvgDollarVolume;
pub use adx::{Adx, AdxOutput};
pub use aroon::{Aroon, AroonOutput};
pub use atr::{Atr, AtrOutput};
pub use bbands::{Bbands, BbandsOutput};
pub use beta::Beta;
pub use cci::Cci;
pub use corr::Corr;
pub use crsi::ConnorsRsi;
pub use ema::Ema;
pub use ffd::FracDiff;
pub use kama::Kama;
pub use lag::Lag;
pub use macd::{Macd, MacdOutput};
pub use mfi::Mfi;
pub use obv::Obv;
pub use returns::{Return, ReturnKind};
pub use roc::Roc;
pub use rsi::Rsi;
pub use sma::Sma;
pub use stddev::StdDev;
pub use stoch::{Stoch, StochOutput};
pub use true_range::true_range;
pub use variance::Variance;
pub use vidya::Vidya;
pub use vol::Volatility;
pub use willr::Willr;
pub use zscore::ZScore;

pub(crate) use roc::rate_of_change;
pub(crate) use stddev::scaled_deviation;
pub(crate) use willr::williams_r;

/// TA-Lib's `TA_IS_ZERO`: strictly inside (-1e-14, 1e-14).
#[inline]
pub(crate) fn ta_is_zero(v: f64) -> bool {
    -1e-14 < v && v < 1e-14
}

/// TA-Lib 0.8's `TA_IS_ZERO_SCALED`: `|v| <= 1e-14 * scale`.
#[inline]
pub(crate) fn ta_is_zero_scaled(v: f64, scale: f64) -> bool {
    v.abs() <= 1e-14 * scale
}
