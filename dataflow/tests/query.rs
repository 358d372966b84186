//! `tickflow query` against a full scan filtered afterwards: random windows,
//! symbol and column sets over a backfilled slice of the S&P 500 panel, in
//! Parquet (small row groups, so statistics prune) and Arrow IPC (f32
//! values); the CSV output reads back bit for bit; pushdown reads fewer
//! files and row groups than the store has.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float32Type, Float64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use common::{data, panel_slice, read_store, Rng, Table};
use std::path::Path;
use tickflow::backfill;
use tickflow::config::OutputFormat;
use tickflow::query::{query, QueryArgs};
use tickflow_connectors::{format_ts, TsKind};

fn build(input: &Path, out: &Path, ipc: bool) {
    let mut args = common::args(input, out, 2);
    args.sectors = Some(data("sp500_sectors.csv"));
    args.config.sink.row_group_rows = 2_000;
    if ipc {
        args.config.sink.format = OutputFormat::Ipc;
        args.config.sink.float32 = true;
    }
    backfill::run(&args).unwrap();
}

/// The expected rows: the full scan filtered, in (ts, symbol) order, as
/// (symbol, ts, values of `columns` as bits).
type Expected = Vec<(String, i64, Vec<Option<u64>>)>;

fn expected(
    table: &Table,
    names: &[String],
    lo: i64,
    hi: i64,
    symbols: Option<&[String]>,
    columns: &[String],
) -> Expected {
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| names.iter().position(|n| n == c).unwrap() - 3)
        .collect();
    let mut rows: Expected = table
        .iter()
        .filter(|((s, t), _)| lo <= *t && *t <= hi && symbols.is_none_or(|set| set.contains(s)))
        .map(|((s, t), (_, v))| {
            (
                s.clone(),
                *t,
                idx.iter().map(|&i| v[i].map(f64::to_bits)).collect(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    rows
}

fn actual(batch: &RecordBatch) -> Expected {
    let sym = batch.column(0).as_string::<i32>();
    let ts = batch.column(1).as_primitive::<Date32Type>();
    (0..batch.num_rows())
        .map(|r| {
            let values = (2..batch.num_columns())
                .map(|c| {
                    let col = batch.column(c);
                    (!col.is_null(r)).then(|| match col.data_type() {
                        arrow_schema::DataType::Float32 => {
                            (col.as_primitive::<Float32Type>().value(r) as f64).to_bits()
                        }
                        // known_at, as the f64 the store reader gives
                        arrow_schema::DataType::Timestamp(_, _) => {
                            (col.as_primitive::<TimestampMicrosecondType>().value(r) as f64)
                                .to_bits()
                        }
                        _ => col.as_primitive::<Float64Type>().value(r).to_bits(),
                    })
                })
                .collect();
            (sym.value(r).to_string(), ts.value(r) as i64, values)
        })
        .collect()
}

fn pick<T: Clone>(rng: &mut Rng, from: &[T], n: usize) -> Vec<T> {
    (0..n)
        .map(|_| from[(rng.unit() * from.len() as f64) as usize].clone())
        .collect()
}

fn check_random_queries(store: &Path, seed: u64) {
    let (names, table) = read_store(store);
    let symbols: Vec<String> = {
        let mut s: Vec<String> = table.keys().map(|(s, _)| s.clone()).collect();
        s.dedup();
        s
    };
    let first = table.keys().map(|k| k.1).min().unwrap();
    let last = table.keys().map(|k| k.1).max().unwrap();
    let value_columns: Vec<String> = names[3..].to_vec();
    let mut rng = Rng(seed);
    for round in 0..12 {
        let a = first - 5 + (rng.unit() * (last - first + 10) as f64) as i64;
        let len = [0, 3, 30, 400][round % 4];
        let (lo, hi) = (a, a + len);
        let syms = (round % 3 == 1).then(|| pick(&mut rng, &symbols, 1 + round % 5));
        let mut cols = if round % 2 == 0 {
            pick(&mut rng, &value_columns, 1 + round % 10)
        } else {
            value_columns.clone()
        };
        cols.dedup();
        let args = QueryArgs {
            store: store.to_path_buf(),
            from: Some(format_ts(TsKind::Date, lo)),
            to: Some(format_ts(TsKind::Date, hi)),
            symbols: syms.clone(),
            columns: Some(cols.clone()),
            ..Default::default()
        };
        let got = query(&args).unwrap();
        let want = expected(&table, &names, lo, hi, syms.as_deref(), &cols);
        let mut header = vec!["symbol".to_string(), "ts".to_string()];
        header.extend(cols.iter().cloned());
        let got_names: Vec<String> = got
            .batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(got_names, header, "round {round}");
        assert_eq!(
            actual(&got.batch),
            want,
            "round {round}: {lo}..={hi} {syms:?}"
        );
        // --as-of on a store without revisions is the window cut at T
        let as_of = query(&QueryArgs {
            to: None,
            as_of: Some(format_ts(TsKind::Date, hi)),
            ..args.clone()
        })
        .unwrap();
        assert_eq!(actual(&as_of.batch), want, "round {round} as of");
        let full = query(&QueryArgs {
            full_scan: true,
            ..args
        })
        .unwrap();
        assert_eq!(actual(&full.batch), want, "round {round} full scan");
    }
}

#[test]
fn parquet_queries_equal_a_full_scan_and_prune() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 10);
    let store = tmp.path().join("store");
    build(&input, &store, false);
    check_random_queries(&store, 7);

    // one month of two columns opens one partition's files and few row groups
    let month = query(&QueryArgs {
        store: store.clone(),
        from: Some("2016-03-01".into()),
        to: Some("2016-03-31".into()),
        columns: Some(vec!["close".into(), "rsi_14".into()]),
        ..Default::default()
    })
    .unwrap();
    assert!(month.batch.num_rows() > 800, "{}", month.batch.num_rows());
    assert!(month.counts.files * 3 <= month.files_in_store, "{month:?}");
    assert!(
        month.counts.row_groups_skipped >= 3 * month.counts.row_groups,
        "{:?}",
        month.counts
    );
}

#[test]
fn ipc_f32_queries_equal_a_full_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 25);
    let store = tmp.path().join("store");
    build(&input, &store, true);
    check_random_queries(&store, 11);
}

