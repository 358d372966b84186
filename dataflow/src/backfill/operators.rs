//! The backfill's dataflow operators, one small extension trait each:
//! per-symbol rolling features, per-timestamp cross-sections, and the
//! partitioned Parquet sink. Each holds a timestamp's records until the
//! frontier passes it, then processes them in symbol order, so results do
//! not depend on worker count or arrival order.

use super::sink::{partition_of, ParquetSink};
use crate::rows::{bar_time, route, FeatureRow, InputBar};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;
use tickflow_connectors::TsKind;
use tickflow_operators::cross_section::{
    CrossSectionBatch, CrossSectionKernel, CrossSectionOptions, CrossSectionOutput,
};
use tickflow_operators::{FeatureEngine, SymbolState};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Capability, InputCapability};
use timely::dataflow::StreamVec;

/// Per-worker counters the operators fill in.
#[derive(Debug, Default)]
pub struct OperatorStats {
    /// Second copies of a bar, identical to the first: dropped.
    pub duplicates: u64,
    /// Second copies of a bar that differ: the later one wins.
    pub corrections: u64,
    /// Rows written, per partition.
    pub partitions: BTreeMap<String, u64>,
    /// The first sink failure, if any.
    pub sink_error: Option<String>,
}

type Stash<D> = BTreeMap<u64, (Capability<u64>, Vec<D>)>;

/// Holds an input time's batches (and a capability for `output`) until the
/// frontier passes it.
fn stash_batches<D>(
    stash: &mut Stash<D>,
    time: &InputCapability<u64>,
    output: usize,
    data: std::slice::IterMut<'_, Vec<D>>,
) {
    let entry = stash
        .entry(*time.time())
        .or_insert_with(|| (time.retain(output), Vec::new()));
    for batch in data {
        entry.1.append(batch);
    }
}

/// Records of timestamps the frontier has passed, oldest first.
fn ready<D>(
    stash: &mut Stash<D>,
    frontier: &timely::progress::frontier::MutableAntichain<u64>,
) -> Vec<(Capability<u64>, Vec<D>)> {
    let mut out = Vec::new();
    while let Some((&t, _)) = stash.first_key_value() {
        if frontier.less_equal(&t) {
            break;
        }
        out.push(stash.pop_first().expect("non-empty").1);
    }
    out
}

/// Per-symbol rolling indicators.
pub trait RollingFeatures<'scope> {
    /// Exchanges bars by symbol and turns each into a row of features.
    fn rolling_features(
        self,
        engine: Arc<FeatureEngine>,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, FeatureRow>;
}

impl<'scope> RollingFeatures<'scope> for StreamVec<'scope, u64, InputBar> {
    fn rolling_features(
        self,
        engine: Arc<FeatureEngine>,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, FeatureRow> {
        let by_symbol = Exchange::new(|b: &InputBar| route(b.symbol.as_bytes()));
        self.unary_frontier(by_symbol, "rolling_features", move |_cap, _info| {
            let mut stash: Stash<InputBar> = BTreeMap::new();
            let mut states: HashMap<String, SymbolState> = HashMap::new();
            let width = engine.columns().len();
            move |(input, frontier), output| {
                input.for_each_time(|time, data| {
                    stash_batches(&mut stash, &time, output.output_index(), data)
                });
                for (cap, mut bars) in ready(&mut stash, frontier) {
                    bars.sort_by(|a, b| {
                        (&a.symbol, a.file, a.line).cmp(&(&b.symbol, b.file, b.line))
                    });
                    let mut session = output.session(&cap);
                    let mut i = 0;
                    while i < bars.len() {
                        let mut j = i + 1;
                        while j < bars.len() && bars[j].symbol == bars[i].symbol {
                            let mut s = stats.borrow_mut();
                            if bars[j].bar == bars[j - 1].bar
                                && bars[j].sector == bars[j - 1].sector
                            {
                                s.duplicates += 1;
                            } else {
                                s.corrections += 1;
                            }
                            j += 1;
                        }
                        let bar = &bars[j - 1]; // the later version wins
                        let state = states
                            .entry(bar.symbol.clone())
                            .or_insert_with(|| engine.new_state());
                        let mut values = vec![f64::NAN; width];
                        if engine.update(state, &bar.bar, &mut values).is_ok() {
                            session.give(FeatureRow {
                                symbol: bar.symbol.clone(),
                                ts: bar.ts,
                                sector: bar.sector.clone(),
                                bar: bar.bar,
                                values,
                            });
                        }
                        i = j;
                    }
                }
            }
        })
        .container::<Vec<FeatureRow>>()
    }
}

