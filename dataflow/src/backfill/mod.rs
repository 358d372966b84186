//! `tickflow backfill`: bar files through timely dataflow into a partitioned
//! Parquet feature store.

mod operators;
mod read;
mod sink;

pub use read::read_sector_map;
pub use sink::partition_of;

use crate::config::PipelineConfig;
use crate::error::{Result, TickflowError};
use crate::rows::timely_time;
use crate::schema::OutputSchema;
use operators::{CrossSections, OperatorStats, RollingFeatures, WriteParquet};
use serde::Serialize;
use sink::ParquetSink;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tickflow_connectors::file::{expand_inputs, CsvOptions};
use tickflow_connectors::{ColumnMapping, Reject, RejectCounts, TsKind, TsParser};
use tickflow_operators::cross_section::CrossSectionKernel;
use tickflow_operators::FeatureEngine;
use timely::dataflow::operators::Probe;
use timely::dataflow::{InputHandle, ProbeHandle};

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
    /// Wall time.
    pub seconds: f64,
}

#[derive(Default)]
struct WorkerResult {
    rows: u64,
    rejects: Vec<Reject>,
    counts: RejectCounts,
    duplicates: u64,
    corrections: u64,
    partitions: BTreeMap<String, u64>,
    error: Option<String>,
}

/// Removes temporary files a dead run left under `dir`.
fn remove_leftovers(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_leftovers(&path)?;
        } else if path.extension().is_some_and(|e| e == "tmp") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

