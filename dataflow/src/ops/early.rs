//! The cross-section operator's held rows, and blocks computed before the
//! frontier passes their bar time. In a live run the rolling operator sends
//! rows computed ahead on at once ([`Standing::Ahead`]); once a time's rows
//! have been quiet for [`QUIET`], its block is computed early, and when the
//! frontier passes the time the block goes out as it is, unless a chunk
//! arrived or was withdrawn since (or new symbols changed the name order),
//! in which case it is computed again. Either way the block is the one the
//! frontier's rows give.

use crate::chunks::{BufferPool, FeatureChunk, OutputBlock, Standing};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use timely::dataflow::operators::{Capability, InputCapability};
use timely::progress::frontier::MutableAntichain;

/// How long a time's rows must have been unchanged before its block is
/// computed early: a bar time's rows arrive within milliseconds of each
/// other, and a block computed before the last of them is computed again.
const QUIET: Duration = Duration::from_millis(10);

/// Held times, oldest first, that get early blocks: the next to pass. A
/// frontier held back (a partition waiting out its idle timeout) then keeps
/// at most this many blocks in memory, not one per time sent ahead.
const EARLY_TIMES: usize = 2;

/// Symbol ranks a block was ordered by (`None`: ids are in name order).
pub(super) type Ranks = Option<Arc<Vec<u32>>>;

/// A time's rows until the frontier passes it.
pub(super) struct Pending {
    /// The output capability for the time.
    pub cap: Capability<u64>,
    /// Chunks with rows, in arrival order.
    pub chunks: Vec<FeatureChunk>,
    /// When a chunk last arrived or was withdrawn.
    changed: Instant,
    /// The block computed from exactly `chunks`, and the ranks it used.
    pub early: Option<(OutputBlock, Ranks)>,
}

impl Pending {
    /// The early block, if it is the one these chunks give under `ranks`.
    pub fn take_early(&mut self, ranks: &Ranks) -> Option<OutputBlock> {
        match self.early.take()? {
            (block, used) if same_ranks(&used, ranks) => Some(block),
            _ => None,
        }
    }
}

fn same_ranks(a: &Ranks, b: &Ranks) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

/// What to do about early blocks now.
pub(super) enum Next<'a> {
    /// Nothing held lacks one.
    Nothing,
    /// Compute this time's block.
    Compute(&'a mut Pending),
    /// Look again after this long.
    After(Duration),
}

/// Held rows by time.
pub(super) struct Early {
    times: BTreeMap<u64, Pending>,
    pool: Arc<BufferPool>,
}

impl Early {
    /// Nothing held; withdrawn rows' buffers go back to `pool`.
    pub fn new(pool: Arc<BufferPool>) -> Self {
        Self {
            times: BTreeMap::new(),
            pool,
        }
    }

    /// Takes the chunks that arrived at `time` (a capability for `output`
    /// is kept): rows are held, a withdrawal removes the rows it names.
    pub fn arrive(
        &mut self,
        time: &InputCapability<u64>,
        output: usize,
        data: std::slice::IterMut<'_, Vec<FeatureChunk>>,
    ) {
        let pending = self.times.entry(*time.time()).or_insert_with(|| Pending {
            cap: time.retain(output),
            chunks: Vec::new(),
            changed: Instant::now(),
            early: None,
        });
        for chunk in data.flat_map(|batch| batch.drain(..)) {
            match chunk.standing {
                Standing::Withdrawn(id) => {
                    let named = |c: &FeatureChunk| c.standing == Standing::Ahead(id);
                    if let Some(k) = pending.chunks.iter().position(named) {
                        self.pool.give(pending.chunks.remove(k).values);
                    }
                }
                _ if chunk.is_empty() => continue,
                _ => pending.chunks.push(chunk),
            }
            pending.early = None;
            pending.changed = Instant::now();
        }
    }

    /// Removes the held times the frontier has passed, oldest first.
    pub fn ready(&mut self, frontier: &MutableAntichain<u64>) -> Vec<Pending> {
        let passed = super::stash::passed(&mut self.times, frontier);
        passed.into_iter().map(|(_, p)| p).collect()
    }

    /// The oldest of the first [`EARLY_TIMES`] held times with rows and no
    /// early block, if its rows have been quiet for [`QUIET`]; else when to
    /// look again.
    pub fn next(&mut self) -> Next<'_> {
        let Some(pending) = (self.times.values_mut())
            .take(EARLY_TIMES)
            .find(|p| p.early.is_none() && !p.chunks.is_empty())
        else {
            return Next::Nothing;
        };
        match QUIET.checked_sub(pending.changed.elapsed()) {
            Some(wait) if !wait.is_zero() => Next::After(wait),
            _ => Next::Compute(pending),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_kept_only_under_the_ranks_it_was_ordered_by() {
        let ranks = Arc::new(vec![1, 0]);
        assert!(same_ranks(&None, &None));
        assert!(same_ranks(&Some(ranks.clone()), &Some(ranks.clone())));
        // Ranks recomputed after a new symbol: another Arc, even with the
        // same contents, means the block is computed again.
        assert!(!same_ranks(
            &Some(ranks.clone()),
            &Some(Arc::new(vec![1, 0]))
        ));
        assert!(!same_ranks(&None, &Some(ranks)));
    }
}
