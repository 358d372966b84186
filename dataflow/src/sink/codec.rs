//! The page compression of a Parquet file's hand-encoded float columns
//! ([`super::floats`]): one zstd context per file, reused for every page.

use crate::config::Codec;
use bytes::Bytes;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::{ParquetError, Result};

/// Compresses data pages with a file's codec.
pub enum PageCodec {
    /// zstd at a level, with its context.
    Zstd(ZstdLevel, zstd::bulk::Compressor<'static>),
    /// LZ4 blocks without a frame (`LZ4_RAW`).
    Lz4,
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
            Codec::Zstd => Self::Zstd(
                ZstdLevel::try_new(zstd_level)?,
                zstd::bulk::Compressor::new(zstd_level).map_err(external)?,
            ),
            Codec::Lz4 => Self::Lz4,
            Codec::None => Self::None,
        })
    }

    /// What a column chunk's metadata names.
    pub fn compression(&self) -> Compression {
        match self {
            Self::Zstd(level, _) => Compression::ZSTD(*level),
            Self::Lz4 => Compression::LZ4_RAW,
            Self::None => Compression::UNCOMPRESSED,
        }
    }

    /// `page` compressed (an uncompressed page is taken, not copied).
    pub fn compress(&mut self, page: &mut Vec<u8>) -> Result<Bytes> {
        Ok(match self {
            Self::Zstd(_, context) => {
                let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(page.len()));
                context
                    .compress_to_buffer(page.as_slice(), &mut out)
                    .map_err(external)?;
                Bytes::from(out)
            }
            Self::Lz4 => {
                let mut out = vec![0; lz4_flex::block::get_maximum_output_size(page.len())];
                let len = lz4_flex::block::compress_into(page, &mut out).map_err(external)?;
                out.truncate(len);
                Bytes::from(out)
            }
            Self::None => Bytes::from(std::mem::take(page)),
        })
    }
}
