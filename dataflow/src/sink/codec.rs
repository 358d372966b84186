//! The page compression of a Parquet file's hand-encoded float columns
//! ([`super::floats`]): one zstd context (two at the fast levels, see
//! [`super::zstd_planes::Kind::Sparse`]) and one scratch buffer per file,
//! reused for every page; a page goes into its chunk's parts once, after
//! its header, its planes stored raw referenced rather than copied
//! ([`super::chunk_parts`]).

use super::chunk_parts::{ChunkParts, Segment};
use super::zstd_planes::{sparse_compressor, Frames};
use crate::config::Codec;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::{ParquetError, Result};

/// Levels up to this one compress [`super::zstd_planes::Kind::Sparse`]
/// planes with zstd's fastest settings (to about the same size); above it
/// every plane gets the level asked for.
const SPARSE_FAST_UP_TO: i32 = 3;

/// Compresses data pages with a file's codec.
pub enum PageCodec {
    /// zstd at a level, with its context, the one for sparse planes, and a
    /// page's planned frames.
    Zstd {
        level: ZstdLevel,
        context: zstd::bulk::Compressor<'static>,
        sparse: Option<zstd::bulk::Compressor<'static>>,
        frames: Frames,
    },
    /// LZ4 blocks without a frame (`LZ4_RAW`): a page is gathered, then
    /// compressed, in buffers of its own.
    Lz4 { page: Vec<u8>, compressed: Vec<u8> },
    /// Pages stored as they are.
    None,
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl PageCodec {
    /// The codec `codec` (zstd at `zstd_level`).
    pub fn new(codec: Codec, zstd_level: i32) -> Result<Self> {
        Ok(match codec {
            Codec::Zstd => Self::Zstd {
                level: ZstdLevel::try_new(zstd_level)?,
                context: zstd::bulk::Compressor::new(zstd_level).map_err(external)?,
                sparse: (zstd_level <= SPARSE_FAST_UP_TO)
                    .then(sparse_compressor)
                    .transpose()
                    .map_err(external)?,
                frames: Frames::default(),
            },
            Codec::Lz4 => Self::Lz4 {
                page: Vec::new(),
                compressed: Vec::new(),
            },
            Codec::None => Self::None,
        })
    }

    /// What a column chunk's metadata names.
    pub fn compression(&self) -> Compression {
        match self {
            Self::Zstd { level, .. } => Compression::ZSTD(*level),
            Self::Lz4 { .. } => Compression::LZ4_RAW,
            Self::None => Compression::UNCOMPRESSED,
        }
    }

    /// Appends `header(compressed size, out)` and then the page made of
    /// `segments` (the levels, then the values' byte planes), compressed,
    /// to `out`; returns the compressed size. Planes stored as they are
    /// (zstd's that look random, [`super::zstd_planes`]; all of them
    /// uncompressed) are referenced, not copied.
    pub fn write_page(
        &mut self,
        segments: &[Segment<'_>],
        out: &mut ChunkParts,
        header: impl FnOnce(usize, &mut Vec<u8>) -> Result<()>,
    ) -> Result<usize> {
        match self {
            Self::Zstd {
                context,
                sparse,
                frames,
                ..
            } => {
                frames
                    .plan(context, sparse.as_mut(), segments)
                    .map_err(external)?;
                let len = frames.len(segments);
                out.small_with(|out| header(len, out))?;
                frames.write(segments, out);
                Ok(len)
            }
            Self::Lz4 { page, compressed } => {
                page.clear();
                for segment in segments {
                    page.extend_from_slice(segment.bytes);
                }
                compressed.resize(lz4_flex::block::get_maximum_output_size(page.len()), 0);
                let len = lz4_flex::block::compress_into(page, compressed).map_err(external)?;
                out.small_with(|out| header(len, out))?;
                out.copy(&compressed[..len]);
                Ok(len)
            }
            Self::None => {
                let len = segments.iter().map(|s| s.bytes.len()).sum();
                out.small_with(|out| header(len, out))?;
                for segment in segments {
                    out.segment(*segment);
                }
                Ok(len)
            }
        }
    }
}
