//! `tickflow backfill`: bar files through timely dataflow into a partitioned
//! feature store (Parquet or Arrow IPC).
//!
//! A first pass ([`scan`]) validates the input and plans the run; the input
//! thread ([`source`]) then replays it in time blocks (spilling input that is
//! not in time order to time buckets); the dataflow ([`ops`]) computes the
//! rolling features by symbol and the cross-sections by bar time, and each
//! worker writes the rows it assembled. At most [`IN_FLIGHT`] blocks are in
//! the dataflow at once, so memory holds state and in-flight blocks, not the
//! dataset.

mod blocks;
mod progress;
mod scan;
mod source;
mod spill;
mod start;
mod store;
mod worker;

pub use crate::sink::partition_of;
pub use blocks::BLOCK_ROWS;
pub use scan::{scan, InputPlan};
pub use spill::BUCKET_ROWS;

pub use crate::cluster::Cluster;
use crate::config::PipelineConfig;
use crate::durable::board::Board;
use crate::durable::history::{self, History};
use crate::durable::manifest::drop_checkpoints_before;
use crate::durable::manifest::{store_error, CheckpointRef};
use crate::durable::restore::restore_states;
pub use crate::durable::CheckpointPolicy;
use crate::durable::{failpoint, InputFingerprint};
use crate::error::{Result, TickflowError};
use crate::reference::{Action, Actions, Market, SectorSchedule, Universe};
use crate::schema::OutputSchema;
use blocks::Block;
use progress::Progress;
use serde::Serialize;
use source::{Source, SourceReport};
use start::{Outcome, Start};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tickflow_connectors::file::{expand_inputs, CsvOptions};
use tickflow_connectors::{ColumnMapping, TsKind, TsParser};
use tickflow_operators::cross_section::CrossSectionKernel;
use tickflow_operators::FeatureEngine;
use worker::{Shared, WorkerResult};

/// Blocks in the dataflow at once, at most: enough that a worker has the
/// next block while the sink's threads encode the last ones. Each block in
/// flight is ~60 MB of feature and output columns on the 4,000-symbol
/// benchmark; every MB held is a page to fault in and zero once.
pub const IN_FLIGHT: u64 = 4;

/// Everything a backfill needs.
#[derive(Debug, Clone)]
pub struct BackfillArgs {
    /// Files, directories or globs.
    pub inputs: Vec<String>,
    /// The output directory.
    pub output: PathBuf,
    /// Features, cross-sections, sink options.
    pub config: PipelineConfig,
    /// Timely worker threads.
    pub workers: usize,
    /// Column roles.
    pub mapping: ColumnMapping,
    /// Symbol for files without a symbol column.
    pub default_symbol: Option<String>,
    /// Zone of naive intraday timestamps.
    pub tz: Option<String>,
    /// A `symbol,sector[,from]` file (see [`crate::reference::sectors`]).
    pub sectors: Option<PathBuf>,
    /// A `symbol,from,to` file: cross-sections over its members only (see
    /// [`crate::reference::universe`]).
    pub universe: Option<PathBuf>,
    /// A `symbol,date,kind,factor` file of splits and dividends (see
    /// [`crate::reference::actions`]).
    pub actions: Option<PathBuf>,
    /// A market series for `beta` and `corr` (see
    /// [`crate::reference::market`]).
    pub market: Option<PathBuf>,
    /// Stop when more than this fraction of rows is rejected.
    pub max_reject_rate: f64,
    /// Show progress on stderr.
    pub progress: bool,
    /// Block and spill sizes.
    pub tuning: Tuning,
    /// Add the input's bars after the end of the store in `output`,
    /// continuing from its checkpoint, instead of building it.
    pub append: bool,
    /// How often to checkpoint.
    pub checkpoint: CheckpointPolicy,
    /// The processes of the run (one by default).
    pub cluster: Cluster,
}

