//! Reading one store file for a query with the work pushed down: only the
//! wanted columns are decoded, Parquet row groups whose `ts` statistics
//! miss the window are skipped, and the row predicate (window, symbols)
//! runs on `symbol` and `ts` before any other column is decoded. Arrow IPC
//! files have no statistics: their batches are read with the projection and
//! filtered.

use super::window::Window;
use crate::durable::manifest::HISTORY_SUFFIX;
use crate::revise::SUPERSEDED_AT;
use crate::schema::KNOWN_AT;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, TimestampMicrosecondType};
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_schema::{ArrowError, DataType};
use parquet::arrow::arrow_reader::{ArrowPredicateFn, ParquetRecordBatchReaderBuilder, RowFilter};
use parquet::arrow::ProjectionMask;
use parquet::file::statistics::Statistics;
use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// Which rows a query keeps.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The bar times.
    pub window: Window,
    /// The symbols; `None` for all.
    pub symbols: Option<Arc<HashSet<String>>>,
    /// The versions known at this instant (UTC microseconds): rows with
    /// `known_at` at or before it and, in history files, `superseded_at`
    /// after it; `None`: every row of the files (the latest versions).
    pub known_by: Option<i64>,
}

impl Selection {
    /// Whether every row passes (no predicate to run).
    fn is_all(&self) -> bool {
        self.symbols.is_none()
            && self.known_by.is_none()
            && self.window.lo == i64::MIN
            && self.window.hi == i64::MAX
    }

    /// The columns [`Selection::mask`] reads.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = vec!["ts"];
        if self.symbols.is_some() {
            keys.push("symbol");
        }
        if self.known_by.is_some() {
            keys.extend([KNOWN_AT, SUPERSEDED_AT]);
        }
        keys
    }

    /// The rows of `batch` (which has its [`Selection::keys`]; a file
    /// without `superseded_at` holds latest versions) that pass.
    pub fn mask(&self, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
        let missing = |c: &str| ArrowError::SchemaError(format!("the file has no `{c}` column"));
        let ts = batch.column_by_name("ts").ok_or_else(|| missing("ts"))?;
        let mut keep: Vec<bool> = match ts.data_type() {
            DataType::Date32 => ts
                .as_primitive::<Date32Type>()
                .values()
                .iter()
                .map(|&d| self.window.contains(i64::from(d)))
                .collect(),
            DataType::Timestamp(_, _) => ts
                .as_primitive_opt::<TimestampMicrosecondType>()
                .ok_or_else(|| ArrowError::SchemaError("`ts` is not in microseconds".into()))?
                .values()
                .iter()
                .map(|&t| self.window.contains(t))
                .collect(),
            other => {
                return Err(ArrowError::SchemaError(format!(
                    "`ts` is {other}, not a date or a timestamp"
                )))
            }
        };
        if let Some(symbols) = &self.symbols {
            let col = batch
                .column_by_name("symbol")
                .ok_or_else(|| missing("symbol"))?;
            let names = col
                .as_string_opt::<i32>()
                .ok_or_else(|| ArrowError::SchemaError("`symbol` is not a string".into()))?;
            for (k, name) in keep.iter_mut().zip(names.iter()) {
                *k = *k && name.is_some_and(|n| symbols.contains(n));
            }
        }
        if let Some(t) = self.known_by {
            let instants = |c: &str| {
                batch
                    .column_by_name(c)
                    .map(|a| {
                        a.as_primitive_opt::<TimestampMicrosecondType>()
                            .ok_or_else(|| {
                                ArrowError::SchemaError(format!("`{c}` is not an instant"))
                            })
                    })
                    .transpose()
            };
            let known = instants(KNOWN_AT)?.ok_or_else(|| missing(KNOWN_AT))?;
            for (k, &at) in keep.iter_mut().zip(known.values()) {
                *k = *k && at <= t;
            }
            if let Some(until) = instants(SUPERSEDED_AT)? {
                for (k, &end) in keep.iter_mut().zip(until.values()) {
                    *k = *k && end > t;
                }
            }
        }
        Ok(BooleanArray::from(keep))
    }
}

/// What a scan read and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanCounts {
    /// Files opened.
    pub files: u64,
    /// Parquet row groups decoded.
    pub row_groups: u64,
    /// Parquet row groups skipped by their `ts` statistics.
    pub row_groups_skipped: u64,
}

impl ScanCounts {
    /// Adds another scan's counts.
    pub fn add(&mut self, o: ScanCounts) {
        self.files += o.files;
        self.row_groups += o.row_groups;
        self.row_groups_skipped += o.row_groups_skipped;
    }
}

