//! zstd for a page of byte planes (a float page split by byte plane): one
//! frame per plane, those whose bytes look random (a float's low mantissa
//! bytes) stored in raw blocks, the others (sign and exponent; the levels)
//! compressed, those of few distinct bytes (a sign and exponent plane) with
//! zstd's fastest match search, and the page is the concatenation of the
//! frames. zstd data is "one or more frames" (RFC 8878 §3), so every
//! decoder reads the page
//! back; what is saved is zstd's attempt to compress incompressible bytes,
//! which then fails and stores them raw anyway (most of a backfill's zstd
//! time).

use super::chunk_parts::{ChunkParts, Segment};
use std::ops::Range;
use std::sync::OnceLock;
use zstd::bulk::Compressor;

/// Bytes sampled from a plane to judge it: runs of `RUN` bytes spread
/// evenly over it (a few cache lines, where single bytes spread as far
/// apart would touch all of them). A page of 32,768 doubles has planes of
/// 32 KiB: 1,024 bytes are 3% of one (4,096 took an eighth of the plane
/// and 4% of a backfill's time). A uniformly random plane's corrected
/// estimate is then 7.99 bits, standard deviation 0.018 (simulated), so
/// one in about 500,000 such planes falls below [`RAW_ENTROPY`] and is
/// left to zstd: slower for that plane, never wrong.
const SAMPLES: usize = 1024;
const RUN: usize = 128;

/// Above this entropy (bits per byte) a plane is stored raw: Huffman coding
/// would save at most about 1% of it.
const RAW_ENTROPY: f64 = 7.9;

/// Below this entropy (bits per byte) a plane is compressed with zstd's
/// fastest match search ([`Kind::Sparse`]).
const SPARSE_ENTROPY: f64 = 2.0;

/// How a plane is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Its bytes look uniformly random: stored raw.
    Random,
    /// Few distinct bytes (a sign and exponent plane): Huffman coding of
    /// the literals does nearly all the work, and a thorough match search
    /// takes most of the time. On a backfill's sign and exponent planes
    /// zstd at its fastest setting with Huffman-coded literals compressed
    /// 2.4x as fast as level 1, to the same size (10.1% against 10.3%).
    Sparse,
    /// Anything else: zstd at the file's level.
    Structured,
}

/// How `plane` is stored, by the entropy of a sample of its bytes
/// (Miller–Madow corrected for the sample's size) and by how often a
/// sampled byte repeats the one before it: a plane of evenly spread bytes
/// that come in runs (a value carried over rows) is left to zstd, whose
/// matches shrink it. Repeats at longer distances are not looked for: such
/// a plane is stored raw, at worst the size it has. Planes shorter than the
/// sample are left to zstd.
pub fn judge(plane: &[u8]) -> Kind {
    if plane.len() < SAMPLES {
        return Kind::Structured;
    }
    // Four tallies, a byte to each in turn: a plane of few distinct bytes
    // (a sign and exponent plane) would otherwise increment one counter
    // after another, each waiting on the store before it.
    let mut tallies = [[0u32; 256]; 4];
    let mut repeats = 0usize;
    for run in sampled_runs(plane) {
        for four in run.chunks_exact(4) {
            for (tally, &byte) in tallies.iter_mut().zip(four) {
                tally[byte as usize] += 1;
            }
        }
        repeats += run.windows(2).filter(|w| w[0] == w[1]).count();
    }
    let m = SAMPLES as f64;
    let (mut sum, mut seen) = (0.0, 0u32);
    let x_log2_x = x_log2_x_table();
    for byte in 0..256 {
        let c = tallies.iter().map(|t| t[byte]).sum::<u32>();
        if c > 0 {
            sum += x_log2_x[c as usize];
            seen += 1;
        }
    }
    let entropy = m.log2() - sum / m + f64::from(seen - 1) / (2.0 * m * std::f64::consts::LN_2);
    if entropy < SPARSE_ENTROPY {
        Kind::Sparse
    // Random bytes repeat their neighbour once in 256 pairs.
    } else if entropy > RAW_ENTROPY && repeats <= SAMPLES / 64 {
        Kind::Random
    } else {
        Kind::Structured
    }
}

