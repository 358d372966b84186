//! A float column chunk's bytes in file order, kept as parts: the small
//! bytes (page headers, levels, frame headers, compressed frames) copied
//! into one buffer, and the byte planes stored raw referenced where they
//! already lie, in their page's plane buffer. The row group reads the parts
//! once, into the file ([`SharedChunk`] is the parquet crate's
//! [`ChunkReader`]), so the raw planes (most of a chunk's bytes) are not
//! first copied into a chunk buffer; the plane buffers then go back to
//! their column ([`ChunkParts::recycle`]).

use bytes::Bytes;
use parquet::errors::{ParquetError, Result};
use parquet::file::reader::{ChunkReader, Length};
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

/// Bytes of a page, and where they lie in the page's plane buffer (`None`:
/// elsewhere; they are copied).
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// Their offset in the plane buffer of the page being written.
    pub at: Option<usize>,
}

impl<'a> Segment<'a> {
    /// The bytes `range` of this segment.
    pub fn slice(&self, range: Range<usize>) -> Segment<'a> {
        Segment {
            bytes: &self.bytes[range.clone()],
            at: self.at.map(|at| at + range.start),
        }
    }
}

/// Where the chunk's next bytes come from.
#[derive(Debug, Clone)]
enum Part {
    /// These bytes of the small buffer.
    Small(Range<usize>),
    /// These bytes of this page's plane buffer.
    Planes(usize, Range<usize>),
}

/// A column chunk's bytes, as parts in file order.
#[derive(Debug, Default)]
pub struct ChunkParts {
    small: Vec<u8>,
    parts: Vec<Part>,
    /// One plane buffer per completed page.
    planes: Vec<Vec<u8>>,
    len: usize,
}

impl ChunkParts {
    /// The chunk's size so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends bytes made by `write` into the small buffer.
    pub fn small_with<R>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let start = self.small.len();
        let result = write(&mut self.small);
        let end = self.small.len();
        self.len += end - start;
        match self.parts.last_mut() {
            Some(Part::Small(r)) if r.end == start => r.end = end,
            _ if end > start => self.parts.push(Part::Small(start..end)),
            _ => {}
        }
        result
    }

    /// Appends a copy of `bytes`.
    pub fn copy(&mut self, bytes: &[u8]) {
        self.small_with(|small| small.extend_from_slice(bytes));
    }

    /// Appends `segment`: referenced in the plane buffer of the page being
    /// written (handed over by [`Self::end_page`]) where it lies there,
    /// copied otherwise.
    pub fn segment(&mut self, segment: Segment<'_>) {
        match segment.at {
            Some(at) if !segment.bytes.is_empty() => {
                let page = self.planes.len();
                self.len += segment.bytes.len();
                self.parts
                    .push(Part::Planes(page, at..at + segment.bytes.len()));
            }
            Some(_) => {}
            None => self.copy(segment.bytes),
        }
    }

    /// Completes a page: `planes` is the buffer its segments lie in.
    pub fn end_page(&mut self, planes: Vec<u8>) {
        self.planes.push(planes);
    }

    /// An empty chunk keeping this one's small buffer; its plane buffers go
    /// to `spare`.
    pub fn recycle(mut self, spare: &mut Vec<Vec<u8>>) -> ChunkParts {
        spare.append(&mut self.planes);
        self.small.clear();
        self.parts.clear();
        ChunkParts {
            small: self.small,
            parts: self.parts,
            planes: self.planes,
            len: 0,
        }
    }

    fn bytes(&self, part: &Part) -> &[u8] {
        match part {
            Part::Small(r) => &self.small[r.clone()],
            Part::Planes(page, r) => &self.planes[*page][r.clone()],
        }
    }
}

/// A completed chunk, for the parquet crate to read into the row group.
#[derive(Debug, Clone)]
pub struct SharedChunk(Arc<ChunkParts>);

impl SharedChunk {
    /// The chunk `parts`.
    pub fn new(parts: ChunkParts) -> Self {
        Self(Arc::new(parts))
    }

    /// The parts back, once no reader holds them.
    pub fn into_inner(self) -> Option<ChunkParts> {
        Arc::into_inner(self.0)
    }
}

impl Length for SharedChunk {
    fn len(&self) -> u64 {
        self.0.len as u64
    }
}

impl ChunkReader for SharedChunk {
    type T = PartsReader;

    fn get_read(&self, start: u64) -> Result<PartsReader> {
        let mut reader = PartsReader {
            chunk: self.0.clone(),
            part: 0,
            at: 0,
        };
        let mut skip = start;
        while skip > 0 {
            let Some(part) = self.0.parts.get(reader.part) else {
                return Err(ParquetError::EOF(format!(
                    "offset {start} past a chunk of {} bytes",
                    self.0.len
                )));
            };
            let len = self.0.bytes(part).len() as u64;
            if skip < len {
                reader.at = skip as usize;
                break;
            }
            skip -= len;
            reader.part += 1;
        }
        Ok(reader)
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let mut out = vec![0; length];
        self.get_read(start)?.read_exact(&mut out)?;
        Ok(out.into())
    }
}

/// Reads a [`SharedChunk`]'s parts in order.
#[derive(Debug)]
pub struct PartsReader {
    chunk: Arc<ChunkParts>,
    part: usize,
    at: usize,
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(part) = self.chunk.parts.get(self.part) {
            let rest = &self.chunk.bytes(part)[self.at..];
            if rest.is_empty() {
                self.part += 1;
                self.at = 0;
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            return Ok(n);
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_back_in_order_from_any_offset() {
        let mut parts = ChunkParts::default();
        let planes: Vec<u8> = (0..=255).collect();
        parts.copy(b"head");
        parts.segment(Segment {
            bytes: &planes[10..20],
            at: Some(10),
        });
        parts.small_with(|v| v.extend_from_slice(b"-mid-"));
        parts.copy(b"+");
        parts.segment(Segment {
            bytes: b"copied",
            at: None,
        });
        parts.segment(Segment {
            bytes: &planes[200..256],
            at: Some(200),
        });
        parts.end_page(planes.clone());
        let second: Vec<u8> = vec![7; 9];
        parts.segment(Segment {
            bytes: &second[2..5],
            at: Some(2),
        });
        parts.end_page(second);
        let mut expected = b"head".to_vec();
        expected.extend_from_slice(&planes[10..20]);
        expected.extend_from_slice(b"-mid-+copied");
        expected.extend_from_slice(&planes[200..256]);
        expected.extend_from_slice(&[7; 3]);
        assert_eq!(parts.len(), expected.len());

        let chunk = SharedChunk::new(parts);
        assert_eq!(chunk.len(), expected.len() as u64);
        for start in 0..=expected.len() {
            let mut back = Vec::new();
            chunk
                .get_read(start as u64)
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, expected[start..], "from {start}");
        }
        // small reads cross parts
        let mut reader = chunk.get_read(0).unwrap();
        let mut back = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        assert_eq!(back, expected);
        drop(reader);
        assert_eq!(chunk.get_bytes(3, 5).unwrap(), expected[3..8]);
        assert!(chunk.get_read(expected.len() as u64 + 1).is_err());

        let mut spare = Vec::new();
        let again = chunk.into_inner().unwrap().recycle(&mut spare);
        assert_eq!((again.len(), again.parts.len()), (0, 0));
        assert_eq!(spare.len(), 2, "both plane buffers come back");
    }
}
