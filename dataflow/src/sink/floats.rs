//! One float column chunk of a Parquet row group, encoded here rather than
//! by the parquet crate: values split by byte plane (`BYTE_STREAM_SPLIT`),
//! nulls as RLE/bit-packed definition levels, data pages of 256 KiB of
//! values compressed with the file's codec, and min/max/null count for the
//! chunk. The crate's writer does the same work through an index gather, a
//! buffer that grows by doubling, a byte-at-a-time split and a fresh output
//! buffer per page (a quarter of a backfill's CPU); here values go into
//! their byte planes as they arrive (a double's eight bytes through 8x8
//! transposes; only a write with nulls is compacted first, 64 values at a
//! time), and each page is compressed into the chunk's parts, its raw
//! planes left where they lie ([`super::chunk_parts`]).

use super::chunk_parts::{ChunkParts, Segment};
use super::codec::PageCodec;
use super::page_header;
use super::spares::Spares;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_buffer::{BooleanBuffer, BooleanBufferBuilder};
use parquet::basic::Encoding;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::Result;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescPtr;

/// Bytes of values per data page. A file's every float column holds one
/// page's planes: at 1 MiB (the parquet crate's default page size) a
/// backfill kept 300 MB of planes (two open files and the spares) and
/// peaked 160 MB higher, for 0.18% smaller output than at 256 KiB.
const PAGE_BYTES: usize = 1 << 18;

/// Plane buffers of files written, for the next files' pages: a new file's
/// columns would otherwise each fault in (and zero) fresh planes, 20 MiB
/// a file in a backfill. At most [`SPARE_PLANES`] are kept.
static SPARE: Spares<Vec<u8>> = Spares::new(SPARE_PLANES);
const SPARE_PLANES: usize = 160;

/// A plane buffer of `size` bytes: a kept one, or a new one.
fn take_planes(size: usize) -> Vec<u8> {
    let kept = (size == PAGE_BYTES).then(|| SPARE.take()).flatten();
    kept.unwrap_or_else(|| vec![0; size])
}

/// A float type whose columns [`FloatChunk`] writes.
pub trait Float: ArrowPrimitiveType<Native = Self::Value> {
    /// The Rust value.
    type Value: arrow_buffer::ArrowNativeType + PartialOrd;
    /// +inf and -inf: the neutral elements of min and max.
    const INFINITIES: (Self::Value, Self::Value);
    /// Stores `values` by byte plane into `planes` (plane 0, the low bytes,
    /// first; planes `stride` bytes apart), from byte `at` of each plane.
    fn split(values: &[Self::Value], planes: &mut [u8], stride: usize, at: usize);
    /// -0 and +0.
    const ZEROS: (Self::Value, Self::Value);
    /// Statistics of this physical type.
    fn statistics(min: Option<Self::Value>, max: Option<Self::Value>, nulls: u64) -> Statistics;
}

/// A chunk's statistics: zero as min is -0, as max +0 (the format's rule).
fn chunk_statistics<T: Float>(min_max: Option<(T::Value, T::Value)>, nulls: u64) -> Statistics {
    let (neg, pos) = T::ZEROS;
    let (min, max) = match min_max {
        Some((lo, hi)) => (
            Some(if lo == pos { neg } else { lo }),
            Some(if hi == neg { pos } else { hi }),
        ),
        None => (None, None),
    };
    T::statistics(min, max, nulls)
}

/// [`Float::split`] one byte at a time.
fn split_bytes<V: arrow_buffer::ArrowNativeType>(
    values: &[V],
    planes: &mut [u8],
    stride: usize,
    at: usize,
) {
    use arrow_buffer::ToByteSlice;
    for (i, v) in values.iter().enumerate() {
        for (plane, &byte) in std::slice::from_ref(v).to_byte_slice().iter().enumerate() {
            planes[plane * stride + at + i] = byte;
        }
    }
}

impl Float for Float64Type {
    type Value = f64;
    const INFINITIES: (f64, f64) = (f64::INFINITY, f64::NEG_INFINITY);

