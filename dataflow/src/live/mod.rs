//! `tickflow live`: a Kafka topic of bars through the backfill's operators
//! into the same partitioned store, with event-time frontiers.
//!
//! Each timely worker consumes its share of the topic's partitions
//! ([`feed`]); a bar is held until its worker's frontier (the smallest
//! watermark of its active partitions, see [`Watermarks`]) passes its time,
//! then sent into the dataflow at that time. Timely's frontier, the minimum
//! over the workers, then releases each bar time's cross-section, which the
//! rolling sink writes as a complete file at once. Bars behind the frontier
//! are late and go to `_late_bars.csv`; messages that are not bars go to the
//! dead-letter output.
//!
//! In a cluster (`--processes`), every process runs the same command:
//! process 0 opens the store and hands each worker its start, the topic's
//! partitions are spread over all workers of all processes, and the other
//! processes' checkpoint reports reach process 0 through the dataflow
//! ([`crate::cluster`]). Worker 0 decides when the run ends.
//!
//! The run checkpoints like a backfill (see [`crate::durable`]): at a cut
//! (a frontier of worker 0) every worker snapshots its indicator states,
//! completes its files and records where its partitions stand; the main
//! thread then writes the manifest, with those positions, and only then
//! commits the offsets to Kafka. The same command after a crash resumes
//! from the manifest's positions (the committed offsets are only a hint).

mod clock;
mod control;
pub mod corrections;
mod epochs;
mod feed;
mod labels;
mod lag;
mod market;
mod pending;
mod side;
mod start;
mod store;
mod symbols;
mod watermark;
mod worker;

pub use clock::FrontierClock;
pub use feed::FeedShared;
pub use pending::Pending;
pub use side::{side_file, DeadLetterTarget, SideOutputs};
pub use start::LiveStart;
pub use watermark::Watermarks;

use crate::cluster::Cluster;
use crate::config::PipelineConfig;
use crate::durable::board::Board;
use crate::durable::{CheckpointPolicy, InputFingerprint};
use crate::error::{Result, TickflowError};
use crate::metrics;
use crate::names::Names;
use crate::reference::universe::Members;
use crate::reference::watch::{ReferenceWatch, Watched};
use crate::reference::{SectorSchedule, Universe};
use crate::schema::OutputSchema;
use labels::LabelWriter;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tickflow_connectors::kafka::{BarConsumer, KafkaConfig, MessageFormat};
use tickflow_connectors::TsKind;
use tickflow_operators::cross_section::CrossSectionKernel;
use tickflow_operators::FeatureEngine;

/// Everything a live run needs.
#[derive(Debug, Clone)]
pub struct LiveArgs {
    /// Brokers, topic, group, client settings.
    pub kafka: KafkaConfig,
    /// The store.
    pub output: PathBuf,
    /// Features, cross-sections, sink options.
    pub config: PipelineConfig,
    /// Timely worker threads.
    pub workers: usize,
    /// How bar messages are encoded.
    pub format: MessageFormat,
    /// Zone of naive intraday timestamps.
    pub tz: Option<String>,
    /// A `symbol,sector[,from]` file.
    pub sectors: Option<PathBuf>,
    /// A `symbol,from,to` universe file.
    pub universe: Option<PathBuf>,
    /// A `symbol,date,kind,factor` corporate actions file.
    pub actions: Option<PathBuf>,
    /// The topic's symbol whose bars are the market series that `beta`
    /// and `corr` pair every symbol with.
    pub market_symbol: Option<String>,
    /// Allowed lateness behind a partition's newest bar.
    pub lateness: Duration,
    /// A partition silent this long stops holding the frontier back.
    pub idle_timeout: Duration,
    /// End the run after this long without messages.
    pub idle_exit: Option<Duration>,
    /// Publish each output row as JSON to this topic.
    pub features_topic: Option<String>,
    /// Publish each bar time's `[[signal]]` portfolios to this topic.
    pub signals_topic: Option<String>,
    /// Forward-return label horizons (bars), written to `labels/`.
    pub labels: Option<Vec<usize>>,
    /// At most this often a labels rewrite after a checkpoint.
    pub labels_interval: Duration,
    /// Where messages that are not bars go.
    pub dead_letter: DeadLetterTarget,
    /// How long to wait for the topic to exist.
    pub topic_wait: Duration,
    /// How often to checkpoint (and then commit offsets).
    pub checkpoint: CheckpointPolicy,
    /// At most this often a run that read late bars pauses to apply them
    /// as corrections (`None`: at its end and the next start only).
    pub corrections: Option<Duration>,
    /// This process's place in a cluster (one process by default).
    pub cluster: Cluster,
}

