//! A Parquet file encoded on a thread of its own: the worker hands each
//! batch over (its arrays are shared, not copied) and goes on computing,
//! while the thread splits the floats into byte planes, compresses the
//! pages and appends the row groups. A backfill's encoding is a third of
//! its CPU and comes in long steps (a row group's pages are compressed
//! when its last row arrives); done by the worker, the other worker
//! waited on it (measured: most of a run's idle time). Beside the workers
//! it fills their idle time instead.

use super::fed_thread::FedThread;
use super::parquet_file::ParquetWriter;
use arrow_array::RecordBatch;
use parquet::errors::{ParquetError, Result};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Batches queued for the thread (a backfill's are a worker's half of a
/// time block, ~10 MB): room for a row group's completion to run while the
/// worker goes on.
const QUEUED: usize = 4;

/// A [`ParquetWriter`] on a thread of its own. Errors come back from a
/// later [`write`](Self::write) or from [`into_inner`](Self::into_inner).
/// Dropped unfinished, the thread stops at its next batch and the output
/// is dropped unfinished.
pub struct Encoder<W: Write + Send + 'static> {
    thread: FedThread<RecordBatch, W, ParquetError>,
    stop: Arc<AtomicBool>,
}

impl<W: Write + Send + 'static> Encoder<W> {
    /// Starts `writer`'s thread.
    pub fn spawn(writer: ParquetWriter<W>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = FedThread::spawn("Parquet encoder", "tickflow-encode", QUEUED, {
            let stop = stop.clone();
            move |queued| {
                let mut writer = writer;
                for batch in queued {
                    if stop.load(Ordering::Relaxed) {
                        return Err(ParquetError::General("abandoned".into()));
                    }
                    writer.write(&batch)?;
                }
                writer.into_inner()
            }
        })?;
        Ok(Self { thread, stop })
    }

    /// Queues `batch` (of the file's schema).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.thread.send(batch.clone())
    }

    /// Waits for every queued batch, the last row group and the footer;
    /// returns the output.
    pub fn into_inner(mut self) -> Result<W> {
        self.thread.join()
    }
}

impl<W: Write + Send + 'static> Drop for Encoder<W> {
    fn drop(&mut self) {
        if self.thread.is_running() {
            self.stop.store(true, Ordering::Relaxed);
            let _ = self.thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Codec;
    use crate::sink::codec::PageCodec;
    use arrow_array::{ArrayRef, Float64Array, Int64Array};
    use arrow_schema::{DataType, Field, Schema};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::properties::WriterProperties;

    fn batch(start: i64, n: usize) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("x", DataType::Float64, true),
        ]);
        let ts: Vec<i64> = (start..start + n as i64).collect();
        let x: Vec<Option<f64>> = ts
            .iter()
            .map(|&t| (t % 5 != 0).then_some(t as f64 * 0.25))
            .collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ts)),
            Arc::new(Float64Array::from(x)),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    fn writer<W: Write + Send>(out: W) -> ParquetWriter<W> {
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(1_000))
            .build();
        let codec = PageCodec::new(Codec::Zstd, 3).unwrap();
        ParquetWriter::try_new(out, batch(0, 0).schema(), props, codec).unwrap()
    }

    /// The file written beside the caller reads back as the batches
    /// queued, in order, across row groups.
    #[test]
    fn what_is_queued_is_written_in_order() {
        let mut e = Encoder::spawn(writer(Vec::new())).unwrap();
        let batches: Vec<RecordBatch> = (0..20).map(|k| batch(k * 777, 777)).collect();
        for b in &batches {
            e.write(b).unwrap();
        }
        let file = Bytes::from(e.into_inner().unwrap());
        let back: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
        let schema = batches[0].schema();
        assert_eq!(
            arrow_select::concat::concat_batches(&schema, &back).unwrap(),
            arrow_select::concat::concat_batches(&schema, &batches).unwrap()
        );
    }

    /// The output failing (the file system full) is an error from a later
    /// write or from `into_inner`, not lost in the thread.
    #[test]
    fn an_output_error_is_returned() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut e = Encoder::spawn(writer(full)).unwrap();
        let mut failed = false;
        for k in 0..50 {
            if e.write(&batch(k * 5_000, 5_000)).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed || e.into_inner().is_err());
    }
}
