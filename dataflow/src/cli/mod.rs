//! The `live` and `replay` commands' flags, and how they combine with the
//! TOML config (flags win).

pub mod backtest;
pub mod demo;
pub mod query;
pub mod samples;

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use tickflow::config::{parse_duration, PipelineConfig};
use tickflow::live::{self, DeadLetterTarget, LiveArgs};
use tickflow::metrics::{self, MetricsAddr};
use tickflow::replay::{self, ReplayArgs, Speed};
use tickflow::{Result, TickflowError};
use tickflow_connectors::kafka::{KafkaConfig, MessageFormat};

fn bad(flag: &str, message: String) -> TickflowError {
    TickflowError::Config {
        path: flag.into(),
        message,
    }
}

/// Where the brokers are and how to talk to them.
#[derive(Args, Clone)]
pub struct KafkaFlags {
    /// Brokers, `host:port[,host:port]` (default: the config's kafka.brokers).
    #[arg(long)]
    brokers: Option<String>,
    /// The bars topic (default: the config's kafka.topic).
    #[arg(long)]
    topic: Option<String>,
    /// A librdkafka client setting, `KEY=VALUE` (repeatable), e.g.
    /// `--kafka-set security.protocol=SASL_SSL`.
    #[arg(long = "kafka-set", value_name = "KEY=VALUE")]
    kafka_set: Vec<String>,
    /// Message format: json, csv or csv:FIELD,... (default: the config's live.format).
    #[arg(long = "message-format")]
    message_format: Option<String>,
}

impl KafkaFlags {
    fn apply(&self, kafka: &mut KafkaConfig) -> Result<()> {
        if let Some(b) = &self.brokers {
            kafka.brokers = Some(b.clone());
        }
        if let Some(t) = &self.topic {
            kafka.topic = Some(t.clone());
        }
        for kv in &self.kafka_set {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad("--kafka-set", format!("`{kv}` is not KEY=VALUE")))?;
            kafka
                .client
                .insert(k.trim().to_string(), v.trim().to_string());
        }
        Ok(())
    }

    fn format(&self, config: &PipelineConfig) -> Result<MessageFormat> {
        let text = self
            .message_format
            .as_deref()
            .unwrap_or(&config.live.format);
        MessageFormat::parse(text).map_err(|m| bad("--message-format", m))
    }
}

/// Timely's cluster mode: the same command on every host, each with its
/// own `--process-id`.
#[derive(Args, Clone)]
pub struct ClusterFlags {
    /// Processes in the cluster (each runs --workers threads; every
    /// process needs the same count).
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// This process, 0..processes. Process 0 reads the input and writes
    /// the manifest; the output directory must be the same (shared) one
    /// for every process.
    #[arg(long, default_value_t = 0)]
    process_id: usize,
    /// One `host:port` line per process, in process order (default:
    /// 127.0.0.1:2101, :2102, ...).
    #[arg(long)]
    hostfile: Option<PathBuf>,
}

impl ClusterFlags {
    /// The cluster the flags describe.
    pub fn cluster(&self) -> Result<tickflow::cluster::Cluster> {
        tickflow::cluster::Cluster::from_flags(
            self.processes,
            self.process_id,
            self.hostfile.as_deref(),
        )
    }
}

fn load(config: &Option<String>) -> Result<PipelineConfig> {
    match config {
        Some(path) => PipelineConfig::load(path),
        None => Ok(PipelineConfig::default()),
    }
}

fn duration(flag: &str, text: &str) -> Result<Duration> {
    parse_duration(text).map_err(|m| bad(flag, m))
}

