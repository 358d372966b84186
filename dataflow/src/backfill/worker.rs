//! One backfill worker, in any process of the cluster: it takes its start
//! from worker 0, builds the dataflow, and (worker 0 only) feeds it the
//! input thread's blocks, asking for checkpoints in the dataflow itself.

use super::blocks::Block;
use super::start::{Job, Outcome, Start};
use super::IN_FLIGHT;
use crate::chunks::{BarChunk, BufferPool};
use crate::cluster::finish::{finish, Leave};
use crate::cluster::relay::{hand_out, Reports};
use crate::cluster::Cluster;
use crate::durable::board::{Board, Checkpoints, Request, AT_END};
use crate::durable::{failpoint, CheckpointPolicy};
use crate::ops::{
    CrossSections, MarketLevels, OperatorStats, RollingFeatures, StateStore, WriteOutput,
};
use crate::sink::Sink;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use timely::dataflow::operators::vec::input::Handle as InputHandle;
use timely::dataflow::operators::Probe;
use timely::dataflow::ProbeHandle;
use timely::worker::Worker;

/// What a process's workers share.
pub(super) struct Shared {
    pub cluster: Cluster,
    pub output: PathBuf,
    pub policy: CheckpointPolicy,
    pub board: Arc<Board>,
    pub abort: Arc<AtomicBool>,
    pub pool: Arc<BufferPool>,
    /// Process 0: every worker's start, for worker 0 to hand out.
    pub starts: Mutex<Option<Vec<Start>>>,
    /// Process 0: the input thread's blocks, for worker 0.
    pub blocks: Mutex<Option<Receiver<Block>>>,
    /// Process 0: the bar time the store continues after.
    pub after: Option<i64>,
    /// The checkpoint whose files hold exactly this run's states, when the
    /// run has no bar after the store's end (an append of revisions only)
    /// and the same workers: its checkpoints link them.
    pub reuse: Option<u64>,
}

/// What a worker ended with.
#[derive(Default)]
pub(super) struct WorkerResult {
    /// Worker 0: the checkpoint asked for at the end.
    pub final_epoch: Option<u64>,
    /// The first failure this worker saw.
    pub error: Option<String>,
    /// The start's outcome (None: no start came).
    pub outcome: Option<Outcome>,
    /// Rows this worker wrote.
    pub rows: u64,
}

/// Runs one worker to the end of the backfill.
pub(super) fn work(worker: &mut Worker, sh: &Shared) -> WorkerResult {
    let mut leave = Leave::new(&sh.board, &sh.abort);
    let items = match worker.index() {
        0 => sh.starts.lock().expect("not poisoned").take(),
        _ => None,
    };
    let Some(start) = hand_out(worker, items) else {
        return WorkerResult {
            error: Some("process 0 ended without starting the run".into()),
            ..Default::default()
        };
    };
    if start.outcome != Outcome::Run {
        return WorkerResult {
            outcome: Some(start.outcome),
            ..Default::default()
        };
    }
    let local = sh.board.local_workers();
    if start.workers != local {
        // The cluster's worker numbering is already wrong: stop this
        // process (process 0 then reports it lost) rather than compute.
        eprintln!(
            "error: process {} has --workers {local}, process 0 has {}: every process needs the same count",
            sh.cluster.process, start.workers
        );
        std::process::exit(2);
    }
    let job = match Job::of(&start) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("error: process {}: {e}", sh.cluster.process);
            std::process::exit(2);
        }
    };
    run_dataflow(worker, sh, job, start, &mut leave)
}

