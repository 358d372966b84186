//! Parquet and Arrow IPC bar files: the same rows and rejects as CSV, any
//! string layout for keys, timestamps as dates, instants or naive local
//! times, and a clear error for a column of the wrong type.

use arrow_array::builder::{Float64Builder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, Date32Array, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema};
use std::path::Path;
use std::sync::Arc;
use tickflow_connectors::file::{BarFileReader, CsvOptions};
use tickflow_connectors::{BarBatch, Interner, Reject, TsKind, TsParser};

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn write_ipc(path: &Path, batch: &RecordBatch) {
    let mut w = arrow_ipc::writer::FileWriter::try_new(
        std::fs::File::create(path).unwrap(),
        &batch.schema(),
    )
    .unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
}

struct Read {
    bars: BarBatch,
    rejects: Vec<Reject>,
    symbols: Interner,
    sectors: Interner,
}

fn read(path: &Path, tz: Option<&str>, keys_only: bool) -> Result<Read, String> {
    let ts = TsParser::new(tz).map_err(|e| e.to_string())?;
    let (mut symbols, mut sectors) = (Interner::default(), Interner::default());
    let options = CsvOptions::default();
    let mut reader = if keys_only {
        BarFileReader::open_keys(path, 0, &options, &mut symbols)
    } else {
        BarFileReader::open(path, 0, &options, &mut symbols)
    }
    .map_err(|e| e.to_string())?;
    let (mut bars, mut rejects) = (BarBatch::default(), Vec::new());
    while reader
        .read_batch(&ts, &mut symbols, &mut sectors, &mut bars, &mut rejects)
        .map_err(|e| e.to_string())?
        > 0
    {}
    assert_eq!(reader.rows() as usize, bars.len() + rejects.len());
    Ok(Read {
        bars,
        rejects,
        symbols,
        sectors,
    })
}

/// Five rows: good, null close, NaN open, high below close, good; the
/// symbol column dictionary-encoded, volume as an integer.
fn bars_batch() -> RecordBatch {
    let mut symbol = StringDictionaryBuilder::<Int32Type>::new();
    for s in ["AAA", "BBB", "AAA", "BBB", "AAA"] {
        symbol.append_value(s);
    }
    let mut close = Float64Builder::new();
    for c in [Some(10.5), None, Some(10.0), Some(12.0), Some(11.0)] {
        close.append_option(c);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(symbol.finish()),
        Arc::new(Date32Array::from(vec![
            18_000, 18_000, 18_001, 18_001, 18_002,
        ])),
        Arc::new(Float64Array::from(vec![10.0, 20.0, f64::NAN, 20.0, 10.5])),
        Arc::new(Float64Array::from(vec![11.0, 21.0, 11.0, 11.0, 11.5])),
        Arc::new(Float64Array::from(vec![9.5, 19.0, 9.0, 9.0, 10.0])),
        Arc::new(close.finish()),
        Arc::new(Int64Array::from(vec![100, 200, 300, 400, 500])),
        Arc::new(StringArray::from(vec![
            Some("Tech"),
            Some("Energy"),
            None,
            Some("Energy"),
            Some("Tech"),
        ])),
    ];
    let fields = vec![
        Field::new(
            "Name",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        ),
        Field::new("date", DataType::Date32, true),
        Field::new("open", DataType::Float64, true),
        Field::new("high", DataType::Float64, true),
        Field::new("low", DataType::Float64, true),
        Field::new("close", DataType::Float64, true),
        Field::new("volume", DataType::Int64, true),
        Field::new("sector", DataType::Utf8, true),
    ];
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

#[test]
fn parquet_and_ipc_give_the_same_bars_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = bars_batch();
    let pq = tmp.path().join("bars.parquet");
    let ipc = tmp.path().join("bars.arrow");
    write_parquet(&pq, &batch);
    write_ipc(&ipc, &batch);
    for path in [&pq, &ipc] {
        let r = read(path, None, false).unwrap();
        let names: Vec<&str> = r.bars.symbol.iter().map(|&s| r.symbols.name(s)).collect();
        assert_eq!(names, ["AAA", "AAA"], "{}", path.display());
        assert_eq!(r.bars.ts, [18_000, 18_002]);
        assert_eq!(r.bars.ts_kind, Some(TsKind::Date));
        assert_eq!(r.bars.line, [1, 5], "1-based row numbers");
        assert_eq!(r.bars.bar[1].volume, 500.0);
        assert_eq!(r.sectors.name(r.bars.sector[0].unwrap()), "Tech");
        let why: Vec<(u64, String)> = r
            .rejects
            .iter()
            .map(|j| (j.line, j.reason.to_string()))
            .collect();
        assert_eq!(
            why,
            [
                (2, "blank_close".to_string()),
                (3, "non_finite_price".to_string()),
                (4, "high_below_open_close".to_string())
            ],
            "{}",
            path.display()
        );
        assert!(
            r.rejects[0].raw.starts_with("BBB,18000,20,21,19,,"),
            "{}",
            r.rejects[0].raw
        );
        // the first pass reads keys only: bar faults pass, key faults do not
        let keys = read(path, None, true).unwrap();
        assert_eq!(keys.bars.len(), 5);
        // and keeps only each row's symbol and time
        assert_eq!((keys.bars.symbol.len(), keys.bars.bar.len()), (5, 0));
    }
}

