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
//! dead-letter output. Offsets are committed only below what the store and
//! the side outputs hold.

mod clock;
mod feed;
mod pending;
mod side;
mod watermark;

pub use clock::FrontierClock;
pub use feed::FeedShared;
pub use pending::Pending;
pub use side::{DeadLetterTarget, SideOutputs};
pub use watermark::Watermarks;

use crate::backfill::read_sector_map;
use crate::config::PipelineConfig;
use crate::error::{Result, TickflowError};
use crate::metrics;
use crate::names::Names;
use crate::ops::{CrossSections, OperatorStats, PublishRows, RollingFeatures, WriteOutput};
use crate::schema::OutputSchema;
use crate::sink::Sink;
use feed::{chunks_of, Feed};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tickflow_connectors::kafka::{BarConsumer, KafkaConfig, MessageFormat};
use tickflow_connectors::{Interner, TsKind, TsParser};
use tickflow_operators::cross_section::CrossSectionKernel;
use tickflow_operators::FeatureEngine;
use timely::dataflow::operators::Probe;
use timely::dataflow::{InputHandle, ProbeHandle};

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
    /// A `symbol,sector` file.
    pub sectors: Option<PathBuf>,
    /// Allowed lateness behind a partition's newest bar.
    pub lateness: Duration,
    /// A partition silent this long stops holding the frontier back.
    pub idle_timeout: Duration,
    /// End the run after this long without messages.
    pub idle_exit: Option<Duration>,
    /// Publish each output row as JSON to this topic.
    pub features_topic: Option<String>,
    /// Where messages that are not bars go.
    pub dead_letter: DeadLetterTarget,
    /// How long to wait for the topic to exist.
    pub topic_wait: Duration,
    /// How often to commit offsets.
    pub commit_interval: Duration,
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
    /// Messages that were not bars.
    pub dead_letters: u64,
    /// Rows per partition.
    pub partitions: BTreeMap<String, u64>,
    /// From a worker's frontier passing a bar time to every row below it
    /// being in the store: median and 99th percentile, in milliseconds.
    pub latency_ms: Option<(f64, f64)>,
    /// Wall time.
    pub seconds: f64,
    #[serde(skip)]
    latencies: Vec<f64>,
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

