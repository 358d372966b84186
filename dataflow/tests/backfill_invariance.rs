//! The store depends on the set of input rows only: not on the input's
//! order (time-ordered input streams, symbol-ordered input is spilled to time
//! buckets), its format (CSV, Parquet, Arrow IPC), the worker count, the
//! block size, or the output format; and a feature at time t depends only
//! on rows at or before t (prefix truncation gives the same prefix).

mod common;

use arrow_array::RecordBatchReader;
use common::{args, bits, data, read_store, Table};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::io::{Read, Write};
use std::path::Path;
use tickflow::backfill::{self, BackfillArgs, Tuning};
use tickflow::config::{Codec, OutputFormat};
use tickflow::gen::{generate, GenOrder};

fn small(args: BackfillArgs) -> BackfillArgs {
    // Small blocks and buckets, so that a small input spans many of each.
    BackfillArgs {
        tuning: Tuning {
            block_rows: 1_000,
            spill_bucket_rows: 4_000,
        },
        ..args
    }
}

fn parquet_to_ipc(parquet: &Path, ipc: &Path) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(parquet).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let schema = reader.schema();
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(ipc).unwrap(), &schema)
            .unwrap();
    for batch in reader {
        w.write(&batch.unwrap()).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn input_order_format_workers_and_blocks_do_not_change_the_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (symbols, days) = (40, 300);
    let csv_time = dir.join("time.csv");
    let csv_symbol = dir.join("symbol.csv");
    let pq_time = dir.join("time.parquet");
    let pq_symbol = dir.join("symbol.parquet");
    let ipc = dir.join("time.arrow");
    let n = generate(&csv_time, symbols, days, 3, GenOrder::Time).unwrap();
    assert_eq!(
        generate(&csv_symbol, symbols, days, 3, GenOrder::Symbol).unwrap(),
        n
    );
    generate(&pq_time, symbols, days, 3, GenOrder::Time).unwrap();
    generate(&pq_symbol, symbols, days, 3, GenOrder::Symbol).unwrap();
    parquet_to_ipc(&pq_time, &ipc);

    let run = |input: &Path, workers: usize, tiny: bool, name: &str| -> Table {
        let out = dir.join(name);
        let a = args(input, &out, workers);
        let a = if tiny { small(a) } else { a };
        let summary = backfill::run(&a).unwrap();
        assert_eq!(summary.rows_out, n, "{name}");
        assert_eq!(summary.spilled, name.contains("symbol"), "{name}");
        read_store(&out).1
    };
    let reference = run(&csv_time, 1, false, "csv_time_1");
    assert_eq!(reference.len() as u64, n);
    for (input, workers, tiny, name) in [
        (&csv_time, 3, true, "csv_time_3_small"),
        (&csv_symbol, 2, true, "csv_symbol_2_small"),
        (&csv_symbol, 1, false, "csv_symbol_1"),
        (&pq_time, 2, true, "pq_time_2_small"),
        (&pq_symbol, 4, true, "pq_symbol_4_small"),
        (&ipc, 2, false, "ipc_time_2"),
    ] {
        let got = run(input, workers, tiny, name);
        assert!(
            bits(&got) == bits(&reference),
            "{name} differs from csv_time_1"
        );
    }
}

#[test]
fn ipc_and_f32_outputs_hold_the_same_values() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("u.parquet");
    generate(&input, 30, 200, 5, GenOrder::Time).unwrap();
    let parquet = tmp.path().join("parquet");
    backfill::run(&args(&input, &parquet, 2)).unwrap();
    let (names, reference) = read_store(&parquet);

    let ipc = tmp.path().join("ipc");
    let mut a = args(&input, &ipc, 2);
    a.config.sink.format = OutputFormat::Ipc;
    a.config.sink.codec = Codec::Lz4;
    backfill::run(&a).unwrap();
    assert!(common::store_files(&ipc)
        .iter()
        .all(|f| f.extension().unwrap() == "arrow"));
    let (ipc_names, got) = read_store(&ipc);
    assert_eq!(ipc_names, names);
    assert!(bits(&got) == bits(&reference), "IPC store differs");

    let narrow = tmp.path().join("f32");
    let mut a = args(&input, &narrow, 1);
    a.config.sink.float32 = true;
    backfill::run(&a).unwrap();
    let (_, got) = read_store(&narrow);
    assert_eq!(got.len(), reference.len());
    for (key, (_, values)) in &reference {
        let (_, narrowed) = &got[key];
        for (c, (v, w)) in values.iter().zip(narrowed).enumerate() {
            // the bar itself stays f64 (and known_at an instant); features
            // and cross-sections are f32
            let expect = if c < 5 || names[3 + c] == "known_at" {
                *v
            } else {
                v.map(|x| x as f32 as f64)
            };
            assert_eq!(
                w.map(f64::to_bits),
                expect.map(f64::to_bits),
                "{key:?} {}",
                names[3 + c]
            );
        }
    }
}

/// The S&P panel (every 7th symbol) as CSV text lines after the header.
fn sp500_lines() -> (String, Vec<String>) {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data("sp500_5yr.csv.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let mut symbols: Vec<String> = Vec::new();
    let mut kept = Vec::new();
    for line in lines {
        let sym = line.rsplit(',').next().unwrap().to_string();
        let k = match symbols.iter().position(|s| *s == sym) {
            Some(k) => k,
            None => {
                symbols.push(sym);
                symbols.len() - 1
            }
        };
        if k % 7 == 0 {
            kept.push(line.to_string());
        }
    }
    (header, kept)
}

#[test]
fn truncating_the_input_at_a_date_leaves_the_earlier_output_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let (header, lines) = sp500_lines();
    let write = |name: &str, keep: &dyn Fn(&str) -> bool| {
        let path = tmp.path().join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "{header}").unwrap();
        for l in lines.iter().filter(|l| keep(l)) {
            writeln!(f, "{l}").unwrap();
        }
        path
    };
    let cutoff = "2016-06-30";
    let full = write("full.csv", &|_| true);
    let cut = write("cut.csv", &|l: &str| &l[..10] <= cutoff);
    let run = |input: &Path, name: &str| {
        let out = tmp.path().join(name);
        let a = BackfillArgs {
            ..small(common::sp500_args(input, &out, 2))
        };
        backfill::run(&a).unwrap();
        read_store(&out).1
    };
    let full = run(&full, "full");
    let cut = run(&cut, "cut");
    let limit = tickflow_connectors::TsParser::default()
        .parse(cutoff)
        .unwrap()
        .1;
    let prefix: Table = full
        .into_iter()
        .filter(|((_, ts), _)| *ts <= limit)
        .collect();
    assert!(prefix.len() > 20_000, "a real prefix: {}", prefix.len());
    assert_eq!(prefix.len(), cut.len());
    assert!(bits(&cut) == bits(&prefix), "output up to {cutoff} changed");
}