fn run_dataflow(
    worker: &mut Worker,
    sh: &Shared,
    job: Job,
    start: Start,
    leave: &mut Leave,
) -> WorkerResult {
    let (index, peers) = (worker.index(), worker.peers());
    let checkpoints = Checkpoints {
        board: sh.board.clone(),
        first_epoch: start.first_epoch,
    };
    let stats = Rc::new(RefCell::new(OperatorStats::default()));
    let reports = Reports::new(worker, sh.board.clone());
    let mut input = InputHandle::new();
    let probe = ProbeHandle::new();
    let mut sink = Sink::new(
        &sh.output,
        index,
        job.schema.clone(),
        job.config.sink.clone(),
    )
    .starting_at(start.first_seq)
    .direct();
    if !sh.cluster.is_single() {
        sink = sink.in_process(sh.cluster.process);
    }
    let states = StateStore {
        checkpoints: checkpoints.clone(),
        root: sh.output.clone(),
        worker: index,
        names: job.names.clone(),
        restored: start.restored,
        every: job.config.revisions.state_history,
        reuse: sh.reuse,
        background: false,
    };
    let main = worker.next_dataflow_index();
    worker.dataflow_named::<u64, _, _>("backfill", |scope| {
        use timely::dataflow::operators::vec::Input;
        scope
            .input_from(&mut input)
            .rolling_features(
                (
                    job.engine.clone(),
                    job.market
                        .clone()
                        .map_or(MarketLevels::None, MarketLevels::Series),
                ),
                peers,
                sh.pool.clone(),
                stats.clone(),
                Some(states),
                None,
            )
            .cross_sections(
                job.cs_columns.clone(),
                job.cs_options.clone(),
                index,
                peers,
                sh.pool.clone(),
                job.names.clone(),
                job.members.clone(),
                None,
            )
            .write_output(
                sink,
                job.schema.clone(),
                job.names.clone(),
                stats.clone(),
                Some(checkpoints.clone()),
            )
            .probe_with(&probe);
    });
    let blocks = match index {
        0 => sh.blocks.lock().expect("not poisoned").take(),
        _ => None,
    };
    let final_epoch = blocks.and_then(|rx| {
        feed(
            worker,
            sh,
            &rx,
            &mut input,
            &probe,
            &stats,
            start.first_epoch,
        )
    });
    drop(input);
    finish(worker, main, reports, leave);
    let s = stats.borrow();
    if s.sink_error.is_some() {
        sh.abort.store(true, Ordering::SeqCst);
    }
    WorkerResult {
        final_epoch,
        error: s.sink_error.clone(),
        outcome: Some(Outcome::Run),
        rows: s.partitions.values().sum(),
    }
}

/// Worker 0: sends the input thread's blocks, one timely time each, at
/// most [`IN_FLIGHT`] ahead of the output, and announces each checkpoint
/// to every worker after its block. Returns the epoch of the checkpoint
/// at the end, or None when the run stopped.
fn feed(
    worker: &mut Worker,
    sh: &Shared,
    rx: &Receiver<Block>,
    input: &mut InputHandle<u64, BarChunk>,
    probe: &ProbeHandle<u64>,
    stats: &RefCell<OperatorStats>,
    first_epoch: u64,
) -> Option<u64> {
    let peers = worker.peers();
    let board = &sh.board;
    let announce = |input: &mut InputHandle<u64, BarChunk>, r: Request| {
        for d in 0..peers {
            input.send(BarChunk::announce(d, r));
        }
    };
    let (mut time, mut epoch, mut last_ts) = (0u64, first_epoch, sh.after);
    let (mut since, mut times_since) = (Instant::now(), 0u64);
    loop {
        if sh.abort.load(Ordering::Relaxed)
            || stats.borrow().sink_error.is_some()
            || board.failed().is_some()
        {
            sh.abort.store(true, Ordering::SeqCst);
            return None;
        }
        match rx.try_recv() {
            Ok(block) => {
                crate::metrics::global().rows_in.inc_by(block.rows as u64);
                let times = &block.chunks[0].times;
                last_ts = times.last().copied().max(last_ts);
                times_since += times.len() as u64;
                input.advance_to(time);
                for chunk in block.chunks {
                    input.send(chunk);
                }
                if !board.is_durable() {
                    failpoint::hit("before_first_checkpoint");
                }
                if sh.policy.due(since.elapsed(), times_since) {
                    announce(
                        input,
                        Request {
                            epoch,
                            time,
                            last_ts,
                        },
                    );
                    (epoch, since, times_since) = (epoch + 1, Instant::now(), 0);
                }
                time += 1;
                input.advance_to(time);
                while probe.less_than(&time.saturating_sub(IN_FLIGHT)) {
                    worker.step_or_park(None);
                }
            }
            Err(TryRecvError::Empty) => {
                worker.step_or_park(Some(Duration::from_millis(1)));
            }
            Err(TryRecvError::Disconnected) => break,
        }
    }
    announce(
        input,
        Request {
            epoch,
            time: AT_END,
            last_ts,
        },
    );
    Some(epoch)
}
