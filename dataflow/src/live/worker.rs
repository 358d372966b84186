//! One live worker: its feed, its part of the dataflow, and its share of
//! each checkpoint. Worker 0 asks for a checkpoint at its current frontier
//! (the cut) every so often; no operator can have processed a bar time at
//! or after it yet, since worker 0's input still holds it. Each worker
//! reports its partitions' positions at the cut once its own frontier has
//! passed it (its bars before the cut are all sent) and its side outputs
//! are flushed; its operators snapshot and complete their files there.

use super::feed::{chunks_of, Feed, FeedShared};
use super::{time_of, ts_of, unix_seconds, FrontierClock, LiveArgs, LiveSummary, IDLE};
use crate::chunks::BufferPool;
use crate::durable::board::{Board, Checkpoints, Request, AT_END};
use crate::durable::failpoint;
use crate::durable::manifest::LivePositions;
use crate::error::{Result, TickflowError};
use crate::metrics;
use crate::names::Names;
use crate::ops::{
    CrossSections, LiveSignal, OperatorStats, PublishRows, PublishSignals, RollingFeatures,
    StateStore, WriteOutput,
};
use crate::schema::OutputSchema;
use crate::sink::Sink;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tickflow_connectors::kafka::{BarConsumer, TopicProducer};
use tickflow_operators::cross_section::CrossSectionOptions;
use tickflow_operators::{FeatureEngine, SymbolState};
use timely::dataflow::operators::Probe;
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::worker::Worker;

/// What the workers share.
pub(super) struct Context {
    pub args: LiveArgs,
    pub engine: Arc<FeatureEngine>,
    pub cs_columns: Vec<usize>,
    pub cs_options: CrossSectionOptions,
    pub columns: Vec<String>,
    pub partitions: i32,
    pub shared: Arc<FeedShared>,
    pub names: Arc<Names>,
    /// Each worker's own frontier ([`IDLE`]: it holds nothing back).
    pub published: Vec<AtomicI64>,
    pub last_message: Mutex<Instant>,
    pub abort: AtomicBool,
    pub barrier: Barrier,
    pub clock: FrontierClock,
    pub checkpoints: Checkpoints,
    /// The first data file number of this run.
    pub first_seq: u64,
    /// Where the resumed checkpoint left the topic.
    pub positions: Option<LivePositions>,
    /// Restored states, per worker, by symbol id.
    pub restored: Mutex<Vec<Vec<Option<SymbolState>>>>,
}

impl Context {
    /// True once no worker has had a message for `--idle-exit`.
    fn idle_exit(&self, feed: &Feed) -> bool {
        let mut shared_last = self.last_message.lock().expect("not poisoned");
        let last = feed
            .last_message
            .map_or(*shared_last, |m| m.max(*shared_last));
        *shared_last = last;
        drop(shared_last);
        self.args.idle_exit.is_some_and(|d| last.elapsed() >= d)
    }

    fn stop(&self, stats: &RefCell<OperatorStats>) -> bool {
        let board = &self.checkpoints.board;
        let stop = self.abort.load(Ordering::Relaxed)
            || stats.borrow().sink_error.is_some()
            || board.failed().is_some();
        if stop {
            self.abort.store(true, Ordering::SeqCst);
        }
        stop
    }
}

/// Reports this worker's positions for every checkpoint whose cut its
/// frontier has passed (the one at the end once `feed.frontier` is
/// `i64::MAX`), after making its side outputs durable.
fn report_feeds(
    feed: &mut Feed,
    board: &Board,
    next: &mut u64,
    last_ts: Option<i64>,
) -> Result<()> {
    for r in board.requests_from(*next) {
        let cut = match r.time {
            AT_END => i64::MAX,
            _ => r.last_ts.map_or(i64::MIN, |t| t + 1),
        };
        if cut > feed.frontier {
            break;
        }
        feed.flush_side_outputs()?;
        let at_end = (r.time == AT_END).then_some(last_ts).flatten();
        board.feed_done(r.epoch, feed.positions(cut), at_end);
        *next = r.epoch + 1;
    }
    Ok(())
}

