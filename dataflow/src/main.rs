//! The `tickflow` command line.

use clap::{Args, Parser, Subcommand};

mod cli;

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
    /// Compute features live from a Kafka topic of bars into the same store.
    Live(Box<cli::LiveCmd>),
    /// Publish a file's bars to a Kafka topic in bar-time order.
    Replay(Box<cli::ReplayCmd>),
    /// Read a store: a time window, some symbols and columns, as of a time.
    Query(Box<cli::query::QueryCmd>),
    /// Sliding training windows with forward-return labels, split by date.
    Samples(Box<cli::samples::SamplesCmd>),
    /// Backtest the config's signals on a store: a report per signal.
    Backtest(Box<cli::backtest::BacktestCmd>),
    /// Write a panel's equal-weight market series (the mean of its
    /// symbols' ret_1 at each bar time) for backfill --market.
    Market(MarketCmd),
    /// List the indicators, their inputs, parameters and outputs.
    Features,
    /// Show what a backfill would read: columns, mapping, rows, symbols,
    /// time range, order, invalid rows by reason.
    Inspect {
        /// Files, directories or globs.
        #[arg(required = true, num_args = 1..)]
        input: Vec<String>,
        #[command(flatten)]
        mapping: MappingFlags,
    },
    /// Write a deterministic synthetic universe of daily bars (CSV or Parquet).
    Gen(GenCmd),
    /// Generate a small universe, backfill it, and show what came out.
    Demo {
        /// Where to put the demo's input and store.
        #[arg(long, default_value = "tickflow-demo")]
        dir: PathBuf,
    },
}

#[derive(Args)]
struct MarketCmd {
    /// Input files, directories or globs (the panel's bars).
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    /// The series' file (`date,ret_1,members`).
    #[arg(long)]
    output: PathBuf,
    #[command(flatten)]
    mapping: MappingFlags,
}

fn market_cmd(cmd: MarketCmd) -> tickflow::Result<()> {
    let m = cmd.mapping;
    let options = m.csv_options();
    let ts = tickflow_connectors::TsParser::new(m.tz.as_deref())?;
    let b = tickflow::reference::equal_weight::build(&cmd.input, &options, &ts, &cmd.output)?;
    println!(
        "market: {} bar times, the equal-weight mean ret_1 of {} symbols ({} bars, {} invalid rows skipped): {}",
        b.times,
        b.symbols,
        b.bars,
        b.rejected,
        cmd.output.display()
    );
    Ok(())
}

#[derive(Args)]
struct GenCmd {
    /// Number of symbols.
    #[arg(long, default_value_t = 500)]
    symbols: usize,
    /// Number of business days.
    #[arg(long, default_value_t = 1000)]
    days: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file: Parquet when it ends in .parquet, else CSV.
    #[arg(long)]
    output: PathBuf,
    /// Row order.
    #[arg(long, value_enum, default_value_t = tickflow::gen::GenOrder::Time)]
    order: tickflow::gen::GenOrder,
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn print_summary(s: &backfill::BackfillSummary, output: &std::path::Path) {
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory: {mib:.0} MiB");
    }
    if s.process > 0 {
        println!(
            "backfill: process {} wrote {} rows in {:.2} s{} (process 0 has the run's summary and the manifest)",
            s.process,
            s.rows_out,
            s.seconds,
            if s.up_to_date { "; the store was up to date" } else { "" }
        );
        return;
    }
    if s.up_to_date {
        println!(
            "backfill: the store under {} is complete and up to date ({} rows): nothing to do",
            output.display(),
            s.store_rows
        );
        return;
    }
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
    if let Some(r) = s.revisions {
        println!(
            "  {} (the old ones stay readable with `tickflow query --as-of`)",
            r.describe()
        );
    }
    if let Some(after) = s.resumed_after {
        println!(
            "  continued after bar time {after} (the store's checkpoint): {} rows at or before it skipped; the store has {} rows",
            s.skipped, s.store_rows
        );
    }
    println!(
        "  {} partitions, {} columns, under {}",
        s.partitions.len(),
        s.columns.len(),
        output.display()
    );
}

