//! One reader for every bar file format, chosen by the file name.

use super::columnar_file::ColumnarBarReader;
use super::csv_bars::{csv_header, CsvBarReader, CsvOptions};
use super::discover::{format_of, FileFormat};
use crate::batch::{BarBatch, Interner};
use crate::error::{ConnectorError, Result};
use crate::reject::{Reject, RejectCounts};
use crate::ts::TsParser;
use std::path::Path;

/// Reads a CSV, Parquet or Arrow IPC bar file in batches.
pub enum BarFileReader {
    /// `.csv`, `.csv.gz`.
    Csv(CsvBarReader),
    /// `.parquet`, `.arrow`, `.ipc`, `.feather`.
    Columnar(ColumnarBarReader),
}

/// The symbol of a file without a symbol column: `--symbol`, else the file stem.
pub fn file_symbol(path: &Path, options: &CsvOptions) -> String {
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("unknown");
    let stem = stem.split('.').next().unwrap_or(stem);
    options
        .default_symbol
        .as_deref()
        .unwrap_or(stem)
        .to_string()
}

impl BarFileReader {
    /// Opens `path` (index `file` in the run's input list).
    pub fn open(
        path: &Path,
        file: u32,
        options: &CsvOptions,
        symbols: &mut Interner,
    ) -> Result<Self> {
        Self::open_with(path, file, options, symbols, false)
    }

    /// Opens `path` for its keys (symbol, time, sector) only: columnar files
    /// then skip the bar columns, only key faults reject a row, and a batch
    /// holds only the symbol and time of each valid row (CSV rows are read
    /// whole).
    pub fn open_keys(
        path: &Path,
        file: u32,
        options: &CsvOptions,
        symbols: &mut Interner,
    ) -> Result<Self> {
        Self::open_with(path, file, options, symbols, true)
    }

    fn open_with(
        path: &Path,
        file: u32,
        options: &CsvOptions,
        symbols: &mut Interner,
        keys_only: bool,
    ) -> Result<Self> {
        match format_of(path) {
            Some(FileFormat::Csv) => {
                Ok(Self::Csv(CsvBarReader::open(path, file, options, symbols)?))
            }
            Some(format) => Ok(Self::Columnar(ColumnarBarReader::open(
                path,
                format,
                file,
                &options.mapping,
                keys_only,
                || symbols.intern(&file_symbol(path, options)),
            )?)),
            None => Err(ConnectorError::UnsupportedFormat(path.to_path_buf())),
        }
    }

    /// Reads a batch of rows (about 64k): valid bars to `out`, invalid rows
    /// to `rejects`. Returns the number of rows read (0 at the end).
    pub fn read_batch(
        &mut self,
        ts: &TsParser,
        symbols: &mut Interner,
        sectors: &mut Interner,
        out: &mut BarBatch,
        rejects: &mut Vec<Reject>,
    ) -> Result<usize> {
        match self {
            Self::Csv(r) => r.read_batch(65_536, ts, symbols, sectors, out, rejects),
            Self::Columnar(r) => r.read_batch(ts, symbols, sectors, out, rejects),
        }
    }

    /// Rejections so far, by reason.
    pub fn reject_counts(&self) -> &RejectCounts {
        match self {
            Self::Csv(r) => r.reject_counts(),
            Self::Columnar(r) => r.reject_counts(),
        }
    }

    /// Data rows read so far.
    pub fn rows(&self) -> u64 {
        match self {
            Self::Csv(r) => r.rows(),
            Self::Columnar(r) => r.rows(),
        }
    }
}

/// The columns of a bar file as (name, type): Arrow types for columnar
/// files, `text` for CSV (read from the header only).
pub fn file_columns(path: &Path) -> Result<Vec<(String, String)>> {
    let io = |source| ConnectorError::Io {
        path: path.to_path_buf(),
        what: "opening".into(),
        source,
    };
    let columnar = |e: &dyn std::fmt::Display| ConnectorError::Columnar {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let schema = match format_of(path) {
        Some(FileFormat::Csv) => {
            return Ok(csv_header(path)?
                .into_iter()
                .map(|h| (h, "text".into()))
                .collect())
        }
        Some(FileFormat::Parquet) => {
            let file = std::fs::File::open(path).map_err(io)?;
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| columnar(&e))?
                .schema()
                .clone()
        }
        Some(FileFormat::Ipc) => {
            let file = std::fs::File::open(path).map_err(io)?;
            match arrow_ipc::reader::FileReader::try_new(file, None) {
                Ok(r) => r.schema(),
                Err(e) => {
                    let file = std::fs::File::open(path).map_err(io)?;
                    arrow_ipc::reader::StreamReader::try_new(file, None)
                        .map_err(|_| columnar(&e))?
                        .schema()
                }
            }
        }
        None => return Err(ConnectorError::UnsupportedFormat(path.to_path_buf())),
    };
    Ok(schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().to_string()))
        .collect())
}
