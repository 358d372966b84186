//! Shared helpers for the integration tests: locating `../shared/data`,
//! reading bar files, comparing with the spec's tolerance.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use tickflow_operators::Bar;

/// `../shared/data` beside the repository (or `$TICKFLOW_DATA`).
pub fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("TICKFLOW_DATA") {
        return PathBuf::from(dir);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    assert!(
        dir.join("SOURCES.md").exists(),
        "shared data not found at {}: clone the repository beside `shared/` or set TICKFLOW_DATA",
        dir.display()
    );
    dir
}

/// The golden-file directory written by `tests/golden/generate.py`.
pub fn golden_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/out");
    assert!(
        dir.join("spy_daily.csv").exists(),
        "golden files missing in {}: run `python3 operators/tests/golden/generate.py` \
         (needs `pip install ta-lib==0.8.2 numpy`; the repository's test command does this)",
        dir.display()
    );
    dir
}

fn read_to_string(path: &PathBuf) -> String {
    let mut raw = Vec::new();
    std::fs::File::open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
        .read_to_end(&mut raw)
        .unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(raw).unwrap()
    }
}

/// Raw rows per symbol (ts, bar) in file order, validity not checked;
/// unparseable numbers become NaN.
pub fn read_bars(
    file: &str,
    symbol_col: Option<&str>,
    default_symbol: &str,
) -> BTreeMap<String, Vec<(String, Bar)>> {
    let text = read_to_string(&data_dir().join(file));
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let idx = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (d, o, h, l, c, v) = (
        idx("date"),
        idx("open"),
        idx("high"),
        idx("low"),
        idx("close"),
        idx("volume"),
    );
    let s = symbol_col.map(idx);
    let num = |x: &str| x.parse::<f64>().unwrap_or(f64::NAN);
    let mut out: BTreeMap<String, Vec<(String, Bar)>> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let sym = s.map_or(default_symbol.to_string(), |i| rec[i].to_string());
        let bar = Bar {
            open: num(&rec[o]),
            high: num(&rec[h]),
            low: num(&rec[l]),
            close: num(&rec[c]),
            volume: num(&rec[v]),
        };
        out.entry(sym).or_default().push((rec[d].to_string(), bar));
    }
    out
}

/// A golden CSV: header and rows of (symbol, ts, values with NaN for null).
pub struct Golden {
    pub columns: Vec<String>,
    pub rows: Vec<(String, String, Vec<f64>)>,
}

pub fn read_golden(name: &str) -> Golden {
    let text = read_to_string(&golden_dir().join(name));
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let columns: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .skip(2)
        .map(String::from)
        .collect();
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            let vals = r
                .iter()
                .skip(2)
                .map(|x| {
                    if x.is_empty() {
                        f64::NAN
                    } else {
                        x.parse().unwrap()
                    }
                })
                .collect();
            (r[0].to_string(), r[1].to_string(), vals)
        })
        .collect();
    Golden { columns, rows }
}

/// The spec's tolerance: `|got - exp| <= 1e-9 * max(1, |exp|)`, nulls equal.
pub fn close_enough(got: f64, exp: f64) -> bool {
    if exp.is_nan() || got.is_nan() {
        return exp.is_nan() && got.is_nan();
    }
    (got - exp).abs() <= 1e-9 * exp.abs().max(1.0)
}

/// Collects mismatches by column and panics with a readable summary.
#[derive(Default)]
pub struct Mismatches {
    by_column: BTreeMap<String, (usize, String)>,
    pub compared: usize,
}

impl Mismatches {
    pub fn check(&mut self, column: &str, key: &str, got: f64, exp: f64) {
        self.compared += 1;
        if !close_enough(got, exp) {
            let e = self
                .by_column
                .entry(column.to_string())
                .or_insert((0, String::new()));
            if e.0 == 0 {
                e.1 = format!("first at {key}: got {got:?}, expected {exp:?}");
            }
            e.0 += 1;
        }
    }

    pub fn assert_none(&self, what: &str) {
        assert!(self.compared > 0, "{what}: nothing was compared");
        if !self.by_column.is_empty() {
            let lines: Vec<String> = self
                .by_column
                .iter()
                .map(|(c, (n, first))| format!("  {c}: {n} mismatches, {first}"))
                .collect();
            panic!(
                "{what}: {} values compared, mismatches:\n{}",
                self.compared,
                lines.join("\n")
            );
        }
    }
}
