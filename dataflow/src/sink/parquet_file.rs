//! A Parquet file written a row group at a time: float columns encoded by
//! [`super::floats`], every other column (keys, times, strings) by the
//! parquet crate's Arrow column writers, both spliced into the row group
//! in schema order when it holds `row_group_rows` rows or the file ends.

use super::chunk_parts::SharedChunk;
use super::codec::PageCodec;
use super::floats::{Float, FloatChunk};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use std::io::Write;

/// A column of the row group being written; float chunks keep their
/// buffers from one row group to the next.
enum Column {
    /// The parquet crate's writer, made at each row group's first row.
    Arrow(Option<Box<ArrowColumnWriter>>),
    F64(FloatChunk<Float64Type>),
    F32(FloatChunk<Float32Type>),
}

/// Completes `chunk`'s column chunk into the row group `out`, and takes
/// its buffers back.
fn append<T: Float, W: Write + Send>(
    chunk: &mut FloatChunk<T>,
    codec: &mut PageCodec,
    out: &mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
) -> Result<()> {
    let (parts, close) = chunk.finish(codec)?;
    let shared = SharedChunk::new(parts);
    out.append_column(&shared, close)?;
    if let Some(parts) = shared.into_inner() {
        chunk.recycle(parts);
    }
    Ok(())
}

/// A Parquet file being written.
pub struct ParquetWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    codec: PageCodec,
    row_group_rows: usize,
    columns: Vec<Column>,
    /// Rows in the row group being written.
    rows: usize,
    /// Row groups completed.
    groups: usize,
}

impl<W: Write + Send> ParquetWriter<W> {
    /// A file of `schema` (flat: one leaf per field) on `out`, with row
    /// groups of `props`' size, float pages compressed by `codec`.
    pub fn try_new(
        out: W,
        schema: SchemaRef,
        props: WriterProperties,
        codec: PageCodec,
    ) -> Result<Self> {
        let row_group_rows = props.max_row_group_row_count().unwrap_or(usize::MAX);
        // The crate makes a writer for every column at each row group's
        // start, floats included, though only the others are written
        // through it; its compressor and decompressor for each (~140 per
        // row group, on the C heap) are spared by giving the float columns
        // none there. Their chunks state their own codec (`FloatChunk::finish`).
        let mut builder = props.into_builder();
        for field in schema.fields() {
            if matches!(field.data_type(), DataType::Float64 | DataType::Float32) {
                let path = ColumnPath::from(field.name().as_str());
                builder = builder.set_column_compression(path, Compression::UNCOMPRESSED);
            }
        }
        let props = builder.build();
        let (file, factory) =
            ArrowWriter::try_new(out, schema.clone(), Some(props))?.into_serialized_writer()?;
        if file.schema_descr().num_columns() != schema.fields().len() {
            return Err(ParquetError::General(
                "nested columns are not written by this sink".into(),
            ));
        }
        let row_group_rows = row_group_rows.max(1);
        let leaves = file.schema_descr().columns();
        let columns = schema
            .fields()
            .iter()
            .zip(leaves)
            .map(|(field, leaf)| match field.data_type() {
                DataType::Float64 => Column::F64(FloatChunk::new(leaf.clone(), row_group_rows)),
                DataType::Float32 => Column::F32(FloatChunk::new(leaf.clone(), row_group_rows)),
                _ => Column::Arrow(None),
            })
            .collect();
        Ok(Self {
            file,
            factory,
            schema,
            codec,
            row_group_rows,
            columns,
            rows: 0,
            groups: 0,
        })
    }

    /// Gives the non-float columns their writers for a new row group.
    fn start_group(&mut self) -> Result<()> {
        let writers = self.factory.create_column_writers(self.groups)?;
        for (column, writer) in self.columns.iter_mut().zip(writers) {
            if let Column::Arrow(slot) = column {
                *slot = Some(Box::new(writer));
            }
        }
        Ok(())
    }

