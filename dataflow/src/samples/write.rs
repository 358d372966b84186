//! Samples to Parquet: one file per split, written in row groups of a
//! bounded number of windows (memory does not grow with the sample count),
//! zstd, under a temporary name until complete. A feature is one
//! fixed-size list column of `L` f32 values (oldest first), or `L` columns
//! `<feature>_<k>` with `--flatten`; labels are f64 columns `fwd_ret_<h>`.

use super::load::Series;
use super::scaler::Scaler;
use super::windows::Window;
use crate::query::print::{finish, temp_name};
use crate::schema::{ts_array, ts_type};
use arrow_array::{
    ArrayRef, FixedSizeListArray, Float32Array, Float64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tickflow_connectors::TsKind;

/// What a window's row holds.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Bars per window.
    pub length: usize,
    /// Feature columns: `open`, `high`, `low`, `close` (divided by the
    /// window's last close) and `volume` (scaled `ln(1 + volume)`).
    pub features: Vec<String>,
    /// Label horizons in bars.
    pub horizons: Vec<usize>,
    /// One column per value instead of a list per feature.
    pub flatten: bool,
    /// Bar time kind.
    pub ts_kind: TsKind,
}

impl Layout {
    /// The Arrow schema of a samples file.
    pub fn schema(&self) -> SchemaRef {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("ts", ts_type(self.ts_kind), false),
        ];
        for f in &self.features {
            if self.flatten {
                fields.extend(
                    (0..self.length)
                        .map(|k| Field::new(format!("{f}_{k}"), DataType::Float32, false)),
                );
            } else {
                fields.push(Field::new(
                    f,
                    DataType::FixedSizeList(
                        Arc::new(Field::new("item", DataType::Float32, false)),
                        self.length as i32,
                    ),
                    false,
                ));
            }
        }
        fields.extend(
            self.horizons
                .iter()
                .map(|h| Field::new(format!("fwd_ret_{h}"), DataType::Float64, false)),
        );
        Arc::new(Schema::new(fields))
    }
}

/// One split's file.
pub struct SplitWriter {
    layout: Arc<Layout>,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    temp: PathBuf,
    path: PathBuf,
    group: usize,
    symbols: Vec<String>,
    ts: Vec<i64>,
    values: Vec<Vec<f32>>,
    labels: Vec<Vec<f64>>,
    /// Windows written.
    pub rows: u64,
}

fn pq(e: parquet::errors::ParquetError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl SplitWriter {
    /// Starts `path` (written as `.NAME.tmp` until [`SplitWriter::finish`]),
    /// with row groups of `group` windows.
    pub fn create(path: &Path, layout: Arc<Layout>, group: usize) -> std::io::Result<Self> {
        let temp = temp_name(path);
        let schema = layout.schema();
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).map_err(pq)?))
            .set_max_row_group_row_count(Some(group))
            .set_dictionary_enabled(false)
            .set_column_dictionary_enabled(ColumnPath::from("symbol"), true);
        // floats split by byte plane: the exponent bytes compress
        for f in schema.fields().iter().skip(2) {
            let path = match f.data_type() {
                DataType::FixedSizeList(item, _) => {
                    ColumnPath::new(vec![f.name().clone(), "list".into(), item.name().clone()])
                }
                _ => ColumnPath::from(f.name().as_str()),
            };
            props = props.set_column_encoding(path, Encoding::BYTE_STREAM_SPLIT);
        }
        let file = File::create(&temp)?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props.build())).map_err(pq)?;
        let features = layout.features.len();
        let horizons = layout.horizons.len();
        Ok(Self {
            layout,
            schema,
            writer,
            temp,
            path: path.to_path_buf(),
            group,
            symbols: Vec::new(),
            ts: Vec::new(),
            values: vec![Vec::new(); features],
            labels: vec![Vec::new(); horizons],
            rows: 0,
        })
    }

    /// Adds a window of `s`; writes a row group when one is full.
    pub fn push(&mut self, s: &Series, w: Window, scaler: &Scaler) -> std::io::Result<()> {
        let (l, e) = (self.layout.length, w.end as usize);
        let first = e + 1 - l;
        let last_close = s.close[e];
        for (f, out) in self.layout.features.iter().zip(&mut self.values) {
            let col = s.column(f).expect("features are bar columns");
            if f == "volume" {
                out.extend(col[first..=e].iter().map(|&v| scaler.scale(v) as f32));
            } else {
                out.extend(col[first..=e].iter().map(|&v| (v / last_close) as f32));
            }
        }
        for (&h, out) in self.layout.horizons.iter().zip(&mut self.labels) {
            out.push(s.close[e + h] / last_close - 1.0);
        }
        self.symbols.push(s.symbol.clone());
        self.ts.push(s.ts[e]);
        if self.ts.len() >= self.group {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.ts.is_empty() {
            return Ok(());
        }
        let l = self.layout.length;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(std::mem::take(&mut self.symbols))),
            ts_array(self.layout.ts_kind, std::mem::take(&mut self.ts)),
        ];
        for values in &mut self.values {
            let values = std::mem::take(values);
            if self.layout.flatten {
                let rows = values.len() / l;
                for k in 0..l {
                    let col: Vec<f32> = (0..rows).map(|r| values[r * l + k]).collect();
                    columns.push(Arc::new(Float32Array::from(col)));
                }
            } else {
                let item = Arc::new(Field::new("item", DataType::Float32, false));
                columns.push(Arc::new(FixedSizeListArray::new(
                    item,
                    l as i32,
                    Arc::new(Float32Array::from(values)),
                    None,
                )));
            }
        }
        for labels in &mut self.labels {
            columns.push(Arc::new(Float64Array::from(std::mem::take(labels))));
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.rows += batch.num_rows() as u64;
        self.writer.write(&batch).map_err(pq)?;
        self.writer.flush().map_err(pq)
    }

    /// Writes what is left, syncs and renames the file to its final name.
    pub fn finish(mut self) -> std::io::Result<u64> {
        let result = self
            .flush()
            .and_then(|()| self.writer.into_inner().map_err(pq)?.sync_all());
        finish(result, &self.temp, &self.path).map(|()| self.rows)
    }
}
