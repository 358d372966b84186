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
mod read;
mod scan;
mod source;
mod spill;

pub use crate::sink::partition_of;
pub use read::read_sector_map;
pub use scan::{scan, InputPlan};

use crate::config::PipelineConfig;
use crate::error::{Result, TickflowError};
use crate::ops::{CrossSections, OperatorStats, RollingFeatures, WriteOutput};
use crate::schema::OutputSchema;
use crate::sink::Sink;
use blocks::Block;
use progress::Progress;
use serde::Serialize;
use source::{Source, SourceReport};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tickflow_connectors::file::{expand_inputs, CsvOptions};
use tickflow_connectors::{ColumnMapping, TsKind, TsParser};
use tickflow_operators::cross_section::CrossSectionKernel;
use tickflow_operators::FeatureEngine;
use timely::dataflow::operators::Probe;
use timely::dataflow::{InputHandle, ProbeHandle};

/// Blocks in the dataflow at once, at most.
pub const IN_FLIGHT: u64 = 6;

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
    /// A `symbol,sector` file.
    pub sectors: Option<PathBuf>,
    /// Stop when more than this fraction of rows is rejected.
    pub max_reject_rate: f64,
    /// Show progress on stderr.
    pub progress: bool,
    /// Block and spill sizes.
    pub tuning: Tuning,
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
    /// Rows written.
    pub rows_out: u64,
    /// Rejected rows by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Identical second copies dropped.
    pub duplicates: u64,
    /// Differing second copies (the later one kept).
    pub corrections: u64,
    /// Rows per partition.
    pub partitions: BTreeMap<String, u64>,
    /// Output columns.
    pub columns: Vec<String>,
    /// True when the input was not in time order and went through spill buckets.
    pub spilled: bool,
    /// Wall time.
    pub seconds: f64,
}

#[derive(Default)]
struct WorkerResult {
    duplicates: u64,
    corrections: u64,
    partitions: BTreeMap<String, u64>,
    error: Option<String>,
}

