//! Bars waiting for the frontier to pass their time, and each partition's
//! position at a checkpoint's cut: a restart resumes at the first message
//! whose bar the checkpoint does not hold, so the committed offset never
//! passes a message whose row is not durable in the store.

use crate::durable::manifest::PartitionPosition;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use tickflow_connectors::{BarBatch, TsKind};
use tickflow_operators::Bar;

#[derive(Debug, Default)]
struct Offsets {
    /// The offset after the last message consumed.
    next: i64,
    /// Consumed bars that a later cut may still leave out, in offset order,
    /// with their bar time.
    open: VecDeque<(i64, i64)>,
    /// Messages below this offset were read before the checkpoint this run
    /// resumed from.
    replayed_below: i64,
}

/// One worker's pending bars, by bar time, and its partitions' offsets.
#[derive(Debug, Default)]
pub struct Pending {
    by_ts: BTreeMap<i64, BarBatch>,
    offsets: BTreeMap<i32, Offsets>,
    rows: usize,
    /// Bar times whose bars went on ahead of the frontier and which it has
    /// not passed yet.
    ahead: BTreeSet<i64>,
}

impl Pending {
    /// Holds a valid bar from `partition` at `offset` until its time closes.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        partition: i32,
        offset: i64,
        kind: TsKind,
        symbol: u32,
        ts: i64,
        bar: Bar,
        sector: Option<u32>,
    ) {
        let b = self.by_ts.entry(ts).or_default();
        b.ts_kind = Some(kind);
        b.symbol.push(symbol);
        b.ts.push(ts);
        b.bar.push(bar);
        b.sector.push(sector);
        b.file.push(partition as u32);
        b.line.push(offset as u64);
        self.rows += 1;
        self.consumed(partition, offset, ts);
    }

    /// Records a consumed message whose row is in a checkpoint once its
    /// cut passes `ts` (`i64::MIN`: once the side outputs are flushed, at
    /// any checkpoint: such a message is never a resume point, so only its
    /// offset is kept, and a flood of them costs no memory).
    pub fn consumed(&mut self, partition: i32, offset: i64, ts: i64) {
        let o = self.offsets.entry(partition).or_default();
        o.next = o.next.max(offset + 1);
        if ts != i64::MIN {
            o.open.push_back((offset, ts));
        }
    }

    /// Starts `partition` where a checkpoint left it (reading resumes at
    /// `p.resume`).
    pub fn resume(&mut self, partition: i32, p: PartitionPosition) {
        let o = self.offsets.entry(partition).or_default();
        o.next = p.resume;
        o.replayed_below = p.consumed;
    }

    /// The offset below which `partition`'s messages were read before the
    /// checkpoint this run resumed from (0 if none).
    pub fn read_before(&self, partition: i32) -> i64 {
        self.offsets.get(&partition).map_or(0, |o| o.replayed_below)
    }

    /// Per partition, the offset after the last message consumed.
    pub fn next_offsets(&self) -> BTreeMap<i32, i64> {
        self.offsets.iter().map(|(&p, o)| (p, o.next)).collect()
    }

    /// Bars held, in all.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Removes and returns the bar times below `frontier`, oldest first,
    /// up to the first one `ready` refuses (it may rewrite a batch it
    /// accepts).
    pub fn take_ready(
        &mut self,
        frontier: i64,
        mut ready: impl FnMut(&mut BarBatch) -> bool,
    ) -> Vec<(i64, BarBatch)> {
        let mut out = Vec::new();
        while let Some(mut first) = self.by_ts.first_entry() {
            if *first.key() >= frontier || !ready(first.get_mut()) {
                break;
            }
            let (ts, bars) = first.remove_entry();
            self.rows -= bars.len();
            out.push((ts, bars));
        }
        out
    }

    /// Removes and returns every bar time, oldest first, up to the first
    /// one `ready` refuses, to go on ahead of the frontier: they count as
    /// open times until [`Pending::pass`].
    pub fn take_ahead(&mut self, ready: impl FnMut(&mut BarBatch) -> bool) -> Vec<(i64, BarBatch)> {
        let taken = self.take_ready(i64::MAX, ready);
        self.ahead.extend(taken.iter().map(|(ts, _)| *ts));
        taken
    }

    /// The frontier passed `frontier`: returns how many of the times that
    /// went on ahead it passed.
    pub fn pass(&mut self, frontier: i64) -> u64 {
        let open = self.ahead.split_off(&frontier);
        std::mem::replace(&mut self.ahead, open).len() as u64
    }

    /// The `k`-th oldest open bar time (0: the oldest), held or gone on
    /// ahead.
    pub fn nth_ts(&self, k: usize) -> Option<i64> {
        let (mut held, mut ahead) = (self.by_ts.keys().peekable(), self.ahead.iter().peekable());
        let mut merged = std::iter::from_fn(|| match (held.peek(), ahead.peek()) {
            (Some(h), Some(a)) if a < h => ahead.next(),
            (Some(_), _) => held.next(),
            (None, _) => ahead.next(),
        });
        merged.nth(k).copied()
    }

    /// The oldest bar time held.
    pub fn first_ts(&self) -> Option<i64> {
        self.by_ts.keys().next().copied()
    }

    /// Per partition, where a checkpoint holding every bar time before
    /// `cut` leaves it: resume at the first message at or after the cut.
    /// Cuts come in increasing order (what is before one is forgotten).
    ///
    /// ```
    /// use tickflow::live::Pending;
    /// use tickflow_connectors::TsKind;
    /// use tickflow_operators::Bar;
    /// let mut p = Pending::default();
    /// let bar = Bar::from([1.0, 1.0, 1.0, 1.0, 1.0]);
    /// p.push(0, 10, TsKind::Date, 0, 5, bar, None);
    /// p.push(0, 11, TsKind::Date, 1, 6, bar, None);
    /// let at = |p: &mut Pending, cut| p.positions(cut).iter().map(|(_, q)| (q.resume, q.consumed)).collect::<Vec<_>>();
    /// assert_eq!(at(&mut p, 6), vec![(11, 12)], "offset 11 (time 6) is not in it");
    /// assert_eq!(at(&mut p, 7), vec![(12, 12)]);
    /// ```
    pub fn positions(&mut self, cut: i64) -> Vec<(i32, PartitionPosition)> {
        self.offsets
            .iter_mut()
            .map(|(&p, o)| {
                while o.open.front().is_some_and(|&(_, ts)| ts < cut) {
                    o.open.pop_front();
                }
                let resume = o.open.front().map_or(o.next, |&(offset, _)| offset);
                let consumed = o.next.max(o.replayed_below);
                (p, PartitionPosition { resume, consumed })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_whole_closed_times_only() {
        let mut p = Pending::default();
        let bar = Bar::from([1.0, 1.0, 1.0, 1.0, 1.0]);
        for (offset, ts) in [(0, 3), (1, 1), (2, 3), (3, 2)] {
            p.push(0, offset, TsKind::Date, offset as u32, ts, bar, None);
        }
        let taken = p.take_ready(3, |_| true);
        assert_eq!(
            taken.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(p.rows(), 2);
        p.push(0, 4, TsKind::Date, 9, 5, bar, None);
        assert!(
            p.take_ready(9, |b| b.symbol[0] != 0).is_empty(),
            "time 3 refused: it waits"
        );
        assert_eq!(p.first_ts(), Some(3));
        assert_eq!(p.take_ready(4, |_| true)[0].1.line, vec![0, 2]);
        assert_eq!((p.rows(), p.first_ts()), (1, Some(5)));
    }

    #[test]
    fn times_gone_on_ahead_stay_open_until_passed() {
        let mut p = Pending::default();
        let bar = Bar::from([1.0, 1.0, 1.0, 1.0, 1.0]);
        for (offset, ts) in [(0, 4), (1, 2), (2, 6)] {
            p.push(0, offset, TsKind::Date, offset as u32, ts, bar, None);
        }
        let taken = p.take_ahead(|b| b.ts[0] != 6);
        assert_eq!(taken.iter().map(|t| t.0).collect::<Vec<_>>(), vec![2, 4]);
        p.push(0, 3, TsKind::Date, 3, 3, bar, None);
        let open: Vec<_> = (0..5).map(|k| p.nth_ts(k)).collect();
        assert_eq!(open, vec![Some(2), Some(3), Some(4), Some(6), None]);
        assert_eq!(p.pass(4), 1, "time 2 passed, 4 still open");
        assert_eq!(p.nth_ts(0), Some(3));
        assert_eq!(p.pass(i64::MAX), 1);
        assert_eq!((p.rows(), p.first_ts()), (2, Some(3)));
    }

    fn resumes(p: &mut Pending, cut: i64) -> Vec<(i32, i64, i64)> {
        p.positions(cut)
            .into_iter()
            .map(|(part, q)| (part, q.resume, q.consumed))
            .collect()
    }

    #[test]
    fn a_position_never_passes_a_message_after_the_cut() {
        let mut p = Pending::default();
        let bar = Bar::from([1.0, 1.0, 1.0, 1.0, 1.0]);
        p.push(1, 0, TsKind::Date, 0, 9, bar, None);
        p.consumed(1, 1, i64::MIN); // a dead letter behind it
        p.push(1, 2, TsKind::Date, 0, 10, bar, None);
        p.push(1, 3, TsKind::Date, 0, 8, bar, None); // out of order
        assert_eq!(resumes(&mut p, 9), vec![(1, 0, 4)]);
        assert_eq!(resumes(&mut p, 10), vec![(1, 2, 4)]);
        assert_eq!(resumes(&mut p, i64::MAX), vec![(1, 4, 4)]);
    }

    #[test]
    fn a_resumed_partition_keeps_what_was_read_before() {
        let mut p = Pending::default();
        p.resume(
            2,
            PartitionPosition {
                resume: 5,
                consumed: 9,
            },
        );
        assert_eq!(
            resumes(&mut p, 0),
            vec![(2, 5, 9)],
            "nothing read again yet"
        );
        p.consumed(2, 5, i64::MIN);
        assert_eq!(resumes(&mut p, 0), vec![(2, 6, 9)]);
    }
}
