//! One live worker, in any process of a cluster: its start from worker 0,
//! its feed, its part of the dataflow, and its share of each checkpoint.
//!
//! Worker 0 asks for a checkpoint at its frontier (the cut) every so often,
//! in the dataflow itself: a request chunk to every worker at the last
//! time before the cut, so that every process's operators know it before
//! their frontier passes it. Each worker reports its partitions' positions
//! at the cut once its own frontier has passed it (its bars before the cut
//! are all sent) and its side outputs are flushed; its operators snapshot
//! and complete their files there. Worker 0 also decides the end
//! (`--idle-exit`): a stop to every worker, then the checkpoint at the end;
//! a pause to apply late bars ([`super::corrections`]) ends a stretch of
//! the run the same way.

use super::control::{Control, Signal};
use super::feed::{chunks_of, Feed};
use super::start::{begin, check_identity, Begun, LiveStart};
use super::symbols::SymbolSync;
use super::{time_of, ts_of, unix_seconds, FrontierClock, LiveArgs, LiveSummary, IDLE};
use crate::chunks::{BarChunk, BufferPool};
use crate::cluster::finish::{finish, Leave};
use crate::cluster::relay::{hand_out, Reports};
use crate::cluster::Cluster;
use crate::durable::board::{Board, Checkpoints, Request, AT_END};
use crate::durable::failpoint;
use crate::error::{Result, TickflowError};
use crate::metrics;
use crate::ops::{
    CrossSections, LiveSignal, MarketLevels, OperatorStats, PublishRows, PublishSignals,
    RollingFeatures, StateStore, WriteOutput,
};
use crate::reference::universe::Members;
use crate::reference::watch::ReferenceWatch;
use crate::reference::SectorSchedule;
use crate::schema::OutputSchema;
use crate::sink::Sink;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tickflow_connectors::kafka::{BarConsumer, TopicProducer};
use tickflow_connectors::TsKind;
use tickflow_operators::cross_section::CrossSectionOptions;
use tickflow_operators::FeatureEngine;
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::{Inspect, Probe};
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// What a process's workers share.
pub(super) struct Context {
    pub args: LiveArgs,
    pub cluster: Cluster,
    pub engine: Arc<FeatureEngine>,
    pub cs_columns: Vec<usize>,
    pub cs_options: CrossSectionOptions,
    pub columns: Vec<String>,
    /// This process's store identity (checked against process 0's).
    pub identity: serde_json::Value,
    pub sectors: SectorSchedule,
    /// Process 0's watch on the reference files and topics (worker 0
    /// pauses the run when one changed).
    pub watch: Option<ReferenceWatch>,
    pub members: Option<Members>,
    pub ts_kind: Arc<OnceLock<TsKind>>,
    pub abort: AtomicBool,
    /// When the frontier passed each bar time: the store latency's reader
    /// (worker 0 of the process) forgets what it has passed, the
    /// cross-section latency's readers look up times not yet in the store.
    pub clock: Arc<FrontierClock>,
    pub board: Arc<Board>,
    /// Process 0: every worker's start, for worker 0 to hand out.
    pub starts: Mutex<Option<Vec<LiveStart>>>,
    /// What the process's workers share once started (or why not).
    pub begun: Mutex<Option<std::result::Result<Arc<Begun>, String>>>,
}

impl Context {
    fn local(&self) -> usize {
        self.board.local_workers()
    }

    fn stop(&self, stats: &RefCell<OperatorStats>) -> bool {
        let stop = self.abort.load(Ordering::Relaxed)
            || stats.borrow().sink_error.is_some()
            || self.board.failed().is_some();
        if stop {
            self.abort.store(true, Ordering::SeqCst);
        }
        stop
    }

    /// The process's shared part, built by its first worker to start (the
    /// same outcome for every worker of the process).
    fn begin(&self, start: &LiveStart) -> std::result::Result<Arc<Begun>, String> {
        let mut slot = self.begun.lock().expect("not poisoned");
        slot.get_or_insert_with(|| {
            if start.workers != self.local() {
                return Err(format!(
                    "process {} has {} workers, process 0 has {}: every process needs the same --workers",
                    self.cluster.process,
                    self.local(),
                    start.workers
                ));
            }
            if self.cluster.process > 0 {
                check_identity(&self.identity, start).map_err(|e| e.to_string())?;
            }
            begin(
                &self.args,
                self.cluster.process,
                start,
                &self.sectors,
                &self.ts_kind,
            )
            .map(Arc::new)
            .map_err(|e| e.to_string())
        })
        .clone()
    }
}