fn output_error(path: &Path, e: impl std::fmt::Display) -> TickflowError {
    TickflowError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes `bytes` to `path` through a temporary name, fsynced.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&temp).map_err(|e| output_error(&temp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| output_error(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| output_error(path, e))
}

/// Runs a backfill.
pub fn run(args: &BackfillArgs) -> Result<BackfillSummary> {
    let started = Instant::now();
    let engine = Arc::new(FeatureEngine::new(&args.config.feature_set())?);
    let cs = &args.config.cross_section;
    CrossSectionKernel::new(cs.options())?;
    let cs_columns: Vec<usize> = cs
        .features
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
        .collect::<Result<_>>()?;
    let mut value_columns = engine.columns().to_vec();
    for f in &cs.features {
        value_columns.extend([
            format!("cs_rank_{f}"),
            format!("cs_z_{f}"),
            format!("sector_z_{f}"),
        ]);
    }

    let files = expand_inputs(&args.inputs)?;
    let options = CsvOptions {
        mapping: args.mapping.clone(),
        default_symbol: args.default_symbol.clone(),
    };
    let ts = TsParser::new(args.tz.as_deref())?;
    let ts_kind = read::detect_ts_kind(&files, &options, &ts)?.unwrap_or(TsKind::Date);
    let sector_map = match &args.sectors {
        Some(p) => read_sector_map(p).map_err(|m| TickflowError::Config {
            path: p.display().to_string(),
            message: m,
        })?,
        None => HashMap::new(),
    };
    std::fs::create_dir_all(&args.output).map_err(|e| output_error(&args.output, e))?;
    remove_leftovers(&args.output).map_err(|e| output_error(&args.output, e))?;
    let schema = OutputSchema::new(ts_kind, value_columns);

    let workers = args.workers.max(1);
    let abort = Arc::new(AtomicBool::new(false));
    let shared = Arc::new((
        files.clone(),
        options,
        ts,
        sector_map,
        schema.clone(),
        engine,
        cs_columns,
        cs.options(),
    ));
    let (output, sink_config, max_rate) = (
        args.output.clone(),
        args.config.sink.clone(),
        args.max_reject_rate,
    );
    let guards = timely::execute(timely::Config::process(workers), move |worker| {
        let (files, options, ts, sector_map, schema, engine, cs_columns, cs_options) = &*shared;
        let (index, peers) = (worker.index(), worker.peers());
        let mut result = WorkerResult::default();
        let mut input_data =
            match read::read_share(files, index, peers, options, ts, ts_kind, sector_map) {
                Ok(d) => d,
                Err(e) => {
                    result.error = Some(e.to_string());
                    abort.store(true, Ordering::SeqCst);
                    Default::default()
                }
            };
        let rejected = input_data.counts.total();
        if input_data.rows > 0 && rejected as f64 > max_rate * input_data.rows as f64 {
            abort.store(true, Ordering::SeqCst);
        }
        let stats = Rc::new(RefCell::new(OperatorStats::default()));
        let mut input = InputHandle::new();
        let probe = ProbeHandle::new();
        let sink = ParquetSink::new(&output, index, schema.clone(), sink_config.clone());
        worker.dataflow::<u64, _, _>(|scope| {
            use timely::dataflow::operators::vec::Input;
            scope
                .input_from(&mut input)
                .rolling_features(engine.clone(), stats.clone())
                .cross_sections(cs_columns.clone(), cs_options.clone())
                .write_parquet(sink, ts_kind, stats.clone())
                .probe_with(&probe);
        });
        // Feed one bar time at a time; keep at most IN_FLIGHT times ahead of
        // what the sink has completed, so memory holds state and in-flight
        // times, not the dataset.
        const IN_FLIGHT: usize = 32;
        let bars = std::mem::take(&mut input_data.bars);
        let mut sent = std::collections::VecDeque::new();
        let mut iter = bars.into_iter().peekable();
        while let Some(bar) = iter.next() {
            if abort.load(Ordering::Relaxed) {
                break;
            }
            let t = timely_time(bar.ts);
            input.advance_to(t);
            input.send(bar);
            while iter.peek().is_some_and(|b| timely_time(b.ts) == t) {
                input.send(iter.next().expect("peeked"));
            }
            sent.push_back(t);
            if sent.len() > IN_FLIGHT {
                let oldest = sent.pop_front().expect("non-empty");
                input.advance_to(t + 1);
                while probe.less_equal(&oldest) {
                    worker.step_or_park(None);
                }
            }
        }
        drop(input);
        while worker.step_or_park(None) {}
        let s = stats.borrow();
        result.rows = input_data.rows;
        result.rejects = input_data.rejects;
        result.counts = input_data.counts;
        result.duplicates = s.duplicates;
        result.corrections = s.corrections;
        result.partitions = s.partitions.clone();
        if result.error.is_none() {
            result.error = s.sink_error.clone();
        }
        result
    })
    .map_err(TickflowError::Runtime)?;

    let mut merged = WorkerResult::default();
    for r in guards.join() {
        let r = r.map_err(|e| TickflowError::Runtime(format!("a worker failed: {e:?}")))?;
        merged.rows += r.rows;
        merged.rejects.extend(r.rejects);
        merged.counts.merge(&r.counts);
        merged.duplicates += r.duplicates;
        merged.corrections += r.corrections;
        merged.partitions.extend(r.partitions);
        if merged.error.is_none() {
            merged.error = r.error;
        }
    }
    if let Some(e) = merged.error {
        return Err(TickflowError::Output {
            path: args.output.display().to_string(),
            message: e,
        });
    }
    let rejected = merged.counts.total();
    if merged.rows > 0 && rejected as f64 > args.max_reject_rate * merged.rows as f64 {
        for partition in merged.partitions.keys() {
            let _ = std::fs::remove_dir_all(args.output.join(partition));
        }
        return Err(TickflowError::TooManyRejects {
            rejected,
            rows: merged.rows,
            rate: 100.0 * rejected as f64 / merged.rows as f64,
            max: 100.0 * args.max_reject_rate,
        });
    }
    merged.rejects.sort_by_key(|r| (r.file, r.line));
    let mut rejects_csv = String::from("file,line,reason,row\n");
    for r in &merged.rejects {
        let raw = r.raw.replace('"', "\"\"");
        rejects_csv.push_str(&format!(
            "{},{},{},\"{raw}\"\n",
            files[r.file as usize].display(),
            r.line,
            r.reason
        ));
    }
    write_atomic(&args.output.join("_rejects.csv"), rejects_csv.as_bytes())?;
    let summary = BackfillSummary {
        rows_in: merged.rows,
        rows_out: merged.partitions.values().sum(),
        rejected: merged
            .counts
            .by_reason()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        duplicates: merged.duplicates,
        corrections: merged.corrections,
        partitions: merged.partitions,
        columns: schema.column_names(),
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
        "ts": match ts_kind { TsKind::Date => "date32", TsKind::Micros => "timestamp_us_utc" },
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
