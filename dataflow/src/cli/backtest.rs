//! The `backtest` command's flags.

use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use tickflow::backtest::{self, BacktestArgs};
use tickflow::config::PipelineConfig;
use tickflow::TickflowError;

/// `tickflow backtest STORE --config C --output DIR ...`
#[derive(Args)]
pub struct BacktestCmd {
    /// The feature store.
    store: PathBuf,
    /// The TOML config with the `[[signal]]` tables.
    #[arg(long)]
    config: String,
    /// The report directory (one folder per signal).
    #[arg(long)]
    output: PathBuf,
    /// Only these signals of the config, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    signal: Option<Vec<String>>,
    /// First bar, inclusive (YYYY-MM-DD or a time).
    #[arg(long)]
    from: Option<String>,
    /// Last bar, inclusive.
    #[arg(long)]
    to: Option<String>,
    /// Threads (default: the number of cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Also write each signal's formed portfolios, one row per ranked name
    /// and rebalance (`targets.parquet`: what the live signals topic
    /// carries for the same bars).
    #[arg(long)]
    targets: bool,
}

/// Runs the backtests and prints one line per signal.
pub fn backtest_cmd(cmd: BacktestCmd) -> tickflow::Result<()> {
    let config = PipelineConfig::load(&cmd.config)?;
    let mut signals = config.signals;
    if let Some(wanted) = &cmd.signal {
        if let Some(missing) = wanted
            .iter()
            .find(|w| !signals.iter().any(|s| &s.name == *w))
        {
            let names: Vec<&str> = signals.iter().map(|s| s.name.as_str()).collect();
            return Err(TickflowError::Config {
                path: "--signal".into(),
                message: format!(
                    "no signal `{missing}` in {}; it has: {}",
                    cmd.config,
                    names.join(", ")
                ),
            });
        }
        signals.retain(|s| wanted.contains(&s.name));
    }
    let start = Instant::now();
    let summaries = backtest::run(&BacktestArgs {
        store: cmd.store,
        signals,
        output: cmd.output.clone(),
        from: cmd.from,
        to: cmd.to,
        threads: cmd.threads,
        targets: cmd.targets,
    })?;
    for s in &summaries {
        println!(
            "{}: {} to {}, annual return {:.2}%, Sharpe {:.2}, max drawdown {:.2}%, mean IC {:.4} -> {}",
            s.signal,
            s.from,
            s.to,
            s.net.annual_return * 100.0,
            s.net.sharpe,
            s.net.max_drawdown * 100.0,
            s.net.mean_ic,
            cmd.output.join(&s.signal).join("report.md").display()
        );
    }
    eprintln!(
        "backtest: {} signals in {:.3} s",
        summaries.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
