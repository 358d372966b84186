//! Numerically careful rolling-window building blocks shared by the indicators.
//!
//! Every type here is plain data (serde-serialisable) with O(1) amortised
//! updates: a ring buffer, a compensated running sum that counts non-finite
//! values in and out of the window, rolling moments with periodic exact
//! refresh (of one series and of pairs), monotonic deques for rolling extrema and a run-length counter of
//! equal values.

mod change;
mod comoments;
mod equal_run;
mod extremum;
mod market_pairs;
mod moments;
mod ring;
mod sum;

pub use change::Change;
pub use comoments::RollingCoMoments;
pub use equal_run::EqualRun;
pub use extremum::{Extremum, RollingExtremum};
pub use market_pairs::MarketPairs;
pub use moments::RollingMoments;
pub use ring::Ring;
pub use sum::{CompensatedSum, RollingSum};
