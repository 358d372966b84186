//! Per-bar-time cross-sectional ranks and z-scores, and the assembly of the
//! block's output rows in (ts, symbol) order.

use super::each::exchange_each;
use super::early::{Early, Next, Ranks};
use super::OperatorStats;
use crate::chunks::{time_index_owner, BufferPool, FeatureChunk, OutputBlock};
use crate::names::Names;
use crate::reference::universe::Members;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use tickflow_operators::cross_section::{
    CrossSectionBatch, CrossSectionKernel, CrossSectionOptions,
};
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::StreamVec;

/// Per-bar-time cross-sections.
pub trait CrossSections<'scope> {
    /// Routes feature chunks to the worker owning their bar times; once a
    /// block is complete, computes (summing in symbol name order) `cs_rank_`, `cs_z_`, `sector_z_` of each
    /// of `columns` (feature indices) per bar time, and emits the block's
    /// rows with every output column; feature buffers go back to `pool`.
    /// With `members`, a row outside the universe at its bar time takes no
    /// part and its cross-sectional values are null. With `early` (live),
    /// blocks are computed before the frontier passes their time once
    /// their rows are in ([`super::early`]), and counted there.
    #[allow(clippy::too_many_arguments)]
    fn cross_sections(
        self,
        columns: Vec<usize>,
        options: CrossSectionOptions,
        worker: usize,
        peers: usize,
        pool: Arc<BufferPool>,
        names: Arc<Names>,
        members: Option<Members>,
        early: Option<Rc<RefCell<OperatorStats>>>,
    ) -> StreamVec<'scope, u64, OutputBlock>;
}

impl<'scope> CrossSections<'scope> for StreamVec<'scope, u64, FeatureChunk> {
    fn cross_sections(
        self,
        columns: Vec<usize>,
        options: CrossSectionOptions,
        worker: usize,
        peers: usize,
        pool: Arc<BufferPool>,
        names: Arc<Names>,
        mut members: Option<Members>,
        early: Option<Rc<RefCell<OperatorStats>>>,
    ) -> StreamVec<'scope, u64, OutputBlock> {
        // One message per chunk: rows computed ahead must not wait in the
        // exchange for the sender's time to change (`ops::each`).
        let by_time = exchange_each(|c: &FeatureChunk| c.dest as u64);
        let timer = crate::metrics::global()
            .operator_seconds
            .with_label_values(&["cross_sections"]);
        let scope = self.scope();
        self.unary_frontier(by_time, "cross_sections", move |_cap, info| {
            let activator = scope.activator_for(info.address);
            let mut held = Early::new(pool.clone());
            let mut kernel =
                CrossSectionKernel::new(options).expect("options validated before the run");
            let mut assembler = Assembler::default();
            let member_names = names.clone();
            let mut block = move |chunks: &[FeatureChunk], ranks: &Ranks| {
                let started = std::time::Instant::now();
                let block = assembler.block(
                    chunks,
                    &columns,
                    &mut kernel,
                    (worker, peers),
                    ranks.as_deref().map(Vec::as_slice),
                    members.as_mut().map(|m| (m, member_names.as_ref())),
                );
                timer.observe(started.elapsed().as_secs_f64());
                block
            };
            move |(input, frontier), output| {
                input.for_each_time(|time, data| held.arrive(&time, output.output_index(), data));
                for mut pending in held.ready(frontier) {
                    if pending.chunks.is_empty() {
                        continue;
                    }
                    let ranks = names.ranks();
                    let early_block = pending.take_early(&ranks);
                    if let Some(stats) = &early {
                        let counts = &mut stats.borrow_mut().cross_ahead;
                        *counts = (counts.0 + early_block.is_some() as u64, counts.1 + 1);
                    }
                    let out = match early_block {
                        Some(b) => b,
                        None => block(&pending.chunks, &ranks),
                    };
                    output.session(&pending.cap).give(out);
                    for chunk in pending.chunks {
                        pool.give(chunk.values);
                    }
                }
                if early.is_none() {
                    return;
                }
                match held.next() {
                    Next::Nothing => {}
                    Next::After(wait) => activator.activate_after(wait),
                    Next::Compute(pending) => {
                        let ranks = names.ranks();
                        pending.early = Some((block(&pending.chunks, &ranks), ranks));
                        activator.activate();
                    }
                }
            }
        })
        .container::<Vec<OutputBlock>>()
    }
}

/// Reusable buffers for one worker's blocks.
#[derive(Default)]
struct Assembler {
    rows: Vec<(u32, u32, u32)>,
    /// Where each bar time's rows start in the block, and how many.
    spans: Vec<(usize, usize)>,
    /// Inputs of a bar time with rows outside the universe masked.
    masked: Vec<Vec<f64>>,
}

/// Rows gathered per tile when transposing row-major features to columns:
/// the tile's rows stay in cache while every column is filled.
const TILE: usize = 64;

