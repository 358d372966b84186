//! The `query` command's flags.

use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use tickflow::query::print::QueryFormat;
use tickflow::query::{self, QueryArgs};

/// `tickflow query DIR --from D1 --to D2 ...`
#[derive(Args)]
pub struct QueryCmd {
    /// The store directory.
    store: PathBuf,
    /// First bar time, inclusive: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z.
    #[arg(long)]
    from: Option<String>,
    /// Last bar time, inclusive (a date includes the whole day).
    #[arg(long)]
    to: Option<String>,
    /// The values as they were known at this time.
    #[arg(long)]
    as_of: Option<String>,
    /// Only these symbols, comma-separated.
    #[arg(long, value_delimiter = ',')]
    symbols: Option<Vec<String>>,
    /// These columns after symbol and ts, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    format: QueryFormat,
    /// Write to this file instead of standard output (needed for parquet).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Read every file whole and filter afterwards (for comparison).
    #[arg(long)]
    full_scan: bool,
    /// Threads scanning files (default: the number of cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// Runs the query; the summary goes to standard error.
pub fn query_cmd(cmd: QueryCmd) -> tickflow::Result<()> {
    let args = QueryArgs {
        store: cmd.store,
        from: cmd.from,
        to: cmd.to,
        as_of: cmd.as_of,
        symbols: cmd.symbols,
        columns: cmd.columns,
        threads: cmd.threads,
        full_scan: cmd.full_scan,
        after: None,
    };
    let start = Instant::now();
    let r = query::run(&args, cmd.format, cmd.output.as_deref())?;
    eprintln!(
                "query: {} rows in {:.3} s; read {} of {} files, {} row groups ({} skipped by ts statistics)",
                r.batch.num_rows(),
                start.elapsed().as_secs_f64(),
                r.counts.files,
                r.files_in_store,
                r.counts.row_groups,
                r.counts.row_groups_skipped
            );
    Ok(())
}
