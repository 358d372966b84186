//! Hive-partitioned output files (`year=YYYY/`, plus `month=MM/` for
//! intraday), Parquet or Arrow IPC, written under temporary names
//! (`.part-WWW-SSSSSSSS.parquet.tmp`: worker, sequence number) and renamed
//! when complete. A backfill keeps one file per worker and partition open
//! until the partition is over, a checkpoint completes it or it holds
//! `[sink] file_rows` rows (so that a revision near the store's end
//! rewrites small files); a live run
//! rolls: each write is completed at once as its own file, so rows are
//! readable as soon as their bar time closes. Completed files are handed to
//! the checkpoint ([`Sink::take_completed`]), which lists them in the manifest.

mod chunk_parts;
mod codec;
mod direct;
mod encoder;
mod fed_thread;
mod floats;
mod page_header;
mod parquet_file;
mod spares;
mod zstd_planes;

use crate::config::{Codec, OutputFormat, SinkConfig};
use crate::durable::{failpoint, StoreFile};
use crate::schema::OutputSchema;
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use codec::PageCodec;
use direct::OutputFile;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use tickflow_connectors::{civil_from_days, days_from_civil, TsKind};

const DAY_MICROS: i64 = 86_400_000_000;

/// The partition directory of a bar time, e.g. `year=2014` or `year=2020/month=12`.
pub fn partition_of(ts_kind: TsKind, ts: i64) -> String {
    match ts_kind {
        TsKind::Date => format!("year={}", civil_from_days(ts).0),
        TsKind::Micros => {
            let (y, m, _) = civil_from_days(ts.div_euclid(DAY_MICROS));
            format!("year={y}/month={m:02}")
        }
    }
}

/// The first bar time after the partition of `ts`.
pub fn partition_end(ts_kind: TsKind, ts: i64) -> i64 {
    match ts_kind {
        TsKind::Date => days_from_civil(civil_from_days(ts).0 + 1, 1, 1),
        TsKind::Micros => {
            let (y, m, _) = civil_from_days(ts.div_euclid(DAY_MICROS));
            let (ny, nm) = if m == 12 {
                (y + 1, 1)
            } else {
                (y, m as i64 + 1)
            };
            days_from_civil(ny, nm, 1) * DAY_MICROS
        }
    }
}

enum Writer {
    Parquet(parquet_file::ParquetWriter<OutputFile>),
    /// Encoded on a thread of its own ([`encoder`]): a direct file's.
    Beside(encoder::Encoder<OutputFile>),
    Ipc(arrow_ipc::writer::FileWriter<BufWriter<OutputFile>>),
}

struct PartitionFile {
    end: i64,
    temp: PathBuf,
    path: PathBuf,
    writer: Writer,
    rows: u64,
}

/// One worker's open partition files.
pub struct Sink {
    root: PathBuf,
    worker: usize,
    schema: SchemaRef,
    ts_kind: TsKind,
    config: SinkConfig,
    files: BTreeMap<String, PartitionFile>,
    closed: BTreeMap<String, u64>,
    /// Completed files not yet taken by a checkpoint.
    completed: Vec<StoreFile>,
    /// Direct files being written out, synced and renamed by threads of
    /// their own; settled at a checkpoint, at the end, or on abort.
    closing: Vec<Closing>,
    /// The next file's sequence number.
    seq: u64,
    rolling: bool,
    /// Data files written around the page cache ([`Sink::direct`]).
    direct: bool,
    /// The cluster process, named in file names.
    process: Option<usize>,
    /// File names: `{prefix}-…{ext}{suffix}`.
    prefix: &'static str,
    suffix: &'static str,
}

