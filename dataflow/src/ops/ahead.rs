//! The rolling operator's held chunks, and rows computed ahead of the
//! frontier. A live feed hands a bar time's bars on as they arrive
//! ([`BarChunk::at`]) instead of when the frontier passes the time; the
//! operator computes their rows at once and sends them on
//! ([`Standing::Ahead`]), so that the cross-section can be computed before
//! the frontier passes too. A bar computed ahead updates a copy of its
//! symbol's state, which becomes the state when the frontier passes the
//! bar's time (checkpoints, taken there, never see a copy).
//!
//! The rows are those of an operator that waits for the frontier: a chunk
//! is computed ahead only when each of its symbols has nothing computed
//! ahead and nothing else held (so a state takes its bars in time order
//! and one bar per time), and a bar at or before one computed ahead (out of
//! order, or a second copy, whose later version wins) sends that one's
//! chunk back to wait for the frontier with it, and withdraws its rows
//! ([`Standing::Withdrawn`]).

use super::compute::{compute, Committed, Slots};
use super::rolling::MarketLevels;
use super::OperatorStats;
use crate::chunks::{BarChunk, BufferPool, FeatureChunk, Standing};
use std::collections::BTreeMap;
use std::sync::Arc;
use tickflow_operators::{FeatureEngine, SymbolState};
use timely::dataflow::operators::{Capability, InputCapability};
use timely::progress::frontier::MutableAntichain;

/// A time's chunks until the frontier passes it.
pub(super) struct Held {
    /// The output capability for the time.
    pub cap: Capability<u64>,
    /// Chunks to compute when the frontier passes, in arrival order.
    pub waiting: Vec<BarChunk>,
    /// Chunks computed ahead, and the destination and id of each chunk of
    /// their rows (sent on).
    pub ahead: Vec<(BarChunk, Vec<(u32, u64)>)>,
}

/// A symbol's bar computed ahead.
struct Copy {
    /// The timely time of the bar.
    time: u64,
    /// The symbol's state after the bar.
    state: Arc<SymbolState>,
    /// Whether the engine took the bar.
    took: bool,
}

/// Held chunks by time, and the states of the bars computed ahead.
#[derive(Default)]
pub(super) struct Ahead {
    /// Whether chunks sent ahead are computed ahead: without it (backfill,
    /// a live run with the market symbol) no symbol is counted either.
    enabled: bool,
    held: BTreeMap<u64, Held>,
    /// Per symbol id, its bar computed ahead.
    copies: Vec<Option<Copy>>,
    /// Per symbol id, its bars in waiting chunks.
    waiting: Vec<u32>,
    /// Something arrived or passed since the last look for chunks to
    /// compute ahead.
    changed: bool,
    /// States replaced by copies, freed after the rows have gone on.
    replaced: Vec<Arc<SymbolState>>,
    /// The id of the next chunk of rows computed ahead: this worker's
    /// index in the top 16 bits, a count below.
    next_id: u64,
    /// Withdrawals of recalled rows, by time, to send.
    withdrawn: Vec<(u64, FeatureChunk)>,
}

impl Ahead {
    /// Held chunks of worker `worker`, computed ahead when `enabled`.
    pub fn new(enabled: bool, worker: usize) -> Self {
        Self {
            enabled,
            next_id: (worker as u64) << 48,
            ..Self::default()
        }
    }

    /// Sends the withdrawals of the rows recalled since the last call, each
    /// at its time.
    pub fn send_withdrawn(&mut self, mut give: impl FnMut(&Capability<u64>, FeatureChunk)) {
        for (time, chunk) in self.withdrawn.drain(..) {
            give(&self.held[&time].cap, chunk);
        }
    }

    fn room(&mut self, symbols: &[u32]) {
        let bound = symbols.iter().max().map_or(0, |&m| m as usize + 1);
        if self.copies.len() < bound {
            self.copies.resize_with(bound, || None);
            self.waiting.resize(bound, 0);
        }
    }