#[test]
fn naive_timestamps_are_local_to_the_zone_and_typed_columns_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    // 2020-12-15 09:30 as a naive wall time, in milliseconds
    let naive = 1_608_024_600_000i64;
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, None),
            false,
        ),
        Field::new("open", DataType::Float32, false),
        Field::new("high", DataType::Float32, false),
        Field::new("low", DataType::Float32, false),
        Field::new("close", DataType::Float32, false),
        Field::new("volume", DataType::Float32, false),
    ]));
    let f = |v: f32| -> ArrayRef { Arc::new(Float32Array::from(vec![v])) };
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(TimestampMillisecondArray::from(vec![naive])),
            f(1.0),
            f(1.5),
            f(0.5),
            f(1.25),
            f(10.0),
        ],
    )
    .unwrap();
    let path = tmp.path().join("SPY.parquet");
    write_parquet(&path, &batch);
    let r = read(&path, Some("America/New_York"), false).unwrap();
    assert_eq!(r.symbols.name(r.bars.symbol[0]), "SPY", "the file stem");
    assert_eq!(r.bars.ts_kind, Some(TsKind::Micros));
    assert_eq!(
        r.bars.ts[0],
        (naive + 5 * 3_600_000) * 1_000,
        "EST is UTC-5"
    );

    let bad = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("date", DataType::Date32, false),
            Field::new("open", DataType::Utf8, false),
            Field::new("high", DataType::Float64, false),
            Field::new("low", DataType::Float64, false),
            Field::new("close", DataType::Float64, false),
            Field::new("volume", DataType::Float64, false),
        ])),
        vec![
            Arc::new(Date32Array::from(vec![1])),
            Arc::new(StringArray::from(vec!["1.0"])),
            Arc::new(Float64Array::from(vec![1.0])),
            Arc::new(Float64Array::from(vec![1.0])),
            Arc::new(Float64Array::from(vec![1.0])),
            Arc::new(Float64Array::from(vec![1.0])),
        ],
    )
    .unwrap();
    let path = tmp.path().join("bad.arrow");
    write_ipc(&path, &bad);
    let err = read(&path, None, false).err().unwrap();
    assert!(
        err.contains("column `open` (open) has type Utf8; expected a float or integer type"),
        "{err}"
    );

    let path = tmp.path().join("truncated.parquet");
    write_parquet(&path, &bars_batch());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = read(&path, None, false).err().unwrap();
    assert!(err.contains("truncated.parquet"), "{err}");
}
