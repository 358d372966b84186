//! Per-symbol rolling features over a block's bars.

use super::ahead::{merge, Ahead, Held};
use super::compute::{compute, Committed};
use super::each::exchange_each;
use super::OperatorStats;
use crate::chunks::{BarChunk, BufferPool, FeatureChunk};
use crate::durable::board::{Checkpoints, Request};
use crate::durable::history::{self, History, WorkerHistory};
use crate::durable::manifest::{
    checkpoint_dir, link_file, link_worker_files, revised_state_path, state_path, sync_dir,
    write_atomic_with,
};
use crate::durable::restore::Share;
use crate::durable::state_file::write_shared;
use crate::names::Names;
use crate::reference::Market;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tickflow_operators::{FeatureEngine, SymbolState};
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::{ProbeHandle, StreamVec};

/// Where the features paired with the market get its log level.
#[derive(Debug, Clone, Default)]
pub enum MarketLevels {
    /// No market series.
    #[default]
    None,
    /// A series read whole (`--market FILE`): its level as of each bar's
    /// time.
    Series(Arc<Market>),
    /// A live run's market symbol (`--market-symbol`): the chunks of a bar
    /// time carry its close when it has a bar then ([`BarChunk::market`]);
    /// a bar sees the latest level at or before its time, starting from
    /// this one (the last before the checkpoint resumed from).
    Live(Option<f64>),
}

/// Per-symbol rolling indicators.
pub trait RollingFeatures<'scope> {
    /// Routes each chunk to the worker owning its symbols and computes one
    /// row of features per bar; emits, per block, one chunk per worker with
    /// the rows whose bar times that worker owns, in (ts, symbol) order.
    /// Of two bars with the same symbol and time, the later (by file, line)
    /// wins; both kinds of second copy are counted. A chunk's checkpoint
    /// request goes on this process's board before the frontier passes its
    /// time, so every operator downstream sees it in time. Features paired
    /// with the market see its level as of each bar's time ([`MarketLevels`]).
    ///
    /// `downstream` (live): the progress of the operators downstream. The
    /// rows of chunks sent ahead of their time ([`BarChunk::at`]) are
    /// computed before the frontier passes it, whenever downstream has
    /// caught up with this operator (the times passed go first), except
    /// with the market's live level; the rows are the same as at the
    /// frontier. `None`: rows are computed at the frontier.
    fn rolling_features(
        self,
        engine: (Arc<FeatureEngine>, MarketLevels),
        peers: usize,
        pool: Arc<BufferPool>,
        stats: Rc<RefCell<OperatorStats>>,
        durable: Option<StateStore>,
        downstream: Option<ProbeHandle<u64>>,
    ) -> StreamVec<'scope, u64, FeatureChunk>;
}

/// A worker's indicator states in checkpoints: where they go, the
/// restored states it starts from, and how often a copy of each is kept
/// for revisions ([`crate::durable::history`]).
pub struct StateStore {
    /// The run's checkpoints.
    pub checkpoints: Checkpoints,
    /// The store.
    pub root: PathBuf,
    /// This worker.
    pub worker: usize,
    /// Symbol names by id.
    pub names: Arc<Names>,
    /// Restored states and histories by symbol id (this worker's symbols
    /// only).
    pub restored: Share,
    /// Bars between kept copies of a symbol's state (0: none).
    pub every: u64,
    /// A checkpoint whose files (of as many workers) hold exactly the
    /// states this run ends with (it has no bars): its files are linked
    /// instead of written.
    pub reuse: Option<u64>,
    /// The snapshot writer runs below the workers' priority (live: a
    /// checkpoint's encoding must not take the cores from the
    /// cross-sections; backfill keeps it equal, its workers never idle).
    pub background: bool,
}

/// The nice value of a live run's snapshot writers: they get about a tenth
/// of a core a busy worker shares with them, and all of an idle one.
const BACKGROUND_NICE: i32 = 10;

/// How long a live run's snapshot writer waits before encoding a
/// checkpoint's states (they are shared, unchanged, meanwhile).
const BACKGROUND_DELAY: Duration = Duration::from_millis(20);

/// What a snapshot writer gets: the request, this worker's files, and its
/// duplicate and correction counts.
type Snapshot = (Request, Files, u64, u64);

/// A worker's files in a checkpoint.
enum Files {
    /// Those of checkpoint `from`, which hold exactly this run's states
    /// (it has no bars: [`StateStore::reuse`]).
    LinkAll(u64),
    /// The states (shared with the worker until it next changes them), and
    /// the histories.
    Write(Vec<(String, Arc<SymbolState>)>, Histories),
}

/// A checkpoint's history file: written, or linked from an earlier
/// checkpoint of this run when no copy was kept since.
enum Histories {
    Write(WorkerHistory),
    Link(u64),
}

/// Whether the histories changed since the last checkpoint this worker
/// wrote them to.
#[derive(Default)]
struct Kept {
    changed: bool,
    written: Option<u64>,
}

