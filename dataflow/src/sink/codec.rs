//! The page compression of a Parquet file's hand-encoded float columns
//! ([`super::floats`]): one zstd context and one output buffer per file,
//! reused for every page.

use super::zstd_planes;
use crate::config::Codec;
use bytes::Bytes;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::{ParquetError, Result};

/// Compresses data pages with a file's codec.
pub enum PageCodec {
    /// zstd at a level, with its context and the buffer pages are
    /// compressed into (handed out as the page, and back by [`Self::reclaim`]).
    Zstd(ZstdLevel, zstd::bulk::Compressor<'static>, Vec<u8>),
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
                Vec::new(),
            ),
            Codec::Lz4 => Self::Lz4,
            Codec::None => Self::None,
        })
    }

    /// What a column chunk's metadata names.
    pub fn compression(&self) -> Compression {
        match self {
            Self::Zstd(level, ..) => Compression::ZSTD(*level),
            Self::Lz4 => Compression::LZ4_RAW,
            Self::None => Compression::UNCOMPRESSED,
        }
    }

    /// `page` compressed (an uncompressed page is taken, not copied). After
    /// `head` bytes the page holds `planes` byte planes of equal length;
    /// zstd stores those that look random as they are
    /// ([`super::zstd_planes`]).
    pub fn compress(&mut self, page: &mut Vec<u8>, head: usize, planes: usize) -> Result<Bytes> {
        Ok(match self {
            Self::Zstd(_, context, spare) => {
                let mut out = std::mem::take(spare);
                out.clear();
                zstd_planes::compress_planes(context, page, head, planes, &mut out)
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

    /// Takes back a page [`Self::compress`] returned, once written, to
    /// compress the next one into (zstd; the others let it go).
    pub fn reclaim(&mut self, mut page: Bytes) {
        if let Self::Zstd(.., spare) = self {
            // Emptied first: a unique `Bytes` becomes its `Vec` again by
            // moving its bytes to the allocation's start (a copy of the
            // page even where they are there already).
            page.clear();
            *spare = Vec::from(page);
        }
    }
}