    fn split(values: &[f64], planes: &mut [u8], stride: usize, at: usize) {
        // Blocks of 64 values: each plane's 64 bytes gathered in a local
        // line, then stored as one (stores eight bytes apart at the same
        // offset of eight planes would contend for the same cache sets).
        const BLOCK: usize = 64;
        let n = values.len();
        let whole = n / BLOCK * BLOCK;
        let mut lines = [[0u8; BLOCK]; 8];
        for (b, block) in values[..whole].chunks_exact(BLOCK).enumerate() {
            for (g, group) in block.chunks_exact(8).enumerate() {
                let mut rows = [0u64; 8];
                for (row, v) in rows.iter_mut().zip(group) {
                    *row = v.to_bits();
                }
                transpose_bytes(&mut rows);
                for (line, row) in lines.iter_mut().zip(rows) {
                    line[g * 8..g * 8 + 8].copy_from_slice(&row.to_le_bytes());
                }
            }
            for (p, line) in lines.iter().enumerate() {
                let start = p * stride + at + b * BLOCK;
                planes[start..start + BLOCK].copy_from_slice(line);
            }
        }
        split_bytes(&values[whole..], planes, stride, at + whole);
    }

    const ZEROS: (f64, f64) = (-0.0, 0.0);

    fn statistics(min: Option<f64>, max: Option<f64>, nulls: u64) -> Statistics {
        Statistics::double(min, max, None, Some(nulls), false)
    }
}

impl Float for Float32Type {
    type Value = f32;
    const INFINITIES: (f32, f32) = (f32::INFINITY, f32::NEG_INFINITY);

    fn split(values: &[f32], planes: &mut [u8], stride: usize, at: usize) {
        split_bytes(values, planes, stride, at);
    }

    const ZEROS: (f32, f32) = (-0.0, 0.0);

    fn statistics(min: Option<f32>, max: Option<f32>, nulls: u64) -> Statistics {
        Statistics::float(min, max, None, Some(nulls), false)
    }
}

/// Swaps the bytes of `a` under `mask << shift` with those of `b` under `mask`.
#[inline(always)]
fn swap(a: &mut u64, b: &mut u64, shift: u32, mask: u64) {
    let t = ((*a >> shift) ^ *b) & mask;
    *a ^= t << shift;
    *b ^= t;
}

/// Transposes the 8x8 byte matrix whose row `i` is `rows[i]` (byte `j` =
/// bits `8j..8j+8`): afterwards byte `i` of `rows[j]` is the old byte `j` of
/// `rows[i]`. Three rounds of block swaps (4, 2, 1 bytes), written out so
/// that the rows stay in registers.
#[inline(always)]
fn transpose_bytes(rows: &mut [u64; 8]) {
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    const HALVES: u64 = 0x0000_0000_FFFF_FFFF;
    swap(r0, r4, 32, HALVES);
    swap(r1, r5, 32, HALVES);
    swap(r2, r6, 32, HALVES);
    swap(r3, r7, 32, HALVES);
    const PAIRS: u64 = 0x0000_FFFF_0000_FFFF;
    swap(r0, r2, 16, PAIRS);
    swap(r1, r3, 16, PAIRS);
    swap(r4, r6, 16, PAIRS);
    swap(r5, r7, 16, PAIRS);
    const BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    swap(r0, r1, 8, BYTES);
    swap(r2, r3, 8, BYTES);
    swap(r4, r5, 8, BYTES);
    swap(r6, r7, 8, BYTES);
}

