//! What flows through the dataflow: columnar chunks of one time block each,
//! never single rows. In a backfill a block is a run of consecutive bar
//! times (about 16k rows) and its timely time is its sequence number; in a
//! live run a block is one bar time and its timely time is that bar time.

use crate::durable::board::Request;
use serde::{Deserialize, Serialize};
use tickflow_connectors::BarBatch;
use tickflow_operators::Bar;

/// The worker that computes the cross-section of the `k`-th bar time of a
/// block: bar times are dealt round-robin, starting at the block's `salt`.
pub fn time_index_owner(k: usize, salt: u32, peers: usize) -> usize {
    (k + salt as usize) % peers
}

/// The worker that computes the cross-section of `ts`, one of `times` (the
/// block's bar times, sorted).
pub fn time_owner(times: &[i64], salt: u32, ts: i64, peers: usize) -> usize {
    time_index_owner(
        times
            .binary_search(&ts)
            .expect("a block's rows have its times"),
        salt,
        peers,
    )
}

/// A block salt that spreads one-time blocks over the workers: every
/// worker derives the same salt from the same bar time.
pub fn time_salt(ts: i64) -> u32 {
    let mut x = ts as u64;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) as u32
}

/// The worker whose rolling engines own `symbol`.
pub fn symbol_owner(symbol: u32, peers: usize) -> usize {
    symbol as usize % peers
}

/// One block's bars for the worker that owns their symbols.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BarChunk {
    /// The receiving worker.
    pub dest: u32,
    /// The block's bar times, sorted.
    pub times: Vec<i64>,
    /// Where the round-robin of bar times over workers starts.
    pub salt: u32,
    /// The bars, in any order.
    pub bars: BarBatch,
    /// A checkpoint the feeding worker asked for after this time (a chunk
    /// without bars carries it to every worker, in every process).
    pub checkpoint: Option<Request>,
    /// A live run's market symbol's close at this chunk's (one) bar time,
    /// sent to every worker by the feed that read it
    /// ([`crate::ops::MarketLevels::Live`]).
    #[serde(default)]
    pub market: Option<f64>,
    /// Set on a live chunk sent before the frontier passes its bar time
    /// (at an earlier timely time): the timely time of that bar time,
    /// which the rolling operator holds it at and may compute its rows
    /// ahead of ([`crate::ops`]).
    #[serde(default)]
    pub at: Option<u64>,
}

impl BarChunk {
    /// The chunk that tells worker `dest` about `request`.
    pub fn announce(dest: usize, request: Request) -> Self {
        Self {
            dest: dest as u32,
            checkpoint: Some(request),
            ..Self::default()
        }
    }
}

/// One block's feature rows from one rolling worker, for the worker that
/// owns their bar times; rows in (ts, symbol) order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FeatureChunk {
    /// The receiving worker.
    pub dest: u32,
    /// The block's bar times, sorted.
    pub times: Vec<i64>,
    /// Where the round-robin of bar times over workers starts.
    pub salt: u32,
    /// Symbol id per row.
    pub symbol: Vec<u32>,
    /// Bar time per row.
    pub ts: Vec<i64>,
    /// Sector id per row.
    pub sector: Vec<Option<u32>>,
    /// The bar per row.
    pub bar: Vec<Bar>,
    /// Features per row.
    pub width: usize,
    /// Row-major features, `width` per row (NaN = null).
    pub values: Vec<f64>,
    /// Whether these rows may still be withdrawn.
    #[serde(default)]
    pub standing: Standing,
}

/// Rows computed ahead of the frontier (live) go on at once, so that the
/// cross-section can be computed before the frontier passes; until it
/// does, the rolling operator may find them wrong (a bar at or before
/// theirs arrived) and withdraw them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standing {
    /// Rows computed when the frontier passed their bar time.
    #[default]
    Final,
    /// Rows computed ahead, with their id (unique in the run).
    Ahead(u64),
    /// No rows: withdraws the chunk of rows computed ahead with this id.
    Withdrawn(u64),
}

impl FeatureChunk {
    /// An empty chunk for `dest`.
    pub fn new(dest: u32, times: Vec<i64>, salt: u32, width: usize) -> Self {
        Self {
            dest,
            times,
            salt,
            width,
            ..Default::default()
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Withdraws, at worker `dest`, the rows computed ahead with id `id`.
    pub fn withdraw(dest: u32, id: u64) -> Self {
        Self {
            dest,
            standing: Standing::Withdrawn(id),
            ..Default::default()
        }
    }
}

/// One worker's output rows of one block, columnar, in (ts, symbol) order.
#[derive(Debug, Clone, Default)]
pub struct OutputBlock {
    /// Symbol id per row.
    pub symbol: Vec<u32>,
    /// Bar time per row.
    pub ts: Vec<i64>,
    /// Sector id per row.
    pub sector: Vec<Option<u32>>,
    /// Open, high, low, close, volume columns.
    pub bar: [Vec<f64>; 5],
    /// Features, then cross-sectional columns (NaN = null).
    pub values: Vec<Vec<f64>>,
}

impl OutputBlock {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }
}

/// Feature buffers handed back by the cross-sections for the rolling
/// engines to refill: a block's buffers are tens of MB, and fresh ones cost
/// page faults on every block.
#[derive(Debug, Default)]
pub struct BufferPool {
    free: std::sync::Mutex<Vec<Vec<f64>>>,
}

impl BufferPool {
    /// Buffers kept, at most (a few blocks in flight, per worker).
    const KEEP: usize = 16;

    /// A buffer of `len` values for the caller to overwrite, every one:
    /// a kept buffer's values are left as they were (filling a block's
    /// tens of MB with NaN first was a pass over memory that every row's
    /// write then repeated), only values beyond its length are NaN.
    pub fn take(&self, len: usize) -> Vec<f64> {
        let mut v = self
            .free
            .lock()
            .expect("not poisoned")
            .pop()
            .unwrap_or_default();
        if v.len() >= len {
            v.truncate(len);
        } else {
            v.resize(len, f64::NAN);
        }
        v
    }

    /// Returns a buffer for reuse.
    pub fn give(&self, v: Vec<f64>) {
        let mut free = self.free.lock().expect("not poisoned");
        if free.len() < Self::KEEP && v.capacity() > 0 {
            free.push(v);
        }
    }
}