/// Hints the lines [`judge`] samples of `plane` into cache: the plane was
/// filled a batch at a time, its sampled runs are seldom still in cache,
/// and judged alone each run's loads stall the tallies that follow them.
fn hint_sample(plane: &[u8]) {
    if plane.len() >= SAMPLES {
        sampled_runs(plane).for_each(tickflow_operators::prefetch::slice);
    }
}

/// The runs of `RUN` bytes [`judge`] samples, spread evenly over `plane`
/// (at least `SAMPLES` bytes long).
fn sampled_runs(plane: &[u8]) -> impl Iterator<Item = &[u8]> {
    let runs = SAMPLES / RUN;
    let gap = plane.len() / runs;
    (0..runs).map(move |r| &plane[r * gap..r * gap + RUN])
}

/// `c * log2(c)` for every count a sample can hold (a plane of random
/// bytes has about 256 distinct ones, each a logarithm to take).
fn x_log2_x_table() -> &'static [f64] {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=SAMPLES)
            .map(|c| {
                let c = c as f64;
                c * c.log2()
            })
            .collect()
    })
}

/// zstd's level for [`Kind::Sparse`] planes: its fastest match search
/// (measured: faster than -100 and -2,000, as small).
const SPARSE_LEVEL: i32 = -20_000;

/// A context for [`Kind::Sparse`] planes: the fastest match search, and
/// literals Huffman-coded (negative levels store them raw by default).
pub fn sparse_compressor() -> std::io::Result<Compressor<'static>> {
    use zstd::zstd_safe::{CParameter, ParamSwitch};
    let mut context = Compressor::new(SPARSE_LEVEL)?;
    context.set_parameter(CParameter::LiteralCompressionMode(ParamSwitch::Enable))?;
    Ok(context)
}

/// Largest block of a frame.
const BLOCK: usize = 128 << 10;

/// The blocks of a raw frame of `n` bytes (one at least).
fn raw_blocks(n: usize) -> usize {
    n.div_ceil(BLOCK).max(1)
}

/// The size of [`raw_frame`]`(data)` for `n` bytes of data: magic, header,
/// content size, and a 3-byte header per block.
fn raw_frame_len(n: usize) -> usize {
    4 + 1 + 4 + n + 3 * raw_blocks(n)
}

/// Appends `data` to `out` as one zstd frame of raw blocks: the magic
/// number, a header with a 4-byte content size and a single segment (the
/// window is the content; no checksum, no dictionary), then blocks of at
/// most 128 KiB, each a 3-byte header (last flag, type raw, size) and its
/// bytes (RFC 8878 §3.1.1), referenced where they lie rather than copied.
pub fn raw_frame(data: Segment<'_>, out: &mut ChunkParts) {
    const MAGIC: u32 = 0xFD2F_B528;
    const SINGLE_SEGMENT_4_BYTE_SIZE: u8 = 0b1010_0000;
    let n = data.bytes.len();
    let size = u32::try_from(n).expect("a page is far below 4 GiB");
    out.small_with(|out| {
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.push(SINGLE_SEGMENT_4_BYTE_SIZE);
        out.extend_from_slice(&size.to_le_bytes());
    });
    let blocks = raw_blocks(n);
    for b in 0..blocks {
        let block = data.slice((b * BLOCK).min(n)..((b + 1) * BLOCK).min(n));
        let last = u32::from(b + 1 == blocks);
        let header = (block.bytes.len() as u32) << 3 | last;
        out.copy(&header.to_le_bytes()[..3]);
        out.segment(block);
    }
}

/// One frame of a compressed page.
#[derive(Debug)]
enum Frame {
    /// This segment of the page, stored raw.
    Raw(usize),
    /// A compressed frame: these bytes of the scratch buffer.
    Compressed(Range<usize>),
}

/// A page's frames, planned before any is written so that the page's
/// compressed size (which its header holds) is known first.
#[derive(Debug, Default)]
pub struct Frames {
    frames: Vec<Frame>,
    /// The compressed frames, one after the other.
    scratch: Vec<u8>,
}

