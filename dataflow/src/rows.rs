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

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(15_744), (2013, 2, 8));
    }
}