impl BackfillArgs {
    /// A backfill of `inputs` into `output` with every other setting at the
    /// command line's default (the standard feature set, one worker per
    /// core, 5% rejects at most, progress shown).
    ///
    /// ```
    /// use tickflow::backfill::BackfillArgs;
    /// let args = BackfillArgs {
    ///     workers: 2,
    ///     ..BackfillArgs::new(vec!["bars.csv".into()], "store".into())
    /// };
    /// assert_eq!(args.max_reject_rate, 0.05);
    /// ```
    pub fn new(inputs: Vec<String>, output: PathBuf) -> Self {
        Self {
            inputs,
            output,
            config: PipelineConfig::default(),
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            mapping: ColumnMapping::default(),
            default_symbol: None,
            tz: None,
            sectors: None,
            universe: None,
            actions: None,
            market: None,
            max_reject_rate: 0.05,
            progress: true,
            tuning: Tuning::default(),
            append: false,
            checkpoint: CheckpointPolicy::default(),
            cluster: Cluster::default(),
        }
    }
}

/// Sizes that trade memory for speed; the defaults suit daily and minute
/// bars on a machine with a few GB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Rows per time block, about (see [`blocks::BLOCK_ROWS`]).
    pub block_rows: usize,
    /// Valid rows per spill bucket, about (see [`spill::BUCKET_ROWS`]): the
    /// memory bound for input that is not in time order.
    pub spill_bucket_rows: u64,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            block_rows: blocks::BLOCK_ROWS,
            spill_bucket_rows: spill::BUCKET_ROWS,
        }
    }
}

/// What a backfill did.
#[derive(Debug, Clone, Serialize)]
pub struct BackfillSummary {
    /// Data rows read.
    pub rows_in: u64,
    /// Rows this run wrote.
    pub rows_out: u64,
    /// Rows in the store.
    pub store_rows: u64,
    /// Rejected rows by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Identical second copies dropped.
    pub duplicates: u64,
    /// Differing second copies (the later one kept).
    pub corrections: u64,
    /// Rows per partition in the store.
    pub partitions: BTreeMap<String, u64>,
    /// Output columns.
    pub columns: Vec<String>,
    /// True when the input was not in time order and went through spill buckets.
    pub spilled: bool,
    /// Valid rows at or before the time the run continued after (already
    /// in the store).
    pub skipped: u64,
    /// What the revisions among them (bars that differ from the store's or
    /// that it lacks) changed.
    pub revisions: Option<crate::durable::manifest::RevisionRecord>,
    /// The store's last bar time this run continued after (a resumed or
    /// appending run).
    pub resumed_after: Option<i64>,
    /// The store was complete and built from these inputs: nothing was read.
    pub up_to_date: bool,
    /// Wall time.
    pub seconds: f64,
    /// The cluster process this summary is from: process 0's covers the
    /// run; another's only the rows its workers wrote (`rows_out`).
    pub process: usize,
}

