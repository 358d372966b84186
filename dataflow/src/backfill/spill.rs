//! Spilling input that is not in time order (one file per ticker, or a file
//! grouped by symbol) to time buckets on disk, so that it can be replayed in
//! time order with memory bounded by one bucket, not by the dataset.
//!
//! The buckets are ranges of bar times holding about [`BUCKET_ROWS`] valid
//! rows each (the first pass counted rows per time). Rows are stored as
//! fixed 68-byte little-endian records under a `.tmp` directory that is
//! removed when the run ends (and by the next run's leftover sweep).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use tickflow_connectors::{BarBatch, TsKind};
use tickflow_operators::Bar;

/// Valid rows per bucket, about (a bucket in memory is ~20 MB, ~150 bytes
/// a row while it is read and sorted). On the 4,000 x 5,000 symbol-ordered
/// backfill a run's peak RSS fell with the bucket: 2.54 GB at 4M rows,
/// 1.50-1.66 GB at 1M, 1.29-1.51 GB at 256k, 1.21-1.24 GB at 128k (two
/// workers), and 128k ran as fast as 1M (both at once on one core each,
/// geomeans of three rounds 0.946 and 0.995 of its time).
pub const BUCKET_ROWS: u64 = 1 << 17;

const RECORD: usize = 68;

/// First bar time of each bucket, from `(time, rows)` in time order.
pub fn bucket_starts(times: &[(i64, u64)], rows_per_bucket: u64) -> Vec<i64> {
    let mut starts = Vec::new();
    let mut filled = rows_per_bucket;
    for &(t, n) in times {
        if filled + n > rows_per_bucket && filled > 0 {
            starts.push(t);
            filled = 0;
        }
        filled += n;
    }
    starts
}

/// Bucket files being written.
pub struct SpillWriter {
    dir: PathBuf,
    starts: Vec<i64>,
    files: Vec<BufWriter<File>>,
}

fn bucket_path(dir: &Path, k: usize) -> PathBuf {
    dir.join(format!("bucket-{k:05}.bin"))
}

impl SpillWriter {
    /// Creates `dir` and one file per bucket.
    pub fn create(dir: &Path, starts: Vec<i64>) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let files = (0..starts.len())
            .map(|k| {
                File::create(bucket_path(dir, k)).map(|f| BufWriter::with_capacity(1 << 16, f))
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            starts,
            files,
        })
    }

    /// Appends every row of `bars` to its bucket.
    pub fn write(&mut self, bars: &BarBatch) -> std::io::Result<()> {
        let mut rec = [0u8; RECORD];
        for i in 0..bars.len() {
            let t = bars.ts[i];
            let k = self.starts.partition_point(|&s| s <= t).saturating_sub(1);
            let b = &bars.bar[i];
            rec[0..4].copy_from_slice(&bars.symbol[i].to_le_bytes());
            rec[4..8].copy_from_slice(&bars.sector[i].unwrap_or(u32::MAX).to_le_bytes());
            rec[8..12].copy_from_slice(&bars.file[i].to_le_bytes());
            rec[12..20].copy_from_slice(&bars.line[i].to_le_bytes());
            rec[20..28].copy_from_slice(&t.to_le_bytes());
            for (j, v) in [b.open, b.high, b.low, b.close, b.volume]
                .iter()
                .enumerate()
            {
                rec[28 + 8 * j..36 + 8 * j].copy_from_slice(&v.to_le_bytes());
            }
            self.files[k].write_all(&rec)?;
        }
        Ok(())
    }

    /// Flushes every bucket; returns a reader over them in time order.
    pub fn finish(self) -> std::io::Result<SpillReader> {
        for f in self.files {
            f.into_inner().map_err(|e| e.into_error())?;
        }
        Ok(SpillReader {
            dir: self.dir,
            buckets: self.starts.len(),
            next: 0,
        })
    }
}

/// Reads buckets back, each sorted by time.
pub struct SpillReader {
    dir: PathBuf,
    buckets: usize,
    next: usize,
}

