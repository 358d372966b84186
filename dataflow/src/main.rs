//! The `tickflow` command line.

use clap::{Args, Parser, Subcommand};

// Output batches are large and short-lived: glibc's allocator returns them to
// the kernel and faults fresh pages in for the next (a fifth of a backfill's
// time went to clearing pages); mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;
use tickflow::backfill::{self, BackfillArgs};
use tickflow::config::PipelineConfig;
use tickflow_connectors::ColumnMapping;
use tickflow_operators::engine::catalog;

#[derive(Parser)]
#[command(
    name = "tickflow",
    version,
    about = "Streaming features for quantitative equity research: one code path for history and live"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute features over bar files into a partitioned Parquet store.
    Backfill(Box<BackfillCmd>),
    /// List the indicators, their inputs, parameters and outputs.
    Features,
}

/// Column mapping flags shared by the commands that read bar files.
#[derive(Args, Clone)]
struct MappingFlags {
    /// Symbol column (default: detected; without one, each file is one symbol).
    #[arg(long)]
    symbol_col: Option<String>,
    /// Timestamp column (default: detected: ts, date, datetime, timestamp, time).
    #[arg(long)]
    ts_col: Option<String>,
    /// Sector column.
    #[arg(long)]
    sector_col: Option<String>,
    /// Symbol for files without a symbol column (default: the file name).
    #[arg(long)]
    symbol: Option<String>,
    /// A `symbol,sector` file.
    #[arg(long)]
    sectors: Option<PathBuf>,
    /// IANA zone of naive intraday timestamps (default UTC), e.g. America/New_York.
    #[arg(long)]
    tz: Option<String>,
}

#[derive(Args)]
struct BackfillCmd {
    /// Input files, directories or globs (CSV, plain or .gz).
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    /// Output directory.
    #[arg(long)]
    output: PathBuf,
    /// TOML pipeline file (default: the standard feature set).
    #[arg(long)]
    config: Option<String>,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Stop when more than this fraction of rows is rejected.
    #[arg(long, default_value_t = 0.05)]
    max_reject_rate: f64,
    #[command(flatten)]
    mapping: MappingFlags,
}

fn backfill_cmd(cmd: BackfillCmd) -> tickflow::Result<()> {
    let config = match &cmd.config {
        Some(path) => PipelineConfig::load(path)?,
        None => PipelineConfig::default(),
    };
    let m = cmd.mapping;
    let args = BackfillArgs {
        inputs: cmd.input,
        output: cmd.output,
        config,
        workers: cmd
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        mapping: ColumnMapping {
            symbol: m.symbol_col,
            ts: m.ts_col,
            sector: m.sector_col,
            ..Default::default()
        },
        default_symbol: m.symbol,
        tz: m.tz,
        sectors: m.sectors,
        max_reject_rate: cmd.max_reject_rate,
    };
    let s = backfill::run(&args)?;
    println!(
        "backfill: {} rows in, {} rows out in {:.2} s ({:.0} rows/s)",
        s.rows_in,
        s.rows_out,
        s.seconds,
        s.rows_in as f64 / s.seconds.max(1e-9)
    );
    let rejected: u64 = s.rejected.values().sum();
    println!(
        "  rejected: {rejected}{}",
        if rejected == 0 {
            String::new()
        } else {
            format!(
                " ({})",
                s.rejected
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    println!(
        "  duplicates dropped: {}, corrections applied: {}",
        s.duplicates, s.corrections
    );
    println!(
        "  {} partitions, {} columns, under {}",
        s.partitions.len(),
        s.columns.len(),
        args.output.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Backfill(cmd) => backfill_cmd(*cmd),
        Command::Features => {
            for info in catalog() {
                println!("{info}\n");
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
