//! Cutting time-ordered bars into blocks: runs of whole bar times of about
//! [`BLOCK_ROWS`] rows, each split by the worker that owns the symbols.

use crate::chunks::{symbol_owner, BarChunk};
use tickflow_connectors::BarBatch;

/// Rows per block, about: large enough that the per-block costs (progress,
/// one exchange message per worker pair) stay small and each symbol's engine
/// runs over a few bars while its state is in cache, small enough that the
/// blocks in flight stay within a few hundred MB. Until the cut was mended
/// (a Parquet input's 65,536-row batches went on as one block each), the
/// blocks were that large whatever this said; on the 4,000 x 5,000
/// backfill 32,768 (with [`super::IN_FLIGHT`] 4) ran as fast with 100 MB
/// less peak memory, and 16,384 (in flight 6) used 270 MB less but ran
/// slower (each symbol's engine over fewer bars per block). Since the
/// compute hints each next symbol's state into cache, 65,536 runs 7%
/// faster than 32,768 (16.1-16.3 s against 17.2-18.1 s, peak RSS
/// 1.23-1.34 GiB against 1.12-1.15 GiB); 131,072 is no faster and holds
/// 350 MB more, and 3 blocks in flight instead of 4 are neither faster
/// nor smaller.
pub const BLOCK_ROWS: usize = 65_536;

/// One block: its bar times and one chunk per worker.
#[derive(Debug, Default)]
pub struct Block {
    /// Per worker: the bars of the symbols it owns.
    pub chunks: Vec<BarChunk>,
    /// Rows in the block.
    pub rows: usize,
}

/// Accumulates bars in time order and hands out complete blocks.
#[derive(Debug)]
pub struct Cutter {
    /// Rows from `start` on are pending; those before it were handed out
    /// and are dropped when they are at least as many as the rest (so a
    /// large batch, such as a spill bucket of 128k rows, is not
    /// shifted down once per block cut from it).
    pending: BarBatch,
    start: usize,
    peers: usize,
    block_rows: usize,
}

impl Cutter {
    /// A cutter for `peers` workers.
    pub fn new(peers: usize, block_rows: usize) -> Self {
        Self {
            pending: BarBatch::default(),
            start: 0,
            peers,
            block_rows,
        }
    }

    /// Appends bars whose times are not below any pending time.
    pub fn push(&mut self, bars: &BarBatch) {
        self.pending.extend_from(bars);
    }

    /// [`push`](Self::push) of a batch the caller is done with: taken as
    /// it is when nothing is pending (a spill bucket is not copied).
    pub fn push_owned(&mut self, bars: BarBatch) {
        if self.start == self.pending.len() {
            self.pending = bars;
            self.start = 0;
        } else {
            self.push(&bars);
        }
    }

    /// Frees the rows' storage when every row has been handed out: a spill
    /// bucket's columns are not held while the next bucket is read.
    pub fn release_drained(&mut self) {
        if self.start == self.pending.len() {
            self.pending = BarBatch::default();
            self.start = 0;
        }
    }

    /// Forgets the rows handed out when they are at least half of those held.
    fn compact(&mut self) {
        if self.start > 0 && 2 * self.start >= self.pending.len() {
            self.pending.drain_front(self.start);
            self.start = 0;
        }
    }

    /// The next complete block, if enough rows are pending; with `all`, the
    /// pending rows are complete (no more rows of their times will come).
    pub fn next_block(&mut self, all: bool) -> Option<Block> {
        let ts = &self.pending.ts[self.start..];
        let n = ts.len();
        if n == 0 || (!all && n < self.block_rows) {
            return None;
        }
        let cut = if all && n <= self.block_rows {
            n
        } else {
            // Whole times only, about `block_rows` rows: up to the end of
            // the time at the limit if a later time follows it (it is
            // complete), else up to its start (it may still grow).
            let limit = n.min(self.block_rows);
            let last = ts[limit - 1];
            let end = ts.partition_point(|&t| t <= last);
            if end < n || all {
                end
            } else {
                match ts[..limit].partition_point(|&t| t < last) {
                    0 => return None,
                    cut => cut,
                }
            }
        };
        let block = self.split(self.start..self.start + cut);
        self.start += cut;
        self.compact();
        Some(block)
    }

