//! A query's rows out: an aligned text table or CSV (to standard output or
//! a file), or a Parquet file. Floats are written in their shortest form
//! that reads back to the same value (`f32` columns as `f32`), nulls as
//! empty fields, bar times as the store's dates or RFC 3339 UTC instants.
//! A file is written under a temporary name and renamed when complete.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float32Type, Float64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use tickflow_connectors::{format_ts, TsKind};

/// How a query's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// A Parquet file (zstd); needs `--output`.
    Parquet,
}

/// The text of row `row` of `column`; empty for a null.
///
/// ```
/// use arrow_array::{ArrayRef, Float64Array};
/// use std::sync::Arc;
/// let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(0.1 + 0.2), None, Some(1e-9)]));
/// assert_eq!(tickflow::query::print::cell(&a, 0), "0.30000000000000004");
/// assert_eq!(tickflow::query::print::cell(&a, 1), "");
/// assert_eq!("1e-9".parse::<f64>().unwrap(), 1e-9);
/// assert_eq!(tickflow::query::print::cell(&a, 2), "1e-9");
/// ```
pub fn cell(column: &ArrayRef, row: usize) -> String {
    if column.is_null(row) {
        return String::new();
    }
    match column.data_type() {
        DataType::Float64 => format!("{:?}", column.as_primitive::<Float64Type>().value(row)),
        DataType::Float32 => format!("{:?}", column.as_primitive::<Float32Type>().value(row)),
        DataType::Date32 => format_ts(
            TsKind::Date,
            i64::from(column.as_primitive::<Date32Type>().value(row)),
        ),
        DataType::Timestamp(_, _) => format_ts(
            TsKind::Micros,
            column.as_primitive::<TimestampMicrosecondType>().value(row),
        ),
        DataType::Utf8 => column.as_string::<i32>().value(row).to_string(),
        _ => format!("{:?}", column.slice(row, 1)),
    }
}

fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Writes `batch` as CSV.
pub fn write_csv(batch: &RecordBatch, out: &mut dyn Write) -> std::io::Result<()> {
    let schema = batch.schema();
    let header: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| csv_field(f.name()).into_owned())
        .collect();
    writeln!(out, "{}", header.join(","))?;
    let mut line = String::new();
    for row in 0..batch.num_rows() {
        line.clear();
        for (i, col) in batch.columns().iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&csv_field(&cell(col, row)));
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes `batch` as an aligned table (numbers right-aligned).
pub fn write_table(batch: &RecordBatch, out: &mut dyn Write) -> std::io::Result<()> {
    let schema = batch.schema();
    let cells: Vec<Vec<String>> = batch
        .columns()
        .iter()
        .map(|c| (0..batch.num_rows()).map(|r| cell(c, r)).collect())
        .collect();
    let widths: Vec<usize> = schema
        .fields()
        .iter()
        .zip(&cells)
        .map(|(f, col)| {
            col.iter()
                .map(String::len)
                .max()
                .unwrap_or(0)
                .max(f.name().len())
        })
        .collect();
    let numeric: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    let mut line = String::new();
    for (i, f) in schema.fields().iter().enumerate() {
        pad(&mut line, f.name(), widths[i], numeric[i], i);
    }
    writeln!(out, "{}", line.trim_end())?;
    for row in 0..batch.num_rows() {
        line.clear();
        for (i, col) in cells.iter().enumerate() {
            pad(&mut line, &col[row], widths[i], numeric[i], i);
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out, "({} rows)", batch.num_rows())
}

fn pad(line: &mut String, text: &str, width: usize, right: bool, i: usize) {
    if i > 0 {
        line.push_str("  ");
    }
    let _ = if right {
        write!(line, "{text:>width$}")
    } else {
        write!(line, "{text:<width$}")
    };
}

/// Writes `batch` to a Parquet file at `path` (zstd), under a temporary
/// name first.
pub fn write_parquet(batch: &RecordBatch, path: &Path) -> std::io::Result<()> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let other = |e: parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let temp = temp_name(path);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).map_err(other)?))
        .build();
    let result = (|| {
        let file = std::fs::File::create(&temp)?;
        let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(other)?;
        w.write(batch).map_err(other)?;
        w.into_inner().map_err(other)?.sync_all()
    })();
    finish(result, &temp, path)
}

/// Writes text output to `path` under a temporary name first.
pub fn write_file(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let temp = temp_name(path);
    let result = (|| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        body(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    finish(result, &temp, path)
}

/// `.NAME.tmp` beside `path`: where a file is written until complete.
pub(crate) fn temp_name(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Renames `temp` to `path` when `result` is Ok; removes `temp` otherwise.
pub(crate) fn finish(result: std::io::Result<()>, temp: &Path, path: &Path) -> std::io::Result<()> {
    match result.and_then(|()| std::fs::rename(temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(temp);
            Err(e)
        }
    }
}
