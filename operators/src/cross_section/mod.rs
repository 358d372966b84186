//! Cross-sectional kernels: one timestamp's batch of symbols, many features at once.
//!
//! For every feature column the kernel writes the average-tie percentile rank,
//! the z-score (population std) and the z-score within sector groups, with the
//! spec's null rules. Rows are expected in symbol order: every mean and
//! standard deviation is summed in row order, so the result does not depend on
//! how rows arrived. NaN marks a null in inputs and outputs.

mod kernel;
mod radix;
mod stats;

/// The spec's default cross-sectional feature list.
pub const DEFAULT_FEATURES: [&str; 10] = [
    "ret_1",
    "ret_5",
    "ret_20",
    "rsi_14",
    "macd_hist",
    "bb_pctb",
    "natr_14",
    "adx_14",
    "vol_20",
    "volume_z_20",
];

pub use kernel::{CrossSectionBatch, CrossSectionKernel, CrossSectionOptions, CrossSectionOutput};
pub use radix::{argsort_comparison, order_key, RadixSorter};