    /// The block of pending rows `rows`.
    fn split(&self, rows: std::ops::Range<usize>) -> Block {
        let p = &self.pending;
        let cut = rows.len();
        let mut times: Vec<i64> = p.ts[rows.clone()].to_vec();
        times.dedup();
        let mut chunks: Vec<BarChunk> = (0..self.peers)
            .map(|d| BarChunk {
                dest: d as u32,
                times: times.clone(),
                salt: 0,
                bars: BarBatch::default(),
                checkpoint: None,
                market: None,
                at: None,
            })
            .collect();
        let owners: Vec<usize> = p.symbol[rows.clone()]
            .iter()
            .map(|&s| symbol_owner(s, self.peers))
            .collect();
        let mut per_worker = vec![0; self.peers];
        for &d in &owners {
            per_worker[d] += 1;
        }
        for (chunk, &n) in chunks.iter_mut().zip(&per_worker) {
            chunk.bars.reserve(n);
        }
        for (i, &d) in rows.zip(&owners) {
            chunks[d].bars.push_row(p, i);
        }
        Block { chunks, rows: cut }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_operators::Bar;

    fn bars(times: &[i64]) -> BarBatch {
        let mut b = BarBatch::default();
        for (i, &t) in times.iter().enumerate() {
            b.symbol.push(i as u32 % 3);
            b.ts.push(t);
            b.bar.push(Bar {
                open: 1.0,
                high: 1.0,
                low: 1.0,
                close: 1.0,
                volume: 1.0,
            });
            b.sector.push(None);
            b.file.push(0);
            b.line.push(i as u64 + 2);
        }
        b
    }

    #[test]
    fn blocks_hold_whole_times_and_every_row_once() {
        let mut c = Cutter::new(2, 4);
        c.push(&bars(&[1, 1, 1, 2, 2, 3]));
        let b = c.next_block(false).unwrap();
        assert_eq!(b.rows, 5, "times 1 and 2 are complete, 3 may grow");
        assert_eq!(b.chunks[0].times, vec![1, 2]);
        assert_eq!(b.chunks[0].bars.len() + b.chunks[1].bars.len(), 5);
        assert!(b.chunks[1].bars.symbol.iter().all(|s| s % 2 == 1));
        assert!(c.next_block(false).is_none());
        c.push(&bars(&[3, 3, 3, 3, 3]));
        assert!(c.next_block(false).is_none(), "one time, still growing");
        let b = c.next_block(true).unwrap();
        assert_eq!((b.rows, b.chunks[0].times.clone()), (6, vec![3]));
        assert!(c.next_block(true).is_none());
    }

    /// Input arrives in batches far larger than a block (65,536 rows from
    /// a Parquet file): it is cut into blocks of about `block_rows`, not
    /// handed on as one.
    #[test]
    fn a_large_batch_is_cut_into_blocks() {
        let mut c = Cutter::new(2, 4);
        c.push(&bars(&[1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7]));
        let mut blocks = Vec::new();
        while let Some(b) = c.next_block(false) {
            blocks.push((b.rows, b.chunks[0].times.clone()));
        }
        assert_eq!(
            blocks,
            vec![(4, vec![1, 2]), (5, vec![3, 4]), (4, vec![5, 6])],
            "time 4 is whole in its block; 7 may still grow"
        );
        let b = c.next_block(true).unwrap();
        assert_eq!((b.rows, b.chunks[0].times.clone()), (1, vec![7]));
    }

    /// Rows handed out are dropped only once they are half of those held,
    /// and a batch pushed whole after them is taken as it is: every row
    /// still goes out once, in order.
    #[test]
    fn rows_go_out_once_in_order_across_pushes() {
        let mut c = Cutter::new(1, 3);
        let mut out = Vec::new();
        let mut drain = |c: &mut Cutter, all| {
            while let Some(b) = c.next_block(all) {
                out.extend(b.chunks[0].bars.line.iter().copied());
            }
        };
        c.push(&bars(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        drain(&mut c, false);
        c.push(&bars(&[11, 12]));
        drain(&mut c, true);
        c.push_owned(bars(&[20, 21, 22, 23]));
        drain(&mut c, true);
        let lines: Vec<u64> = (2..12).chain(2..4).chain(2..6).collect();
        assert_eq!(out, lines);
    }

    /// A drained batch's storage is freed; rows still pending are kept.
    #[test]
    fn release_drained_frees_only_what_was_handed_out() {
        let mut c = Cutter::new(1, 2);
        c.push_owned(bars(&[1, 2, 3]));
        assert_eq!(c.next_block(false).unwrap().rows, 2);
        c.release_drained();
        assert_eq!(c.next_block(true).unwrap().chunks[0].bars.ts, vec![3]);
        assert!(c.pending.ts.capacity() > 0, "drained only at the end");
        c.release_drained();
        assert_eq!((c.pending.ts.capacity(), c.start), (0, 0));
        c.push_owned(bars(&[4]));
        assert_eq!(c.next_block(true).unwrap().chunks[0].bars.ts, vec![4]);
    }
}
