//! CSV bar files end to end: real data from `../shared/data`, every reject
//! counted with its line, and structural faults as clear errors.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tickflow_connectors::file::{CsvBarReader, CsvOptions};
use tickflow_connectors::{
    BarBatch, ColumnMapping, ConnectorError, Interner, Reject, TsKind, TsParser,
};

fn data(name: &str) -> PathBuf {
    let dir = std::env::var("TICKFLOW_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} missing: clone beside `shared/` or set TICKFLOW_DATA",
        p.display()
    );
    p
}

struct ReadAll {
    batch: BarBatch,
    rejects: Vec<Reject>,
    symbols: Interner,
    rows: u64,
}

fn read_all(
    path: &Path,
    options: &CsvOptions,
    tz: Option<&str>,
) -> Result<ReadAll, ConnectorError> {
    let ts = TsParser::new(tz)?;
    let mut symbols = Interner::default();
    let mut sectors = Interner::default();
    let mut reader = CsvBarReader::open(path, 0, options, &mut symbols)?;
    let mut batch = BarBatch::default();
    let mut rejects = Vec::new();
    while reader.read_batch(
        10_000,
        &ts,
        &mut symbols,
        &mut sectors,
        &mut batch,
        &mut rejects,
    )? > 0
    {}
    Ok(ReadAll {
        batch,
        rejects,
        symbols,
        rows: reader.rows(),
    })
}

/// The spec's rule written out independently over raw text lines.
fn naive_reason(fields: &[&str]) -> Option<String> {
    let names = ["open", "high", "low", "close", "volume"];
    let mut v = [0.0f64; 5];
    for k in 0..5 {
        let t = fields[k + 1].trim();
        if t.is_empty() {
            return Some(format!("blank_{}", names[k]));
        }
        match t.parse() {
            Ok(x) => v[k] = x,
            Err(_) => return Some(format!("unparseable_{}", names[k])),
        }
    }
    let (o, h, l, c, vol) = (v[0], v[1], v[2], v[3], v[4]);
    if [o, h, l, c].iter().any(|p| !p.is_finite()) {
        return Some("non_finite_price".into());
    }
    if [o, h, l, c].iter().any(|p| *p <= 0.0) {
        return Some("non_positive_price".into());
    }
    if !vol.is_finite() {
        return Some("non_finite_volume".into());
    }
    if vol < 0.0 {
        return Some("negative_volume".into());
    }
    if l > o.min(c) {
        return Some("low_above_open_close".into());
    }
    if h < o.max(c) {
        return Some("high_below_open_close".into());
    }
    None
}

#[test]
fn sp500_rows_and_rejects_match_an_independent_count() {
    let path = data("sp500_5yr.csv.gz");
    let got = read_all(&path, &CsvOptions::default(), None).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut expected: BTreeMap<u64, String> = BTreeMap::new();
    let mut rows = 0u64;
    for (i, line) in text.lines().enumerate().skip(1) {
        rows += 1;
        let fields: Vec<&str> = line.split(',').collect();
        if let Some(reason) = naive_reason(&fields) {
            expected.insert(i as u64 + 1, reason);
        }
    }
    assert_eq!(got.rows, rows);
    assert_eq!(got.batch.len() as u64 + got.rejects.len() as u64, rows);
    let got_rejects: BTreeMap<u64, String> = got
        .rejects
        .iter()
        .map(|r| (r.line, r.reason.to_string()))
        .collect();
    assert_eq!(got_rejects, expected);
    assert!(
        expected.len() >= 20,
        "the panel's known dirty rows: {}",
        expected.len()
    );
    // each reject carries its raw row, as the file has it on that line
    let lines: Vec<&str> = text.lines().collect();
    for r in &got.rejects {
        assert_eq!(r.raw, lines[r.line as usize - 1]);
    }
    assert_eq!(got.symbols.len(), 505);
    assert_eq!(got.batch.ts_kind, Some(TsKind::Date));
    let aal = got.symbols.get("AAL").unwrap();
    let first = got.batch.symbol.iter().position(|&s| s == aal).unwrap();
    assert_eq!(
        got.batch.ts[first],
        TsParser::default().parse("2013-02-08").unwrap().1
    );
    assert_eq!(got.batch.bar[first].close, 14.75);
}