/// What a live run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveSummary {
    /// Valid bars taken into the dataflow.
    pub rows_in: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Bars behind the frontier.
    pub late: u64,
    /// Late bars applied to the store as corrections (this run's, and
    /// those an earlier run left).
    pub late_applied: u64,
    /// Rows the corrections gave a new version.
    pub rows_revised: u64,
    /// What each revision of the store did, in words.
    pub corrections: Vec<String>,
    /// Messages that were not bars.
    pub dead_letters: u64,
    /// Rows per partition.
    pub partitions: BTreeMap<String, u64>,
    /// From a worker's frontier passing a bar time to every row below it
    /// being in the store: median and 99th percentile, in milliseconds.
    pub latency_ms: Option<(f64, f64)>,
    /// From the frontier passing a bar time to its cross-section computed
    /// (out of the cross-section operator): median and 99th percentile, in
    /// milliseconds.
    pub cs_latency_ms: Option<(f64, f64)>,
    /// Bars whose rows were computed ahead of the frontier, and of those,
    /// bars computed again when it passed (out of order, second copies).
    pub computed_ahead: (u64, u64),
    /// Bar times whose cross-section was computed ahead of the frontier
    /// and went out as it was, and bar times with a cross-section.
    pub cross_sections_ahead: (u64, u64),
    /// The labels written at the end (`--labels`).
    pub labels: Option<crate::labels::LabelsSummary>,
    /// Wall time.
    pub seconds: f64,
    #[serde(skip)]
    latencies: Vec<f64>,
    #[serde(skip)]
    cs_latencies: Vec<f64>,
    /// Worker 0 paused the run to apply late bars: run again.
    #[serde(skip)]
    again: bool,
    /// Where the pause found the frontier (worker 0's).
    #[serde(skip)]
    paused_at: Option<i64>,
}

impl LiveSummary {
    fn corrected(&mut self, c: &corrections::Corrected) {
        let said = c.describe();
        eprintln!("{said}");
        self.corrections.push(said);
        self.late_applied += c.late as u64;
        self.rows_revised += c.record.map_or(0, |r| r.rows);
    }
}

/// A worker with no active partition publishes this: it holds nothing back.
const IDLE: i64 = i64::MAX;

/// The timely time of a bar time: order-preserving.
fn time_of(ts: i64) -> u64 {
    (ts as u64) ^ (1 << 63)
}

/// The bar time of a timely time.
fn ts_of(time: u64) -> i64 {
    (time ^ (1 << 63)) as i64
}

fn unix_seconds(kind: TsKind, ts: i64) -> f64 {
    match kind {
        TsKind::Date => ts as f64 * 86_400.0,
        TsKind::Micros => ts as f64 / 1e6,
    }
}

/// Checks before reading the topic that there are signals to publish and
/// that the pipeline computes every column they read.
fn check_signals(signals: &[crate::backtest::SignalConfig], columns: &[String]) -> Result<()> {
    if signals.is_empty() {
        return Err(TickflowError::Config {
            path: "--signals-topic".into(),
            message: "the config defines no signal; add a [[signal]] table (see the README's \
                      Backtests)"
                .into(),
        });
    }
    let schema = OutputSchema::new(TsKind::Date, columns.to_vec(), false);
    for s in signals {
        crate::ops::LiveSignal::new(s, &schema)?;
    }
    Ok(())
}

/// What every process computes from its own flags before the run.
struct Prepared {
    engine: Arc<FeatureEngine>,
    cs_columns: Vec<usize>,
    columns: Vec<String>,
    identity: serde_json::Value,
    sectors: SectorSchedule,
    universe: Option<Arc<Universe>>,
    actions: Vec<crate::reference::Action>,
    ts: tickflow_connectors::TsParser,
    /// The reference files as read, for worker 0 to notice a change.
    references: Vec<(PathBuf, InputFingerprint)>,
    /// The universe file as read, for the store's copy of it.
    universe_print: Option<InputFingerprint>,
    /// The reference topics as read, likewise.
    topics: Vec<crate::reference::topic::TopicRead>,
    market_symbol: Option<String>,
}

