//! One chunk's feature rows: second copies of a bar dropped (the later
//! wins), the rest fed to their symbols' engines in time order and split by
//! the worker owning each bar time. Where the states live is the caller's
//! ([`Slots`]): the operator's own, or copies computed ahead of the
//! frontier ([`super::ahead`]).

use super::rolling::MarketLevels;
use super::OperatorStats;
use crate::chunks::{time_owner, BarChunk, BufferPool, FeatureChunk};
use crate::durable::history::History;
use std::sync::Arc;
use tickflow_operators::{FeatureEngine, SymbolState};

/// Where a chunk's bars find their symbols' states.
pub(super) trait Slots {
    /// The state `symbol`'s next bar updates (created if new).
    fn slot(&mut self, symbol: usize) -> &mut SymbolState;
    /// Called after each update, with whether the engine took the bar.
    fn updated(&mut self, symbol: usize, ts: i64, took: bool);
    /// Hints the state `symbol`'s next bar will update into cache (see
    /// [`SymbolState::prefetch`]), where it exists already.
    fn prefetch(&self, _symbol: usize) {}
}

/// The operator's states, and a copy of a symbol's state into its history
/// every `every` bars.
pub(super) struct Committed<'a> {
    pub engine: &'a FeatureEngine,
    pub states: &'a mut Vec<Option<Arc<SymbolState>>>,
    pub histories: &'a mut Vec<History>,
    pub changed: &'a mut bool,
    pub every: u64,
}

impl Committed<'_> {
    /// Room for symbol ids below `symbols`.
    fn reserve(&mut self, symbols: usize) {
        if self.states.len() < symbols {
            self.states.resize_with(symbols, || None);
        }
        if self.histories.len() < self.states.len() {
            self.histories
                .resize_with(self.states.len(), History::default);
        }
    }

    /// Makes `state` `symbol`'s state, as if its bar at `ts` had just
    /// updated it (`took`: the engine took the bar); returns the state it
    /// replaces.
    pub fn install(
        &mut self,
        symbol: usize,
        ts: i64,
        state: Arc<SymbolState>,
        took: bool,
    ) -> Option<Arc<SymbolState>> {
        self.reserve(symbol + 1);
        let old = self.states[symbol].replace(state);
        self.updated(symbol, ts, took);
        old
    }
}

impl Slots for Committed<'_> {
    fn slot(&mut self, symbol: usize) -> &mut SymbolState {
        self.reserve(symbol + 1);
        let engine = self.engine;
        let state = self.states[symbol].get_or_insert_with(|| Arc::new(engine.new_state()));
        Arc::make_mut(state)
    }

    fn prefetch(&self, symbol: usize) {
        if let Some(Some(state)) = self.states.get(symbol) {
            state.prefetch();
        }
    }

    fn updated(&mut self, symbol: usize, ts: i64, took: bool) {
        if took {
            let state = self.states[symbol].as_ref().expect("updated");
            *self.changed |= self.histories[symbol].record_shared(self.every, ts, state);
        }
    }
}