    /// Holds `chunk`, which arrived at `time`, at its own time
    /// ([`BarChunk::at`]) or else at `time`.
    pub fn arrive(
        &mut self,
        (time, output): (&InputCapability<u64>, usize),
        chunk: BarChunk,
        stats: &mut OperatorStats,
    ) {
        let at = chunk.at.map_or(*time.time(), |a| a.max(*time.time()));
        if self.enabled {
            self.room(&chunk.bars.symbol);
            for &s in &chunk.bars.symbol {
                if let Some(copy) = &self.copies[s as usize] {
                    if copy.time >= at {
                        self.recall(copy.time, s, stats);
                    }
                }
            }
            for &s in &chunk.bars.symbol {
                self.waiting[s as usize] += 1;
            }
        }
        let held = self.held.entry(at).or_insert_with(|| Held {
            cap: time.delayed(&at, output),
            waiting: Vec::new(),
            ahead: Vec::new(),
        });
        held.waiting.push(chunk);
        self.changed = true;
    }

    /// Sends the chunk computed ahead at `time` that holds a bar of
    /// `symbol` back to wait, its rows withdrawn.
    fn recall(&mut self, time: u64, symbol: u32, stats: &mut OperatorStats) {
        let held = self.held.get_mut(&time).expect("a copy's time is held");
        let k = (held.ahead.iter())
            .position(|(c, _)| c.bars.symbol.contains(&symbol))
            .expect("a copy's chunk is held");
        let (chunk, sent) = held.ahead.remove(k);
        stats.recalled += chunk.bars.len() as u64;
        (self.withdrawn).extend(
            sent.into_iter()
                .map(|(dest, id)| (time, FeatureChunk::withdraw(dest, id))),
        );
        for &s in &chunk.bars.symbol {
            self.copies[s as usize] = None;
            self.waiting[s as usize] += 1;
        }
        held.waiting.push(chunk);
    }

    /// Removes the held times the frontier has passed, oldest first. Each
    /// one's waiting chunks no longer count as held for their symbols:
    /// compute them (after [`Ahead::install`]).
    pub fn ready(&mut self, frontier: &MutableAntichain<u64>) -> Vec<(u64, Held)> {
        let out = super::stash::passed(&mut self.held, frontier);
        if self.enabled {
            let symbols = out.iter().flat_map(|(_, h)| &h.waiting);
            for &s in symbols.flat_map(|c| &c.bars.symbol) {
                self.waiting[s as usize] -= 1;
            }
        }
        self.changed |= !out.is_empty();
        out
    }

    /// Makes the copies of a passed chunk computed ahead its symbols'
    /// states.
    pub fn install(&mut self, chunk: &BarChunk, committed: &mut Committed) {
        for (&s, &ts) in chunk.bars.symbol.iter().zip(&chunk.bars.ts) {
            let copy = self.copies[s as usize].take().expect("computed ahead");
            let old = committed.install(s as usize, ts, copy.state, copy.took);
            self.replaced.extend(old);
        }
    }

    /// Computes ahead up to [`SLICE`] bars of the waiting chunks sent
    /// ahead whose symbols have nothing else held, oldest time first, and
    /// gives their rows on at their times; returns whether there is more
    /// to compute (call again after letting the frontier in: a time it
    /// passes meanwhile goes first).
    pub fn compute_ahead(
        &mut self,
        (engine, market): (&FeatureEngine, &MarketLevels),
        states: &[Option<Arc<SymbolState>>],
        out: (usize, &BufferPool),
        stats: &mut OperatorStats,
        mut give: impl FnMut(&Capability<u64>, Vec<FeatureChunk>),
    ) -> bool {
        self.replaced.clear();
        if !self.enabled || !std::mem::take(&mut self.changed) {
            return false;
        }
        let mut budget = SLICE;
        for (&time, held) in self.held.iter_mut() {
            let mut k = 0;
            while k < held.waiting.len() {
                let c = &held.waiting[k];
                let clear =
                    |s: &u32| self.copies[*s as usize].is_none() && self.waiting[*s as usize] == 1;
                if c.at.is_none() || c.bars.is_empty() || !c.bars.symbol.iter().all(clear) {
                    k += 1;
                    continue;
                }
                if budget == 0 {
                    self.changed = true;
                    return true;
                }
                let chunk = match held.waiting[k].bars.len() > budget {
                    true => split_front(&mut held.waiting[k], budget),
                    false => held.waiting.remove(k),
                };
                budget -= chunk.bars.len();
                for &s in &chunk.bars.symbol {
                    self.waiting[s as usize] -= 1;
                }
                let mut slots = Copies {
                    engine,
                    states,
                    copies: &mut self.copies,
                    time,
                };
                let mut rows = compute((engine, market), &mut slots, &chunk, out, stats);
                rows.retain(|r| !r.is_empty());
                stats.ahead += chunk.bars.len() as u64;
                let sent = (rows.iter_mut())
                    .map(|r| {
                        self.next_id += 1;
                        r.standing = Standing::Ahead(self.next_id);
                        (r.dest, self.next_id)
                    })
                    .collect();
                give(&held.cap, rows);
                held.ahead.push((chunk, sent));
            }
        }
        false
    }
}