impl Frames {
    /// Plans the frames of the page made of `segments` (the levels, then
    /// each byte plane), one frame per segment that has bytes: raw where
    /// they look random, compressed (here) otherwise, by `sparse` where
    /// they are few distinct bytes and it is given, by `context` else.
    pub fn plan(
        &mut self,
        context: &mut Compressor<'static>,
        mut sparse: Option<&mut Compressor<'static>>,
        segments: &[Segment<'_>],
    ) -> std::io::Result<()> {
        self.frames.clear();
        self.scratch.clear();
        for (i, segment) in segments.iter().map(|s| s.bytes).enumerate() {
            if let Some(next) = segments.get(i + 1) {
                hint_sample(next.bytes);
            }
            if segment.is_empty() {
                continue;
            }
            let kind = judge(segment);
            if kind == Kind::Random {
                self.frames.push(Frame::Raw(i));
                continue;
            }
            let by = match (kind, sparse.as_deref_mut()) {
                (Kind::Sparse, Some(fast)) => fast,
                _ => &mut *context,
            };
            let at = self.scratch.len();
            compressed_frame(by, segment, &mut self.scratch)?;
            self.frames.push(Frame::Compressed(at..self.scratch.len()));
        }
        if self.frames.is_empty() {
            compressed_frame(context, &[], &mut self.scratch)?;
            self.frames.push(Frame::Compressed(0..self.scratch.len()));
        }
        Ok(())
    }

    /// The planned frames' size.
    pub fn len(&self, segments: &[Segment<'_>]) -> usize {
        self.frames
            .iter()
            .map(|f| match f {
                Frame::Raw(i) => raw_frame_len(segments[*i].bytes.len()),
                Frame::Compressed(r) => r.len(),
            })
            .sum()
    }

    /// Appends the planned frames of the page made of `segments` to `out`.
    pub fn write(&self, segments: &[Segment<'_>], out: &mut ChunkParts) {
        for frame in &self.frames {
            match frame {
                Frame::Raw(i) => raw_frame(segments[*i], out),
                Frame::Compressed(r) => out.copy(&self.scratch[r.clone()]),
            }
        }
    }
}

/// Appends `data` to `out` as one compressed zstd frame.
fn compressed_frame(
    context: &mut Compressor<'static>,
    data: &[u8],
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    out.reserve(zstd::zstd_safe::compress_bound(data.len()));
    let mut cursor = std::io::Cursor::new(std::mem::take(out));
    cursor.set_position(cursor.get_ref().len() as u64);
    let written = context.compress_to_buffer(data, &mut cursor);
    *out = cursor.into_inner();
    written.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes from a xorshift generator: uniformly random for the test's
    /// purpose.
    fn random_bytes(n: usize, mut state: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect()
    }

    /// The top bytes of doubles of about 0.03 in size and random sign.
    fn signs(n: usize, seed: u64) -> Vec<u8> {
        random_bytes(n, seed)
            .iter()
            .map(|b| if b & 1 == 0 { 0x3F } else { 0xBF })
            .collect()
    }

    fn decompress(frames: &[u8], size: usize) -> Vec<u8> {
        zstd::bulk::decompress(frames, size).unwrap()
    }

    /// The bytes of `parts`, as the row group reads them.
    fn file_bytes(parts: ChunkParts) -> Vec<u8> {
        use parquet::file::reader::ChunkReader;
        use std::io::Read;
        let mut out = Vec::new();
        let chunk = super::super::chunk_parts::SharedChunk::new(parts);
        chunk.get_read(0).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn a_raw_frame_decodes_to_its_bytes() {
        for n in [0, 1, 4095, 128 << 10, (128 << 10) + 1, 300_000] {
            // the data in a page's plane buffer, after 5 other bytes
            let mut planes = vec![0xCD; 5];
            planes.extend(random_bytes(n, 7 + n as u64));
            let data = &planes[5..];
            let mut parts = ChunkParts::default();
            parts.copy(&[0xAB]);
            raw_frame(
                Segment {
                    bytes: data,
                    at: Some(5),
                },
                &mut parts,
            );
            assert_eq!(parts.len() - 1, raw_frame_len(n));
            let data = data.to_vec();
            parts.end_page(planes);
            let out = file_bytes(parts);
            assert_eq!(out[0], 0xAB, "what was in the chunk stays");
            assert_eq!(out.len() - 1, raw_frame_len(n));
            assert_eq!(decompress(&out[1..], n), data, "{n} bytes");
            assert_eq!(
                zstd::zstd_safe::get_frame_content_size(&out[1..]).unwrap(),
                Some(n as u64)
            );
        }
    }

    #[test]
    fn random_planes_are_told_from_structured_ones() {
        assert_eq!(judge(&random_bytes(1 << 17, 1)), Kind::Random);
        assert_eq!(judge(&random_bytes(SAMPLES, 2)), Kind::Random);
        assert_eq!(
            judge(&random_bytes(SAMPLES - 1, 3)),
            Kind::Structured,
            "too short to judge"
        );
        assert_eq!(judge(&vec![0x40; 1 << 17]), Kind::Sparse);
        // A sign and exponent plane: two values, at random.
        assert_eq!(judge(&signs(1 << 17, 6)), Kind::Sparse);
        // Bytes drawn from 128 values: 7 bits of entropy.
        let half: Vec<u8> = random_bytes(1 << 17, 4).iter().map(|b| b & 0x7F).collect();
        assert_eq!(judge(&half), Kind::Structured);
        // Every byte value, evenly, but each in a run of four.
        let runs: Vec<u8> = random_bytes(1 << 15, 5)
            .iter()
            .flat_map(|&b| [b; 4])
            .collect();
        assert_eq!(judge(&runs), Kind::Structured);
    }

    #[test]
    fn a_page_of_planes_decodes_to_itself() {
        let n = 20_000;
        let mut context = Compressor::new(1).unwrap();
        let mut fast = sparse_compressor().unwrap();
        for (head, sparse) in [(0, false), (37, false), (0, true), (37, true)] {
            // Levels, then planes: random, random, constant, skewed,
            // random, signs.
            let levels = random_bytes(head, 9);
            let planes = [
                random_bytes(n, 10),
                random_bytes(n, 11),
                vec![0x3F; n],
                random_bytes(n, 12).iter().map(|b| b % 5).collect(),
                random_bytes(n, 13),
                signs(n, 14),
            ];
            // the planes in one buffer, as a page's are
            let buffer = planes.concat();
            let mut segments = vec![Segment {
                bytes: &levels,
                at: None,
            }];
            segments.extend((0..planes.len()).map(|p| Segment {
                bytes: &buffer[p * n..(p + 1) * n],
                at: Some(p * n),
            }));
            let page = [levels.as_slice(), &buffer].concat();
            let mut frames = Frames::default();
            frames
                .plan(&mut context, sparse.then_some(&mut fast), &segments)
                .unwrap();
            let raw: Vec<bool> = frames
                .frames
                .iter()
                .map(|f| matches!(f, Frame::Raw(_)))
                .collect();
            let expected = [true, true, false, false, true, false];
            assert_eq!(raw[raw.len() - 6..], expected, "levels {head}");
            assert_eq!(raw.len(), 6 + (head > 0) as usize, "no frame for no levels");
            match frames.frames.last() {
                Some(Frame::Compressed(r)) => assert!(r.len() < n / 5, "signs: {} bytes", r.len()),
                other => panic!("signs stored as {other:?}"),
            }
            let mut parts = ChunkParts::default();
            parts.copy(&[1, 2, 3]);
            frames.write(&segments, &mut parts);
            parts.end_page(buffer.clone());
            let out = file_bytes(parts);
            assert_eq!(&out[..3], &[1, 2, 3]);
            assert_eq!(out.len() - 3, frames.len(&segments));
            assert_eq!(decompress(&out[3..], page.len()), page);
            assert!(
                out.len() < page.len() - n,
                "the constant plane is compressed"
            );
            // A page of nulls: levels and empty planes.
            let nulls: Vec<Segment> = [(&levels[..], None), (&[][..], Some(0)), (&[], Some(0))]
                .into_iter()
                .map(|(bytes, at)| Segment { bytes, at })
                .collect();
            frames
                .plan(&mut context, sparse.then_some(&mut fast), &nulls)
                .unwrap();
            let mut parts = ChunkParts::default();
            frames.write(&nulls, &mut parts);
            parts.end_page(Vec::new());
            let empty = file_bytes(parts);
            assert_eq!(empty.len(), frames.len(&nulls));
            assert_eq!(decompress(&empty, head), levels);
        }
    }
}