impl Assembler {
    /// The block's rows in (time, symbol) order with every column. The
    /// features are transposed to columns first; each bar time's
    /// cross-sections then read their inputs where they lie in those
    /// columns (a run of rows each) instead of gathering them row by row.
    fn block(
        &mut self,
        chunks: &[FeatureChunk],
        columns: &[usize],
        kernel: &mut CrossSectionKernel,
        (worker, peers): (usize, usize),
        ranks: Option<&[u32]>,
        mut members: Option<(&mut Members, &Names)>,
    ) -> OutputBlock {
        let (times, salt) = (&chunks[0].times, chunks[0].salt);
        let width = chunks[0].width;
        let total: usize = chunks.iter().map(FeatureChunk::len).sum();
        let mut order: Vec<(u32, u32)> = Vec::with_capacity(total);
        self.spans.clear();
        let mut cursor = vec![0usize; chunks.len()];
        for (k, &t) in times.iter().enumerate() {
            if time_index_owner(k, salt, peers) != worker {
                continue;
            }
            // This time's rows from every chunk, merged in symbol order.
            self.rows.clear();
            for (c, chunk) in chunks.iter().enumerate() {
                while cursor[c] < chunk.len() && chunk.ts[cursor[c]] == t {
                    let symbol = chunk.symbol[cursor[c]];
                    let key = ranks.map_or(symbol, |r| r[symbol as usize]);
                    self.rows.push((key, c as u32, cursor[c] as u32));
                    cursor[c] += 1;
                }
            }
            if self.rows.is_empty() {
                continue;
            }
            if chunks.len() > 1 || ranks.is_some() {
                // name order: one sorted run per chunk when ids are in name
                // order (a stable sort finds the runs and merges them), any
                // order otherwise
                self.rows.sort();
            }
            self.spans.push((order.len(), self.rows.len()));
            order.extend(self.rows.iter().map(|&(_, c, r)| (c, r)));
        }
        debug_assert!(chunks.iter().zip(&cursor).all(|(c, &k)| k == c.len()));
        let mut block = rows_in_order(chunks, &order, width);
        let mut cross: Vec<Vec<f64>> = (0..3 * columns.len())
            .map(|_| vec![f64::NAN; order.len()])
            .collect();
        for &(at, n) in &self.spans {
            let span = at..at + n;
            let sectors = &block.sector[span.clone()];
            let inputs: Vec<&[f64]> = match members.as_mut() {
                None => columns
                    .iter()
                    .map(|&f| &block.values[f][span.clone()])
                    .collect(),
                Some((members, names)) => {
                    let t = block.ts[at];
                    self.masked.resize_with(columns.len(), Vec::new);
                    for (input, &f) in self.masked.iter_mut().zip(columns) {
                        input.clear();
                        input.extend_from_slice(&block.values[f][span.clone()]);
                    }
                    for (k, &symbol) in block.symbol[span.clone()].iter().enumerate() {
                        if !members.contains(names, symbol, t) {
                            for input in &mut self.masked {
                                input[k] = f64::NAN;
                            }
                        }
                    }
                    self.masked.iter().map(Vec::as_slice).collect()
                }
            };
            // The outputs written straight into this time's place in the
            // block's columns (rank, z, sector z of each column in turn).
            let mut outs: Vec<&mut [f64]> =
                cross.iter_mut().map(|c| &mut c[span.clone()]).collect();
            kernel
                .compute_into(
                    CrossSectionBatch {
                        sectors,
                        columns: &inputs,
                    },
                    &mut outs,
                )
                .expect("one value per row in every column");
        }
        block.values.extend(cross);
        block
    }
}

/// The rows `order` picks from `chunks` (chunk, row), in that order: keys,
/// bars and the `width` features as columns.
fn rows_in_order(chunks: &[FeatureChunk], order: &[(u32, u32)], width: usize) -> OutputBlock {
    let n = order.len();
    let mut block = OutputBlock {
        symbol: Vec::with_capacity(n),
        ts: Vec::with_capacity(n),
        sector: Vec::with_capacity(n),
        bar: Default::default(),
        values: Vec::with_capacity(width),
    };
    for &(c, r) in order {
        let (chunk, r) = (&chunks[c as usize], r as usize);
        block.symbol.push(chunk.symbol[r]);
        block.ts.push(chunk.ts[r]);
        block.sector.push(chunk.sector[r]);
    }
    let bar_fields: [fn(&tickflow_operators::Bar) -> f64; 5] =
        [|b| b.open, |b| b.high, |b| b.low, |b| b.close, |b| b.volume];
    for (column, get) in block.bar.iter_mut().zip(bar_fields) {
        column.extend(
            order
                .iter()
                .map(|&(c, r)| get(&chunks[c as usize].bar[r as usize])),
        );
    }
    let mut features: Vec<Vec<f64>> = (0..width).map(|_| Vec::with_capacity(n)).collect();
    // A tile's rows are read whole, in order (the reads stream), into a
    // column-major tile in cache; then each column takes its run.
    let mut transposed = vec![0.0; TILE * width];
    for tile in order.chunks(TILE) {
        for (i, &(c, r)) in tile.iter().enumerate() {
            let at = r as usize * width;
            let row = &chunks[c as usize].values[at..at + width];
            for (column, &v) in transposed.chunks_exact_mut(TILE).zip(row) {
                column[i] = v;
            }
        }
        for (column, run) in features.iter_mut().zip(transposed.chunks_exact(TILE)) {
            column.extend_from_slice(&run[..tile.len()]);
        }
    }
    block.values = features;
    block
}
