//! Parquet column chunks read whole, once each, around the page cache where
//! the file system allows it.
//!
//! Over a plain [`File`] the parquet crate reads page by page: a fresh
//! buffered reader for each page header (an 8 KiB read, mostly thrown away)
//! and a second read for the page's data, each copied by the kernel out of
//! the page cache. Here the first request that falls in a column chunk
//! reads the whole chunk with one `pread` into memory of our own, with
//! `O_DIRECT` where the file system takes it (the device then writes the
//! bytes straight into that memory), and every page of the chunk is served
//! from it. Only one row group's chunks are kept.

use bytes::{Buf, Bytes};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, Length};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Offsets, lengths and addresses of direct reads are multiples of this.
const ALIGN: u64 = 4096;
/// Larger column chunks are read request by request, as over a plain file.
const MAX_CHUNK: u64 = 64 << 20;

/// One column chunk's bytes: where they start in the file, and its row group.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
    group: usize,
}

/// A [`ChunkReader`] that reads each column chunk once, whole.
pub struct ChunkCache {
    file: File,
    len: u64,
    /// The file opened with `O_DIRECT`, while the file system takes it.
    direct: Option<File>,
    refused: AtomicBool,
    /// Every column chunk, by start.
    spans: Vec<Span>,
    loaded: Mutex<Vec<(Span, Bytes)>>,
}

impl ChunkCache {
    /// Serves `path` (already open as `file`) by the column chunks of
    /// `meta`; requests outside every kept chunk read what they ask for.
    pub fn new(path: &Path, file: File, meta: &ParquetMetaData) -> io::Result<Self> {
        let len = file.metadata()?.len();
        let mut spans: Vec<Span> = meta
            .row_groups()
            .iter()
            .enumerate()
            .flat_map(|(group, rg)| {
                rg.columns().iter().map(move |c| {
                    let (start, length) = c.byte_range();
                    Span {
                        start,
                        end: start + length,
                        group,
                    }
                })
            })
            .filter(|s| s.end <= len && s.start < s.end && s.end - s.start <= MAX_CHUNK)
            .collect();
        spans.sort_by_key(|s| s.start);
        let direct = OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
            .open(path)
            .ok();
        Ok(Self {
            file,
            len,
            direct,
            refused: AtomicBool::new(false),
            spans,
            loaded: Mutex::new(Vec::new()),
        })
    }

    /// The chunk holding `start`, read if it is not in memory.
    fn chunk(&self, start: u64) -> Result<Option<(Span, Bytes)>> {
        let k = self.spans.partition_point(|s| s.start <= start);
        let Some(&span) = k.checked_sub(1).map(|k| &self.spans[k]) else {
            return Ok(None);
        };
        if start >= span.end {
            return Ok(None);
        }
        let mut loaded = self
            .loaded
            .lock()
            .map_err(|_| ParquetError::General("chunk cache lock poisoned".into()))?;
        if let Some((_, bytes)) = loaded.iter().find(|(s, _)| s.start == span.start) {
            return Ok(Some((span, bytes.clone())));
        }
        loaded.retain(|(s, _)| s.group == span.group);
        let bytes = self.read(span.start, (span.end - span.start) as usize)?;
        loaded.push((span, bytes.clone()));
        Ok(Some((span, bytes)))
    }

    /// `length` bytes at `start`, direct where the file system allows it.
    fn read(&self, start: u64, length: usize) -> Result<Bytes> {
        if let (Some(direct), false) = (&self.direct, self.refused.load(Ordering::Relaxed)) {
            match read_direct(direct, start, length) {
                Ok(bytes) => return Ok(bytes),
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                    self.refused.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut buf = vec![0u8; length];
        self.file.read_exact_at(&mut buf, start)?;
        Ok(buf.into())
    }
}

/// Reads the aligned blocks around `start..start + length` into aligned
/// memory and returns the wanted part.
fn read_direct(file: &File, start: u64, length: usize) -> io::Result<Bytes> {
    let first = start / ALIGN * ALIGN;
    let end = (start + length as u64).div_ceil(ALIGN) * ALIGN;
    let span = (end - first) as usize;
    let mut raw = vec![0u8; span + ALIGN as usize];
    let at = raw.as_ptr().align_offset(ALIGN as usize);
    let want = (start - first) as usize + length;
    let mut got = 0;
    while got < want {
        // Whole blocks only: a short read ends at the end of the file.
        let n = file.read_at(&mut raw[at + got..at + span], first + got as u64)?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        got += n;
        if got % ALIGN as usize != 0 && got < want {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
    }
    let from = at + (start - first) as usize;
    Ok(Bytes::from(raw).slice(from..from + length))
}

impl Length for ChunkCache {
    fn len(&self) -> u64 {
        self.len
    }
}

/// A header's bytes: from a kept chunk, or from the file itself.
pub enum HeaderRead {
    /// Inside a kept chunk.
    Memory(bytes::buf::Reader<Bytes>),
    /// Anywhere else (the footer, a chunk too large to keep).
    File(BufReader<File>),
}

impl Read for HeaderRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            HeaderRead::Memory(r) => r.read(buf),
            HeaderRead::File(r) => r.read(buf),
        }
    }
}