impl Prepared {
    fn corrector<'a>(&'a self, config: &'a PipelineConfig) -> corrections::Corrector<'a> {
        corrections::Corrector {
            engine: &self.engine,
            config,
            identity: &self.identity,
            sectors: &self.sectors,
            universe: self.universe.as_deref(),
            actions: &self.actions,
            ts: &self.ts,
            market_symbol: self.market_symbol.as_deref(),
        }
    }
}

fn prepare(args: &LiveArgs, topics: Vec<crate::reference::topic::TopicRead>) -> Result<Prepared> {
    let engine = Arc::new(FeatureEngine::new(&args.config.feature_set())?);
    if engine.needs_market() && args.market_symbol.is_none() {
        return Err(TickflowError::Config {
            path: "features".into(),
            message: format!(
                "{} pair returns with a market series: pass --market-symbol SYMBOL, a symbol of the topic whose bars are the market (an index or ETF)",
                crate::backfill::market_columns(&engine)
            ),
        });
    }
    if args.market_symbol.is_some() && args.config.sink.float32 {
        return Err(TickflowError::Config {
            path: "--market-symbol".into(),
            message: "an f32 store cannot give back the market's closes exactly on restart; use a float64 store".into(),
        });
    }
    let cs = &args.config.cross_section;
    CrossSectionKernel::new(cs.options())?;
    args.config.sink.validate()?;
    let cs_columns = crate::backfill::resolve_cross_columns(&engine, &cs.features)?;
    let columns = crate::backfill::value_column_names(&engine, &cs.features);
    let kafka_error = |m: String| TickflowError::Config {
        path: "kafka".into(),
        message: m,
    };
    if args.signals_topic.is_some() {
        check_signals(&args.config.signals, &columns)?;
    }
    if let Some(h) = &args.labels {
        crate::labels::check_horizons(h)?;
    }
    let topic = args.kafka.topic().map_err(kafka_error)?.to_string();
    args.kafka.brokers().map_err(kafka_error)?;
    if args.kafka.group.is_none() {
        return Err(kafka_error(
            "no consumer group: pass --group NAME or set kafka.group".into(),
        ));
    }
    let config_error = |p: &PathBuf, message: String| TickflowError::Config {
        path: p.display().to_string(),
        message,
    };
    let print = |p: &Option<PathBuf>| match p {
        Some(p) => InputFingerprint::of(p)
            .map(Some)
            .map_err(|e| config_error(p, e.to_string())),
        None => Ok(None),
    };
    let prints = (print(&args.sectors)?, print(&args.universe)?);
    let references: Vec<(PathBuf, InputFingerprint)> = [
        (&args.sectors, &prints.0),
        (&args.universe, &prints.1),
        (&args.actions, &print(&args.actions)?),
    ]
    .into_iter()
    .filter_map(|(p, f)| Some((p.clone()?, f.clone()?)))
    .collect();
    let identity = store::identity(
        args,
        &engine,
        &topic,
        (prints.0.as_ref(), prints.1.as_ref()),
    );
    let ts = tickflow_connectors::TsParser::new(args.tz.as_deref())?;
    let sectors = match &args.sectors {
        Some(p) => SectorSchedule::read(p, &ts).map_err(|m| config_error(p, m))?,
        None => SectorSchedule::default(),
    };
    let universe = match &args.universe {
        Some(p) => Some(Arc::new(
            Universe::read(p, &ts).map_err(|m| config_error(p, m))?,
        )),
        None => None,
    };
    let actions = match &args.actions {
        Some(p) => crate::reference::Actions::read(p, &ts).map_err(|m| config_error(p, m))?,
        None => Vec::new(),
    };
    Ok(Prepared {
        engine,
        cs_columns,
        columns,
        identity,
        sectors,
        universe,
        actions,
        ts,
        references,
        universe_print: prints.1,
        topics,
        market_symbol: args.market_symbol.clone(),
    })
}

/// Process 0's store, opened, and every worker's start.
struct Opened {
    manifest: crate::durable::manifest::Manifest,
    starts: Vec<LiveStart>,
}