impl StateStore {
    /// Hands this worker's states for checkpoint `r` to its writer thread
    /// (spawned on first use): the worker pauses for a copy of the states,
    /// not for their encoding and fsync.
    fn snapshot(
        &self,
        writer: &mut Option<std::sync::mpsc::Sender<Snapshot>>,
        r: &Request,
        (states, histories, kept): (&[Option<Arc<SymbolState>>], &[History], &mut Kept),
        stats: &OperatorStats,
    ) {
        let file = match (self.reuse, kept.written) {
            (Some(from), _) => Files::LinkAll(from),
            (None, Some(from)) if !kept.changed => {
                Files::Write(self.states(states), Histories::Link(from))
            }
            (None, _) => Files::Write(
                self.states(states),
                Histories::Write(self.histories(histories)),
            ),
        };
        *kept = Kept {
            changed: false,
            written: Some(r.epoch),
        };
        let board = &self.checkpoints.board;
        if writer.is_none() {
            match self.spawn_writer() {
                Ok(tx) => *writer = Some(tx),
                Err(e) => return board.fail(format!("checkpoint states: a writer thread: {e}")),
            }
        }
        let tx = writer.as_ref().expect("set above");
        board.writing();
        if tx
            .send((*r, file, stats.duplicates, stats.corrections))
            .is_err()
        {
            board.fail("checkpoint states: the writer thread is gone".into());
            board.written();
        }
    }

    /// This worker's states by symbol name: the states themselves, shared
    /// (a snapshot copies none; the worker copies a state when it next
    /// updates it while the writer still holds it).
    fn states(&self, states: &[Option<Arc<SymbolState>>]) -> Vec<(String, Arc<SymbolState>)> {
        self.names.with(|symbols, _| {
            (states.iter().enumerate())
                .filter_map(|(id, s)| Some((symbols.name(id as u32).to_string(), s.clone()?)))
                .collect()
        })
    }

    /// This worker's histories by symbol name (symbols without copies left
    /// out).
    fn histories(&self, histories: &[History]) -> WorkerHistory {
        self.names.with(|symbols, _| WorkerHistory {
            histories: (histories.iter().enumerate())
                .filter(|(_, h)| !h.kept().is_empty())
                .map(|(id, h)| (symbols.name(id as u32).to_string(), h.clone()))
                .collect(),
        })
    }

    fn spawn_writer(&self) -> std::io::Result<std::sync::mpsc::Sender<Snapshot>> {
        let (tx, rx) = std::sync::mpsc::channel::<Snapshot>();
        let (board, root, worker) = (
            self.checkpoints.board.clone(),
            self.root.clone(),
            self.worker,
        );
        let background = self.background;
        std::thread::Builder::new()
            .name(format!("tickflow-snapshot-{worker}"))
            .spawn(move || {
                if background {
                    // Linux's nice value is per thread: this one yields to
                    // the workers whenever both want a core. Best effort.
                    let _ = rustix::process::setpriority_process(None, BACKGROUND_NICE);
                }
                for (r, files, duplicates, corrections) in rx {
                    if background {
                        // The request comes as the frontier passes the
                        // checkpoint's bar time: that time's cross-section
                        // (about 2 ms) goes first.
                        std::thread::sleep(BACKGROUND_DELAY);
                    }
                    let dir = checkpoint_dir(&root, r.epoch);
                    let path = state_path(&root, r.epoch, worker);
                    let kept = history::history_path(&root, r.epoch, worker);
                    let written = std::fs::create_dir_all(&dir)
                        .map_err(|e| format!("{}: {e}", dir.display()))
                        .and_then(|()| match files {
                            Files::LinkAll(from) => link_files(&root, (from, r.epoch), worker)
                                .map_err(|e| e.to_string()),
                            Files::Write(states, histories) => {
                                write_atomic_with(&path, |f| write_shared(f, &states))
                                    .and_then(|()| match histories {
                                        Histories::Write(h) => {
                                            write_atomic_with(&kept, |f| history::write(f, &h))
                                        }
                                        Histories::Link(from) => link_file(
                                            &history::history_path(&root, from, worker),
                                            &kept,
                                        )
                                        .and_then(|()| sync_dir(&dir)),
                                    })
                                    .map_err(|e| e.to_string())
                            }
                        });
                    match written {
                        Ok(()) => board.snapshot_done(r.epoch, duplicates, corrections),
                        Err(e) => board.fail(format!("checkpoint states: {e}")),
                    }
                    board.written();
                }
            })?;
        Ok(tx)
    }
}

/// Links `worker`'s files of checkpoint `from` into checkpoint `to`
/// (worker 0 also a revision's).
fn link_files(
    root: &std::path::Path,
    (from, to): (u64, u64),
    worker: usize,
) -> crate::error::Result<()> {
    link_worker_files(root, (from, to), worker)?;
    if worker == 0 {
        link_file(
            &revised_state_path(root, from),
            &revised_state_path(root, to),
        )?;
        let revised = |epoch| history::revised_history_path(root, epoch);
        link_file(&revised(from), &revised(to))?;
    }
    sync_dir(&checkpoint_dir(root, to))
}