fn tickflow(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tickflow"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn csv_and_parquet_outputs_read_back_exactly_and_errors_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let input = panel_slice(tmp.path(), 20);
    let store = tmp.path().join("store");
    build(&input, &store, false);
    let s = store.to_str().unwrap();
    let window = ["--from", "2015-06-01", "--to", "2015-06-30"];
    let want = query(&QueryArgs {
        store: store.clone(),
        from: Some(window[1].into()),
        to: Some(window[3].into()),
        ..Default::default()
    })
    .unwrap();

    let csv_path = tmp.path().join("out.csv");
    let mut args = vec!["query", s];
    args.extend(window);
    args.extend(["--format", "csv", "--output", csv_path.to_str().unwrap()]);
    let out = tickflow(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..3], ["symbol", "ts", "sector"]);
    let batch = &want.batch;
    let mut n = 0;
    for (r, rec) in reader.records().enumerate() {
        let rec = rec.unwrap();
        assert_eq!(&rec[0], batch.column(0).as_string::<i32>().value(r));
        let d = batch.column(1).as_primitive::<Date32Type>().value(r);
        assert_eq!(&rec[1], format_ts(TsKind::Date, d as i64));
        for c in 3..batch.num_columns() {
            if let Some(known) = batch
                .column(c)
                .as_primitive_opt::<TimestampMicrosecondType>()
            {
                assert_eq!(&rec[c], format_ts(TsKind::Micros, known.value(r)));
                continue;
            }
            let col = batch.column(c).as_primitive::<Float64Type>();
            if col.is_null(r) {
                assert_eq!(&rec[c], "", "row {r} column {}", header[c]);
            } else {
                let back: f64 = rec[c].parse().unwrap();
                assert_eq!(back.to_bits(), col.value(r).to_bits(), "{}", &rec[c]);
            }
        }
        n += 1;
    }
    assert_eq!(n, batch.num_rows());
    assert!(n > 400, "{n}");

    let pq = tmp.path().join("out.parquet");
    let mut args = vec!["query", s];
    args.extend(window);
    args.extend(["--format", "parquet", "--output", pq.to_str().unwrap()]);
    assert!(tickflow(&args).status.success());
    let read: Vec<RecordBatch> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(&pq).unwrap(),
        )
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let read = arrow_select::concat::concat_batches(&read[0].schema(), &read).unwrap();
    assert_eq!(read, want.batch);
    assert!(!tmp.path().join(".out.parquet.tmp").exists());

    for (args, says) in [
        (
            vec!["query", s, "--columns", "close,nope"],
            "no column `nope`",
        ),
        (vec!["query", s, "--format", "parquet"], "needs --output"),
        (vec!["query", s, "--from", "2015-02-30"], "is not a date"),
        (
            vec!["query", s, "--from", "2016-01-02", "--to", "2016-01-01"],
            "the window is empty",
        ),
        (
            vec!["query", tmp.path().to_str().unwrap()],
            "not a tickflow store",
        ),
    ] {
        let out = tickflow(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
    }
}