/// What this worker knows of the others, from the control signals.
struct Peers {
    /// Each worker's own frontier, as last heard.
    frontiers: Vec<i64>,
    /// Worker 0: when some worker last read a message.
    last_active: Instant,
    /// When this worker last told worker 0 it read messages.
    told_active: Option<Instant>,
    /// Worker 0: which workers have read their partitions to the end.
    caught_up: Vec<bool>,
    /// This worker has told worker 0 it read its partitions to the end.
    told_caught_up: bool,
    /// Worker 0 has said stop.
    stopping: bool,
    /// Worker 0 has said stop (once).
    stop_sent: bool,
    /// Worker 0 has given its word before the main dataflow.
    word_sent: bool,
    /// Worker 0: some worker read a late bar in this stretch of the run.
    late: bool,
    /// This worker has told worker 0 it read a late bar.
    told_late: bool,
    /// Worker 0 has paused the run to apply late bars.
    again: bool,
    /// Worker 0: the frontier (every worker's) when it paused the run;
    /// the pause closes the bar times from there on early.
    paused_at: Option<i64>,
    /// When this stretch of the run started.
    started: Instant,
    /// Worker 0: the timestamp kind a worker found.
    kind: Option<bool>,
    /// Worker 0's word before the main dataflow: its kind, or stop.
    begin: Option<Option<bool>>,
}

impl Peers {
    fn new(peers: usize) -> Self {
        Self {
            frontiers: vec![i64::MIN; peers],
            last_active: Instant::now(),
            told_active: None,
            caught_up: vec![false; peers],
            told_caught_up: false,
            stopping: false,
            stop_sent: false,
            word_sent: false,
            late: false,
            told_late: false,
            again: false,
            paused_at: None,
            started: Instant::now(),
            kind: None,
            begin: None,
        }
    }

    /// Applies the signals received.
    fn hear(&mut self, control: &Control, cx: &Context) {
        for s in control.take() {
            match s {
                Signal::Frontier { worker, at } => self.frontiers[worker as usize] = at,
                Signal::Active => self.last_active = Instant::now(),
                Signal::CaughtUp { worker } => self.caught_up[worker as usize] = true,
                Signal::Kind { micros } => {
                    self.kind.get_or_insert(micros);
                }
                Signal::Begin { micros } => {
                    self.begin.get_or_insert(Some(micros));
                }
                Signal::Late => self.late = true,
                Signal::Stop { again } => {
                    self.stopping = true;
                    self.again |= again;
                    self.begin.get_or_insert(None);
                }
                Signal::Abort(m) => {
                    cx.abort.store(true, Ordering::SeqCst);
                    cx.board.fail(m);
                }
            }
        }
    }

    /// Tells worker 0 (at most every 100 ms) that this worker read
    /// messages, and (once) that it has read its partitions to the end.
    fn active(&mut self, control: &mut Control, got: usize, feed: &Feed, index: usize) {
        if !self.told_caught_up && feed.caught_up() {
            let worker = index as u32;
            control.send(0, Signal::CaughtUp { worker });
            self.told_caught_up = true;
        }
        let due = self
            .told_active
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if got > 0 && due {
            control.send(0, Signal::Active);
            self.told_active = Some(Instant::now());
        }
    }

    /// Worker 0: stops every worker once each has read its partitions to
    /// the end and none has read a message for `--idle-exit`.
    fn idle_exit(&mut self, control: &mut Control, feed: &Feed, args: &LiveArgs) {
        let last = feed
            .last_message
            .map_or(self.last_active, |m| m.max(self.last_active));
        let read = self.caught_up.iter().all(|&c| c);
        if !self.stop_sent && read && args.idle_exit.is_some_and(|d| last.elapsed() >= d) {
            control.broadcast(Signal::Stop { again: false });
            self.stop_sent = true;
        }
    }