/// Opens (or resumes) the store, makes sure the output topics exist, and
/// plans every worker's start.
fn open(
    args: &LiveArgs,
    p: &Prepared,
    summary: &mut LiveSummary,
    forced_from: Option<i64>,
) -> Result<Opened> {
    // The universe's copy, for a later run under another one to compare
    // with: kept before the store can take the universe as its own.
    if let (Some(path), Some(print)) = (&args.universe, &p.universe_print) {
        crate::revise::universe::keep(&args.output, path, print)?;
    }
    let opened = store::open(
        &args.output,
        p.identity.clone(),
        &p.engine,
        &p.corrector(&args.config),
    )?;
    if let Some(c) = &opened.corrected {
        summary.corrected(c);
    }
    match (&opened.note, &opened.positions) {
        (Some(note), _) => eprintln!("{note}"),
        (None, None) => eprintln!(
            "a new store: reading from the group's committed offsets (the earliest for a new group)"
        ),
        (None, Some(_)) => {}
    }
    let partitions = BarConsumer::partition_count(&args.kafka, args.topic_wait)?;
    // Output topics get the input's partition count (tansu and many
    // clusters do not create topics on first use).
    let dead_letter_topic = match &args.dead_letter {
        DeadLetterTarget::Topic(t) => Some(t),
        DeadLetterTarget::File(_) => None,
    };
    let outputs = args.features_topic.iter().chain(&args.signals_topic);
    for t in outputs.chain(dead_letter_topic) {
        tickflow_connectors::kafka::ensure_topic(&args.kafka, t, partitions)?;
    }
    let workers = args.workers.max(1);
    let peers = workers * args.cluster.processes;
    let names = Names::default();
    let restored =
        crate::durable::restore::distribute(opened.restored, peers, |s| names.symbol_id(s));
    let symbols = names.with(|s, _| s.names().to_vec());
    let manifest = opened.manifest;
    let kind = crate::durable::manifest::ts_kind_of(&manifest.ts);
    let micros = kind.map(|k| k == TsKind::Micros);
    let last_ts = manifest.checkpoint.and_then(|c| c.last_ts);
    let market_level = match (&args.market_symbol, kind, last_ts) {
        (Some(s), Some(kind), Some(last)) => market::last_level(&args.output, s, kind, last)?,
        _ => None,
    };
    let starts = restored
        .into_iter()
        .map(|restored| LiveStart {
            failed: None,
            identity: p.identity.to_string(),
            workers,
            partitions,
            micros,
            symbols: symbols.clone(),
            first_seq: manifest.next_seq,
            first_epoch: opened.first_epoch,
            positions: opened.positions.clone(),
            actions: manifest.actions.clone(),
            market_level,
            forced_from,
            restored,
        })
        .collect();
    Ok(Opened { manifest, starts })
}