impl ChunkReader for ChunkCache {
    type T = HeaderRead;

    fn get_read(&self, start: u64) -> Result<Self::T> {
        match self.chunk(start)? {
            Some((span, bytes)) => Ok(HeaderRead::Memory(
                bytes.slice((start - span.start) as usize..).reader(),
            )),
            None => {
                let mut file = self.file.try_clone()?;
                file.seek(SeekFrom::Start(start))?;
                Ok(HeaderRead::File(BufReader::new(file)))
            }
        }
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let end = start + length as u64;
        match self.chunk(start)? {
            Some((span, bytes)) if end <= span.end => {
                let from = (start - span.start) as usize;
                Ok(bytes.slice(from..from + length))
            }
            _ if end > self.len => Err(ParquetError::EOF(format!(
                "{length} bytes at {start} past the end ({})",
                self.len
            ))),
            _ => self.read(start, length),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    /// A file of several row groups of several small pages each.
    fn sample(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("sample.parquet");
        let n = 50_000i64;
        let ts: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
        let x: ArrayRef = Arc::new(Float64Array::from_iter(
            (0..n).map(|i| (i % 7 != 0).then(|| (i as f64).sqrt())),
        ));
        let batch = RecordBatch::try_from_iter([("ts", ts), ("x", x)]).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(12_000))
            .set_data_page_row_count_limit(1_000)
            .set_write_batch_size(500)
            .build();
        let mut w = ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), Some(props))
            .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    }

    fn read_all<R: ChunkReader + 'static>(r: R) -> Vec<RecordBatch> {
        ParquetRecordBatchReaderBuilder::try_new(r)
            .unwrap()
            .with_batch_size(3_000)
            .build()
            .unwrap()
            .map(|b| b.unwrap())
            .collect()
    }

    fn cache(path: &Path) -> ChunkCache {
        let file = File::open(path).unwrap();
        let meta = parquet::file::metadata::ParquetMetaDataReader::new()
            .parse_and_finish(&file)
            .unwrap();
        ChunkCache::new(path, file, &meta).unwrap()
    }

    #[test]
    fn reads_what_the_file_reader_reads_direct_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let expected = read_all(File::open(&path).unwrap());
        assert_eq!(
            expected.iter().map(RecordBatch::num_rows).sum::<usize>(),
            50_000
        );
        assert_eq!(read_all(cache(&path)), expected);
        let plain = cache(&path);
        plain.refused.store(true, Ordering::Relaxed);
        assert_eq!(read_all(plain), expected);
    }

    #[test]
    fn keeps_one_row_group_and_serves_bytes_outside_the_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let c = cache(&path);
        assert_eq!(c.get_bytes(0, 4).unwrap().as_ref(), b"PAR1");
        let mut magic = [0u8; 4];
        c.get_read(c.len - 4)
            .unwrap()
            .read_exact(&mut magic)
            .unwrap();
        assert_eq!(&magic, b"PAR1");
        let spans = c.spans.clone();
        assert_eq!(spans.len(), 5 * 2, "five row groups of two columns");
        for s in &spans {
            let whole = c.get_bytes(s.start, (s.end - s.start) as usize).unwrap();
            let mut expect = vec![0u8; whole.len()];
            c.file.read_exact_at(&mut expect, s.start).unwrap();
            assert_eq!(whole.as_ref(), expect.as_slice());
            let loaded = c.loaded.lock().unwrap();
            assert!(loaded.iter().all(|(l, _)| l.group == s.group));
        }
        assert!(c.get_bytes(c.len - 2, 4).is_err(), "past the end");
    }
}