pub(crate) fn output_error(path: &Path, e: impl std::fmt::Display) -> TickflowError {
    TickflowError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Stops a run that rejected more than `max_rate` of its `rows`.
fn check_reject_rate(rejected: u64, rows: u64, max_rate: f64) -> Result<()> {
    if rows > 0 && rejected as f64 > max_rate * rows as f64 {
        return Err(TickflowError::TooManyRejects {
            rejected,
            rows,
            rate: 100.0 * rejected as f64 / rows as f64,
            max: 100.0 * max_rate,
        });
    }
    Ok(())
}

pub(crate) fn resolve_cross_columns(
    engine: &FeatureEngine,
    features: &[String],
) -> Result<Vec<usize>> {
    features
        .iter()
        .map(|f| {
            engine
                .columns()
                .iter()
                .position(|c| c == f)
                .ok_or_else(|| TickflowError::Config {
                    path: "cross_section.features".into(),
                    message: format!(
                        "`{f}` is not a feature of this pipeline; features are: {}",
                        engine.columns().join(", ")
                    ),
                })
        })
        .collect()
}

/// The value columns of the store: the features, then per cross-sectional
/// feature its rank, z-score and sector z-score.
pub(crate) fn value_column_names(engine: &FeatureEngine, cross: &[String]) -> Vec<String> {
    let mut columns = engine.columns().to_vec();
    for f in cross {
        columns.extend([
            format!("cs_rank_{f}"),
            format!("cs_z_{f}"),
            format!("sector_z_{f}"),
        ]);
    }
    columns
}

/// What [`read_in_time_order`] read.
#[derive(Debug, Clone)]
pub struct TimeOrderReport {
    /// Data rows.
    pub rows: u64,
    /// Rejected rows by reason (written to the rejects file).
    pub rejected: BTreeMap<String, u64>,
    /// What the bar times are.
    pub ts_kind: TsKind,
}

/// Reads bar files as a backfill does (same mapping, validation, rejects
/// file and spilling of input not in time order) and hands `each` the valid
/// bars one block of whole bar times at a time, in time order, with the
/// symbol names. `work_dir` holds the rejects file and spill buckets.
pub fn read_in_time_order(
    args: &BackfillArgs,
    work_dir: &Path,
    mut each: impl FnMut(&tickflow_connectors::BarBatch, &tickflow_connectors::Interner) -> Result<()>,
) -> Result<TimeOrderReport> {
    let files = expand_inputs(&args.inputs)?;
    let options = CsvOptions {
        mapping: args.mapping.clone(),
        default_symbol: args.default_symbol.clone(),
    };
    let ts = TsParser::new(args.tz.as_deref())?;
    let plan = scan(&files, &options, &ts, &SectorSchedule::default(), true)?;
    std::fs::create_dir_all(work_dir).map_err(|e| output_error(work_dir, e))?;
    let progress = Progress::new(plan.keyed_rows(), args.progress);
    let abort = AtomicBool::new(false);
    let (tx, rx) = sync_channel::<Block>(2);
    let source = Source {
        files: &files,
        options: &options,
        ts: &ts,
        sectors: &SectorSchedule::default(),
        actions: &Actions::default(),
        plan: &plan,
        peers: 1,
        max_rejects: (args.max_reject_rate * plan.rows as f64) as u64,
        tuning: args.tuning,
        rejects_path: &work_dir.join("_rejects.csv"),
        spill_dir: &work_dir.join(".spill.tmp"),
        after: None,
    };
    let report = std::thread::scope(|scope| {
        let (abort, progress) = (&abort, &progress);
        let reader = scope.spawn(move || source.run(&tx, abort, progress));
        let mut failed = None;
        for block in rx.iter() {
            if let Err(e) = each(&block.chunks[0].bars, &plan.symbols) {
                abort.store(true, Ordering::SeqCst);
                failed = Some(e);
                break;
            }
        }
        drop(rx);
        let report = reader
            .join()
            .map_err(|_| TickflowError::Runtime("the input thread panicked".into()))?;
        match failed {
            Some(e) => Err(e),
            None => report,
        }
    });
    let report = report?;
    progress.finish();
    let rejected = report.counts.total();
    check_reject_rate(rejected, plan.rows, args.max_reject_rate)?;
    Ok(TimeOrderReport {
        rows: report.rows,
        rejected: report
            .counts
            .by_reason()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        ts_kind: plan.ts_kind,
    })
}

/// Runs a backfill: builds the store, resumes an interrupted build of the
/// same inputs from its last checkpoint, or (with `append`) adds new bars
/// after the store's end (see [`crate::durable`]). In a cluster, process 0
/// does all of that while the other processes' workers take their share of
/// the dataflow ([`crate::cluster`]).
pub fn run(args: &BackfillArgs) -> Result<BackfillSummary> {
    let started = Instant::now();
    if !args.cluster.is_single() {
        crate::cluster::peers::watch(&args.cluster.addresses);
    }
    if args.cluster.process > 0 {
        return follow(args, started);
    }
    // Reference topics (`kafka:TOPIC`, brokers from the config's [kafka])
    // are read into files first.
    let mut args = args.clone();
    let a = &mut args;
    let read = crate::reference::topic::resolve(
        &a.config.kafka,
        &a.output,
        0,
        [&mut a.sectors, &mut a.universe, &mut a.actions],
    );
    let args = &args;
    match read.and_then(|_| prepare(args, started)) {
        Ok(Prepared::Run(p)) => lead(args, *p, started),
        Ok(Prepared::UpToDate(summary)) => {
            tell_followers(args, Outcome::UpToDate)?;
            Ok(summary)
        }
        Err(e) => {
            // The other processes wait for a start: they stop with this error.
            let _ = tell_followers(args, Outcome::Failed(e.to_string()));
            Err(e)
        }
    }
}

/// What this process's workers share, with the process's board.
fn shared(args: &BackfillArgs) -> Shared {
    let c = &args.cluster;
    Shared {
        cluster: c.clone(),
        output: args.output.clone(),
        policy: args.checkpoint,
        board: Arc::new(Board::cluster(args.workers.max(1), c.processes, c.process)),
        abort: Arc::new(AtomicBool::new(false)),
        pool: Arc::new(crate::chunks::BufferPool::default()),
        starts: Mutex::new(None),
        blocks: Mutex::new(None),
        after: None,
        reuse: None,
    }
}

/// Runs this process's workers; one result per worker, or the error that
/// took the cluster down.
fn execute(args: &BackfillArgs, shared: Arc<Shared>) -> Result<Vec<WorkerResult>> {
    let run = args.cluster.run(
        args.workers.max(1),
        move |worker| worker::work(worker, &shared),
        || (),
    );
    run.map(|(results, ())| results)
}

/// Process 0 could not or need not run: the other processes learn it from
/// their start and stop.
fn tell_followers(args: &BackfillArgs, outcome: Outcome) -> Result<()> {
    if args.cluster.is_single() {
        return Ok(());
    }
    let sh = shared(args);
    let peers = args.workers.max(1) * args.cluster.processes;
    *sh.starts.lock().expect("not poisoned") = Some(vec![Start::stop(outcome); peers]);
    execute(args, Arc::new(sh)).map(|_| ())
}

/// A process other than 0: its workers run their share; it reports the
/// rows they wrote.
fn follow(args: &BackfillArgs, started: Instant) -> Result<BackfillSummary> {
    let sh = Arc::new(shared(args));
    let results = execute(args, sh.clone())?;
    let mut rows_out = 0;
    for r in &results {
        match &r.outcome {
            Some(Outcome::Failed(m)) => {
                return Err(TickflowError::Runtime(format!(
                    "process 0 could not start the run: {m}"
                )))
            }
            Some(Outcome::UpToDate) => {
                return Ok(BackfillSummary {
                    up_to_date: true,
                    ..follower_summary(args, 0, started)
                })
            }
            _ => {}
        }
        if let Some(e) = &r.error {
            return Err(TickflowError::Output {
                path: args.output.display().to_string(),
                message: e.clone(),
            });
        }
        rows_out += r.rows;
    }
    if !sh.board.ended() {
        return Err(TickflowError::Runtime(
            "process 0 stopped the run before its end (its log says why); restart every process to resume".into(),
        ));
    }
    Ok(follower_summary(args, rows_out, started))
}

fn follower_summary(args: &BackfillArgs, rows_out: u64, started: Instant) -> BackfillSummary {
    BackfillSummary {
        rows_in: 0,
        rows_out,
        store_rows: 0,
        rejected: BTreeMap::new(),
        duplicates: 0,
        corrections: 0,
        partitions: BTreeMap::new(),
        columns: Vec::new(),
        spilled: false,
        skipped: 0,
        revisions: None,
        resumed_after: None,
        up_to_date: false,
        seconds: started.elapsed().as_secs_f64(),
        process: args.cluster.process,
    }
}

enum Prepared {
    Run(Box<Plan>),
    UpToDate(BackfillSummary),
}

/// Process 0's plan for a run that has work to do.
struct Plan {
    manifest: crate::durable::manifest::Manifest,
    opened_after: Option<i64>,
    schema: OutputSchema,
    plan: InputPlan,
    files: Vec<PathBuf>,
    options: CsvOptions,
    ts: TsParser,
    sectors: SectorSchedule,
    universe: Option<Universe>,
    actions: Actions,
    market: Option<Market>,
    restored: crate::durable::restore::Restored,
    first_epoch: u64,
    /// The checkpoint whose states this run ends with (it has no new bars).
    reuse: Option<u64>,
}

/// Checks the config, scans the input and opens the store.
fn prepare(args: &BackfillArgs, started: Instant) -> Result<Prepared> {
    let engine = Arc::new(FeatureEngine::new(&args.config.feature_set())?);
    let cs = &args.config.cross_section;
    CrossSectionKernel::new(cs.options())?;
    args.config.sink.validate()?;
    resolve_cross_columns(&engine, &cs.features)?;
    let value_columns = value_column_names(&engine, &cs.features);

    let files = expand_inputs(&args.inputs)?;
    let options = CsvOptions {
        mapping: args.mapping.clone(),
        default_symbol: args.default_symbol.clone(),
    };
    let ts = TsParser::new(args.tz.as_deref())?;
    let reference_error = |p: &Path, message: String| TickflowError::Config {
        path: p.display().to_string(),
        message,
    };
    let sectors = match &args.sectors {
        Some(p) => SectorSchedule::read(p, &ts).map_err(|m| reference_error(p, m))?,
        None => SectorSchedule::default(),
    };
    let universe = match &args.universe {
        Some(p) => Some(Universe::read(p, &ts).map_err(|m| reference_error(p, m))?),
        None => None,
    };
    let listed = match &args.actions {
        Some(p) => Actions::read(p, &ts).map_err(|m| reference_error(p, m))?,
        None => Vec::new(),
    };
    // A market series matters only to features paired with it.
    let market_path = args.market.as_deref().filter(|_| engine.needs_market());
    let market = match market_path {
        Some(p) => Some(Market::read(p, &ts).map_err(|m| reference_error(p, m))?),
        None if engine.needs_market() => {
            return Err(TickflowError::Config {
                path: "features".into(),
                message: market_needed(&engine),
            })
        }
        None => None,
    };
    let fingerprint = |p: &Path| {
        InputFingerprint::of(p).map_err(|e| TickflowError::Config {
            path: p.display().to_string(),
            message: e.to_string(),
        })
    };
    let sectors_print = args.sectors.as_deref().map(fingerprint).transpose()?;
    let universe_print = args.universe.as_deref().map(fingerprint).transpose()?;
    let market_print = market_path.map(fingerprint).transpose()?;
    // The inputs' fingerprints (a read of every byte) beside the scan of
    // their keys (another read): both before the store is opened.
    let prints = || {
        files
            .iter()
            .map(|p| fingerprint(p))
            .collect::<Result<Vec<_>>>()
    };
    let (inputs, plan) = std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name("tickflow-fingerprint".into())
            .spawn_scoped(s, prints);
        let plan = scan(&files, &options, &ts, &sectors, true);
        let inputs = match thread {
            Ok(thread) => thread.join().unwrap_or_else(|_| {
                Err(TickflowError::Config {
                    path: "inputs".into(),
                    message: "the fingerprint thread panicked".into(),
                })
            }),
            // no thread: read them here
            Err(_) => prints(),
        };
        (inputs, plan)
    });
    let inputs = inputs?;
    let mut plan = plan?;
    if let (Some(m), Some(p)) = (&market, market_path) {
        m.check_kind(plan.ts_kind)
            .map_err(|m| reference_error(p, m))?;
    }
    let identity = store::identity(
        args,
        &engine,
        sectors_print.as_ref(),
        universe_print.as_ref(),
    );
    let opened = store::open(
        args,
        identity.clone(),
        inputs,
        &engine,
        (&listed, market_print.as_ref()),
    )?;
    if let Some(note) = &opened.note {
        if args.progress {
            eprintln!("{note}");
        }
    }
    // the universe's copy, for an append under another one to compare with
    if let (Some(path), Some(print)) = (&args.universe, &universe_print) {
        crate::revise::universe::keep(&args.output, path, print)?;
    }
    let mut manifest = opened.manifest;
    let (mut restored, mut first_epoch) = (opened.restored, opened.first_epoch);
    // an append reads the checkpoint's states only if it needs them
    let mut lazy = opened.lazy;
    let restore = |c: &CheckpointRef| restore_states(&args.output, c, &engine);
    if opened.up_to_date {
        let run = &manifest.runs[0];
        return Ok(Prepared::UpToDate(BackfillSummary {
            rows_in: 0,
            rows_out: 0,
            store_rows: manifest.rows_out,
            rejected: BTreeMap::new(),
            duplicates: run.duplicates,
            corrections: run.corrections,
            partitions: manifest.partitions.clone(),
            columns: manifest.columns.clone(),
            spilled: false,
            skipped: 0,
            revisions: None,
            resumed_after: None,
            up_to_date: true,
            seconds: started.elapsed().as_secs_f64(),
            process: 0,
        }));
    }
    let ts_name = crate::durable::manifest::ts_name(plan.ts_kind);
    if opened.after.is_some() && manifest.ts != ts_name {
        return Err(TickflowError::Store {
            path: args.output.display().to_string(),
            message: format!(
                "the store's bar times are {}, the input's are {ts_name}",
                manifest.ts
            ),
        });
    }
    manifest.ts = ts_name.into();
    // Actions new to the store revise its bars; every known one adjusts
    // the input's.
    let new_actions: Vec<Action> = match opened.after {
        Some(_) => crate::reference::actions::new_to(&manifest.actions, &listed)
            .map_err(|m| store_error(&args.output, m))?,
        None => {
            manifest.actions.clear();
            listed
        }
    };
    manifest.actions.extend(new_actions.iter().cloned());
    let actions = Actions::new(manifest.actions.iter().cloned());
    // A market series other than the store's replays every stored symbol.
    let market_changed = opened.after.is_some()
        && !InputFingerprint::same_optional(manifest.market.as_ref(), market_print.as_ref());
    manifest.market = market_print;
    if let (true, Some(after)) = (args.append, opened.after) {
        let revisions = crate::revise::collect(
            &files,
            &options,
            &ts,
            (&sectors, &actions),
            (plan.ts_kind, after),
        )?;
        // a new sector schedule moves stored rows to other sectors, a new
        // universe changes the members of stored cross-sections
        let was = opened.stored_identity.as_ref().unwrap_or(&identity);
        let reference = crate::revise::reference::changes(
            &args.output,
            (was, &identity),
            (&sectors, universe.as_ref()),
            &ts,
            plan.ts_kind,
        )?;
        let (sectors_changed, universe_changed) = (reference.sectors, reference.universe);
        manifest.identity = identity;
        let reference_changed = sectors_changed || universe_changed;
        if !revisions.is_empty() || !new_actions.is_empty() || market_changed || reference_changed {
            if let (true, Some(c)) = (market_changed, lazy) {
                restored = restore(&c)?;
                lazy = None;
            }
            // the revised symbols' kept states, to replay from
            let read;
            let histories = match lazy {
                Some(c) => {
                    let names: HashSet<&str> = (revisions.iter().map(|r| r.symbol.as_str()))
                        .chain(new_actions.iter().map(|a| a.symbol.as_str()))
                        .collect();
                    read = history::read_all(&args.output, (c.epoch, c.workers), |s| {
                        names.contains(s)
                    })
                    .map_err(|e| store_error(&args.output, format!("damaged checkpoint: {e}")))?;
                    &read
                }
                None => &restored.histories,
            };
            let mut everyone: Vec<String> = match market_changed {
                true => restored.states.keys().cloned().collect(),
                false => reference.whole,
            };
            everyone.sort();
            let changes = crate::revise::Changes {
                revisions,
                actions: new_actions,
                whole: everyone,
                market: market_changed,
                ..reference
            };
            let applied = revise(
                args,
                &engine,
                &mut manifest,
                changes,
                (plan.ts_kind, histories),
                (universe.as_ref(), market.as_ref()),
                sectors_changed.then_some(&sectors),
            )?;
            if let Some(r) = applied.record {
                if args.progress {
                    eprintln!("{}", r.describe());
                }
                if lazy.is_none() {
                    restored.extend(applied.restored);
                }
                first_epoch = manifest.checkpoint.map_or(first_epoch, |c| c.epoch + 1);
            }
        }
    }
    if let Some(after) = opened.after {
        plan.times.retain(|&(t, _)| t > after);
    }
    // Without a bar after the store's end the states stay the checkpoint's:
    // the run's checkpoints link its files (with the same workers).
    let peers = args.workers.max(1) * args.cluster.processes;
    let reuse = (manifest.checkpoint)
        .filter(|_| opened.after.is_some() && plan.times.is_empty())
        .filter(|c| c.workers == peers && args.cluster.is_single())
        .map(|c| c.epoch);
    if let (Some(c), None) = (manifest.checkpoint.filter(|_| lazy.is_some()), reuse) {
        restored = restore(&c)?;
    }
    // Symbols of the checkpoint join the input's, so their states carry on
    // (and reach the next checkpoint) even without new bars.
    if !restored.states.is_empty() {
        let mut all = plan.symbols.clone();
        for symbol in restored.states.keys() {
            all.intern(symbol);
        }
        plan.symbols = all.sorted();
    }
    let schema = OutputSchema::new(plan.ts_kind, value_columns, args.config.sink.float32);
    manifest.columns = schema.column_names();
    Ok(Prepared::Run(Box::new(Plan {
        manifest,
        opened_after: opened.after,
        schema,
        plan,
        files,
        options,
        ts,
        sectors,
        universe,
        actions,
        market,
        restored,
        first_epoch,
        reuse,
    })))
}