impl<'scope> RollingFeatures<'scope> for StreamVec<'scope, u64, BarChunk> {
    fn rolling_features(
        self,
        (engine, mut market): (Arc<FeatureEngine>, MarketLevels),
        peers: usize,
        pool: Arc<BufferPool>,
        stats: Rc<RefCell<OperatorStats>>,
        mut durable: Option<StateStore>,
        downstream: Option<ProbeHandle<u64>>,
    ) -> StreamVec<'scope, u64, FeatureChunk> {
        let by_symbol = exchange_each(|c: &BarChunk| c.dest as u64);
        let timer = crate::metrics::global()
            .operator_seconds
            .with_label_values(&["rolling_features"]);
        let scope = self.scope();
        self.unary_frontier(by_symbol, "rolling_features", move |_cap, info| {
            let activator = scope.activator_for(info.address);
            // A bar paired with the market's live level needs the close at
            // its own time, which may come after it.
            let live_market = matches!(market, MarketLevels::Live(_));
            let mut held = Ahead::new(downstream.is_some() && !live_market, scope.index());
            let restored = durable
                .as_mut()
                .map(|d| std::mem::take(&mut d.restored))
                .unwrap_or_default();
            let every = durable.as_ref().map_or(0, |d| d.every);
            let mut states: Vec<Option<Arc<SymbolState>>> = (restored.states.into_iter())
                .map(|s| s.map(Arc::new))
                .collect();
            let mut histories = restored.histories;
            let mut kept = Kept::default();
            let mut next_epoch = durable.as_ref().map_or(0, |d| d.checkpoints.first_epoch);
            let mut writer = None;
            move |(input, frontier), output| {
                input.for_each_time(|time, data| {
                    let mut s = stats.borrow_mut();
                    for chunk in data.flat_map(|batch| batch.drain(..)) {
                        held.arrive((&time, output.output_index()), chunk, &mut s);
                    }
                });
                held.send_withdrawn(|cap, chunk| output.session(cap).give(chunk));
                let passed = held.ready(frontier);
                let any_passed = !passed.is_empty();
                for (
                    t,
                    Held {
                        cap,
                        waiting,
                        ahead,
                    },
                ) in passed
                {
                    if let Some(d) = &durable {
                        for r in d.checkpoints.board.due(&mut next_epoch, |b| b < t) {
                            let all = (&states[..], &histories[..], &mut kept);
                            d.snapshot(&mut writer, &r, all, &stats.borrow());
                        }
                    }
                    let started = std::time::Instant::now();
                    let mut session = output.session(&cap);
                    if let MarketLevels::Live(level) = &mut market {
                        if let Some(close) = waiting.iter().find_map(|c| c.market) {
                            *level = Some(close.ln());
                        }
                    }
                    let mut committed = Committed {
                        engine: &engine,
                        states: &mut states,
                        histories: &mut histories,
                        changed: &mut kept.changed,
                        every,
                    };
                    for (chunk, _) in ahead {
                        held.install(&chunk, &mut committed);
                    }
                    for chunk in &waiting {
                        if let (Some(r), Some(d)) = (&chunk.checkpoint, &durable) {
                            d.checkpoints.board.request(*r);
                        }
                    }
                    for chunk in merge(waiting) {
                        let mut s = stats.borrow_mut();
                        let (e, out) = ((&*engine, &market), (peers, &*pool));
                        let rows = compute(e, &mut committed, &chunk, out, &mut s);
                        session.give_iterator(rows.into_iter());
                    }
                    timer.observe(started.elapsed().as_secs_f64());
                }
                if let Some(d) = &durable {
                    for r in d
                        .checkpoints
                        .board
                        .due(&mut next_epoch, |b| !frontier.less_equal(&b))
                    {
                        let all = (&states[..], &histories[..], &mut kept);
                        d.snapshot(&mut writer, &r, all, &stats.borrow());
                    }
                }
                // The times passed go through the operators downstream
                // first: what can be computed ahead waits until they have.
                let Some(downstream) = &downstream else {
                    return;
                };
                let mine = frontier.frontier().first().copied();
                if any_passed || downstream.with_frontier(|f| f.first().copied()) != mine {
                    activator.activate_after(Duration::from_micros(250));
                } else {
                    let mut s = stats.borrow_mut();
                    let e = (&*engine, &market);
                    let give =
                        |cap: &_, rows: Vec<_>| output.session(cap).give_iterator(rows.into_iter());
                    if held.compute_ahead(e, &states, (peers, &*pool), &mut s, give) {
                        activator.activate();
                    }
                }
            }
        })
        .container::<Vec<FeatureChunk>>()
    }
}
