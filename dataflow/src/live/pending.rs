//! Bars waiting for the frontier to pass their time, and the offsets that
//! may be committed: a partition's committed offset never passes a message
//! whose row is not yet durable in the store.

use std::collections::{BTreeMap, VecDeque};
use tickflow_connectors::{BarBatch, TsKind};
use tickflow_operators::Bar;

#[derive(Debug, Default)]
struct Offsets {
    /// The offset after the last message consumed.
    next: i64,
    /// Consumed messages not yet durable, in offset order, with their bar
    /// time (`i64::MIN` for those already in a side output).
    open: VecDeque<(i64, i64)>,
    /// The last offset committed.
    committed: Option<i64>,
}

/// One worker's pending bars, by bar time, and its partitions' offsets.
#[derive(Debug, Default)]
pub struct Pending {
    by_ts: BTreeMap<i64, BarBatch>,
    offsets: BTreeMap<i32, Offsets>,
    rows: usize,
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

    /// Records a consumed message whose row becomes durable once the
    /// frontier passes `ts` (`i64::MIN`: once the side outputs are flushed).
    pub fn consumed(&mut self, partition: i32, offset: i64, ts: i64) {
        let o = self.offsets.entry(partition).or_default();
        o.next = o.next.max(offset + 1);
        o.open.push_back((offset, ts));
    }

    /// Per partition, the offset after the last message consumed.
    pub fn next_offsets(&self) -> BTreeMap<i32, i64> {
        self.offsets.iter().map(|(&p, o)| (p, o.next)).collect()
    }

    /// Bars held, in all.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Removes and returns every bar time below `frontier`, oldest first.
    pub fn take_before(&mut self, frontier: i64) -> Vec<(i64, BarBatch)> {
        let rest = self.by_ts.split_off(&frontier);
        let done = std::mem::replace(&mut self.by_ts, rest);
        self.rows -= done.values().map(BarBatch::len).sum::<usize>();
        done.into_iter().collect()
    }

    /// The offsets to commit now that every bar time below `durable` is in
    /// the store (and the side outputs are flushed): per partition whose
    /// commit point moved, the first offset not yet durable.
    ///
    /// ```
    /// use tickflow::live::Pending;
    /// use tickflow_connectors::TsKind;
    /// use tickflow_operators::Bar;
    /// let mut p = Pending::default();
    /// let bar = Bar::from([1.0, 1.0, 1.0, 1.0, 1.0]);
    /// p.push(0, 10, TsKind::Date, 0, 5, bar, None);
    /// p.push(0, 11, TsKind::Date, 1, 6, bar, None);
    /// assert_eq!(p.commit_points(6), vec![(0, 11)], "offset 11 (time 6) is not durable");
    /// assert_eq!(p.commit_points(6), vec![], "nothing moved");
    /// assert_eq!(p.commit_points(7), vec![(0, 12)]);
    /// ```
    pub fn commit_points(&mut self, durable: i64) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        for (&p, o) in &mut self.offsets {
            while o.open.front().is_some_and(|&(_, ts)| ts < durable) {
                o.open.pop_front();
            }
            let point = o.open.front().map_or(o.next, |&(offset, _)| offset);
            if o.committed != Some(point) {
                o.committed = Some(point);
                out.push((p, point));
            }
        }
        out
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
        let taken = p.take_before(3);
        assert_eq!(
            taken.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(p.rows(), 2);
        assert_eq!(p.take_before(4)[0].1.line, vec![0, 2]);
    }

    #[test]
    fn a_commit_never_passes_an_open_message() {
        let mut p = Pending::default();
        let bar = Bar::from([1.0, 1.0, 1.0, 1.0, 1.0]);
        p.push(1, 0, TsKind::Date, 0, 9, bar, None);
        p.consumed(1, 1, i64::MIN); // a dead letter behind it
        p.push(1, 2, TsKind::Date, 0, 10, bar, None);
        assert_eq!(p.commit_points(9), vec![(1, 0)]);
        assert_eq!(p.commit_points(10), vec![(1, 2)]);
        assert_eq!(p.commit_points(i64::MAX), vec![(1, 3)]);
    }
}