/// Runs worker `worker` until `--idle-exit` (or forever, or a failure).
pub(super) fn run(worker: &mut Worker, cx: &Context) -> Result<LiveSummary> {
    let args = &cx.args;
    let (index, peers) = (worker.index(), worker.peers());
    let board = &cx.checkpoints.board;
    let mine: Vec<i32> = (0..cx.partitions)
        .filter(|p| *p as usize % peers == index)
        .collect();
    let from = cx.positions.as_ref();
    let consumer = BarConsumer::assign_from(&args.kafka, &Feed::start_offsets(&mine, from))?;
    let mut feed = Feed::new(consumer, cx.shared.clone(), args.idle_timeout, from);
    // Until the first valid bar fixes the timestamp kind (and with it the
    // schema), read without a dataflow.
    while cx.shared.ts_kind.get().is_none()
        && !cx.idle_exit(&feed)
        && !cx.abort.load(Ordering::Relaxed)
    {
        feed.poll(1024, Duration::from_millis(50))?;
    }
    cx.barrier.wait();
    let Some(&kind) = cx.shared.ts_kind.get() else {
        return Ok(LiveSummary::default());
    };
    let schema = OutputSchema::new(kind, cx.columns.clone(), args.config.sink.float32);
    let stats = Rc::new(RefCell::new(OperatorStats::default()));
    let pool = Arc::new(BufferPool::default());
    let mut input = InputHandle::new();
    let probe = ProbeHandle::new();
    let sink = Sink::new(
        &args.output,
        index,
        schema.clone(),
        args.config.sink.clone(),
    )
    .starting_at(cx.first_seq)
    .rolling();
    let states = StateStore {
        checkpoints: cx.checkpoints.clone(),
        root: args.output.clone(),
        worker: index,
        names: cx.names.clone(),
        restored: std::mem::take(&mut cx.restored.lock().expect("not poisoned")[index]),
    };
    let publish = match &args.features_topic {
        Some(t) => Some(TopicProducer::new(&args.kafka, t)?),
        None => None,
    };
    let signals = match &args.signals_topic {
        Some(t) => {
            let signals = args.config.signals.iter();
            let signals = signals.map(|s| LiveSignal::new(s, &schema));
            let signals = Arc::new(signals.collect::<Result<Vec<_>>>()?);
            Some((TopicProducer::new(&args.kafka, t)?, signals))
        }
        None => None,
    };
    worker.dataflow::<u64, _, _>(|scope| {
        use timely::dataflow::operators::vec::Input;
        let names = &cx.names;
        let rows = scope
            .input_from(&mut input)
            .rolling_features(
                cx.engine.clone(),
                peers,
                pool.clone(),
                stats.clone(),
                Some(states),
            )
            .cross_sections(
                cx.cs_columns.clone(),
                cx.cs_options.clone(),
                index,
                peers,
                pool.clone(),
                names.clone(),
            );
        let rows = match publish {
            Some(p) => rows.publish_rows(p, schema.clone(), names.clone(), stats.clone()),
            None => rows,
        };
        let rows = match signals {
            Some((p, s)) => {
                rows.publish_signals(p, s, schema.clone(), names.clone(), stats.clone())
            }
            None => rows,
        };
        rows.write_output(
            sink,
            schema.clone(),
            names.clone(),
            stats.clone(),
            Some(cx.checkpoints.clone()),
        )
        .probe_with(&probe);
    });
    input.advance_to(time_of(feed.frontier));
    let send = |input: &mut InputHandle<u64, _>, feed: &mut Feed, before: i64| {
        let mut closed = (0u64, None);
        for (ts, bars) in feed.pending.take_before(before) {
            input.advance_to(time_of(ts));
            for chunk in chunks_of(ts, &bars, peers) {
                input.send(chunk);
            }
            closed = (closed.0 + 1, Some(ts));
        }
        closed
    };
    let mut advances: VecDeque<(i64, Instant)> = Default::default();
    let mut latencies = Vec::new();
    let mut last_lag = Instant::now() - Duration::from_secs(10);
    let (mut epoch, mut next_report) = (cx.checkpoints.first_epoch, cx.checkpoints.first_epoch);
    let (mut since, mut times_since) = (Instant::now(), 0u64);
    let mut last_sent: Option<i64> = None;
    loop {
        if cx.stop(&stats) {
            break;
        }
        // Never block in Kafka: the dataflow's work on this worker (and the
        // other workers' exchanges to it) waits while it does. Parking
        // below bounds the wait for new messages.
        let got = feed.poll(4096, Duration::ZERO)?;
        let now = Instant::now();
        let own = feed.own_frontier(now);
        cx.published[index].store(own.unwrap_or(IDLE), Ordering::SeqCst);
        let target = match own {
            Some(f) => Some(f),
            None => cx
                .published
                .iter()
                .map(|p| p.load(Ordering::SeqCst))
                .filter(|&p| p != IDLE)
                .min(),
        };
        if let Some(target) = target.filter(|&t| t > feed.frontier) {
            let (times, last) = send(&mut input, &mut feed, target);
            last_sent = last_sent.max(last);
            times_since += times;
            feed.frontier = target;
            input.advance_to(time_of(target));
            cx.clock.advanced(index, target, now);
            if index == 0 {
                advances.push_back((target, now));
                if cx.args.checkpoint.due(since.elapsed(), times_since) {
                    let request = Request {
                        epoch,
                        time: time_of(target) - 1,
                        last_ts: Some(target - 1),
                    };
                    if board.request(request) {
                        epoch += 1;
                    }
                    (since, times_since) = (Instant::now(), 0);
                }
            }
            if !board.is_durable() {
                failpoint::hit("before_first_checkpoint");
            }
            let m = metrics::global();
            let secs = unix_seconds(kind, target);
            m.frontier_seconds.set(secs);
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            m.event_time_lag.set(wall - secs);
        }
        report_feeds(&mut feed, board, &mut next_report, None)?;
        worker.step_or_park(if got > 0 {
            Some(Duration::ZERO)
        } else {
            Some(Duration::from_millis(1))
        });
        let passed = probe.with_frontier(|f| f.first().map_or(i64::MAX, |&t| ts_of(t)));
        while advances.front().is_some_and(|&(t, _)| t <= passed) {
            let (t, _) = advances.pop_front().expect("non-empty");
            if let Some(at) = cx.clock.passed(t) {
                let secs = at.elapsed().as_secs_f64();
                metrics::global().cross_section_latency.observe(secs);
                latencies.push(secs * 1e3);
            }
        }
        if last_lag.elapsed() >= Duration::from_secs(5) {
            feed.record_lag();
            last_lag = Instant::now();
        }
        if got == 0 && cx.idle_exit(&feed) {
            break;
        }
    }
    cx.published[index].store(IDLE, Ordering::SeqCst);
    if !cx.abort.load(Ordering::Relaxed) {
        // Close every open bar time; the checkpoint at the end covers them.
        let (_, last) = send(&mut input, &mut feed, i64::MAX);
        last_sent = last_sent.max(last);
        feed.frontier = i64::MAX;
        board.end(cx.checkpoints.first_epoch);
        report_feeds(&mut feed, board, &mut next_report, last_sent)?;
    }
    drop(input);
    while worker.step_or_park(None) {}
    let s = stats.borrow();
    if let Some(e) = &s.sink_error {
        return Err(TickflowError::Output {
            path: args.output.display().to_string(),
            message: e.clone(),
        });
    }
    Ok(LiveSummary {
        partitions: s.partitions.clone(),
        latencies,
        ..Default::default()
    })
}
