//! Training windows (`tickflow samples`): sliding windows of `L` bars per
//! symbol with forward-return labels, for sequence models. Prices are
//! divided by the window's last close; volume is `ln(1 + volume)` scaled by
//! a scaler fitted on the training period only; windows never span a gap
//! longer than a limit; splits are by date with an embargo so no label of
//! one split reaches into the next; N windows can be sampled with a seed.
//! Output: `train.parquet` (and `valid.parquet`, `test.parquet` when
//! split), `scaler.json`, `samples.json` (what was kept and dropped) and
//! `_rejects.csv`.

mod load;
mod scaler;
mod windows;
mod write;

pub use load::{load, Loaded, Series};
pub use scaler::Scaler;
pub use windows::{sample, Dropped, Rules, Split, Window};
pub use write::{Layout, SplitWriter};

use crate::error::{Result, TickflowError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tickflow_connectors::file::CsvOptions;
use tickflow_connectors::{TsKind, TsParser};

/// What to build.
#[derive(Debug, Clone)]
pub struct SamplesArgs {
    /// Bar files, directories or globs.
    pub inputs: Vec<String>,
    /// The output directory.
    pub output: PathBuf,
    /// Column mapping and the default symbol.
    pub options: CsvOptions,
    /// IANA zone of naive intraday times.
    pub tz: Option<String>,
    /// Bars per window.
    pub length: usize,
    /// Feature columns (of open, high, low, close, volume).
    pub features: Vec<String>,
    /// Label horizons, bars.
    pub horizons: Vec<usize>,
    /// Longest allowed step between consecutive bars, e.g. `5d`, `30m`.
    pub max_gap: String,
    /// Training end (inclusive), `YYYY-MM-DD` or a time.
    pub train_end: Option<String>,
    /// Validation end (inclusive).
    pub valid_end: Option<String>,
    /// Bars after a window's end that must stay in its split (default: the
    /// longest horizon).
    pub embargo: Option<usize>,
    /// Use this scaler instead of fitting one.
    pub scaler: Option<PathBuf>,
    /// Keep this many windows (all when `None`).
    pub count: Option<usize>,
    /// The sampling seed.
    pub seed: u64,
    /// One column per value instead of a list per feature.
    pub flatten: bool,
    /// Windows per Parquet row group.
    pub row_group_windows: usize,
    /// Stop above this fraction of rejected input rows.
    pub max_reject_rate: f64,
}

impl Default for SamplesArgs {
    fn default() -> Self {
        Self {
            inputs: Vec::new(),
            output: PathBuf::new(),
            options: CsvOptions::default(),
            tz: None,
            length: 60,
            features: ["open", "high", "low", "close", "volume"]
                .map(String::from)
                .to_vec(),
            horizons: vec![1, 5, 20],
            max_gap: "5d".into(),
            train_end: None,
            valid_end: None,
            embargo: None,
            scaler: None,
            count: None,
            seed: 42,
            flatten: false,
            row_group_windows: 16_384,
            max_reject_rate: 0.05,
        }
    }
}

/// What a run did (also written as `samples.json`).
#[derive(Debug, Clone, Serialize)]
pub struct SamplesSummary {
    /// Input rows read.
    pub rows_in: u64,
    /// Rejected rows by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Second copies of a (symbol, time) dropped.
    pub duplicates: u64,
    /// Symbols.
    pub symbols: usize,
    /// Windows that met every rule.
    pub eligible: u64,
    /// Windows left out, by rule.
    pub dropped: Dropped,
    /// Windows written, per split file.
    pub written: BTreeMap<String, u64>,
    /// The scaler used.
    pub scaler: Scaler,
    /// Seconds.
    pub seconds: f64,
}

fn bad(flag: &str, message: impl Into<String>) -> TickflowError {
    TickflowError::Config {
        path: flag.into(),
        message: message.into(),
    }
}

fn check(args: &SamplesArgs) -> Result<()> {
    if args.length == 0 {
        return Err(bad("--window", "a window needs at least one bar"));
    }
    if args.horizons.is_empty() || args.horizons.contains(&0) {
        return Err(bad(
            "--horizons",
            "give one or more horizons of at least one bar",
        ));
    }
    if args.features.is_empty() {
        return Err(bad(
            "--columns",
            "give one or more of open, high, low, close, volume",
        ));
    }
    for f in &args.features {
        if !["open", "high", "low", "close", "volume"].contains(&f.as_str()) {
            return Err(bad(
                "--columns",
                format!("`{f}` is not one of open, high, low, close, volume"),
            ));
        }
    }
    let longest = *args.horizons.iter().max().expect("checked");
    if args.embargo.is_some_and(|e| e < longest) {
        return Err(bad(
            "--embargo",
            format!("the embargo must cover the longest label horizon ({longest} bars), or a label would reach into the next split"),
        ));
    }
    if args.valid_end.is_some() && args.train_end.is_none() {
        return Err(bad("--valid-end", "a validation split needs --train-end"));
    }
    if args.row_group_windows == 0 {
        return Err(bad("--row-group-windows", "must be at least 1"));
    }
    Ok(())
}

/// Builds the samples.
pub fn run(args: &SamplesArgs) -> Result<SamplesSummary> {
    let start = Instant::now();
    check(args)?;
    std::fs::create_dir_all(&args.output).map_err(|e| TickflowError::output(&args.output, e))?;
    let ts = TsParser::new(args.tz.as_deref())?;
    let loaded = load(
        &args.inputs,
        &args.options,
        &ts,
        &args.output.join("_rejects.csv"),
        args.max_reject_rate,
    )?;
    let kind = loaded
        .ts_kind
        .ok_or_else(|| bad("--input", "the input has no valid bars"))?;
    let unit = match kind {
        TsKind::Date => 86_400_000_000,
        TsKind::Micros => 1,
    };
    let gap = crate::config::parse_duration(&args.max_gap).map_err(|m| bad("--max-gap", m))?;
    let train_end = args
        .train_end
        .as_deref()
        .map(|t| crate::query::bound("--train-end", t, kind, true))
        .transpose()?;
    let valid_end = args
        .valid_end
        .as_deref()
        .map(|t| crate::query::bound("--valid-end", t, kind, true))
        .transpose()?;
    if let (Some(t), Some(v)) = (train_end, valid_end) {
        if v <= t {
            return Err(bad("--valid-end", "must be after --train-end"));
        }
    }
    let longest = *args.horizons.iter().max().expect("checked");
    let rules = Rules {
        length: args.length,
        horizon: longest,
        max_gap: (gap.as_micros() as i64) / unit,
        train_end,
        valid_end,
        embargo: args.embargo.unwrap_or(longest),
    };
    let scaler = match &args.scaler {
        Some(path) => Scaler::load(path)?,
        None => Scaler::fit(&loaded.series, train_end, args.train_end.clone())?,
    };
    let (mut windows, dropped) = rules.windows(&loaded.series);
    let eligible = windows.len() as u64;
    if let Some(n) = args.count {
        windows = sample(windows, n, args.seed);
    }
    let layout = Arc::new(Layout {
        length: args.length,
        features: args.features.clone(),
        horizons: args.horizons.clone(),
        flatten: args.flatten,
        ts_kind: kind,
    });
    let splits: Vec<Split> = match (train_end, valid_end) {
        (None, _) => vec![Split::Train],
        (Some(_), None) => vec![Split::Train, Split::Test],
        (Some(_), Some(_)) => vec![Split::Train, Split::Valid, Split::Test],
    };
    let written = write_splits(args, &layout, &splits, &loaded.series, &windows, &scaler)?;
    scaler.save(&args.output.join("scaler.json"))?;
    let summary = SamplesSummary {
        rows_in: loaded.rows,
        rejected: loaded
            .rejected
            .by_reason()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        duplicates: loaded.duplicates,
        symbols: loaded.series.len(),
        eligible,
        dropped,
        written,
        scaler,
        seconds: start.elapsed().as_secs_f64(),
    };
    let text = serde_json::to_string_pretty(&summary).expect("summaries serialise");
    crate::durable::manifest::write_atomic(&args.output.join("samples.json"), text.as_bytes())?;
    Ok(summary)
}

/// Writes every split's file; the windows come in (symbol, end) order.
fn write_splits(
    args: &SamplesArgs,
    layout: &Arc<Layout>,
    splits: &[Split],
    series: &[Series],
    windows: &[Window],
    scaler: &Scaler,
) -> Result<BTreeMap<String, u64>> {
    let mut writers = Vec::new();
    for &s in splits {
        let path = args.output.join(format!("{}.parquet", s.name()));
        writers.push((
            s,
            SplitWriter::create(&path, layout.clone(), args.row_group_windows)
                .map_err(|e| TickflowError::output(&path, e))?,
        ));
    }
    for w in windows {
        let (_, writer) = writers
            .iter_mut()
            .find(|(s, _)| *s == w.split)
            .expect("every window's split has a file");
        writer
            .push(&series[w.series as usize], *w, scaler)
            .map_err(|e| TickflowError::output(&args.output, e))?;
    }
    let mut written = BTreeMap::new();
    for (s, writer) in writers {
        let rows = writer
            .finish()
            .map_err(|e| TickflowError::output(&args.output, e))?;
        written.insert(format!("{}.parquet", s.name()), rows);
    }
    Ok(written)
}