/// `tickflow live`.
#[derive(Args)]
pub struct LiveCmd {
    #[command(flatten)]
    kafka: KafkaFlags,
    #[command(flatten)]
    cluster: ClusterFlags,
    /// Consumer group (a new group starts from the earliest offset).
    #[arg(long)]
    group: Option<String>,
    /// The store directory.
    #[arg(long)]
    output: PathBuf,
    /// Publish each output row as JSON to this topic.
    #[arg(long)]
    features_topic: Option<String>,
    /// Publish each bar time's portfolio of every `[[signal]]` of the
    /// config to this topic (one JSON message per ranked name).
    #[arg(long)]
    signals_topic: Option<String>,
    /// Forward-return label horizons in bars, e.g. 1,5,20: OUT/labels/,
    /// rewritten from the store after checkpoints and at the end (a row
    /// once its longest horizon is in the store).
    #[arg(long, value_delimiter = ',')]
    labels: Option<Vec<usize>>,
    /// At most this often a labels rewrite after a checkpoint.
    #[arg(long, default_value = "60s", value_parser = tickflow::config::parse_duration)]
    labels_interval: Duration,
    /// TOML pipeline file: features, cross-sections, sink, [kafka], [live].
    #[arg(long)]
    config: Option<String>,
    /// End once every partition has been read to its end and SECS passed
    /// without new messages: close every open bar time, flush, commit,
    /// exit 0.
    #[arg(long, value_name = "SECS")]
    idle_exit: Option<f64>,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Allowed lateness, e.g. 0s, 90s, 2m (default: the config's live.lateness).
    #[arg(long)]
    lateness: Option<String>,
    /// A partition silent this long stops holding the frontier back.
    #[arg(long)]
    idle_timeout: Option<String>,
    /// Dead letters: a CSV file (relative names go in the output
    /// directory) or kafka:TOPIC.
    #[arg(long, default_value = "_dead_letter.csv")]
    dead_letter: String,
    /// How long to wait for the topic to exist.
    #[arg(long, default_value = "60s")]
    topic_wait: String,
    /// A `symbol,sector` file, with an optional `from` column (the date
    /// from which the sector holds).
    #[arg(long)]
    sectors: Option<PathBuf>,
    /// Universe membership, a `symbol,from,to` file: cross-sections rank
    /// and standardise the members at each bar time only.
    #[arg(long)]
    universe: Option<PathBuf>,
    /// Corporate actions, a `symbol,date,kind,factor` file (kind `split`
    /// or `dividend`): bars before an action's date are adjusted, and an
    /// action new to the store revises its stored bars.
    #[arg(long)]
    actions: Option<PathBuf>,
    /// The topic's symbol whose bars are the market series that `beta`
    /// and `corr` features pair every symbol with (an index or an ETF, as
    /// a backfill's --market file of its closes).
    #[arg(long)]
    market_symbol: Option<String>,
    /// IANA zone of naive intraday timestamps (default UTC).
    #[arg(long)]
    tz: Option<String>,
    /// Prometheus endpoint, HOST:PORT or off (default 127.0.0.1:9898, or
    /// the next free port).
    #[arg(long)]
    metrics_addr: Option<String>,
    /// Checkpoint (and then commit offsets) this often, e.g. 5s (default:
    /// the config's live.checkpoint_interval).
    #[arg(long)]
    checkpoint_interval: Option<String>,
    /// Also checkpoint after this many bar times (0: by wall time only).
    #[arg(long, default_value_t = 0)]
    checkpoint_every: u64,
    /// At most this often pause to apply late bars to the store as
    /// corrections, e.g. 60s, or off (default: the config's
    /// live.corrections_interval).
    #[arg(long)]
    corrections_interval: Option<String>,
}

/// Starts the metrics endpoint and says where it is.
pub fn start_metrics(flag: &Option<String>) -> Result<()> {
    let addr = match flag {
        Some(text) => MetricsAddr::parse(text).map_err(|m| bad("--metrics-addr", m))?,
        None => MetricsAddr::Default,
    };
    if let Some(local) = metrics::serve(&addr).map_err(|m| bad("--metrics-addr", m))? {
        eprintln!("metrics: http://{local}/metrics");
    }
    Ok(())
}

/// The summary line of the labels written beside `store`.
pub fn print_labels(l: &tickflow::labels::LabelsSummary, store: &std::path::Path) {
    println!(
        "  labels: {} rows in {} files under {} ({} rows wait for their horizon)",
        l.rows,
        l.files,
        store.join(tickflow::labels::LABELS).display(),
        l.pending
    );
}

/// Runs `tickflow live`.
pub fn live_cmd(cmd: LiveCmd) -> Result<()> {
    let mut config = load(&cmd.config)?;
    cmd.kafka.apply(&mut config.kafka)?;
    if let Some(g) = &cmd.group {
        config.kafka.group = Some(g.clone());
    }
    let format = cmd.kafka.format(&config)?;
    let lateness = duration(
        "--lateness",
        cmd.lateness.as_deref().unwrap_or(&config.live.lateness),
    )?;
    let idle_timeout = duration(
        "--idle-timeout",
        cmd.idle_timeout
            .as_deref()
            .unwrap_or(&config.live.idle_timeout),
    )?;
    let checkpoint = tickflow::durable::CheckpointPolicy {
        interval: duration(
            "--checkpoint-interval",
            cmd.checkpoint_interval
                .as_deref()
                .unwrap_or(&config.live.checkpoint_interval),
        )?,
        every_times: cmd.checkpoint_every,
    };
    let corrections = match cmd
        .corrections_interval
        .as_deref()
        .unwrap_or(&config.live.corrections_interval)
    {
        "off" => None,
        text => Some(duration("--corrections-interval", text)?),
    };
    let idle_exit = match cmd.idle_exit {
        Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
        Some(s) => {
            return Err(bad(
                "--idle-exit",
                format!("{s} is not a number of seconds"),
            ))
        }
        None => None,
    };
    start_metrics(&cmd.metrics_addr)?;
    let args = LiveArgs {
        kafka: config.kafka.clone(),
        output: cmd.output,
        workers: cmd
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        format,
        tz: cmd.tz,
        sectors: cmd.sectors,
        universe: cmd.universe,
        actions: cmd.actions,
        market_symbol: cmd.market_symbol,
        lateness,
        idle_timeout,
        idle_exit,
        features_topic: cmd.features_topic,
        signals_topic: cmd.signals_topic,
        labels: cmd.labels,
        labels_interval: cmd.labels_interval,
        dead_letter: DeadLetterTarget::parse(&cmd.dead_letter),
        topic_wait: duration("--topic-wait", &cmd.topic_wait)?,
        checkpoint,
        corrections,
        cluster: cmd.cluster.cluster()?,
        config,
    };
    let s = live::run(&args)?;
    println!(
        "live: {} bars in, {} rows out, {} late, {} dead letters in {:.2} s; store under {}",
        s.rows_in,
        s.rows_out,
        s.late,
        s.dead_letters,
        s.seconds,
        args.output.display()
    );
    if !args.cluster.is_single() {
        println!(
            "  process {} of {}: the counts are this process's share",
            args.cluster.process, args.cluster.processes
        );
    }
    for c in &s.corrections {
        println!("  {c}");
    }
    if let Some((p50, p99)) = s.cs_latency_ms {
        println!("  frontier passed -> cross-section computed: p50 {p50:.2} ms, p99 {p99:.2} ms");
    }
    if let Some((p50, p99)) = s.latency_ms {
        println!("  frontier passed -> rows in the store: p50 {p50:.2} ms, p99 {p99:.2} ms");
    }
    if s.computed_ahead.0 > 0 {
        println!(
            "  rows computed ahead of the frontier: {} ({} again when it passed)",
            s.computed_ahead.0, s.computed_ahead.1
        );
    }
    if s.cross_sections_ahead.1 > 0 {
        println!(
            "  cross-sections computed ahead of the frontier: {} of {}",
            s.cross_sections_ahead.0, s.cross_sections_ahead.1
        );
    }
    if let Some(l) = &s.labels {
        print_labels(l, &args.output);
    }
    Ok(())
}

/// `tickflow replay`.
#[derive(Args)]
pub struct ReplayCmd {
    /// Input files, directories or globs (as for backfill).
    #[arg(long, required = true, num_args = 1..)]
    input: Vec<String>,
    #[command(flatten)]
    kafka: KafkaFlags,
    /// Partitions of the topic, when replay creates it.
    #[arg(long, default_value_t = 4)]
    partitions: i32,
    /// Publish as fast as possible (the default).
    #[arg(long, conflicts_with = "speed")]
    max: bool,
    /// Bar time this many times faster than real time, e.g. 60x.
    #[arg(long)]
    speed: Option<String>,
    /// TOML pipeline file (for [kafka] and live.format).
    #[arg(long)]
    config: Option<String>,
    /// Where the rejects file (and spill buckets, for input not in time
    /// order) go.
    #[arg(long, default_value = "tickflow-replay")]
    work_dir: PathBuf,
    /// Stop when more than this fraction of rows is rejected.
    #[arg(long, default_value_t = 0.05)]
    max_reject_rate: f64,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    mapping: super::MappingFlags,
}

/// Runs `tickflow replay`.
pub fn replay_cmd(cmd: ReplayCmd) -> Result<()> {
    let mut config = load(&cmd.config)?;
    cmd.kafka.apply(&mut config.kafka)?;
    let format = cmd.kafka.format(&config)?;
    let speed = match (&cmd.speed, cmd.max) {
        (Some(s), _) => Speed::parse(s).map_err(|m| bad("--speed", m))?,
        (None, _) => Speed::Max,
    };
    let m = cmd.mapping;
    let args = ReplayArgs {
        read: tickflow::backfill::BackfillArgs {
            workers: 1,
            mapping: m.column_mapping(),
            default_symbol: m.symbol,
            tz: m.tz,
            sectors: m.sectors,
            max_reject_rate: cmd.max_reject_rate,
            progress: !cmd.quiet,
            ..tickflow::backfill::BackfillArgs::new(cmd.input, cmd.work_dir)
        },
        kafka: config.kafka,
        partitions: cmd.partitions,
        speed,
        format,
    };
    let s = replay::run(&args)?;
    let rejected: u64 = s.rejected.values().sum();
    println!(
        "replay: {} bars published to {} in {:.2} s ({:.0}/s), {rejected} rows rejected",
        s.messages,
        args.kafka.topic.as_deref().unwrap_or(""),
        s.seconds,
        s.messages as f64 / s.seconds.max(1e-9)
    );
    Ok(())
}