    /// Tells worker 0 (once) that this worker read a late bar. Worker 0
    /// pauses the run to revise the store ([`super::corrections`]) once
    /// `[live] corrections_interval` passed since the run (re)started and
    /// some worker read a late bar or the watch saw a reference input
    /// change (it looks once per interval).
    fn corrections(&mut self, control: &mut Control, feed: &Feed, index: usize, cx: &Context) {
        if feed.late > 0 && !self.told_late {
            control.send(0, Signal::Late);
            self.told_late = true;
        }
        let Some(every) = cx
            .args
            .corrections
            .filter(|_| index == 0 && !self.stop_sent)
        else {
            return;
        };
        if self.started.elapsed() < every {
            return;
        }
        let changed = cx.watch.as_ref().is_some_and(ReferenceWatch::changed);
        if self.late || changed {
            control.broadcast(Signal::Stop { again: true });
            self.stop_sent = true;
            self.paused_at = self.frontiers.iter().copied().filter(|&f| f != IDLE).min();
        }
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

/// Runs worker `worker` until worker 0 stops the run (or forever, or a
/// failure), then leaves it with its process's reports delivered.
pub(super) fn run(worker: &mut Worker, cx: &Context) -> Result<LiveSummary> {
    let mut leave = Leave::new(&cx.board, &cx.abort);
    let items = match worker.index() {
        0 => cx.starts.lock().expect("not poisoned").take(),
        _ => None,
    };
    let Some(start) = hand_out(worker, items) else {
        return Err(TickflowError::Runtime(
            "process 0 ended without starting the run".into(),
        ));
    };
    if let Some(m) = &start.failed {
        return Err(TickflowError::Runtime(format!(
            "process 0 could not start the run: {m}"
        )));
    }
    let begun = match cx.begin(&start) {
        Ok(b) => b,
        // Process 0's workers are building the dataflows already: stop
        // this process (they then report it lost) rather than leave them
        // waiting for its part.
        Err(e) if cx.cluster.process > 0 => {
            eprintln!("error: process {}: {e}", cx.cluster.process);
            std::process::exit(2);
        }
        Err(e) => return Err(TickflowError::Runtime(e)),
    };
    // From here every worker builds the same dataflows in the same order,
    // whatever happens.
    let mut control = Control::new(worker);
    let mut reports = Reports::new(worker, cx.board.clone());
    let names = (begun.names.clone(), begun.shared.names.clone());
    let mut symbols = SymbolSync::new(worker, names, cx.cluster.is_single());
    let main = worker.next_dataflow_index();
    let outcome = stream(
        worker,
        cx,
        &begun,
        start,
        &mut control,
        &mut symbols,
        &mut reports,
    );
    symbols.close();
    if let Err(e) = &outcome {
        cx.abort.store(true, Ordering::SeqCst);
        cx.board.fail(e.to_string());
        control.broadcast(Signal::Abort(format!(
            "process {}: {e}",
            cx.cluster.process
        )));
    }
    control.close();
    finish(worker, main, reports, &mut leave);
    outcome
}

/// Reads the feed into the main dataflow until worker 0 says stop.
fn stream(
    worker: &mut Worker,
    cx: &Context,
    begun: &Begun,
    start: LiveStart,
    control: &mut Control,
    symbols: &mut SymbolSync,
    reports: &mut Reports,
) -> Result<LiveSummary> {
    let args = &cx.args;
    let (index, peers) = (worker.index(), worker.peers());
    let local = index % cx.local();
    let board = &cx.board;
    let checkpoints = Checkpoints {
        board: board.clone(),
        first_epoch: start.first_epoch,
    };
    let mine: Vec<i32> = (0..start.partitions)
        .filter(|p| *p as usize % peers == index)
        .collect();
    let from = start.positions.as_ref();
    let consumer = BarConsumer::assign_from(&args.kafka, &Feed::start_offsets(&mine, from))?;
    let mut feed = Feed::new(consumer, begun.shared.clone(), args.idle_timeout, from);
    let publish = match &args.features_topic {
        Some(t) => Some(TopicProducer::new(&args.kafka, t)?),
        None => None,
    };
    let signal_producer = match &args.signals_topic {
        Some(t) => Some(TopicProducer::new(&args.kafka, t)?),
        None => None,
    };
    let mut heard = Peers::new(peers);
    // Until worker 0 knows the timestamp kind (and with it the schema),
    // read without the main dataflow. Every worker then builds it, or none
    // does: worker 0's word decides, also after a failure here.
    let mut failure = None;
    let word = loop {
        if failure.is_none() && !cx.abort.load(Ordering::Relaxed) {
            match feed.poll(1024, Duration::from_millis(20)) {
                Ok(got) => heard.active(control, got, &feed, index),
                Err(e) => {
                    cx.abort.store(true, Ordering::SeqCst);
                    cx.board.fail(e.to_string());
                    control.broadcast(Signal::Abort(e.to_string()));
                    failure = Some(e);
                }
            }
            symbols.announce();
        }
        let known = cx.ts_kind.get().map(|k| *k == TsKind::Micros);
        if let Some(m) = known.filter(|_| heard.kind.is_none()) {
            control.send(0, Signal::Kind { micros: m });
            heard.kind = Some(m);
        }
        if index == 0 && !heard.word_sent {
            if cx.abort.load(Ordering::Relaxed) {
                control.broadcast(Signal::Stop { again: false });
                heard.word_sent = true;
            } else if let Some(m) = heard.kind {
                control.broadcast(Signal::Begin { micros: m });
                heard.word_sent = true;
            } else {
                heard.idle_exit(control, &feed, args);
                heard.word_sent = heard.stop_sent;
            }
        }
        control.flush();
        reports.forward();
        worker.step_or_park(Some(Duration::from_millis(1)));
        heard.hear(control, cx);
        if let Some(word) = heard.begin {
            break word;
        }
    };
    let Some(micros) = word else {
        return failure.map_or(Ok(LiveSummary::default()), Err);
    };
    let kind = if micros { TsKind::Micros } else { TsKind::Date };
    if *cx.ts_kind.get_or_init(|| kind) != kind && failure.is_none() {
        let e = TickflowError::Runtime(
            "the topic mixes dates and intraday times: processes of the cluster read different kinds first".into(),
        );
        cx.abort.store(true, Ordering::SeqCst);
        control.broadcast(Signal::Abort(e.to_string()));
        failure = Some(e);
    }
    let schema = OutputSchema::new(kind, cx.columns.clone(), args.config.sink.float32);
    let stats = Rc::new(RefCell::new(OperatorStats::default()));
    let pool = Arc::new(BufferPool::default());
    let mut input = InputHandle::new();
    let probe = ProbeHandle::new();
    // How far the cross-sections are: rows are computed ahead only when
    // they have caught up.
    let cs_probe = ProbeHandle::new();
    // Each bar time's cross-section is computed by the worker owning the
    // time: that worker notes how long after the frontier passed it.
    let cs_latencies: Rc<RefCell<Vec<f64>>> = Rc::default();
    let mut computed = {
        let (latencies, mut last) = (cs_latencies.clone(), None);
        let clock = cx.clock.clone();
        move |time: &u64| {
            if last.is_some_and(|l| l >= *time) {
                return;
            }
            last = Some(*time);
            if let Some(at) = clock.when(ts_of(*time) + 1) {
                let secs = at.elapsed().as_secs_f64();
                metrics::global().cross_section_compute.observe(secs);
                latencies.borrow_mut().push(secs * 1e3);
            }
        }
    };
    let mut sink = Sink::new(
        &args.output,
        index,
        schema.clone(),
        args.config.sink.clone(),
    )
    .starting_at(start.first_seq)
    .rolling();
    if !cx.cluster.is_single() {
        sink = sink.in_process(cx.cluster.process);
    }
    let names = &begun.names;
    let states = StateStore {
        checkpoints: checkpoints.clone(),
        root: args.output.clone(),
        worker: index,
        names: names.clone(),
        restored: start.restored,
        every: args.config.revisions.state_history,
        reuse: None,
        background: true,
    };
    let signals = match signal_producer {
        Some(p) => {
            let signals = args.config.signals.iter();
            let signals = signals.map(|s| LiveSignal::new(s, &schema));
            Some((p, Arc::new(signals.collect::<Result<Vec<_>>>()?)))
        }
        None => None,
    };
    // The market symbol's bars are the market series: each feed sends its
    // close to every worker with the bars of its time.
    let market = match &args.market_symbol {
        Some(_) => MarketLevels::Live(start.market_level),
        None => MarketLevels::None,
    };
    let market_id = || args.market_symbol.as_deref().and_then(|s| names.lookup(s));
    worker.dataflow_named::<u64, _, _>("live", |scope| {
        use timely::dataflow::operators::vec::Input;
        let rows = scope
            .input_from(&mut input)
            .rolling_features(
                (cx.engine.clone(), market),
                peers,
                pool.clone(),
                stats.clone(),
                Some(states),
                Some(cs_probe.clone()),
            )
            .cross_sections(
                cx.cs_columns.clone(),
                cx.cs_options.clone(),
                index,
                peers,
                pool.clone(),
                names.clone(),
                cx.members.clone(),
                Some(stats.clone()),
            )
            .inspect_batch(move |time, _| computed(time))
            .probe_with(&cs_probe);
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
            Some(checkpoints.clone()),
        )
        .probe_with(&probe);
    });
    input.advance_to(time_of(feed.frontier));
    symbols.advance(time_of(feed.closed));
    // Sends the closed bar times whose symbols all have run ids, below the
    // time up to which this process has numbered every announced name.
    let send = |input: &mut InputHandle<u64, BarChunk>,
                feed: &mut Feed,
                symbols: &mut SymbolSync,
                before: i64| {
        let mut sent = (0u64, None);
        let before = match symbols.settle() {
            Some(t) if symbols.guards_bar_times() => before.min(ts_of(t)),
            _ => before,
        };
        let ready = feed
            .pending
            .take_ready(before, |bars| symbols.resolve(&mut bars.symbol));
        for (ts, bars) in ready {
            input.advance_to(time_of(ts));
            for chunk in chunks_of((ts, None), &bars, peers, market_id()) {
                input.send(chunk);
            }
            sent = (sent.0 + 1, Some(ts));
        }
        // Sent up to `before`, or to the first time still waiting.
        let upto = feed.pending.first_ts().map_or(before, |t| t.min(before));
        (sent.0, sent.1, upto)
    };
    // With the market symbol, a bar's features need the market's close at
    // its own time, which may come after it: its time's bars wait.
    let ahead = args.market_symbol.is_none();
    let mut caught_up = false;
    let mut advances: VecDeque<(i64, Instant)> = Default::default();
    let mut latencies = Vec::new();
    let mut last_lag = Instant::now() - Duration::from_secs(10);
    let (mut epoch, mut next_report) = (start.first_epoch, start.first_epoch);
    let (mut since, mut times_since) = (Instant::now(), 0u64);
    let mut last_sent: Option<i64> = None;
    let mut told = None;
    loop {
        if cx.stop(&stats) || heard.stopping {
            break;
        }
        // Never block in Kafka: the dataflow's work on this worker (and the
        // other workers' exchanges to it) waits while it does. Parking
        // below bounds the wait for new messages. While closed bar times
        // wait for their symbols' ids, read in small steps: the ids come
        // after a few steps of every worker, and a backlog read meanwhile
        // would go out in one piece (one checkpoint where there would be
        // many).
        // Caught up, read in small steps too: a bar time's frontier passes
        // as the next time's bars arrive, and its cross-section waits for
        // no more than a step's decoding.
        let waiting = feed.frontier < feed.closed;
        let max = if waiting || caught_up { 256 } else { 4096 };
        let got = feed.poll(max, Duration::ZERO)?;
        caught_up = got < max;
        symbols.announce();
        symbols.step();
        let now = Instant::now();
        let own = feed.own_frontier(now);
        let published = own.unwrap_or(IDLE);
        if told != Some(published) {
            control.broadcast(Signal::Frontier {
                worker: index as u32,
                at: published,
            });
            told = Some(published);
        }
        heard.frontiers[index] = published;
        let target = match own {
            Some(f) => Some(f),
            None => heard.frontiers.iter().copied().filter(|&p| p != IDLE).min(),
        };
        if let Some(target) = target.filter(|&t| t > feed.closed) {
            feed.closed = target;
            symbols.advance(time_of(target));
        }
        if feed.closed > feed.frontier {
            // Worker 0 sends at most the bar times left before a checkpoint
            // by count is due, so a backlog closed at once still makes one
            // checkpoint per `--checkpoint-every` times (the rest goes out
            // in the next steps).
            let every = args.checkpoint.every_times;
            let closed = match (index, every.checked_sub(times_since)) {
                (0, Some(left)) if every > 0 => feed
                    .pending
                    .nth_ts(left.max(1) as usize)
                    .map_or(feed.closed, |t| t.min(feed.closed)),
                _ => feed.closed,
            };
            let (times, last, upto) = send(&mut input, &mut feed, symbols, closed);
            last_sent = last_sent.max(last);
            times_since += times;
            if upto > feed.frontier {
                feed.frontier = upto;
                times_since += feed.pending.pass(upto);
                if index == 0 && args.checkpoint.due(since.elapsed(), times_since) {
                    let time = time_of(upto) - 1;
                    input.advance_to(time);
                    let request = Request {
                        epoch,
                        time,
                        last_ts: Some(upto - 1),
                    };
                    for d in 0..peers {
                        input.send(BarChunk::announce(d, request));
                    }
                    epoch += 1;
                    (since, times_since) = (Instant::now(), 0);
                }
                input.advance_to(time_of(upto));
                cx.clock.advanced(local, upto, now);
                if local == 0 {
                    advances.push_back((upto, now));
                }
                if !board.is_durable() {
                    failpoint::hit("before_first_checkpoint");
                }
                let m = metrics::global();
                let secs = unix_seconds(kind, upto);
                m.frontier_seconds.set(secs);
                let wall = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                m.event_time_lag.set(wall - secs);
            }
        }
        if ahead && caught_up {
            // Caught up with the broker: the open bar times' bars go on
            // now, and the rolling operator computes their rows before the
            // frontier passes them (`ops::ahead`), leaving only the
            // cross-section for then.
            symbols.settle();
            let ready = (feed.pending).take_ahead(|bars| symbols.resolve(&mut bars.symbol));
            for (ts, bars) in ready {
                last_sent = last_sent.max(Some(ts));
                for chunk in chunks_of((ts, Some(time_of(ts))), &bars, peers, None) {
                    input.send(chunk);
                }
            }
            // Out now, not with the next frontier advance: the rolling
            // operator's exchange ships each chunk at once (`ops::each`).
            input.flush();
        }
        report_feeds(&mut feed, board, &mut next_report, None)?;
        reports.forward();
        heard.active(control, got, &feed, index);
        heard.corrections(control, &feed, index, cx);
        if index == 0 && got == 0 {
            heard.idle_exit(control, &feed, args);
        }
        control.flush();
        worker.step_or_park(if got > 0 {
            Some(Duration::ZERO)
        } else {
            Some(Duration::from_millis(1))
        });
        heard.hear(control, cx);
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
    }
    if told != Some(IDLE) {
        control.broadcast(Signal::Frontier {
            worker: index as u32,
            at: IDLE,
        });
        control.flush();
    }
    if !cx.abort.load(Ordering::Relaxed) {
        // Close every open bar time (once every worker has closed its
        // symbols, every symbol has its id); the checkpoint at the end,
        // which worker 0 asks for, covers them.
        feed.closed = i64::MAX;
        symbols.close();
        while feed.pending.rows() > 0 && !cx.stop(&stats) {
            let (_, last, _) = send(&mut input, &mut feed, symbols, i64::MAX);
            last_sent = last_sent.max(last);
            reports.forward();
            worker.step_or_park(Some(Duration::from_millis(1)));
            heard.hear(control, cx);
        }
        // Every name numbered here before the main dataflow closes: the
        // other workers' last rows may carry any of them.
        while symbols.settle().is_some() && !cx.stop(&stats) {
            reports.forward();
            worker.step_or_park(Some(Duration::from_millis(1)));
            heard.hear(control, cx);
        }
        feed.frontier = i64::MAX;
        if index == 0 {
            let request = Request {
                epoch,
                time: AT_END,
                last_ts: None,
            };
            for d in 0..peers {
                input.send(BarChunk::announce(d, request));
            }
        }
    }
    let main = worker.next_dataflow_index() - 1;
    drop(input);
    // The operators take the request at the end once every worker's input
    // is closed; the feed's positions then go with it.
    let mut reported = cx.abort.load(Ordering::Relaxed);
    while worker.installed_dataflows().contains(&main) || !reported {
        if !reported && (board.ended() || cx.stop(&stats)) {
            if !cx.stop(&stats) {
                report_feeds(&mut feed, board, &mut next_report, last_sent)?;
            }
            reported = true;
        }
        reports.forward();
        worker.step_or_park(Some(Duration::from_millis(5)));
        heard.hear(control, cx);
    }
    if let Some(e) = failure {
        return Err(e);
    }
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
        cs_latencies: cs_latencies.take(),
        computed_ahead: (s.ahead, s.recalled),
        cross_sections_ahead: s.cross_ahead,
        again: heard.again,
        paused_at: heard.paused_at,
        ..Default::default()
    })
}