/// A file's rows that `selection` keeps, with the columns `columns` (in the
/// file's order; the caller orders them). `pushdown == false` decodes the
/// whole file and filters afterwards (the full scan the benchmark compares
/// against).
pub fn scan_file(
    path: &Path,
    columns: &[String],
    selection: &Selection,
    pushdown: bool,
) -> Result<(Vec<RecordBatch>, ScanCounts), String> {
    let is_ipc = is_ipc(path);
    let (batches, counts) = if is_ipc {
        scan_ipc(path, columns, pushdown)?
    } else {
        let file = File::open(path).map_err(|e| e.to_string())?;
        scan_parquet(file, columns, selection, pushdown)?
    };
    let mut kept = Vec::with_capacity(batches.len());
    for batch in batches {
        // Parquet already ran the predicate when pushing down.
        let batch = if pushdown && !is_ipc || selection.is_all() {
            batch
        } else {
            let mask = selection.mask(&batch).map_err(|e| e.to_string())?;
            arrow_select::filter::filter_record_batch(&batch, &mask).map_err(|e| e.to_string())?
        };
        if batch.num_rows() > 0 {
            kept.push(batch);
        }
    }
    Ok((kept, counts))
}

fn scan_parquet(
    file: File,
    columns: &[String],
    selection: &Selection,
    pushdown: bool,
) -> Result<(Vec<RecordBatch>, ScanCounts), String> {
    let err = |e: parquet::errors::ParquetError| e.to_string();
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(err)?;
    let meta = builder.metadata().clone();
    let schema = meta.file_metadata().schema_descr_ptr();
    let mut counts = ScanCounts {
        files: 1,
        ..Default::default()
    };
    if !pushdown {
        counts.row_groups = meta.num_row_groups() as u64;
        let reader = builder.build().map_err(err)?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        return Ok((batches, counts));
    }
    let ts_leaf = schema
        .columns()
        .iter()
        .position(|c| c.name() == "ts")
        .ok_or("the file has no `ts` column")?;
    let mut groups = Vec::new();
    for (i, rg) in meta.row_groups().iter().enumerate() {
        let range = match rg.column(ts_leaf).statistics() {
            Some(Statistics::Int32(s)) => s
                .min_opt()
                .zip(s.max_opt())
                .map(|(a, b)| (i64::from(*a), i64::from(*b))),
            Some(Statistics::Int64(s)) => s.min_opt().copied().zip(s.max_opt().copied()),
            _ => None,
        };
        if range.is_none_or(|(lo, hi)| selection.window.overlaps(lo, hi)) {
            groups.push(i);
        }
    }
    counts.row_groups = groups.len() as u64;
    counts.row_groups_skipped = (meta.num_row_groups() - groups.len()) as u64;
    builder = builder
        .with_row_groups(groups)
        .with_projection(ProjectionMask::columns(
            &schema,
            columns.iter().map(String::as_str),
        ));
    if !selection.is_all() {
        let sel = selection.clone();
        let predicate = ArrowPredicateFn::new(
            ProjectionMask::columns(&schema, selection.keys()),
            move |batch: RecordBatch| sel.mask(&batch),
        );
        builder = builder.with_row_filter(RowFilter::new(vec![Box::new(predicate)]));
    }
    let batches = builder
        .build()
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok((batches, counts))
}

fn scan_ipc(
    path: &Path,
    columns: &[String],
    pushdown: bool,
) -> Result<(Vec<RecordBatch>, ScanCounts), String> {
    use arrow_ipc::reader::FileReader;
    let open = || {
        File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| e.to_string())
    };
    // The footer names the columns; a second open decodes only the wanted ones.
    let projection: Option<Vec<usize>> = if pushdown {
        let schema = FileReader::try_new(open()?, None)
            .map_err(|e| e.to_string())?
            .schema();
        Some(
            (0..schema.fields().len())
                .filter(|&i| columns.iter().any(|c| c == schema.field(i).name()))
                .collect(),
        )
    } else {
        None
    };
    let reader = FileReader::try_new(open()?, projection).map_err(|e| e.to_string())?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let counts = ScanCounts {
        files: 1,
        ..Default::default()
    };
    Ok((batches, counts))
}

/// Whether a store file is Arrow IPC (else Parquet), by its name; a
/// history file is `….parquet.history` or `….arrow.history`.
fn is_ipc(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let name = name.strip_suffix(HISTORY_SUFFIX).unwrap_or(name);
    [".arrow", ".ipc", ".feather"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// The schema of a store file, from its footer.
pub fn file_schema(path: &Path) -> Result<arrow_schema::SchemaRef, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    if is_ipc(path) {
        arrow_ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None)
            .map(|r| r.schema())
            .map_err(|e| e.to_string())
    } else {
        ParquetRecordBatchReaderBuilder::try_new(file)
            .map(|b| b.schema().clone())
            .map_err(|e| e.to_string())
    }
}