    /// Appends `batch` (of the file's schema).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut start = 0;
        while start < batch.num_rows() {
            if self.rows == 0 {
                self.start_group()?;
            }
            let take = (self.row_group_rows - self.rows).min(batch.num_rows() - start);
            let part = batch.slice(start, take);
            let columns = self.columns.iter_mut().zip(part.columns());
            for ((column, array), field) in columns.zip(self.schema.fields()) {
                match column {
                    Column::Arrow(w) => {
                        let w = w.as_mut().expect("made at the row group's start");
                        for leaf in compute_leaves(field, array)? {
                            w.write(&leaf)?;
                        }
                    }
                    Column::F64(c) => c.write(array.as_primitive(), &mut self.codec)?,
                    Column::F32(c) => c.write(array.as_primitive(), &mut self.codec)?,
                }
            }
            self.rows += take;
            start += take;
            if self.rows == self.row_group_rows {
                self.finish_group()?;
            }
        }
        Ok(())
    }

    fn finish_group(&mut self) -> Result<()> {
        let mut out = self.file.next_row_group()?;
        for column in &mut self.columns {
            match column {
                Column::Arrow(w) => {
                    let w = w.take().expect("made at the row group's start");
                    w.close()?.append_to_row_group(&mut out)?
                }
                Column::F64(c) => append(c, &mut self.codec, &mut out)?,
                Column::F32(c) => append(c, &mut self.codec, &mut out)?,
            }
        }
        out.close()?;
        self.groups += 1;
        self.rows = 0;
        Ok(())
    }

    /// Completes the last row group and the footer; returns the output.
    pub fn into_inner(mut self) -> Result<W> {
        if self.rows > 0 {
            self.finish_group()?;
        }
        self.file.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Codec;
    use arrow_array::{ArrayRef, Float32Array, Float64Array, StringArray};
    use arrow_schema::{Field, Schema};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::statistics::Statistics;
    use std::sync::Arc;

    /// Rows with null runs and scattered nulls, zeros of both signs and
    /// huge and tiny magnitudes, in a nullable and a required double, a
    /// nullable float and a string key.
    fn rows(n: usize) -> RecordBatch {
        let mut seed = 11u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 11
        };
        let mut nullable = Vec::with_capacity(n);
        let mut required = Vec::with_capacity(n);
        let mut narrow = Vec::with_capacity(n);
        for i in 0..n {
            let r = next();
            let x = match r % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => (r as f64) * 1e290,
                3 => (r as f64) * 1e-300,
                _ => (r as f64 / (1u64 << 53) as f64 - 0.5) * 1e4,
            };
            // a null run over rows 5,000..7,000, then one row in 13
            let null = (5_000..7_000).contains(&i) || r % 13 == 0;
            nullable.push((!null).then_some(x));
            required.push(-x);
            narrow.push((r % 5 != 0).then_some(x as f32));
        }
        let schema = Schema::new(vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("a", DataType::Float64, true),
            Field::new("b", DataType::Float64, false),
            Field::new("c", DataType::Float32, true),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("S{}", i % 37)),
            )),
            Arc::new(Float64Array::from(nullable)),
            Arc::new(Float64Array::from(required)),
            Arc::new(Float32Array::from(narrow)),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    #[test]
    fn what_is_written_is_read_back_with_its_statistics() {
        let n = 300_000; // more than two pages of doubles
        let batch = rows(n);
        for codec in [Codec::Zstd, Codec::Lz4, Codec::None] {
            for group_rows in [1_000, 131_072, 1 << 20] {
                let props = WriterProperties::builder()
                    .set_max_row_group_row_count(Some(group_rows))
                    .build();
                let mut w = ParquetWriter::try_new(
                    Vec::new(),
                    batch.schema(),
                    props,
                    PageCodec::new(codec, 3).unwrap(),
                )
                .unwrap();
                // uneven writes, across row group and page boundaries
                let mut start = 0;
                for len in [1, 999, 5_000, 70_000, 123_456].into_iter().cycle() {
                    let len = len.min(n - start);
                    w.write(&batch.slice(start, len)).unwrap();
                    start += len;
                    if start == n {
                        break;
                    }
                }
                let file = Bytes::from(w.into_inner().unwrap());
                let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
                let meta = reader.metadata().clone();
                assert_eq!(meta.num_row_groups(), n.div_ceil(group_rows));
                let back: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
                let back = arrow_select::concat::concat_batches(&batch.schema(), &back).unwrap();
                assert_eq!(back, batch, "{codec:?}, row groups of {group_rows}");

                // the first row group's statistics of "a", recomputed
                let rows = meta.row_group(0).num_rows() as usize;
                let a = batch.column(1).as_primitive::<Float64Type>().slice(0, rows);
                let valid: Vec<f64> = a.iter().flatten().collect();
                let min = valid.iter().copied().fold(f64::INFINITY, f64::min);
                let max = valid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                match meta.row_group(0).column(1).statistics() {
                    Some(Statistics::Double(s)) => {
                        assert_eq!(s.min_opt(), Some(&min));
                        assert_eq!(s.max_opt(), Some(&max));
                        assert_eq!(s.null_count_opt(), Some((rows - valid.len()) as u64));
                    }
                    other => panic!("statistics of a: {other:?}"),
                }
                // Float chunks (all but the key) state the page codec, though the crate's
                // writers for those columns were given none.
                let stated = PageCodec::new(codec, 3).unwrap().compression();
                for group in meta.row_groups() {
                    for column in &group.columns()[1..] {
                        let named = std::mem::discriminant(&column.compression());
                        assert_eq!(named, std::mem::discriminant(&stated), "{stated:?}");
                    }
                }
                // Stored as they are, a chunk is as large both ways: the
                // pages' headers and data, counted once each.
                if codec == Codec::None {
                    for group in meta.row_groups() {
                        for column in group.columns() {
                            assert_eq!(column.uncompressed_size(), column.compressed_size());
                        }
                    }
                }
            }
        }
    }
}