/// Per-timestamp cross-sectional ranks and z-scores.
pub trait CrossSections<'scope> {
    /// Exchanges rows by timestamp and appends `cs_rank_`, `cs_z_`, `sector_z_`
    /// for each of `columns` (indices into the row's values).
    fn cross_sections(
        self,
        columns: Vec<usize>,
        options: CrossSectionOptions,
    ) -> StreamVec<'scope, u64, FeatureRow>;
}

impl<'scope> CrossSections<'scope> for StreamVec<'scope, u64, FeatureRow> {
    fn cross_sections(
        self,
        columns: Vec<usize>,
        options: CrossSectionOptions,
    ) -> StreamVec<'scope, u64, FeatureRow> {
        let by_time = Exchange::new(|r: &FeatureRow| route(&r.ts.to_le_bytes()));
        self.unary_frontier(by_time, "cross_sections", move |_cap, _info| {
            let mut stash: Stash<FeatureRow> = BTreeMap::new();
            let mut kernel =
                CrossSectionKernel::new(options).expect("options validated before the run");
            let mut out = CrossSectionOutput::default();
            move |(input, frontier), output| {
                input.for_each_time(|time, data| {
                    stash_batches(&mut stash, &time, output.output_index(), data)
                });
                for (cap, mut rows) in ready(&mut stash, frontier) {
                    rows.sort_by(|a, b| a.symbol.cmp(&b.symbol));
                    let mut names: Vec<&str> =
                        rows.iter().filter_map(|r| r.sector.as_deref()).collect();
                    names.sort_unstable();
                    names.dedup();
                    let sectors: Vec<Option<u32>> = rows
                        .iter()
                        .map(|r| {
                            r.sector
                                .as_deref()
                                .map(|s| names.binary_search(&s).expect("collected") as u32)
                        })
                        .collect();
                    let values: Vec<Vec<f64>> = columns
                        .iter()
                        .map(|&c| rows.iter().map(|r| r.values[c]).collect())
                        .collect();
                    let refs: Vec<&[f64]> = values.iter().map(Vec::as_slice).collect();
                    kernel
                        .compute(
                            CrossSectionBatch {
                                sectors: &sectors,
                                columns: &refs,
                            },
                            &mut out,
                        )
                        .expect("columns have one value per row");
                    let mut session = output.session(&cap);
                    for (k, mut row) in rows.into_iter().enumerate() {
                        for f in 0..columns.len() {
                            row.values
                                .extend([out.rank[f][k], out.z[f][k], out.sector_z[f][k]]);
                        }
                        session.give(row);
                    }
                }
            }
        })
        .container::<Vec<FeatureRow>>()
    }
}

/// The partitioned Parquet sink.
pub trait WriteParquet<'scope> {
    /// Exchanges rows by partition and writes them, in (ts, symbol) order;
    /// closes and renames every file once the input is complete.
    fn write_parquet(
        self,
        sink: ParquetSink,
        ts_kind: TsKind,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, ()>;
}

impl<'scope> WriteParquet<'scope> for StreamVec<'scope, u64, FeatureRow> {
    fn write_parquet(
        self,
        sink: ParquetSink,
        ts_kind: TsKind,
        stats: Rc<RefCell<OperatorStats>>,
    ) -> StreamVec<'scope, u64, ()> {
        let by_partition =
            Exchange::new(move |r: &FeatureRow| route(partition_of(ts_kind, r.ts).as_bytes()));
        self.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
            by_partition,
            "parquet_sink",
            move |_cap, _info| {
                let mut stash: Stash<FeatureRow> = BTreeMap::new();
                let mut sink = Some(sink);
                move |(input, frontier), _output| {
                    input.for_each_time(|time, data| stash_batches(&mut stash, &time, 0, data));
                    for (_cap, mut rows) in ready(&mut stash, frontier) {
                        let Some(open) = sink.as_mut() else { continue };
                        if stats.borrow().sink_error.is_some() {
                            continue;
                        }
                        rows.sort_by(|a, b| a.symbol.cmp(&b.symbol));
                        if let Err(e) = open.write(ts_kind, rows) {
                            stats.borrow_mut().sink_error = Some(e);
                        }
                    }
                    if let (Some(open), Some(&t)) = (sink.as_mut(), frontier.frontier().first()) {
                        if stats.borrow().sink_error.is_none() {
                            if let Err(e) = open.close_before(bar_time(t)) {
                                stats.borrow_mut().sink_error = Some(e);
                            }
                        }
                    }
                    if frontier.is_empty() {
                        if let Some(done) = sink.take() {
                            if stats.borrow().sink_error.is_some() {
                                done.abort();
                            } else {
                                match done.finish() {
                                    Ok(counts) => stats.borrow_mut().partitions = counts,
                                    Err(e) => stats.borrow_mut().sink_error = Some(e),
                                }
                            }
                        }
                    }
                }
            },
        )
    }
}