/// Bars computed ahead per call: a time the frontier passes meanwhile
/// waits for at most this many updates (each a copy of a state too).
const SLICE: usize = 128;

/// Removes `chunk`'s first `n` bars, as a chunk of their own.
fn split_front(chunk: &mut BarChunk, n: usize) -> BarChunk {
    let mut bars = tickflow_connectors::BarBatch::default();
    for i in 0..n {
        bars.push_row(&chunk.bars, i);
    }
    chunk.bars.drain_front(n);
    BarChunk {
        bars,
        checkpoint: None,
        times: chunk.times.clone(),
        ..*chunk
    }
}

/// Copies of the states, for bars computed ahead.
struct Copies<'a> {
    engine: &'a FeatureEngine,
    states: &'a [Option<Arc<SymbolState>>],
    copies: &'a mut Vec<Option<Copy>>,
    time: u64,
}

impl Slots for Copies<'_> {
    fn slot(&mut self, symbol: usize) -> &mut SymbolState {
        let state = match self.states.get(symbol) {
            Some(Some(s)) => SymbolState::clone(s),
            _ => self.engine.new_state(),
        };
        let copy = self.copies[symbol].insert(Copy {
            time: self.time,
            state: Arc::new(state),
            took: false,
        });
        Arc::get_mut(&mut copy.state).expect("a fresh copy")
    }

    fn updated(&mut self, symbol: usize, _ts: i64, took: bool) {
        if let Some(c) = &mut self.copies[symbol] {
            c.took = took;
        }
    }
}

/// A passed time's waiting chunks with bars, those of one block (same
/// times) as one, in arrival order: a bar's second copy from another chunk
/// is then found and the later one wins, as within a chunk.
pub(super) fn merge(chunks: Vec<BarChunk>) -> Vec<BarChunk> {
    let mut out: Vec<BarChunk> = Vec::new();
    for c in chunks.into_iter().filter(|c| !c.bars.is_empty()) {
        match out
            .iter_mut()
            .find(|o| o.times == c.times && o.salt == c.salt)
        {
            Some(o) => {
                for i in 0..c.bars.len() {
                    o.bars.push_row(&c.bars, i);
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickflow_operators::Bar;

    #[test]
    fn a_split_keeps_the_order_and_the_chunk_fields() {
        let mut chunk = BarChunk {
            dest: 1,
            times: vec![7],
            salt: 3,
            at: Some(9),
            ..Default::default()
        };
        for s in 0..5u32 {
            chunk.bars.symbol.push(s);
            chunk.bars.ts.push(7);
            chunk
                .bars
                .bar
                .push(Bar::from([1.0, 1.0, 1.0, 1.0, s as f64]));
            chunk.bars.sector.push(None);
            chunk.bars.file.push(0);
            chunk.bars.line.push(s as u64);
        }
        let front = split_front(&mut chunk, 2);
        assert_eq!(front.bars.symbol, vec![0, 1]);
        assert_eq!(chunk.bars.symbol, vec![2, 3, 4]);
        assert_eq!(chunk.bars.line, vec![2, 3, 4]);
        assert_eq!(
            (front.dest, &front.times, front.salt, front.at),
            (1, &vec![7], 3, Some(9))
        );
    }
}
