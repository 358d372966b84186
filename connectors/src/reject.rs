//! Rows that are not valid bars: why, where, and how many.

use std::collections::BTreeMap;
use std::fmt;
use tickflow_operators::RejectReason;

/// A mapped field of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Symbol.
    Symbol,
    /// Timestamp.
    Ts,
    /// Open.
    Open,
    /// High.
    High,
    /// Low.
    Low,
    /// Close.
    Close,
    /// Volume.
    Volume,
}

impl Field {
    /// The OHLCV fields in column order.
    pub const OHLCV: [Field; 5] = [
        Field::Open,
        Field::High,
        Field::Low,
        Field::Close,
        Field::Volume,
    ];

    fn name(self) -> &'static str {
        match self {
            Field::Symbol => "symbol",
            Field::Ts => "ts",
            Field::Open => "open",
            Field::High => "high",
            Field::Low => "low",
            Field::Close => "close",
            Field::Volume => "volume",
        }
    }
}

/// Why a row was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowReject {
    /// A mapped field is empty.
    Blank(Field),
    /// A mapped field does not parse (a number, or a timestamp).
    Unparseable(Field),
    /// A timestamp of the other kind than the file's first (a date among instants).
    MixedTimestampKinds,
    /// The row is missing mapped columns.
    ShortRow,
    /// The values parse but break the spec's bar rule.
    InvalidBar(RejectReason),
    /// A message that is not a bar at all (not UTF-8, not a JSON object).
    Malformed,
}

impl fmt::Display for RowReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowReject::Blank(field) => write!(f, "blank_{}", field.name()),
            RowReject::Unparseable(field) => write!(f, "unparseable_{}", field.name()),
            RowReject::MixedTimestampKinds => f.write_str("mixed_timestamp_kinds"),
            RowReject::ShortRow => f.write_str("short_row"),
            RowReject::InvalidBar(r) => f.write_str(r.label()),
            RowReject::Malformed => f.write_str("malformed_message"),
        }
    }
}

/// One rejected row, with its source position and raw text.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    /// Index of the file in the run's input list.
    pub file: u32,
    /// 1-based line number (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: RowReject,
    /// The row as read (fields joined by commas).
    pub raw: String,
}

/// Rejections counted by reason.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RejectCounts {
    counts: BTreeMap<String, u64>,
}

impl RejectCounts {
    /// Counts one rejection.
    pub fn add(&mut self, reason: RowReject) {
        *self.counts.entry(reason.to_string()).or_default() += 1;
    }

    /// Total rejected rows.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Count per reason label, sorted by label.
    pub fn by_reason(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Adds another set of counts (e.g. from another file).
    pub fn merge(&mut self, other: &RejectCounts) {
        for (k, v) in &other.counts {
            *self.counts.entry(k.clone()).or_default() += v;
        }
    }
}