impl MappingFlags {
    fn column_mapping(&self) -> ColumnMapping {
        ColumnMapping {
            symbol: self.symbol_col.clone(),
            ts: self.ts_col.clone(),
            sector: self.sector_col.clone(),
            ..Default::default()
        }
    }

    /// How to read the input's rows: the mapping and the default symbol.
    fn csv_options(&self) -> tickflow_connectors::file::CsvOptions {
        tickflow_connectors::file::CsvOptions {
            mapping: self.column_mapping(),
            default_symbol: self.symbol.clone(),
        }
    }
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
    /// A `symbol,sector` file, with an optional `from` column (the date
    /// from which the sector holds).
    #[arg(long)]
    sectors: Option<PathBuf>,
    /// IANA zone of naive intraday timestamps (default UTC), e.g. America/New_York.
    #[arg(long)]
    tz: Option<String>,
}

#[derive(Args)]
struct BackfillCmd {
    /// Input files, directories or globs (.csv, .csv.gz, .parquet, .arrow/.ipc/.feather).
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
    /// Output format (default: the config's, else parquet).
    #[arg(long, value_enum)]
    format: Option<tickflow::config::OutputFormat>,
    /// Compression codec (default: the config's, else zstd).
    #[arg(long, value_enum)]
    codec: Option<tickflow::config::Codec>,
    /// Write feature and cross-sectional columns as f32.
    #[arg(long)]
    float32: bool,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    /// Rows per spill bucket for input not in time order (the memory bound:
    /// about 150 bytes per row).
    #[arg(long, default_value_t = backfill::BUCKET_ROWS)]
    spill_bucket_rows: u64,
    /// Rows per time block, about (tests use small blocks to have many).
    #[arg(long, hide = true, default_value_t = backfill::BLOCK_ROWS)]
    block_rows: usize,
    /// Prometheus endpoint, HOST:PORT or off (default 127.0.0.1:9898, or
    /// the next free port).
    #[arg(long)]
    metrics_addr: Option<String>,
    /// Add the input's bars after the end of the store in --output,
    /// continuing from its checkpoint (the old input is not read again).
    #[arg(long)]
    append: bool,
    /// Universe membership, a `symbol,from,to` file: cross-sections rank
    /// and standardise the members at each bar time only.
    #[arg(long)]
    universe: Option<PathBuf>,
    /// Splits and dividends, a `symbol,date,kind,factor` file (kind split
    /// or dividend; factor multiplies prices before date). With --append,
    /// new actions revise the stored bars, known from now.
    #[arg(long)]
    actions: Option<PathBuf>,
    /// The market series the `beta` and `corr` features pair returns with:
    /// a `date,close` file of an index (or `date,ret_1`, as `tickflow
    /// market` writes), joined as of each bar's time.
    #[arg(long)]
    market: Option<PathBuf>,
    /// Checkpoint at least this often (wall time, e.g. 10s, 2m).
    #[arg(long, default_value = "10s", value_parser = tickflow::config::parse_duration)]
    checkpoint_interval: std::time::Duration,
    /// Also checkpoint after this many bar times (0: by wall time only).
    #[arg(long, default_value_t = 0)]
    checkpoint_every: u64,
    /// Forward-return label horizons in bars, e.g. 1,5,20: written to
    /// OUT/labels/ once the run completes (a row once its longest horizon
    /// is in the store).
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<usize>>,
    #[command(flatten)]
    mapping: MappingFlags,
    #[command(flatten)]
    cluster: cli::ClusterFlags,
}

