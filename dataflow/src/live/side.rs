//! The live run's side outputs, shared by its workers: bars behind the
//! frontier (`_late_bars.csv`, with partition and offset) and messages that
//! are not bars (the dead letters: a CSV file, or a Kafka topic, with
//! partition, offset and reason). Both are flushed at every checkpoint,
//! before its manifest, so a committed message is never lost. A run that
//! resumes from a checkpoint keeps the lines of the messages read before
//! it and drops the rest, which it reads and records again.

use crate::error::{Result, TickflowError};
use std::collections::{BTreeMap, HashSet};
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
    File(Box<CsvOut>),
    Topic(TopicProducer),
}

/// The late-bars file and the dead-letter output.
pub struct SideOutputs {
    late: Mutex<CsvOut>,
    dead: Mutex<DeadLetters>,
}

fn side_error(path: &Path, e: impl std::fmt::Display) -> TickflowError {
    TickflowError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Per partition, the offset below which messages were read before the
/// checkpoint a run resumes from.
pub type ReadBefore = BTreeMap<i32, i64>;

/// (partition, offset) of messages.
pub type Offsets = HashSet<(i32, i64)>;

type CsvOut = csv::Writer<BufWriter<File>>;

/// Calls `keep` with the (partition, offset) and line of each of `path`'s
/// lines read before the checkpoint (`before`), skipping the header and a
/// line cut short by a crash.
fn lines_before(
    path: &Path,
    before: &ReadBefore,
    mut keep: impl FnMut(i32, i64, &csv::ByteRecord) -> Result<()>,
) -> Result<()> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| side_error(path, e))?;
    let mut record = csv::ByteRecord::new();
    while r
        .read_byte_record(&mut record)
        .map_err(|e| side_error(path, e))?
    {
        let field = |i: usize| {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
        };
        let (Some(p), Some(o)) = (field(0), field(1)) else {
            continue;
        };
        let p = p as i32;
        if before.get(&p).is_some_and(|&b| o < b) {
            keep(p, o, &record)?;
        }
    }
    Ok(())
}

/// Opens a side CSV file: a new one, or (resuming) the old one with only
/// the lines of messages read before the checkpoint, whose (partition,
/// offset) are returned.
fn csv_file(
    path: &Path,
    header: &[&str],
    resume: Option<&ReadBefore>,
) -> Result<(CsvOut, Offsets)> {
    let mut kept = HashSet::new();
    let (Some(before), true) = (resume, path.exists()) else {
        let file = File::create(path).map_err(|e| side_error(path, e))?;
        let mut w = csv::Writer::from_writer(BufWriter::new(file));
        w.write_record(header).map_err(|e| side_error(path, e))?;
        return Ok((w, kept));
    };
    let temp = path.with_extension("csv.tmp");
    {
        let mut w = csv::Writer::from_path(&temp).map_err(|e| side_error(&temp, e))?;
        w.write_record(header).map_err(|e| side_error(&temp, e))?;
        lines_before(path, before, |p, o, record| {
            kept.insert((p, o));
            w.write_byte_record(record)
                .map_err(|e| side_error(&temp, e))
        })?;
        w.flush()
            .and_then(|()| w.get_ref().sync_all())
            .map_err(|e| side_error(&temp, e))?;
    }
    std::fs::rename(&temp, path).map_err(|e| side_error(path, e))?;
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| side_error(path, e))?;
    Ok((csv::Writer::from_writer(BufWriter::new(file)), kept))
}

/// A side file's name in process `process` of a cluster: the name itself
/// in process 0 (and in a single process), `NAME.pI.csv` in process I, so
/// that processes sharing the output directory never write one file.
///
/// ```
/// use std::path::Path;
/// use tickflow::live::side_file;
/// assert_eq!(side_file(Path::new("o/_late_bars.csv"), 0), Path::new("o/_late_bars.csv"));
/// assert_eq!(side_file(Path::new("o/_late_bars.csv"), 2), Path::new("o/_late_bars.p2.csv"));
/// ```
pub fn side_file(path: &Path, process: usize) -> PathBuf {
    if process == 0 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!("{stem}.p{process}.csv"))
}

/// The (partition, offset) of the late bars read before the checkpoint in
/// the other processes' late-bars files beside `own` (a restarted cluster
/// may give a partition to another process).
fn late_elsewhere(own: &Path, before: &ReadBefore) -> Result<Offsets> {
    let mut seen = HashSet::new();
    let dir = own.parent().unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(seen);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path != own && name.starts_with("_late_bars") && name.ends_with(".csv") {
            lines_before(&path, before, |p, o, _| {
                seen.insert((p, o));
                Ok(())
            })?;
        }
    }
    Ok(seen)
}

impl SideOutputs {
    /// Creates `late_path` and the dead-letter target, or (resuming) keeps
    /// their lines of messages read before the checkpoint; returns the
    /// (partition, offset) of the late bars read before it (in this
    /// file and in the other cluster processes' files beside it).
    pub fn open(
        late_path: &Path,
        dead: &DeadLetterTarget,
        kafka: &KafkaConfig,
        resume: Option<&ReadBefore>,
    ) -> Result<(Self, Offsets)> {
        let (late, late_kept) = csv_file(
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
            resume,
        )?;
        let dead = match dead {
            DeadLetterTarget::File(p) => DeadLetters::File(Box::new(
                csv_file(
                    p,
                    &["partition", "offset", "reason", "key", "payload"],
                    resume,
                )?
                .0,
            )),
            DeadLetterTarget::Topic(t) => DeadLetters::Topic(TopicProducer::new(kafka, t)?),
        };
        let outputs = Self {
            late: Mutex::new(late),
            dead: Mutex::new(dead),
        };
        let mut late_kept = late_kept;
        if let Some(before) = resume {
            late_kept.extend(late_elsewhere(late_path, before)?);
        }
        Ok((outputs, late_kept))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resuming_keeps_only_the_lines_read_before_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("_dead.csv");
        let header = ["partition", "offset", "reason"];
        let (mut w, _) = csv_file(&path, &header, None).unwrap();
        for (p, o) in [(0, 1), (0, 7), (1, 2), (2, 0)] {
            w.write_record([p.to_string(), o.to_string(), "x".into()])
                .unwrap();
        }
        drop(w);
        // A crash cut the last line short.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"1,"))
            .unwrap();
        let before: ReadBefore = [(0, 5), (1, 3)].into();
        let (mut w, kept) = csv_file(&path, &header, Some(&before)).unwrap();
        assert_eq!(kept, [(0, 1), (1, 2)].into());
        w.write_record(["0", "5", "y"]).unwrap();
        drop(w);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "partition,offset,reason\n0,1,x\n1,2,x\n0,5,y\n");
    }
}