/// The features paired with the market, for errors.
pub fn market_columns(engine: &FeatureEngine) -> String {
    let paired: Vec<&str> = engine
        .columns()
        .iter()
        .filter(|c| engine.pairs_with_market(c))
        .map(String::as_str)
        .collect();
    paired.join(", ")
}

fn market_needed(engine: &FeatureEngine) -> String {
    format!(
        "{} pair returns with the market series: pass --market FILE (an index's `date,close`, or `date,ret_1` as `tickflow market` writes for a panel's equal-weight mean)",
        market_columns(engine)
    )
}

/// Applies an append's revisions of bars already in the store (see
/// [`crate::revise`]), known from now.
fn revise(
    args: &BackfillArgs,
    engine: &FeatureEngine,
    manifest: &mut crate::durable::manifest::Manifest,
    changes: crate::revise::Changes,
    (ts_kind, histories): (TsKind, &HashMap<String, History>),
    (universe, market): (Option<&Universe>, Option<&Market>),
    sectors: Option<&SectorSchedule>,
) -> Result<crate::revise::Applied> {
    if args.config.sink.float32 {
        return Err(TickflowError::Store {
            path: args.output.display().to_string(),
            message: format!(
                "{} bars of the input and {} corporate actions revise bars already in the store, and an f32 store cannot recompute its cross-sections exactly; rebuild it with every input",
                changes.revisions.len(),
                changes.actions.len()
            ),
        });
    }
    let under = crate::revise::Under {
        ts_kind,
        histories,
        universe,
        market,
        sectors,
    };
    crate::revise::apply_now(
        (&args.output, engine, &args.config),
        under,
        manifest,
        changes,
    )
}

