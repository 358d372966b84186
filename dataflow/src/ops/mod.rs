//! The timely operators of backfill and live runs, one small extension trait each:
//! [`RollingFeatures`] (exchange by symbol), [`CrossSections`] (exchange by
//! bar time), [`PublishRows`] (rows to a Kafka topic), [`PublishSignals`]
//! (each bar time's signals to a Kafka topic) and [`WriteOutput`]
//! (the partitioned sink, on the worker that computed the rows). Each holds a
//! block's chunks until the frontier passes it, then processes them in a
//! fixed order, so results depend neither on the worker count nor on
//! arrival order; the rolling operator may compute a live bar's row before
//! then, when that gives the same row (`ops/ahead.rs`).

mod ahead;
mod compute;
mod cross;
mod each;
mod early;
mod publish;
mod rolling;
mod signals;
mod stash;
mod write;

pub use cross::CrossSections;
pub use publish::PublishRows;
pub use rolling::{MarketLevels, RollingFeatures, StateStore};
pub use signals::{LiveSignal, PublishSignals};
pub use write::WriteOutput;

use std::collections::BTreeMap;

/// Per-worker counters the operators fill in.
#[derive(Debug, Default)]
pub struct OperatorStats {
    /// Second copies of a bar, identical to the first: dropped.
    pub duplicates: u64,
    /// Second copies of a bar that differ: the later one wins.
    pub corrections: u64,
    /// Bars whose rows were computed ahead of the frontier (live).
    pub ahead: u64,
    /// Of those, bars computed again when the frontier passed, after a bar
    /// of their symbol at or before their time arrived.
    pub recalled: u64,
    /// Bar times whose cross-section went out as computed ahead of the
    /// frontier, and all bar times with a cross-section (live).
    pub cross_ahead: (u64, u64),
    /// Rows written, per partition.
    pub partitions: BTreeMap<String, u64>,
    /// The first sink failure, if any.
    pub sink_error: Option<String>,
}
