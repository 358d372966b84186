//! The `samples` command's flags.

use clap::Args;
use std::path::PathBuf;
use tickflow::samples::{self, SamplesArgs};
use tickflow_connectors::file::CsvOptions;
use tickflow_connectors::ColumnMapping;

/// `tickflow samples --input BARS --output DIR ...`
#[derive(Args)]
pub struct SamplesCmd {
    /// Bar files, directories or globs.
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    /// Output directory.
    #[arg(long)]
    output: PathBuf,
    /// Bars per window.
    #[arg(long, default_value_t = 60)]
    window: usize,
    /// Feature columns: prices are divided by the window's last close,
    /// volume is ln(1+volume) scaled.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "open,high,low,close,volume"
    )]
    columns: Vec<String>,
    /// Forward-return label horizons, bars.
    #[arg(long, value_delimiter = ',', default_value = "1,5,20")]
    horizons: Vec<usize>,
    /// Longest allowed step between consecutive bars inside a window and
    /// its labels (e.g. 5d, 30m).
    #[arg(long, default_value = "5d")]
    max_gap: String,
    /// Last bar time of the training split (inclusive); the scaler is
    /// fitted on bars up to it.
    #[arg(long)]
    train_end: Option<String>,
    /// Last bar time of the validation split (inclusive).
    #[arg(long)]
    valid_end: Option<String>,
    /// Bars after a window's end that must stay in its split (default:
    /// the longest horizon; never less).
    #[arg(long)]
    embargo: Option<usize>,
    /// Use this scaler (a scaler.json of an earlier run) instead of fitting one.
    #[arg(long)]
    scaler: Option<PathBuf>,
    /// Keep this many windows, sampled uniformly with --seed (default: all).
    #[arg(long)]
    count: Option<usize>,
    /// Sampling seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// One column per value (`close_0` .. `close_59`) instead of a list per feature.
    #[arg(long)]
    flatten: bool,
    /// Windows per Parquet row group (the memory bound).
    #[arg(long, default_value_t = 16_384)]
    row_group_windows: usize,
    /// Symbol column (default: detected).
    #[arg(long)]
    symbol_col: Option<String>,
    /// Timestamp column (default: detected).
    #[arg(long)]
    ts_col: Option<String>,
    /// Symbol for files without a symbol column (default: the file name).
    #[arg(long)]
    symbol: Option<String>,
    /// IANA zone of naive intraday timestamps (default UTC).
    #[arg(long)]
    tz: Option<String>,
    /// Stop when more than this fraction of rows is rejected.
    #[arg(long, default_value_t = 0.05)]
    max_reject_rate: f64,
}

/// Builds the samples and prints what was written.
pub fn samples_cmd(cmd: SamplesCmd) -> tickflow::Result<()> {
    let args = SamplesArgs {
        inputs: cmd.input,
        output: cmd.output.clone(),
        options: CsvOptions {
            mapping: ColumnMapping {
                symbol: cmd.symbol_col,
                ts: cmd.ts_col,
                ..Default::default()
            },
            default_symbol: cmd.symbol,
        },
        tz: cmd.tz,
        length: cmd.window,
        features: cmd.columns,
        horizons: cmd.horizons,
        max_gap: cmd.max_gap,
        train_end: cmd.train_end,
        valid_end: cmd.valid_end,
        embargo: cmd.embargo,
        scaler: cmd.scaler,
        count: cmd.count,
        seed: cmd.seed,
        flatten: cmd.flatten,
        row_group_windows: cmd.row_group_windows,
        max_reject_rate: cmd.max_reject_rate,
    };
    let s = samples::run(&args)?;
    let rejected: u64 = s.rejected.values().sum();
    println!(
        "samples: {} rows in ({} rejected, {} duplicates), {} symbols, {} eligible windows in {:.2} s",
        s.rows_in, rejected, s.duplicates, s.symbols, s.eligible, s.seconds
    );
    let d = &s.dropped;
    println!(
        "  left out: {} without {} bars of history, {} without every label, {} across a gap, {} by the embargo",
        d.short_history, args.length, d.no_label, d.gap, d.embargo
    );
    for (file, rows) in &s.written {
        println!("  {file}: {rows} windows");
    }
    println!(
        "  scaler: ln1p(volume) mean {:.6} std {:.6} over {} bars{}; under {}",
        s.scaler.mean,
        s.scaler.std,
        s.scaler.bars,
        s.scaler
            .fitted_through
            .as_ref()
            .map_or(String::new(), |t| format!(" through {t}")),
        cmd.output.display()
    );
    Ok(())
}
