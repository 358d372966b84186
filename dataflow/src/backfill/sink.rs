//! Hive-partitioned Parquet files: `year=YYYY/` (plus `month=MM/` for
//! intraday), written under temporary names and renamed when complete.

use crate::config::SinkConfig;
use crate::rows::FeatureRow;
use crate::schema::OutputSchema;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
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
fn partition_end(ts_kind: TsKind, ts: i64) -> i64 {
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

struct PartitionFile {
    end: i64,
    temp: PathBuf,
    path: PathBuf,
    writer: ArrowWriter<File>,
    pending: Vec<FeatureRow>,
    rows: u64,
}

/// One worker's open partition files.
pub struct ParquetSink {
    root: PathBuf,
    worker: usize,
    schema: OutputSchema,
    config: SinkConfig,
    files: BTreeMap<String, PartitionFile>,
    closed: BTreeMap<String, u64>,
}

fn fail(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

impl ParquetSink {
    /// A sink writing under `root` as `worker`.
    pub fn new(root: &Path, worker: usize, schema: OutputSchema, config: SinkConfig) -> Self {
        Self {
            root: root.to_path_buf(),
            worker,
            schema,
            config,
            files: BTreeMap::new(),
            closed: BTreeMap::new(),
        }
    }

    /// Appends rows (in output order, all of one bar time) to their partition.
    pub fn write(&mut self, ts_kind: TsKind, rows: Vec<FeatureRow>) -> Result<(), String> {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let partition = &partition_of(ts_kind, first.ts);
        let end = partition_end(ts_kind, first.ts);
        if !self.files.contains_key(partition) {
            let dir = self.root.join(partition);
            std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, e))?;
            let path = dir.join(format!("part-{:03}.parquet", self.worker));
            let temp = dir.join(format!(".part-{:03}.parquet.tmp", self.worker));
            let file = File::create(&temp).map_err(|e| fail(&temp, e))?;
            let level = ZstdLevel::try_new(self.config.zstd_level).map_err(|e| fail(&temp, e))?;
            // Dictionaries pay for the repetitive key columns only; on float
            // features they cost time and save nothing.
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(level))
                .set_dictionary_enabled(false)
                .set_column_dictionary_enabled("symbol".into(), true)
                .set_column_dictionary_enabled("sector".into(), true)
                .set_max_row_group_row_count(Some(self.config.row_group_rows))
                .build();
            let writer = ArrowWriter::try_new(file, self.schema.schema(), Some(props))
                .map_err(|e| fail(&temp, e))?;
            self.files.insert(
                partition.to_string(),
                PartitionFile {
                    end,
                    temp,
                    path,
                    writer,
                    pending: Vec::new(),
                    rows: 0,
                },
            );
        }
        let f = self.files.get_mut(partition).expect("inserted above");
        f.rows += rows.len() as u64;
        f.pending.extend(rows);
        if f.pending.len() >= self.config.row_group_rows {
            let batch = self.schema.to_batch(&f.pending);
            f.pending.clear();
            f.writer.write(&batch).map_err(|e| fail(&f.temp, e))?;
        }
        Ok(())
    }

    /// Drops every open file and removes its temporary name: nothing partial
    /// is left behind, nothing reaches a final name.
    pub fn abort(self) {
        for f in self.files.into_values() {
            drop(f.writer);
            let _ = std::fs::remove_file(&f.temp);
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
            let f = self.files.remove(&partition).expect("listed above");
            let rows = self.close(f)?;
            self.closed.insert(partition, rows);
        }
        Ok(())
    }

    fn close(&self, mut f: PartitionFile) -> Result<u64, String> {
        if !f.pending.is_empty() {
            let batch = self.schema.to_batch(&f.pending);
            f.writer.write(&batch).map_err(|e| fail(&f.temp, e))?;
        }
        let file = f.writer.into_inner().map_err(|e| fail(&f.temp, e))?;
        file.sync_all().map_err(|e| fail(&f.temp, e))?;
        std::fs::rename(&f.temp, &f.path).map_err(|e| fail(&f.path, e))?;
        if let Some(dir) = f.path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| fail(dir, e))?;
        }
        Ok(f.rows)
    }

    /// Completes every partition; returns rows per partition.
    pub fn finish(mut self) -> Result<BTreeMap<String, u64>, String> {
        self.close_before(i64::MAX)?;
        Ok(self.closed)
    }
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
}
