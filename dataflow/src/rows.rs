//! Records that flow through the dataflow, and timely timestamps for bar times.

use serde::{Deserialize, Serialize};
use tickflow_operators::Bar;

/// A validated input bar on its way to the rolling engines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputBar {
    /// Symbol.
    pub symbol: String,
    /// Bar time: days (daily) or microseconds (intraday) since the epoch.
    pub ts: i64,
    /// Sector, from the input or the sector map.
    pub sector: Option<String>,
    /// Prices and volume.
    pub bar: Bar,
    /// Input file index (sorted path order).
    pub file: u32,
    /// Line in that file.
    pub line: u64,
}

/// One output row: the bar, then one value per output column (NaN = null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureRow {
    /// Symbol.
    pub symbol: String,
    /// Bar time.
    pub ts: i64,
    /// Sector.
    pub sector: Option<String>,
    /// Prices and volume.
    pub bar: Bar,
    /// Features, then (after the cross-section) cross-sectional columns.
    pub values: Vec<f64>,
}

/// Timely time of a bar time: order-preserving map from `i64` to `u64`.
pub fn timely_time(ts: i64) -> u64 {
    (ts as u64) ^ (1 << 63)
}

/// Inverse of [`timely_time`].
pub fn bar_time(t: u64) -> i64 {
    (t ^ (1 << 63)) as i64
}

/// FNV-1a hash, for routing keys to workers.
pub fn route(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_order() {
        let ts = [i64::MIN, -5, -1, 0, 1, 17_000, i64::MAX];
        for w in ts.windows(2) {
            assert!(timely_time(w[0]) < timely_time(w[1]));
        }
        for t in ts {
            assert_eq!(bar_time(timely_time(t)), t);
        }
    }
}
