//! `tickflow replay`: publishes a file's bars to a Kafka topic in bar-time
//! order (as fast as possible, or at a multiple of real time), so demos and
//! tests drive the live path from real data. It reads files exactly as a
//! backfill does: same formats, column mapping, validation and rejects.

use crate::backfill::{read_in_time_order, BackfillArgs};
use crate::error::{Result, TickflowError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tickflow_connectors::kafka::{
    encode_csv, encode_json, ensure_topic, KafkaConfig, MessageFormat, TopicProducer,
};
use tickflow_connectors::TsKind;

/// How fast to publish.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// No waiting.
    Max,
    /// Bar time passes this many times faster than wall time.
    Factor(f64),
}

impl Speed {
    /// `max` or `60x`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        if text == "max" {
            return Ok(Self::Max);
        }
        match text.strip_suffix('x').and_then(|f| f.parse::<f64>().ok()) {
            Some(f) if f > 0.0 && f.is_finite() => Ok(Self::Factor(f)),
            _ => Err(format!(
                "--speed `{text}`: expected a positive factor such as 60x, or max"
            )),
        }
    }
}

/// Everything a replay needs.
#[derive(Debug, Clone)]
pub struct ReplayArgs {
    /// The files, mapping and validation (the backfill's reading options;
    /// its output is where the rejects file goes).
    pub read: BackfillArgs,
    /// Brokers, topic and client settings.
    pub kafka: KafkaConfig,
    /// Partitions of the topic when it has to be created.
    pub partitions: i32,
    /// How fast.
    pub speed: Speed,
    /// How bars are encoded.
    pub format: MessageFormat,
}

/// What a replay published.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    /// Messages delivered.
    pub messages: u64,
    /// Rows rejected while reading, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Wall time.
    pub seconds: f64,
}

fn config(m: String) -> TickflowError {
    TickflowError::Config {
        path: "kafka".into(),
        message: m,
    }
}

/// Publishes every valid bar of the input, key = symbol.
pub fn run(args: &ReplayArgs) -> Result<ReplaySummary> {
    let started = Instant::now();
    let topic = args.kafka.topic().map_err(config)?.to_string();
    ensure_topic(&args.kafka, &topic, args.partitions)?;
    let mut producer = TopicProducer::new(&args.kafka, &topic)?;
    let work: PathBuf = args.read.output.clone();
    // The first bar time, with the wall clock it was published at.
    let mut origin: Option<(i64, Instant)> = None;
    let report = read_in_time_order(&args.read, &work, |bars, symbols| {
        let kind = bars.ts_kind.unwrap_or(TsKind::Date);
        for i in 0..bars.len() {
            let ts = bars.ts[i];
            if let Speed::Factor(f) = args.speed {
                let (t0, wall0) = *origin.get_or_insert((ts, Instant::now()));
                let units = (ts - t0) as f64;
                let secs = match kind {
                    TsKind::Date => units * 86_400.0,
                    TsKind::Micros => units / 1e6,
                } / f;
                let due = wall0 + Duration::from_secs_f64(secs.max(0.0));
                let now = Instant::now();
                if due > now {
                    producer.poll();
                    std::thread::sleep(due - now);
                }
            }
            let symbol = symbols.name(bars.symbol[i]);
            let payload = match &args.format {
                MessageFormat::Json => encode_json(symbol, kind, ts, &bars.bar[i]),
                MessageFormat::Csv(layout) => encode_csv(symbol, kind, ts, &bars.bar[i], layout),
            };
            producer.send(symbol, payload.as_bytes())?;
        }
        Ok(())
    })?;
    let messages = producer.flush(Duration::from_secs(60))?;
    Ok(ReplaySummary {
        messages,
        rejected: report.rejected,
        seconds: started.elapsed().as_secs_f64(),
    })
}