/// Runs until `--idle-exit` (or forever).
pub fn run(args: &LiveArgs) -> Result<LiveSummary> {
    let started = Instant::now();
    let engine = Arc::new(FeatureEngine::new(&args.config.feature_set())?);
    let cs = &args.config.cross_section;
    CrossSectionKernel::new(cs.options())?;
    args.config.sink.validate()?;
    let cs_columns = crate::backfill::resolve_cross_columns(&engine, &cs.features)?;
    let columns = crate::backfill::value_column_names(&engine, &cs.features);
    let kafka_error = |m: String| TickflowError::Config {
        path: "kafka".into(),
        message: m,
    };
    let topic = args.kafka.topic().map_err(kafka_error)?.to_string();
    args.kafka.brokers().map_err(kafka_error)?;
    if args.kafka.group.is_none() {
        return Err(kafka_error(
            "no consumer group: pass --group NAME or set kafka.group".into(),
        ));
    }
    let partitions = BarConsumer::partition_count(&args.kafka, args.topic_wait)?;
    // Output topics get the input's partition count (tansu and many
    // clusters do not create topics on first use).
    let dead_letter_topic = match &args.dead_letter {
        DeadLetterTarget::Topic(t) => Some(t),
        DeadLetterTarget::File(_) => None,
    };
    for t in args.features_topic.iter().chain(dead_letter_topic) {
        tickflow_connectors::kafka::ensure_topic(&args.kafka, t, partitions)?;
    }
    std::fs::create_dir_all(&args.output)
        .map_err(|e| crate::backfill::output_error(&args.output, e))?;
    remove_leftovers(&args.output).map_err(|e| crate::backfill::output_error(&args.output, e))?;

    let sector_of = match &args.sectors {
        Some(p) => read_sector_map(p).map_err(|m| TickflowError::Config {
            path: p.display().to_string(),
            message: m,
        })?,
        None => HashMap::new(),
    };
    let mut sectors = Interner::default();
    for s in sector_of.values() {
        sectors.intern(s);
    }
    let names = Arc::new(Names::new(Interner::default(), sectors.sorted()));
    let dead_letter = match &args.dead_letter {
        DeadLetterTarget::File(p) if p.is_relative() && p.parent() == Some("".as_ref()) => {
            DeadLetterTarget::File(args.output.join(p))
        }
        other => other.clone(),
    };
    let side = side::SideOutputs::open(
        &args.output.join("_late_bars.csv"),
        &dead_letter,
        &args.kafka,
    )?;
    let shared = Arc::new(FeedShared {
        format: args.format.clone(),
        ts: TsParser::new(args.tz.as_deref())?,
        names: names.clone(),
        sector_of,
        ts_kind: OnceLock::new(),
        side,
        lateness: args.lateness,
    });
    let workers = args.workers.max(1);
    let published: Arc<Vec<AtomicI64>> =
        Arc::new((0..workers).map(|_| AtomicI64::new(i64::MIN)).collect());
    let last_message = Arc::new(Mutex::new(Instant::now()));
    let abort = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(workers));
    let clock = Arc::new(FrontierClock::new(workers));
    let pipeline = Arc::new((engine, cs_columns, cs.options(), columns));
    let args2 = args.clone();

    let guards = timely::execute(timely::Config::process(workers), move |worker| {
        let args = &args2;
        let (engine, cs_columns, cs_options, columns) = &*pipeline;
        let (index, peers) = (worker.index(), worker.peers());
        let mine: Vec<i32> = (0..partitions)
            .filter(|p| *p as usize % peers == index)
            .collect();
        let mut run = || -> Result<LiveSummary> {
            let consumer = BarConsumer::assign(&args.kafka, &mine)?;
            let mut feed = Feed::new(consumer, shared.clone(), args.idle_timeout);
            let idle_exit = |feed: &Feed| {
                let mut shared_last = last_message.lock().expect("not poisoned");
                let last = feed
                    .last_message
                    .map_or(*shared_last, |m| m.max(*shared_last));
                *shared_last = last;
                drop(shared_last);
                args.idle_exit.is_some_and(|d| last.elapsed() >= d)
            };
            // Until the first valid bar fixes the timestamp kind (and with
            // it the schema), read without a dataflow.
            while shared.ts_kind.get().is_none()
                && !idle_exit(&feed)
                && !abort.load(Ordering::Relaxed)
            {
                feed.poll(1024, Duration::from_millis(50))?;
            }
            barrier.wait();
            let Some(&kind) = shared.ts_kind.get() else {
                return Ok(LiveSummary::default());
            };
            let schema = OutputSchema::new(kind, columns.clone(), args.config.sink.float32);
            let stats = Rc::new(RefCell::new(OperatorStats::default()));
            let pool = Arc::new(crate::chunks::BufferPool::default());
            let mut input = InputHandle::new();
            let probe = ProbeHandle::new();
            let sink = Sink::new(
                &args.output,
                index,
                schema.clone(),
                args.config.sink.clone(),
            )
            .rolling();
            let publish = match &args.features_topic {
                Some(t) => Some(tickflow_connectors::kafka::TopicProducer::new(
                    &args.kafka,
                    t,
                )?),
                None => None,
            };
            worker.dataflow::<u64, _, _>(|scope| {
                use timely::dataflow::operators::vec::Input;
                let rows = scope
                    .input_from(&mut input)
                    .rolling_features(engine.clone(), peers, pool.clone(), stats.clone(), None)
                    .cross_sections(
                        cs_columns.clone(),
                        cs_options.clone(),
                        index,
                        peers,
                        pool.clone(),
                        names.clone(),
                    );
                let rows = match publish {
                    Some(p) => rows.publish_rows(p, schema.clone(), names.clone(), stats.clone()),
                    None => rows,
                };
                rows.write_output(sink, schema.clone(), names.clone(), stats.clone(), None)
                    .probe_with(&probe);
            });
            input.advance_to(time_of(i64::MIN));
            let mut advances: std::collections::VecDeque<(i64, Instant)> = Default::default();
            let mut latencies = Vec::new();
            let mut last_commit = Instant::now();
            let mut last_lag = Instant::now() - Duration::from_secs(10);
            loop {
                if abort.load(Ordering::Relaxed) || stats.borrow().sink_error.is_some() {
                    abort.store(true, Ordering::SeqCst);
                    break;
                }
                // Never block in Kafka: the dataflow's work on this worker
                // (and the other workers' exchanges to it) waits while it
                // does. Parking below bounds the wait for new messages.
                let got = feed.poll(4096, Duration::ZERO)?;
                let now = Instant::now();
                let own = feed.own_frontier(now);
                published[index].store(own.unwrap_or(IDLE), Ordering::SeqCst);
                let target = match own {
                    Some(f) => Some(f),
                    None => published
                        .iter()
                        .map(|p| p.load(Ordering::SeqCst))
                        .filter(|&p| p != IDLE)
                        .min(),
                };
                if let Some(target) = target.filter(|&t| t > feed.frontier) {
                    for (ts, bars) in feed.pending.take_before(target) {
                        input.advance_to(time_of(ts));
                        for chunk in chunks_of(ts, &bars, peers) {
                            input.send(chunk);
                        }
                    }
                    feed.frontier = target;
                    input.advance_to(time_of(target));
                    clock.advanced(index, target, now);
                    if index == 0 {
                        advances.push_back((target, now));
                    }
                    let m = metrics::global();
                    let secs = unix_seconds(kind, target);
                    m.frontier_seconds.set(secs);
                    let wall = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0.0, |d| d.as_secs_f64());
                    m.event_time_lag.set(wall - secs);
                }
                worker.step_or_park(if got > 0 {
                    Some(Duration::ZERO)
                } else {
                    Some(Duration::from_millis(1))
                });
                let durable = probe.with_frontier(|f| f.first().map_or(i64::MAX, |&t| ts_of(t)));
                while advances.front().is_some_and(|&(t, _)| t <= durable) {
                    let (t, _) = advances.pop_front().expect("non-empty");
                    if let Some(at) = clock.passed(t) {
                        let secs = at.elapsed().as_secs_f64();
                        metrics::global().cross_section_latency.observe(secs);
                        latencies.push(secs * 1e3);
                    }
                }
                if last_commit.elapsed() >= args.commit_interval {
                    feed.commit(durable)?;
                    last_commit = Instant::now();
                }
                if last_lag.elapsed() >= Duration::from_secs(5) {
                    feed.record_lag();
                    last_lag = Instant::now();
                }
                if got == 0 && idle_exit(&feed) {
                    break;
                }
            }
            // Close every open bar time, drain, and commit what is durable.
            for (ts, bars) in feed.pending.take_before(i64::MAX) {
                input.advance_to(time_of(ts));
                for chunk in chunks_of(ts, &bars, peers) {
                    input.send(chunk);
                }
            }
            drop(input);
            while worker.step_or_park(None) {}
            let s = stats.borrow();
            if let Some(e) = &s.sink_error {
                abort.store(true, Ordering::SeqCst);
                return Err(TickflowError::Output {
                    path: args.output.display().to_string(),
                    message: e.clone(),
                });
            }
            if !abort.load(Ordering::Relaxed) {
                feed.commit(i64::MAX)?;
            }
            Ok(LiveSummary {
                partitions: s.partitions.clone(),
                latencies,
                ..Default::default()
            })
        };
        let result = run();
        if result.is_err() {
            abort.store(true, Ordering::SeqCst);
        }
        result.map_err(|e| e.to_string())
    })
    .map_err(TickflowError::Runtime)?;

    let mut summary = LiveSummary::default();
    let mut first_error = None;
    for r in guards.join() {
        match r {
            Ok(Ok(s)) => {
                for (k, v) in s.partitions {
                    *summary.partitions.entry(k).or_default() += v;
                }
                summary.latencies.extend(s.latencies);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(format!("a worker failed: {e:?}"));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(TickflowError::Runtime(e));
    }
    let m = metrics::global();
    summary.rows_in = m.rows_in.get();
    summary.rows_out = summary.partitions.values().sum();
    summary.late = m.late_bars.get();
    summary.dead_letters = m.dead_letters.get();
    summary.seconds = started.elapsed().as_secs_f64();
    let l = &mut summary.latencies;
    l.sort_by(f64::total_cmp);
    if !l.is_empty() {
        let at = |q: f64| l[((l.len() - 1) as f64 * q).round() as usize];
        summary.latency_ms = Some((at(0.5), at(0.99)));
    }
    let manifest = serde_json::json!({
        "tickflow_version": env!("CARGO_PKG_VERSION"),
        "source": {"kafka_topic": topic, "group": args.kafka.group},
        "config": args.config,
        "rows_in": summary.rows_in,
        "rows_out": summary.rows_out,
        "late": summary.late,
        "dead_letters": summary.dead_letters,
        "partitions": summary.partitions,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("json values serialise");
    crate::durable::manifest::write_atomic(&args.output.join("_manifest.json"), text.as_bytes())?;
    Ok(summary)
}

/// Removes temporary files a dead run left under `dir`.
fn remove_leftovers(dir: &std::path::Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let tmp = path.extension().is_some_and(|e| e == "tmp");
        if path.is_dir() && tmp {
            std::fs::remove_dir_all(&path)?;
        } else if path.is_dir() {
            remove_leftovers(&path)?;
        } else if tmp {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