/// Removes temporary files a dead run left under `dir`.
pub(crate) fn remove_leftovers(dir: &Path) -> std::io::Result<()> {
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

pub(crate) fn output_error(path: &Path, e: impl std::fmt::Display) -> TickflowError {
    TickflowError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes `bytes` to `path` through a temporary name, fsynced.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&temp).map_err(|e| output_error(&temp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| output_error(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| output_error(path, e))
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
    let plan = scan(&files, &options, &ts, &HashMap::new(), true)?;
    std::fs::create_dir_all(work_dir).map_err(|e| output_error(work_dir, e))?;
    let progress = Progress::new(plan.keyed_rows(), args.progress);
    let abort = AtomicBool::new(false);
    let (tx, rx) = sync_channel::<Block>(2);
    let source = Source {
        files: &files,
        options: &options,
        ts: &ts,
        sector_map: &HashMap::new(),
        plan: &plan,
        peers: 1,
        max_rejects: (args.max_reject_rate * plan.rows as f64) as u64,
        tuning: args.tuning,
        rejects_path: &work_dir.join("_rejects.csv"),
        spill_dir: &work_dir.join(".spill.tmp"),
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
    if plan.rows > 0 && rejected as f64 > args.max_reject_rate * plan.rows as f64 {
        return Err(TickflowError::TooManyRejects {
            rejected,
            rows: plan.rows,
            rate: 100.0 * rejected as f64 / plan.rows.max(1) as f64,
            max: 100.0 * args.max_reject_rate,
        });
    }
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

/// Runs a backfill.
pub fn run(args: &BackfillArgs) -> Result<BackfillSummary> {
    let started = Instant::now();
    let engine = Arc::new(FeatureEngine::new(&args.config.feature_set())?);
    let cs = &args.config.cross_section;
    CrossSectionKernel::new(cs.options())?;
    args.config.sink.validate()?;
    let cs_columns = resolve_cross_columns(&engine, &cs.features)?;
    let value_columns = value_column_names(&engine, &cs.features);

    let files = expand_inputs(&args.inputs)?;
    let options = CsvOptions {
        mapping: args.mapping.clone(),
        default_symbol: args.default_symbol.clone(),
    };
    let ts = TsParser::new(args.tz.as_deref())?;
    let sector_map = match &args.sectors {
        Some(p) => read_sector_map(p).map_err(|m| TickflowError::Config {
            path: p.display().to_string(),
            message: m,
        })?,
        None => HashMap::new(),
    };
    let plan = scan(&files, &options, &ts, &sector_map, true)?;
    std::fs::create_dir_all(&args.output).map_err(|e| output_error(&args.output, e))?;
    remove_leftovers(&args.output).map_err(|e| output_error(&args.output, e))?;
    let schema = OutputSchema::new(plan.ts_kind, value_columns, args.config.sink.float32);
    let workers = args.workers.max(1);
    let progress = Arc::new(Progress::new(plan.keyed_rows(), args.progress));

    // The input thread.
    let abort = Arc::new(AtomicBool::new(false));
    let (tx, rx) = sync_channel::<Block>(2);
    let names = Arc::new(crate::names::Names::new(
        plan.symbols.clone(),
        plan.sectors.clone(),
    ));
    let reader = {
        let (files, plan, abort, progress) =
            (files.clone(), plan.clone(), abort.clone(), progress.clone());
        let (max_rate, tuning) = (args.max_reject_rate, args.tuning);
        let (rejects_path, spill_dir) = (
            args.output.join("_rejects.csv"),
            args.output.join(".spill.tmp"),
        );
        std::thread::Builder::new()
            .name("tickflow-input".into())
            .spawn(move || {
                let source = Source {
                    files: &files,
                    options: &options,
                    ts: &ts,
                    sector_map: &sector_map,
                    plan: &plan,
                    peers: workers,
                    max_rejects: (max_rate * plan.rows as f64) as u64,
                    tuning,
                    rejects_path: &rejects_path,
                    spill_dir: &spill_dir,
                };
                let report = source.run(&tx, &abort, &progress);
                if report.is_err() {
                    abort.store(true, Ordering::SeqCst);
                }
                report
            })
            .map_err(|e| TickflowError::Runtime(format!("starting the input thread: {e}")))?
    };

    let rx = Arc::new(Mutex::new(Some(rx)));
    let pool = Arc::new(crate::chunks::BufferPool::default());
    let shared = Arc::new((schema.clone(), engine, cs_columns, cs.options()));
    let (output, sink_config) = (args.output.clone(), args.config.sink.clone());
    let worker_abort = abort.clone();
    let guards = timely::execute(timely::Config::process(workers), move |worker| {
        let (schema, engine, cs_columns, cs_options) = &*shared;
        let (index, peers) = (worker.index(), worker.peers());
        let stats = Rc::new(RefCell::new(OperatorStats::default()));
        let mut input = InputHandle::new();
        let probe = ProbeHandle::new();
        let sink = Sink::new(&output, index, schema.clone(), sink_config.clone());
        worker.dataflow::<u64, _, _>(|scope| {
            use timely::dataflow::operators::vec::Input;
            scope
                .input_from(&mut input)
                .rolling_features(engine.clone(), peers, pool.clone(), stats.clone())
                .cross_sections(
                    cs_columns.clone(),
                    cs_options.clone(),
                    index,
                    peers,
                    pool.clone(),
                    names.clone(),
                )
                .write_output(sink, schema.clone(), names.clone(), stats.clone())
                .probe_with(&probe);
        });
        // Worker 0 feeds the blocks; the exchanges spread them.
        let rx = if index == 0 {
            rx.lock().expect("not poisoned").take()
        } else {
            None
        };
        if let Some(rx) = rx {
            let mut time = 0u64;
            loop {
                if worker_abort.load(Ordering::Relaxed) || stats.borrow().sink_error.is_some() {
                    worker_abort.store(true, Ordering::SeqCst);
                    break;
                }
                match rx.try_recv() {
                    Ok(block) => {
                        crate::metrics::global().rows_in.inc_by(block.rows as u64);
                        input.advance_to(time);
                        for chunk in block.chunks {
                            input.send(chunk);
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
        }
        drop(input);
        while worker.step_or_park(None) {}
        let s = stats.borrow();
        if s.sink_error.is_some() {
            worker_abort.store(true, Ordering::SeqCst);
        }
        WorkerResult {
            duplicates: s.duplicates,
            corrections: s.corrections,
            partitions: s.partitions.clone(),
            error: s.sink_error.clone(),
        }
    })
    .map_err(TickflowError::Runtime)?;

    let mut merged = WorkerResult::default();
    for r in guards.join() {
        let r = r.map_err(|e| TickflowError::Runtime(format!("a worker failed: {e:?}")))?;
        merged.duplicates += r.duplicates;
        merged.corrections += r.corrections;
        for (k, v) in r.partitions {
            *merged.partitions.entry(k).or_default() += v;
        }
        if merged.error.is_none() {
            merged.error = r.error;
        }
    }
    progress.finish();
    let report: SourceReport = reader
        .join()
        .map_err(|_| TickflowError::Runtime("the input thread panicked".into()))??;
    if let Some(e) = merged.error {
        return Err(TickflowError::Output {
            path: args.output.display().to_string(),
            message: e,
        });
    }
    let rejected = report.counts.total();
    // The input thread stops at this count; the check covers that case too.
    if plan.rows > 0 && rejected as f64 > args.max_reject_rate * plan.rows as f64 {
        for partition in merged.partitions.keys() {
            let _ = std::fs::remove_dir_all(args.output.join(partition));
        }
        return Err(TickflowError::TooManyRejects {
            rejected,
            rows: plan.rows,
            rate: 100.0 * rejected as f64 / plan.rows.max(1) as f64,
            max: 100.0 * args.max_reject_rate,
        });
    }
    let summary = BackfillSummary {
        rows_in: report.rows,
        rows_out: merged.partitions.values().sum(),
        rejected: report
            .counts
            .by_reason()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        duplicates: merged.duplicates,
        corrections: merged.corrections,
        partitions: merged.partitions,
        columns: schema.column_names(),
        spilled: report.spilled,
        seconds: started.elapsed().as_secs_f64(),
    };
    let inputs: Vec<serde_json::Value> = files
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).ok();
            serde_json::json!({
                "path": p.display().to_string(),
                "bytes": meta.as_ref().map(|m| m.len()),
                "modified_unix": meta.and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs()),
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "tickflow_version": env!("CARGO_PKG_VERSION"),
        "inputs": inputs,
        "config": args.config,
        "ts": match plan.ts_kind { TsKind::Date => "date32", TsKind::Micros => "timestamp_us_utc" },
        "rows_in": summary.rows_in,
        "rows_out": summary.rows_out,
        "rejected": summary.rejected,
        "duplicates": summary.duplicates,
        "corrections": summary.corrections,
        "partitions": summary.partitions,
        "columns": summary.columns,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("json values serialise");
    write_atomic(&args.output.join("_manifest.json"), text.as_bytes())?;
    Ok(summary)
}