/// Appends `x` as an unsigned LEB128 varint.
pub(super) fn varint(mut x: u64, out: &mut Vec<u8>) {
    while x >= 0x80 {
        out.push(x as u8 | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// Definition levels of bit width 1 (1 = a value, 0 = null) from a validity
/// bitmap (least significant bit first) holding `count` levels, in the RLE /
/// bit-packed hybrid: bytes of eight equal levels join RLE runs, the others
/// are copied as bit-packed groups (a bitmap byte is one such group).
fn encode_levels(bits: &[u8], count: usize, out: &mut Vec<u8>) {
    let mut run: Option<(u8, usize)> = None;
    let mut packed: Vec<u8> = Vec::new();
    let flush_run = |run: &mut Option<(u8, usize)>, out: &mut Vec<u8>| {
        if let Some((value, len)) = run.take() {
            varint((len as u64) << 1, out);
            out.push(value);
        }
    };
    let flush_packed = |packed: &mut Vec<u8>, out: &mut Vec<u8>| {
        if !packed.is_empty() {
            varint(((packed.len() as u64) << 1) | 1, out);
            out.append(packed);
        }
    };
    for start in (0..count).step_by(8) {
        let len = (count - start).min(8);
        let full = if len == 8 { 0xFF } else { (1u8 << len) - 1 };
        let byte = bits[start / 8] & full;
        if byte == 0 || byte == full {
            flush_packed(&mut packed, out);
            let value = (byte != 0) as u8;
            match &mut run {
                Some((v, n)) if *v == value => *n += len,
                _ => {
                    flush_run(&mut run, out);
                    run = Some((value, len));
                }
            }
        } else {
            // a mixed byte: the last one may be short, its padding zeros
            flush_run(&mut run, out);
            packed.push(byte);
        }
    }
    flush_run(&mut run, out);
    flush_packed(&mut packed, out);
}

/// Min and max of `values`, ignoring NaN; `None` when every value is NaN.
/// Eight lanes each, the values past the last eight folded in with the
/// lanes at the end: the lanes' loop then compiles to packed min and max
/// (measured 0.08 against 0.42 ns a value; updating a lane with the rest
/// in between kept it in scalar selects and blends).
fn min_max<V: Copy + PartialOrd>(values: &[V], (inf, neg_inf): (V, V)) -> Option<(V, V)> {
    const LANES: usize = 8;
    let mut lo = [inf; LANES];
    let mut hi = [neg_inf; LANES];
    let lanes = values.chunks_exact(LANES);
    let rest = lanes.remainder();
    for c in lanes {
        for k in 0..LANES {
            lo[k] = if c[k] < lo[k] { c[k] } else { lo[k] };
            hi[k] = if c[k] > hi[k] { c[k] } else { hi[k] };
        }
    }
    // loops, not folds: folded, the lanes' loop above was vectorised
    // otherwise again (0.92 ns a value)
    let (mut least, mut most) = (inf, neg_inf);
    for v in lo.into_iter().chain(rest.iter().copied()) {
        least = if v < least { v } else { least };
    }
    for v in hi.into_iter().chain(rest.iter().copied()) {
        most = if v > most { v } else { most };
    }
    let (lo, hi) = (least, most);
    // only NaN seen: lo is still +inf and hi -inf
    (lo <= hi).then_some((lo, hi))
}

/// Appends the values of `values` whose bit in `valid` is set. Nulls are
/// few and clustered (a feature's lookback): 64 values at a time, a word of
/// valid bits copies its values as one block, a word of nulls skips them,
/// and only a mixed word goes value by value.
fn compact<V: Copy>(values: &[V], valid: &BooleanBuffer, out: &mut Vec<V>) {
    fn gather<V: Copy>(block: &[V], mut word: u64, out: &mut Vec<V>) {
        while word != 0 {
            out.push(block[word.trailing_zeros() as usize]);
            word &= word - 1;
        }
    }
    assert_eq!(values.len(), valid.len(), "one bit per value");
    out.reserve(values.len());
    let chunks = valid.bit_chunks();
    let mut blocks = values.chunks_exact(64);
    for (block, word) in (&mut blocks).zip(chunks.iter()) {
        match word {
            u64::MAX => out.extend_from_slice(block),
            0 => {}
            _ => gather(block, word, out),
        }
    }
    gather(blocks.remainder(), chunks.remainder_bits(), out);
}

/// A float column's chunk of the row group being written.
pub struct FloatChunk<T: Float> {
    descr: ColumnDescPtr,
    nullable: bool,
    /// Values per page: planes are this many bytes apart.
    stride: usize,
    /// This page's values (nulls left out) split by byte plane as they
    /// arrive: `count` bytes of each plane. A completed page's buffer goes
    /// into the chunk's parts; it comes back to `spare` once the chunk is
    /// in the file.
    planes: Vec<u8>,
    spare: Vec<Vec<u8>>,
    count: usize,
    /// A write's valid values, where it has nulls.
    dense: Vec<T::Value>,
    /// This page's levels, and their encoding (length first).
    valid: BooleanBufferBuilder,
    levels: usize,
    head: Vec<u8>,
    /// The chunk's pages so far, as they will lie in the file.
    parts: ChunkParts,
    uncompressed: i64,
    rows: u64,
    nulls: u64,
    min_max: Option<(T::Value, T::Value)>,
}

impl<T: Float> FloatChunk<T> {
    /// An empty chunk of the column `descr`, in row groups of at most
    /// `group_rows` rows.
    pub fn new(descr: ColumnDescPtr, group_rows: usize) -> Self {
        let nullable = descr.max_def_level() > 0;
        let stride = (PAGE_BYTES / std::mem::size_of::<T::Value>()).min(group_rows);
        Self {
            descr,
            nullable,
            stride,
            planes: Vec::new(),
            spare: Vec::new(),
            count: 0,
            dense: Vec::new(),
            valid: BooleanBufferBuilder::new(stride),
            levels: 0,
            head: Vec::new(),
            parts: ChunkParts::default(),
            uncompressed: 0,
            rows: 0,
            nulls: 0,
            min_max: None,
        }
    }

    /// Appends `array`'s values, completing a page whenever one is full.
    pub fn write(&mut self, array: &PrimitiveArray<T>, codec: &mut PageCodec) -> Result<()> {
        let nulls = array.nulls().filter(|n| n.null_count() > 0);
        if nulls.is_some() && !self.nullable {
            return Err(parquet::errors::ParquetError::General(format!(
                "null in the required column {}",
                self.descr.name()
            )));
        }
        let values = array.values();
        let mut start = 0;
        while start < values.len() {
            if self.planes.is_empty() {
                // a page's first values: a spare buffer, or a new one
                let size = self.stride * std::mem::size_of::<T::Value>();
                self.planes = self.spare.pop().unwrap_or_else(|| take_planes(size));
            }
            let take = (self.stride - self.levels).min(values.len() - start);
            let slice = &values[start..start + take];
            let dense: &[T::Value] = match nulls {
                None => {
                    if self.nullable {
                        self.valid.append_n(take, true);
                    }
                    slice
                }
                Some(nulls) => {
                    let bits = nulls.inner().slice(start, take);
                    self.dense.clear();
                    compact(slice, &bits, &mut self.dense);
                    self.nulls += (take - self.dense.len()) as u64;
                    self.valid.append_buffer(&bits);
                    &self.dense
                }
            };
            T::split(dense, &mut self.planes, self.stride, self.count);
            self.count += dense.len();
            if let Some((lo, hi)) = min_max(dense, T::INFINITIES) {
                self.min_max = Some(match self.min_max {
                    Some((a, b)) => (if lo < a { lo } else { a }, if hi > b { hi } else { b }),
                    None => (lo, hi),
                });
            }
            self.levels += take;
            start += take;
            if self.levels == self.stride {
                self.flush_page(codec)?;
            }
        }
        Ok(())
    }

    fn flush_page(&mut self, codec: &mut PageCodec) -> Result<()> {
        if self.levels == 0 {
            return Ok(());
        }
        self.head.clear();
        if self.nullable {
            self.head.extend_from_slice(&[0; 4]);
            if self.count == self.levels {
                // no null: the one RLE run `encode_levels` would write
                varint((self.levels as u64) << 1, &mut self.head);
                self.head.push(1);
            } else {
                encode_levels(self.valid.as_slice(), self.levels, &mut self.head);
            }
            let len = (self.head.len() - 4) as u32;
            self.head[..4].copy_from_slice(&len.to_le_bytes());
            self.valid.truncate(0);
        }
        let (stride, count) = (self.stride, self.count);
        let mut segments = vec![Segment {
            bytes: &self.head,
            at: None,
        }];
        segments.extend(
            self.planes
                .chunks_exact(stride)
                .enumerate()
                .map(|(p, plane)| Segment {
                    bytes: &plane[..count],
                    at: Some(p * stride),
                }),
        );
        let uncompressed: usize = segments.iter().map(|s| s.bytes.len()).sum();
        let start = self.parts.len();
        let levels = self.levels;
        let compressed = codec.write_page(&segments, &mut self.parts, |len, out| {
            page_header::data_page(uncompressed, len, levels, out)
        })?;
        self.parts.end_page(std::mem::take(&mut self.planes));
        let header = self.parts.len() - start - compressed;
        self.uncompressed += (header + uncompressed) as i64;
        self.rows += self.levels as u64;
        self.count = 0;
        self.levels = 0;
        Ok(())
    }

    /// Completes the chunk: its parts (pages from offset 0) and what the
    /// row group needs to splice them in. The next row group's chunk starts
    /// empty; give the parts back ([`Self::recycle`]) once they are in the
    /// file, and their plane buffers serve its pages.
    pub fn finish(&mut self, codec: &mut PageCodec) -> Result<(ChunkParts, ColumnCloseResult)> {
        self.flush_page(codec)?;
        let data = std::mem::take(&mut self.parts);
        let metadata = ColumnChunkMetaData::builder(self.descr.clone())
            .set_compression(codec.compression())
            .set_encodings(vec![Encoding::RLE, Encoding::BYTE_STREAM_SPLIT])
            .set_num_values(self.rows as i64)
            .set_total_compressed_size(data.len() as i64)
            .set_total_uncompressed_size(self.uncompressed)
            .set_data_page_offset(0)
            .set_statistics(chunk_statistics::<T>(self.min_max, self.nulls))
            .build()?;
        let close = ColumnCloseResult {
            bytes_written: data.len() as u64,
            rows_written: self.rows,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: None,
        };
        (self.uncompressed, self.rows, self.nulls, self.min_max) = (0, 0, 0, None);
        Ok((data, close))
    }

    /// Takes back a finished chunk's parts, written: their buffers serve
    /// the next chunk.
    pub fn recycle(&mut self, parts: ChunkParts) {
        self.parts = parts.recycle(&mut self.spare);
    }
}

impl<T: Float> Drop for FloatChunk<T> {
    /// The file is done (or abandoned): its plane buffers serve the next.
    fn drop(&mut self) {
        let mut buffers = std::mem::take(&mut self.spare);
        buffers.push(std::mem::take(&mut self.planes));
        std::mem::take(&mut self.parts).recycle(&mut buffers);
        SPARE.give(buffers.into_iter().filter(|b| b.len() == PAGE_BYTES));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the RLE / bit-packed hybrid of bit width 1 (the format's
    /// reading, written from its description).
    fn decode_levels(mut bytes: &[u8], count: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < count {
            let (mut header, mut shift) = (0u64, 0);
            loop {
                let b = bytes[0];
                bytes = &bytes[1..];
                header |= ((b & 0x7F) as u64) << shift;
                shift += 7;
                if b < 0x80 {
                    break;
                }
            }
            if header & 1 == 0 {
                let value = bytes[0];
                bytes = &bytes[1..];
                out.extend(std::iter::repeat_n(value, (header >> 1) as usize));
            } else {
                for _ in 0..header >> 1 {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    out.extend((0..8).map(|k| (b >> k) & 1));
                }
            }
        }
        assert!(bytes.is_empty(), "bytes left after {count} levels");
        out.truncate(count);
        out
    }

    #[test]
    fn levels_round_trip() {
        let mut seed = 7u64;
        for count in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
            for density in [0u64, 1, 5, 50, 95, 100] {
                let levels: Vec<u8> = (0..count)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((seed >> 33) % 100 < density) as u8
                    })
                    .collect();
                let mut bits = BooleanBufferBuilder::new(count);
                for &l in &levels {
                    bits.append(l == 1);
                }
                let mut out = Vec::new();
                encode_levels(bits.as_slice(), count, &mut out);
                assert_eq!(
                    decode_levels(&out, count),
                    levels,
                    "count {count} density {density}"
                );
            }
        }
    }

    /// A page without nulls writes its levels as one run: the bytes
    /// `encode_levels` writes for all-valid bits.
    #[test]
    fn a_page_without_nulls_is_one_run() {
        for count in [1, 7, 8, 9, 1000, 131_071, 131_072] {
            let mut bits = BooleanBufferBuilder::new(count);
            bits.append_n(count, true);
            let mut out = Vec::new();
            encode_levels(bits.as_slice(), count, &mut out);
            let mut run = Vec::new();
            varint((count as u64) << 1, &mut run);
            run.push(1);
            assert_eq!(out, run, "{count} levels");
        }
    }

    #[test]
    fn split_is_the_byte_planes() {
        for n in [0usize, 1, 7, 8, 9, 17, 64, 100, 1000] {
            for at in [0, 3, 64] {
                let stride = n + at + 5;
                let values: Vec<f64> = (0..n)
                    .map(|i| (i as f64 * 1.37).sin() * 1e3 - 5.0)
                    .collect();
                let mut planes = vec![0xEE; 8 * stride];
                Float64Type::split(&values, &mut planes, stride, at);
                let narrow: Vec<f32> = values.iter().map(|&v| v as f32).collect();
                let mut narrow_planes = vec![0xEE; 4 * stride];
                Float32Type::split(&narrow, &mut narrow_planes, stride, at);
                // every byte of a value in its plane, nothing else touched
                let mut expected = vec![0xEE; 8 * stride];
                for (i, v) in values.iter().enumerate() {
                    for (plane, byte) in v.to_le_bytes().into_iter().enumerate() {
                        expected[plane * stride + at + i] = byte;
                    }
                }
                assert_eq!(planes, expected, "n {n} at {at}");
                let mut expected = vec![0xEE; 4 * stride];
                for (i, v) in narrow.iter().enumerate() {
                    for (plane, byte) in v.to_le_bytes().into_iter().enumerate() {
                        expected[plane * stride + at + i] = byte;
                    }
                }
                assert_eq!(narrow_planes, expected, "f32: n {n} at {at}");
            }
        }
    }

    #[test]
    fn compaction_keeps_the_valid_values_in_order() {
        let mut seed = 5u64;
        for len in [0, 1, 63, 64, 65, 200, 1000] {
            for offset in [0, 3, 64, 70] {
                for density in [0, 1, 50, 97, 100] {
                    let bits: Vec<bool> = (0..offset + len)
                        .map(|_| {
                            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                            (seed >> 33) % 100 < density
                        })
                        .collect();
                    let valid = BooleanBuffer::from(bits.clone()).slice(offset, len);
                    let values: Vec<f64> = (0..len).map(|i| i as f64 + 0.5).collect();
                    let expected: Vec<f64> = values
                        .iter()
                        .zip(&bits[offset..])
                        .filter(|(_, &b)| b)
                        .map(|(&v, _)| v)
                        .collect();
                    let mut out = vec![-1.0];
                    compact(&values, &valid, &mut out);
                    assert_eq!(out[0], -1.0);
                    assert_eq!(out[1..], expected, "{len} {offset} {density}");
                }
            }
        }
    }

    /// Against a plain fold, at lengths around the lanes' width, the least
    /// and greatest values falling in the lanes or in the rest.
    #[test]
    fn min_max_equals_a_fold() {
        let mut state = 99u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in 0..40usize {
            for _ in 0..20 {
                let values: Vec<f64> = (0..n)
                    .map(|_| match next() {
                        r if r % 7 == 0 => f64::NAN,
                        r => (r >> 11) as f64 / (1u64 << 53) as f64 * 200.0 - 100.0,
                    })
                    .collect();
                let present = values.iter().copied().filter(|v| !v.is_nan());
                let expected = (present.clone().count() > 0).then(|| {
                    (
                        present.clone().fold(f64::INFINITY, f64::min),
                        present.fold(f64::NEG_INFINITY, f64::max),
                    )
                });
                let got = min_max(&values, Float64Type::INFINITIES);
                assert_eq!(got, expected, "{values:?}");
            }
        }
    }

    #[test]
    fn min_max_skips_nan_and_signs_zero() {
        let values = [3.0, f64::NAN, -0.0, 7.5, 0.0, f64::NAN, 2.0];
        assert_eq!(min_max(&values, Float64Type::INFINITIES), Some((-0.0, 7.5)));
        assert_eq!(min_max(&[f64::NAN; 5], Float64Type::INFINITIES), None);
        assert_eq!(min_max::<f64>(&[], Float64Type::INFINITIES), None);
        let stats = chunk_statistics::<Float64Type>(Some((0.0, -0.0)), 2);
        match stats {
            Statistics::Double(s) => {
                assert!(s.min_opt().unwrap().is_sign_negative());
                assert!(s.max_opt().unwrap().is_sign_positive());
                assert_eq!(s.null_count_opt(), Some(2));
            }
            other => panic!("expected double statistics, got {other:?}"),
        }
    }
}