fn fail(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

impl Sink {
    /// A sink writing under `root` as `worker`.
    pub fn new(root: &Path, worker: usize, schema: OutputSchema, config: SinkConfig) -> Self {
        Self::of_rows(root, worker, schema.schema(), schema.ts_kind(), config)
    }

    /// A sink of rows of another `schema` (whose `ts` holds `ts_kind`), such
    /// as a store's superseded rows.
    pub fn of_rows(
        root: &Path,
        worker: usize,
        schema: SchemaRef,
        ts_kind: TsKind,
        config: SinkConfig,
    ) -> Self {
        Self {
            root: root.to_path_buf(),
            worker,
            schema,
            ts_kind,
            config,
            files: BTreeMap::new(),
            closed: BTreeMap::new(),
            completed: Vec::new(),
            closing: Vec::new(),
            seq: 0,
            rolling: false,
            direct: false,
            process: None,
            prefix: "part",
            suffix: "",
        }
    }

    /// Names this sink's files `part-pPP-wWWW-SSSSSSSS` (a cluster's
    /// process `process`; the worker number is global).
    pub fn in_process(mut self, process: usize) -> Self {
        self.process = Some(process);
        self
    }

    /// Names its files `{prefix}-WWW-SSSSSSSS.{ext}{suffix}` instead of
    /// `part-WWW-SSSSSSSS.{ext}`.
    pub fn named(mut self, prefix: &'static str, suffix: &'static str) -> Self {
        self.prefix = prefix;
        self.suffix = suffix;
        self
    }

    /// A sink that completes its files at every [`Sink::roll`].
    pub fn rolling(mut self) -> Self {
        self.rolling = true;
        self
    }

    /// Writes its files around the page cache (`O_DIRECT`, a writer thread
    /// per open file, up to four 8 MiB buffers each): for a backfill,
    /// whose few open files grow to hundreds of megabytes nobody reads
    /// back at once. A direct Parquet file is also encoded by a thread of
    /// its own ([`encoder`]), and a direct file is completed in the
    /// background: the worker goes on, while a thread writes its footer,
    /// waits for the last buffers to reach the device, syncs and renames
    /// it (a failure there is returned by the next checkpoint or
    /// [`finish`](Self::finish)); a checkpoint, `finish` and
    /// [`abort`](Self::abort) wait for those threads. Sinks that may hold
    /// many small files open at once (a revision's rewrite, one per
    /// partition touched) or roll them (live) write through the page cache.
    pub fn direct(mut self) -> Self {
        self.direct = true;
        self
    }

    /// Numbers this sink's files from `seq` on (a store's next free number:
    /// names never repeat, so no run overwrites a listed file).
    pub fn starting_at(mut self, seq: u64) -> Self {
        self.seq = seq;
        self
    }

    /// Completes every open file when rolling (a no-op otherwise).
    pub fn roll(&mut self) -> Result<(), String> {
        match self.rolling {
            true => self.close_before(i64::MAX),
            false => Ok(()),
        }
    }

    /// Completes every open file (a checkpoint), including those completing
    /// in the background.
    pub fn complete_all(&mut self) -> Result<(), String> {
        self.close_before(i64::MAX)?;
        self.settle()
    }

    /// Waits for the files completing in the background: each one done
    /// is completed; a failed one is removed under both its names (as an
    /// abort would) and the first failure is returned, after waiting for all.
    fn settle(&mut self) -> Result<(), String> {
        let mut first = Ok(());
        for c in std::mem::take(&mut self.closing) {
            let failed = match c.thread.join() {
                Ok(Ok(())) => {
                    self.done(c.file);
                    continue;
                }
                Ok(Err(e)) => e,
                Err(_) => format!("{}: the closing thread panicked", c.file.path),
            };
            let _ = std::fs::remove_file(&c.temp);
            let _ = std::fs::remove_file(self.root.join(&c.file.path));
            first = first.and(Err(failed));
        }
        first
    }

    /// Counts a completed file and keeps it for the next checkpoint.
    fn done(&mut self, file: StoreFile) {
        *self.closed.entry(file.partition.clone()).or_default() += file.rows;
        self.completed.push(file);
    }

    /// The files completed since the last call.
    pub fn take_completed(&mut self) -> Vec<StoreFile> {
        std::mem::take(&mut self.completed)
    }

    fn open(&mut self, partition: &str, end: i64) -> Result<PartitionFile, String> {
        let dir = self.root.join(partition);
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
        let ext = match self.config.format {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Ipc => "arrow",
        };
        let prefix = self.prefix;
        let name = match self.process {
            Some(p) => format!("{prefix}-p{p:02}-w{:03}-{:08}", self.worker, self.seq),
            None => format!("{prefix}-{:03}-{:08}", self.worker, self.seq),
        };
        self.seq += 1;
        let path = dir.join(format!("{name}.{ext}{}", self.suffix));
        let temp = dir.join(format!(".{name}.{ext}.tmp"));
        let direct = self.direct && !self.rolling;
        let file = OutputFile::create(&temp, direct).map_err(|e| fail(&temp, e))?;
        let schema = self.schema.clone();
        let writer = match self.config.format {
            OutputFormat::Parquet => {
                let codec = PageCodec::new(self.config.codec, self.config.zstd_level)
                    .map_err(|e| fail(&temp, e))?;
                // Float columns are encoded by `floats` (split by byte plane:
                // the exponent planes compress, and zstd runs faster over them
                // than over plain doubles; pages of 256 KiB). The rest go
                // through the parquet crate: dictionaries for the repetitive
                // key columns, values to the column writers 8,192 at a time.
                let props = WriterProperties::builder()
                    .set_compression(codec.compression())
                    .set_dictionary_enabled(false)
                    .set_column_dictionary_enabled("symbol".into(), true)
                    .set_column_dictionary_enabled("sector".into(), true)
                    .set_max_row_group_row_count(Some(self.config.row_group_rows))
                    .set_data_page_row_count_limit(usize::MAX)
                    .set_write_batch_size(8192)
                    .set_statistics_enabled(EnabledStatistics::Chunk)
                    // Rows sorted by (ts, symbol): every row group spans
                    // nearly all symbols and sectors, so their min/max would
                    // prune nothing, and they cost a string comparison a row.
                    .set_column_statistics_enabled("symbol".into(), EnabledStatistics::None)
                    .set_column_statistics_enabled("sector".into(), EnabledStatistics::None)
                    .build();
                let w = parquet_file::ParquetWriter::try_new(file, schema, props, codec)
                    .map_err(|e| fail(&temp, e))?;
                match direct {
                    true => Writer::Beside(encoder::Encoder::spawn(w).map_err(|e| fail(&temp, e))?),
                    false => Writer::Parquet(w),
                }
            }
            OutputFormat::Ipc => {
                use arrow_ipc::writer::IpcWriteOptions;
                use arrow_ipc::CompressionType;
                let codec = match self.config.codec {
                    Codec::Zstd => Some(CompressionType::ZSTD),
                    Codec::Lz4 => Some(CompressionType::LZ4_FRAME),
                    Codec::None => None,
                };
                let options = IpcWriteOptions::default()
                    .try_with_compression(codec)
                    .map_err(|e| fail(&temp, e))?;
                Writer::Ipc(
                    arrow_ipc::writer::FileWriter::try_new_with_options(
                        BufWriter::with_capacity(1 << 20, file),
                        &schema,
                        options,
                    )
                    .map_err(|e| fail(&temp, e))?,
                )
            }
        };
        Ok(PartitionFile {
            end,
            temp,
            path,
            writer,
            rows: 0,
        })
    }

    /// Appends rows (in output order) to their partitions.
    pub fn write(&mut self, batch: &RecordBatch, ts: &[i64]) -> Result<(), String> {
        let kind = self.ts_kind;
        let mut start = 0;
        while start < ts.len() {
            let end = partition_end(kind, ts[start]);
            let partition = partition_of(kind, ts[start]);
            if !self.files.contains_key(&partition) {
                let file = self.open(&partition, end)?;
                self.files.insert(partition.clone(), file);
            }
            let cap = self.config.file_rows as u64;
            let f = self.files.get_mut(&partition).expect("inserted above");
            let room = cap.saturating_sub(f.rows).max(1) as usize;
            let len = ts[start..].partition_point(|&t| t < end).min(room);
            let part = batch.slice(start, len);
            failpoint::disk_full().map_err(|e| fail(&f.temp, e))?;
            match &mut f.writer {
                Writer::Parquet(w) => w.write(&part).map_err(|e| fail(&f.temp, e))?,
                Writer::Beside(w) => w.write(&part).map_err(|e| fail(&f.temp, e))?,
                Writer::Ipc(w) => w.write(&part).map_err(|e| fail(&f.temp, e))?,
            }
            f.rows += len as u64;
            start += len;
            failpoint::hit("sink_write");
            if f.rows >= cap {
                self.complete(&partition)?;
            }
        }
        Ok(())
    }

    /// Drops every open file and removes its temporary name, and removes
    /// the completed files no checkpoint has listed: nothing partial is
    /// left behind, nothing unlisted stays under a final name.
    pub fn abort(mut self) {
        // files completing in the background end first: those that failed
        // are removed there, the others join the completed ones below
        let _ = self.settle();
        for f in self.files.into_values() {
            drop(f.writer);
            let _ = std::fs::remove_file(&f.temp);
        }
        for f in self.completed {
            let _ = std::fs::remove_file(self.root.join(&f.path));
        }
    }

    /// Completes every partition that ends at or before `horizon` (no bar
    /// time below it can still arrive), so memory holds open partitions only.
    pub fn close_before(&mut self, horizon: i64) -> Result<(), String> {
        let done: Vec<String> = self
            .files
            .iter()
            .filter(|(_, f)| f.end <= horizon)
            .map(|(k, _)| k.clone())
            .collect();
        for partition in done {
            self.complete(&partition)?;
        }
        Ok(())
    }

    /// Completes the open file of `partition`.
    fn complete(&mut self, partition: &str) -> Result<(), String> {
        let f = self.files.remove(partition).expect("an open partition");
        let path = f
            .path
            .strip_prefix(&self.root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let file = StoreFile {
            path,
            partition: partition.to_string(),
            rows: f.rows,
        };
        let (temp, path, writer) = (f.temp, f.path, f.writer);
        if !self.direct || self.rolling {
            install(into_file(writer, &temp)?, &temp, &path)?;
            self.done(file);
            return Ok(());
        }
        let thread = std::thread::Builder::new()
            .name("tickflow-close".into())
            .spawn({
                let temp = temp.clone();
                move || install(into_file(writer, &temp)?, &temp, &path)
            })
            .map_err(|e| fail(&temp, e))?;
        self.closing.push(Closing { file, temp, thread });
        Ok(())
    }

    /// Completes every partition; returns rows per partition.
    pub fn finish(mut self) -> Result<BTreeMap<String, u64>, String> {
        self.complete_all()?;
        Ok(self.closed)
    }
}

/// The sequence number in a data file's name (`part-WWW-SSSSSSSS.ext`, or
/// `part-pPP-wWWW-SSSSSSSS.ext` in a cluster).
///
/// ```
/// assert_eq!(tickflow::sink::seq_of("year=2016/part-001-00000042.parquet"), Some(42));
/// assert_eq!(tickflow::sink::seq_of("year=2016/part-p01-w003-00000007.arrow"), Some(7));
/// assert_eq!(tickflow::sink::seq_of("_history/year=2016/superseded-000-00000009.parquet.history"), Some(9));
/// assert_eq!(tickflow::sink::seq_of("year=2016/notes.txt"), None);
/// ```
pub fn seq_of(path: &str) -> Option<u64> {
    let name = path.rsplit('/').next()?;
    let stem = name
        .strip_prefix("part-")
        .or_else(|| name.strip_prefix("superseded-"))?
        .split('.')
        .next()?;
    stem.rsplit('-').next()?.parse().ok()
}

/// A file completing in the background ([`Sink::direct`]).
struct Closing {
    file: StoreFile,
    temp: PathBuf,
    thread: JoinHandle<Result<(), String>>,
}

/// Writes the format's end (a Parquet footer, an IPC file's end) and
/// returns the file under it.
fn into_file(writer: Writer, temp: &Path) -> Result<OutputFile, String> {
    Ok(match writer {
        Writer::Parquet(w) => w.into_inner().map_err(|e| fail(temp, e))?,
        Writer::Beside(w) => w.into_inner().map_err(|e| fail(temp, e))?,
        Writer::Ipc(mut w) => {
            w.finish().map_err(|e| fail(temp, e))?;
            w.into_inner()
                .map_err(|e| fail(temp, e))?
                .into_inner()
                .map_err(|e| fail(temp, e.into_error()))?
        }
    })
}

/// Writes out what `out` still buffers, syncs it and renames `temp` to
/// `path` (syncing the directory): the file is then complete.
fn install(out: OutputFile, temp: &Path, path: &Path) -> Result<(), String> {
    let file = out.finish().map_err(|e| fail(temp, e))?;
    file.sync_all().map_err(|e| fail(temp, e))?;
    std::fs::rename(temp, path).map_err(|e| fail(path, e))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| fail(dir, e))?;
    }
    failpoint::hit("after_rename");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition_of(TsKind::Date, 15_744), "year=2013");
        assert_eq!(
            partition_of(TsKind::Micros, 1_608_042_600_000_000),
            "year=2020/month=12"
        );
        assert_eq!(partition_of(TsKind::Micros, -1), "year=1969/month=12");
        assert_eq!(
            partition_end(TsKind::Date, 15_744),
            days_from_civil(2014, 1, 1)
        );
        assert_eq!(partition_end(TsKind::Micros, -1), 0);
    }

    #[test]
    fn a_partition_fills_files_of_file_rows_at_most() {
        use arrow_array::{Date32Array, Int64Array};
        use arrow_schema::{DataType, Field, Schema};
        use std::sync::Arc;
        let dir = std::env::temp_dir().join(format!("tf-sink-{}", std::process::id()));
        let schema = Arc::new(Schema::new(vec![
            Field::new("v", DataType::Int64, false),
            Field::new("ts", DataType::Date32, false),
        ]));
        let config = SinkConfig {
            file_rows: 4,
            ..SinkConfig::default()
        };
        let mut sink = Sink::of_rows(&dir, 0, schema.clone(), TsKind::Date, config);
        // 2013 (from 2013-04-05) then 2014: 7 + 3 rows, written 5 and 5
        let ts: Vec<i64> = (0..7).map(|i| 15_800 + i).chain(16_100..16_103).collect();
        for part in [0..5, 5..10] {
            let t = &ts[part.clone()];
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from_iter_values(part.map(|i| i as i64))),
                    Arc::new(Date32Array::from_iter_values(t.iter().map(|&d| d as i32))),
                ],
            )
            .unwrap();
            sink.write(&batch, t).unwrap();
        }
        sink.complete_all().unwrap();
        let files: Vec<(String, u64)> = (sink.take_completed().into_iter())
            .map(|f| (f.partition, f.rows))
            .collect();
        let mut sizes = files.clone();
        sizes.sort();
        assert_eq!(
            sizes,
            [("year=2013", 3), ("year=2013", 4), ("year=2014", 3)].map(|(p, n)| (p.to_string(), n))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
