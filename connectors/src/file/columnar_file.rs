//! Parquet and Arrow IPC files as a stream of record batches: the transport
//! half of the columnar readers (the format half is [`super::columnar`]).

use super::chunk_cache::ChunkCache;
use super::columnar::{append_batch, ColumnarLayout, RowOrigin};
use super::discover::FileFormat;
use crate::batch::{BarBatch, Interner};
use crate::error::{ConnectorError, Result};
use crate::mapping::{ColumnMapping, ResolvedColumns};
use crate::reject::{Reject, RejectCounts};
use crate::ts::TsParser;
use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

type Batches = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + Send>;

/// Reads one Parquet or Arrow IPC bar file in record batches.
pub struct ColumnarBarReader {
    path: PathBuf,
    file: u32,
    batches: Batches,
    columns: ResolvedColumns,
    file_symbol: Option<u32>,
    keys_only: bool,
    counts: RejectCounts,
    rows: u64,
}

fn columnar_error(path: &Path, e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Columnar {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Rows per record batch read.
const BATCH_ROWS: usize = 65_536;

fn open_parquet(
    path: &Path,
    mapping: &ColumnMapping,
    keys_only: bool,
) -> Result<(Batches, ResolvedColumns, SchemaRef)> {
    use arrow_schema::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::{
        ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    use parquet::arrow::ProjectionMask;
    let file = File::open(path).map_err(|source| ConnectorError::Io {
        path: path.to_path_buf(),
        what: "opening".into(),
        source,
    })?;
    let footer = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| columnar_error(path, e))?;
    let schema = footer.schema().clone();
    let layout = layout_of(&schema, mapping, path)?;
    // Symbol and sector columns stored with a dictionary are read as Arrow
    // dictionaries: each distinct name is interned once per batch, not per row.
    let columns = layout.columns();
    let meta = footer.metadata();
    let dictionary_coded = |i: usize| {
        meta.num_row_groups() > 0
            && meta
                .row_groups()
                .iter()
                .all(|rg| rg.column(i).dictionary_page_offset().is_some())
    };
    let leaf_per_field = footer.parquet_schema().num_columns() == schema.fields().len();
    let hinted: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let key = columns.symbol == Some(i) || columns.sector == Some(i);
            let plain = matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            );
            if key && plain && leaf_per_field && dictionary_coded(i) {
                f.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(DataType::Utf8),
                ))
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let options = ArrowReaderOptions::new().with_schema(std::sync::Arc::new(
        Schema::new_with_metadata(hinted, schema.metadata().clone()),
    ));
    let hinted =
        ArrowReaderMetadata::try_new(meta.clone(), options).map_err(|e| columnar_error(path, e))?;
    let chunks = ChunkCache::new(path, file, meta).map_err(|source| ConnectorError::Io {
        path: path.to_path_buf(),
        what: "opening".into(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(chunks, hinted);
    let mask = ProjectionMask::roots(builder.parquet_schema(), layout.projection(keys_only));
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| columnar_error(path, e))?;
    Ok((Box::new(reader), layout.projected(keys_only), schema))
}

fn open_ipc(path: &Path, mapping: &ColumnMapping) -> Result<(Batches, ResolvedColumns, SchemaRef)> {
    let open = || {
        File::open(path)
            .map(|f| BufReader::with_capacity(1 << 20, f))
            .map_err(|source| ConnectorError::Io {
                path: path.to_path_buf(),
                what: "opening".into(),
                source,
            })
    };
    let (batches, schema): (Batches, SchemaRef) =
        match arrow_ipc::reader::FileReader::try_new(open()?, None) {
            Ok(r) => {
                let schema = r.schema();
                (Box::new(r), schema)
            }
            Err(file_err) => match arrow_ipc::reader::StreamReader::try_new(open()?, None) {
                Ok(r) => {
                    let schema = r.schema();
                    (Box::new(r), schema)
                }
                Err(_) => return Err(columnar_error(path, file_err)),
            },
        };
    let layout = layout_of(&schema, mapping, path)?;
    Ok((batches, layout.columns(), schema))
}

fn layout_of(schema: &SchemaRef, mapping: &ColumnMapping, path: &Path) -> Result<ColumnarLayout> {
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let columns = mapping.resolve(&header, path)?;
    ColumnarLayout::new(columns, schema, path)
}

impl ColumnarBarReader {
    /// Opens `path` (index `file` in the run's input list) and checks its
    /// schema; with `keys_only`, reads only symbol, time and sector.
    pub fn open(
        path: &Path,
        format: FileFormat,
        file: u32,
        mapping: &ColumnMapping,
        keys_only: bool,
        file_symbol: impl FnOnce() -> u32,
    ) -> Result<Self> {
        let (batches, columns, _schema) = match format {
            FileFormat::Ipc => open_ipc(path, mapping)?,
            _ => open_parquet(path, mapping, keys_only)?,
        };
        Ok(Self {
            path: path.to_path_buf(),
            file,
            batches,
            columns,
            file_symbol: columns.symbol.is_none().then(file_symbol),
            keys_only,
            counts: RejectCounts::default(),
            rows: 0,
        })
    }

    /// Rejections so far, by reason.
    pub fn reject_counts(&self) -> &RejectCounts {
        &self.counts
    }

    /// Data rows read so far (valid and rejected).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Reads the next record batch: valid bars to `out`, invalid rows to
    /// `rejects`. Returns its row count (0 at the end).
    pub fn read_batch(
        &mut self,
        ts: &TsParser,
        symbols: &mut Interner,
        sectors: &mut Interner,
        out: &mut BarBatch,
        rejects: &mut Vec<Reject>,
    ) -> Result<usize> {
        let batch = match self.batches.next() {
            None => return Ok(0),
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                return Err(columnar_error(
                    &self.path,
                    format!("reading after row {}: {e}", self.rows),
                ))
            }
        };
        let origin = RowOrigin {
            file: self.file,
            first_row: self.rows + 1,
            file_symbol: self.file_symbol,
            keys_only: self.keys_only,
        };
        append_batch(
            &batch,
            self.columns,
            origin,
            ts,
            symbols,
            sectors,
            &mut self.counts,
            out,
            rejects,
        );
        self.rows += batch.num_rows() as u64;
        Ok(batch.num_rows())
    }
}