/// Process 0: reads the input, runs its workers, writes the manifest at
/// every completed checkpoint.
fn lead(args: &BackfillArgs, p: Plan, started: Instant) -> Result<BackfillSummary> {
    let Plan {
        mut manifest,
        opened_after,
        schema,
        plan,
        files,
        options,
        ts,
        sectors,
        universe,
        actions,
        market,
        restored,
        first_epoch,
        reuse,
    } = p;
    let rows_before = manifest.rows_out;
    let workers = args.workers.max(1);
    let peers = workers * args.cluster.processes;
    let progress = Arc::new(Progress::new(plan.keyed_rows(), args.progress));
    let mut sh = shared(args);
    sh.after = opened_after;
    sh.reuse = reuse;
    let abort = sh.abort.clone();

    // Every worker's start, with the states of the symbols it owns.
    let config = serde_json::to_string(&args.config).map_err(|e| TickflowError::Config {
        path: "config".into(),
        message: e.to_string(),
    })?;
    let restored = crate::durable::restore::distribute(restored, peers, |s| {
        plan.symbols.get(s).expect("interned above")
    });
    let starts = restored
        .into_iter()
        .map(|restored| Start {
            outcome: Outcome::Run,
            config: config.clone(),
            workers,
            micros: plan.ts_kind == TsKind::Micros,
            symbols: plan.symbols.names().to_vec(),
            sectors: plan.sectors.names().to_vec(),
            first_seq: manifest.next_seq,
            first_epoch,
            restored,
            universe: universe.clone(),
            market: market.clone(),
        })
        .collect();
    *sh.starts.lock().expect("not poisoned") = Some(starts);

    // The input thread.
    let (tx, rx) = sync_channel::<Block>(2);
    *sh.blocks.lock().expect("not poisoned") = Some(rx);
    let run_index = manifest.runs.len();
    let reader = {
        let (files, plan, abort, progress) =
            (files.clone(), plan.clone(), abort.clone(), progress.clone());
        let (max_rate, tuning, after) = (args.max_reject_rate, args.tuning, opened_after);
        let rejects_name = match run_index {
            1 => "_rejects.csv".to_string(),
            n => format!("_rejects.run-{n:03}.csv"),
        };
        let (rejects_path, spill_dir) = (
            args.output.join(rejects_name),
            args.output.join(".spill.tmp"),
        );
        std::thread::Builder::new()
            .name("tickflow-input".into())
            .spawn(move || {
                let source = Source {
                    files: &files,
                    options: &options,
                    ts: &ts,
                    sectors: &sectors,
                    actions: &actions,
                    plan: &plan,
                    peers,
                    max_rejects: (max_rate * plan.rows as f64) as u64,
                    tuning,
                    rejects_path: &rejects_path,
                    spill_dir: &spill_dir,
                    after,
                };
                let report = source.run(&tx, &abort, &progress);
                if report.is_err() {
                    abort.store(true, Ordering::SeqCst);
                }
                report
            })
            .map_err(|e| TickflowError::Runtime(format!("starting the input thread: {e}")))?
    };

    let sh = Arc::new(sh);
    let board = sh.board.clone();
    let running = {
        let (args, sh) = (args.clone(), sh.clone());
        std::thread::Builder::new()
            .name("tickflow-workers".into())
            .spawn(move || execute(&args, sh))
            .map_err(|e| TickflowError::Runtime(format!("starting the workers: {e}")))?
    };

    // Every completed epoch becomes the manifest's checkpoint.
    let root = &args.output;
    let base = manifest.current_run().clone();
    let mut outcome: Result<()> = Ok(());
    while let Some((epoch, report)) = board.wait() {
        if outcome.is_err() {
            continue;
        }
        manifest.record_epoch(epoch, report.files, report.last_ts, peers);
        let run = manifest.current_run();
        run.duplicates = base.duplicates + report.duplicates;
        run.corrections = base.corrections + report.corrections;
        outcome = manifest.save(root).and_then(|()| {
            board.mark_durable();
            failpoint::hit("after_manifest");
            drop_checkpoints_before(root, &manifest)
        });
        if outcome.is_err() {
            abort.store(true, Ordering::SeqCst);
            board.fail("the manifest could not be written".into());
        }
    }
    let results = running
        .join()
        .map_err(|_| TickflowError::Runtime("the worker thread panicked".into()))?;
    let (mut final_epoch, mut error) = (None, None);
    let results = match results {
        Ok(results) => results,
        Err(e) => {
            error = Some(e.to_string());
            Vec::new()
        }
    };
    for r in results {
        final_epoch = final_epoch.or(r.final_epoch);
        error = error.or(r.error);
    }
    progress.finish();
    let report: SourceReport = reader
        .join()
        .map_err(|_| TickflowError::Runtime("the input thread panicked".into()))??;
    let failure = error.or(board.failed());
    if failure.is_some() || outcome.is_err() {
        // Files no manifest lists go now (the next run would remove them).
        for f in board.orphaned_files() {
            let _ = std::fs::remove_file(root.join(&f.path));
        }
    }
    outcome?;
    if let Some(e) = failure {
        return Err(TickflowError::Output {
            path: root.display().to_string(),
            message: e,
        });
    }
    let rejected = report.counts.total();
    // The input thread stops at this count; the check covers that case too.
    check_reject_rate(rejected, plan.rows, args.max_reject_rate)?;
    let final_epoch = final_epoch.ok_or_else(|| {
        TickflowError::Runtime("the input ended without a final checkpoint".into())
    })?;
    if manifest.checkpoint.map(|c| c.epoch) != Some(final_epoch) {
        return Err(TickflowError::Runtime(format!(
            "the final checkpoint {final_epoch} did not complete"
        )));
    }
    let rejected_by_reason: BTreeMap<String, u64> = report
        .counts
        .by_reason()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let run = manifest.current_run();
    run.complete = true;
    run.rows_in = report.rows;
    run.rejected = rejected_by_reason.clone();
    run.skipped = report.skipped;
    let (duplicates, corrections, revisions) = (run.duplicates, run.corrections, run.revisions);
    manifest.complete = true;
    manifest.save(root)?;
    Ok(BackfillSummary {
        rows_in: report.rows,
        rows_out: manifest.rows_out - rows_before,
        store_rows: manifest.rows_out,
        rejected: rejected_by_reason,
        duplicates,
        corrections,
        partitions: manifest.partitions.clone(),
        columns: schema.column_names(),
        spilled: report.spilled,
        skipped: report.skipped,
        revisions,
        resumed_after: opened_after,
        up_to_date: false,
        seconds: started.elapsed().as_secs_f64(),
        process: 0,
    })
}
