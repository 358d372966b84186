//! `tickflow gen`: a deterministic synthetic universe of daily bars
//! (geometric random walks, ragged listings and delistings, sectors), as CSV
//! or Parquet (by the output's extension), in time or symbol order. Both
//! orders and both formats hold exactly the same rows and values.

use arrow_array::builder::{ArrayBuilder, Date32Builder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

/// Row order of the generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenOrder {
    /// All symbols of a day, then the next day.
    Time,
    /// One symbol's whole history, then the next symbol.
    Symbol,
}

const SECTORS: [&str; 11] = [
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Prices as written: four decimals, so CSV and Parquet hold the same value.
fn cents(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// One symbol's generator: its listing window and its random walk.
struct Walk {
    first: usize,
    last: usize,
    rng: Rng,
    close: f64,
}

impl Walk {
    /// The bar of day `d` (walks advance every day, listed or not).
    fn step(&mut self) -> [f64; 5] {
        let w = &mut self.rng;
        let open = self.close;
        let c = open * (1.0 + 0.02 * (w.next() - 0.5) + 0.0002);
        let high = open.max(c) * (1.0 + 0.01 * w.next());
        let low = open.min(c) * (1.0 - 0.01 * w.next());
        let volume = (1e5 + 2e6 * w.next()).round();
        self.close = c;
        [cents(open), cents(high), cents(low), cents(c), volume]
    }
}

trait RowSink {
    fn row(&mut self, symbol: usize, date: i64, v: [f64; 5]) -> std::io::Result<()>;
    fn finish(self: Box<Self>) -> std::io::Result<File>;
}

struct CsvSink(BufWriter<File>);

impl RowSink for CsvSink {
    fn row(&mut self, s: usize, date: i64, v: [f64; 5]) -> std::io::Result<()> {
        let (y, m, d) = tickflow_connectors::civil_from_days(date);
        writeln!(
            self.0,
            "S{s:05},{y:04}-{m:02}-{d:02},{:.4},{:.4},{:.4},{:.4},{},{}",
            v[0],
            v[1],
            v[2],
            v[3],
            v[4],
            SECTORS[s % SECTORS.len()]
        )
    }

    fn finish(self: Box<Self>) -> std::io::Result<File> {
        self.0.into_inner().map_err(|e| e.into_error())
    }
}

struct ParquetSink {
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    symbol: StringBuilder,
    date: Date32Builder,
    values: [Float64Builder; 5],
    sector: StringBuilder,
}

const PARQUET_BATCH: usize = 65_536;

impl ParquetSink {
    fn new(file: File) -> std::io::Result<Self> {
        let mut fields = vec![
            Field::new("symbol", DataType::Utf8, false),
            Field::new("date", DataType::Date32, false),
        ];
        for c in ["open", "high", "low", "close", "volume"] {
            fields.push(Field::new(c, DataType::Float64, false));
        }
        fields.push(Field::new("sector", DataType::Utf8, false));
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(1).expect("valid level"),
            ))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(std::io::Error::other)?;
        Ok(Self {
            schema,
            writer,
            symbol: StringBuilder::new(),
            date: Date32Builder::new(),
            values: Default::default(),
            sector: StringBuilder::new(),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut columns: Vec<ArrayRef> =
            vec![Arc::new(self.symbol.finish()), Arc::new(self.date.finish())];
        for b in &mut self.values {
            columns.push(Arc::new(b.finish()));
        }
        columns.push(Arc::new(self.sector.finish()));
        let batch = RecordBatch::try_new(self.schema.clone(), columns).expect("schema columns");
        self.writer.write(&batch).map_err(std::io::Error::other)
    }
}

impl RowSink for ParquetSink {
    fn row(&mut self, s: usize, date: i64, v: [f64; 5]) -> std::io::Result<()> {
        self.symbol.append_value(format!("S{s:05}"));
        self.date.append_value(date as i32);
        for (b, x) in self.values.iter_mut().zip(v) {
            b.append_value(x);
        }
        self.sector.append_value(SECTORS[s % SECTORS.len()]);
        if self.date.len() == PARQUET_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> std::io::Result<File> {
        if !self.date.is_empty() {
            self.flush()?;
        }
        self.writer.into_inner().map_err(std::io::Error::other)
    }
}

/// Writes `symbols` x `days` business days of bars from 2000-01-03
/// (`symbol,date,open,high,low,close,volume,sector`), Parquet when `path`
/// ends in `.parquet`, else CSV; returns the row count.
pub fn generate(
    path: &Path,
    symbols: usize,
    days: usize,
    seed: u64,
    order: GenOrder,
) -> std::io::Result<u64> {
    let start = tickflow_connectors::days_from_civil(2000, 1, 3);
    let dates: Vec<i64> = (0..)
        .map(|k| start + k)
        .filter(|d| (d + 3).rem_euclid(7) < 5)
        .take(days)
        .collect();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    // listing window per symbol: most span everything, some list late or delist early
    let mut walks: Vec<Walk> = (0..symbols)
        .map(|s| {
            let first = if rng.next() < 0.2 {
                (rng.next() * days as f64 * 0.5) as usize
            } else {
                0
            };
            let last = if rng.next() < 0.1 {
                days - (rng.next() * days as f64 * 0.3) as usize
            } else {
                days
            };
            Walk {
                first,
                last: last.max(first + 1),
                rng: Rng((seed ^ (s as u64 + 1)).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1),
                close: 10.0 + (s % 190) as f64,
            }
        })
        .collect();
    let temp = path.with_extension("tmp");
    let file = File::create(&temp)?;
    let parquet = path.extension().is_some_and(|e| e == "parquet");
    let mut out: Box<dyn RowSink> = if parquet {
        Box::new(ParquetSink::new(file)?)
    } else {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        writeln!(w, "symbol,date,open,high,low,close,volume,sector")?;
        Box::new(CsvSink(w))
    };
    let mut count = 0u64;
    let mut emit = |walk: &mut Walk, s: usize, d: usize| -> std::io::Result<()> {
        let v = walk.step();
        if d >= walk.first && d < walk.last {
            count += 1;
            out.row(s, dates[d], v)?;
        }
        Ok(())
    };
    match order {
        GenOrder::Time => {
            for d in 0..dates.len() {
                for (s, walk) in walks.iter_mut().enumerate() {
                    emit(walk, s, d)?;
                }
            }
        }
        GenOrder::Symbol => {
            for (s, walk) in walks.iter_mut().enumerate() {
                for d in 0..dates.len() {
                    emit(walk, s, d)?;
                }
            }
        }
    }
    out.finish()?.sync_all()?;
    std::fs::rename(&temp, path)?;
    Ok(count)
}
