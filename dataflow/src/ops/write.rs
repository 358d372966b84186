//! The partitioned sink as a timely operator.

use super::stash::{ready, stash_batches, Stash};
use super::OperatorStats;
use crate::chunks::OutputBlock;
use crate::durable::board::{Checkpoints, Request};
use crate::names::Names;
use crate::schema::OutputSchema;
use crate::sink::Sink;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::StreamVec;

/// The partitioned file sink.
pub trait WriteOutput<'scope> {
    /// Writes each block, in time order, on the worker that assembled it
    /// (so both cores encode); completes a partition's file once no later
    /// block can reach it (a rolling sink: at once), every file at a
    /// checkpoint's block (reporting them to the checkpoint), and every
    /// file at the end. After a failure the worker's unlisted files are
    /// removed and the error is kept in `stats`.
    fn write_output(
        self,
        sink: Sink,
        schema: OutputSchema,
        names: Arc<Names>,
        stats: Rc<RefCell<OperatorStats>>,
        checkpoints: Option<Checkpoints>,
    ) -> StreamVec<'scope, u64, ()>;
}

/// Completes the sink's files for checkpoint `r` and reports them.
fn complete(sink: &mut Option<Sink>, r: &Request, c: &Checkpoints, stats: &RefCell<OperatorStats>) {
    if stats.borrow().sink_error.is_some() {
        return;
    }
    let Some(open) = sink.as_mut() else { return };
    match open.complete_all() {
        Ok(()) => c.board.sink_done(r.epoch, open.take_completed()),
        Err(e) => {
            c.board.fail(e.clone());
            stats.borrow_mut().sink_error = Some(e);
        }
    }
}

impl<'scope> WriteOutput<'scope> for StreamVec<'scope, u64, OutputBlock> {
    fn write_output(
        self,
        sink: Sink,
        schema: OutputSchema,
        names: Arc<Names>,
        stats: Rc<RefCell<OperatorStats>>,
        checkpoints: Option<Checkpoints>,
    ) -> StreamVec<'scope, u64, ()> {
        let metrics = crate::metrics::global();
        let timer = metrics
            .operator_seconds
            .with_label_values(&["write_output"]);
        self.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
            Pipeline,
            "write_output",
            move |_cap, _info| {
                let mut stash: Stash<OutputBlock> = BTreeMap::new();
                let mut sink = Some(sink);
                let mut horizon = i64::MIN;
                let mut next_epoch = checkpoints.as_ref().map_or(0, |c| c.first_epoch);
                move |(input, frontier), _output| {
                    input.for_each_time(|time, data| stash_batches(&mut stash, &time, 0, data));
                    let started = std::time::Instant::now();
                    let mut wrote = false;
                    for (cap, blocks) in ready(&mut stash, frontier) {
                        if let Some(c) = &checkpoints {
                            let t = *cap.time();
                            for r in c.board.due(&mut next_epoch, |b| b < t) {
                                complete(&mut sink, &r, c, &stats);
                            }
                        }
                        let Some(open) = sink.as_mut() else { continue };
                        for block in blocks {
                            if stats.borrow().sink_error.is_some() {
                                break;
                            }
                            wrote = true;
                            metrics.rows_out.inc_by(block.len() as u64);
                            let ts = block.ts.clone();
                            horizon = horizon.max(ts.last().copied().unwrap_or(i64::MIN));
                            let batch = names.with(|s, sec| schema.to_batch(block, s, sec));
                            let written = open
                                .write(&batch, &ts)
                                .and_then(|()| open.close_before(horizon));
                            if let Err(e) = written {
                                stats.borrow_mut().sink_error = Some(e);
                            }
                        }
                    }
                    // A rolling sink completes this activation's files at once.
                    if let Some(open) = sink.as_mut() {
                        if let Err(e) = open.roll() {
                            stats.borrow_mut().sink_error.get_or_insert(e);
                        }
                    }
                    if let Some(c) = &checkpoints {
                        for r in c.board.due(&mut next_epoch, |b| !frontier.less_equal(&b)) {
                            complete(&mut sink, &r, c, &stats);
                        }
                        if let Some(e) = stats.borrow().sink_error.clone() {
                            c.board.fail(e);
                        }
                    }
                    if wrote {
                        timer.observe(started.elapsed().as_secs_f64());
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