/// The features of one chunk, split by the worker owning each bar time.
pub(super) fn compute(
    (engine, market): (&FeatureEngine, &MarketLevels),
    slots: &mut impl Slots,
    chunk: &BarChunk,
    (peers, pool): (usize, &BufferPool),
    stats: &mut OperatorStats,
) -> Vec<FeatureChunk> {
    let bars = &chunk.bars;
    let width = engine.columns().len();
    let n = bars.len();
    // Output order (ts, symbol). The input thread hands rows over in
    // (ts, file, line) order, so a stable sort keeps a bar's versions in
    // (file, line) order; rows already in (ts, symbol) order cost one pass.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&i| (bars.ts[i as usize], bars.symbol[i as usize]));
    let mut kept: Vec<u32> = Vec::with_capacity(n);
    for (k, &i) in order.iter().enumerate() {
        let i = i as usize;
        if let Some(&next) = order.get(k + 1) {
            let j = next as usize;
            if bars.ts[j] == bars.ts[i] && bars.symbol[j] == bars.symbol[i] {
                if bars.bar[j] == bars.bar[i] && bars.sector[j] == bars.sector[i] {
                    stats.duplicates += 1;
                } else {
                    stats.corrections += 1;
                }
                continue; // the later version follows
            }
        }
        kept.push(i as u32);
    }
    let mut outs: Vec<FeatureChunk> = (0..peers)
        .map(|d| {
            let mut c = FeatureChunk::new(d as u32, chunk.times.clone(), chunk.salt, width);
            let expect = n / peers + 1;
            c.symbol.reserve(expect);
            c.ts.reserve(expect);
            c.sector.reserve(expect);
            c.bar.reserve(expect);
            c
        })
        .collect();
    let mut place: Vec<(u32, u32)> = Vec::with_capacity(kept.len());
    // Rows come in time order: a bar time's owner is looked up (a search
    // and a division) once, not once per row.
    let mut owner = None;
    for &i in &kept {
        let i = i as usize;
        let ts = bars.ts[i];
        let d = match owner {
            Some((t, d)) if t == ts => d,
            _ => {
                let d = time_owner(&chunk.times, chunk.salt, ts, peers);
                owner = Some((ts, d));
                d
            }
        };
        let out = &mut outs[d];
        place.push((d as u32, out.len() as u32));
        out.symbol.push(bars.symbol[i]);
        out.ts.push(bars.ts[i]);
        out.sector.push(bars.sector[i]);
        out.bar.push(bars.bar[i]);
    }
    for out in &mut outs {
        out.values = pool.take(out.len() * width);
    }
    // Symbol-major: each engine runs over its bars of the block while its
    // state is in cache. A counting sort by symbol keeps time order.
    let symbol_of = |k: usize| bars.symbol[kept[k] as usize] as usize;
    let symbols = (0..kept.len()).map(symbol_of).max().map_or(0, |m| m + 1);
    let mut next = vec![0u32; symbols + 1];
    for k in 0..kept.len() {
        next[symbol_of(k) + 1] += 1;
    }
    for s in 1..next.len() {
        next[s] += next[s - 1];
    }
    let mut by_symbol = vec![0u32; kept.len()];
    for k in 0..kept.len() {
        let slot = &mut next[symbol_of(k)];
        by_symbol[*slot as usize] = k as u32;
        *slot += 1;
    }
    // Each symbol's run of bars, with the next run's state hinted into
    // cache while this one computes.
    let mut runs = by_symbol
        .chunk_by(|&a, &b| symbol_of(a as usize) == symbol_of(b as usize))
        .peekable();
    while let Some(run) = runs.next() {
        if let Some(ahead) = runs.peek() {
            slots.prefetch(symbol_of(ahead[0] as usize));
        }
        for &k in run {
            let (symbol, k) = (symbol_of(k as usize), k as usize);
            let (d, slot) = place[k];
            let out = &mut outs[d as usize];
            let row = &mut out.values[slot as usize * width..(slot as usize + 1) * width];
            let i = kept[k] as usize;
            let level = match market {
                MarketLevels::None => f64::NAN,
                MarketLevels::Series(m) => m.level(bars.ts[i]),
                MarketLevels::Live(level) => level.unwrap_or(f64::NAN),
            };
            // The engine writes every column of a bar it takes (the row
            // still holds an earlier block's values: `BufferPool::take`).
            // The input thread validated every bar with the same rule, so
            // it cannot refuse one; if it did, the row is all null.
            let state = slots.slot(symbol);
            let took = engine
                .update_joined(state, &bars.bar[i], level, row)
                .is_ok();
            if !took {
                row.fill(f64::NAN);
            }
            slots.updated(symbol, bars.ts[i], took);
        }
    }
    outs
}