fn le<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into().expect("record field width")
}

impl SpillReader {
    /// The next bucket's rows, sorted by (ts, file, line); `None` after the last.
    pub fn next_bucket(&mut self, ts_kind: TsKind) -> std::io::Result<Option<BarBatch>> {
        if self.next == self.buckets {
            return Ok(None);
        }
        let path = bucket_path(&self.dir, self.next);
        self.next += 1;
        let mut bytes = Vec::new();
        File::open(&path)?.read_to_end(&mut bytes)?;
        std::fs::remove_file(&path)?;
        let n = bytes.len() / RECORD;
        let mut rows: Vec<(i64, u32, u64, usize)> = (0..n)
            .map(|i| {
                let r = &bytes[i * RECORD..(i + 1) * RECORD];
                (
                    i64::from_le_bytes(le(&r[20..28])),
                    u32::from_le_bytes(le(&r[8..12])),
                    u64::from_le_bytes(le(&r[12..20])),
                    i,
                )
            })
            .collect();
        rows.sort_unstable();
        let mut out = BarBatch {
            ts_kind: Some(ts_kind),
            ..Default::default()
        };
        // Exactly the bucket's rows: grown by doubling, the columns held up
        // to twice their size (and were copied on each growth) beside the
        // record bytes and the sort keys.
        out.reserve(n);
        for (ts, file, line, i) in rows {
            let r = &bytes[i * RECORD..(i + 1) * RECORD];
            let f = |j: usize| f64::from_le_bytes(le(&r[28 + 8 * j..36 + 8 * j]));
            let sector = u32::from_le_bytes(le(&r[4..8]));
            out.symbol.push(u32::from_le_bytes(le(&r[0..4])));
            out.sector.push((sector != u32::MAX).then_some(sector));
            out.file.push(file);
            out.line.push(line);
            out.ts.push(ts);
            out.bar.push(Bar {
                open: f(0),
                high: f(1),
                low: f(2),
                close: f(3),
                volume: f(4),
            });
        }
        Ok(Some(out))
    }

    /// Removes the spill directory.
    pub fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_time_and_respect_the_size() {
        let times: Vec<(i64, u64)> = (0..10).map(|t| (t, 3)).collect();
        assert_eq!(bucket_starts(&times, 7), vec![0, 2, 4, 6, 8]);
        assert_eq!(bucket_starts(&times, 100), vec![0]);
        assert_eq!(bucket_starts(&[(5, 50), (6, 1)], 10), vec![5, 6]);
        assert!(bucket_starts(&[], 10).is_empty());
    }

    #[test]
    fn rows_come_back_sorted_by_time_and_intact() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SpillWriter::create(&dir.path().join("s.tmp"), vec![0, 10]).unwrap();
        let mut b = BarBatch::default();
        for (i, t) in [12i64, 3, 11, 0, 3].into_iter().enumerate() {
            b.symbol.push(i as u32);
            b.ts.push(t);
            b.sector.push((i % 2 == 0).then_some(7));
            b.file.push(0);
            b.line.push(i as u64 + 2);
            b.bar.push(Bar {
                open: 1.5,
                high: 2.0,
                low: 1.0,
                close: t as f64 + 0.25,
                volume: 1e6,
            });
        }
        w.write(&b).unwrap();
        let mut r = w.finish().unwrap();
        let first = r.next_bucket(TsKind::Date).unwrap().unwrap();
        assert_eq!(first.ts, vec![0, 3, 3]);
        assert_eq!(first.line, vec![5, 3, 6]);
        assert_eq!(first.sector, vec![None, None, Some(7)]);
        assert_eq!(first.bar[1].close, 3.25);
        let second = r.next_bucket(TsKind::Date).unwrap().unwrap();
        assert_eq!(second.ts, vec![11, 12]);
        assert!(r.next_bucket(TsKind::Date).unwrap().is_none());
        r.remove();
        assert!(!dir.path().join("s.tmp").exists());
    }
}
