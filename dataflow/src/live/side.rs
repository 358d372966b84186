//! The live run's side outputs, shared by its workers: bars behind the
//! frontier (`_late_bars.csv`, with partition and offset) and messages that
//! are not bars (the dead letters: a CSV file, or a Kafka topic, with
//! partition, offset and reason). Both are flushed before any offset is
//! committed, so a committed message is never lost.

use crate::error::{Result, TickflowError};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tickflow_connectors::kafka::{KafkaConfig, TopicProducer};
use tickflow_connectors::{format_ts, TsKind};
use tickflow_operators::Bar;

/// Where dead letters go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterTarget {
    /// A CSV file.
    File(PathBuf),
    /// A Kafka topic on the same brokers.
    Topic(String),
}

impl DeadLetterTarget {
    /// `kafka:TOPIC` or a file path.
    pub fn parse(text: &str) -> Self {
        match text.strip_prefix("kafka:") {
            Some(topic) => Self::Topic(topic.to_string()),
            None => Self::File(PathBuf::from(text)),
        }
    }
}

enum DeadLetters {
    File(Box<csv::Writer<BufWriter<File>>>),
    Topic(TopicProducer),
}

/// The late-bars file and the dead-letter output.
pub struct SideOutputs {
    late: Mutex<csv::Writer<BufWriter<File>>>,
    dead: Mutex<DeadLetters>,
}

fn side_error(path: &Path, e: impl std::fmt::Display) -> TickflowError {
    TickflowError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn csv_file(path: &Path, header: &[&str]) -> Result<csv::Writer<BufWriter<File>>> {
    let file = File::create(path).map_err(|e| side_error(path, e))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    w.write_record(header).map_err(|e| side_error(path, e))?;
    Ok(w)
}

impl SideOutputs {
    /// Creates `late_path` and the dead-letter target.
    pub fn open(late_path: &Path, dead: &DeadLetterTarget, kafka: &KafkaConfig) -> Result<Self> {
        let late = csv_file(
            late_path,
            &[
                "partition",
                "offset",
                "symbol",
                "ts",
                "open",
                "high",
                "low",
                "close",
                "volume",
                "frontier",
            ],
        )?;
        let dead = match dead {
            DeadLetterTarget::File(p) => DeadLetters::File(Box::new(csv_file(
                p,
                &["partition", "offset", "reason", "key", "payload"],
            )?)),
            DeadLetterTarget::Topic(t) => DeadLetters::Topic(TopicProducer::new(kafka, t)?),
        };
        Ok(Self {
            late: Mutex::new(late),
            dead: Mutex::new(dead),
        })
    }

    /// Records a bar behind the frontier.
    #[allow(clippy::too_many_arguments)]
    pub fn late(
        &self,
        partition: i32,
        offset: i64,
        symbol: &str,
        kind: TsKind,
        ts: i64,
        bar: &Bar,
        frontier: i64,
    ) -> Result<()> {
        let mut w = self.late.lock().expect("not poisoned");
        w.write_record([
            partition.to_string(),
            offset.to_string(),
            symbol.to_string(),
            format_ts(kind, ts),
            bar.open.to_string(),
            bar.high.to_string(),
            bar.low.to_string(),
            bar.close.to_string(),
            bar.volume.to_string(),
            format_ts(kind, frontier),
        ])
        .map_err(|e| side_error(Path::new("_late_bars.csv"), e))
    }

    /// Records a message that is not a bar.
    pub fn dead_letter(
        &self,
        partition: i32,
        offset: i64,
        reason: &str,
        key: &[u8],
        payload: &[u8],
    ) -> Result<()> {
        let mut dead = self.dead.lock().expect("not poisoned");
        match &mut *dead {
            DeadLetters::File(w) => w
                .write_record([
                    partition.to_string().as_bytes(),
                    offset.to_string().as_bytes(),
                    reason.as_bytes(),
                    key,
                    payload,
                ])
                .map_err(|e| side_error(Path::new("dead letters"), e)),
            DeadLetters::Topic(p) => {
                let record = serde_json::json!({
                    "partition": partition,
                    "offset": offset,
                    "reason": reason,
                    "payload": String::from_utf8_lossy(payload),
                })
                .to_string();
                let key = String::from_utf8_lossy(key).into_owned();
                p.send(&key, record.as_bytes())
                    .map_err(TickflowError::Input)
            }
        }
    }

    /// Makes everything recorded so far durable.
    pub fn flush(&self) -> Result<()> {
        let mut late = self.late.lock().expect("not poisoned");
        late.flush()
            .and_then(|()| late.get_ref().get_ref().sync_data())
            .map_err(|e| side_error(Path::new("_late_bars.csv"), e))?;
        match &mut *self.dead.lock().expect("not poisoned") {
            DeadLetters::File(w) => w
                .flush()
                .and_then(|()| w.get_ref().get_ref().sync_data())
                .map_err(|e| side_error(Path::new("dead letters"), e)),
            DeadLetters::Topic(p) => p
                .flush(Duration::from_secs(30))
                .map(|_| ())
                .map_err(TickflowError::Input),
        }
    }
}
