//! The header of a Parquet data page (v1) as the format's Thrift compact
//! protocol writes it, so that a float column's page can be written into its
//! chunk in one pass: header, then the compressed frames straight from the
//! page's byte planes ([`super::floats`]).

use parquet::errors::{ParquetError, Result};

/// Compact-protocol field types.
const I32: u8 = 5;
const STRUCT: u8 = 12;
/// `PageType::DATA_PAGE`, `Encoding::BYTE_STREAM_SPLIT` and `Encoding::RLE`.
const DATA_PAGE: i32 = 0;
const BYTE_STREAM_SPLIT: i32 = 9;
const RLE: i32 = 3;

/// Appends the header of a data page of `values` values (nulls included)
/// whose data is `uncompressed` bytes, stored in `compressed` bytes, its
/// values `BYTE_STREAM_SPLIT`, its levels RLE, without statistics or CRC.
pub fn data_page(
    uncompressed: usize,
    compressed: usize,
    values: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    let int = |n: usize, what: &str| {
        i32::try_from(n).map_err(|_| ParquetError::General(format!("page {what} {n} overflows")))
    };
    // PageHeader: 1 type, 2 uncompressed_page_size, 3 compressed_page_size,
    // 5 data_page_header (4, the CRC, left out).
    field(1, I32, out);
    varint(DATA_PAGE, out);
    field(1, I32, out);
    varint(int(uncompressed, "size")?, out);
    field(1, I32, out);
    varint(int(compressed, "size")?, out);
    field(2, STRUCT, out);
    // DataPageHeader: 1 num_values, 2 encoding, 3 and 4 the definition and
    // repetition level encodings.
    field(1, I32, out);
    varint(int(values, "value count")?, out);
    for encoding in [BYTE_STREAM_SPLIT, RLE, RLE] {
        field(1, I32, out);
        varint(encoding, out);
    }
    out.push(0); // end of DataPageHeader
    out.push(0); // end of PageHeader
    Ok(())
}

/// A field header: the id's distance from the previous field's, and the type.
fn field(delta: u8, kind: u8, out: &mut Vec<u8>) {
    out.push(delta << 4 | kind);
}

/// An i32 zigzag-encoded as a ULEB128 varint.
fn varint(n: i32, out: &mut Vec<u8>) {
    super::floats::varint(((n << 1) ^ (n >> 31)) as u32 as u64, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use parquet::basic::Encoding;
    use parquet::column::page::{CompressedPage, Page, PageWriter};
    use parquet::file::writer::{SerializedPageWriter, TrackedWrite};

    /// The parquet crate's own writer is the oracle: its header for the
    /// same page, byte for byte.
    #[test]
    fn headers_are_the_parquet_crates() {
        for (uncompressed, compressed, values) in [
            (0, 0, 0),
            (1, 13, 1),
            (63, 64, 8),
            (1 << 20, 900_000, 131_072),
            (1 << 21, 1 << 21, 262_144),
            (i32::MAX as usize, 5, i32::MAX as usize),
        ] {
            let mut theirs = TrackedWrite::new(Vec::new());
            let page = Page::DataPage {
                buf: Bytes::from(vec![7; compressed.min(1 << 21)]),
                num_values: values as u32,
                encoding: Encoding::BYTE_STREAM_SPLIT,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            };
            let spec = SerializedPageWriter::new(&mut theirs)
                .write_page(CompressedPage::new(page, uncompressed))
                .unwrap();
            let theirs = theirs.into_inner().unwrap();
            let header = spec.compressed_size - compressed.min(1 << 21);
            let mut ours = Vec::new();
            data_page(uncompressed, compressed.min(1 << 21), values, &mut ours).unwrap();
            assert_eq!(
                ours,
                theirs[..header],
                "{uncompressed} {compressed} {values}"
            );
        }
        let mut out = Vec::new();
        assert!(data_page(1 << 31, 0, 0, &mut out).is_err());
    }
}