/// Runs until worker 0's `--idle-exit` (or forever): starts a store, or
/// resumes this output directory's from its last checkpoint. In a cluster
/// process 0 opens the store, hands every worker its start and writes the
/// manifest; the other processes run their workers' share (their topic
/// partitions, their symbols' features, their bar times' cross-sections).
/// Late bars are applied as corrections ([`corrections`]) at the start,
/// whenever worker 0 pauses the run for them, and at the end.
pub fn run(args: &LiveArgs) -> Result<LiveSummary> {
    let started = Instant::now();
    small_pages();
    let cluster = &args.cluster;
    if !cluster.is_single() {
        crate::cluster::peers::watch(&cluster.addresses);
    }
    let labels = match (&args.labels, cluster.process) {
        (Some(h), 0) => Some(RefCell::new(LabelWriter::new(
            args.output.clone(),
            h.clone(),
            args.labels_interval,
        ))),
        _ => None,
    };
    let mut summary = LiveSummary::default();
    let (manifest, prepared, stretch) = loop {
        // Every stretch reads the reference files (and topics) anew: a
        // pause may be for a changed one.
        let mut stretch = args.clone();
        let s = &mut stretch;
        let read = crate::reference::topic::resolve(
            &args.kafka,
            &args.output,
            cluster.process,
            [&mut s.sectors, &mut s.universe, &mut s.actions],
        );
        let prepared = match read.and_then(|topics| prepare(&stretch, topics)) {
            Ok(p) => p,
            Err(e) => {
                if cluster.process == 0 && !cluster.is_single() {
                    // The other processes wait for a start: they stop with this error.
                    let _ = tell_followers(args, e.to_string());
                }
                return Err(e);
            }
        };
        let forced_from = summary.paused_at.take();
        let manifest = segment(
            &stretch,
            &prepared,
            (labels.as_ref(), forced_from),
            &mut summary,
        )?;
        if !std::mem::take(&mut summary.again) {
            break (manifest, prepared, stretch);
        }
    };
    let m = metrics::global();
    summary.rows_in = m.rows_in.get();
    summary.rows_out = summary.partitions.values().sum();
    summary.late = m.late_bars.get();
    summary.dead_letters = m.dead_letters.get();
    summary.latency_ms = median_p99(&mut summary.latencies);
    summary.cs_latency_ms = median_p99(&mut summary.cs_latencies);
    if let Some(mut manifest) = manifest {
        // The late bars of the run's last stretch.
        if let Some(c) = prepared
            .corrector(&stretch.config)
            .apply(&stretch.output, &mut manifest)?
        {
            summary.corrected(&c);
        }
        if let Some(l) = labels {
            if !manifest.files.is_empty() {
                summary.labels = Some(l.into_inner().finish()?);
            }
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Process 0's watch on the stretch's reference inputs, when the run
/// pauses for corrections.
fn watch(args: &LiveArgs, prepared: &Prepared) -> Option<ReferenceWatch> {
    let every = args.corrections.filter(|_| args.cluster.process == 0)?;
    let watched = Watched {
        files: prepared.references.clone(),
        topics: prepared.topics.clone(),
    };
    let any = !watched.files.is_empty() || !watched.topics.is_empty();
    any.then(|| ReferenceWatch::start(watched, &args.kafka, every))
}

/// One stretch of a run, from opening (or resuming) the store to worker
/// 0's stop: at `--idle-exit` (the end), or a pause to apply late bars
/// (`summary.again`). Returns process 0's manifest, saved complete.
fn segment(
    args: &LiveArgs,
    prepared: &Prepared,
    (labels, forced_from): (Option<&RefCell<LabelWriter>>, Option<i64>),
    summary: &mut LiveSummary,
) -> Result<Option<crate::durable::manifest::Manifest>> {
    let cluster = &args.cluster;
    let workers = args.workers.max(1);
    let opened = match cluster.process {
        0 => match open(args, prepared, summary, forced_from) {
            Ok(o) => Some(o),
            Err(e) => {
                if !cluster.is_single() {
                    // The other processes wait for a start: they stop with this error.
                    let _ = tell_followers(args, e.to_string());
                }
                return Err(e);
            }
        },
        _ => None,
    };
    let m = metrics::global();
    let before = (m.rows_in.get(), rejected_counts());
    let ts_kind = Arc::new(OnceLock::new());
    let board = Arc::new(Board::cluster(workers, cluster.processes, cluster.process).with_feeds());
    let (mut manifest, starts) = match opened {
        Some(o) => (Some(o.manifest), Some(o.starts)),
        None => (None, None),
    };
    let cx = Arc::new(worker::Context {
        args: args.clone(),
        cluster: cluster.clone(),
        cs_options: args.config.cross_section.options(),
        engine: prepared.engine.clone(),
        cs_columns: prepared.cs_columns.clone(),
        columns: prepared.columns.clone(),
        identity: prepared.identity.clone(),
        sectors: prepared.sectors.clone(),
        watch: watch(args, prepared),
        members: (prepared.universe.clone()).map(|u| Members::new(u, ts_kind.clone())),
        ts_kind: ts_kind.clone(),
        abort: AtomicBool::new(false),
        clock: Arc::new(FrontierClock::new(workers)),
        board: board.clone(),
        starts: Mutex::new(starts),
        begun: Mutex::new(None),
    });
    let cx2 = cx.clone();
    let columns = &prepared.columns;
    let record = || -> Result<()> {
        let Some(manifest) = manifest.as_mut() else {
            return Ok(());
        };
        let committer = BarConsumer::assign(&args.kafka, &[])?;
        let recorded = epochs::record(
            &epochs::Recorder {
                board: &board,
                root: &args.output,
                workers: workers * cluster.processes,
                committer: &committer,
                ts_kind: &ts_kind,
                columns,
                float32: args.config.sink.float32,
                labels,
            },
            manifest,
        );
        if recorded.is_err() {
            cx.abort.store(true, Ordering::SeqCst);
        }
        recorded
    };
    let (results, recorded) = cluster.run(
        workers,
        move |w| worker::run(w, &cx2).map_err(|e| e.to_string()),
        record,
    )?;

    let mut first_error = None;
    for r in results {
        match r {
            Ok(s) => {
                for (k, v) in s.partitions {
                    *summary.partitions.entry(k).or_default() += v;
                }
                summary.latencies.extend(s.latencies);
                summary.cs_latencies.extend(s.cs_latencies);
                summary.computed_ahead.0 += s.computed_ahead.0;
                summary.computed_ahead.1 += s.computed_ahead.1;
                summary.cross_sections_ahead.0 += s.cross_sections_ahead.0;
                summary.cross_sections_ahead.1 += s.cross_sections_ahead.1;
                summary.again |= s.again;
                summary.paused_at = summary.paused_at.or(s.paused_at);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let failure = first_error.or(board.failed());
    if failure.is_some() || recorded.is_err() {
        // Files no manifest lists go now (the next run would remove them).
        for f in board.orphaned_files() {
            let _ = std::fs::remove_file(args.output.join(&f.path));
        }
    }
    recorded?;
    if let Some(e) = failure {
        return Err(TickflowError::Runtime(e));
    }
    let Some(mut manifest) = manifest else {
        return Ok(None);
    };
    // This stretch's counts (the process's counters run on).
    let run = manifest.current_run();
    run.complete = true;
    run.rows_in = m.rows_in.get() - before.0;
    run.rejected = rejected_counts()
        .into_iter()
        .map(|(reason, n)| (n - before.1.get(&reason).copied().unwrap_or(0), reason))
        .filter(|(n, _)| *n > 0)
        .map(|(n, reason)| (reason, n))
        .collect();
    manifest.complete = true;
    manifest.save(&args.output)?;
    Ok(Some(manifest))
}

/// Turns transparent huge pages off for the rest of the process (new
/// faults take 4 KiB pages). The allocator asks for huge pages on its
/// arenas, and the first touch of fresh memory then zeroes 2 MiB at once:
/// a worker allocating an output block took 5.9-6.4 ms instead of 0.01 ms,
/// the worst cross-section of every paced run (4,000 symbols, 30 bar times
/// at 60x, two runs each: p99 17.2 and 14.0 ms with huge pages, 4.35 and
/// 4.43 ms without; p50 2.4-2.7 ms either way). With 4 KiB pages the
/// heap and cross-section warm-ups that preceded this were no help (p99
/// 4.66 and 3.69 ms without them, 5.06 and 4.31 ms with) and are gone. A
/// kernel that refuses is noted and the run goes on.
fn small_pages() {
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!(
            "warning: transparent huge pages stay on ({e}): expect slower first cross-sections"
        );
    }
}

/// The median and 99th percentile of `l` (sorted here), if any.
fn median_p99(l: &mut [f64]) -> Option<(f64, f64)> {
    l.sort_by(f64::total_cmp);
    let at = |q: f64| l[((l.len() - 1) as f64 * q).round() as usize];
    (!l.is_empty()).then(|| (at(0.5), at(0.99)))
}

/// The process's rejected messages so far, by reason.
fn rejected_counts() -> BTreeMap<String, u64> {
    prometheus::core::Collector::collect(&metrics::global().rejected)
        .iter()
        .flat_map(|f| f.get_metric())
        .filter_map(|metric| {
            let reason = metric.get_label().first()?.value().to_string();
            Some((reason, metric.get_counter().get_value() as u64))
        })
        .collect()
}

/// Process 0 could not start: the other processes learn it from their
/// start and stop with its error.
fn tell_followers(args: &LiveArgs, error: String) -> Result<()> {
    let workers = args.workers.max(1);
    let peers = workers * args.cluster.processes;
    let starts = Mutex::new(Some(vec![LiveStart::failed(error); peers]));
    let tell = move |w: &mut timely::worker::Worker| {
        let items = match w.index() {
            0 => starts.lock().expect("not poisoned").take(),
            _ => None,
        };
        crate::cluster::relay::hand_out(w, items).is_some()
    };
    args.cluster.run(workers, tell, || ()).map(|_| ())
}