fn backfill_cmd(cmd: BackfillCmd) -> tickflow::Result<()> {
    let mut config = match &cmd.config {
        Some(path) => PipelineConfig::load(path)?,
        None => PipelineConfig::default(),
    };
    if let Some(format) = cmd.format {
        config.sink.format = format;
    }
    if let Some(codec) = cmd.codec {
        config.sink.codec = codec;
    }
    config.sink.float32 |= cmd.float32;
    cli::start_metrics(&cmd.metrics_addr)?;
    let labels = cmd.labels;
    let m = cmd.mapping;
    let args = BackfillArgs {
        inputs: cmd.input,
        output: cmd.output,
        config,
        workers: cmd
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        mapping: m.column_mapping(),
        default_symbol: m.symbol,
        tz: m.tz,
        sectors: m.sectors,
        universe: cmd.universe,
        actions: cmd.actions,
        market: cmd.market,
        max_reject_rate: cmd.max_reject_rate,
        progress: !cmd.quiet,
        tuning: backfill::Tuning {
            spill_bucket_rows: cmd.spill_bucket_rows,
            block_rows: cmd.block_rows.max(1),
        },
        append: cmd.append,
        checkpoint: backfill::CheckpointPolicy {
            interval: cmd.checkpoint_interval,
            every_times: cmd.checkpoint_every,
        },
        cluster: cmd.cluster.cluster()?,
    };
    let s = backfill::run(&args)?;
    print_summary(&s, &args.output);
    if let (Some(horizons), 0) = (&labels, s.process) {
        let l = tickflow::labels::write_labels(&args.output, horizons)?;
        cli::print_labels(&l, &args.output);
    }
    Ok(())
}

/// Keeps freed memory mapped instead of returning it to the kernel after
/// 10 ms (mimalloc's default): a backfill frees and reallocates hundreds of
/// MB per second, and re-faulting zeroed pages cost an eighth of its time.
#[allow(unsafe_code)]
fn keep_freed_memory() {
    /// `mi_option_purge_delay` in mimalloc's `mi_option_t` (v2 and v3, the one built).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set only stores an integer option; mimalloc reads it
    // on its next purge decision. No memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    keep_freed_c_memory();
}

/// The same for the C allocator, which zstd's compression contexts use
/// (one per Parquet column being written, created and freed per column
/// chunk): glibc would give their memory back (trim, or a fresh mapping per
/// context) and fault it in again, zeroed, for the next. Measured on the
/// 4,000 x 5,000 backfill with 1 MiB pages: 26 s of system time without,
/// 13 s with.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn keep_freed_c_memory() {
    use std::ffi::c_int;
    // glibc's <malloc.h> parameter numbers.
    const M_TRIM_THRESHOLD: c_int = -1;
    const M_MMAP_THRESHOLD: c_int = -3;
    extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    // SAFETY: mallopt only sets two of glibc's allocator thresholds (1 GiB
    // before trimming, 32 MiB, its maximum, before a block gets its own
    // mapping); called before any thread starts.
    unsafe {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_c_memory() {}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Backfill(cmd) => backfill_cmd(*cmd),
        Command::Live(cmd) => cli::live_cmd(*cmd),
        Command::Replay(cmd) => cli::replay_cmd(*cmd),
        Command::Query(cmd) => cli::query::query_cmd(*cmd),
        Command::Samples(cmd) => cli::samples::samples_cmd(*cmd),
        Command::Backtest(cmd) => cli::backtest::backtest_cmd(*cmd),
        Command::Gen(g) => tickflow::gen::generate(&g.output, g.symbols, g.days, g.seed, g.order)
            .map(|n| println!("{n} bars written to {}", g.output.display()))
            .map_err(|e| tickflow::TickflowError::Output {
                path: g.output.display().to_string(),
                message: e.to_string(),
            }),
        Command::Demo { dir } => cli::demo::demo(&dir),
        Command::Market(cmd) => market_cmd(cmd),
        Command::Inspect { input, mapping } => {
            let options = mapping.csv_options();
            tickflow::inspect::inspect(&input, &options, mapping.tz.as_deref())
                .map(|report| print!("{report}"))
        }
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