#[test]
fn intraday_naive_times_are_read_in_the_given_zone() {
    let path = data("spy_1min_2020_12.csv");
    let ny = read_all(
        &path,
        &CsvOptions {
            default_symbol: Some("SPY".into()),
            ..Default::default()
        },
        Some("America/New_York"),
    )
    .unwrap();
    assert_eq!(ny.batch.ts_kind, Some(TsKind::Micros));
    assert_eq!(ny.batch.len(), 1564);
    assert!(ny.rejects.is_empty());
    assert_eq!(ny.symbols.name(ny.batch.symbol[0]), "SPY");
    assert_eq!(
        ny.batch.ts[0],
        TsParser::default().parse("2020-12-15T14:30:00Z").unwrap().1
    );
    let utc = read_all(&path, &CsvOptions::default(), None).unwrap();
    assert_eq!(utc.symbols.name(utc.batch.symbol[0]), "spy_1min_2020_12");
    assert_eq!(ny.batch.ts[0] - utc.batch.ts[0], 5 * 3_600 * 1_000_000);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn bad_rows_are_rejected_with_reason_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "mixed.csv",
        "ticker,Date,Open,High,Low,Close,Volume,sector\n\
         A,2020-01-02,10,11,9,10.5,100,Tech\n\
         ,2020-01-02,10,11,9,10.5,100,Tech\n\
         A,2020-01-0x,10,11,9,10.5,100,Tech\n\
         A,2020-01-03,10,abc,9,10.5,100,Tech\n\
         A,2020-01-04,10,11,9,10.5,-1,Tech\n\
         A,2020-01-05,10,11,9,10.5\n\
         A,2020-01-06 10:00,10,11,9,10.5,100,Tech\n\
         A,2020-01-07,10,11,9,nan,100,Tech\n\
         B,2020-01-07,10,11,9,10.5,0,\n",
    );
    let got = read_all(&p, &CsvOptions::default(), None).unwrap();
    let reasons: Vec<(u64, String)> = got
        .rejects
        .iter()
        .map(|r| (r.line, r.reason.to_string()))
        .collect();
    assert_eq!(
        reasons,
        [
            (3, "blank_symbol".to_string()),
            (4, "unparseable_ts".to_string()),
            (5, "unparseable_high".to_string()),
            (6, "negative_volume".to_string()),
            (7, "short_row".to_string()),
            (8, "mixed_timestamp_kinds".to_string()),
            (9, "non_finite_price".to_string()),
        ]
    );
    assert_eq!(got.batch.len(), 2);
    assert_eq!(got.batch.line, [2, 10]);
    assert!(got.batch.sector[0].is_some() && got.batch.sector[1].is_none());
}

#[test]
fn structural_faults_stop_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.csv", "");
    let err = read_all(&empty, &CsvOptions::default(), None)
        .err()
        .unwrap();
    assert!(matches!(err, ConnectorError::NoHeader { .. }), "{err}");

    let no_close = write(
        dir.path(),
        "nc.csv",
        "date,open,high,low,volume\n2020-01-01,1,1,1,1\n",
    );
    let err = read_all(&no_close, &CsvOptions::default(), None)
        .err()
        .unwrap();
    assert!(err.to_string().contains("no column for close"), "{err}");

    let mapped = CsvOptions {
        mapping: ColumnMapping {
            symbol: Some("Ticker".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = read_all(&data("spy_daily_2017_2018.csv"), &mapped, None)
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("no column for symbol (`Ticker`)"),
        "{err}"
    );

    // a gzip file cut in the middle of its stream
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let body: String = (0..20_000)
        .map(|i| format!("2020-01-01,{i},{i},{i},{i},1\n"))
        .collect();
    gz.write_all(format!("date,open,high,low,close,volume\n{body}").as_bytes())
        .unwrap();
    let bytes = gz.finish().unwrap();
    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_all(&cut, &CsvOptions::default(), None).err().unwrap();
    assert!(matches!(err, ConnectorError::Io { .. }), "{err}");
    assert!(err.to_string().contains("reading line"), "{err}");

    let err = read_all(
        &dir.path().join("missing.csv"),
        &CsvOptions::default(),
        None,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("opening"), "{err}");
}
